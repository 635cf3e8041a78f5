"""Order intake: platform drafts become canonical orders, idempotently, in one set-based pass.

A draft that cannot be an order at all (no id, a bad status, a wrong currency, a malformed line) is
rejected with its line; an order that can exist but needs a person (an unmapped SKU, an incomplete
address, a price below the floor, amounts that do not add up) is created in the exception queue
(``exception_reason``). Known orders only move forward; every change is an order event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date, get_company
from ecerp_core.catalog.models import CustomerAccount, Product, Shop
from ecerp_core.catalog.services import warehouse_facts
from ecerp_core.db import allocate_ids, for_update, insert_rows, utcnow
from ecerp_core.errors import Problem, ValidationError, problem
from ecerp_core.money import round_money
from ecerp_core.orders import rules
from ecerp_core.orders.history import add_events
from ecerp_core.orders.models import Order, OrderEvent, OrderLine, SkuMapping

ZERO = Decimal("0")
PIPELINE_STATUSES = ("pending_payment", "paid")


@dataclass(frozen=True)
class OrderLineDraft:
    """A line as the platform sold it; ``sku`` is our SKU when it differs from ``platform_sku``."""

    platform_sku: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    discount: Decimal = ZERO
    sku: str | None = None
    name: str = ""


@dataclass(frozen=True)
class OrderDraft:
    """An order as a connector read it from a platform file or API, before it is checked.

    Amounts are in ``currency`` (the shop's); ``created_at`` / ``paid_at`` are aware datetimes;
    ``line`` is the row of the source file, so a rejected order can be pointed at. ``status`` is
    ours (see :data:`ecerp_core.orders.rules.STATUSES`), ``platform_status`` the platform's text.
    ``tax_included``: prices already hold the tax (VAT-inclusive shops), so total = goods +
    shipping − discount.
    """

    shop_id: int
    platform_order_id: str
    status: str
    created_at: dt.datetime
    currency: str
    lines: tuple[OrderLineDraft, ...]
    goods_amount: Decimal
    total_amount: Decimal
    shipping_amount: Decimal = ZERO
    discount_amount: Decimal = ZERO
    tax_amount: Decimal = ZERO
    paid_amount: Decimal = ZERO
    paid_at: dt.datetime | None = None
    buyer_id: str = ""
    receiver_name: str = ""
    receiver_phone: str = ""
    region: str = ""
    city: str = ""
    address: str = ""
    note: str = ""
    line: int | None = None
    country: str = ""
    subsidy_amount: Decimal = ZERO
    refunded_amount: Decimal = ZERO
    tax_included: bool = False
    is_cod: bool = False
    platform_status: str = ""
    buyer_remark: str = ""
    seller_remark: str = ""
    shipped_at: dt.datetime | None = None
    carrier: str = ""
    tracking_no: str = ""


@dataclass(frozen=True)
class ImportResult:
    """What an import did. ``order_ids`` follows the drafts (None for a rejected draft)."""

    created: int
    updated: int
    unchanged: int
    order_ids: tuple[int | None, ...]
    rejected: tuple[Problem, ...] = field(default=())
    exceptions: int = 0


def _hard_problems(d: OrderDraft, shops: dict) -> list[Problem]:
    found = []
    shop = shops.get(d.shop_id)
    if shop is None:
        found.append(problem("shop", "unknown_ref", value=d.shop_id))
    elif d.currency != shop[1]:
        found.append(problem("currency", "currency_mismatch", value=d.currency, expected=shop[1]))
    if not d.platform_order_id or len(d.platform_order_id) > 64:
        found.append(problem("platform_order_id", "required"))
    if d.status not in rules.STATUSES:
        found.append(problem("status", "not_a_choice", value=d.status, choices=", ".join(rules.STATUSES)))
    if d.created_at is None or d.created_at.tzinfo is None:
        found.append(problem("created_at", "not_aware", value=d.created_at))
    if not d.lines:
        found.append(problem("lines", "required"))
    for x in d.lines:
        if not isinstance(x.quantity, int) or x.quantity <= 0:
            found.append(problem("quantity", "below_minimum", value=x.quantity, min=1))
        elif x.unit_price < 0 or x.amount < 0:
            found.append(problem("unit_price", "below_minimum", value=x.unit_price, min=0))
        elif round_money(x.quantity * x.unit_price - x.discount, d.currency) != x.amount:
            found.append(problem("amount", "line_amount_mismatch", line_no=x.platform_sku, value=x.amount))
    for name in ("shipping_amount", "discount_amount", "tax_amount", "paid_amount", "refunded_amount"):
        if getattr(d, name) < 0:
            found.append(problem(name, "below_minimum", value=getattr(d, name), min=0))
    if d.refunded_amount > d.paid_amount:
        found.append(problem("refunded_amount", "above_maximum", value=d.refunded_amount, max=d.paid_amount))
    return found


def _exception_reasons(
    d: OrderDraft, skus: dict[int, int | None], floors: dict, floor_ratio: Decimal
) -> list[str]:
    """Why a person must look at this order before it can go on (catalogue keys ``exception.*``)."""
    reasons = []
    if any(p is None for p in skus.values()):
        reasons.append("unmapped_sku")
    if not d.receiver_name or not d.address or (d.country in ("", "CN") and not d.region):
        reasons.append("incomplete_address")
    for x in d.lines:
        pid = skus.get(id(x))
        if pid is not None and floors.get(pid) and x.unit_price < floors[pid] * floor_ratio:
            reasons.append("below_price_floor")
            break
    tax = ZERO if d.tax_included else d.tax_amount
    if d.goods_amount + d.shipping_amount - d.discount_amount + tax != d.total_amount:
        reasons.append("amount_mismatch")
    return reasons


def resolve_skus(session: Session, pairs: Sequence[tuple[int, str, str | None]]) -> dict[tuple, int]:
    """``(shop_id, platform_sku, sku)`` -> product id through our SKUs and the mapping table."""
    codes = sorted({s or p for _, p, s in pairs})
    products = dict(
        session.connection().execute(select(Product.sku, Product.id).where(Product.sku.in_(codes))).all()
    )
    plat = sorted({p for _, p, _ in pairs})
    mapped = {(r[0], r[1]): r[2] for r in session.connection().execute(
        select(SkuMapping.shop_id, SkuMapping.platform_sku, SkuMapping.product_id)
        .where(SkuMapping.platform_sku.in_(plat)))}  # fmt: skip
    out = {}
    for shop_id, psku, sku in set(pairs):
        out[(shop_id, psku, sku)] = (mapped.get((shop_id, psku)) or mapped.get((None, psku))
                                     or products.get(sku or psku))  # fmt: skip
    return out


def import_order_drafts(
    session: Session,
    actor: Actor,
    drafts: Sequence[OrderDraft],
    *,
    strict: bool = True,
    history: bool = False,
    source: str = "",
) -> ImportResult:
    """Create or update orders from platform drafts; idempotent on (shop, platform order id).

    ``strict`` raises :class:`ValidationError` for any rejected draft and writes nothing; otherwise
    rejected drafts are left out and listed in ``rejected``. ``history`` loads past orders as they
    were (any status, no routing, no exceptions, never touching stock or books).
    """
    from ecerp_core.orders import review

    require(actor, "orders.import")
    shops = {r[0]: tuple(r[1:]) for r in session.connection().execute(
        select(Shop.id, Shop.platform, Shop.currency, Shop.default_warehouse_id)
        .where(Shop.id.in_(sorted({d.shop_id for d in drafts}))))}  # fmt: skip
    resolved = resolve_skus(session, [(d.shop_id, x.platform_sku, x.sku) for d in drafts for x in d.lines])
    keys = sorted({(d.shop_id, d.platform_order_id) for d in drafts})
    existing: dict = {}
    conn = session.connection()
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        existing.update({(r[1], r[2]): (r[0], r[3], r[4]) for r in conn.execute(for_update(
            select(Order.id, Order.shop_id, Order.platform_order_id, Order.status, Order.platform_status)
            .where(tuple_(Order.shop_id, Order.platform_order_id).in_(chunk),
                   # the same rows; plain INs let SQLite use the (shop_id, platform_order_id) key (was a scan)
                   Order.shop_id.in_(sorted({k[0] for k in chunk})),
                   Order.platform_order_id.in_(sorted({k[1] for k in chunk}))), session))})  # fmt: skip
    settings = review.load_settings(session)
    floor_ratio = Decimal(str(settings["price_floor_ratio"]))
    floors: dict = {}
    base = get_company(session).base_currency
    if floor_ratio > 0 and not history:
        ids = sorted({v for v in resolved.values() if v})
        floors = dict(conn.execute(select(Product.id, Product.list_price).where(Product.id.in_(ids))).all())
    rejected: list[Problem] = []
    seen: set = set()
    new: list[tuple[int, list[str], list]] = []
    updates: list[tuple[int, int, str, str]] = []
    order_ids: list[int | None] = [None] * len(drafts)
    unchanged = 0
    for i, d in enumerate(drafts):
        found = _hard_problems(d, shops)
        key = (d.shop_id, d.platform_order_id)
        if key in seen:
            found.append(problem("platform_order_id", "duplicate", value=d.platform_order_id))
        seen.add(key)
        if found:
            rejected += [p.at_line(d.line or i + 1) for p in found]
            continue
        if key in existing:
            order_id, status, pstatus = existing[key]
            order_ids[i] = order_id
            if history or (d.status == status and d.platform_status == pstatus):
                unchanged += 1
            else:
                updates.append((i, order_id, status, pstatus))
            continue
        pids = [resolved[(d.shop_id, x.platform_sku, x.sku)] for x in d.lines]
        reasons = []
        if not history and d.status in PIPELINE_STATUSES:
            reasons = _exception_reasons(d, {id(x): p for x, p in zip(d.lines, pids, strict=True)},
                                         floors if d.currency == base else {}, floor_ratio)  # fmt: skip
        new.append((i, reasons, pids))
    if rejected and strict:
        raise ValidationError(rejected)
    _insert_orders(session, actor, drafts, new, order_ids, shops, history)
    updated = _apply_updates(session, actor, drafts, updates)
    unchanged += len(updates) - updated
    if new or updated:
        audit.record(session, actor, "import", "sales_order", source or f"{len(new) + updated} orders",
                     {"created": len(new), "updated": updated, "history": history})  # fmt: skip
    exceptions = sum(1 for _, r, _ in new if r)
    return ImportResult(len(new), updated, unchanged, tuple(order_ids), tuple(rejected), exceptions)


def _insert_orders(session, actor, drafts, new, order_ids, shops, history) -> None:
    if not new:
        return
    conn = session.connection()
    pairs = sorted({(drafts[i].shop_id, drafts[i].buyer_id) for i, _, _ in new})
    accounts = {}
    for start in range(0, len(pairs), 5000):
        accounts.update(((r[0], r[1]), r[2]) for r in conn.execute(
            select(CustomerAccount.shop_id, CustomerAccount.buyer_id, CustomerAccount.customer_id)
            .where(tuple_(CustomerAccount.shop_id, CustomerAccount.buyer_id).in_(pairs[start:start + 5000]),
                   # the same rows; plain INs let SQLite use the (shop_id, buyer_id) key (was a scan)
                   CustomerAccount.shop_id.in_(sorted({p[0] for p in pairs[start:start + 5000]})),
                   CustomerAccount.buyer_id.in_(sorted({p[1] for p in pairs[start:start + 5000]})))))  # fmt: skip
    warehouses = [(w.id, w.region) for w in warehouse_facts(session) if w.active]
    fallback = warehouses[0][0] if warehouses else None
    now = utcnow()
    dates: dict = {}
    rows = []
    for i, reasons, _ in new:
        d = drafts[i]
        platform, _, default_wh = shops[d.shop_id]
        day = d.created_at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        if day not in dates:
            dates[day] = business_date(session, d.created_at)
        closed = d.status in ("closed", "cancelled", "refunded", "finished")
        rows.append({
            "platform": platform, "shop_id": d.shop_id, "platform_order_id": d.platform_order_id,
            "buyer_id": d.buyer_id, "customer_id": accounts.get((d.shop_id, d.buyer_id)),
            "receiver_name": d.receiver_name[:100], "receiver_phone": d.receiver_phone[:40],
            "region": d.region[:60], "city": d.city[:60], "address": d.address[:300], "currency": d.currency,
            "goods_amount": d.goods_amount, "shipping_amount": d.shipping_amount,
            "discount_amount": d.discount_amount, "tax_amount": d.tax_amount, "total_amount": d.total_amount,
            "paid_amount": d.paid_amount, "refunded_amount": d.refunded_amount, "status": d.status,
            "warehouse_id": None if history else rules.route_warehouse(d.region, warehouses, default_wh or fallback),
            "order_date": dates[day], "created_at": d.created_at, "paid_at": d.paid_at,
            "shipped_at": d.shipped_at, "closed_at": (d.shipped_at or d.paid_at or d.created_at) if closed else None,
            "imported_at": now, "updated_at": now, "note": d.note[:500], "country": d.country[:2],
            "subsidy_amount": d.subsidy_amount, "tax_included": d.tax_included, "is_cod": d.is_cod,
            "is_history": history, "platform_status": d.platform_status[:60], "buyer_remark": d.buyer_remark[:500],
            "seller_remark": d.seller_remark[:500], "exception_reason": ",".join(reasons),
            "review_reason": "", "on_hold": False, "carrier": d.carrier[:40], "tracking_no": d.tracking_no[:60],
        })  # fmt: skip
    ids = allocate_ids(session, Order.__table__, len(rows))
    for row, oid in zip(rows, ids, strict=True):
        row["id"] = oid
    insert_rows(session, Order.__table__, rows)
    lines, events = [], []
    for (i, reasons, pids), oid in zip(new, ids, strict=True):
        order_ids[i] = oid
        d = drafts[i]
        for no, (x, pid) in enumerate(zip(d.lines, pids, strict=True), start=1):
            lines.append({"order_id": oid, "line_no": no, "platform_sku": x.platform_sku[:64], "name": x.name[:200],
                          "product_id": pid, "quantity": x.quantity, "unit_price": x.unit_price,
                          "discount": x.discount, "amount": x.amount})  # fmt: skip
        events.append({"order_id": oid, "at": now, "actor_id": actor.id, "event": "import", "from_status": None,
                       "to_status": d.status, "note": ",".join(reasons)[:300]})  # fmt: skip
    insert_rows(session, OrderLine.__table__, lines)
    insert_rows(session, OrderEvent.__table__, events)


IMPORT_MOVES = {
    ("pending_payment", "paid"): "paid",
    ("pending_payment", "closed"): "closed",
    ("pending_payment", "cancelled"): "closed",
    ("shipped", "finished"): "finished",
    ("paid", "closed"): "cancelled",
    ("paid", "cancelled"): "cancelled",
    ("paid", "refunded"): "cancelled",
    ("approved", "closed"): "cancelled",
    ("approved", "cancelled"): "cancelled",
    ("approved", "refunded"): "cancelled",
}
"""(our status, the platform's newer status) -> our next status. A buyer's refund before shipping
cancels the order (releasing its stock); after shipping it becomes an after-sales case instead."""


def _apply_updates(session, actor, drafts, updates) -> int:
    """Move known orders forward as a newer export says; returns how many changed."""
    from ecerp_core.orders.services import _apply, stock_release

    by_target: dict[str, list[dict]] = {}
    notes = []
    now = utcnow()
    for i, oid, status, pstatus in updates:
        d = drafts[i]
        target = IMPORT_MOVES.get((status, d.status))
        if target:
            change = {"id": oid, "from": status, "platform_status": d.platform_status[:60]}
            if target == "paid":
                change.update(paid_amount=d.paid_amount, paid_at=d.paid_at)
            else:
                change["closed_at"] = now
            by_target.setdefault(target, []).append(change)
        elif d.platform_status != pstatus:
            notes.append({"oid": oid, "from": status, "ps": d.platform_status[:60]})
    cancelled = [c["id"] for c in by_target.get("cancelled", [])]
    if cancelled:
        stock_release(session, actor, cancelled)
    for target, changes in by_target.items():
        _apply(session, actor, changes, target, "import", "platform")
    if notes:
        from sqlalchemy import bindparam, update

        t = Order.__table__
        session.connection().execute(update(t).where(t.c.id == bindparam("oid"))
                                     .values(platform_status=bindparam("ps"), updated_at=now), notes)  # fmt: skip
        add_events(session, actor, [(n["oid"], n["from"], "platform", n["ps"]) for n in notes])
    return sum(len(c) for c in by_target.values()) + len(notes)
