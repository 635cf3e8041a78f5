"""Warehouse routing (智能分仓): by receiver region, stock availability and warehouse priority.

Availability is read (not locked) from the stock levels; the reservation on approval is what
guarantees it. An order no warehouse can fill alone either waits (``on_short="wait"``) or is
split into one order per warehouse (``"split"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.products import expand_lines
from ecerp_core.catalog.services import warehouse_facts
from ecerp_core.db import among, for_update, update_rows
from ecerp_core.orders import rules
from ecerp_core.orders.merge import split_order
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.stock.services import available_stock


def route_orders(
    session: Session,
    actor: Actor,
    order_ids: Sequence[int],
    *,
    on_short: str = "wait",
    settings: dict | None = None,
    known: Routable | None = None,
    moved: dict[int, int | None] | None = None,
) -> dict[int, bool]:
    """Pick each order's warehouse; returns ``{order_id: stock_ok}`` (False: waiting for stock).

    Orders are served oldest first against the availability they leave behind, so a batch never
    routes the same last unit twice. ``known``: the orders as the caller has locked and read them
    in this transaction (else they are locked and read here). ``moved`` (if given) receives
    ``{order_id: warehouse_id}`` of the orders routed to another warehouse, and ``{order_id: None}``
    of those split (their lines and amounts changed).
    """
    require(actor, "orders.review")
    if not order_ids:
        return {}
    conn = session.connection()
    warehouses = [(w.id, w.region) for w in warehouse_facts(session) if w.active]
    orders, found = _read(session, order_ids) if known is None else known
    consumed = expand_lines(session, [(product_id, qty) for _, _, product_id, qty in found])
    lines: dict[int, dict[int, list[tuple[int, int]]]] = {}  # order -> line -> stocked products it takes
    for (order_id, line_id, _, _), takes in zip(found, consumed, strict=True):
        lines.setdefault(order_id, {})[line_id] = takes
    avail = available_stock(session, {product for takes in consumed for product, _ in takes})
    result: dict[int, bool] = {}
    moves: list[dict] = []  # {"id", "warehouse_id"}: orders routed to another warehouse
    splits: list[tuple[int, dict[int, list[int]]]] = []
    by_region: dict[str, list[int]] = {}  # the candidates of each region, in the order they are tried
    for oid in order_ids:
        region, routed = orders[oid]
        candidates = by_region.get(region)
        if candidates is None:
            candidates = by_region[region] = rules.warehouse_candidates(region, warehouses)
        takes_per_line = lines.get(oid, {})
        need: dict[int, int] = {}
        for takes in takes_per_line.values():
            for product, qty in takes:
                need[product] = need.get(product, 0) + qty
        wid = rules.choose_warehouse(need, candidates, avail)
        if wid is not None:
            for c, q in need.items():
                avail[(c, wid)] = avail.get((c, wid), 0) - q
            result[oid] = True
            if wid != routed:
                moves.append({"id": oid, "warehouse_id": wid})
            continue
        plan = None
        if on_short == "split" and len(takes_per_line) > 1:
            per_line = {line_id: dict(takes) for line_id, takes in takes_per_line.items()}
            plan = _line_plan(per_line, candidates, avail)
        if plan:
            splits.append((oid, plan))
            result[oid] = True
        else:
            result[oid] = False
    table = Order.__table__
    update_rows(session, table, moves)
    for oid, plan in splits:
        first, *others = plan
        new_ids = split_order(session, actor, oid, [plan[w] for w in others], warehouses=others)
        conn.execute(update(table).where(table.c.id == oid).values(warehouse_id=first))
        result.update(dict.fromkeys(new_ids, True))
    if moved is not None:
        moved.update((m["id"], m["warehouse_id"]) for m in moves)
        moved.update((oid, None) for oid, _ in splits)
    return result


class Routable(NamedTuple):
    """What routing reads of orders: ``{order_id: (region, warehouse_id)}`` and their lines that
    name a product, ``[(order_id, line_id, product_id, quantity)]``."""

    orders: dict[int, tuple[str, int | None]]
    lines: list[tuple[int, int, int, int]]


def _read(session: Session, order_ids: Sequence[int]) -> Routable:
    # the orders are locked before their warehouse changes, in id order like every writer of orders
    # (routing changed it unlocked while an approve locked in id order: a deadlock under load)
    stmt = (
        select(Order.id, Order.region, Order.warehouse_id)
        .where(among(session, Order.id, sorted(order_ids)))
        .order_by(Order.id)
    )
    conn = session.connection()
    # hot loops over every order and line unpack rows into names (attribute reads cost a second)
    rows = conn.execute(for_update(stmt, session)).all()
    orders = {order_id: (region, routed) for order_id, region, routed in rows}
    stmt = select(OrderLine.order_id, OrderLine.id, OrderLine.product_id, OrderLine.quantity).where(
        among(session, OrderLine.order_id, sorted(orders)), OrderLine.product_id.is_not(None)
    )
    return Routable(orders, conn.execute(stmt).all())


def _line_plan(
    per_line: dict[int, dict[int, int]], candidates: list[int], avail: dict
) -> dict[int, list[int]] | None:
    """Each line to the first warehouse that can fill it; ``{warehouse: [line ids]}`` or None."""
    plan: dict[int, list[int]] = {}
    left = dict(avail)
    for lid, need in per_line.items():
        wid = rules.choose_warehouse(need, candidates, left)
        if wid is None:
            return None
        for c, q in need.items():
            left[(c, wid)] = left.get((c, wid), 0) - q
        plan.setdefault(wid, []).append(lid)
    if len(plan) < 2:
        return None
    avail.update(left)
    return plan
