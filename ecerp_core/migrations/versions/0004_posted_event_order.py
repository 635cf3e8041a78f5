"""finance keeps the order each posted sale or refund concerns

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fin_posted_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_fin_posted_event_order", ["order_id", "kind"], unique=False)
    # what was posted before this revision: a shipment's source is its order; a refund's order is on
    # its refund row, an exchange's on its after-sales case
    op.execute("UPDATE fin_posted_event SET order_id = source_id WHERE kind = 'sale.shipped'")
    op.execute(
        "UPDATE fin_posted_event SET order_id = (SELECT r.order_id FROM sales_order_refund r "
        "WHERE r.id = fin_posted_event.source_id) "
        "WHERE kind = 'sale.refunded' AND source_type = 'sales_order_refund'"
    )
    op.execute(
        "UPDATE fin_posted_event SET order_id = (SELECT a.order_id FROM after_sale a "
        "WHERE a.id = fin_posted_event.source_id) "
        "WHERE kind = 'sale.refunded' AND source_type = 'after_sale'"
    )


def downgrade() -> None:
    with op.batch_alter_table("fin_posted_event", schema=None) as batch_op:
        batch_op.drop_index("ix_fin_posted_event_order")
        batch_op.drop_column("order_id")
