"""Order intake: platform drafts become canonical orders, idempotently, in one set-based pass.

A draft that cannot be an order at all (no id, a bad status, a wrong currency, a malformed line) is
rejected with its line; an order that can exist but needs a person (an unmapped SKU, an incomplete
address, a price below the floor, amounts that do not add up) is created in the exception queue.
Known orders only move along the import workflow (:data:`~ecerp_core.orders.workflow.IMPORT_MOVES`);
every change is in the order's history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date, get_company
from ecerp_core.catalog.models import CustomerAccount, Product, Shop
from ecerp_core.catalog.services import warehouse_facts
from ecerp_core.db import allocate_ids, for_update, insert_rows, utcnow
from ecerp_core.errors import Problem, ValidationError, problem
from ecerp_core.orders import rules, workflow
from ecerp_core.orders.drafts import ImportResult, OrderDraft
from ecerp_core.orders.models import STOCK_SOURCE, Order, OrderEvent, OrderLine
from ecerp_core.orders.settings import load_settings
from ecerp_core.orders.skus import SkuRef, resolve_skus
from ecerp_core.stock import services as stock

PIPELINE_STATUSES = ("pending_payment", "paid")
"""Statuses in which a new order enters the pipeline (and may wait in the exception queue)."""
CHUNK = 5000


class ShopFacts(NamedTuple):
    platform: str
    currency: str
    default_warehouse_id: int | None


class Known(NamedTuple):
    """An order already imported: its id and what the platform and we last said of its status."""

    id: int
    status: str
    platform_status: str


class New(NamedTuple):
    """A draft that becomes a new order: its index in the batch, its products (per line) and the
    reasons it waits."""

    index: int
    products: list[int | None]
    reasons: list[str]


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
    require(actor, "orders.import")
    shops = _shops(session, {d.shop_id for d in drafts})
    products = resolve_skus(session, (SkuRef(d.shop_id, x.platform_sku, x.sku) for d in drafts for x in d.lines))
    known = _known(session, {(d.shop_id, d.platform_order_id) for d in drafts})
    floor_ratio = Decimal(str(load_settings(session)["price_floor_ratio"]))
    floors: dict[int, Decimal] = {}
    if floor_ratio > 0 and not history:
        floors = _list_prices(session, {p for p in products.values() if p})
    base = get_company(session).base_currency
    rejected: list[Problem] = []
    seen: set[tuple[int, str]] = set()
    new: list[New] = []
    updates: list[tuple[int, Known]] = []
    order_ids: list[int | None] = [None] * len(drafts)
    unchanged = 0
    for i, d in enumerate(drafts):
        shop = shops.get(d.shop_id)
        found = rules.draft_problems(d, shop.currency if shop else None)
        key = (d.shop_id, d.platform_order_id)
        if key in seen:
            found.append(problem("platform_order_id", "duplicate", value=d.platform_order_id))
        seen.add(key)
        if found:
            rejected += [p.at_line(d.line or i + 1) for p in found]
            continue
        if key in known:
            order = known[key]
            order_ids[i] = order.id
            if history or (d.status == order.status and d.platform_status == order.platform_status):
                unchanged += 1
            else:
                updates.append((i, order))
            continue
        pids = [products[SkuRef(d.shop_id, x.platform_sku, x.sku)] for x in d.lines]
        reasons = []
        if not history and d.status in PIPELINE_STATUSES:
            reasons = rules.exception_reasons(d, pids, floors if d.currency == base else {}, floor_ratio)
        new.append(New(i, pids, reasons))
    if rejected and strict:
        raise ValidationError(rejected)
    _insert_orders(session, actor, drafts, new, order_ids, shops, history)
    updated = _apply_updates(session, actor, drafts, updates)
    unchanged += len(updates) - updated
    if new or updated:
        audit.record(session, actor, "import", "sales_order", source or f"{len(new) + updated} orders",
                     {"created": len(new), "updated": updated, "history": history})  # fmt: skip
    exceptions = sum(1 for n in new if n.reasons)
    return ImportResult(len(new), updated, unchanged, tuple(order_ids), tuple(rejected), exceptions)


def _shops(session: Session, shop_ids: set[int]) -> dict[int, ShopFacts]:
    stmt = select(Shop.id, Shop.platform, Shop.currency, Shop.default_warehouse_id).where(
        Shop.id.in_(sorted(shop_ids))
    )
    return {row.id: ShopFacts(*row[1:]) for row in session.connection().execute(stmt)}


def _known(session: Session, keys: set[tuple[int, str]]) -> dict[tuple[int, str], Known]:
    """The orders already imported among ``keys`` (shop, platform order id), locked."""
    wanted = sorted(keys)
    out: dict[tuple[int, str], Known] = {}
    conn = session.connection()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        stmt = select(Order.id, Order.shop_id, Order.platform_order_id, Order.status, Order.platform_status).where(
            tuple_(Order.shop_id, Order.platform_order_id).in_(chunk),
            # the same rows; plain INs let SQLite use the (shop_id, platform_order_id) key (was a scan)
            Order.shop_id.in_(sorted({k[0] for k in chunk})),
            Order.platform_order_id.in_(sorted({k[1] for k in chunk})),
        )
        for row in conn.execute(for_update(stmt, session)).all():
            out[(row.shop_id, row.platform_order_id)] = Known(row.id, row.status, row.platform_status)
    return out


def _list_prices(session: Session, product_ids: set[int]) -> dict[int, Decimal]:
    ids = sorted(product_ids)
    out: dict[int, Decimal] = {}
    for start in range(0, len(ids), CHUNK):
        stmt = select(Product.id, Product.list_price).where(Product.id.in_(ids[start : start + CHUNK]))
        out.update(session.connection().execute(stmt).all())
    return out


def _customers(session: Session, accounts: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The customer linked to each (shop, buyer id), where one is."""
    wanted = sorted(accounts)
    out: dict[tuple[int, str], int] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        stmt = select(CustomerAccount.shop_id, CustomerAccount.buyer_id, CustomerAccount.customer_id).where(
            tuple_(CustomerAccount.shop_id, CustomerAccount.buyer_id).in_(chunk),
            # the same rows; plain INs let SQLite use the (shop_id, buyer_id) key (was a scan)
            CustomerAccount.shop_id.in_(sorted({k[0] for k in chunk})),
            CustomerAccount.buyer_id.in_(sorted({k[1] for k in chunk})),
        )
        out.update(((row.shop_id, row.buyer_id), row.customer_id) for row in session.connection().execute(stmt))
    return out


