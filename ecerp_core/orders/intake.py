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
import itertools
from collections.abc import Mapping, Sequence
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
from ecerp_core.orders.drafts import ImportResult, OrderDraft, as_columns
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


ORDER_FIELDS = (
    *("shop_id", "platform_order_id", "buyer_id", "receiver_name", "receiver_phone", "region", "city"),
    *("address", "currency", "goods_amount", "shipping_amount", "discount_amount", "tax_amount"),
    *("adjustment_amount", "total_amount", "paid_amount", "refunded_amount", "status", "created_at"),
    *("paid_at", "shipped_at", "note", "country", "subsidy_amount", "tax_included", "is_cod"),
    *("platform_status", "buyer_remark", "seller_remark", "carrier", "tracking_no", "restocked"),
)
"""The fields of a draft its order keeps (as they are, or cut to their column: :data:`CUT`)."""
LINE_FIELDS = ("platform_sku", "sku", "name", "quantity", "unit_price", "discount", "amount")
CUT = {"receiver_name": 100, "receiver_phone": 40, "region": 60, "city": 60, "address": 300, "note": 500,
       "country": 2, "buyer_remark": 500, "seller_remark": 500, "carrier": 40, "tracking_no": 60,
       "platform_sku": 64, "name": 200}  # fmt: skip
"""The text fields cut to their column's size (the platform status is compared whole, cut when written)."""


class Checked(NamedTuple):
    """A batch of drafts checked before the database is read (:func:`check_drafts`).

    ``index``: the places in the batch of the drafts that can be orders; ``orders`` their fields
    (:data:`ORDER_FIELDS`, and ``order_date`` and ``closed_at``) as columns; ``lines`` their lines
    (:data:`LINE_FIELDS`) one after another, ``line_counts`` how many each has. ``waits`` the reasons
    each would wait that its draft alone tells (None: it does not enter the pipeline), ``warnings``
    what a person should know of each; ``rejected`` the problems of the drafts that cannot be orders.
    """

    size: int
    index: list[int]
    orders: dict[str, list]
    lines: dict[str, list]
    line_counts: list[int]
    waits: list[tuple[str, ...] | None]
    warnings: list[list[Problem]]
    rejected: list[Problem]


