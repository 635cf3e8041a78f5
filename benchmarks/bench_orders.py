"""Order benchmarks: importing a Shopify export of 100,000 orders (~220,000 lines, 3,000 known SKUs)
through the ``ecerp`` command beside a plain ``csv`` + ``executemany`` into two bare tables; and
review + route + reserve of 100,000 orders."""

from __future__ import annotations

import csv
import datetime as dt
import json
import operator
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from decimal import Decimal

import psycopg
from sqlalchemy.engine import make_url

from benchmarks.core import BenchConfig, BenchResult, benchmark, timed
from benchmarks.fresh import dispose, fresh_url
from ecerp_core.auth import resolve_actor
from ecerp_core.catalog import services as catalog
from ecerp_core.connectors.files import import_files
from ecerp_core.db import get_engine, session_scope
from ecerp_core.orders.models import Order
from ecerp_core.orders.review import auto_review
from ecerp_core.setup import initialise
from ecerp_core.signin import create_token
from ecerp_core.stock import services as stock

HEADER = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing Street",
    "Billing Address1",
    "Billing Address2",
    "Billing Company",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Billing Phone",
    "Shipping Name",
    "Shipping Street",
    "Shipping Address1",
    "Shipping Address2",
    "Shipping Company",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Shipping Phone",
    "Notes",
    "Note Attributes",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Vendor",
    "Outstanding Balance",
    "Employee",
    "Location",
    "Device ID",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
    "Lineitem discount",
    "Tax 1 Name",
    "Tax 1 Value",
    "Tax 2 Name",
    "Tax 2 Value",
    "Tax 3 Name",
    "Tax 3 Value",
    "Tax 4 Name",
    "Tax 4 Value",
    "Tax 5 Name",
    "Tax 5 Value",
    "Phone",
    "Receipt Number",
    "Duties",
    "Billing Province Name",
    "Shipping Province Name",
    "Payment ID",
    "Payment Terms Name",
    "Next Payment Due At",
    "Payment References",
]
"""Shopify's current 79-column export layout (platform_formats.md §1.1)."""
SKUS = 200
IMPORT_SKUS = 3_000
"""The issue's catalogue: every SKU in the imported file is a known product."""


