"""payment claims with a lease

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

A payment run claims an instruction with a token of its own and a time after which the claim
lapses (a run that crashed gives its instructions back); runs look instructions up by state.
"""

import sqlalchemy as sa
from alembic import op

import huiqi.app.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', huiqi.app.db.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_payments_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_state'))
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claim_token')
