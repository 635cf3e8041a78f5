"""Merge (合单) and split (拆单).

Merging keeps every platform order whole (each is still reported back to its platform) and links
the others to the oldest one (``merged_into_id``): the group is approved, reserved and shipped as
one parcel (see :func:`ecerp_core.orders.workflow.with_members`). Cash-on-delivery orders are never
merged (the courier collects per order). Splitting moves lines into new orders (``<id>#S<n>``) so
they can ship from another warehouse or later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.db import among, for_update, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders import workflow
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.orders.settings import load_settings
from ecerp_core.orders.workflow import Happened

MERGE_KEY = (Order.shop_id, Order.buyer_id, Order.receiver_name, Order.receiver_phone, Order.address)
"""Orders merge only when all of these are the same."""


def _merge_key(row) -> tuple:
    return tuple(getattr(row, column.key) for column in MERGE_KEY)


def merge_groups(session: Session, actor: Actor, *, window_hours: int | None = None) -> list[list[int]]:
    """Groups of paid orders of the same buyer and address within the window (oldest first)."""
    require(actor, "orders.read")
    window = dt.timedelta(hours=window_hours or load_settings(session)["merge_window_hours"])
    stmt = (
        select(Order.id, Order.created_at, *MERGE_KEY)
        .where(
            Order.status == "paid",
            Order.is_cod.is_(False),
            Order.merged_into_id.is_(None),
            ~workflow.has_reason(),
            Order.on_hold.is_(False),
            Order.is_history.is_(False),
            Order.address != "",
        )
        .order_by(Order.created_at, Order.id)
    )
    by_key: dict[tuple, list] = {}
    for o in session.connection().execute(stmt):
        by_key.setdefault(_merge_key(o), []).append(o)
    groups = []
    for members in by_key.values():
        group = [members[0]]
        for m in members[1:]:
            if m.created_at - group[0].created_at <= window:
                group.append(m)
            else:
                if len(group) > 1:
                    groups.append([g.id for g in group])
                group = [m]
        if len(group) > 1:
            groups.append([g.id for g in group])
    return groups


def merge_orders(session: Session, actor: Actor, order_ids: Sequence[int]) -> int:
    """Merge orders into the oldest of them; returns the parent's id. All must share buyer and address."""
    require(actor, "orders.review")
    ids = sorted(set(order_ids))
    stmt = (
        select(
            Order.id, Order.platform_order_id, Order.status, Order.is_cod, Order.merged_into_id, *MERGE_KEY
        )
        .where(among(session, Order.id, ids))
        .order_by(Order.created_at, Order.id)
    )
    rows = session.connection().execute(for_update(stmt, session)).all()
    found = []
    if len(rows) != len(ids) or len(ids) < 2:
        found.append(problem("order", "merge_needs_two", value=len(rows)))
    if len({_merge_key(r) for r in rows}) > 1:
        found.append(
            problem("order", "merge_not_same_buyer", value=", ".join(r.platform_order_id for r in rows))
        )
    for r in rows:
        if r.status != "paid" or r.merged_into_id is not None:
            found.append(
                problem("order", "merge_not_open", value=r.platform_order_id, status=f"status.{r.status}")
            )
        if r.is_cod:
            found.append(problem("order", "merge_cod", value=r.platform_order_id))
    if found:
        raise ValidationError(found)
    parent, *children = rows
    child_ids = [c.id for c in children]
    table = Order.__table__
    now = utcnow()
    session.connection().execute(
        update(table)
        .where(among(session, table.c.id, child_ids))
        .values(merged_into_id=parent.id, updated_at=now)
    )
    session.connection().execute(
        # the children's own members share their shop and buyer (indexed; see workflow.with_members)
        update(table)
        .where(
            among(session, table.c.merged_into_id, child_ids),
            table.c.shop_id == parent.shop_id,
            table.c.buyer_id == parent.buyer_id,
        )
        .values(merged_into_id=parent.id)
    )
    workflow.record(
        session,
        actor,
        [Happened(i, "paid", "merge", f"-> {parent.platform_order_id}") for i in child_ids]
        + [Happened(parent.id, "paid", "merge", f"+{len(child_ids)}")],
    )
    audit.record(session, actor, "merge", "sales_order", parent.id, {"members": child_ids})
    return parent.id


