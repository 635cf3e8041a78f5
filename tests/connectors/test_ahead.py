"""A large export is read and parsed ahead, in a forked copy of the process, while this one checks
and writes: the orders, refusals and warnings come out as when it is read in this process, what the
copy meets (a file that is not an export, rows listed apart) is raised here as there, and a copy that
dies is a named error."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from business_fixtures import count
from test_batches import ROWS, _csv, _shops, export, snapshot

from ecerp_core.auth import resolve_actor
from ecerp_core.connectors import ahead
from ecerp_core.connectors.base import Parsed
from ecerp_core.connectors.files import import_files
from ecerp_core.db import session_scope
from ecerp_core.errors import ImportFileError
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.models import Order, OrderEvent

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="reading ahead forks")


@pytest.fixture
def always_ahead(monkeypatch):
    """Every file is read ahead, however small and wherever the test runs."""
    monkeypatch.setattr(ahead, "pays", lambda size: True)


def test_an_export_read_ahead_imports_as_one_read_here(session, admin, always_ahead):
    shops = _shops(session, admin, "shopify", ("HERE", "AHEAD", "SCATTERED", "SCATTERED_HERE"))
    data = [("orders.csv", export(ROWS))]
    with pytest.MonkeyPatch.context() as here:
        here.setattr(ahead, "pays", lambda size: False)
        one = import_files(session, admin, "shopify", data, shop="HERE")
        scattered_here = [("s.csv", export([*ROWS[1:], ROWS[0]]))]
        whole = import_files(session, admin, "shopify", scattered_here, shop="SCATTERED_HERE")
    read = import_files(session, admin, "shopify", data, shop="AHEAD", batch_rows=2)
    assert read == one
    assert (read["created"], read["exceptions"], [r["line"] for r in read["rejected"]]) == (5, 1, [8])
    assert snapshot(session, shops["AHEAD"]) == snapshot(session, shops["HERE"])

    # #1's rows at the start and the end: the copy says so, and the file is read whole here
    scattered = import_files(session, admin, "shopify", scattered_here, shop="SCATTERED", batch_rows=2)
    assert scattered == whole
    assert snapshot(session, shops["SCATTERED"]) == snapshot(session, shops["SCATTERED_HERE"])

    events = count(session, OrderEvent)
    again = import_files(session, admin, "shopify", data, shop="AHEAD", batch_rows=2)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)
    assert count(session, OrderEvent) == events


def test_a_taobao_pair_read_ahead_imports_as_one_read_here(session, admin, always_ahead):
    shops = _shops(session, admin, "taobao", ("HERE", "AHEAD"))
    paid, at = "买家已付款，等待卖家发货", "2026-06-01 10:00:00"
    orders = [
        [f"T{n}", paid, at, total, total, "上海 上海市 人民路1号"]
        for n, total in (("1", "25.00"), ("2", "7.00"))
    ]
    items = [["T1", "10.00", "1", "A", "a"], ["T2", "7.00", "1", "ZZZ", "z"], ["T1", "15.00", "1", "B", "b"]]
    pair = [
        (
            "ExportOrderList.csv",
            _csv(
                [["订单编号", "订单状态", "订单创建时间", "总金额", "买家实际支付金额", "收货地址"], *orders]
            ),
        ),
        ("ExportOrderDetailList.csv", _csv([["订单编号", "价格", "购买数量", "商家编码", "标题"], *items])),
    ]
    with pytest.MonkeyPatch.context() as here:
        here.setattr(ahead, "pays", lambda size: False)
        one = import_files(session, admin, "taobao", pair, shop="HERE")
    assert import_files(session, admin, "taobao", pair, shop="AHEAD", batch_rows=1) == one
    assert one["created"] == 2 and one["exceptions"]
    assert snapshot(session, shops["AHEAD"]) == snapshot(session, shops["HERE"])


def test_a_file_the_copy_cannot_use_is_refused_here_and_nothing_is_written(session, admin, always_ahead):
    _shops(session, admin, "shopify", ("AHEAD",))
    broken = [("orders.csv", b"Name,Total\n#1,10.00\n")]
    with pytest.raises(ImportFileError) as refused:
        import_files(session, admin, "shopify", broken, shop="AHEAD")
    assert "orders.csv" in refused.value.message("en") and "Lineitem quantity" in refused.value.message("en")
    assert count(session, Order) == 0


def test_a_copy_that_dies_or_fails_is_a_named_error():
    with pytest.raises(ahead.ReaderFailed) as died:
        list(ahead.read_ahead(lambda: os._exit(3), "orders.csv"))
    assert died.value.message("en").endswith(
        "exit code 3): import it again, or set ECERP_READ_AHEAD=0 to read it in one process"
    )
    assert "orders.csv" in died.value.message("zh_CN")

    def unpicklable():
        yield from ()
        raise ValueError(lambda: None)  # its argument cannot be pickled: its text comes instead

    with pytest.raises(RuntimeError, match="ValueError"):
        list(ahead.read_ahead(unpicklable, "orders.csv"))


def test_a_file_is_read_ahead_only_where_a_copy_is_safe_and_pays(monkeypatch):
    big = ahead.AHEAD_BYTES
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # earlier tests may have left threads
    assert ahead.pays(big) == sys.platform.startswith("linux")
    assert not ahead.pays(big - 1)
    monkeypatch.setenv("ECERP_READ_AHEAD", "0")
    assert not ahead.pays(big)
    monkeypatch.delenv("ECERP_READ_AHEAD")
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # a Jupyter kernel, a server
    assert not ahead.pays(big)
    assert ahead.size_of(("orders.csv", b"12345")) == 5 and ahead.size_of("/no/such/file.csv") == 0


def test_the_copy_ends_with_the_block_when_the_caller_stops_early(always_ahead):
    def endless():
        for n in itertools.count():
            yield Parsed([], [], f"batch {n}")

    with pytest.raises(ZeroDivisionError), ahead.reading(endless, ("orders.csv", b"...")) as parts:
        assert next(iter(parts)).file == "batch 0"
        assert multiprocessing.active_children()
        _ = 1 / 0  # the caller fails half-way
    assert multiprocessing.active_children() == []


def test_drafts_travel_as_plain_values_and_arrive_the_same():
    zone = ZoneInfo("Asia/Shanghai")
    at = dt.datetime(2026, 6, 1, 10, tzinfo=zone)
    lines = (
        OrderLineDraft("A", 1, Decimal("10.00"), Decimal("10.00")),
        OrderLineDraft("B", 2, Decimal("1.5E+3"), Decimal("3000"), Decimal("0.00"), "OURS", "名"),
    )
    drafts = [
        OrderDraft(1, "#1", "paid", at, "CNY", lines, Decimal("3010.00"), Decimal("3010.00"), paid_at=at),
        OrderDraft(1, "#2", "shipped", dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC), "CNY", lines[:1],
                   Decimal("10.00"), Decimal("10.0"), discount_amount=Decimal("0.00"), tax_included=True,
                   shipped_at=dt.datetime(2026, 6, 1, 10, 0, 0, 123457, tzinfo=zone), line=7),
        OrderDraft(1, "#3", "paid", at, "CNY", (), Decimal("0"), Decimal("0"), is_cod=True, note="n"),
    ]  # fmt: skip
    part = Parsed(drafts, [{"file": "orders.csv", "line": 9, "reason": "bad"}], "orders.csv")
    sent = ahead.pack(part)
    assert all(
        type(v) in (str, int, float, bool, type(None))
        for columns in (sent.orders, sent.lines)
        for name, values in columns.items()
        if name[0] != "\x00" and len(values) > 1  # a column of one value is sent once, as it is
        for v in values
    )
    assert sent.orders["shop_id"] == [1] and sent.orders["seller_remark"] == [""]  # one value: once
    back = ahead.unpack(sent)
    assert back == part
    assert [str(d.total_amount) for d in back.drafts] == ["3010.00", "10.0", "0"]
    assert str(back.drafts[0].lines[1].unit_price) == "1.5E+3" and back.drafts[2].lines == ()
    assert back.drafts[1].shipped_at.microsecond == 123457
    assert [type(d.is_cod) for d in back.drafts] == [bool] * 3
    assert ahead.unpack(ahead.pack(Parsed([], [], "empty.csv"))) == Parsed([], [], "empty.csv")


SAYS_WHEN_READ_AHEAD = """
import runpy, sys
from ecerp_core.connectors import ahead
real = ahead.read_ahead
def read_ahead(*args):
    print("reading ahead", file=sys.stderr)
    return real(*args)
