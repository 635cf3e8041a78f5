"""Order intake: platform drafts become canonical orders, idempotently, in one set-based pass.

A draft that cannot be an order at all (no id, a bad status, a wrong currency, a malformed line) is
rejected with its line; an order that can exist but needs a person (an unmapped SKU, an incomplete
address, a price below the floor, amounts that do not add up) is created in the exception queue.
Known orders only move along the import workflow (:data:`~ecerp_core.orders.workflow.IMPORT_MOVES`);
every change is in the order's history.

What the platform already refunded (``refunded_amount``) becomes one refund row of the new order,
dated the day of the import: the money went back on the platform, before ecerp knew the order. It
moves no stock (nothing of it left through ecerp: an order arriving shipped or refunded never
reserved or shipped here, and one still to ship has not left) and posts nothing now; an order that
ecerp ships later books the sale net of it (:func:`ecerp_core.orders.services.ship_orders`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date, company_timezone, get_company
from ecerp_core.catalog.models import CustomerAccount, Product, Shop
from ecerp_core.catalog.services import warehouse_facts
from ecerp_core.db import allocate_ids, among, for_update, insert_columns, utcnow
from ecerp_core.errors import Problem, ValidationError, problem
from ecerp_core.orders import rules, workflow
from ecerp_core.orders.drafts import ImportResult, OrderDraft
from ecerp_core.orders.models import STOCK_SOURCE, Order, OrderLine, OrderRefund
from ecerp_core.orders.settings import load_settings
from ecerp_core.orders.skus import SkuRef, resolve_skus
from ecerp_core.stock import services as stock

PIPELINE_STATUSES = ("pending_payment", "paid")
"""Statuses in which a new order enters the pipeline (and may wait in the exception queue)."""


class ShopFacts(NamedTuple):
    platform: str
    currency: str
    default_warehouse_id: int | None
    code: str
    prices_include_tax: bool


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
    were (any status, no routing, no exceptions, never touching stock or books). New orders the
    platform adjusted, or whose tax inclusion differs from their shop's setting, are listed in
    ``warnings``.
    """
    intake = OrderIntake(session, actor, history=history, source=source)
    result = intake.add(drafts, strict=strict)
    intake.finish()
    return result


class OrderIntake:
    """:func:`import_order_drafts` of one source (a file) given in batches, so a large file is
    imported in bounded memory: :meth:`add` each batch's drafts (the drafts of an order all in one
    batch), then :meth:`finish`, which writes the import's one audit row. The settings, company and
    shops are read once; the counts add up across the batches."""

    def __init__(self, session: Session, actor: Actor, *, history: bool = False, source: str = "") -> None:
        require(actor, "orders.import")
        self.session, self.actor, self.history, self.source = session, actor, history, source
        self.floor_ratio = Decimal(str(load_settings(session)["price_floor_ratio"]))
        self.base = get_company(session).base_currency
        self.shops: dict[int, ShopFacts] = {}
        self.products: dict[SkuRef, int | None] = {}
        self.floors: dict[int, Decimal] = {}
        self.created = self.updated = 0

    def add(self, drafts: Sequence[OrderDraft], *, strict: bool = False) -> ImportResult:
        """Import one batch of drafts; returns what became of them (``strict``: see
        :func:`import_order_drafts`, for this batch)."""
        session, history = self.session, self.history
        missing = {d.shop_id for d in drafts} - self.shops.keys()
        if missing:
            self.shops.update(_shops(session, missing))
        shops, products, floors = self.shops, self.products, self.floors
        # each line's plain tuple, equal to the SkuRef keys of ``products`` and quicker to make
        line_refs = [(d.shop_id, x.platform_sku, x.sku) for d in drafts for x in d.lines]
        refs = set(line_refs)
        if not refs <= products.keys():
            products.update(resolve_skus(session, [SkuRef(*r) for r in refs - products.keys()]))
        line_products = list(map(products.__getitem__, line_refs))  # the drafts' lines, one after another
        known = _known(session, {(d.shop_id, d.platform_order_id) for d in drafts})
        floor_ratio = self.floor_ratio
        if floor_ratio > 0 and not history:
            priced = {products[r] for r in refs} - floors.keys() - {None}
            if priced:
                floors.update(_list_prices(session, priced))
        base = self.base
        rejected: list[Problem] = []
        warnings: list[Problem] = []
        seen: set[tuple[int, str]] = set()
        new: list[New] = []
        updates: list[tuple[int, Known]] = []
        order_ids: list[int | None] = [None] * len(drafts)
        unchanged = 0
        end = 0
        for i, d in enumerate(drafts):
            start, end = end, end + len(d.lines)  # its lines' place in line_products
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
            pids = line_products[start:end]
            reasons = []
            if not history and d.status in PIPELINE_STATUSES:
                reasons = rules.exception_reasons(d, pids, floors if d.currency == base else {}, floor_ratio)
            new.append(New(i, pids, reasons))
            found = rules.import_warnings(d, shop.code, shop.prices_include_tax)
            warnings += [p.at_line(d.line or i + 1) for p in found]
        if rejected and strict:
            raise ValidationError(rejected)
        _insert_orders(session, self.actor, drafts, new, order_ids, shops, history)
        updated = _apply_updates(session, self.actor, drafts, updates)
        unchanged += len(updates) - updated
        self.created += len(new)
        self.updated += updated
        exceptions = sum(1 for n in new if n.reasons)
        return ImportResult(
            len(new), updated, unchanged, tuple(order_ids), tuple(rejected), exceptions, tuple(warnings)
        )

    def finish(self) -> None:
        """The import's audit row, when it created or changed any order."""
        created, updated = self.created, self.updated
        if created or updated:
            audit.record(
                self.session,
                self.actor,
                "import",
                "sales_order",
                self.source or f"{created + updated} orders",
                {"created": created, "updated": updated, "history": self.history},
            )


