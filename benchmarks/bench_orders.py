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


def _ready_for_command(cfg: BenchConfig, label: str) -> str:
    """A fresh database with the shop and its known SKUs, left for ``ecerp orders import`` to run
    alone on (this process's connections closed), as a user's would; returns its URL."""
    url = fresh_url(cfg.workdir, cfg.database_url, label)
    _setup(url, IMPORT_SKUS)
    get_engine(url).dispose()
    return url


def _cli_import(url: str, path, orders: int, extra: dict | None = None) -> tuple[int, int]:
    """``ecerp orders import`` as a user runs it: a new process, its start-up included (``extra``:
    more of its environment); returns the peak resident memory in bytes of the process and of the
    copy that read the file ahead."""
    args = ["orders", "import", "--platform", "shopify", str(path), "--shop", "SHOP", "--json"]
    code, out, err, peak, copy = _run_measured(args, url, _token(url), extra)
    assert code == 0, err[-2000:]
    summary = json.loads(out)
    assert summary["created"] == orders and not summary["rejected"], summary["rejected"][:3]
    return peak, copy


_MEASURED = """
import atexit, os, resource, runpy, sys

def _peak():  # this process's own high-water mark (ru_maxrss would count the parent's before exec)
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    # and that of the copy that read the file ahead (pages shared with this process included)
    copy = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"\\nECERP_PEAK_KB={kb},{copy}", file=sys.stderr)

atexit.register(_peak)
if os.environ.get("ECERP_BENCH_ONE_BATCH"):  # every file in one batch: read whole, as before streaming
    from ecerp_core.connectors import files
    files.import_files.__kwdefaults__["batch_rows"] = 1 << 62
sys.argv = ["ecerp", *sys.argv[1:]]
runpy.run_module("ecerp_core", run_name="__main__", alter_sys=True)
"""


def _token(url: str) -> str | None:
    """An API token of the admin on PostgreSQL, where the command must say who acts."""
    if url.startswith("sqlite"):
        return None
    with session_scope(url) as session:
        return create_token(session, resolve_actor(session, "admin"), "admin")


