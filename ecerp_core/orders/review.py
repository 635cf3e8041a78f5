"""Review (审单): the automatic pass that routes, checks and approves paid orders, and the clerk's
review actions (clearing exceptions, assigning orders).

The rules are data (:mod:`ecerp_core.orders.settings`); the checks pure functions in
:mod:`ecerp_core.orders.rules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, User, order_handlers, require
from ecerp_core.catalog.models import Category, Customer, Product
from ecerp_core.db import among, cycle_collector_paused
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders import rules, skus, workflow
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.orders.routing import route_orders
from ecerp_core.orders.services import approve_orders
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
    ids = list(session.connection().scalars(stmt.order_by(Order.paid_at, Order.id)))
    approved: list[int] = []
    waiting: dict[int, list[str]] = {}
    blacklist = {str(x) for x in cfg["blacklist"]}
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        stock_ok = route_orders(session, actor, chunk, on_short=cfg["routing"]["on_short"], settings=cfg)
        stmt = select(
            Order.id,
            Order.total_amount,
            Order.buyer_remark,
            Order.seller_remark,
            Order.receiver_name,
            Order.address,
            Order.buyer_id,
            Order.receiver_phone,
        ).where(among(session, Order.id, chunk))
        ready = set()
        # rows unpacked into names: a hundred thousand orders read by attribute cost a second
        for order_id, total, buyer_remark, seller_remark, name, address, buyer, phone in (
            session.connection().execute(stmt).all()
        ):
            found = rules.review_problems(
                total,
                f"{buyer_remark}{seller_remark}",
                bool(name and address),
                stock_ok.get(order_id, False),
                bool({buyer, phone, name} & blacklist),
                auto,
            )
            if not auto.get("enabled", True):
                found.append("manual_review")
            if found:
                waiting[order_id] = found
            else:
                ready.add(order_id)
        in_order = [i for i in chunk if i in ready]
        if in_order:  # one order that cannot be approved never holds up the others: it waits, with why
            approved += approve_orders(session, actor, in_order, on_short="skip", skipped=waiting)
    done = set(approved)
    for oid in ids:
        if oid not in done and oid not in waiting:
            waiting[oid] = ["out_of_stock"]
    workflow.set_review_reasons(session, waiting)
    return {"approved": approved, "waiting": waiting}


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