def _shops(session: Session, shop_ids: set[int]) -> dict[int, ShopFacts]:
    stmt = select(
        Shop.id, Shop.platform, Shop.currency, Shop.default_warehouse_id, Shop.code, Shop.prices_include_tax
    ).where(Shop.id.in_(sorted(shop_ids)))
    return {row.id: ShopFacts(*row[1:]) for row in session.connection().execute(stmt)}


def _known(session: Session, keys: set[tuple[int, str]]) -> dict[tuple[int, str], Known]:
    """The orders already imported among ``keys`` (shop, platform order id), locked in id order —
    the one order every writer of orders locks in (review, approve and ship do), so an import racing
    them waits instead of deadlocking."""
    stmt = (
        select(Order.id, Order.shop_id, Order.platform_order_id, Order.status, Order.platform_status)
        .where(
            among(session, Order.shop_id, sorted({shop for shop, _ in keys})),
            among(session, Order.platform_order_id, sorted({number for _, number in keys})),
        )
        .order_by(Order.id)
    )
    found = session.connection().execute(for_update(stmt, session)).all()
    return {
        (row.shop_id, row.platform_order_id): Known(row.id, row.status, row.platform_status)
        for row in found
        if (row.shop_id, row.platform_order_id) in keys
    }


def _list_prices(session: Session, product_ids: set[int]) -> dict[int, Decimal]:
    stmt = select(Product.id, Product.list_price).where(among(session, Product.id, sorted(product_ids)))
    return dict(session.connection().execute(stmt).all())


