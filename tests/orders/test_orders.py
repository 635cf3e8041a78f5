import datetime as dt
from decimal import Decimal

import pytest
from business_fixtures import count, stock_row
from sqlalchemy import select

from ecerp_core.audit import AuditLog
from ecerp_core.catalog import services as catalog
from ecerp_core.errors import PermissionDenied, TransitionNotAllowed, ValidationError
from ecerp_core.orders import aftersales, checks, queries, services
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import Order, OrderEvent
from ecerp_core.stock import checks as stock_checks
from ecerp_core.stock import services as stock
from ecerp_core.stock.exceptions import InsufficientStock

T0 = dt.datetime(2026, 6, 18, 2, 0, tzinfo=dt.UTC)


def draft(biz, number, *lines, status="paid", region="上海", **kw):
    """An order of ``(sku, qty, price)`` lines, paid in full."""
    ls = tuple(OrderLineDraft(sku, q, Decimal(p), Decimal(p) * q) for sku, q, p in lines)
    goods = sum((x.amount for x in ls), Decimal(0))
    return OrderDraft(
        biz.shop,
        number,
        status,
        T0,
        "CNY",
        ls,
        goods,
        goods,
        paid_amount=goods if status == "paid" else Decimal(0),
        region=region,
        **{"buyer_id": "tb_buyer", "receiver_name": "张三", "address": "上海市人民路1号", **kw},
    )


def stocked(session, admin, biz, tee=10, mug=10):
    stock.post_moves(
        session,
        admin,
        [
            stock.MoveDraft(biz.tee, biz.sh, tee, "receipt", unit_cost=Decimal("20.00")),
            stock.MoveDraft(biz.mug, biz.sh, mug, "receipt", unit_cost=Decimal("8.00")),
        ],
    )


def all_checks(session):
    return [f for c in (*checks.CHECKS, *stock_checks.CHECKS) for f in c(session)]


def test_a_day_of_work(session, admin, biz):
    """Import 3 orders, approve, ship, refund one with return; stock and amounts add up."""
    stocked(session, admin, biz)
    result = import_order_drafts(
        session,
        admin,
        [
            draft(biz, "A1", ("TEE-1", 2, "59.00")),
            draft(biz, "A2", ("KIT-1", 1, "129.00"), ("MUG-1", 1, "29.00")),
            draft(biz, "A3", ("MUG-1", 3, "29.00")),
        ],
    )
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    a1, a2, a3 = result.order_ids
    assert services.approve_orders(session, admin, [a1, a2, a3]) == [a1, a2, a3]
    assert stock_row(session, biz.tee, biz.sh) == (10, 4)
    assert stock_row(session, biz.mug, biz.sh) == (10, 5)
    moves = services.ship_orders(session, admin, [a1, a2])
    assert sum(m["quantity"] for m in moves) == -6
    assert stock_row(session, biz.tee, biz.sh) == (6, 0)
    aftersales.refund_orders(
        session, admin, [aftersales.RefundDraft(a1, Decimal("118.00"), with_return=True)]
    )
    assert stock_row(session, biz.tee, biz.sh) == (8, 0)
    services.cancel_orders(session, admin, [a3])
    assert stock_row(session, biz.mug, biz.sh) == (8, 0)
    statuses = dict(session.execute(select(Order.platform_order_id, Order.status)).all())
    assert statuses == {"A1": "refunded", "A2": "shipped", "A3": "cancelled"}
    order = session.get(Order, a1)
    assert (order.total_amount, order.refunded_amount) == (Decimal("118.00"), Decimal("118.00"))
    assert all_checks(session) == []
    events = session.scalars(
        select(OrderEvent.event).where(OrderEvent.order_id == a1).order_by(OrderEvent.id)
    )
    assert list(events) == ["import", "approve", "ship", "refund"]