def write_shopify_csv(path, n: int, seed: int, skus: int = SKUS) -> int:
    """``n`` orders in Shopify's export layout (continuation rows); returns the number of lines."""
    rng = random.Random(seed)
    lines = 0
    t0 = dt.datetime(2026, 6, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            items = [
                (
                    f"SKU-{rng.randrange(skus):04d}",
                    rng.choice((1, 1, 1, 2)),
                    Decimal(rng.randrange(990, 19900)) / 100,
                )
                for _ in range(rng.choices((1, 2, 3, 4), weights=(35, 30, 20, 15))[0])
            ]
            goods = sum((q * p for _, q, p in items), Decimal(0))
            created = (t0 + dt.timedelta(seconds=i * 7)).strftime("%Y-%m-%d %H:%M:%S %z")
            address = {
                "Name": f"买家{i}",
                "Address1": f"人民路{i}号",
                "City": "上海",
                "Zip": "200000",
                "Province": "上海",
                "Province Name": "上海",
                "Country": "CN",
            }
            head = {
                "Financial Status": "paid",
                "Paid at": created,
                "Fulfillment Status": "unfulfilled",
                "Currency": "CNY",
                "Subtotal": goods,
                "Shipping": "0.00",
                "Taxes": "0.00",
                "Total": goods,
                "Discount Amount": "0.00",
                "Payment Method": "Shopify Payments",
                "Outstanding Balance": "0.00",
                "Id": 5_000_000_000 + i,
                "Risk Level": "Low",
                "Source": "web",
                **{f"{side} {k}": v for side in ("Billing", "Shipping") for k, v in address.items()},
            }
            for k, (sku, qty, price) in enumerate(items):
                cells = {
                    "Name": f"#{100000 + i}",
                    "Email": f"b{i % 30000}@example.com",
                    "Accepts Marketing": "no",
                    "Created at": created,
                    "Lineitem quantity": qty,
                    "Lineitem name": f"商品 {sku}",
                    "Lineitem price": price,
                    "Lineitem sku": sku,
                    "Lineitem requires shipping": "true",
                    "Lineitem taxable": "true",
                    "Lineitem fulfillment status": "pending",
                    "Lineitem discount": "0.00",
                    **(head if k == 0 else {}),
                }
                w.writerow([cells.get(h, "") for h in HEADER])
                lines += 1
    return lines


def _setup(url: str, skus: int = SKUS):
    with session_scope(url) as session:
        admin = initialise(session, company="bench", admin_password="bench-password")
        catalog.create_warehouse(session, admin, code="SH", name="上海仓", region="华东")
        catalog.create_shop(
            session, admin, code="SHOP", name="Shopify", platform="shopify", default_warehouse="SH"
        )
        catalog.create_records(
            session,
            admin,
            "product",
            [{"sku": f"SKU-{i:04d}", "name_zh": f"商品{i}", "list_price": "20.00"} for i in range(skus)],
        )
    return admin


def _cli_import(url: str, path, orders: int) -> int:
    """``ecerp orders import`` as a user runs it: a new process, its start-up included; returns the
    process's peak resident memory in bytes."""
    args = ["orders", "import", "--platform", "shopify", str(path), "--shop", "SHOP", "--json"]
    code, out, err, peak = _run_measured(args, url, _token(url))
    assert code == 0, err[-2000:]
    summary = json.loads(out)
    assert summary["created"] == orders and not summary["rejected"], summary["rejected"][:3]
    return peak


_MEASURED = """
import atexit, runpy, sys

def _peak():  # this process's own high-water mark (ru_maxrss would count the parent's before exec)
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print(f"\\nECERP_PEAK_KB={kb}", file=sys.stderr)

atexit.register(_peak)
sys.argv = ["ecerp", *sys.argv[1:]]
runpy.run_module("ecerp_core", run_name="__main__", alter_sys=True)
"""


def _token(url: str) -> str | None:
    """An API token of the admin on PostgreSQL, where the command must say who acts."""
    if url.startswith("sqlite"):
        return None
    with session_scope(url) as session:
        return create_token(session, resolve_actor(session, "admin"), "admin")


def _run_measured(args: list[str], url: str, token: str | None = None) -> tuple[int, str, str, int]:
    """``ecerp ARGS`` in a new process: its exit code, output, errors and peak resident memory in
    bytes (``VmHWM``, read by the process as it exits)."""
    env = {**os.environ, "ECERP_DATABASE_URL": url, **({"ECERP_TOKEN": token} if token else {})}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    err, _, peak = done.stderr.rpartition("\nECERP_PEAK_KB=")
    return done.returncode, done.stdout, err, int(peak.strip() or 0) * 1024


def _plain_connect(url: str):
    """The driver's own connection, no SQLAlchemy in between; returns it with its placeholder."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite3.connect(parsed.database), "?"
    return psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False)), "%s"


def _raw_tables(url: str) -> None:
    conn, _ = _plain_connect(url)
    try:
        conn.execute(
            "CREATE TABLE raw_order (name VARCHAR(64), currency VARCHAR(3), total NUMERIC(18,2), "
            "created VARCHAR(40))"
        )
        conn.execute(
            "CREATE TABLE raw_line (name VARCHAR(64), sku VARCHAR(64), qty INTEGER, price NUMERIC(18,2))"
        )
        conn.commit()
    finally:
        conn.close()


def _raw_import(url: str, path) -> None:
    """The baseline: ``csv.reader`` by header, the cells as read, one ``executemany`` per table in
    one transaction (the database converts the text)."""
    conn, mark = _plain_connect(url)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            at = {h: i for i, h in enumerate(next(reader))}
            order = operator.itemgetter(*(at[h] for h in ("Name", "Currency", "Total", "Created at")))
            line = operator.itemgetter(
                *(at[h] for h in ("Name", "Lineitem sku", "Lineitem quantity", "Lineitem price"))
            )
            head = at["Financial Status"]
            orders, lines = [], []
            for row in reader:
                if row[head]:
                    orders.append(order(row))
                lines.append(line(row))
        cur = conn.cursor()
        cur.executemany(f"INSERT INTO raw_order VALUES ({mark}, {mark}, {mark}, {mark})", orders)
        cur.executemany(f"INSERT INTO raw_line VALUES ({mark}, {mark}, {mark}, {mark})", lines)
        conn.commit()
    finally:
        conn.close()


@benchmark("orders-import")
def orders_import(cfg: BenchConfig) -> BenchResult:
    """`ecerp orders import` of a 100,000-order Shopify export beside csv + executemany."""
    n = max(200, int(100_000 * cfg.scale))
    path = cfg.workdir / "orders_export.csv"
    lines = write_shopify_csv(path, n, cfg.seed, IMPORT_SKUS)
    result = BenchResult(
        "orders import (Shopify CSV)",
        lines,
        "lines",
        backend="sqlite" if cfg.database_url is None else "postgresql",
        baseline_name="csv + executemany into two bare tables",
    )
    for _ in range(cfg.repeat):
        url = fresh_url(cfg.workdir, cfg.database_url, "orders")
        _setup(url, IMPORT_SKUS)
        get_engine(url).dispose()  # the command runs alone on the database, as a user's would
        result.ours.append(timed(lambda url=url: _cli_import(url, path, n)))
        dispose(url)
        url = fresh_url(cfg.workdir, cfg.database_url, "orders-raw")
        _raw_tables(url)
        get_engine(url).dispose()
        result.baseline.append(timed(lambda url=url: _raw_import(url, path)))
        dispose(url)
    result.note = (
        f"{n} orders, {IMPORT_SKUS} known SKUs; ecerp: the `ecerp orders import` process (start-up, parse "
        f"by header, checks, SKU mapping, routing, order events) = {100 / result.ratio:.1f}% of the raw rate"
    )
    return result


@benchmark("orders-pipeline")
def orders_pipeline(cfg: BenchConfig) -> BenchResult:
    n = max(200, int(100_000 * cfg.scale))
    path = cfg.workdir / "orders_pipeline.csv"
    write_shopify_csv(path, n, cfg.seed + 1)
    result = BenchResult(
        "review + route + reserve",
        n,
        "orders",
        backend="sqlite" if cfg.database_url is None else "postgresql",
        baseline_name="executemany: status update + reservation rows",
    )
    for _ in range(cfg.repeat):
        url = fresh_url(cfg.workdir, cfg.database_url, "pipeline")
        admin = _setup(url)
        with session_scope(url) as session:
            import_files(session, admin, "shopify", [path], shop="SHOP")
            stock.post_moves(
                session,
                admin,
                [
                    stock.MoveDraft(p, 1, 10 * n, "receipt", unit_cost=Decimal("10"))
                    for p in range(1, SKUS + 1)
                ],
            )

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
                cur.executemany(
                    "INSERT INTO stock_reservation "
                    "(product_id, warehouse_id, quantity, source_type, source_id, at) "
                    f"VALUES (1, 1, 1, 'bench', {mark}, CURRENT_TIMESTAMP)",
                    [(i,) for i in ids],
                )
                conn.commit()
            finally:
                conn.close()

        result.baseline.append(timed(raw))
        dispose(url)
    result.note = "ecerp: rules, routing by region and availability, locked reservation, events, audit"
    return result


@benchmark("orders-import-memory")
def orders_import_memory(cfg: BenchConfig) -> BenchResult:
    """Peak memory of `ecerp orders import` of a ~50 MB Shopify export, beside csv + executemany."""
    n = max(200, int(85_000 * cfg.scale))
    path = cfg.workdir / "orders_memory.csv"
    lines = write_shopify_csv(path, n, cfg.seed + 2, IMPORT_SKUS)
    size = path.stat().st_size / 1e6
    result = BenchResult(
        "orders import memory",
        lines,
        "lines",
        backend="sqlite" if cfg.database_url is None else "postgresql",
        baseline_name="csv + executemany into two bare tables",
    )
    small = cfg.workdir / "orders_memory_small.csv"
    write_shopify_csv(small, 200, cfg.seed + 2, IMPORT_SKUS)
    peaks, idle = [], []
    for _ in range(cfg.repeat):
        url = fresh_url(cfg.workdir, cfg.database_url, "memory-small")
        _setup(url, IMPORT_SKUS)
        get_engine(url).dispose()
        idle.append(_cli_import(url, small, 200))  # the command's own memory, whatever the file
        dispose(url)
        url = fresh_url(cfg.workdir, cfg.database_url, "memory")
        _setup(url, IMPORT_SKUS)
        get_engine(url).dispose()
        started = time.perf_counter()
        peaks.append(_cli_import(url, path, n))
        result.ours.append(time.perf_counter() - started)
        dispose(url)
        url = fresh_url(cfg.workdir, cfg.database_url, "memory-raw")
        _raw_tables(url)
        get_engine(url).dispose()
        result.baseline.append(timed(lambda url=url: _raw_import(url, path)))
        dispose(url)
    peak, start = statistics.median(peaks) / 1e6, statistics.median(idle) / 1e6
    result.note = (
        f"{size:.0f} MB file, {n} orders: peak RSS {peak:.0f} MB ({peak - start:.0f} MB above the "
        f"{start:.0f} MB of importing 200 orders), {size / result.ours_median:.1f} MB/s "
        f"(raw {size / result.baseline_median:.1f} MB/s)"
    )
    return result
