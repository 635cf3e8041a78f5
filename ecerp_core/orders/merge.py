"""Merge (合单) and split (拆单).

Merging keeps every platform order whole (each is still reported back to its platform) and links
the others to the oldest one (``merged_into_id``): the group is approved, reserved and shipped as
one parcel. Cash-on-delivery orders are never merged (the courier collects per order). Splitting
moves lines into new orders (``<id>#S<n>``) so they can ship from another warehouse or later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.db import for_update, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders.history import add_events
from ecerp_core.orders.models import Order, OrderLine

MERGE_KEY = (Order.shop_id, Order.buyer_id, Order.receiver_name, Order.receiver_phone, Order.address)


def with_members(session: Session, order_ids: Sequence[int]) -> list[int]:
    """``order_ids`` plus the orders merged into them, in the order given (members after parents)."""
    if not order_ids:
        return []
    members = session.connection().execute(select(Order.merged_into_id, Order.id).where(
        Order.merged_into_id.in_(sorted(set(order_ids)))).order_by(Order.id)).all()  # fmt: skip
    if not members:
        return list(order_ids)
    by_parent: dict[int, list[int]] = {}
    for parent, oid in members:
        by_parent.setdefault(parent, []).append(oid)
    out, seen = [], set()
    for oid in order_ids:
        for x in (oid, *by_parent.get(oid, ())):
            if x not in seen:
                seen.add(x)
                out.append(x)
    return out


def merge_groups(session: Session, actor: Actor, *, window_hours: int | None = None) -> list[list[int]]:
    """Groups of paid orders of the same buyer and address within the window (oldest first)."""
    from ecerp_core.orders.review import load_settings

    require(actor, "orders.read")
    window = dt.timedelta(hours=window_hours or load_settings(session)["merge_window_hours"])
    rows = session.connection().execute(
        select(Order.id, Order.created_at, *MERGE_KEY)
        .where(Order.status == "paid", Order.is_cod.is_(False), Order.merged_into_id.is_(None),
               Order.exception_reason == "", Order.on_hold.is_(False), Order.is_history.is_(False), Order.address != "")
        .order_by(Order.created_at, Order.id))  # fmt: skip
    by_key: dict[tuple, list[tuple[int, dt.datetime]]] = {}
    for oid, created, *key in rows:
        by_key.setdefault(tuple(key), []).append((oid, created))
    groups = []
    for members in by_key.values():
        group = [members[0]]
        for m in members[1:]:
            if m[1] - group[0][1] <= window:
                group.append(m)
            else:
                if len(group) > 1:
                    groups.append([g[0] for g in group])
                group = [m]
        if len(group) > 1:
            groups.append([g[0] for g in group])
    return groups


def merge_orders(session: Session, actor: Actor, order_ids: Sequence[int]) -> int:
    """Merge orders into the oldest of them; returns the parent's id. All must share buyer and address."""
    require(actor, "orders.review")
    ids = sorted(set(order_ids))
    rows = session.connection().execute(for_update(
        select(Order.id, Order.platform_order_id, Order.status, Order.is_cod, Order.merged_into_id, *MERGE_KEY)
        .where(Order.id.in_(ids)).order_by(Order.created_at, Order.id), session)).all()  # fmt: skip
    found = []
    if len(rows) != len(ids) or len(ids) < 2:
        found.append(problem("order", "merge_needs_two", value=len(rows)))
    keys = {tuple(r[5:]) for r in rows}
    if len(keys) > 1:
        found.append(problem("order", "merge_not_same_buyer", value=", ".join(r[1] for r in rows)))
    for r in rows:
        if r[2] != "paid" or r[4] is not None:
            found.append(problem("order", "merge_not_open", value=r[1], status=f"status.{r[2]}"))
        if r[3]:
            found.append(problem("order", "merge_cod", value=r[1]))
    if found:
        raise ValidationError(found)
    parent = rows[0][0]
    children = [r[0] for r in rows[1:]]
    t = Order.__table__
    now = utcnow()
    session.connection().execute(
        update(t).where(t.c.id.in_(children)).values(merged_into_id=parent, updated_at=now)
    )
    session.connection().execute(
        # the children's own members share their shop and buyer (indexed; see with_members)
        update(t)
        .where(t.c.merged_into_id.in_(children), t.c.shop_id == rows[0][5], t.c.buyer_id == rows[0][6])
        .values(merged_into_id=parent)
    )
    add_events(session, actor, [(i, "paid", "merge", f"-> {rows[0][1]}") for i in children] +
            [(parent, "paid", "merge", f"+{len(children)}")])  # fmt: skip
    audit.record(session, actor, "merge", "sales_order", parent, {"members": children})
    return parent


