"""The Order Desk's import card in headless Chromium: a Shopify export whose total holds what its
columns do not explain is imported with a warning, and the order shows its adjustment and refund,
in Chinese, then English. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PREHEAT = ("order_desk.ipynb",)  # the apps this module opens: only their kernels start ahead

EXPORT = (
    "Name,Financial Status,Fulfillment Status,Created at,Lineitem quantity,Lineitem price,Lineitem sku,"
    "Shipping,Taxes,Total,Refunded Amount,Shipping Name,Shipping Address1,Shipping Country\n"
    "#SH1058,partially_refunded,fulfilled,2026-06-18 10:00:00 +0800,1,59.00,TEE-001,"
    "0.00,7.67,76.66,20.00,Ann Lee,1 Main St,CA\n"
)


@pytest.fixture(scope="module")
def shopify_shop(apps_database):
    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services as catalog
    from ecerp_core.db import session_scope

    with session_scope(apps_database) as s:
        catalog.create_shop(
            s, resolve_actor(s, "admin"), code="SHOPIFY-CA", name="Shopify CA", platform="shopify"
        )
    return apps_database


def upload(page, path) -> None:
    """Choose the file through the upload button's file chooser, then import it."""
    with page.expect_file_chooser() as chosen:
        page.locator(".ecerp-upload").click()
    chosen.value.set_files(str(path))
    page.locator(".ecerp-upload").get_by_text("(1)").wait_for()
    page.locator(".ecerp-import-button").click()


def test_an_export_with_an_adjustment_and_a_refund_imports_with_a_warning(
    shopify_shop, voila_server, page, artifacts, tmp_path
):
    export = tmp_path / "orders_export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    page.goto(f"{voila_server['url']}/voila/render/order_desk.ipynb", timeout=90_000)
    page.locator(".ecerp-import-button").wait_for()
    page.locator(".ecerp-import-platform select").select_option(label="Shopify")
    page.locator(".ecerp-import-shop select").select_option(label="SHOPIFY-CA · Shopify CA")
    upload(page, export)
    warnings = page.locator(".ecerp-import-summary")
    expect(warnings).to_contain_text("按平台数据导入，请留意（1）")
    expect(warnings).to_contain_text("订单 #SH1058：总额中有 9.99 不在商品、运费、优惠和税额之内")
    page.locator(".ecerp-queue-tabs button", has_text="已发货").click()
    rows = page.locator(".ecerp-orders-panel .ecerp-table tbody tr")
    rows.filter(has_text="#SH1058").click()
    detail = page.locator(".ecerp-detail")
    expect(detail).to_contain_text("调整金额: 9.99")
    expect(detail).to_contain_text("已退款金额: 20.00")
    expect(detail).to_contain_text("平台状态: partially_refunded/fulfilled")
    page.screenshot(path=str(artifacts / "order_desk_import_warnings_zh.png"), full_page=True)

    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-title").get_by_text("Order Desk").wait_for()
    rows.filter(has_text="#SH1058").click()
    expect(detail).to_contain_text("Adjustment: 9.99")
    expect(detail).to_contain_text("Refunded: 20.00")
    export.write_text(EXPORT + EXPORT.splitlines()[1].replace("#SH1058", "#SH1060") + "\n", encoding="utf-8")
    upload(page, export)
    expect(page.locator(".ecerp-alert-success")).to_contain_text("1 created, 0 updated, 1 unchanged")
    expect(warnings).to_contain_text("Imported as the platform said, worth a look (1):")
    expect(warnings).to_contain_text("order #SH1060: its total holds 9.99 beyond goods")
    page.screenshot(path=str(artifacts / "order_desk_import_warnings_en.png"), full_page=True)