def _run_measured(
    args: list[str], url: str, token: str | None = None, extra: dict | None = None
) -> tuple[int, str, str, int, int]:
    """``ecerp ARGS`` in a new process: its exit code, output, errors, peak resident memory in bytes
    (``VmHWM``, read by the process as it exits) and that of the copy that read its file ahead, if
    one did (0 if not; the pages the copy shares with the process are counted in both)."""
    env = {**os.environ, "ECERP_DATABASE_URL": url, **({"ECERP_TOKEN": token} if token else {})}
    env.update(extra or {})
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    err, _, peaks = done.stderr.rpartition("\nECERP_PEAK_KB=")
    own, _, copy = peaks.strip().partition(",")
    return done.returncode, done.stdout, err, int(own or 0) * 1024, int(copy or 0) * 1024


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
    alone = []  # the same command reading its file in its own process (ECERP_READ_AHEAD=0)
    for _ in range(cfg.repeat):
        url = _ready_for_command(cfg, "orders")
        result.ours.append(timed(lambda url=url: _cli_import(url, path, n)))
        dispose(url)
        url = _ready_for_command(cfg, "orders-one-process")
        alone.append(timed(lambda url=url: _cli_import(url, path, n, {"ECERP_READ_AHEAD": "0"})))
        dispose(url)
        url = fresh_url(cfg.workdir, cfg.database_url, "orders-raw")
        _raw_tables(url)
        get_engine(url).dispose()
        result.baseline.append(timed(lambda url=url: _raw_import(url, path)))
        dispose(url)
    result.note = (
        f"{n} orders, {IMPORT_SKUS} known SKUs; ecerp: the `ecerp orders import` process (start-up, parse "
        f"by header, checks, SKU mapping, routing, order events) = {100 / result.ratio:.1f}% of the raw "
        f"rate; reading the file in the same process (ECERP_READ_AHEAD=0) {statistics.median(alone):.2f} s = "
        f"{100 * result.baseline_median / statistics.median(alone):.1f}%"
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
    peaks, copies, idle = [], [], []
    for _ in range(cfg.repeat):
        url = _ready_for_command(cfg, "memory-small")
        idle.append(_cli_import(url, small, 200)[0])  # the command's own memory, whatever the file
        dispose(url)
        url = _ready_for_command(cfg, "memory")
        started = time.perf_counter()
        peak, copy = _cli_import(url, path, n)
        result.ours.append(time.perf_counter() - started)
        peaks.append(peak)
        copies.append(copy)
        dispose(url)
        url = fresh_url(cfg.workdir, cfg.database_url, "memory-raw")
        _raw_tables(url)
        get_engine(url).dispose()
        result.baseline.append(timed(lambda url=url: _raw_import(url, path)))
        dispose(url)
    peak, start = statistics.median(peaks) / 1e6, statistics.median(idle) / 1e6
    copy = statistics.median(copies) / 1e6
    result.note = (
        f"{size:.0f} MB file, {n} orders: peak RSS {peak:.0f} MB ({peak - start:.0f} MB above the "
        f"{start:.0f} MB of importing 200 orders; the copy reading ahead {copy:.0f} MB, with the pages "
        f"it shares with the command), {size / result.ours_median:.1f} MB/s "
        f"(raw {size / result.baseline_median:.1f} MB/s); "
    )
    result.note += "; ".join(_other_formats(cfg))
    return result


def _other_formats(cfg: BenchConfig) -> list[str]:
    """Peak RSS of a ~50 MB Taobao pair and a ~50 MB generic CSV (--history, Online Retail's
    layout), in batches and in one batch (each file read whole, as before they were streamed)."""
    pair_orders = max(100, int(120_000 * cfg.scale))
    pair = write_taobao_pair(cfg.workdir, pair_orders, cfg.seed + 3, IMPORT_SKUS)
    retail = cfg.workdir / "orders_memory_retail.csv"
    invoices = max(100, int(42_000 * cfg.scale))
    write_retail_csv(retail, invoices, cfg.seed + 4, IMPORT_SKUS)
    cases = (
        ("Taobao pair", ["--platform", "taobao", *map(str, pair), "--shop", "TB"], pair_orders, pair),
        ("generic CSV", ["--platform", "csv", "--history", *RETAIL_MAP, str(retail), "--shop", "UK"],
         invoices, [retail]),
    )  # fmt: skip
    notes = []
    for label, args, orders, paths in cases:
        size = sum(p.stat().st_size for p in paths) / 1e6
        peaks: dict[bool, list[float]] = {False: [], True: []}
        copies: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(cfg.repeat):
            for whole in (False, True):
                url = fresh_url(cfg.workdir, cfg.database_url, "memory-other")
                _setup(url, IMPORT_SKUS)
                with session_scope(url) as session:
                    admin = resolve_actor(session, "admin")
                    for code, platform in (("TB", "taobao"), ("UK", "other")):
                        catalog.create_shop(
                            session, admin, code=code, name=code, platform=platform, default_warehouse="SH"
                        )
                get_engine(url).dispose()
                extra = {"ECERP_BENCH_ONE_BATCH": "1"} if whole else {}
                command = ["orders", "import", *args, "--json"]
                code, out, err, peak, copy = _run_measured(command, url, _token(url), extra)
                assert code == 0, err[-2000:]
                summary = json.loads(out)
                assert summary["created"] == orders and not summary["rejected"], summary["rejected"][:3]
                peaks[whole].append(peak / 1e6)
                copies[whole].append(copy / 1e6)
                dispose(url)
        batched, whole = statistics.median(peaks[False]), statistics.median(peaks[True])
        notes.append(
            f"{label} {size:.0f} MB, {orders} orders: peak RSS {batched:.0f} MB, the copy reading ahead "
            f"{statistics.median(copies[False]):.0f} MB ({whole:.0f} MB in one batch, "
            f"{statistics.median(copies[True]):.0f} MB)"
        )
    return notes


RETAIL_HEADER = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                 "CustomerID", "Country")  # fmt: skip
RETAIL_MAP = ("--map", "customer_id=CustomerID", "--map", "region=Country")


