"""grid_monthly and village_monthly: grid_daily summed per local month × grid, and its
reports per local month × village × subclass, so that a township's grid ranking and a
city's repeat places over whole months read a few rows per grid or village

Filled here from grid_daily (a month's row is always the sum of its days' rows); the write
path and `govwall rollup rebuild` keep them from then on.

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


def downgrade() -> None:
    op.drop_table('village_monthly')
    op.drop_table('grid_monthly')
