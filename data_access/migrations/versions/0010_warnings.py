"""warnings and warning_cases: early warnings found by the offline detectors

Revision ID: 0010a7e3c5d1
Revises: 0d9b5e3a7c21
Create Date: 2026-12-02 13:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010a7e3c5d1'
down_revision = '0d9b5e3a7c21'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'warnings',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('key', sa.String(length=160), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('unit_code', sa.String(length=15), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expected', sa.Float(), nullable=True),
        sa.Column('observed', sa.Integer(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('status_by', sa.String(length=32), nullable=True),
        sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_warnings'),
        sa.UniqueConstraint('key', name='uq_warnings_key'),
    )
    op.create_index('ix_warnings_created_at', 'warnings', ['created_at'])
    op.create_index('ix_warnings_status_created', 'warnings', ['status', 'created_at'])
    op.create_table(
        'warning_cases',
        sa.Column('warning_id', BIG_ID, nullable=False),
        sa.Column('case_id', BIG_ID, nullable=False),
        sa.Column('added_by', sa.String(length=32), nullable=False),
        sa.Column('removed_by', sa.String(length=32), nullable=True),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'],
                                name='fk_warning_cases_warning_id_warnings'),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name='fk_warning_cases_case_id_cases'),
        sa.PrimaryKeyConstraint('warning_id', 'case_id', name='pk_warning_cases'),
    )
    op.create_index('ix_warning_cases_case_id', 'warning_cases', ['case_id'])


def downgrade() -> None:
    op.drop_index('ix_warning_cases_case_id', table_name='warning_cases')
    op.drop_table('warning_cases')
    op.drop_index('ix_warnings_status_created', table_name='warnings')
    op.drop_index('ix_warnings_created_at', table_name='warnings')
    op.drop_table('warnings')
