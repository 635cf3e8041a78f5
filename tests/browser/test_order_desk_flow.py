"""The Order Desk in headless Chromium: review -> approve (confirm) -> ship with tracking -> shipped,
in Chinese, then English. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import inspect, text

pytestmark = pytest.mark.browser
PREHEAT = ("order_desk.ipynb",)  # the apps this module opens: only their kernels start ahead


def _ensure_schema(url: str) -> None:
    """Add tables and columns the migration does not have yet (a no-op once 0001 is regenerated)."""
    from ecerp_core.db import get_engine
    from ecerp_core.schema import metadata

    engine = get_engine(url)
    metadata.create_all(engine)
    have = inspect(engine)
    statements = []
    for table in metadata.sorted_tables:
        existing = {c["name"] for c in have.get_columns(table.name)}
        for col in table.columns:
            if col.name in existing:
                continue
            default = getattr(col.default, "arg", None)
            literal = (
                ""
                if default is None or callable(default)
                else (
                    f" DEFAULT {int(default)}" if isinstance(default, bool | int) else f" DEFAULT '{default}'"
                )
            )
            statements.append(
                f"ALTER TABLE {table.name} ADD COLUMN {col.name} {col.type.compile(engine.dialect)}{literal}"
            )
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


@pytest.fixture(scope="module")
def desk_orders(apps_database):
    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services as catalog
    from ecerp_core.db import session_scope
    from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
    from ecerp_core.orders.intake import import_order_drafts
    from ecerp_core.stock import services as stock

    _ensure_schema(apps_database)
    with session_scope(apps_database) as s:
        admin = resolve_actor(s, "admin")
        wh = catalog.create_warehouse(s, admin, code="SH", name="上海仓", region="华东")
        catalog.create_shop(
            s, admin, code="TB-FLOW", name="淘宝旗舰店", platform="taobao", default_warehouse="SH"
        )
        s.flush()
        shop = s.execute(text("SELECT id FROM shop WHERE code='TB-FLOW'")).scalar()
        mug = s.execute(text("SELECT id FROM product WHERE sku='MUG-001'")).scalar()
        stock.post_moves(s, admin, [stock.MoveDraft(mug, wh.id, 50, "receipt", unit_cost=Decimal("12.00"))])
        at = dt.datetime(2026, 6, 18, 2, 0, tzinfo=dt.UTC)
        drafts = [
            OrderDraft(
                shop,
                f"TB2026061800{i}",
                "paid",
                at + dt.timedelta(minutes=i),
                "CNY",
                (OrderLineDraft("MUG-001", i, Decimal("39.00"), Decimal("39.00") * i),),
                Decimal("39.00") * i,
                Decimal("39.00") * i,
                paid_amount=Decimal("39.00") * i,
                buyer_id=f"buyer{i}",
                receiver_name=f"买家{i}号",
                region="上海",
                address=f"上海市人民路{i}号",
            )
            for i in (1, 2, 3)
        ]
        import_order_drafts(s, admin, drafts)
    return apps_database


def test_order_desk_review_to_ship(desk_orders, voila_server, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/order_desk.ipynb", timeout=90_000)
    rows = page.locator(".ecerp-orders-panel .ecerp-table tbody tr")
    rows.first.wait_for()
    assert "订单处理台" in page.locator(".ecerp-title").inner_text()
    expect(rows).to_have_count(3)
    page.screenshot(path=str(artifacts / "order_desk_review_zh.png"), full_page=True)

    # Approve every order of the queue: a confirmation first, then the grid empties.
    page.locator(".ecerp-scope button", has_text="全部筛选结果").click()
    page.locator("button.ecerp-action-approve").click()
    expect(page.locator(".ecerp-batch-confirm")).to_contain_text("3 个订单")
    page.locator("button.ecerp-confirm").click()
    page.locator(".ecerp-alert-success").get_by_text("完成 3 个").wait_for()
    expect(page.locator(".ecerp-orders-panel .ecerp-page-label")).to_contain_text("共 0 条")

    # To ship: open one order, give carrier and tracking number, ship it.
    page.locator(".ecerp-queue-tabs button", has_text="待发货").click()
    expect(rows).to_have_count(3)
    rows.filter(has_text="TB20260618002").click()
    expect(page.locator(".ecerp-detail")).to_contain_text("TB20260618002")
    expect(page.locator(".ecerp-detail")).to_contain_text("审核")
    page.locator(".ecerp-carrier input").fill("顺丰")
    page.locator(".ecerp-tracking input").fill("SF1234567890")
    page.locator("button.ecerp-action-ship").click()
    expect(page.locator(".ecerp-batch-confirm")).to_contain_text("1 个订单")
    page.locator("button.ecerp-confirm").click()
    page.locator(".ecerp-alert-success").get_by_text("完成 1 个").wait_for()
    expect(page.locator(".ecerp-detail")).to_contain_text("SF1234567890")
    page.screenshot(path=str(artifacts / "order_desk_to_ship_zh.png"), full_page=True)

    page.locator(".ecerp-queue-tabs button", has_text="已发货").click()
    rows.filter(has_text="TB20260618002").wait_for()
    expect(rows.filter(has_text="淘宝旗舰店")).to_have_count(
        1
    )  # shop names; other flows' orders share the database

    # English: the whole desk is re-labelled.
    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-title").get_by_text("Order Desk").wait_for()
    expect(page.locator(".ecerp-queue-tabs button", has_text="To ship")).to_have_count(1)
    expect(page.locator(".ecerp-orders-panel .ecerp-table th[data-key='platform_order_id']")).to_have_text(
        "Platform order no."
    )
    page.locator(".ecerp-queue-tabs button", has_text="To ship").click()
    expect(rows).to_have_count(2)
    page.screenshot(path=str(artifacts / "order_desk_en.png"), full_page=True)
