"""After-sales cases (售后单): refund only, return and refund, exchange, reship — a state machine
with the platforms' refund states mapped onto it.

``requested -> approved -> [waiting_return -> received ->] done``; any open case may be
``rejected``; a platform closing the dispute closes the case. Money goes back through
:func:`ecerp_core.orders.aftersales.refund_orders` (which emits ``sale.refunded``); goods come
back to a chosen warehouse as sellable or damaged; exchange and reship create a new zero-priced
order that runs through the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.db import utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders.models import AfterSale, Order, OrderEvent, OrderLine

KINDS = ("refund_only", "return_refund", "exchange", "reship")
CASE_STATUSES = ("requested", "approved", "waiting_return", "received", "done", "rejected", "closed")
CASE_TRANSITIONS = frozenset({
    ("requested", "approved"), ("requested", "rejected"), ("requested", "closed"),
    ("approved", "waiting_return"), ("approved", "done"), ("approved", "closed"), ("approved", "rejected"),
    ("waiting_return", "received"), ("waiting_return", "closed"), ("waiting_return", "rejected"),
    ("received", "done"), ("received", "rejected"),
})  # fmt: skip
PLATFORM_STATES = {
    # Taobao / TOP refund_status
    "WAIT_SELLER_AGREE": "requested", "WAIT_BUYER_RETURN_GOODS": "waiting_return",
    "WAIT_SELLER_CONFIRM_GOODS": "received", "SELLER_REFUSE_BUYER": "rejected", "CLOSED": "closed", "SUCCESS": "done",
    # Pinduoduo refund_status / 售后状态
    "售后处理中": "requested", "退款中": "approved", "退款成功": "done", "无售后或售后取消": "closed",
    # Shopify financial status / WooCommerce
    "partially_refunded": "done", "refunded": "done",
}  # fmt: skip
"""A platform's refund state -> our case status."""


def case_actions(kind: str, status: str) -> list[str]:
    """What a clerk may do next with a case (the After-sales tab's buttons).

    ``approve`` also asks for the goods back on returns and exchanges; ``complete`` refunds
    (refund kinds) or sends the goods again (exchange, reship).

    >>> case_actions("return_refund", "requested")
    ['approve', 'reject', 'close']
    >>> case_actions("exchange", "waiting_return")
    ['receive', 'close']
    """
    returns = kind in ("return_refund", "exchange")
    return {
        "requested": ["approve", "reject", "close"],
        "approved": ["receive", "close"] if returns else ["complete", "reject", "close"],
        "waiting_return": ["receive", "close"],
        "received": ["complete", "reject"],
    }.get(status, [])


def open_case(session: Session, actor: Actor, order_id: int, kind: str, *, amount: Decimal = Decimal(0),
              lines: Sequence[tuple[int, int]] = (), reason: str = "", warehouse_id: int | None = None,
              condition: str = "sellable", platform_status: str = "") -> int:  # fmt: skip
    """Open a case on a paid or shipped order; ``lines`` are ``(line_no, qty)`` coming back or resent."""
    require(actor, "orders.aftersales")
    order = session.get(Order, order_id)
    found = []
    if order is None:
        raise ValidationError([problem("order", "unknown_ref", value=order_id)])
    if kind not in KINDS:
        found.append(problem("kind", "not_a_choice", value=kind, choices=", ".join(KINDS)))
    if condition not in ("sellable", "damaged"):
        found.append(problem("condition", "not_a_choice", value=condition, choices="sellable, damaged"))
    if order.status not in ("paid", "approved", "shipped", "finished"):
        found.append(problem("status", "not_refundable", value=order.platform_order_id))
    if kind in ("refund_only", "return_refund") and not (
        Decimal(0) < amount <= order.paid_amount - order.refunded_amount
    ):
        found.append(
            problem("amount", "above_maximum", value=amount, max=order.paid_amount - order.refunded_amount)
        )
    if found:
        raise ValidationError(found)
    case = AfterSale(order_id=order_id, kind=kind, status=PLATFORM_STATES.get(platform_status, "requested"),
                     amount=amount, warehouse_id=warehouse_id, condition=condition, lines=[list(x) for x in lines],
                     platform_status=platform_status, reason=reason, actor_id=actor.id)  # fmt: skip
    session.add(case)
    session.flush()
    _event(session, actor, order, f"case:{kind}", reason)
    audit.record(
        session,
        actor,
        "open_case",
        "after_sale",
        case.id,
        {"order_id": order_id, "kind": kind, "amount": amount},
    )
    return case.id


