"""Inquiries, complaints and feedback (咨询/投诉/反馈): the one writer of a ticket's status.

``new -> in_progress -> resolved -> closed``; a new or in-progress ticket may be resolved or closed
at once; a resolved or closed ticket may be reopened (back to ``in_progress``). Every move is checked
against :data:`TICKET` and written with a line of history and an audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, User, require
from ecerp_core.catalog.models import Customer
from ecerp_core.crm.models import CHANNELS, TICKET_KINDS, Ticket, TicketEvent
from ecerp_core.db import among, for_update, insert_rows, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders.models import Order
from ecerp_core.query import Page, paginate, sort_stmt, text_filter
from ecerp_core.workflow import Workflow

STATUSES = ("new", "in_progress", "resolved", "closed")
OPEN_STATUSES = ("new", "in_progress")
TICKET = Workflow(
    "ticket",
    frozenset({
        ("new", "in_progress"), ("new", "resolved"), ("new", "closed"),
        ("in_progress", "resolved"), ("in_progress", "closed"),
        ("resolved", "closed"),
        ("resolved", "in_progress"), ("closed", "in_progress"),  # reopen
    }),
    label="ticket",
)  # fmt: skip
"""The ticket workflow, declared once."""
DUE_HOURS = {"inquiry": 4, "complaint": 24, "feedback": 72}
"""How long a ticket of each kind may take before it is overdue, unless a due time is given."""


@dataclass(frozen=True)
class TicketDraft:
    """A new ticket: ``kind`` one of :data:`~ecerp_core.crm.models.TICKET_KINDS`; ``customer`` a
    customer code and ``order`` a platform order number, or ``order_id`` our order's id (either may
    be empty: the order's customer is used when only the order is given); ``owner`` a username."""

    kind: str
    subject: str
    customer: str = ""
    order: str = ""
    sku: str = ""
    channel: str = "other"
    detail: str = ""
    owner: str = ""
    due_at: dt.datetime | None = None
    order_id: int | None = None


def add_tickets(session: Session, actor: Actor, drafts: Sequence[TicketDraft]) -> list[int]:
    """Open tickets (status ``new``); every problem of every draft is listed, or nothing is written."""
    require(actor, "crm.write")
    customers = dict(
        session.execute(
            select(Customer.code, Customer.id).where(
                among(session, Customer.code, {d.customer for d in drafts})
            )
        ).all()
    )
    wanted = select(Order.id, Order.platform_order_id, Order.customer_id)
    orders = {
        r.platform_order_id: r
        for r in session.execute(
            wanted.where(among(session, Order.platform_order_id, {d.order for d in drafts if d.order}))
        )
    }
    by_id = {
        r.id: r
        for r in session.execute(
            wanted.where(among(session, Order.id, {d.order_id for d in drafts if d.order_id}))
        )
    }
    owners = dict(
        session.execute(
            select(User.username, User.id).where(among(session, User.username, {d.owner for d in drafts}))
        ).all()
    )
    problems = []
    for line, d in enumerate(drafts, start=1):
        found = []
        if d.kind not in TICKET_KINDS:
            found.append(problem("kind", "unknown_ref", value=d.kind))
        if d.channel not in CHANNELS:
            found.append(problem("channel", "unknown_ref", value=d.channel))
        if not d.subject.strip():
            found.append(problem("subject", "required"))
        if d.customer and d.customer not in customers:
            found.append(problem("customer", "unknown_ref", value=d.customer))
        if d.order and d.order not in orders:
            found.append(problem("order", "unknown_ref", value=d.order))
        if d.order_id and d.order_id not in by_id:
            found.append(problem("order", "unknown_ref", value=d.order_id))
        if d.owner and d.owner not in owners:
            found.append(problem("owner", "unknown_ref", value=d.owner))
        problems += [p.at_line(line) if len(drafts) > 1 else p for p in found]
    if problems:
        raise ValidationError(problems)
    now = utcnow()
    tickets = []
    for d in drafts:
        order = by_id.get(d.order_id) or orders.get(d.order)
        tickets.append(
            Ticket(
                kind=d.kind,
                channel=d.channel,
                customer_id=customers.get(d.customer) or (order.customer_id if order else None),
                order_id=order.id if order else None,
                sku=d.sku.strip()[:64],
                subject=d.subject.strip()[:200],
                detail=d.detail.strip()[:1000],
                owner_id=owners.get(d.owner),
                status="new",
                due_at=d.due_at or now + dt.timedelta(hours=DUE_HOURS[d.kind]),
                created_at=now,
            )
        )
    session.add_all(tickets)
    session.flush()
    insert_rows(
        session,
        TicketEvent,
        [
            {
                "ticket_id": t.id,
                "at": now,
                "actor_id": actor.id,
                "from_status": None,
                "to_status": "new",
                "note": "",
            }
            for t in tickets
        ],
    )
    audit.record_many(
        session,
        actor,
        "create",
        "crm_ticket",
        [(t.id, {"kind": t.kind, "subject": t.subject}) for t in tickets],
    )
    return [t.id for t in tickets]


