"""Customer tiers (客户分层): the company's rules, recomputed on demand or by a scheduler, with the
history of every change and its reason.

A tier is reached by spend (net of refunds) **and** number of purchases over the last ``months``
(12 by default) up to a day; the highest tier reached wins. :func:`recompute_tiers` is what a cron
job runs (``ecerp customers tiers recompute``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date
from ecerp_core.catalog.customers import set_tiers
from ecerp_core.catalog.models import Customer
from ecerp_core.crm.models import TierChange, TierRule
from ecerp_core.crm.rules import DEFAULT_TIER_RULES, TIER_ORDER, TierRuleValue, tier_for, tier_rule_problems
from ecerp_core.crm.services import PURCHASED, customer_by_code, net_amount
from ecerp_core.db import insert_rows, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders.models import Order

REASON_RULES = "tier.reason.rules"


def tier_rules(session: Session, actor: Actor) -> tuple[list[TierRuleValue], int]:
    """The company's tier rules (the defaults until it sets its own) and their window in months."""
    require(actor, "crm.read")
    rows = list(session.scalars(select(TierRule)))
    if not rows:
        return list(DEFAULT_TIER_RULES), 12
    rules = [TierRuleValue(r.tier, Decimal(r.min_spend), r.min_orders) for r in rows]
    return sorted(rules, key=lambda r: TIER_ORDER.index(r.tier)), rows[0].months


def set_tier_rules(session: Session, actor: Actor, rules: Sequence[TierRuleValue], months: int = 12) -> None:
    """Replace the tier rules (checked whole: known tiers, no negative thresholds, a higher tier never
    asks less than a lower one)."""
    require(actor, "crm.manage")
    found = [problem("tier", code, value=tier) for tier, code in tier_rule_problems(rules)]
    if not 1 <= months <= 60:
        found.append(problem("months", "out_of_range", value=months, low=1, high=60))
    if found:
        raise ValidationError(found)
    session.execute(delete(TierRule))
    session.add_all(
        TierRule(tier=r.tier, min_spend=r.min_spend, min_orders=r.min_orders, months=months) for r in rules
    )
    session.flush()
    audit.record(
        session,
        actor,
        "update",
        "crm_tier_rule",
        "all",
        {"months": months, "rules": [r._asdict() for r in rules]},
    )


def window_start(as_of: dt.date, months: int) -> dt.date:
    """The first day of the window of ``months`` ending on ``as_of`` (inclusive).

    >>> window_start(dt.date(2024, 3, 31), 12), window_start(dt.date(2024, 2, 29), 12)
    (datetime.date(2023, 4, 1), datetime.date(2023, 3, 1))
    """
    year, month = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
    last = as_of.day
    while True:
        try:
            return dt.date(year, month + 1, last) + dt.timedelta(days=1)
        except ValueError:
            last -= 1


def recompute_tiers(
    session: Session, actor: Actor, *, as_of: dt.date | None = None, dry_run: bool = False
) -> list[dict]:
    """Apply the tier rules to every active customer as of a day (default today, company time) and
    return the changes (``code``, ``from_tier``, ``to_tier``, ``spend``, ``orders``); each change is
    kept in the tier history with its reason. Spend and orders are aggregated in SQL."""
    require(actor, "crm.manage")
    rules, months = tier_rules(session, actor)
    as_of = as_of or business_date(session)
    since = window_start(as_of, months)
    figures = (
        select(
            Order.customer_id,
            func.count(Order.id).label("orders"),
            func.coalesce(func.sum(net_amount()), 0).label("spend"),
        )
        .where(
            Order.customer_id.is_not(None),
            Order.status.in_(PURCHASED),
            Order.order_date >= since,
            Order.order_date <= as_of,
        )
        .group_by(Order.customer_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Customer.id,
            Customer.code,
            Customer.tier,
            func.coalesce(figures.c.orders, 0),
            func.coalesce(figures.c.spend, 0),
        )
        .outerjoin(figures, figures.c.customer_id == Customer.id)
        .where(Customer.active.is_(True))
        .order_by(Customer.code)
    ).all()
    changes = []
    for cid, code, tier, orders, spend in rows:
        spend = Decimal(spend).quantize(Decimal("0.01"))
        target = tier_for(spend, int(orders), rules)
        if target != tier:
            changes.append(
                {
                    "id": cid,
                    "code": code,
                    "from_tier": tier,
                    "to_tier": target,
                    "spend": spend,
                    "orders": int(orders),
                }
            )
    if dry_run or not changes:
        return changes
    set_tiers(session, actor, {c["id"]: c["to_tier"] for c in changes})
    now = utcnow()
    note = f"{since.isoformat()}..{as_of.isoformat()}"
    insert_rows(
        session,
        TierChange,
        [
            {
                "customer_id": c["id"],
                "at": now,
                "actor_id": actor.id,
                "from_tier": c["from_tier"],
                "to_tier": c["to_tier"],
                "reason": REASON_RULES,
                "spend": c["spend"],
                "order_count": c["orders"],
                "note": note,
            }
            for c in changes
        ],
    )
    audit.record(
        session,
        actor,
        "recompute",
        "customer_tier",
        as_of.isoformat(),
        {"changed": len(changes), "window": note},
    )
    return changes


def tier_counts(session: Session, actor: Actor) -> dict[str, int]:
    """How many active customers are in each tier."""
    require(actor, "crm.read")
    found = dict(
        session.execute(
            select(Customer.tier, func.count(Customer.id))
            .where(Customer.active.is_(True))
            .group_by(Customer.tier)
        ).all()
    )
    return {tier: int(found.get(tier, 0)) for tier in TIER_ORDER}


def tier_changes(session: Session, actor: Actor, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Tier changes made in ``[since, until)``, oldest first: ``code``, ``name``, ``from_tier``,
    ``to_tier``, ``reason``, ``spend``, ``order_count``."""
    require(actor, "crm.read")
    return [
        dict(r)
        for r in session.execute(
            select(
                Customer.code,
                Customer.name,
                TierChange.from_tier,
                TierChange.to_tier,
                TierChange.reason,
                TierChange.spend,
                TierChange.order_count,
            )
            .join(Customer, Customer.id == TierChange.customer_id)
            .where(TierChange.at >= since, TierChange.at < until)
            .order_by(TierChange.id)
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
