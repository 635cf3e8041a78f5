"""Receipts with landed cost and price differences, supplier returns, closing, replenishment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from business_fixtures import stock_row
from sqlalchemy import select

from ecerp_core.errors import PermissionDenied, ValidationError
from ecerp_core.purchasing import checks, replenishment, returns, services
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseReceiptLine, SupplierProduct
from ecerp_core.purchasing.receipts import ReceiptDraft, receive_purchase_orders
from ecerp_core.stock import alerts
from ecerp_core.stock.exceptions import InsufficientStock
from ecerp_core.stock.services import MoveDraft, average_costs, post_moves


def _order(session, admin, biz, lines):
    po = services.create_purchase_order(
        session,
        admin,
        services.PurchaseOrderDraft(
            biz.supplier,
            biz.sh,
            tuple(services.PurchaseLineDraft(p, q, Decimal(price)) for p, q, price in lines),
        ),
    )
    services.confirm_purchase_orders(session, admin, [po])
    return po


def test_receipt_with_landed_cost_gives_the_right_average(session, admin, biz, emitted):
    # 10 tees in stock at 20.00
    post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))])
    po = _order(session, admin, biz, [(biz.tee, 10, "30.00"), (biz.mug, 20, "10.00")])
    # freight 100.00 over goods of 300.00 + 200.00: the tees carry 60.00, the mugs 40.00
    receive_purchase_orders(session, admin, [ReceiptDraft(po, landed_cost=Decimal("100.00"))])
    costs = average_costs(session, [biz.tee, biz.mug])
    assert costs[biz.tee] == Decimal("28.0000")  # (10 × 20 + 10 × 36) / 20
    assert costs[biz.mug] == Decimal("12.0000")  # (20 × 10 + 40) / 20
    event = emitted[-1]
    assert event.kind == "stock.received" and event.key.endswith(":received")
    assert event.payload() == {
        "supplier_id": biz.supplier,
        "currency": "CNY",
        "rate": Decimal("1"),
        "amount": Decimal("500.00"),
        "tax_amount": Decimal("65.00"),
        "landed_base": Decimal("100.00"),
        "value_base": Decimal("600.00"),
        "warehouse_id": biz.sh,
    }
    assert checks.totals_and_receipts_add_up(session) == []


def test_price_and_quantity_differences_are_recorded_then_closed(session, admin, biz, emitted):
    po = _order(session, admin, biz, [(biz.tee, 10, "18.00")])
    receive_purchase_orders(session, admin, [ReceiptDraft(po, ((biz.tee, 8, Decimal("19.50")),))])
    line = session.execute(select(PurchaseReceiptLine)).scalar_one()
    assert (line.outstanding - line.quantity, line.unit_price - line.ordered_price) == (2, Decimal("1.50"))
    assert average_costs(session, [biz.tee])[biz.tee] == Decimal("19.5000")
    services.close_purchase_orders(session, admin, [po])
    assert session.get(PurchaseOrder, po).status == "closed"
    with pytest.raises(ValidationError):
        receive_purchase_orders(session, admin, [ReceiptDraft(po)])
    with pytest.raises(ValidationError):
        receive_purchase_orders(
            session,
            admin,
            [ReceiptDraft(_order(session, admin, biz, [(biz.tee, 1, "1.00")]), landed_cost=Decimal("-1"))],
        )


def test_purchase_return_leaves_at_average_cost_and_credits_the_price(
    session, admin, biz, emitted, actor_with_role
):
    po = _order(session, admin, biz, [(biz.tee, 10, "18.00")])
    receive_purchase_orders(session, admin, [ReceiptDraft(po)])
    with pytest.raises(InsufficientStock):
        returns.return_to_suppliers(
            session, admin, [returns.ReturnDraft(biz.supplier, biz.sh, ((biz.tee, 11),))]
        )
    with pytest.raises(PermissionDenied):
        returns.return_to_suppliers(
            session, actor_with_role("analyst"), [returns.ReturnDraft(biz.supplier, biz.sh, ((biz.tee, 1),))]
        )
    [rid] = returns.return_to_suppliers(
        session,
        admin,
        [returns.ReturnDraft(biz.supplier, biz.sh, ((biz.tee, 3),), purchase_order_id=po, reason="质量问题")],
    )
    assert stock_row(session, biz.tee, biz.sh) == (7, 0)
    event = emitted[-1]
    assert (event.kind, event.key) == ("purchase.returned", f"purchase_return:{rid}:returned")
    assert (event.amount, event.value_base) == (Decimal("54.00"), Decimal("54.00"))


def test_replenishment_suggestions_become_draft_orders_per_supplier(session, admin, biz):
    alerts.set_stock_settings(
        session,
        admin,
        [
            alerts.SettingDraft(biz.tee, biz.sh, min_qty=5, max_qty=30),
            alerts.SettingDraft(biz.mug, biz.sh, min_qty=2, max_qty=4),
            alerts.SettingDraft(biz.mug, biz.gz, min_qty=0),
        ],
    )
    session.add(SupplierProduct(supplier_id=biz.supplier, product_id=biz.tee, unit_price=Decimal("17.00")))
    session.flush()
    found = replenishment.suggestions(session, admin)
    assert [(s.sku, s.quantity, s.unit_price, s.supplier_id) for s in found] == [
        ("TEE-1", 30, Decimal("17.00"), biz.supplier),  # up to max
        ("MUG-1", 4, Decimal("8.00"), None),  # nobody sells mugs to us yet: listed, never ordered
    ]
    ids = replenishment.create_orders_from_suggestions(session, admin, found)
    assert len(ids) == 1 and session.get(PurchaseOrder, ids[0]).status == "draft"
    assert replenishment.suggestions(session, admin)[0].sku == "MUG-1"  # the tees are on order now


def test_paid_orders_waiting_for_stock_count_against_what_is_available(session, admin, biz, actor_with_role):
    from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
    from ecerp_core.orders.intake import import_order_drafts
    from ecerp_core.orders.queries import unreserved_demand

    post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))])
    alerts.set_stock_settings(session, admin, [alerts.SettingDraft(biz.tee, biz.sh, min_qty=5, max_qty=30)])
    assert replenishment.suggestions(session, admin) == []  # 10 on hand, minimum 5
    line = OrderLineDraft("TEE-1", 5, Decimal("59.00"), Decimal("295.00"))
    kit = OrderLineDraft("KIT-1", 1, Decimal("129.00"), Decimal("129.00"))  # two tees and a mug
    import_order_drafts(
        session,
        admin,
        [
            OrderDraft(
                biz.shop,
                "W1",
                "paid",
                dt.datetime(2026, 11, 2, 2, tzinfo=dt.UTC),
                "CNY",
                (line, kit),
                Decimal("424.00"),
                Decimal("424.00"),
                paid_amount=Decimal("424.00"),
                region="上海",
                receiver_name="张三",
                address="上海市人民路1号",
            )
        ],
    )
    purchaser = actor_with_role("purchaser")
    assert unreserved_demand(session, purchaser) == {(biz.tee, biz.sh): 7, (biz.mug, biz.sh): 1}
    (tee,) = replenishment.suggestions(session, purchaser)
    assert (tee.sku, tee.projected, tee.quantity) == ("TEE-1", 3, 27)  # 10 − 7 waiting: up to 30
