"""The canonical order a connector builds from a platform file or API, before it is checked.

Connectors (``ecerp_core.connectors``) make :class:`OrderDraft` values;
:func:`ecerp_core.orders.intake.import_order_drafts` turns them into orders and answers with an
:class:`ImportResult`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from ecerp_core.errors import Problem

ZERO = Decimal("0")


class OrderLineDraft(NamedTuple):
    """A line as the platform sold it; ``sku`` is our SKU when it differs from ``platform_sku``."""

    platform_sku: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    discount: Decimal = ZERO
    sku: str | None = None
    name: str = ""


class OrderDraft(NamedTuple):
    """An order as a connector read it from a platform file or API, before it is checked.

    Amounts are in ``currency`` (the shop's); ``created_at`` / ``paid_at`` are aware datetimes;
    ``line`` is the row of the source file, so a rejected order can be pointed at. ``status`` is
    ours (see :data:`ecerp_core.orders.workflow.STATUSES`), ``platform_status`` the platform's text.
    ``tax_included``: prices already hold the tax (VAT-inclusive shops), so total = goods +
    shipping − discount. ``adjustment_amount``: what the total holds beyond goods, shipping,
    discount and tax (duties, tips, rounding), so the total is kept as the platform said it.
    ``refunded_amount``: what the platform already gave back; intake records it as one refund
    (``restocked``: the platform says the goods went back on its shelf).

    Drafts (and their lines) are named tuples, values that cannot change: an import makes and reads
    a hundred thousand of them, and a tuple is made in a third of the time of a frozen dataclass.
    Read their fields by name; ``draft._replace(status=...)`` makes a changed copy.
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
    adjustment_amount: Decimal = ZERO
    restocked: bool = False


@dataclass(frozen=True)
class ImportResult:
    """What an import did. ``order_ids`` follows the drafts (None for a rejected draft).

    ``warnings``: what a person should know of orders that were created as the platform said
    (an adjustment kept, tax inclusion that differs from the shop's setting), with their lines.
    """

    created: int
    updated: int
    unchanged: int
    order_ids: tuple[int | None, ...]
    rejected: tuple[Problem, ...] = field(default=())
    exceptions: int = 0
    warnings: tuple[Problem, ...] = field(default=())


def as_columns(records: Sequence[tuple], names: Sequence[str]) -> dict[str, list]:
    """The fields ``names`` of many named tuples of one kind (drafts, their lines) as columns: all
    the records turned into columns at once (no dict per record)."""
    if not records:
        return {name: [] for name in names}
    every = list(zip(*records, strict=True))
    return {name: list(every[type(records[0])._fields.index(name)]) for name in names}
