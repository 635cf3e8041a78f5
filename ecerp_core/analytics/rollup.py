"""The sales rollup (:class:`~ecerp_core.analytics.models.SalesRollup`): the orders and their lines
added up per day and per month, so a dashboard over a million orders reads a few thousand rows.

It is a cache of the orders, never a second truth: :func:`refresh_rollup` rebuilds the days whose
orders changed since it last ran — found by ``sales_order.updated_at`` (every write of an order
sets it) and by the stock moves of orders appended since (the cost a margin reads) — and the months
holding them, from the days. :class:`~ecerp_core.analytics.models.RollupMark` records how far it
read; :func:`is_fresh` compares that with the orders now, and the report runner answers from the
rollup only when it is fresh (bringing it up to date first when it can, else reading the orders).
``ecerp check`` proves the rollup equal to the orders day by day
(:func:`ecerp_core.analytics.checks.rollup_differences`).

In the same refresh it keeps the customer rollup (:data:`C`, orders per buyer per day and month,
for distinct customers) the same way: the changed days from the orders, their months from the days;
a buyer met for the first time gets its number in :data:`K` first.

On PostgreSQL an order updated by a transaction that commits later than a refresh that ran
meanwhile carries an ``updated_at`` before the mark: the days of orders updated in the :data:`LAG`
before the mark are rebuilt every time, and the mark counts them, so such an order is still picked
up. SQLite runs one writer at a time: only a writer that took its moment just before it waited for
the lock is late, by seconds, so it looks back :data:`SQLITE_LAG`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.analytics.layer import const, sales_condition
from ecerp_core.analytics.models import CustomerKey, CustomerRollup, RollupMark, SalesRollup
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Product
from ecerp_core.db import for_update, is_postgres, utcnow
from ecerp_core.orders.models import STOCK_SOURCE, Order, OrderLine
from ecerp_core.stock.models import StockMove

LAG = dt.timedelta(minutes=10)
"""How long before its mark a refresh still looks for updated orders (transactions in flight), on
PostgreSQL."""
SQLITE_LAG = dt.timedelta(minutes=1)
CHUNK = 200
"""Days rebuilt per statement."""
WORK_MEM = "256MB"
"""PostgreSQL's memory for a refresh's aggregates (its default, 4MB, sorts them on disk)."""
ORDER_LEVEL, SKU_LEVEL, CATEGORY_LEVEL = "o", "s", "c"
DAY, MONTH = "d", "m"
R = SalesRollup.__table__
C = CustomerRollup.__table__
K = CustomerKey.__table__
COLUMNS = (
    "level",
    "period",
    "day",
    "currency",
    "status",
    "platform",
    "shop_id",
    "region",
    "country",
    "product_id",
    "platform_sku",
    "category_id",
    "orders",
    "line_orders",
    "returned",
    "line_returned",
    "goods_amount",
    "refunded_amount",
    "units",
    "amount",
    "cost",
    "costed_amount",
)
MEASURES = COLUMNS[12:]
KEYS = COLUMNS[:12]


def _sales(days: Sequence[dt.date] | None) -> list:
    conditions = [sales_condition()]
    if days is not None:
        conditions.append(Order.order_date.in_(list(days)))
    return conditions


def _lines(days: Sequence[dt.date] | None):
    """The sale lines of ``days`` (all days: None) with their order's keys and their cost, joined as
    the semantic layer joins them (:func:`ecerp_core.analytics.layer.line_cost`)."""
    moves = select(
        StockMove.source_id.label("order_id"),
        StockMove.product_id.label("product_id"),
        func.sum(-StockMove.quantity * StockMove.unit_cost).label("cost"),
    ).where(StockMove.source_type == STOCK_SOURCE)
    if days is not None:
        moves = moves.where(StockMove.source_id.in_(select(Order.id).where(*_sales(days))))
    cost = moves.group_by(StockMove.source_id, StockMove.product_id).subquery("line_cost")
    return (
        select(
            Order.id.label("order_id"),
            Order.order_date.label("day"),
            Order.currency,
            Order.status,
            Order.platform,
            Order.shop_id,
            Order.refunded_amount,
            OrderLine.product_id,
            OrderLine.platform_sku,
            OrderLine.quantity,
            OrderLine.amount,
            cost.c.cost,
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(
            cost, and_(cost.c.order_id == OrderLine.order_id, cost.c.product_id == OrderLine.product_id)
        )
        .where(*_sales(days))
        .subquery("lines")
    )


def _costed(lines):
    return case((lines.c.cost.is_not(None), lines.c.amount), else_=null())


def _zero(column):
    return func.coalesce(func.sum(column), 0)


def order_level(days: Sequence[dt.date] | None):
    """One row per day and order keys: the orders, and their lines added up (level ``o``)."""
    lines = _lines(days)
    per_order = (
        select(
            lines.c.order_id,
            func.sum(lines.c.quantity).label("units"),
            func.sum(lines.c.amount).label("amount"),
            func.sum(lines.c.cost).label("cost"),
            func.sum(_costed(lines)).label("costed"),
        )
        .group_by(lines.c.order_id)
        .subquery("per_order")
    )
    refunded = Order.refunded_amount > 0
    keys = (Order.order_date, Order.currency, Order.status, Order.platform, Order.shop_id, Order.region)
    keys += (Order.country,)
    return (
        select(
            literal(ORDER_LEVEL),
            literal(DAY),
            *keys,
            null(),
            const(""),
            null(),
            func.count(),
            func.count(per_order.c.order_id),
            _zero(case((refunded, 1), else_=0)),
            _zero(case((and_(refunded, per_order.c.order_id.is_not(None)), 1), else_=0)),
            _zero(Order.goods_amount),
            _zero(Order.refunded_amount),
            _zero(per_order.c.units),
            _zero(per_order.c.amount),
            _zero(per_order.c.cost),
            _zero(per_order.c.costed),
        )
        .outerjoin(per_order, per_order.c.order_id == Order.id)
        .where(*_sales(days))
        .group_by(*keys)
    )


def line_level(days: Sequence[dt.date] | None, level: str):
    """One row per day, order keys and SKU (level ``s``) or category (level ``c``) of the lines."""
    lines = _lines(days)
    keys = (lines.c.day, lines.c.currency, lines.c.status, lines.c.platform, lines.c.shop_id)
    if level == SKU_LEVEL:
        sku = case((lines.c.product_id.is_(None), lines.c.platform_sku), else_=const(""))
        what, group = (lines.c.product_id, sku, null()), (lines.c.product_id, sku)
        source = select().select_from(lines)
    else:
        what, group = (null(), const(""), Product.category_id), (Product.category_id,)
        source = select().select_from(lines).outerjoin(Product, Product.id == lines.c.product_id)
    orders = func.count(func.distinct(lines.c.order_id))
    returned = func.count(func.distinct(case((lines.c.refunded_amount > 0, lines.c.order_id), else_=null())))
    return source.add_columns(
        literal(level),
        literal(DAY),
        *keys,
        const(""),
        const(""),
        *what,
        orders,
        orders,
        returned,
        returned,
        literal(0),
        literal(0),
        _zero(lines.c.quantity),
        _zero(lines.c.amount),
        _zero(lines.c.cost),
        _zero(_costed(lines)),
    ).group_by(*keys, *group)


def month_start(column, dialect: str):
    """The first day of a date column's month."""
    if dialect == "postgresql":  # over a timestamp without a time zone: no zone to look up per row
        return cast(func.date_trunc(const("month"), cast(column, DateTime)), Date)
    return func.date(column, const("start of month"))


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _rebuild_days(session: Session, days: Sequence[dt.date] | None, levels: Sequence[str]) -> None:
    """Rows of ``days`` (all: None) at ``levels`` thrown away and added up again from the orders."""
    conn = session.connection()
    chunks: Iterable = [None] if days is None else (days[i : i + CHUNK] for i in range(0, len(days), CHUNK))
    for chunk in chunks:
        gone = delete(R).where(R.c.period == DAY, R.c.level.in_(levels))
        conn.execute(gone if chunk is None else gone.where(R.c.day.in_(chunk)))
        for level in levels:
            select_ = order_level(chunk) if level == ORDER_LEVEL else line_level(chunk, level)
            conn.execute(insert(R).from_select(COLUMNS, select_))


