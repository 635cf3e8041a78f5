"""Receiving goods against purchase orders (入库): receipts, landed cost, price and quantity differences.

Each receipt is a document (``GR20260101-0001``) with its lines. A line's unit cost in base currency
is its price at the day's rate plus its share of the receipt's landed cost (freight, duty...),
spread over the lines by value; the ``receipt`` moves carry that cost into the moving average.
Each receipt emits ``stock.received``. Differences against the order are kept on the lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ecerp_core import events
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date, get_company, rate_on
from ecerp_core.db import insert_rows
from ecerp_core.errors import ValidationError, problem
from ecerp_core.money import round_money
from ecerp_core.purchasing import rules
from ecerp_core.purchasing import services as po
from ecerp_core.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
)
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


def receive_purchase_orders(session: Session, actor: Actor, receipts: Sequence[ReceiptDraft]) -> list[dict]:
    """Receive goods into the orders' warehouses; returns the moves. All or nothing.

    More than is outstanding on a line is refused. Needs ``purchasing.write``.

    >>> receive_purchase_orders(session, admin, [ReceiptDraft(po_id, ((tee.id, 10),), Decimal("50.00"))])
    [{'product_id': 1, 'quantity': 10, 'move_type': 'receipt', 'unit_cost': Decimal('35.00'), ...}]
    """
    require(actor, "purchasing.write")
    orders = po._load(session, [r.purchase_order_id for r in receipts])
    suppliers = dict(session.connection().execute(select(PurchaseOrder.id, PurchaseOrder.supplier_id).where(
        PurchaseOrder.id.in_(sorted(orders)))).all())  # fmt: skip
    rows = session.connection().execute(
        select(PurchaseOrderLine.id, PurchaseOrderLine.purchase_order_id, PurchaseOrderLine.product_id,
               PurchaseOrderLine.quantity, PurchaseOrderLine.received, PurchaseOrderLine.unit_price)
        .where(PurchaseOrderLine.purchase_order_id.in_(sorted(orders))).order_by(PurchaseOrderLine.id))  # fmt: skip
    lines: dict[int, list] = {}
    for line_id, po_id, product_id, qty, received, price in rows:
        lines.setdefault(po_id, []).append([line_id, product_id, qty, received, price])
    today = business_date(session)
    company = get_company(session)
    base = company.base_currency
    rates = {c: rate_on(session, c, today) for c in sorted({o[2] for o in orders.values()}) if c != base}
    found: list = []
    plans = []  # (receipt draft, [(line_id, product_id, take, outstanding, price, ordered_price)])
    taken: dict[int, int] = {}
    for n, r in enumerate(receipts, start=1):
        if not isinstance(r.landed_cost, Decimal) or r.landed_cost < 0:
            found.append(problem("landed_cost", "below_minimum", value=r.landed_cost, min=0).at_line(n))
        po_lines = lines[r.purchase_order_id]
        if r.lines is None:
            wanted = {ln[1]: (ln[2] - ln[3] - taken.get(ln[0], 0), None) for ln in po_lines}
        else:
            wanted = {x[0]: (x[1], x[2] if len(x) > 2 else None) for x in r.lines}
        plan = []
        for line_id, product_id, qty, received, price in po_lines:
            take, actual = wanted.pop(product_id, (0, None))
            if take == 0 and r.lines is None:
                continue
            if not isinstance(take, int) or isinstance(take, bool) or take < 0:
                found.append(problem("quantity", "below_minimum", value=take, min=0).at_line(n))
                continue
            if take == 0:
                continue
            outstanding = qty - received - taken.get(line_id, 0)
            if take > outstanding:
                found.append(problem("quantity", "above_maximum", value=take, max=outstanding).at_line(n))
                continue
            if actual is not None and (not isinstance(actual, Decimal) or actual < 0):
                found.append(problem("unit_price", "below_minimum", value=actual, min=0).at_line(n))
                continue
            taken[line_id] = taken.get(line_id, 0) + take
            plan.append((line_id, product_id, take, outstanding, price if actual is None else actual, price))
        found += [problem("product", "not_on_order", value=p).at_line(n) for p, (q, _) in wanted.items() if q]
        plans.append((r, plan))
    targets = {}
    for pid in orders:
        complete = all(ln[3] + taken.get(ln[0], 0) >= ln[2] for ln in lines[pid])
        any_taken = any(taken.get(ln[0]) for ln in lines[pid])
        if any_taken:
            targets[pid] = "received" if complete else "partially_received"
            p = rules.transition_problem(orders[pid][0], orders[pid][1], targets[pid])
            if p:
                found.append(p)
    if found:
        raise ValidationError(found)
    numbers = stock.next_numbers(session, PurchaseReceipt.number, "GR", len(plans), today)
    drafts, receipt_lines, evts, line_updates = [], [], [], []
    for (r, plan), number in zip(plans, numbers, strict=True):
        number_po, _status, currency, warehouse_id = orders[r.purchase_order_id]
        rate = rates.get(currency, Decimal(1))
        goods = [take * price * rate for _l, _p, take, _o, price, _op in plan]
        landed = spread_by_value(r.landed_cost, goods)
        table = PurchaseReceipt.__table__
        receipt_id = session.connection().scalar(insert(table).returning(table.c.id), {
            "number": number, "purchase_order_id": r.purchase_order_id, "business_date": today, "rate": rate,
            "landed_cost": r.landed_cost, "note": r.note, "created_by": actor.id})  # fmt: skip
        value = Decimal(0)
        for (line_id, product_id, take, outstanding, price, ordered), part, gross in zip(
            plan, landed, goods, strict=True
        ):
            unit_cost = ((gross + part) / take).quantize(COST_PLACES)
            drafts.append(stock.MoveDraft(product_id, warehouse_id, take, "receipt", unit_cost=unit_cost,
                                          source_type=po.SOURCE, source_id=r.purchase_order_id,
                                          note=f"{number_po} {number}"))  # fmt: skip
            value += take * round_money(unit_cost)
            receipt_lines.append({"receipt_id": receipt_id, "order_line_id": line_id, "product_id": product_id,
                                  "quantity": take, "outstanding": outstanding, "unit_price": price,
                                  "ordered_price": ordered, "landed_cost": part, "unit_cost": unit_cost})  # fmt: skip
            line_updates.append({"lid": line_id, "take": take})
        amount = sum(
            (round_money(take * price, currency) for _l, _p, take, _o, price, _op in plan), Decimal(0)
        )
        evts.append(events.StockReceived(
            source_type=RECEIPT, source_id=receipt_id, business_date=today, key=f"{RECEIPT}:{receipt_id}:received",
            supplier_id=suppliers[r.purchase_order_id], currency=currency, rate=rate, amount=amount,
            tax_amount=rules.input_vat(amount, currency, base, company.vat_rate), landed_base=r.landed_cost,
            value_base=value, warehouse_id=warehouse_id))  # fmt: skip
    moves = stock.record_moves(session, actor, drafts) if drafts else []
    if receipt_lines:
        insert_rows(session, PurchaseReceiptLine, receipt_lines)
    table = PurchaseOrderLine.__table__
    if line_updates:
        session.connection().execute(
            update(table).where(table.c.id == bindparam("lid")).values(received=table.c.received + bindparam("take")),
            line_updates)  # fmt: skip
    po._set_status(session, actor, orders, targets, "receive")
    events.emit(session, actor, evts)
    return moves
