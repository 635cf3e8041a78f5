"""The Order Desk's daily tools in plain pytest (issue 11): the SKU mapping card and why orders are
skipped, ticked rows, the Excel export, to-do counts, opening an after-sales case (app and CLI), names
instead of codes."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

from cli_run import run
from openpyxl import load_workbook
from sqlalchemy import select
from test_order_desk import CSV, desk, upload  # noqa: F401  (the desk fixture)

from ecerp_core.db import session_scope
from ecerp_core.orders.models import AfterSale, Order
from ecerp_core.query import Page
from widgets.common.actions import AlertArea
from widgets.common.actor import open_context
from widgets.common.grid import Column, PagedGrid
from widgets.common.i18n import Translator
from widgets.home.model import HomeModel
from widgets.home.view import HomeView
from widgets.order_desk.render import order_html, platform_status_text


def _key(view, number: str) -> str:
    return next(str(r["id"]) for r in view.orders.grid.page.rows if r["platform_order_id"] == number)


def test_a_clerk_maps_a_sku_ticks_rows_exports_and_opens_a_case(desk, db):  # noqa: F811
    view = desk
    view.imports.shop.value = "TB"
    upload(view, "orders.csv", CSV)
    labels = dict((q, label) for label, q in view.queue_tabs.options)
    assert (labels["review"], labels["exceptions"]) == ("待审核 (2)", "异常订单 (1)")
    assert view.orders.grid.page.rows[0]["shop_name"] == "淘宝店"  # names, the code on hover
    assert view.orders.grid.table.rows[0]["titles"][1] == "TB"

    # defect 4: 处理完毕 keeps an unmapped order, approving it says why, the SKU card frees it
    view.queue_tabs.value = "exceptions"
    assert view.orders.skus.card.layout.display == "flex"
    assert view.orders.skus.platform_sku.options[0][0].startswith("NOPE · ")
    view.orders.open_order(_key(view, "D3"))
    view.orders.ask("clear")
    view.orders.confirm()
    assert "D3" in view.orders.output.value and "SKU 未匹配：请先在「SKU 对应」" in view.orders.output.value
    assert [r["platform_order_id"] for r in view.orders.grid.page.rows] == ["D3"]
    d3 = int(_key(view, "D3"))
    skipped = view.model.run("approve", [d3])
    assert skipped["done"] == 0 and "SKU 未匹配" in skipped["skipped_rows"][0]["reason"]
    view.orders.skus.search.value = "TEE"
    assert view.orders.skus.product.value == "TEE-1"
    view.orders.skus.map_sku()
    assert "1 个订单" in view.alerts.value and view.orders.grid.page.rows == []
    assert dict((q, label) for label, q in view.queue_tabs.options)["review"] == "待审核 (3)"

    # ticked rows: approve only the ticked order; the Excel export holds every filtered row
    view.queue_tabs.value = "review"
    view.orders.grid.table.tick([_key(view, "D1")])
    assert "已勾选 1 行" in view.orders.grid.page_label.value
    view.orders.scope.value = "checked"
    view.orders.ask("approve")
    view.orders.confirm()
    assert "完成 1 个" in view.alerts.value and view.orders.grid.checked_keys == []
    sheet = load_workbook(io.BytesIO(view.orders.grid.export())).active
    values = list(sheet.values)
    assert values[1][:3] == ("平台订单号", "店铺", "状态") and len(values) == 2 + 2
    assert {r[0] for r in values[2:]} == {"D2", "D3"} and isinstance(values[2][5], (int, float))
    assert next(c for c in view.orders.grid.table.columns if c["key"] == "total_amount")["align"] == "right"

    # defect 17: a case opened from the shipped order's detail, its amount what the line was paid
    view.queue_tabs.value = "to_ship"
    view.orders.open_order(_key(view, "D1"))
    view.model.run("ship", [view.model.order["id"]], carrier="SF", tracking="SF0001")
    view.orders.draw_detail()
    panel = view.orders.case
    assert panel.card.layout.display == "flex" and "T恤" in panel.lines_box.children[0].children[0].value
    panel.kind.value = "return_refund"
    panel.quantities[1].value = 1
    panel.reason.value = "尺码不合适"
    panel.open_case()
    assert "已开售后单" in view.alerts.value
    with session_scope(db, readonly=True) as s:
        case = s.scalars(select(AfterSale)).one()
        assert (case.kind, case.amount, case.lines, case.reason) == (
            "return_refund",
            Decimal("59.00"),
            [[1, 1]],
            "尺码不合适",
        )
    assert dict((q, label) for label, q in view.queue_tabs.options)["aftersales"] == "售后 (1)"
    home = HomeView(HomeModel(open_context("admin", "en")))
    assert 'data-queue="review">To review <b>2</b></span>' in home.cards.value


def test_names_statuses_and_the_cli_opens_a_case_by_sku(desk, db, capsys):  # noqa: F811
    view = desk
    view.imports.shop.value = "TB"
    upload(view, "orders.csv", CSV)
    assert platform_status_text("WAIT_BUYER_RETURN_GOODS", "zh_CN") == "等待买家退货"
    assert platform_status_text("交易成功", "en") == "交易成功"  # a platform's own text stays
    view.orders.open_order(_key(view, "D2"))
    html = order_html(view.model.order, "en")
    assert 'title="TB">淘宝店</span>' in html and 'title="SH">上海仓</span>' in html
    code, out, _ = run(
        capsys, "orders", "cases", "open", "D2", "--type", "refund_only", "--amount", "59",
        "--line", "TEE-1=1", "--reason", "少发一件", "--json",
    )  # fmt: skip
    assert code == 0, out
    with session_scope(db, readonly=True) as s:
        case = s.get(AfterSale, json.loads(out)["case"])
        assert (case.kind, case.lines, s.get(Order, case.order_id).platform_order_id) == (
            "refund_only",
            [[1, 1]],
            "D2",
        )
    code, out, _ = run(capsys, "orders", "unmapped", "--json")
    assert code == 0 and [(r["platform_sku"], r["shop"], r["orders"]) for r in json.loads(out)] == [
        ("NOPE", "TB", 1)
    ]
    code, out, err = run(capsys, "orders", "cases", "open", "D2", "--type", "reship", "--line", "MUG-9=1")
    assert code != 0 and "MUG-9" in out + err


def test_the_grid_aligns_numbers_right_and_exports_what_it_shows():
    """A column declared without alignment whose cells are numbers is right-aligned, header too; the
    export keeps numbers as numbers and escapes formula-looking text."""
    rows = [
        {"id": 1, "name": "=cmd()", "qty": 3, "at": dt.datetime(2026, 6, 18, 10, 0, tzinfo=dt.UTC)},
        {"id": 2, "name": "杯子", "qty": Decimal("1.5"), "at": None},
    ]
    columns = [
        Column("name", "field.name"),
        Column("qty", "field.quantity"),
        Column("at", "field.created_at"),
    ]
    grid = PagedGrid(
        Translator("en"),
        AlertArea(),
        lambda r: Page(rows[r.offset : r.offset + r.limit], 2, r.offset, r.limit),
        columns,
    )
    grid.refresh()
    assert [c["align"] for c in grid.table.columns] == ["left", "right", "left"]
    sheet = list(load_workbook(io.BytesIO(grid.export())).active.values)
    assert sheet[1] == ("Name", "Quantity", "Created")
    assert sheet[2][:2] == ("'=cmd()", 3) and sheet[3][:2] == ("杯子", 1.5)