def _rebuild_months(session: Session, months: Sequence[dt.date] | None, levels: Sequence[str]) -> None:
    """Month rows (all: None) as the sums of their days."""
    conn = session.connection()
    month = month_start(R.c.day, conn.dialect.name)
    keys = [R.c[k] for k in KEYS if k not in ("period", "day")]
    gone = delete(R).where(R.c.period == MONTH, R.c.level.in_(levels))
    ranges: Iterable = [None] if months is None else months
    for first in ranges:
        summed = select(
            R.c.level,
            literal(MONTH),
            month,
            *keys[1:],
            *(func.sum(R.c[m]) for m in MEASURES),
        ).where(R.c.period == DAY, R.c.level.in_(levels))
        if first is None:
            conn.execute(gone)
        else:
            conn.execute(gone.where(R.c.day == first))
            summed = summed.where(R.c.day >= first, R.c.day < next_month(first))
        conn.execute(insert(R).from_select(COLUMNS, summed.group_by(R.c.level, month, *keys[1:])))


def period_rows(date_from: dt.date | None, date_to: dt.date | None, daily: bool, table=R):
    """The rollup rows covering the days from ``date_from`` to ``date_to``: the months wholly inside
    from their month rows, the days around them from day rows (every day when ``daily``); of the
    sales rollup, or of the customer rollup (``table`` :data:`C`)."""
    R = table
    day_rows = [R.c.period == DAY]
    if date_from is not None:
        day_rows.append(R.c.day >= date_from)
    if date_to is not None:
        day_rows.append(R.c.day <= date_to)
    if daily:
        return and_(*day_rows)
    first = None if date_from is None else date_from if date_from.day == 1 else next_month(date_from)
    after = None if date_to is None else next_month(date_to)
    if date_to is not None and after - date_to != dt.timedelta(days=1):
        after = date_to.replace(day=1)  # the month of date_to is not whole
    if first is not None and after is not None and first >= after:
        return and_(*day_rows)
    months = [R.c.period == MONTH]
    edges = []
    if first is not None:
        months.append(R.c.day >= first)
        edges.append(R.c.day < first)
    if after is not None:
        months.append(R.c.day < after)
        edges.append(R.c.day >= after)
    if not edges:
        return and_(*months)
    return or_(and_(*months), and_(*day_rows, or_(*edges)))


