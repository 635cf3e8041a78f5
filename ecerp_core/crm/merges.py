"""Reviewed merges of customers: suggestions (the same normalised phone, e-mail, or name and
address), the merge itself with its audit row, and its undo.

A merge moves the merged customer's buyer ids, orders, tickets and notes to the kept customer and
deactivates the merged one; what was moved is kept on the :class:`~ecerp_core.crm.models.CustomerMerge`
row, so :func:`undo_merge` puts exactly that back.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.customers import move_accounts
from ecerp_core.catalog.models import Customer, CustomerAccount
from ecerp_core.catalog.services import set_active
from ecerp_core.crm.exceptions import MergeAlreadyUndone, MergeNotAllowed
from ecerp_core.crm.models import CustomerMerge, CustomerNote, Ticket
from ecerp_core.crm.rules import match_keys
from ecerp_core.crm.services import customer_by_code, purchase_figures
from ecerp_core.db import among, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders.customers import move_orders, orders_of_customer
from ecerp_core.orders.models import Order


def merge_suggestions(session: Session, actor: Actor, *, limit: int = 200) -> list[dict]:
    """Pairs of active customers that look like one person: the same normalised phone or e-mail, or
    the same name and address (masked values never match). Each row: ``kept``, ``merged`` (codes;
    the one with more orders is kept), ``key`` (phone / email / name_address) and ``value``."""
    require(actor, "crm.read")
    figures = purchase_figures().subquery()
    people = session.execute(
        select(
            Customer.id,
            Customer.code,
            Customer.name,
            Customer.phone,
            Customer.email,
            Customer.address,
            func.coalesce(figures.c.orders, 0),
        )
        .outerjoin(figures, figures.c.customer_id == Customer.id)
        .where(Customer.active.is_(True))
        .order_by(Customer.id)
    ).all()
    received = session.execute(
        select(Order.customer_id, Order.receiver_name, Order.receiver_phone, Order.address)
        .where(Order.customer_id.is_not(None))
        .distinct()
    ).all()
    info = {p[0]: (p[1], p[6]) for p in people}
    groups: dict[tuple[str, str], set[int]] = defaultdict(set)
    for cid, _code, name, phone, email, address, _n in people:
        for key in match_keys(name, phone, email, address):
            groups[key].add(cid)
    for cid, name, phone, address in received:
        if cid in info:
            for key in match_keys(name, phone, "", address):
                groups[key].add(cid)
    seen, out = set(), []
    for (kind, value), ids in sorted(groups.items()):
        if len(ids) < 2:
            continue
        ranked = sorted(ids, key=lambda i: (-info[i][1], info[i][0]))
        for other in ranked[1:]:
            pair = (ranked[0], other)
            if pair in seen:
                continue
            seen.add(pair)
            out.append({"kept": info[pair[0]][0], "merged": info[other][0], "key": kind, "value": value})
    return out[:limit]


def merge_customers(
    session: Session, actor: Actor, kept_code: str, merged_code: str, reason: str = ""
) -> int:
    """Merge customer ``merged_code`` into ``kept_code`` after a person reviewed it: the buyer ids,
    orders, tickets and notes move to the kept customer and the merged one is deactivated. One audit
    row; :func:`undo_merge` puts everything back. Returns the merge's id."""
    require(actor, "crm.manage")
    kept, merged = customer_by_code(session, kept_code), customer_by_code(session, merged_code)
    if kept.id == merged.id or not kept.active or not merged.active:
        raise MergeNotAllowed(kept=kept.code, merged=merged.code)
    moved = {
        "accounts": list(
            session.scalars(select(CustomerAccount.id).where(CustomerAccount.customer_id == merged.id))
        ),
        "orders": orders_of_customer(session, merged.id),
        "tickets": list(session.scalars(select(Ticket.id).where(Ticket.customer_id == merged.id))),
        "notes": list(session.scalars(select(CustomerNote.id).where(CustomerNote.customer_id == merged.id))),
    }
    _move_own(session, moved, kept.id)
    move_accounts(session, actor, moved["accounts"], kept.id)
    move_orders(session, actor, moved["orders"], kept.id)
    set_active(session, actor, "customer", merged.code, False)
    record = CustomerMerge(
        kept_id=kept.id, merged_id=merged.id, reason=reason[:300], moved=moved, at=utcnow(), actor_id=actor.id
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        "merge",
        "customer",
        kept.id,
        {"merge_id": record.id, "kept": kept.code, "merged": merged.code, "reason": reason, **moved},
    )
    return record.id


def undo_merge(session: Session, actor: Actor, merge_id: int) -> None:
    """Put back what merge ``merge_id`` moved and reactivate the merged customer (audited)."""
    require(actor, "crm.manage")
    record = session.get(CustomerMerge, merge_id)
    if record is None:
        raise ValidationError([problem("merge", "unknown_ref", value=merge_id)])
    if record.undone_at is not None:
        raise MergeAlreadyUndone(merge=merge_id)
    merged = session.get(Customer, record.merged_id)
    moved = record.moved
    _move_own(session, moved, merged.id)
    move_accounts(session, actor, moved["accounts"], merged.id)
    move_orders(session, actor, moved["orders"], merged.id)
    set_active(session, actor, "customer", merged.code, True)
    record.undone_at, record.undone_by = utcnow(), actor.id
    audit.record(session, actor, "unmerge", "customer", record.kept_id, {"merge_id": merge_id, **moved})


def _move_own(session: Session, moved: dict, customer_id: int) -> None:
    """The CRM's own rows of a merge (tickets and notes) go to ``customer_id``."""
    for model, key in ((Ticket, "tickets"), (CustomerNote, "notes")):
        if moved.get(key):
            session.execute(
                update(model)
                .where(among(session, model.id, moved[key]))
                .values(customer_id=customer_id)
                .execution_options(synchronize_session=False)
            )


def list_merges(session: Session, actor: Actor, *, limit: int = 100) -> list[dict]:
    """The latest merges, newest first: ``id``, ``kept``, ``merged``, ``at``, ``reason``, ``undone_at``."""
    require(actor, "crm.read")
    kept = select(Customer.code).where(Customer.id == CustomerMerge.kept_id).scalar_subquery()
    merged = select(Customer.code).where(Customer.id == CustomerMerge.merged_id).scalar_subquery()
    return [
        dict(r)
        for r in session.execute(
            select(
                CustomerMerge.id,
                kept.label("kept"),
                merged.label("merged"),
                CustomerMerge.at,
                CustomerMerge.reason,
                CustomerMerge.undone_at,
            )
            .order_by(CustomerMerge.id.desc())
            .limit(limit)
        ).mappings()
    ]
