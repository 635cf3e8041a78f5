"""The demo's sales: daily orders on five shops with trend, weekly rhythm, promotions (618, 双11,
双12, 女王节), the Chinese New Year dip, unpaid orders, cancellations, refunds and returns; the
exceptions, merges, splits and after-sales cases are in :mod:`ecerp_core.demo.pipeline`.

Orders come in as platform drafts through :func:`import_order_drafts`, are approved (reserving
stock) and shipped by the clerks, finished when the buyer confirms, and refunded through after-sales.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select

from ecerp_core.catalog.products import expand_lines
from ecerp_core.demo import pipeline
from ecerp_core.demo.catalog import EN_NAMES, GIVEN, PROVINCES, SHOPS, SURNAMES, US_STATES, DemoShop
from ecerp_core.demo.context import DemoContext, DemoStep
from ecerp_core.money import round_money
from ecerp_core.orders import aftersales, routing, rules
from ecerp_core.orders import services as orders
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import Order

CHINESE_NEW_YEAR = {2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29),
                    2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3)}  # fmt: skip
WEEKDAY = (1.0, 0.97, 0.95, 0.97, 1.03, 1.08, 1.1)
SEASONAL = {  # SKU prefix -> factor by month (1..12)
    #            Jan  Feb  Mar  Apr  May  Jun  Jul  Aug  Sep  Oct  Nov  Dec
    "WDWN":     (2.5, 2,   0.8, 0.3, 0.1, 0.1, 0.1, 0.1, 0.4, 1.5, 3,   3),
    "MHOD":     (2,   1.6, 1,   0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 2,   2),
    "BSUN":     (0.3, 0.3, 0.6, 1.2, 2,   2.5, 2.5, 2,   1,   0.5, 0.3, 0.3),
    "WDRS":     (0.3, 0.4, 0.8, 1.3, 1.8, 2,   2,   1.5, 1,   0.5, 0.3, 0.3),
    "FMOON":    (0,   0,   0,   0,   0,   0,   0.3, 3,   6,   0.2, 0,   0),
    "BUN-MOON": (0,   0,   0,   0,   0,   0,   0.3, 3,   6,   0.2, 0,   0),
    "FZZI":     (0,   0,   0,   0.5, 4,   3,   0.2, 0,   0,   0,   0,   0),
    "BUN-FEST": (0,   0,   0,   0.5, 4,   3,   0.2, 0,   0,   0,   0,   0),
    "KBOT":     (1.8, 1.5, 1,   0.8, 0.6, 0.5, 0.5, 0.6, 0.8, 1.2, 1.6, 1.8),
}  # fmt: skip
ROADS = ("人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "文化路", "长江路")


class Planned(NamedTuple):
    """What a buyer will do to an order later: ``cancel`` it, or ``refund`` a ``fraction`` of it (with
    the goods coming back when ``with_return``)."""

    kind: str
    key: tuple[int, str]
    fraction: Decimal | None
    with_return: bool


def day_factor(day: dt.date) -> float:
    """How busy a day is compared with an ordinary one: weekday × promotions × New Year."""
    f = WEEKDAY[day.weekday()]
    md = (day.month, day.day)
    if md == (11, 11):
        f *= 6
    elif (11, 1) <= md <= (11, 10):
        f *= 1.4
    elif (10, 20) <= md <= (10, 31):
        f *= 1.2
    elif (11, 12) <= md <= (11, 15):
        f *= 0.85
    elif md == (6, 18):
        f *= 3.5
    elif (6, 1) <= md <= (6, 17):
        f *= 1.3
    elif md == (12, 12):
        f *= 2.5
    elif md == (3, 8):
        f *= 1.6
    cny = CHINESE_NEW_YEAR.get(day.year if day.month < 6 else day.year + 1)
    if cny:
        offset = (day - dt.date(day.year if day.month < 6 else day.year + 1, *cny)).days
        f *= 0.4 if -12 <= offset < 0 else 0.3 if 0 <= offset <= 7 else 0.7 if 8 <= offset <= 14 else 1
    return f


def promo_discount(day: dt.date) -> Decimal:
    """The order-level discount rate of the day's promotion."""
    md = (day.month, day.day)
    return {
        (11, 11): Decimal("0.15"),
        (6, 18): Decimal("0.12"),
        (12, 12): Decimal("0.10"),
        (3, 8): Decimal("0.08"),
    }.get(md, Decimal("0.05") if (11, 1) <= md <= (11, 10) or (6, 1) <= md <= (6, 17) else Decimal(0))


