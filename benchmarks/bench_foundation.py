"""Foundation benchmarks: building the demo business, and a 10,000-product import.

Each is printed beside a raw baseline on the same rows in the same run: plain DBAPI
``executemany`` INSERTs into the same tables, with no checks, no audit and no business rules.
"""

from __future__ import annotations

import csv
import random
from decimal import Decimal

from sqlalchemy import select

from benchmarks.core import BenchConfig, BenchResult, benchmark, timed
from benchmarks.fresh import dispose, fresh_url
from ecerp_core.catalog.importers import import_file
from ecerp_core.db import Base, get_engine, session_scope
from ecerp_core.demo.build import create_demo_database
from ecerp_core.setup import initialise

PRODUCT_COLUMNS = ("sku", "name", "price", "cost", "barcode", "category")


def _ean13(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(12)]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def write_products_csv(path, n: int, seed: int) -> None:
    """A seller's product sheet: ``n`` rows, 40 categories two levels deep, unique barcodes."""
    rng = random.Random(seed)
    categories = [f"{top}/{sub}" for top in ("服装", "家居", "数码", "美妆", "食品") for sub in "ABCDEFGH"]
    barcodes: set[str] = set()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(PRODUCT_COLUMNS)
        for i in range(n):
            barcode = _ean13(rng)
            while barcode in barcodes:
                barcode = _ean13(rng)
            barcodes.add(barcode)
            price = Decimal(rng.randrange(500, 50000)) / 100
            cost = (price * Decimal("0.4")).quantize(Decimal("0.01"))
            writer.writerow((f"SKU-{i:06d}", f"商品 {i} 号", price, cost, barcode, rng.choice(categories)))


def _raw_product_insert(url: str, path) -> None:
    """The baseline: parse with ``csv`` and executemany into the product table, nothing else."""
    engine = get_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with path.open(encoding="utf-8") as fh:
            reader = csv.reader(fh)
            next(reader)
            rows = [(sku, name, price, cost, barcode) for sku, name, price, cost, barcode, _cat in reader]
        mark = "?" if engine.dialect.name == "sqlite" else "%s"
        cur.executemany(
            "INSERT INTO product (sku, name_zh, name_en, list_price, cost, barcode, unit, weight_kg, spec, "
            "is_bundle, active, created_at, updated_at) "
            f"VALUES ({mark}, {mark}, '', {mark}, {mark}, {mark}, '件', 0, '{{}}', false, true, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            rows,
        )
        raw.commit()
    finally:
        raw.close()


@benchmark("products-import")
def products_import(cfg: BenchConfig) -> BenchResult:
    n = max(100, int(10_000 * cfg.scale))
    path = cfg.workdir / "products.csv"
    write_products_csv(path, n, cfg.seed)
    result = BenchResult("products import (CSV)", n, "rows", backend=_backend(cfg))
    for _ in range(cfg.repeat):
        url = fresh_url(cfg.workdir, cfg.database_url, "import")
        with session_scope(url) as session:
            admin = initialise(session, company="bench", admin_password="bench-password")

        def ours(url=url, admin=admin):
            with session_scope(url) as session:
                report = import_file(session, admin, "product", path)
            assert report.created == n and not report.rejected, report.rejected[:3]

        result.ours.append(timed(ours))
        dispose(url)
        url = fresh_url(cfg.workdir, cfg.database_url, "raw")
        result.baseline.append(timed(lambda url=url: _raw_product_insert(url, path)))
        dispose(url)
    result.note = "ecerp: validation, categories, duplicate checks, audit rows"
    return result


def _backend(cfg: BenchConfig) -> str:
    return "sqlite" if cfg.database_url is None else "postgresql"


def _dump(url: str) -> dict[str, list[dict]]:
    engine = get_engine(url)
    with engine.connect() as conn:
        return {
            t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in Base.metadata.sorted_tables
        }


def _raw_reinsert(url: str, tables: dict[str, list[dict]]) -> None:
    engine = get_engine(url)
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            rows = tables[table.name]
            if rows:
                conn.execute(table.insert(), rows)


@benchmark("demo-build")
def demo_build(cfg: BenchConfig) -> BenchResult:
    days = max(30, int(730 * cfg.scale))
    result = BenchResult(
        "demo build", 0, "rows", backend=_backend(cfg), baseline_name="executemany of the same rows"
    )
    for _ in range(max(1, cfg.repeat // 3)):
        url = fresh_url(cfg.workdir, cfg.database_url, "demo")
        Base.metadata.drop_all(get_engine(url))
        result.ours.append(
            timed(
                lambda url=url: create_demo_database(
                    company="演示", admin_password="demo-password", seed=cfg.seed, days=days, url=url
                )
            )
        )
        tables = _dump(url)
        dispose(url)
        result.rows = sum(len(rows) for rows in tables.values())
        url = fresh_url(cfg.workdir, cfg.database_url, "demo-raw")
        result.baseline.append(timed(lambda url=url, tables=tables: _raw_reinsert(url, tables)))
        dispose(url)
    result.note = (
        f"{days} days of history, seed {cfg.seed}; ecerp runs every business rule and writes the audit log"
    )
    return result
