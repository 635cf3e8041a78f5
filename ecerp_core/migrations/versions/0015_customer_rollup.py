"""the analytics customer rollup (analytics_customer_rollup, analytics_customer_key): orders per
buyer per day and month, for distinct customers, repeat rate and cohorts

Revision ID: 0015_customer_rollup
Revises: 0014_rollup
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_customer_rollup"
down_revision = "0014_rollup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_customer_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_customer_key")),
        sa.UniqueConstraint(
            "customer_id",
            "shop_id",
            "buyer_id",
            name=op.f("uq_analytics_customer_key_customer_id_shop_id_buyer_id"),
        ),
    )
    op.create_table(
        "analytics_customer_rollup",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period", sa.String(length=1), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("customer", sa.Integer(), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("goods_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_customer_rollup")),
    )
    op.create_index(
        "ix_analytics_customer_rollup_day", "analytics_customer_rollup", ["period", "day"], unique=False
    )
    op.create_index(
        "ix_analytics_customer_rollup_customer",
        "analytics_customer_rollup",
        ["period", "currency", "customer", "month", "day", "orders"],
        unique=False,
    )
    op.create_index(
        "ix_analytics_customer_rollup_region",
        "analytics_customer_rollup",
        ["period", "currency", "region", "customer", "day", "orders", "goods_amount"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_analytics_customer_rollup_region", table_name="analytics_customer_rollup")
    op.drop_index("ix_analytics_customer_rollup_customer", table_name="analytics_customer_rollup")
    op.drop_index("ix_analytics_customer_rollup_day", table_name="analytics_customer_rollup")
    op.drop_table("analytics_customer_rollup")
    op.drop_table("analytics_customer_key")
