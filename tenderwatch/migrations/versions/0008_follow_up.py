"""the ILO's follow-up of calls per company (issue 20)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:40:00

- ``follow_ups``: one company's follow-up of one call (state, origin, the win's value);
- ``follow_up_changes``: every change of it (who, when, from, to, note, reason, value), append-only;
- ``call_bidders``: the organisation's own list of potential bidders for a call, as an ILO recorded it.
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_bidders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_uid', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('name_key', sa.String(length=300), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_call_bidders_company_id_companies'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_bidders')),
    sa.UniqueConstraint('call_uid', 'name_key', name='uq_call_bidders_call_name')
    )
    with op.batch_alter_table('call_bidders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_bidders_call_uid'), ['call_uid'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=40), nullable=False),
    sa.Column('call_uid', sa.String(length=40), nullable=False),
    sa.Column('organisation_code', sa.String(length=32), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('origin_note', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('answer_reason', sa.String(length=20), nullable=True),
    sa.Column('value_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('value_currency', sa.String(length=3), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_follow_ups_company_id_companies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('call_uid', 'company_id', name='uq_follow_ups_call_company'),
    sa.UniqueConstraint('uid', name=op.f('uq_follow_ups_uid'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_call_uid'), ['call_uid'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_follow_ups_org_state', ['organisation_code', 'state'], unique=False)

    op.create_table('follow_up_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('follow_up_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=10), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('value_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('value_currency', sa.String(length=3), nullable=True),
    sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_follow_up_changes_follow_up_id_follow_ups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_changes'))
    )
    with op.batch_alter_table('follow_up_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_changes_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_changes_follow_up_id'), ['follow_up_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('follow_up_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_changes_follow_up_id'))
        batch_op.drop_index(batch_op.f('ix_follow_up_changes_at'))

    op.drop_table('follow_up_changes')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_org_state')
        batch_op.drop_index(batch_op.f('ix_follow_ups_company_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_call_uid'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('call_bidders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_bidders_call_uid'))

    op.drop_table('call_bidders')
