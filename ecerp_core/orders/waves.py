"""Wave picking (波次): approved orders of one warehouse taken together, picked from one list in
bin order (:func:`ecerp_core.orders.batch.pick_sheet`), numbered ``WV<yyyymmdd>-0001``.

An order (a parcel: a merged parcel's members ride with it) is in at most one wave.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Warehouse
from ecerp_core.db import among, utcnow
from ecerp_core.errors import NotFound, ValidationError, problem
from ecerp_core.orders import batch, workflow
from ecerp_core.orders.models import Order, PickWave, PickWaveOrder
from ecerp_core.stock.services import next_numbers

MAX_WAVE = 500
"""Orders in one wave at most (a picker's cart, not the day's work)."""


def wave_candidates(
    session: Session, actor: Actor, warehouse_id: int, order_ids: Sequence[int] | None = None
) -> list[int]:
    """Approved parcels of the warehouse in no wave yet, not on hold, oldest first (of ``order_ids``
    if given)."""
    require(actor, "orders.read")
    stmt = (
        select(Order.id)
        .where(
            Order.status == "approved",
            Order.warehouse_id == warehouse_id,
            Order.merged_into_id.is_(None),
            Order.on_hold.is_(False),
            ~select(PickWaveOrder.order_id).where(PickWaveOrder.order_id == Order.id).exists(),
        )
        .order_by(Order.approved_at, Order.id)
    )
    if order_ids is not None:
        stmt = stmt.where(among(session, Order.id, sorted(set(order_ids))))
    return list(session.connection().scalars(stmt))


def create_wave(
    session: Session,
    actor: Actor,
    warehouse_id: int,
    *,
    order_ids: Sequence[int] | None = None,
    limit: int | None = None,
) -> dict:
    """Make a wave of the warehouse's approved orders not yet in one (those of ``order_ids`` if
    given; at most ``limit``, oldest first); returns ``{"id", "number", "orders"}``.

    Orders of other warehouses, not approved or already in a wave are left out; a wave with no
    order is refused.
    """
    require(actor, "orders.ship")
    limit = min(limit or MAX_WAVE, MAX_WAVE)
    ids = wave_candidates(session, actor, warehouse_id, order_ids)[:limit]
    if not ids:
        code = session.connection().scalar(select(Warehouse.code).where(Warehouse.id == warehouse_id))
        raise ValidationError([problem("order", "wave_empty", value=code or warehouse_id)])
    workflow.load(session, ids)  # lock them: two clerks never put one order in two waves
    number = next_numbers(session, PickWave.number, "WV", 1)[0]
    conn = session.connection()
    wave_id = conn.execute(
        insert(PickWave).returning(PickWave.id),
        {"number": number, "warehouse_id": warehouse_id, "created_at": utcnow(), "actor_id": actor.id},
    ).scalar_one()
    conn.execute(
        insert(PickWaveOrder),
        [{"wave_id": wave_id, "order_id": oid, "position": n} for n, oid in enumerate(ids, start=1)],
    )
    statuses = workflow.statuses(session, ids)
    workflow.record(session, actor, [workflow.Happened(i, statuses[i], "wave", number) for i in ids])
    audit.record(session, actor, "create", "pick_wave", number, {"orders": ids})
    return {"id": wave_id, "number": number, "orders": len(ids)}


def list_waves(session: Session, actor: Actor, *, limit: int = 100) -> list[dict]:
    """The latest waves: number, warehouse, when, how many orders and how many of them shipped."""
    require(actor, "orders.read")
    stmt = (
        select(
            PickWave.id,
            PickWave.number,
            Warehouse.code.label("warehouse"),
            PickWave.created_at,
            func.count(PickWaveOrder.order_id).label("orders"),
            func.count(Order.shipped_at).label("shipped"),
        )
        .join(Warehouse, Warehouse.id == PickWave.warehouse_id)
        .join(PickWaveOrder, PickWaveOrder.wave_id == PickWave.id)
        .join(Order, Order.id == PickWaveOrder.order_id)
        .group_by(PickWave.id, PickWave.number, Warehouse.code, PickWave.created_at)
        .order_by(PickWave.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in session.connection().execute(stmt)]


def wave_detail(session: Session, actor: Actor, number: str, language: str | None = None) -> dict:
    """A wave: its number, warehouse, orders (by number, in the order taken) and its pick sheet
    (rows in bin route order, printable HTML, CSV)."""
    require(actor, "orders.read")
    wave = (
        session.connection()
        .execute(
            select(PickWave.id, PickWave.number, PickWave.created_at, Warehouse.code.label("warehouse"))
            .join(Warehouse, Warehouse.id == PickWave.warehouse_id)
            .where(PickWave.number == number.strip())
        )
        .first()
    )
    if wave is None:
        raise NotFound("error.not_found", what=number)
    orders = (
        session.connection()
        .execute(
            select(Order.id, Order.platform_order_id, Order.status)
            .join(PickWaveOrder, PickWaveOrder.order_id == Order.id)
            .where(PickWaveOrder.wave_id == wave.id)
            .order_by(PickWaveOrder.position)
        )
        .all()
    )
    sheet = batch.pick_sheet(session, actor, [o.id for o in orders], language)
    sheet["html"] = sheet["html"].replace("<h2>", f"<h2>{html.escape(wave.number)} · ", 1)
    return {
        "number": wave.number,
        "warehouse": wave.warehouse,
        "created_at": wave.created_at,
        "orders": [{"order": o.platform_order_id, "status": o.status} for o in orders],
        **sheet,
    }
