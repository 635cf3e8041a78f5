"""company books_started_on

Revision ID: 0003
Revises: 0002

The company records the first day its books hold (finance sets it when it posts), so the catalog
can lock the base currency without reading the journal. A database that already has entries gets
the date of its earliest one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.add_column(sa.Column("books_started_on", sa.Date(), nullable=True))
    op.execute("UPDATE company SET books_started_on = (SELECT MIN(entry_date) FROM fin_journal_entry)")


def downgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_column("books_started_on")
