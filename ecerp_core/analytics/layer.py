"""The semantic layer: every dimension, measure and filter a report may use, each with its SQL.

A report names what it wants by these names only; :mod:`ecerp_core.analytics.reports` looks each
name up here and refuses any other, so no text a user typed ever becomes SQL. Values of filters
are bound parameters.

Two grains: the **order** grain reads ``sales_order`` alone (fast); the **line** grain joins the
order lines (needed by SKU and category, units and cost). A measure declares its SQL at each grain
it makes sense at: the count of orders works at both (``count(distinct)``), the refunded amount of
an order cannot be split by SKU and has no line form.

Dates are ``sales_order.order_date``, the day in the company's time zone the order was placed.
Money is in the order's currency (a report over several currencies shows the ``currency``
dimension or filters one; the dashboards filter the company's base currency by default).
Orders count as sales from payment on: unpaid, closed and cancelled orders are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Numeric, String, and_, case, cast, func, literal_column, null, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from ecerp_core.catalog.models import Category, Customer, Product, Shop
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.stock.models import StockMove

SALE_STATUSES = ("paid", "approved", "shipped", "finished", "refunded")
"""Orders that count as sales (the buyer paid)."""
ORDER, LINE = "order", "line"
MONEY = Numeric(18, 2)

Expr = Callable[[str], ColumnElement]
"""Builds a column for a dialect name (``sqlite`` / ``postgresql``): date functions differ."""


def const(text: str) -> ColumnElement:
    """A constant written into the SQL, not bound: PostgreSQL matches a GROUP BY expression to the
    selected one only when their constants are the same text, and two bound parameters are not.
    Only the layer's own constants go through here, never a user's value."""
    return literal_column("'" + text.replace("'", "''") + "'", String)


def date_text(column, dialect: str, sqlite_format: str, pg_format: str) -> ColumnElement:
    """A date ``column`` as text in a format (``%Y-%m`` on SQLite is ``YYYY-MM`` on PostgreSQL)."""
    if dialect == "postgresql":
        return func.to_char(column, const(pg_format))
    return func.strftime(const(sqlite_format), column)


def week_start(column, dialect: str) -> ColumnElement:
    """The Monday that starts the week of a date ``column``, as ``YYYY-MM-DD``."""
    if dialect == "postgresql":
        return func.to_char(func.date_trunc(const("week"), column), const("YYYY-MM-DD"))
    return func.date(column, const("weekday 0"), const("-6 days"))


DATE_FORMATS = {
    "day": ("%Y-%m-%d", "YYYY-MM-DD"),
    "month": ("%Y-%m", "YYYY-MM"),
    "year": ("%Y", "YYYY"),
    "month_of_year": ("%m", "MM"),
}
"""The dimensions that are a date's text, each with its SQLite and PostgreSQL format."""


def _date_text(name: str) -> Expr:
    return lambda dialect: date_text(Order.order_date, dialect, *DATE_FORMATS[name])


def _week(dialect: str) -> ColumnElement:
    """The Monday that starts the order's week, as ``YYYY-MM-DD``."""
    return week_start(Order.order_date, dialect)


def customer_key() -> ColumnElement:
    """Who bought: the linked customer, else the buyer id within its shop; None when unknown."""
    return case(
        (Order.customer_id.is_not(None), const("c") + cast(Order.customer_id, String)),
        (Order.buyer_id != const(""), cast(Order.shop_id, String) + const(":") + Order.buyer_id),
        else_=null(),
    )


def _tier(_dialect: str = "") -> ColumnElement:
    """The buyer's tier today (客户分层; ``normal`` when the order has no linked customer), read per
    order by a correlated subquery, so it needs no join."""
    tier = select(Customer.tier).where(Customer.id == Order.customer_id).scalar_subquery()
    return func.coalesce(tier, const("normal"))


def line_cost():
    """Cost of goods per (order, product) from the stock ledger: what the order's moves took out,
    valued at the moving average cost the ledger recorded (returns put back)."""
    return (
        select(
            StockMove.source_id.label("order_id"),
            StockMove.product_id.label("product_id"),
            func.sum(-StockMove.quantity * StockMove.unit_cost).label("cost"),
        )
        .where(StockMove.source_type == "order")
        .group_by(StockMove.source_id, StockMove.product_id)
        .subquery("line_cost")
    )


@dataclass(frozen=True)
class Dimension:
    """Something to group by. ``grain``: ``order`` works everywhere, ``line`` needs the lines;
    ``joins``: the tables it reads beyond orders and lines (``product``, ``category``, ``shop``)."""

    name: str
    expr: Expr
    grain: str = ORDER
    joins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    """Something to add up. ``at_order`` / ``at_line``: its SQL at each grain (None: not there);
    ``kind``: ``money``, ``count`` or ``ratio`` (how it is rounded and shown)."""

    name: str
    kind: str
    at_order: Callable[[], ColumnElement] | None
    at_line: Callable[[], ColumnElement] | None
    joins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filter:
    """A condition a report may set: ``kind`` ``date_from`` / ``date_to`` (one date) or ``among``
    (one or more values); ``column`` as for a dimension."""

    name: str
    kind: str
    column: Expr
    grain: str = ORDER
    joins: tuple[str, ...] = ()


def _col(column) -> Expr:
    return lambda _dialect: column


def _sku(_dialect: str = "") -> ColumnElement:
    return func.coalesce(Product.sku, OrderLine.platform_sku)


