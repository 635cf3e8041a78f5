"""After-sales: refunds, with or without the goods coming back to stock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date
from ecerp_core.db import for_update, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.events import SaleRefunded, emit
from ecerp_core.money import round_money
from ecerp_core.orders import rules, workflow
from ecerp_core.orders.models import STOCK_SOURCE, Order, OrderRefund
from ecerp_core.orders.workflow import Happened
from ecerp_core.stock import services as stock

BEFORE_SHIPPING = ("paid", "approved")
AFTER_SHIPPING = ("shipped", "finished")


@dataclass(frozen=True)
class RefundDraft:
    """Give ``amount`` (order currency) back on an order.

    with_return: the goods came back; everything shipped is returned at the cost it left with, to
    ``warehouse_id`` (default: the warehouse it left from), as ``condition`` ``sellable`` or
    ``damaged`` (damaged goods are written off again at once, so they never become available).
    Before shipping only a full refund is possible (the order is refunded and its reservation
    released).
    """

    order_id: int
    amount: Decimal
    with_return: bool = False
    reason: str = ""
    warehouse_id: int | None = None
    condition: str = "sellable"


def refund_orders(session: Session, actor: Actor, refunds: Sequence[RefundDraft]) -> list[int]:
    """Record refunds (and returns); returns the ids of the refund rows. All or nothing.

    An order whose refunds reach what was paid becomes ``refunded``; a partial refund after shipping
    leaves the status alone. Emits one :class:`~ecerp_core.events.SaleRefunded` per refund in the
    transaction.
    """
    require(actor, "orders.aftersales")
    ids = sorted({r.order_id for r in refunds})
    stmt = (
        select(
            Order.id,
            Order.platform_order_id,
            Order.status,
            Order.currency,
            Order.paid_amount,
            Order.refunded_amount,
            Order.shop_id,
            Order.platform,
            Order.tax_amount,
            Order.total_amount,
        )
        .where(Order.id.in_(ids))
        .order_by(Order.id)
    )
    orders = {o.id: o for o in session.connection().execute(for_update(stmt, session))}
    found, seen = [], set()
    for n, r in enumerate(refunds, start=1):
        order = orders.get(r.order_id)
        if order is None:
            found.append(problem("order", "unknown_ref", value=r.order_id).at_line(n))
            continue
        if r.order_id in seen:
            found.append(problem("order", "duplicate", value=order.platform_order_id).at_line(n))
        seen.add(r.order_id)
        left = order.paid_amount - order.refunded_amount
        if (
            not isinstance(r.amount, Decimal)
            or r.amount <= 0
            or round_money(r.amount, order.currency) != r.amount
        ):
            found.append(problem("amount", "below_minimum", value=r.amount, min="0.01").at_line(n))
        elif r.amount > left:
            found.append(problem("amount", "above_maximum", value=r.amount, max=left).at_line(n))
        elif order.status in BEFORE_SHIPPING and (r.amount != order.paid_amount or r.with_return):
            found.append(
                problem("amount", "full_refund_before_shipping", value=order.platform_order_id).at_line(n)
            )
        elif order.status not in BEFORE_SHIPPING + AFTER_SHIPPING:
            p = workflow.ORDER.problem(order.platform_order_id, order.status, "refunded")
            found.append((p or problem("status", "not_refundable", value=order.platform_order_id)).at_line(n))
    if found:
        raise ValidationError(found)
    now = utcnow()
    today = business_date(session, now)
    unshipped = [r.order_id for r in refunds if orders[r.order_id].status in BEFORE_SHIPPING]
    if unshipped:
        stock.release(session, actor, STOCK_SOURCE, unshipped)
    moves = _return_moves(session, actor, [r for r in refunds if r.with_return])
    rows = [
        {
            "order_id": r.order_id,
            "amount": r.amount,
            "currency": orders[r.order_id].currency,
            "with_return": r.with_return,
            "reason": r.reason,
            "business_date": today,
            "at": now,
            "actor_id": actor.id,
        }
        for r in refunds
    ]
    table = OrderRefund.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    refund_ids = session.connection().execute(stmt, rows).scalars().all()
    orders_table = Order.__table__
    session.connection().execute(
        update(orders_table)
        .where(orders_table.c.id == bindparam("oid"))
        .values(refunded_amount=orders_table.c.refunded_amount + bindparam("amt"), updated_at=now),
        [{"oid": r.order_id, "amt": r.amount} for r in refunds],
    )
    full = [
        r for r in refunds if orders[r.order_id].refunded_amount + r.amount == orders[r.order_id].paid_amount
    ]
    partial = [r for r in refunds if r not in full]
    changes = [workflow.Change(r.order_id, orders[r.order_id].status, {"closed_at": now}) for r in full]
    workflow.move(session, actor, changes, "refunded", "refund")
    if partial:
        workflow.record(
            session,
            actor,
            [Happened(r.order_id, orders[r.order_id].status, "refund", str(r.amount)) for r in partial],
        )
        audit.record_many(
            session,
            actor,
            "refund",
            "sales_order",
            [(r.order_id, {"amount": r.amount, "with_return": r.with_return}) for r in partial],
        )
    cost: dict[tuple[int, str], Decimal] = {}
    for m in moves:
        kind = "damaged" if m["move_type"] != "return" else "sellable"
        key = (m["source_id"], kind)
        cost[key] = cost.get(key, Decimal(0)) + abs(m["quantity"]) * m["unit_cost"]
    events = []
    for r, rid in zip(refunds, refund_ids, strict=True):
        order = orders[r.order_id]
        damaged = cost.get((r.order_id, "damaged"), Decimal(0)) if r.with_return else Decimal(0)
        sellable = cost.get((r.order_id, "sellable"), Decimal(0)) - damaged if r.with_return else Decimal(0)
        # the sale booked the platform's tax figure where the order has one: the refund gives its share back
        tax = (
            rules.refund_tax(
                order.tax_amount, order.total_amount, order.refunded_amount, r.amount, order.currency
            )
            if order.tax_amount
            else None
        )
        events.append(
            SaleRefunded(
                source_type="sales_order_refund",
                source_id=rid,
                business_date=today,
                key=f"sales_order_refund:{rid}:refunded",
                order_id=r.order_id,
                shop_id=order.shop_id,
                platform=order.platform,
                currency=order.currency,
                refund_amount=r.amount,
                tax_amount=tax,
                returned=r.with_return,
                cost_base=sellable,
                damaged_cost_base=damaged,
            )
        )
    emit(session, actor, events)
    return list(refund_ids)


def _return_moves(session: Session, actor: Actor, refunds: Sequence[RefundDraft]) -> list[dict]:
    """Put back what these orders shipped, each unit at the cost it left with (damaged: written off)."""
    if not refunds:
        return []
    by_order = {r.order_id: r for r in refunds}
    drafts = []
    for m in stock.document_moves(session, STOCK_SOURCE, by_order, "shipment"):
        r = by_order[m.source_id]
        back_to = r.warehouse_id or m.warehouse_id
        drafts.append(
            stock.MoveDraft(
                m.product_id,
                back_to,
                -m.quantity,
                "return",
                unit_cost=m.unit_cost,
                source_type=STOCK_SOURCE,
                source_id=m.source_id,
            )
        )
        if r.condition == "damaged":
            drafts.append(
                stock.MoveDraft(
                    m.product_id,
                    back_to,
                    m.quantity,
                    "adjustment",
                    unit_cost=m.unit_cost,
                    source_type=STOCK_SOURCE,
                    source_id=m.source_id,
                    note="damaged return",
                )
            )
    return stock.record_moves(session, actor, drafts) if drafts else []
