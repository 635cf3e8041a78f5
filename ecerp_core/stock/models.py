"""Tables of the stock ledger. Writes go through :mod:`ecerp_core.stock.services`.

``stock_move`` is append-only; ``stock_level`` and ``stock_reservation`` are caches kept in the same
transaction, and ``ecerp check`` proves ``on_hand == sum(moves)`` and
``reserved == sum(reservations)`` for every product and warehouse.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from ecerp_core.db import Base, Timestamp, bigpk, updated_at
from ecerp_core.money import Money

MOVE_TYPES = (
    "receipt",
    "shipment",
    "return",
    "transfer_out",
    "transfer_in",
    "adjustment",
    "count_gain",
    "count_loss",
    "purchase_return",
)
"""Every kind of stock change. Receipts, returns, transfers in and gains add; the rest take away
(an ``adjustment`` may do either)."""

INBOUND = frozenset({"receipt", "return", "transfer_in", "count_gain"})
OUTBOUND = frozenset({"shipment", "transfer_out", "count_loss", "purchase_return"})


class StockMove(Base):
    """One change of stock of one product in one warehouse; never updated, never deleted.

    quantity: signed units (+ in, − out), of a stocked product (bundles are expanded first).
    unit_cost: the base-currency cost per unit the move was valued at (receipt: purchase price;
    shipment: the moving average cost at the time).
    business_date: the day in the company's time zone the move belongs to; ``at`` the UTC moment.
    source_type / source_id: the document behind the move (``order`` 12, ``purchase_order`` 3, ...).
    """

    __tablename__ = "stock_move"
    __table_args__ = (
        Index("ix_stock_move_product_warehouse", "product_id", "warehouse_id"),
        Index("ix_stock_move_source", "source_type", "source_id"),
        CheckConstraint("quantity <> 0", name="not_zero"),
    )

    id: Mapped[bigpk]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    move_type: Mapped[str] = mapped_column(String(20))
    unit_cost: Mapped[Money] = mapped_column(default=Decimal("0"))
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)
    at: Mapped[Timestamp]
    source_type: Mapped[str] = mapped_column(String(40), default="")
    source_id: Mapped[int | None]
    actor_id: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(200), default="")


class StockLevel(Base):
    """What a warehouse holds of a product: ``on_hand`` units, of which ``reserved`` are promised.

    available = on_hand − reserved; it stays ≥ 0 unless the warehouse allows negative stock.
    """

    __tablename__ = "stock_level"
    __table_args__ = (CheckConstraint("reserved >= 0", name="reserved_not_negative"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[updated_at]


class StockReservation(Base):
    """Units promised to a document (an approved order) until it ships or is released."""

    __tablename__ = "stock_reservation"
    __table_args__ = (
        Index("ix_stock_reservation_source", "source_type", "source_id"),
        CheckConstraint("quantity > 0", name="positive"),
    )

    id: Mapped[bigpk]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    source_type: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int]
    at: Mapped[Timestamp]


class ProductCost(Base):
    """The moving weighted average cost of a product in base currency, over all warehouses.

    Updated by receipts: ``(stock × old cost + received × price) / (stock + received)``.
    """

    __tablename__ = "product_cost"

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    average_cost: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    updated_at: Mapped[updated_at]
