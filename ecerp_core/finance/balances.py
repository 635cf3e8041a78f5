"""Ledgers: the trial balance with its columns (科目余额表), the general ledger (总账) and the
subsidiary ledger (明细账).

All three read the journal in base currency over a range of periods (``"2026-10"`` to
``"2026-12"``). A balance is shown the way the books print it: an amount and its side (``debit``,
``credit`` or ``flat`` 平). Headings add up their sub-accounts, so 1122 shows every platform's
receivable; totals add up the first-level accounts only, so nothing counts twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Numeric, and_, case, func, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Shop, Supplier
from ecerp_core.errors import ValidationError, problem
from ecerp_core.finance.chart import account_name, ensure_chart
from ecerp_core.finance.memos import shown
from ecerp_core.finance.models import Account, JournalEntry, JournalLine, Period
from ecerp_core.finance.periods import month_bounds, parse_period
from ecerp_core.i18n import current_language, t

ZERO = Decimal("0.00")
AMOUNT = Numeric(18, 2)
"""The type of a sum of money computed in SQL (SQLite would hand back a float otherwise)."""
TRIAL_COLUMNS = (
    "account_code",
    "account_name",
    "opening_debit",
    "opening_credit",
    "debit",
    "credit",
    "closing_debit",
    "closing_credit",
)
GENERAL_COLUMNS = (
    "account_code",
    "account_name",
    "period",
    "opening_side",
    "opening",
    "debit",
    "credit",
    "ytd_debit",
    "ytd_credit",
    "closing_side",
    "closing",
)
DETAIL_COLUMNS = (
    "date",
    "voucher",
    "memo",
    "counterparty",
    "counter_accounts",
    "debit",
    "credit",
    "side",
    "balance",
)


def side_of(balance: Decimal) -> str:
    """``debit`` for a debit balance, ``credit`` for a credit one, ``flat`` (平) for none."""
    return "debit" if balance > 0 else "credit" if balance < 0 else "flat"


def period_range(start: str, end: str | None = None) -> tuple[dt.date, dt.date]:
    """The first day of period ``start`` and the last of ``end`` (default ``start``); a range that
    ends before it starts is a :class:`ValidationError`."""
    first, _ = month_bounds(*parse_period(start))
    _, last = month_bounds(*parse_period(end or start))
    if last < first:
        raise ValidationError([problem("period", "bad_window", value=f"{start} – {end}")])
    return first, last


class _Chart:
    """The chart read once: accounts by id and by code, and sums added up into the headings."""

    def __init__(self, session: Session) -> None:
        accounts = list(session.scalars(select(Account)))
        self.by_id = {a.id: a for a in accounts}
        self.by_code = {a.code: a for a in accounts}

    def first_level(self) -> list[str]:
        return sorted(c for c, a in self.by_code.items() if a.parent_code is None)

    def rolled_up(self, sums: dict[int, tuple[Decimal, ...]]) -> dict[str, list[Decimal]]:
        """Per-account sums, each added to its account and every heading above it, by code."""
        out: dict[str, list[Decimal]] = {}
        for account_id, values in sums.items():
            code: str | None = self.by_id[account_id].code
            while code is not None:
                have = out.setdefault(code, [ZERO] * len(values))
                for i, v in enumerate(values):
                    have[i] += v
                code = self.by_code[code].parent_code if code in self.by_code else None
        return out


def trial_balance_columns(
    session: Session, start: str, end: str | None = None, *, language: str | None = None
) -> dict:
    """科目余额表 of periods ``start``..``end``: per account (headings included), the opening balance,
    the period's debits and credits and the closing balance, each balance on its side."""
    language = language or current_language()
    ensure_chart(session)
    first, last = period_range(start, end)
    before = JournalLine.entry_date < first
    stmt = (
        select(
            JournalLine.account_id,
            func.sum(case((before, JournalLine.debit - JournalLine.credit), else_=0), type_=AMOUNT),
            func.sum(case((before, 0), else_=JournalLine.debit), type_=AMOUNT),
            func.sum(case((before, 0), else_=JournalLine.credit), type_=AMOUNT),
        )
        .where(JournalLine.entry_date <= last)
        .group_by(JournalLine.account_id)
    )
    sums = {a: tuple(Decimal(x or 0) for x in rest) for a, *rest in session.execute(stmt)}
    chart = _Chart(session)
    rolled = chart.rolled_up(sums)
    accounts = chart.by_code
    rows = []
    for code in sorted(rolled):
        opening, debit, credit = rolled[code]
        if not (opening or debit or credit):
            continue
        closing = opening + debit - credit
        account = accounts[code]
        rows.append(
            {
                "account_code": code,
                "account_name": account_name(account, language),
                "level": 1 if account.parent_code is None else 2 + (len(code) - 6) // 2,
                "opening_debit": max(opening, ZERO),
                "opening_credit": max(-opening, ZERO),
                "debit": debit,
                "credit": credit,
                "closing_debit": max(closing, ZERO),
                "closing_credit": max(-closing, ZERO),
            }
        )
    money = TRIAL_COLUMNS[2:]
    totals = {c: sum((r[c] for r in rows if r["level"] == 1), ZERO) for c in money}
    balanced = all(totals[f"{a}debit"] == totals[f"{a}credit"] for a in ("opening_", "", "closing_"))
    return {"start": first, "end": last, "rows": rows, "totals": totals, "balanced": balanced}


