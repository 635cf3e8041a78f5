"""The one writer of an order's status, its history and its reasons to wait.

Every status change of an order — a clerk's approval, a shipment, a cancellation, a refund, a newer
platform export — goes through :func:`move`, checked against the workflow declared here; everything
else that happens to an order without changing its status (a hold, a merge, a partial refund, an
after-sales step, a platform note) is written by :func:`record`; the reasons an order waits (the
exception queue's, and automatic review's) by :func:`set_exceptions` and :func:`set_review_reasons`.
The use cases (intake, review, routing, merge, batch, cases, after-sales) call these and never
write those columns or tables themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor
from ecerp_core.db import among, for_update, insert_columns, insert_rows, update_rows, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders.models import Order, OrderEvent, OrderReason
from ecerp_core.workflow import Workflow

STATUSES = ("pending_payment", "paid", "approved", "shipped", "finished", "cancelled", "closed", "refunded")
CLOSED_STATUSES = ("closed", "cancelled", "refunded", "finished")
"""Statuses in which an order is done with: it has a ``closed_at`` moment."""

ORDER = Workflow(
    "order",
    frozenset({
        ("pending_payment", "paid"),      # the buyer paid (platform import)
        ("pending_payment", "closed"),    # never paid, the platform closed it
        ("paid", "approved"),             # a clerk approved it: stock is reserved
        ("paid", "cancelled"),
        ("approved", "cancelled"),        # reservation released
        ("paid", "refunded"),             # refunded in full before shipping
        ("approved", "refunded"),
        ("approved", "shipped"),          # reservation consumed, shipment moves written
        ("shipped", "finished"),          # the buyer confirmed receipt
        ("shipped", "refunded"),          # refunded in full after shipping (with or without return)
        ("finished", "refunded"),
    }),
)  # fmt: skip
"""The order workflow, declared once: every status change is checked against it."""

IMPORT_MOVES: Mapping[tuple[str, str], str] = {
    ("pending_payment", "paid"): "paid",
    ("pending_payment", "closed"): "closed",
    ("pending_payment", "cancelled"): "closed",
    ("shipped", "finished"): "finished",
    ("paid", "closed"): "cancelled",
    ("paid", "cancelled"): "cancelled",
    ("paid", "refunded"): "cancelled",
    ("approved", "closed"): "cancelled",
    ("approved", "cancelled"): "cancelled",
    ("approved", "refunded"): "cancelled",
}
"""The import workflow: (our status, the status a newer platform export reports) -> our next status.
Every target is a move :data:`ORDER` allows. A buyer's refund before shipping cancels the order
(releasing its stock); after shipping it becomes an after-sales case instead; anything else a
newer export says is only noted in the order's history."""

EXCEPTION, REVIEW = "exception", "review"


class OrderState(NamedTuple):
    """What the workflow needs to know of a locked order."""

    id: int
    number: str
    status: str
    warehouse_id: int | None
    on_hold: bool
    merged_into_id: int | None


STATE_COLUMNS = (
    Order.id,
    Order.platform_order_id,
    Order.status,
    Order.warehouse_id,
    Order.on_hold,
    Order.merged_into_id,
)
"""The columns an :class:`OrderState` is read from, in its fields' order."""


class Change(NamedTuple):
    """Move order ``order_id`` from ``from_status``, also setting ``values`` (column -> value)."""

    order_id: int
    from_status: str
    values: Mapping[str, object] = {}


class Happened(NamedTuple):
    """A line of an order's history that leaves it in ``status``."""

    order_id: int
    status: str
    event: str
    note: str = ""


