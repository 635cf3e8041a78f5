"""Tables of the base data.

Writes go through the catalog's services: ``services``, ``products``, ``company``, ``customers``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecerp_core.db import Base, Code, CurrencyCode, Flag, Lifecycle, Name, intpk, updated_at
from ecerp_core.money import Money, Rate

PLATFORMS = ("taobao", "tmall", "jd", "pdd", "shopify", "woocommerce", "other")
EXPORT_PLATFORMS = frozenset({"shopify", "woocommerce"})
"""Cross-border shops: exports, zero-rated for VAT (出口零税率); the tax they collect is a foreign one."""
TIERS = ("normal", "silver", "gold", "vip")


class Company(Base):
    """The business that keeps these books; exactly one row."""

    __tablename__ = "company"

    id: Mapped[intpk]
    name: Mapped[Name]
    address: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    base_currency: Mapped[CurrencyCode] = mapped_column(ForeignKey("currency.code"), default="CNY")
    timezone: Mapped[str] = mapped_column(String(60), default="Asia/Shanghai")
    vat_rate: Mapped[Rate] = mapped_column(default=Decimal("0.13"))
    city_tax_rate: Mapped[Rate] = mapped_column(default=Decimal("0.07"))
    """城市维护建设税 on the VAT paid (7% in a city, 5% in a county town, 1% elsewhere)."""
    education_surcharge_rate: Mapped[Rate] = mapped_column(default=Decimal("0.03"))
    """教育费附加 on the VAT paid."""
    local_education_surcharge_rate: Mapped[Rate] = mapped_column(default=Decimal("0.02"))
    """地方教育附加 on the VAT paid."""
    books_started_on: Mapped[dt.date | None] = mapped_column(Date)
    """The date of the earliest journal entry; set by finance, it locks ``base_currency``."""
    updated_at: Mapped[updated_at]


class Currency(Base):
    """An ISO 4217 currency; ``minor_unit`` is the number of decimals amounts are rounded to."""

    __tablename__ = "currency"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60))
    minor_unit: Mapped[int] = mapped_column(Integer, default=2)
    active: Mapped[Flag]


class ExchangeRate(Base):
    """How many units of base currency one unit of ``currency`` was worth on ``rate_date``."""

    __tablename__ = "exchange_rate"
    __table_args__ = (
        UniqueConstraint("currency", "rate_date"),
        CheckConstraint("rate > 0", name="positive"),
    )

    id: Mapped[intpk]
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    rate_date: Mapped[dt.date] = mapped_column(Date)
    rate: Mapped[Rate]
    source: Mapped[str] = mapped_column(String(40), default="manual")


class Category(Base):
    """A node of the product category tree; ``path`` is the names from the root, ``/``-joined."""

    __tablename__ = "category"

    id: Mapped[intpk]
    code: Mapped[Code] = mapped_column(unique=True)
    name_zh: Mapped[Name]
    name_en: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    path: Mapped[str] = mapped_column(String(500), index=True)
    active: Mapped[Flag]
    vat_rate: Mapped[Rate | None]
    """The VAT rate of the goods in this category (9% foods, 6% services ...); None: the parent's,
    and at the root the company's rate."""

    parent: Mapped[Category | None] = relationship(remote_side="Category.id")


class Product(Lifecycle, Base):
    """A SKU we sell or stock. A bundle (kit) has components and no stock of its own.

    cost / list_price are in the company's base currency; ``spec`` holds attributes such as
    ``{"颜色": "白色", "尺码": "M"}``.
    """

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        CheckConstraint("list_price >= 0", name="price_not_negative"),
    )

    id: Mapped[intpk]
    sku: Mapped[Code] = mapped_column(unique=True)
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True)
    name_zh: Mapped[Name]
    name_en: Mapped[str] = mapped_column(String(200), default="")
    spec: Mapped[dict] = mapped_column(JSON, default=dict)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    unit: Mapped[str] = mapped_column(String(20), default="件")
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(12, 3), default=Decimal("0"))
    cost: Mapped[Money] = mapped_column(default=Decimal("0"))
    list_price: Mapped[Money] = mapped_column(default=Decimal("0"))
    is_bundle: Mapped[bool] = mapped_column(default=False)

    category: Mapped[Category | None] = relationship()
    components: Mapped[list[BundleComponent]] = relationship(
        foreign_keys="BundleComponent.bundle_id", cascade="all, delete-orphan", back_populates="bundle"
    )


class BundleComponent(Base):
    """One component of a bundle: selling one bundle consumes ``quantity`` of ``component``."""

    __tablename__ = "bundle_component"
    __table_args__ = (
        UniqueConstraint("bundle_id", "component_id"),
        CheckConstraint("quantity > 0", name="positive"),
    )

    id: Mapped[intpk]
    bundle_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    component_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]

    bundle: Mapped[Product] = relationship(foreign_keys=[bundle_id], back_populates="components")
    component: Mapped[Product] = relationship(foreign_keys=[component_id])


class Supplier(Lifecycle, Base):
    __tablename__ = "supplier"

    id: Mapped[intpk]
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    currency: Mapped[CurrencyCode] = mapped_column(ForeignKey("currency.code"), default="CNY")
    lead_time_days: Mapped[int] = mapped_column(default=7)
    min_order_qty: Mapped[int] = mapped_column(default=1)


class Warehouse(Lifecycle, Base):
    """A place that holds stock. Lower ``priority`` is tried first when routing orders."""

    __tablename__ = "warehouse"

    id: Mapped[intpk]
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    region: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    priority: Mapped[int] = mapped_column(default=100)
    allow_negative: Mapped[bool] = mapped_column(default=False)


class Shop(Lifecycle, Base):
    """A store on a sales platform.

    credentials_ref names where the API secret lives (``env:VAR`` or ``secrets:KEY`` in the
    secrets file outside git); the secret itself is never stored here.
    prices_include_tax: the shop's prices hold the sales tax (a VAT-inclusive Shopify shop), so an
    order's total is goods + shipping − discount with the tax inside; an export's figures, where
    they tell, win over it (the import warns when they disagree).
    """

    __tablename__ = "shop"

    id: Mapped[intpk]
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    platform: Mapped[str] = mapped_column(String(20))
    currency: Mapped[CurrencyCode] = mapped_column(ForeignKey("currency.code"), default="CNY")
    credentials_ref: Mapped[str] = mapped_column(String(200), default="")
    default_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    prices_include_tax: Mapped[bool] = mapped_column(default=False)


class Customer(Lifecycle, Base):
    __tablename__ = "customer"

    id: Mapped[intpk]
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(2), default="CN")
    region: Mapped[str] = mapped_column(String(60), default="")
    city: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    tier: Mapped[str] = mapped_column(String(20), default="normal")

    accounts: Mapped[list[CustomerAccount]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )


class CustomerAccount(Base):
    """A customer's buyer id in one shop (淘宝昵称, JD pin, Shopify customer id ...)."""

    __tablename__ = "customer_account"
    __table_args__ = (UniqueConstraint("shop_id", "buyer_id"),)

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    buyer_id: Mapped[str] = mapped_column(String(120))

    customer: Mapped[Customer] = relationship(back_populates="accounts")