def _seasonal(sku: str, month: int) -> float:
    for prefix, factors in SEASONAL.items():
        if sku == prefix or sku.startswith(prefix + "-"):
            return factors[month - 1]
    return 1.0


def setup(ctx: DemoContext) -> None:
    """The demand model: product popularity (long tail, intermittent sellers), warehouse shares."""
    rng = ctx.rng_for("orders.model")
    products = ctx.data["products"]
    ranks = list(range(len(products)))
    rng.shuffle(ranks)
    weights = []
    for p, rank in zip(products, ranks, strict=True):
        w = 1 / (rank + 2) ** 0.9
        if rng.random() < 0.15:
            w *= 0.04  # an intermittent seller: a sale now and then
        weights.append(w * (0.5 if p.is_bundle else 1))
    ctx.data["sell_weights"] = {
        m: _cumulate([w * _seasonal(p.sku, m) for p, w in zip(products, weights, strict=True)])
        for m in range(1, 13)
    }
    # expected units per order of each product, by month (1.35 lines an order, 1.18 units a line)
    consumed = expand_lines(ctx.session, [(p.id, 1) for p in products])
    per_order = {}
    for m in range(1, 13):
        total = sum(w * _seasonal(p.sku, m) for p, w in zip(products, weights, strict=True))
        units: dict[int, float] = {}
        for p, w, parts in zip(products, weights, consumed, strict=True):
            share = w * _seasonal(p.sku, m) / total * 1.35 * 1.18
            for comp, qty in parts:
                units[comp] = units.get(comp, 0) + share * qty
        per_order[m] = units
    ctx.data["units_per_order"] = per_order
    wh = ctx.ids["warehouse"]
    region_wh = {"华东": wh["SH"], "华南": wh["GZ"], "西南": wh["CD"]}
    total_w = sum(w for *_, w in PROVINCES)
    shares: dict[int, float] = {}
    for shop in SHOPS:
        default = wh[shop.warehouse]
        if shop.platform == "shopify":
            shares[default] = shares.get(default, 0) + shop.share
            continue
        for province, _, w in PROVINCES:
            target = region_wh.get(rules.PROVINCE_REGION.get(province), default)
            shares[target] = shares.get(target, 0) + shop.share * w / total_w
    ctx.data["warehouse_share"] = shares
    days = [ctx.start + dt.timedelta(days=n) for n in range((ctx.end - ctx.start).days + 60)]
    span = max(1, (ctx.end - ctx.start).days)
    ctx.data["orders_expected"] = {
        d: ctx.orders_per_day * (0.75 + 0.5 * min((d - ctx.start).days, span) / span) * day_factor(d)
        for d in days
    }
    ctx.data["orders_cumulative"] = _cumulate([0.0, *ctx.data["orders_expected"].values()])
    ctx.data["plan"] = {}
    ctx.data["planned_ids"] = {}
    ctx.data["pending"] = {}


