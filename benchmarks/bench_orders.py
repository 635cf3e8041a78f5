"""Order benchmarks: importing a Shopify export of 100,000 orders (~220,000 lines) beside a raw
``csv`` + ``executemany`` into two bare tables; and review + route + reserve of 100,000 orders."""

from __future__ import annotations

import csv
import datetime as dt
import random
from decimal import Decimal

from benchmarks import BenchConfig, BenchResult, benchmark, timed
from benchmarks.fresh import dispose, fresh_url
from ecerp_core.db import get_engine, session_scope
from ecerp_core.setup import initialise

HEADER = ["Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at", "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street", "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip", "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street", "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone", "Notes"]  # fmt: skip
SKUS = 200


def write_shopify_csv(path, n: int, seed: int) -> int:
    """``n`` orders in Shopify's export layout (continuation rows); returns the number of lines."""
    rng = random.Random(seed)
    lines = 0
    t0 = dt.datetime(2026, 6, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            items = [(f"SKU-{rng.randrange(SKUS):04d}", rng.choice((1, 1, 1, 2)), Decimal(rng.randrange(990, 19900)) / 100)
                     for _ in range(rng.choices((1, 2, 3, 4), weights=(35, 30, 20, 15))[0])]  # fmt: skip
            goods = sum((q * p for _, q, p in items), Decimal(0))
            created = (t0 + dt.timedelta(seconds=i * 7)).strftime("%Y-%m-%d %H:%M:%S %z")
            for k, (sku, qty, price) in enumerate(items):
                head = k == 0
                w.writerow([f"#{100000 + i}", f"b{i % 30000}@example.com", "paid" if head else "", created if head else "",
                            "unfulfilled" if head else "", "", "no", "CNY" if head else "", goods if head else "",
                            "0.00" if head else "", "0.00" if head else "", goods if head else "", "", "0.00" if head else "",
                            "", created, qty, f"商品 {sku}", price, "", sku, "true", "true", "pending", "", "", "", "", "",
                            "", "", "", "", "", f"买家{i}" if head else "", "", f"人民路{i}号" if head else "", "", "",
                            "上海" if head else "", "200000" if head else "", "上海" if head else "", "CN" if head else "",
                            "", ""])  # fmt: skip
                lines += 1
    return lines


def _setup(url: str):
    from ecerp_core.catalog import services as catalog

    with session_scope(url) as session:
        admin = initialise(session, company="bench", admin_password="bench-password")
        catalog.create_warehouse(session, admin, code="SH", name="上海仓", region="华东")
        catalog.create_shop(
            session, admin, code="SHOP", name="Shopify", platform="shopify", default_warehouse="SH"
        )
        catalog.create_records(session, admin, "product", [{"sku": f"SKU-{i:04d}", "name_zh": f"商品{i}",
                                                            "list_price": "20.00"} for i in range(SKUS)])  # fmt: skip
    return admin


def _raw_import(url: str, path) -> None:
    """The baseline: parse with ``csv`` and executemany into two bare tables."""
    engine = get_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "CREATE TABLE raw_order (name VARCHAR(64), currency VARCHAR(3), total NUMERIC(18,2), created VARCHAR(40))"
        )
        cur.execute(
            "CREATE TABLE raw_line (name VARCHAR(64), sku VARCHAR(64), qty INTEGER, price NUMERIC(18,2))"
        )
        orders, lines = [], []
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            for row in reader:
                if row[2]:
                    orders.append((row[0], row[7], row[11], row[15]))
                lines.append((row[0], row[20], int(row[16]), row[18]))
        mark = "?" if engine.dialect.name == "sqlite" else "%s"
        cur.executemany(f"INSERT INTO raw_order VALUES ({mark}, {mark}, {mark}, {mark})", orders)
        cur.executemany(f"INSERT INTO raw_line VALUES ({mark}, {mark}, {mark}, {mark})", lines)
        raw.commit()
    finally:
        raw.close()


@benchmark("orders-import")
def orders_import(cfg: BenchConfig) -> BenchResult:
    from ecerp_core.connectors.files import import_files

    n = max(200, int(100_000 * cfg.scale))
    path = cfg.workdir / "orders_export.csv"
    lines = write_shopify_csv(path, n, cfg.seed)
    result = BenchResult("orders import (Shopify CSV)", lines, "lines", backend="sqlite" if cfg.database_url is None else "postgresql",
                         baseline_name="csv + executemany into two bare tables")  # fmt: skip
    for _ in range(cfg.repeat):
        url = fresh_url(cfg.workdir, cfg.database_url, "orders")
        admin = _setup(url)

        def ours(url=url, admin=admin):
            with session_scope(url) as session:
                summary = import_files(session, admin, "shopify", [path], shop="SHOP")
            assert summary["created"] == n and not summary["rejected"], summary["rejected"][:3]

        result.ours.append(timed(ours))
        dispose(url)
        url = fresh_url(cfg.workdir, cfg.database_url, "orders-raw")
        result.baseline.append(timed(lambda url=url: _raw_import(url, path)))
        dispose(url)
    result.note = f"{n} orders; ecerp: parse by header, checks, SKU mapping, routing, order events"
    return result


@benchmark("orders-pipeline")
def orders_pipeline(cfg: BenchConfig) -> BenchResult:
    from ecerp_core.connectors.files import import_files
    from ecerp_core.orders.models import Order
    from ecerp_core.orders.review import auto_review
    from ecerp_core.stock import services as stock

    n = max(200, int(100_000 * cfg.scale))
    path = cfg.workdir / "orders_pipeline.csv"
    write_shopify_csv(path, n, cfg.seed + 1)
    result = BenchResult("review + route + reserve", n, "orders", backend="sqlite" if cfg.database_url is None else "postgresql",
                         baseline_name="executemany: status update + reservation rows")  # fmt: skip
    for _ in range(cfg.repeat):
        url = fresh_url(cfg.workdir, cfg.database_url, "pipeline")
        admin = _setup(url)
        with session_scope(url) as session:
            import_files(session, admin, "shopify", [path], shop="SHOP")
            stock.post_moves(session, admin, [stock.MoveDraft(p, 1, 10 * n, "receipt", unit_cost=Decimal("10"))
                                              for p in range(1, SKUS + 1)])  # fmt: skip

        def ours(url=url, admin=admin):
            with session_scope(url) as session:
                done = auto_review(session, admin)
            assert len(done["approved"]) == n, len(done["waiting"])

        result.ours.append(timed(ours))
        with session_scope(url) as session:
            ids = list(session.scalars(Order.__table__.select().with_only_columns(Order.id)))
        engine = get_engine(url)

        def raw(engine=engine, ids=ids):
            conn = engine.raw_connection()
            try:
                cur = conn.cursor()
                mark = "?" if engine.dialect.name == "sqlite" else "%s"
                cur.executemany(
                    f"UPDATE sales_order SET status='paid', warehouse_id=1 WHERE id={mark}",
                    [(i,) for i in ids],
                )
                cur.executemany(f"INSERT INTO stock_reservation (product_id, warehouse_id, quantity, source_type, source_id, at) "
                                f"VALUES (1, 1, 1, 'bench', {mark}, CURRENT_TIMESTAMP)", [(i,) for i in ids])  # fmt: skip
                conn.commit()
            finally:
                conn.close()

        result.baseline.append(timed(raw))
        dispose(url)
    result.note = "ecerp: rules, routing by region and availability, locked reservation, events, audit"
    return result
