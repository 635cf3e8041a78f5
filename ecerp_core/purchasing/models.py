"""Tables of purchasing. Writes go through :mod:`ecerp_core.purchasing.services`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecerp_core.db import Base, CurrencyCode, bigpk, created_at, updated_at
from ecerp_core.money import Money


class PurchaseOrder(Base):
    """An order to a supplier for goods delivered to one warehouse, in the supplier's currency.

    number: our document number (``PO20250101-0001``). expected_date: order date + the supplier's
    lead time. total_amount: sum of the lines. status: see
    :data:`ecerp_core.purchasing.workflow.PURCHASE_ORDER`.
    """

    __tablename__ = "purchase_order"

    id: Mapped[bigpk]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    currency: Mapped[CurrencyCode] = mapped_column(ForeignKey("currency.code"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    order_date: Mapped[dt.date] = mapped_column(Date)
    expected_date: Mapped[dt.date] = mapped_column(Date)
    total_amount: Mapped[Money] = mapped_column(default=Decimal("0"))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="purchase_order", order_by="PurchaseOrderLine.line_no"
    )


class PurchaseOrderLine(Base):
    """``quantity`` units of a product at ``unit_price`` (supplier currency); ``received`` so far."""

    __tablename__ = "purchase_order_line"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "line_no"),
        CheckConstraint("quantity > 0", name="positive"),
        CheckConstraint("received >= 0 AND received <= quantity", name="received_within_ordered"),
    )

    id: Mapped[bigpk]
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    line_no: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    quantity: Mapped[int]
    received: Mapped[int] = mapped_column(default=0)
    unit_price: Mapped[Money]
    amount: Mapped[Money]

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines")


class SupplierProduct(Base):
    """A supplier's offer for a product (its price list line): replenishment buys from the first
    preferred supplier. lead_time_days / min_order_qty None: the supplier's own; pack_size: order in
    whole packs of this many units (None: single units)."""

    __tablename__ = "supplier_product"
    __table_args__ = (UniqueConstraint("supplier_id", "product_id"),)

    id: Mapped[bigpk]
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    unit_price: Mapped[Money]
    lead_time_days: Mapped[int | None]
    min_order_qty: Mapped[int | None]
    pack_size: Mapped[int | None]
    priority: Mapped[int] = mapped_column(default=10)


class PurchaseReceipt(Base):
    """One delivery against a purchase order (入库单). landed_cost: freight and other costs in base
    currency, spread over the lines by value; rate: the order currency's rate to base that day."""

    __tablename__ = "purchase_receipt"

    id: Mapped[bigpk]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    business_date: Mapped[dt.date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8), default=Decimal("1"))
    landed_cost: Mapped[Money] = mapped_column(default=Decimal("0"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None]
    created_at: Mapped[created_at]


class PurchaseReceiptLine(Base):
    """Received ``quantity`` of an order line; the differences against the order are kept:
    ``outstanding`` before this receipt (quantity difference = outstanding − quantity) and the
    ``ordered_price`` (price difference = unit_price − ordered_price). unit_cost: base currency,
    landed cost included."""

    __tablename__ = "purchase_receipt_line"

    id: Mapped[bigpk]
    receipt_id: Mapped[int] = mapped_column(ForeignKey("purchase_receipt.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]
    outstanding: Mapped[int]
    unit_price: Mapped[Money]
    ordered_price: Mapped[Money]
    landed_cost: Mapped[Money] = mapped_column(default=Decimal("0"))
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(18, 4))


class PurchaseReturn(Base):
    """Goods sent back to a supplier (采购退货), valued at the average cost when they leave;
    the supplier credits ``amount`` (quantity × price, in ``currency``)."""

    __tablename__ = "purchase_return"

    id: Mapped[bigpk]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id"))
    currency: Mapped[CurrencyCode] = mapped_column(ForeignKey("currency.code"))
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8), default=Decimal("1"))
    business_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Money] = mapped_column(default=Decimal("0"))
    value_base: Mapped[Money] = mapped_column(default=Decimal("0"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None]
    created_at: Mapped[created_at]


class PurchaseReturnLine(Base):
    __tablename__ = "purchase_return_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="positive"),)

    id: Mapped[bigpk]
    return_id: Mapped[int] = mapped_column(ForeignKey("purchase_return.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]
    unit_price: Mapped[Money]
    unit_cost: Mapped[Money]
