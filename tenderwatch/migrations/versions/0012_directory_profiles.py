"""the company directory: capability records with their reviewed, published copy

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 17:05:00

``directory_profiles``: one per company, edited through its preferences link, reviewed by an ILO;
``published`` holds the copy the public directory and the brochure show.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_profiles',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('description_nl', sa.Text(), nullable=True),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('capabilities', sa.JSON(), nullable=False),
    sa.Column('certifications', sa.JSON(), nullable=False),
    sa.Column('sme', sa.Boolean(), nullable=True),
    sa.Column('website', sa.Text(), nullable=True),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_email', sa.String(length=320), nullable=True),
    sa.Column('contact_phone', sa.String(length=60), nullable=True),
    sa.Column('confirmed_references', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('published', sa.JSON(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_directory_profiles_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('company_id', name=op.f('pk_directory_profiles'))
    )


def downgrade() -> None:
    op.drop_table('directory_profiles')
