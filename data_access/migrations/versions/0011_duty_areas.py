"""duty areas: an account's area, a supervision order's addressee

Revision ID: 7c2e9a4d5b11
Revises: 0010a7e3c5d1
Create Date: 2026-12-02 13:05:00

All three columns are nullable and have no default, so adding them rewrites no table on
PostgreSQL (1.4 M cases, 10.9 M transitions) or SQLite. NULL means: an account with no area
sees the whole region; a supervision order recorded before addressees existed is addressed to
its case's township (data_access/duty_queue.py).
"""
import sqlalchemy as sa
from alembic import op

revision = '7c2e9a4d5b11'
down_revision = '0010a7e3c5d1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('area', sa.String(length=15), nullable=True))
    op.add_column('cases', sa.Column('supervision_addressee', sa.String(length=15),
                                     nullable=True))
    op.add_column('case_transitions', sa.Column('addressee', sa.String(length=15),
                                                nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place; a batch copy of `cases` would lose its
    # expression indexes.
    op.drop_column('case_transitions', 'addressee')
    op.drop_column('cases', 'supervision_addressee')
    op.drop_column('users', 'area')
