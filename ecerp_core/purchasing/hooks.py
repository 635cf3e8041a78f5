"""Posting hooks of purchasing: finance fills these in; they run in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from ecerp_core.auth import Actor


def on_received(
    session: Session, actor: Actor, purchase_order_ids: Sequence[int], moves: Sequence[dict]
) -> None:
    """Goods arrived: inventory against goods-received-not-invoiced (finance posts here)."""
