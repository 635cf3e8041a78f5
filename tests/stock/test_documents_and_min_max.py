"""Issue 11, defects 11-13: min / max from the sales rate, alerts a buyer acts on, suggestions that
appear; every stock move names its document by its number; transfers and purchase orders of several
lines from the Inventory app; the CLI's stocktake number and ``purchase plan``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from cli_run import run

from ecerp_core.catalog.company import business_date
from ecerp_core.documents import document_detail, document_numbers
from ecerp_core.purchasing import replenishment
from ecerp_core.purchasing import services as purchasing
from ecerp_core.stock import alerts
from ecerp_core.stock.services import MoveDraft, post_moves
from widgets.inventory.app import build as build_inventory


@pytest.fixture
def selling(db, biz, session, admin):
    """40 tees into Shanghai, 28 sold over the last four weeks (one a day): 12 left."""
    today = business_date(session)
    moves = [MoveDraft(biz.tee, biz.sh, 40, "receipt", unit_cost=Decimal("20.00"), business_date=today)]
    moves += [
        MoveDraft(biz.tee, biz.sh, -1, "shipment", business_date=today - dt.timedelta(days=n))
        for n in range(28)
    ]
    post_moves(session, admin, moves)
    session.commit()
    return biz


@pytest.fixture(autouse=True)
def _logs(tmp_path, monkeypatch):
    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("QUERY_STRING", raising=False)


def test_min_max_follow_the_sales_rate_and_a_product_below_its_minimum_is_suggested(selling, session, admin):
    planned = {(p.sku, p.warehouse): p for p in replenishment.plan_min_max(session, admin)}
    tee = planned[("TEE-1", "SH")]  # 1 a day; no supplier known yet: lead time 7, MOQ 1
    assert (tee.daily_sales, tee.lead_days, tee.min_qty, tee.max_qty) == (1.0, 7, 14, 42)
    assert (planned[("MUG-1", "SH")].min_qty, planned[("MUG-1", "SH")].max_qty) == (0, 1)  # never sold
    assert ("KIT-1", "SH") not in planned  # a bundle has no stock of its own
    alerts.set_stock_settings(session, admin, [p.setting() for p in planned.values()])
    found = alerts.stock_alerts(session, admin)
    assert [(a["kind"], a["sku"], a["available"], a["min_qty"]) for a in found] == [("low", "TEE-1", 12, 14)]
    [suggestion] = replenishment.suggestions(session, admin)
    assert (suggestion.sku, suggestion.projected, suggestion.quantity) == ("TEE-1", 12, 30)  # up to 42
    order = purchasing.PurchaseOrderDraft(
        selling.supplier, selling.sh, (purchasing.PurchaseLineDraft(selling.tee, 30, Decimal("18.00")),)
    )
    purchasing.create_purchase_order(session, admin, order)
    assert replenishment.suggestions(session, admin) == []  # on order: nothing more to suggest
    session.commit()
    view = build_inventory("admin", "en")
    view.tabs.value = "alerts"
    [row] = view.grids["alerts"].page.rows
    assert (row["kind"], row["on_order"], row["product_name"]) == ("low", 30, "T恤")  # no English name


def test_every_move_names_its_document_and_opens_it(selling, session, admin):
    post_moves(session, admin, [MoveDraft(selling.mug, selling.sh, 5, "receipt", unit_cost=Decimal("8.00"))])
    session.commit()
    view = build_inventory("admin", "zh_CN")
    view.tabs.value = "transfers"
    bar = view.transfers
    bar.from_wh.value, bar.to_wh.value = selling.sh, selling.gz
    bar.sku.value, bar.qty.value = "TEE-1", 2
    bar.editor.add_line(bar.editor.add_button)  # a transfer of two lines
    bar.sku.value, bar.qty.value = "MUG-1", 3
    bar.ship_transfer(bar.ship_button)
    assert view.alerts.kind == "success", view.alerts.text
    [row] = view.grids["transfers"].page.rows
    assert (row["skus"], row["lines"], row["quantity"]) == ("MUG-1 +1", 2, 5)
    number = row["number"]
    view.tabs.value = "moves"
    rows = view.grids["moves"].page.rows
    assert rows[0]["document"] == f"调拨单 {number}"
    view.grids["moves"].table.click_row(str(rows[0]["id"]))
    card = view.document.value
    assert number in card and "TEE-1" in card and "MUG-1" in card and "上海仓 → 广州仓" in card
    by_hand = rows[-1]  # posted by hand: a stock adjustment, which has no number of its own
    assert by_hand["document"] == "库存调整"
    view.grids["moves"].table.click_row(str(by_hand["id"]))
    assert "库存调整" in view.document.value and "TEE-1" in view.document.value
    view.tabs.value = "orders"
    bar = view.purchases
    bar.supplier.value, bar.warehouse.value = selling.supplier, selling.sh
    bar.sku.value, bar.qty.value, bar.price.value = "TEE-1", 10, "18.00"
    bar.editor.add_line(bar.editor.add_button)
    bar.sku.value, bar.qty.value, bar.price.value = "MUG-1", 20, "7.50"
    bar.new_order(bar.new_button)
    assert view.alerts.kind == "success", view.alerts.text
    [po] = view.grids["orders"].page.rows
    assert po["total_amount"] == Decimal("330.00")
    with view.ctx.session(readonly=True) as s:
        doc = document_detail(s, view.ctx.actor, "purchase_order", po["id"])
        assert [(x.sku, x.quantity) for x in doc.lines] == [("TEE-1", 10), ("MUG-1", 20)]
        names = document_numbers(s, [("purchase_order", po["id"]), ("nothing", 1)])
        assert [n.number for n in names.values()] == [po["number"]]


def test_cli_names_the_count_and_plans_min_max(selling, capsys):
    code, out, _ = run(capsys, "stock", "count", "create", "SH")
    assert code == 0 and out.strip().startswith("ST") and out.strip().endswith("-0001")
    assert run(capsys, "stock", "count", "enter", out.strip(), "TEE-1=12")[0] == 0  # by its number
    code, out, _ = run(capsys, "purchase", "plan", "--warehouse", "SH", "--apply", "--format", "json")
    assert code == 0
    assert {(r["sku"], r["min_qty"], r["max_qty"]) for r in json.loads(out)} == {
        ("TEE-1", 14, 42),
        ("MUG-1", 0, 1),
    }
    code, out, _ = run(capsys, "stock", "alerts", "--format", "json")
    assert [(r["kind"], r["sku"]) for r in json.loads(out)] == [("low", "TEE-1")]
    code, out, _ = run(capsys, "stock", "moves", "--type", "receipt", "--format", "json")
    assert code == 0 and json.loads(out)[0]["document"] == ""
