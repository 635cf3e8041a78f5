"""Business documents by the numbers people know them by.

A stock move or a posting points at the document it came from as ``(source_type, source_id)``; staff
know that document by its own number: the platform order number, ``PO…``, ``GR…``, ``PR…``, ``TR…``,
``ST…``. :func:`document_numbers` names a batch of references at once (for a page of a grid);
:func:`document_detail` describes one with its lines (for a drill-down). Read-only, joining across
orders, purchasing and stock, so it sits above them and below finance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
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
    """A document for drill-down: number, platform (code; sales only), party (shop, supplier or
    route), date, status (blank for a document that has none), amount and currency (None and blank
    when it carries no money), a note and its lines."""

    kind: str
    id: int
    number: str
    platform: str = ""
    party: str = ""
    date: dt.date | None = None
    status: str = ""
    amount: Decimal | None = None
    currency: str = ""
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


def _local_day(session: Session, moment: dt.datetime | None) -> dt.date | None:
    """The company-local day of a UTC moment (a document without a business date of its own)."""
    return moment.astimezone(company_timezone(session)).date() if moment else None


def _sales_order(session: Session, kind: str, doc_id: int) -> Document | None:
    order = session.get(Order, doc_id)
    return _order(session, kind, order) if order else None


def _order_refund(session: Session, kind: str, doc_id: int) -> Document | None:
    """A refund, shown as its order with the refund's day, amount and reason."""
    refund = session.get(OrderRefund, doc_id)
    order = session.get(Order, refund.order_id) if refund else None
    if order is None:
        return None
    return _order(
        session,
        kind,
        order,
        id=refund.id,
        date=refund.business_date,
        status="",
        amount=refund.amount,
        note=refund.reason,
    )


def _after_sale(session: Session, kind: str, doc_id: int) -> Document | None:
    """An after-sales case, shown as its order with the case's day, status, amount and reason."""
    case = session.get(AfterSale, doc_id)
    order = session.get(Order, case.order_id) if case else None
    if order is None:
        return None
    return _order(
        session,
        kind,
        order,
        id=case.id,
        date=_local_day(session, case.created_at),
        status=case.status,
        amount=case.amount,
        note=case.reason,
    )


def _purchase_order(session: Session, kind: str, doc_id: int) -> Document | None:
    po = session.get(PurchaseOrder, doc_id)
    if po is None:
        return None
    lines = (
        select(PurchaseOrderLine.product_id, PurchaseOrderLine.quantity, PurchaseOrderLine.unit_price)
        .where(PurchaseOrderLine.purchase_order_id == po.id)
        .order_by(PurchaseOrderLine.line_no)
    )
    return Document(
        kind=kind,
        id=po.id,
        number=po.number,
        party=f"{_supplier(session, po.supplier_id)} → {_warehouse(session, po.warehouse_id)}",
        date=po.order_date,
        status=po.status,
        amount=po.total_amount,
        currency=po.currency,
        note=po.note,
        lines=_lines(session, lines),
    )


def _purchase_receipt(session: Session, kind: str, doc_id: int) -> Document | None:
    """A goods receipt: no amount of its own; its party names the supplier and the purchase order."""
    receipt = session.get(PurchaseReceipt, doc_id)
    po = session.get(PurchaseOrder, receipt.purchase_order_id) if receipt else None
    if po is None:
        return None
    lines = (
        select(PurchaseReceiptLine.product_id, PurchaseReceiptLine.quantity, PurchaseReceiptLine.unit_price)
        .where(PurchaseReceiptLine.receipt_id == receipt.id)
        .order_by(PurchaseReceiptLine.id)
    )
    return Document(
        kind=kind,
        id=receipt.id,
        number=receipt.number,
        party=f"{_supplier(session, po.supplier_id)} · {po.number}",
        date=receipt.business_date,
        currency=po.currency,
        note=receipt.note,
        lines=_lines(session, lines),
    )