def period_parts(date_from: dt.date | None, date_to: dt.date | None, table=R, dialect: str = "") -> list:
    """:func:`period_rows` as up to three conditions: the whole months, the days before them, the
    days after (to read as a UNION ALL: an OR of them makes SQLite merge two index scans row by
    row). On SQLite the months' days are not looked up by the day index (most rows: a covering
    index in the order a dashboard groups by is walked instead)."""

    def days(start, end, inclusive):
        parts = [table.c.period == DAY]
        if start is not None:
            parts.append(table.c.day >= start)
        if end is not None:
            parts.append(table.c.day <= end if inclusive else table.c.day < end)
        return and_(*parts)

    first = None if date_from is None else date_from if date_from.day == 1 else next_month(date_from)
    after = None if date_to is None else next_month(date_to)
    if date_to is not None and after - date_to != dt.timedelta(days=1):
        after = date_to.replace(day=1)
    if first is not None and after is not None and first >= after:
        return [days(date_from, date_to, True)]
    months = [table.c.period == MONTH]
    day = func.coalesce(table.c.day, table.c.day) if dialect == "sqlite" else table.c.day
    if first is not None:
        months.append(day >= first)
    if after is not None:
        months.append(day < after)
    parts = [and_(*months)]
    if first is not None and first != date_from:
        parts.append(days(date_from, first, False))
    if after is not None and after <= date_to:
        parts.append(days(after, date_to, True))
    return parts


def month_number(column, dialect: str):
    """A date column's month as a number: year × 12 + month − 1."""
    if dialect == "postgresql":
        year, month = extract("year", column), extract("month", column)
    else:
        year, month = func.strftime(const("%Y"), column), func.strftime(const("%m"), column)
    return cast(year, Integer) * 12 + cast(month, Integer) - 1


def who() -> tuple:
    """Who bought, as the columns of :class:`~ecerp_core.analytics.models.CustomerKey`: the linked
    customer (shop 0, buyer ""), else the shop and buyer id (customer 0)."""
    linked = Order.customer_id.is_not(None)
    return (
        func.coalesce(Order.customer_id, 0),
        case((linked, 0), else_=Order.shop_id),
        case((linked, const("")), else_=Order.buyer_id),
    )


def known_customer():
    """Orders whose buyer is known (:func:`ecerp_core.analytics.layer.customer_key` is not None)."""
    return or_(Order.customer_id.is_not(None), Order.buyer_id != const(""))


def _key_match(columns: tuple):
    return and_(*(k == c for k, c in zip((K.c.customer_id, K.c.shop_id, K.c.buyer_id), columns, strict=True)))


def customer_days(days: Sequence[dt.date] | None, dialect: str):
    """One row per day, currency, province, country and buyer (its key; None: unknown) of the
    sales orders of ``days`` (all: None): their count and goods amount."""
    columns = who()
    keys = (Order.order_date, Order.currency, Order.region, Order.country, K.c.id)
    return (
        select(
            literal(DAY),
            Order.order_date,
            month_number(Order.order_date, dialect),
            Order.currency,
            Order.region,
            Order.country,
            K.c.id,
            func.count(),
            _zero(Order.goods_amount),
        )
        .select_from(Order)
        .outerjoin(K, and_(known_customer(), _key_match(columns)))
        .where(*_sales(days))
        .group_by(*keys)
    )


