"""The output VAT (销项税额) of a sale whose goods are at more than one rate (foods 9%, services 6%
beside goods at the company's 13%), by each product's category: what a shipment books and what a
refund gives back. Finance splits a sale at the company's rate when an event carries no tax, so
these give a figure only when some line's rate differs from it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core.catalog.models import EXPORT_PLATFORMS
from ecerp_core.catalog.products import inclusive_vat, vat_rates
from ecerp_core.db import among
from ecerp_core.orders.models import OrderLine
from ecerp_core.stock.rules import spread_by_value

Line = tuple[int | None, Decimal]
"""An order line as ``(product_id, amount)``; product_id None for a line of no product."""


def order_lines(session: Session, order_ids: Sequence[int]) -> dict[int, list[Line]]:
    """Each order's lines ``(product_id, amount)``, in line order."""
    rows = session.execute(
        select(OrderLine.order_id, OrderLine.product_id, OrderLine.amount)
        .where(among(session, OrderLine.order_id, sorted(set(order_ids))))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    ).all()
    lines: dict[int, list[Line]] = {}
    for r in rows:
        lines.setdefault(r.order_id, []).append((r.product_id, r.amount))
    return lines


def sale_vat(
    session: Session,
    platform: str,
    lines: Sequence[Line],
    goods: Decimal,
    shipping: Decimal,
    company_rate: Decimal,
    currency: str,
) -> Decimal | None:
    """The VAT inside ``goods`` (tax-inclusive, as the buyer paid them) and ``shipping`` of a sale
    on a Chinese platform (:func:`vat_inside`). None when every line is at the company's rate
    (finance splits the whole at it) or for a cross-border shop (no Chinese VAT)."""
    if platform in EXPORT_PLATFORMS:
        return None
    rates = vat_rates(session, [p for p, _ in lines if p is not None], company_rate)
    return _mixed(platform, lines, goods, shipping, rates, company_rate, currency)


def sales_vat(
    session: Session, orders: Sequence, sold: Mapping[int, tuple[Decimal, Decimal]], company_rate: Decimal
) -> dict[int, Decimal | None]:
    """:func:`sale_vat` of each order (rows with ``id``, ``platform``, ``currency``), its goods and
    shipping as ``sold[id]``."""
    lines = order_lines(session, [o.id for o in orders])
    products = [p for ls in lines.values() for p, _ in ls if p is not None]
    rates = vat_rates(session, products, company_rate) if products else {}
    return {
        o.id: _mixed(o.platform, lines.get(o.id, []), *sold[o.id], rates, company_rate, o.currency)
        for o in orders
    }


def vat_inside(
    lines: Sequence[Line],
    goods: Decimal,
    shipping: Decimal,
    rates: Mapping[int, Decimal],
    company_rate: Decimal,
    currency: str,
) -> Decimal:
    """The VAT inside ``goods`` spread over ``lines`` by their amounts, each part at its product's
    rate (``rates``, else the company's), and inside ``shipping`` at the company's, rounded per part.

    >>> tea, tee = 1, 2
    >>> lines = [(tea, Decimal("109.00")), (tee, Decimal("113.00"))]
    >>> vat_inside(lines, Decimal("222.00"), Decimal("0"), {tea: Decimal("0.09")}, Decimal("0.13"), "CNY")
    Decimal('22.00')
    """
    at = [rates.get(p, company_rate) if p is not None else company_rate for p, _ in lines]
    parts = spread_by_value(goods, [amount for _, amount in lines])
    return inclusive_vat([*zip(parts, at, strict=True), (shipping, company_rate)], currency)


def _mixed(
    platform: str,
    lines: Sequence[Line],
    goods: Decimal,
    shipping: Decimal,
    rates: Mapping[int, Decimal],
    company_rate: Decimal,
    currency: str,
) -> Decimal | None:
    if platform in EXPORT_PLATFORMS or all(rates.get(p, company_rate) == company_rate for p, _ in lines):
        return None
    return vat_inside(lines, goods, shipping, rates, company_rate, currency)
