"""An order's history (``sales_order_event``) for what happens without a status change.

Status changes write their rows in :func:`ecerp_core.orders.services._apply`; everything else
that a clerk, the platform or the system does to an order (a hold, an exception, a merge, a partial
refund, an after-sales step, a platform status note) goes through :func:`add_events`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from ecerp_core.auth import Actor
from ecerp_core.db import insert_rows, utcnow
from ecerp_core.orders.models import OrderEvent


def add_events(session: Session, actor: Actor, items: Iterable[tuple[int, str, str, str]]) -> None:
    """One history row per ``(order_id, status, event, note)``; the order stays in ``status``."""
    now = utcnow()
    insert_rows(session, OrderEvent, [
        {"order_id": oid, "at": now, "actor_id": actor.id, "event": event[:20], "from_status": status,
         "to_status": status, "note": note[:300]} for oid, status, event, note in items])  # fmt: skip
