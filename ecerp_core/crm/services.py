"""Customer 360: one customer across shops and platforms, the figures of their purchases, notes,
merge suggestions, and reviewed merges that can be undone.

A customer is a :class:`~ecerp_core.catalog.models.Customer` with its buyer ids per shop
(:class:`~ecerp_core.catalog.models.CustomerAccount`); orders carry the customer they belong to.
Figures are aggregated in SQL over the orders that count as purchases (:data:`PURCHASED`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.customers import link_customer_accounts, move_accounts, set_tiers
from ecerp_core.catalog.models import Customer, CustomerAccount, Product, Shop
from ecerp_core.catalog.services import create_records, set_active
from ecerp_core.crm.exceptions import MergeAlreadyUndone, MergeNotAllowed, UnknownCustomer
from ecerp_core.crm.models import CustomerMerge, CustomerNote, Ticket, TierChange
from ecerp_core.crm.rules import match_keys
from ecerp_core.db import utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders.customers import link_orders_to_customers, move_orders, orders_of_customer
from ecerp_core.orders.models import AfterSale, Order, OrderLine, OrderRefund
from ecerp_core.query import Page, paginate, sort_stmt, text_filter

ZERO = Decimal("0.00")
PURCHASED = ("paid", "approved", "shipped", "finished", "refunded")
"""Order statuses that are purchases (never paid, closed and cancelled orders are not)."""
OPEN_CASES = ("requested", "approved", "waiting_return", "received")


def net_amount():
    """What an order is worth to the customer's figures: its total less what was refunded."""
    return Order.total_amount - Order.refunded_amount


def purchase_figures() -> Select:
    """Per customer: orders, spend (net of refunds), first and last order date — one statement."""
    return (
        select(
            Order.customer_id.label("customer_id"),
            func.count(Order.id).label("orders"),
            func.coalesce(func.sum(net_amount()), 0).label("spend"),
            func.min(Order.order_date).label("first_order"),
            func.max(Order.order_date).label("last_order"),
        )
        .where(Order.customer_id.is_not(None), Order.status.in_(PURCHASED))
        .group_by(Order.customer_id)
    )


def customer_by_code(session: Session, code: str) -> Customer:
    found = session.scalar(select(Customer).where(Customer.code == code.strip()))
    if found is None:
        raise UnknownCustomer(code)
    return found


