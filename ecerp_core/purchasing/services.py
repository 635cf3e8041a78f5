"""Use cases of purchasing, batch-first: create, confirm, receive, cancel purchase orders.

Receiving posts ``receipt`` moves at the purchase price in base currency (converted at the day's
rate), which moves the average cost. Services check ``purchasing.write``, audit, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.business_time import business_date
from ecerp_core.catalog.models import Product, Supplier, Warehouse
from ecerp_core.catalog.services import get_company, rate_on
from ecerp_core.db import for_update, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.money import round_money
from ecerp_core.purchasing import hooks, rules
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseOrderLine
from ecerp_core.stock import services as stock

SOURCE = "purchase_order"
OPEN = ("confirmed", "partially_received")


@dataclass(frozen=True)
class PurchaseLineDraft:
    """``quantity`` units of a stocked product at ``unit_price`` in the order's currency."""

    product_id: int
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class PurchaseOrderDraft:
    """A purchase order to create. currency None: the supplier's; expected_date None: + lead time."""

    supplier_id: int
    warehouse_id: int
    lines: tuple[PurchaseLineDraft, ...]
    currency: str | None = None
    expected_date: dt.date | None = None
    note: str = ""


@dataclass(frozen=True)
class ReceiptDraft:
    """Goods that arrived for a purchase order: ``((product_id, qty), ...)``; None: all outstanding."""

    purchase_order_id: int
    lines: tuple[tuple[int, int], ...] | None = None


def _next_numbers(session: Session, day: dt.date, count: int) -> list[str]:
    prefix = f"PO{day:%Y%m%d}-"
    last = session.connection().scalar(
        select(func.max(PurchaseOrder.number)).where(PurchaseOrder.number.like(prefix + "%"))
    )
    start = int(last.rsplit("-", 1)[1]) if last else 0
    return [f"{prefix}{start + n:04d}" for n in range(1, count + 1)]


def create_purchase_orders(session: Session, actor: Actor, drafts: Sequence[PurchaseOrderDraft]) -> list[int]:
    """Create draft purchase orders; all or nothing. Returns their ids."""
    require(actor, "purchasing.write")
    suppliers = {r[0]: r[1:] for r in session.connection().execute(
        select(Supplier.id, Supplier.currency, Supplier.lead_time_days, Supplier.active)
        .where(Supplier.id.in_(sorted({d.supplier_id for d in drafts}))))}  # fmt: skip
    warehouses = set(
        session.connection().scalars(
            select(Warehouse.id).where(Warehouse.id.in_(sorted({d.warehouse_id for d in drafts})))
        )
    )
    products = dict(session.connection().execute(select(Product.id, Product.is_bundle).where(
        Product.id.in_(sorted({x.product_id for d in drafts for x in d.lines})))).all())  # fmt: skip
    found = []
    for n, d in enumerate(drafts, start=1):
        if d.supplier_id not in suppliers or not suppliers[d.supplier_id][2]:
            found.append(problem("supplier", "unknown_ref", value=d.supplier_id).at_line(n))
        if d.warehouse_id not in warehouses:
            found.append(problem("warehouse", "unknown_ref", value=d.warehouse_id).at_line(n))
        if not d.lines:
            found.append(problem("lines", "required").at_line(n))
        for x in d.lines:
            if products.get(x.product_id) is not False:
                found.append(problem("product", "not_stocked", value=x.product_id).at_line(n))
            if not isinstance(x.quantity, int) or x.quantity <= 0:
                found.append(problem("quantity", "below_minimum", value=x.quantity, min=1).at_line(n))
            if not isinstance(x.unit_price, Decimal) or x.unit_price < 0:
                found.append(problem("unit_price", "below_minimum", value=x.unit_price, min=0).at_line(n))
    if found:
        raise ValidationError(found)
    today = business_date(session)
    now = utcnow()
    rows = []
    for d, number in zip(drafts, _next_numbers(session, today, len(drafts)), strict=True):
        currency, lead_time, _ = suppliers[d.supplier_id]
        currency = d.currency or currency
        rows.append({"number": number, "supplier_id": d.supplier_id, "warehouse_id": d.warehouse_id,
                     "currency": currency, "status": "draft", "order_date": today,
                     "expected_date": d.expected_date or today + dt.timedelta(days=lead_time),
                     "total_amount": sum((round_money(x.quantity * x.unit_price, currency) for x in d.lines),
                                         Decimal(0)),
                     "note": d.note, "created_by": actor.id, "created_at": now, "updated_at": now})  # fmt: skip
    table = PurchaseOrder.__table__
    ids = (
        session.connection()
        .execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )
    lines = [{"purchase_order_id": pid, "line_no": no, "product_id": x.product_id, "quantity": x.quantity,
              "received": 0, "unit_price": x.unit_price, "amount": round_money(x.quantity * x.unit_price, row["currency"])}
             for pid, d, row in zip(ids, drafts, rows, strict=True) for no, x in enumerate(d.lines, start=1)]  # fmt: skip
    session.connection().execute(insert(PurchaseOrderLine.__table__), lines)
    audit.record_many(
        session,
        actor,
        "create",
        "purchase_order",
        [
            (pid, {"number": r["number"], "total": r["total_amount"]})
            for pid, r in zip(ids, rows, strict=True)
        ],
    )
    return list(ids)


def create_purchase_order(session: Session, actor: Actor, draft: PurchaseOrderDraft) -> int:
    return create_purchase_orders(session, actor, [draft])[0]


