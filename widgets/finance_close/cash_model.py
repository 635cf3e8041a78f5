"""The Cash screen's state and its calls into the finance core: pay a supplier, receive a shop's or
a customer's payment, transfer between banks, and the payables / receivables aging. No widgets."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from ecerp_core.catalog.company import business_date
from ecerp_core.catalog.services import choices
from ecerp_core.finance import aging, payments
from ecerp_core.finance.chart import account_name
from ecerp_core.i18n import t
from ecerp_core.sheets import csv_text, write_table_xlsx
from widgets.common.actor import AppContext

ACTIONS = ("pay", "receive", "transfer")
SIDES = ("payables", "receivables")


class CashModel:
    """The aging on screen (``side`` on ``as_of``) and the payments posted from the screen."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.side = "payables"
        self.as_of: dt.date | None = None
        self.report: dict | None = None

    def today(self) -> dt.date:
        with self.ctx.session(readonly=True) as session:
            return business_date(session)

    def parties(self, kind: str) -> list[tuple[str, int]]:
        """``[("S1 供应商一", 1)]`` of the active suppliers, shops or customers."""
        with self.ctx.session(readonly=True) as session:
            return choices(session, self.ctx.actor, kind)

    def banks(self, language: str) -> list[tuple[str, str]]:
        with self.ctx.session(readonly=True) as session:
            return [
                (f"{a.code} {account_name(a, language)}", a.code) for a in payments.cash_accounts(session)
            ]

    def post(
        self,
        action: str,
        amount: Decimal,
        day: dt.date,
        *,
        party: int | None = None,
        payer: str = "shop",
        bank: str | None = None,
        target: str | None = None,
        reference: str = "",
    ) -> str:
        """Post one payment (``pay``, ``receive`` or ``transfer``); returns its voucher number."""
        with self.ctx.session() as session:
            actor = self.ctx.actor
            if action == "pay":
                doc = payments.pay_supplier(
                    session, actor, party, amount, day, bank=bank, reference=reference
                )
            elif action == "receive":
                who = {"shop_id": party} if payer == "shop" else {"customer_id": party}
                doc = payments.receive_payment(
                    session, actor, amount, day, bank=bank, reference=reference, **who
                )
            else:
                doc = payments.transfer_funds(session, actor, bank, target, amount, day, reference=reference)
            return payments.voucher_number(session, doc.entry_id)

    def load_aging(self, language: str) -> dict:
        with self.ctx.session(readonly=True) as session:
            day = self.as_of or business_date(session)
            self.report = aging.read_aging(session, self.ctx.actor, self.side, day, language=language)
        return self.report

    def rows(self, language: str) -> list[dict]:
        return aging.printed_rows(self.report, language) if self.report else []

    def csv(self, language: str) -> str:
        return csv_text(self.rows(language), aging.COLUMNS)

    def xlsx(self, language: str) -> bytes:
        buf = io.BytesIO()
        write_table_xlsx(
            self.rows(language),
            aging.COLUMNS,
            buf,
            title=t(f"finance.aging.{self.side}", language),
            subtitle=self.report["as_of"].isoformat() if self.report else "",
            column_titles={c: t(f"finance.aging.col.{c}", language) for c in aging.COLUMNS},
        )
        return buf.getvalue()