def unmerge_orders(session: Session, actor: Actor, parent_ids: Sequence[int]) -> int:
    """Undo merges of paid orders; returns how many members were set free."""
    require(actor, "orders.review")
    t = Order.__table__
    members = list(session.connection().scalars(select(Order.id).where(Order.merged_into_id.in_(sorted(parent_ids)),
                                                                       Order.status == "paid")))  # fmt: skip
    if members:
        session.connection().execute(update(t).where(t.c.id.in_(members)).values(merged_into_id=None))
        add_events(session, actor, [(i, "paid", "unmerge", "") for i in members])
    return len(members)


def split_order(session: Session, actor: Actor, order_id: int, parts: Sequence[Sequence[int]], *,
                warehouses: Sequence[int] | None = None) -> list[int]:  # fmt: skip
    """Move each part (line ids) of a paid order into a new order; returns the new orders' ids.

    Goods, total and paid move with the lines; shipping and discounts stay on the original.
    """
    require(actor, "orders.review")
    conn = session.connection()
    order = (
        conn.execute(for_update(select(Order.__table__).where(Order.id == order_id), session))
        .mappings()
        .first()
    )
    if order is None:
        raise ValidationError([problem("order", "unknown_ref", value=order_id)])
    lines = {r.id: r for r in conn.execute(select(OrderLine.__table__).where(OrderLine.order_id == order_id))}
    moved = [lid for part in parts for lid in part]
    if order["status"] != "paid" or order["merged_into_id"] is not None:
        raise ValidationError([problem("order", "split_not_open", value=order["platform_order_id"],
                                       status=f"status.{order['status']}")])  # fmt: skip
    if not parts or any(not p for p in parts) or set(moved) - set(lines) or len(set(moved)) != len(moved) \
            or len(set(moved)) >= len(lines):  # fmt: skip
        raise ValidationError([problem("lines", "split_bad_parts", value=order["platform_order_id"])])
    now = utcnow()
    existing = conn.scalar(
        select(Order.id).where(Order.split_from_id == order_id).order_by(Order.id.desc()).limit(1)
    )
    n0 = len(list(conn.scalars(select(Order.id).where(Order.split_from_id == order_id)))) if existing else 0
    new_ids = []
    paid_left = Decimal(order["paid_amount"])
    goods_left = Decimal(order["goods_amount"])
    total_left = Decimal(order["total_amount"])
    for n, part in enumerate(parts, start=n0 + 1):
        goods = sum((Decimal(lines[lid].amount) for lid in part), Decimal(0))
        paid = min(goods, paid_left)
        row = {k: v for k, v in order.items() if k != "id"}
        row.update(platform_order_id=f"{order['platform_order_id']}#S{n}"[:64], goods_amount=goods, total_amount=goods,
                   paid_amount=paid, shipping_amount=0, discount_amount=0, tax_amount=0, subsidy_amount=0,
                   refunded_amount=0, split_from_id=order_id, imported_at=now, updated_at=now,
                   warehouse_id=(warehouses[n - n0 - 1] if warehouses else order["warehouse_id"]))  # fmt: skip
        new_id = conn.execute(insert(Order.__table__).returning(Order.__table__.c.id), row).scalar_one()
        new_ids.append(new_id)
        t = OrderLine.__table__
        conn.execute(update(t).where(t.c.id == bindparam("lid")).values(order_id=new_id, line_no=bindparam("no")),
                     [{"lid": lid, "no": i} for i, lid in enumerate(part, start=1)])  # fmt: skip
        paid_left -= paid
        goods_left -= goods
        total_left -= goods
    t = Order.__table__
    conn.execute(update(t).where(t.c.id == order_id).values(goods_amount=goods_left, total_amount=total_left,
                                                             paid_amount=paid_left, updated_at=now))  # fmt: skip
    remaining = sorted(set(lines) - set(moved))
    lt = OrderLine.__table__
    conn.execute(update(lt).where(lt.c.id == bindparam("lid")).values(line_no=bindparam("no")),
                 [{"lid": lid, "no": -i} for i, lid in enumerate(remaining, start=1)])  # fmt: skip
    conn.execute(update(lt).where(lt.c.id == bindparam("lid")).values(line_no=bindparam("no")),
                 [{"lid": lid, "no": i} for i, lid in enumerate(remaining, start=1)])  # fmt: skip
    add_events(session, actor, [(order_id, "paid", "split", f"{len(parts)} parts")] +
            [(i, "paid", "split", f"<- {order['platform_order_id']}") for i in new_ids])  # fmt: skip
    audit.record(session, actor, "split", "sales_order", order_id, {"new_orders": new_ids})
    return new_ids
