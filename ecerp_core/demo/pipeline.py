"""The demo's pipeline work between import and shipping, and its after-sales cases.

Shares of the domestic shops' paid orders (drawn from their own random stream, so the orders
themselves do not change): 1% carry a new listing's SKU nobody mapped yet (the clerk maps them on
Monday morning and they flow on), 0.6% have no receiver address (the clerk confirms it with the buyer
the next morning), 2% are a buyer's second order to the same address (merged before approval), 1%
of the orders with several lines ship one line later (split). Of the shipped orders, after-sales
cases: 1% return and refund (5-10 days after the order, goods back three days later, one in ten
damaged), 0.6% refund only (quality compensation), 0.6% exchange (the size did not fit), 0.3%
reship (lost parcel).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from ecerp_core.demo.context import DemoContext
from ecerp_core.money import round_money
from ecerp_core.orders import cases, merge, review, skus, workflow
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.orders.models import Order, OrderLine

UNMAPPED, NO_ADDRESS, SECOND_ORDER, SPLIT = 0.010, 0.016, 0.036, 0.046
CASES = (("return_refund", 0.010), ("refund_only", 0.016), ("exchange", 0.022), ("reship", 0.025))


def decorate(ctx: DemoContext, day: dt.date, drafts: list[OrderDraft]) -> list[OrderDraft]:
    """Give some of today's new orders the troubles and later cases described in the module doc."""
    rng = ctx.rng_for(f"orders.pipeline:{day}")
    data = ctx.data.setdefault(
        "pipeline",
        {
            "unmapped": {},
            "address": {},
            "merge": {},
            "split": {},
            "cases": {},
            "keys": set(),
            "ids": {},
            "returns": {},
        },
    )
    planned = ctx.data.get("planned_keys", set())
    last_by_shop: dict[int, OrderDraft] = {}
    out = []
    tomorrow = day + dt.timedelta(days=1)
    for d in drafts:
        key = (d.shop_id, d.platform_order_id)
        domestic = d.currency == "CNY"
        r = rng.random()
        if d.status != "paid" or key in planned or not domestic or key in data["keys"]:
            out.append(d)
            continue
        if r < UNMAPPED:
            first, *others = d.lines
            psku = f"{first.platform_sku}-N{day:%y%W}"[:64]
            # the clerk maps new listings' SKUs on Monday mornings; until then the order waits
            monday = day + dt.timedelta(days=7 - day.weekday())
            data["unmapped"].setdefault(monday, {})[(d.shop_id, psku)] = first.platform_sku
            d = d._replace(lines=(first._replace(platform_sku=psku), *others))
        elif r < NO_ADDRESS:
            d = d._replace(address="")
            data["address"].setdefault(tomorrow, []).append(key)
        elif r < SECOND_ORDER and d.shop_id in last_by_shop:
            first = last_by_shop.pop(d.shop_id)
            d = d._replace(
                buyer_id=first.buyer_id,
                receiver_name=first.receiver_name,
                receiver_phone=first.receiver_phone,
                region=first.region,
                city=first.city,
                address=first.address,
            )
            data["merge"].setdefault(tomorrow, []).append(((first.shop_id, first.platform_order_id), key))
            data["keys"].add((first.shop_id, first.platform_order_id))
        elif r < SPLIT and len(d.lines) > 1:
            data["split"].setdefault(tomorrow, []).append(key)
        else:
            c = rng.random()
            kind = next((k for k, share in CASES if c < share), None)
            if kind:
                data["cases"].setdefault(day + dt.timedelta(days=rng.randint(5, 10)), []).append(
                    (kind, key, rng.random() < 0.1)
                )
            else:
                last_by_shop[d.shop_id] = d
                out.append(d)
                continue
        data["keys"].add(key)
        out.append(d)
    return out


def remember_ids(ctx: DemoContext, drafts: list[OrderDraft], order_ids) -> None:
    data = ctx.data.get("pipeline")
    if not data:
        return
    for d, oid in zip(drafts, order_ids, strict=True):
        key = (d.shop_id, d.platform_order_id)
        if key in data["keys"]:
            data["ids"][key] = oid


def _ids(ctx: DemoContext, keys) -> list[int]:
    ids = ctx.data["pipeline"]["ids"]
    return [ids[k] for k in keys if k in ids]


