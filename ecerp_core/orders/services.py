"""Use cases of orders, batch-first: import, approve (reserve), ship, cancel, finish.

Each function takes the session and the acting user, checks the permission, checks the whole batch
before writing, changes status only along :data:`~ecerp_core.orders.rules.TRANSITIONS`, writes an
order event and an audit row per order, and never commits. After-sales (refunds, returns) lives in
:mod:`ecerp_core.orders.aftersales`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date
from ecerp_core.db import for_update, insert_rows, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.events import BusinessEvent, emit
from ecerp_core.orders import rules
from ecerp_core.orders.exceptions import TransitionNotAllowed
from ecerp_core.orders.intake import ImportResult, OrderDraft, OrderLineDraft, import_order_drafts
from ecerp_core.orders.models import Order, OrderEvent, OrderLine
from ecerp_core.stock import services as stock

__all__ = [
    "ImportResult",
    "OrderDraft",
    "OrderLineDraft",
    "approve_orders",
    "cancel_orders",
    "finish_orders",
    "import_order_drafts",
    "orders_in_status",
    "ship_orders",
]  # fmt: skip

ZERO = Decimal("0")
SOURCE = "order"


# --- the one place where status changes -----------------------------------------------------------
def _load(session: Session, order_ids: Sequence[int]) -> dict[int, tuple]:
    """Lock orders and return ``{id: (platform_order_id, status, warehouse_id, shop_id,
    exception_reason, on_hold, merged_into_id)}``."""
    stmt = (select(Order.id, Order.platform_order_id, Order.status, Order.warehouse_id, Order.shop_id,
                   Order.exception_reason, Order.on_hold, Order.merged_into_id)
            .where(Order.id.in_(sorted(set(order_ids)))).order_by(Order.id))  # fmt: skip
    found = {row[0]: tuple(row[1:]) for row in session.connection().execute(for_update(stmt, session))}
    missing = [i for i in order_ids if i not in found]
    if missing:
        raise ValidationError([problem("order", "unknown_ref", value=i) for i in missing])
    return found


def _check_transitions(orders: dict[int, tuple], order_ids: Sequence[int], target: str) -> None:
    found = [rules.transition_problem(orders[i][0], orders[i][1], target) for i in order_ids]
    found = [p for p in found if p is not None]
    if found:
        raise TransitionNotAllowed(found)


def _apply(
    session: Session, actor: Actor, changes: list[dict], target: str, event: str, note: str = ""
) -> None:
    """Move orders to ``target``: ``changes`` are ``{"id", "from", <column>: value ...}`` dicts.

    Writes the new status and columns, one event per order and one audit row for the batch.
    """
    if not changes:
        return
    for c in changes:
        if (c["from"], target) not in rules.TRANSITIONS:
            raise TransitionNotAllowed([rules.transition_problem(c["id"], c["from"], target)])
    now = utcnow()
    table = Order.__table__
    columns = [k for k in changes[0] if k not in ("id", "from")]
    stmt = (update(table).where(table.c.id == bindparam("oid"))
            .values(status=target, updated_at=now, **{k: bindparam(f"v_{k}") for k in columns}))  # fmt: skip
    session.connection().execute(
        stmt, [{"oid": c["id"], **{f"v_{k}": c[k] for k in columns}} for c in changes]
    )
    insert_rows(session, OrderEvent, [
        {"order_id": c["id"], "at": now, "actor_id": actor.id, "event": event, "from_status": c["from"],
         "to_status": target, "note": note}
        for c in changes
    ])  # fmt: skip
    # One audit row per action (a clerk's "approve 300 orders" is one act); the per-order trail is
    # sales_order_event, which carries the same actor and moment.
    ids = [c["id"] for c in changes]
    audit.record(session, actor, event, "sales_order", ids[0] if len(ids) == 1 else f"{len(ids)} orders",
                 {"order_ids": ids, "to_status": target, "note": note})  # fmt: skip


# --- review, shipping, closing --------------------------------------------------------------------
def approve_orders(
    session: Session,
    actor: Actor,
    order_ids: Sequence[int],
    *,
    warehouse_id: int | None = None,
    on_short: str = "raise",
) -> list[int]:
    """Approve paid orders and reserve their stock, in the order given (first come, first served).

    The warehouse is ``warehouse_id`` if given, else the one the order was routed to. With
    ``on_short="raise"`` a shortage raises :class:`~ecerp_core.stock.exceptions.InsufficientStock`
    and nothing is written; with ``"skip"`` short orders stay paid. Returns the approved ids.
    """
    from ecerp_core.orders.merge import with_members

    require(actor, "orders.review")
    order_ids = with_members(session, order_ids)
    orders = _load(session, order_ids)
    _check_transitions(orders, order_ids, "approved")
    found = [problem("order", "order_blocked", value=o[0], reason=o[4] or "hold")
             for _, o in sorted(orders.items()) if o[4] or o[5]]  # fmt: skip
    if found:
        raise ValidationError(found)
    parents = {i: o[6] for i, o in orders.items() if o[6] is not None}
    where = {i: warehouse_id or orders.get(parents.get(i, i), orders[i])[2] for i in order_ids}
    lines = session.connection().execute(
        select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity)
        .where(OrderLine.order_id.in_(sorted(orders)), OrderLine.product_id.is_not(None))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    by_order: dict[int, list] = {}
    for oid, pid, qty in lines:
        by_order.setdefault(oid, []).append((pid, qty))
    drafts = [
        stock.ReservationDraft(pid, where[i], qty, SOURCE, i)
        for i in order_ids
        for pid, qty in by_order.get(i, ())
    ]
    # a merged group ships as one parcel: reserved whole or not at all
    served = stock.reserve(session, actor, drafts, on_short=on_short, together=parents or None)
    now = utcnow()
    _apply(session, actor, [{"id": i, "from": orders[i][1], "warehouse_id": where[i], "approved_at": now}
                            for i in served], "approved", "approve")  # fmt: skip
    return served


def ship_orders(
    session: Session,
    actor: Actor,
    order_ids: Sequence[int],
    *,
    warehouse_id: int | None = None,
    note: str = "",
) -> list[dict]:
    """Ship approved orders: their reservations become shipment moves; returns the moves.

    ``warehouse_id`` (a warehouse clerk's own warehouse) refuses orders routed elsewhere. Emits one
    ``sale.shipped`` business event per order in the same transaction.
    """
    from ecerp_core.orders.merge import with_members

    require(actor, "orders.ship")
    order_ids = with_members(session, order_ids)
    orders = _load(session, order_ids)
    _check_transitions(orders, order_ids, "shipped")
    if warehouse_id is not None:
        wrong = [problem("warehouse", "wrong_warehouse", value=orders[i][0]) for i in order_ids
                 if orders[i][2] != warehouse_id]  # fmt: skip
        if wrong:
            raise ValidationError(wrong)
    moves = stock.ship_reserved(session, actor, SOURCE, list(order_ids), note=note)
    now = utcnow()
    _apply(session, actor, [{"id": i, "from": orders[i][1], "shipped_at": now} for i in order_ids],
           "shipped", "ship", note)  # fmt: skip
    emit_shipped(session, actor, list(order_ids), moves)
    return moves


def emit_shipped(session: Session, actor: Actor, order_ids: Sequence[int], moves: Sequence[dict]) -> None:
    """One ``sale.shipped`` event per order (contract: :data:`ecerp_core.events.KINDS`)."""
    cost: dict[int, Decimal] = {}
    for m in moves:
        cost[m["source_id"]] = cost.get(m["source_id"], ZERO) - m["quantity"] * m["unit_cost"]
    rows = session.connection().execute(
        select(Order.id, Order.shop_id, Order.platform, Order.currency, Order.goods_amount, Order.discount_amount,
               Order.shipping_amount, Order.tax_amount, Order.tax_included, Order.warehouse_id)
        .where(Order.id.in_(sorted(order_ids))).order_by(Order.id))  # fmt: skip
    today = business_date(session, utcnow())
    events = []
    for oid, shop, platform, cur, goods, disc, ship, tax, included, wh in rows:
        inclusive = goods - disc + (ZERO if included else tax)
        events.append(BusinessEvent("sale.shipped", "sales_order", oid, today, f"sales_order:{oid}:shipped", {
            "shop_id": shop, "platform": platform, "currency": cur, "goods_amount": inclusive,
            "shipping_amount": ship, "tax_amount": tax if tax else None, "cost_base": cost.get(oid, ZERO),
            "warehouse_id": wh}))  # fmt: skip
    emit(session, actor, events)


def stock_release(session: Session, actor: Actor, order_ids: Sequence[int]) -> int:
    """Release what these orders reserved (cancelled or refunded before shipping)."""
    return stock.release(session, actor, SOURCE, list(order_ids))


def cancel_orders(session: Session, actor: Actor, order_ids: Sequence[int], *, reason: str = "") -> int:
    """Cancel paid or approved orders (not yet shipped); their reservations are released."""
    require(actor, "orders.review")
    orders = _load(session, order_ids)
    _check_transitions(orders, order_ids, "cancelled")
    stock.release(session, actor, SOURCE, list(order_ids))
    now = utcnow()
    _apply(session, actor, [{"id": i, "from": orders[i][1], "closed_at": now} for i in order_ids],
           "cancelled", "cancel", reason)  # fmt: skip
    return len(order_ids)


def finish_orders(session: Session, actor: Actor, order_ids: Sequence[int]) -> int:
    """Mark shipped orders finished (the platform reports the buyer confirmed receipt)."""
    require(actor, "orders.import")
    orders = _load(session, order_ids)
    _check_transitions(orders, order_ids, "finished")
    now = utcnow()
    _apply(session, actor, [{"id": i, "from": orders[i][1], "closed_at": now} for i in order_ids],
           "finished", "finish")  # fmt: skip
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
        stmt = stmt.where(Order.exception_reason == "", Order.on_hold.is_(False))
    if before is not None:
        stmt = stmt.where(col < before)
    stmt = stmt.order_by(col, Order.id)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.connection().scalars(stmt))
