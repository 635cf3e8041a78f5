"""Invariants of the books for ``ecerp check``; each returns human-readable failures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.finance.closing import balances_by_period, unbalanced_entries
from ecerp_core.finance.journal import OPENING_KIND
from ecerp_core.finance.models import (
    Account,
    JournalEntry,
    JournalLine,
    Period,
    PeriodBalance,
    SettlementLine,
)
from ecerp_core.finance.opening import opening_balances, opening_inventory
from ecerp_core.finance.statements import INVENTORY, balance_sheet, cash_flow, period_totals
from ecerp_core.invariants import LIMIT
from ecerp_core.orders.models import Order
from ecerp_core.stock.opening import opening_stock, opening_stock_value
from ecerp_core.stock.valuation import values_at

ZERO = Decimal("0")


def _periods(session: Session) -> list[Period]:
    return list(
        session.scalars(
            select(Period)
            .join(JournalLine, JournalLine.period_id == Period.id)
            .distinct()
            .order_by(Period.year, Period.month)
        )
    )


def every_entry_balances(session: Session) -> list[str]:
    """Σ debit == Σ credit in base currency, entry by entry."""
    return [f"finance: entry {n} does not balance" for n in unbalanced_entries(session)[:LIMIT]]


def balance_sheet_balances(session: Session) -> list[str]:
    """Total assets == total liabilities + equity at every month end with postings."""
    periods = _periods(session)
    if not periods:
        return []
    tot = period_totals(session, periods[-1].end_date)
    failures = []
    for p in periods:
        bs = balance_sheet(tot, p.year, p.month)
        le = bs["total_liabilities"] + bs["total_equity"]
        if bs["total_assets"] != le:
            failures.append(
                f"finance: balance sheet {p.code}: assets {bs['total_assets']} ≠ liabilities + equity {le}"
            )
    return failures[:LIMIT]


def inventory_matches_stock(session: Session) -> list[str]:
    """The inventory accounts (库存商品 ...) equal the stock's value — in the warehouses and in transit
    between them (Σ quantity × unit cost) — at the end of every month with postings, and now.

    Both sides are read once, as daily totals, and compared with running sums.
    """
    if session.scalar(select(JournalLine.id).limit(1)) is None:
        return []
    daily = (
        select(JournalLine.entry_date, func.sum(JournalLine.debit) - func.sum(JournalLine.credit))
        .join(Account, Account.id == JournalLine.account_id)
        .where(Account.code.in_(INVENTORY))
        .group_by(JournalLine.entry_date)
    )
    booked = sorted((day, Decimal(amount or 0)) for day, amount in session.execute(daily))
    ends = [p.end_date for p in _periods(session)]
    days = [*ends, dt.date.max]  # date.max: everything posted and moved so far
    stock = values_at(session, days)
    failures, books, n = [], ZERO, 0
    for day in days:
        while n < len(booked) and booked[n][0] <= day:
            books += booked[n][1]
            n += 1
        warehouses, transit = stock[day]
        value = warehouses + transit
        if books != value:
            when = "now" if day == dt.date.max else f"at {day}"
            failures.append(
                f"finance: inventory accounts {when} {books} ≠ stock value {value} (in warehouses "
                f"{warehouses}, in transit {transit}; difference {books - value})"
            )
    return failures[:LIMIT]


def receivables_match_orders(session: Session) -> list[str]:
    """Each platform receivable (in the orders' currency) equals its shipped orders not yet settled."""
    booked = dict(
        session.execute(
            select(JournalLine.platform, func.sum(JournalLine.amount_currency))
            .join(Account, Account.id == JournalLine.account_id)
            .where(Account.code.startswith("1122"))
            .group_by(JournalLine.platform)
        ).all()
    )
    if not booked:
        return []
    shipped = dict(
        session.execute(
            select(Order.platform, func.sum(Order.total_amount - Order.refunded_amount))
            .where(Order.shipped_at.is_not(None))
            .group_by(Order.platform)
        ).all()
    )
    settled = dict(
        session.execute(
            select(Order.platform, func.sum(SettlementLine.amount))
            .join(Order, Order.id == SettlementLine.order_id)
            .where(SettlementLine.status == "matched", SettlementLine.line_type.in_(("sale", "refund")))
            .group_by(Order.platform)
        ).all()
    )
    failures = []
    for platform in sorted(set(booked) | set(shipped), key=str):
        if platform is None:
            continue
        want = Decimal(shipped.get(platform) or 0) - Decimal(settled.get(platform) or 0)
        have = Decimal(booked.get(platform) or 0)
        if want != have:
            failures.append(
                f"finance: receivable of {platform} is {have} but its open orders add up to {want}"
            )
    return failures


def closing_cash_matches(session: Session) -> list[str]:
    """The cash-flow statement's closing cash == opening + flows == the cash and bank accounts."""
    periods = _periods(session)
    if not periods:
        return []
    tot = period_totals(session, periods[-1].end_date)
    failures = []
    for p in periods:
        cf = cash_flow(tot, p.year, p.month)
        cash = Decimal(
            session.scalar(
                select(func.sum(JournalLine.debit) - func.sum(JournalLine.credit))
                .join(Account, Account.id == JournalLine.account_id)
                .where(Account.is_cash.is_(True), JournalLine.entry_date <= p.end_date)
            )
            or 0
        )
        if cf["opening_cash"] + cf["net_change_in_cash"] != cf["closing_cash"] or cf["closing_cash"] != cash:
            failures.append(
                f"finance: cash flow {p.code}: opening {cf['opening_cash']} "
                f"+ change {cf['net_change_in_cash']} vs closing {cf['closing_cash']} vs cash and bank {cash}"
            )
    return failures[:LIMIT]


def openings_agree(session: Session) -> list[str]:
    """The opening stock's value == the opening entry's balance on the inventory accounts (1405 …)."""
    stock, balances = opening_stock(session), opening_balances(session)
    if not stock and not balances:
        return []
    value, books = opening_stock_value(stock), opening_inventory(balances)
    if value != books:
        return [
            f"finance: opening stock is worth {value} but the opening entry puts {books} on the inventory "
            f"accounts (difference {books - value})"
        ]
    return []


def opening_entry_is_sound(session: Session) -> list[str]:
    """At most one opening entry; it balances, no other entry is dated on or before it, and its
    period is closed."""
    entries = session.execute(
        select(JournalEntry.entry_number, JournalEntry.entry_date, Period.status)
        .join(Period, Period.id == JournalEntry.period_id)
        .where(JournalEntry.kind == OPENING_KIND)
        .order_by(JournalEntry.id)
    ).all()
    if not entries:
        return []
    failures = []
    if len(entries) > 1:
        failures.append(
            f"finance: {len(entries)} opening entries ({', '.join(e.entry_number for e in entries)})"
        )
    number, day, status = entries[0]
    if number in unbalanced_entries(session, day, day):
        failures.append(f"finance: opening entry {number} does not balance")
    earlier = session.scalar(
        select(func.min(JournalEntry.entry_date)).where(JournalEntry.kind != OPENING_KIND)
    )
    if earlier is not None and earlier <= day:
        failures.append(f"finance: an entry dated {earlier} is not after the opening entry {number} ({day})")
    if status == "open":
        failures.append(f"finance: the period of the opening entry {number} is still open")
    return failures


def closed_periods_unchanged(session: Session) -> list[str]:
    """Every closed or locked period's balances are still those sealed at its close."""
    closed = list(
        session.scalars(select(Period).where(Period.status != "open").order_by(Period.year, Period.month))
    )
    if not closed:
        return []
    now = balances_by_period(session)
    sealed: dict[int, dict[int, Decimal]] = {}
    for period_id, account_id, balance in session.execute(
        select(PeriodBalance.period_id, PeriodBalance.account_id, PeriodBalance.balance)
    ):
        sealed.setdefault(period_id, {})[account_id] = Decimal(balance)
    codes = dict(session.execute(select(Account.id, Account.code)).all())
    failures = []
    for p in closed:
        have, had = now.get(p.id, {}), sealed.get(p.id, {})
        changed = sorted(
            (codes[a], had.get(a, ZERO), have.get(a, ZERO))
            for a in set(have) | set(had)
            if have.get(a, ZERO) != had.get(a, ZERO)
        )
        if changed:
            detail = ", ".join(f"{code} {old} -> {new}" for code, old, new in changed[:5])
            failures.append(f"finance: closed period {p.code} changed since its close: {detail}")
    return failures[:LIMIT]


def periods_follow_each_other(session: Session) -> list[str]:
    """The periods are consecutive months: none missing between the first and the last."""
    months = [p.year * 12 + p.month - 1 for p in session.scalars(select(Period))]
    have = set(months)
    missing = [n for n in range(min(months, default=0), max(months, default=0)) if n not in have]
    return [f"finance: no period for {n // 12:04d}-{n % 12 + 1:02d} between two periods" for n in missing][
        :LIMIT
    ]


CHECKS = [
    every_entry_balances,
    openings_agree,
    opening_entry_is_sound,
    balance_sheet_balances,
    inventory_matches_stock,
    receivables_match_orders,
    closing_cash_matches,
    closed_periods_unchanged,
    periods_follow_each_other,
]
