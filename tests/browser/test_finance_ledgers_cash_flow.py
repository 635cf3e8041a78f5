"""Finance Close's Ledgers and Cash tabs in headless Chromium, on October 2026 of the finance
scenario: the trial balance and a subsidiary ledger, a transfer posted from the Cash tab, the
receivables aging, in Chinese and in English. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PREHEAT = ("finance_close.ipynb",)  # the apps this module opens: only their kernels start ahead
FINANCE_TESTS = Path(__file__).resolve().parents[1] / "finance"


@pytest.fixture(scope="module")
def books_database(apps_database, tmp_path_factory):
    """October 2026 of the finance scenario, written into this module's apps database."""
    sys.path.insert(0, str(FINANCE_TESTS))
    try:
        from finance_fixtures import make_books
        from test_scenario_month import run_october
    finally:
        sys.path.remove(str(FINANCE_TESTS))
    from ecerp_core.auth import resolve_actor
    from ecerp_core.db import session_scope

    with session_scope(apps_database) as session:
        admin = resolve_actor(session, "admin")
        run_october(session, admin, make_books(session, admin), tmp_path_factory.mktemp("bills"))
    return apps_database


def test_ledgers_and_cash_tabs(books_database, voila_server, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/finance_close.ipynb", timeout=120_000)
    page.locator(".ecerp-fc-checks").get_by_text("期间 2026-10").wait_for(timeout=60_000)
    tabs = page.locator(".ecerp-fc-screens")

    # Ledgers: the trial balance of October, then the subsidiary ledger of the Taobao receivable.
    tabs.get_by_text("账簿").click()
    ledgers = page.locator(".ecerp-ledgers-panel")
    ledgers.locator(".ecerp-ledger-start select").select_option("2026-10")
    ledgers.locator(".ecerp-ledger-end select").select_option("2026-10")
    ledgers.locator("button.ecerp-ledger-show").click()
    table = ledgers.locator(".ecerp-ledger-table")
    expect(table).to_contain_text("科目余额表")
    expect(table).to_contain_text("88,923.74")
    page.screenshot(path=str(artifacts / "finance_ledgers_trial_balance_zh.png"), full_page=True)
    ledgers.locator(".ecerp-ledger-report").get_by_text("明细账").click()
    ledgers.locator(".ecerp-ledger-account select").select_option(label="112201 应收账款-淘宝(支付宝)")
    ledgers.locator("button.ecerp-ledger-show").click()
    expect(table).to_contain_text("202610-00010")
    expect(ledgers.locator(".ecerp-ledger-downloads")).to_contain_text("Excel")
    page.screenshot(path=str(artifacts / "finance_ledgers_detail_zh.png"), full_page=True)

    # Cash: a transfer from the bank to cash, then the receivables aging.
    tabs.get_by_text("资金与账龄").click()
    cash = page.locator(".ecerp-cash-panel")
    cash.locator(".ecerp-cash-action").get_by_text("资金划转").click()
    cash.locator(".ecerp-cash-target select").select_option(label="1001 库存现金")
    cash.locator(".ecerp-cash-amount input").fill("500.00")
    cash.locator(".ecerp-cash-date input").fill("2026-10-31")
    cash.locator(".ecerp-cash-date input").press("Tab")
    cash.locator("button.ecerp-cash-post").click()
    page.locator(".ecerp-alert-success").get_by_text("已记账 500.00").wait_for()
    cash.locator(".ecerp-aging-side").get_by_text("应收账款账龄分析").click()
    expect(cash.locator(".ecerp-aging-table")).to_contain_text("Shopify")
    page.screenshot(path=str(artifacts / "finance_cash_zh.png"), full_page=True)

    # English.
    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-title").get_by_text("Finance Close").wait_for()
    expect(cash.locator(".ecerp-aging-table")).to_contain_text("Over 90 days")
    page.screenshot(path=str(artifacts / "finance_cash_en.png"), full_page=True)
    tabs.get_by_text("Ledgers").click()
    expect(table).to_contain_text("Subsidiary ledger 112201 Receivable - Taobao (Alipay)")
    page.screenshot(path=str(artifacts / "finance_ledgers_detail_en.png"), full_page=True)

    # VAT and export: October's VAT leaves a credit; its vouchers for Kingdee.
    tabs.get_by_text("VAT and export").click()
    month_end = page.locator(".ecerp-month-end-panel")
    month_end.locator(".ecerp-me-period select").select_option("2026-10")
    month_end.locator("button.ecerp-vat-close").click()
    expect(month_end.locator(".ecerp-vat-result")).to_contain_text("Credit carried forward")
    month_end.locator(".ecerp-export-format").get_by_text("Kingdee KIS / K3 (Excel)").click()
    month_end.locator("button.ecerp-export-make").click()
    expect(month_end.locator(".ecerp-export-download")).to_contain_text("2026-10-kingdee.xlsx")
    page.screenshot(path=str(artifacts / "finance_vat_export_en.png"), full_page=True)
    page.locator(".ecerp-language button", has_text="中文").click()
    expect(month_end.locator(".ecerp-vat-result")).to_contain_text("期末留抵税额")
    page.screenshot(path=str(artifacts / "finance_vat_export_zh.png"), full_page=True)
