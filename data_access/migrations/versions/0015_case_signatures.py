"""case_signatures and warning_events: repeat complaints found incrementally; officers'
link and unlink recorded with who and when

Revision ID: 16c4a8e2f0b7
Revises: 3f8a1d6c2e90
Create Date: 2026-12-02 17:40:00

`case_signatures` is filled by the detector as it meets cases (no backfill here: the next
run signs the last 14 days' cases once).
"""
import sqlalchemy as sa
from alembic import op

revision = '16c4a8e2f0b7'
down_revision = '3f8a1d6c2e90'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'case_signatures',
        sa.Column('case_id', BIG_ID, nullable=False),
        sa.Column('version', sa.SmallInteger(), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('village_code', sa.String(length=12), nullable=False),
        sa.Column('cell', sa.String(length=16), nullable=False),
        sa.Column('grid_code', sa.String(length=15), nullable=False),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('minhash', sa.LargeBinary(), nullable=False),
        sa.Column('spots', sa.String(length=200), nullable=False),
        sa.Column('cluster_id', BIG_ID, nullable=False),
        sa.Column('similarity', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name='fk_case_signatures_case_id_cases'),
        sa.PrimaryKeyConstraint('case_id', name='pk_case_signatures'),
    )
    op.create_index('ix_case_signatures_village', 'case_signatures',
                    ['category', 'village_code', 'reported_at'])
    op.create_index('ix_case_signatures_cell', 'case_signatures',
                    ['category', 'cell', 'reported_at'])
    op.create_index('ix_case_signatures_cluster', 'case_signatures', ['cluster_id'])
    op.create_index('ix_case_signatures_reported_at', 'case_signatures', ['reported_at'])
    op.create_table(
        'warning_events',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('warning_id', BIG_ID, nullable=False),
        sa.Column('case_id', BIG_ID, nullable=False),
        sa.Column('action', sa.String(length=12), nullable=False),
        sa.Column('actor', sa.String(length=32), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'],
                                name='fk_warning_events_warning_id_warnings'),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name='fk_warning_events_case_id_cases'),
        sa.PrimaryKeyConstraint('id', name='pk_warning_events'),
    )
    op.create_index('ix_warning_events_warning_id', 'warning_events', ['warning_id'])


def downgrade() -> None:
    op.drop_index('ix_warning_events_warning_id', table_name='warning_events')
    op.drop_table('warning_events')
    for name in ('reported_at', 'cluster', 'cell', 'village'):
        op.drop_index(f'ix_case_signatures_{name}', table_name='case_signatures')
    op.drop_table('case_signatures')
