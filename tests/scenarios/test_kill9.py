"""kill -9 at the worst moment: an ``ecerp`` process killed with every write of its transaction in the
database but not committed leaves nothing behind, and running the command again completes.

Each case starts the real command in a process of its own with ``ECERP_TEST_PAUSE_AT=commit``
(``db.pause_point``: the session's writes are flushed, then it sleeps just before the commit), kills
it there with SIGKILL, and proves every table holds exactly the rows it held before, ``ecerp check``
passes, and the same command run again does its work once.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time

import pytest
from cli_run import run
from sqlalchemy import func, text
from sqlalchemy import select as sql_select

from ecerp_core.auth import resolve_actor
from ecerp_core.catalog import services as catalog
from ecerp_core.db import PAUSE_AT, session_scope
from ecerp_core.schema import metadata

PAUSED = b"ecerp: paused at commit"
ALIPAY = "商户订单号,业务类型,收入金额（+元）,支出金额（-元）,发生时间\n"


def _row_counts(url: str) -> dict[str, int]:
    with session_scope(url, readonly=True) as s:
        return {t.name: s.scalar(sql_select(func.count()).select_from(t)) for t in metadata.sorted_tables}


def _writing_transactions(url: str) -> int:
    """PostgreSQL: how many other sessions are in a transaction that has written (holds an xid)."""
    with session_scope(url, readonly=True) as s:
        return s.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'idle in transaction' AND backend_xid IS NOT NULL"
            )
        )


def _killed_at_commit(url: str, *args: str) -> None:
    """Run ``ecerp ARGS`` in a process of its own and SIGKILL it once it stands before its commit
    (on PostgreSQL, having written: its transaction holds an xid)."""
    env = {**os.environ, PAUSE_AT: "commit"}
    argv = [sys.executable, "-m", "ecerp_core", "--lang", "en", *args]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while PAUSED not in seen:
            left = deadline - time.monotonic()
            assert left > 0 and proc.poll() is None, f"ecerp {args} never paused: {seen.decode()[-500:]}"
            if select.select([proc.stderr], [], [], min(left, 1))[0]:
                seen += os.read(proc.stderr.fileno(), 4096)
        if url.startswith("postgresql"):
            assert _writing_transactions(url) == 1
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def _check(capsys) -> None:
    code, out, err = run(capsys, "--lang", "en", "check")
    assert (code, err) == (0, ""), out


def _killed_then_rerun(db, capsys, *args: str) -> str:
    """Kill the command before its commit (nothing changes), then run it again (it succeeds)."""
    before = _row_counts(db)
    _killed_at_commit(db, *args)
    assert _row_counts(db) == before
    _check(capsys)
    code, out, err = run(capsys, "--lang", "en", *args)
    assert (code, err) == (0, ""), out
    _check(capsys)
    return out


@pytest.fixture
def shop(db):
    with session_scope(db) as s:
        admin = resolve_actor(s, "admin")
        catalog.create_warehouse(s, admin, code="SH", name="上海仓")
        catalog.create_warehouse(s, admin, code="GZ", name="广州仓")
        catalog.create_shop(s, admin, code="TB", name="淘宝店", platform="taobao", default_warehouse="SH")
        catalog.create_product(s, admin, sku="TEE-1", name_zh="T恤", cost="20.00", list_price="59.00")
    return db


def test_killed_orders_import_leaves_no_order_and_imports_whole_again(shop, capsys, tmp_path):
    path = tmp_path / "orders.csv"
    rows = [f"K{i},TEE-1,1,59,2026-10-18 10:00:00,张三,上海,上海市人民路1号" for i in range(40)]
    path.write_text("订单号,商家编码,数量,单价,下单时间,收货人,省,收货地址\n" + "\n".join(rows) + "\n")
    argv = ("orders", "import", "--platform", "csv", "--shop", "TB", "--json", str(path))
    assert json.loads(_killed_then_rerun(shop, capsys, *argv))["created"] == 40
    assert _row_counts(shop)["sales_order"] == 40


def _settle(tmp_path, name: str, *rows: str) -> str:
    path = tmp_path / name
    path.write_text(ALIPAY + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return str(path)


def test_killed_settlement_import_and_month_close_post_nothing_and_run_again(shop, capsys, tmp_path):
    bill = _settle(
        tmp_path,
        "bill.csv",
        "T100P1,服务费,,1.50,2026-10-05 10:00:00",
        "T100P2,淘宝客佣金,,9.90,2026-10-06 10:00:00",
        "T100P3,提现,,100.00,2026-10-07 10:00:00",
    )
    out = _killed_then_rerun(shop, capsys, "finance", "settle", "--platform", "alipay", bill)
    assert "net -11.40" in out
    assert _row_counts(shop)["fin_settlement"] == 1
    _killed_then_rerun(shop, capsys, "finance", "close", "--period", "2026-10")
    code, _, err = run(capsys, "--lang", "en", "finance", "close", "--period", "2026-10")
    assert code != 0 and err.startswith("error: ") and err.count("\n") == 1  # closed once, not twice


def test_killed_stocktake_approval_moves_no_stock_and_approves_once_again(shop, capsys):
    code, out, _ = run(capsys, "--lang", "en", "stock", "adjust", "SH", "TEE-1=10", "--unit-cost", "20")
    assert code == 0, out
    code, out, _ = run(capsys, "--lang", "en", "stock", "count", "create", "SH", "--threshold", "5", "--json")
    number = json.loads(out)["number"]
    assert run(capsys, "--lang", "en", "stock", "count", "enter", number, "TEE-1=7")[0] == 0
    assert run(capsys, "--lang", "en", "stock", "count", "submit", number)[0] == 0
    out = _killed_then_rerun(shop, capsys, "stock", "count", "approve", number)
    assert "moves 1" in out
    code, out, _ = run(capsys, "--lang", "en", "stock", "levels", "--format", "json")
    assert [r["on_hand"] for r in json.loads(out)] == [7]
