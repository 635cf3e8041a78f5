"""Analytics benchmarks: each dashboard query over a generated order history, beside the same
aggregate written as one raw SQL statement, run in the same process on the same rows.

The history (built once per run with set-based ``INSERT ... SELECT``): 100,000 orders × ``--scale``
(``ecerp bench --scale 10`` gives 1,000,000), two lines each, over 730 days, 5 platforms, 31
provinces, 2,000 SKUs in 20 categories, a buyer per 4 orders, one order in 20 refunded, a
shipment move per line (the cost the margin reads), a stock level per SKU (slow movers, stock
cover) and a CRM ticket per 50 orders, most of them complaints (the complaint rates). Timed:

- ecerp: the query through :mod:`ecerp_core.analytics.dashboards` (semantic layer, permission
  check, Decimals);
- baseline: one hand-written SQL statement giving the same aggregate over the orders, fetched with
  the DBAPI cursor;
- and, in the note, one hand-written statement giving it from the sales rollup
  (:mod:`ecerp_core.analytics.rollup`, built once after the history, its time in the note too), or
  for distinct customers, repeat rate and cohorts from the customer rollup kept with it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, Integer, Numeric, String, text, update

from benchmarks.core import BenchConfig, BenchResult, benchmark, timed
from benchmarks.fresh import fresh_url
from ecerp_core.analytics import dashboards, rollup
from ecerp_core.analytics.complaints import complaint_rates
from ecerp_core.auth import resolve_actor
from ecerp_core.db import get_engine, session_scope
from ecerp_core.orders.models import Order
from ecerp_core.schema import metadata
from ecerp_core.setup import initialise

ORDERS = 100_000
SKUS, CATEGORIES, SHOPS, PROVINCES, DAYS = 2000, 20, 5, 31, 730
START = dt.date(2024, 11, 1)
PLATFORMS = ("taobao", "tmall", "jd", "pdd", "shopify")
SALE = "('paid', 'approved', 'shipped', 'finished', 'refunded')"
TICKET_EVERY = 50
STATUSES = ("new", "in_progress", "resolved", "closed")
_built: dict[tuple, str] = {}
_rollup_built: dict[str, float] = {}


def _series(pg: bool) -> str:
    if pg:
        return "SELECT g AS i FROM generate_series(1, :n) AS g"
    return "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) SELECT i FROM s"


def _insert(conn, table: str, given: dict[str, str], source: str, params: dict) -> None:
    """INSERT INTO table SELECT the ``given`` expressions, every other required column its blank."""
    columns, values = [], []
    for column in metadata.tables[table].columns:
        if column.name in given:
            expr = given[column.name]
        elif column.nullable or column.primary_key:
            continue
        elif isinstance(column.type, Boolean):
            expr = "false"
        elif isinstance(column.type, Numeric | Integer):
            expr = "0"
        elif isinstance(column.type, String):
            expr = "''"
        elif isinstance(column.type, DateTime) or "at" in column.name:
            expr = "CURRENT_TIMESTAMP"
        else:
            expr = "'{}'"
        columns.append(column.name)
        values.append(expr)
    conn.execute(
        text(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM ({source}) AS q"),
        params,
    )


def _populate(url: str, orders: int) -> None:
    engine = get_engine(url)
    pg = engine.dialect.name == "postgresql"
    series = _series(pg)
    day = f"(DATE '{START}' + (i % {DAYS}))" if pg else f"date('{START}', '+' || (i % {DAYS}) || ' days')"
    with engine.begin() as conn:
        _insert(
            conn,
            "category",
            {"code": "'C' || i", "name_zh": "'品类' || i", "path": "'C' || i", "active": "true"},
            series,
            {"n": CATEGORIES},
        )
        _insert(
            conn,
            "product",
            {
                "sku": "'SKU-' || i",
                "name_zh": "'商品' || i",
                "spec": "'{}'",
                "unit": "'件'",
                "active": "true",
                "category_id": f"(i % {CATEGORIES}) + 1",
                "cost": "10",
            },
            series,
            {"n": SKUS},
        )
        _insert(
            conn,
            "warehouse",
            {"code": "'W1'", "name": "'仓库'", "active": "true", "priority": "1"},
            series,
            {"n": 1},
        )
        _insert(
            conn,
            "shop",
            {
                "code": "'S' || i",
                "name": "'店铺' || i",
                "platform": "'p' || i",
                "currency": "'CNY'",
                "active": "true",
            },
            series,
            {"n": SHOPS},
        )
        platform = "CASE i % 5 " + " ".join(f"WHEN {n} THEN '{p}'" for n, p in enumerate(PLATFORMS)) + " END"
        _insert(
            conn,
            "sales_order",
            {
                "id": "i",
                "platform": platform,
                "shop_id": "(i % 5) + 1",
                "platform_order_id": "'O' || i",
                "buyer_id": f"'b' || (i % {max(1, orders // 4)})",
                "region": f"'省' || (i % {PROVINCES})",
                "currency": "'CNY'",
                "goods_amount": "(i % 50) * 4 + 20",
                "total_amount": "(i % 50) * 4 + 20",
                "paid_amount": "(i % 50) * 4 + 20",
                "refunded_amount": "CASE WHEN i % 20 = 0 THEN 10 ELSE 0 END",
                "status": "CASE WHEN i % 20 = 0 THEN 'refunded' ELSE 'finished' END",
                "order_date": day,
                "created_at": "CURRENT_TIMESTAMP",
                "country": "'CN'",
            },
            series,
            {"n": orders},
        )
        for line in (1, 2):
            quantity, price = f"(i % 3) + {line}", "(i % 50) * 2 + 10"
            _insert(
                conn,
                "sales_order_line",
                {
                    "id": f"(i - 1) * 2 + {line}",
                    "order_id": "i",
                    "line_no": str(line),
                    "platform_sku": f"'SKU-' || ((i * {line} * 7) % {SKUS} + 1)",
                    "product_id": f"(i * {line} * 7) % {SKUS} + 1",
                    "quantity": quantity,
                    "unit_price": price,
                    "amount": f"({quantity}) * ({price})",
                },
                series,
                {"n": orders},
            )
            _insert(
                conn,
                "stock_move",
                {
                    "product_id": f"(i * {line} * 7) % {SKUS} + 1",
                    "warehouse_id": "1",
                    "quantity": f"-((i % 3) + {line})",
                    "move_type": "'shipment'",
                    "unit_cost": "10 + (i % 7)",
                    "business_date": day,
                    "at": "CURRENT_TIMESTAMP",
                    "source_type": "'order'",
                    "source_id": "i",
                },
                series,
                {"n": orders},
            )
        # what the warehouse holds: every SKU in stock but one in 400, 1 to 399 units
        _insert(
            conn,
            "stock_level",
            {"product_id": "i", "warehouse_id": "1", "on_hand": "(i * 37) % 400", "reserved": "0"},
            series,
            {"n": SKUS},
        )
        # a ticket per 50 orders, on orders spread over days, platforms and shops: 4 in 5 complaints
        # (a third naming no SKU, the others the SKU of one of the order's lines), the rest inquiries
        # and feedback; one in 25 names no order
        order = f"((i * 53) % {orders}) + 1"
        status = " ".join(f"WHEN {n} THEN '{s}'" for n, s in enumerate(STATUSES))
        named = " ".join(f"WHEN {n} THEN 'SKU-' || (({order} * {n * 7}) % {SKUS} + 1)" for n in (1, 2))
        _insert(
            conn,
            "crm_ticket",
            {
                "kind": "CASE i % 10 WHEN 0 THEN 'inquiry' WHEN 5 THEN 'feedback' ELSE 'complaint' END",
                "channel": "'platform_chat'",
                "order_id": f"CASE WHEN i % 25 = 0 THEN NULL ELSE {order} END",
                "sku": f"CASE i % 3 {named} ELSE '' END",
                "subject": "'投诉' || i",
                "status": f"CASE i % 4 {status} END",
                "created_at": "CURRENT_TIMESTAMP",
                "updated_at": "CURRENT_TIMESTAMP",
            },
            series,
            {"n": max(1, orders // TICKET_EVERY)},
        )
        if not pg:
            conn.execute(text("ANALYZE"))


def _database(cfg: BenchConfig) -> tuple[str, int]:
    orders = max(1000, int(ORDERS * cfg.scale))
    key = (str(cfg.workdir), cfg.database_url, orders)
    url = _built.get(key)
    if url is not None:
        with get_engine(url).connect() as conn:  # another benchmark may have reset PostgreSQL
            try:
                if conn.execute(text("SELECT COUNT(*) FROM sales_order")).scalar() == orders:
                    return url, orders
            except Exception:  # the tables are gone: build again
                pass
    url = fresh_url(cfg.workdir, cfg.database_url, "analytics")
    with session_scope(url) as session:
        initialise(session, company="bench", admin_password="bench-password")
    _populate(url, orders)
    with get_engine(url).begin() as conn:  # imported long ago: a refresh reads only what changes next
        conn.execute(update(Order).values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)))
    with session_scope(url) as session:
        _rollup_built[url] = timed(lambda: rollup.update_rollup(session, full=True))
    if get_engine(url).dialect.name == "postgresql":
        with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with get_engine(url).begin() as conn:
            conn.execute(text("ANALYZE"))
    _built[key] = url
    return url, orders


def _fetch(url: str, sql: str) -> list[tuple]:
    raw = get_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql)
        return cur.fetchall()
    finally:
        raw.close()


def _raw(url: str, sql: str) -> int:
    return len(_fetch(url, sql))


def _plain(value: object) -> object:
    """A fetched or returned value as the checks compare it: numbers as Decimals to the cent."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    return value


