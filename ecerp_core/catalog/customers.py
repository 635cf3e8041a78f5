"""Customers' platform buyer ids: which buyer of which shop is which customer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import TIERS, Customer, CustomerAccount, Shop
from ecerp_core.db import among
from ecerp_core.errors import Problem, ValidationError, problem
from ecerp_core.query import ids_by_key


def link_customer_accounts(
    session: Session, actor: Actor, links: Sequence[tuple[str, str, str]]
) -> list[CustomerAccount]:
    """Record that buyer id ``b`` in shop ``s`` is customer ``c`` for each ``(c, s, b)``; idempotent.

    A buyer id that already belongs to another customer of that shop is a problem; the batch is
    checked whole and nothing is written when any link is wrong.
    """
    require(actor, "catalog.write")
    customers = ids_by_key(session, Customer, "code", {c for c, _, _ in links})
    shops = ids_by_key(session, Shop, "code", {s for _, s, _ in links})
    wanted = [(c, s, (b or "").strip()) for c, s, b in links]
    existing = {
        (a.shop_id, a.buyer_id): a
        for a in session.scalars(
            select(CustomerAccount).where(
                among(session, CustomerAccount.shop_id, shops.values()),
                among(session, CustomerAccount.buyer_id, {b for _, _, b in wanted}),
            )
        )
    }
    problems: list[Problem] = []
    seen: dict[tuple[int, str], int] = {}
    for line, (customer, shop, buyer) in enumerate(wanted, start=1):
        found = []
        if customer not in customers:
            found.append(problem("customer", "unknown_ref", value=customer))
        if shop not in shops:
            found.append(problem("shop", "unknown_ref", value=shop))
        if not buyer:
            found.append(problem("buyer_id", "required"))
        if not found:
            key, owner = (shops[shop], buyer), customers[customer]
            taken = existing[key].customer_id if key in existing else seen.get(key)
            if taken is not None and taken != owner:
                found.append(problem("buyer_id", "duplicate", value=buyer))
            seen[key] = owner
        problems += [p.at_line(line) if len(wanted) > 1 else p for p in found]
    if problems:
        raise ValidationError(problems)
    new = []
    for customer, shop, buyer in wanted:
        key = (shops[shop], buyer)
        if key not in existing:
            account = CustomerAccount(customer_id=customers[customer], shop_id=key[0], buyer_id=buyer)
            existing[key] = account
            new.append((account, customer, shop))
    session.add_all([a for a, _, _ in new])
    session.flush()
    audit.record_many(
        session,
        actor,
        "create",
        "customer_account",
        [(a.id, {"customer": c, "shop": s, "buyer_id": a.buyer_id}) for a, c, s in new],
    )
    return [existing[(shops[s], b)] for _, s, b in wanted]


def link_customer_account(
    session: Session, actor: Actor, customer_code: str, shop_code: str, buyer_id: str
) -> CustomerAccount:
    """Record that ``buyer_id`` in ``shop_code`` is this customer (idempotent)."""
    return link_customer_accounts(session, actor, [(customer_code, shop_code, buyer_id)])[0]


def move_accounts(session: Session, actor: Actor, account_ids: Sequence[int], customer_id: int) -> None:
    """Give the buyer ids ``account_ids`` to customer ``customer_id`` (a reviewed merge or its undo,
    by :mod:`ecerp_core.crm.services`, which writes the audit row of the act)."""
    require(actor, "crm.manage")
    if account_ids:
        session.execute(
            update(CustomerAccount)
            .where(among(session, CustomerAccount.id, list(account_ids)))
            .values(customer_id=customer_id)
        )
        session.expire_all()


def set_tiers(session: Session, actor: Actor, tiers: Mapping[int, str]) -> None:
    """Set the tier of each customer id in ``tiers`` (the CRM's tier rules or a manual change; the
    CRM keeps the history and the reason)."""
    require(actor, "crm.manage")
    unknown = sorted(set(tiers.values()) - set(TIERS))
    if unknown:
        raise ValidationError([problem("tier", "unknown_ref", value=v) for v in unknown])
    by_tier: dict[str, list[int]] = {}
    for customer_id, tier in tiers.items():
        by_tier.setdefault(tier, []).append(customer_id)
    for tier, ids in by_tier.items():
        for start in range(0, len(ids), 500):
            session.execute(
                update(Customer).where(Customer.id.in_(ids[start : start + 500])).values(tier=tier)
            )
    session.expire_all()
