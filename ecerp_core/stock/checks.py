"""Invariants of the stock ledger for ``ecerp check``: each returns human-readable failures."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.catalog.models import Warehouse
from ecerp_core.invariants import listed
from ecerp_core.stock.models import (
    StockLevel,
    StockMove,
    StockReservation,
    Stocktake,
    StocktakeLine,
    Transfer,
    TransferLine,
)


def on_hand_matches_moves(session: Session) -> list[str]:
    """stock_level.on_hand == the sum of stock_move.quantity, per product and warehouse."""
    moved = {
        (p, w): int(q)
        for p, w, q in session.execute(
            select(StockMove.product_id, StockMove.warehouse_id, func.sum(StockMove.quantity)).group_by(
                StockMove.product_id, StockMove.warehouse_id
            )
        )
    }
    levels = {
        (p, w): h
        for p, w, h in session.execute(
            select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand)
        )
    }
    failures = [
        f"stock: product {p} in warehouse {w} has on_hand {levels.get((p, w), 0)} but its moves add up to "
        f"{moved.get((p, w), 0)}"
        for p, w in sorted(set(moved) | set(levels))
        if levels.get((p, w), 0) != moved.get((p, w), 0)
    ]
    return listed("on_hand", failures)


def reserved_matches_reservations(session: Session) -> list[str]:
    """stock_level.reserved == the sum of open reservations, per product and warehouse."""
    held = {
        (p, w): int(q)
        for p, w, q in session.execute(
            select(
                StockReservation.product_id,
                StockReservation.warehouse_id,
                func.sum(StockReservation.quantity),
            ).group_by(StockReservation.product_id, StockReservation.warehouse_id)
        )
    }
    levels = {
        (p, w): r
        for p, w, r in session.execute(
            select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.reserved)
        )
    }
    failures = [
        f"stock: product {p} in warehouse {w} has reserved {levels.get((p, w), 0)} but open reservations "
        f"add up to {held.get((p, w), 0)}"
        for p, w in sorted(set(held) | set(levels))
        if levels.get((p, w), 0) != held.get((p, w), 0)
    ]
    return listed("reserved", failures)


def available_not_negative(session: Session) -> list[str]:
    """on_hand − reserved ≥ 0 and reserved ≥ 0, except where the warehouse allows negative stock."""
    stmt = (
        select(
            StockLevel.product_id,
            StockLevel.warehouse_id,
            StockLevel.on_hand,
            StockLevel.reserved,
            Warehouse.allow_negative,
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where((StockLevel.reserved < 0) | (StockLevel.on_hand - StockLevel.reserved < 0))
        .order_by(StockLevel.product_id, StockLevel.warehouse_id)
    )
    failures = [
        f"stock: product {p} in warehouse {w} has on_hand {h}, reserved {r}"
        for p, w, h, r, allowed in session.execute(stmt)
        if r < 0 or not allowed
    ]
    return listed("available", failures)


def transit_matches_transfer_moves(session: Session) -> list[str]:
    """Per transfer: units shipped − received == −Σ its transfer moves (what is on the way or lost)."""
    moved = dict(
        session.execute(
            select(StockMove.source_id, func.sum(StockMove.quantity))
            .where(StockMove.source_type == "transfer")
            .group_by(StockMove.source_id)
        ).all()
    )
    failures = [
        f"transfer {number}: shipped − received is {gap} but its moves add up to {-(moved.get(tid) or 0)}"
        for tid, number, gap in session.execute(
            select(Transfer.id, Transfer.number, func.sum(TransferLine.shipped - TransferLine.received))
            .join(TransferLine, TransferLine.transfer_id == Transfer.id)
            .group_by(Transfer.id, Transfer.number)
            .order_by(Transfer.id)
        )
        if int(gap or 0) != -int(moved.get(tid) or 0)
    ]
    return listed("transfers", failures)


def stocktakes_posted_their_variance(session: Session) -> list[str]:
    """An approved stocktake's moves add up to Σ (counted − book) of its counted lines."""
    moved = dict(
        session.execute(
            select(StockMove.source_id, func.sum(StockMove.quantity))
            .where(StockMove.source_type == "stocktake")
            .group_by(StockMove.source_id)
        ).all()
    )
    failures = [
        f"stocktake {number}: variance {variance} but its moves add up to {moved.get(sid) or 0}"
        for sid, number, variance in session.execute(
            select(
                Stocktake.id,
                Stocktake.number,
                func.sum(StocktakeLine.counted_qty - func.coalesce(StocktakeLine.book_qty, 0)),
            )
            .join(StocktakeLine, StocktakeLine.stocktake_id == Stocktake.id)
            .where(Stocktake.status == "approved")
            .group_by(Stocktake.id, Stocktake.number)
            .order_by(Stocktake.id)
        )
        if int(variance or 0) != int(moved.get(sid) or 0)
    ]
    return listed("stocktakes", failures)


CHECKS = [
    on_hand_matches_moves,
    reserved_matches_reservations,
    available_not_negative,
    transit_matches_transfer_moves,
    stocktakes_posted_their_variance,
]