def _table(rows) -> list[tuple]:
    return [tuple(_plain(v) for v in row) for row in rows]


def _month(pg: bool) -> str:
    return "to_char(order_date, 'YYYY-MM')" if pg else "strftime('%Y-%m', order_date)"


def _compare(
    cfg: BenchConfig,
    name: str,
    ours: Callable,
    baseline: Callable[[bool], str],
    check: Callable[[object, int], bool],
    from_rollup: Callable[[bool], str] | None = None,
    window: dashboards.Window | None = None,
    rollup_name: str = "rollup",
    same: Callable[[int, int], bool] | None = None,
    values: Callable[[object], list[tuple]] | None = None,
    expected: Callable[[list[tuple]], list[tuple]] | None = None,
) -> BenchResult:
    """``ours`` timed beside the raw ``baseline`` statement (and the ``from_rollup`` one, untimed
    beside); ``check(got, rows)`` each result against the baseline's row count, and with ``values``
    (ours as tuples) every value against the baseline's rows (through ``expected`` when given)."""
    url, orders = _database(cfg)
    pg = get_engine(url).dialect.name == "postgresql"
    result = BenchResult(
        f"analytics {name}",
        orders,
        "orders",
        backend="postgresql" if pg else "sqlite",
        baseline_name="one raw SQL statement",
    )
    with session_scope(url, readonly=True) as session:
        admin = resolve_actor(session, "admin")
    window = window or dashboards.Window(START, START + dt.timedelta(days=DAYS - 1), "CNY")
    sql = baseline(pg)

    rollup_sql = from_rollup(pg) if from_rollup else None
    fetched = _fetch(url, sql)  # warm the caches for both sides alike; what ours must give, once
    rows = len(fetched)
    results = []

    def run_ours() -> None:
        with session_scope(url, readonly=True) as session:
            got = ours(session, admin, window)
        assert check(got, rows), got
        results.append(got)

    assert not rollup_sql or (same or int.__eq__)(_raw(url, rollup_sql), rows), name
    rolled = []
    for _ in range(cfg.repeat):
        result.ours.append(timed(run_ours))
        result.baseline.append(timed(lambda: _raw(url, sql)))
        if rollup_sql:
            rolled.append(timed(lambda: _raw(url, rollup_sql)))
    if values is not None:
        want = _table((expected or list)(fetched))
        for got in results:
            assert _table(values(got)) == want, (name, _table(values(got)), want)
    result.note = f"{orders:,} orders, {2 * orders:,} lines, {2 * orders:,} stock moves, "
    result.note += f"{orders // TICKET_EVERY:,} tickets; "
    if rolled:
        result.note += f"one raw statement over the {rollup_name} {statistics.median(rolled):.3f} s; "
    else:
        result.note += "not from the rollup; "
    result.note += f"rollup built in {_rollup_built.get(url, 0):.1f} s"
    return result


