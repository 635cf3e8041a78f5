"""Invariants of purchasing for ``ecerp check``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.invariants import listed
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseOrderLine
from ecerp_core.stock.models import StockMove


def totals_and_receipts_add_up(session: Session) -> list[str]:
    """total = Σ lines; received units per order = Σ its receipt moves."""
    lines = {
        pid: (amt, rec)
        for pid, amt, rec in session.execute(
            select(
                PurchaseOrderLine.purchase_order_id,
                func.sum(PurchaseOrderLine.amount),
                func.sum(PurchaseOrderLine.received),
            ).group_by(PurchaseOrderLine.purchase_order_id)
        )
    }
    moved = dict(
        session.execute(
            select(StockMove.source_id, func.sum(StockMove.quantity))
            .where(StockMove.source_type == "purchase_order", StockMove.move_type == "receipt")
            .group_by(StockMove.source_id)
        ).all()
    )
    failures = []
    for pid, number, total in session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.total_amount).order_by(PurchaseOrder.id)
    ):
        amount, received = lines.get(pid, (0, 0))
        if amount != total:
            failures.append(f"purchase order {number}: total {total} but lines add up to {amount}")
        if int(received or 0) != int(moved.get(pid) or 0):
            failures.append(
                f"purchase order {number}: {received} received but receipts add up to {moved.get(pid)}"
            )
    return listed("purchase orders", failures)


CHECKS = [totals_and_receipts_add_up]
