"""Finance Close's Opening balances tab in headless Chromium: both files uploaded, their preview
(the accounts and their totals, the stock and its value, the two agreeing on inventory), imported
after a confirmation, then a different file refused. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PREHEAT = ("finance_close.ipynb",)  # the apps this module opens: only their kernels start ahead
BALANCES = "account_code,debit,credit\n100201,10000.00,\n1405,2560.00,\n2202,,1560.00\n4001,,11000.00\n"
STOCK = "sku,warehouse,quantity,unit_cost\nTEE-001,SH,100,21.50\nMUG-001,SH,50,8.20\n"


@pytest.fixture(scope="module")
def opening_database(apps_database):
    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services
    from ecerp_core.db import session_scope

    with session_scope(apps_database) as session:
        services.create_warehouse(session, resolve_actor(session, "admin"), code="SH", name="上海仓")
    return apps_database


def choose(page, css: str, path) -> None:
    with page.expect_file_chooser() as chosen:
        page.locator(css).click()
    chosen.value.set_files(str(path))
    page.locator(css).get_by_text("(1)").wait_for()


def test_opening_balances_tab(opening_database, voila_server, page, artifacts, tmp_path):
    (tmp_path / "balances.csv").write_text(BALANCES, encoding="utf-8")
    (tmp_path / "stock.csv").write_text(STOCK, encoding="utf-8")
    (tmp_path / "other.csv").write_text(BALANCES.replace("10000.00", "9000.00").replace("11000", "10000"))
    page.goto(f"{voila_server['url']}/voila/render/finance_close.ipynb", timeout=120_000)
    tabs = page.locator(".ecerp-fc-screens")
    tabs.get_by_text("期初").wait_for(timeout=60_000)
    tabs.get_by_text("期初").click()
    panel = page.locator(".ecerp-opening-panel")
    expect(panel.locator(".ecerp-opening-recorded")).to_contain_text("尚未导入期初")
    expect(panel.locator(".ecerp-opening-date input")).to_have_value("2026-10-31")
    choose(page, ".ecerp-opening-balances-file", tmp_path / "balances.csv")
    choose(page, ".ecerp-opening-stock-file", tmp_path / "stock.csv")
    panel.locator("button.ecerp-opening-preview").click()
    preview = panel.locator(".ecerp-opening-preview-table")
    expect(preview).to_contain_text("借方 12,560.00 = 贷方 12,560.00，平衡")
    expect(preview).to_contain_text("库存价值 2,560.00 与存货科目期初 2,560.00 一致")
    expect(preview).to_contain_text("库存商品")
    page.screenshot(path=str(artifacts / "finance_opening_preview_zh.png"), full_page=True)
    panel.locator("button.ecerp-opening-import").click()
    expect(panel.locator(".ecerp-opening-confirm-text")).to_contain_text(
        "余额借贷合计 12,560.00，库存价值 2,560.00"
    )
    page.screenshot(path=str(artifacts / "finance_opening_confirm_zh.png"), full_page=True)
    panel.locator("button.ecerp-opening-confirm-ok").click()
    page.locator(".ecerp-alert-success").get_by_text("凭证 202610-00001").wait_for()
    recorded = panel.locator(".ecerp-opening-recorded")
    expect(recorded).to_contain_text("期初凭证：202610-00001")
    expect(recorded).to_contain_text("2,150.00")
    page.screenshot(path=str(artifacts / "finance_opening_done_zh.png"), full_page=True)

    # A different balances file: previewed, then refused on import with the named error.
    choose(page, ".ecerp-opening-balances-file", tmp_path / "other.csv")
    panel.locator("button.ecerp-opening-preview").click()
    expect(preview).to_contain_text("9,000.00")
    panel.locator("button.ecerp-opening-import").click()
    panel.locator("button.ecerp-opening-confirm-ok").click()
    page.locator(".ecerp-alert-error").get_by_text("已录入过不同的期初余额").wait_for()
    page.screenshot(path=str(artifacts / "finance_opening_refused_zh.png"), full_page=True)

    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-title").get_by_text("Finance Close").wait_for()
    expect(recorded).to_contain_text("Opening entry: 202610-00001")
    expect(recorded).to_contain_text("Merchandise inventory")
    expect(preview).to_contain_text("Debit 11,560.00 = credit 11,560.00: balanced")
    page.screenshot(path=str(artifacts / "finance_opening_en.png"), full_page=True)
