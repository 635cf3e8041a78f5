"""a refund keeps the tax it gave back (sales_order_refund.tax_amount), so an order's last refund gives
back exactly the rest of the VAT its sale booked at several rates

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sales_order_refund", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_amount", sa.Numeric(precision=18, scale=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sales_order_refund", schema=None) as batch_op:
        batch_op.drop_column("tax_amount")
