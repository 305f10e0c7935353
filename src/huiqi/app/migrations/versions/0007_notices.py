"""notices (站内信)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

- notices: a notice to an organisation, a person or a user, in Chinese and English, with the key
  of what it is about (unique: one notice per event) and when it was read.
"""

import sqlalchemy as sa
from alembic import op

import huiqi.app.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=60), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('subject_zh', sa.String(length=200), nullable=False),
    sa.Column('subject_en', sa.String(length=300), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=200), nullable=True),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.Column('read_at', huiqi.app.db.UTCDateTime(), nullable=True),
    sa.Column('read_by', sa.String(length=60), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index('ix_notices_org_id', 'notices', ['org_id'], unique=False)
    op.create_index('ix_notices_person_id', 'notices', ['person_id'], unique=False)
    op.create_index('ix_notices_username', 'notices', ['username'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notices_username', table_name='notices')
    op.drop_index('ix_notices_person_id', table_name='notices')
    op.drop_index('ix_notices_org_id', table_name='notices')
    op.drop_table('notices')