def _cumulate(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def expected_units(ctx: DemoContext, product_id: int, warehouse_id: int, first: dt.date, days: int) -> float:
    """Units of a product the model expects a warehouse to ship over ``days`` from ``first``."""
    month = (first + dt.timedelta(days=days // 2)).month
    per_order = ctx.data["units_per_order"][month].get(product_id, 0.0)
    cumulative = ctx.data["orders_cumulative"]
    lo = min(max((first - ctx.start).days, 0), len(cumulative) - 1)
    hi = min(lo + days, len(cumulative) - 1)
    orders_n = cumulative[hi] - cumulative[lo] + (lo + days - hi) * ctx.orders_per_day
    return per_order * orders_n * ctx.data["warehouse_share"].get(warehouse_id, 0.0)


# --- daily tasks ----------------------------------------------------------------------------------
def import_day(ctx: DemoContext, day: dt.date) -> None:
    """23:30: the clerk imports the day's export of every shop (new orders, payments, closures)."""
    rng = ctx.rng_for(f"orders:{day}")
    drafts = list(ctx.data["pending"].pop(day, []))
    lam = ctx.data["orders_expected"][day]
    count = max(0, round(rng.gauss(lam, math.sqrt(lam))))
    shops = [(ctx.ids["shop"][s.code], s) for s in SHOPS]
    new = []
    for seq in range(1, count + 1):
        shop_id, shop = rng.choices(shops, weights=[s.share for _, s in shops])[0]
        new.append(_new_order(ctx, rng, day, seq, shop_id, shop))
    drafts += pipeline.decorate(ctx, day, new)
    if not drafts:
        return
    result = import_order_drafts(ctx.session, ctx.users["clerk"], drafts)
    pipeline.remember_ids(ctx, drafts, result.order_ids)
    wanted = ctx.data.get("planned_keys", set())
    for d, oid in zip(drafts, result.order_ids, strict=True):
        if (d.shop_id, d.platform_order_id) in wanted:
            ctx.data["planned_ids"][(d.shop_id, d.platform_order_id)] = oid


def _new_order(ctx: DemoContext, rng, day: dt.date, seq: int, shop_id: int, shop: DemoShop) -> OrderDraft:
    platform, currency = shop.platform, shop.currency
    products = ctx.data["products"]
    cum = ctx.data["sell_weights"][day.month]
    n_lines = rng.choices((1, 2, 3), weights=(72, 21, 7))[0]
    chosen = []
    for _ in range(n_lines):
        p = rng.choices(products, cum_weights=cum)[0]
        if p not in chosen:
            chosen.append(p)
    lines = []
    for p in chosen:
        qty = rng.choices((1, 2, 3), weights=(85, 12, 3))[0]
        if currency == "USD":
            unit = Decimal(int(p.list_price / Decimal("6.5"))) + Decimal("0.99")
        elif platform == "pdd":
            unit = round_money(p.list_price * Decimal("0.9"))
        else:
            unit = p.list_price
        lines.append(OrderLineDraft(p.sku, qty, unit, round_money(unit * qty, currency)))
    goods = sum((x.amount for x in lines), Decimal(0))
    rate = promo_discount(day)
    discount = round_money(goods * rate, currency) if rate else Decimal(0)
    if not rate and currency == "CNY" and goods > 60 and rng.random() < 0.08:
        discount = Decimal(rng.choice((5, 10)))
    shipping = Decimal("4.99") if currency == "USD" and goods < 50 else Decimal(0)
    total = goods + shipping - discount
    minute = (
        rng.randint(8 * 60, 24 * 60 - 31)
        if (day.month, day.day) != (11, 11) or rng.random() < 0.6
        else rng.randint(0, 90)
    )
    created = ctx.at(day, minute) + dt.timedelta(seconds=rng.randrange(60))
    buyer, name, region, city, address = _buyer(ctx, rng, shop.code, platform)
    number = f"#{day:%y%m%d}{seq:04d}" if platform == "shopify" else f"{day:%Y%m%d}{shop_id}{seq:06d}"
    unpaid = rng.random() < 0.04
    draft = OrderDraft(
        shop_id=shop_id,
        platform_order_id=number,
        status="pending_payment" if unpaid else "paid",
        created_at=created,
        currency=currency,
        lines=tuple(lines),
        goods_amount=goods,
        total_amount=total,
        shipping_amount=shipping,
        discount_amount=discount,
        paid_amount=Decimal(0) if unpaid else total,
        paid_at=None if unpaid else created + dt.timedelta(minutes=rng.randint(1, 20)),
        buyer_id=buyer,
        receiver_name=name,
        receiver_phone="" if currency == "USD" else f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}",
        region=region,
        city=city,
        address=address,
    )
    _plan(ctx, rng, day, draft, unpaid)
    return draft


def _buyer(ctx, rng, shop_code: str, platform: str) -> tuple[str, str, str, str, str]:
    known = ctx.data["buyers"].get(shop_code, [])
    if known and rng.random() < 0.4:
        buyer, name, region, city = rng.choice(known)
    elif platform == "shopify":
        (region, city), name = rng.choice(US_STATES), rng.choice(EN_NAMES)
        buyer = f"guest_{rng.randrange(16**10):010x}"
    else:
        region, city, _ = rng.choices(PROVINCES, weights=[w for *_, w in PROVINCES])[0]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN))
        buyer = f"{platform}_{rng.randrange(16**10):010x}"
    if platform == "shopify":
        return buyer, name, region, city, f"{rng.randint(10, 9999)} Main St, {city}, {region}"
    return buyer, name, region, city, f"{region}{city}市{rng.choice(ROADS)}{rng.randint(1, 999)}号"


