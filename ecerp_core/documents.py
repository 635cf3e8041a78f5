"""Business documents by the numbers people know them by.

A stock move or a posting points at the document it came from as ``(source_type, source_id)``; staff
know that document by its own number: the platform order number, ``PO…``, ``GR…``, ``PR…``, ``TR…``,
``ST…``. :func:`document_numbers` names a batch of references at once (for a page of a grid);
:func:`document_detail` describes one with its lines (for a drill-down). Read-only, joining across
orders, purchasing and stock, so it sits above them and below finance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Select, literal, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import company_timezone
from ecerp_core.catalog.models import Product, Shop, Supplier, Warehouse
from ecerp_core.db import among
from ecerp_core.orders.models import AfterSale, Order, OrderLine, OrderRefund
from ecerp_core.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
    PurchaseReturn,
    PurchaseReturnLine,
)
from ecerp_core.stock.models import StockAdjustment, StockMove, Stocktake, Transfer, TransferLine

Ref = tuple[str, int]
"""A document reference: ``(source_type, source_id)`` as stock moves and postings carry it."""

CHUNK = 500
ORDER_KINDS = ("order", "sales_order")
"""The stock ledger calls a sales order ``order``; the books call it ``sales_order``."""
PERMISSION = {
    "order": "orders.read",
    "sales_order": "orders.read",
    "sales_order_refund": "orders.read",
    "after_sale": "orders.read",
    "purchase_order": "purchasing.read",
    "purchase_receipt": "purchasing.read",
    "purchase_return": "purchasing.read",
}
"""Who may open a document of each kind; stock documents need ``stock.read``."""
DETAILED = (*PERMISSION, "transfer", "stocktake", "stock_adjustment")
"""The kinds :func:`document_detail` describes."""


@dataclass(frozen=True)
class DocumentName:
    """How a document is named on screen: its kind, its number and, for sales, its platform code."""

    kind: str
    id: int
    number: str
    platform: str = ""


@dataclass(frozen=True)
class DocumentLine:
    """A line of a document: what product, how many, at what price (None where it has none)."""

    sku: str
    name_zh: str
    name_en: str
    quantity: int
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class Document:
    """A document for drill-down: number, platform (code), party (shop, supplier or route), date,
    status, amount and currency (None when it carries no money), a note and its lines."""

    kind: str
    id: int
    number: str
    platform: str
    party: str
    date: dt.date | None
    status: str
    amount: Decimal | None
    currency: str
    note: str = ""
    lines: tuple[DocumentLine, ...] = field(default_factory=tuple)


def _numbers_stmt(kind: str) -> Select | None:
    """``(id, number, platform)`` of the documents of ``kind``; None for a kind without numbers."""
    order_of = (Order.platform_order_id, Order.platform)
    if kind in ORDER_KINDS:
        return select(Order.id, *order_of)
    if kind == "sales_order_refund":
        return select(OrderRefund.id, *order_of).join(Order, Order.id == OrderRefund.order_id)
    if kind == "after_sale":
        return select(AfterSale.id, *order_of).join(Order, Order.id == AfterSale.order_id)
    numbered = {
        "purchase_order": PurchaseOrder,
        "purchase_receipt": PurchaseReceipt,
        "purchase_return": PurchaseReturn,
        "transfer": Transfer,
        "stocktake": Stocktake,
    }
    model = numbered.get(kind)
    return None if model is None else select(model.id, model.number, literal(""))


def document_numbers(session: Session, refs: Iterable[Ref]) -> dict[Ref, DocumentName]:
    """The number of each document referred to, read in one query per kind (a refund or an
    after-sales case is named by its order's number). Unknown references are left out.

    >>> name = document_numbers(session, [("purchase_order", po_id)])[("purchase_order", po_id)]
    >>> name.number.startswith("PO"), name.platform
    (True, '')
    """
    wanted: dict[str, set[int]] = {}
    for kind, source_id in refs:
        if kind and source_id is not None:
            wanted.setdefault(kind, set()).add(int(source_id))
    out: dict[Ref, DocumentName] = {}
    for kind, ids in wanted.items():
        stmt = _numbers_stmt(kind)
        if stmt is None:
            continue
        id_column = stmt.selected_columns[0]
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            chunk = stmt.where(id_column.in_(ordered[start : start + CHUNK]))
            for doc_id, number, platform in session.connection().execute(chunk):
                out[(kind, doc_id)] = DocumentName(kind, doc_id, number, platform or "")
    return out


def _lines(session: Session, stmt: Select) -> tuple[DocumentLine, ...]:
    """Lines from a SELECT of ``(product_id, quantity, unit_price)``, with each product's SKU and names."""
    rows = session.connection().execute(stmt).all()
    ids = sorted({r[0] for r in rows if r[0] is not None})
    names = {
        p.id: (p.sku, p.name_zh, p.name_en or "")
        for p in session.connection().execute(
            select(Product.id, Product.sku, Product.name_zh, Product.name_en).where(
                among(session, Product.id, ids)
            )
        )
    }
    return tuple(DocumentLine(*names.get(p, ("", "", "")), int(q), price) for p, q, price in rows)


def _order(session: Session, kind: str, order: Order, **overrides) -> Document:
    shop = session.get(Shop, order.shop_id)
    lines = _lines(
        session,
        select(OrderLine.product_id, OrderLine.quantity, OrderLine.unit_price)
        .where(OrderLine.order_id == order.id)
        .order_by(OrderLine.line_no),
    )
    values = {
        "kind": kind,
        "id": order.id,
        "number": order.platform_order_id,
        "platform": order.platform,
        "party": shop.name if shop else "",
        "date": order.order_date,
        "status": order.status,
        "amount": order.total_amount,
        "currency": order.currency,
        "note": order.seller_remark or "",
        "lines": lines,
    }
    return Document(**{**values, **overrides})


def _stock_lines(session: Session, kind: str, doc_id: int) -> tuple[DocumentLine, ...]:
    """A stock document's lines: what its moves moved, per move."""
    stmt = (
        select(StockMove.product_id, StockMove.quantity, StockMove.unit_cost)
        .where(StockMove.source_type == kind, StockMove.source_id == doc_id)
        .order_by(StockMove.id)
    )
    return _lines(session, stmt)


def _warehouse(session: Session, warehouse_id: int | None) -> str:
    found = session.get(Warehouse, warehouse_id) if warehouse_id is not None else None
    return found.name if found else ""


def _supplier(session: Session, supplier_id: int | None) -> str:
    found = session.get(Supplier, supplier_id) if supplier_id is not None else None
    return found.name if found else ""


def document_detail(session: Session, actor: Actor, kind: str, doc_id: int) -> Document | None:
    """One document with its lines, for drill-down; None when the kind or the document is unknown.

    Needs the permission to read documents of its area (:data:`PERMISSION`, else ``stock.read``).
    """
    require(actor, PERMISSION.get(kind, "stock.read"))
    if kind in ORDER_KINDS:
        order = session.get(Order, doc_id)
        return _order(session, kind, order) if order else None
    if kind in ("sales_order_refund", "after_sale"):
        model = OrderRefund if kind == "sales_order_refund" else AfterSale
        doc = session.get(model, doc_id)
        order = session.get(Order, doc.order_id) if doc else None
        if order is None:
            return None
        made = doc.created_at.astimezone(company_timezone(session)).date() if kind == "after_sale" else None
        day = doc.business_date if kind == "sales_order_refund" else made
        status = "" if kind == "sales_order_refund" else doc.status
        return _order(
            session, kind, order, id=doc.id, date=day, status=status, amount=doc.amount, note=doc.reason
        )
    if kind == "purchase_order":
        po = session.get(PurchaseOrder, doc_id)
        if po is None:
            return None
        stmt = (
            select(PurchaseOrderLine.product_id, PurchaseOrderLine.quantity, PurchaseOrderLine.unit_price)
            .where(PurchaseOrderLine.purchase_order_id == po.id)
            .order_by(PurchaseOrderLine.line_no)
        )
        party = f"{_supplier(session, po.supplier_id)} → {_warehouse(session, po.warehouse_id)}"
        return Document(
            kind,
            po.id,
            po.number,
            "",
            party,
            po.order_date,
            po.status,
            po.total_amount,
            po.currency,
            po.note,
            _lines(session, stmt),
        )
    if kind == "purchase_receipt":
        receipt = session.get(PurchaseReceipt, doc_id)
        po = session.get(PurchaseOrder, receipt.purchase_order_id) if receipt else None
        if po is None:
            return None
        stmt = (
            select(
                PurchaseReceiptLine.product_id, PurchaseReceiptLine.quantity, PurchaseReceiptLine.unit_price
            )
            .where(PurchaseReceiptLine.receipt_id == receipt.id)
            .order_by(PurchaseReceiptLine.id)
        )
        return Document(
            kind,
            receipt.id,
            receipt.number,
            "",
            f"{_supplier(session, po.supplier_id)} · {po.number}",
            receipt.business_date,
            "",
            None,
            po.currency,
            receipt.note,
            _lines(session, stmt),
        )
    if kind == "purchase_return":
        ret = session.get(PurchaseReturn, doc_id)
        if ret is None:
            return None
        stmt = (
            select(PurchaseReturnLine.product_id, PurchaseReturnLine.quantity, PurchaseReturnLine.unit_price)
            .where(PurchaseReturnLine.return_id == ret.id)
            .order_by(PurchaseReturnLine.id)
        )
        return Document(
            kind,
            ret.id,
            ret.number,
            "",
            _supplier(session, ret.supplier_id),
            ret.business_date,
            "",
            ret.amount,
            ret.currency,
            ret.reason,
            _lines(session, stmt),
        )
    if kind == "transfer":
        tr = session.get(Transfer, doc_id)
        if tr is None:
            return None
        stmt = (
            select(TransferLine.product_id, TransferLine.quantity, TransferLine.unit_cost)
            .where(TransferLine.transfer_id == tr.id)
            .order_by(TransferLine.id)
        )
        route = f"{_warehouse(session, tr.from_warehouse_id)} → {_warehouse(session, tr.to_warehouse_id)}"
        day = tr.created_at.astimezone(company_timezone(session)).date() if tr.created_at else None
        return Document(
            kind, tr.id, tr.number, "", route, day, tr.status, None, "", tr.note, _lines(session, stmt)
        )
    if kind == "stocktake":
        st = session.get(Stocktake, doc_id)
        if st is None:
            return None
        day = st.created_at.astimezone(company_timezone(session)).date() if st.created_at else None
        return Document(
            kind,
            st.id,
            st.number,
            "",
            _warehouse(session, st.warehouse_id),
            day,
            st.status,
            None,
            "",
            st.note,
            _stock_lines(session, kind, st.id),
        )
    if kind == "stock_adjustment":
        adj = session.get(StockAdjustment, doc_id)
        if adj is None:
            return None
        return Document(
            kind,
            adj.id,
            "",
            "",
            _warehouse(session, adj.warehouse_id),
            adj.business_date,
            "",
            None,
            "",
            adj.reason,
            _stock_lines(session, kind, adj.id),
        )
    return None
