"""account_events: who changed an account, when, and how

Revision ID: 3f8a6c2d9b14
Revises: 4e8a6c1d9b30 (0006, indicator indexes)
Create Date: 2026-12-02 08:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '3f8a6c2d9b14'
down_revision = '4e8a6c1d9b30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'account_events',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('detail', sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_account_events'),
    )
    op.create_index('ix_account_events_username', 'account_events', ['username'])


def downgrade() -> None:
    op.drop_index('ix_account_events_username', table_name='account_events')
    op.drop_table('account_events')