def test_refunds_give_back_the_platform_tax_the_sale_booked(session, admin, biz):
    """An export order whose price holds the buyer's VAT (13.58 of 118.00, from the platform): the
    sale books that tax — a foreign tax office's, so to 222105 代收境外销售税, not 销项税额 —, and
    two refunds reaching the total take exactly it back, 5.75 + 7.83."""
    from ecerp_core.catalog import services as catalog
    from ecerp_core.finance.models import Account, JournalLine

    eu = catalog.create_shop(
        session, admin, code="EU", name="EU shop", platform="shopify", currency="CNY", default_warehouse="SH"
    )
    stocked(session, admin, biz)
    order = draft(biz, "#1001", ("TEE-1", 2, "59.00"), tax_amount=Decimal("13.58"), tax_included=True)
    order = order._replace(shop_id=eu.id, country="DE")
    [oid] = import_order_drafts(session, admin, [order]).order_ids
    services.approve_orders(session, admin, [oid])
    services.ship_orders(session, admin, [oid])
    aftersales.refund_orders(session, admin, [aftersales.RefundDraft(oid, Decimal("50.00"))])
    aftersales.refund_orders(
        session, admin, [aftersales.RefundDraft(oid, Decimal("68.00"), with_return=True)]
    )

    def lines(code):
        return session.execute(
            select(JournalLine.debit, JournalLine.credit)
            .join(Account)
            .where(Account.code == code)
            .order_by(JournalLine.id)
        ).all()

    zero = Decimal("0.00")
    assert lines("222105") == [(zero, Decimal("13.58")), (Decimal("5.75"), zero), (Decimal("7.83"), zero)]
    assert lines("22210102") == []
    assert lines("6001") == [(zero, Decimal("104.42")), (Decimal("44.25"), zero), (Decimal("60.17"), zero)]