def _plan(ctx: DemoContext, rng, day: dt.date, draft: OrderDraft, unpaid: bool) -> None:
    """Decide what happens to the order later: payment, cancellation, refund, return."""
    key = (draft.shop_id, draft.platform_order_id)
    tomorrow = day + dt.timedelta(days=1)
    if unpaid:
        pays = rng.random() < 0.8
        later = draft._replace(
            status="paid" if pays else "closed",
            paid_amount=draft.total_amount if pays else Decimal(0),
            paid_at=ctx.at(tomorrow, 9 * 60) if pays else None,
        )
        ctx.data["pending"].setdefault(tomorrow, []).append(later)
        if not pays:
            return
    r = rng.random()
    if r < 0.015:
        when, planned = tomorrow, Planned("cancel", key, None, False)
    elif r < 0.06:
        fraction = Decimal(1) if rng.random() < 0.7 else Decimal(rng.randint(20, 60)) / 100
        when = day + dt.timedelta(days=rng.randint(4, 20))
        planned = Planned("refund", key, fraction, rng.random() < 0.6)
    else:
        return
    ctx.data["plan"].setdefault(when, []).append(planned)
    ctx.data.setdefault("planned_keys", set()).add(key)


def approve_day(ctx: DemoContext, day: dt.date) -> None:
    """10:00: the clerk routes every paid order to a warehouse that can fill it (智能分仓, so an order
    waiting for stock moves to where the stock is) and approves them, oldest first; orders no
    warehouse can fill alone wait for stock."""
    clerk = ctx.users["clerk"]
    ids = orders.orders_in_status(ctx.session, clerk, "paid", column="paid_at", ready=True)
    if ids:
        routing.route_orders(ctx.session, clerk, ids)
        orders.approve_orders(ctx.session, clerk, ids, on_short="skip")


def aftersales_day(ctx: DemoContext, day: dt.date) -> None:
    """11:00: cancellations and refunds (with or without returns) that come in today."""
    plan = ctx.data["plan"].pop(day, [])
    ids = {p.key: ctx.data["planned_ids"].pop(p.key, None) for p in plan}
    stmt = select(Order.id, Order.status, Order.paid_amount, Order.refunded_amount, Order.currency).where(
        Order.id.in_(sorted(i for i in ids.values() if i))
    )
    found = {row.id: row for row in ctx.session.connection().execute(stmt)}
    cancels, refunds = [], []
    for planned in plan:
        oid = ids[planned.key]
        if oid not in found or found[oid].refunded_amount:
            continue
        order = found[oid]
        paid, fraction, with_return = order.paid_amount, planned.fraction, planned.with_return
        if order.status in ("paid", "approved"):
            if planned.kind == "cancel":
                cancels.append(oid)
            else:
                refunds.append(aftersales.RefundDraft(oid, paid, reason="买家申请退款（未发货）"))
        elif planned.kind == "refund" and order.status in ("shipped", "finished"):
            amount = paid if fraction == 1 else round_money(paid * fraction, order.currency)
            reason = "退货退款" if with_return else "仅退款（质量问题补偿）" if fraction < 1 else "仅退款"
            refunds.append(
                aftersales.RefundDraft(oid, amount, with_return=with_return and fraction == 1, reason=reason)
            )
    if cancels:
        orders.cancel_orders(ctx.session, ctx.users["clerk"], cancels, reason="买家取消")
    if refunds:
        aftersales.refund_orders(ctx.session, ctx.users["clerk"], refunds)


def ship_day(ctx: DemoContext, day: dt.date) -> None:
    """16:00: the warehouse ships every approved order."""
    ids = orders.orders_in_status(ctx.session, ctx.users["warehouse"], "approved", column="approved_at")
    if ids:
        orders.ship_orders(ctx.session, ctx.users["warehouse"], ids)


def finish_day(ctx: DemoContext, day: dt.date) -> None:
    """22:00 on Sundays: orders shipped ten days ago or more are confirmed (the platform's weekly
    settlement report says so; one batch a week instead of seven)."""
    if day.weekday() != 6 and day != ctx.end:
        return
    clerk = ctx.users["clerk"]
    cutoff = ctx.at(day - dt.timedelta(days=10), 22 * 60)
    ids = orders.orders_in_status(ctx.session, clerk, "shipped", before=cutoff, column="shipped_at")
    if ids:
        orders.finish_orders(ctx.session, clerk, ids)


STEP = DemoStep(
    "orders",
    setup,
    daily=(
        (9 * 60 + 30, pipeline.morning_day),
        (10 * 60, approve_day),
        (11 * 60, aftersales_day),
        (11 * 60 + 30, pipeline.cases_day),
        (16 * 60, ship_day),
        (22 * 60, finish_day),
        (23 * 60 + 30, import_day),
    ),
)
