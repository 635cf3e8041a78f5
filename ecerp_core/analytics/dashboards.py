"""The queries behind the dashboards: each one aggregate statement (or two) over the semantic layer
or the stock ledger, returning a few hundred rows at most.

Every function takes a :class:`Window` (the days and the currency looked at) and returns rows as
dicts; :mod:`ecerp_core.analytics.charts` draws them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import BigInteger, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from ecerp_core.analytics import rollup
from ecerp_core.analytics.layer import sales_condition
from ecerp_core.analytics.reports import ReportSpec, run_report
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import get_company
from ecerp_core.catalog.models import Product
from ecerp_core.db import among
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.stock.models import StockLevel

GRAINS = ("day", "week", "month")
BY_DIMENSIONS = ("platform", "shop", "category", "sku")


@dataclass(frozen=True)
class Window:
    """The days a dashboard looks at (both included) and the currency its money is in."""

    date_from: dt.date
    date_to: dt.date
    currency: str

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def filters(self, **more) -> dict:
        return {"date_from": self.date_from, "date_to": self.date_to, "currency": [self.currency], **more}


def default_window(session: Session, actor: Actor, days: int = 365) -> Window:
    """The last ``days`` days up to the latest sale, in the company's base currency (or, when it sold
    nothing in it, the currency it sold most in: a history-only shop abroad)."""
    require(actor, "analytics.read")
    base = get_company(session).base_currency
    row = session.execute(
        select(Order.currency, func.count(), func.max(Order.order_date))
        .where(sales_condition())
        .group_by(Order.currency)
        .order_by(func.count().desc())
    ).all()
    by_currency = {c: (n, last) for c, n, last in row}
    currency = base if base in by_currency or not by_currency else row[0][0]
    last = by_currency.get(currency, (0, None))[1] or dt.date.today()
    return Window(last - dt.timedelta(days=days - 1), last, currency)


def currencies(session: Session, actor: Actor) -> list[str]:
    """The currencies orders were sold in, most used first."""
    require(actor, "analytics.read")
    stmt = (
        select(Order.currency).where(sales_condition()).group_by(Order.currency).order_by(func.count().desc())
    )
    return list(session.scalars(stmt))


def _shift_year(period: str, grain: str) -> str:
    """The period one year later (a week: 52 weeks later, the same weekday)."""
    if grain == "month":
        return f"{int(period[:4]) + 1:04d}{period[4:]}"
    day = dt.date.fromisoformat(period)
    if grain == "week":
        return (day + dt.timedelta(weeks=52)).isoformat()
    try:
        return day.replace(year=day.year + 1).isoformat()
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28).isoformat()


def sales_trend(session: Session, actor: Actor, window: Window, grain: str = "month") -> list[dict]:
    """Sales and orders by day, week or month, beside the same period a year before.

    Rows: ``period``, ``sales``, ``orders``, ``sales_last_year`` (None where there was nothing).
    """
    if grain not in GRAINS:
        raise ValueError(grain)
    spec = ReportSpec((grain,), ("sales", "orders"), window.filters())
    now = run_report(session, actor, spec).rows
    year_before = Window(
        window.date_from - dt.timedelta(days=364 if grain == "week" else 365),
        window.date_to - dt.timedelta(days=364 if grain == "week" else 365),
        window.currency,
    )
    before = run_report(session, actor, replace(spec, filters=year_before.filters())).rows
    last_year = {_shift_year(r[grain], grain): r["sales"] for r in before}
    return [
        {
            "period": r[grain],
            "sales": r["sales"],
            "orders": r["orders"],
            "sales_last_year": last_year.get(r[grain]),
        }
        for r in now
    ]


def sales_by(session: Session, actor: Actor, window: Window, dimension: str, limit: int = 15) -> list[dict]:
    """Sales, orders and units by platform, shop, category or SKU, largest first."""
    if dimension not in BY_DIMENSIONS:
        raise ValueError(dimension)
    spec = ReportSpec((dimension,), ("sales", "orders", "units"), window.filters(), "sales", True, limit)
    return run_report(session, actor, spec).rows


def customers_by(session: Session, actor: Actor, window: Window, dimension: str = "province") -> list[dict]:
    """Customers, orders and sales by province (region) or country, most customers first."""
    if dimension not in ("province", "country"):
        raise ValueError(dimension)
    spec = ReportSpec((dimension,), ("customers", "orders", "sales"), window.filters(), "customers", True, 40)
    return run_report(session, actor, spec).rows


def _names(session: Session, skus: list[str]) -> dict[str, str]:
    """A name for each SKU: the product's, else the name the platform gave its order lines."""
    names = dict(
        session.execute(select(Product.sku, Product.name_zh).where(among(session, Product.sku, skus))).all()
    )
    missing = [s for s in skus if s not in names]
    if missing:
        stmt = (
            select(OrderLine.platform_sku, func.max(OrderLine.name))
            .where(among(session, OrderLine.platform_sku, missing))
            .group_by(OrderLine.platform_sku)
        )
        names.update(session.execute(stmt).all())
    return names