def _rows(got, n: int) -> bool:
    return len(got) == n


ROLLUP = "FROM analytics_sales_rollup r "
CUSTOMERS = "FROM analytics_customer_rollup "
CUSTOMER_MONTHS = "period = 'm' AND currency = 'CNY'"
MONTHS = "r.period = 'm' AND r.currency = 'CNY'"


@benchmark("analytics-sales-by-month")
def sales_by_month(cfg: BenchConfig) -> BenchResult:
    """Sales trend by month with the year before (two layer queries) vs one GROUP BY."""
    return _compare(
        cfg,
        "sales by month (YoY)",
        lambda s, a, w: dashboards.sales_trend(s, a, w, "month"),
        lambda pg: (
            f"SELECT {_month(pg)}, SUM(goods_amount), COUNT(*) FROM sales_order "
            f"WHERE status IN {SALE} GROUP BY 1"
        ),
        _rows,
        lambda pg: (
            f"SELECT {_month(pg).replace('order_date', 'r.day')}, SUM(r.goods_amount), SUM(r.orders) {ROLLUP}"
            f"WHERE r.level = 'o' AND {MONTHS} GROUP BY 1"
        ),
    )


@benchmark("analytics-sales-by-platform")
def sales_by_platform(cfg: BenchConfig) -> BenchResult:
    """Sales, orders and units by platform (order lines joined) vs one GROUP BY."""
    return _compare(
        cfg,
        "sales by platform",
        lambda s, a, w: dashboards.sales_by(s, a, w, "platform"),
        lambda pg: (
            "SELECT o.platform, SUM(l.amount), COUNT(DISTINCT o.id), SUM(l.quantity) FROM sales_order o "
            f"JOIN sales_order_line l ON l.order_id = o.id WHERE o.status IN {SALE} GROUP BY o.platform"
        ),
        _rows,
        lambda pg: (
            f"SELECT r.platform, SUM(r.amount), SUM(r.line_orders), SUM(r.units) {ROLLUP}"
            f"WHERE r.level = 'o' AND {MONTHS} GROUP BY r.platform"
        ),
    )


