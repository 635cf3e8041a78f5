"""Accounting periods (会计期间): one per month, open → closed → locked; reopening needs an admin.

The one writer of a period's status (:data:`PERIOD` declares its workflow). Closing — the checks
and the profit carry that come before the move — is :func:`ecerp_core.finance.closing.close_period`.
Reopening reverses nothing by itself: the closing entry stays, and a later close carries only what
changed since.
"""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.db import for_update, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.finance.exceptions import PeriodClosed, PeriodState
from ecerp_core.finance.models import Period
from ecerp_core.workflow import Workflow

PERIOD = Workflow(
    "period",
    frozenset({("open", "closed"), ("closed", "locked"), ("closed", "open"), ("locked", "open")}),
    label="status.period",
)


def parse_period(text: str) -> tuple[int, int]:
    """``"2026-10"`` → ``(2026, 10)``; anything else is a :class:`ValidationError`."""
    try:
        year, month = (int(x) for x in str(text).strip().split("-"))
        dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationError([problem("period", "bad_period", value=text)]) from None
    return year, month


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    _, days = calendar.monthrange(year, month)
    return dt.date(year, month, 1), dt.date(year, month, days)


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


def move(session: Session, actor: Actor, period: Period, target: str, action: str) -> None:
    """Move ``period`` to ``target`` (audited); :class:`PeriodState` when its workflow does not allow it."""
    if not PERIOD.allows(period.status, target):
        raise PeriodState(
            period=period.code, status=f"status.period.{period.status}", target=f"status.period.{target}"
        )
    old = period.status
    period.status = target
    if target == "closed":
        period.closed_at, period.closed_by = utcnow(), actor.id
    session.flush()
    audit.record(session, actor, action, "fin_period", period.code, {"status": [old, target]})


def lock_period(session: Session, actor: Actor, text: str) -> None:
    """Lock a closed period for good (only an admin's reopen can undo it)."""
    require(actor, "finance.close")
    move(session, actor, get_period(session, text), "locked", "lock")


def reopen_period(session: Session, actor: Actor, text: str, *, reason: str = "") -> None:
    """Reopen a closed or locked period: needs ``finance.reopen`` (admins) and leaves an audit row.

    Later closed periods stay closed; their P&L carry is not touched.
    """
    require(actor, "finance.reopen")
    period = get_period(session, text)
    if period.status == "open":
        raise PeriodState(period=period.code, status="status.period.open", target="status.period.open")
    move(session, actor, period, "open", "reopen")
    audit.record(session, actor, "reopen_reason", "fin_period", period.code, {"reason": reason})
