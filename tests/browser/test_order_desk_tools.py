"""The Order Desk's daily tools in headless Chromium (issue 11): to-do counts on the queue tabs
(and on the home page's card), a ticked row approved alone, the queue exported to Excel, 处理完毕
refusing an order whose SKU is not mapped (and saying why), the SKU mapping card freeing it, shop
names instead of codes, and an after-sales case opened from a shipped order's detail. Chinese, then
English; screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select, text
from test_order_desk_flow import _ensure_schema

pytestmark = pytest.mark.browser
PREHEAT = ("order_desk.ipynb", "home.ipynb")  # the apps this module opens: only their kernels start ahead


@pytest.fixture(scope="module")
def tool_orders(apps_database):
    """T1, T2 waiting for review; T3 sold as a platform SKU nobody mapped; T4 shipped."""
    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services as catalog
    from ecerp_core.db import session_scope
    from ecerp_core.orders import services
    from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
    from ecerp_core.orders.intake import import_order_drafts
    from ecerp_core.orders.models import AfterSale
    from ecerp_core.stock import services as stock

    _ensure_schema(apps_database)
    with session_scope(apps_database) as s:
        admin = resolve_actor(s, "admin")
        wh = catalog.create_warehouse(s, admin, code="WH-T", name="杭州工具仓", region="华东")
        catalog.create_shop(
            s, admin, code="TB-T", name="淘宝工具店", platform="taobao", default_warehouse="WH-T"
        )
        s.flush()
        shop = s.execute(text("SELECT id FROM shop WHERE code='TB-T'")).scalar()
        mug = s.execute(text("SELECT id FROM product WHERE sku='MUG-001'")).scalar()
        stock.post_moves(s, admin, [stock.MoveDraft(mug, wh.id, 50, "receipt", unit_cost=Decimal("12.00"))])
        at = dt.datetime(2026, 6, 18, 2, 0, tzinfo=dt.UTC)

        def draft(n: int, sku: str, qty: int) -> OrderDraft:
            amount = Decimal("39.00") * qty
            return OrderDraft(
                shop,
                f"T{n}",
                "paid",
                at + dt.timedelta(minutes=n),
                "CNY",
                (OrderLineDraft(sku, qty, Decimal("39.00"), amount, name="马克杯 红色"),),
                amount,
                amount,
                paid_amount=amount,
                buyer_id=f"tb{n}",
                receiver_name=f"买家{n}",
                region="浙江",
                address=f"杭州市文三路{n}号",
            )

        ids = list(
            import_order_drafts(
                s,
                admin,
                [
                    draft(1, "MUG-001", 1),
                    draft(2, "MUG-001", 2),
                    draft(3, "MUG-RED", 1),
                    draft(4, "MUG-001", 2),
                ],
            ).order_ids
        )
        services.approve_orders(s, admin, [ids[3]])
        services.ship_orders(s, admin, [ids[3]])
    yield apps_database
    with session_scope(apps_database, readonly=True) as s:
        case = s.scalars(select(AfterSale)).one()
        assert (case.kind, case.lines, case.amount, case.reason) == (
            "return_refund",
            [[1, 1]],
            Decimal("39.00"),
            "杯子破损",
        )


def test_order_desk_tools(tool_orders, voila_server, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/order_desk.ipynb", timeout=90_000)
    rows = page.locator(".ecerp-orders-panel .ecerp-table tbody tr")
    tabs = page.locator(".ecerp-queue-tabs button")
    expect(rows).to_have_count(2)
    expect(tabs.filter(has_text="待审核")).to_have_text("待审核 (2)")
    expect(tabs.filter(has_text="异常订单")).to_have_text("异常订单 (1)")
    expect(rows.first).to_contain_text("淘宝工具店")  # the shop's name, its code on hover
    expect(page.locator(".ecerp-orders-panel .ecerp-table th[data-key='total_amount']")).to_have_css(
        "text-align", "right"
    )

    # Tick one row: only it is approved.
    rows.filter(has_text="T1").locator("td.ecerp-check input").check()
    expect(page.locator(".ecerp-orders-panel .ecerp-page-label")).to_contain_text("已勾选 1 行")
    page.locator(".ecerp-scope button", has_text="勾选的订单").click()
    page.screenshot(path=str(artifacts / "order_desk_tools_ticked_zh.png"), full_page=True)
    page.locator("button.ecerp-action-approve").click()
    expect(page.locator(".ecerp-batch-confirm")).to_contain_text("1 个订单")
    page.locator("button.ecerp-confirm").click()
    page.locator(".ecerp-alert-success").get_by_text("完成 1 个").wait_for()
    expect(tabs.filter(has_text="待发货")).to_have_text("待发货 (1)")

    # The queue to Excel: the rows the filters let through, headers in Chinese.
    with page.expect_download() as download:
        page.locator(".ecerp-orders-panel button.ecerp-grid-export").click()
    assert download.value.suggested_filename == "orders.xlsx"
    sheet = list(load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active.values)
    assert sheet[1][:2] == ("平台订单号", "店铺") and [r[:2] for r in sheet[2:]] == [("T2", "淘宝工具店")]

    # 处理完毕 does not move an unmapped order on, and says why; the SKU card maps it.
    tabs.filter(has_text="异常订单").click()
    rows.filter(has_text="T3").click()
    page.locator("button.ecerp-action-clear").click()
    page.locator("button.ecerp-confirm").click()
    expect(page.locator(".ecerp-skipped")).to_contain_text("SKU 未匹配：请先在「SKU 对应」中对应到商品")
    expect(rows).to_have_count(1)
    card = page.locator(".ecerp-sku-card")
    expect(card.locator(".ecerp-sku-platform select")).to_contain_text(
        "MUG-RED · 马克杯 红色 · 淘宝工具店 · 1 单"
    )
    card.locator(".ecerp-sku-search input").fill("马克杯")
    card.locator(".ecerp-sku-search input").press("Enter")
    expect(card.locator(".ecerp-sku-product select")).not_to_contain_text("BAG-001")  # found by its name
    expect(card.locator(".ecerp-sku-product select")).to_contain_text("MUG-001 · 陶瓷马克杯")
    page.screenshot(path=str(artifacts / "order_desk_tools_sku_zh.png"), full_page=True)
    card.locator("button.ecerp-sku-map").click()
    page.locator(".ecerp-alert-success").get_by_text("MUG-RED → MUG-001：1 个订单").wait_for()
    expect(rows.filter(has_text="T3")).to_have_count(0)
    expect(tabs.filter(has_text="待审核")).to_have_text("待审核 (2)")

    # An after-sales case from a shipped order's detail: 1 mug back, refunded what it was paid.
    tabs.filter(has_text="已发货").click()
    rows.filter(has_text="T4").click()
    opener = page.locator(".ecerp-open-case")
    expect(opener).to_contain_text("陶瓷马克杯")
    expect(page.locator(".ecerp-detail")).to_contain_text("杭州工具仓")
    opener.locator(".ecerp-open-case-qty-1 input").fill("1")
    opener.locator(".ecerp-open-case-reason input").fill("杯子破损")
    opener.locator("button.ecerp-open-case-run").click()
    page.locator(".ecerp-alert-success").get_by_text("已开售后单").wait_for()
    expect(tabs.filter(has_text="售后")).to_have_text("售后 (1)")
    page.screenshot(path=str(artifacts / "order_desk_tools_case_zh.png"), full_page=True)

    # English: counts, the case card and the ticked-rows scope in English.
    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-title").get_by_text("Order Desk").wait_for()
    expect(tabs.filter(has_text="To review")).to_have_text("To review (2)")
    expect(opener).to_contain_text("Open an after-sales case")
    expect(page.locator(".ecerp-orders-panel button.ecerp-grid-export")).to_have_text("Export to Excel")
    expect(opener).to_contain_text("Ceramic mug")
    page.screenshot(path=str(artifacts / "order_desk_tools_en.png"), full_page=True)
    tabs.filter(has_text="Exceptions").click()
    expect(page.locator(".ecerp-sku-card")).to_contain_text("SKU mapping")
    expect(page.locator(".ecerp-sku-card")).to_contain_text("No SKU is waiting for a mapping")
    expect(page.locator(".ecerp-sku-product select")).to_contain_text("MUG-001 · Ceramic mug")
    expect(rows.filter(has_text="T4")).to_have_count(0)
    page.screenshot(path=str(artifacts / "order_desk_tools_sku_en.png"), full_page=True)

    # The home page's Order Desk card carries the same to-do counts.
    page.goto(f"{voila_server['url']}/voila/render/home.ipynb?lang=en", timeout=90_000)
    card = page.locator("a.ecerp-app-card[data-app='order_desk']")
    expect(card.locator(".ecerp-todo[data-queue='review']")).to_have_text("To review 2")
    expect(card.locator(".ecerp-todo[data-queue='aftersales']")).to_have_text("After-sales 1")
    page.screenshot(path=str(artifacts / "home_todo_en.png"), full_page=True)
