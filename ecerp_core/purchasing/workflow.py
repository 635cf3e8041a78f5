"""The one writer of a purchase order's status: its workflow, declared once, and the move."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor
from ecerp_core.db import among, for_update, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.purchasing.models import PurchaseOrder
from ecerp_core.workflow import Workflow

STATUSES = ("draft", "confirmed", "partially_received", "received", "closed", "cancelled")
OPEN = ("confirmed", "partially_received")
"""Statuses in which goods are still expected."""

PURCHASE_ORDER = Workflow(
    "purchase_order",
    frozenset({
        ("draft", "confirmed"),
        ("draft", "cancelled"),
        ("confirmed", "partially_received"),
        ("confirmed", "received"),
        ("partially_received", "partially_received"),
        ("partially_received", "received"),
        ("confirmed", "cancelled"),
        ("partially_received", "closed"),   # the rest will never come
        ("received", "closed"),
    }),
)  # fmt: skip
"""The purchase order workflow."""


class PurchaseOrderState(NamedTuple):
    """What the workflow and receiving need to know of a locked purchase order."""

    id: int
    number: str
    status: str
    currency: str
    warehouse_id: int
    supplier_id: int


def load(session: Session, ids: Iterable[int]) -> dict[int, PurchaseOrderState]:
    """Lock the purchase orders (in id order) and return their states; unknown ids are a problem."""
    wanted = sorted(set(ids))
    stmt = (
        select(
            PurchaseOrder.id,
            PurchaseOrder.number,
            PurchaseOrder.status,
            PurchaseOrder.currency,
            PurchaseOrder.warehouse_id,
            PurchaseOrder.supplier_id,
        )
        .where(among(session, PurchaseOrder.id, wanted))
        .order_by(PurchaseOrder.id)
    )
    found = {
        row.id: PurchaseOrderState(*row) for row in session.connection().execute(for_update(stmt, session))
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationError([problem("purchase_order", "unknown_ref", value=i) for i in missing])
    return found


def move(
    session: Session,
    actor: Actor,
    orders: Mapping[int, PurchaseOrderState],
    targets: Mapping[int, str],
    action: str,
) -> None:
    """Move each order to its target status (all or nothing), one audit row per order."""
    PURCHASE_ORDER.check((orders[i].number, orders[i].status, target) for i, target in targets.items())
    table = PurchaseOrder.__table__
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("pid"))
        .values(status=bindparam("st"), updated_at=utcnow()),
        [{"pid": i, "st": target} for i, target in targets.items()],
    )
    audit.record_many(
        session,
        actor,
        action,
        "purchase_order",
        [(i, {"status": [orders[i].status, target]}) for i, target in targets.items()],
    )
