"""The audit log: who did what to which record, and when. Every service write adds rows here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ecerp_core.db import Base, Timestamp, bigpk, insert_rows, utcnow

if TYPE_CHECKING:
    from ecerp_core.auth import Actor


class AuditLog(Base):
    """One write by one actor.

    action: what happened (``create``, ``update``, ``deactivate``, ``import``, ``set_password`` ...).
    entity / entity_id: the table and the record's key, as text.
    detail: the changed fields as ``{field: [old, new]}`` or the created values.
    """

    __tablename__ = "audit_log"

    id: Mapped[bigpk]
    at: Mapped[Timestamp] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40), index=True)
    entity_id: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


_PLAIN = frozenset({int, str})


def jsonable(value: object) -> object:
    """Make a value fit a JSON column: Decimals and dates become strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):  # often thousands of ids
        return [v if type(v) in _PLAIN else jsonable(v) for v in value]
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Add one audit row in the caller's transaction."""
    record_many(session, actor, action, entity, [(entity_id, detail or {})])


def record_many(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    rows: Iterable[tuple[object, Mapping[str, object]]],
) -> int:
    """Add one audit row per ``(entity_id, detail)`` in a single round trip; returns the count."""
    now = utcnow()
    values = [
        {
            "at": now,
            "actor_id": actor.id,
            "actor_name": actor.username,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id)[:80],  # a long file name or reference never fails the write
            "detail": jsonable(detail),
        }
        for entity_id, detail in rows
    ]
    insert_rows(session, AuditLog, values)  # Core, not the ORM's bulk path: far less per row
    return len(values)


def history(session: Session, entity: str, entity_id: object) -> list[AuditLog]:
    """The audit rows of one record, oldest first."""
    stmt = (
        select(AuditLog)
        .where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
        .order_by(AuditLog.id)
    )
    return list(session.scalars(stmt))