def write_retail_csv(path, n: int, seed: int, skus: int = SKUS) -> int:
    """``n`` invoices in the Online Retail layout (one row per line, 1-30 lines); returns the rows."""
    rng = random.Random(seed)
    t0 = dt.datetime(2011, 2, 1, 8, 0)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(RETAIL_HEADER)
        for i in range(n):
            at = (t0 + dt.timedelta(seconds=i * 37)).strftime("%m/%d/%Y %H:%M")
            customer = str(12000 + rng.randrange(4000))
            for _ in range(rng.randrange(1, 31)):
                sku = rng.randrange(skus)
                price = Decimal(rng.randrange(29, 1999)) / 100
                w.writerow([536365 + i, f"SKU-{sku:04d}", f"GIFT ITEM {sku}", rng.randrange(1, 25), at, price,
                            customer, "United Kingdom"])  # fmt: skip
                rows += 1
    return rows


TAOBAO_ORDER_HEADER = ("订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "总金额",
                       "买家实际支付金额", "订单状态", "买家留言", "收货人姓名", "收货地址", "联系电话",
                       "联系手机", "订单创建时间", "订单付款时间", "宝贝标题", "宝贝种类", "物流单号",
                       "物流公司", "订单备注", "宝贝总数量", "退款金额", "订单关闭原因")  # fmt: skip
TAOBAO_ITEM_HEADER = ("订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注",
                      "订单状态", "商家编码")  # fmt: skip


def write_taobao_pair(folder, n: int, seed: int, skus: int = SKUS) -> list:
    """``n`` orders as Taobao's GBK export pair (order report, then an item report listing the items
    in another order), ids armoured as Excel text; returns the two paths."""
    rng = random.Random(seed)
    t0 = dt.datetime(2026, 6, 1, 9, 0)
    orders, items = folder / "ExportOrderList_memory.csv", folder / "ExportOrderDetailList_memory.csv"
    item_rows = []
    with orders.open("w", newline="", encoding="gb18030") as fh:
        w = csv.writer(fh)
        w.writerow(TAOBAO_ORDER_HEADER)
        for i in range(n):
            number = f"{3_100_000_000_000_000 + i * 7919}"
            picked = [
                (rng.randrange(skus), rng.choice((1, 1, 1, 2)), Decimal(rng.randrange(990, 19900)) / 100)
                for _ in range(rng.choices((1, 2, 3), weights=(60, 30, 10))[0])
            ]
            total = sum((q * p for _, q, p in picked), Decimal(0))
            created = (t0 + dt.timedelta(seconds=i * 11)).strftime("%Y-%m-%d %H:%M:%S")
            address = f"浙江省 杭州市 西湖区 文三路{i}号(310000)"
            w.writerow([f'="{number}"', f"tb_buyer{i % 40000}", f"buyer{i}@example.com", total, "0.00",
                        total, total, "买家已付款，等待卖家发货", "", f"收货人{i}", address, "",
                        f"'1380000{i % 10000:04d}", created, created, "纯棉T恤", len(picked), "", "", "",
                        sum(q for _, q, _ in picked), "0.00", "订单未关闭"])  # fmt: skip
            item_rows += [(number, sku, qty, price) for sku, qty, price in picked]
    rng.shuffle(item_rows)  # the item report keeps no order of the order report
    with items.open("w", newline="", encoding="gb18030") as fh:
        w = csv.writer(fh)
        w.writerow(TAOBAO_ITEM_HEADER)
        for number, sku, qty, price in item_rows:
            w.writerow([f'="{number}"', f"纯棉短袖T恤 商品{sku}", price, qty, "", "颜色分类：白色;尺码：L",
                        "", "", "买家已付款，等待卖家发货", f"SKU-{sku:04d}"])  # fmt: skip
    return [orders, items]
