"""Review (审单): the automatic pass that routes, checks and approves paid orders, and the clerk's
review actions (clearing exceptions, assigning orders).

The rules are data (:mod:`ecerp_core.orders.settings`); the checks pure functions in
:mod:`ecerp_core.orders.rules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, User, order_handlers, require
from ecerp_core.catalog.models import Category, Customer, Product
from ecerp_core.db import among, cycle_collector_paused, for_update
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders import rules, skus, workflow
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.orders.routing import Routable, route_orders
from ecerp_core.orders.services import Approval, approve_known, approve_orders, split_lines
from ecerp_core.orders.settings import load_settings


def clear_exceptions(
    session: Session,
    actor: Actor,
    order_ids: Sequence[int],
    *,
    note: str = "",
    skipped: dict[int, list[str]] | None = None,
) -> int:
    """A clerk checked these orders (address fixed, price confirmed): they leave the exception queue.

    An order with a line that names none of our products stays, waiting only for its SKU mapping
    (``unmapped_sku``; map it with :func:`ecerp_core.orders.skus.map_skus`); ``skipped`` (if given)
    receives those orders with that reason. Returns how many orders left the queue.
    """
    require(actor, "orders.review")
    ids = sorted(set(order_ids))
    unmapped = skus.unmapped_lines(session, ids)
    if skipped is not None:
        skipped.update((oid, [skus.UNMAPPED]) for oid in unmapped)
    reasons = {oid: [skus.UNMAPPED] if oid in unmapped else [] for oid in ids}
    workflow.set_exceptions(session, actor, reasons, note or "cleared")
    ids = [oid for oid in ids if oid not in unmapped]
    audit.record(session, actor, "clear_exception", "sales_order", f"{len(ids)} orders", {"order_ids": ids})
    return len(ids)


def auto_review(
    session: Session, actor: Actor, order_ids: Sequence[int] | None = None, *, batch: int = 20_000
) -> dict[str, Any]:
    """Route, check and approve (reserving stock) paid orders that pass the auto-approve rules.

    Orders that fail wait for a clerk with their review reasons recorded. Returns ``{"approved":
    [...], "waiting": {order_id: [reasons]}}``. The orders go in chunks of ``batch`` (bounded
    statements; one transaction either way): each chunk costs a dozen round trips, so on
    PostgreSQL 20,000 a chunk reviews 100,000 orders about a sixth faster than 5,000.
    """
    require(actor, "orders.review")
    with cycle_collector_paused():
        return _review(session, actor, order_ids, batch)


def _review(session: Session, actor: Actor, order_ids: Sequence[int] | None, batch: int) -> dict[str, Any]:
    cfg = load_settings(session)
    auto = cfg["auto_approve"]
    stmt = select(Order.id).where(
        Order.status == "paid",
        ~workflow.has_reason(),
        Order.on_hold.is_(False),
        Order.merged_into_id.is_(None),
    )
    if order_ids is not None:
        stmt = stmt.where(among(session, Order.id, sorted(set(order_ids))))
    ids = session.connection().scalars(stmt.order_by(Order.paid_at, Order.id)).all()
    approved: list[int] = []
    waiting: dict[int, list[str]] = {}
    blacklist = {str(x) for x in cfg["blacklist"]}
    on_short = cfg["routing"]["on_short"]
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        # the chunk's orders (and those merged into them) locked and read once, and their lines once:
        # what routing, the checks and approval all read
        found, lines = _read_chunk(session, chunk)
        in_chunk = set(chunk)
        routable = Routable(
            {i: (found[i].region, found[i].warehouse_id) for i in chunk},
            [(o, line, p, q) for o, line, p, q, _ in lines if p is not None and o in in_chunk],
        )
        moved: dict[int, int | None] = {}
        stock_ok = route_orders(
            session, actor, chunk, on_short=on_short, settings=cfg, known=routable, moved=moved
        )
        split = None in moved.values()  # a split order's lines and amounts changed: read them again
        ready = set()
        for order_id, total, buyer_remark, seller_remark, name, address, buyer, phone in (
            _checked(session, chunk) if split else ((i, *found[i][_STATE + 1 :]) for i in chunk)
        ):
            found_problems = rules.review_problems(
                total,
                f"{buyer_remark}{seller_remark}",
                bool(name and address),
                stock_ok.get(order_id, False),
                bool({buyer, phone, name} & blacklist),
                auto,
            )
            if not auto.get("enabled", True):
                found_problems.append("manual_review")
            if found_problems:
                waiting[order_id] = found_problems
            else:
                ready.add(order_id)
        in_order = [i for i in chunk if i in ready]
        if not in_order:
            continue
        # one order that cannot be approved never holds up the others: it waits, with why
        parcels = None if split else _parcels(in_order, found)
        if parcels is None:
            approved += approve_orders(session, actor, in_order, on_short="skip", skipped=waiting)
            continue
        states = {i: _state(found[i], moved) for i in sorted(parcels)}
        in_parcels = split_lines((o, p, q, sku) for o, _, p, q, sku in lines if o in states)
        known = Approval(states, workflow.reasons_of(session, parcels), *in_parcels)
        approved += approve_known(session, actor, parcels, known, on_short="skip", skipped=waiting)
    done = set(approved)
    for oid in ids:
        if oid not in done and oid not in waiting:
            waiting[oid] = ["out_of_stock"]
    workflow.set_review_reasons(session, waiting)
    return {"approved": approved, "waiting": waiting}


_Facts = NamedTuple(
    "_Facts",
    [
        *workflow.OrderState.__annotations__.items(),
        ("region", str),
        ("total_amount", Decimal),
        ("buyer_remark", str),
        ("seller_remark", str),
        ("receiver_name", str),
        ("address", str),
        ("buyer_id", str),
        ("receiver_phone", str),
    ],
)
"""An order as review reads it once per chunk, locked: its state (:class:`workflow.OrderState`'s
fields), then its region and what the checks read."""

_STATE = len(workflow.OrderState._fields)
_CHECKED = (
    Order.id,
    Order.total_amount,
    Order.buyer_remark,
    Order.seller_remark,
    Order.receiver_name,
    Order.address,
    Order.buyer_id,
    Order.receiver_phone,
)
"""What the checks read of an order: its id, then ``_Facts`` after the state and region."""


def _read_chunk(session: Session, chunk: Sequence[int]) -> tuple[dict[int, _Facts], list]:
    """Lock and read the chunk's orders (in id order, like every writer of orders), then the orders
    merged into them, and read all their lines ``(order_id, line_id, product_id, quantity,
    platform_sku)`` in line order."""
    ids = sorted(chunk)
    stmt = select(*workflow.STATE_COLUMNS, Order.region, *_CHECKED[1:]).order_by(Order.id)
    conn = session.connection()
    found: dict[int, _Facts] = {}
    # the members in a statement of their own, after the chunk is locked: a merge that held one of
    # its orders has committed by then, and its members are seen
    for cond in (among(session, Order.id, ids), among(session, Order.merged_into_id, ids)):
        found.update(
            (row[0], _Facts._make(row)) for row in conn.execute(for_update(stmt.where(cond), session)).all()
        )
    stmt = (
        select(
            OrderLine.order_id, OrderLine.id, OrderLine.product_id, OrderLine.quantity, OrderLine.platform_sku
        )
        .where(among(session, OrderLine.order_id, list(found)))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    return found, conn.execute(stmt).all()


def _checked(session: Session, chunk: Sequence[int]) -> list:
    """What the checks read of the chunk's orders, read again (after a split moved lines)."""
    return session.connection().execute(select(*_CHECKED).where(among(session, Order.id, chunk))).all()