def morning_day(ctx: DemoContext, day: dt.date) -> None:
    """09:30: map yesterday's new SKUs, confirm addresses, merge and split before the approval run."""
    data = ctx.data.get("pipeline")
    if not data:
        return
    clerk = ctx.users["clerk"]
    mappings = data["unmapped"].pop(day, {})
    if mappings:
        skus.map_skus(
            ctx.session, clerk, [(shop, psku, sku) for (shop, psku), sku in sorted(mappings.items())]
        )
    fixed = _ids(ctx, data["address"].pop(day, []))
    if fixed:
        review.clear_exceptions(ctx.session, clerk, fixed, note="已电话联系买家确认地址")
    merges = data["merge"].pop(day, [])
    firsts = _ids(ctx, [first for first, _ in merges])
    seconds = _ids(ctx, [second for _, second in merges])
    pairs = list(zip(firsts, seconds, strict=False))
    splits = _ids(ctx, data["split"].pop(day, []))
    touched = sorted({i for p in pairs for i in p} | set(splits))
    if not touched:
        return
    conn = ctx.session.connection()
    stmt = select(Order.id).where(
        Order.id.in_(touched), Order.status == "paid", ~workflow.has_reason(), Order.merged_into_id.is_(None)
    )
    open_ = set(conn.scalars(stmt))
    for a, b in pairs:
        if a in open_ and b in open_:
            merge.merge_orders(ctx.session, clerk, [a, b])
    lines: dict[int, list[int]] = {}
    for oid, lid in conn.execute(
        select(OrderLine.order_id, OrderLine.id)
        .where(OrderLine.order_id.in_(splits))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    ):
        lines.setdefault(oid, []).append(lid)
    for oid in splits:
        if oid in open_ and len(lines.get(oid, [])) > 1:
            merge.split_order(ctx.session, clerk, oid, [[lines[oid][-1]]])


def cases_day(ctx: DemoContext, day: dt.date) -> None:
    """11:30: buyers' after-sales requests of the day are approved; returns that arrived are booked."""
    data = ctx.data.get("pipeline")
    if not data:
        return
    clerk, session = ctx.users["clerk"], ctx.session
    arrived = data["returns"].pop(day, [])
    for case_id, warehouse_id, damaged in arrived:
        cases.receive_return(
            session,
            clerk,
            case_id,
            warehouse_id=warehouse_id,
            condition="damaged" if damaged else "sellable",
            note="退货已签收",
        )
    if arrived:
        cases.advance_cases(session, clerk, [c for c, _, _ in arrived], "done")
    todo = data["cases"].pop(day, [])
    ids = dict(zip([k for _, k, _ in todo], _ids(ctx, [k for _, k, _ in todo]), strict=False))
    if not ids:
        return
    stmt = select(
        Order.id, Order.status, Order.paid_amount, Order.refunded_amount, Order.currency, Order.warehouse_id
    ).where(Order.id.in_(sorted(ids.values())))
    found = {row.id: row for row in session.connection().execute(stmt)}
    back = day + dt.timedelta(days=3)
    approve, to_return, finish = [], [], []  # the clerk's batch actions after opening the day's cases
    for kind, key, damaged in todo:
        oid = ids.get(key)
        if oid not in found:
            continue
        order = found[oid]
        paid, warehouse_id = order.paid_amount, order.warehouse_id
        if order.status not in ("shipped", "finished") or order.refunded_amount:
            continue
        # requests arrive with the platform's state: returns already wait for the goods
        if kind == "return_refund":
            case = cases.open_case(
                session,
                clerk,
                oid,
                kind,
                amount=paid,
                lines=[(1, 1)],
                reason="七天无理由退货",
                warehouse_id=warehouse_id,
                platform_status="WAIT_BUYER_RETURN_GOODS",
            )
        elif kind == "refund_only":
            amount = round_money(paid * Decimal("0.3"), order.currency)
            case = cases.open_case(
                session, clerk, oid, kind, amount=amount, reason="质量问题补偿", platform_status="退款中"
            )
        elif kind == "exchange":
            case = cases.open_case(
                session, clerk, oid, kind, lines=[(1, 1)], reason="尺码不合适换货", warehouse_id=warehouse_id
            )
            approve.append(case)
            to_return.append(case)
        else:
            case = cases.open_case(session, clerk, oid, kind, lines=[(1, 1)], reason="快递丢件补发")
            approve.append(case)
        if kind in ("return_refund", "exchange"):
            data["returns"].setdefault(back, []).append((case, warehouse_id, damaged))
        else:
            finish.append(case)
    for cases_, target in ((approve, "approved"), (to_return, "waiting_return"), (finish, "done")):
        if cases_:
            cases.advance_cases(session, clerk, cases_, target)
