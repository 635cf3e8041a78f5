"""payments, bank movements and the VAT month-end

Revision ID: 0010
Revises: 0009

Supplier payments name the bank account and a reference; receipts and transfers between bank
accounts are ``fin_bank_movement`` rows; the company keeps the surcharge rates of the VAT month-end
(城建税 7%, 教育费附加 3%, 地方教育附加 2%) and a category may carry its own VAT rate (9%, 6%).
A chart that is already seeded gets the accounts the VAT month-end posts to.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NEW_ACCOUNTS = (
    ("22210104", "应交增值税-转出未交增值税", "VAT - transferred to VAT unpaid", "222101"),
    ("222108", "应交税费-应交城市维护建设税", "Taxes payable - city tax", "2221"),
    ("222109", "应交税费-应交教育费附加", "Taxes payable - education surcharge", "2221"),
    ("222110", "应交税费-应交地方教育附加", "Taxes payable - local education", "2221"),
)


def upgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        for name, default in (
            ("city_tax_rate", "0.07"),
            ("education_surcharge_rate", "0.03"),
            ("local_education_surcharge_rate", "0.02"),
        ):
            batch_op.add_column(
                sa.Column(name, sa.Numeric(precision=18, scale=8), nullable=False, server_default=default)
            )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vat_rate", sa.Numeric(precision=18, scale=8), nullable=True))
    with op.batch_alter_table("fin_supplier_payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bank_code", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("reference", sa.String(length=120), nullable=False, server_default=""))
    op.create_table(
        "fin_bank_movement",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("movement_date", sa.Date(), nullable=False),
        sa.Column("bank_code", sa.String(length=20), nullable=False),
        sa.Column("counter_code", sa.String(length=20), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_fin_bank_movement_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["fin_journal_entry.id"],
            name=op.f("fk_fin_bank_movement_entry_id_fin_journal_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_bank_movement")),
    )
    with op.batch_alter_table("fin_bank_movement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fin_bank_movement_movement_date"), ["movement_date"], unique=False
        )
    bind = op.get_bind()
    have = {code for (code,) in bind.execute(sa.text("SELECT code FROM fin_account"))}
    if not have:
        return  # the chart is seeded, with these accounts, on first use
    for code, name_zh, name_en, parent in NEW_ACCOUNTS:
        if code in have or parent not in have:
            continue
        bind.execute(
            sa.text(
                "INSERT INTO fin_account (code, name_zh, name_en, account_class, normal_side, parent_code,"
                " is_leaf, platform, currency, is_cash, user_added, active) VALUES (:code, :zh, :en,"
                " 'liability', 'credit', :parent, :yes, NULL, NULL, :no, :no, :yes)"
            ),
            {"code": code, "zh": name_zh, "en": name_en, "parent": parent, "yes": True, "no": False},
        )


def downgrade() -> None:
    op.execute(
        "DELETE FROM fin_account WHERE code IN ('22210104', '222108', '222109', '222110')"
        " AND id NOT IN (SELECT account_id FROM fin_journal_line)"
    )
    with op.batch_alter_table("fin_bank_movement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fin_bank_movement_movement_date"))
    op.drop_table("fin_bank_movement")
    with op.batch_alter_table("fin_supplier_payment", schema=None) as batch_op:
        batch_op.drop_column("reference")
        batch_op.drop_column("bank_code")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_column("vat_rate")
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_column("local_education_surcharge_rate")
        batch_op.drop_column("education_surcharge_rate")
        batch_op.drop_column("city_tax_rate")
