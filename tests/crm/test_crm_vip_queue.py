"""VIP privileges: a VIP customer's order comes first in the review queue, whatever its age."""

import datetime as dt
from decimal import Decimal

from business_fixtures import biz  # noqa: F401

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.customers import link_customer_account
from ecerp_core.crm import services, tiers
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.queries import list_orders


def test_vip_orders_first_in_the_review_queue(session, admin, biz):  # noqa: F811
    catalog.create_customer(session, admin, code="V1", name="大客户")
    link_customer_account(session, admin, "V1", "TB", "vip_buyer")
    line = OrderLineDraft("TEE-1", 1, Decimal("59.00"), Decimal("59.00"))
    drafts = [
        OrderDraft(
            biz.shop,
            number,
            "paid",
            dt.datetime(2026, 6, day, 2, tzinfo=dt.UTC),
            "CNY",
            (line,),
            Decimal("59.00"),
            Decimal("59.00"),
            paid_amount=Decimal("59.00"),
            buyer_id=buyer,
            receiver_name="张三",
            address="上海市人民路1号",
            region="上海",
        )
        for number, day, buyer in (("OLD-VIP", 1, "vip_buyer"), ("NEW", 3, "b"), ("MID", 2, "c"))
    ]
    import_order_drafts(session, admin, drafts)
    assert [r["platform_order_id"] for r in list_orders(session, admin, "review").rows] == [
        "NEW",
        "MID",
        "OLD-VIP",
    ]
    tiers.set_tier(session, admin, "V1", "vip", "年度大客户")
    assert [r["platform_order_id"] for r in list_orders(session, admin, "review").rows] == [
        "OLD-VIP",
        "NEW",
        "MID",
    ]
    assert services.customer_360(session, admin, "V1")["tier_history"][0]["reason"] == "tier.reason.manual"