def general_ledger(
    session: Session,
    start: str,
    end: str | None = None,
    *,
    account: str | None = None,
    language: str | None = None,
) -> dict:
    """总账 of periods ``start``..``end``: per account and month, the opening balance, the month's
    debits and credits (本月合计), the year's so far (本年累计) and the closing balance.

    Without ``account``, every first-level account that moved or has a balance; with it, that
    account (a heading adds up its sub-accounts), every month of the range.
    """
    language = language or current_language()
    ensure_chart(session)
    first, last = period_range(start, end)
    chart = _Chart(session)
    shown = [_account(session, account).code] if account else chart.first_level()
    month_of = {p.id: (p.year, p.month) for p in session.scalars(select(Period))}
    stmt = (
        select(
            JournalLine.period_id,
            JournalLine.account_id,
            func.sum(JournalLine.debit),
            func.sum(JournalLine.credit),
        )
        .where(JournalLine.entry_date <= last)
        .group_by(JournalLine.period_id, JournalLine.account_id)
    )
    months: dict[tuple[int, int], dict[int, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for period_id, account_id, debit, credit in session.execute(stmt):
        months[month_of[period_id]][account_id] = (Decimal(debit or 0), Decimal(credit or 0))
    opening: dict[str, Decimal] = defaultdict(lambda: ZERO)
    ytd: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for key in sorted(k for k in months if k < (first.year, first.month)):
        for code, (debit, credit) in chart.rolled_up(months[key]).items():
            opening[code] += debit - credit
            if key[0] == first.year:
                ytd[code][0] += debit
                ytd[code][1] += credit
    rows = []
    period = (first.year, first.month)
    while period <= (last.year, last.month):
        if period[1] == 1:
            ytd.clear()
        rolled = chart.rolled_up(months.get(period, {}))
        for code in shown:
            debit, credit = rolled.get(code, (ZERO, ZERO))
            ytd[code][0] += debit
            ytd[code][1] += credit
            before, after = opening[code], opening[code] + debit - credit
            opening[code] = after
            if account or before or debit or credit:
                rows.append(
                    {
                        "account_code": code,
                        "account_name": account_name(chart.by_code[code], language),
                        "period": f"{period[0]:04d}-{period[1]:02d}",
                        "opening_side": side_of(before),
                        "opening": abs(before),
                        "debit": debit,
                        "credit": credit,
                        "ytd_debit": ytd[code][0],
                        "ytd_credit": ytd[code][1],
                        "closing_side": side_of(after),
                        "closing": abs(after),
                    }
                )
        period = (period[0] + period[1] // 12, period[1] % 12 + 1)
    rows.sort(key=lambda r: (r["account_code"], r["period"]))
    return {"start": first, "end": last, "rows": rows}


def _account(session: Session, code: str) -> Account:
    found = session.scalar(select(Account).where(Account.code == code))
    if found is None:
        raise ValidationError([problem("account", "unknown_account", value=code)])
    return found


def subsidiary_ledger(
    session: Session, code: str, start: str, end: str | None = None, *, language: str | None = None
) -> dict:
    """明细账 of account ``code`` (a heading includes its sub-accounts) over periods ``start``..``end``:
    the opening balance, every line with its voucher, memo, counterparty (supplier, shop or
    platform), the other accounts of its voucher (对方科目) and the running balance, and the closing.
    """
    language = language or current_language()
    ensure_chart(session)
    first, last = period_range(start, end)
    account = _account(session, code)
    within = Account.code.startswith(code)
    opening = Decimal(
        session.scalar(
            select(func.sum(JournalLine.debit - JournalLine.credit, type_=AMOUNT))
            .join(Account, Account.id == JournalLine.account_id)
            .where(within, JournalLine.entry_date < first)
        )
        or ZERO
    )
    stmt = (
        select(
            JournalLine.entry_id,
            JournalLine.entry_date,
            JournalEntry.entry_number,
            func.coalesce(func.nullif(JournalLine.memo, ""), JournalEntry.memo).label("memo"),
            JournalLine.debit,
            JournalLine.credit,
            JournalLine.supplier_id,
            JournalLine.shop_id,
            JournalLine.platform,
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Account, Account.id == JournalLine.account_id)
        .where(within, and_(JournalLine.entry_date >= first, JournalLine.entry_date <= last))
        .order_by(JournalLine.entry_date, JournalEntry.number, JournalLine.line_no)
    )
    found = list(session.execute(stmt))
    counters = _counter_accounts(session, code, {r.entry_id for r in found})
    parties = _parties(session, found, language)
    balance, debit_total, credit_total = opening, ZERO, ZERO
    lines = []
    for r in found:
        balance += r.debit - r.credit
        debit_total += r.debit
        credit_total += r.credit
        lines.append(
            {
                "date": r.entry_date,
                "voucher": r.entry_number,
                "memo": shown(r.memo, language),
                "counterparty": parties(r),
                "counter_accounts": " ".join(counters.get(r.entry_id, ())),
                "debit": r.debit,
                "credit": r.credit,
                "side": side_of(balance),
                "balance": abs(balance),
            }
        )
    return {
        "account_code": account.code,
        "account_name": account_name(account, language),
        "start": first,
        "end": last,
        "opening_side": side_of(opening),
        "opening": abs(opening),
        "lines": lines,
        "debit": debit_total,
        "credit": credit_total,
        "closing_side": side_of(balance),
        "closing": abs(balance),
    }


def _counter_accounts(session: Session, code: str, entry_ids: set[int]) -> dict[int, list[str]]:
    """Per entry, the codes of its lines on other accounts than ``code``'s (sorted, once each)."""
    out: dict[int, set[str]] = defaultdict(set)
    ids = sorted(entry_ids)
    for i in range(0, len(ids), 500):
        stmt = (
            select(JournalLine.entry_id, Account.code)
            .join(Account, Account.id == JournalLine.account_id)
            .where(JournalLine.entry_id.in_(ids[i : i + 500]), ~Account.code.startswith(code))
        )
        for entry_id, other in session.execute(stmt):
            out[entry_id].add(other)
    return {k: sorted(v) for k, v in out.items()}


def _parties(session: Session, rows: list, language: str):
    suppliers = {r.supplier_id for r in rows if r.supplier_id}
    shops = {r.shop_id for r in rows if r.shop_id}
    supplier_names = dict(
        session.execute(select(Supplier.id, Supplier.name).where(Supplier.id.in_(suppliers))).all()
    )
    shop_names = dict(session.execute(select(Shop.id, Shop.name).where(Shop.id.in_(shops))).all())

    def name(r) -> str:
        if r.supplier_id:
            return supplier_names.get(r.supplier_id, "")
        if r.shop_id:
            return shop_names.get(r.shop_id, "")
        return t(f"choice.platform.{r.platform}", language) if r.platform else ""

    return name


def read_trial_balance_columns(
    session: Session, actor: Actor, start: str, end: str | None = None, *, language: str | None = None
) -> dict:
    """:func:`trial_balance_columns` for a user who may read the books (``finance.read``)."""
    require(actor, "finance.read")
    return trial_balance_columns(session, start, end, language=language)


def read_general_ledger(
    session: Session,
    actor: Actor,
    start: str,
    end: str | None = None,
    *,
    account: str | None = None,
    language: str | None = None,
) -> dict:
    """:func:`general_ledger` for a user who may read the books (``finance.read``)."""
    require(actor, "finance.read")
    return general_ledger(session, start, end, account=account, language=language)


def read_subsidiary_ledger(
    session: Session,
    actor: Actor,
    code: str,
    start: str,
    end: str | None = None,
    *,
    language: str | None = None,
) -> dict:
    """:func:`subsidiary_ledger` for a user who may read the books (``finance.read``)."""
    require(actor, "finance.read")
    return subsidiary_ledger(session, code, start, end, language=language)


def printed_rows(report: str, data: dict, language: str | None = None) -> list[dict]:
    """A ledger's rows as printed (the CLI's table and files, the app's screen and downloads): the
    trial balance with its total row, the general ledger, the subsidiary ledger between its opening
    and its closing row; balance sides in words (借 / 贷 / 平). Rows to print bold have ``is_total``."""
    language = language or current_language()
    if report == "trial_balance":
        total = {"account_name": t("finance.ledger.total", language), **data["totals"], "is_total": True}
        rows = [*data["rows"], total]
    elif report == "general":
        rows = data["rows"]
    else:
        opening = {
            "memo": t("finance.ledger.opening", language),
            "side": data["opening_side"],
            "balance": data["opening"],
        }
        closing = {
            "memo": t("finance.ledger.closing", language),
            "debit": data["debit"],
            "credit": data["credit"],
            "side": data["closing_side"],
            "balance": data["closing"],
            "is_total": True,
        }
        rows = [opening, *data["lines"], closing]
    return [
        {k: t(f"finance.side.{v}", language) if k.endswith("side") and v else v for k, v in r.items()}
        for r in rows
    ]
