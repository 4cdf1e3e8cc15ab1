"""intake: source systems, ingested-case records, rejections

Revision ID: 8b2d4f6a1c08
Revises: 3f8a6c2d9b14 (0007, account events)
Create Date: 2026-12-02 13:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '8b2d4f6a1c08'
down_revision = '3f8a6c2d9b14'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UtcTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'intake_sources',
        sa.Column('id', BigId, nullable=False),
        sa.Column('name', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('county_code', sa.String(length=6), nullable=False),
        sa.Column('created_at', UtcTime, nullable=False),
        sa.Column('revoked_at', UtcTime, nullable=True),
        sa.Column('staging_url', sa.String(length=500), nullable=True),
        sa.Column('staging_table', sa.String(length=128), nullable=True),
        sa.Column('cursor_at', UtcTime, nullable=True),
        sa.Column('cursor_id', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_intake_sources'),
        sa.UniqueConstraint('name', name='uq_intake_sources_name'),
        sa.UniqueConstraint('token_hash', name='uq_intake_sources_token_hash'),
    )
    op.create_table(
        'intake_records',
        sa.Column('id', BigId, nullable=False),
        sa.Column('source_id', BigId, nullable=False),
        sa.Column('source_case_id', sa.String(length=47), nullable=False),
        sa.Column('case_id', BigId, nullable=False),
        sa.Column('placement', sa.String(length=8), nullable=False),
        sa.Column('unknown_codes', sa.String(length=200), nullable=False),
        sa.Column('source_reported_at', UtcTime, nullable=False),
        sa.Column('received_at', UtcTime, nullable=False),
        sa.ForeignKeyConstraint(['source_id'], ['intake_sources.id'],
                                name='fk_intake_records_source_id_intake_sources'),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name='fk_intake_records_case_id_cases'),
        sa.PrimaryKeyConstraint('id', name='pk_intake_records'),
        sa.UniqueConstraint('case_id', name='uq_intake_records_case_id'),
    )
    op.create_index('uq_intake_records_source_case', 'intake_records',
                    ['source_id', 'source_case_id'], unique=True)
    op.create_index('ix_intake_records_source_received', 'intake_records',
                    ['source_id', 'received_at'])
    op.create_table(
        'intake_rejections',
        sa.Column('id', BigId, nullable=False),
        sa.Column('source_id', BigId, nullable=False),
        sa.Column('at', UtcTime, nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('source_case_id', sa.String(length=64), nullable=True),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['source_id'], ['intake_sources.id'],
                                name='fk_intake_rejections_source_id_intake_sources'),
        sa.PrimaryKeyConstraint('id', name='pk_intake_rejections'),
    )
    op.create_index('ix_intake_rejections_source_at', 'intake_rejections', ['source_id', 'at'])


def downgrade() -> None:
    op.drop_index('ix_intake_rejections_source_at', table_name='intake_rejections')
    op.drop_table('intake_rejections')
    op.drop_index('ix_intake_records_source_received', table_name='intake_records')
    op.drop_index('uq_intake_records_source_case', table_name='intake_records')
    op.drop_table('intake_records')
    op.drop_table('intake_sources')
