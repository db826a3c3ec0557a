"""one call told truly: date-only deadlines, per-source content, change notices and their links

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:00:00

- ``notices.deadline_date``: the day of a deadline given as a date only (no invented hour).
- ``notice_sources.content_hash``: each source's last record, so two sources of one call never
  undo each other at every crawl, and a change notice re-crawled changes nothing.
- ``notice_sources.alias_id`` / ``amends``: the eForms notice identifier change notices cite, and
  the notice a change notice changes (either may arrive first).
- ``notice_changes.notice_ref`` / ``published_at``: which notice brought a change, and when it
  was published.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_date', sa.Date(), nullable=True))
    with op.batch_alter_table('notice_sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alias_id', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('amends', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('content_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_notice_sources_alias_id'), ['alias_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_sources_amends'), ['amends'], unique=False)
    with op.batch_alter_table('notice_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_ref', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notice_changes', schema=None) as batch_op:
        batch_op.drop_column('published_at')
        batch_op.drop_column('notice_ref')
    with op.batch_alter_table('notice_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_sources_amends'))
        batch_op.drop_index(batch_op.f('ix_notice_sources_alias_id'))
        batch_op.drop_column('content_hash')
        batch_op.drop_column('amends')
        batch_op.drop_column('alias_id')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('deadline_date')
