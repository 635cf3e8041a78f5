"""Stocktake (scan, recount, approve) and purchase order to receipt, in headless Chromium.
Screenshots (zh and en) go to ``test-artifacts/``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PREHEAT = ("inventory.ipynb", "stocktake.ipynb")  # the apps this module opens: only their kernels start ahead

BARCODE = "6901234567892"


@pytest.fixture(scope="module")
def stocked(apps_database):
    """A warehouse with 10 mugs (barcode above) and a supplier, in the served database."""
    from sqlalchemy import select

    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services as catalog
    from ecerp_core.catalog.models import Product
    from ecerp_core.db import session_scope
    from ecerp_core.stock.services import MoveDraft, post_moves

    with session_scope(apps_database) as session:
        admin = resolve_actor(session, "admin")
        sh = catalog.create_warehouse(session, admin, code="SZ", name="苏州仓")
        catalog.create_warehouse(session, admin, code="TJ", name="天津仓")
        catalog.create_supplier(session, admin, code="SUP-1", name="义乌日用品厂")
        catalog.update_product(session, admin, "MUG-001", barcode=BARCODE)
        session.flush()
        mug = session.scalar(select(Product.id).where(Product.sku == "MUG-001"))
        post_moves(session, admin, [MoveDraft(mug, sh.id, 10, "receipt", unit_cost=Decimal("12.00"))])
    return apps_database


def _scan(page, code: str, quantity: str = "") -> None:
    if quantity:
        page.locator(".ecerp-scan-quantity input").fill(quantity)
    box = page.locator(".ecerp-scan input")
    box.fill(code)
    box.press("Enter")


def test_stocktake_scan_recount_approve(voila_server, stocked, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/stocktake.ipynb", timeout=120_000)
    page.locator(".ecerp-count-new").wait_for()
    page.locator(".ecerp-count-warehouse select").select_option(label="SZ 苏州仓")
    page.locator(".ecerp-count-new").click()
    page.locator(".ecerp-alert-success").wait_for()
    scan = page.locator(".ecerp-scan input")
    scan.wait_for()
    for n in range(1, 4):
        _scan(page, BARCODE)
        expect(page.locator(".ecerp-scan-count")).to_have_text(str(n))
    expect(page.locator(".ecerp-last-scan")).to_contain_text("MUG-001")
    page.wait_for_function("document.activeElement && document.activeElement.closest('.ecerp-scan') !== null")
    _scan(page, "NOPE-404")
    expect(page.locator(".ecerp-scan-unknown")).to_contain_text("NOPE-404")
    page.wait_for_function("document.activeElement && document.activeElement.closest('.ecerp-scan') !== null")
    page.screenshot(path=str(artifacts / "stocktake_scan_zh.png"))

    page.locator(".ecerp-count-submit").click()  # 3 of 10: off by more than 2 → recount
    page.locator("tr.ecerp-recount[data-sku='MUG-001']").wait_for()
    expect(page.locator(".ecerp-alerts")).to_contain_text("复盘")
    page.screenshot(path=str(artifacts / "stocktake_recount_zh.png"))
    _scan(page, "MUG-001", "9")
    expect(page.locator(".ecerp-scan-count")).to_have_text("9")
    page.locator(".ecerp-count-submit").click()
    review = page.locator(".ecerp-count-review")
    review.get_by_text("-12.00").first.wait_for()
    expect(review).to_contain_text("盘点差异")
    page.screenshot(path=str(artifacts / "stocktake_review_zh.png"))
    page.locator(".ecerp-language button", has_text="English").click()
    review.get_by_text("Count variance").wait_for()
    expect(page.locator(".ecerp-count-approve")).to_have_text("Approve and post")
    page.screenshot(path=str(artifacts / "stocktake_review_en.png"))
    page.locator(".ecerp-count-approve").click()
    expect(page.locator(".ecerp-count-approve-confirm-text")).to_contain_text("gains 0.00, losses 12.00")
    page.screenshot(path=str(artifacts / "stocktake_confirm_en.png"))
    page.locator(".ecerp-count-approve-confirm-ok").click()
    expect(page.locator(".ecerp-alert-success")).to_contain_text("losses 12.00")


def test_purchase_order_to_receipt(voila_server, stocked, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/inventory.ipynb", timeout=120_000)
    page.locator(".ecerp-inventory-tabs").wait_for()
    page.locator(".ecerp-table tbody tr").first.wait_for()
    page.screenshot(path=str(artifacts / "inventory_levels_zh.png"))
    mug = page.locator(".ecerp-grid-levels tbody tr", has_text="MUG-001").filter(has_text="SZ")
    before = int(mug.locator("td").nth(4).inner_text())
    page.locator(".ecerp-inventory-tabs button", has_text="采购单").click()
    page.locator(".ecerp-po-new").wait_for()
    page.locator(".ecerp-po-supplier select").select_option(label="SUP-1 义乌日用品厂")
    page.locator(".ecerp-po-warehouse select").select_option(label="SZ 苏州仓")
    page.locator(".ecerp-po-sku input").fill("MUG-001")
    page.locator(".ecerp-po-qty input").fill("20")
    page.locator(".ecerp-po-price input").fill("15.00")
    page.locator(".ecerp-po-new").click()
    page.locator(".ecerp-alert-success").get_by_text("采购单已创建").wait_for()
    row = page.locator(".ecerp-grid-orders tbody tr").first
    expect(row).to_contain_text("草稿")
    row.click()
    page.locator(".ecerp-po-confirm").click()
    page.locator(".ecerp-alert-success").get_by_text("采购单已确认").wait_for()
    expect(row).to_contain_text("已确认")
    page.locator(".ecerp-po-landed input").fill("40.00")
    page.locator(".ecerp-po-receive").click()
    page.locator(".ecerp-alert-success").get_by_text("已入库 20 件").wait_for()
    expect(row).to_contain_text("已到货")
    page.screenshot(path=str(artifacts / "inventory_po_zh.png"))
    page.locator(".ecerp-inventory-tabs button", has_text="库存").first.click()
    expect(mug.locator("td").nth(4)).to_have_text(str(before + 20))
    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-inventory-tabs button", has_text="Purchase orders").click()
    expect(page.locator(".ecerp-grid-orders tbody tr").first).to_contain_text("Received")
    page.screenshot(path=str(artifacts / "inventory_po_en.png"))


def test_goods_in_transit_and_moves_during_a_count(voila_server, stocked, page, artifacts):
    from sqlalchemy import select

    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog.models import Product, Warehouse
    from ecerp_core.db import session_scope
    from ecerp_core.stock.models import StockLevel
    from ecerp_core.stock.services import MoveDraft, record_moves

    page.goto(f"{voila_server['url']}/voila/render/inventory.ipynb", timeout=120_000)
    page.locator(".ecerp-inventory-tabs").wait_for()
    page.locator(".ecerp-inventory-tabs button", has_text="调拨").click()
    page.locator(".ecerp-transfer-ship").wait_for()
    page.locator(".ecerp-action-sku input").fill("MUG-001")
    page.locator(".ecerp-action-qty input").fill("3")
    page.locator(".ecerp-transfer-ship").click()
    page.locator(".ecerp-alert-success").wait_for()
    page.locator(".ecerp-inventory-tabs button", has_text="在途").click()
    row = page.locator(".ecerp-grid-transit tbody tr", has_text="MUG-001")
    expect(row).to_contain_text("46.35")
    page.screenshot(path=str(artifacts / "inventory_transit_zh.png"))
    page.locator(".ecerp-inventory-tabs button", has_text="库存金额").click()
    expect(page.locator(".ecerp-grid-value tbody tr", has_text="TJ")).to_contain_text("46.35")
    page.screenshot(path=str(artifacts / "inventory_value_transit_zh.png"))
    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-inventory-tabs button", has_text="In transit").click()
    expect(page.locator(".ecerp-grid-transit tbody tr", has_text="MUG-001")).to_contain_text("46.35")
    page.screenshot(path=str(artifacts / "inventory_transit_en.png"))

    page.goto(f"{voila_server['url']}/voila/render/stocktake.ipynb", timeout=120_000)
    page.locator(".ecerp-count-new").wait_for()
    page.locator(".ecerp-count-warehouse select").select_option(label="SZ 苏州仓")
    page.locator(".ecerp-count-new").click()
    page.locator(".ecerp-alert-success").wait_for()
    with session_scope(stocked) as session:  # 2 mugs ship while the count is open
        admin = resolve_actor(session, "admin")
        mug = session.scalar(select(Product.id).where(Product.sku == "MUG-001"))
        sz = session.scalar(select(Warehouse.id).where(Warehouse.code == "SZ"))
        counted = session.scalar(
            select(StockLevel.on_hand).where(StockLevel.product_id == mug, StockLevel.warehouse_id == sz)
        )
        record_moves(session, admin, [MoveDraft(mug, sz, -2, "shipment", note="TB20261130001")])
    _scan(page, "MUG-001", str(counted))
    expect(page.locator(".ecerp-scan-count")).to_have_text(str(counted))
    page.locator(".ecerp-count-submit").click()
    review = page.locator(".ecerp-count-review")
    review.get_by_text("TB20261130001").wait_for()
    expect(review).to_contain_text("盘点期间变动")
    page.screenshot(path=str(artifacts / "stocktake_moves_during_zh.png"), full_page=True)
    page.locator(".ecerp-language button", has_text="English").click()
    review.get_by_text("Moves during the count").wait_for()
    page.screenshot(path=str(artifacts / "stocktake_moves_during_en.png"), full_page=True)
    page.locator(".ecerp-count-approve").click()
    page.locator(".ecerp-count-approve-confirm-ok").click()
    expect(page.locator(".ecerp-alert-success")).to_contain_text("gains 0.00")
    with session_scope(stocked, readonly=True) as session:
        on_hand = session.scalar(
            select(StockLevel.on_hand).where(StockLevel.product_id == mug, StockLevel.warehouse_id == sz)
        )
    assert on_hand == counted - 2
