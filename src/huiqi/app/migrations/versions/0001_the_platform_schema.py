"""the platform schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Tables of the registry, applications, reviews, decisions, budgets, ledger, payments, requests,
users and audit. The ledger and the audit trail refuse UPDATE and DELETE by trigger.
"""

import sqlalchemy as sa
from alembic import op

import huiqi.app.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=30), nullable=False),
    sa.Column('entity_id', sa.String(length=40), nullable=True),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hash')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('committed_fen', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('measure', 'year')
    )
    op.create_table('match_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('param_version', sa.Integer(), nullable=False),
    sa.Column('organisations', sa.Integer(), nullable=False),
    sa.Column('matches', sa.Integer(), nullable=False),
    sa.Column('offers', sa.Integer(), nullable=False),
    sa.Column('started_by', sa.String(length=60), nullable=False),
    sa.Column('started_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('measure_configs',
    sa.Column('measure', sa.String(length=30), nullable=False),
    sa.Column('departments', sa.JSON(), nullable=False),
    sa.Column('review_days', sa.Integer(), nullable=False),
    sa.Column('no_application', sa.Boolean(), nullable=False),
    sa.Column('offer_days', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=60), nullable=False),
    sa.Column('updated_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('measure')
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('industry', sa.String(length=4), nullable=True),
    sa.Column('one_matter', sa.Boolean(), nullable=False),
    sa.Column('key_enterprise', sa.Boolean(), nullable=False),
    sa.Column('fits_industry_positioning', sa.Boolean(), nullable=False),
    sa.Column('listed_on', sa.Date(), nullable=True),
    sa.Column('bank_name', sa.String(length=100), nullable=True),
    sa.Column('account_no', sa.String(length=40), nullable=True),
    sa.Column('account_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uscc')
    )
    op.create_table('parameter_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('parameter_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parameter_changes_name'), ['name'], unique=False)

    op.create_table('payment_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('payments', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.String(length=60), nullable=False),
    sa.Column('updated_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('annual_facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('entered_by', sa.String(length=60), nullable=False),
    sa.Column('entered_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'year', 'name')
    )
    with op.batch_alter_table('annual_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annual_facts_org_id'), ['org_id'], unique=False)

    op.create_table('credit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('list', sa.String(length=30), nullable=False),
    sa.Column('listed_on', sa.Date(), nullable=False),
    sa.Column('removed_on', sa.Date(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('credit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_entries_org_id'), ['org_id'], unique=False)

    op.create_table('persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('bank_name', sa.String(length=100), nullable=True),
    sa.Column('account_no', sa.String(length=40), nullable=True),
    sa.Column('account_name', sa.String(length=100), nullable=True),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id_number')
    )
    op.create_table('service_packages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('contact_name', sa.String(length=60), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=False),
    sa.Column('department', sa.String(length=60), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id')
    )
    op.create_table('service_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('department', sa.String(length=60), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('filed_by', sa.String(length=60), nullable=False),
    sa.Column('filed_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('routed_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.String(length=60), nullable=True),
    sa.Column('answered_at', huiqi.app.db.UTCDateTime(), nullable=True),
    sa.Column('elapsed_days', sa.Integer(), nullable=True),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_requests_org_id'), ['org_id'], unique=False)

    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('measure', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=True),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('commitment', sa.JSON(), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('ceiling_fen', sa.BigInteger(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('param_version', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('submitted_at', huiqi.app.db.UTCDateTime(), nullable=True),
    sa.Column('award_fen', sa.BigInteger(), nullable=True),
    sa.Column('appealed', sa.Boolean(), nullable=False),
    sa.Column('offer_deadline', sa.Date(), nullable=True),
    sa.Column('payee', sa.JSON(), nullable=True),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_measure'), ['measure'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_state'), ['state'], unique=False)

    op.create_table('recognitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subtype', sa.String(length=40), nullable=True),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.Column('recognised_on', sa.Date(), nullable=False),
    sa.Column('introducer_id', sa.Integer(), nullable=True),
    sa.Column('relocated', sa.Boolean(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('entered_by', sa.String(length=60), nullable=False),
    sa.Column('entered_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['introducer_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recognitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recognitions_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recognitions_person_id'), ['person_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('department', sa.String(length=60), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', huiqi.app.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('application_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=12), nullable=True),
    sa.Column('to_state', sa.String(length=12), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('elapsed_days', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('application_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_steps_application_id'), ['application_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=True),
    sa.Column('on_appeal', sa.Boolean(), nullable=False),
    sa.Column('decided_by', sa.String(length=60), nullable=False),
    sa.Column('decided_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_application_id'), ['application_id'], unique=False)

    op.create_table('ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_measure'), ['measure'], unique=False)

    op.create_table('matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=30), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('ceiling_fen', sa.BigInteger(), nullable=True),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('reason_zh', sa.Text(), nullable=False),
    sa.Column('reason_en', sa.Text(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['offer_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['match_runs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matches_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_matches_run_id'), ['run_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('measure', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('payee_name', sa.String(length=200), nullable=False),
    sa.Column('bank_name', sa.String(length=100), nullable=False),
    sa.Column('account_no', sa.String(length=40), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=40), nullable=True),
    sa.Column('bank_reference', sa.String(length=80), nullable=True),
    sa.Column('paid_at', huiqi.app.db.UTCDateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['batch_id'], ['payment_batches.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_batch_id'), ['batch_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=60), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reviewer', sa.String(length=60), nullable=True),
    sa.Column('started_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('finished_at', huiqi.app.db.UTCDateTime(), nullable=True),
    sa.Column('elapsed_days', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_application_id'), ['application_id'], unique=False)

    op.create_table('tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tokens_user_id'), ['user_id'], unique=False)



    _append_only("ledger")
    _append_only("audit_log")


APPEND_ONLY_MESSAGE = "append-only table: entries are never changed or removed"


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{table}: {APPEND_ONLY_MESSAGE}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table}: {APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("ledger", "audit_log"):
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP FUNCTION {table}_append_only()")
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tokens_user_id'))

    op.drop_table('tokens')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_application_id'))

    op.drop_table('reviews')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_batch_id'))

    op.drop_table('payments')
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matches_run_id'))
        batch_op.drop_index(batch_op.f('ix_matches_org_id'))

    op.drop_table('matches')
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_measure'))
        batch_op.drop_index(batch_op.f('ix_ledger_application_id'))

    op.drop_table('ledger')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_application_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('application_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_steps_application_id'))

    op.drop_table('application_steps')
    op.drop_table('users')
    with op.batch_alter_table('recognitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recognitions_person_id'))
        batch_op.drop_index(batch_op.f('ix_recognitions_org_id'))

    op.drop_table('recognitions')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_state'))
        batch_op.drop_index(batch_op.f('ix_applications_person_id'))
        batch_op.drop_index(batch_op.f('ix_applications_org_id'))
        batch_op.drop_index(batch_op.f('ix_applications_measure'))

    op.drop_table('applications')
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_requests_org_id'))

    op.drop_table('service_requests')
    op.drop_table('service_packages')
    op.drop_table('persons')
    with op.batch_alter_table('credit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_entries_org_id'))

    op.drop_table('credit_entries')
    with op.batch_alter_table('annual_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annual_facts_org_id'))

    op.drop_table('annual_facts')
    op.drop_table('settings')
    op.drop_table('payment_batches')
    with op.batch_alter_table('parameter_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parameter_changes_name'))

    op.drop_table('parameter_changes')
    op.drop_table('organisations')
    op.drop_table('measure_configs')
    op.drop_table('match_runs')
    op.drop_table('budgets')
    op.drop_table('audit_log')
