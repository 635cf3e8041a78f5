"""manual vouchers (voucher numbers, attachments) and closed periods' sealed balances

Revision ID: 0008
Revises: 0007

A manual voucher gets its own number per period (记-0001: fin_period.last_voucher,
fin_journal_entry.voucher_no) and may name its attachments (fin_entry_attachment). A period's
balances are sealed when it closes (fin_period_balance) so ``ecerp check`` can prove a closed month
unchanged; periods already closed are sealed here with their balances as they stand.
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fin_period", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_voucher", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("fin_period", schema=None) as batch_op:
        batch_op.alter_column("last_voucher", server_default=None)
    with op.batch_alter_table("fin_journal_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voucher_no", sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_fin_journal_entry_period_id_voucher_no"), ["period_id", "voucher_no"]
        )
    op.create_table(
        "fin_entry_attachment",
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["fin_journal_entry.id"],
            name=op.f("fk_fin_entry_attachment_entry_id_fin_journal_entry"),
        ),
        sa.PrimaryKeyConstraint("entry_id", "position", name=op.f("pk_fin_entry_attachment")),
    )
    sealed = op.create_table(
        "fin_period_balance",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["fin_account.id"], name=op.f("fk_fin_period_balance_account_id_fin_account")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["fin_period.id"], name=op.f("fk_fin_period_balance_period_id_fin_period")
        ),
        sa.PrimaryKeyConstraint("period_id", "account_id", name=op.f("pk_fin_period_balance")),
    )
    bind = op.get_bind()
    periods = bind.execute(
        sa.text("SELECT id, year, month, status FROM fin_period ORDER BY year, month")
    ).all()
    sums = bind.execute(
        sa.text(
            "SELECT period_id, account_id, SUM(debit) - SUM(credit) FROM fin_journal_line "
            "GROUP BY period_id, account_id"
        )
    ).all()
    by_period = defaultdict(list)
    for period_id, account_id, amount in sums:
        by_period[period_id].append((account_id, amount))
    running: dict[int, object] = defaultdict(int)
    rows = []
    for period_id, _year, _month, status in periods:
        for account_id, amount in by_period[period_id]:
            running[account_id] += amount or 0
        if status in ("closed", "locked"):
            rows += [{"period_id": period_id, "account_id": a, "balance": b} for a, b in running.items() if b]
    if rows:
        op.bulk_insert(sealed, rows)


def downgrade() -> None:
    op.drop_table("fin_period_balance")
    op.drop_table("fin_entry_attachment")
    with op.batch_alter_table("fin_journal_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_fin_journal_entry_period_id_voucher_no"), type_="unique")
        batch_op.drop_column("voucher_no")
    with op.batch_alter_table("fin_period", schema=None) as batch_op:
        batch_op.drop_column("last_voucher")
