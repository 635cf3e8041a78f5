"""The canonical order a connector builds from a platform file or API, before it is checked.

Connectors (``ecerp_core.connectors``) make :class:`OrderDraft` values;
:func:`ecerp_core.orders.intake.import_order_drafts` turns them into orders and answers with an
:class:`ImportResult`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ecerp_core.errors import Problem

ZERO = Decimal("0")


@dataclass(frozen=True)
class OrderLineDraft:
    """A line as the platform sold it; ``sku`` is our SKU when it differs from ``platform_sku``."""

    platform_sku: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    discount: Decimal = ZERO
    sku: str | None = None
    name: str = ""


@dataclass(frozen=True)
class OrderDraft:
    """An order as a connector read it from a platform file or API, before it is checked.

    Amounts are in ``currency`` (the shop's); ``created_at`` / ``paid_at`` are aware datetimes;
    ``line`` is the row of the source file, so a rejected order can be pointed at. ``status`` is
    ours (see :data:`ecerp_core.orders.workflow.STATUSES`), ``platform_status`` the platform's text.
    ``tax_included``: prices already hold the tax (VAT-inclusive shops), so total = goods +
    shipping − discount.
    """

    shop_id: int
    platform_order_id: str
    status: str
    created_at: dt.datetime
    currency: str
    lines: tuple[OrderLineDraft, ...]
    goods_amount: Decimal
    total_amount: Decimal
    shipping_amount: Decimal = ZERO
    discount_amount: Decimal = ZERO
    tax_amount: Decimal = ZERO
    paid_amount: Decimal = ZERO
    paid_at: dt.datetime | None = None
    buyer_id: str = ""
    receiver_name: str = ""
    receiver_phone: str = ""
    region: str = ""
    city: str = ""
    address: str = ""
    note: str = ""
    line: int | None = None
    country: str = ""
    subsidy_amount: Decimal = ZERO
    refunded_amount: Decimal = ZERO
    tax_included: bool = False
    is_cod: bool = False
    platform_status: str = ""
    buyer_remark: str = ""
    seller_remark: str = ""
    shipped_at: dt.datetime | None = None
    carrier: str = ""
    tracking_no: str = ""


@dataclass(frozen=True)
class ImportResult:
    """What an import did. ``order_ids`` follows the drafts (None for a rejected draft)."""

    created: int
    updated: int
    unchanged: int
    order_ids: tuple[int | None, ...]
    rejected: tuple[Problem, ...] = field(default=())
    exceptions: int = 0