@benchmark("analytics-sales-by-category")
def sales_by_category(cfg: BenchConfig) -> BenchResult:
    """Sales by category (lines, products, categories joined) vs one GROUP BY."""
    return _compare(
        cfg,
        "sales by category",
        lambda s, a, w: dashboards.sales_by(s, a, w, "category", limit=100),
        lambda pg: (
            "SELECT c.code, SUM(l.amount), COUNT(DISTINCT o.id), SUM(l.quantity) FROM sales_order o "
            "JOIN sales_order_line l ON l.order_id = o.id JOIN product p ON p.id = l.product_id "
            f"JOIN category c ON c.id = p.category_id WHERE o.status IN {SALE} GROUP BY c.code"
        ),
        _rows,
        lambda pg: (
            f"SELECT c.code, SUM(r.amount), SUM(r.orders), SUM(r.units) {ROLLUP}"
            f"JOIN category c ON c.id = r.category_id WHERE r.level = 'c' AND {MONTHS} GROUP BY c.code"
        ),
    )


@benchmark("analytics-bestsellers")
def bestsellers(cfg: BenchConfig) -> BenchResult:
    """The 10 SKUs that sold most units vs one GROUP BY ... ORDER BY ... LIMIT 10."""
    return _compare(
        cfg,
        "bestsellers",
        lambda s, a, w: dashboards.bestsellers(s, a, w, 10),
        lambda pg: (
            "SELECT l.platform_sku, SUM(l.quantity) AS u, SUM(l.amount), COUNT(DISTINCT o.id) "
            "FROM sales_order o "
            f"JOIN sales_order_line l ON l.order_id = o.id WHERE o.status IN {SALE} GROUP BY l.platform_sku "
            "ORDER BY u DESC LIMIT 10"
        ),
        _rows,
        lambda pg: (
            "SELECT COALESCE(p.sku, r.platform_sku), SUM(r.units) AS u, SUM(r.amount), SUM(r.orders) "
            f"{ROLLUP}"
            f"LEFT JOIN product p ON p.id = r.product_id WHERE r.level = 's' AND {MONTHS} "
            "GROUP BY COALESCE(p.sku, r.platform_sku) ORDER BY u DESC LIMIT 10"
        ),
    )


LAST_YEAR = dashboards.Window(
    START + dt.timedelta(days=DAYS - 365), START + dt.timedelta(days=DAYS - 1), "CNY"
)


@benchmark("analytics-bestsellers-365d")
def bestsellers_last_year(cfg: BenchConfig) -> BenchResult:
    """The 10 SKUs that sold most units in the last 365 days (the default window: its first and last
    months partial, read from day rows around the month rows) vs one GROUP BY ... LIMIT 10."""
    since, until = LAST_YEAR.date_from, LAST_YEAR.date_to
    first, after = dt.date(since.year, since.month + 1, 1), dt.date(until.year, until.month, 1)
    return _compare(
        cfg,
        "bestsellers, 365 days",
        lambda s, a, w: dashboards.bestsellers(s, a, w, 10),
        lambda pg: (
            "SELECT l.platform_sku, SUM(l.quantity) AS u, SUM(l.amount), COUNT(DISTINCT o.id) "
            "FROM sales_order o JOIN sales_order_line l ON l.order_id = o.id "
            f"WHERE o.status IN {SALE} AND o.order_date BETWEEN '{since}' AND '{until}' "
            "GROUP BY l.platform_sku ORDER BY u DESC LIMIT 10"
        ),
        _rows,
        lambda pg: (
            "SELECT COALESCE(p.sku, r.platform_sku), SUM(r.units) AS u, SUM(r.amount), SUM(r.orders) "
            f"{ROLLUP}LEFT JOIN product p ON p.id = r.product_id WHERE r.level = 's' AND r.currency = 'CNY' "
            f"AND ((r.period = 'm' AND r.day >= '{first}' AND r.day < '{after}') OR (r.period = 'd' AND "
            f"r.day BETWEEN '{since}' AND '{until}' AND (r.day < '{first}' OR r.day >= '{after}'))) "
            "GROUP BY COALESCE(p.sku, r.platform_sku) ORDER BY u DESC LIMIT 10"
        ),
        LAST_YEAR,
    )


@benchmark("analytics-rollup-refresh")
def rollup_refresh(cfg: BenchConfig) -> BenchResult:
    """The rollup brought up to date after one day's orders changed (their refunds): the changed
    day and its month added up again, vs one raw statement adding up that day's orders and lines."""
    url, orders = _database(cfg)
    pg = get_engine(url).dialect.name == "postgresql"
    day = START + dt.timedelta(days=DAYS // 2)
    result = BenchResult(
        "analytics rollup refresh",
        orders // DAYS,
        "orders",
        backend="postgresql" if pg else "sqlite",
        baseline_name="one raw statement over the day",
    )
    touch = update(Order).where(Order.order_date == day)
    sql = (
        "SELECT o.platform, o.shop_id, o.region, SUM(l.amount), SUM(l.quantity), COUNT(DISTINCT o.id) "
        f"FROM sales_order o JOIN sales_order_line l ON l.order_id = o.id WHERE o.order_date = '{day}' "
        "GROUP BY o.platform, o.shop_id, o.region"
    )

    def refresh() -> None:
        with session_scope(url) as session:
            done = rollup.update_rollup(session)
        assert not done["full"], done

    # each round an hour past the one before (beyond the LAG a refresh looks back): the first, untimed,
    # also re-reads the orders updated just before the build; the others this one day only
    for n in range(cfg.repeat + 1):
        with get_engine(url).begin() as conn:
            conn.execute(touch.values(updated_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=n + 1)))
        if n == 0:
            refresh()
            continue
        result.ours.append(timed(refresh))
        result.baseline.append(timed(lambda: _raw(url, sql)))
    result.note = f"{orders // DAYS:,} orders of one day out of {orders:,}; the day and its month rebuilt"
    with get_engine(url).begin() as conn:  # as they were, for the benchmarks after this one
        conn.execute(update(Order).values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)))
    with session_scope(url) as session:
        rollup.update_rollup(session, full=True)
    return result


