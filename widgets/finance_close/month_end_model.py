"""The VAT and Export screen's state and its calls into the finance core: the month's VAT close and
payment, and its vouchers for 用友 / 金蝶. No widgets here."""

from __future__ import annotations

import datetime as dt

from ecerp_core.catalog.company import business_date
from ecerp_core.finance import payments, periods, vat, voucher_export
from ecerp_core.finance.chart import account_name
from ecerp_core.finance.vat import VatClose
from widgets.common.actor import AppContext


class MonthEndModel:
    """The month on screen and the last VAT close made from the screen."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.period: str | None = None
        self.last_close: VatClose | None = None

    def period_codes(self) -> list[str]:
        with self.ctx.session(readonly=True) as session:
            return [p.code for p in periods.list_periods(session)]

    def today(self) -> dt.date:
        with self.ctx.session(readonly=True) as session:
            return business_date(session)

    def banks(self, language: str) -> list[tuple[str, str]]:
        with self.ctx.session(readonly=True) as session:
            return [
                (f"{a.code} {account_name(a, language)}", a.code) for a in payments.cash_accounts(session)
            ]

    def close_vat(self) -> VatClose:
        with self.ctx.session() as session:
            self.last_close = vat.close_vat(session, self.ctx.actor, self.period)
        return self.last_close

    def pay_vat(self, day: dt.date, bank: str | None) -> tuple[str, object]:
        with self.ctx.session() as session:
            return vat.pay_vat(session, self.ctx.actor, self.period, day, bank=bank)

    def voucher_file(self, fmt: str) -> tuple[bytes, str, int]:
        """The month's vouchers in ``fmt``: the bytes, the file's name and the number of lines."""
        with self.ctx.session(readonly=True) as session:
            data, count = voucher_export.voucher_file(session, self.ctx.actor, self.period, fmt)
        return data, voucher_export.FILE_NAMES[fmt].format(period=self.period), count
