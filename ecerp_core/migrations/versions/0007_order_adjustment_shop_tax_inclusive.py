"""an order's adjustment amount (duties, tips, rounding beyond its columns); a shop's prices include tax

Revision ID: 0007
Revises: 0005

A platform export's total can hold what no column explains (Shopify: duties, tips, rounding):
``sales_order.adjustment_amount`` keeps it, so total = goods + shipping − discount + tax +
adjustment holds without changing the total. ``shop.prices_include_tax`` says a shop's prices hold
the sales tax (VAT-inclusive shops). Both start at zero / false for the rows already there.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "adjustment_amount", sa.Numeric(precision=18, scale=2), nullable=False, server_default="0"
            )
        )
    with op.batch_alter_table("shop", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("prices_include_tax", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("shop", schema=None) as batch_op:
        batch_op.drop_column("prices_include_tax")
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.drop_column("adjustment_amount")