def load(session: Session, order_ids: Iterable[int]) -> dict[int, OrderState]:
    """Lock the orders (in id order, so two writers never deadlock) and return their states."""
    ids = sorted(set(order_ids))
    stmt = select(*STATE_COLUMNS).where(among(session, Order.id, ids)).order_by(Order.id)
    found = {
        state.id: state
        for state in map(OrderState._make, session.connection().execute(for_update(stmt, session)).all())
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError([problem("order", "unknown_ref", value=i) for i in missing])
    return found


def check(states: Mapping[int, OrderState], order_ids: Iterable[int], target: str) -> None:
    """Raise :class:`~ecerp_core.errors.TransitionNotAllowed` naming every order that may not move."""
    ORDER.check((states[i].number, states[i].status, target) for i in order_ids)


def move(
    session: Session, actor: Actor, changes: Sequence[Change], target: str, event: str, note: str = ""
) -> None:
    """Move orders to ``target``, set each change's values, and write one history row per order and
    one audit row for the batch (a clerk's "approve 300 orders" is one act; the per-order trail is
    the history, which carries the same actor and moment)."""
    if not changes:
        return
    ORDER.check((c.order_id, c.from_status, target) for c in changes)
    now = utcnow()
    by_columns: dict[tuple[str, ...], list[Change]] = {}
    for c in changes:
        by_columns.setdefault(tuple(c.values), []).append(c)
    for group in by_columns.values():
        rows = [{"id": c.order_id, **c.values} for c in group]
        update_rows(session, Order, rows, values={"status": target, "updated_at": now})
    ids = [c.order_id for c in changes]
    count = len(ids)
    insert_columns(session, OrderEvent, {
        "order_id": ids, "at": [now] * count, "actor_id": [actor.id] * count, "event": [event] * count,
        "from_status": [c.from_status for c in changes], "to_status": [target] * count,
        "note": [note] * count,
    })  # fmt: skip
    what = ids[0] if len(ids) == 1 else f"{len(ids)} orders"
    audit.record(
        session, actor, event, "sales_order", what, {"order_ids": ids, "to_status": target, "note": note}
    )


def created(
    session: Session, actor: Actor, order_ids: list[int], statuses: list[str], notes: list[str]
) -> None:
    """The first line of history of new orders (imported in ``statuses``), written as columns: an
    import creates a hundred thousand at once."""
    count = len(order_ids)
    insert_columns(session, OrderEvent, {
        "order_id": order_ids, "at": [utcnow()] * count, "actor_id": [actor.id] * count,
        "event": ["import"] * count, "from_status": [None] * count, "to_status": statuses,
        "note": [note[:300] for note in notes],
    })  # fmt: skip


def record(session: Session, actor: Actor, happened: Iterable[Happened]) -> None:
    """One history row per :class:`Happened`; the orders stay in their status."""
    now = utcnow()
    insert_rows(
        session,
        OrderEvent,
        [
            {
                "order_id": h.order_id,
                "at": now,
                "actor_id": actor.id,
                "event": h.event[:20],
                "from_status": h.status,
                "to_status": h.status,
                "note": h.note[:300],
            }
            for h in happened
        ],
    )


def statuses(session: Session, order_ids: Iterable[int]) -> dict[int, str]:
    """The current status of each order (not locked: for history rows of status-preserving steps)."""
    stmt = select(Order.id, Order.status).where(among(session, Order.id, sorted(set(order_ids))))
    return dict(session.connection().execute(stmt).all())


# --- reasons to wait -------------------------------------------------------------------------------
def add_reasons(session: Session, kind: str, reasons: Mapping[int, Sequence[str]]) -> None:
    """Add reasons to orders that have none of ``kind`` yet (new orders, fresh review results)."""
    insert_rows(
        session,
        OrderReason,
        [
            {"order_id": oid, "kind": kind, "code": code, "position": position}
            for oid, codes in reasons.items()
            for position, code in enumerate(dict.fromkeys(codes))
        ],
    )


def _replace(session: Session, kind: str, reasons: Mapping[int, Sequence[str]]) -> None:
    ids = sorted(reasons)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        stmt = delete(OrderReason).where(
            OrderReason.kind == kind, among(session, OrderReason.order_id, chunk)
        )
        session.connection().execute(stmt)
    add_reasons(session, kind, reasons)


def set_exceptions(session: Session, actor: Actor, reasons: Mapping[int, Sequence[str]], note: str) -> None:
    """Make ``reasons`` (possibly none) the exception reasons of each order, with a history row."""
    if not reasons:
        return
    _replace(session, EXCEPTION, reasons)
    table = Order.__table__
    session.connection().execute(
        update(table).where(among(session, table.c.id, sorted(reasons))).values(updated_at=utcnow())
    )
    now_in = statuses(session, reasons)
    record(
        session,
        actor,
        [
            Happened(oid, now_in[oid], "exception", f"{note}:{','.join(codes)}")
            for oid, codes in reasons.items()
        ],
    )


def set_review_reasons(session: Session, reasons: Mapping[int, Sequence[str]]) -> None:
    """Why automatic review left each of these orders for a clerk (replacing the last run's)."""
    _replace(session, REVIEW, reasons)


def reasons_of(session: Session, order_ids: Iterable[int], kind: str = EXCEPTION) -> dict[int, list[str]]:
    """The reasons of ``kind`` of each order that has any."""
    stmt = (
        select(OrderReason.order_id, OrderReason.code)
        .where(OrderReason.kind == kind, among(session, OrderReason.order_id, sorted(set(order_ids))))
        .order_by(OrderReason.order_id, OrderReason.position)
    )
    out: dict[int, list[str]] = {}
    for order_id, code in session.connection().execute(stmt):  # the ids as one parameter
        out.setdefault(order_id, []).append(code)
    return out


def has_reason(kind: str = EXCEPTION, code: str | None = None) -> ColumnElement[bool]:
    """SQL: the order has a reason of ``kind`` (``code`` if given) — for queues and filters."""
    cond = exists().where(OrderReason.order_id == Order.id, OrderReason.kind == kind)
    return cond.where(OrderReason.code == code) if code else cond


def with_members(session: Session, order_ids: Sequence[int]) -> list[int]:
    """The whole parcels of ``order_ids``: an order merged into another stands for its parcel (the
    order it was merged into), and each parcel comes with the orders merged into it, in the order
    given (members after their parcel). A merged parcel is approved, reserved and shipped as one,
    whichever of its orders a clerk picked."""
    if not order_ids:
        return []
    parcel_of = dict(
        session.connection()
        .execute(
            select(Order.id, Order.merged_into_id).where(
                among(session, Order.id, sorted(set(order_ids))), Order.merged_into_id.is_not(None)
            )
        )
        .all()
    )
    roots = list(dict.fromkeys(parcel_of.get(oid, oid) for oid in order_ids))
    stmt = (
        select(Order.merged_into_id, Order.id)
        .where(among(session, Order.merged_into_id, sorted(set(roots))))
        .order_by(Order.id)
    )
    by_parent: dict[int, list[int]] = {}
    for row in session.connection().execute(stmt).all():
        by_parent.setdefault(row.merged_into_id, []).append(row.id)
    if not by_parent:
        return roots
    out: dict[int, None] = {}
    for oid in roots:
        out.update(dict.fromkeys((oid, *by_parent.get(oid, ()))))
    return list(out)
