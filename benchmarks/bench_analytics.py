"""Analytics benchmarks: each dashboard query over a generated order history, beside the same
aggregate written as one raw SQL statement, run in the same process on the same rows.

The history (built once per run with set-based ``INSERT ... SELECT``): 100,000 orders × ``--scale``
(``ecerp bench --scale 10`` gives 1,000,000), two lines each, over 730 days, 5 platforms, 31
provinces, 2,000 SKUs in 20 categories, a buyer per 4 orders, one order in 20 refunded, and a
shipment move per line (the cost the margin reads). Timed:

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

from sqlalchemy import Boolean, DateTime, Integer, Numeric, String, text, update

from benchmarks.core import BenchConfig, BenchResult, benchmark, timed
from benchmarks.fresh import fresh_url
from ecerp_core.analytics import dashboards, rollup
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


def _raw(url: str, sql: str) -> int:
    raw = get_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql)
        return len(cur.fetchall())
    finally:
        raw.close()


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
) -> BenchResult:
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
    rows = _raw(url, sql)  # warm the caches for both sides alike; what ours must give, counted once

    def run_ours() -> None:
        with session_scope(url, readonly=True) as session:
            got = ours(session, admin, window)
        assert check(got, rows), got

    assert not rollup_sql or (same or int.__eq__)(_raw(url, rollup_sql), rows), name
    rolled = []
    for _ in range(cfg.repeat):
        result.ours.append(timed(run_ours))
        result.baseline.append(timed(lambda: _raw(url, sql)))
        if rollup_sql:
            rolled.append(timed(lambda: _raw(url, rollup_sql)))
    result.note = f"{orders:,} orders, {2 * orders:,} lines, {2 * orders:,} stock moves; "
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
