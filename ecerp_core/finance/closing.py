"""Closing a period (月结): the checklist of what stops it, the P&L carry-forward, and the close.

The period's status itself moves only in :mod:`ecerp_core.finance.periods`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date, company_timezone
from ecerp_core.db import insert_rows
from ecerp_core.events import SaleShipped
from ecerp_core.finance import fx, periods
from ecerp_core.finance.exceptions import CloseBlocked, PeriodNotEnded, PeriodState
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entries, signed
from ecerp_core.finance.memos import memo as stored
from ecerp_core.finance.models import (
    Account,
    JournalEntry,
    JournalLine,
    Period,
    PeriodBalance,
    PostedEvent,
    SettlementLine,
)
from ecerp_core.i18n import t
from ecerp_core.orders.models import Order

ZERO = Decimal("0")
CLOSING_KINDS = ("closing", "year_end")
PROFIT_ACCOUNT = "4103"
RETAINED_ACCOUNT = "410401"


def unbalanced_entries(
    session: Session, start: dt.date | None = None, end: dt.date | None = None
) -> list[str]:
    stmt = (
        select(JournalEntry.entry_number)
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .group_by(JournalEntry.id, JournalEntry.entry_number)
        .having(func.round(func.sum(JournalLine.debit) - func.sum(JournalLine.credit), 2) != 0)
    )
    if start:
        stmt = stmt.where(JournalEntry.entry_date >= start)
    if end:
        stmt = stmt.where(JournalEntry.entry_date <= end)
    return list(session.scalars(stmt))


def unmatched_settlement_lines(session: Session, end: dt.date) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(SettlementLine)
            .where(SettlementLine.status == "unmatched", SettlementLine.business_date <= end)
        )
        or 0
    )


def unposted_shipments(session: Session, start: dt.date, end: dt.date) -> list[int]:
    """Orders shipped in the period (by the company's day) with no ``sale.shipped`` posting: the one
    place finance reads the orders' tables, to reconcile what was shipped with what was booked."""
    zone = company_timezone(session)
    lo = dt.datetime.combine(start, dt.time(), zone).astimezone(dt.UTC)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    posted = select(PostedEvent.order_id).where(
        PostedEvent.kind == SaleShipped.kind, PostedEvent.order_id.is_not(None)
    )
    stmt = (
        select(Order.id)
        .where(Order.shipped_at >= lo, Order.shipped_at < hi, Order.id.not_in(posted))
        .order_by(Order.id)
    )
    return list(session.scalars(stmt))


def revaluation_due(session: Session, period: Period) -> bool:
    """Foreign-currency balances exist and the period's revaluation has not been posted."""
    return bool(fx.revaluation_lines(session, period.end_date)) and not fx.revaluation_done(session, period)


def close_problems(session: Session, period: Period) -> list[str]:
    """Everything that stops ``period`` from closing, as messages in the current language."""
    found = []
    bad = unbalanced_entries(session, period.start_date, period.end_date)
    if bad:
        found.append(t("finance.close.unbalanced", count=len(bad), entries=", ".join(bad[:5])))
    unmatched = unmatched_settlement_lines(session, period.end_date)
    if unmatched:
        found.append(t("finance.close.unmatched", count=unmatched))
    unposted = unposted_shipments(session, period.start_date, period.end_date)
    if unposted:
        found.append(t("finance.close.unposted", count=len(unposted)))
    if revaluation_due(session, period):
        found.append(t("finance.close.revaluation_due"))
    return found


def _balances(
    session: Session, where, code: str | None = None, account_class: str | None = None
) -> dict[str, Decimal]:
    """``{account code: debit − credit}`` of the lines ``where`` says, for accounts with a balance."""
    balance = func.sum(JournalLine.debit) - func.sum(JournalLine.credit)
    stmt = (
        select(Account.code, balance.label("balance"))
        .join(JournalLine, JournalLine.account_id == Account.id)
        .where(where)
        .group_by(Account.code)
        .order_by(Account.code)
    )
    if account_class:
        stmt = stmt.where(Account.account_class == account_class)
    if code:
        stmt = stmt.where(Account.code == code)
    return {row.code: Decimal(row.balance or 0) for row in session.execute(stmt) if row.balance}


def carry_profit(session: Session, actor: Actor, period: Period) -> tuple[str | None, str | None]:
    """Post the closing entry (损益类 → 4103 本年利润) and, in December, 4103 → 410401."""
    require(actor, "finance.close")
    in_period = and_(JournalLine.entry_date >= period.start_date, JournalLine.entry_date <= period.end_date)
    pnl = _balances(session, in_period, account_class="pnl")
    closing_no = year_end_no = None
    if pnl:
        memo = stored("finance.memo.carry_profit")
        lines = [signed(code, -balance, memo=memo) for code, balance in pnl.items()]
        lines.append(signed(PROFIT_ACCOUNT, sum(pnl.values(), ZERO), memo=memo))
        draft = EntryDraft(
            period.end_date,
            "closing",
            tuple(x for x in lines if x.debit or x.credit),
            memo=stored("finance.memo.closing", period=period.code),
            source_type="fin_period",
            source_id=period.id,
        )
        [closing] = post_entries(session, actor, [draft])
        closing_no = closing.number
    if period.month == 12:
        in_year = and_(
            JournalLine.entry_date >= dt.date(period.year, 1, 1), JournalLine.entry_date <= period.end_date
        )
        profit = _balances(session, in_year, code=PROFIT_ACCOUNT).get(PROFIT_ACCOUNT)
        if profit:
            memo = stored("finance.memo.year_end")
            lines = (
                LineDraft(PROFIT_ACCOUNT, debit=max(-profit, ZERO), credit=max(profit, ZERO), memo=memo),
                LineDraft(RETAINED_ACCOUNT, debit=max(profit, ZERO), credit=max(-profit, ZERO), memo=memo),
            )
            draft = EntryDraft(
                period.end_date, "year_end", lines, memo=memo, source_type="fin_period", source_id=period.id
            )
            [year_end] = post_entries(session, actor, [draft])
            year_end_no = year_end.number
    return closing_no, year_end_no


def balances_by_period(session: Session) -> dict[int, dict[int, Decimal]]:
    """Every period's closing balances: ``{period id: {account id: Σ(debit − credit) up to its end}}``
    (accounts at zero left out), from one GROUP BY over the journal."""
    moves: dict[int, list[tuple[int, Decimal]]] = {}
    stmt = select(
        JournalLine.period_id,
        JournalLine.account_id,
        func.sum(JournalLine.debit) - func.sum(JournalLine.credit),
    ).group_by(JournalLine.period_id, JournalLine.account_id)
    for period_id, account_id, amount in session.execute(stmt):
        moves.setdefault(period_id, []).append((account_id, Decimal(amount or 0)))
    running: dict[int, Decimal] = {}
    out = {}
    for period_id in session.scalars(select(Period.id).order_by(Period.year, Period.month)):
        for account_id, amount in moves.get(period_id, ()):
            running[account_id] = running.get(account_id, ZERO) + amount
        out[period_id] = {a: b for a, b in running.items() if b}
    return out


def seal_balances(session: Session, period_ids: list[int]) -> None:
    """Keep the balances of these (closed) periods as they stand now, for ``ecerp check`` to compare."""
    if not period_ids:
        return
    now = balances_by_period(session)
    session.execute(delete(PeriodBalance).where(PeriodBalance.period_id.in_(period_ids)))
    rows = [
        {"period_id": p, "account_id": a, "balance": b}
        for p in period_ids
        for a, b in sorted(now.get(p, {}).items())
    ]
    insert_rows(session, PeriodBalance, rows)


@dataclass(frozen=True)
class CloseResult:
    period: str
    closing_entry: str | None
    year_end_entry: str | None


def close_period(
    session: Session, actor: Actor, text: str, *, force_checks: bool = False, early_reason: str = ""
) -> CloseResult:
    """Close a month: run the close checks, carry P&L to 本年利润 (and at year end to 利润分配).

    A month that has not ended (its last day is today or later, in the company's time zone) is
    refused with :class:`PeriodNotEnded`: closing it would refuse every shipment, receipt and
    transfer until an admin reopens it. ``early_reason`` closes it anyway, and is kept in the audit
    log.

    Raises :class:`CloseBlocked` listing every problem the checks find; the period stays open.
    Earlier open periods must be closed first. The closed month's balances are sealed
    (:func:`seal_balances`) so ``ecerp check`` proves them unchanged later.
    """
    require(actor, "finance.close")
    period = periods.get_period(session, text)
    if period.status != "open":
        raise PeriodState(
            period=period.code, status=f"status.period.{period.status}", target="status.period.closed"
        )
    today = business_date(session)
    if period.end_date >= today:
        if not early_reason.strip():
            raise PeriodNotEnded(period=period.code, end=period.end_date.isoformat())
        audit.record(
            session, actor, "close_early", "fin_period", period.code, {"reason": early_reason.strip()}
        )
    earlier = session.scalar(
        select(Period)
        .where(Period.status == "open", Period.end_date < period.start_date)
        .order_by(Period.start_date)
        .limit(1)
    )
    if earlier is not None:
        raise CloseBlocked(period=period.code, problems=f"{earlier.code} open")
    problems = close_problems(session, period)
    if problems and not force_checks:
        raise CloseBlocked(period=period.code, problems="; ".join(problems))
    closing_no, year_end_no = carry_profit(session, actor, period)
    periods.move(session, actor, period, "closed", "close")
    # later months still closed changed only through this one's reopening (audited): seal them anew
    later = session.scalars(
        select(Period.id).where(Period.status != "open", Period.start_date > period.start_date)
    )
    seal_balances(session, [period.id, *later])
    return CloseResult(period.code, closing_no, year_end_no)
