"""Replenishment (补货建议): what to order now from min / max, and the draft orders it becomes.

A product whose projected stock (available + on order − what paid orders waiting for approval
need) is below its minimum in a warehouse is
ordered up to its maximum, at least the supplier's minimum order quantity. The supplier is the
product's preferred one (``supplier_product``, lowest priority first), else the supplier of its
latest order. A forecast can later feed ``demand`` the same way min/max does now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date, get_company, rate_on
from ecerp_core.catalog.models import Product, Supplier, Warehouse
from ecerp_core.db import among
from ecerp_core.errors import NotFound
from ecerp_core.money import round_money
from ecerp_core.orders.queries import unreserved_demand
from ecerp_core.purchasing import rules
from ecerp_core.purchasing import services as po
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseOrderLine, SupplierProduct
from ecerp_core.stock.alerts import SALES_DAYS, SettingDraft, sales_rates
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
    name_zh: str = ""
    name_en: str = ""


class Offer(NamedTuple):
    """Who sells a product to us, at what price (None: not known) and minimum order quantity."""

    supplier_id: int | None
    unit_price: Decimal | None
    min_order_qty: int | None


NO_OFFER = Offer(None, None, None)


def _suppliers(session: Session, product_ids: list[int]) -> dict[int, Offer]:
    """``{product_id: (supplier_id, price, moq)}`` — preferred offer, else the latest order's supplier."""
    chosen: dict[int, Offer] = {}
    offers = (
        select(
            SupplierProduct.product_id,
            SupplierProduct.supplier_id,
            SupplierProduct.unit_price,
            SupplierProduct.min_order_qty,
        )
        .join(Supplier, Supplier.id == SupplierProduct.supplier_id)
        .where(among(session, SupplierProduct.product_id, product_ids), Supplier.active.is_(True))
        .order_by(SupplierProduct.product_id, SupplierProduct.priority.desc(), SupplierProduct.id.desc())
    )
    for row in session.connection().execute(offers):  # the last row per product is the preferred one
        chosen[row.product_id] = Offer(row.supplier_id, row.unit_price, row.min_order_qty)
    latest = (
        select(PurchaseOrderLine.product_id, func.max(PurchaseOrderLine.id).label("lid"))
        .where(among(session, PurchaseOrderLine.product_id, [p for p in product_ids if p not in chosen]))
        .group_by(PurchaseOrderLine.product_id)
        .subquery()
    )
    ordered = (
        select(latest.c.product_id, PurchaseOrder.supplier_id, PurchaseOrderLine.unit_price)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == latest.c.lid)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
    )
    for row in session.connection().execute(ordered):
        chosen[row.product_id] = Offer(row.supplier_id, row.unit_price, None)
    return chosen


def _cost_in(session: Session, cost: Decimal, currency: str, base: str, day: dt.date) -> Decimal:
    """A cost in base currency, in ``currency`` at the day's rate (0.00 when no rate is known)."""
    if currency == base:
        return cost
    try:
        return round_money(cost / rate_on(session, currency, day))
    except NotFound:
        return Decimal("0.00")


@dataclass(frozen=True)
class PlannedLevel:
    """A product's minimum and maximum in a warehouse as :func:`plan_min_max` works them out, with
    what they come from: units sold a day, the supplier's lead time and minimum order quantity."""

    product_id: int
    sku: str
    warehouse_id: int
    warehouse: str
    daily_sales: float
    lead_days: int
    moq: int
    min_qty: int
    max_qty: int

    def setting(self) -> SettingDraft:
        """The planning setting to save (:func:`ecerp_core.stock.alerts.set_stock_settings`)."""
        return SettingDraft(self.product_id, self.warehouse_id, min_qty=self.min_qty, max_qty=self.max_qty)


