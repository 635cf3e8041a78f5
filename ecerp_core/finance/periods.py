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
from ecerp_core.finance.exceptions import BeforeBooks, PeriodClosed, PeriodGap, PeriodState
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


def _new_period(session: Session, year: int, month: int) -> Period:
    start, end = month_bounds(year, month)
    period = Period(
        year=year, month=month, start_date=start, end_date=end, status="open", last_number=0, last_voucher=0
    )
    session.add(period)
    return period


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def ensure_period(session: Session, day: dt.date, *, opening: bool = False) -> Period:
    """The period holding ``day``, created open if it does not exist yet.

    Periods open in order: a month after the last period opens with every month between them; a
    month before the first one raises :class:`BeforeBooks` (the books would begin under closed
    months' balances) unless ``opening`` is set — an opening entry, which alone may open the month
    right before the first period, and only while no period is closed (else :class:`PeriodClosed`:
    it would change a closed month's balances); a month missing between two periods raises
    :class:`PeriodGap`.
    """
    period = session.scalar(select(Period).where(Period.year == day.year, Period.month == day.month))
    if period is not None:
        return period
    first = session.scalar(select(Period).order_by(Period.year, Period.month).limit(1))
    last = session.scalar(select(Period).order_by(Period.year.desc(), Period.month.desc()).limit(1))
    wanted = (day.year, day.month)
    if first is None:
        period = _new_period(session, *wanted)
    elif wanted < (first.year, first.month):
        if not (opening and _month_after(*wanted) == (first.year, first.month)):
            raise BeforeBooks(date=day.isoformat(), first=first.code)
        closed = session.scalar(
            select(Period).where(Period.status != "open").order_by(Period.year, Period.month).limit(1)
        )
        if closed is not None:  # the opening would change a closed month's balance sheet
            raise PeriodClosed(
                period=closed.code, status=f"status.period.{closed.status}", date=day.isoformat()
            )
        period = _new_period(session, *wanted)
    elif wanted < (last.year, last.month):
        raise PeriodGap(date=day.isoformat(), first=first.code, last=last.code)
    else:
        month = _month_after(last.year, last.month)
        while month <= wanted:
            period = _new_period(session, *month)
            month = _month_after(*month)
    session.flush()
    return period


def refuse_closed(session: Session, day: dt.date) -> None:
    """Raise :class:`PeriodClosed` when a document dated ``day`` would land in a closed or locked
    month, or before the first period while a month is closed (it would change a closed month's
    balances); read-only, for the documents that post nothing (a transfer's arrival, a purchase
    order)."""
    period = session.scalar(select(Period).where(Period.year == day.year, Period.month == day.month))
    if period is None:
        first = session.scalar(select(Period).order_by(Period.year, Period.month).limit(1))
        if first is None or (day.year, day.month) > (first.year, first.month):
            return
        period = session.scalar(
            select(Period).where(Period.status != "open").order_by(Period.year, Period.month).limit(1)
        )
    if period is not None and period.status != "open":
        raise PeriodClosed(period=period.code, status=f"status.period.{period.status}", date=day.isoformat())


def open_period_for(session: Session, day: dt.date, *, opening: bool = False) -> Period:
    """The period of ``day``, locked for numbering; raises :class:`PeriodClosed` unless it is open.

    A month with no period yet is opened by :func:`ensure_period` (``opening``: see there).
    """
    # locked and read afresh: the entry numbers continue from what another writer left
    stmt = select(Period).where(Period.year == day.year, Period.month == day.month)
    period = session.scalar(for_update(stmt, session).execution_options(populate_existing=True))
    if period is None:
        period = ensure_period(session, day, opening=opening)
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
