"""After-sales: refunds, with or without goods coming back to stock (planned by
:mod:`ecerp_core.orders.returns`), in full or in part."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date, get_company
from ecerp_core.catalog.models import Product, Warehouse
from ecerp_core.catalog.products import vat_rates
from ecerp_core.db import among, for_update, utcnow
from ecerp_core.errors import Problem, ValidationError, problem
from ecerp_core.events import SaleRefunded, emit
from ecerp_core.money import round_money
from ecerp_core.orders import rules, workflow
from ecerp_core.orders.models import STOCK_SOURCE, Order, OrderRefund
from ecerp_core.orders.returns import (
    AFTER_SHIPPING,
    BEFORE_SHIPPING,
    CONDITIONS,
    ZERO,
    RefundDraft,
    ReturnPlan,
    plan_returns,
    return_goods,
    returned_goods,
)
from ecerp_core.orders.vat import order_lines, sale_vat, vat_inside
from ecerp_core.orders.workflow import Happened
from ecerp_core.stock import services as stock
from ecerp_core.stock.models import StockMove


def refund_orders(session: Session, actor: Actor, refunds: Sequence[RefundDraft]) -> list[int]:
    """Record refunds (and returns); returns the ids of the refund rows. All or nothing.

    An order whose refunds reach what was paid becomes ``refunded``; a partial refund after shipping
    leaves the status alone. Refunds of one order add up: a refund above what is left to refund,
    goods beyond what shipped less what came back, a SKU not on the order are named problems and
    nothing is written. Emits one :class:`~ecerp_core.events.SaleRefunded` per refund in the
    transaction, carrying each returned product's quantity and cost.

    After shipping, ``RefundDraft(order_id, returns=(("TEE-1", 2),))`` brings back two T-shirts
    and, without an amount, refunds what they were paid; before it, goods cannot come back:

    >>> from ecerp_core.orders.queries import order_ids_by_number
    >>> [order_id] = order_ids_by_number(session, clerk, ["TB1001"])
    >>> refund_orders(session, clerk, [RefundDraft(order_id, returns=(("TEE-1", 1),))])
    Traceback (most recent call last):
    ecerp_core.errors.ValidationError: ...order TB1001 has not shipped: only a full refund without return...
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
            Order.goods_amount,
            Order.discount_amount,
            Order.tax_amount,
            Order.tax_included,
            Order.total_amount,
            Order.shipping_amount,
            Order.adjustment_amount,
        )
        .where(among(session, Order.id, ids))
        .order_by(Order.id)
    )
    orders = {o.id: o for o in session.connection().execute(for_update(stmt, session))}
    now = utcnow()
    today = business_date(session, now)
    found = _check_drafts(session, orders, refunds, today)
    plans = plan_returns(session, orders, refunds, found)
    amounts: list[Decimal] = []
    wrong = {p.line for p in found}
    for n, r in enumerate(refunds, start=1):
        order = orders.get(r.order_id)
        if order is None or n in wrong:  # its amount follows from what is wrong already
            amounts.append(ZERO)
            continue
        amount = _amount(order, r, plans[n - 1])
        amounts.append(amount)
        found += [p.at_line(n) for p in _amount_problems(order, amount)]
    if found:
        raise ValidationError(found)
    unshipped = [r.order_id for r in refunds if orders[r.order_id].status in BEFORE_SHIPPING]
    if unshipped:
        stock.release(session, actor, STOCK_SOURCE, unshipped)
    days = [r.business_date or today for r in refunds]
    company_rate = get_company(session).vat_rate
    taxes = [
        _refund_vat(session, orders[r.order_id], r, amount, plan, company_rate)
        for r, amount, plan in zip(refunds, amounts, plans, strict=True)
    ]
    rows = [
        {
            "order_id": r.order_id,
            "amount": amount,
            "tax_amount": tax,
            "currency": orders[r.order_id].currency,
            "with_return": bool(plan and plan.goods),
            "reason": r.reason,
            "business_date": day,
            "at": now,
            "actor_id": actor.id,
        }
        for r, amount, plan, day, tax in zip(refunds, amounts, plans, days, taxes, strict=True)
    ]
    table = OrderRefund.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    refund_ids = session.connection().execute(stmt, rows).scalars().all()
    return_goods(session, actor, refunds, plans, days, [f"refund #{rid}" for rid in refund_ids])
    orders_table = Order.__table__
    session.connection().execute(
        update(orders_table)
        .where(orders_table.c.id == bindparam("oid"))
        .values(refunded_amount=orders_table.c.refunded_amount + bindparam("amt"), updated_at=now),
        [{"oid": r.order_id, "amt": amount} for r, amount in zip(refunds, amounts, strict=True)],
    )
    full = [
        r
        for r, amount in zip(refunds, amounts, strict=True)
        if orders[r.order_id].refunded_amount + amount == orders[r.order_id].paid_amount
    ]
    partial = [(r, a) for r, a in zip(refunds, amounts, strict=True) if r not in full]
    changes = [workflow.Change(r.order_id, orders[r.order_id].status, {"closed_at": now}) for r in full]
    workflow.move(session, actor, changes, "refunded", "refund")
    if partial:
        workflow.record(
            session,
            actor,
            [Happened(r.order_id, orders[r.order_id].status, "refund", str(a)) for r, a in partial],
        )
    audit.record_many(
        session,
        actor,
        "refund",
        "sales_order_refund",
        [
            (
                rid,
                {
                    "order_id": r.order_id,
                    "amount": amount,
                    "returns": [[sku, qty] for sku, qty in r.returns] or r.with_return,
                    "condition": r.condition,
                    "business_date": day,
                },
            )
            for r, rid, amount, day in zip(refunds, refund_ids, amounts, days, strict=True)
        ],
    )
    events = [
        _refunded_event(orders[r.order_id], r, rid, amount, plan, day, tax)
        for r, rid, amount, plan, day, tax in zip(
            refunds, refund_ids, amounts, plans, days, taxes, strict=True
        )
    ]
    emit(session, actor, events)
    return list(refund_ids)