CUSTOMER_COLUMNS = ("period", "day", "month", "currency", "region", "country", "customer", "orders")
CUSTOMER_COLUMNS += ("goods_amount",)


def _touched(conn, chunk: Sequence[dt.date], into: dict) -> None:
    """The buyers of ``chunk``'s day rows, by the month they are in (None: the unknown buyer)."""
    stmt = select(C.c.day, C.c.customer).where(C.c.period == DAY, C.c.day.in_(chunk)).distinct()
    for day, customer in conn.execute(stmt):
        into.setdefault(first_of_month(day_of(day)), set()).add(customer)


def _rebuild_customer_days(session: Session, days: Sequence[dt.date] | None) -> dict:
    """The buyers of ``days`` (all: None) given keys when new, and their day rows added up again.
    Returns the buyers whose day rows were or are now there, by month (their month rows change)."""
    conn = session.connection()
    dialect = conn.dialect.name
    chunks: Iterable = [None] if days is None else (days[i : i + CHUNK] for i in range(0, len(days), CHUNK))
    touched: dict = {}
    for chunk in chunks:
        columns = who()
        new = select(*columns).where(
            *_sales(chunk), known_customer(), ~select(K.c.id).where(_key_match(columns)).exists()
        )
        conn.execute(insert(K).from_select(["customer_id", "shop_id", "buyer_id"], new.distinct()))
        gone = delete(C).where(C.c.period == DAY)
        if chunk is not None:
            _touched(conn, chunk, touched)
        conn.execute(gone if chunk is None else gone.where(C.c.day.in_(chunk)))
        conn.execute(insert(C).from_select(CUSTOMER_COLUMNS, customer_days(chunk, dialect)))
        if chunk is not None:
            _touched(conn, chunk, touched)
    return touched


def _buyers(customers: Sequence):
    known = [c for c in customers if c is not None]
    parts = [C.c.customer.in_(known)] if known else []
    if None in customers:
        parts.append(C.c.customer.is_(None))
    return or_(*parts)


def _rebuild_customer_months(
    session: Session, months: Sequence[dt.date] | None, touched: dict | None = None
) -> None:
    """Month rows of the customer rollup (all: None) as the sums of their days; with ``touched``
    only those of the buyers in it (by month): the others' days did not change."""
    conn = session.connection()
    month = month_start(C.c.day, conn.dialect.name)
    keys = (C.c.month, C.c.currency, C.c.region, C.c.country, C.c.customer)
    gone = delete(C).where(C.c.period == MONTH)
    if months is None:
        summed = select(literal(MONTH), month, *keys, func.sum(C.c.orders), func.sum(C.c.goods_amount))
        conn.execute(gone)
        summed = summed.where(C.c.period == DAY).group_by(month, *keys)
        conn.execute(insert(C).from_select(CUSTOMER_COLUMNS, summed))
        return
    for first in months:
        buyers = sorted((touched or {}).get(first, ()), key=lambda c: (c is None, c or 0))
        for i in range(0, len(buyers), 500):
            who_ = _buyers(buyers[i : i + 500])
            conn.execute(gone.where(C.c.day == first, who_))
            summed = select(literal(MONTH), month, *keys, func.sum(C.c.orders), func.sum(C.c.goods_amount))
            summed = summed.where(C.c.period == DAY, C.c.day >= first, C.c.day < next_month(first), who_)
            conn.execute(insert(C).from_select(CUSTOMER_COLUMNS, summed.group_by(month, *keys)))


def _lag(session: Session) -> dt.timedelta:
    return LAG if is_postgres(session) else SQLITE_LAG


def current_marks(session: Session) -> tuple:
    """What the rollup must have read to be fresh: (latest order update, orders updated in the
    :data:`LAG` before it, last stock move, the products' categories fingerprint)."""
    at = session.scalar(select(func.max(Order.updated_at)))
    recent = session.scalar(select(func.count()).where(Order.updated_at > at - _lag(session))) if at else 0
    move = session.scalar(select(func.coalesce(func.max(StockMove.id), 0)))
    pid, cat = cast(Product.id, BigInteger), func.coalesce(Product.category_id, 0)
    n, a, b = session.execute(select(func.count(), _zero(pid * cat), _zero(pid * pid * cat))).one()
    return at, int(recent or 0), int(move or 0), f"{n}:{int(a)}:{int(b)}"


