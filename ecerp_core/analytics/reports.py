"""Run a report: dimensions × measures under filters, aggregated in one SQL statement.

A :class:`ReportSpec` names fields of the semantic layer (:mod:`ecerp_core.analytics.layer`); every
name is looked up there and anything else is refused with :class:`UnknownField` before a statement
is built, so a report can never reach a table or column the layer does not declare.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select, union_all
from sqlalchemy.orm import Session

from ecerp_core.analytics import rollup
from ecerp_core.analytics.exceptions import BadFilterValue, EmptyReport, GrainMismatch, UnknownField
from ecerp_core.analytics.layer import (
    DATE_FORMATS,
    DIMENSIONS,
    FILTERS,
    LINE,
    MEASURES,
    const,
    date_text,
    join_lines,
    ratio,
    sales_condition,
    sum_money,
    week_start,
)
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Category, Product, Shop
from ecerp_core.i18n import lazy
from ecerp_core.money import round_money
from ecerp_core.orders.models import Order

MAX_ROWS = 10_000
FilterValue = dt.date | str | Sequence[str]


@dataclass(frozen=True)
class ReportSpec:
    """What a report shows: ``dimensions`` to group by, ``measures`` to add up, ``filters`` (name ->
    a date for ``date_from`` / ``date_to``, else a value or a list of values), ``sort`` (a dimension
    or measure; default the dimensions in order), ``descending``, ``limit`` rows."""

    dimensions: tuple[str, ...] = ()
    measures: tuple[str, ...] = ("sales",)
    filters: Mapping[str, FilterValue] = field(default_factory=dict)
    sort: str | None = None
    descending: bool = False
    limit: int | None = None

    def as_dict(self) -> dict:
        """The definition as plain JSON values (what a saved report stores)."""
        filters = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in self.filters.items()}
        return {
            "dimensions": list(self.dimensions),
            "measures": list(self.measures),
            "filters": {k: list(v) if isinstance(v, list | tuple) else v for k, v in filters.items()},
            "sort": self.sort,
            "descending": self.descending,
            "limit": self.limit,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> ReportSpec:
        return cls(
            tuple(data.get("dimensions") or ()),
            tuple(data.get("measures") or ()),
            dict(data.get("filters") or {}),
            data.get("sort"),
            bool(data.get("descending")),
            data.get("limit"),
        )


@dataclass(frozen=True)
class ReportResult:
    """Rows of a report (dicts keyed by the spec's dimensions then measures), in order."""

    spec: ReportSpec
    columns: tuple[str, ...]
    rows: list[dict]


def check_spec(spec: ReportSpec) -> None:
    """Refuse every name the layer does not declare, and splits that would count twice.

    >>> check_spec(ReportSpec(("month",), ("sales; drop table sales_order",)))
    Traceback (most recent call last):
    ...
    ecerp_core.analytics.exceptions.UnknownField: ...
    """
    for kind, names, known in (
        ("dimension", spec.dimensions, DIMENSIONS),
        ("measure", spec.measures, MEASURES),
        ("filter", tuple(spec.filters), FILTERS),
    ):
        for name in names:
            if not isinstance(name, str) or name not in known:
                raise UnknownField(kind=lazy(f"analytics.kind.{kind}"), name=str(name)[:80])
    if not spec.measures:
        raise EmptyReport()
    if spec.sort is not None and spec.sort not in (*spec.dimensions, *spec.measures):
        raise UnknownField(kind=lazy("analytics.kind.sort"), name=str(spec.sort)[:80])
    line_dims = [d for d in spec.dimensions if DIMENSIONS[d].grain == LINE]
    line_dims += [f for f in spec.filters if FILTERS[f].grain == LINE]
    if line_dims:
        for m in spec.measures:
            if MEASURES[m].at_line is None:
                raise GrainMismatch(measure=lazy(f"measure.{m}"), dimension=lazy(f"dimension.{line_dims[0]}"))


def _date(name: str, value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BadFilterValue(name=name, value=str(value)[:80]) from None


def _values(name: str, value: object) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or ())
    values = [str(v).strip() for v in items if str(v).strip()]
    if not values:
        raise BadFilterValue(name=name, value=str(value)[:80])
    return values


def report_statement(spec: ReportSpec, dialect: str):
    """The one SELECT of a report (checked first); values of filters are bound parameters."""
    check_spec(spec)
    line = any(DIMENSIONS[d].grain == LINE for d in spec.dimensions)
    line = line or any(FILTERS[f].grain == LINE for f in spec.filters)
    line = line or any(MEASURES[m].at_order is None for m in spec.measures)
    joins: set[str] = set()
    columns = []
    for d in spec.dimensions:
        joins.update(DIMENSIONS[d].joins)
        columns.append(DIMENSIONS[d].expr(dialect).label(d))
    for m in spec.measures:
        measure = MEASURES[m]
        joins.update(measure.joins)
        build = measure.at_line if line else measure.at_order
        columns.append(build().label(m))
    conditions = [sales_condition()]
    for name, value in spec.filters.items():
        f = FILTERS[name]
        joins.update(f.joins)
        column = f.column(dialect)
        if f.kind == "date_from":
            conditions.append(column >= _date(name, value))
        elif f.kind == "date_to":
            conditions.append(column <= _date(name, value))
        else:
            conditions.append(column.in_(_values(name, value)))
    stmt = join_lines(select(*columns).select_from(Order), joins, line).where(*conditions)
    if spec.dimensions:
        stmt = stmt.group_by(*(DIMENSIONS[d].expr(dialect) for d in spec.dimensions))
    return _ordered(stmt, spec, columns)


R = rollup.R
_ROLLUP_COLUMNS = {"platform": R.c.platform, "currency": R.c.currency, "province": R.c.region}
_ROLLUP_COLUMNS |= {"country": R.c.country, "status": R.c.status, "shop": Shop.code}
_LEVELS = {"sku": rollup.SKU_LEVEL, "category": rollup.CATEGORY_LEVEL}
# what the rollup keeps: anything else (a customer, a tier, a dimension added later) reads the orders
_ROLLUP_NAMES = {*DATE_FORMATS, "week", *_LEVELS, *_ROLLUP_COLUMNS, "date_from", "date_to"}


def _rollup_column(name: str, dialect: str):
    """A dimension or filter of the layer over the rollup's columns."""
    if name in DATE_FORMATS:
        return date_text(R.c.day, dialect, *DATE_FORMATS[name])
    if name == "week":
        return week_start(R.c.day, dialect)
    if name == "sku":
        return func.coalesce(Product.sku, R.c.platform_sku)
    if name == "category":
        return func.coalesce(Category.code, const(""))
    return _ROLLUP_COLUMNS[name]


def _rollup_measures(line: bool) -> dict[str, Callable[[], ColumnElement]]:
    """The layer's measures over the rollup, by name: at the line grain the orders with lines and their
    lines' amount, at the order grain the orders and their goods amount (as the layer counts)."""
    orders = R.c.line_orders if line else R.c.orders
    returned = R.c.line_returned if line else R.c.returned
    money = R.c.amount if line else R.c.goods_amount
    margin = sum_money(R.c.costed_amount - R.c.cost)
    count = {n: func.coalesce(func.sum(c), 0) for n, c in (("orders", orders), ("returns", returned))}
    return {
        "orders": lambda: count["orders"],
        "units": lambda: func.coalesce(func.sum(R.c.units), 0),
        "sales": lambda: sum_money(money),
        "avg_order_value": lambda: ratio(func.sum(money), func.sum(orders)),
        "cost": lambda: sum_money(R.c.cost),
        "gross_margin": lambda: margin,
        "margin_rate": lambda: ratio(margin, func.sum(R.c.costed_amount)),
        "returns": lambda: count["returns"],
        "return_rate": lambda: ratio(count["returns"], count["orders"]),
        "refund_amount": lambda: sum_money(R.c.refunded_amount),
    }


_ROLLUP_MEASURES = frozenset(_rollup_measures(line=False))  # what the rollup keeps


def _rollup_level(spec: ReportSpec) -> str | None:
    """Which rows of the rollup answer ``spec`` exactly, or None (the orders must): only what it
    keeps (distinct customers are not additive, a tier is today's); a SKU or category filter needs
    its dimension (an order with two SKUs would count twice otherwise); the SKU and category rows
    keep no province or country."""
    names = {*spec.dimensions, *spec.filters}
    if not names <= _ROLLUP_NAMES or not set(spec.measures) <= _ROLLUP_MEASURES:
        return None
    line_dims = {d for d in spec.dimensions if DIMENSIONS[d].grain == LINE}
    line_filters = {f for f in spec.filters if FILTERS[f].grain == LINE}
    if len(line_dims) > 1 or not line_filters <= line_dims:
        return None
    if line_dims and names & {"province", "country"}:
        return None
    line = bool(line_dims) or any(MEASURES[m].at_order is None for m in spec.measures)
    if line and any(MEASURES[m].at_line is None for m in spec.measures):
        return None
    return _LEVELS[line_dims.pop()] if line_dims else rollup.ORDER_LEVEL


def rollup_statement(spec: ReportSpec, dialect: str):
    """The one SELECT answering ``spec`` from the rollup, or None when only the orders can (checked
    first, like :func:`report_statement`, with the same bound filter values)."""
    check_spec(spec)
    level = _rollup_level(spec)
    if level is None:
        return None
    line = level != rollup.ORDER_LEVEL or any(MEASURES[m].at_order is None for m in spec.measures)
    columns = [_rollup_column(d, dialect).label(d) for d in spec.dimensions]
    measures = _rollup_measures(line)
    columns += [measures[m]().label(m) for m in spec.measures]
    date_from = _date("date_from", spec.filters["date_from"]) if "date_from" in spec.filters else None
    date_to = _date("date_to", spec.filters["date_to"]) if "date_to" in spec.filters else None
    daily = bool({"day", "week"} & set(spec.dimensions))
    conditions = [R.c.level == level, rollup.period_rows(date_from, date_to, daily)]
    for name, value in spec.filters.items():
        if FILTERS[name].kind == "among":
            conditions.append(_rollup_column(name, dialect).in_(_values(name, value)))
    stmt = select(*columns).select_from(R)
    names = {*spec.dimensions, *spec.filters}
    if "shop" in names:
        stmt = stmt.join(Shop, Shop.id == R.c.shop_id)
    if "sku" in names:
        stmt = stmt.outerjoin(Product, Product.id == R.c.product_id)
    if "category" in names:
        stmt = stmt.outerjoin(Category, Category.id == R.c.category_id)
    stmt = stmt.where(*conditions)
    if spec.dimensions:
        stmt = stmt.group_by(*(_rollup_column(d, dialect) for d in spec.dimensions))
    return _ordered(stmt, spec, columns)


C = rollup.C
_CUSTOMER_COLUMNS = {"province": C.c.region, "country": C.c.country, "currency": C.c.currency}
_CUSTOMER_NAMES = {*_CUSTOMER_COLUMNS, "date_from", "date_to"}


def _customer_measure(name: str, rows):
    orders = func.coalesce(func.sum(rows.c.orders), 0)
    return {
        "customers": lambda: func.count(func.distinct(rows.c.customer)),
        "orders": lambda: orders,
        "sales": lambda: sum_money(rows.c.goods_amount),
        "avg_order_value": lambda: ratio(func.sum(rows.c.goods_amount), func.sum(rows.c.orders)),
    }[name]()


def customer_statement(spec: ReportSpec, dialect: str):
    """The one SELECT answering ``spec`` from the customer rollup (distinct customers with orders
    and sales by province, country or currency), or None when it keeps not all ``spec`` names."""
    check_spec(spec)
    names = {*spec.dimensions, *spec.filters}
    if not names <= _CUSTOMER_NAMES or not set(spec.measures) <= {
        "customers",
        "orders",
        "sales",
        "avg_order_value",
    }:
        return None
    date_from = _date("date_from", spec.filters["date_from"]) if "date_from" in spec.filters else None
    date_to = _date("date_to", spec.filters["date_to"]) if "date_to" in spec.filters else None
    conditions = []
    for name, value in spec.filters.items():
        if FILTERS[name].kind == "among":
            conditions.append(_CUSTOMER_COLUMNS[name].in_(_values(name, value)))
    # each range of days its own SELECT (an OR of them makes SQLite merge two index scans)
    wanted = (C.c.region, C.c.country, C.c.currency, C.c.customer, C.c.orders, C.c.goods_amount)
    parts = [
        select(*wanted).where(p, *conditions) for p in rollup.period_parts(date_from, date_to, C, dialect)
    ]
    rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("bought")
    by = {"province": rows.c.region, "country": rows.c.country, "currency": rows.c.currency}
    columns = [by[d].label(d) for d in spec.dimensions]
    columns += [_customer_measure(m, rows).label(m) for m in spec.measures]
    stmt = select(*columns)
    if spec.dimensions:
        stmt = stmt.group_by(*(by[d] for d in spec.dimensions))
    return _ordered(stmt, spec, columns)


def _ordered(stmt, spec: ReportSpec, columns: list):
    order = [spec.sort] if spec.sort else list(spec.dimensions)
    if order:
        labelled = {c.name: c for c in columns}
        stmt = stmt.order_by(*(labelled[o].desc() if spec.descending else labelled[o] for o in order))
        # ties in the order of the dimensions: the same rows, in the same order, from any source
        stmt = stmt.order_by(*(labelled[d] for d in spec.dimensions if d not in order))
    limit = min(int(spec.limit), MAX_ROWS) if spec.limit else MAX_ROWS
    return stmt.limit(limit)


def _clean(measure: str, value: object) -> object:
    kind = MEASURES[measure].kind
    if value is None:
        return None if kind == "ratio" else (Decimal("0.00") if kind == "money" else 0)
    if kind == "money":
        return round_money(Decimal(str(value)))
    if kind == "ratio":
        return Decimal(str(value)).quantize(Decimal("0.0001"))
    return int(value)


def run_report(session: Session, actor: Actor, spec: ReportSpec, *, source: str = "auto") -> ReportResult:
    """Run ``spec`` in the database and return its aggregated rows.

    ``source``: ``auto`` reads the sales rollup (:mod:`ecerp_core.analytics.rollup`), or for distinct
    customers the customer rollup, when it holds everything ``spec`` names and is up to date (or
    can be brought up to date), else the orders;
    ``orders`` always reads the orders (the same answer, slower).

    Money comes back as ``Decimal`` rounded to the cent, counts as ``int``, ratios as ``Decimal``
    with four places (None where the base is zero). Raises :class:`UnknownField` for any name
    outside the layer, :class:`GrainMismatch` for an order amount split by SKU or category.
    """
    require(actor, "analytics.read")
    dialect = session.get_bind().dialect.name
    stmt = rollup_statement(spec, dialect) if source == "auto" else None
    if stmt is None and source == "auto":
        stmt = customer_statement(spec, dialect)
    if stmt is None or not rollup.ensure_fresh(session):
        stmt = report_statement(spec, dialect)
    result = session.execute(stmt)
    columns = (*spec.dimensions, *spec.measures)
    rows = []
    for raw in result:
        row = dict(zip(columns, raw, strict=True))
        for m in spec.measures:
            row[m] = _clean(m, row[m])
        for d in spec.dimensions:
            row[d] = "" if row[d] is None else str(row[d])
        rows.append(row)
    return ReportResult(spec, columns, rows)
