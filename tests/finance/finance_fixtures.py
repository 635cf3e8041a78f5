"""A small shop for the books: a Taobao shop (CNY), a Shopify shop (USD), two suppliers, USD rates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import insert

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.company import set_exchange_rates
from ecerp_core.db import utcnow
from ecerp_core.events import SaleRefunded, SaleShipped, StockReceived, emit


@dataclass(frozen=True)
class Books:
    wh: int
    tb: int  # 淘宝店
    us: int  # Shopify, USD
    s1: int  # 供应商 CNY
    s2: int  # supplier USD


@pytest.fixture
def books(session, admin) -> Books:
    return make_books(session, admin)


def make_books(session, admin) -> Books:
    """The shops, suppliers and USD rates of the finance tests."""
    wh = catalog.create_warehouse(session, admin, code="SH", name="上海仓")
    tb = catalog.create_shop(session, admin, code="TB", name="淘宝店", platform="taobao")
    us = catalog.create_shop(session, admin, code="US", name="US shop", platform="shopify", currency="USD")
    s1 = catalog.create_supplier(session, admin, code="S1", name="供应商一")
    s2 = catalog.create_supplier(session, admin, code="S2", name="Supplier Two", currency="USD")
    set_exchange_rates(
        session,
        admin,
        [
            {"currency": "USD", "rate_date": "2026-10-01", "rate": "7.10"},
            {"currency": "USD", "rate_date": "2026-10-31", "rate": "7.20"},
            {"currency": "USD", "rate_date": "2026-11-20", "rate": "7.15"},
            {"currency": "USD", "rate_date": "2026-11-30", "rate": "7.00"},
        ],
    )
    session.flush()
    return Books(wh.id, tb.id, us.id, s1.id, s2.id)


def make_order(
    session,
    shop_id: int,
    platform: str,
    number: str,
    total: str,
    currency: str = "CNY",
    shipped: dt.date | None = None,
) -> int:
    """A bare sales order row (the orders area's services are not what these tests are about)."""
    from ecerp_core.orders.models import Order

    at = dt.datetime.combine(shipped, dt.time(4), dt.UTC) if shipped else None
    amount = Decimal(total)
    row = {
        "platform": platform,
        "shop_id": shop_id,
        "platform_order_id": number,
        "currency": currency,
        "goods_amount": amount,
        "total_amount": amount,
        "paid_amount": amount,
        "status": "shipped" if shipped else "paid",
        "order_date": shipped or dt.date(2026, 10, 1),
        "created_at": utcnow(),
        "shipped_at": at,
    }
    return session.execute(insert(Order.__table__).returning(Order.__table__.c.id), [row]).scalar_one()


def ship(session, admin, order_id, day, shop, platform, goods, cost, currency="CNY", shipping="0"):
    emit(
        session,
        admin,
        [
            SaleShipped(
                source_type="sales_order",
                source_id=order_id,
                business_date=day,
                key=f"sales_order:{order_id}:shipped",
                shop_id=shop,
                platform=platform,
                currency=currency,
                goods_amount=Decimal(goods),
                shipping_amount=Decimal(shipping),
                tax_amount=None,
                cost_base=Decimal(cost),
                warehouse_id=1,
            )
        ],
    )


def refund(session, admin, refund_id, order_id, day, shop, platform, amount, cost, currency="CNY"):
    emit(
        session,
        admin,
        [
            SaleRefunded(
                source_type="sales_order_refund",
                source_id=refund_id,
                business_date=day,
                key=f"refund:{refund_id}",
                order_id=order_id,
                shop_id=shop,
                platform=platform,
                currency=currency,
                refund_amount=Decimal(amount),
                returned=True,
                cost_base=Decimal(cost),
                damaged_cost_base=Decimal(0),
            )
        ],
    )


def receive(session, admin, key, day, supplier, warehouse, *, currency, rate, amount, tax, landed, value):
    """Goods received from ``supplier`` into ``warehouse``, as purchasing tells finance."""
    received = StockReceived(
        source_type="purchase_receipt",
        source_id=1,
        business_date=day,
        key=key,
        supplier_id=supplier,
        currency=currency,
        rate=Decimal(rate),
        amount=Decimal(amount),
        tax_amount=Decimal(tax),
        landed_base=Decimal(landed),
        value_base=Decimal(value),
        warehouse_id=warehouse,
    )
    emit(session, admin, [received])