def check_drafts(
    drafts: Sequence[OrderDraft], shops: Mapping[int, ShopFacts], zone: dt.tzinfo, *, history: bool = False
) -> Checked:
    """What can be told of a batch of drafts before the database is read: which cannot be orders
    and why, the rest as columns (text cut to its column, the company's day of each in ``zone``),
    and the reasons to wait and warnings each draft alone gives. ``shops`` holds every shop of the
    drafts there is (a draft of another is rejected)."""
    rejected: list[Problem] = []
    index: list[int] = []
    waits: list[tuple[str, ...] | None] = []
    warnings: list[list[Problem]] = []
    seen: set[tuple[int, str]] = set()
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
        index.append(i)
        waits.append(rules.draft_reasons(d) if not history and d.status in PIPELINE_STATUSES else None)
        found = rules.import_warnings(d, shop.code, shop.prices_include_tax)
        warnings.append([p.at_line(d.line or i + 1) for p in found])
    chosen = [drafts[i] for i in index]
    orders = as_columns(chosen, ORDER_FIELDS)
    for name, size in CUT.items():
        if name in orders:
            orders[name] = _cut(orders[name], size)
    orders["order_date"] = [moment.astimezone(zone).date() for moment in orders["created_at"]]
    orders["closed_at"] = [
        (d.shipped_at or d.paid_at or d.created_at) if d.status in workflow.CLOSED_STATUSES else None
        for d in chosen
    ]
    every = [line for d in chosen for line in d.lines]
    lines = as_columns(every, LINE_FIELDS)
    for name in ("platform_sku", "name"):
        lines[name] = _cut(lines[name], CUT[name])
    return Checked(
        len(drafts), index, orders, lines, [len(d.lines) for d in chosen], waits, warnings, rejected
    )


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
    shops are read once; the counts add up across the batches.

    :meth:`add` is :meth:`check`, which reads no more than the shops (:func:`check_drafts`), then
    :meth:`apply`, which reads and writes the orders."""

    def __init__(self, session: Session, actor: Actor, *, history: bool = False, source: str = "") -> None:
        require(actor, "orders.import")
        self.session, self.actor, self.history, self.source = session, actor, history, source
        self.floor_ratio = Decimal(str(load_settings(session)["price_floor_ratio"]))
        self.base = get_company(session).base_currency
        self.zone = company_timezone(session)
        self.shops: dict[int, ShopFacts] = {}
        self.products: dict[SkuRef, int | None] = {}
        self.floors: dict[int, Decimal] = {}
        self.created = self.updated = 0

    def add(self, drafts: Sequence[OrderDraft], *, strict: bool = False) -> ImportResult:
        """Import one batch of drafts; returns what became of them (``strict``: see
        :func:`import_order_drafts`, for this batch)."""
        return self.apply(self.check(drafts), strict=strict)

    def check(self, drafts: Sequence[OrderDraft]) -> Checked:
        """:func:`check_drafts` of a batch, its shops read first."""
        self._read_shops({d.shop_id for d in drafts})
        return check_drafts(drafts, self.shops, self.zone, history=self.history)

    def _read_shops(self, shop_ids: set[int]) -> None:
        """Read the facts of the shops not read yet (a check needs those of its drafts)."""
        missing = shop_ids - self.shops.keys()
        if missing:
            self.shops.update(_shops(self.session, missing))

    def apply(self, checked: Checked, *, strict: bool = False) -> ImportResult:
        """Import a batch :meth:`check` made (its shops are read): new orders are created, known
        ones moved along the import workflow; returns what became of the batch's drafts."""
        if checked.rejected and strict:
            raise ValidationError(checked.rejected)
        session, orders, lines = self.session, checked.orders, checked.lines
        shop_ids = orders["shop_id"]
        line_shops = [
            shop for shop, count in zip(shop_ids, checked.line_counts, strict=True) for _ in range(count)
        ]
        # each line's plain tuple, equal to the SkuRef keys of ``products`` and quicker to make
        line_refs = list(zip(line_shops, lines["platform_sku"], lines["sku"], strict=True))
        refs, products = set(line_refs), self.products
        if not refs <= products.keys():
            products.update(resolve_skus(session, [SkuRef(*r) for r in refs - products.keys()]))
        line_products = list(map(products.__getitem__, line_refs))
        keys = list(zip(shop_ids, orders["platform_order_id"], strict=True))
        known = _known(session, set(keys))
        floors, floor_ratio = self.floors, self.floor_ratio
        if floor_ratio > 0 and not self.history:
            priced = {products[r] for r in refs} - floors.keys() - {None}
            if priced:
                floors.update(_list_prices(session, priced))
        new: list[int] = []  # places among the checked orders
        reasons: list[list[str]] = []
        warnings: list[Problem] = []
        updates: list[tuple[int, Known]] = []
        order_ids: list[int | None] = [None] * checked.size
        unchanged = end = 0
        statuses, platform_statuses = orders["status"], orders["platform_status"]
        prices, currencies, base = lines["unit_price"], orders["currency"], self.base
        for j, (key, count, waits) in enumerate(zip(keys, checked.line_counts, checked.waits, strict=True)):
            start, end = end, end + count  # its lines' place in the line columns
            order = known.get(key)
            if order is not None:
                order_ids[checked.index[j]] = order.id
                same = statuses[j] == order.status and platform_statuses[j] == order.platform_status
                if self.history or same:
                    unchanged += 1
                else:
                    updates.append((j, order))
                continue
            new.append(j)
            if waits is None:
                reasons.append([])
            else:
                reasons.append(rules.exception_reasons(
                    waits, line_products[start:end], prices[start:end],
                    floors if currencies[j] == base else {}, floor_ratio,
                ))  # fmt: skip
            warnings += checked.warnings[j]
        ids = _insert_orders(
            session, self.actor, checked, new, line_products, reasons, self.shops, self.history
        )
        for j, oid in zip(new, ids, strict=True):
            order_ids[checked.index[j]] = oid
        updated = _apply_updates(session, self.actor, orders, updates)
        unchanged += len(updates) - updated
        self.created += len(new)
        self.updated += updated
        exceptions = sum(1 for r in reasons if r)
        return ImportResult(
            len(new),
            updated,
            unchanged,
            tuple(order_ids),
            tuple(checked.rejected),
            exceptions,
            tuple(warnings),
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


def _cut(values: list[str], size: int | None) -> list[str]:
    """Text values cut to ``size`` characters (the list itself when none is longer)."""
    if size is None or max(map(len, values), default=0) <= size:
        return values
    return [v[:size] for v in values]


def _picked(columns: dict[str, list], at: list[int] | None) -> dict[str, list]:
    """The columns' values at the places ``at`` (None: all of them)."""
    if at is None:
        return columns
    return {name: [values[i] for i in at] for name, values in columns.items()}


def _insert_orders(
    session: Session,
    actor: Actor,
    checked: Checked,
    new: list[int],
    line_products: list[int | None],
    reasons: list[list[str]],
    shops: Mapping[int, ShopFacts],
    history: bool,
) -> list[int]:
    """Insert the new orders (``new``: their places among the checked ones), their lines, their first
    line of history and their reasons to wait, each table in one batch of columns; returns their ids."""
    count = len(new)
    if not count:
        return []
    every = count == len(checked.index)
    fields = _picked(checked.orders, None if every else new)
    if every:
        lines, products = checked.lines, line_products
        line_counts = checked.line_counts
    else:
        starts = list(itertools.accumulate(checked.line_counts, initial=0))
        at = [i for j in new for i in range(starts[j], starts[j + 1])]
        lines, products = _picked(checked.lines, at), [line_products[i] for i in at]
        line_counts = [checked.line_counts[j] for j in new]
    ids = allocate_ids(session, Order.__table__, count)
    shop_of = list(map(shops.__getitem__, fields["shop_id"]))
    buyers = list(zip(fields["shop_id"], fields["buyer_id"], strict=True))
    customers = _customers(session, set(buyers))
    now = utcnow()
    if history:
        warehouse_ids = [None] * count
    else:
        warehouses = [(w.id, w.region) for w in warehouse_facts(session) if w.active]
        fallback = warehouses[0][0] if warehouses else None
        routes: dict[tuple[str, int | None], int | None] = {}  # a batch's orders come from a few provinces

        def routed(region: str, shop: ShopFacts) -> int | None:
            key = (region, shop.default_warehouse_id or fallback)
            if key not in routes:
                routes[key] = rules.route_warehouse(region, warehouses, key[1])
            return routes[key]

        warehouse_ids = list(map(routed, fields["region"], shop_of))
    kept = {name: fields[name] for name in ORDER_FIELDS if name not in ("restocked", "platform_status")}
    insert_columns(
        session,
        Order,
        {
            **kept,
            "id": ids,
            "platform": [shop.platform for shop in shop_of],
            "customer_id": list(map(customers.get, buyers)),
            "platform_status": _cut(fields["platform_status"], 60),
            "warehouse_id": warehouse_ids,
            "order_date": fields["order_date"],
            "closed_at": fields["closed_at"],
            "imported_at": [now] * count,
            "updated_at": [now] * count,
            "is_history": [history] * count,
            "on_hold": [False] * count,
        },
    )
    line_order: list[int] = []
    line_no: list[int] = []
    for oid, size in zip(ids, line_counts, strict=True):
        line_order += [oid] * size
        line_no += range(1, size + 1)
    insert_columns(
        session,
        OrderLine,
        {
            "order_id": line_order,
            "line_no": line_no,
            "product_id": products,
            **{
                name: lines[name]
                for name in ("platform_sku", "name", "quantity", "unit_price", "discount", "amount")
            },
        },
    )
    workflow.created(session, actor, ids, fields["status"], [",".join(r) for r in reasons])
    workflow.add_reasons(
        session, workflow.EXCEPTION, {oid: r for r, oid in zip(reasons, ids, strict=True) if r}
    )
    _insert_platform_refunds(session, actor, ids, fields, now)
    return ids


def _insert_platform_refunds(
    session: Session, actor: Actor, ids: list[int], fields: dict[str, list], now: dt.datetime
) -> None:
    """One refund row for each new order the platform already refunded (see the module doc), and a
    line of its history saying so."""
    refunded = [i for i, amount in enumerate(fields["refunded_amount"]) if amount > 0]
    if not refunded:
        return
    count = len(refunded)
    amount, currency, restocked, status, said = (
        [fields[name][i] for i in refunded]
        for name in ("refunded_amount", "currency", "restocked", "status", "platform_status")
    )
    order_ids = [ids[i] for i in refunded]
    columns = {
        "order_id": order_ids,
        "amount": amount,
        "currency": currency,
        "with_return": restocked,
        "reason": [f"platform: {text}"[:300] for text in said],
        "business_date": [business_date(session, now)] * count,
        "at": [now] * count,
        "actor_id": [actor.id] * count,
    }
    insert_columns(session, OrderRefund, columns)
    workflow.record(
        session,
        actor,
        [
            workflow.Happened(oid, s, "refund", f"platform {a}")
            for oid, s, a in zip(order_ids, status, amount, strict=True)
        ],
    )


def _apply_updates(
    session: Session, actor: Actor, orders: dict[str, list], updates: list[tuple[int, Known]]
) -> int:
    """Move known orders along the import workflow as a newer export says (``updates``: their places
    among the checked ``orders``); returns how many changed."""
    by_target: dict[str, list[workflow.Change]] = {}
    notes: list[tuple[Known, str]] = []
    now = utcnow()
    for j, order in updates:
        status, said = orders["status"][j], orders["platform_status"][j]
        target = workflow.IMPORT_MOVES.get((order.status, status))
        if target == "paid":
            values = {
                "platform_status": said[:60],
                "paid_amount": orders["paid_amount"][j],
                "paid_at": orders["paid_at"][j],
            }
            by_target.setdefault(target, []).append(workflow.Change(order.id, order.status, values))
        elif target:
            values = {"platform_status": said[:60], "closed_at": now}
            by_target.setdefault(target, []).append(workflow.Change(order.id, order.status, values))
        elif said != order.platform_status:
            notes.append((order, said[:60]))
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
