"""case_daily rollup (cases per local day × county × category) and its built days

Revision ID: 7c3e9a1f52d8
Revises: 7c3e91a0d5f2
Create Date: 2026-11-23 19:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = '7c3e9a1f52d8'
down_revision = '7c3e91a0d5f2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_daily',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('county_code', sa.String(length=6), nullable=False),
        sa.Column('major_class', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('dispute_type', sa.String(length=24), nullable=False),
        sa.Column('resolved_level', sa.String(length=10), nullable=False),
        sa.Column('mediation_outcome', sa.String(length=24), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'county_code', 'major_class', 'source', 'dispute_type',
                                'resolved_level', 'mediation_outcome', name='pk_case_daily'),
    )
    op.create_table(
        'case_daily_built',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day', name='pk_case_daily_built'),
    )


def downgrade() -> None:
    op.drop_table('case_daily_built')
    op.drop_table('case_daily')