def _check_drafts(
    session: Session, orders: Mapping[int, object], refunds: Sequence[RefundDraft], today: dt.date
) -> list[Problem]:
    """What is wrong with the drafts apart from their amounts and goods."""
    found, seen = [], set()
    warehouses = {r.warehouse_id for r in refunds if r.warehouse_id is not None}
    known = (
        set(session.scalars(select(Warehouse.id).where(Warehouse.id.in_(warehouses))))
        if warehouses
        else set()
    )
    for n, r in enumerate(refunds, start=1):
        order = orders.get(r.order_id)
        if order is None:
            found.append(problem("order", "unknown_ref", value=r.order_id).at_line(n))
            continue
        if r.order_id in seen:
            found.append(problem("order", "duplicate", value=order.platform_order_id).at_line(n))
        seen.add(r.order_id)
        if r.condition not in CONDITIONS:
            found.append(
                problem(
                    "condition", "not_a_choice", value=r.condition, choices=", ".join(CONDITIONS)
                ).at_line(n)
            )
        if r.warehouse_id is not None and r.warehouse_id not in known:
            found.append(problem("warehouse", "unknown_ref", value=r.warehouse_id).at_line(n))
        if r.business_date is not None and r.business_date > today:
            found.append(
                problem("business_date", "above_maximum", value=r.business_date, max=today).at_line(n)
            )
        if order.status not in BEFORE_SHIPPING + AFTER_SHIPPING:
            p = workflow.ORDER.problem(order.platform_order_id, order.status, "refunded")
            found.append((p or problem("status", "not_refundable", value=order.platform_order_id)).at_line(n))
        elif order.status in BEFORE_SHIPPING and (r.with_return or r.returns):
            found.append(
                problem("amount", "full_refund_before_shipping", value=order.platform_order_id).at_line(n)
            )
    return found


def _amount(order, r: RefundDraft, plan: ReturnPlan | None) -> Decimal:
    """The draft's amount, or by default what the returned lines were paid, else all that is left."""
    left = order.paid_amount - order.refunded_amount
    if r.amount is not None:
        return r.amount
    if plan is not None and r.returns:
        value = rules.returned_value(
            plan.lines_value,
            order.goods_amount,
            order.discount_amount,
            order.tax_amount,
            order.tax_included,
            order.currency,
        )
        return min(value, left)
    return left


def _amount_problems(order, amount: Decimal) -> list[Problem]:
    left = order.paid_amount - order.refunded_amount
    if not isinstance(amount, Decimal) or amount <= 0 or round_money(amount, order.currency) != amount:
        return [problem("amount", "below_minimum", value=amount, min="0.01")]
    if amount > left:
        return [problem("amount", "above_maximum", value=amount, max=left)]
    if order.status in BEFORE_SHIPPING and amount != order.paid_amount:
        return [problem("amount", "full_refund_before_shipping", value=order.platform_order_id)]
    return []


