"""Use cases of orders, batch-first: approve (reserve), ship, cancel, finish.

Each function takes the session and the acting user, checks the permission, checks the whole batch
before writing, and changes status through :mod:`ecerp_core.orders.workflow` (history and audit
rows come with it); none commits. Intake is :mod:`~ecerp_core.orders.intake`, after-sales
:mod:`~ecerp_core.orders.aftersales` and :mod:`~ecerp_core.orders.cases`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import document_day, get_company
from ecerp_core.db import among, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.events import SaleShipped, emit
from ecerp_core.orders import rules, workflow
from ecerp_core.orders.models import STOCK_SOURCE, Order, OrderLine
from ecerp_core.orders.skus import UNMAPPED
from ecerp_core.orders.vat import sales_vat
from ecerp_core.stock import services as stock

ZERO = Decimal("0")


def approve_orders(
    session: Session,
    actor: Actor,
    order_ids: Sequence[int],
    *,
    warehouse_id: int | None = None,
    on_short: str = "raise",
    skipped: dict[int, list[str]] | None = None,
) -> list[int]:
    """Approve paid orders and reserve their stock, in the order given (first come, first served).

    An order merged into another stands for its whole parcel. The warehouse is ``warehouse_id`` if
    given, else the one the order was routed to. With ``on_short="raise"`` a shortage raises
    :class:`~ecerp_core.stock.exceptions.InsufficientStock`, and an order that is not paid, waits
    for a reason or is on hold raises a named error; nothing is written. With ``"skip"`` those
    parcels stay as they are and the others are approved; ``skipped`` (if given) receives the
    reasons each skipped order waits for: ``out_of_stock``; its own ``status_<status>``, exception
    reasons (``unmapped_sku``...) or ``hold``; for a merged parcel ``parcel_not_ready`` (an order of
    it is not paid, waits for a reason or is on hold). Returns the approved ids.
    """
    require(actor, "orders.review")
    order_ids = workflow.with_members(session, order_ids)
    orders = workflow.load(session, order_ids)
    blocked = workflow.reasons_of(session, order_ids)
    stmt = (
        select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity, OrderLine.platform_sku)
        .where(among(session, OrderLine.order_id, sorted(orders)))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    known = Approval(orders, blocked, *split_lines(session.connection().execute(stmt).all()))
    return approve_known(
        session, actor, order_ids, known, warehouse_id=warehouse_id, on_short=on_short, skipped=skipped
    )


class Approval(NamedTuple):
    """What approving needs to know of locked orders (each parcel whole): their states, exception
    reasons, unmapped SKUs (``{order: [platform SKUs]}``) and stocked lines (``{order: [(product,
    quantity)]}`` in line order)."""

    orders: Mapping[int, workflow.OrderState]
    blocked: Mapping[int, list[str]]
    unmapped: Mapping[int, list[str]]
    lines: Mapping[int, list[tuple[int, int]]]


def split_lines(
    rows: Iterable[tuple[int, int | None, int, str]],
) -> tuple[dict[int, list[str]], dict[int, list[tuple[int, int]]]]:
    """Order lines ``(order_id, product_id, quantity, platform_sku)`` in line order, as
    :class:`Approval` takes them: each order's platform SKUs that name none of our products (nothing
    to reserve), and its stocked lines ``(product, quantity)``."""
    unmapped: dict[int, list[str]] = {}
    stocked: dict[int, list[tuple[int, int]]] = {}
    for order_id, product_id, quantity, platform_sku in rows:
        if product_id is None:
            unmapped.setdefault(order_id, []).append(platform_sku)
        else:
            stocked.setdefault(order_id, []).append((product_id, quantity))
    return unmapped, stocked


def approve_known(
    session: Session,
    actor: Actor,
    order_ids: Sequence[int],
    known: Approval,
    *,
    warehouse_id: int | None = None,
    on_short: str = "raise",
    skipped: dict[int, list[str]] | None = None,
) -> list[int]:
    """:func:`approve_orders` of whole parcels (``order_ids`` with their members, as
    :func:`~ecerp_core.orders.workflow.with_members` gives them) whose facts the caller has read,
    after locking the orders, in this transaction: a review batch reads them once for routing,
    checking and approving."""
    require(actor, "orders.review")
    orders, blocked, unmapped, lines = known
    parents = {o.id: o.merged_into_id for o in orders.values() if o.merged_into_id is not None}
    refused: dict[int, list[str]] = {}  # parcel -> why it cannot be approved
    for o in orders.values():
        why = blocked.get(o.id) or (["hold"] if o.on_hold else [])
        if o.id in unmapped and UNMAPPED not in why:
            why = [*why, UNMAPPED]
        if not workflow.ORDER.allows(o.status, "approved"):
            why = [f"status_{o.status}", *why]
        if why:
            refused.setdefault(parents.get(o.id, o.id), []).extend(why)
    if refused and on_short == "raise":
        workflow.check(orders, order_ids, "approved")
        raise ValidationError(
            [
                problem("order", "order_blocked", value=orders[p].number, reason=",".join(why))
                for p, why in refused.items()
            ]
        )
    if refused:
        order_ids = [i for i in order_ids if parents.get(i, i) not in refused]
        if skipped is not None:  # a lone order says its own reasons; a parcel that one of its orders waits
            merged = set(parents.values())
            skipped.update(
                (p, ["parcel_not_ready"] if p in merged else list(dict.fromkeys(why)))
                for p, why in refused.items()
            )
    where = {i: warehouse_id or orders.get(parents.get(i, i), orders[i]).warehouse_id for i in order_ids}
    drafts = [
        stock.ReservationDraft(product_id, where[i], quantity, STOCK_SOURCE, i)
        for i in order_ids
        for product_id, quantity in lines.get(i, ())
    ]
    # a merged group ships as one parcel: reserved whole or not at all
    served = stock.reserve(session, actor, drafts, on_short=on_short, together=parents or None)
    if skipped is not None and len(served) < len(order_ids):
        done = set(served)
        skipped.update((i, ["out_of_stock"]) for i in order_ids if i not in done and i not in parents)
    now = utcnow()
    stays = {"approved_at": now}  # the orders that keep their warehouse share it (read only)
    changes = [
        workflow.Change(
            i,
            orders[i].status,
            stays if where[i] == orders[i].warehouse_id else {"warehouse_id": where[i], "approved_at": now},
        )
        for i in served
    ]
    workflow.move(session, actor, changes, "approved", "approve")
    return served


def ship_orders(
    session: Session,
    actor: Actor,
    order_ids: Sequence[int],
    *,
    warehouse_id: int | None = None,
    note: str = "",
    day: dt.date | None = None,
) -> list[dict]:
    """Ship approved orders on ``day`` (the shipment's business date, default today): their
    reservations become shipment moves; returns the moves.

    ``warehouse_id`` (a warehouse clerk's own warehouse) refuses orders routed elsewhere. Emits one
    :class:`~ecerp_core.events.SaleShipped` per order in the same transaction.
    """
    require(actor, "orders.ship")
    day = document_day(session, day)
    order_ids = workflow.with_members(session, order_ids)
    orders = workflow.load(session, order_ids)
    workflow.check(orders, order_ids, "shipped")
    if warehouse_id is not None:
        wrong = [
            problem("warehouse", "wrong_warehouse", value=orders[i].number)
            for i in order_ids
            if orders[i].warehouse_id != warehouse_id
        ]
        if wrong:
            raise ValidationError(wrong)
    moves = stock.ship_reserved(session, actor, STOCK_SOURCE, list(order_ids), note=note, day=day)
    now = utcnow()
    changes = [workflow.Change(i, orders[i].status, {"shipped_at": now}) for i in order_ids]
    workflow.move(session, actor, changes, "shipped", "ship", note)
    _emit_shipped(session, actor, order_ids, moves, day)
    return moves


def _emit_shipped(
    session: Session, actor: Actor, order_ids: Sequence[int], moves: Sequence[dict], day: dt.date
) -> None:
    """One :class:`~ecerp_core.events.SaleShipped` per order, its cost from the shipment moves; the
    sale is what the buyer paid less what the platform refunded before it shipped (imported)."""
    cost: dict[int, Decimal] = {}
    for m in moves:
        cost[m["source_id"]] = cost.get(m["source_id"], ZERO) - m["quantity"] * m["unit_cost"]
    stmt = (
        select(
            Order.id,
            Order.shop_id,
            Order.platform,
            Order.currency,
            Order.goods_amount,
            Order.discount_amount,
            Order.shipping_amount,
            Order.tax_amount,
            Order.tax_included,
            Order.adjustment_amount,
            Order.refunded_amount,
            Order.warehouse_id,
        )
        .where(among(session, Order.id, sorted(order_ids)))
        .order_by(Order.id)
    )
    rows = session.connection().execute(stmt).all()
    # the goods as the buyer paid them: shipping goes in its own field of the event
    sold = {
        o.id: rules.sale_at_shipping(
            o.goods_amount,
            o.shipping_amount,
            o.discount_amount,
            o.tax_amount,
            o.tax_included,
            o.adjustment_amount,
            o.refunded_amount,
            o.currency,
        )
        for o in rows
    }
    # no tax figure from the platform: the goods' VAT by their categories when their rates differ
    untaxed = [o for o in rows if not o.tax_amount]
    by_category = sales_vat(
        session, untaxed, {o.id: sold[o.id][:2] for o in untaxed}, get_company(session).vat_rate
    )
    events = []
    for o in rows:
        inclusive, shipping, tax = sold[o.id]
        events.append(
            SaleShipped(
                source_type="sales_order",
                source_id=o.id,
                business_date=day,
                key=f"sales_order:{o.id}:shipped",
                shop_id=o.shop_id,
                platform=o.platform,
                currency=o.currency,
                goods_amount=inclusive,
                shipping_amount=shipping,
                tax_amount=tax or by_category.get(o.id),
                cost_base=cost.get(o.id, ZERO),
                warehouse_id=o.warehouse_id,
            )
        )
    emit(session, actor, events)


def cancel_orders(session: Session, actor: Actor, order_ids: Sequence[int], *, reason: str = "") -> int:
    """Cancel paid or approved orders (not yet shipped); their reservations are released."""
    require(actor, "orders.review")
    orders = workflow.load(session, order_ids)
    workflow.check(orders, order_ids, "cancelled")
    stock.release(session, actor, STOCK_SOURCE, list(order_ids))
    now = utcnow()
    changes = [workflow.Change(i, orders[i].status, {"closed_at": now}) for i in order_ids]
    workflow.move(session, actor, changes, "cancelled", "cancel", reason)
    return len(order_ids)


def finish_orders(session: Session, actor: Actor, order_ids: Sequence[int]) -> int:
    """Mark shipped orders finished (the platform reports the buyer confirmed receipt)."""
    require(actor, "orders.import")
    orders = workflow.load(session, order_ids)
    workflow.check(orders, order_ids, "finished")
    now = utcnow()
    changes = [workflow.Change(i, orders[i].status, {"closed_at": now}) for i in order_ids]
    workflow.move(session, actor, changes, "finished", "finish")
    return len(order_ids)


def orders_in_status(
    session: Session,
    actor: Actor,
    status: str,
    *,
    before: dt.datetime | None = None,
    column: str = "created_at",
    limit: int | None = None,
    ready: bool = False,
) -> list[int]:
    """Ids of orders in ``status`` (optionally with ``column`` before a moment), oldest first.

    ``ready`` leaves out orders in the exception queue or on hold.
    """
    require(actor, "orders.read")
    col = getattr(Order, column)
    stmt = select(Order.id).where(Order.status == status)
    if ready:
        stmt = stmt.where(~workflow.has_reason(), Order.on_hold.is_(False))
    if before is not None:
        stmt = stmt.where(col < before)
    stmt = stmt.order_by(col, Order.id)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.connection().scalars(stmt))
