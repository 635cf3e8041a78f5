"""Which customer an order belongs to: orders linked after the fact, once their buyer id is known to
be a customer's, and orders moved between customers by a reviewed merge (or its undo)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import CustomerAccount
from ecerp_core.orders.models import Order


def link_orders_to_customers(session: Session, actor: Actor, shop_ids: Sequence[int] | None = None) -> int:
    """Set the customer of orders without one whose (shop, buyer id) is a customer's account; returns
    how many orders were linked. Imports link at import time; this catches up orders imported before
    the account existed."""
    require(actor, "crm.manage")
    account = (
        select(CustomerAccount.customer_id)
        .where(CustomerAccount.shop_id == Order.shop_id, CustomerAccount.buyer_id == Order.buyer_id)
        .scalar_subquery()
    )
    stmt = (
        update(Order)
        .where(Order.customer_id.is_(None), Order.buyer_id != "", account.is_not(None))
        .values(customer_id=account)
    )
    if shop_ids is not None:
        stmt = stmt.where(Order.shop_id.in_(list(shop_ids)))
    result = session.execute(stmt.execution_options(synchronize_session=False))
    session.expire_all()
    return result.rowcount or 0


def orders_of_customer(session: Session, customer_id: int) -> list[int]:
    return list(session.scalars(select(Order.id).where(Order.customer_id == customer_id).order_by(Order.id)))


def move_orders(session: Session, actor: Actor, order_ids: Sequence[int], customer_id: int) -> None:
    """Give orders ``order_ids`` to customer ``customer_id`` (a merge or its undo; the CRM audits)."""
    require(actor, "crm.manage")
    ids = list(order_ids)
    for start in range(0, len(ids), 500):
        session.execute(
            update(Order)
            .where(Order.id.in_(ids[start : start + 500]))
            .values(customer_id=customer_id)
            .execution_options(synchronize_session=False)
        )
    session.expire_all()