def bestsellers(session: Session, actor: Actor, window: Window, limit: int = 10) -> list[dict]:
    """商品热销排行: the SKUs that sold the most units, with their sales and orders."""
    spec = ReportSpec(("sku",), ("units", "sales", "orders"), window.filters(), "units", True, limit)
    rows = run_report(session, actor, spec).rows
    names = _names(session, [r["sku"] for r in rows])
    return [
        {"rank": i + 1, "sku": r["sku"], "name": names.get(r["sku"], ""), **r} for i, r in enumerate(rows)
    ]


def _units_sold(session: Session, window: Window):
    """Units sold per product in the window (every currency): from the rollup's SKU rows when it is
    fresh, else from the order lines."""
    if rollup.ensure_fresh(session):
        r = rollup.R
        return (
            select(r.c.product_id, func.sum(r.c.units).label("units"))
            .where(r.c.level == rollup.SKU_LEVEL, rollup.period_rows(window.date_from, window.date_to, False))
            .group_by(r.c.product_id)
            .subquery("sold")
        )
    return (
        select(OrderLine.product_id, func.sum(OrderLine.quantity).label("units"))
        .join(Order, Order.id == OrderLine.order_id)
        .where(sales_condition(), Order.order_date.between(window.date_from, window.date_to))
        .group_by(OrderLine.product_id)
        .subquery("sold")
    )


def _stock_rows(session: Session, window: Window, order, limit: int) -> list[dict]:
    sold = _units_sold(session, window)
    on_hand = (
        select(StockLevel.product_id, func.sum(StockLevel.on_hand).label("on_hand"))
        .group_by(StockLevel.product_id)
        .subquery("held")
    )
    units = func.coalesce(sold.c.units, 0)
    stmt = (
        select(Product.sku, Product.name_zh.label("name"), on_hand.c.on_hand, units.label("units"))
        .join(on_hand, on_hand.c.product_id == Product.id)
        .outerjoin(sold, sold.c.product_id == Product.id)
        .where(on_hand.c.on_hand > 0)
        .order_by(*order(units, on_hand.c.on_hand), Product.sku)
        .limit(limit)
    )
    rows = []
    for sku, name, held, units_sold in session.execute(stmt):
        daily = Decimal(int(units_sold)) / window.days
        rows.append(
            {
                "sku": sku,
                "name": name,
                "on_hand": int(held),
                "units": int(units_sold),
                "daily_sales": daily.quantize(Decimal("0.01")),
                "days_of_cover": (Decimal(int(held)) / daily).quantize(Decimal("0.1")) if daily else None,
                "turnover": (Decimal(int(units_sold)) * 365 / window.days / int(held)).quantize(
                    Decimal("0.01")
                ),
            }
        )
    return rows


def slow_movers(session: Session, actor: Actor, window: Window, limit: int = 10) -> list[dict]:
    """Products in stock that sold the fewest units in the window (none at all first)."""
    require(actor, "analytics.read")
    return _stock_rows(session, window, lambda units, held: (units.asc(), held.desc()), limit)


