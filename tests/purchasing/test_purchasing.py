import datetime as dt
from decimal import Decimal

import pytest
from business_fixtures import count, stock_row

from ecerp_core.audit import AuditLog
from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.company import set_exchange_rates
from ecerp_core.db import frozen_clock
from ecerp_core.errors import PermissionDenied, ValidationError
from ecerp_core.purchasing import checks, services
from ecerp_core.purchasing.models import PurchaseOrder
from ecerp_core.purchasing.receipts import ReceiptDraft, receive_purchase_orders
from ecerp_core.purchasing.rules import reorder_quantity
from ecerp_core.stock.services import average_costs

NOON = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


def test_order_confirm_receive_in_two_parts(session, admin, biz):
    with frozen_clock(NOON):
        po = services.create_purchase_order(
            session,
            admin,
            services.PurchaseOrderDraft(
                biz.supplier, biz.sh, (services.PurchaseLineDraft(biz.tee, 10, Decimal("18.00")),)
            ),
        )
        services.confirm_purchase_orders(session, admin, [po])
        receive_purchase_orders(session, admin, [ReceiptDraft(po, ((biz.tee, 4),))])
        assert session.get(PurchaseOrder, po).status == "partially_received"
        receive_purchase_orders(session, admin, [ReceiptDraft(po)])
    order = session.get(PurchaseOrder, po)
    assert (order.number, order.status, order.total_amount) == (
        "PO20260302-0001",
        "received",
        Decimal("180.00"),
    )
    assert order.expected_date == dt.date(2026, 3, 7)
    assert stock_row(session, biz.tee, biz.sh) == (10, 0)
    assert average_costs(session, [biz.tee])[biz.tee] == Decimal("18.0000")
    assert checks.totals_and_receipts_add_up(session) == []
    assert {a.action for a in session.query(AuditLog).filter_by(entity="purchase_order")} == {
        "create",
        "confirm",
        "receive",
    }


def test_usd_receipt_is_costed_in_base_currency(session, admin, biz):
    usd = catalog.create_supplier(session, admin, code="S2", name="Export Co", currency="USD")
    set_exchange_rates(session, admin, [{"currency": "USD", "rate_date": "2026-03-01", "rate": "7.2"}])
    with frozen_clock(NOON):
        po = services.create_purchase_order(
            session,
            admin,
            services.PurchaseOrderDraft(
                usd.id, biz.gz, (services.PurchaseLineDraft(biz.mug, 5, Decimal("1.50")),)
            ),
        )
        services.confirm_purchase_orders(session, admin, [po])
        moves = receive_purchase_orders(session, admin, [ReceiptDraft(po)])
    assert moves[0]["unit_cost"] == Decimal("10.80")


def test_bad_input_and_forbidden_role_write_nothing(session, admin, biz, actor_with_role):
    with pytest.raises(ValidationError) as err:
        services.create_purchase_order(
            session,
            admin,
            services.PurchaseOrderDraft(
                biz.supplier, biz.sh, (services.PurchaseLineDraft(biz.kit, 0, Decimal("1.00")),)
            ),
        )
    assert {p.code for p in err.value.problems} == {"problem.not_stocked", "problem.below_minimum"}
    with pytest.raises(PermissionDenied):
        services.create_purchase_order(
            session,
            actor_with_role("analyst"),
            services.PurchaseOrderDraft(
                biz.supplier, biz.sh, (services.PurchaseLineDraft(biz.tee, 1, Decimal("1.00")),)
            ),
        )
    assert count(session, PurchaseOrder) == 0


def test_cannot_receive_a_draft_or_more_than_ordered(session, admin, biz):
    po = services.create_purchase_order(
        session,
        admin,
        services.PurchaseOrderDraft(
            biz.supplier, biz.sh, (services.PurchaseLineDraft(biz.tee, 3, Decimal("18.00")),)
        ),
    )
    with pytest.raises(ValidationError):
        receive_purchase_orders(session, admin, [ReceiptDraft(po)])
    services.confirm_purchase_orders(session, admin, [po])
    with pytest.raises(ValidationError):
        receive_purchase_orders(session, admin, [ReceiptDraft(po, ((biz.tee, 5),))])
    assert stock_row(session, biz.tee, biz.sh) == (0, 0)


def test_reorder_quantity():
    assert reorder_quantity(3, 10, 30, 50) == 50
    assert reorder_quantity(3, 10, 30, 5) == 27


def test_purchase_order_list_is_paged_filtered_and_needs_purchasing_read(
    session, admin, biz, actor_with_role
):
    line = (services.PurchaseLineDraft(biz.tee, 10, Decimal("18.00")),)
    first, second = services.create_purchase_orders(
        session, admin, [services.PurchaseOrderDraft(biz.supplier, wh, line) for wh in (biz.sh, biz.gz)]
    )
    services.confirm_purchase_orders(session, admin, [second])
    page = services.list_purchase_orders(session, admin)
    assert page.total == 2 and [r["id"] for r in page.rows] == [second, first]  # newest first
    assert [r["warehouse"] for r in services.list_purchase_orders(session, admin, sort="warehouse").rows] == [
        "GZ",
        "SH",
    ]
    confirmed = services.list_purchase_orders(session, admin, status="confirmed").rows
    assert [(r["id"], r["supplier"], r["total_amount"]) for r in confirmed] == [
        (second, "S1", Decimal("180.00"))
    ]
    with pytest.raises(PermissionDenied):
        services.list_purchase_orders(session, actor_with_role("order_clerk"))


def test_every_purchase_order_row_for_the_command_line(session, admin, biz, actor_with_role):
    line = (services.PurchaseLineDraft(biz.mug, 5, Decimal("7.00")),)
    drafts = [services.PurchaseOrderDraft(biz.supplier, wh, line) for wh in (biz.sh, biz.gz, biz.sh)]
    first, second, third = services.create_purchase_orders(session, admin, drafts)
    services.confirm_purchase_orders(session, admin, [second])
    rows = services.purchase_order_rows(session, admin)
    assert [(r["id"], r["warehouse"], r["status"]) for r in rows] == [
        (third, "SH", "draft"),
        (second, "GZ", "confirmed"),
        (first, "SH", "draft"),
    ]
    columns = {"id", "number", "supplier", "warehouse", "status", "currency", "total_amount", "expected_date"}
    assert rows[0].keys() == columns
    confirmed = services.purchase_order_rows(session, admin, status="confirmed")
    assert [(r["id"], r["total_amount"]) for r in confirmed] == [(second, Decimal("35.00"))]
    with pytest.raises(PermissionDenied):
        services.purchase_order_rows(session, actor_with_role("order_clerk"))
