"""A tiny hand-made history (five buyers of one Taobao shop) the CRM tests share; the figures are
worked out in ``test_crm_history``'s docstring."""

import datetime as dt
from decimal import Decimal

import pytest

from ecerp_core.catalog import services as catalog
from ecerp_core.crm import services
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.intake import import_order_drafts

HISTORY = {
    "b1": [("2026-03-01", "300"), ("2026-05-10", "700"), ("2026-06-28", "500")],
    "b2": [("2026-06-01", "2000")],
    "b3": [("2026-01-15", "100"), ("2026-02-15", "100")],
    "b4": [("2025-03-01", "6000")],
    "b5": [(f"2026-{m:02d}-20", "1000") for m in range(1, 7)],
}


@pytest.fixture
def shop(session, admin):
    shop = catalog.create_shop(session, admin, code="TB", name="淘宝店", platform="taobao")
    drafts = []
    for buyer, orders in HISTORY.items():
        for n, (day, amount) in enumerate(orders):
            at = dt.datetime.fromisoformat(day).replace(hour=4, tzinfo=dt.UTC)
            line = OrderLineDraft("SKU-A", 1, Decimal(amount), Decimal(amount), name="商品A")
            drafts.append(
                OrderDraft(
                    shop.id,
                    f"{buyer}-{n}",
                    "finished",
                    at,
                    "CNY",
                    (line,),
                    Decimal(amount),
                    Decimal(amount),
                    paid_amount=Decimal(amount),
                    buyer_id=buyer,
                    receiver_name=f"买家{buyer}",
                )
            )
    import_order_drafts(session, admin, drafts, history=True)
    assert services.adopt_buyers(session, admin) == 5
    assert services.adopt_buyers(session, admin) == 0  # idempotent
    return shop
