"""Customers in headless Chromium: search a customer, open the 360 view, add and resolve a complaint,
recompute tiers, segment and export a marketing list; zh_CN then en. Screenshots go to
``test-artifacts/``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PREHEAT = ("customers.ipynb",)

HISTORY = {
    "b1": [("2026-03-01", "300"), ("2026-05-10", "700"), ("2026-06-28", "500")],
    "b2": [("2026-06-01", "2000")],
    "b3": [("2026-01-15", "100"), ("2026-02-15", "100")],
    "b5": [(f"2026-{m:02d}-20", "1000") for m in range(1, 7)],
}


@pytest.fixture(scope="module")
def history(apps_database):
    """Four buyers of a Taobao shop with a little history, made customers, in the served database."""
    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services as catalog
    from ecerp_core.crm.services import adopt_buyers
    from ecerp_core.db import session_scope
    from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
    from ecerp_core.orders.intake import import_order_drafts

    with session_scope(apps_database) as session:
        admin = resolve_actor(session, "admin")
        shop = catalog.create_shop(session, admin, code="TB", name="淘宝店", platform="taobao")
        drafts = []
        for buyer, orders in HISTORY.items():
            for n, (day, amount) in enumerate(orders):
                at = dt.datetime.fromisoformat(day).replace(hour=4, tzinfo=dt.UTC)
                money = Decimal(amount)
                line = OrderLineDraft("MUG-001", 1, money, money)
                drafts.append(
                    OrderDraft(
                        shop.id,
                        f"{buyer}-{n}",
                        "finished",
                        at,
                        "CNY",
                        (line,),
                        money,
                        money,
                        paid_amount=money,
                        buyer_id=buyer,
                        receiver_name=f"买家{buyer}",
                    )
                )
        import_order_drafts(session, admin, drafts, history=True)
        adopt_buyers(session, admin)
    return apps_database


def test_customer_360_complaint_tiers_segments(voila_server, history, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/customers.ipynb", timeout=120_000)
    page.locator(".ecerp-grid-customers tbody tr").first.wait_for(timeout=60_000)
    search = page.locator(".ecerp-search input")
    search.fill("b1")
    search.press("Enter")
    row = page.locator(".ecerp-grid-customers tbody tr", has_text="TB-b1")
    expect(page.locator(".ecerp-grid-customers tbody tr")).to_have_count(1)
    row.click()
    card = page.locator(".ecerp-c360-card")
    expect(card).to_contain_text("累计消费")
    expect(card).to_contain_text("1,500.00")
    page.screenshot(path=str(artifacts / "customers_360_zh.png"), full_page=True)

    page.locator(".ecerp-customers-tabs button", has_text="咨询与投诉").click()
    expect(page.locator(".ecerp-ticket-kind select")).to_have_value("投诉")
    page.locator(".ecerp-ticket-subject input").fill("包裹破损")
    page.locator(".ecerp-ticket-order input").fill("b1-2")
    page.locator(".ecerp-ticket-add").click()
    page.locator(".ecerp-alert-success").get_by_text("已创建").wait_for()
    page.locator(".ecerp-ticket-note input").fill("已补发")
    page.locator(".ecerp-ticket-resolve").click()
    page.locator(".ecerp-alert-success").get_by_text("已解决").wait_for()
    expect(page.locator(".ecerp-ticket-reopen")).to_be_visible()
    page.screenshot(path=str(artifacts / "customers_tickets_zh.png"), full_page=True)

    page.locator(".ecerp-customers-tabs button", has_text="客户分层").click()
    page.locator(".ecerp-tiers-recompute").click()
    page.locator(".ecerp-alert-success").get_by_text("等级变更").wait_for()
    expect(page.locator(".ecerp-tier-changes")).to_contain_text("TB-b5")
    page.screenshot(path=str(artifacts / "customers_tiers_zh.png"), full_page=True)

    page.locator(".ecerp-customers-tabs button", has_text="客户分群").click()
    page.locator(".ecerp-segment-compute").click()
    expect(page.locator(".ecerp-segment-counts")).to_contain_text("重要价值客户")
    page.locator(".ecerp-segment-pick select").select_option(label="重要价值客户")
    page.locator(".ecerp-segment-export").click()
    expect(page.locator(".ecerp-segment-download a")).to_contain_text("customers-important_value.csv")
    page.screenshot(path=str(artifacts / "customers_segments_zh.png"), full_page=True)

    page.locator(".ecerp-language button", has_text="English").click()
    expect(page.locator(".ecerp-segment-counts")).to_contain_text("Champions")
    expect(page.locator(".ecerp-segment-download a")).to_contain_text("1 customers written")
    page.screenshot(path=str(artifacts / "customers_segments_en.png"), full_page=True)
    page.locator(".ecerp-customers-tabs button", has_text="Customers").click()
    expect(card).to_contain_text("Lifetime value")
    expect(row).to_contain_text("Silver")  # the tier the rules gave, in the grid too
    expect(card).to_contain_text("包裹破损")
    expect(card.locator(".ecerp-figure", has_text="Complaints")).to_contain_text("1")
    page.screenshot(path=str(artifacts / "customers_360_en.png"), full_page=True)