def test_import_is_idempotent_and_moves_forward(session, admin, biz):
    first = [draft(biz, "P1", ("TEE-1", 1, "59.00"), status="pending_payment")]
    import_order_drafts(session, admin, first)
    again = import_order_drafts(session, admin, first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    paid = [draft(biz, "P1", ("TEE-1", 1, "59.00"), paid_at=T0)]
    assert import_order_drafts(session, admin, paid).updated == 1
    assert import_order_drafts(session, admin, first).unchanged == 1  # an older export
    assert session.scalar(select(Order.status)) == "paid"
    assert count(session, Order) == 1


def test_a_bad_order_is_rejected_with_its_line_and_nothing_is_written(session, admin, biz):
    good = draft(biz, "G1", ("TEE-1", 1, "59.00"))
    bad = OrderDraft(
        biz.shop,
        "B1",
        "paid",
        T0,
        "CNY",
        (OrderLineDraft("NOPE", 1, Decimal("5.00"), Decimal("6.00")),),
        Decimal("6.00"),
        Decimal("6.00"),
        paid_amount=Decimal("6.00"),
        line=7,
    )
    before = count(session, AuditLog)
    with pytest.raises(ValidationError) as err:
        import_order_drafts(session, admin, [good, bad])
    assert {p.line for p in err.value.problems} == {7}
    assert {p.code for p in err.value.problems} == {"problem.line_amount_mismatch"}
    assert count(session, Order) == 0 and count(session, AuditLog) == before
    lenient = import_order_drafts(session, admin, [good, bad], strict=False)
    assert lenient.created == 1 and lenient.order_ids[1] is None and lenient.rejected


def test_shortage_raises_or_skips(session, admin, biz):
    stocked(session, admin, biz, tee=2, mug=1)
    ids = import_order_drafts(
        session, admin, [draft(biz, "S1", ("TEE-1", 2, "59.00")), draft(biz, "S2", ("TEE-1", 1, "59.00"))]
    ).order_ids
    with pytest.raises(InsufficientStock):
        services.approve_orders(session, admin, [ids[1], ids[0]])
    assert stock_row(session, biz.tee, biz.sh) == (2, 0)
    assert services.approve_orders(session, admin, list(ids), on_short="skip") == [ids[0]]
    assert session.get(Order, ids[1]).status == "paid"


def test_workflow_is_enforced(session, admin, biz):
    stocked(session, admin, biz)
    (oid,) = import_order_drafts(session, admin, [draft(biz, "W1", ("MUG-1", 1, "29.00"))]).order_ids
    with pytest.raises(TransitionNotAllowed):
        services.ship_orders(session, admin, [oid])
    with pytest.raises(ValidationError):
        aftersales.refund_orders(session, admin, [aftersales.RefundDraft(oid, Decimal("10.00"))])


def test_roles_are_enforced_and_every_write_is_audited(session, admin, biz, actor_with_role):
    stocked(session, admin, biz)
    analyst, clerk = actor_with_role("analyst"), actor_with_role("order_clerk")
    with pytest.raises(PermissionDenied):
        import_order_drafts(session, analyst, [draft(biz, "R1", ("MUG-1", 1, "29.00"))])
    assert count(session, Order) == 0
    (oid,) = import_order_drafts(session, clerk, [draft(biz, "R1", ("MUG-1", 1, "29.00"))]).order_ids
    with pytest.raises(PermissionDenied):
        services.approve_orders(session, analyst, [oid])
    services.approve_orders(session, clerk, [oid])
    services.ship_orders(session, clerk, [oid])
    rows = session.execute(
        select(AuditLog.action, AuditLog.actor_name)
        .where(AuditLog.entity == "sales_order")
        .order_by(AuditLog.id)
    ).all()
    assert rows == [
        ("import", "order_clerk_user"),
        ("approve", "order_clerk_user"),
        ("ship", "order_clerk_user"),
    ]


def test_orders_are_found_by_platform_number_in_one_shop_or_named_as_problems(
    session, admin, biz, actor_with_role
):
    jd = catalog.create_shop(session, admin, code="JD", name="京东店", platform="jd", default_warehouse="SH")
    b1, a1 = import_order_drafts(
        session, admin, [draft(biz, "B1", ("MUG-1", 1, "29.00")), draft(biz, "A1", ("TEE-1", 1, "59.00"))]
    ).order_ids
    in_jd = draft(biz, "A1", ("TEE-1", 1, "59.00"))._replace(shop_id=jd.id)
    (jd_a1,) = import_order_drafts(session, admin, [in_jd]).order_ids
    assert queries.order_ids_by_number(session, admin, ["B1", "A1"], shop_id=biz.shop) == [b1, a1]
    assert queries.order_ids_by_number(session, admin, ["A1"], shop_id=jd.id) == [jd_a1]
    with pytest.raises(ValidationError) as found:
        queries.order_ids_by_number(session, admin, ["A1", "B1", "Z9"])
    problems = [(p.code, p.params["value"]) for p in found.value.problems]
    assert problems == [("problem.unknown_ref", "Z9"), ("problem.ambiguous", "A1")]
    with pytest.raises(PermissionDenied):
        queries.order_ids_by_number(session, actor_with_role("purchaser"), ["B1"])


def test_a_refund_of_an_order_the_books_never_saw_shipped_books_nothing(session, admin, biz):
    """An order imported already shipped never went out through ecerp, so no sale was booked for it
    (the month-end check lists it as shipped but not posted); refunding it books nothing either,
    rather than reversing revenue that was never there."""
    from ecerp_core.finance.closing import unposted_shipments
    from ecerp_core.finance.models import PostedEvent

    shipped = draft(biz, "S1", ("MUG-1", 1, "29.00"))._replace(status="shipped", shipped_at=T0)
    (oid,) = import_order_drafts(session, admin, [shipped]).order_ids
    (refund_id,) = aftersales.refund_orders(session, admin, [aftersales.RefundDraft(oid, Decimal("10.00"))])
    posted = session.scalar(
        select(PostedEvent).where(PostedEvent.key == f"sales_order_refund:{refund_id}:refunded")
    )
    assert posted.order_id == oid and posted.entry_id is None and posted.receivable == 0
    day = T0.date()
    assert unposted_shipments(session, day.replace(day=1), day.replace(day=28)) == [oid]
