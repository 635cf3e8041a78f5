"""Use cases of orders, batch-first: import, approve (reserve), ship, cancel, finish.

Each function takes the session and the acting user, checks the permission, checks the whole batch
before writing, changes status only along :data:`~ecerp_core.orders.rules.TRANSITIONS`, writes an
order event and an audit row per order, and never commits. After-sales (refunds, returns) lives in
:mod:`ecerp_core.orders.aftersales`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.business_time import business_date
from ecerp_core.catalog.models import CustomerAccount, Product, Shop, Warehouse
from ecerp_core.db import for_update, utcnow
from ecerp_core.errors import Problem, ValidationError, problem
from ecerp_core.orders import hooks, rules
from ecerp_core.orders.exceptions import TransitionNotAllowed
from ecerp_core.orders.models import Order, OrderEvent, OrderLine
from ecerp_core.stock import services as stock

ZERO = Decimal("0")
SOURCE = "order"


@dataclass(frozen=True)
class OrderLineDraft:
    """A line as the platform sold it; ``sku`` is our SKU when it differs from ``platform_sku``."""

    platform_sku: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    discount: Decimal = ZERO
    sku: str | None = None


@dataclass(frozen=True)
class OrderDraft:
    """An order as a connector read it from a platform file or API, before it is checked.

    Amounts are in ``currency`` (the shop's); ``created_at`` / ``paid_at`` are aware datetimes;
    ``line`` is the row of the source file, so a rejected order can be pointed at.
    """

    shop_id: int
    platform_order_id: str
    status: str
    created_at: dt.datetime
    currency: str
    lines: tuple[OrderLineDraft, ...]
    goods_amount: Decimal
    total_amount: Decimal
    shipping_amount: Decimal = ZERO
    discount_amount: Decimal = ZERO
    tax_amount: Decimal = ZERO
    paid_amount: Decimal = ZERO
    paid_at: dt.datetime | None = None
    buyer_id: str = ""
    receiver_name: str = ""
    receiver_phone: str = ""
    region: str = ""
    city: str = ""
    address: str = ""
    note: str = ""
    line: int | None = None


@dataclass(frozen=True)
class ImportResult:
    """What an import did. ``order_ids`` follows the drafts (None for a rejected draft)."""

    created: int
    updated: int
    unchanged: int
    order_ids: tuple[int | None, ...]
    rejected: tuple[Problem, ...] = field(default=())


# --- the one place where status changes -----------------------------------------------------------
def _load(session: Session, order_ids: Sequence[int]) -> dict[int, tuple]:
    """Lock orders and return ``{id: (platform_order_id, status, warehouse_id, shop_id)}``."""
    stmt = (select(Order.id, Order.platform_order_id, Order.status, Order.warehouse_id, Order.shop_id)
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
    session.connection().execute(insert(OrderEvent.__table__), [
        {"order_id": c["id"], "at": now, "actor_id": actor.id, "event": event, "from_status": c["from"],
         "to_status": target, "note": note}
        for c in changes
    ])  # fmt: skip
    # One audit row per action (a clerk's "approve 300 orders" is one act); the per-order trail is
    # sales_order_event, which carries the same actor and moment.
    ids = [c["id"] for c in changes]
    audit.record(session, actor, event, "sales_order", ids[0] if len(ids) == 1 else f"{len(ids)} orders",
                 {"order_ids": ids, "to_status": target, "note": note})  # fmt: skip


# --- import ---------------------------------------------------------------------------------------
def _draft_problems(d: OrderDraft, shops: dict, products: dict) -> list[Problem]:
    found = []
    shop = shops.get(d.shop_id)
    if shop is None:
        found.append(problem("shop", "unknown_ref", value=d.shop_id))
    elif d.currency != shop[1]:
        found.append(problem("currency", "currency_mismatch", value=d.currency, expected=shop[1]))
    if not d.platform_order_id or len(d.platform_order_id) > 64:
        found.append(problem("platform_order_id", "required"))
    if d.status not in rules.STATUSES:
        found.append(problem("status", "not_a_choice", value=d.status, choices=", ".join(rules.STATUSES)))
    if d.created_at is None or d.created_at.tzinfo is None:
        found.append(problem("created_at", "not_aware", value=d.created_at))
    for line in d.lines:
        if products.get(line.sku or line.platform_sku) is None:
            found.append(problem("sku", "unknown_ref", value=line.sku or line.platform_sku))
    found += rules.check_amounts(
        d.currency, [(x.quantity, x.unit_price, x.discount, x.amount) for x in d.lines], d.goods_amount,
        d.shipping_amount, d.discount_amount, d.tax_amount, d.total_amount, d.paid_amount)  # fmt: skip
    return found


def import_order_drafts(
    session: Session, actor: Actor, drafts: Sequence[OrderDraft], *, strict: bool = True
) -> ImportResult:
    """Create or update orders from platform drafts; idempotent on (shop, platform order id).

    A known order only moves forward along :data:`~ecerp_core.orders.rules.IMPORT_TRANSITIONS`
    (paid, closed); the same export imported twice changes nothing. ``strict`` raises
    :class:`ValidationError` for any bad draft and writes nothing; otherwise bad drafts are left
    out and listed in ``rejected``, each with its line number.
    """
    require(actor, "orders.import")
    shop_ids = sorted({d.shop_id for d in drafts})
    shops = {
        r[0]: tuple(r[1:])
        for r in session.connection().execute(
            select(Shop.id, Shop.platform, Shop.currency, Shop.default_warehouse_id).where(
                Shop.id.in_(shop_ids)
            )
        )
    }
    skus = sorted({x.sku or x.platform_sku for d in drafts for x in d.lines})
    products = dict(
        session.connection().execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all()
    )
    keys = sorted({(d.shop_id, d.platform_order_id) for d in drafts})
    existing = {(r[1], r[2]): (r[0], r[3]) for r in session.connection().execute(for_update(
        select(Order.id, Order.shop_id, Order.platform_order_id, Order.status)
        .where(tuple_(Order.shop_id, Order.platform_order_id).in_(keys)), session))}  # fmt: skip
    rejected, seen, new, updates = [], set(), [], []
    order_ids: list[int | None] = [None] * len(drafts)
    unchanged = 0
    for i, d in enumerate(drafts):
        found = _draft_problems(d, shops, products)
        key = (d.shop_id, d.platform_order_id)
        if key in seen:
            found.append(problem("platform_order_id", "duplicate", value=d.platform_order_id))
        seen.add(key)
        if key in existing and not found:
            order_id, status = existing[key]
            order_ids[i] = order_id
            if (status, d.status) in rules.IMPORT_TRANSITIONS:
                updates.append((i, order_id, status))
            elif d.status != status and rules.status_rank(d.status) > rules.status_rank(status):
                found.append(problem("status", "status_conflict", value=d.status, current=f"status.{status}"))
            else:
                unchanged += 1
        elif not found and d.status not in rules.NEW_ORDER_STATUSES:
            found.append(problem("status", "not_a_choice", value=d.status,
                                 choices=", ".join(rules.NEW_ORDER_STATUSES)))  # fmt: skip
        if found:
            order_ids[i] = None
            rejected += [p.at_line(d.line or i + 1) for p in found]
        elif key not in existing:
            new.append(i)
    if rejected and strict:
        raise ValidationError(rejected)
    _insert_orders(session, actor, drafts, new, order_ids, shops, products)
    now = utcnow()
    _apply(session, actor, [
        {"id": oid, "from": old, "paid_amount": drafts[i].paid_amount, "paid_at": drafts[i].paid_at,
         "closed_at": now if drafts[i].status == "closed" else None}
        for i, oid, old in updates if drafts[i].status == "paid"
    ], "paid", "import")  # fmt: skip
    _apply(
        session,
        actor,
        [
            {"id": oid, "from": old, "closed_at": now}
            for i, oid, old in updates
            if drafts[i].status == "closed"
        ],
        "closed",
        "import",
    )
    return ImportResult(len(new), len(updates), unchanged, tuple(order_ids), tuple(rejected))


def _insert_orders(session, actor, drafts, new, order_ids, shops, products) -> None:
    if not new:
        return
    accounts = dict(((r[0], r[1]), r[2]) for r in session.connection().execute(
        select(CustomerAccount.shop_id, CustomerAccount.buyer_id, CustomerAccount.customer_id).where(
            tuple_(CustomerAccount.shop_id, CustomerAccount.buyer_id).in_(
                sorted({(drafts[i].shop_id, drafts[i].buyer_id) for i in new})))))  # fmt: skip
    warehouses = list(session.connection().execute(
        select(Warehouse.id, Warehouse.region).where(Warehouse.active.is_(True))
        .order_by(Warehouse.priority, Warehouse.id)).tuples())  # fmt: skip
    now = utcnow()
    rows = []
    for i in new:
        d = drafts[i]
        platform, _, default_wh = shops[d.shop_id]
        rows.append({
            "platform": platform, "shop_id": d.shop_id, "platform_order_id": d.platform_order_id,
            "buyer_id": d.buyer_id, "customer_id": accounts.get((d.shop_id, d.buyer_id)),
            "receiver_name": d.receiver_name, "receiver_phone": d.receiver_phone, "region": d.region,
            "city": d.city, "address": d.address, "currency": d.currency, "goods_amount": d.goods_amount,
            "shipping_amount": d.shipping_amount, "discount_amount": d.discount_amount,
            "tax_amount": d.tax_amount, "total_amount": d.total_amount, "paid_amount": d.paid_amount,
            "refunded_amount": ZERO, "status": d.status,
            "warehouse_id": rules.route_warehouse(d.region, warehouses,
                                                  default_wh or (warehouses[0][0] if warehouses else None)),
            "order_date": business_date(session, d.created_at), "created_at": d.created_at,
            "paid_at": d.paid_at, "closed_at": now if d.status == "closed" else None,
            "imported_at": now, "updated_at": now, "note": d.note,
        })  # fmt: skip
    table = Order.__table__
    ids = (
        session.connection()
        .execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )
    lines, events = [], []
    for i, oid in zip(new, ids, strict=True):
        order_ids[i] = oid
        d = drafts[i]
        for no, x in enumerate(d.lines, start=1):
            lines.append({"order_id": oid, "line_no": no, "platform_sku": x.platform_sku,
                          "product_id": products[x.sku or x.platform_sku], "quantity": x.quantity,
                          "unit_price": x.unit_price, "discount": x.discount, "amount": x.amount})  # fmt: skip
        events.append({"order_id": oid, "at": now, "actor_id": actor.id, "event": "import",
                       "from_status": None, "to_status": d.status, "note": ""})  # fmt: skip
    session.connection().execute(insert(OrderLine.__table__), lines)
    session.connection().execute(insert(OrderEvent.__table__), events)
    audit.record_many(session, actor, "import", "sales_order", [
        (oid, {"platform_order_id": drafts[i].platform_order_id, "status": drafts[i].status,
               "total": drafts[i].total_amount}) for i, oid in zip(new, ids, strict=True)])  # fmt: skip


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
    require(actor, "orders.review")
    orders = _load(session, order_ids)
    _check_transitions(orders, order_ids, "approved")
    where = {i: warehouse_id or orders[i][2] for i in order_ids}
    lines = session.connection().execute(
        select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity)
        .where(OrderLine.order_id.in_(sorted(orders)))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    by_order: dict[int, list] = {}
    for oid, pid, qty in lines:
        by_order.setdefault(oid, []).append((pid, qty))
    drafts = [
        stock.ReservationDraft(pid, where[i], qty, SOURCE, i) for i in order_ids for pid, qty in by_order[i]
    ]
    served = stock.reserve(session, actor, drafts, on_short=on_short)
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

    ``warehouse_id`` (a warehouse clerk's own warehouse) refuses orders routed elsewhere. Calls
    :func:`ecerp_core.orders.hooks.on_shipped` in the same transaction.
    """
    require(actor, "orders.ship")
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
    hooks.on_shipped(session, actor, list(order_ids), moves)
    return moves


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
) -> list[int]:
    """Ids of orders in ``status`` (optionally with ``column`` before a moment), oldest first."""
    require(actor, "orders.read")
    col = getattr(Order, column)
    stmt = select(Order.id).where(Order.status == status)
    if before is not None:
        stmt = stmt.where(col < before)
    stmt = stmt.order_by(col, Order.id)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.connection().scalars(stmt))