ahead.read_ahead = read_ahead
sys.argv = ["ecerp", *sys.argv[1:]]
runpy.run_module("ecerp_core", run_name="__main__", alter_sys=True)
"""


def test_the_command_reads_a_large_export_ahead_to_the_same_orders(db, tmp_path):
    """``ecerp orders import`` of a 4 MB export: read ahead, as without (``ECERP_READ_AHEAD=0``)."""
    with session_scope(db) as session:
        shops = _shops(session, resolve_actor(session, "admin"), "shopify", ("AHEAD", "HERE"))
    path = tmp_path / "orders_export.csv"
    rows = [
        (f"#{n}", "x" if n % 997 == 0 else "1", "10.00", "ZZZ" if n % 101 == 0 else "A") for n in range(5000)
    ]
    rows += [(f"#{n}", "2", "15.00", "B") for n in range(0, 5000, 2)]
    rows.sort(key=lambda row: int(row[0][1:]))
    path.write_bytes(export(rows).replace(b"\r\n", b"," + b"n" * 600 + b"\r\n"))  # a long remark each
    assert path.stat().st_size >= ahead.AHEAD_BYTES

    def imported(shop: str, **env: str) -> tuple[dict, bool]:
        """The command in a process of its own, as a user runs it: its summary, and whether the file
        was read ahead (the process says so on its error stream)."""
        command = ["orders", "import", "--platform", "shopify", str(path), "--shop", shop, "--json"]
        done = subprocess.run(
            [sys.executable, "-c", SAYS_WHEN_READ_AHEAD, *command],
            env={**os.environ, **env}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr[-2000:]  # 1: rows were rejected, the others imported
        return json.loads(done.stdout), "reading ahead" in done.stderr

    read, ahead_here = imported("AHEAD")
    assert ahead_here
    assert imported("HERE", ECERP_READ_AHEAD="0") == (read, False)
    assert (read["created"], read["exceptions"], len(read["rejected"])) == (4994, 49, 6)
    with session_scope(db) as session:
        assert snapshot(session, shops["AHEAD"]) == snapshot(session, shops["HERE"])
