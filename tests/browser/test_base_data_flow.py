"""Base Data in headless Chromium: search, create (with a problem next to its field), fix, save,
find it in the grid, edit it, switch to English. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PREHEAT = ("base_data.ipynb", "home.ipynb")  # the apps this module opens: only their kernels start ahead


def _field(page, name: str):
    """The box of one form field: label, input and its message line."""
    return page.locator(f".ecerp-field:has(.ecerp-field-{name})")


def _search(page, text: str) -> None:
    box = page.locator(".ecerp-search input")
    box.fill(text)
    box.press("Enter")


def test_base_data_flow(voila_server, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/base_data.ipynb", timeout=120_000)
    page.locator(".ecerp-table tbody tr[data-key='MUG-001']").wait_for()
    expect_text = page.locator(".ecerp-title")
    assert "基础资料" in expect_text.inner_text()

    # Search.
    _search(page, "马克杯")
    rows = page.locator(".ecerp-table tbody tr")
    page.wait_for_function("document.querySelectorAll('.ecerp-table tbody tr').length === 1")
    assert rows.first.get_attribute("data-key") == "MUG-001"
    expect(page.locator(".ecerp-page-label")).to_contain_text("共 1 条")

    # Create with a bad SKU: the message appears under the SKU input.
    page.locator("button.ecerp-new").click()
    _field(page, "sku").locator("input").fill("NEW 1")
    _field(page, "name_zh").locator("input").fill("新品保温杯")
    _field(page, "list_price").locator("input").fill("88")
    page.locator("button.ecerp-save").click()
    message = _field(page, "sku").locator(".ecerp-field-message")
    message.get_by_text("只能包含").wait_for()
    assert "NEW 1" in message.inner_text()
    expect(page.locator(".ecerp-alerts")).to_contain_text("输入有 1 处问题，请按各栏下方的提示修改")
    page.screenshot(path=str(artifacts / "base_data_validation_zh.png"))

    # Fix it and save: the message goes, the record is created and shown in the grid.
    _field(page, "sku").locator("input").fill("NEW-1")
    page.locator("button.ecerp-save").click()
    page.locator(".ecerp-alert-success").get_by_text("已创建商品“NEW-1”").wait_for()
    expect(message).to_have_text("")
    _search(page, "NEW-1")
    page.locator(".ecerp-table tbody tr[data-key='NEW-1']").wait_for()

    # Edit it from the grid.
    page.locator(".ecerp-table tbody tr[data-key='NEW-1']").click()
    page.locator(".ecerp-section-title").get_by_text("编辑商品 · NEW-1").wait_for()
    _field(page, "name_en").locator("input").fill("Vacuum cup")
    page.locator("button.ecerp-save").click()
    page.locator(".ecerp-alert-success").get_by_text("已保存商品“NEW-1”").wait_for()
    page.locator(".ecerp-table tbody tr[data-key='NEW-1']").get_by_text("Vacuum cup").wait_for()
    page.screenshot(path=str(artifacts / "base_data_zh.png"))

    # Switch to English: the whole app is re-labelled, the open record stays.
    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-title").get_by_text("Base Data").wait_for()
    page.locator(".ecerp-section-title").get_by_text("Edit product · NEW-1").wait_for()
    expect(page.locator("button.ecerp-save")).to_have_text("Save")
    expect(page.locator(".ecerp-table th[data-key='sku']")).to_have_text("SKU")
    expect(page.locator(".ecerp-entity-tabs button", has_text="Products")).to_have_count(1)
    expect(page.locator(".ecerp-page-label")).to_contain_text("Page 1 of 1")
    page.screenshot(path=str(artifacts / "base_data_en.png"))


def test_home_links_to_base_data(voila_server, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/home.ipynb", timeout=120_000)
    card = page.locator("a.ecerp-app-card[data-app='base_data']")
    card.wait_for()
    assert "基础资料" in card.inner_text()
    page.screenshot(path=str(artifacts / "home_zh.png"))
    card.click()
    page.locator(".ecerp-title").get_by_text("基础资料").wait_for()
    page.locator(".ecerp-table tbody tr").first.wait_for()


def test_a_shop_set_to_prices_including_tax(voila_server, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/base_data.ipynb", timeout=120_000)
    page.locator(".ecerp-entity-tabs button", has_text="店铺").click()
    box = _field(page, "prices_include_tax")
    expect(box).to_contain_text("价格含税")
    _field(page, "code").locator("input").fill("ZA-SHOP")
    _field(page, "name").locator("input").fill("南非店")
    _field(page, "platform").locator("select").select_option(label="Shopify")
    box.locator("input[type=checkbox]").check()
    page.locator("button.ecerp-save").click()
    page.locator(".ecerp-alert-success").get_by_text("ZA-SHOP").wait_for()
    page.screenshot(path=str(artifacts / "base_data_shop_zh.png"), full_page=True)
    page.locator(".ecerp-language button", has_text="English").click()
    expect(box).to_contain_text("Prices include tax")
    expect(box.locator("input[type=checkbox]")).to_be_checked()
    page.screenshot(path=str(artifacts / "base_data_shop_en.png"), full_page=True)


def test_base_data_shops_show_their_default_warehouse(apps_database, voila_server, page, artifacts):
    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services
    from ecerp_core.db import session_scope

    with session_scope(apps_database) as session:
        admin = resolve_actor(session, "admin")
        services.create_warehouse(session, admin, code="SH", name="上海仓", region="上海")
        services.create_shop(
            session,
            admin,
            code="SHOPIFY1",
            name="My Shopify store",
            platform="shopify",
            default_warehouse="SH",
        )
    page.goto(f"{voila_server['url']}/voila/render/base_data.ipynb", timeout=120_000)
    page.locator(".ecerp-table tbody tr[data-key='MUG-001']").wait_for()
    page.locator(".ecerp-entity-tabs button", has_text="店铺").click()
    row = page.locator(".ecerp-table tbody tr[data-key='SHOPIFY1']")
    row.wait_for()
    expect(page.locator(".ecerp-table th[data-key='default_warehouse']")).to_have_text("默认仓库")
    expect(row).to_contain_text("SH")
    page.screenshot(path=str(artifacts / "base_data_shops_zh.png"))
    page.locator(".ecerp-language button", has_text="English").click()
    expect(page.locator(".ecerp-table th[data-key='default_warehouse']")).to_have_text("Default warehouse")
    page.screenshot(path=str(artifacts / "base_data_shops_en.png"))
