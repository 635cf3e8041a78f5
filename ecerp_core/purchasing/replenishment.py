"""Replenishment (补货建议): what to order now from min / max, and the draft orders it becomes.

A product whose projected stock (available + on order − what paid orders waiting for approval
need) is below its minimum in a warehouse is
ordered up to its maximum, at least the supplier's minimum order quantity. The supplier is the
product's preferred one (``supplier_product``, lowest priority first), else the supplier of its
latest order. A forecast can later feed ``demand`` the same way min/max does now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date, get_company, rate_on
from ecerp_core.catalog.models import Product, Supplier, Warehouse
from ecerp_core.errors import NotFound
from ecerp_core.money import round_money
from ecerp_core.orders.queries import unreserved_demand
from ecerp_core.purchasing import rules
from ecerp_core.purchasing import services as po
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseOrderLine, SupplierProduct
from ecerp_core.stock.models import StockLevel, StockSetting


@dataclass(frozen=True)
class Suggestion:
    """Order ``quantity`` of a product for a warehouse from a supplier (None: nobody sells it to us)."""

    product_id: int
    sku: str
    warehouse_id: int
    warehouse: str
    supplier_id: int | None
    supplier: str
    projected: int
    min_qty: int
    max_qty: int
    quantity: int
    unit_price: Decimal
    currency: str


def _suppliers(session: Session, product_ids: list[int]) -> dict[int, tuple[int, Decimal | None, int | None]]:
    """``{product_id: (supplier_id, price, moq)}`` — preferred offer, else the latest order's supplier."""
    chosen: dict[int, tuple[int, Decimal | None, int | None]] = {}
    offers = (select(SupplierProduct.product_id, SupplierProduct.supplier_id, SupplierProduct.unit_price,
                     SupplierProduct.min_order_qty).join(Supplier, Supplier.id == SupplierProduct.supplier_id)
              .where(SupplierProduct.product_id.in_(product_ids), Supplier.active.is_(True))
              .order_by(SupplierProduct.product_id, SupplierProduct.priority.desc(), SupplierProduct.id.desc()))  # fmt: skip
    for pid, sid, price, moq in session.connection().execute(offers):
        chosen[pid] = (sid, price, moq)  # the last row per product is the preferred one
    latest = (select(PurchaseOrderLine.product_id, func.max(PurchaseOrderLine.id).label("lid"))
              .where(PurchaseOrderLine.product_id.in_([p for p in product_ids if p not in chosen]))
              .group_by(PurchaseOrderLine.product_id).subquery())  # fmt: skip
    for pid, sid, price in session.connection().execute(
        select(latest.c.product_id, PurchaseOrder.supplier_id, PurchaseOrderLine.unit_price)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == latest.c.lid)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)):  # fmt: skip
        chosen[pid] = (sid, price, None)
    return chosen


def suggestions(session: Session, actor: Actor, *, warehouse_id: int | None = None) -> list[Suggestion]:
    """What to order now, per product and warehouse, ordered by supplier, warehouse and SKU."""
    require(actor, "purchasing.read")
    available = func.coalesce(StockLevel.on_hand, 0) - func.coalesce(StockLevel.reserved, 0)
    stmt = (select(StockSetting.product_id, Product.sku, Product.cost, StockSetting.warehouse_id, Warehouse.code,
                   available, StockSetting.min_qty, StockSetting.max_qty)
            .join(Product, Product.id == StockSetting.product_id)
            .join(Warehouse, Warehouse.id == StockSetting.warehouse_id)
            .outerjoin(StockLevel, (StockLevel.product_id == StockSetting.product_id)
                       & (StockLevel.warehouse_id == StockSetting.warehouse_id))
            .where(StockSetting.min_qty > 0, Product.active.is_(True), Product.is_bundle.is_(False)))  # fmt: skip
    if warehouse_id is not None:
        stmt = stmt.where(StockSetting.warehouse_id == warehouse_id)
    rows = list(session.connection().execute(stmt))
    coming = po.on_order(session, actor)
    waiting = unreserved_demand(session, actor, sorted({r[0] for r in rows}))
    suppliers = _suppliers(session, sorted({r[0] for r in rows}))
    info = {i: (c, n, moq) for i, c, n, moq in session.connection().execute(
        select(Supplier.id, Supplier.currency, Supplier.name, Supplier.min_order_qty))}  # fmt: skip
    base = get_company(session).base_currency
    today = business_date(session)
    out = []
    for pid, sku, cost, wid, wh, avail, low, high in rows:
        projected = int(avail) + coming.get((pid, wid), 0) - waiting.get((pid, wid), 0)
        sid, price, moq = suppliers.get(pid, (None, None, None))
        currency, name, supplier_moq = info.get(sid, (base, "", 1))
        qty = rules.reorder_quantity(projected, low, max(high, low), moq or supplier_moq or 1)
        if not qty:
            continue
        if price is None:
            try:
                price = cost if currency == base else round_money(cost / rate_on(session, currency, today))
            except NotFound:
                price = Decimal("0.00")
        out.append(Suggestion(pid, sku, wid, wh, sid, name, projected, low, high, qty, price, currency))
    out.sort(key=lambda s: (s.supplier_id is None, s.supplier_id or 0, s.warehouse, s.sku))
    return out


def create_orders_from_suggestions(session: Session, actor: Actor, chosen: Sequence[Suggestion]) -> list[int]:
    """Turn suggestions into draft purchase orders, one per supplier and warehouse, in one action.

    Suggestions without a supplier are left out. Returns the new orders' ids.
    """
    require(actor, "purchasing.write")
    groups: dict[tuple[int, int], list[po.PurchaseLineDraft]] = {}
    for s in chosen:
        if s.supplier_id is not None and s.quantity > 0:
            groups.setdefault((s.supplier_id, s.warehouse_id), []).append(
                po.PurchaseLineDraft(s.product_id, s.quantity, s.unit_price)
            )
    drafts = [po.PurchaseOrderDraft(sid, wid, tuple(lines), note="补货建议 replenishment")
              for (sid, wid), lines in sorted(groups.items())]  # fmt: skip
    return po.create_purchase_orders(session, actor, drafts) if drafts else []
