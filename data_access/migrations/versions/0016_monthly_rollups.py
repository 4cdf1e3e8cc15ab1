"""township_monthly and topic_monthly: township_daily and topic_daily summed per local month,
so that a briefing's month, quarter or year reads a few rows per township

Filled here from the daily tables (a month's row is always the sum of its days' rows); the
write path and `govwall rollup rebuild` keep them from then on.

Revision ID: 5e7b9c1d3a16
Revises: 16c4a8e2f0b7
Create Date: 2026-12-03 06:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5e7b9c1d3a16'
down_revision = '16c4a8e2f0b7'
branch_labels = None
depends_on = None

COUNTS = ('reported', 'registered', 'closed', 'accepted', 'closed_of_reported', 'answered',
          'satisfied', 'rework', 'resolved', 'resolved_low', 'dispatched', 'ack_in_time', 'due',
          'on_time', 'late_closed')
MINUTES = ('late_minutes', 'handling_minutes')
MEASURES = (*COUNTS, *MINUTES, 'supervisions')
TOPIC_KEY = ('subclass', 'dispute_type', 'resolved_level', 'mediation_outcome')


def upgrade() -> None:
    op.create_table(
        'township_monthly',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('township_code', sa.String(length=9), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in MINUTES),
        sa.Column('supervisions', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'township_code', name='pk_township_monthly'),
    )
    op.create_table(
        'topic_monthly',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('township_code', sa.String(length=9), nullable=False),
        sa.Column('subclass', sa.String(length=32), nullable=False),
        sa.Column('dispute_type', sa.String(length=24), nullable=False),
        sa.Column('resolved_level', sa.String(length=10), nullable=False),
        sa.Column('mediation_outcome', sa.String(length=24), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'township_code', *TOPIC_KEY, name='pk_topic_monthly'),
    )
    month = ("CAST(date_trunc('month', day) AS date)"
             if op.get_bind().dialect.name == 'postgresql' else "date(day, 'start of month')")
    sums = ', '.join(f'sum({m})' for m in MEASURES)
    op.execute(f"INSERT INTO township_monthly (month, township_code, {', '.join(MEASURES)}) "
               f"SELECT {month}, township_code, {sums} FROM township_daily "
               f"GROUP BY {month}, township_code")
    key = ', '.join(TOPIC_KEY)
    op.execute(f"INSERT INTO topic_monthly (month, township_code, {key}, cases) "
               f"SELECT {month}, township_code, {key}, sum(cases) FROM topic_daily "
               f"GROUP BY {month}, township_code, {key}")


def downgrade() -> None:
    op.drop_table('topic_monthly')
    op.drop_table('township_monthly')
