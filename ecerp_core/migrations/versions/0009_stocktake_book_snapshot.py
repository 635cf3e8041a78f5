"""stocktake_line book_at, moved_qty

Revision ID: 0009
Revises: 0008

A count's book stock is taken per line when its count starts (``book_at``), no longer when a count
is typed in; ``moved_qty`` keeps what moved in the warehouse while the count was open, read at
approval. Lines of counts still open that have no book figure yet get today's on hand, taken now.
"""

import sqlalchemy as sa
from alembic import op

import ecerp_core.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stocktake_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("book_at", ecerp_core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("moved_qty", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE stocktake_line SET
          book_qty = COALESCE((SELECT l.on_hand FROM stock_level l JOIN stocktake s
                                ON l.warehouse_id = s.warehouse_id
                              WHERE s.id = stocktake_line.stocktake_id
                                AND l.product_id = stocktake_line.product_id), 0),
          book_at = CURRENT_TIMESTAMP
        WHERE book_qty IS NULL
          AND stocktake_id IN (SELECT id FROM stocktake WHERE status IN ('counting', 'recount', 'submitted'))
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("stocktake_line", schema=None) as batch_op:
        batch_op.drop_column("moved_qty")
        batch_op.drop_column("book_at")
