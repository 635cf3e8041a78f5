"""Automatic posting: finance's subscriber to :mod:`ecerp_core.events` (connected in
:mod:`ecerp_core.wiring`).

:func:`handle` posts each business event exactly once (its key goes into ``fin_posted_event`` in
the event's own transaction). Events of one kind on one day become one entry whose lines add up
the day's documents per account and dimension, so a day of 10,000 shipments is one voucher and a
few set-based inserts; ``fin_posted_event`` keeps the link from every document to its entry, and
for sales and refunds the order it concerns — finance's own record of what it booked, which
refunds and settlement read instead of the orders' tables.
A failure raises a named error, so the event's transaction rolls back with it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core.auth import EVENT_POSTERS, Actor, require, require_any
from ecerp_core.catalog.company import get_company, rate_on
from ecerp_core.db import insert_rows
from ecerp_core.errors import EcerpError, NotFound
from ecerp_core.events import (
    BusinessEvent,
    PurchaseReturned,
    SaleRefunded,
    SaleShipped,
    StockAdjusted,
    StockCounted,
    StockReceived,
    StockTransferred,
)
from ecerp_core.finance.chart import ensure_chart
from ecerp_core.finance.exceptions import MissingRate, PostingFailed
from ecerp_core.finance.journal import EntryDraft, LineDraft, merge_lines, post_entries
from ecerp_core.finance.memos import memo as stored
from ecerp_core.finance.models import JournalEntry, PostedEvent
from ecerp_core.finance.rules import RuleBook, split_inclusive, tax_role, vat_rate_for
from ecerp_core.money import round_money

ZERO = Decimal("0")
CHUNK = 500


@dataclass(frozen=True)
class Booked:
    """What posting one event booked, kept in ``fin_posted_event``: the receivable it moved (in the
    event's currency and in base) and what inventory changed by, in base."""

    currency: str | None = None
    receivable: Decimal = ZERO
    receivable_base: Decimal = ZERO
    value_base: Decimal = ZERO


class _Ctx:
    """What the line builders share within one batch: rules, base currency, rates, shipped orders."""

    def __init__(self, session: Session, shipped_orders: set[int]) -> None:
        company = get_company(session)
        self.session, self.base, self.vat = session, company.base_currency, company.vat_rate
        self.rules = RuleBook(session)
        self._rates: dict[tuple[str, dt.date], Decimal] = {}
        self.shipped_orders = shipped_orders

    def rate(self, currency: str, day: dt.date) -> Decimal:
        if currency == self.base:
            return Decimal(1)
        if (currency, day) not in self._rates:
            try:
                self._rates[(currency, day)] = rate_on(self.session, currency, day)
            except NotFound:
                raise MissingRate(currency=currency, date=day.isoformat()) from None
        return self._rates[(currency, day)]

    def acct(self, kind: str, role: str, platform: str | None = None, currency: str | None = None) -> str:
        return self.rules.account(kind, role, platform, currency)


def _side(code: str, amount: Decimal, *, amount_currency: Decimal | None = None, **dims) -> LineDraft:
    """A line of ``amount`` (positive: debit, negative: credit) on account ``code``."""
    if amount_currency is None:
        dims.pop("currency", None)
    return LineDraft(
        code,
        debit=max(amount, ZERO),
        credit=max(-amount, ZERO),
        amount_currency=amount_currency,
        **dims,
    )


def _sale_money(c: _Ctx, e: SaleShipped | SaleRefunded, gross: Decimal, tax: Decimal | None, sign: int):
    """Receivable, revenue and tax of a sale (sign +1) or of a refund's money (sign −1).

    The tax is output VAT (销项税额) for a Chinese platform; the sales tax or VAT a foreign platform
    collects from the buyer is not Chinese VAT but money held for a foreign tax office
    (``collected_tax``, 应交税费-代收境外销售税), and a refund gives it back from there.
    """
    rate = c.rate(e.currency, e.business_date)
    gross_base = round_money(gross * rate, c.base)
    if tax is not None:
        vat_base = round_money(tax * rate, c.base)
        net_base = gross_base - vat_base
    else:
        net_base, vat_base = split_inclusive(gross_base, vat_rate_for(e.platform, c.vat), c.base)
    dims = {"shop_id": e.shop_id, "platform": e.platform}
    s = Decimal(sign)
    receivable = c.acct(e.kind, "receivable", e.platform, e.currency)
    lines = [
        _side(receivable, s * gross_base, currency=e.currency, amount_currency=s * gross, rate=rate, **dims),
        _side(c.acct(e.kind, "revenue", e.platform), -s * net_base, **dims),
        _side(c.acct(e.kind, tax_role(e.platform), e.platform), -s * vat_base, **dims),
    ]
    return lines, Booked(e.currency, s * gross, s * gross_base), dims


def _shipped(c: _Ctx, e: SaleShipped) -> tuple[list[LineDraft], Booked]:
    lines, booked, dims = _sale_money(c, e, e.goods_amount + e.shipping_amount, e.tax_amount, 1)
    if e.cost_base:
        where = {**dims, "warehouse_id": e.warehouse_id}
        lines += [
            _side(c.acct(e.kind, "cogs", e.platform), e.cost_base, **where),
            _side(c.acct(e.kind, "inventory", e.platform), -e.cost_base, **where),
        ]
    return lines, Booked(booked.currency, booked.receivable, booked.receivable_base, e.cost_base)


def _refunded(c: _Ctx, e: SaleRefunded) -> tuple[list[LineDraft], Booked]:
    if e.order_id not in c.shipped_orders:
        return [], Booked()  # refunded before shipping: nothing was booked
    lines, booked, dims = _sale_money(c, e, e.refund_amount, e.tax_amount, -1)
    inventory, cogs = c.acct(e.kind, "inventory", e.platform), c.acct(e.kind, "cogs", e.platform)
    damaged = c.acct(e.kind, "damaged", e.platform)
    # the cost each returned unit left with comes off 主营业务成本, per warehouse it came back to
    costs: dict[tuple[int | None, bool], Decimal] = defaultdict(Decimal)
    for g in e.returns:
        costs[(g.warehouse_id, g.damaged)] += g.cost
    if not e.returns:
        costs[(e.warehouse_id, False)] += e.cost_base
        costs[(e.warehouse_id, True)] += e.damaged_cost_base
    for (warehouse_id, is_damaged), cost in sorted(costs.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        if cost:
            where = {**dims, "warehouse_id": warehouse_id}
            lines += [_side(damaged if is_damaged else inventory, cost, **where), _side(cogs, -cost, **where)]
    return lines, Booked(booked.currency, booked.receivable, booked.receivable_base, e.cost_base)


def _purchase(c: _Ctx, e: StockReceived | PurchaseReturned, sign: int) -> tuple[list[LineDraft], Booked]:
    amount_base, tax_base = round_money(e.amount * e.rate, c.base), round_money(e.tax_amount * e.rate, c.base)
    s = Decimal(sign)
    payable = c.acct(e.kind, "payable")
    lines = [
        _side(c.acct(e.kind, "inventory"), s * e.value_base, warehouse_id=e.warehouse_id),
        _side(c.acct(e.kind, "input_vat"), s * tax_base),
        _side(
            payable,
            -s * (amount_base + tax_base),
            currency=e.currency,
            amount_currency=-s * (e.amount + e.tax_amount),
            rate=e.rate,
            supplier_id=e.supplier_id,
        ),
    ]
    return lines, Booked(e.currency, value_base=s * e.value_base)


def _received(c: _Ctx, e: StockReceived) -> tuple[list[LineDraft], Booked]:
    lines, booked = _purchase(c, e, 1)
    # inventory is valued line by line at unit costs rounded in base; what that leaves beside the
    # landed cost against the converted invoice is rounding (7 × $1.11 at 7.1234: 55.37 for 55.35)
    rounding = e.value_base - round_money(e.amount * e.rate, c.base) - e.landed_base
    if e.landed_base:
        lines.append(_side(c.acct(e.kind, "landed"), -e.landed_base))
    if rounding:
        lines.append(_side(c.acct(e.kind, "rounding"), -rounding))
    return lines, booked


def _returned(c: _Ctx, e: PurchaseReturned) -> tuple[list[LineDraft], Booked]:
    lines, booked = _purchase(c, e, -1)
    difference = e.value_base - round_money(e.amount * e.rate, c.base)  # price difference on return
    if difference:
        lines.append(_side(c.acct(e.kind, "price_difference"), difference))
    return lines, booked


def _inventory_change(
    c: _Ctx, e: BusinessEvent, warehouse_id: int, gain: Decimal, loss: Decimal, gain_role: str, loss_role: str
) -> tuple[list[LineDraft], Booked]:
    inventory = c.acct(e.kind, "inventory")
    lines = []
    if gain:
        lines += [
            _side(inventory, gain, warehouse_id=warehouse_id),
            _side(c.acct(e.kind, gain_role), -gain, warehouse_id=warehouse_id),
        ]
    if loss:
        lines += [
            _side(c.acct(e.kind, loss_role), loss, warehouse_id=warehouse_id),
            _side(inventory, -loss, warehouse_id=warehouse_id),
        ]
    return lines, Booked(value_base=gain - loss)


def _adjusted(c: _Ctx, e: StockAdjusted) -> tuple[list[LineDraft], Booked]:
    opening = "期初" in e.reason or "opening" in e.reason.lower()
    gain_role, loss_role = ("opening", "opening") if opening else ("gain", "loss")
    gain, loss = max(e.value_base, ZERO), max(-e.value_base, ZERO)
    return _inventory_change(c, e, e.warehouse_id, gain, loss, gain_role, loss_role)


def _counted(c: _Ctx, e: StockCounted) -> tuple[list[LineDraft], Booked]:
    return _inventory_change(c, e, e.warehouse_id, e.gain_base, e.loss_base, "gain", "loss")


def _transferred(c: _Ctx, e: StockTransferred) -> tuple[list[LineDraft], Booked]:
    inventory = c.acct(e.kind, "inventory")
    lines = [
        _side(inventory, -e.value_base, warehouse_id=e.from_warehouse_id),
        _side(inventory, e.value_base - e.discrepancy_base, warehouse_id=e.to_warehouse_id),
    ]
    if e.discrepancy_base:
        lost = c.acct(e.kind, "transit_loss")
        lines.append(_side(lost, e.discrepancy_base, warehouse_id=e.to_warehouse_id))
    return lines, Booked(value_base=-e.discrepancy_base)


Builder = Callable[[_Ctx, BusinessEvent], tuple[list[LineDraft], Booked]]
BUILDERS: dict[type[BusinessEvent], Builder] = {
    SaleShipped: _shipped,
    SaleRefunded: _refunded,
    StockReceived: _received,
    PurchaseReturned: _returned,
    StockAdjusted: _adjusted,
    StockCounted: _counted,
    StockTransferred: _transferred,
}


def _order_of(e: BusinessEvent) -> int | None:
    if isinstance(e, SaleShipped):
        return e.source_id
    if isinstance(e, SaleRefunded):
        return e.order_id
    return None


def _already_posted(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(session.scalars(select(PostedEvent.key).where(PostedEvent.key.in_(keys[i : i + CHUNK]))))
    return found


def _shipped_orders(session: Session, events: list[BusinessEvent]) -> set[int]:
    """The orders among these events' refunds whose shipment finance booked (now or before)."""
    shipping = {e.source_id for e in events if isinstance(e, SaleShipped)}
    wanted = sorted({e.order_id for e in events if isinstance(e, SaleRefunded)} - shipping)
    found = shipping
    for i in range(0, len(wanted), CHUNK):
        stmt = select(PostedEvent.order_id).where(
            PostedEvent.order_id.in_(wanted[i : i + CHUNK]), PostedEvent.kind == SaleShipped.kind
        )
        found |= set(session.scalars(stmt))
    return found


def post_events(session: Session, actor: Actor, events: Sequence[BusinessEvent]) -> int:
    """Post the events not posted yet; returns the number of entries written."""
    require_any(actor, *EVENT_POSTERS)
    done = _already_posted(session, sorted({e.key for e in events}))
    fresh: dict[str, BusinessEvent] = {}
    for e in events:
        if e.key not in done:
            fresh.setdefault(e.key, e)
    if not fresh:
        return 0
    ensure_chart(session)
    c = _Ctx(session, _shipped_orders(session, list(fresh.values())))
    groups: dict[tuple[dt.date, str], list[BusinessEvent]] = defaultdict(list)
    for e in fresh.values():
        groups[(e.business_date, e.kind)].append(e)
    drafts, members = [], []
    for (day, kind), group in sorted(groups.items()):
        lines, booked = [], []
        for e in group:
            got, what = BUILDERS[type(e)](c, e)
            lines += got
            booked.append((e, what, bool(got)))
        merged = merge_lines(lines)
        if merged:
            one = len(group) == 1
            memo = stored("finance.memo.batch", kind=f"finance.kind.{kind}", count=len(group))
            source_type, source_id = (group[0].source_type, group[0].source_id) if one else ("batch", None)
            drafts.append(
                EntryDraft(day, kind, merged, memo=memo, source_type=source_type, source_id=source_id)
            )
        members.append((bool(merged), booked))
    posted = iter(post_entries(session, actor, drafts))
    rows = []
    for has_entry, booked in members:
        entry_id = next(posted).id if has_entry else None
        for e, what, has_lines in booked:
            rows.append(
                {
                    "key": e.key,
                    "kind": e.kind,
                    "source_type": e.source_type,
                    "source_id": e.source_id,
                    "business_date": e.business_date,
                    "entry_id": entry_id if has_lines else None,
                    "order_id": _order_of(e),
                    "currency": what.currency,
                    "receivable": what.receivable,
                    "receivable_base": what.receivable_base,
                    "value_base": what.value_base,
                }
            )
    insert_rows(session, PostedEvent, rows)
    return len(drafts)


def booked_for(
    session: Session, actor: Actor, source_type: str, source_ids: Sequence[int]
) -> dict[int, dict]:
    """What finance booked for these documents, from its own record: ``{source_id: {entry_number,
    currency, receivable, receivable_base, value_base}}``. A document whose event booked nothing (a
    refund before shipping) has ``entry_number`` None; one not posted is missing."""
    require(actor, "finance.read")
    ids = sorted(set(source_ids))
    out: dict[int, dict] = {}
    for i in range(0, len(ids), CHUNK):
        stmt = (
            select(
                PostedEvent.source_id,
                JournalEntry.entry_number,
                PostedEvent.currency,
                PostedEvent.receivable,
                PostedEvent.receivable_base,
                PostedEvent.value_base,
            )
            .outerjoin(JournalEntry, JournalEntry.id == PostedEvent.entry_id)
            .where(PostedEvent.source_type == source_type, PostedEvent.source_id.in_(ids[i : i + CHUNK]))
        )
        for row in session.execute(stmt).mappings():
            out[row["source_id"]] = {k: v for k, v in row.items() if k != "source_id"}
    return out


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
    """The subscriber: post ``events`` now, or collect them while posting is deferred."""
    if DEFER in session.info:
        session.info[DEFER].extend(events)
        return
    try:
        post_events(session, actor, events)
    except EcerpError:
        raise
    except Exception as exc:  # anything else still stops the event, with a named error
        first = events[0] if events else None
        raise PostingFailed(
            kind=first.kind if first else "",
            key=first.key if first else "",
            reason=f"{type(exc).__name__}: {exc}",
        ) from exc