def stored_marks(session: Session, lock: bool = False):
    stmt = select(RollupMark.orders_at, RollupMark.orders_recent, RollupMark.move_id, RollupMark.products)
    stmt = stmt.where(RollupMark.id == 1)
    row = session.execute(for_update(stmt, session) if lock else stmt).first()
    return None if row is None else tuple(row)


def is_fresh(session: Session) -> bool:
    """Whether the rollup has read every order and stock move there is now."""
    return stored_marks(session) == current_marks(session)


def changed_days(session: Session, stored: tuple) -> list[dt.date]:
    orders_at, _recent, move_id, _products = stored
    days = set()
    if orders_at is not None:
        updated = select(Order.id).where(Order.updated_at > orders_at - _lag(session))
        stmt = select(Order.order_date).where(Order.id.in_(updated)).distinct()  # by updated_at's index
        days.update(session.scalars(stmt))
    # the moves after the mark by their key, then their orders by theirs: no scan of either table
    new_moves = select(StockMove.source_id).where(
        StockMove.id > move_id, StockMove.source_type == STOCK_SOURCE
    )
    moved = select(Order.order_date).where(Order.id.in_(new_moves)).distinct()
    days.update(session.scalars(moved))
    return sorted(days)


def day_of(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def update_rollup(session: Session, *, full: bool = False) -> dict:
    """Bring the rollup up to date in the session's transaction: the changed days (or all of them
    when ``full`` or never built), their months, and every category row when a product changed its
    category. Returns ``days`` rebuilt (None: all) and whether it was ``full``.

    A cache's upkeep rather than a user's write: the caller checks the permission
    (:func:`refresh_rollup` for a person, the report runner for a reader)."""
    stored = stored_marks(session, lock=True)
    if is_postgres(session):  # its sums group by a dozen keys: in memory, not sorted on disk
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    if stored is None:  # the row first, so a second builder waits on it instead of building twice
        session.execute(insert(RollupMark).values(id=1, refreshed_at=utcnow()))
        full = True
    marks = current_marks(session)
    levels = (ORDER_LEVEL, SKU_LEVEL, CATEGORY_LEVEL)
    days: list[dt.date] | None = None
    if full:
        _rebuild_days(session, None, levels)
        _rebuild_months(session, None, levels)
        _rebuild_customer_days(session, None)
        _rebuild_customer_months(session, None)
    else:
        if stored[3] != marks[3]:  # a product moved to another category: its rows are everywhere
            _rebuild_days(session, None, (CATEGORY_LEVEL,))
            _rebuild_months(session, None, (CATEGORY_LEVEL,))
        days = changed_days(session, stored)
        months = sorted({first_of_month(day_of(d)) for d in days})
        _rebuild_days(session, days, levels)
        _rebuild_months(session, months, levels)
        touched = _rebuild_customer_days(session, days)
        _rebuild_customer_months(session, months, touched)
    at, recent, move, products = marks
    session.execute(
        RollupMark.__table__.update()
        .where(RollupMark.id == 1)
        .values(orders_at=at, orders_recent=recent, move_id=move, products=products, refreshed_at=utcnow())
    )
    return {"days": None if days is None else len(days), "full": days is None}


def refresh_rollup(session: Session, actor: Actor, *, full: bool = False) -> dict:
    """``ecerp report refresh``: bring the rollup up to date (``full``: rebuild it), audited."""
    require(actor, "analytics.report")
    done = update_rollup(session, full=full)
    audit.record(session, actor, "rollup.refresh", "analytics_rollup_mark", 1, done)
    return done


def keep_fresh(session: Session, actor: Actor) -> bool:
    """Before a reader's read-only transaction: bring the rollup up to date in this (writing)
    session when it is stale, so the reads after it find it fresh. Returns whether it was stale."""
    require(actor, "analytics.read")
    if is_fresh(session):
        return False
    update_rollup(session)
    return True


def ensure_fresh(session: Session) -> bool:
    """Whether the rollup may answer now: fresh, or brought up to date in a savepoint of the
    session's writing transaction. A read-only session (``session_scope(readonly=True)``) writes
    nothing: there a stale rollup is not read, the caller reads the orders (readers bring it up to
    date first with :func:`keep_fresh`); a refresh that fails leaves it as it was, the same."""
    if is_fresh(session):
        return True
    if session.info.get("readonly"):
        return False
    try:
        with session.begin_nested():
            update_rollup(session)
    except DBAPIError:
        return False
    return True
