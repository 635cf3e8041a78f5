"""Tables of purchasing. Writes go through :mod:`ecerp_core.purchasing.services`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecerp_core.db import Base, CurrencyCode, bigpk, created_at, updated_at
from ecerp_core.money import Money


class PurchaseOrder(Base):
    """An order to a supplier for goods delivered to one warehouse, in the supplier's currency.

    number: our document number (``PO20250101-0001``). expected_date: order date + the supplier's
    lead time. total_amount: sum of the lines. status: see ``purchasing.rules.TRANSITIONS``.
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