@benchmark("analytics-customers-by-province")
def customers_by_province(cfg: BenchConfig) -> BenchResult:
    """Distinct customers, orders and sales by province vs one GROUP BY."""
    return _compare(
        cfg,
        "customers by province",
        lambda s, a, w: dashboards.customers_by(s, a, w, "province"),
        lambda pg: (
            "SELECT region, COUNT(DISTINCT shop_id || ':' || buyer_id), COUNT(*), SUM(goods_amount) "
            f"FROM sales_order WHERE status IN {SALE} GROUP BY region"
        ),
        _rows,
        lambda pg: (
            f"SELECT region, COUNT(DISTINCT customer), SUM(orders), SUM(goods_amount) {CUSTOMERS}"
            f"WHERE {CUSTOMER_MONTHS} GROUP BY region"
        ),
        rollup_name="customer rollup",
    )


@benchmark("analytics-margin-by-category")
def margin_by_category(cfg: BenchConfig) -> BenchResult:
    """Gross margin by category, cost from the stock ledger, vs one statement joining the moves."""
    return _compare(
        cfg,
        "margin by category",
        lambda s, a, w: dashboards.margin_by(s, a, w, "category", limit=100),
        lambda pg: (
            "SELECT c.code, SUM(l.amount), SUM(m.cost) FROM sales_order o "
            "JOIN sales_order_line l ON l.order_id = o.id JOIN product p ON p.id = l.product_id "
            "JOIN category c ON c.id = p.category_id LEFT JOIN (SELECT source_id, product_id, "
            "SUM(-quantity * unit_cost) AS cost FROM stock_move WHERE source_type = 'order' "
            "GROUP BY source_id, product_id) m ON m.source_id = l.order_id AND m.product_id = l.product_id "
            f"WHERE o.status IN {SALE} GROUP BY c.code"
        ),
        _rows,
        lambda pg: (
            f"SELECT c.code, SUM(r.amount), SUM(r.cost) {ROLLUP}"
            f"JOIN category c ON c.id = r.category_id WHERE r.level = 'c' AND {MONTHS} GROUP BY c.code"
        ),
    )


@benchmark("analytics-repeat-rate")
def repeat_rate(cfg: BenchConfig) -> BenchResult:
    """Customers and repeat customers vs one statement over per-buyer order counts."""
    return _compare(
        cfg,
        "repeat rate",
        dashboards.repeat_rate,
        lambda pg: (
            "SELECT COUNT(*), SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END) FROM (SELECT shop_id, buyer_id, "
            f"COUNT(*) AS n FROM sales_order WHERE status IN {SALE} AND buyer_id <> '' "
            "GROUP BY shop_id, buyer_id) q"
        ),
        lambda got, n: n == 1 and got["customers"] > 0,
        lambda pg: (
            "SELECT COUNT(*), SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END) FROM (SELECT customer, "
            f"SUM(orders) AS n {CUSTOMERS}WHERE {CUSTOMER_MONTHS} AND customer IS NOT NULL "
            "GROUP BY customer) q"
        ),
        rollup_name="customer rollup",
    )


@benchmark("analytics-cohorts")
def cohorts(cfg: BenchConfig) -> BenchResult:
    """Monthly cohort retention vs one statement (first month per buyer by a window function)."""
    month = _month

    def sql(pg: bool) -> str:
        m = month(pg)
        return (
            "SELECT cohort, mon, COUNT(*) FROM (SELECT mon, MIN(mon) OVER (PARTITION BY shop_id, buyer_id) "
            f"AS cohort FROM (SELECT shop_id, buyer_id, {m} AS mon FROM sales_order WHERE status IN {SALE} "
            "AND buyer_id <> '' GROUP BY shop_id, buyer_id, mon) a) b GROUP BY cohort, mon"
        )

    def over_customers(pg: bool) -> str:  # the dashboard's own way over it: months as bits per buyer
        one = "CAST(1 AS BIGINT)" if pg else "1"
        first = START.year * 12 + START.month - 1
        return (
            f"SELECT mask, COUNT(*) FROM (SELECT SUM({one} << (month - {first})) AS mask FROM "
            f"(SELECT customer, month {CUSTOMERS}WHERE {CUSTOMER_MONTHS} AND customer IS NOT NULL "
            "GROUP BY customer, month) a "
            "GROUP BY customer) b GROUP BY mask"
        )

    return _compare(
        cfg,
        "cohort retention",
        dashboards.cohort_retention,
        sql,
        _rows,
        over_customers,
        rollup_name="customer rollup (bit patterns, expanded in Python)",
        same=lambda patterns, rows: patterns > 0,
    )


