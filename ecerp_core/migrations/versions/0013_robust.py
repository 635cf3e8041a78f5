"""settlement lines carry a natural key (the same line imported under another file name is known and
skipped); a settlement counts the lines it skipped

Revision ID: 0013_robust
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_robust"
down_revision = "0013_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fin_settlement_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("natural_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_fin_settlement_line_natural_key", ["natural_key"])
    with op.batch_alter_table("fin_settlement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("known_lines", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("fin_settlement", schema=None) as batch_op:
        batch_op.drop_column("known_lines")
    with op.batch_alter_table("fin_settlement_line", schema=None) as batch_op:
        batch_op.drop_constraint("uq_fin_settlement_line_natural_key", type_="unique")
        batch_op.drop_column("natural_key")
