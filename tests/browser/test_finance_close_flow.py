"""Finance Close in headless Chromium: a month of books, the checklist all green, drill-down from
the income statement to the journal lines and the source order, close the period, English.
Screenshots go to ``test-artifacts/``."""

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


def test_finance_close_flow(books_database, voila_server, page, artifacts):
    url = f"{voila_server['url']}/voila/render/finance_close.ipynb"
    page.goto(url, timeout=120_000)
    checks = page.locator(".ecerp-fc-checks")
    checks.get_by_text("期间 2026-10").wait_for(timeout=60_000)
    assert "月末结账" in page.locator(".ecerp-title").inner_text()
    expect(checks.locator(".ecerp-fc-ok")).to_have_count(4)
    expect(page.locator(".ecerp-fc-statement")).to_contain_text("四、净利润")
    expect(page.locator(".ecerp-fc-statement")).to_contain_text("467.74")

    # Drill down by clicking (issue 11, defect 9): statement line → account → voucher → document.
    page.locator(".ecerp-fc-statement tbody tr", has_text="一、营业收入").click()
    account = page.locator(".ecerp-fc-accounts tbody tr", has_text="6001")
    expect(account).to_contain_text("主营业务收入")
    account.click()
    rows = page.locator(".ecerp-fc-lines .ecerp-table tbody tr")
    rows.first.wait_for()
    rows.filter(has_text="710").first.click()
    entry = page.locator(".ecerp-fc-entry")
    expect(entry.locator("th")).to_have_text(["科目代码", "科目名称", "借方", "贷方"])
    document = page.locator("button.ecerp-fc-doc", has_text="#1001")
    expect(document).to_have_text("销售订单 #1001 · Shopify")  # its own number, the platform in words
    document.click()
    expect(page.locator(".ecerp-fc-document")).to_contain_text("US shop")
    page.locator(".ecerp-fc-document").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "finance_close_drill_zh.png"))

    # Close the period.
    page.locator("button.ecerp-fc-close").click()
    expect(page.locator(".ecerp-fc-close-confirm-text")).to_contain_text("结账 2026-10：本期营业收入")
    page.screenshot(path=str(artifacts / "finance_close_confirm_zh.png"), full_page=True)
    page.locator("button.ecerp-fc-close-confirm-ok").click()
    page.locator(".ecerp-alert-success").get_by_text("会计期间 2026-10 已结账").wait_for()
    expect(checks).to_contain_text("已结账")
    expect(page.locator("button.ecerp-fc-close")).to_be_disabled()
    page.screenshot(path=str(artifacts / "finance_close_zh.png"), full_page=True)

    # English.
    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-title").get_by_text("Finance Close").wait_for()
    expect(page.locator(".ecerp-fc-statement")).to_contain_text("IV. Net profit")
    expect(checks).to_contain_text("Period 2026-10: closed")
    expect(entry.locator("th")).to_have_count(0)  # the voucher is cleared with the redraw
    page.locator(".ecerp-fc-statement tbody tr", has_text="I. Operating revenue").click()
    page.locator(".ecerp-fc-accounts tbody tr", has_text="6001").click()
    page.locator(".ecerp-fc-lines .ecerp-table tbody tr").filter(has_text="710").first.click()
    expect(entry.locator("th")).to_have_text(["Account", "Account name", "Debit", "Credit"])
    expect(page.locator("button.ecerp-fc-doc", has_text="#1001")).to_have_text("Sales order #1001 · Shopify")
    page.screenshot(path=str(artifacts / "finance_close_en.png"), full_page=True)


def test_voucher_tab_posts_and_reverses_a_voucher(books_database, voila_server, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/finance_close.ipynb", timeout=120_000)
    page.locator(".ecerp-fc-checks").get_by_text("期间").first.wait_for(timeout=60_000)
    page.locator(".ecerp-fc-screens").get_by_text("记账凭证").click()
    screen = page.locator(".ecerp-vc-lines")
    screen.wait_for()
    page.locator(".ecerp-vc-date input").fill("2026-11-05")
    page.locator(".ecerp-vc-memo input").fill("支付11月房租")
    page.locator(".ecerp-vc-attachments input").fill("租赁合同.pdf; 发票0001.jpg")
    lines = page.locator(".ecerp-vc-line")
    lines.nth(0).locator(".ecerp-vc-account input").fill("6602 管理费用")
    lines.nth(0).locator(".ecerp-vc-debit input").fill("3000.00")
    lines.nth(0).locator(".ecerp-vc-line-memo input").fill("11月房租")
    lines.nth(1).locator(".ecerp-vc-account input").fill("100201 银行存款-人民币户")
    lines.nth(1).locator(".ecerp-vc-credit input").fill("2999")
    totals = page.locator(".ecerp-vc-totals")
    expect(totals).to_contain_text("借贷不平，差额 1.00")
    expect(page.locator("button.ecerp-vc-post")).to_be_disabled()
    lines.nth(1).locator(".ecerp-vc-credit input").fill("3000")
    expect(totals).to_contain_text("借贷平衡")
    page.screenshot(path=str(artifacts / "vouchers_entry_zh.png"), full_page=True)
    page.locator("button.ecerp-vc-post").click()
    page.locator(".ecerp-alert-success").get_by_text("凭证 记-0001 已记账").wait_for()
    detail = page.locator(".ecerp-vc-detail")
    expect(detail).to_contain_text("附件：租赁合同.pdf, 发票0001.jpg")
    expect(page.locator(".ecerp-vc-list .ecerp-table tbody tr")).to_have_count(1)
    page.locator(".ecerp-vc-reverse-date input").fill("2026-11-30")
    page.locator("button.ecerp-vc-reverse").click()
    page.locator(".ecerp-alert-success").get_by_text("记-0002").wait_for()
    expect(detail).to_contain_text("冲销")
    expect(page.locator(".ecerp-vc-list .ecerp-table tbody tr")).to_have_count(2)
    page.screenshot(path=str(artifacts / "vouchers_zh.png"), full_page=True)
    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-fc-screens").get_by_text("Manual vouchers").wait_for()
    expect(page.locator(".ecerp-vc-detail")).to_contain_text("Reverses")
    expect(page.locator(".ecerp-vc-totals")).to_contain_text("Enter the lines")
    lines.nth(0).locator(".ecerp-vc-account input").fill("1001 Cash on hand")
    lines.nth(0).locator(".ecerp-vc-debit input").fill("12.50")
    expect(page.locator(".ecerp-vc-totals")).to_contain_text("Out of balance by 12.50")
    page.screenshot(path=str(artifacts / "vouchers_en.png"), full_page=True)
