"""Tables of the stock ledger. Writes go through :mod:`ecerp_core.stock.services`.

``stock_move`` is append-only; ``stock_level`` and ``stock_reservation`` are caches kept in the same
transaction, and ``ecerp check`` proves ``on_hand == sum(moves)`` and
``reserved == sum(reservations)`` for every product and warehouse.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecerp_core.db import Base, Timestamp, UTCDateTime, bigpk, created_at, updated_at
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
    "opening",
)
"""Every kind of stock change. Receipts, returns, transfers in, gains and the opening stock add; the
rest take away (an ``adjustment`` may do either)."""

INBOUND = frozenset({"receipt", "return", "transfer_in", "count_gain", "opening"})
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


class StockSetting(Base):
    """Planning settings of a product in a warehouse: its bin location and reorder levels.

    min_qty: below this (available + on order) the product is flagged and replenished.
    max_qty: order up to this; above it (on hand) the product is overstocked (0: no maximum).
    safety_stock: the part of ``min_qty`` kept against surprises (shown, not enforced).
    location: the bin (``A-01-03``); stocktakes can count a range of bins.
    """

    __tablename__ = "stock_setting"
    __table_args__ = (
        CheckConstraint("min_qty >= 0 AND max_qty >= 0 AND safety_stock >= 0", name="not_negative"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)
    min_qty: Mapped[int] = mapped_column(Integer, default=0)
    max_qty: Mapped[int] = mapped_column(Integer, default=0)
    safety_stock: Mapped[int] = mapped_column(Integer, default=0)
    location: Mapped[str] = mapped_column(String(40), default="", index=True)
    updated_at: Mapped[updated_at]


class StockAdjustment(Base):
    """A document for stock posted by hand (opening stock, damage, found goods): its moves point here."""

    __tablename__ = "stock_adjustment"

    id: Mapped[bigpk]
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    business_date: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[Timestamp]
    actor_id: Mapped[int | None]


class Transfer(Base):
    """Goods sent from one warehouse to another (调拨). Status: see :data:`ecerp_core.stock.rules.TRANSFER`.

    Shipped goods are in transit until received; a transfer closed short records the shortfall as
    lost (the discrepancy) on its lines.
    """

    __tablename__ = "stock_transfer"

    id: Mapped[bigpk]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[created_at]
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None]


class TransferLine(Base):
    """``quantity`` asked for; ``shipped`` at ``unit_cost``; ``received`` so far; ``lost`` on closing.

    In transit = shipped − received − lost.
    """

    __tablename__ = "stock_transfer_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="positive"),
        CheckConstraint("received + lost <= shipped", name="within_shipped"),
    )

    id: Mapped[bigpk]
    transfer_id: Mapped[int] = mapped_column(ForeignKey("stock_transfer.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    shipped: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    lost: Mapped[int] = mapped_column(Integer, default=0)
    unit_cost: Mapped[Money] = mapped_column(default=Decimal("0"))


class Stocktake(Base):
    """A count of one warehouse (盘点). Status: see :data:`ecerp_core.stock.rules.STOCKTAKE`.

    scope: ``all``, ``category`` (scope_value: category id), ``location`` (scope_value: "A-01..A-09"),
    ``abc`` (the A-class products by value). threshold: a line whose variance is more than this many
    units goes to recount once.
    """

    __tablename__ = "stocktake"

    id: Mapped[bigpk]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    scope: Mapped[str] = mapped_column(String(20), default="all")
    scope_value: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    threshold: Mapped[int] = mapped_column(Integer, default=2)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[created_at]
    created_by: Mapped[int | None]
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None]


class StocktakeLine(Base):
    """One product to count. ``book_qty`` is the book stock at ``book_at``, the moment the line's
    count started (the count was opened, the product was found on the shelf, or the line went back
    to be recounted): the count is of the shelf as it stood then. Variance = counted − book; goods
    that moved while the count was open (``moved_qty``, read at approval) come on top, so on hand
    after approval = counted + moved: a count never invents or loses what moved during it.

    counted_qty None: not counted yet. recount: the first count was off by more than the threshold;
    ``counted_qty`` was cleared and is counted again. unit_cost: the average cost at approval.
    """

    __tablename__ = "stocktake_line"
    __table_args__ = (UniqueConstraint("stocktake_id", "product_id"),)

    id: Mapped[bigpk]
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    location: Mapped[str] = mapped_column(String(40), default="")
    counted_qty: Mapped[int | None]
    book_qty: Mapped[int | None]
    book_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    moved_qty: Mapped[int | None]
    first_count: Mapped[int | None]
    recount: Mapped[bool] = mapped_column(default=False)
    counted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    unit_cost: Mapped[Money | None]


class StocktakeEntry(Base):
    """What one counter did on a line: a scan adds ``quantity``; a typed count sets it."""

    __tablename__ = "stocktake_entry"

    id: Mapped[bigpk]
    line_id: Mapped[int] = mapped_column(ForeignKey("stocktake_line.id"), index=True)
    actor_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int] = mapped_column(Integer)
    at: Mapped[Timestamp]