def stock_cover(session: Session, actor: Actor, window: Window, limit: int = 30) -> list[dict]:
    """Stock turnover (units sold a year over units held) and days of cover (units held over daily
    sales in the window) of the products in stock, fewest days of cover first."""
    require(actor, "analytics.read")
    return sorted(
        _stock_rows(session, window, lambda units, held: (units.desc(),), 1000),
        key=lambda r: (r["days_of_cover"] is None, r["days_of_cover"] or 0),
    )[:limit]


def margin_by(session: Session, actor: Actor, window: Window, dimension: str = "category", limit: int = 15):
    """Sales, cost of goods (from the stock ledger), gross margin and margin rate by SKU or category."""
    if dimension not in ("sku", "category"):
        raise ValueError(dimension)
    measures = ("sales", "cost", "gross_margin", "margin_rate")
    spec = ReportSpec((dimension,), measures, window.filters(), "gross_margin", True, limit)
    return run_report(session, actor, spec).rows


def return_rates(session: Session, actor: Actor, window: Window) -> list[dict]:
    """Orders, refunded orders, return rate and refunded amount by month."""
    spec = ReportSpec(("month",), ("orders", "returns", "return_rate", "refund_amount"), window.filters())
    return run_report(session, actor, spec).rows


def _window_orders(session: Session, window: Window):
    first, last = session.execute(select(func.min(Order.order_date), func.max(Order.order_date))).one()
    day = Order.order_date
    if first is not None and window.days * 4 >= (last - first).days + 1:
        # most of the orders: read them all in table order (SQLite would otherwise walk the date
        # index and fetch each order apart, three times slower); a narrow window takes the index
        day = func.coalesce(Order.order_date, Order.order_date)
    return (
        sales_condition(),
        day.between(window.date_from, window.date_to),
        Order.currency == window.currency,
        or_(Order.customer_id.is_not(None), Order.buyer_id != ""),  # the customer is known
    )


def _who() -> tuple:
    """Who bought, as the columns :func:`customer_key` joins into one text: the customer, else the
    shop and buyer id. Grouped by as they are, the database builds no text per order."""
    linked = Order.customer_id.is_not(None)
    return (
        Order.customer_id,
        case((linked, null()), else_=Order.shop_id),
        case((linked, null()), else_=Order.buyer_id),
    )


def repeat_rate(session: Session, actor: Actor, window: Window) -> dict:
    """Customers who bought in the window, those who bought in two orders or more, and their share."""
    require(actor, "analytics.read")
    if rollup.ensure_fresh(session):  # the customer rollup: a row per buyer and month, not per order
        c = _window_customers(session, window)
        per_customer = select(func.sum(c.c.orders).label("n")).group_by(c.c.customer).subquery()
    else:
        per_customer = (
            select(func.count().label("n"))
            .where(*_window_orders(session, window))
            .group_by(*_who())
            .subquery()
        )
    stmt = select(func.count(), func.coalesce(func.sum(case((per_customer.c.n >= 2, 1), else_=0)), 0))
    customers, repeat = session.execute(stmt.select_from(per_customer)).one()
    rate = (Decimal(int(repeat)) / customers).quantize(Decimal("0.0001")) if customers else None
    return {"customers": int(customers), "repeat_customers": int(repeat), "repeat_rate": rate}


def _window_customers(session: Session, window: Window):
    """The customer rollup's rows of known buyers in the window (whole months from month rows, the
    days around them from day rows): their buyer, month and orders."""
    c = rollup.C
    parts = [
        select(c.c.customer, c.c.month, c.c.orders).where(
            part, c.c.currency == window.currency, c.c.customer.is_not(None)
        )
        for part in rollup.period_parts(window.date_from, window.date_to, c, session.get_bind().dialect.name)
    ]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("bought")


