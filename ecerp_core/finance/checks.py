"""Invariants of the books for ``ecerp check``; each returns human-readable failures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.finance.closing import unbalanced_entries
from ecerp_core.finance.models import Account, JournalLine, Period, SettlementLine
from ecerp_core.finance.statements import INVENTORY, balance_sheet, cash_flow, period_totals
from ecerp_core.invariants import LIMIT
from ecerp_core.orders.models import Order
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


CHECKS = [
    every_entry_balances,
    balance_sheet_balances,
    inventory_matches_stock,
    receivables_match_orders,
    closing_cash_matches,
]
