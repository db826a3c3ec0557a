"""deliveries: the message body compressed in its own column, its size and where it went

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:00:00

The serialised message moves from ``payload['eml']`` (JSON, uncompressed: 70 KB a digest, 918 MB of
database after one 10,000-company run) to ``message`` (zlib), which ``tenderwatch prune`` drops once
the mail is sent and ``mail.retention_days`` old. ``location`` lets the outbox index be built from
the ledger; the (kind, created_at) index serves the previous-digest lookup and pruning.
"""

import json
import zlib

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

deliveries = sa.table('deliveries', sa.column('id', sa.Integer), sa.column('payload', sa.JSON),
                      sa.column('message', sa.LargeBinary), sa.column('size', sa.Integer))


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('location', sa.String(length=500), nullable=True))
        batch_op.create_index('ix_deliveries_kind_created', ['kind', 'created_at'], unique=False)
    conn = op.get_bind()
    last = 0
    while True:  # in slices: a ledger of a year of digests does not fit in memory as JSON
        rows = conn.execute(sa.select(deliveries.c.id, deliveries.c.payload)
                            .where(deliveries.c.id > last).order_by(deliveries.c.id).limit(500)).all()
        if not rows:
            break
        for row_id, payload in rows:
            last = row_id
            data = payload if isinstance(payload, dict) else json.loads(payload or "{}")
            eml = data.pop('eml', None)
            if eml is None:
                continue
            raw = eml.encode('ascii', 'surrogateescape')
            conn.execute(deliveries.update().where(deliveries.c.id == row_id).values(
                payload=data, message=zlib.compress(raw, 1), size=len(raw)))


def downgrade() -> None:
    conn = op.get_bind()
    for row_id, payload, message in conn.execute(
            sa.select(deliveries.c.id, deliveries.c.payload, deliveries.c.message)
            .where(deliveries.c.message.is_not(None))).all():
        data = payload if isinstance(payload, dict) else json.loads(payload or "{}")
        data['eml'] = zlib.decompress(message).decode('ascii', 'surrogateescape')
        conn.execute(deliveries.update().where(deliveries.c.id == row_id).values(payload=data))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_kind_created')
        batch_op.drop_column('location')
        batch_op.drop_column('size')
        batch_op.drop_column('message')