def _refund_vat(
    session: Session, order, r: RefundDraft, amount: Decimal, plan: ReturnPlan | None, company_rate: Decimal
) -> Decimal | None:
    """The tax a refund gives back: its share of the platform's tax figure where the sale booked one;
    else, when the order's goods are at several VAT rates (:mod:`ecerp_core.orders.vat`), the VAT
    inside the amount at the rates of the lines coming back, or without lines its share of what is
    left of the VAT the sale booked, the order's last refund all of it; else None (finance splits
    the refund at the company's rate)."""
    if order.tax_amount:
        return rules.refund_tax(
            order.tax_amount, order.total_amount, order.refunded_amount, amount, order.currency
        )
    if order.status in BEFORE_SHIPPING:
        return None  # nothing was booked
    goods, shipping, _ = rules.sale_at_shipping(
        order.goods_amount,
        order.shipping_amount,
        order.discount_amount,
        ZERO,
        order.tax_included,
        order.adjustment_amount,
        ZERO,
        order.currency,
    )
    lines = order_lines(session, [order.id]).get(order.id, [])
    vat = sale_vat(session, order.platform, lines, goods, shipping, company_rate, order.currency)
    if vat is None:
        return None
    given = session.scalar(
        select(func.coalesce(func.sum(OrderRefund.tax_amount), 0)).where(OrderRefund.order_id == order.id)
    )
    left = order.paid_amount - order.refunded_amount
    if amount == left:
        return vat - given
    if plan is not None and plan.lines:
        rates = vat_rates(session, [p for p, _ in plan.lines], company_rate)
        return vat_inside(plan.lines, amount, ZERO, rates, company_rate, order.currency)
    return round_money((vat - given) * amount / left, order.currency)


def _refunded_event(
    order,
    r: RefundDraft,
    refund_id: int,
    amount: Decimal,
    plan: ReturnPlan | None,
    day: dt.date,
    tax: Decimal | None,
) -> SaleRefunded:
    damaged = r.condition == "damaged"
    goods, cost = returned_goods(plan, r.condition)
    return SaleRefunded(
        source_type="sales_order_refund",
        source_id=refund_id,
        business_date=day,
        key=f"sales_order_refund:{refund_id}:refunded",
        order_id=r.order_id,
        shop_id=order.shop_id,
        platform=order.platform,
        currency=order.currency,
        refund_amount=amount,
        tax_amount=tax,
        returned=bool(goods),
        cost_base=ZERO if damaged else cost,
        damaged_cost_base=cost if damaged else ZERO,
        warehouse_id=goods[0].warehouse_id if goods else None,
        returns=goods,
    )


def refund_details(session: Session, actor: Actor, refund_ids: Sequence[int]) -> list[dict]:
    """What refunds gave back and took back, for the CLI and the desk: per refund its order, amount,
    date, the order's status and refunded total now, and ``returns`` (SKU, quantity, unit cost,
    warehouse code, condition) as the stock moves recorded them."""
    require(actor, "orders.read")
    ids = sorted(set(refund_ids))
    if not ids:
        return []
    stmt = (
        select(
            OrderRefund.id,
            OrderRefund.amount,
            OrderRefund.currency,
            OrderRefund.business_date,
            OrderRefund.reason,
            Order.platform_order_id,
            Order.status,
            Order.refunded_amount,
            Order.paid_amount,
        )
        .join(Order, Order.id == OrderRefund.order_id)
        .where(among(session, OrderRefund.id, ids))
        .order_by(OrderRefund.id)
    )
    out = {
        r.id: {
            "refund": r.id,
            "order": r.platform_order_id,
            "amount": r.amount,
            "currency": r.currency,
            "date": r.business_date,
            "reason": r.reason,
            "status": r.status,
            "refunded": r.refunded_amount,
            "left": r.paid_amount - r.refunded_amount,
            "returns": [],
        }
        for r in session.execute(stmt)
    }
    notes = {f"refund #{i}": i for i in out}
    rows = session.execute(
        select(StockMove.note, Product.sku, StockMove.quantity, StockMove.unit_cost, Warehouse.code)
        .join(Product, Product.id == StockMove.product_id)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .where(
            StockMove.source_type == STOCK_SOURCE,
            among(session, StockMove.note, [*notes, *(f"{n} damaged" for n in notes)]),
        )
        .order_by(StockMove.id)
    ).all()
    damaged = {r.note.removesuffix(" damaged") for r in rows if r.note.endswith(" damaged")}
    for r in rows:
        if r.note in notes:
            out[notes[r.note]]["returns"].append(
                {
                    "sku": r.sku,
                    "quantity": r.quantity,
                    "unit_cost": r.unit_cost,
                    "warehouse": r.code,
                    "condition": "damaged" if r.note in damaged else "sellable",
                }
            )
    return list(out.values())