def _state(facts: _Facts, moved: dict[int, int | None]) -> workflow.OrderState:
    state = workflow.OrderState._make(facts[:_STATE])
    return state._replace(warehouse_id=moved[facts.id]) if facts.id in moved else state


def _parcels(in_order: list[int], found: dict[int, _Facts]) -> list[int] | None:
    """``in_order`` with the orders merged into each, as :func:`workflow.with_members` gives them, from
    the chunk's locked read; None when one of them was merged into another meanwhile (approval then
    reads the parcels itself)."""
    if any(found[i].merged_into_id is not None for i in in_order):
        return None
    members: dict[int, list[int]] = {}
    for facts in found.values():  # in id order
        if facts.merged_into_id is not None:
            members.setdefault(facts.merged_into_id, []).append(facts.id)
    return list(dict.fromkeys(i for oid in in_order for i in (oid, *members.get(oid, ()))))


def assign_orders(
    session: Session, actor: Actor, order_ids: Sequence[int], *, user: str | None = None
) -> dict[int, str | None]:
    """Assign orders to a user, or by the assignment rules (amount, customer tier, category)."""
    require(actor, "orders.review")
    ids = sorted(set(order_ids))
    handlers = set(order_handlers(session, actor))
    users = dict(session.execute(select(User.username, User.id).where(User.username.in_(handlers))).all())
    if user is not None and user not in users:
        raise ValidationError([problem("user", "not_order_handler", value=user)])
    chosen: dict[int, str | None] = {}
    if user is not None:
        chosen = dict.fromkeys(ids, user)
    else:
        assignment = load_settings(session)["assignment"]
        stmt = (
            select(Order.id, Order.total_amount, Customer.tier)
            .outerjoin(Customer, Customer.id == Order.customer_id)
            .where(among(session, Order.id, ids))
        )
        categories: dict[int, set[str]] = {}
        for line in session.execute(
            select(OrderLine.order_id, Category.code)
            .join(Product, Product.id == OrderLine.product_id)
            .join(Category, Category.id == Product.category_id)
            .where(among(session, OrderLine.order_id, ids))
        ):
            categories.setdefault(line.order_id, set()).add(line.code)
        for o in session.execute(stmt):
            tier = o.tier or "normal"
            chosen[o.id] = rules.assign_staff(
                Decimal(o.total_amount), tier, categories.get(o.id, set()), assignment
            )
    table = Order.__table__
    rows = [{"oid": o, "u": users.get(u) if u else None} for o, u in chosen.items()]
    if rows:
        session.connection().execute(
            update(table).where(table.c.id == bindparam("oid")).values(assignee_id=bindparam("u")), rows
        )
    status = workflow.statuses(session, chosen)
    workflow.record(
        session, actor, [workflow.Happened(o, status[o], "assign", u or "—") for o, u in chosen.items()]
    )
    assigned = {str(k): v for k, v in chosen.items()}
    audit.record(session, actor, "assign", "sales_order", f"{len(ids)} orders", {"assigned": assigned})
    return chosen
