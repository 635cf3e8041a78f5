"""customers (CRM): tickets (inquiries, complaints, feedback) and their history, notes, tier rules and
tier history, reviewed customer merges

Revision ID: 0013_crm
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_crm"
down_revision = "0013_ship"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_ticket",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=500), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_crm_ticket_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name=op.f("fk_crm_ticket_order_id_sales_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_ticket")),
    )
    op.create_index(op.f("ix_crm_ticket_customer_id"), "crm_ticket", ["customer_id"], unique=False)
    op.create_index(op.f("ix_crm_ticket_order_id"), "crm_ticket", ["order_id"], unique=False)
    op.create_index(op.f("ix_crm_ticket_status"), "crm_ticket", ["status", "due_at"], unique=False)
    op.create_table(
        "crm_ticket_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["crm_ticket.id"], name=op.f("fk_crm_ticket_event_ticket_id_crm_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_ticket_event")),
    )
    op.create_index(op.f("ix_crm_ticket_event_ticket_id"), "crm_ticket_event", ["ticket_id"], unique=False)
    op.create_table(
        "crm_customer_note",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_crm_customer_note_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_customer_note")),
    )
    op.create_index(
        op.f("ix_crm_customer_note_customer_id"), "crm_customer_note", ["customer_id"], unique=False
    )
    op.create_table(
        "crm_tier_rule",
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("min_spend", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("min_orders", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tier", name=op.f("pk_crm_tier_rule")),
    )
    op.create_table(
        "crm_tier_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("from_tier", sa.String(length=20), nullable=False),
        sa.Column("to_tier", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("spend", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_crm_tier_change_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_tier_change")),
    )
    op.create_index(op.f("ix_crm_tier_change_customer_id"), "crm_tier_change", ["customer_id"], unique=False)
    op.create_table(
        "crm_customer_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["kept_id"], ["customer.id"], name=op.f("fk_crm_customer_merge_kept_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"], ["customer.id"], name=op.f("fk_crm_customer_merge_merged_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_customer_merge")),
    )
    op.create_index(op.f("ix_crm_customer_merge_kept_id"), "crm_customer_merge", ["kept_id"], unique=False)
    op.create_index(
        op.f("ix_crm_customer_merge_merged_id"), "crm_customer_merge", ["merged_id"], unique=False
    )
    # a database made before the customer area: its standard roles get the area's permissions
    for permission, roles in (
        ("crm.read", ("admin", "order_clerk", "analyst")),
        ("crm.write", ("admin", "order_clerk")),
        ("crm.manage", ("admin",)),
    ):
        op.execute(
            sa.text(
                "INSERT INTO role_permission (role_code, permission) SELECT code, :permission FROM role "
                "WHERE code IN :roles AND NOT EXISTS (SELECT 1 FROM role_permission rp "
                "WHERE rp.role_code = role.code AND rp.permission = :permission)"
            ).bindparams(sa.bindparam("roles", expanding=True), permission=permission, roles=list(roles))
        )


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM role_permission WHERE permission IN ('crm.read', 'crm.write', 'crm.manage')")
    )
    op.drop_table("crm_customer_merge")
    op.drop_table("crm_tier_change")
    op.drop_table("crm_tier_rule")
    op.drop_table("crm_customer_note")
    op.drop_table("crm_ticket_event")
    op.drop_table("crm_ticket")
