"""Stocktake and Inventory in plain pytest: build the view in-process, act, look at model and database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from business_fixtures import stock_row

from ecerp_core.auth import resolve_actor
from ecerp_core.catalog import services as catalog
from ecerp_core.db import session_scope
from ecerp_core.stock.services import MoveDraft, post_moves, record_moves
from widgets.inventory.app import build as build_inventory
from widgets.stocktake.app import build as build_stocktake


@pytest.fixture
def shop(db, biz, session, admin):
    catalog.update_product(session, admin, "TEE-1", barcode="6901234567892")
    post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))])
    session.commit()
    return biz


@pytest.fixture(autouse=True)
def _logs(tmp_path, monkeypatch):
    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("QUERY_STRING", raising=False)


def test_stocktake_scan_recount_approve(shop):
    view = build_stocktake("admin", "zh_CN")
    assert view.count_picker.label == "— 选择盘点单 —"  # not a blank box
    view.warehouse.value = shop.sh
    view.threshold.value = 1
    view.create(view.new_button)
    assert view.alerts.kind == "success", view.alerts.text
    assert view.model.stocktake_id is not None
    for _ in range(3):
        view.scan_box.value = "6901234567892"
    assert "TEE-1" in view.last_scan.value and ">3<" in view.last_scan.value
    view.scan_box.value = "NOPE-1"
    assert "ecerp-scan-unknown" in view.last_scan.value and "NOPE-1" in view.last_scan.value
    view.submit(view.submit_button)  # 3 of 10: off by more than 1 → recount
    assert 'class="ecerp-recount"' in view.lines_html.value
    view.quantity.value = "9"
    view.scan_box.value = "TEE-1"
    view.submit(view.submit_button)
    assert view.review_card.layout.display == "" and "-20.00" in view.review_html.value
    view.i18n.set_language("en")
    assert "Count variance" in view.review_html.value
    view.approve_button.click()
    question = view.approve_confirm.text.value
    assert question.startswith("Approve and post ST") and ": gains 0.00, losses 20.00; the stock" in question
    with session_scope(shop and view.ctx.database_url) as session:
        assert stock_row(session, shop.tee, shop.sh) == (10, 0)  # nothing posted before Confirm
    view.approve_confirm.confirm_button.click()
    assert view.alerts.kind == "success", view.alerts.text
    assert "losses 20.00" in view.alerts.text, view.alerts.text
    with session_scope(shop and view.ctx.database_url) as session:
        assert stock_row(session, shop.tee, shop.sh) == (9, 0)


def test_stocktake_for_a_clerk_hides_approval(shop, actor_with_role, session):
    clerk = actor_with_role("warehouse_clerk")
    session.commit()
    view = build_stocktake(clerk.username, "en")
    assert not view.model.can_approve
    view.warehouse.value = shop.sh
    view.create(view.new_button)
    view.quantity.value = "10"
    view.scan_box.value = "TEE-1"
    view.submit(view.submit_button)
    assert view.alerts.kind == "success", view.alerts.text
    assert view.model.status() == "submitted" and view.review_card.layout.display == "none"


def test_inventory_shows_a_role_only_the_tabs_and_buttons_it_may_use(shop, actor_with_role, session):
    roles = ("analyst", "order_clerk", "warehouse_clerk", "purchaser")
    names = {role: actor_with_role(role).username for role in roles}
    session.commit()
    seen = {}
    for role, name in names.items():
        view = build_inventory(name, "en")
        shown = [bar.layout.display != "none" for bar in (view.transfers.box, view.purchases.box)]
        orders = view.replenish.suggest_button.layout.display != "none"
        seen[role] = ("orders" in [k for _, k in view.tabs.options], *shown, orders)
    assert seen == {  # purchase tabs, transfer buttons, purchase order buttons, order suggestions
        "analyst": (True, False, False, False),  # an analyst changes nothing
        "order_clerk": (False, False, False, False),
        "warehouse_clerk": (True, True, False, False),
        "purchaser": (True, False, True, True),
    }


def test_inventory_tabs_transfer_po_and_replenishment(shop):
    view = build_inventory("admin", "zh_CN")
    assert view.grids["levels"].page.total == 1
    assert (view.warehouse.label, view.move_type.label) == ("全部", "全部")  # not a blank box
    view.warehouse.value = shop.gz
    view.apply_filters()
    assert view.grids["levels"].page.total == 0
    view.warehouse.index = 0
    view.apply_filters()
    assert view.grids["levels"].page.total == 1
    for tab in ("alerts", "transfers", "transit", "moves", "value", "orders", "replenish", "levels"):
        view.tabs.value = tab
        assert view.alerts.kind != "error", (tab, view.alerts.text)
    view.tabs.value = "transfers"
    bar = view.transfers
    bar.from_wh.value, bar.to_wh.value, bar.sku.value, bar.qty.value = shop.sh, shop.gz, "TEE-1", 4
    bar.ship_transfer(bar.ship_button)
    bar.receive_transfer(bar.receive_button)  # the transfer just shipped is the one picked
    assert view.alerts.kind == "success", view.alerts.text
    view.tabs.value = "orders"
    bar = view.purchases
    bar.supplier.value = shop.supplier
    bar.warehouse.value, bar.sku.value, bar.qty.value, bar.price.value = shop.sh, "TEE-1", 10, "30.00"
    bar.new_order(bar.new_button)
    bar.confirm_order(bar.confirm_button)
    bar.landed.value = "50.00"
    bar.receive_order(bar.receive_button)
    assert view.alerts.text == "已入库 10 件"
    bar.price.value = "abc"
    bar.new_order(bar.new_button)
    assert view.alerts.kind == "error"
    with session_scope(view.ctx.database_url) as session:
        assert stock_row(session, shop.tee, shop.sh) == (16, 0)
        assert stock_row(session, shop.tee, shop.gz) == (4, 0)
    view.tabs.value = "replenish"
    view.replenish.order_suggestions(view.replenish.suggest_button)
    assert view.alerts.kind == "success"


def test_inventory_shows_goods_in_transit(shop):
    view = build_inventory("admin", "en")
    view.tabs.value = "transfers"
    bar = view.transfers
    bar.from_wh.value, bar.to_wh.value, bar.sku.value, bar.qty.value = shop.sh, shop.gz, "TEE-1", 4
    bar.ship_transfer(bar.ship_button)
    assert view.alerts.kind == "success", view.alerts.text
    view.tabs.value = "transit"
    [line] = view.grids["transit"].page.rows
    assert (line["to_warehouse"], line["sku"], line["quantity"], line["value"]) == (
        "GZ",
        "TEE-1",
        4,
        Decimal("80.00"),
    )
    view.tabs.value = "levels"
    levels = {r["warehouse"]: r["in_transit"] for r in view.grids["levels"].page.rows}
    assert levels == {"GZ": 4, "SH": 0}
    view.tabs.value = "value"
    rows = view.grids["value"].page.rows
    assert [(r["warehouse"], r["value"], r["in_transit_value"], r["total_value"]) for r in rows] == [
        ("GZ", Decimal("0.00"), Decimal("80.00"), Decimal("80.00")),
        ("SH", Decimal("120.00"), Decimal("0.00"), Decimal("120.00")),
    ]
    assert view.alerts.kind != "error", view.alerts.text


def test_stocktake_review_shows_what_moved_during_the_count(shop):
    view = build_stocktake("admin", "en")
    view.warehouse.value = shop.sh
    view.create(view.new_button)
    with session_scope(view.ctx.database_url) as session:  # 2 ship while the count is open
        admin = resolve_actor(session, "admin")
        record_moves(session, admin, [MoveDraft(shop.tee, shop.sh, -2, "shipment", note="TB1001")])
    view.quantity.value = "10"
    view.scan_box.value = "TEE-1"
    view.submit(view.submit_button)
    review = view.review_html.value
    assert "Moved during count" in review and ">-2<" in review and ">+0<" in review and ">8<" in review
    assert "Moves during the count" in review and "TB1001" in review
    view.approve(view.approve_button)
    with session_scope(view.ctx.database_url) as session:
        assert stock_row(session, shop.tee, shop.sh) == (8, 0)
