"""claims, personal data encrypted at rest, payout account changes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

- applications: ``sources`` (where each fact came from) and ``claims`` (what the applicant typed
  that the registry does not vouch for);
- persons: the ID number and account number encrypted (``*_enc``) with a keyed hash for lookups;
  organisations: the account number likewise. Existing clear values are encrypted here, with the
  data key of ``huiqi.app.vault`` (the environment, a key file, or the embedded default);
- account_changes: an applicant's change of payout account, pending until the office confirms it.
"""

import sqlalchemy as sa
from alembic import op

import huiqi.app.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


RENAMED = (("persons", "id_number", "id_number_enc"), ("persons", "account_no", "account_no_enc"),
           ("organisations", "account_no", "account_no_enc"))


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sources', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('claims', sa.JSON(), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, old, new in RENAMED:  # SQLite ≥ 3.25 and PostgreSQL alike
        op.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")
        if postgres:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {new} TYPE TEXT")
    if postgres:
        op.execute("ALTER TABLE payments ALTER COLUMN account_no TYPE TEXT")
    for table in ("persons", "organisations", "payments"):
        op.add_column(table, sa.Column('account_no_masked', sa.String(length=40), nullable=True))
    for table in ("persons", "organisations"):
        op.add_column(table, sa.Column('account_no_hash', sa.String(length=64), nullable=True))
        op.create_index(f'ix_{table}_account_no_hash', table, ['account_no_hash'], unique=False)
    op.add_column('persons', sa.Column('id_number_hash', sa.String(length=64), nullable=True))
    op.add_column('persons', sa.Column('id_number_masked', sa.String(length=18), nullable=True))
    op.create_table('account_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('bank_name', sa.String(length=100), nullable=False),
    sa.Column('account_no_enc', sa.Text(), nullable=False),
    sa.Column('account_no_hash', sa.String(length=64), nullable=False),
    sa.Column('account_no_masked', sa.String(length=40), nullable=False),
    sa.Column('account_name', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('requested_by', sa.String(length=60), nullable=False),
    sa.Column('requested_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=60), nullable=True),
    sa.Column('decided_at', huiqi.app.db.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_account_changes_org_id', 'account_changes', ['org_id'], unique=False)
    op.create_index('ix_account_changes_person_id', 'account_changes', ['person_id'], unique=False)
    _seal_existing()
    op.create_index('ix_persons_id_number_hash', 'persons', ['id_number_hash'], unique=True)


def _seal_existing() -> None:
    """Encrypt the clear values already stored, with the data key (``huiqi.app.vault``)."""
    from huiqi.app import vault
    from huiqi.app.registry.personal import mask_account, mask_id_number

    conn = op.get_bind()
    ring: vault.Keyring | None = None

    def keys() -> vault.Keyring:
        nonlocal ring
        if ring is None:
            url = conn.engine.url
            ring = vault.keyring(url.database if url.get_backend_name() == "sqlite" else None)
        return ring

    for table in ("persons", "organisations"):
        rows = conn.execute(sa.text(f"SELECT id, account_no_enc FROM {table} "
                                    "WHERE account_no_enc IS NOT NULL")).all()
        for rid, no in rows:
            if not vault.is_sealed(no):
                conn.execute(sa.text(f"UPDATE {table} SET account_no_enc = :e, account_no_hash = :h, "
                                     "account_no_masked = :m WHERE id = :i"),
                             {"e": keys().seal(no, "account_no"), "h": keys().lookup(no, "account_no"),
                              "m": mask_account(no), "i": rid})
    for rid, no in conn.execute(sa.text("SELECT id, id_number_enc FROM persons")).all():
        if not vault.is_sealed(no):
            conn.execute(sa.text("UPDATE persons SET id_number_enc = :e, id_number_hash = :h, "
                                 "id_number_masked = :m WHERE id = :i"),
                         {"e": keys().seal(no, "id_number"), "h": keys().lookup(no, "id_number"),
                          "m": mask_id_number(no), "i": rid})
    for rid, no in conn.execute(sa.text("SELECT id, account_no FROM payments")).all():
        if not vault.is_sealed(no):
            conn.execute(sa.text("UPDATE payments SET account_no = :e, account_no_masked = :m "
                                 "WHERE id = :i"),
                         {"e": keys().seal(no, "account_no"), "m": mask_account(no), "i": rid})
    apps = sa.table("applications", sa.column("id", sa.Integer), sa.column("payee", sa.JSON))
    for rid, payee in conn.execute(sa.select(apps.c.id, apps.c.payee)
                                   .where(apps.c.payee.is_not(None))).all():
        no = (payee or {}).get("account_no")
        if no and not vault.is_sealed(no):
            conn.execute(apps.update().where(apps.c.id == rid).values(payee={
                **payee, "account_no": keys().seal(no, "account_no"),
                "account_no_masked": mask_account(no)}))


def downgrade() -> None:
    from huiqi.app import vault

    conn = op.get_bind()
    url = conn.engine.url
    ring = vault.keyring(url.database if url.get_backend_name() == "sqlite" else None)
    op.drop_index('ix_persons_id_number_hash', table_name='persons')
    for table, column in (("persons", "id_number_enc"), ("persons", "account_no_enc"),
                          ("organisations", "account_no_enc"), ("payments", "account_no")):
        purpose = "id_number" if column.startswith("id_number") else "account_no"
        for rid, value in conn.execute(sa.text(f"SELECT id, {column} FROM {table} "
                                               f"WHERE {column} IS NOT NULL")).all():
            if vault.is_sealed(value):
                conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :i"),
                             {"v": ring.open(value, purpose), "i": rid})
    op.drop_index('ix_account_changes_person_id', table_name='account_changes')
    op.drop_index('ix_account_changes_org_id', table_name='account_changes')
    op.drop_table('account_changes')
    # plain DROP COLUMN (SQLite ≥ 3.35, PostgreSQL): a batch copy of a referenced table would
    # trip its foreign keys on SQLite
    for table in ("persons", "organisations"):
        op.drop_index(f'ix_{table}_account_no_hash', table_name=table)
    for table, column in (("persons", "account_no_hash"), ("organisations", "account_no_hash"),
                          ("persons", "id_number_masked"), ("persons", "id_number_hash"),
                          ("persons", "account_no_masked"), ("organisations", "account_no_masked"),
                          ("payments", "account_no_masked"), ("applications", "claims"),
                          ("applications", "sources")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    for table, old, new in RENAMED:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN {new} TO {old}")
