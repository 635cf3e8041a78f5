"""Tables of canonical orders. Writes go through :mod:`ecerp_core.orders.services`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecerp_core.db import Base, CurrencyCode, Timestamp, bigpk, created_at, updated_at
from ecerp_core.money import Money

ZERO = Decimal("0")
STOCK_SOURCE = "order"
"""The ``source_type`` under which orders reserve and move stock (their ``source_id`` is the order's)."""


class Order(Base):
    """One order as the platform sold it, in the shop's currency.

    platform / shop_id / platform_order_id: the natural key (unique per shop); importing the same
    order again updates it instead of adding one.
    buyer_id: the buyer's id on the platform; customer_id the customer it is linked to, if known.
    region / city / district / address: where it ships (province 省份, city 市, district 区县).
    seller_flag: the seller's flag (旗帜) a clerk sets, 0 none, 1–5 red, yellow, green, blue, purple.
    goods_amount: sum of the lines; total = goods + shipping − discount + tax (the tax only when it
    comes on top: ``tax_included`` says the prices hold it) + adjustment; adjustment_amount: what
    the platform charged beyond those columns (duties, tips, rounding — a Shopify export carries
    them in its total only), kept apart so a total is never changed to fit; paid what the buyer
    paid; refunded what has been given back so far (the sum of :class:`OrderRefund`).
    status: see :data:`ecerp_core.orders.workflow.ORDER`; why an order waits is in
    :class:`OrderReason`.
    warehouse_id: the warehouse it is routed to and reserved in.
    order_date: the company-local day it was placed; created_at / paid_at / ... UTC moments.
    """

    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_order_id"),
        Index("ix_sales_order_status", "status", "created_at"),
        Index("ix_sales_order_shop_created", "shop_id", "created_at"),
        Index("ix_sales_order_created", "created_at"),
        Index("ix_sales_order_updated", "updated_at"),  # what the analytics rollup has not read yet
        Index("ix_sales_order_buyer", "shop_id", "buyer_id"),
        Index("ix_sales_order_merged_into", "merged_into_id"),
        Index("ix_sales_order_split_from", "split_from_id"),
        CheckConstraint("refunded_amount <= paid_amount", name="refund_within_paid"),
    )

    id: Mapped[bigpk]
    platform: Mapped[str] = mapped_column(String(20))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    platform_order_id: Mapped[str] = mapped_column(String(64))
    buyer_id: Mapped[str] = mapped_column(String(120), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    receiver_name: Mapped[str] = mapped_column(String(100), default="")
    receiver_phone: Mapped[str] = mapped_column(String(40), default="")
    region: Mapped[str] = mapped_column(String(60), default="")
    city: Mapped[str] = mapped_column(String(60), default="")
    district: Mapped[str] = mapped_column(String(60), server_default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    currency: Mapped[CurrencyCode] = mapped_column(ForeignKey("currency.code"))
    goods_amount: Mapped[Money] = mapped_column(default=ZERO)
    shipping_amount: Mapped[Money] = mapped_column(default=ZERO)
    discount_amount: Mapped[Money] = mapped_column(default=ZERO)
    tax_amount: Mapped[Money] = mapped_column(default=ZERO)
    adjustment_amount: Mapped[Money] = mapped_column(default=ZERO)
    total_amount: Mapped[Money] = mapped_column(default=ZERO)
    paid_amount: Mapped[Money] = mapped_column(default=ZERO)
    refunded_amount: Mapped[Money] = mapped_column(default=ZERO)
    status: Mapped[str] = mapped_column(String(20))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    order_date: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[Timestamp]
    paid_at: Mapped[Timestamp | None]
    approved_at: Mapped[Timestamp | None]
    shipped_at: Mapped[Timestamp | None]
    closed_at: Mapped[Timestamp | None]
    imported_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    note: Mapped[str] = mapped_column(String(500), default="")
    # --- intake and pipeline (see orders.intake, review, routing, merge, batch) ---
    country: Mapped[str] = mapped_column(String(2), default="")
    subsidy_amount: Mapped[Money] = mapped_column(default=ZERO)
    tax_included: Mapped[bool] = mapped_column(Boolean, default=False)
    is_cod: Mapped[bool] = mapped_column(Boolean, default=False)
    is_history: Mapped[bool] = mapped_column(Boolean, default=False)
    platform_status: Mapped[str] = mapped_column(String(60), default="")
    buyer_remark: Mapped[str] = mapped_column(String(500), default="")
    seller_remark: Mapped[str] = mapped_column(String(500), default="")
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    seller_flag: Mapped[int] = mapped_column(Integer, server_default="0")
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    carrier: Mapped[str] = mapped_column(String(40), default="")
    tracking_no: Mapped[str] = mapped_column(String(60), default="")
    merged_into_id: Mapped[int | None] = mapped_column(Integer)
    split_from_id: Mapped[int | None] = mapped_column(Integer)

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.line_no")


class OrderReason(Base):
    """Why an order waits, one row per reason (catalogue keys ``exception.<code>``, ``review.<code>``).

    kind ``exception``: the order is in the exception queue until each reason is resolved or a clerk
    clears it (an unmapped SKU, an incomplete address, a price below the floor ...).
    kind ``review``: why the last automatic review left it for a clerk (replaced at every run).
    position: the order the rules found them in (the first is the one a clerk sees first).
    Written only by :mod:`ecerp_core.orders.workflow`.
    """

    __tablename__ = "sales_order_reason"
    __table_args__ = (Index("ix_sales_order_reason_code", "kind", "code"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class OrderLine(Base):
    """One line: ``quantity`` × ``unit_price`` − ``discount`` = ``amount``, in the order's currency.

    platform_sku is the seller SKU code as the platform wrote it; product_id our product (a bundle
    is kept as the bundle; stock expands it to components), None while the SKU is unmapped (the
    order waits in the exception queue) or for history lines of products we never stocked.
    """

    __tablename__ = "sales_order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="positive"),
    )

    id: Mapped[bigpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"))
    line_no: Mapped[int]
    platform_sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[Money]
    discount: Mapped[Money] = mapped_column(default=ZERO)
    amount: Mapped[Money]

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(Base):
    """The history of an order: each status change or after-sales step, by whom and when."""

    __tablename__ = "sales_order_event"

    id: Mapped[bigpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    at: Mapped[Timestamp]
    actor_id: Mapped[int | None]
    event: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300), default="")


class OrderRefund(Base):
    """Money given back to a buyer, with or without the goods coming back to stock; ``tax_amount``
    the tax in it the refund gave back where it is not finance's split at the company's rate (None)."""

    __tablename__ = "sales_order_refund"
    __table_args__ = (CheckConstraint("amount > 0", name="positive"),)

    id: Mapped[bigpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    amount: Mapped[Money]
    currency: Mapped[CurrencyCode] = mapped_column(ForeignKey("currency.code"))
    tax_amount: Mapped[Money | None]
    with_return: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(300), default="")
    business_date: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[Timestamp]
    actor_id: Mapped[int | None]


class SkuMapping(Base):
    """A platform's seller SKU code -> our product; ``shop_id`` None applies to every shop."""

    __tablename__ = "sku_mapping"
    __table_args__ = (UniqueConstraint("shop_id", "platform_sku"),)

    id: Mapped[bigpk]
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id"))
    platform_sku: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)


class OrderSetting(Base):
    """Pipeline rules as data: ``name`` -> JSON value (see :data:`ecerp_core.orders.settings.DEFAULTS`)."""

    __tablename__ = "order_setting"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[updated_at]


CASE_KINDS = ("refund_only", "return_refund", "exchange", "reship")
"""What an after-sales case asks for (:class:`AfterSale` ``kind``)."""
REFUND_KINDS = ("refund_only", "return_refund")
"""Cases that give money back (through :func:`~ecerp_core.orders.aftersales.refund_orders`)."""
RETURN_KINDS = ("return_refund", "exchange")
"""Cases whose goods come back before they are done."""
RESEND_KINDS = ("exchange", "reship")
"""Cases that send goods again, as a new zero-priced order."""


class AfterSale(Base):
    """An after-sales case: refund only, return and refund, exchange or reship.

    status follows :data:`ecerp_core.orders.cases.CASE`; platform_status is the
    platform's own refund state as last imported. warehouse_id / condition: where returned goods go
    and whether they are sellable or damaged.
    """

    __tablename__ = "after_sale"
    __table_args__ = (Index("ix_after_sale_status", "status"),)

    id: Mapped[bigpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Money] = mapped_column(default=ZERO)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    condition: Mapped[str] = mapped_column(String(10), default="sellable")
    lines: Mapped[list] = mapped_column(JSON, default=list)
    platform_status: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(String(300), default="")
    refund_id: Mapped[int | None] = mapped_column(Integer)
    new_order_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    actor_id: Mapped[int | None]


class ChannelStockRule(Base):
    """Per shop: publish available × coefficient − buffer (never below zero)."""

    __tablename__ = "channel_stock_rule"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"), primary_key=True)
    coefficient: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("1"))
    buffer: Mapped[int] = mapped_column(Integer, default=0)
    warehouse_ids: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[updated_at]


class PickWave(Base):
    """A wave (波次): approved orders of one warehouse picked together on one pick list.

    number: ``WV<yyyymmdd>-0001``; the orders are in :class:`PickWaveOrder` (each parcel at most
    once in any wave; a merged parcel's members ride with it)."""

    __tablename__ = "pick_wave"

    id: Mapped[bigpk]
    number: Mapped[str] = mapped_column(String(30), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    created_at: Mapped[created_at]
    actor_id: Mapped[int | None]


class PickWaveOrder(Base):
    """An order (a parcel) of a wave, in the order it was taken."""

    __tablename__ = "pick_wave_order"

    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("pick_wave.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
