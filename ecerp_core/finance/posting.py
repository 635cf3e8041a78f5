"""Automatic posting: the subscriber of :mod:`ecerp_core.events`.

:func:`handle` posts each business event exactly once (its key goes into ``fin_posted_event`` in
the event's own transaction). Events of one kind on one day become one entry whose lines add up
the day's documents per account and dimension, so a day of 10,000 shipments is one voucher and a
few set-based inserts; ``fin_posted_event`` keeps the link from every document to its entry.
A failure raises a named error, so the event's transaction rolls back with it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor
from ecerp_core.catalog.company import get_company
from ecerp_core.db import insert_rows
from ecerp_core.errors import EcerpError, NotFound
from ecerp_core.events import BusinessEvent
from ecerp_core.finance.chart import ensure_chart
from ecerp_core.finance.exceptions import MissingRate, PostingFailed
from ecerp_core.finance.journal import EntryDraft, LineDraft, merge_lines, post_entries
from ecerp_core.finance.models import PostedEvent
from ecerp_core.finance.rules import RuleBook, split_inclusive, vat_rate_for
from ecerp_core.i18n import t
from ecerp_core.money import round_money

ZERO = Decimal("0")
CHUNK = 500


class _Ctx:
    """What the line builders share within one batch: rules, base currency, rates, shipped orders."""

    def __init__(self, session: Session) -> None:
        company = get_company(session)
        self.session, self.base, self.vat = session, company.base_currency, company.vat_rate
        self.rules = RuleBook(session)
        self._rates: dict[tuple[str, dt.date], Decimal] = {}
        self.shipped_orders: set[int] = set()

    def rate(self, currency: str, day: dt.date) -> Decimal:
        if currency == self.base:
            return Decimal(1)
        if (currency, day) not in self._rates:
            from ecerp_core.catalog.company import rate_on

            try:
                self._rates[(currency, day)] = rate_on(self.session, currency, day)
            except NotFound:
                raise MissingRate(currency=currency, date=day.isoformat()) from None
        return self._rates[(currency, day)]

    def acct(self, kind: str, role: str, platform: str | None = None, currency: str | None = None) -> str:
        return self.rules.account(kind, role, platform, currency)


Info = dict  # per event: currency, receivable, receivable_base, value_base


def _d(value: object) -> Decimal:
    return ZERO if value is None else Decimal(str(value))


def _sale(c: _Ctx, e: BusinessEvent, sign: int) -> tuple[list[LineDraft], Info]:
    """sale.shipped (sign +1) and the money side of sale.refunded (sign −1)."""
    d, kind = e.data, e.kind
    cur, platform, shop = d["currency"], d.get("platform"), d.get("shop_id")
    gross = _d(d["goods_amount"]) + _d(d.get("shipping_amount")) if sign > 0 else _d(d["refund_amount"])
    rate = c.rate(cur, e.business_date)
    gross_base = round_money(gross * rate, c.base)
    tax = d.get("tax_amount") if sign > 0 else None
    if tax:
        vat_base = round_money(_d(tax) * rate, c.base)
        net_base = gross_base - vat_base
    else:
        net_base, vat_base = split_inclusive(gross_base, vat_rate_for(platform, c.vat), c.base)
    dims = {"shop_id": shop, "platform": platform}
    s = Decimal(sign)
    lines = [
        _side(c.acct(kind, "receivable", platform, cur), s * gross_base, currency=cur, amount_currency=s * gross, rate=rate, **dims),
        _side(c.acct(kind, "revenue", platform), -s * net_base, **dims),
        _side(c.acct(kind, "output_vat", platform), -s * vat_base, **dims),
    ]  # fmt: skip
    cost = _d(d.get("cost_base"))
    if cost:
        wh = {"warehouse_id": d.get("warehouse_id")}
        lines += [_side(c.acct(kind, "cogs", platform), s * cost, **dims, **wh),
                  _side(c.acct(kind, "inventory", platform), -s * cost, **dims, **wh)]  # fmt: skip
    info = {
        "currency": cur,
        "receivable": s * gross,
        "receivable_base": s * gross_base,
        "value_base": s * cost,
    }
    return lines, info


def _side(code: str, amount: Decimal, *, amount_currency: Decimal | None = None, **kw) -> LineDraft:
    if amount_currency is None and kw.get("currency") is None:
        kw.pop("currency", None)
    line = LineDraft(
        code, debit=max(amount, ZERO), credit=max(-amount, ZERO), amount_currency=amount_currency, **kw
    )
    return line


def _shipped(c: _Ctx, e: BusinessEvent):
    return _sale(c, e, 1)


def _refunded(c: _Ctx, e: BusinessEvent):
    if e.data.get("order_id") not in c.shipped_orders:
        return [], {"value_base": ZERO}  # refunded before shipping: nothing was booked
    lines, info = _sale(c, e, -1)
    d, platform = e.data, e.data.get("platform")
    lines = [
        x
        for x in lines
        if x.account_code not in (c.acct(e.kind, "cogs", platform), c.acct(e.kind, "inventory", platform))
    ]
    back, damaged = _d(d.get("cost_base")), _d(d.get("damaged_cost_base"))
    dims = {"shop_id": d.get("shop_id"), "platform": platform, "warehouse_id": d.get("warehouse_id")}
    if back:
        lines += [_side(c.acct(e.kind, "inventory", platform), back, **dims),
                  _side(c.acct(e.kind, "cogs", platform), -back, **dims)]  # fmt: skip
    if damaged:
        lines += [_side(c.acct(e.kind, "damaged", platform), damaged, **dims),
                  _side(c.acct(e.kind, "cogs", platform), -damaged, **dims)]  # fmt: skip
    info["value_base"] = back
    return lines, info


def _purchase(c: _Ctx, e: BusinessEvent, sign: int):
    d, kind = e.data, e.kind
    cur, rate = d["currency"], _d(d.get("rate")) or c.rate(d["currency"], e.business_date)
    amount, tax, value = _d(d.get("amount")), _d(d.get("tax_amount")), _d(d.get("value_base"))
    amount_base, tax_base = round_money(amount * rate, c.base), round_money(tax * rate, c.base)
    s = Decimal(sign)
    dims = {"supplier_id": d.get("supplier_id")}
    lines = [
        _side(c.acct(kind, "inventory"), s * value, warehouse_id=d.get("warehouse_id")),
        _side(c.acct(kind, "input_vat"), s * tax_base),
        _side(c.acct(kind, "payable"), -s * (amount_base + tax_base), currency=cur, amount_currency=-s * (amount + tax), rate=rate, **dims),
    ]  # fmt: skip
    rest = value - amount_base  # landed cost on receipt; price difference on return
    if rest:
        role = "landed" if sign > 0 else "price_difference"
        lines.append(_side(c.acct(kind, role), -s * rest))
    return lines, {"currency": cur, "value_base": s * value}


def _inventory_change(
    c: _Ctx, e: BusinessEvent, gain: Decimal, loss: Decimal, gain_role: str, loss_role: str
):
    wh = {"warehouse_id": e.data.get("warehouse_id")}
    inv = c.acct(e.kind, "inventory")
    lines = []
    if gain:
        lines += [_side(inv, gain, **wh), _side(c.acct(e.kind, gain_role), -gain, **wh)]
    if loss:
        lines += [_side(c.acct(e.kind, loss_role), loss, **wh), _side(inv, -loss, **wh)]
    return lines, {"value_base": gain - loss}


def _adjusted(c: _Ctx, e: BusinessEvent):
    value = _d(e.data.get("value_base"))
    reason = str(e.data.get("reason") or "")
    opening = "期初" in reason or "opening" in reason.lower()
    gain_role = "opening" if opening else "gain"
    return _inventory_change(
        c, e, max(value, ZERO), max(-value, ZERO), gain_role, "opening" if opening else "loss"
    )


def _counted(c: _Ctx, e: BusinessEvent):
    return _inventory_change(c, e, _d(e.data.get("gain_base")), _d(e.data.get("loss_base")), "gain", "loss")


def _transferred(c: _Ctx, e: BusinessEvent):
    d, inv = e.data, c.acct(e.kind, "inventory")
    value, lost = _d(d.get("value_base")), _d(d.get("discrepancy_base"))
    lines = [_side(inv, -value, warehouse_id=d.get("from_warehouse_id")),
             _side(inv, value - lost, warehouse_id=d.get("to_warehouse_id"))]  # fmt: skip
    if lost:
        lines.append(_side(c.acct(e.kind, "transit_loss"), lost, warehouse_id=d.get("to_warehouse_id")))
    return lines, {"value_base": -lost}


BUILDERS: dict[str, Callable[[_Ctx, BusinessEvent], tuple[list[LineDraft], Info]]] = {
    "sale.shipped": _shipped,
    "sale.refunded": _refunded,
    "stock.received": lambda c, e: _purchase(c, e, 1),
    "purchase.returned": lambda c, e: _purchase(c, e, -1),
    "stock.adjusted": _adjusted,
    "stock.counted": _counted,
    "stock.transferred": _transferred,
}


def _already_posted(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(session.scalars(select(PostedEvent.key).where(PostedEvent.key.in_(keys[i : i + CHUNK]))))
    return found


def _shipped_orders(session: Session, events: list[BusinessEvent]) -> set[int]:
    from ecerp_core.orders.models import Order

    ids = sorted({e.data.get("order_id") for e in events if e.kind == "sale.refunded"} - {None})
    found: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        found.update(
            session.scalars(
                select(Order.id).where(Order.id.in_(ids[i : i + CHUNK]), Order.shipped_at.is_not(None))
            )
        )
    return found


def post_events(session: Session, actor: Actor, events: Sequence[BusinessEvent]) -> int:
    """Post the events not posted yet; returns the number of entries written."""
    seen: set[str] = set()
    fresh = []
    done = _already_posted(session, sorted({e.key for e in events}))
    for e in events:
        if e.key not in done and e.key not in seen:
            seen.add(e.key)
            fresh.append(e)
    if not fresh:
        return 0
    ensure_chart(session)
    c = _Ctx(session)
    c.shipped_orders = _shipped_orders(session, fresh)
    groups: dict[tuple[dt.date, str], list[BusinessEvent]] = defaultdict(list)
    for e in fresh:
        groups[(e.business_date, e.kind)].append(e)
    drafts, members = [], []
    for (day, kind), group in sorted(groups.items()):
        lines, infos = [], []
        for e in group:
            got, info = BUILDERS[kind](c, e)
            lines += got
            infos.append((e, info, bool(got)))
        merged = merge_lines(lines)
        if merged:
            one = len(group) == 1
            drafts.append(EntryDraft(day, kind, merged, memo=t("finance.memo.batch", kind=t(f"finance.kind.{kind}"), count=len(group)),
                                     source_type=group[0].source_type if one else "batch",
                                     source_id=group[0].source_id if one else None))  # fmt: skip
        members.append((bool(merged), infos))
    posted = iter(post_entries(session, actor, drafts))
    rows = []
    for has_entry, infos in members:
        entry_id = next(posted)[0] if has_entry else None
        for e, info, booked in infos:
            rows.append({"key": e.key, "kind": e.kind, "source_type": e.source_type, "source_id": e.source_id,
                         "business_date": e.business_date, "entry_id": entry_id if booked else None,
                         "currency": info.get("currency"), "receivable": info.get("receivable", ZERO),
                         "receivable_base": info.get("receivable_base", ZERO), "value_base": info.get("value_base", ZERO)})  # fmt: skip
    insert_rows(session, PostedEvent, rows)
    return len(drafts)


DEFER = "ecerp.finance.deferred"


def defer_posting(session: Session) -> None:
    """Collect this session's events instead of posting each call (bulk builds such as the demo).

    :func:`flush_deferred` posts what was collected, in the same transaction; nothing is lost
    because the session's transaction still holds both the events and their postings.
    """
    session.info.setdefault(DEFER, [])


def flush_deferred(session: Session, actor: Actor, *, stop: bool = False) -> int:
    """Post the collected events; with ``stop`` go back to posting on every emit."""
    pending = session.info.get(DEFER) or []
    session.info[DEFER] = []
    if stop:
        session.info.pop(DEFER, None)
    return post_events(session, actor, pending) if pending else 0


def handle(session: Session, actor: Actor, events: Sequence[BusinessEvent]) -> None:
    """The subscriber entry point (see :data:`ecerp_core.events.SUBSCRIBERS`)."""
    if DEFER in session.info:
        session.info[DEFER].extend(events)
        return
    try:
        post_events(session, actor, events)
    except EcerpError:
        raise
    except Exception as exc:  # anything else still stops the event, with a named error
        first = events[0] if events else None
        raise PostingFailed(kind=first.kind if first else "", key=first.key if first else "",
                            reason=f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