def _insert_orders(session, actor, drafts, new: list[New], order_ids, shops, history) -> None:
    if not new:
        return
    customers = _customers(session, {(drafts[n.index].shop_id, drafts[n.index].buyer_id) for n in new})
    warehouses = [(w.id, w.region) for w in warehouse_facts(session) if w.active]
    fallback = warehouses[0][0] if warehouses else None
    now = utcnow()
    days: dict[dt.datetime, dt.date] = {}
    ids = allocate_ids(session, Order.__table__, len(new))
    rows, lines, events = [], [], []
    for n, oid in zip(new, ids, strict=True):
        d = drafts[n.index]
        order_ids[n.index] = oid
        shop = shops[d.shop_id]
        hour = d.created_at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        if hour not in days:
            days[hour] = business_date(session, d.created_at)
        closed = d.status in workflow.CLOSED_STATUSES
        routed = None if history else rules.route_warehouse(d.region, warehouses, shop.default_warehouse_id or fallback)
        rows.append({
            "id": oid, "platform": shop.platform, "shop_id": d.shop_id, "platform_order_id": d.platform_order_id,
            "buyer_id": d.buyer_id, "customer_id": customers.get((d.shop_id, d.buyer_id)),
            "receiver_name": d.receiver_name[:100], "receiver_phone": d.receiver_phone[:40],
            "region": d.region[:60], "city": d.city[:60], "address": d.address[:300], "currency": d.currency,
            "goods_amount": d.goods_amount, "shipping_amount": d.shipping_amount,
            "discount_amount": d.discount_amount, "tax_amount": d.tax_amount, "total_amount": d.total_amount,
            "paid_amount": d.paid_amount, "refunded_amount": d.refunded_amount, "status": d.status,
            "warehouse_id": routed, "order_date": days[hour], "created_at": d.created_at, "paid_at": d.paid_at,
            "shipped_at": d.shipped_at, "closed_at": (d.shipped_at or d.paid_at or d.created_at) if closed else None,
            "imported_at": now, "updated_at": now, "note": d.note[:500], "country": d.country[:2],
            "subsidy_amount": d.subsidy_amount, "tax_included": d.tax_included, "is_cod": d.is_cod,
            "is_history": history, "platform_status": d.platform_status[:60], "buyer_remark": d.buyer_remark[:500],
            "seller_remark": d.seller_remark[:500], "on_hold": False, "carrier": d.carrier[:40],
            "tracking_no": d.tracking_no[:60],
        })  # fmt: skip
        for no, (x, pid) in enumerate(zip(d.lines, n.products, strict=True), start=1):
            lines.append({"order_id": oid, "line_no": no, "platform_sku": x.platform_sku[:64], "name": x.name[:200],
                          "product_id": pid, "quantity": x.quantity, "unit_price": x.unit_price,
                          "discount": x.discount, "amount": x.amount})  # fmt: skip
        events.append({"order_id": oid, "at": now, "actor_id": actor.id, "event": "import", "from_status": None,
                       "to_status": d.status, "note": ",".join(n.reasons)[:300]})  # fmt: skip
    insert_rows(session, Order.__table__, rows)
    insert_rows(session, OrderLine.__table__, lines)
    insert_rows(session, OrderEvent.__table__, events)
    workflow.add_reasons(session, workflow.EXCEPTION, {oid: n.reasons for n, oid in zip(new, ids, strict=True) if n.reasons})


