"""the customer rollup's province index covers the country too: customers by country (and by
province, whose rows read the country as well) walk the index instead of the table row by row

Revision ID: 0016_customer_rollup_country
Revises: 0015_customer_rollup
"""

from alembic import op

revision = "0016_customer_rollup_country"
down_revision = "0015_customer_rollup"
branch_labels = None
depends_on = None

INDEX, TABLE = "ix_analytics_customer_rollup_region", "analytics_customer_rollup"
COLUMNS = ["period", "currency", "region", "customer", "day", "orders", "goods_amount"]


def upgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    op.create_index(INDEX, TABLE, [*COLUMNS, "country"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    op.create_index(INDEX, TABLE, COLUMNS, unique=False)
