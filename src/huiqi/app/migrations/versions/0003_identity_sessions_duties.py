"""identity, sessions and separation of duties

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Users: forced password change, second factor (TOTP) columns, roles up to 20 characters (the three
administrators); the per-account lock (failed_logins, locked_until) is replaced by login_throttle.
Sessions: a kind (session, or pending a second factor) and the last time seen (idle timeout).
New tables: password_history, login_throttle, user_requests (two-person approval).
"""

import sqlalchemy as sa
from alembic import op

import huiqi.app.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('users', sa.Column('password_changed_at', huiqi.app.db.UTCDateTime(), nullable=True))
    op.add_column('users', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('users', sa.Column('totp_enabled', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('users', sa.Column('totp_last_step', sa.Integer(), nullable=True))
    # plain ALTER TABLE on both (SQLite ≥ 3.35 drops a plain column; it does not enforce lengths)
    op.drop_column('users', 'failed_logins')
    op.drop_column('users', 'locked_until')
    if postgres:
        op.alter_column('users', 'role', type_=sa.String(length=20), existing_nullable=False)
    op.add_column('tokens', sa.Column('kind', sa.String(length=12), nullable=False,
                                      server_default='session'))
    op.add_column('tokens', sa.Column('last_seen_at', huiqi.app.db.UTCDateTime(), nullable=True))
    op.create_table('password_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_password_history_user_id', 'password_history', ['user_id'], unique=False)
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('blocked_until', huiqi.app.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('user_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('department', sa.String(length=60), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('requested_by', sa.String(length=60), nullable=False),
    sa.Column('requested_role', sa.String(length=20), nullable=False),
    sa.Column('decided_by', sa.String(length=60), nullable=True),
    sa.Column('decided_at', huiqi.app.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', huiqi.app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('user_requests')
    op.drop_table('login_throttle')
    op.drop_index('ix_password_history_user_id', table_name='password_history')
    op.drop_table('password_history')
    op.drop_column('tokens', 'last_seen_at')
    op.drop_column('tokens', 'kind')
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('users', sa.Column('locked_until', huiqi.app.db.UTCDateTime(), nullable=True))
    for column in ('totp_last_step', 'totp_enabled', 'totp_secret', 'password_changed_at',
                   'must_change_password'):
        op.drop_column('users', column)
