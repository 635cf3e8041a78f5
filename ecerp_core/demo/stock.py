"""The demo's stock: opening balances, min/max and bins, weekly transfers between warehouses, and a
monthly cycle count (the last one still open, with some lines counted)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ecerp_core.demo.context import DemoContext, DemoProduct, DemoStep
from ecerp_core.demo.orders import expected_units
from ecerp_core.stock import alerts, stocktake, stocktake_review, transfers
from ecerp_core.stock import services as stock
from ecerp_core.stock.models import Transfer

TRANSFER_LINES = 6  # products moved per weekly transfer


def _bin(product: DemoProduct) -> str:
    """A bin like ``C-04-17``: an aisle and a shelf by category, a place on the shelf by product."""
    category = product.category_id or 0
    return f"{chr(65 + category % 6)}-{category % 20 + 1:02d}-{product.id % 30 + 1:02d}"


def setup(ctx: DemoContext) -> None:
    """Opening stock (about five weeks of expected sales), min = 2 weeks, max = 12 weeks, and bins."""
    drafts, settings = [], []
    opening_day = ctx.start - dt.timedelta(days=1)
    for product in ctx.data["products"]:
        if product.is_bundle:
            continue
        for wh_id in ctx.ids["warehouse"].values():
            week = expected_units(ctx, product.id, wh_id, ctx.start, 7)
            qty = round(week * 5)
            if qty > 0:
                drafts.append(
                    stock.MoveDraft(
                        product.id,
                        wh_id,
                        qty,
                        "adjustment",
                        unit_cost=product.cost,
                        note="期初库存",
                        business_date=opening_day,
                    )
                )
            setting = alerts.SettingDraft(
                product.id,
                wh_id,
                min_qty=round(week * 2),
                max_qty=max(round(week * 12), 1),
                safety_stock=round(week / 2),
                location=_bin(product),
            )
            settings.append(setting)
    stock.post_moves(ctx.session, ctx.users["warehouse"], drafts)
    alerts.set_stock_settings(ctx.session, ctx.admin, settings)


def transfer_day(ctx: DemoContext, day: dt.date) -> None:
    """14:00: goods shipped two days ago arrive (one transfer in eight short of a unit); on Mondays the
    fullest warehouse sends what another is short of (the two busiest routes)."""
    clerk = ctx.users["warehouse"]
    rng = ctx.rng_for(f"stock:transfer:{day}")
    shipped_by = ctx.at(day - dt.timedelta(days=2))
    stmt = (
        select(Transfer.id)
        .where(Transfer.status == "in_transit", Transfer.shipped_at <= shipped_by)
        .order_by(Transfer.id)
    )
    due = ctx.session.scalars(stmt).all()
    for tid in due:
        if rng.random() < 0.125:
            first, *_ = transfers.transfer_lines(ctx.session, tid)
            arrived = [(first.product_id, first.shipped - 1)] if first.shipped > 1 else []
            transfers.receive_transfer(ctx.session, clerk, tid, arrived)
            transfers.close_transfers(ctx.session, clerk, [tid], note="运输破损")
        else:
            transfers.receive_transfer(ctx.session, clerk, tid)
    if day.weekday() != 0:
        return
    low = [a for a in alerts.stock_alerts(ctx.session, clerk, today=day) if a["kind"] == "low"]
    levels = {(r["product_id"], r["warehouse_id"]): r["available"] for r in stock.levels(ctx.session, clerk)}
    by_route: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for a in low[: TRANSFER_LINES * 3]:
        donors = [
            (levels.get((a["product_id"], w), 0), w)
            for w in ctx.ids["warehouse"].values()
            if w != a["warehouse_id"]
        ]
        spare, donor = max(donors)
        qty = min(spare // 3, a["min_qty"] * 2 - a["available"])
        if qty > 0 and len(by_route.get((donor, a["warehouse_id"]), [])) < TRANSFER_LINES:
            by_route.setdefault((donor, a["warehouse_id"]), []).append((a["product_id"], qty))
    drafts = [
        transfers.TransferDraft(f, t, tuple(lines), note="补货调拨")
        for (f, t), lines in sorted(by_route.items())
    ]
    if drafts:
        transfers.ship_transfers(ctx.session, clerk, transfers.create_transfers(ctx.session, clerk, drafts))


def count_day(ctx: DemoContext, day: dt.date) -> None:
    """20:00 on the 1st: a cycle count of the A-class products in one warehouse finds a few units lost
    or found; the supervisor approves. On the last day a new count is opened and half counted."""
    last = day == ctx.end
    if day.day != 1 and not last:
        return
    clerk, admin = ctx.users["warehouse"], ctx.admin
    codes = sorted(ctx.ids["warehouse"])
    warehouse = ctx.ids["warehouse"][codes[day.month % len(codes)]]
    rng = ctx.rng_for(f"stock:{day}")
    st = stocktake.create_stocktake(
        ctx.session, clerk, warehouse, scope="abc", threshold=3, note="月度循环盘点"
    )
    lines = stocktake_review.counting_lines(ctx.session, clerk, st)
    book = {
        r["product_id"]: (r["on_hand"], r["available"])
        for r in stock.levels(ctx.session, clerk)
        if r["warehouse_id"] == warehouse
    }
    sku_ids = ctx.data["sku_ids"]
    skus = {r["sku"]: sku_ids[r["sku"]] for r in lines if sku_ids.get(r["sku"])}
    counted = lines[: len(lines) // 2] if last else lines  # the last day's count is half done
    entries = []
    for r in counted:
        have, available = book.get(skus.get(r["sku"]), (0, 0))
        have = max(have, 0)
        off = 0
        if rng.random() < 0.08:  # off by a unit: found (3 in 10), else lost unless too little is free
            off = 1 if rng.random() < 0.3 or available < 2 else -1
        entries.append(stocktake.CountEntry(r["sku"], max(have + off, 0), "set"))
    if entries:
        stocktake.record_counts(ctx.session, clerk, st, entries)
    if last:
        return
    stocktake.submit_stocktake(ctx.session, clerk, st)  # off by one at most: below the recount threshold
    stocktake.approve_stocktake(ctx.session, admin, st)


def _setup(ctx: DemoContext) -> None:
    ctx.data["sku_ids"] = {p.sku: p.id for p in ctx.data["products"]}  # the counts look products up by SKU
    setup(ctx)


STEP = DemoStep("stock", _setup, daily=((14 * 60, transfer_day), (20 * 60, count_day)))
