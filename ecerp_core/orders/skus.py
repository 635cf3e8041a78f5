"""Platform SKU codes -> our products (商品对应): resolving, mapping, and freeing orders that waited
for a mapping."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Product, Shop
from ecerp_core.db import among, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders import workflow
from ecerp_core.orders.models import Order, OrderLine, SkuMapping
from ecerp_core.query import text_filter

UNMAPPED = "unmapped_sku"


class SkuRef(NamedTuple):
    """A line's SKU as a shop sold it: the platform's code, and our SKU when the platform gave both."""

    shop_id: int
    platform_sku: str
    sku: str | None = None


class SkuMap(NamedTuple):
    """Platform SKU ``platform_sku`` of shop ``shop_id`` (None: every shop) is our ``sku``."""

    shop_id: int | None
    platform_sku: str
    sku: str


def resolve_skus(session: Session, refs: Iterable[SkuRef]) -> dict[SkuRef, int | None]:
    """Each reference's product id: the shop's mapping, else an every-shop mapping, else our SKU of
    that code; None when nothing matches."""
    refs = set(refs)
    codes = sorted({r.sku or r.platform_sku for r in refs})
    platform_skus = sorted({r.platform_sku for r in refs})
    conn = session.connection()
    products = dict(
        conn.execute(select(Product.sku, Product.id).where(among(session, Product.sku, codes))).all()
    )
    stmt = select(SkuMapping.shop_id, SkuMapping.platform_sku, SkuMapping.product_id).where(
        among(session, SkuMapping.platform_sku, platform_skus)
    )
    mapped = {(m.shop_id, m.platform_sku): m.product_id for m in conn.execute(stmt).all()}
    return {
        r: mapped.get((r.shop_id, r.platform_sku))
        or mapped.get((None, r.platform_sku))
        or products.get(r.sku or r.platform_sku)
        for r in refs
    }


def map_skus(session: Session, actor: Actor, mappings: Sequence[SkuMap]) -> int:
    """Map platform SKUs to ours and fix the orders waiting for them; returns the orders released.

    Lines of open orders with those SKUs get the product; an order whose lines are all mapped
    leaves the exception queue (unless something else still holds it).
    """
    require(actor, "orders.review")
    mappings = [SkuMap(*m) for m in mappings]
    skus = dict(
        session.execute(
            select(Product.sku, Product.id).where(among(session, Product.sku, {m.sku for m in mappings}))
        ).all()
    )
    missing = [problem("sku", "unknown_ref", value=m.sku) for m in mappings if m.sku not in skus]
    if missing:
        raise ValidationError(missing)
    for m in mappings:
        shop = SkuMapping.shop_id.is_(None) if m.shop_id is None else SkuMapping.shop_id == m.shop_id
        row = session.scalar(select(SkuMapping).where(shop, SkuMapping.platform_sku == m.platform_sku))
        if row is None:
            session.add(SkuMapping(shop_id=m.shop_id, platform_sku=m.platform_sku, product_id=skus[m.sku]))
        else:
            row.product_id = skus[m.sku]
    session.flush()
    audit.record(
        session,
        actor,
        "map",
        "sku_mapping",
        f"{len(mappings)} SKUs",
        {"mappings": [list(m) for m in mappings]},
    )
    return recheck_unmapped(session, actor)


def recheck_unmapped(session: Session, actor: Actor) -> int:
    """Fill unmapped lines of waiting orders from the mappings; an order whose lines are all mapped
    loses its ``unmapped_sku`` reason. Returns the orders that lost it."""
    conn = session.connection()
    stmt = (
        select(
            OrderLine.id.label("line_id"), Order.id.label("order_id"), Order.shop_id, OrderLine.platform_sku
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.product_id.is_(None), workflow.has_reason(workflow.EXCEPTION, UNMAPPED))
    )
    rows = conn.execute(stmt).all()
    resolved = resolve_skus(session, (SkuRef(r.shop_id, r.platform_sku) for r in rows))
    fills = [
        {"lid": r.line_id, "pid": pid} for r in rows if (pid := resolved[SkuRef(r.shop_id, r.platform_sku)])
    ]
    if fills:
        table = OrderLine.__table__
        conn.execute(
            update(table).where(table.c.id == bindparam("lid")).values(product_id=bindparam("pid")), fills
        )
        # the order changed with its lines: readers that follow updated_at (the analytics rollup) see it
        filled = sorted({r.order_id for r in rows if resolved[SkuRef(r.shop_id, r.platform_sku)]})
        conn.execute(update(Order).where(among(session, Order.id, filled)).values(updated_at=utcnow()))
    still = {r.order_id for r in rows if not resolved[SkuRef(r.shop_id, r.platform_sku)]}
    done = sorted({r.order_id for r in rows} - still)
    if done:
        reasons = workflow.reasons_of(session, done)
        left = {oid: [code for code in reasons.get(oid, []) if code != UNMAPPED] for oid in done}
        workflow.set_exceptions(session, actor, left, "sku_mapped")
    return len(done)


def unmapped_skus(session: Session, actor: Actor, search: str = "", *, limit: int = 200) -> list[dict]:
    """The platform SKUs open orders wait on (SKU 未匹配), most waiting orders first: each with its
    shop (id, code, name), the name the platform gave it, and how many orders and units wait.

    >>> unmapped_skus(session, clerk)
    []
    """
    require(actor, "orders.read")
    stmt = (
        select(
            Order.shop_id,
            Shop.code.label("shop"),
            Shop.name.label("shop_name"),
            OrderLine.platform_sku,
            func.max(OrderLine.name).label("name"),
            func.count(func.distinct(Order.id)).label("orders"),
            func.sum(OrderLine.quantity).label("units"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .where(OrderLine.product_id.is_(None), workflow.has_reason(workflow.EXCEPTION, UNMAPPED))
        .group_by(Order.shop_id, Shop.code, Shop.name, OrderLine.platform_sku)
        .order_by(func.count(func.distinct(Order.id)).desc(), OrderLine.platform_sku)
        .limit(limit)
    )
    stmt = text_filter(stmt, [OrderLine.platform_sku, OrderLine.name], search)
    return [dict(r._mapping) for r in session.execute(stmt)]


def unmapped_lines(session: Session, order_ids: Sequence[int]) -> dict[int, list[str]]:
    """The platform SKUs of each order's lines that name none of our products (orders with any)."""
    out: dict[int, list[str]] = {}
    stmt = select(OrderLine.order_id, OrderLine.platform_sku).where(
        among(session, OrderLine.order_id, sorted(set(order_ids))), OrderLine.product_id.is_(None)
    )
    for order_id, platform_sku in session.connection().execute(stmt.order_by(OrderLine.order_id)):
        out.setdefault(order_id, []).append(platform_sku)
    return out
