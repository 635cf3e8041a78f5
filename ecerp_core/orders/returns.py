"""What comes back from a buyer: each unit of a return at the cost it left with on the shipment.

A refund with goods (:mod:`ecerp_core.orders.aftersales`) and an exchange (:mod:`ecerp_core.orders.cases`)
both plan here what comes back — the SKUs and quantities asked for, as the stocked products they are
(a bundle as its components), no more than shipped less what came back before — and put it back
into stock; finance hears of it as :class:`~ecerp_core.events.ReturnedGoods` in the refund event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor
from ecerp_core.catalog.models import Product
from ecerp_core.catalog.products import expand_lines
from ecerp_core.db import among
from ecerp_core.errors import Problem, problem
from ecerp_core.events import ReturnedGoods
from ecerp_core.orders.models import STOCK_SOURCE, OrderLine
from ecerp_core.stock import services as stock

BEFORE_SHIPPING = ("paid", "approved")
AFTER_SHIPPING = ("shipped", "finished")
CONDITIONS = ("sellable", "damaged")
ZERO = Decimal("0")


@dataclass(frozen=True)
class RefundDraft:
    """Give money back on an order, with or without goods coming back.

    amount: in the order's currency; None: what the buyer paid for the ``returns`` (their lines'
    share of the goods, see :func:`~ecerp_core.orders.rules.returned_value`), or everything still
    refundable when nothing comes back line by line.
    returns: ``(sku, quantity)`` of the order's lines that come back (a bundle brings back its
    components). Each unit comes back at the cost it left with on the shipment (the oldest shipped
    first, less what came back before), to ``warehouse_id`` (default: the warehouse it left from),
    as ``condition`` ``sellable`` or ``damaged``: damaged goods are written off again at once (an
    ``adjustment`` out, their cost to 营业外支出), so they are on the ledger but never available.
    with_return: without ``returns``, everything shipped and not yet back comes back.
    business_date: the refund's accounting date (default: today); a closed period refuses it.
    Before shipping only a full refund without goods is possible (the reservation is released).
    """

    order_id: int
    amount: Decimal | None = None
    with_return: bool = False
    reason: str = ""
    warehouse_id: int | None = None
    condition: str = "sellable"
    returns: tuple[tuple[str, int], ...] = ()
    business_date: dt.date | None = None


@dataclass(frozen=True)
class Back:
    """Units of one stocked product coming back, at the cost they left with."""

    product_id: int
    warehouse_id: int
    quantity: int
    unit_cost: Decimal


@dataclass
class ReturnPlan:
    """What one refund brings back: ``goods``, the value of the lines they belong to, and those
    lines' part as ``(product_id, value)`` (for their VAT rates)."""

    goods: list[Back] = field(default_factory=list)
    lines_value: Decimal = ZERO
    lines: list[tuple[int, Decimal]] = field(default_factory=list)


