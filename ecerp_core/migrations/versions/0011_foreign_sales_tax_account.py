"""the chart gets 222105 应交税费-代收境外销售税: tax a foreign platform collects is not output VAT

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CODE = "222105"


def upgrade() -> None:
    bind = op.get_bind()
    # a database whose chart is not seeded yet gets the account with the rest of the template
    seeded = bind.execute(sa.text("SELECT 1 FROM fin_account WHERE code = '2221'")).first()
    there = bind.execute(sa.text("SELECT 1 FROM fin_account WHERE code = :c"), {"c": CODE}).first()
    if seeded and not there:
        bind.execute(
            sa.text(
                "INSERT INTO fin_account (code, name_zh, name_en, account_class, normal_side, parent_code, "
                "is_leaf, platform, currency, is_cash, user_added, active) VALUES (:c, :zh, :en, "
                "'liability', 'credit', '2221', :yes, NULL, NULL, :no, :no, :yes)"
            ),
            {
                "c": CODE,
                "zh": "应交税费-代收境外销售税",
                "en": "Taxes payable - foreign sales tax collected",
                "yes": True,
                "no": False,
            },
        )


def downgrade() -> None:
    bind = op.get_bind()
    used = bind.execute(
        sa.text(
            "SELECT 1 FROM fin_journal_line l JOIN fin_account a ON a.id = l.account_id WHERE a.code = :c"
        ),
        {"c": CODE},
    ).first()
    if not used:
        bind.execute(sa.text("DELETE FROM fin_account WHERE code = :c AND NOT user_added"), {"c": CODE})
