"""Customer 360: one customer across shops and platforms, the figures of their purchases, notes,
merge suggestions, and reviewed merges that can be undone.

A customer is a :class:`~ecerp_core.catalog.models.Customer` with its buyer ids per shop
(:class:`~ecerp_core.catalog.models.CustomerAccount`); orders carry the customer they belong to.
Figures are aggregated in SQL over the orders that count as purchases (:data:`PURCHASED`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.customers import link_customer_accounts
from ecerp_core.catalog.models import Customer, CustomerAccount, Product, Shop
from ecerp_core.catalog.services import create_records
from ecerp_core.crm.exceptions import UnknownCustomer
from ecerp_core.crm.models import CustomerNote, Ticket, TierChange
from ecerp_core.db import among, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders.customers import link_orders_to_customers
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
            .where(among(session, OrderLine.order_id, [o["id"] for o in orders]))
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
            session.scalars(
                select(Customer.code).where(among(session, Customer.code, [r["code"] for r in rows]))
            )
        )
        create_records(session, actor, "customer", [r for r in rows if r["code"] not in existing])
        link_customer_accounts(session, actor, links)
    link_orders_to_customers(session, actor)
    return len(rows)