def _category(_dialect: str = "") -> ColumnElement:
    return func.coalesce(Category.code, const(""))


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("day", _date_text("day")),
        Dimension("week", _week),
        Dimension("month", _date_text("month")),
        Dimension("year", _date_text("year")),
        Dimension("month_of_year", _date_text("month_of_year")),
        Dimension("platform", _col(Order.platform)),
        Dimension("shop", _col(Shop.code), joins=("shop",)),
        Dimension("currency", _col(Order.currency)),
        Dimension("province", _col(Order.region)),
        Dimension("country", _col(Order.country)),
        Dimension("customer", lambda _d: customer_key()),
        Dimension("tier", _tier),
        Dimension("status", _col(Order.status)),
        Dimension("category", _category, LINE, ("product", "category")),
        Dimension("sku", _sku, LINE, ("product",)),
    )
}
"""Every dimension, by name."""


def sum_money(column) -> ColumnElement:
    return type_coerce(func.coalesce(func.sum(column), 0), MONEY)


def _orders() -> ColumnElement:
    return func.count(func.distinct(Order.id))


def _order_rows() -> ColumnElement:
    """Orders at the order grain: one row each (no join multiplies them), so a plain count."""
    return func.count()


def _returned_rows() -> ColumnElement:
    return func.coalesce(func.sum(case((Order.refunded_amount > 0, 1), else_=0)), 0)


def _returned_orders() -> ColumnElement:
    return func.count(func.distinct(case((Order.refunded_amount > 0, Order.id), else_=null())))


def ratio(top: ColumnElement, bottom: ColumnElement) -> ColumnElement:
    return cast(top, Numeric(24, 6)) / func.nullif(cast(bottom, Numeric(24, 6)), 0)


def _line_cost_sum() -> ColumnElement:
    return sum_money(LINE_COST.c.cost)


def _costed(column) -> ColumnElement:
    """``column`` on lines whose cost the ledger knows (history lines of products never stocked have
    none: their margin is unknown, not 100 %)."""
    return case((LINE_COST.c.cost.is_not(None), column), else_=null())


def _margin() -> ColumnElement:
    return sum_money(_costed(OrderLine.amount - LINE_COST.c.cost))


LINE_COST = line_cost()

MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("orders", "count", _order_rows, _orders),
        Measure("customers", "count", *[lambda: func.count(func.distinct(customer_key()))] * 2),
        Measure("units", "count", None, lambda: func.coalesce(func.sum(OrderLine.quantity), 0)),
        Measure("sales", "money", lambda: sum_money(Order.goods_amount), lambda: sum_money(OrderLine.amount)),
        Measure(
            "avg_order_value",
            "money",
            lambda: ratio(func.sum(Order.goods_amount), _order_rows()),
            lambda: ratio(func.sum(OrderLine.amount), _orders()),
        ),
        Measure("cost", "money", None, _line_cost_sum, ("cost",)),
        Measure("gross_margin", "money", None, _margin, ("cost",)),
        Measure(
            "margin_rate",
            "ratio",
            None,
            lambda: ratio(_margin(), func.sum(_costed(OrderLine.amount))),
            ("cost",),
        ),
        Measure("returns", "count", _returned_rows, _returned_orders),
        Measure(
            "return_rate",
            "ratio",
            lambda: ratio(_returned_rows(), _order_rows()),
            lambda: ratio(_returned_orders(), _orders()),
        ),
        Measure("refund_amount", "money", lambda: sum_money(Order.refunded_amount), None),
    )
}
"""Every measure, by name."""

FILTERS: dict[str, Filter] = {
    f.name: f
    for f in (
        Filter("date_from", "date_from", _col(Order.order_date)),
        Filter("date_to", "date_to", _col(Order.order_date)),
        Filter("platform", "among", _col(Order.platform)),
        Filter("shop", "among", _col(Shop.code), joins=("shop",)),
        Filter("currency", "among", _col(Order.currency)),
        Filter("province", "among", _col(Order.region)),
        Filter("country", "among", _col(Order.country)),
        Filter("status", "among", _col(Order.status)),
        Filter("category", "among", _category, LINE, ("product", "category")),
        Filter("sku", "among", _sku, LINE, ("product",)),
    )
}
"""Every filter, by name."""


def join_lines(stmt, joins: set[str], line: bool):
    """Add the tables a query reads: lines (at the line grain), product, category, shop, cost."""
    if line:
        stmt = stmt.join(OrderLine, OrderLine.order_id == Order.id)
    if "product" in joins or "category" in joins:
        stmt = stmt.outerjoin(Product, Product.id == OrderLine.product_id)
    if "category" in joins:
        stmt = stmt.outerjoin(Category, Category.id == Product.category_id)
    if "shop" in joins:
        stmt = stmt.join(Shop, Shop.id == Order.shop_id)
    if "cost" in joins:
        stmt = stmt.outerjoin(
            LINE_COST,
            and_(LINE_COST.c.order_id == OrderLine.order_id, LINE_COST.c.product_id == OrderLine.product_id),
        )
    return stmt


def sales_condition() -> ColumnElement:
    """Orders that count as sales."""
    return Order.status.in_(SALE_STATUSES)


def describe() -> dict[str, list[str]]:
    """The names a report may use, by kind (what the builder and ``ecerp report fields`` list).

    >>> describe()["measures"][:3]
    ['orders', 'customers', 'units']
    """
    return {"dimensions": list(DIMENSIONS), "measures": list(MEASURES), "filters": list(FILTERS)}


def is_money(measure: str) -> bool:
    return MEASURES[measure].kind == "money"


def zero(measure: str) -> Decimal | int:
    return Decimal("0.00") if MEASURES[measure].kind == "money" else 0
