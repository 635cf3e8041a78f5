"""Use cases of purchase orders, batch-first: create, confirm, cancel, close, and what is on order.

Receiving goods is :mod:`ecerp_core.purchasing.receipts`, returns to suppliers
:mod:`~ecerp_core.purchasing.returns`; a purchase order's status moves only in
:mod:`~ecerp_core.purchasing.workflow`. Services check ``purchasing.write``, audit, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import document_day
from ecerp_core.catalog.models import Product, Supplier, Warehouse
from ecerp_core.catalog.products import lines_vat
from ecerp_core.db import among, insert_rows, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.money import round_money
from ecerp_core.purchasing import workflow
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseOrderLine
from ecerp_core.query import Page, paginate, sort_stmt
from ecerp_core.stock import services as stock

SOURCE = "purchase_order"


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


def input_vat(
    session: Session,
    lines: Iterable[tuple[int, Decimal]],
    currency: str,
    base_currency: str,
    default: Decimal,
) -> Decimal:
    """The input VAT (进项税额) a supplier invoices on top of tax-exclusive ``(product_id, amount)``
    lines, each at its product's rate (its category's, else ``default``, the company's), rounded per line.

    Domestic purchases (in the base currency) carry VAT; imports carry none from the supplier
    (import VAT is paid at customs).
    """
    if currency != base_currency:
        return round_money(Decimal(0), currency)
    return lines_vat(session, lines, default, currency, inclusive=False)


def _next_numbers(session: Session, day: dt.date, count: int) -> list[str]:
    return stock.next_numbers(session, PurchaseOrder.number, "PO", count, day)


def create_purchase_orders(
    session: Session, actor: Actor, drafts: Sequence[PurchaseOrderDraft], *, day: dt.date | None = None
) -> list[int]:
    """Create draft purchase orders dated ``day`` (default today); all or nothing. Returns their ids."""
    require(actor, "purchasing.write")
    day = document_day(session, day)
    supplier_stmt = select(Supplier.id, Supplier.currency, Supplier.lead_time_days, Supplier.active).where(
        among(session, Supplier.id, sorted({d.supplier_id for d in drafts}))
    )
    suppliers = {row.id: row for row in session.connection().execute(supplier_stmt)}
    warehouses = set(
        session.connection().scalars(
            select(Warehouse.id).where(among(session, Warehouse.id, sorted({d.warehouse_id for d in drafts})))
        )
    )
    products = dict(
        session.connection()
        .execute(
            select(Product.id, Product.is_bundle).where(
                among(session, Product.id, sorted({x.product_id for d in drafts for x in d.lines}))
            )
        )
        .all()
    )
    found = []
    for n, d in enumerate(drafts, start=1):
        if d.supplier_id not in suppliers or not suppliers[d.supplier_id].active:
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
    now = utcnow()
    rows = []
    for d, number in zip(drafts, _next_numbers(session, day, len(drafts)), strict=True):
        supplier = suppliers[d.supplier_id]
        currency = d.currency or supplier.currency
        total = sum((round_money(x.quantity * x.unit_price, currency) for x in d.lines), Decimal(0))
        row = {
            "number": number,
            "supplier_id": d.supplier_id,
            "warehouse_id": d.warehouse_id,
            "currency": currency,
            "status": "draft",
            "order_date": day,
            "expected_date": d.expected_date or day + dt.timedelta(days=supplier.lead_time_days),
            "total_amount": total,
            "note": d.note,
            "created_by": actor.id,
            "created_at": now,
            "updated_at": now,
        }
        rows.append(row)
    table = PurchaseOrder.__table__
    ids = (
        session.connection()
        .execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )
    lines = [
        {
            "purchase_order_id": pid,
            "line_no": no,
            "product_id": x.product_id,
            "quantity": x.quantity,
            "received": 0,
            "unit_price": x.unit_price,
            "amount": round_money(x.quantity * x.unit_price, row["currency"]),
        }
        for pid, d, row in zip(ids, drafts, rows, strict=True)
        for no, x in enumerate(d.lines, start=1)
    ]
    insert_rows(session, PurchaseOrderLine, lines)
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


def create_purchase_order(
    session: Session, actor: Actor, draft: PurchaseOrderDraft, *, day: dt.date | None = None
) -> int:
    [order_id] = create_purchase_orders(session, actor, [draft], day=day)
    return order_id


def confirm_purchase_orders(session: Session, actor: Actor, ids: Sequence[int]) -> int:
    """Send draft orders to their suppliers (draft → confirmed)."""
    require(actor, "purchasing.write")
    orders = workflow.load(session, ids)
    workflow.move(session, actor, orders, dict.fromkeys(ids, "confirmed"), "confirm")
    return len(ids)


def cancel_purchase_orders(session: Session, actor: Actor, ids: Sequence[int]) -> int:
    """Cancel orders nothing was received against (draft or confirmed)."""
    require(actor, "purchasing.write")
    orders = workflow.load(session, ids)
    workflow.move(session, actor, orders, dict.fromkeys(ids, "cancelled"), "cancel")
    return len(ids)


def close_purchase_orders(session: Session, actor: Actor, ids: Sequence[int]) -> int:
    """Close orders that will receive nothing more (the rest will never come) or are complete."""
    require(actor, "purchasing.write")
    orders = workflow.load(session, ids)
    workflow.move(session, actor, orders, dict.fromkeys(ids, "closed"), "close")
    return len(ids)


def on_order(session: Session, actor: Actor) -> dict[tuple[int, int], int]:
    """Units ordered but not yet received, per (product_id, warehouse_id)."""
    require(actor, "purchasing.read")
    stmt = (
        select(
            PurchaseOrderLine.product_id,
            PurchaseOrder.warehouse_id,
            func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status.in_(("draft", *workflow.OPEN)))
        .group_by(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id)
    )
    return {(p, w): int(q) for p, w, q in session.connection().execute(stmt)}


def due_purchase_orders(session: Session, actor: Actor, day: dt.date) -> list[int]:
    """Open purchase orders expected on or before ``day``, oldest first."""
    require(actor, "purchasing.read")
    stmt = (
        select(PurchaseOrder.id)
        .where(PurchaseOrder.status.in_(workflow.OPEN), PurchaseOrder.expected_date <= day)
        .order_by(PurchaseOrder.expected_date, PurchaseOrder.id)
    )
    return list(session.connection().scalars(stmt))


def purchase_orders_stmt(status: str | None = None):
    """The SELECT behind purchase-order lists (the Inventory app, ``ecerp purchase list``), newest first."""
    stmt = (
        select(
            PurchaseOrder.id.label("id"),
            PurchaseOrder.number.label("number"),
            Supplier.code.label("supplier"),
            Warehouse.code.label("warehouse"),
            PurchaseOrder.status.label("status"),
            PurchaseOrder.currency.label("currency"),
            PurchaseOrder.total_amount.label("total_amount"),
            PurchaseOrder.expected_date.label("expected_date"),
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
        .order_by(PurchaseOrder.id.desc())
    )
    return stmt.where(PurchaseOrder.status == status) if status else stmt


def list_purchase_orders(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """One page of purchase orders (:func:`purchase_orders_stmt`), sorted and counted in the database."""
    require(actor, "purchasing.read")
    return paginate(
        session, sort_stmt(purchase_orders_stmt(status), sort, descending), offset=offset, limit=limit
    )


def purchase_order_rows(session: Session, actor: Actor, *, status: str | None = None) -> list[dict]:
    """Every purchase order (of one ``status``), newest first, as dicts of :func:`purchase_orders_stmt`'s
    columns: what ``ecerp purchase list`` prints."""
    require(actor, "purchasing.read")
    return [dict(row) for row in session.execute(purchase_orders_stmt(status)).mappings()]
