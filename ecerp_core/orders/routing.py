"""Warehouse routing (智能分仓): by receiver region, stock availability and warehouse priority.

Availability is read (not locked) from the stock levels; the reservation on approval is what
guarantees it. An order no warehouse can fill alone either waits (``on_short="wait"``) or is
split into one order per warehouse (``"split"``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.products import bundle_parts
from ecerp_core.catalog.services import warehouse_facts
from ecerp_core.orders import rules
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.stock.models import StockLevel


def available_stock(session: Session, product_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """``{(product, warehouse): on_hand − reserved}`` (read-only; for routing and channel stock)."""
    ids = sorted(set(product_ids))
    out: dict[tuple[int, int], int] = {}
    for start in range(0, len(ids), 5000):
        stmt = select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand - StockLevel.reserved).where(
            StockLevel.product_id.in_(ids[start:start + 5000]))  # fmt: skip
        out.update({(p, w): a for p, w, a in session.connection().execute(stmt)})
    return out


def route_orders(session: Session, actor: Actor, order_ids: Sequence[int], *, on_short: str = "wait",
                 settings: dict | None = None) -> dict[int, bool]:  # fmt: skip
    """Pick each order's warehouse; returns ``{order_id: stock_ok}`` (False: waiting for stock).

    Orders are served oldest first against the availability they leave behind, so a batch never
    routes the same last unit twice.
    """
    require(actor, "orders.review")
    if not order_ids:
        return {}
    conn = session.connection()
    warehouses = [(w.id, w.region) for w in warehouse_facts(session) if w.active]
    orders = {r[0]: r[1:] for r in conn.execute(select(Order.id, Order.region, Order.warehouse_id)
                                                .where(Order.id.in_(sorted(order_ids))))}  # fmt: skip
    lines: dict[int, list[tuple[int, int, int]]] = {}
    for oid, lid, pid, qty in conn.execute(select(OrderLine.order_id, OrderLine.id, OrderLine.product_id, OrderLine.quantity)
                                           .where(OrderLine.order_id.in_(sorted(orders)), OrderLine.product_id.is_not(None))):  # fmt: skip
        lines.setdefault(oid, []).append((lid, pid, qty))
    pids = {p for ls in lines.values() for _, p, _ in ls}
    parts = bundle_parts(session, pids)
    avail = available_stock(session, pids | {c for cs in parts.values() for c, _ in cs})
    result: dict[int, bool] = {}
    moves: list[dict] = []
    splits: list[tuple[int, dict[int, list[int]]]] = []
    for oid in order_ids:
        region, current = orders[oid]
        home = rules.PROVINCE_REGION.get(region)
        candidates = [w for w, r in warehouses if home and r == home] + [
            w for w, r in warehouses if not home or r != home
        ]
        need: dict[int, int] = {}
        per_line: dict[int, dict[int, int]] = {}
        for lid, pid, qty in lines.get(oid, []):
            comps = parts.get(pid, [(pid, 1)])
            per_line[lid] = {c: q * qty for c, q in comps}
            for c, q in comps:
                need[c] = need.get(c, 0) + q * qty
        wid = rules.choose_warehouse(need, candidates, avail)
        if wid is not None:
            for c, q in need.items():
                avail[(c, wid)] = avail.get((c, wid), 0) - q
            result[oid] = True
            if wid != current:
                moves.append({"oid": oid, "w": wid})
            continue
        plan = _line_plan(per_line, candidates, avail) if on_short == "split" and len(per_line) > 1 else None
        if plan:
            splits.append((oid, plan))
            result[oid] = True
        else:
            result[oid] = False
    if moves:
        t = Order.__table__
        conn.execute(update(t).where(t.c.id == bindparam("oid")).values(warehouse_id=bindparam("w")), moves)
    if splits:
        from ecerp_core.orders.merge import split_order

        for oid, plan in splits:
            new_ids = split_order(
                session, actor, oid, [lids for lids in plan.values()][1:], warehouses=list(plan)[1:]
            )
            t = Order.__table__
            conn.execute(update(t).where(t.c.id == oid).values(warehouse_id=next(iter(plan))))
            for nid in new_ids:
                result[nid] = True
    return result


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
