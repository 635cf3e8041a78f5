"""The demo's stock: opening balances in each warehouse and a monthly cycle count."""

from __future__ import annotations

import datetime as dt

from ecerp_core.demo import DemoContext, DemoStep
from ecerp_core.orders.demo import expected_units
from ecerp_core.stock import services as stock


def setup(ctx: DemoContext) -> None:
    """Opening stock: about five weeks of expected sales per product and warehouse, at cost."""
    drafts = []
    for pid, _sku, _price, cost, is_bundle, _cat in ctx.data["products"]:
        if is_bundle:
            continue
        for wh_id in ctx.ids["warehouse"].values():
            qty = round(expected_units(ctx, pid, wh_id, ctx.start, 35))
            if qty > 0:
                drafts.append(stock.MoveDraft(pid, wh_id, qty, "adjustment", unit_cost=cost, note="期初库存",
                                              business_date=ctx.start - dt.timedelta(days=1)))  # fmt: skip
    stock.post_moves(ctx.session, ctx.users["warehouse"], drafts)


def count_day(ctx: DemoContext, day: dt.date) -> None:
    """20:00 on the 1st: a cycle count finds a few units lost or found."""
    if day.day != 1:
        return
    rng = ctx.rng_for(f"stock:{day}")
    drafts = []
    for row in stock.levels(ctx.session, ctx.users["warehouse"]):
        if row["available"] > 5 and rng.random() < 0.03:
            gain = rng.random() < 0.3
            drafts.append(stock.MoveDraft(row["product_id"], row["warehouse_id"], 1 if gain else -1,
                                          "count_gain" if gain else "count_loss", note="月度盘点"))  # fmt: skip
    if drafts:
        stock.post_moves(ctx.session, ctx.users["warehouse"], drafts)


STEP = DemoStep("stock", setup, daily=((20 * 60, count_day),))
