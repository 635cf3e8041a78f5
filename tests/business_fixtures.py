"""Shared fixtures for stock, orders and purchasing tests: a tiny shop with two products and a kit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from ecerp_core.catalog import services as catalog
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.stock import services as stock

D = Decimal


@dataclass(frozen=True)
class Biz:
    """Ids of the small business the tests act in."""

    sh: int  # 上海仓, no negative stock
    gz: int  # 广州仓
    shop: int  # a Taobao shop in CNY
    tee: int  # TEE-1, cost 20.00
    mug: int  # MUG-1, cost 8.00
    kit: int  # KIT-1 = 2 × TEE-1 + 1 × MUG-1
    supplier: int  # CNY, lead time 5, MOQ 10


@pytest.fixture
def biz(session, admin) -> Biz:
    sh = catalog.create_warehouse(session, admin, code="SH", name="上海仓", region="华东", priority=10)
    gz = catalog.create_warehouse(session, admin, code="GZ", name="广州仓", region="华南", priority=20)
    shop = catalog.create_shop(
        session, admin, code="TB", name="淘宝店", platform="taobao", default_warehouse="SH"
    )
    tee = catalog.create_product(session, admin, sku="TEE-1", name_zh="T恤", cost="20.00", list_price="59.00")
    mug = catalog.create_product(
        session, admin, sku="MUG-1", name_zh="马克杯", cost="8.00", list_price="29.00"
    )
    kit = catalog.create_product(
        session,
        admin,
        sku="KIT-1",
        name_zh="组合",
        is_bundle=True,
        list_price="129.00",
        components=[("TEE-1", 2), ("MUG-1", 1)],
    )
    supplier = catalog.create_supplier(
        session, admin, code="S1", name="供应商", lead_time_days=5, min_order_qty=10
    )
    session.flush()
    return Biz(sh.id, gz.id, shop.id, tee.id, mug.id, kit.id, supplier.id)


def stock_row(session, product_id: int, warehouse_id: int) -> tuple[int, int]:
    from sqlalchemy import select

    from ecerp_core.stock.models import StockLevel

    row = session.execute(
        select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id
        )
    ).first()
    return tuple(row) if row else (0, 0)


def count(session, model) -> int:
    from sqlalchemy import func, select

    return session.scalar(select(func.count()).select_from(model))


def add_shipped_orders(
    session,
    *,
    platform: str,
    shop_id: int,
    warehouse_id: int,
    sales: Iterable[tuple[dt.date, int, int]],
    unit_price: str,
    prefix: str = "T",
    platform_sku: str = "x",
) -> None:
    """A shipped order of one line for each ``(order day, product id, quantity)`` in ``sales``, numbered
    ``{prefix}0``, ``{prefix}1``…: the demand history the forecast and the replenishment read, written
    straight to the tables (no stock moves, no postings: the tests set the stock they need)."""
    from ecerp_core.orders.models import Order, OrderLine

    price = Decimal(unit_price)
    now = dt.datetime.now(dt.UTC)
    for n, (day, product_id, quantity) in enumerate(sales):
        order = Order(
            platform=platform,
            shop_id=shop_id,
            platform_order_id=f"{prefix}{n}",
            currency="CNY",
            status="shipped",
            warehouse_id=warehouse_id,
            order_date=day,
            created_at=now,
            shipped_at=now,
        )
        order.lines = [
            OrderLine(
                line_no=1,
                platform_sku=platform_sku,
                product_id=product_id,
                quantity=quantity,
                unit_price=price,
                amount=price * quantity,
            )
        ]
        session.add(order)


def sale_draft(biz, number, day, buyer, region, *lines, status="paid"):
    """Order ``number`` on ``day`` (10:00 in Shanghai) by ``buyer`` in ``region``; lines (sku, qty,
    unit price)."""
    ls = tuple(OrderLineDraft(sku, q, D(p), D(p) * q) for sku, q, p in lines)
    goods = sum((x.amount for x in ls), D(0))
    return OrderDraft(
        biz.shop,
        number,
        status,
        dt.datetime.fromisoformat(f"{day}T02:00:00+00:00"),
        "CNY",
        ls,
        goods,
        goods,
        paid_amount=goods if status == "paid" else D(0),
        region=region,
        buyer_id=buyer,
        receiver_name=buyer,
        address=f"{region}路{number}号",
    )


def receive_tee_and_mug(session, admin, biz):
    """10 of each in warehouse SH: TEE-1 at 20.00, MUG-1 at 8.00."""
    stock.post_moves(
        session,
        admin,
        [
            stock.MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=D("20.00")),
            stock.MoveDraft(biz.mug, biz.sh, 10, "receipt", unit_cost=D("8.00")),
        ],
    )


def hand_made_sales(biz):
    """The analytics tests' history (shop TB, CNY): A 2 × TEE-1 by b1 in 上海 (2026-01-05), B 3 ×
    MUG-1 by b1 in 上海 (02-10), C TEE-1 + MUG-1 by b2 in 浙江 (02-11), D one MUG-1 by b3 in 江苏
    (02-12) never paid; all paid but D, none approved."""
    return [
        sale_draft(biz, "A", "2026-01-05", "b1", "上海", ("TEE-1", 2, "100.00")),
        sale_draft(biz, "B", "2026-02-10", "b1", "上海", ("MUG-1", 3, "30.00")),
        sale_draft(biz, "C", "2026-02-11", "b2", "浙江", ("TEE-1", 1, "100.00"), ("MUG-1", 1, "30.00")),
        sale_draft(biz, "D", "2026-02-12", "b3", "江苏", ("MUG-1", 1, "30.00"), status="pending_payment"),
    ]