def _purchase_return(session: Session, kind: str, doc_id: int) -> Document | None:
    ret = session.get(PurchaseReturn, doc_id)
    if ret is None:
        return None
    lines = (
        select(PurchaseReturnLine.product_id, PurchaseReturnLine.quantity, PurchaseReturnLine.unit_price)
        .where(PurchaseReturnLine.return_id == ret.id)
        .order_by(PurchaseReturnLine.id)
    )
    return Document(
        kind=kind,
        id=ret.id,
        number=ret.number,
        party=_supplier(session, ret.supplier_id),
        date=ret.business_date,
        amount=ret.amount,
        currency=ret.currency,
        note=ret.reason,
        lines=_lines(session, lines),
    )


def _transfer(session: Session, kind: str, doc_id: int) -> Document | None:
    """A transfer: its route as the party, its lines at cost."""
    tr = session.get(Transfer, doc_id)
    if tr is None:
        return None
    lines = (
        select(TransferLine.product_id, TransferLine.quantity, TransferLine.unit_cost)
        .where(TransferLine.transfer_id == tr.id)
        .order_by(TransferLine.id)
    )
    return Document(
        kind=kind,
        id=tr.id,
        number=tr.number,
        party=f"{_warehouse(session, tr.from_warehouse_id)} → {_warehouse(session, tr.to_warehouse_id)}",
        date=_local_day(session, tr.created_at),
        status=tr.status,
        note=tr.note,
        lines=_lines(session, lines),
    )


def _stocktake(session: Session, kind: str, doc_id: int) -> Document | None:
    """A stocktake: its lines are the gains and losses it posted."""
    st = session.get(Stocktake, doc_id)
    if st is None:
        return None
    return Document(
        kind=kind,
        id=st.id,
        number=st.number,
        party=_warehouse(session, st.warehouse_id),
        date=_local_day(session, st.created_at),
        status=st.status,
        note=st.note,
        lines=_stock_lines(session, kind, st.id),
    )


def _stock_adjustment(session: Session, kind: str, doc_id: int) -> Document | None:
    """A stock adjustment: no number of its own; its lines are its moves."""
    adj = session.get(StockAdjustment, doc_id)
    if adj is None:
        return None
    return Document(
        kind=kind,
        id=adj.id,
        number="",
        party=_warehouse(session, adj.warehouse_id),
        date=adj.business_date,
        note=adj.reason,
        lines=_stock_lines(session, kind, adj.id),
    )


@dataclass(frozen=True)
class DocumentKind:
    """A kind of document :func:`document_detail` opens: who may read it, and how it is read
    (``load(session, kind, id)``, None when there is no such document)."""

    permission: str
    load: Callable[[Session, str, int], Document | None]


KINDS: dict[str, DocumentKind] = {
    "order": DocumentKind("orders.read", _sales_order),
    "sales_order": DocumentKind("orders.read", _sales_order),
    "sales_order_refund": DocumentKind("orders.read", _order_refund),
    "after_sale": DocumentKind("orders.read", _after_sale),
    "purchase_order": DocumentKind("purchasing.read", _purchase_order),
    "purchase_receipt": DocumentKind("purchasing.read", _purchase_receipt),
    "purchase_return": DocumentKind("purchasing.read", _purchase_return),
    "transfer": DocumentKind("stock.read", _transfer),
    "stocktake": DocumentKind("stock.read", _stocktake),
    "stock_adjustment": DocumentKind("stock.read", _stock_adjustment),
}
"""Every kind :func:`document_detail` describes, by the ``source_type`` that refers to it."""
DETAILED = tuple(KINDS)
UNKNOWN_KIND_PERMISSION = "stock.read"
"""What asking about any other kind needs: a stock move may name a source no drill-down covers."""


def document_detail(session: Session, actor: Actor, kind: str, doc_id: int) -> Document | None:
    """One document with its lines, for drill-down; None when the kind or the document is unknown.

    Needs the permission to read documents of its area (:data:`KINDS`; ``stock.read`` for a kind
    not there).
    """
    found = KINDS.get(kind)
    require(actor, found.permission if found else UNKNOWN_KIND_PERMISSION)
    return found.load(session, kind, doc_id) if found else None
