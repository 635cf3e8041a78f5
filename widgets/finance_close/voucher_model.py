"""The voucher screen's state and its calls into :mod:`ecerp_core.finance.vouchers`. No widgets here.

A voucher being entered is a list of :class:`LineInput` (what the clerk typed); :meth:`totals` reads
them as the core reads them, so the totals on screen are the ones the posting will check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ecerp_core.catalog.company import business_date
from ecerp_core.errors import NotFound, ValidationError
from ecerp_core.finance import vouchers
from ecerp_core.finance.journal import LineDraft
from ecerp_core.query import Page
from widgets.common.actor import AppContext
from widgets.common.grid import Column, PageRequest

ZERO = Decimal("0")
VOUCHER_COLUMNS = (
    Column("voucher_no", "vouchers.col.voucher_no"),
    Column("entry_number", "vouchers.col.entry"),
    Column("date", "vouchers.col.date"),
    Column("memo", "vouchers.col.memo"),
    Column("total", "vouchers.col.total", "right"),
    Column("reversed_by", "vouchers.col.reversed_by"),
)


@dataclass(frozen=True)
class LineInput:
    """One line as typed: the account picked (``"6602 管理费用"`` or a bare code), debit, credit, memo."""

    account: str = ""
    debit: str = ""
    credit: str = ""
    memo: str = ""

    @property
    def code(self) -> str:
        return self.account.strip().split(" ", 1)[0] if self.account.strip() else ""

    @property
    def blank(self) -> bool:
        return not (self.code or self.debit.strip() or self.credit.strip())


@dataclass(frozen=True)
class Totals:
    """The debit and credit totals of the lines typed; ``readable`` is False while an amount is not a
    number."""

    debit: Decimal
    credit: Decimal
    readable: bool = True

    @property
    def difference(self) -> Decimal:
        return self.debit - self.credit

    @property
    def balanced(self) -> bool:
        return self.readable and self.debit > 0 and self.debit == self.credit


class VoucherModel:
    """The voucher on screen (its lines), the list of vouchers and the one opened."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.period: str | None = None  # None: every period
        self.opened: dict | None = None

    @property
    def may_post(self) -> bool:
        return self.ctx.actor.can("finance.post")

    def today(self) -> dt.date:
        """The company's business date: a new voucher's default day."""
        with self.ctx.session(readonly=True) as session:
            return business_date(session)

    # --- entering ---------------------------------------------------------------------------------
    def account_options(self) -> list[str]:
        """Every posting account as ``"code name"`` in the app's language: the picker filters them by
        code or name as the clerk types (none for a user who may not read the books)."""
        if not self.ctx.actor.can("finance.read"):
            return []
        with self.ctx.session(readonly=True) as session:
            found = vouchers.search_accounts(
                session, self.ctx.actor, language=self.ctx.i18n.language, limit=5000
            )
        return [f"{a['code']} {a['name']}" for a in found]

    @staticmethod
    def totals(lines: list[LineInput]) -> Totals:
        debit = credit = ZERO
        for x in lines:
            try:
                debit += vouchers.parse_amount(x.debit, "debit")
                credit += vouchers.parse_amount(x.credit, "credit")
            except ValidationError:
                return Totals(debit, credit, readable=False)
        return Totals(debit, credit)

    def post(
        self, day: dt.date | None, memo: str, lines: list[LineInput], attachments: str
    ) -> vouchers.PostedVoucher:
        """Post the voucher typed (blank lines left out); named errors say what is wrong."""
        drafts = tuple(
            LineDraft(
                x.code,
                debit=vouchers.parse_amount(x.debit, "debit"),
                credit=vouchers.parse_amount(x.credit, "credit"),
                memo=x.memo.strip(),
            )
            for x in lines
            if not x.blank
        )
        names = tuple(n.strip() for n in attachments.replace("；", ";").split(";") if n.strip())
        draft = vouchers.VoucherDraft(day, drafts, memo.strip(), names)
        with self.ctx.session() as session:
            return vouchers.post_voucher(session, self.ctx.actor, draft)

    # --- the list, one voucher, reversal --------------------------------------------------------
    def fetch(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            rows = vouchers.list_vouchers(
                session, self.ctx.actor, self.period, language=self.ctx.i18n.language
            )
        rows.reverse()  # the latest first
        page = rows[request.offset : request.offset + request.limit]
        return Page(page, len(rows), request.offset, request.limit)

    def open(self, entry_number: str) -> dict:
        with self.ctx.session(readonly=True) as session:
            self.opened = vouchers.voucher_detail(
                session, self.ctx.actor, entry_number, language=self.ctx.i18n.language
            )
        return self.opened

    def reverse(self, day: dt.date | None) -> vouchers.PostedVoucher:
        if not self.opened:
            raise NotFound(entity="entity.voucher", key="-")
        with self.ctx.session() as session:
            posted = vouchers.reverse_voucher(session, self.ctx.actor, self.opened["entry_number"], day)
        self.open(self.opened["entry_number"])
        return posted
