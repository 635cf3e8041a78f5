"""The tiny shop the forecast tests (and the Inventory app's 按预测 test) run on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from business_fixtures import add_shipped_orders, biz  # noqa: F401

from ecerp_core.catalog.company import business_date
from ecerp_core.purchasing.models import SupplierProduct
from ecerp_core.stock.services import MoveDraft, post_moves

DAYS = 60


@pytest.fixture
def shop(session, admin, biz):  # noqa: F811
    """60 days: TEE-1 sells 2 a day (every third day as a kit: 1 kit = 2 tees + 1 mug) while its 20 last,
    has none for 10 days (censored), then sells 1 every other day from 3 received on day 20."""
    end = business_date(session) - dt.timedelta(days=1)
    start = end - dt.timedelta(days=DAYS - 1)
    day = [start + dt.timedelta(days=i) for i in range(DAYS)]
    post_moves(
        session,
        admin,
        [
            MoveDraft(biz.tee, biz.sh, 20, "adjustment", Decimal("20.00"), business_date=day[0]),
            MoveDraft(biz.tee, biz.sh, -20, "adjustment", business_date=day[9]),
            MoveDraft(biz.tee, biz.sh, 3, "adjustment", Decimal("20.00"), business_date=day[20]),
        ],
    )
    sold = [(day[i], biz.kit, 1) if i % 3 == 0 else (day[i], biz.tee, 2) for i in range(10)]
    sold += [(day[i], biz.tee, 1) for i in range(20, DAYS, 2)]
    add_shipped_orders(
        session, platform="taobao", shop_id=biz.shop, warehouse_id=biz.sh, sales=sold, unit_price="59.00"
    )
    session.add(
        SupplierProduct(
            supplier_id=biz.supplier,
            product_id=biz.tee,
            unit_price=Decimal("18.00"),
            min_order_qty=25,
            pack_size=12,
        )
    )
    session.flush()
    return day
