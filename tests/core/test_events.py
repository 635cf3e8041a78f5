"""Business events are typed: a malformed event cannot be made, so it cannot be emitted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ecerp_core import events
from ecerp_core.events import (
    EventNotHeard,
    MalformedEvent,
    ReturnedGoods,
    SaleRefunded,
    SaleShipped,
    StockAdjusted,
    emit,
)
from ecerp_core.finance.models import PostedEvent

DAY = dt.date(2026, 10, 5)


def shipped(**changes) -> dict:
    """The fields of a well-formed shipment, with ``changes``."""
    fields = {
        "source_type": "sales_order",
        "source_id": 7,
        "business_date": DAY,
        "key": "sales_order:7:shipped",
        "shop_id": 1,
        "platform": "taobao",
        "currency": "CNY",
        "goods_amount": Decimal("113.00"),
        "shipping_amount": Decimal("0"),
        "tax_amount": None,
        "cost_base": Decimal("40.00"),
        "warehouse_id": 1,
    }
    fields.update(changes)
    return fields


def test_a_well_formed_event_says_what_its_kind_declares():
    event = SaleShipped(**shipped())
    assert event.kind == "sale.shipped"
    assert event.payload()["cost_base"] == Decimal("40.00")
    assert "key" not in event.payload()


def test_a_misspelt_field_fails_at_the_emitter():
    fields = shipped()
    fields["cost_bsae"] = fields.pop("cost_base")
    with pytest.raises(TypeError, match="cost_bsae"):
        SaleShipped(**fields)


def test_a_missing_field_fails_at_the_emitter():
    fields = shipped()
    del fields["cost_base"]
    with pytest.raises(TypeError, match="cost_base"):
        SaleShipped(**fields)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cost_base", 40.0),  # a float amount
        ("cost_base", "40.00"),  # text
        ("cost_base", None),  # only tax_amount may be None
        ("cost_base", Decimal("NaN")),
        ("goods_amount", 113),  # an int is not money
        ("business_date", dt.datetime(2026, 10, 5, 12, 0)),  # a moment is not a day
        ("shop_id", True),  # a flag is not an id
        ("shop_id", "1"),
        ("warehouse_id", 1.0),
    ],
)
def test_a_value_of_the_wrong_type_is_a_named_error(field, value):
    with pytest.raises(MalformedEvent) as caught:
        SaleShipped(**shipped(**{field: value}))
    assert field in caught.value.message("en") and "sale.shipped" in caught.value.message("en")


def refunded(**changes) -> dict:
    """The fields of a refund with 2 units back at 20.00 (sellable) and one damaged at 8.00."""
    fields = {
        "source_type": "sales_order_refund",
        "source_id": 3,
        "business_date": DAY,
        "key": "sales_order_refund:3:refunded",
        "order_id": 7,
        "shop_id": 1,
        "platform": "taobao",
        "currency": "CNY",
        "refund_amount": Decimal("226.00"),
        "returned": True,
        "cost_base": Decimal("40.00"),
        "damaged_cost_base": Decimal("8.00"),
        "returns": (
            ReturnedGoods(
                product_id=1, warehouse_id=1, quantity=2, unit_cost=Decimal("20.00"), damaged=False
            ),
            ReturnedGoods(product_id=2, warehouse_id=1, quantity=1, unit_cost=Decimal("8.00"), damaged=True),
        ),
    }
    fields.update(changes)
    return fields


def test_a_refund_carries_its_returned_goods_and_their_costs_must_add_up():
    assert SaleRefunded(**refunded()).returns[0].cost == Decimal("40.00")
    with pytest.raises(MalformedEvent, match="cost_base"):
        SaleRefunded(**refunded(cost_base=Decimal("60.00")))
    with pytest.raises(MalformedEvent, match="returns"):
        SaleRefunded(**refunded(returns=[]))  # a list is not the tuple the contract says
    with pytest.raises(MalformedEvent, match="returns"):
        SaleRefunded(**refunded(returns=({"product_id": 1},)))
    with pytest.raises(MalformedEvent, match="quantity"):
        ReturnedGoods(product_id=1, warehouse_id=1, quantity=0, unit_cost=Decimal("20.00"), damaged=False)
    with pytest.raises(MalformedEvent, match="unit_cost"):
        ReturnedGoods(product_id=1, warehouse_id=1, quantity=1, unit_cost=20.0, damaged=False)


def test_optional_fields_take_none():
    assert SaleShipped(**shipped(tax_amount=None, warehouse_id=None)).tax_amount is None


def test_only_typed_events_can_be_emitted(session, admin):
    untyped = {"kind": "sale.shipped", "cost_base": Decimal("1")}
    with pytest.raises(MalformedEvent):
        emit(session, admin, [untyped])  # type: ignore[list-item]


def test_an_event_nobody_hears_is_refused_not_lost(session, admin):
    event = StockAdjusted(
        source_type="stock_adjustment",
        source_id=1,
        business_date=DAY,
        key="adj:1",
        value_base=Decimal("10.00"),
        warehouse_id=1,
        reason="盘盈",
    )
    saved = dict(events._subscribers)
    events._subscribers.clear()
    try:
        with pytest.raises(EventNotHeard, match=r"stock\.adjusted"):
            emit(session, admin, [event])
    finally:
        events._subscribers.update(saved)


def test_an_emitted_event_reaches_the_books_once(session, admin):
    event = SaleShipped(**shipped())
    emit(session, admin, [event])
    emit(session, admin, [event])
    posted = session.scalars(select(PostedEvent).where(PostedEvent.key == event.key)).all()
    assert len(posted) == 1 and posted[0].order_id == 7 and posted[0].entry_id is not None
    assert session.scalar(select(func.count()).select_from(PostedEvent)) == 1
