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
import os
import tempfile
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from benchmarks.bench_stock import _populate
from benchmarks.core import BenchConfig, BenchResult, benchmark, timed
from benchmarks.fresh import dispose, fresh_url
from ecerp_core.auth import resolve_actor
from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.importers import import_file
from ecerp_core.checks import run_checks
from ecerp_core.db import get_engine, session_scope
from ecerp_core.orders.batch import ship_from_tracking_file
from ecerp_core.setup import initialise
from ecerp_core.signin import create_token
from ecerp_core.stock import services as stock
from ecerp_core.stock import stocktake
from ecerp_core.testing import race_commands, run_ecerp


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


# --- racing processes -------------------------------------------------------------------------------
_ORDERS_HEADER = "订单号,商家编码,数量,单价,下单时间,收货人,省,收货地址\n"
_ACTIONS = ("import", "review", "approve", "ship", "transfer")


def _race_shop(cfg: BenchConfig, orders: int, workdir) -> tuple[str, dict[str, str]]:
    """A fresh database with one warehouse pair, one shop, TEE-1 stocked for half the orders, and
    the files the racers act from; returns its URL and the files by action."""

    url = fresh_url(cfg.workdir, cfg.database_url, "race")
    with session_scope(url) as session:
        initialise(session, company="bench", admin_password="bench-password")
        admin = resolve_actor(session, "admin")
        sh = catalog.create_warehouse(session, admin, code="SH", name="上海仓").id
        catalog.create_warehouse(session, admin, code="GZ", name="广州仓")
        catalog.create_shop(
            session, admin, code="TB", name="淘宝店", platform="taobao", default_warehouse="SH"
        )
        tee = catalog.create_product(session, admin, sku="TEE-1", name_zh="T恤", cost="20.00").id
        stock.post_moves(
            session, admin, [stock.MoveDraft(tee, sh, orders // 2, "receipt", unit_cost=Decimal("20"))]
        )
        token = create_token(session, admin, "admin")
    os.environ["ECERP_DATABASE_URL"], os.environ["ECERP_TOKEN"] = url, token
    numbers = [f"B{i:06d}" for i in range(orders)]
    path = workdir / "orders.csv"
    rows = "".join(f"{x},TEE-1,1,59,2026-10-18 10:00:00,张三,上海,上海市人民路1号\n" for x in numbers)
    path.write_text(_ORDERS_HEADER + rows, encoding="utf-8")
    files = {"orders": str(path)}
    for n in range(4):  # four file orders of the same tracking numbers
        turned = numbers[::-1] if n % 2 else numbers
        turned = turned[n * orders // 4 :] + turned[: n * orders // 4]
        track = workdir / f"tracking{n}.csv"
        track.write_text(
            "订单号,快递公司,快递单号\n" + "".join(f"{x},SF,SF{x}\n" for x in turned), encoding="utf-8"
        )
        files[f"tracking{n}"] = str(track)
    return url, files


def _race_plans(racers: int, rounds: int, files: dict[str, str]) -> list[list[list[str]]]:
    """Racer ``n`` runs every action ``rounds`` times, starting at its own place in the cycle."""
    commands = {
        "import": ["orders", "import", "--platform", "csv", "--shop", "TB", "--json", files["orders"]],
        "review": ["orders", "review", "--json"],
        "approve": ["orders", "approve", "--queue", "review", "--json"],
        "transfer": ["stock", "transfer", "SH", "GZ", "TEE-1=2", "--ship"],
    }
    plans = []
    for n in range(racers):
        cycle = [_ACTIONS[(n + k) % len(_ACTIONS)] for k in range(len(_ACTIONS))]
        plan = []
        for _ in range(rounds):
            for action in cycle:
                if action == "ship":
                    plan.append(["orders", "ship", "--tracking-file", files[f"tracking{n % 4}"], "--json"])
                else:
                    plan.append(commands[action])
        plans.append(plan)
    return plans


def _race_run(cfg: BenchConfig, racers: int, rounds: int, orders: int, workdir) -> tuple[float, float, str]:
    """The plans raced in processes of their own, then run one after another on a second fresh
    database; the invariants are checked after each."""

    url, files = _race_shop(cfg, orders, workdir)
    plans = _race_plans(racers, rounds, files)
    raced = race_commands(url, plans)
    with session_scope(url, readonly=True) as session:
        failed = [r.name for r in run_checks(session) if not r.ok]
        twice = session.scalar(
            text(
                "SELECT count(*) FROM (SELECT source_id FROM stock_move WHERE move_type = 'shipment'"
                " AND source_type = 'order' GROUP BY source_id HAVING count(*) > 1) x"
            )
        )
    if failed or twice or raced.raw_errors():
        raise AssertionError(
            f"race broke the books: checks {failed}, shipped twice {twice}, {raced.raw_errors()[:3]}"
        )
    dispose(url)
    url, files = _race_shop(cfg, orders, workdir)
    serial = timed(lambda: [run_ecerp(argv) for plan in _race_plans(racers, rounds, files) for argv in plan])
    dispose(url)
    commands = sum(len(p) for p in plans)
    retried = ", ".join(f"{k} ×{v}" for k, v in sorted(raced.retries.items())) or "none"
    note = (
        f"{racers} processes × {commands // racers} commands on {orders} orders: retries {retried}, "
        f"deadlocks {raced.deadlocks}, unretried {raced.unretried_deadlocks()}, raw errors 0, checks pass"
    )
    return raced.seconds, serial, note


@benchmark("race-16")
def race_16(cfg: BenchConfig) -> BenchResult:
    """16 ecerp processes import, review, approve, ship and transfer the same orders and units."""
    racers, rounds, orders = 16, 3, max(40, int(400 * cfg.scale))
    result = BenchResult(
        "race: 16 processes",
        racers * rounds * len(_ACTIONS),
        "cmds",
        backend=_backend(cfg),
        baseline_name="the same commands one after another",
    )
    for _ in range(cfg.repeat):
        with tempfile.TemporaryDirectory(dir=cfg.workdir) as tmp:
            took, base, note = _race_run(cfg, racers, rounds, orders, Path(tmp))
        result.ours.append(took)
        result.baseline.append(base)
        result.note = note
    return result


def _tracking_run(cfg: BenchConfig, path, numbers: list[str]) -> tuple[float, float]:

    url = fresh_url(cfg.workdir, cfg.database_url, "tracking")
    with session_scope(url) as session:
        initialise(session, company="bench", admin_password="bench-password")
        admin = resolve_actor(session, "admin")

    def ours() -> None:
        with session_scope(url) as session:
            found = ship_from_tracking_file(session, admin, path)
        assert (found["shipped"], len(found["rejected"])) == (0, len(numbers))

    def baseline() -> None:
        with get_engine(url).connect() as conn:
            for i in range(0, len(numbers), 10_000):  # a raw IN list, kept under both databases' limits
                chunk = numbers[i : i + 10_000]
                marks = ", ".join(f":p{k}" for k in range(len(chunk)))
                sql = text(f"SELECT id FROM sales_order WHERE platform_order_id IN ({marks})")
                conn.execute(sql, {f"p{k}": v for k, v in enumerate(chunk)}).all()

    took, base = timed(ours), timed(baseline)
    dispose(url)
    return took, base


@benchmark("tracking-70k")
def tracking_70k(cfg: BenchConfig) -> BenchResult:
    """A 70,001-row tracking file of unknown orders: more numbers than one statement can carry."""
    n = max(1000, int(70_001 * cfg.scale))
    result = BenchResult(
        "tracking file, all unknown", n, "rows", backend=_backend(cfg), baseline_name="raw SELECT"
    )
    path = cfg.workdir / "tracking.csv"
    path.write_text(
        "订单号,快递公司,快递单号\n" + "".join(f"X{i},SF,SF{i}\n" for i in range(n)), encoding="utf-8"
    )
    numbers = [f"X{i}" for i in range(n)]
    for _ in range(cfg.repeat):
        took, base = _tracking_run(cfg, path, numbers)
        result.ours.append(took)
        result.baseline.append(base)
    result.note = f"{n} numbers looked up as one array (db.among), each line rejected by name"
    return result
