"""The demo's purchasing: reorder when projected stock falls below cover for the supplier's lead
time, respecting the minimum order quantity; receive when goods arrive (sometimes in two parts)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from ecerp_core.catalog.models import Supplier
from ecerp_core.demo.context import DemoContext, DemoStep
from ecerp_core.demo.orders import expected_units
from ecerp_core.money import round_money
from ecerp_core.orders.queries import unreserved_demand
from ecerp_core.purchasing import replenishment, returns, rules
from ecerp_core.purchasing import services as purchasing
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseOrderLine
from ecerp_core.purchasing.receipts import ReceiptDraft, receive_purchase_orders
from ecerp_core.stock import alerts
from ecerp_core.stock import services as stock

PRICE_LIST_RATE = Decimal("7.1")  # the USD suppliers' price lists are fixed at this rate
SAFETY_DAYS = 7
REVIEW_DAYS = 7
COVER_DAYS = 21


def setup(ctx: DemoContext) -> None:
    ctx.data["suppliers"] = {
        i: (cur, lt, moq)
        for i, cur, lt, moq in ctx.session.connection().execute(
            select(Supplier.id, Supplier.currency, Supplier.lead_time_days, Supplier.min_order_qty)
        )
    }


def receive_day(ctx: DemoContext, day: dt.date) -> None:
    """09:00: goods due today arrive; one delivery in ten comes in two parts."""
    buyer = ctx.users["buyer"]
    rng = ctx.rng_for(f"purchasing:{day}")
    receipts = []
    for po_id in purchasing.due_purchase_orders(ctx.session, buyer, day):
        if rng.random() < 0.1 and po_id not in ctx.data.setdefault("split", set()):
            ctx.data["split"].add(po_id)
            stmt = (
                select(PurchaseOrderLine.product_id, PurchaseOrderLine.quantity)
                .where(PurchaseOrderLine.purchase_order_id == po_id)
                .order_by(PurchaseOrderLine.line_no)
            )
            lines = ctx.session.connection().execute(stmt).all()
            part = tuple((p, q * 7 // 10) for p, q in lines if q * 7 // 10 > 0)
            receipts.append(ReceiptDraft(po_id, part or None))
        else:
            receipts.append(ReceiptDraft(po_id))
    if receipts:
        receive_purchase_orders(ctx.session, buyer, receipts)


def replenish_day(ctx: DemoContext, day: dt.date) -> None:
    """17:00: order what will run short before the next delivery could arrive (weekly per supplier)."""
    buyer = ctx.users["buyer"]
    of_category = ctx.data["supplier_of_category"]
    due = [  # each supplier is reviewed once a week
        p
        for p in ctx.data["products"]
        if not p.is_bundle and not (of_category[p.category_id] + day.toordinal()) % REVIEW_DAYS
    ]
    if not due:
        return
    product_ids = [p.id for p in due]
    levels = {
        (r["product_id"], r["warehouse_id"]): r["available"]
        for r in stock.levels(ctx.session, buyer, product_ids)
    }
    coming = purchasing.on_order(ctx.session, buyer)
    waiting = unreserved_demand(ctx.session, buyer, product_ids)  # paid orders not yet approved
    by_po: dict[tuple[int, int], list] = {}
    for product in due:
        pid, cost = product.id, product.cost
        supplier_id = of_category[product.category_id]
        currency, lead, moq = ctx.data["suppliers"][supplier_id]
        for wh_id in ctx.ids["warehouse"].values():
            need = expected_units(ctx, pid, wh_id, day, lead + REVIEW_DAYS + SAFETY_DAYS)
            if need < 0.5 and not waiting.get((pid, wh_id)):
                continue
            projected = (
                levels.get((pid, wh_id), 0) + coming.get((pid, wh_id), 0) - waiting.get((pid, wh_id), 0)
            )
            cover = round(need + expected_units(ctx, pid, wh_id, day + dt.timedelta(days=lead), COVER_DAYS))
            qty = rules.reorder_quantity(projected, round(need), cover, moq)
            if qty:
                unit = cost if currency == "CNY" else round_money(cost / PRICE_LIST_RATE)
                by_po.setdefault((supplier_id, wh_id), []).append(
                    purchasing.PurchaseLineDraft(pid, qty, unit)
                )
    if not by_po:
        return
    drafts = [purchasing.PurchaseOrderDraft(s, w, tuple(lines)) for (s, w), lines in sorted(by_po.items())]
    ids = purchasing.create_purchase_orders(ctx.session, buyer, drafts)
    purchasing.confirm_purchase_orders(ctx.session, buyer, ids)


def return_day(ctx: DemoContext, day: dt.date) -> None:
    """11:00 on the 15th: a faulty batch goes back to its supplier (a few units of a recent receipt)."""
    if day.day != 15:
        return
    rng = ctx.rng_for(f"purchasing:return:{day}")
    stmt = (
        select(
            PurchaseOrder.supplier_id,
            PurchaseOrder.warehouse_id,
            PurchaseOrderLine.product_id,
            PurchaseOrderLine.unit_price,
            PurchaseOrder.id.label("purchase_order_id"),
        )
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.status == "received")
        .order_by(PurchaseOrder.id.desc())
        .limit(20)
    )
    recent = ctx.session.execute(stmt).all()
    levels = {
        (r["product_id"], r["warehouse_id"]): r["available"]
        for r in stock.levels(ctx.session, ctx.users["buyer"])
    }
    usable = [r for r in recent if levels.get((r.product_id, r.warehouse_id), 0) >= 5]
    if not usable:
        return
    faulty = usable[rng.randrange(len(usable))]
    line = (faulty.product_id, rng.randint(1, 3), faulty.unit_price)
    draft = returns.ReturnDraft(
        faulty.supplier_id,
        faulty.warehouse_id,
        (line,),
        purchase_order_id=faulty.purchase_order_id,
        reason="质量问题",
    )
    returns.return_to_suppliers(ctx.session, ctx.users["buyer"], [draft])


def plan_day(ctx: DemoContext, day: dt.date) -> None:
    """06:00 on the 1st and on the last day: the buyer sets every min / max from the last four weeks'
    sales, its supplier's lead time and minimum order quantity (:func:`replenishment.plan_min_max`)."""
    if day.day != 1 and day != ctx.end:
        return
    planned = replenishment.plan_min_max(ctx.session, ctx.users["buyer"], today=day - dt.timedelta(days=1))
    alerts.set_stock_settings(ctx.session, ctx.admin, [p.setting() for p in planned])


STEP = DemoStep(
    "purchasing",
    setup,
    daily=((6 * 60, plan_day), (9 * 60, receive_day), (11 * 60, return_day), (17 * 60, replenish_day)),
)
