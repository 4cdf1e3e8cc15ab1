"""grid_monthly, village_monthly and county_topic_monthly: grid_daily summed per local month
× grid, its reports per local month × village × subclass, and topic_daily per local month ×
county, so that a township's grid ranking, the repeat places and a city's or a county's hot
issues over whole months read a few rows per grid, village or county

Filled here from the daily tables (a month's row is always the sum of its days' rows); the
write path and `govwall rollup rebuild` keep them from then on.

Revision ID: 8d3f5a7c9e02
Revises: 5e7b9c1d3a16
Create Date: 2026-12-03 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '8d3f5a7c9e02'
down_revision = '5e7b9c1d3a16'
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
        'grid_monthly',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('grid_code', sa.String(length=32), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in MINUTES),
        sa.Column('supervisions', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'grid_code', name='pk_grid_monthly'),
    )
    op.create_table(
        'village_monthly',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('village_code', sa.String(length=12), nullable=False),
        sa.Column('subclass', sa.String(length=32), nullable=False),
        sa.Column('reported', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'village_code', 'subclass', name='pk_village_monthly'),
    )
    op.create_table(
        'county_topic_monthly',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('county_code', sa.String(length=6), nullable=False),
        sa.Column('subclass', sa.String(length=32), nullable=False),
        sa.Column('dispute_type', sa.String(length=24), nullable=False),
        sa.Column('resolved_level', sa.String(length=10), nullable=False),
        sa.Column('mediation_outcome', sa.String(length=24), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'county_code', *TOPIC_KEY,
                                name='pk_county_topic_monthly'),
    )
    op.create_index('ix_village_monthly_reported', 'village_monthly',
                    ['month', sa.text('reported DESC'), 'village_code', 'subclass'])
    month = ("CAST(date_trunc('month', day) AS date)"
             if op.get_bind().dialect.name == 'postgresql' else "date(day, 'start of month')")
    sums = ', '.join(f'sum({m})' for m in MEASURES)
    some = ' OR '.join(f'sum({m}) <> 0' for m in MEASURES)
    op.execute(f"INSERT INTO grid_monthly (month, grid_code, {', '.join(MEASURES)}) "
               f"SELECT {month}, grid_code, {sums} FROM grid_daily "
               f"GROUP BY {month}, grid_code HAVING {some}")
    op.execute("INSERT INTO village_monthly (month, village_code, subclass, reported) "
               f"SELECT {month}, substr(grid_code, 1, 12), subclass, sum(reported) "
               "FROM grid_daily WHERE reported <> 0 "
               f"GROUP BY {month}, substr(grid_code, 1, 12), subclass "
               "HAVING sum(reported) <> 0")
    key = ', '.join(TOPIC_KEY)
    op.execute(f"INSERT INTO county_topic_monthly (month, county_code, {key}, cases) "
               f"SELECT {month}, substr(township_code, 1, 6), {key}, sum(cases) "
               f"FROM topic_daily GROUP BY {month}, substr(township_code, 1, 6), {key} "
               "HAVING sum(cases) <> 0")


def downgrade() -> None:
    op.drop_table('county_topic_monthly')
    op.drop_table('village_monthly')
    op.drop_table('grid_monthly')