def _week(pg: bool, column: str = "order_date") -> str:
    if pg:
        return f"to_char(date_trunc('week', {column}), 'YYYY-MM-DD')"
    return f"date({column}, 'weekday 0', '-6 days')"


def _day(pg: bool, column: str = "order_date") -> str:
    return f"to_char({column}, 'YYYY-MM-DD')" if pg else f"strftime('%Y-%m-%d', {column})"


def _trend(cfg: BenchConfig, grain: str, period: Callable[..., str]) -> BenchResult:
    return _compare(
        cfg,
        f"sales by {grain} (YoY)",
        lambda s, a, w: dashboards.sales_trend(s, a, w, grain),
        lambda pg: (
            f"SELECT {period(pg)} AS k, SUM(goods_amount), COUNT(*) FROM sales_order "
            f"WHERE status IN {SALE} GROUP BY {period(pg)} ORDER BY k"
        ),
        _rows,
        lambda pg: (
            f"SELECT {period(pg, 'r.day')} AS k, SUM(r.goods_amount), SUM(r.orders) {ROLLUP}"
            f"WHERE r.level = 'o' AND r.period = 'd' AND r.currency = 'CNY' GROUP BY {period(pg, 'r.day')}"
        ),
        values=lambda got: [(r["period"], r["sales"], r["orders"]) for r in got],
    )


@benchmark("analytics-sales-by-week")
def sales_by_week(cfg: BenchConfig) -> BenchResult:
    """Sales trend by week (Monday first) with the year before vs one GROUP BY."""
    return _trend(cfg, "week", _week)


@benchmark("analytics-sales-by-day")
def sales_by_day(cfg: BenchConfig) -> BenchResult:
    """Sales trend by day with the year before vs one GROUP BY."""
    return _trend(cfg, "day", _day)


LINES = "FROM sales_order o JOIN sales_order_line l ON l.order_id = o.id "
SKU = "COALESCE(p.sku, l.platform_sku)"
PRODUCT = "LEFT JOIN product p ON p.id = l.product_id "
RANKED = ("sales", "orders", "units")


def _ranked(dimension: str) -> Callable[[object], list[tuple]]:
    return lambda got: [(r[dimension], *(r[m] for m in RANKED)) for r in got]


@benchmark("analytics-sales-by-shop")
def sales_by_shop(cfg: BenchConfig) -> BenchResult:
    """Sales, orders and units by shop (lines and shops joined), the 15 largest, vs one GROUP BY."""
    return _compare(
        cfg,
        "sales by shop",
        lambda s, a, w: dashboards.sales_by(s, a, w, "shop"),
        lambda pg: (
            f"SELECT s.code, SUM(l.amount) AS v, COUNT(DISTINCT o.id), SUM(l.quantity) {LINES}"
            f"JOIN shop s ON s.id = o.shop_id WHERE o.status IN {SALE} GROUP BY s.code "
            "ORDER BY v DESC, s.code LIMIT 15"
        ),
        _rows,
        lambda pg: (
            f"SELECT s.code, SUM(r.amount) AS v, SUM(r.line_orders), SUM(r.units) {ROLLUP}"
            f"JOIN shop s ON s.id = r.shop_id WHERE r.level = 'o' AND {MONTHS} GROUP BY s.code "
            "ORDER BY v DESC, s.code LIMIT 15"
        ),
        values=_ranked("shop"),
    )


@benchmark("analytics-sales-by-sku")
def sales_by_sku(cfg: BenchConfig) -> BenchResult:
    """Sales, orders and units by SKU, the 15 that sold most, vs one GROUP BY ... LIMIT 15."""
    return _compare(
        cfg,
        "sales by SKU",
        lambda s, a, w: dashboards.sales_by(s, a, w, "sku"),
        lambda pg: (
            f"SELECT {SKU} AS k, SUM(l.amount) AS v, COUNT(DISTINCT o.id), SUM(l.quantity) {LINES}"
            f"{PRODUCT}WHERE o.status IN {SALE} GROUP BY {SKU} ORDER BY v DESC, k LIMIT 15"
        ),
        _rows,
        lambda pg: (
            "SELECT COALESCE(p.sku, r.platform_sku) AS k, SUM(r.amount) AS v, SUM(r.orders), SUM(r.units) "
            f"{ROLLUP}LEFT JOIN product p ON p.id = r.product_id WHERE r.level = 's' AND {MONTHS} "
            "GROUP BY COALESCE(p.sku, r.platform_sku) ORDER BY v DESC, k LIMIT 15"
        ),
        values=_ranked("sku"),
    )


