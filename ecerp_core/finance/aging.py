"""Payables and receivables aging (账龄分析): what is open, by supplier or platform, 0-30/31-60/61-90/90+.

The documents are the account's own journal lines, in base currency: on 应付账款 (2202) a credit
(goods received) opens an amount owed to the line's supplier and a debit (a payment, a return)
relieves it; on 应收账款 (1122) a debit (a sale) opens an amount owed by the line's platform and a
credit (a settlement, a receipt, a refund) relieves it. Payments are allocated **first in, first
out**: each relief clears the oldest open amounts of the same party; what a relief leaves over (a
supplier paid ahead) stays as a negative amount dated on that day and is used up by the next
documents. An open amount's age is ``as_of`` − its date. So a party's buckets add up to its balance
and the report's total is the balance of 2202 / 1122 on ``as_of`` (lines without a supplier or
platform show as one party, "unassigned").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Supplier
from ecerp_core.errors import ValidationError, problem
from ecerp_core.finance.chart import ensure_chart
from ecerp_core.finance.models import Account, JournalLine
from ecerp_core.i18n import current_language, t

ZERO = Decimal("0.00")
SIDES = {"payables": ("2202", -1), "receivables": ("1122", 1)}
"""Each report: the account it reads and the sign that makes an amount owed positive."""
BUCKETS = ("days_0_30", "days_31_60", "days_61_90", "days_over_90")
COLUMNS = ("party_code", "party_name", *BUCKETS, "total")


def bucket_of(days: int) -> str:
    """The bucket of an amount ``days`` old.

    >>> bucket_of(0), bucket_of(30), bucket_of(31), bucket_of(90), bucket_of(91)
    ('days_0_30', 'days_0_30', 'days_31_60', 'days_61_90', 'days_over_90')
    """
    if days <= 30:
        return BUCKETS[0]
    if days <= 60:
        return BUCKETS[1]
    if days <= 90:
        return BUCKETS[2]
    return BUCKETS[3]


def allocate_fifo(movements: list[tuple[dt.date, Decimal]]) -> list[tuple[dt.date, Decimal]]:
    """The amounts still open after reliefs clear the oldest first (amounts owed positive).

    >>> d = dt.date
    >>> allocate_fifo([(d(2026, 1, 5), Decimal("100")), (d(2026, 2, 5), Decimal("50")),
    ...                (d(2026, 2, 10), Decimal("-120"))])
    [(datetime.date(2026, 2, 5), Decimal('30'))]
    >>> allocate_fifo([(d(2026, 1, 5), Decimal("-40")), (d(2026, 2, 5), Decimal("30"))])
    [(datetime.date(2026, 1, 5), Decimal('-10'))]
    """
    open_: deque[list] = deque()  # [date, amount], all of one sign
    for day, amount in movements:
        while amount and open_ and (open_[0][1] > 0) != (amount > 0):
            used = min(abs(amount), abs(open_[0][1]))
            step = used if amount > 0 else -used
            open_[0][1] += step
            amount -= step
            if not open_[0][1]:
                open_.popleft()
        if amount:
            open_.append([day, amount])
    return [(day, amount) for day, amount in open_]


def aging(session: Session, side: str, as_of: dt.date, *, language: str | None = None) -> dict:
    """The aging of ``side`` (``payables`` or ``receivables``) on ``as_of``: one row per party with
    :data:`COLUMNS`, their totals, and the account's balance they tie to."""
    if side not in SIDES:
        raise ValidationError([problem("side", "not_a_choice", value=side, choices="payables, receivables")])
    language = language or current_language()
    ensure_chart(session)
    prefix, sign = SIDES[side]
    party = JournalLine.supplier_id if side == "payables" else JournalLine.platform
    stmt = (
        select(party.label("party"), JournalLine.entry_date, JournalLine.debit, JournalLine.credit)
        .join(Account, Account.id == JournalLine.account_id)
        .where(Account.code.startswith(prefix), JournalLine.entry_date <= as_of)
        .order_by(JournalLine.entry_date, JournalLine.entry_id, JournalLine.line_no)
    )
    moves: dict[object, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    balance = ZERO
    for row in session.execute(stmt):
        amount = sign * (Decimal(row.debit) - Decimal(row.credit))
        moves[row.party].append((row.entry_date, amount))
        balance += amount
    names = _party_names(session, side, [p for p in moves if p is not None], language)
    rows = []
    for key, found in moves.items():
        row = {"party_code": names[key][0], "party_name": names[key][1], **dict.fromkeys(BUCKETS, ZERO)}
        for day, amount in allocate_fifo(found):
            row[bucket_of((as_of - day).days)] += amount
        row["total"] = sum((row[b] for b in BUCKETS), ZERO)
        if any(row[b] for b in BUCKETS):
            rows.append(row)
    rows.sort(key=lambda r: (r["party_code"] == "", r["party_code"]))
    totals = {c: sum((r[c] for r in rows), ZERO) for c in (*BUCKETS, "total")}
    return {"side": side, "as_of": as_of, "rows": rows, "totals": totals, "account_balance": balance}


def _party_names(session: Session, side: str, keys: list, language: str) -> dict:
    names: dict[object, tuple[str, str]] = defaultdict(lambda: ("", t("finance.aging.unassigned", language)))
    if side == "payables":
        for s in session.scalars(select(Supplier).where(Supplier.id.in_(keys))):
            names[s.id] = (s.code, s.name)
    else:
        for platform in keys:
            names[platform] = (platform, t(f"choice.platform.{platform}", language))
    return names


def read_aging(
    session: Session, actor: Actor, side: str, as_of: dt.date, *, language: str | None = None
) -> dict:
    """:func:`aging` for a user who may read the books (``finance.read``)."""
    require(actor, "finance.read")
    return aging(session, side, as_of, language=language)


def printed_rows(report: dict, language: str | None = None) -> list[dict]:
    """The aging's rows and a bold (``is_total``) total row, as the CLI and the app print them."""
    language = language or current_language()
    total = {"party_name": t("finance.aging.col.total", language), **report["totals"], "is_total": True}
    return [*report["rows"], total]
