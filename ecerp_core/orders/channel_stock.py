"""Channel stock (库存同步): what each shop may publish = available × coefficient − buffer.

Computed from the stock levels whenever asked, so it always follows the latest stock change; the
CLI exports it and the API clients push it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Product, Shop
from ecerp_core.db import among
from ecerp_core.orders import rules
from ecerp_core.orders.models import ChannelStockRule
from ecerp_core.stock.services import available_stock


def set_rule(
    session: Session,
    actor: Actor,
    shop_id: int,
    *,
    coefficient: Decimal = Decimal(1),
    buffer: int = 0,
    warehouse_ids: Sequence[int] = (),
) -> None:
    """Set a shop's coefficient (0..1 usually), buffer units and the warehouses it sells from."""
    require(actor, "orders.review")
    rule = session.get(ChannelStockRule, shop_id) or ChannelStockRule(shop_id=shop_id)
    rule.coefficient, rule.buffer, rule.warehouse_ids = Decimal(coefficient), int(buffer), list(warehouse_ids)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor,
        "update",
        "channel_stock_rule",
        shop_id,
        {"coefficient": coefficient, "buffer": buffer, "warehouses": list(warehouse_ids)},
    )


def channel_stock(session: Session, actor: Actor, shop_ids: Sequence[int] | None = None) -> list[dict]:
    """Rows ``{shop, sku, available, quantity}`` for every active shop and stocked product."""
    require(actor, "orders.read")
    shops = session.execute(select(Shop.id, Shop.code).where(Shop.active.is_(True)).order_by(Shop.id)).all()
    rules_ = {r.shop_id: r for r in session.scalars(select(ChannelStockRule))}
    levels: dict[int, dict[int, int]] = {}
    for (pid, wid), avail in available_stock(session).items():
        levels.setdefault(pid, {})[wid] = avail
    skus = dict(
        session.execute(
            select(Product.id, Product.sku).where(among(session, Product.id, sorted(levels)))
        ).all()
    )
    out = []
    for shop_id, code in shops:
        if shop_ids and shop_id not in shop_ids:
            continue
        rule = rules_.get(shop_id)
        coef, buf = (Decimal(rule.coefficient), rule.buffer) if rule else (Decimal(1), 0)
        whs = set(rule.warehouse_ids) if rule and rule.warehouse_ids else None
        for pid in sorted(levels, key=lambda p: skus[p]):
            avail = sum(max(0, a) for w, a in levels[pid].items() if whs is None or w in whs)
            out.append(
                {
                    "shop": code,
                    "sku": skus[pid],
                    "available": avail,
                    "quantity": rules.channel_quantity(avail, coef, buf),
                }
            )
    return out
