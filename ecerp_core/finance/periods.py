"""Accounting periods (会计期间): one per month, open → closed → locked; reopening needs an admin.

Closing checks the period, carries the income and expense accounts to 4103 本年利润 and, in
December, 本年利润 to 4104 利润分配-未分配利润. Reopening reverses nothing by itself: the closing
entry stays, and a later close carries only what changed since.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.db import for_update, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.finance.exceptions import CloseBlocked, PeriodClosed, PeriodState
from ecerp_core.finance.models import Period

TRANSITIONS = {("open", "closed"), ("closed", "locked"), ("closed", "open"), ("locked", "open")}


def parse_period(text: str) -> tuple[int, int]:
    """``"2026-10"`` → ``(2026, 10)``; anything else is a :class:`ValidationError`."""
    try:
        year, month = (int(x) for x in str(text).strip().split("-"))
        dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationError([problem("period", "bad_period", value=text)]) from None
    return year, month


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def ensure_period(session: Session, day: dt.date) -> Period:
    """The period holding ``day``, created open if it does not exist yet."""
    period = session.scalar(select(Period).where(Period.year == day.year, Period.month == day.month))
    if period is None:
        start, end = month_bounds(day.year, day.month)
        period = Period(
            year=day.year, month=day.month, start_date=start, end_date=end, status="open", last_number=0
        )
        session.add(period)
        session.flush()
    return period


def open_period_for(session: Session, day: dt.date) -> Period:
    """The period of ``day``, locked for numbering; raises :class:`PeriodClosed` unless it is open."""
    # locked and read afresh: the entry numbers continue from what another writer left
    stmt = select(Period).where(Period.year == day.year, Period.month == day.month)
    period = session.scalar(for_update(stmt, session).execution_options(populate_existing=True))
    if period is None:
        period = ensure_period(session, day)
    if period.status != "open":
        raise PeriodClosed(period=period.code, status=f"status.period.{period.status}", date=day.isoformat())
    return period


def get_period(session: Session, text: str) -> Period:
    year, month = parse_period(text)
    return ensure_period(session, dt.date(year, month, 1))


def list_periods(session: Session) -> list[Period]:
    return list(session.scalars(select(Period).order_by(Period.year, Period.month)))


def _move(session: Session, actor: Actor, period: Period, target: str, action: str) -> None:
    if (period.status, target) not in TRANSITIONS:
        raise PeriodState(
            period=period.code, status=f"status.period.{period.status}", target=f"status.period.{target}"
        )
    old = period.status
    period.status = target
    if target == "closed":
        period.closed_at, period.closed_by = utcnow(), actor.id
    session.flush()
    audit.record(session, actor, action, "fin_period", period.code, {"status": [old, target]})


@dataclass(frozen=True)
class CloseResult:
    period: str
    closing_entry: str | None
    year_end_entry: str | None


def close_period(session: Session, actor: Actor, text: str, *, force_checks: bool = False) -> CloseResult:
    """Close a month: run the close checks, carry P&L to 本年利润 (and at year end to 利润分配).

    Raises :class:`CloseBlocked` listing every problem the checks find; the period stays open.
    Earlier open periods must be closed first.
    """
    from ecerp_core.finance import closing

    require(actor, "finance.close")
    period = get_period(session, text)
    if period.status != "open":
        raise PeriodState(
            period=period.code, status=f"status.period.{period.status}", target="status.period.closed"
        )
    earlier = session.scalar(select(Period).where(Period.status == "open", Period.end_date < period.start_date)
                             .order_by(Period.start_date).limit(1))  # fmt: skip
    if earlier is not None:
        raise CloseBlocked(period=period.code, problems=f"{earlier.code} open")
    problems = closing.close_problems(session, period)
    if problems and not force_checks:
        raise CloseBlocked(period=period.code, problems="; ".join(problems))
    closing_no, year_end_no = closing.carry_profit(session, actor, period)
    _move(session, actor, period, "closed", "close")
    return CloseResult(period.code, closing_no, year_end_no)


def lock_period(session: Session, actor: Actor, text: str) -> None:
    """Lock a closed period for good (only an admin's reopen can undo it)."""
    require(actor, "finance.close")
    _move(session, actor, get_period(session, text), "locked", "lock")


def reopen_period(session: Session, actor: Actor, text: str, *, reason: str = "") -> None:
    """Reopen a closed or locked period: needs ``finance.reopen`` (admins) and leaves an audit row.

    Later closed periods stay closed; their P&L carry is not touched.
    """
    require(actor, "finance.reopen")
    period = get_period(session, text)
    if period.status == "open":
        raise PeriodState(period=period.code, status="status.period.open", target="status.period.open")
    _move(session, actor, period, "open", "reopen")
    audit.record(session, actor, "reopen_reason", "fin_period", period.code, {"reason": reason})
