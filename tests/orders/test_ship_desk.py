"""The Order Desk's shipping tools in plain pytest: edit and split cards, packing bench, waves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from ecerp_core.auth import resolve_actor
from ecerp_core.catalog import services as catalog
from ecerp_core.db import session_scope
from ecerp_core.orders.models import Order
from ecerp_core.stock import services as stock
from widgets.common.actor import open_context
from widgets.order_desk.model import OrderDeskModel
from widgets.order_desk.view import OrderDeskView

CSV = (
    "订单号,商家编码,数量,单价,下单时间,收货人,省,收货地址\n"
    "D1,TEE-1,3,59,2026-06-18 10:00:00,张三,上海,上海市人民路1号\n"
    "D1,MUG-1,1,29,2026-06-18 10:00:00,张三,上海,上海市人民路1号\n"
)


@pytest.fixture
def view(db, monkeypatch, tmp_path):
    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    with session_scope(db) as s:
        a = resolve_actor(s, "admin")
        sh = catalog.create_warehouse(s, a, code="SH", name="上海仓", region="华东")
        catalog.create_shop(s, a, code="TB", name="淘宝店", platform="taobao", default_warehouse="SH")
        tee = catalog.create_product(s, a, sku="TEE-1", name_zh="T恤", list_price="59.00")
        mug = catalog.create_product(
            s, a, sku="MUG-1", name_zh="马克杯", list_price="29.00", barcode="690123"
        )
        s.flush()
        stock.post_moves(
            s,
            a,
            [
                stock.MoveDraft(tee.id, sh.id, 100, "receipt", unit_cost=Decimal("20")),
                stock.MoveDraft(mug.id, sh.id, 100, "receipt", unit_cost=Decimal("8")),
            ],
        )
    return OrderDeskView(OrderDeskModel(open_context("admin", "zh_CN")))


def test_edit_split_pack_and_wave_from_the_desk(view, db):
    view.imports.shop.value = "TB"
    view.imports.platform.value = "csv"
    view.imports.upload.value = (
        {
            "name": "o.csv",
            "type": "text/csv",
            "size": len(CSV.encode()),
            "content": memoryview(CSV.encode()),
            "last_modified": dt.datetime(2026, 1, 1),
        },
    )
    view.imports.import_upload(view.imports.import_button)
    [row] = view.orders.grid.page.rows
    view.orders.open_order(str(row["id"]))
    view.tools.show_order()
    edit = view.tools.edit
    assert edit.card.layout.display == "flex" and edit.texts["address"].value == "上海市人民路1号"
    edit.texts["district"].value, edit.flag.value = "黄浦区", 2
    edit.save_edit()
    assert "已修改 2 项" in view.alerts.value and "黄浦区" in view.orders.detail.value
    split = view.tools.split
    assert list(split.moving) == ["TEE-1", "MUG-1"]
    split.moving["TEE-1"].value = 1
    split.split()
    assert "D1#S1" in view.alerts.value
    view.orders.scope.value = "page"
    view.orders.ask("approve")
    view.orders.confirm()
    view.queue_tabs.value = "to_ship"
    assert view.tools.panel.layout.display == "flex"
    bench = view.tools.packing
    for code in ("D1", "TEE-1", "NOPE"):
        bench.scan_box.value = code
    assert "NOPE 不是订单 D1 的商品" in bench.last.value and "ecerp-pack-error" in bench.last.value
    for code in ("TEE-1", "690123"):
        bench.scan_box.value = code
    assert "订单 D1 验货完成，已打包" in bench.last.value
    view.tools.tabs.value = "waves"
    waves = view.tools.waves
    view.orders.scope.value = "page"
    waves.create_from_chosen()
    assert waves.picker.value.startswith("WV") and "D1#S1" in waves.detail.value
    waves.create()  # every approved order of SH is in a wave already
    assert "仓库 SH 没有可进波次的已审核订单" in view.alerts.value
    waves.number_waybills()
    waves.ask_ship()
    waves.confirm_bar.confirm()
    with session_scope(db) as s:
        shipped = s.execute(select(Order.platform_order_id, Order.status, Order.tracking_no)).all()
    assert sorted((n, st) for n, st, _ in shipped) == [("D1", "shipped"), ("D1#S1", "shipped")]
    assert all(no.startswith("ST") for *_, no in shipped)
    view.i18n.set_language("en")
    assert view.tools.tabs.options[0][0] == "Pack & verify"
