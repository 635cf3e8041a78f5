"""Purchase returns (采购退货): goods go back to a supplier, who credits them at the agreed price.

The goods leave at the moving average cost (``purchase_return`` moves, what inventory shrinks by);
the credit is quantity × price in the supplier's currency. Each return emits ``purchase.returned``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ecerp_core import audit, events
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import document_day, get_company, rate_on
from ecerp_core.catalog.models import Product, Supplier, Warehouse
from ecerp_core.db import among, insert_rows
from ecerp_core.errors import ValidationError, problem
from ecerp_core.money import round_money
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseOrderLine, PurchaseReturn, PurchaseReturnLine
from ecerp_core.purchasing.services import input_vat
from ecerp_core.stock import services as stock

SOURCE = "purchase_return"


@dataclass(frozen=True)
class ReturnDraft:
    """Send ``lines`` back: ``((product_id, qty), ...)`` at the last order price, or
    ``((product_id, qty, unit_price), ...)``; in the supplier's currency."""

    supplier_id: int
    warehouse_id: int
    lines: tuple[tuple, ...]
    purchase_order_id: int | None = None
    reason: str = ""


class _PricedLine(NamedTuple):
    """A line to send back, with the price the supplier credits."""

    product_id: int
    quantity: int
    unit_price: Decimal


def _last_prices(session: Session, supplier_ids: Sequence[int]) -> dict[tuple[int, int], Decimal]:
    """The price of each product on the supplier's latest order."""
    latest = (
        select(
            PurchaseOrder.supplier_id,
            PurchaseOrderLine.product_id,
            func.max(PurchaseOrderLine.id).label("lid"),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(among(session, PurchaseOrder.supplier_id, sorted(set(supplier_ids))))
        .group_by(PurchaseOrder.supplier_id, PurchaseOrderLine.product_id)
        .subquery()
    )
    stmt = select(latest.c.supplier_id, latest.c.product_id, PurchaseOrderLine.unit_price).join(
        PurchaseOrderLine, PurchaseOrderLine.id == latest.c.lid
    )
    return {(s, p): price for s, p, price in session.connection().execute(stmt)}


def return_to_suppliers(
    session: Session, actor: Actor, drafts: Sequence[ReturnDraft], *, day: dt.date | None = None
) -> list[int]:
    """Post purchase returns dated ``day`` (default today); all or nothing (not enough available
    raises InsufficientStock).

    Returns their ids. Needs ``purchasing.write``.
    """
    require(actor, "purchasing.write")
    today = document_day(session, day)
    suppliers = dict(
        session.connection()
        .execute(
            select(Supplier.id, Supplier.currency).where(
                among(session, Supplier.id, sorted({d.supplier_id for d in drafts}))
            )
        )
        .all()
    )
    warehouses = set(session.connection().scalars(select(Warehouse.id)))
    product_ids = sorted({product_id for d in drafts for product_id, *_ in d.lines})
    stocked_stmt = select(Product.id).where(
        among(session, Product.id, product_ids), Product.is_bundle.is_(False)
    )
    stocked = set(session.connection().scalars(stocked_stmt))
    prices = _last_prices(session, list(suppliers))
    found, priced = [], []
    for n, d in enumerate(drafts, start=1):
        if d.supplier_id not in suppliers:
            found.append(problem("supplier", "unknown_ref", value=d.supplier_id).at_line(n))
        if d.warehouse_id not in warehouses:
            found.append(problem("warehouse", "unknown_ref", value=d.warehouse_id).at_line(n))
        if not d.lines:
            found.append(problem("lines", "required").at_line(n))
        lines = []
        for product_id, qty, *given_price in d.lines:
            price = given_price[0] if given_price else prices.get((d.supplier_id, product_id))
            if product_id not in stocked:
                found.append(problem("product", "not_stocked", value=product_id).at_line(n))
            if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
                found.append(problem("quantity", "below_minimum", value=qty, min=1).at_line(n))
            if price is None:
                found.append(problem("unit_price", "required").at_line(n))
            elif not isinstance(price, Decimal) or price < 0:
                found.append(problem("unit_price", "below_minimum", value=price, min=0).at_line(n))
            lines.append(_PricedLine(product_id, qty, price))
        priced.append(lines)
    if found:
        raise ValidationError(found)
    company = get_company(session)
    base = company.base_currency
    numbers = stock.next_numbers(session, PurchaseReturn.number, "PR", len(drafts), today)
    ids, evts = [], []
    table = PurchaseReturn.__table__
    for d, lines, number in zip(drafts, priced, numbers, strict=True):
        currency = suppliers[d.supplier_id]
        rate = Decimal(1) if currency == base else rate_on(session, currency, today)
        amount = sum((round_money(x.quantity * x.unit_price, currency) for x in lines), Decimal(0))
        return_id = session.connection().scalar(
            insert(table).returning(table.c.id),
            {
                "number": number,
                "supplier_id": d.supplier_id,
                "warehouse_id": d.warehouse_id,
                "purchase_order_id": d.purchase_order_id,
                "currency": currency,
                "rate": rate,
                "business_date": today,
                "amount": amount,
                "value_base": Decimal(0),
                "reason": d.reason,
                "created_by": actor.id,
            },
        )
        note = f"{number} {d.reason}".strip()
        going = [
            stock.MoveDraft(
                x.product_id,
                d.warehouse_id,
                -x.quantity,
                "purchase_return",
                source_type=SOURCE,
                source_id=return_id,
                note=note,
                business_date=today,
            )
            for x in lines
        ]
        moves = stock.record_moves(session, actor, going)
        value = sum((-m["quantity"] * m["unit_cost"] for m in moves), Decimal(0))
        session.connection().execute(table.update().where(table.c.id == return_id).values(value_base=value))
        line_rows = [
            {
                "return_id": return_id,
                "product_id": x.product_id,
                "quantity": x.quantity,
                "unit_price": x.unit_price,
                "unit_cost": next(m["unit_cost"] for m in moves if m["product_id"] == x.product_id),
            }
            for x in lines
        ]
        insert_rows(session, PurchaseReturnLine, line_rows)
        ids.append(return_id)
        evts.append(
            events.PurchaseReturned(
                source_type=SOURCE,
                source_id=return_id,
                business_date=today,
                key=f"{SOURCE}:{return_id}:returned",
                supplier_id=d.supplier_id,
                currency=currency,
                rate=rate,
                amount=amount,
                tax_amount=input_vat(
                    session,
                    [(x.product_id, round_money(x.quantity * x.unit_price, currency)) for x in lines],
                    currency,
                    base,
                    company.vat_rate,
                ),
                value_base=value,
                warehouse_id=d.warehouse_id,
            )
        )
    audit.record_many(
        session, actor, "create", SOURCE, [(i, {"number": n}) for i, n in zip(ids, numbers, strict=True)]
    )
    events.emit(session, actor, evts)
    return ids
