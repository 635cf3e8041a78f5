"""Splitting an order by SKU and quantity (拆单), as a clerk does from the Order Desk.

The chosen quantities leave the order for a new one numbered ``<number>#S<n>``. A line split part
way takes its share of the line's discount and amount; the order's shipping, discount, tax,
subsidy and adjustment are shared by the goods each part keeps, and what was paid by each part's
total, each rounded to the cent with the remainder left on the original — so the two orders add
up to exactly what the one did. An approved order's reservation is split with it. (Routing splits
whole lines by warehouse through :func:`ecerp_core.orders.merge.split_order`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Product
from ecerp_core.db import for_update, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.money import round_money
from ecerp_core.orders import workflow
from ecerp_core.orders.models import STOCK_SOURCE, Order, OrderLine
from ecerp_core.orders.rules import order_total
from ecerp_core.orders.workflow import Happened
from ecerp_core.stock import services as stock

SPLITTABLE = ("paid", "approved")
SHARED = ("shipping_amount", "discount_amount", "tax_amount", "subsidy_amount", "adjustment_amount")
"""Order amounts beyond the goods, shared between the parts by their goods."""


def share(amount: Decimal, part: Decimal, whole: Decimal, currency: str) -> Decimal:
    """``amount × part / whole`` rounded to the currency's cent (0 when the whole is 0).

    >>> share(Decimal("10.00"), Decimal("1"), Decimal("3"), "CNY")
    Decimal('3.33')
    >>> share(Decimal("10.00"), Decimal("0"), Decimal("0"), "CNY")
    Decimal('0.00')
    """
    if not whole:
        return round_money(Decimal(0), currency)
    return round_money(Decimal(amount) * part / whole, currency)


def split_quantities(session: Session, actor: Actor, order_id: int, picks: Mapping[str, int]) -> int:
    """Move ``picks`` (SKU -> quantity; the platform's SKU code or ours) of a paid or approved order
    into a new order; returns the new order's id.

    Refused (nothing written) for an order that is shipped, closed, merged with others or already
    refunded in part, an unknown SKU, more than the order holds, or everything it holds.
    """
    require(actor, "orders.review")
    conn = session.connection()
    order = (
        conn.execute(for_update(select(Order.__table__).where(Order.id == order_id), session))
        .mappings()
        .first()
    )
    if order is None:
        raise ValidationError([problem("order", "unknown_ref", value=order_id)])
    number, currency = order["platform_order_id"], order["currency"]
    stmt = (
        select(OrderLine.__table__, Product.sku.label("our_sku"))
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.line_no)
    )
    lines = conn.execute(stmt).mappings().all()
    has_members = conn.scalar(select(func.count()).select_from(Order).where(Order.merged_into_id == order_id))
    found = []
    if order["status"] not in SPLITTABLE:
        found.append(problem("order", "split_not_open", value=number, status=f"status.{order['status']}"))
    if order["merged_into_id"] is not None or has_members:
        found.append(problem("order", "split_merged", value=number))
    if order["refunded_amount"]:
        found.append(problem("order", "split_refunded", value=number))
    moving: dict[int, int] = {}  # line id -> quantity leaving
    for sku, qty in picks.items():
        matching = [ln for ln in lines if sku in (ln["platform_sku"], ln["our_sku"])]
        if not matching:
            found.append(problem("sku", "split_unknown_sku", value=sku, order=number))
            continue
        if qty <= 0 or qty > sum(ln["quantity"] for ln in matching):
            found.append(problem("quantity", "split_too_many", value=sku, quantity=qty, order=number))
            continue
        left = qty
        for ln in matching:
            take = min(left, ln["quantity"] - moving.get(ln["id"], 0))
            if take > 0:
                moving[ln["id"]] = moving.get(ln["id"], 0) + take
                left -= take
    if not picks or (not found and sum(moving.values()) >= sum(ln["quantity"] for ln in lines)):
        found.append(problem("lines", "split_bad_parts", value=number))
    if found:
        raise ValidationError(found)

    # the goods each line sends: whole lines move, part lines take their share of discount and amount
    parts = []  # (line, qty moving, discount moving, amount moving)
    for ln in lines:
        qty = moving.get(ln["id"], 0)
        if qty:
            whole = Decimal(ln["quantity"])
            parts.append(
                (
                    ln,
                    qty,
                    share(ln["discount"], Decimal(qty), whole, currency),
                    share(ln["amount"], Decimal(qty), whole, currency),
                )
            )
    goods = Decimal(order["goods_amount"])
    new_goods = sum((amount for *_, amount in parts), Decimal(0))
    new = {k: share(order[k], new_goods, goods, currency) for k in SHARED}
    new_total = order_total(
        new_goods,
        new["shipping_amount"],
        new["discount_amount"],
        new["tax_amount"],
        order["tax_included"],
        new["adjustment_amount"],
    )
    new_paid = share(order["paid_amount"], new_total, Decimal(order["total_amount"]), currency)
    now = utcnow()
    done_before = conn.scalar(select(func.count()).select_from(Order).where(Order.split_from_id == order_id))
    row = {k: v for k, v in order.items() if k != "id"}
    row.update(
        new,
        platform_order_id=f"{number}#S{done_before + 1}"[:64],
        goods_amount=new_goods,
        total_amount=new_total,
        paid_amount=new_paid,
        refunded_amount=Decimal(0),
        split_from_id=order_id,
        tracking_no="",
        imported_at=now,
        updated_at=now,
    )
    table, line_table = Order.__table__, OrderLine.__table__
    new_id = conn.execute(insert(table).returning(table.c.id), row).scalar_one()
    _move_lines(session, order_id, new_id, lines, parts)
    conn.execute(
        update(table)
        .where(table.c.id == order_id)
        .values(
            {
                **{k: Decimal(order[k]) - new[k] for k in SHARED},
                "goods_amount": goods - new_goods,
                "total_amount": Decimal(order["total_amount"]) - new_total,
                "paid_amount": Decimal(order["paid_amount"]) - new_paid,
                "updated_at": now,
            }
        )
    )
    if order["status"] == "approved":  # the reservation follows the goods
        stmt = (
            select(line_table.c.order_id, line_table.c.product_id, line_table.c.quantity)
            .where(line_table.c.order_id.in_([order_id, new_id]), line_table.c.product_id.is_not(None))
            .order_by(line_table.c.order_id, line_table.c.line_no)
        )
        drafts = [
            stock.ReservationDraft(product_id, order["warehouse_id"], quantity, STOCK_SOURCE, oid)
            for oid, product_id, quantity in conn.execute(stmt)
        ]
        stock.release(session, actor, STOCK_SOURCE, [order_id])
        stock.reserve(session, actor, drafts, on_short="raise")
    for kind in (workflow.EXCEPTION, workflow.REVIEW):  # the new part waits for what the order waited for
        waiting_for = workflow.reasons_of(session, [order_id], kind).get(order_id)
        if waiting_for:
            workflow.add_reasons(session, kind, {new_id: waiting_for})
    moved = ", ".join(f"{sku}×{qty}" for sku, qty in picks.items())
    workflow.record(
        session,
        actor,
        [
            Happened(order_id, order["status"], "split", f"{moved} -> {row['platform_order_id']}"),
            Happened(new_id, order["status"], "split", f"{moved} <- {number}"),
        ],
    )
    audit.record(
        session,
        actor,
        "split",
        "sales_order",
        order_id,
        {"new_order": new_id, "lines": dict(picks), "total": str(new_total), "paid": str(new_paid)},
    )
    return new_id


def _move_lines(session: Session, order_id: int, new_id: int, lines, parts) -> None:
    """Whole lines change order; part lines leave their share behind and send a new line."""
    conn = session.connection()
    line_table = OrderLine.__table__
    staying, new_lines = [], []
    for ln, qty, discount, amount in parts:
        new_lines.append(
            {
                "order_id": new_id,
                "line_no": len(new_lines) + 1,
                "platform_sku": ln["platform_sku"],
                "name": ln["name"],
                "product_id": ln["product_id"],
                "quantity": qty,
                "unit_price": ln["unit_price"],
                "discount": discount,
                "amount": amount,
            }
        )
        if qty < ln["quantity"]:
            staying.append(
                {
                    "lid": ln["id"],
                    "q": ln["quantity"] - qty,
                    "d": Decimal(ln["discount"]) - discount,
                    "a": Decimal(ln["amount"]) - amount,
                }
            )
    whole = {ln["id"] for ln, qty, *_ in parts if qty == ln["quantity"]}
    if whole:
        conn.execute(line_table.delete().where(line_table.c.id.in_(sorted(whole))))
    if staying:
        conn.execute(
            update(line_table)
            .where(line_table.c.id == bindparam("lid"))
            .values(quantity=bindparam("q"), discount=bindparam("d"), amount=bindparam("a")),
            staying,
        )
    conn.execute(insert(line_table), new_lines)
    remaining = [ln["id"] for ln in lines if ln["id"] not in whole]
    renumber = update(line_table).where(line_table.c.id == bindparam("lid")).values(line_no=bindparam("no"))
    # through negative numbers first: (order_id, line_no) is unique at every step
    conn.execute(renumber, [{"lid": lid, "no": -i} for i, lid in enumerate(remaining, start=1)])
    conn.execute(renumber, [{"lid": lid, "no": i} for i, lid in enumerate(remaining, start=1)])