def _customers(session: Session, accounts: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The customer linked to each (shop, buyer id), where one is."""
    stmt = select(CustomerAccount.shop_id, CustomerAccount.buyer_id, CustomerAccount.customer_id).where(
        among(session, CustomerAccount.shop_id, sorted({shop for shop, _ in accounts})),
        among(session, CustomerAccount.buyer_id, sorted({buyer for _, buyer in accounts})),
    )
    return {
        (row.shop_id, row.buyer_id): row.customer_id
        for row in session.connection().execute(stmt).all()
        if (row.shop_id, row.buyer_id) in accounts
    }


DRAFT_COLUMNS = (
    *("shop_id", "platform_order_id", "buyer_id", "receiver_name", "receiver_phone", "region", "city"),
    *("address", "currency", "goods_amount", "shipping_amount", "discount_amount", "tax_amount"),
    *("adjustment_amount", "total_amount", "paid_amount", "refunded_amount", "status", "created_at"),
    *("paid_at", "shipped_at", "note", "country", "subsidy_amount", "tax_included", "is_cod"),
    *("platform_status", "buyer_remark", "seller_remark", "carrier", "tracking_no", "lines"),
)
"""The fields of a draft that become columns of its order as they are (or cut to their column), and
its lines."""
LINE_COLUMNS = ("platform_sku", "name", "quantity", "unit_price", "discount", "amount")


def _columns(records: Sequence[tuple], names: Sequence[str]) -> dict[str, list]:
    """The fields ``names`` of many named tuples of one kind (drafts, their lines) as columns: all
    the records turned into columns at once (no dict per record)."""
    if not records:
        return {name: [] for name in names}
    every = list(zip(*records, strict=True))
    return {name: list(every[type(records[0])._fields.index(name)]) for name in names}


def _cut(values: list[str], size: int | None) -> list[str]:
    """Text values cut to ``size`` characters (the list itself when none is longer)."""
    if size is None or max(map(len, values), default=0) <= size:
        return values
    return [v[:size] for v in values]


def _insert_orders(session, actor, drafts, new: list[New], order_ids, shops, history) -> None:
    """Insert the new orders, their lines, their first line of history and their reasons to wait,
    each table in one batch built column by column (:func:`_columns`)."""
    if not new:
        return
    chosen = [drafts[n.index] for n in new]
    count = len(chosen)
    ids = allocate_ids(session, Order.__table__, count)
    for n, oid in zip(new, ids, strict=True):
        order_ids[n.index] = oid
    warehouses = [(w.id, w.region) for w in warehouse_facts(session) if w.active]
    fallback = warehouses[0][0] if warehouses else None
    now = utcnow()
    fields = _columns(chosen, DRAFT_COLUMNS)
    shop_of = list(map(shops.__getitem__, fields["shop_id"]))
    buyers = list(zip(fields["shop_id"], fields["buyer_id"], strict=True))
    customers = _customers(session, set(buyers))

    def column(name: str, size: int | None = None) -> list:
        return _cut(fields[name], size)

    routes: dict[tuple[str, int | None], int | None] = {}  # a batch's orders come from a few provinces

    def routed(region: str, shop: ShopFacts) -> int | None:
        key = (region, shop.default_warehouse_id or fallback)
        if key not in routes:
            routes[key] = rules.route_warehouse(region, warehouses, key[1])
        return routes[key]

    closed = [
        (d.shipped_at or d.paid_at or d.created_at) if d.status in workflow.CLOSED_STATUSES else None
        for d in chosen
    ]
    insert_columns(
        session,
        Order,
        {
            "id": ids,
            "platform": [shop.platform for shop in shop_of],
            "shop_id": column("shop_id"),
            "platform_order_id": column("platform_order_id"),
            "buyer_id": column("buyer_id"),
            "customer_id": list(map(customers.get, buyers)),
            "receiver_name": column("receiver_name", 100),
            "receiver_phone": column("receiver_phone", 40),
            "region": column("region", 60),
            "city": column("city", 60),
            "address": column("address", 300),
            "currency": column("currency"),
            "goods_amount": column("goods_amount"),
            "shipping_amount": column("shipping_amount"),
            "discount_amount": column("discount_amount"),
            "tax_amount": column("tax_amount"),
            "adjustment_amount": column("adjustment_amount"),
            "total_amount": column("total_amount"),
            "paid_amount": column("paid_amount"),
            "refunded_amount": column("refunded_amount"),
            "status": column("status"),
            "warehouse_id": [None] * count if history else list(map(routed, fields["region"], shop_of)),
            "order_date": _business_dates(session, column("created_at")),
            "created_at": column("created_at"),
            "paid_at": column("paid_at"),
            "shipped_at": column("shipped_at"),
            "closed_at": closed,
            "imported_at": [now] * count,
            "updated_at": [now] * count,
            "note": column("note", 500),
            "country": column("country", 2),
            "subsidy_amount": column("subsidy_amount"),
            "tax_included": column("tax_included"),
            "is_cod": column("is_cod"),
            "is_history": [history] * count,
            "platform_status": column("platform_status", 60),
            "buyer_remark": column("buyer_remark", 500),
            "seller_remark": column("seller_remark", 500),
            "on_hold": [False] * count,
            "carrier": column("carrier", 40),
            "tracking_no": column("tracking_no", 60),
        },
    )
    line_order: list[int] = []
    line_no: list[int] = []
    items: list = []
    products: list[int | None] = []
    for n, oid, lines in zip(new, ids, fields["lines"], strict=True):
        line_order += [oid] * len(lines)
        line_no += range(1, len(lines) + 1)
        items += lines
        products += n.products
    lines = _columns(items, LINE_COLUMNS)
    insert_columns(
        session,
        OrderLine,
        {
            "order_id": line_order,
            "line_no": line_no,
            "platform_sku": _cut(lines["platform_sku"], 64),
            "name": _cut(lines["name"], 200),
            "product_id": products,
            **{name: lines[name] for name in ("quantity", "unit_price", "discount", "amount")},
        },
    )
    workflow.created(session, actor, ids, column("status"), [",".join(n.reasons) for n in new])
    workflow.add_reasons(
        session, workflow.EXCEPTION, {oid: n.reasons for n, oid in zip(new, ids, strict=True) if n.reasons}
    )
    _insert_platform_refunds(session, actor, [(oid, d) for oid, d in zip(ids, chosen, strict=True)], now)


def _insert_platform_refunds(
    session: Session, actor: Actor, orders: list[tuple[int, OrderDraft]], now: dt.datetime
) -> None:
    """One refund row for each new order the platform already refunded (see the module doc), and a
    line of its history saying so."""
    refunded = [(oid, d) for oid, d in orders if d.refunded_amount > 0]
    if not refunded:
        return
    count = len(refunded)
    columns = {
        "order_id": [oid for oid, _ in refunded],
        "amount": [d.refunded_amount for _, d in refunded],
        "currency": [d.currency for _, d in refunded],
        "with_return": [d.restocked for _, d in refunded],
        "reason": [f"platform: {d.platform_status}"[:300] for _, d in refunded],
        "business_date": [business_date(session, now)] * count,
        "at": [now] * count,
        "actor_id": [actor.id] * count,
    }
    insert_columns(session, OrderRefund, columns)
    workflow.record(
        session,
        actor,
        [workflow.Happened(oid, d.status, "refund", f"platform {d.refunded_amount}") for oid, d in refunded],
    )


def _business_dates(session: Session, moments: list[dt.datetime]) -> list[dt.date]:
    """The company's day of each moment (:func:`~ecerp_core.catalog.company.business_date`)."""
    zone = company_timezone(session)
    return [moment.astimezone(zone).date() for moment in moments]


def _apply_updates(
    session: Session, actor: Actor, drafts: Sequence[OrderDraft], updates: list[tuple[int, Known]]
) -> int:
    """Move known orders along the import workflow as a newer export says; returns how many changed."""
    by_target: dict[str, list[workflow.Change]] = {}
    notes: list[tuple[Known, str]] = []
    now = utcnow()
    for i, order in updates:
        d = drafts[i]
        target = workflow.IMPORT_MOVES.get((order.status, d.status))
        if target == "paid":
            values = {
                "platform_status": d.platform_status[:60],
                "paid_amount": d.paid_amount,
                "paid_at": d.paid_at,
            }
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
            update(table)
            .where(table.c.id == bindparam("oid"))
            .values(platform_status=bindparam("ps"), updated_at=now),
            [{"oid": order.id, "ps": text} for order, text in notes],
        )
        workflow.record(
            session,
            actor,
            [workflow.Happened(order.id, order.status, "platform", text) for order, text in notes],
        )
    return sum(len(c) for c in by_target.values()) + len(notes)