@benchmark("analytics-customers-by-country")
def customers_by_country(cfg: BenchConfig) -> BenchResult:
    """Distinct customers, orders and sales by country vs one GROUP BY."""
    return _compare(
        cfg,
        "customers by country",
        lambda s, a, w: dashboards.customers_by(s, a, w, "country"),
        lambda pg: (
            "SELECT country, COUNT(DISTINCT shop_id || ':' || buyer_id), COUNT(*), SUM(goods_amount) "
            f"FROM sales_order WHERE status IN {SALE} GROUP BY country"
        ),
        _rows,
        lambda pg: (
            f"SELECT country, COUNT(DISTINCT customer), SUM(orders), SUM(goods_amount) {CUSTOMERS}"
            f"WHERE {CUSTOMER_MONTHS} GROUP BY country"
        ),
        rollup_name="customer rollup",
        values=lambda got: [(r["country"], r["customers"], r["orders"], r["sales"]) for r in got],
    )


HELD = "(SELECT product_id, SUM(on_hand) AS on_hand FROM stock_level GROUP BY product_id) h"
SOLD = (
    f"(SELECT l.product_id, SUM(l.quantity) AS units {LINES}WHERE o.status IN {SALE} GROUP BY l.product_id) s"
)
SOLD_ROLLED = (
    f"(SELECT r.product_id, SUM(r.units) AS units {ROLLUP}"
    "WHERE r.level = 's' AND r.period = 'm' GROUP BY r.product_id) s"
)


def _stock(sold: str, order: str, limit: int) -> str:
    return (
        f"SELECT p.sku, h.on_hand, COALESCE(s.units, 0) AS u FROM product p JOIN {HELD} "
        f"ON h.product_id = p.id LEFT JOIN {sold} ON s.product_id = p.id WHERE h.on_hand > 0 "
        f"ORDER BY {order}, p.sku LIMIT {limit}"
    )


def _held(got) -> list[tuple]:
    return [(r["sku"], r["on_hand"], r["units"]) for r in got]


@benchmark("analytics-slow-movers")
def slow_movers(cfg: BenchConfig) -> BenchResult:
    """The 10 products in stock that sold fewest units (stock levels beside units sold) vs one
    statement joining the stock levels to the lines added up per product."""
    order = "COALESCE(s.units, 0), h.on_hand DESC"
    return _compare(
        cfg,
        "slow movers",
        lambda s, a, w: dashboards.slow_movers(s, a, w, 10),
        lambda pg: _stock(SOLD, order, 10),
        _rows,
        lambda pg: _stock(SOLD_ROLLED, order, 10),
        values=_held,
    )


def _by_cover(rows: list[tuple]) -> list[tuple]:
    """The dashboard's order over the products it reads (the most sold first): fewest days of cover
    (units held over the window's daily sales, as it rounds them) first, 30 of them."""

    def cover(row):
        daily = Decimal(int(row[2])) / DAYS
        return (False, (Decimal(int(row[1])) / daily).quantize(Decimal("0.1"))) if daily else (True, 0)

    return sorted(rows, key=cover)[:30]


@benchmark("analytics-stock-cover")
def stock_cover(cfg: BenchConfig) -> BenchResult:
    """Days of cover and turnover of the products in stock (the 1,000 most sold, fewest days of
    cover first) vs one statement joining the stock levels to the lines added up per product."""
    order = "COALESCE(s.units, 0) DESC"
    return _compare(
        cfg,
        "stock cover",
        lambda s, a, w: dashboards.stock_cover(s, a, w, 30),
        lambda pg: _stock(SOLD, order, 1000),
        lambda got, n: len(got) == min(n, 30),
        lambda pg: _stock(SOLD_ROLLED, order, 1000),
        values=_held,
        expected=_by_cover,
    )


MOVES = (
    "LEFT JOIN (SELECT source_id, product_id, SUM(-quantity * unit_cost) AS cost FROM stock_move "
    "WHERE source_type = 'order' GROUP BY source_id, product_id) m "
    "ON m.source_id = l.order_id AND m.product_id = l.product_id "
)


@benchmark("analytics-margin-by-sku")
def margin_by_sku(cfg: BenchConfig) -> BenchResult:
    """Gross margin by SKU, the 15 largest, cost from the stock ledger, vs one statement joining
    the moves."""
    return _compare(
        cfg,
        "margin by SKU",
        lambda s, a, w: dashboards.margin_by(s, a, w, "sku"),
        lambda pg: (
            f"SELECT {SKU} AS k, SUM(l.amount), SUM(m.cost), "
            f"SUM(CASE WHEN m.cost IS NOT NULL THEN l.amount - m.cost END) AS gm {LINES}{PRODUCT}{MOVES}"
            f"WHERE o.status IN {SALE} GROUP BY {SKU} ORDER BY gm DESC, k LIMIT 15"
        ),
        _rows,
        lambda pg: (
            "SELECT COALESCE(p.sku, r.platform_sku) AS k, SUM(r.amount), SUM(r.cost), "
            f"SUM(r.costed_amount - r.cost) AS gm {ROLLUP}LEFT JOIN product p ON p.id = r.product_id "
            f"WHERE r.level = 's' AND {MONTHS} GROUP BY COALESCE(p.sku, r.platform_sku) "
            "ORDER BY gm DESC, k LIMIT 15"
        ),
        values=lambda got: [(r["sku"], r["sales"], r["cost"], r["gross_margin"]) for r in got],
    )


