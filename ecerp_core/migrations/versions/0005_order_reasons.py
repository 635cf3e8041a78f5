"""an order's reasons to wait are rows (sales_order_reason), not comma-joined text

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    reasons = op.create_table(
        "sales_order_reason",
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name=op.f("fk_sales_order_reason_order_id_sales_order")
        ),
        sa.PrimaryKeyConstraint("order_id", "kind", "code", name=op.f("pk_sales_order_reason")),
    )
    with op.batch_alter_table("sales_order_reason", schema=None) as batch_op:
        batch_op.create_index("ix_sales_order_reason_code", ["kind", "code"], unique=False)
    rows = op.get_bind().execute(
        sa.text(
            "SELECT id, exception_reason, review_reason FROM sales_order "
            "WHERE exception_reason <> '' OR review_reason <> ''"
        )
    )
    moved = [
        {"order_id": order_id, "kind": kind, "code": code, "position": position}
        for order_id, exceptions, review in rows
        for kind, text in (("exception", exceptions), ("review", review))
        for position, code in enumerate(
            dict.fromkeys(c.strip() for c in (text or "").split(",") if c.strip())
        )
    ]
    if moved:
        op.bulk_insert(reasons, moved)
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.drop_column("review_reason")
        batch_op.drop_column("exception_reason")


def downgrade() -> None:
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("exception_reason", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("review_reason", sa.String(length=300), nullable=False, server_default="")
        )
    joined = (
        "string_agg(r.code, ',' ORDER BY r.position)"
        if op.get_bind().dialect.name == "postgresql"
        else "group_concat(r.code, ',')"  # SQLite joins in the order the ordered subquery gives
    )
    for kind, column in (("exception", "exception_reason"), ("review", "review_reason")):
        op.execute(
            f"UPDATE sales_order SET {column} = COALESCE((SELECT {joined} FROM (SELECT code, position "
            f"FROM sales_order_reason WHERE order_id = sales_order.id AND kind = '{kind}' "
            "ORDER BY position) AS r), '')"
        )
    with op.batch_alter_table("sales_order_reason", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_order_reason_code")
    op.drop_table("sales_order_reason")