def unmerge_orders(session: Session, actor: Actor, parent_ids: Sequence[int]) -> int:
    """Undo merges of paid orders; returns how many members were set free."""
    require(actor, "orders.review")
    table = Order.__table__
    stmt = select(Order.id).where(
        among(session, Order.merged_into_id, sorted(parent_ids)), Order.status == "paid"
    )
    members = list(session.connection().scalars(stmt))
    if members:
        session.connection().execute(
            update(table).where(among(session, table.c.id, members)).values(merged_into_id=None)
        )
        workflow.record(session, actor, [Happened(i, "paid", "unmerge") for i in members])
    return len(members)


def split_order(
    session: Session,
    actor: Actor,
    order_id: int,
    parts: Sequence[Sequence[int]],
    *,
    warehouses: Sequence[int] | None = None,
) -> list[int]:
    """Move each part (line ids) of a paid order into a new order; returns the new orders' ids.

    Goods, total and paid move with the lines; shipping and discounts stay on the original.
    """
    require(actor, "orders.review")
    conn = session.connection()
    stmt = for_update(select(Order.__table__).where(Order.id == order_id), session)
    order = conn.execute(stmt).mappings().first()
    if order is None:
        raise ValidationError([problem("order", "unknown_ref", value=order_id)])
    lines = {r.id: r for r in conn.execute(select(OrderLine.__table__).where(OrderLine.order_id == order_id))}
    moved = [lid for part in parts for lid in part]
    number = order["platform_order_id"]
    if order["status"] != "paid" or order["merged_into_id"] is not None:
        raise ValidationError(
            [problem("order", "split_not_open", value=number, status=f"status.{order['status']}")]
        )
    bad_parts = not parts or any(not p for p in parts) or set(moved) - set(lines)
    if bad_parts or len(set(moved)) != len(moved) or len(set(moved)) >= len(lines):
        raise ValidationError([problem("lines", "split_bad_parts", value=number)])
    now = utcnow()
    done_before = conn.scalar(select(func.count()).select_from(Order).where(Order.split_from_id == order_id))
    new_ids = []
    paid_left = Decimal(order["paid_amount"])
    goods_left = Decimal(order["goods_amount"])
    total_left = Decimal(order["total_amount"])
    line_table = OrderLine.__table__
    for n, part in enumerate(parts, start=done_before + 1):
        goods = sum((Decimal(lines[lid].amount) for lid in part), Decimal(0))
        paid = min(goods, paid_left)
        row = {k: v for k, v in order.items() if k != "id"}
        row.update(
            platform_order_id=f"{number}#S{n}"[:64],
            goods_amount=goods,
            total_amount=goods,
            paid_amount=paid,
            shipping_amount=0,
            discount_amount=0,
            tax_amount=0,
            subsidy_amount=0,
            refunded_amount=0,
            split_from_id=order_id,
            imported_at=now,
            updated_at=now,
            warehouse_id=warehouses[n - done_before - 1] if warehouses else order["warehouse_id"],
        )
        new_id = conn.execute(insert(Order.__table__).returning(Order.__table__.c.id), row).scalar_one()
        new_ids.append(new_id)
        conn.execute(
            update(line_table)
            .where(line_table.c.id == bindparam("lid"))
            .values(order_id=new_id, line_no=bindparam("no")),
            [{"lid": lid, "no": i} for i, lid in enumerate(part, start=1)],
        )
        paid_left -= paid
        goods_left -= goods
        total_left -= goods
    table = Order.__table__
    conn.execute(
        update(table)
        .where(table.c.id == order_id)
        .values(goods_amount=goods_left, total_amount=total_left, paid_amount=paid_left, updated_at=now)
    )
    remaining = sorted(set(lines) - set(moved))
    renumber = update(line_table).where(line_table.c.id == bindparam("lid")).values(line_no=bindparam("no"))
    # through negative numbers first: (order_id, line_no) is unique at every step
    conn.execute(renumber, [{"lid": lid, "no": -i} for i, lid in enumerate(remaining, start=1)])
    conn.execute(renumber, [{"lid": lid, "no": i} for i, lid in enumerate(remaining, start=1)])
    for kind in (workflow.EXCEPTION, workflow.REVIEW):  # the parts wait for what the order waited for
        waiting_for = workflow.reasons_of(session, [order_id], kind).get(order_id)
        if waiting_for:
            workflow.add_reasons(session, kind, dict.fromkeys(new_ids, waiting_for))
    workflow.record(
        session,
        actor,
        [Happened(order_id, "paid", "split", f"{len(parts)} parts")]
        + [Happened(i, "paid", "split", f"<- {number}") for i in new_ids],
    )
    audit.record(session, actor, "split", "sales_order", order_id, {"new_orders": new_ids})
    return new_ids