def plan_returns(
    session: Session,
    orders: Mapping[int, object],
    refunds: Sequence[RefundDraft],
    found: list[Problem] | None = None,
) -> list[ReturnPlan | None]:
    """What each refund brings back (None: no goods), each unit at the cost it left with.

    Reads what the orders shipped and what came back already (returns and exchanges), so repeated
    partial returns add up. Problems (a SKU not on the order, more back than shipped less returned,
    a quantity that is not a whole number above 0) are appended to ``found`` with the refund's line.
    """
    found = [] if found is None else found
    wanted = {
        n
        for n, r in enumerate(refunds, start=1)
        if (r.returns or r.with_return)
        and r.order_id in orders
        and orders[r.order_id].status in AFTER_SHIPPING
    }
    if not wanted:
        return [None] * len(refunds)
    ids = {refunds[n - 1].order_id for n in wanted}
    pools: dict[tuple[int, int], list[list]] = {}
    for m in stock.document_moves(session, STOCK_SOURCE, ids, "shipment"):
        pools.setdefault((m.source_id, m.product_id), []).append([-m.quantity, m.unit_cost, m.warehouse_id])
    for m in stock.document_moves(session, STOCK_SOURCE, ids, "return"):
        _take(pools.get((m.source_id, m.product_id), []), m.quantity)
    lines = session.execute(
        select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity, OrderLine.amount, Product.sku)
        .join(Product, Product.id == OrderLine.product_id)
        .where(among(session, OrderLine.order_id, sorted(ids)))
    ).all()
    sold: dict[tuple[int, str], list] = {}  # (order, sku) -> [product, quantity, amount]
    for x in lines:
        entry = sold.setdefault((x.order_id, x.sku), [x.product_id, 0, ZERO])
        entry[1] += x.quantity
        entry[2] += x.amount
    plans: list[ReturnPlan | None] = []
    for n, r in enumerate(refunds, start=1):
        if n not in wanted:
            plans.append(None)
            continue
        plan = ReturnPlan()
        order = orders[r.order_id]
        if not r.returns:
            for (oid, product), pool in sorted(pools.items()):
                if oid == r.order_id:
                    plan.goods += _take(pool, sum(q for q, _, _ in pool), product, r.warehouse_id)
            plans.append(plan)
            continue
        asked = [(sku, qty, sold.get((r.order_id, sku))) for sku, qty in r.returns]
        products = [entry[0] for _, qty, entry in asked if entry and _whole(qty)]
        parts = iter(expand_lines(session, [(p, 1) for p in products]))
        for sku, qty, entry in asked:
            if not _whole(qty):
                found.append(problem("quantity", "not_positive", value=f"{sku}={qty}").at_line(n))
                continue
            if entry is None:
                found.append(
                    problem("sku", "not_on_sales_order", value=sku, order=order.platform_order_id).at_line(n)
                )
                continue
            product, sold_qty, sold_amount = entry
            per_unit = next(parts)
            room = min(sum(q for q, _, _ in pools.get((r.order_id, c), [])) // per for c, per in per_unit)
            if qty > room:
                found.append(
                    problem("quantity", "return_above_shipped", value=sku, quantity=qty, max=room).at_line(n)
                )
                continue
            for c, per in per_unit:
                plan.goods += _take(pools[(r.order_id, c)], qty * per, c, r.warehouse_id)
            plan.lines_value += sold_amount * qty / sold_qty
            plan.lines.append((product, sold_amount * qty / sold_qty))
        plans.append(plan)
    return plans


def _whole(qty: object) -> bool:
    return isinstance(qty, int) and not isinstance(qty, bool) and qty > 0


def _take(
    pool: list[list], quantity: int, product_id: int = 0, warehouse_id: int | None = None
) -> list[Back]:
    """Take ``quantity`` units from a product's shipped ``[left, unit cost, warehouse]`` entries,
    oldest first; what is taken comes back to ``warehouse_id`` or the warehouse it left from."""
    taken = []
    for entry in pool:
        if quantity <= 0:
            break
        n = min(entry[0], quantity)
        if n > 0:
            entry[0] -= n
            quantity -= n
            taken.append(Back(product_id, warehouse_id or entry[2], n, entry[1]))
    return taken


def return_goods(
    session: Session,
    actor: Actor,
    refunds: Sequence[RefundDraft],
    plans: Sequence[ReturnPlan | None],
    days: Sequence[dt.date],
    notes: Sequence[str],
) -> list[dict]:
    """Put the planned goods back into stock, each at the cost it left with (damaged: written off at
    once), the moves noted with what brought them (``refund #12``); returns the moves written."""
    drafts = []
    for r, plan, day, note in zip(refunds, plans, days, notes, strict=True):
        for g in plan.goods if plan else ():
            where = {"source_type": STOCK_SOURCE, "source_id": r.order_id, "business_date": day}
            drafts.append(
                stock.MoveDraft(
                    g.product_id, g.warehouse_id, g.quantity, "return", g.unit_cost, note=note, **where
                )
            )
            if r.condition == "damaged":
                drafts.append(
                    stock.MoveDraft(
                        g.product_id,
                        g.warehouse_id,
                        -g.quantity,
                        "adjustment",
                        g.unit_cost,
                        note=f"{note} damaged",
                        **where,
                    )
                )
    return stock.record_moves(session, actor, drafts) if drafts else []


def returned_goods(plan: ReturnPlan | None, condition: str) -> tuple[tuple[ReturnedGoods, ...], Decimal]:
    """The goods of ``plan`` as finance hears of them, and their cost."""
    goods = tuple(
        ReturnedGoods(
            product_id=g.product_id,
            warehouse_id=g.warehouse_id,
            quantity=g.quantity,
            unit_cost=g.unit_cost,
            damaged=condition == "damaged",
        )
        for g in (plan.goods if plan else ())
    )
    return goods, sum((g.cost for g in goods), ZERO)
