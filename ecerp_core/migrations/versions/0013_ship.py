"""order editing and shipping tools: an order's district and seller flag; pick waves (波次)

Revision ID: 0013_ship
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from ecerp_core.db import UTCDateTime

revision = "0013_ship"
down_revision = "0012"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district", sa.String(length=60), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("seller_flag", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "pick_wave",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_pick_wave_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_wave")),
        sa.UniqueConstraint("number", name=op.f("uq_pick_wave_number")),
    )
    op.create_table(
        "pick_wave_order",
        sa.Column("order_id", BIGINT, nullable=False),
        sa.Column("wave_id", BIGINT, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name=op.f("fk_pick_wave_order_order_id_sales_order")
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["pick_wave.id"], name=op.f("fk_pick_wave_order_wave_id_pick_wave")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_pick_wave_order")),
    )
    with op.batch_alter_table("pick_wave_order", schema=None) as batch_op:
        batch_op.create_index("ix_pick_wave_order_wave_id", ["wave_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pick_wave_order", schema=None) as batch_op:
        batch_op.drop_index("ix_pick_wave_order_wave_id")
    op.drop_table("pick_wave_order")
    op.drop_table("pick_wave")
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.drop_column("seller_flag")
        batch_op.drop_column("district")
