"""The window of business dates any file or form may carry: after the books could begin and no
further ahead than a year.

A date outside it is a typo or an attack, never business: a settlement row dated 0001-01-01 would
open period 0001-01 and block every later close; one dated 9999-12-31 overflows the date arithmetic
of month-end. Every importer checks each row's dates here and rejects the row that falls outside.
"""

from __future__ import annotations

import datetime as dt

from ecerp_core.db import utcnow
from ecerp_core.errors import Problem, problem

EARLIEST = dt.date(2000, 1, 1)
"""No seller's books begin before this day."""
AHEAD = dt.timedelta(days=366)
"""How far after today a date may be (a rate or a pre-order's promised day, never a year more)."""


def date_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last business date accepted on ``today`` (default: today, UTC).

    >>> date_window(dt.date(2026, 3, 1))
    (datetime.date(2000, 1, 1), datetime.date(2027, 3, 2))
    """
    today = today or utcnow().date()
    return EARLIEST, today + AHEAD


def in_window(day: dt.date | dt.datetime, today: dt.date | None = None) -> bool:
    """Whether ``day`` (a date, or a moment's date) lies in :func:`date_window`."""
    earliest, latest = date_window(today)
    value = day.date() if isinstance(day, dt.datetime) else day
    return earliest <= value <= latest


def date_problem(field: str, day: dt.date | dt.datetime, today: dt.date | None = None) -> Problem | None:
    """A ``date_out_of_range`` problem for ``field`` when ``day`` is outside the window, else None."""
    if in_window(day, today):
        return None
    earliest, latest = date_window(today)
    return problem(field, "date_out_of_range", value=str(day), earliest=str(earliest), latest=str(latest))
