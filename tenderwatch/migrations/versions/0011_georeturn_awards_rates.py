"""georeturn: award records and exchange rates

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:18:21

``award_records``: awards from organisations' published lists (TED winners stay in ``awards``, wins
from the follow-up in ``follow_ups``); ``exchange_rates``: ECB euro reference rates loaded by
``tenderwatch georeturn rates``.
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_rates',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=18, scale=6), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('currency', 'day', name=op.f('pk_exchange_rates'))
    )
    op.create_table('award_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('origin_ref', sa.String(length=100), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('awarded_on', sa.Date(), nullable=False),
    sa.Column('supplier_name', sa.Text(), nullable=False),
    sa.Column('supplier_country', sa.String(length=2), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('value_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('value_currency', sa.String(length=3), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('source_name', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_award_records_company_id_companies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_award_records_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_records')),
    sa.UniqueConstraint('origin', 'origin_ref', name='uq_award_records_origin_ref')
    )
    with op.batch_alter_table('award_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_records_awarded_on'), ['awarded_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_records_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_records_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('award_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_records_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_award_records_company_id'))
        batch_op.drop_index(batch_op.f('ix_award_records_awarded_on'))

    op.drop_table('award_records')
    op.drop_table('exchange_rates')