def _load(session: Session, ids: Sequence[int]) -> dict[int, tuple]:
    stmt = (
        select(
            PurchaseOrder.id,
            PurchaseOrder.number,
            PurchaseOrder.status,
            PurchaseOrder.currency,
            PurchaseOrder.warehouse_id,
        )
        .where(PurchaseOrder.id.in_(sorted(set(ids))))
        .order_by(PurchaseOrder.id)
    )
    found = {r[0]: tuple(r[1:]) for r in session.connection().execute(for_update(stmt, session))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError([problem("purchase_order", "unknown_ref", value=i) for i in missing])
    return found


def _set_status(session: Session, actor: Actor, orders: dict, targets: dict[int, str], action: str) -> None:
    found = [rules.transition_problem(orders[i][0], orders[i][1], t) for i, t in targets.items()]
    found = [p for p in found if p]
    if found:
        raise ValidationError(found)
    table = PurchaseOrder.__table__
    session.connection().execute(
        update(table).where(table.c.id == bindparam("pid")).values(status=bindparam("st"), updated_at=utcnow()),
        [{"pid": i, "st": t} for i, t in targets.items()])  # fmt: skip
    audit.record_many(
        session,
        actor,
        action,
        "purchase_order",
        [(i, {"status": [orders[i][1], t]}) for i, t in targets.items()],
    )


def confirm_purchase_orders(session: Session, actor: Actor, ids: Sequence[int]) -> int:
    """Send draft orders to their suppliers (draft → confirmed)."""
    require(actor, "purchasing.write")
    orders = _load(session, ids)
    _set_status(session, actor, orders, dict.fromkeys(ids, "confirmed"), "confirm")
    return len(ids)


def cancel_purchase_orders(session: Session, actor: Actor, ids: Sequence[int]) -> int:
    require(actor, "purchasing.write")
    orders = _load(session, ids)
    _set_status(session, actor, orders, dict.fromkeys(ids, "cancelled"), "cancel")
    return len(ids)


def receive_purchase_orders(session: Session, actor: Actor, receipts: Sequence[ReceiptDraft]) -> list[dict]:
    """Receive goods into the orders' warehouses at the purchase price; returns the moves.

    More than is outstanding on a line is refused; nothing is written then.
    """
    require(actor, "purchasing.write")
    orders = _load(session, [r.purchase_order_id for r in receipts])
    rows = session.connection().execute(
        select(PurchaseOrderLine.id, PurchaseOrderLine.purchase_order_id, PurchaseOrderLine.product_id,
               PurchaseOrderLine.quantity, PurchaseOrderLine.received, PurchaseOrderLine.unit_price)
        .where(PurchaseOrderLine.purchase_order_id.in_(sorted(orders))).order_by(PurchaseOrderLine.id))  # fmt: skip
    lines: dict[int, list] = {}
    for line_id, po_id, product_id, qty, received, price in rows:
        lines.setdefault(po_id, []).append([line_id, product_id, qty, received, price])
    today = business_date(session)
    base = get_company(session).base_currency
    rates = {c: rate_on(session, c, today) for c in sorted({o[2] for o in orders.values()}) if c != base}
    found, drafts, line_updates, targets = [], [], [], {}
    for n, r in enumerate(receipts, start=1):
        number, _status, currency, warehouse_id = orders[r.purchase_order_id]
        po_lines = lines[r.purchase_order_id]
        wanted = dict(r.lines) if r.lines is not None else {ln[1]: ln[2] - ln[3] for ln in po_lines}
        for line_id, product_id, qty, received, price in po_lines:
            take = (
                min(wanted.pop(product_id, 0), qty - received)
                if r.lines is None
                else wanted.pop(product_id, 0)
            )
            if take <= 0:
                continue
            if received + take > qty:
                found.append(problem("quantity", "above_maximum", value=take, max=qty - received).at_line(n))
                continue
            unit_cost = round_money(price * rates.get(currency, Decimal(1)))
            drafts.append(stock.MoveDraft(product_id, warehouse_id, take, "receipt", unit_cost=unit_cost,
                                          source_type=SOURCE, source_id=r.purchase_order_id, note=number))  # fmt: skip
            line_updates.append({"lid": line_id, "take": take})
        found += [problem("product", "not_on_order", value=p).at_line(n) for p in wanted if wanted[p]]
        done = {u["lid"]: u["take"] for u in line_updates}
        complete = all(ln[3] + done.get(ln[0], 0) >= ln[2] for ln in po_lines)
        targets[r.purchase_order_id] = "received" if complete else "partially_received"
    if found:
        raise ValidationError(found)
    for i, target in targets.items():
        p = rules.transition_problem(orders[i][0], orders[i][1], target)
        if p:
            raise ValidationError([p])
    moves = stock.record_moves(session, actor, drafts) if drafts else []
    table = PurchaseOrderLine.__table__
    if line_updates:
        session.connection().execute(
            update(table).where(table.c.id == bindparam("lid")).values(received=table.c.received + bindparam("take")),
            line_updates)  # fmt: skip
    _set_status(session, actor, orders, targets, "receive")
    hooks.on_received(session, actor, list(targets), moves)
    return moves


def on_order(session: Session, actor: Actor) -> dict[tuple[int, int], int]:
    """Units ordered but not yet received, per (product_id, warehouse_id)."""
    require(actor, "purchasing.read")
    stmt = (
        select(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id,
               func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status.in_(("draft", *OPEN)))
        .group_by(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id)
    )  # fmt: skip
    return {(p, w): int(q) for p, w, q in session.connection().execute(stmt)}


def due_purchase_orders(session: Session, actor: Actor, day: dt.date) -> list[int]:
    """Open purchase orders expected on or before ``day``, oldest first."""
    require(actor, "purchasing.read")
    stmt = (select(PurchaseOrder.id).where(PurchaseOrder.status.in_(OPEN), PurchaseOrder.expected_date <= day)
            .order_by(PurchaseOrder.expected_date, PurchaseOrder.id))  # fmt: skip
    return list(session.connection().scalars(stmt))