@benchmark("analytics-return-rates")
def return_rates(cfg: BenchConfig) -> BenchResult:
    """Orders, refunded orders and refunded amount by month vs one GROUP BY."""
    return _compare(
        cfg,
        "return rates",
        dashboards.return_rates,
        lambda pg: (
            f"SELECT {_month(pg)} AS k, COUNT(*), SUM(CASE WHEN refunded_amount > 0 THEN 1 ELSE 0 END), "
            f"SUM(refunded_amount) FROM sales_order WHERE status IN {SALE} GROUP BY {_month(pg)} ORDER BY k"
        ),
        _rows,
        lambda pg: (
            f"SELECT {_month(pg).replace('order_date', 'r.day')} AS k, SUM(r.orders), SUM(r.returned), "
            f"SUM(r.refunded_amount) {ROLLUP}WHERE r.level = 'o' AND {MONTHS} GROUP BY 1 ORDER BY k"
        ),
        values=lambda got: [(r["month"], r["orders"], r["returns"], r["refund_amount"]) for r in got],
    )


PER_ORDER = (
    "LEFT JOIN (SELECT order_id, COUNT(*) AS n FROM crm_ticket WHERE kind = 'complaint' "
    "AND order_id IS NOT NULL GROUP BY order_id) c ON c.order_id = o.id "
)


def _complaint_values(by: str) -> Callable[[object], list[tuple]]:
    return lambda got: sorted((r[by], r["orders"], r["complaints"]) for r in got)


def _complaints_by(cfg: BenchConfig, by: str, key: Callable[[bool], str], join: str = "") -> BenchResult:
    """Orders and complaints about them by ``by`` (every group: at most 15 here) vs one statement
    over the orders and the complaints counted per order."""
    return _compare(
        cfg,
        f"complaints by {by}",
        lambda s, a, w: complaint_rates(s, a, w, by),
        lambda pg: (
            f"SELECT {key(pg)} AS k, COUNT(*), COALESCE(SUM(c.n), 0) FROM sales_order o {join}{PER_ORDER}"
            f"WHERE o.status IN {SALE} GROUP BY {key(pg)} ORDER BY k"
        ),
        _rows,
        values=_complaint_values(by),
    )


@benchmark("analytics-complaints-by-month")
def complaints_by_month(cfg: BenchConfig) -> BenchResult:
    """Complaint rate (complaints per 100 orders) by month vs one statement."""
    return _complaints_by(cfg, "month", lambda pg: _month(pg).replace("order_date", "o.order_date"))


@benchmark("analytics-complaints-by-platform")
def complaints_by_platform(cfg: BenchConfig) -> BenchResult:
    """Complaint rate by platform vs one statement."""
    return _complaints_by(cfg, "platform", lambda pg: "o.platform")


@benchmark("analytics-complaints-by-shop")
def complaints_by_shop(cfg: BenchConfig) -> BenchResult:
    """Complaint rate by shop vs one statement."""
    return _complaints_by(cfg, "shop", lambda pg: "s.code", "JOIN shop s ON s.id = o.shop_id ")


def _most_complained(rows: list[tuple]) -> list[tuple]:
    """The dashboard's order: most complaints, then highest rate (as it rounds it), then SKU; 15."""

    def rate(row):
        return (Decimal(100) * int(row[2]) / int(row[1])).quantize(Decimal("0.01"))

    return sorted(rows, key=lambda r: (-int(r[2]), -rate(r), r[0]))[:15]


@benchmark("analytics-complaints-by-sku")
def complaints_by_sku(cfg: BenchConfig) -> BenchResult:
    """Complaint rate by SKU (a complaint naming no SKU counts for each SKU of its order, over the
    orders holding the SKU), the 15 most complained about, vs one statement giving every SKU's."""
    named = "(t.sku = '' OR t.sku = COALESCE(p.sku, l.platform_sku))"
    return _compare(
        cfg,
        "complaints by SKU",
        lambda s, a, w: complaint_rates(s, a, w, "sku"),
        lambda pg: (
            f"SELECT a.k, a.n, b.c FROM (SELECT {SKU} AS k, COUNT(DISTINCT o.id) AS n {LINES}{PRODUCT}"
            f"WHERE o.status IN {SALE} GROUP BY {SKU}) a JOIN (SELECT {SKU} AS k, COUNT(DISTINCT t.id) AS c "
            "FROM crm_ticket t JOIN sales_order o ON o.id = t.order_id JOIN sales_order_line l "
            f"ON l.order_id = o.id {PRODUCT}WHERE t.kind = 'complaint' AND o.status IN {SALE} AND {named} "
            f"GROUP BY {SKU}) b ON b.k = a.k"
        ),
        lambda got, n: len(got) == min(n, 15),
        values=lambda got: [(r["sku"], r["orders"], r["complaints"]) for r in got],
        expected=_most_complained,
    )
