"""users: when the ILO's first page was last seen

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:30:00

``users.ilo_page_seen_at`` and ``users.ilo_page_since``: the ILO's first page shows what is new
"since your last visit", which must survive sign-outs and devices, and not vanish on a reload.
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ilo_page_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ilo_page_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('ilo_page_since')
        batch_op.drop_column('ilo_page_seen_at')
