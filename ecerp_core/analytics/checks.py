"""Analytics' invariants for ``ecerp check``: the sales rollup equals the orders it adds up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.analytics import rollup
from ecerp_core.invariants import Check, listed

R = rollup.R


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def rollup_differences(session: Session) -> list[str]:
    """Every day (and month) where the rollup's totals differ from the orders', leaving out, when it
    is not fresh, the days changed since it last ran (it has not read them yet). Empty when it was
    never built."""
    stored = rollup.stored_marks(session)
    if stored is None:
        return []
    marks = rollup.current_marks(session)
    skip = set() if stored == marks else {rollup.day_of(d) for d in rollup.changed_days(session, stored)}
    check_categories = stored[3] == marks[3]
    base = rollup.order_level(None).subquery("base")
    totals = ("orders", "line_orders", "returned", "goods_amount", "refunded_amount", "units", "amount")
    totals += ("cost",)
    day = base.c[2]
    sums = (func.sum(base.c[rollup.COLUMNS.index(t)]) for t in totals)
    want = {rollup.day_of(row[0]): row[1:] for row in session.execute(select(day, *sums).group_by(day))}
    failures = []
    levels = (rollup.ORDER_LEVEL, rollup.SKU_LEVEL) + ((rollup.CATEGORY_LEVEL,) if check_categories else ())
    for level in levels:
        names = totals if level == rollup.ORDER_LEVEL else ("units", "amount", "cost")
        for period in (rollup.DAY, rollup.MONTH):
            got = {
                rollup.day_of(row[0]): row[1:]
                for row in session.execute(
                    select(R.c.day, *(func.sum(R.c[t]) for t in names))
                    .where(R.c.level == level, R.c.period == period)
                    .group_by(R.c.day)
                )
            }
            expected: dict[dt.date, list] = {}
            for day, row in want.items():
                key = day if period == rollup.DAY else rollup.first_of_month(day)
                values = [row[totals.index(n)] for n in names]
                old = expected.get(key)
                expected[key] = values if old is None else [x + y for x, y in zip(old, values, strict=True)]
            for day in sorted(set(got) | set(expected)):
                if (day if period == rollup.DAY else None) in skip or (
                    period == rollup.MONTH and any(rollup.first_of_month(d) == day for d in skip)
                ):
                    continue
                have = got.get(day, [0] * len(names))
                should = expected.get(day, [0] * len(names))
                for name, x, y in zip(names, have, should, strict=True):
                    shown = _money if name in ("goods_amount", "refunded_amount", "amount", "cost") else int
                    if _money(x) != _money(y):
                        where = f"analytics rollup {level}/{period} {day}"
                        failures.append(f"{where}: {name} {shown(x or 0)} ≠ orders {shown(y or 0)}")
    return failures


def rollup_matches_orders(session: Session) -> list[str]:
    """Day by day and month by month, the rollup's orders, amounts, units and cost equal the orders'
    (the days changed since it last ran are left out: it has not read them yet)."""
    return listed("analytics rollup", rollup_differences(session))


CHECKS: list[Check] = [rollup_matches_orders]
