"""notices: (organisation, publication date) and (organisation, deadline) indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 00:20:00

Fuzzy cross-source matching looks for an organisation's notices within a publication-date window
or around a deadline; without these it read every notice of the organisation once per record
(quadratic in a TED backfill).
"""

from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_org_published', ['organisation_id', 'published_at'], unique=False)
        batch_op.create_index('ix_notices_org_deadline', ['organisation_id', 'deadline_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_org_deadline')
        batch_op.drop_index('ix_notices_org_published')
