"""several people per enterprise, and the service centre's consents (帮办)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

- users: ``org_admin`` (单位管理员 of its organisation) and ``may_sign`` (signs the commitment for
  it). Until now each organisation had one applicant account, which signed: every existing one
  becomes its organisation's administrator with the signing right;
- application_steps: ``on_behalf_of``, the organisation a service-centre officer acted for;
- consents: an organisation's consent to the service centre (an officer or all), for measures (or
  all), until a date, revocable.
"""

import sqlalchemy as sa
from alembic import op

import huiqi.app.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('org_admin', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('users', sa.Column('may_sign', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE users SET org_admin = true, may_sign = true "
               "WHERE role = 'applicant' AND org_id IS NOT NULL")
    with op.batch_alter_table('application_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_behalf_of', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_application_steps_on_behalf_of', 'organisations',
                                    ['on_behalf_of'], ['id'])
    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('measures', sa.JSON(), nullable=True),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('granted_by', sa.String(length=60), nullable=False),
    sa.Column('granted_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('revoked_by', sa.String(length=60), nullable=True),
    sa.Column('revoked_at', huiqi.app.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_consents_org_id'), 'consents', ['org_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_consents_org_id'), table_name='consents')
    op.drop_table('consents')
    with op.batch_alter_table('application_steps', schema=None) as batch_op:
        batch_op.drop_constraint('fk_application_steps_on_behalf_of', type_='foreignkey')
        batch_op.drop_column('on_behalf_of')
    op.drop_column('users', 'may_sign')
    op.drop_column('users', 'org_admin')
