"""Invariants of orders for ``ecerp check``: each returns human-readable failures."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.invariants import listed
from ecerp_core.orders.models import Order, OrderLine, OrderRefund
from ecerp_core.orders.rules import order_total
from ecerp_core.orders.workflow import STATUSES
from ecerp_core.stock.models import StockReservation


def amounts_add_up(session: Session) -> list[str]:
    """goods = Σ lines, total = goods + shipping − discount (+ tax unless included) + adjustment,
    refunded = Σ refunds ≤ paid."""
    lines = dict(
        session.execute(
            select(OrderLine.order_id, func.sum(OrderLine.amount)).group_by(OrderLine.order_id)
        ).all()
    )
    refunds = dict(
        session.execute(
            select(OrderRefund.order_id, func.sum(OrderRefund.amount)).group_by(OrderRefund.order_id)
        ).all()
    )
    failures = []
    stmt = select(
        Order.id,
        Order.platform_order_id,
        Order.goods_amount,
        Order.shipping_amount,
        Order.discount_amount,
        Order.tax_amount,
        Order.tax_included,
        Order.adjustment_amount,
        Order.total_amount,
        Order.paid_amount,
        Order.refunded_amount,
    ).order_by(Order.id)
    for row in session.execute(stmt):
        oid, number, goods, shipping, discount, tax, included, adjustment, total, paid, refunded = row
        if Decimal(lines.get(oid) or 0) != goods:
            failures.append(f"order {number}: goods {goods} but its lines add up to {lines.get(oid) or 0}")
        if order_total(goods, shipping, discount, tax, included, adjustment) != total:
            failures.append(
                f"order {number}: total {total} ≠ goods + shipping − discount + tax on top + adjustment"
            )
        if Decimal(refunds.get(oid) or 0) != refunded:
            failures.append(
                f"order {number}: refunded {refunded} but refunds add up to {refunds.get(oid) or 0}"
            )
        if refunded > paid:
            failures.append(f"order {number}: refunded {refunded} more than paid {paid}")
    return listed("order amounts", failures)


def statuses_known_and_reserved(session: Session) -> list[str]:
    """Every status is a declared one; approved orders hold a reservation, others none."""
    failures = [
        f"order {n}: unknown status {s}"
        for n, s in session.execute(
            select(Order.platform_order_id, Order.status).where(Order.status.not_in(STATUSES))
        )
    ]
    holding = set(
        session.scalars(select(StockReservation.source_id).where(StockReservation.source_type == "order"))
    )
    approved = set(session.scalars(select(Order.id).where(Order.status == "approved")))
    failures += [f"order id {i}: approved but holds no reservation" for i in sorted(approved - holding)]
    failures += [f"order id {i}: holds a reservation but is not approved" for i in sorted(holding - approved)]
    return listed("order status", failures)


STAGE = {"paid": 1, "approved": 2, "shipped": 3, "finished": 3}
"""How far an order has gone on the way out: a merged parcel's orders go that way together."""


def parcels_move_together(session: Session) -> list[str]:
    """An order merged into another is at its parcel's stage (paid, approved, shipped), unless it
    or its parcel left the way out (cancelled, refunded, closed)."""
    parcel = Order.__table__.alias("parcel")
    stmt = (
        select(Order.platform_order_id, Order.status, parcel.c.platform_order_id, parcel.c.status)
        .join(parcel, parcel.c.id == Order.merged_into_id)
        .where(Order.status.in_(tuple(STAGE)), parcel.c.status.in_(tuple(STAGE)))
        .order_by(Order.id)
    )
    failures = [
        f"order {number}: {status} but its parcel {parcel_number} is {parcel_status}"
        for number, status, parcel_number, parcel_status in session.execute(stmt)
        if STAGE[status] != STAGE[parcel_status]
    ]
    return listed("merged parcels", failures)


CHECKS = [amounts_add_up, statuses_known_and_reserved, parcels_move_together]