def move_tickets(
    session: Session,
    actor: Actor,
    ticket_ids: Sequence[int],
    target: str,
    *,
    note: str = "",
    satisfaction: int | None = None,
) -> None:
    """Move tickets to ``target`` (``in_progress``, ``resolved``, ``closed``); resolving stamps the
    resolution time and keeps ``note`` as the resolution; reopening clears it. Refused whole, naming
    every ticket that may not move."""
    require(actor, "crm.write")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValidationError([problem("satisfaction", "out_of_range", value=satisfaction, low=1, high=5)])
    ids = sorted(set(ticket_ids))
    stmt = select(Ticket).where(among(session, Ticket.id, ids)).order_by(Ticket.id)
    found = {t.id: t for t in session.scalars(for_update(stmt, session))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError([problem("ticket", "unknown_ref", value=i) for i in missing])
    TICKET.check((i, found[i].status, target) for i in ids)
    now = utcnow()
    events = []
    for i in ids:
        t = found[i]
        events.append(
            {
                "ticket_id": i,
                "at": now,
                "actor_id": actor.id,
                "from_status": t.status,
                "to_status": target,
                "note": note[:500],
            }
        )
        if target == "resolved":
            t.resolved_at, t.resolution = now, note[:500]
        elif target == "in_progress" and t.status in ("resolved", "closed"):
            t.resolved_at = None
        if satisfaction is not None:
            t.satisfaction = satisfaction
        t.status = target
    session.flush()
    insert_rows(session, TicketEvent, events)
    audit.record(
        session,
        actor,
        f"ticket_{target}",
        "crm_ticket",
        ids[0] if len(ids) == 1 else f"{len(ids)} tickets",
        {"ticket_ids": ids, "note": note},
    )


def start_tickets(session: Session, actor: Actor, ticket_ids: Sequence[int], note: str = "") -> None:
    move_tickets(session, actor, ticket_ids, "in_progress", note=note)


def resolve_tickets(
    session: Session,
    actor: Actor,
    ticket_ids: Sequence[int],
    resolution: str = "",
    satisfaction: int | None = None,
) -> None:
    move_tickets(session, actor, ticket_ids, "resolved", note=resolution, satisfaction=satisfaction)


def close_tickets(session: Session, actor: Actor, ticket_ids: Sequence[int], note: str = "") -> None:
    move_tickets(session, actor, ticket_ids, "closed", note=note)


def reopen_tickets(session: Session, actor: Actor, ticket_ids: Sequence[int], note: str = "") -> None:
    move_tickets(session, actor, ticket_ids, "in_progress", note=note)


def ticket_actions(status: str) -> list[str]:
    """What a person may do next with a ticket in ``status`` (the app's buttons).

    >>> ticket_actions("new"), ticket_actions("resolved")
    (['start', 'resolve', 'close'], ['close', 'reopen'])
    """
    return {
        "new": ["start", "resolve", "close"],
        "in_progress": ["resolve", "close"],
        "resolved": ["close", "reopen"],
        "closed": ["reopen"],
    }[status]


def ticket_stmt(*, kind: str | None = None, status: str | None = None, search: str = "") -> Select:
    owner = select(User.username).where(User.id == Ticket.owner_id).scalar_subquery()
    stmt = (
        select(
            Ticket.id,
            Ticket.kind,
            Ticket.channel,
            Ticket.status,
            Customer.code.label("customer"),
            Customer.name.label("customer_name"),
            Order.platform_order_id.label("order"),
            Ticket.sku,
            Ticket.subject,
            owner.label("owner"),
            Ticket.created_at,
            Ticket.due_at,
            Ticket.resolved_at,
            Ticket.satisfaction,
        )
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(Order, Order.id == Ticket.order_id)
        .order_by(Ticket.id.desc())
    )
    if kind:
        stmt = stmt.where(Ticket.kind == kind)
    if status == "open":
        stmt = stmt.where(Ticket.status.in_(OPEN_STATUSES))
    elif status:
        stmt = stmt.where(Ticket.status == status)
    return text_filter(stmt, [Ticket.subject, Customer.code, Customer.name, Order.platform_order_id], search)


def with_times(rows: list[dict], now: dt.datetime) -> list[dict]:
    """Add ``overdue`` (open past its due time) and ``resolution_hours`` to ticket rows."""
    for r in rows:
        r["overdue"] = bool(r["status"] in OPEN_STATUSES and r["due_at"] and r["due_at"] < now)
        done = r.get("resolved_at")
        r["resolution_hours"] = round((done - r["created_at"]).total_seconds() / 3600, 1) if done else None
    return rows


def list_tickets(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    status: str | None = None,
    search: str = "",
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """Tickets, newest first; ``status="open"`` for new and in-progress ones."""
    require(actor, "crm.read")
    stmt = sort_stmt(ticket_stmt(kind=kind, status=status, search=search), sort, descending)
    page = paginate(session, stmt, offset=offset, limit=limit)
    with_times(page.rows, utcnow())
    return page


def get_ticket(session: Session, actor: Actor, ticket_id: int) -> dict:
    """One ticket as :func:`list_tickets` shows it, with its history (``history``)."""
    require(actor, "crm.read")
    row = session.execute(ticket_stmt().where(Ticket.id == ticket_id)).mappings().first()
    if row is None:
        raise ValidationError([problem("ticket", "unknown_ref", value=ticket_id)])
    [found] = with_times([dict(row)], utcnow())
    found["history"] = [
        dict(r)
        for r in session.execute(
            select(TicketEvent.at, TicketEvent.from_status, TicketEvent.to_status, TicketEvent.note)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        ).mappings()
    ]
    return found


def complaints_for_order(session: Session, actor: Actor, order_id: int) -> list[dict]:
    """The inquiries, complaints and feedback about one order (the Order Desk shows them beside it)."""
    require(actor, "crm.read")
    rows = [dict(r) for r in session.execute(ticket_stmt().where(Ticket.order_id == order_id)).mappings()]
    return with_times(rows, utcnow())


def complaint_rows(kind: str = "complaint") -> Select:
    """The tickets of ``kind`` that name an order: ``ticket_id``, ``order_id`` and ``sku`` (``""``
    when the ticket names none). A read-only statement for reports to aggregate (the complaint rate
    of analytics counts these against the orders); nothing is loaded here."""
    return select(Ticket.id.label("ticket_id"), Ticket.order_id, Ticket.sku).where(
        Ticket.kind == kind, Ticket.order_id.is_not(None)
    )


def ticket_figures(session: Session, actor: Actor, since: dt.datetime, until: dt.datetime) -> dict:
    """Tickets opened in ``[since, until)``: ``counts`` by (kind, status); ``resolved`` how many of
    them are resolved or closed, ``resolution_hours`` their average time to resolve and
    ``satisfaction`` their average score (None when there is none)."""
    require(actor, "crm.read")
    window = (Ticket.created_at >= since, Ticket.created_at < until)
    stmt = (
        select(Ticket.kind, Ticket.status, func.count(Ticket.id))
        .where(*window)
        .group_by(Ticket.kind, Ticket.status)
    )
    counts = {(k, s): int(n) for k, s, n in session.execute(stmt)}
    done = session.execute(
        select(Ticket.created_at, Ticket.resolved_at, Ticket.satisfaction).where(
            *window, Ticket.resolved_at.is_not(None)
        )
    ).all()
    scores = [s for _, _, s in done if s is not None]
    hours = [(r - c).total_seconds() / 3600 for c, r, _ in done]
    return {
        "counts": dict(sorted(counts.items())),
        "resolved": len(done),
        "resolution_hours": round(sum(hours) / len(hours), 1) if hours else None,
        "satisfaction": round(sum(scores) / len(scores), 2) if scores else None,
    }
