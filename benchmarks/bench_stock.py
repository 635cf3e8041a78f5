"""Stock benchmark: levels and stock value for 10,000 SKUs × 5 warehouses over 1,000,000 moves.

The moves are generated in the setup with one set-based INSERT ... SELECT (a recursive CTE on
SQLite, ``generate_series`` on PostgreSQL), and the ``stock_level`` cache from their sums. Timed:

- ecerp: :func:`ecerp_core.stock.valuation.level_rows` — every SKU × warehouse with on hand,
  reserved, available, average cost and value, as Decimals, through the service (it reads the
  ``stock_level`` cache that every move keeps up to date, which is the point of having it), plus the
  stock value by warehouse;
- baseline: a raw SQL ``SUM(quantity), SUM(quantity * unit_cost) GROUP BY product, warehouse`` over the
  same moves table, fetched with the DBAPI cursor.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from benchmarks.core import BenchConfig, BenchResult, benchmark, timed
from benchmarks.fresh import dispose, fresh_url
from ecerp_core.auth import resolve_actor
from ecerp_core.db import get_engine, session_scope
from ecerp_core.setup import initialise
from ecerp_core.stock.valuation import level_rows

WAREHOUSES = 5


def _populate(url: str, skus: int, moves: int) -> None:
    engine = get_engine(url)
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO warehouse (code, name, region, address, priority, allow_negative, active, "
                "created_at, updated_at) VALUES "
                + ", ".join(
                    f"('W{w}', '仓库{w}', '', '', {w}, false, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    for w in range(1, WAREHOUSES + 1)
                )
            )
        )
        series = (
            "SELECT g AS i FROM generate_series(1, :n) AS g"
            if pg
            else "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
            "SELECT i FROM s"
        )
        conn.execute(
            text(
                "INSERT INTO product (sku, name_zh, name_en, spec, unit, weight_kg, cost, list_price, "
                "is_bundle, active, created_at, updated_at) "
                "SELECT 'SKU-' || i, '商品' || i, '', '{}', '件', 0, 10 + (i % 90), 30 + (i % 90), "
                f"false, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM ({series}) AS q"
            ),
            {"n": skus},
        )
        # receipts in (2 of 3 moves), shipments out; product and warehouse spread evenly
        conn.execute(
            text(
                "INSERT INTO stock_move (product_id, warehouse_id, quantity, move_type, unit_cost, "
                "business_date, at, source_type, note) SELECT (i % :skus) + 1, ((i / :skus) % 5) + 1, "
                "CASE WHEN i % 3 = 0 THEN -((i % 4) + 1) ELSE (i % 5) + 2 END, "
                "CASE WHEN i % 3 = 0 THEN 'shipment' ELSE 'receipt' END, 10 + (i % 97) * 0.25, "
                ":day, CURRENT_TIMESTAMP, '', '' "
                f"FROM ({series}) AS q"
            ),
            {"n": moves, "skus": skus, "day": dt.date(2026, 6, 1)},
        )
        conn.execute(
            text(
                "INSERT INTO stock_level (product_id, warehouse_id, on_hand, reserved, updated_at) "
                "SELECT product_id, warehouse_id, SUM(quantity), 0, CURRENT_TIMESTAMP FROM stock_move "
                "GROUP BY product_id, warehouse_id"
            )
        )
        if not pg:
            conn.execute(text("ANALYZE"))


def _raw_aggregate(url: str) -> int:
    raw = get_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "SELECT product_id, warehouse_id, SUM(quantity), SUM(quantity * unit_cost) FROM stock_move "
            "GROUP BY product_id, warehouse_id"
        )
        return len(cur.fetchall())
    finally:
        raw.close()


@benchmark("stock-levels-value")
def stock_levels_value(cfg: BenchConfig) -> BenchResult:
    skus = max(100, int(10_000 * cfg.scale))
    moves = max(10_000, int(1_000_000 * cfg.scale))
    backend = "sqlite" if cfg.database_url is None else "postgresql"
    result = BenchResult(
        "stock levels + value",
        moves,
        "moves",
        backend=backend,
        baseline_name="raw SQL SUM ... GROUP BY over stock_move",
    )
    url = fresh_url(cfg.workdir, cfg.database_url, "stock")
    with session_scope(url) as session:
        initialise(session, company="bench", admin_password="bench-password")
    _populate(url, skus, moves)
    with session_scope(url, readonly=True) as session:
        admin = resolve_actor(session, "admin")

    def ours() -> None:
        with session_scope(url, readonly=True) as session:
            levels = level_rows(session, admin)
            by_warehouse: dict[str, object] = {}
            for row in levels:
                by_warehouse[row["warehouse"]] = by_warehouse.get(row["warehouse"], 0) + row["value"]
        assert len(levels) == skus * WAREHOUSES and len(by_warehouse) == WAREHOUSES, len(levels)

    _raw_aggregate(url)  # warm the page cache for both sides alike
    for _ in range(cfg.repeat):
        result.ours.append(timed(ours))
        result.baseline.append(timed(lambda: _raw_aggregate(url)))
    dispose(url)
    result.note = f"{skus} SKUs × {WAREHOUSES} warehouses; ecerp returns Decimals through the services"
    return result