def _apply_updates(session: Session, actor: Actor, drafts: Sequence[OrderDraft],
                   updates: list[tuple[int, Known]]) -> int:  # fmt: skip
    """Move known orders along the import workflow as a newer export says; returns how many changed."""
    by_target: dict[str, list[workflow.Change]] = {}
    notes: list[tuple[Known, str]] = []
    now = utcnow()
    for i, order in updates:
        d = drafts[i]
        target = workflow.IMPORT_MOVES.get((order.status, d.status))
        if target == "paid":
            values = {"platform_status": d.platform_status[:60], "paid_amount": d.paid_amount, "paid_at": d.paid_at}
            by_target.setdefault(target, []).append(workflow.Change(order.id, order.status, values))
        elif target:
            values = {"platform_status": d.platform_status[:60], "closed_at": now}
            by_target.setdefault(target, []).append(workflow.Change(order.id, order.status, values))
        elif d.platform_status != order.platform_status:
            notes.append((order, d.platform_status[:60]))
    cancelled = [c.order_id for c in by_target.get("cancelled", [])]
    if cancelled:
        stock.release(session, actor, STOCK_SOURCE, cancelled)
    for target, changes in by_target.items():
        workflow.move(session, actor, changes, target, "import", "platform")
    if notes:
        table = Order.__table__
        session.connection().execute(
            update(table).where(table.c.id == bindparam("oid")).values(platform_status=bindparam("ps"), updated_at=now),
            [{"oid": order.id, "ps": text} for order, text in notes],
        )
        workflow.record(session, actor, [workflow.Happened(order.id, order.status, "platform", text)
                                         for order, text in notes])  # fmt: skip
    return sum(len(c) for c in by_target.values()) + len(notes)