def _move(session: Session, actor: Actor, case: AfterSale, target: str) -> None:
    if (case.status, target) not in CASE_TRANSITIONS:
        raise ValidationError([problem("status", "transition_not_allowed", order=case.id,
                                       from_status=f"case.{case.status}", to_status=f"case.{target}")])  # fmt: skip
    case.status = target
    case.updated_at = utcnow()


def advance_case(session: Session, actor: Actor, case_id: int, target: str, *, note: str = "") -> str:
    """Move a case along :data:`CASE_TRANSITIONS`; reaching ``done`` carries out its kind."""
    require(actor, "orders.aftersales")
    case = session.get(AfterSale, case_id)
    if case is None:
        raise ValidationError([problem("case", "unknown_ref", value=case_id)])
    if target == "done":
        _complete(session, actor, case)
    _move(session, actor, case, target)
    order = session.get(Order, case.order_id)
    _event(session, actor, order, f"case:{target}", note)
    audit.record(session, actor, target, "after_sale", case.id, {"note": note})
    session.flush()
    return case.status


def receive_return(session: Session, actor: Actor, case_id: int, *, warehouse_id: int, condition: str = "sellable",
                   note: str = "") -> str:  # fmt: skip
    """The goods of a return or exchange arrived: they go to ``warehouse_id`` as ``condition``.

    Moves the case ``waiting_return -> received``; completing it (``done``) books them there.
    """
    require(actor, "orders.aftersales")
    from ecerp_core.catalog.models import Warehouse

    case = session.get(AfterSale, case_id)
    found = []
    if case is None:
        raise ValidationError([problem("case", "unknown_ref", value=case_id)])
    if condition not in ("sellable", "damaged"):
        found.append(problem("condition", "not_a_choice", value=condition, choices="sellable, damaged"))
    if session.get(Warehouse, warehouse_id) is None:
        found.append(problem("warehouse", "unknown_ref", value=warehouse_id))
    if found:
        raise ValidationError(found)
    case.warehouse_id, case.condition = warehouse_id, condition
    return advance_case(session, actor, case_id, "received", note=note)


def sync_platform_state(session: Session, actor: Actor, case_id: int, platform_status: str) -> str:
    """Follow the platform's refund state (``SUCCESS``, ``退款成功`` ...) as far as it allows."""
    case = session.get(AfterSale, case_id)
    target = PLATFORM_STATES.get(platform_status)
    case.platform_status = platform_status
    if target and target != case.status and (case.status, target) in CASE_TRANSITIONS:
        return advance_case(session, actor, case_id, target, note=platform_status)
    return case.status


def _complete(session: Session, actor: Actor, case: AfterSale) -> None:
    from ecerp_core.orders import aftersales

    order = session.get(Order, case.order_id)
    if case.kind in ("refund_only", "return_refund"):
        shipped = order.status in ("shipped", "finished")
        with_return = case.kind == "return_refund" and shipped
        amount = case.amount if shipped else order.paid_amount - order.refunded_amount
        (rid,) = aftersales.refund_orders(session, actor, [aftersales.RefundDraft(
            order.id, amount, with_return=with_return, reason=case.reason, warehouse_id=case.warehouse_id,
            condition=case.condition)])  # fmt: skip
        case.refund_id = rid
    else:
        case.new_order_id = _resend(session, actor, order, case)


