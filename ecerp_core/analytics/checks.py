"""Analytics' invariants for ``ecerp check``: the sales and customer rollups equal the orders they add
up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.analytics import rollup
from ecerp_core.analytics.layer import sales_condition
from ecerp_core.invariants import Check, listed
from ecerp_core.orders.models import Order

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


def _buyer(customer_id, shop_id, buyer_id):
    """A buyer as :func:`~ecerp_core.analytics.layer.customer_key` writes it, None when unknown."""
    if customer_id:
        return f"c{customer_id}"
    return f"{shop_id}:{buyer_id}" if buyer_id else None


def customer_rollup_differences(session: Session) -> list[str]:
    """Every day and month row of the customer rollup that differs from the orders (by buyer,
    currency, province and country: their orders and goods amount), leaving out, when the rollups
    are not fresh, the days changed since they last ran. Empty when never built."""
    stored = rollup.stored_marks(session)
    if stored is None:
        return []
    marks = rollup.current_marks(session)
    skip = set() if stored == marks else {rollup.day_of(d) for d in rollup.changed_days(session, stored)}
    skip_months = {rollup.first_of_month(d) for d in skip}
    keys = (Order.order_date, Order.currency, Order.region, Order.country, *rollup.who())
    stmt = select(*keys, func.count(), func.sum(Order.goods_amount)).where(sales_condition()).group_by(*keys)
    want: dict[tuple, dict[tuple, list]] = {rollup.DAY: {}, rollup.MONTH: {}}
    for day, currency, region, country, c, s, b, n, amount in session.execute(stmt):
        day = rollup.day_of(day)
        for period, first in ((rollup.DAY, day), (rollup.MONTH, rollup.first_of_month(day))):
            key = (first, currency, region, country, _buyer(c, s, b))
            old = want[period].setdefault(key, [0, Decimal(0)])
            old[0] += int(n)
            old[1] += _money(amount)
    c_, k_ = rollup.C, rollup.K
    stmt = select(
        c_.c.period,
        c_.c.day,
        c_.c.month,
        c_.c.currency,
        c_.c.region,
        c_.c.country,
        c_.c.customer,
        k_.c.customer_id,
        k_.c.shop_id,
        k_.c.buyer_id,
        c_.c.orders,
        c_.c.goods_amount,
    ).outerjoin(k_, k_.c.id == c_.c.customer)
    got: dict[tuple, dict[tuple, list]] = {rollup.DAY: {}, rollup.MONTH: {}}
    failures = []
    for period, day, month, currency, region, country, customer, c, s, b, n, amount in session.execute(stmt):
        day = rollup.day_of(day)
        if month != day.year * 12 + day.month - 1 or (period == rollup.MONTH and day.day != 1):
            failures.append(f"analytics customer rollup {period} {day}: month {month}")
        buyer = None if customer is None else _buyer(c, s, b) if c is not None else f"key {customer}?"
        key = (day, currency, region, country, buyer)
        old = got.setdefault(period, {}).setdefault(key, [0, Decimal(0)])
        old[0] += int(n)
        old[1] += _money(amount)
    for period in (rollup.DAY, rollup.MONTH):
        have, should = got.get(period, {}), want[period]
        for key in sorted(set(have) | set(should), key=str):
            if key[0] in (skip if period == rollup.DAY else skip_months):
                continue
            x, y = have.get(key, [0, Decimal(0)]), should.get(key, [0, Decimal(0)])
            if x != y:
                day, currency, region, country, buyer = key
                where = f"analytics customer rollup {period} {day} {currency} {region} {country} {buyer}"
                failures.append(f"{where}: orders {x[0]} {x[1]} ≠ orders {y[0]} {y[1]}")
    return failures


def customer_rollup_matches_orders(session: Session) -> list[str]:
    """Day by day and month by month, the customer rollup's orders and goods amount per buyer,
    currency, province and country equal the orders' (days changed since it last ran left out)."""
    return listed("analytics customer rollup", customer_rollup_differences(session))


CHECKS: list[Check] = [rollup_matches_orders, customer_rollup_matches_orders]
