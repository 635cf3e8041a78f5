"""a supplier's offer can say its pack size (supplier_product.pack_size): forecast replenishment rounds
suggested quantities up to whole packs

Revision ID: 0013_forecast
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_forecast"
down_revision = "0013_crm"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supplier_product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pack_size", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("supplier_product", schema=None) as batch_op:
        batch_op.drop_column("pack_size")
