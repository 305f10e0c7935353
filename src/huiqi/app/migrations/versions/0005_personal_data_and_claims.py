"""claims, personal data encrypted at rest, payout account changes

Revision ID: 0005
Revises: 0001
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

revision = '0005'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sources', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('claims', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('claims')
        batch_op.drop_column('sources')
