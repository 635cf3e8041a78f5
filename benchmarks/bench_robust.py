"""Batches beyond what one statement can carry: a 20,000-SKU stocktake approved and a 100,000-product
import, which failed on PostgreSQL before every list of keys went to the database in chunks
(``stack depth limit exceeded`` at ~7,700 stock rows, ``number of parameters must be between 0 and
65535`` past 65,535 products).

- ``stocktake-20k``: ecerp counts every SKU of a warehouse (one ``set`` entry per SKU, a gain or a
  loss on each), submits and approves the count — stock moves, levels and the finance hand-over in
  one transaction; baseline: a raw ``UPDATE stock_level SET on_hand = ...`` executemany of the same
  rows.
- ``products-import-100k``: ecerp imports a 100,000-row products CSV through
  :func:`ecerp_core.catalog.importers.import_file` (checks, creates); baseline: a raw executemany
  ``INSERT`` of the same rows.
"""

from __future__ import annotations

import io

from sqlalchemy import text

from benchmarks.bench_stock import _populate
from benchmarks.core import BenchConfig, BenchResult, benchmark, timed
from benchmarks.fresh import dispose, fresh_url
from ecerp_core.auth import resolve_actor
from ecerp_core.catalog.importers import import_file
from ecerp_core.db import get_engine, session_scope
from ecerp_core.setup import initialise
from ecerp_core.stock import stocktake


def _backend(cfg: BenchConfig) -> str:
    return "sqlite" if cfg.database_url is None else "postgresql"


def _stocktake_run(cfg: BenchConfig, skus: int) -> tuple[float, float]:
    """One fresh database: the count approved by ecerp, then the raw update of the same rows."""
    url = fresh_url(cfg.workdir, cfg.database_url, "stocktake")
    with session_scope(url) as session:
        initialise(session, company="bench", admin_password="bench-password")
    _populate(url, skus, skus * 5)
    with session_scope(url) as session:
        admin = resolve_actor(session, "admin")
        warehouse = session.scalar(text("SELECT id FROM warehouse WHERE code = 'W1'"))
        count_id = stocktake.create_stocktake(session, admin, warehouse, threshold=10**6)

    def ours() -> None:
        with session_scope(url) as session:
            entries = [stocktake.CountEntry(f"SKU-{i}", i % 7, "set") for i in range(1, skus + 1)]
            stocktake.record_counts(session, admin, count_id, entries)
            stocktake.submit_stocktake(session, admin, count_id)
            stocktake.approve_stocktake(session, admin, count_id)

    took = timed(ours)
    raw = get_engine(url).raw_connection()
    rows = [(i % 7, i, warehouse) for i in range(1, skus + 1)]

    def baseline() -> None:
        cur = raw.cursor()
        sql = "UPDATE stock_level SET on_hand = {0} WHERE product_id = {0} AND warehouse_id = {0}"
        cur.executemany(sql.format("%s" if cfg.database_url else "?"), rows)
        raw.commit()

    base = timed(baseline)
    raw.close()
    dispose(url)
    return took, base


@benchmark("stocktake-20k")
def stocktake_20k(cfg: BenchConfig) -> BenchResult:
    skus = max(200, int(20_000 * cfg.scale))
    result = BenchResult(
        "stocktake approve", skus, "lines", backend=_backend(cfg), baseline_name="raw UPDATE executemany"
    )
    for _ in range(cfg.repeat):
        took, base = _stocktake_run(cfg, skus)
        result.ours.append(took)
        result.baseline.append(base)
    result.note = f"{skus} SKUs counted in one warehouse, gains and losses on each line"
    return result


def _products_csv(n: int) -> bytes:
    out = io.StringIO()
    out.write("sku,name,price,cost\n")
    for i in range(1, n + 1):
        out.write(f"P-{i:06d},商品{i},{30 + i % 90}.00,{10 + i % 50}.50\n")
    return out.getvalue().encode()


def _products_run(cfg: BenchConfig, n: int, data: bytes) -> tuple[float, float]:
    url = fresh_url(cfg.workdir, cfg.database_url, "products")
    with session_scope(url) as session:
        initialise(session, company="bench", admin_password="bench-password")
        admin = resolve_actor(session, "admin")

    def ours() -> None:
        with session_scope(url) as session:
            report = import_file(session, admin, "product", data, name="products.csv")
        assert report.created == n and not report.rejected, report.as_dict()

    took = timed(ours)
    rows = [
        {"sku": f"Q-{i:06d}", "name": f"商品{i}", "price": 30 + i % 90, "cost": 10 + i % 50}
        for i in range(1, n + 1)
    ]

    def baseline() -> None:
        with get_engine(url).begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO product (sku, name_zh, name_en, spec, unit, weight_kg, cost, list_price,"
                    " is_bundle, active, created_at, updated_at) VALUES (:sku, :name, '', '{}', '件', 0,"
                    " :cost, :price, false, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                rows,
            )

    base = timed(baseline)
    dispose(url)
    return took, base


@benchmark("products-import-100k")
def products_import_100k(cfg: BenchConfig) -> BenchResult:
    n = max(500, int(100_000 * cfg.scale))
    data = _products_csv(n)
    result = BenchResult(
        "products import", n, "rows", backend=_backend(cfg), baseline_name="raw INSERT executemany"
    )
    for _ in range(cfg.repeat):
        took, base = _products_run(cfg, n, data)
        result.ours.append(took)
        result.baseline.append(base)
    result.note = f"{n} new products from one CSV, checked and created in one transaction"
    return result
