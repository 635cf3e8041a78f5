"""The Order Desk's After-sales tab in headless Chromium: a return of 2 mugs is approved, 1 arrives
(the clerk says so per order line) into another warehouse as damaged and is refunded; a lost parcel
is reshipped. Chinese, then English; screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, text
from test_order_desk_flow import _ensure_schema

pytestmark = pytest.mark.browser
PREHEAT = ("order_desk.ipynb",)  # the apps this module opens: only their kernels start ahead


@pytest.fixture(scope="module")
def cases_database(apps_database):
    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services as catalog
    from ecerp_core.db import session_scope
    from ecerp_core.orders import cases, services
    from ecerp_core.orders.models import AfterSale, Order

    _ensure_schema(apps_database)
    with session_scope(apps_database) as s:
        admin = resolve_actor(s, "admin")
        for code, name, region in (("AS-SH", "售后上海仓", "华东"), ("AS-GZ", "售后广州仓", "华南")):
            if not s.execute(text("SELECT 1 FROM warehouse WHERE code=:c"), {"c": code}).first():
                catalog.create_warehouse(s, admin, code=code, name=name, region=region)
        catalog.create_shop(
            s, admin, code="JD-AS", name="京东售后店", platform="jd", default_warehouse="AS-SH"
        )
        s.flush()
        shop = s.execute(text("SELECT id FROM shop WHERE code='JD-AS'")).scalar()
        wh = s.execute(text("SELECT id FROM warehouse WHERE code='AS-SH'")).scalar()
        mug = s.execute(text("SELECT id FROM product WHERE sku='MUG-001'")).scalar()
        from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
        from ecerp_core.orders.intake import import_order_drafts
        from ecerp_core.stock import services as stock

        tee = s.execute(text("SELECT id FROM product WHERE sku='TEE-001'")).scalar()
        stock.post_moves(
            s,
            admin,
            [
                stock.MoveDraft(mug, wh, 20, "receipt", unit_cost=Decimal("12.00")),
                stock.MoveDraft(tee, wh, 20, "receipt", unit_cost=Decimal("25.00")),
            ],
        )
        at = dt.datetime(2026, 6, 20, 2, 0, tzinfo=dt.UTC)
        drafts = [
            OrderDraft(
                shop,
                f"JD-AS-{i}",
                "paid",
                at + dt.timedelta(minutes=i),
                "CNY",
                (OrderLineDraft("MUG-001", n, Decimal("39.00"), Decimal("39.00") * n),),
                Decimal("39.00") * n,
                Decimal("39.00") * n,
                paid_amount=Decimal("39.00") * n,
                buyer_id=f"jdbuyer{i}",
                receiver_name=f"京东买家{i}",
                region="上海",
                address=f"上海市南京路{i}号",
            )
            for i, n in ((1, 2), (2, 1))
        ]
        two_lines = (
            OrderLineDraft("MUG-001", 1, Decimal("39.00"), Decimal("39.00")),
            OrderLineDraft("TEE-001", 3, Decimal("59.00"), Decimal("177.00")),
        )
        drafts.append(
            OrderDraft(
                shop,
                "JD-AS-3",
                "paid",
                at + dt.timedelta(minutes=3),
                "CNY",
                two_lines,
                Decimal("216.00"),
                Decimal("216.00"),
                paid_amount=Decimal("216.00"),
                buyer_id="jdbuyer3",
                receiver_name="京东买家3",
                region="上海",
                address="上海市南京路3号",
            )
        )
        tees = (OrderLineDraft("TEE-001", 2, Decimal("59.00"), Decimal("118.00")),)
        drafts.append(
            OrderDraft(
                shop,
                "JD-AS-4",
                "paid",
                at + dt.timedelta(minutes=4),
                "CNY",
                tees,
                Decimal("118.00"),
                Decimal("118.00"),
                paid_amount=Decimal("118.00"),
                buyer_id="jdbuyer4",
                receiver_name="京东买家4",
                region="上海",
                address="上海市南京路4号",
            )
        )
        ids = list(import_order_drafts(s, admin, drafts).order_ids)
        services.approve_orders(s, admin, ids, warehouse_id=wh)
        services.ship_orders(s, admin, ids)
        cases.open_case(
            s,
            admin,
            ids[0],
            "return_refund",
            amount=Decimal("39.00"),
            lines=[(1, 2)],
            reason="七天无理由退货",
            warehouse_id=wh,
        )
        cases.open_case(s, admin, ids[1], "reship", lines=[(1, 1)], reason="快递丢件补发")
        waiting = cases.open_case(
            s, admin, ids[2], "return_refund", amount=Decimal("216.00"), reason="整单退货", warehouse_id=wh
        )
        cases.act_on_case(s, admin, waiting, "approve")
    yield apps_database
    with session_scope(apps_database, readonly=True) as s:
        done = s.execute(
            select(Order.platform_order_id, AfterSale.status, AfterSale.condition)
            .join(Order, Order.id == AfterSale.order_id)
            .where(Order.platform_order_id.like("JD-AS-%"))
            .order_by(AfterSale.id)
        ).all()
    assert [tuple(r) for r in done] == [
        ("JD-AS-1", "done", "damaged"),
        ("JD-AS-2", "done", "sellable"),
        ("JD-AS-3", "waiting_return", "sellable"),
    ]
    with session_scope(apps_database, readonly=True) as s:  # 1 of the 2 mugs came back, 39.00 refunded
        back = s.execute(
            text(
                "SELECT m.quantity FROM stock_move m JOIN sales_order o ON o.id = m.source_id "
                "WHERE m.move_type = 'return' AND o.platform_order_id = 'JD-AS-1'"
            )
        ).scalars()
        assert list(back) == [1]
    with session_scope(apps_database) as s:  # the resend leaves the review queue the next test counts
        resend = list(s.scalars(select(Order.id).where(Order.platform_order_id.like("JD-AS-%#R%"))))
        assert len(resend) == 1
        services.cancel_orders(s, resolve_actor(s, "admin"), resend, reason="test done")


def test_after_sales_return_damaged_refund_and_reship(cases_database, voila_server, page, artifacts):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{voila_server['url']}/voila/render/order_desk.ipynb", timeout=90_000)
    page.locator(".ecerp-queue-tabs button", has_text="售后").click(timeout=90_000)
    rows = page.locator(".ecerp-cases-panel .ecerp-table tbody tr")
    rows.filter(has_text="JD-AS-1").wait_for()
    expect(rows.filter(has_text="JD-AS-1")).to_contain_text("退货退款")

    rows.filter(has_text="JD-AS-1").click()
    detail = page.locator(".ecerp-case-detail")
    expect(detail).to_contain_text("JD-AS-1")
    page.locator("button.ecerp-case-approve").click()
    page.locator(".ecerp-alert-success").get_by_text("待买家退货").wait_for()
    page.locator(".ecerp-case-warehouse select").select_option(label="AS-GZ · 售后广州仓")
    page.locator(".ecerp-case-condition button", has_text="残次").click()
    expect(page.locator(".ecerp-case-lines")).to_contain_text("MUG-001")
    back = page.locator(".ecerp-case-back-1 input")
    expect(back).to_have_value("2")
    back.fill("1")
    back.press("Enter")
    expect(page.locator(".ecerp-cases-panel")).to_contain_text("实际退回数量")
    page.screenshot(path=str(artifacts / "order_desk_aftersales_receive_zh.png"), full_page=True)
    page.locator("button.ecerp-case-receive").click()
    page.locator(".ecerp-alert-success").get_by_text("已收到退货").wait_for()
    expect(page.locator("button.ecerp-case-complete")).to_have_text("退款")
    expect(detail).to_contain_text("MUG-001 陶瓷马克杯 × 1")
    page.locator("button.ecerp-case-complete").click()
    page.locator(".ecerp-alert-success").get_by_text("已完成").wait_for()
    expect(detail).to_contain_text("售后广州仓")

    rows.filter(has_text="JD-AS-2").click()
    expect(detail).to_contain_text("JD-AS-2")
    page.locator("button.ecerp-case-approve").click()
    expect(page.locator("button.ecerp-case-complete")).to_have_text("补发")
    page.locator("button.ecerp-case-complete").click()
    page.locator(".ecerp-alert-success").get_by_text("已完成").wait_for()

    page.locator(".ecerp-case-queue button", has_text="全部售后单").click()
    rows.filter(has_text="JD-AS-2").wait_for()
    page.screenshot(path=str(artifacts / "order_desk_aftersales_zh.png"), full_page=True)

    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-title").get_by_text("Order Desk").wait_for()
    expect(page.locator(".ecerp-case-queue button", has_text="All cases")).to_have_count(1)
    expect(rows.filter(has_text="JD-AS-1")).to_contain_text("Return and refund")
    expect(detail).to_contain_text("Reship")
    page.screenshot(path=str(artifacts / "order_desk_aftersales_en.png"), full_page=True)

    # a return waiting for its goods: one quantity per order line, all of each line to start with
    page.set_viewport_size({"width": 1440, "height": 1300})  # the action card sits under the detail
    rows.filter(has_text="JD-AS-3").click()
    expect(detail).to_contain_text("JD-AS-3")
    lines = page.locator(".ecerp-case-lines")
    expect(page.locator(".ecerp-cases-panel")).to_contain_text("Quantity that arrived, per order line")
    expect(lines).to_contain_text("MUG-001")
    expect(lines).to_contain_text("TEE-001")
    expect(page.locator(".ecerp-case-back-2 input")).to_have_value("3")
    expect(page.locator(".ecerp-case-condition button.mod-active")).to_have_text("Sellable")
    page.screenshot(path=str(artifacts / "order_desk_aftersales_lines_en.png"), full_page=True)
    page.locator(".ecerp-language button", has_text="中文").click()
    expect(page.locator(".ecerp-cases-panel")).to_contain_text("实际退回数量（按订单行）")
    page.screenshot(path=str(artifacts / "order_desk_aftersales_lines_zh.png"), full_page=True)


def test_a_shipped_order_refunded_from_its_detail_with_one_of_two_back(
    cases_database, voila_server, page, artifacts
):
    """The Shipped tab: JD-AS-4 (2 T-shirts) gets 1 back through the refund card under its detail,
    which refunds the 59.00 it was paid; Chinese, then English."""
    page.set_viewport_size({"width": 1440, "height": 1300})
    page.goto(f"{voila_server['url']}/voila/render/order_desk.ipynb", timeout=90_000)
    page.locator(".ecerp-queue-tabs button", has_text="已发货").click(timeout=90_000)
    rows = page.locator(".ecerp-orders-panel .ecerp-table tbody tr")
    rows.filter(has_text="JD-AS-4").click()
    card = page.locator(".ecerp-card").filter(has_text="退款 / 退货")
    expect(card).to_contain_text("TEE-001")
    back = page.locator(".ecerp-refund-back-1 input")
    back.fill("1")
    back.press("Enter")
    page.locator(".ecerp-refund-reason input").fill("一件有污渍")
    page.screenshot(path=str(artifacts / "order_desk_refund_zh.png"), full_page=True)
    page.locator("button.ecerp-refund-run").click()
    expect(page.locator(".ecerp-refund-confirm-text")).to_contain_text("退款 59.00 CNY，退回 1 件。确认吗？")
    page.screenshot(path=str(artifacts / "order_desk_refund_confirm_zh.png"), full_page=True)
    page.locator("button.ecerp-refund-confirm-ok").click()
    page.locator(".ecerp-alert-success").get_by_text("59.00 CNY，退回 1 件").wait_for()
    expect(page.locator(".ecerp-detail")).to_contain_text("退款")

    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-title").get_by_text("Order Desk").wait_for()
    expect(page.locator(".ecerp-card").filter(has_text="Refund / return")).to_contain_text("TEE-001")
    expect(page.locator(".ecerp-refund-amount input")).to_have_attribute(
        "placeholder", "Amount (default: what the goods back were paid)"
    )
    page.screenshot(path=str(artifacts / "order_desk_refund_en.png"), full_page=True)
