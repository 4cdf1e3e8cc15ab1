"""township_daily and topic_daily: leaders' period sums per local day × township (and
subclass), and their built days

Revision ID: 0d9b5e3a7c21
Revises: 8b2d4f6a1c08
Create Date: 2026-12-02 13:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0d9b5e3a7c21'
down_revision = '8b2d4f6a1c08'
branch_labels = None
depends_on = None

COUNTS = ('reported', 'registered', 'closed', 'accepted', 'closed_of_reported', 'answered',
          'satisfied', 'rework', 'resolved', 'resolved_low', 'dispatched', 'ack_in_time', 'due',
          'on_time', 'late_closed')
MINUTES = ('late_minutes', 'handling_minutes')


def upgrade() -> None:
    op.create_table(
        'township_daily',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('township_code', sa.String(length=9), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in MINUTES),
        sa.Column('supervisions', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'township_code', name='pk_township_daily'),
    )
    op.create_table(
        'topic_daily',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('township_code', sa.String(length=9), nullable=False),
        sa.Column('subclass', sa.String(length=32), nullable=False),
        sa.Column('dispute_type', sa.String(length=24), nullable=False),
        sa.Column('resolved_level', sa.String(length=10), nullable=False),
        sa.Column('mediation_outcome', sa.String(length=24), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'township_code', 'subclass', 'dispute_type',
                                'resolved_level', 'mediation_outcome', name='pk_topic_daily'),
    )
    op.create_table(
        'township_daily_built',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day', name='pk_township_daily_built'),
    )


def downgrade() -> None:
    op.drop_table('township_daily_built')
    op.drop_table('topic_daily')
    op.drop_table('township_daily')