def plan_min_max(
    session: Session,
    actor: Actor,
    *,
    warehouse_id: int | None = None,
    today: dt.date | None = None,
    days: int = SALES_DAYS,
    safety_days: int = 7,
    cover_days: int = 28,
) -> list[PlannedLevel]:
    """Minimum and maximum of every stocked product in every warehouse (or ``warehouse_id``) from what
    it sold a day there over the last ``days`` (:func:`~ecerp_core.purchasing.rules.min_max_from_rate`:
    the minimum covers its supplier's lead time plus ``safety_days``, the maximum ``cover_days`` more
    and at least one minimum order quantity), by SKU and warehouse. Nothing is saved: save the
    :meth:`PlannedLevel.setting` of each with :func:`ecerp_core.stock.alerts.set_stock_settings`.
    Needs ``purchasing.read``.
    """
    require(actor, "purchasing.read")
    today = today or business_date(session)
    stmt = (
        select(Product.id, Product.sku, Warehouse.id.label("warehouse_id"), Warehouse.code)
        .join(Warehouse, Warehouse.active.is_(True))
        .where(Product.active.is_(True), Product.is_bundle.is_(False))
        .order_by(Product.sku, Warehouse.code)
    )
    if warehouse_id is not None:
        stmt = stmt.where(Warehouse.id == warehouse_id)
    pairs = session.connection().execute(stmt).all()
    rates = sales_rates(session, today, days)
    offers = _suppliers(session, sorted({row.id for row in pairs}))
    terms = {
        i: (lead, moq)
        for i, lead, moq in session.connection().execute(
            select(Supplier.id, Supplier.lead_time_days, Supplier.min_order_qty)
        )
    }
    out = []
    for row in pairs:
        offer = offers.get(row.id, NO_OFFER)
        lead, supplier_moq = terms.get(offer.supplier_id, (7, 1))
        moq = offer.min_order_qty or supplier_moq or 1
        rate = rates.get((row.id, row.warehouse_id), 0.0)
        minimum, maximum = rules.min_max_from_rate(
            rate, lead or 0, moq, safety_days=safety_days, cover_days=cover_days
        )
        out.append(
            PlannedLevel(
                row.id, row.sku, row.warehouse_id, row.code, round(rate, 2), lead or 0, moq, minimum, maximum
            )
        )
    return out


def suggestions(session: Session, actor: Actor, *, warehouse_id: int | None = None) -> list[Suggestion]:
    """What to order now by min / max, per product and warehouse, ordered by supplier, warehouse and SKU.

    A product whose projected stock is below its minimum is ordered up to its maximum
    (:func:`~ecerp_core.purchasing.rules.reorder_quantity`). Forecast-based suggestions sit beside
    this function and return the same :class:`Suggestion` rows.
    """
    require(actor, "purchasing.read")
    available = func.coalesce(StockLevel.on_hand, 0) - func.coalesce(StockLevel.reserved, 0)
    same_position = and_(
        StockLevel.product_id == StockSetting.product_id, StockLevel.warehouse_id == StockSetting.warehouse_id
    )
    stmt = (
        select(
            StockSetting.product_id,
            Product.sku,
            Product.name_zh,
            Product.name_en,
            Product.cost,
            StockSetting.warehouse_id,
            Warehouse.code.label("warehouse"),
            available.label("available"),
            StockSetting.min_qty,
            StockSetting.max_qty,
        )
        .join(Product, Product.id == StockSetting.product_id)
        .join(Warehouse, Warehouse.id == StockSetting.warehouse_id)
        .outerjoin(StockLevel, same_position)
        .where(StockSetting.min_qty > 0, Product.active.is_(True), Product.is_bundle.is_(False))
    )
    if warehouse_id is not None:
        stmt = stmt.where(StockSetting.warehouse_id == warehouse_id)
    rows = session.connection().execute(stmt).all()
    product_ids = sorted({row.product_id for row in rows})
    coming = po.on_order(session, actor)
    waiting = unreserved_demand(session, actor, product_ids)
    suppliers = _suppliers(session, product_ids)
    info = {
        i: (c, n, moq)
        for i, c, n, moq in session.connection().execute(
            select(Supplier.id, Supplier.currency, Supplier.name, Supplier.min_order_qty)
        )
    }
    base = get_company(session).base_currency
    today = business_date(session)
    out = []
    for row in rows:
        key = (row.product_id, row.warehouse_id)
        projected = int(row.available) + coming.get(key, 0) - waiting.get(key, 0)
        offer = suppliers.get(row.product_id, NO_OFFER)
        currency, name, supplier_moq = info.get(offer.supplier_id, (base, "", 1))
        moq = offer.min_order_qty or supplier_moq or 1
        qty = rules.reorder_quantity(projected, row.min_qty, max(row.max_qty, row.min_qty), moq)
        if not qty:
            continue
        if offer.unit_price is not None:
            price = offer.unit_price
        else:  # nobody quoted a price: the product's cost stands in
            price = _cost_in(session, row.cost, currency, base, today)
        suggestion = Suggestion(
            row.product_id,
            row.sku,
            row.warehouse_id,
            row.warehouse,
            offer.supplier_id,
            name,
            projected,
            row.min_qty,
            row.max_qty,
            qty,
            price,
            currency,
            row.name_zh,
            row.name_en or "",
        )
        out.append(suggestion)
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
    drafts = [
        po.PurchaseOrderDraft(sid, wid, tuple(lines), note="补货建议 replenishment")
        for (sid, wid), lines in sorted(groups.items())
    ]
    return po.create_purchase_orders(session, actor, drafts) if drafts else []