def _resend(session: Session, actor: Actor, order: Order, case: AfterSale) -> int:
    """A zero-priced paid order with the lines to send again (exchange or reship)."""
    from ecerp_core.orders.intake import OrderDraft, OrderLineDraft, import_order_drafts

    lines = {x.line_no: x for x in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))}
    wanted = [(no, qty) for no, qty in case.lines] or [(no, x.quantity) for no, x in lines.items()]
    from ecerp_core.catalog.models import Product

    wanted_ids = {lines[no].product_id for no, _ in wanted if lines[no].product_id}
    skus = dict(session.execute(select(Product.id, Product.sku).where(Product.id.in_(wanted_ids))).all())
    drafts = [OrderLineDraft(skus.get(lines[no].product_id) or lines[no].platform_sku, qty, Decimal(0), Decimal(0))
              for no, qty in wanted]  # fmt: skip
    number = f"{order.platform_order_id}#{'X' if case.kind == 'exchange' else 'R'}{case.id}"[:64]
    result = import_order_drafts(session, actor, [OrderDraft(
        order.shop_id, number, "paid", utcnow(), order.currency, tuple(drafts), Decimal(0), Decimal(0),
        buyer_id=order.buyer_id, receiver_name=order.receiver_name, receiver_phone=order.receiver_phone,
        region=order.region, city=order.city, address=order.address, country=order.country,
        note=f"{case.kind} #{case.id}")])  # fmt: skip
    oid = result.order_ids[0]
    reasons = session.connection().scalar(select(Order.exception_reason).where(Order.id == oid)).split(",")
    if "below_price_floor" in reasons:
        # a resend is zero-priced on purpose; only the other reasons (an unmapped SKU ...) hold it
        from ecerp_core.orders.review import _set_exceptions

        _set_exceptions(session, actor, {oid: [r for r in reasons if r != "below_price_floor"]}, "resend")
    if case.kind == "exchange" and order.status in ("shipped", "finished") and case.lines:
        _exchange_return(session, actor, order, case, lines)
    return oid


def _exchange_return(session: Session, actor: Actor, order: Order, case: AfterSale, lines: dict) -> None:
    """The exchanged goods come back at the cost they left with (damaged: written off at once), and
    finance hears of it as a refund of nothing with goods returned, so their cost leaves 主营业务成本."""
    from ecerp_core.business_time import business_date
    from ecerp_core.events import BusinessEvent, emit
    from ecerp_core.stock import services as stock
    from ecerp_core.stock.models import StockMove

    left_at = dict(session.execute(select(StockMove.product_id, StockMove.unit_cost).where(
        StockMove.source_type == "order", StockMove.source_id == order.id, StockMove.move_type == "shipment")).all())  # fmt: skip
    warehouse = case.warehouse_id or order.warehouse_id
    damaged = case.condition == "damaged"
    note = f"exchange #{case.id}"
    drafts = []
    for no, qty in case.lines:
        product, cost = lines[no].product_id, left_at.get(lines[no].product_id)
        drafts.append(stock.MoveDraft(product, warehouse, qty, "return", unit_cost=cost, source_type="order",
                                      source_id=order.id, note=note))  # fmt: skip
        if damaged:
            drafts.append(stock.MoveDraft(product, warehouse, -qty, "adjustment", unit_cost=cost,
                                          source_type="order", source_id=order.id, note=f"{note} damaged"))  # fmt: skip
    rows = stock.record_moves(session, actor, drafts)
    value = sum((r["quantity"] * r["unit_cost"] for r in rows if r["move_type"] == "return"), Decimal(0))
    emit(session, actor, [BusinessEvent(
        "sale.refunded", "after_sale", case.id, business_date(session), f"after_sale:{case.id}:exchange_return", {
            "order_id": order.id, "shop_id": order.shop_id, "platform": order.platform,
            "currency": order.currency, "refund_amount": Decimal(0), "returned": True,
            "cost_base": Decimal(0) if damaged else value, "damaged_cost_base": value if damaged else Decimal(0),
            "warehouse_id": warehouse})])  # fmt: skip


def _event(session: Session, actor: Actor, order: Order, event: str, note: str) -> None:
    session.execute(OrderEvent.__table__.insert().values(order_id=order.id, at=utcnow(), actor_id=actor.id,
                                                         event=event[:20], from_status=order.status,
                                                         to_status=order.status, note=note[:300]))  # fmt: skip
