"""the analytics sales rollup (analytics_sales_rollup, analytics_rollup_mark) and the index on
sales_order.updated_at it finds changed orders by

Revision ID: 0014_rollup
Revises: 0014_report_schedule
"""

import sqlalchemy as sa
from alembic import op

import ecerp_core.db

revision = "0014_rollup"
down_revision = "0014_report_schedule"
branch_labels = None
depends_on = None


def upgrade() -> None:
    money = sa.Numeric(precision=18, scale=2)
    op.create_table(
        "analytics_sales_rollup",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("level", sa.String(length=1), nullable=False),
        sa.Column("period", sa.String(length=1), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("platform_sku", sa.String(length=64), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("line_orders", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.Column("line_returned", sa.Integer(), nullable=False),
        sa.Column("goods_amount", money, nullable=False),
        sa.Column("refunded_amount", money, nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("amount", money, nullable=False),
        sa.Column("cost", money, nullable=False),
        sa.Column("costed_amount", money, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_sales_rollup")),
    )
    op.create_index(
        "ix_analytics_sales_rollup_level", "analytics_sales_rollup", ["level", "period", "day"], unique=False
    )
    op.create_table(
        "analytics_rollup_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("orders_at", ecerp_core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("orders_recent", sa.Integer(), nullable=False),
        sa.Column("move_id", sa.BigInteger(), nullable=False),
        sa.Column("products", sa.String(length=80), nullable=False),
        sa.Column("refreshed_at", ecerp_core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rollup_mark")),
    )
    op.create_index("ix_sales_order_updated", "sales_order", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sales_order_updated", table_name="sales_order")
    op.drop_table("analytics_rollup_mark")
    op.drop_index("ix_analytics_sales_rollup_level", table_name="analytics_sales_rollup")
    op.drop_table("analytics_sales_rollup")
