"""The audit chain keyed outside the database; where each request came from.

Adds to ``audit_log``: ``mac`` and ``key_id`` (the HMAC and the key that signed an entry; NULL on
entries written before, which keep their plain SHA-256 digest) and ``source`` and ``user_agent``
(the client's address and user agent; NULL for the system and the command line). Adding nullable
columns rewrites no row, so the append-only triggers stay as they are.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (("mac", 16), ("key_id", 16), ("source", 64), ("user_agent", 200))


def upgrade() -> None:
    for name, size in COLUMNS:
        op.add_column("audit_log", sa.Column(name, sa.String(length=size), nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("audit_log", name)