def list_customers(
    session: Session,
    actor: Actor,
    *,
    search: str = "",
    tier: str | None = None,
    include_inactive: bool = False,
    sort: str | None = "spend",
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """Customers with their order count, spend and last order, searched by code, name, phone or buyer id."""
    require(actor, "crm.read")
    figures = purchase_figures().subquery()
    stmt = (
        select(
            Customer.id,
            Customer.code,
            Customer.name,
            Customer.phone,
            Customer.region,
            Customer.tier,
            func.coalesce(figures.c.orders, 0).label("orders"),
            func.coalesce(figures.c.spend, 0).label("spend"),
            figures.c.last_order,
            Customer.active,
        )
        .outerjoin(figures, figures.c.customer_id == Customer.id)
        .order_by(Customer.code)
    )
    if not include_inactive:
        stmt = stmt.where(Customer.active.is_(True))
    if tier:
        stmt = stmt.where(Customer.tier == tier)
    if search.strip():
        buyers = select(CustomerAccount.customer_id)
        buyers = text_filter(buyers, [CustomerAccount.buyer_id], search)
        by_text = text_filter(
            select(Customer.id), [Customer.code, Customer.name, Customer.phone, Customer.email], search
        )
        stmt = stmt.where(Customer.id.in_(by_text.union(buyers)))
    page = paginate(session, sort_stmt(stmt, sort, descending), offset=offset, limit=limit)
    for row in page.rows:
        row["spend"] = Decimal(row["spend"]).quantize(ZERO)
    return page


def customer_360(session: Session, actor: Actor, code: str, *, order_limit: int = 50) -> dict:
    """Everything about one customer: profile, buyer ids, figures, orders and their lines, refunds
    and returns, open after-sales cases, tickets, notes, tier history and merges.

    Figures: ``orders``, ``lifetime_value`` (net of refunds), ``average_order_value``,
    ``first_order``/``last_order``, ``refunded``, ``returns`` (refunds with goods back),
    ``open_cases``, ``complaints``.
    """
    require(actor, "crm.read")
    c = customer_by_code(session, code)
    fig = session.execute(purchase_figures().where(Order.customer_id == c.id)).mappings().first()
    orders_n = int(fig["orders"]) if fig else 0
    ltv = Decimal(fig["spend"]).quantize(ZERO) if fig else ZERO
    refunds = session.execute(
        select(
            func.count(OrderRefund.id),
            func.coalesce(func.sum(OrderRefund.amount), 0),
            func.coalesce(func.sum(case((OrderRefund.with_return.is_(True), 1), else_=0)), 0),
        )
        .join(Order, Order.id == OrderRefund.order_id)
        .where(Order.customer_id == c.id)
    ).one()
    orders = [
        dict(r)
        for r in session.execute(
            select(
                Order.id,
                Order.platform_order_id.label("number"),
                Shop.code.label("shop"),
                Order.platform,
                Order.order_date,
                Order.status,
                Order.currency,
                Order.total_amount,
                Order.refunded_amount,
            )
            .join(Shop, Shop.id == Order.shop_id)
            .where(Order.customer_id == c.id)
            .order_by(Order.order_date.desc(), Order.id.desc())
            .limit(order_limit)
        ).mappings()
    ]
    lines = defaultdict(list)
    if orders:
        for r in session.execute(
            select(
                OrderLine.order_id,
                OrderLine.platform_sku.label("sku"),
                func.coalesce(Product.name_zh, OrderLine.name).label("name"),
                OrderLine.quantity,
                OrderLine.amount,
            )
            .outerjoin(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id.in_([o["id"] for o in orders]))
            .order_by(OrderLine.order_id, OrderLine.line_no)
        ).mappings():
            lines[r["order_id"]].append({k: r[k] for k in ("sku", "name", "quantity", "amount")})
    for o in orders:
        o["lines"] = lines.get(o["id"], [])
    cases = [
        dict(r)
        for r in session.execute(
            select(
                AfterSale.id,
                Order.platform_order_id.label("order"),
                AfterSale.kind,
                AfterSale.status,
                AfterSale.amount,
                AfterSale.reason,
            )
            .join(Order, Order.id == AfterSale.order_id)
            .where(Order.customer_id == c.id, AfterSale.status.in_(OPEN_CASES))
            .order_by(AfterSale.id)
        ).mappings()
    ]
    tickets = [
        dict(r)
        for r in session.execute(
            select(
                Ticket.id,
                Ticket.kind,
                Ticket.channel,
                Ticket.subject,
                Ticket.status,
                Ticket.created_at,
                Ticket.due_at,
                Ticket.satisfaction,
            )
            .where(Ticket.customer_id == c.id)
            .order_by(Ticket.id.desc())
        ).mappings()
    ]
    return {
        "id": c.id,
        "code": c.code,
        "name": c.name,
        "phone": c.phone,
        "email": c.email,
        "country": c.country,
        "region": c.region,
        "city": c.city,
        "address": c.address,
        "tier": c.tier,
        "active": c.active,
        "accounts": [
            dict(r)
            for r in session.execute(
                select(Shop.code.label("shop"), Shop.platform, CustomerAccount.buyer_id)
                .join(Shop, Shop.id == CustomerAccount.shop_id)
                .where(CustomerAccount.customer_id == c.id)
                .order_by(Shop.code, CustomerAccount.buyer_id)
            ).mappings()
        ],
        "orders": orders_n,
        "lifetime_value": ltv,
        "average_order_value": (ltv / orders_n).quantize(ZERO) if orders_n else ZERO,
        "first_order": fig["first_order"] if fig else None,
        "last_order": fig["last_order"] if fig else None,
        "refunds": int(refunds[0]),
        "refunded": Decimal(refunds[1]).quantize(ZERO),
        "returns": int(refunds[2]),
        "open_cases": cases,
        "complaints": sum(1 for t in tickets if t["kind"] == "complaint"),
        "tickets": tickets,
        "recent_orders": orders,
        "notes": [
            dict(r)
            for r in session.execute(
                select(CustomerNote.at, CustomerNote.text)
                .where(CustomerNote.customer_id == c.id)
                .order_by(CustomerNote.id.desc())
            ).mappings()
        ],
        "tier_history": [
            dict(r)
            for r in session.execute(
                select(
                    TierChange.at,
                    TierChange.from_tier,
                    TierChange.to_tier,
                    TierChange.reason,
                    TierChange.spend,
                    TierChange.order_count,
                    TierChange.note,
                )
                .where(TierChange.customer_id == c.id)
                .order_by(TierChange.id.desc())
            ).mappings()
        ],
    }


def add_note(session: Session, actor: Actor, code: str, text: str) -> int:
    """Add a note to a customer; returns its id."""
    require(actor, "crm.write")
    text = (text or "").strip()
    if not text:
        raise ValidationError([problem("note", "required")])
    c = customer_by_code(session, code)
    note = CustomerNote(customer_id=c.id, actor_id=actor.id, text=text[:1000], at=utcnow())
    session.add(note)
    session.flush()
    audit.record(session, actor, "create", "crm_customer_note", note.id, {"customer": c.code})
    return note.id


def adopt_buyers(session: Session, actor: Actor, shop_code: str | None = None) -> int:
    """Make a customer of every buyer id that has orders but no customer yet (a history shop's
    buyers, an import before the customer existed), link their accounts, and link their orders.
    Returns how many customers were created. The code is ``<shop>-<buyer id>``."""
    require(actor, "crm.manage")
    stmt = (
        select(Shop.code, Order.buyer_id, func.max(Order.receiver_name), func.max(Order.region))
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(
            CustomerAccount,
            (CustomerAccount.shop_id == Order.shop_id) & (CustomerAccount.buyer_id == Order.buyer_id),
        )
        .where(Order.customer_id.is_(None), Order.buyer_id != "", CustomerAccount.id.is_(None))
        .group_by(Shop.code, Order.buyer_id)
        .order_by(Shop.code, Order.buyer_id)
    )
    if shop_code:
        stmt = stmt.where(Shop.code == shop_code)
    found = session.execute(stmt).all()
    rows, links = [], []
    for shop, buyer, name, region in found:
        code = f"{shop}-{buyer}"[:64]
        rows.append({"code": code, "name": (name or buyer)[:200], "region": (region or "")[:60]})
        links.append((code, shop, buyer))
    if rows:
        existing = set(
            session.scalars(select(Customer.code).where(Customer.code.in_([r["code"] for r in rows])))
        )
        create_records(session, actor, "customer", [r for r in rows if r["code"] not in existing])
        link_customer_accounts(session, actor, links)
    link_orders_to_customers(session, actor)
    return len(rows)


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
                .where(model.id.in_(moved[key]))
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


def set_tier(session: Session, actor: Actor, code: str, tier: str, note: str = "") -> None:
    """Set a customer's tier by hand, with the reason kept in the tier history."""
    c = customer_by_code(session, code)
    old, cid = c.tier, c.id
    if old == tier:
        return
    set_tiers(session, actor, {cid: tier})
    session.add(
        TierChange(
            customer_id=cid,
            at=utcnow(),
            actor_id=actor.id,
            from_tier=old,
            to_tier=tier,
            reason="tier.reason.manual",
            note=note[:300],
        )
    )
    audit.record(session, actor, "tier", "customer", cid, {"from": old, "to": tier, "note": note})
