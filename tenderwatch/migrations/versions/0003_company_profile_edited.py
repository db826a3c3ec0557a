"""company profile edited on the web

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 01:30:00

``companies.profile_edited_at``: set when a company saves its preferences page, so the config sync
no longer overwrites the fields it chose itself.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile_edited_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('profile_edited_at')
