"""Posting hooks: finance fills these in; each runs inside the caller's transaction.

They receive what happened (orders, moves, refunds) so the journal entry can be built from it; an
event posts exactly once because the service calls the hook exactly once per event.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from ecerp_core.auth import Actor


def on_shipped(session: Session, actor: Actor, order_ids: Sequence[int], moves: Sequence[dict]) -> None:
    """Orders left the warehouse: revenue and cost of goods sold (finance posts here)."""


def on_refunded(session: Session, actor: Actor, refunds: Sequence[dict], moves: Sequence[dict]) -> None:
    """Money went back to buyers, goods perhaps back to stock (finance posts here)."""