def _month_number(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


MASK_MONTHS = 62
"""The most months after the first a cohort from the customer rollup can span (one bit each in a
64-bit sum); a longer window reads the orders."""


def _cohort_rows(session: Session, window: Window) -> list[tuple[str, str, int]] | None:
    """(cohort, month, customers) from the customer rollup when it is fresh and the window spans at
    most :data:`MASK_MONTHS` months, else None. Each buyer's months in the window become the bits
    of one number, and buyers are counted per number: a few thousand rows for the cohorts, where
    a first month per buyer by a window function sorts every buyer's months.

    Each part of the window (its whole months, the days before and after them) gives a number per
    buyer on its own, the sum of its distinct months' bits, read in buyer order from the covering
    index; the parts hold different months, so a buyer's numbers add up to the whole: only the
    parts' few hundred thousand numbers are grouped again, not every buyer-month row."""
    first = window.date_from.year * 12 + window.date_from.month - 1
    if window.date_to.year * 12 + window.date_to.month - 1 - first > MASK_MONTHS:
        return None
    if not rollup.ensure_fresh(session):
        return None
    c = rollup.C
    bit = cast(literal(1), BigInteger).op("<<")(c.c.month - first)
    dialect = session.get_bind().dialect.name
    parts = [
        select(c.c.customer, func.sum(bit.distinct()).label("mask"))
        .where(part, c.c.currency == window.currency, c.c.customer.is_not(None))
        .group_by(c.c.customer)
        for part in rollup.period_parts(window.date_from, window.date_to, c, dialect)
    ]
    if len(parts) == 1:
        masks = parts[0].subquery("masks")
    else:
        per_part = union_all(*parts).subquery("parts")
        masks = select(func.sum(per_part.c.mask).label("mask")).group_by(per_part.c.customer)
        masks = masks.subquery("masks")
    counts: dict[tuple[int, int], int] = {}
    for mask, n in session.execute(select(masks.c.mask, func.count()).group_by(masks.c.mask)):
        mask = int(mask)
        bits = [k for k in range(MASK_MONTHS + 1) if mask >> k & 1]
        for k in bits:
            counts[bits[0], k] = counts.get((bits[0], k), 0) + int(n)

    def text(k: int) -> str:
        number = first + k
        return f"{number // 12:04d}-{number % 12 + 1:02d}"

    return [(text(c0), text(k), n) for (c0, k), n in sorted(counts.items())]


def cohort_retention(session: Session, actor: Actor, window: Window) -> list[dict]:
    """Monthly cohorts: customers by the month of their first purchase in the window, and how many of
    them bought again 0, 1, 2 ... months later. Rows: ``cohort``, ``months_later``, ``customers``,
    ``size``, ``retention``."""
    require(actor, "analytics.read")
    rows = _cohort_rows(session, window)
    if rows is None:
        rows = _cohort_from_orders(session, window)
    size = {c: n for c, m, n in rows if c == m}
    return [
        {
            "cohort": c,
            "months_later": _month_number(m) - _month_number(c),
            "customers": n,
            "size": size.get(c, 0),
            "retention": (Decimal(n) / size[c]).quantize(Decimal("0.0001")) if size.get(c) else None,
        }
        for c, m, n in rows
    ]


def _cohort_from_orders(session: Session, window: Window) -> list[tuple[str, str, int]]:
    # the month as its first day, a date: no text built per order; written YYYY-MM once per group
    month = rollup.month_start(Order.order_date, session.get_bind().dialect.name)
    who = [c.label(f"who{i}") for i, c in enumerate(_who())]
    # each customer's months, then the first of them by a window function: one scan and a sort,
    # where joining every order back to its customer's first month would be a join on an expression
    months = (
        select(*who, month.label("month")).where(*_window_orders(session, window)).group_by(*_who(), month)
    )
    months = months.subquery("months")
    first = func.min(months.c.month).over(partition_by=[months.c[w.name] for w in who])
    marked = select(months.c.month, first.label("cohort")).subquery("marked")
    stmt = (
        select(marked.c.cohort, marked.c.month, func.count())
        .group_by(marked.c.cohort, marked.c.month)
        .order_by(marked.c.cohort, marked.c.month)
    )
    return [(str(c)[:7], str(m)[:7], int(n)) for c, m, n in session.execute(stmt)]


__all__ = [
    "BY_DIMENSIONS",
    "GRAINS",
    "Window",
    "bestsellers",
    "cohort_retention",
    "currencies",
    "customers_by",
    "default_window",
    "margin_by",
    "repeat_rate",
    "return_rates",
    "sales_by",
    "sales_trend",
    "slow_movers",
    "stock_cover",
]
