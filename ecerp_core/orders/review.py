"""Review (审单): the pipeline's rules as data, SKU mapping, and the auto-approve pass.

Settings live in ``order_setting`` (one JSON value per name) over :data:`DEFAULTS`; the checks
themselves are pure functions in :mod:`ecerp_core.orders.rules`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, User, require
from ecerp_core.catalog.models import Customer, Product
from ecerp_core.db import forget, memo, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders import rules
from ecerp_core.orders.history import add_events
from ecerp_core.orders.models import Order, OrderLine, OrderSetting, SkuMapping

DEFAULTS: dict[str, Any] = {
    "price_floor_ratio": 0.3,
    "auto_approve": {
        "enabled": True,
        "amount_min": 0,
        "amount_max": 5000,
        "block_remarks": True,
        "require_address": True,
        "require_stock": True,
    },
    "blacklist": [],
    "assignment": [],
    "routing": {"on_short": "wait"},
    "merge_window_hours": 24,
}
"""Every pipeline setting with its default; a row of ``order_setting`` overrides one by name.

auto_approve: the amount range and checks an order must pass to be approved without a clerk.
blacklist: buyer ids, phones or receiver names whose orders always wait for a clerk.
assignment: ``[{"min_amount"?, "max_amount"?, "tier"?, "category"?, "user"}]``, first match wins.
routing.on_short: ``wait`` (keep the order until stock comes) or ``split`` across warehouses.
"""


def load_settings(session: Session) -> dict[str, Any]:
    """The pipeline settings: defaults overridden by the ``order_setting`` rows."""
    out = copy.deepcopy(DEFAULTS)
    rows = memo(session, "order_settings",
                lambda: list(session.connection().execute(select(OrderSetting.name, OrderSetting.value))))  # fmt: skip
    for name, value in rows:
        out[name] = copy.deepcopy(
            value["value"] if isinstance(value, dict) and set(value) == {"value"} else value
        )
    return out


def set_setting(session: Session, actor: Actor, name: str, value: Any) -> None:
    """Change one pipeline setting (needs ``orders.review``); audited."""
    require(actor, "orders.review")
    if name not in DEFAULTS:
        raise ValidationError([problem("name", "not_a_choice", value=name, choices=", ".join(DEFAULTS))])
    row = session.get(OrderSetting, name)
    if row is None:
        session.add(OrderSetting(name=name, value={"value": value}))
    else:
        row.value = {"value": value}
    session.flush()
    forget(session, "order_settings")
    audit.record(session, actor, "update", "order_setting", name, {"value": value})


def map_skus(session: Session, actor: Actor, mappings: Sequence[tuple[int | None, str, str]]) -> int:
    """Map platform SKUs to ours (``(shop_id or None, platform_sku, our_sku)``) and fix waiting orders.

    Lines of open orders with those SKUs get the product; an order whose lines are all mapped
    leaves the exception queue (unless something else still holds it). Returns orders released.
    """
    require(actor, "orders.review")
    skus = dict(
        session.execute(
            select(Product.sku, Product.id).where(Product.sku.in_({m[2] for m in mappings}))
        ).all()
    )
    missing = [problem("sku", "unknown_ref", value=m[2]) for m in mappings if m[2] not in skus]
    if missing:
        raise ValidationError(missing)
    for shop_id, psku, sku in mappings:
        row = session.scalar(select(SkuMapping).where(SkuMapping.shop_id.is_(shop_id) if shop_id is None
                                                      else SkuMapping.shop_id == shop_id, SkuMapping.platform_sku == psku))  # fmt: skip
        if row is None:
            session.add(SkuMapping(shop_id=shop_id, platform_sku=psku, product_id=skus[sku]))
        else:
            row.product_id = skus[sku]
    session.flush()
    audit.record(
        session,
        actor,
        "map",
        "sku_mapping",
        f"{len(mappings)} SKUs",
        {"mappings": [list(m) for m in mappings]},
    )
    return recheck_exceptions(session, actor)


def recheck_exceptions(session: Session, actor: Actor) -> int:
    """Fill unmapped lines from the mapping table and drop ``unmapped_sku`` where all are mapped."""
    from ecerp_core.orders.intake import resolve_skus

    conn = session.connection()
    rows = conn.execute(select(OrderLine.id, Order.id, Order.shop_id, OrderLine.platform_sku)
                        .join(Order, Order.id == OrderLine.order_id)
                        .where(OrderLine.product_id.is_(None), Order.exception_reason.like("%unmapped_sku%"))).all()  # fmt: skip
    resolved = resolve_skus(session, [(shop, psku, None) for _, _, shop, psku in rows])
    fills = [
        {"lid": lid, "pid": resolved[(shop, psku, None)]}
        for lid, _, shop, psku in rows
        if resolved[(shop, psku, None)]
    ]
    if fills:
        t = OrderLine.__table__
        conn.execute(update(t).where(t.c.id == bindparam("lid")).values(product_id=bindparam("pid")), fills)
    still = {oid for lid, oid, shop, psku in rows if not resolved[(shop, psku, None)]}
    done = sorted({oid for _, oid, _, _ in rows} - still)
    if done:
        reasons = dict(conn.execute(select(Order.id, Order.exception_reason).where(Order.id.in_(done))).all())
        _set_exceptions(session, actor, {oid: [r for r in reasons[oid].split(",") if r != "unmapped_sku"] for oid in done},
                        "sku_mapped")  # fmt: skip
    return len(done)


def _set_exceptions(session: Session, actor: Actor, reasons: dict[int, list[str]], note: str) -> None:
    now = utcnow()
    t = Order.__table__
    session.connection().execute(update(t).where(t.c.id == bindparam("oid"))
                                 .values(exception_reason=bindparam("r"), updated_at=now),
                                 [{"oid": o, "r": ",".join(r)} for o, r in reasons.items()])  # fmt: skip
    add_events(session, actor, [(o, "paid", "exception", f"{note}:{','.join(r)}") for o, r in reasons.items()])


def clear_exceptions(session: Session, actor: Actor, order_ids: Sequence[int], *, note: str = "") -> int:
    """A clerk checked these orders (address fixed, price confirmed): they leave the exception queue."""
    require(actor, "orders.review")
    ids = sorted(set(order_ids))
    _set_exceptions(session, actor, {key: [] for key in ids}, note or "cleared")
    audit.record(session, actor, "clear_exception", "sales_order", f"{len(ids)} orders", {"order_ids": ids})
    return len(ids)


def auto_review(session: Session, actor: Actor, order_ids: Sequence[int] | None = None, *,
                batch: int = 5000) -> dict[str, Any]:  # fmt: skip
    """Route, check and approve (reserving stock) paid orders that pass the auto-approve rules.

    Orders that fail wait for a clerk with ``review_reason`` set. Returns ``{"approved": [...],
    "waiting": {order_id: [reasons]}}``.
    """
    from ecerp_core.orders import routing, services

    require(actor, "orders.review")
    cfg = load_settings(session)
    auto = cfg["auto_approve"]
    stmt = select(Order.id).where(Order.status == "paid", Order.exception_reason == "", Order.on_hold.is_(False),
                                  Order.merged_into_id.is_(None))  # fmt: skip
    if order_ids is not None:
        stmt = stmt.where(Order.id.in_(sorted(set(order_ids))))
    ids = list(session.connection().scalars(stmt.order_by(Order.paid_at, Order.id)))
    approved: list[int] = []
    waiting: dict[int, list[str]] = {}
    blacklist = {str(x) for x in cfg["blacklist"]}
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        stock_ok = routing.route_orders(
            session, actor, chunk, on_short=cfg["routing"]["on_short"], settings=cfg
        )
        rows = session.connection().execute(
            select(Order.id, Order.total_amount, Order.buyer_remark, Order.seller_remark, Order.receiver_name,
                   Order.address, Order.buyer_id, Order.receiver_phone).where(Order.id.in_(chunk)))  # fmt: skip
        ok = []
        for oid, total, br, sr, name, address, buyer, phone in rows:
            found = rules.review_problems(total, f"{br}{sr}", bool(name and address), stock_ok.get(oid, False),
                                          bool({buyer, phone, name} & blacklist), auto)  # fmt: skip
            if not auto.get("enabled", True):
                found.append("manual_review")
            (waiting.__setitem__(oid, found) if found else ok.append(oid))
        ok_set = set(ok)
        ok_sorted = [i for i in chunk if i in ok_set]
        if ok_sorted:
            approved += services.approve_orders(session, actor, ok_sorted, on_short="skip")
    approved_set = set(approved)
    short = [i for i in ids if i not in approved_set and i not in waiting]
    for oid in short:
        waiting[oid] = ["out_of_stock"]
    if waiting:
        t = Order.__table__
        session.connection().execute(update(t).where(t.c.id == bindparam("oid")).values(review_reason=bindparam("r")),
                                     [{"oid": o, "r": ",".join(r)[:300]} for o, r in waiting.items()])  # fmt: skip
    return {"approved": approved, "waiting": waiting}


def assign_orders(
    session: Session, actor: Actor, order_ids: Sequence[int], *, user: str | None = None
) -> dict[int, str | None]:
    """Assign orders to a user, or by the assignment rules (amount, customer tier, category)."""
    require(actor, "orders.review")
    ids = sorted(set(order_ids))
    users = dict(session.execute(select(User.username, User.id)).all())
    if user is not None and user not in users:
        raise ValidationError([problem("user", "unknown_ref", value=user)])
    chosen: dict[int, str | None] = {}
    if user is not None:
        chosen = dict.fromkeys(ids, user)
    else:
        cfg = load_settings(session)["assignment"]
        info = session.execute(select(Order.id, Order.total_amount, Customer.tier).outerjoin(
            Customer, Customer.id == Order.customer_id).where(Order.id.in_(ids))).all()  # fmt: skip
        from ecerp_core.catalog.models import Category

        cats: dict[int, set[str]] = {}
        for oid, code in session.execute(select(OrderLine.order_id, Category.code)
                                         .join(Product, Product.id == OrderLine.product_id)
                                         .join(Category, Category.id == Product.category_id)
                                         .where(OrderLine.order_id.in_(ids))):  # fmt: skip
            cats.setdefault(oid, set()).add(code)
        for oid, total, tier in info:
            chosen[oid] = rules.assign_staff(Decimal(total), tier or "normal", cats.get(oid, set()), cfg)
    t = Order.__table__
    rows = [{"oid": o, "u": users.get(u) if u else None} for o, u in chosen.items()]
    if rows:
        session.connection().execute(
            update(t).where(t.c.id == bindparam("oid")).values(assignee_id=bindparam("u")), rows
        )
    audit.record(
        session,
        actor,
        "assign",
        "sales_order",
        f"{len(ids)} orders",
        {"assigned": {str(k): v for k, v in chosen.items()}},
    )
    return chosen
