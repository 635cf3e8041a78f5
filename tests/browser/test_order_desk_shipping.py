"""The Order Desk's shipping tools in headless Chromium, as a clerk uses them (issue 11): edit an
order's address and remark, split a unit off it, approve, verify the parcel by scanning (a wrong
item is refused), make a wave with its pick list in bin order — in Chinese, then a look in English.
Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PREHEAT = ("order_desk.ipynb",)  # the apps this module opens: only their kernels start ahead


@pytest.fixture(scope="module")
def shipping_orders(apps_database):
    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services as catalog
    from ecerp_core.catalog.models import Product
    from ecerp_core.db import session_scope
    from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
    from ecerp_core.orders.intake import import_order_drafts
    from ecerp_core.stock import services as stock
    from ecerp_core.stock.alerts import SettingDraft, set_stock_settings

    with session_scope(apps_database) as s:
        admin = resolve_actor(s, "admin")
        wh = catalog.create_warehouse(s, admin, code="SH", name="上海仓", region="华东")
        shop = catalog.create_shop(
            s, admin, code="TB", name="淘宝旗舰店", platform="taobao", default_warehouse="SH"
        )
        s.flush()
        ids = {p.sku: p.id for p in s.query(Product).filter(Product.sku.in_(["MUG-001", "TEE-001"]))}
        stock.post_moves(
            s,
            admin,
            [stock.MoveDraft(ids[sku], wh.id, 20, "receipt", unit_cost=Decimal("12.00")) for sku in ids],
        )
        set_stock_settings(
            s,
            admin,
            [
                SettingDraft(ids["TEE-001"], wh.id, location="B-07"),
                SettingDraft(ids["MUG-001"], wh.id, location="A-02"),
            ],
        )
        lines = (
            OrderLineDraft("MUG-001", 2, Decimal("39.00"), Decimal("78.00")),
            OrderLineDraft("TEE-001", 1, Decimal("59.00"), Decimal("59.00")),
        )
        draft = OrderDraft(
            shop.id,
            "TB2026061801",
            "paid",
            dt.datetime(2026, 6, 18, 2, 0, tzinfo=dt.UTC),
            "CNY",
            lines,
            Decimal("137.00"),
            Decimal("145.00"),
            shipping_amount=Decimal("8.00"),
            paid_amount=Decimal("145.00"),
            buyer_id="buyer1",
            receiver_name="王小明",
            receiver_phone="13800001111",
            region="上海",
            city="上海市",
            address="人民路100号",
        )
        import_order_drafts(s, admin, [draft])
    return apps_database


def test_edit_split_pack_and_wave(shipping_orders, voila_server, page, artifacts):
    try:
        _flow(voila_server, page, artifacts)
    except Exception:
        page.screenshot(path=str(artifacts / "shipping_failed.png"), full_page=True)
        raise


def _flow(voila_server, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/order_desk.ipynb", timeout=90_000)
    rows = page.locator(".ecerp-orders-panel .ecerp-table tbody tr")
    rows.first.wait_for()
    success = page.locator(".ecerp-alert-success")

    # Edit: district and seller remark, saved with one line of history.
    rows.filter(has_text="TB2026061801").click()
    card = page.locator(".ecerp-edit-card")
    expect(card.locator(".ecerp-edit-address input")).to_have_value("人民路100号")
    card.locator(".ecerp-edit-district input").fill("黄浦区")
    card.locator(".ecerp-edit-remark textarea").fill("周末送货")
    card.locator(".ecerp-edit-remark textarea").blur()
    card.locator("button.ecerp-edit-save").click()
    success.get_by_text("已修改 2 项").wait_for()
    expect(page.locator(".ecerp-detail")).to_contain_text("黄浦区")
    expect(page.locator(".ecerp-detail")).to_contain_text("周末送货")

    # Split one mug off into a new order; money is shared to the cent.
    split = page.locator(".ecerp-split-card")
    split.locator(".ecerp-split-qty-1 input").fill("1")
    split.locator(".ecerp-split-qty-1 input").press("Enter")  # the box sends its value on Enter or blur
    split.locator("button.ecerp-split-run").click()
    success.get_by_text("TB2026061801#S1").wait_for()
    expect(success).to_contain_text("41.28")  # 39.00 + 2.28, its share of the 8.00 shipping
    page.screenshot(path=str(artifacts / "shipping_edit_split_zh.png"), full_page=True)

    # Approve both, then pack the original on the bench: a wrong item is refused.
    page.locator(".ecerp-scope button", has_text="全部筛选结果").click()
    page.locator("button.ecerp-action-approve").click()
    page.locator("button.ecerp-confirm").click()
    success.get_by_text("完成 2 个").wait_for()
    page.locator(".ecerp-queue-tabs button", has_text="待发货").click()
    scan = page.locator(".ecerp-pack-scan input")
    bench = page.locator(".ecerp-pack-last")
    scan.fill("TB2026061801")
    scan.press("Enter")
    expect(bench).to_contain_text("还有 2 件待扫")
    scan.fill("BAG-001")
    scan.press("Enter")
    expect(bench.locator(".ecerp-pack-error")).to_contain_text("BAG-001 不是订单 TB2026061801 的商品")
    page.screenshot(path=str(artifacts / "shipping_pack_wrong_zh.png"), full_page=True)
    for code, after in (("MUG-001", "MUG-001 ✓ 1/1"), ("TEE-001", "验货完成")):
        scan.fill(code)
        scan.press("Enter")
        expect(bench).to_contain_text(after)  # the box is cleared for the next scan once this one is in
    expect(bench.locator(".ecerp-pack-done")).to_contain_text("订单 TB2026061801 验货完成，已打包")

    # A wave of both orders, its pick list in bin order: A-02 before B-07.
    page.locator(".ecerp-ship-tabs button", has_text="波次拣货").click()
    page.locator("button.ecerp-wave-create").click()
    success.get_by_text("2 个订单").wait_for()
    picks = page.locator(".ecerp-wave-picks tbody tr")
    expect(picks).to_have_count(2)
    expect(picks.nth(0)).to_contain_text("A-02")
    expect(picks.nth(1)).to_contain_text("B-07")
    page.screenshot(path=str(artifacts / "shipping_wave_zh.png"), full_page=True)

    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-ship-tabs button", has_text="Wave picking").wait_for()
    expect(page.locator(".ecerp-ship-tools")).to_contain_text("Recent waves")
    page.screenshot(path=str(artifacts / "shipping_wave_en.png"), full_page=True)
