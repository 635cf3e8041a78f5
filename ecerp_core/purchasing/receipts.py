"""Receiving goods against purchase orders (入库): receipts, landed cost, price and quantity differences.

Each receipt is a document (``GR20260101-0001``) with its lines. A line's unit cost in base currency
is its price at the day's rate plus its share of the receipt's landed cost (freight, duty...),
spread over the lines by value; the ``receipt`` moves carry that cost into the moving average.
Each receipt emits :class:`~ecerp_core.events.StockReceived`. Differences against the order are
kept on the lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ecerp_core import events
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import document_day, get_company, rate_on
from ecerp_core.db import among, insert_rows
from ecerp_core.errors import ValidationError, problem
from ecerp_core.money import round_money
from ecerp_core.purchasing import workflow
from ecerp_core.purchasing.models import PurchaseOrderLine, PurchaseReceipt, PurchaseReceiptLine
from ecerp_core.purchasing.services import SOURCE, input_vat
from ecerp_core.stock import services as stock
from ecerp_core.stock.rules import spread_by_value

RECEIPT = "purchase_receipt"
COST_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ReceiptDraft:
    """Goods that arrived for a purchase order.

    lines: ``((product_id, qty), ...)`` or ``((product_id, qty, unit_price), ...)`` when the invoice
    price differs from the order; None: everything outstanding at the order's prices.
    landed_cost: freight and other costs of this delivery, in base currency.
    """

    purchase_order_id: int
    lines: tuple[tuple, ...] | None = None
    landed_cost: Decimal = Decimal("0")
    note: str = ""


class Take(NamedTuple):
    """What a receipt takes of one order line: ``quantity`` at ``unit_price`` (the invoice's, or the
    order's ``ordered_price``), with ``outstanding`` what the line still expected."""

    line_id: int
    product_id: int
    quantity: int
    outstanding: int
    unit_price: Decimal
    ordered_price: Decimal


def receive_purchase_orders(
    session: Session, actor: Actor, receipts: Sequence[ReceiptDraft], *, day: dt.date | None = None
) -> list[dict]:
    """Receive goods into the orders' warehouses on ``day`` (default today); returns the moves. All
    or nothing.

    More than is outstanding on a line is refused. Needs ``purchasing.write``.

    >>> draft = ReceiptDraft(po_id, ((tee.id, 10),), Decimal("50.00"))
    >>> moves = receive_purchase_orders(session, admin, [draft])
    >>> [(m["move_type"], m["quantity"], m["unit_cost"]) for m in moves]  # 10 at 30.00, plus 50.00 freight
    [('receipt', 10, Decimal('35.00'))]
    """
    require(actor, "purchasing.write")
    orders = workflow.load(session, [r.purchase_order_id for r in receipts])
    stmt = (
        select(
            PurchaseOrderLine.id,
            PurchaseOrderLine.purchase_order_id,
            PurchaseOrderLine.product_id,
            PurchaseOrderLine.quantity,
            PurchaseOrderLine.received,
            PurchaseOrderLine.unit_price,
        )
        .where(among(session, PurchaseOrderLine.purchase_order_id, sorted(orders)))
        .order_by(PurchaseOrderLine.id)
    )
    lines: dict[int, list] = {}
    for line in session.connection().execute(stmt):
        lines.setdefault(line.purchase_order_id, []).append(line)
    today = document_day(session, day)
    company = get_company(session)
    base = company.base_currency
    rates = {
        c: rate_on(session, c, today) for c in sorted({o.currency for o in orders.values()}) if c != base
    }
    found: list = []
    plans: list[tuple[ReceiptDraft, list[Take]]] = []
    taken: dict[int, int] = {}
    for n, r in enumerate(receipts, start=1):
        if not isinstance(r.landed_cost, Decimal) or r.landed_cost < 0:
            found.append(problem("landed_cost", "below_minimum", value=r.landed_cost, min=0).at_line(n))
        order_lines = lines[r.purchase_order_id]
        if r.lines is None:
            wanted = {x.product_id: (x.quantity - x.received - taken.get(x.id, 0), None) for x in order_lines}
        else:
            wanted = {x[0]: (x[1], x[2] if len(x) > 2 else None) for x in r.lines}
        plan = []
        for x in order_lines:
            take, actual = wanted.pop(x.product_id, (0, None))
            if take == 0 and r.lines is None:
                continue
            if not isinstance(take, int) or isinstance(take, bool) or take < 0:
                found.append(problem("quantity", "below_minimum", value=take, min=0).at_line(n))
                continue
            if take == 0:
                continue
            outstanding = x.quantity - x.received - taken.get(x.id, 0)
            if take > outstanding:
                found.append(problem("quantity", "above_maximum", value=take, max=outstanding).at_line(n))
                continue
            if actual is not None and (not isinstance(actual, Decimal) or actual < 0):
                found.append(problem("unit_price", "below_minimum", value=actual, min=0).at_line(n))
                continue
            taken[x.id] = taken.get(x.id, 0) + take
            price = x.unit_price if actual is None else actual
            plan.append(Take(x.id, x.product_id, take, outstanding, price, x.unit_price))
        found += [problem("product", "not_on_order", value=p).at_line(n) for p, (q, _) in wanted.items() if q]
        plans.append((r, plan))
    targets = {}
    for po_id in orders:
        if any(taken.get(x.id) for x in lines[po_id]):
            complete = all(x.received + taken.get(x.id, 0) >= x.quantity for x in lines[po_id])
            targets[po_id] = "received" if complete else "partially_received"
            stuck = workflow.PURCHASE_ORDER.problem(
                orders[po_id].number, orders[po_id].status, targets[po_id]
            )
            found += [stuck] if stuck else []
    if found:
        raise ValidationError(found)
    numbers = stock.next_numbers(session, PurchaseReceipt.number, "GR", len(plans), today)
    drafts, receipt_lines, evts, line_updates = [], [], [], []
    for (r, plan), number in zip(plans, numbers, strict=True):
        order = orders[r.purchase_order_id]
        rate = rates.get(order.currency, Decimal(1))
        goods = [t.quantity * t.unit_price * rate for t in plan]
        landed = spread_by_value(r.landed_cost, goods)
        table = PurchaseReceipt.__table__
        receipt_id = session.connection().scalar(
            insert(table).returning(table.c.id),
            {
                "number": number,
                "purchase_order_id": r.purchase_order_id,
                "business_date": today,
                "rate": rate,
                "landed_cost": r.landed_cost,
                "note": r.note,
                "created_by": actor.id,
            },
        )
        value = Decimal(0)
        for t, part, gross in zip(plan, landed, goods, strict=True):
            unit_cost = ((gross + part) / t.quantity).quantize(COST_PLACES)
            drafts.append(
                stock.MoveDraft(
                    t.product_id,
                    order.warehouse_id,
                    t.quantity,
                    "receipt",
                    unit_cost=unit_cost,
                    source_type=SOURCE,
                    source_id=r.purchase_order_id,
                    note=f"{order.number} {number}",
                    business_date=today,
                )
            )
            value += t.quantity * round_money(unit_cost)
            receipt_lines.append(
                {
                    "receipt_id": receipt_id,
                    "order_line_id": t.line_id,
                    "product_id": t.product_id,
                    "quantity": t.quantity,
                    "outstanding": t.outstanding,
                    "unit_price": t.unit_price,
                    "ordered_price": t.ordered_price,
                    "landed_cost": part,
                    "unit_cost": unit_cost,
                }
            )
            line_updates.append({"lid": t.line_id, "take": t.quantity})
        amount = sum((round_money(t.quantity * t.unit_price, order.currency) for t in plan), Decimal(0))
        evts.append(
            events.StockReceived(
                source_type=RECEIPT,
                source_id=receipt_id,
                business_date=today,
                key=f"{RECEIPT}:{receipt_id}:received",
                supplier_id=order.supplier_id,
                currency=order.currency,
                rate=rate,
                amount=amount,
                tax_amount=input_vat(
                    session,
                    [(t.product_id, round_money(t.quantity * t.unit_price, order.currency)) for t in plan],
                    order.currency,
                    base,
                    company.vat_rate,
                ),
                landed_base=r.landed_cost,
                value_base=value,
                warehouse_id=order.warehouse_id,
            )
        )
    moves = stock.record_moves(session, actor, drafts) if drafts else []
    if receipt_lines:
        insert_rows(session, PurchaseReceiptLine, receipt_lines)
    table = PurchaseOrderLine.__table__
    if line_updates:
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("lid"))
            .values(received=table.c.received + bindparam("take")),
            line_updates,
        )
    workflow.move(session, actor, orders, targets, "receive")
    events.emit(session, actor, evts)
    return moves
