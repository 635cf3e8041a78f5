"""Platform settlement (对账): import a settlement or payout file, match its lines to orders,
post fees, commissions and subsidies, clear the platform receivable to the bank, keep the lines
that do not match (with the reason) in a suspense account until someone resolves them.

A sale line matches when the order exists on that platform, its shipment was posted, the amount
equals the receivable booked for it and it was not settled before. The receivable is cleared at
the base amount booked when it arose; the bank gets the payout at the settlement day's rate; the
difference is realized exchange gain or loss (660301).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import get_company, rate_on
from ecerp_core.catalog.models import Shop
from ecerp_core.db import among
from ecerp_core.errors import NotFound
from ecerp_core.events import SaleRefunded, SaleShipped
from ecerp_core.finance.exceptions import MissingRate, PostingFailed, SettlementUnchanged
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entries, signed
from ecerp_core.finance.memos import memo as stored
from ecerp_core.finance.models import PostedEvent, Settlement, SettlementLine
from ecerp_core.finance.periods import refuse_closed
from ecerp_core.finance.rules import RuleBook
from ecerp_core.finance.settlement_formats import SettlementRow, format_for, read_settlement
from ecerp_core.i18n import t
from ecerp_core.money import round_money
from ecerp_core.orders.models import Order

ZERO = Decimal("0")
SUSPENSE = "2241"  # 其他应付款: money received that no order explains yet
CHUNK = 500
REFERENCE_LENGTH = 120
"""The longest settlement reference kept (``fin_settlement.reference``)."""


class _OrderRef(NamedTuple):
    """The order a settlement line names."""

    order_id: int
    platform: str


class _Booked(NamedTuple):
    """The receivable finance booked for an order's sale or refunds, in its currency and in base."""

    amount: Decimal
    base: Decimal


def _orders(session: Session, platforms: tuple[str, ...], ids: list[str]) -> dict[str, _OrderRef]:
    found: dict[str, _OrderRef] = {}
    # every order has a shop: naming them lets the (shop_id, platform_order_id) key be used (was a scan)
    any_shop = select(Shop.id).scalar_subquery()
    for i in range(0, len(ids), CHUNK):
        stmt = select(Order.platform_order_id, Order.id, Order.platform).where(
            Order.platform.in_(platforms),
            Order.platform_order_id.in_(ids[i : i + CHUNK]),
            Order.shop_id.in_(any_shop),
        )
        for row in session.execute(stmt):
            found[row.platform_order_id] = _OrderRef(row.id, row.platform)
    return found


def _booked(session: Session, order_ids: list[int]) -> dict[tuple[int, str], _Booked]:
    """(order id, kind) → (receivable in currency, in base) booked by posted sales and refunds."""
    out: dict[tuple[int, str], _Booked] = {}
    for i in range(0, len(order_ids), CHUNK):
        chunk = order_ids[i : i + CHUNK]
        shipped = select(PostedEvent.order_id, PostedEvent.receivable, PostedEvent.receivable_base).where(
            PostedEvent.kind == SaleShipped.kind, PostedEvent.order_id.in_(chunk)
        )
        for row in session.execute(shipped):
            out[(row.order_id, "sale")] = _Booked(Decimal(row.receivable), Decimal(row.receivable_base))
        refunds = (
            select(
                PostedEvent.order_id,
                func.sum(PostedEvent.receivable).label("receivable"),
                func.sum(PostedEvent.receivable_base).label("receivable_base"),
            )
            .where(
                PostedEvent.kind == SaleRefunded.kind,
                PostedEvent.source_type == "sales_order_refund",
                PostedEvent.order_id.in_(chunk),
                PostedEvent.entry_id.is_not(None),
            )
            .group_by(PostedEvent.order_id)
        )
        for row in session.execute(refunds):
            out[(row.order_id, "refund")] = _Booked(Decimal(row.receivable), Decimal(row.receivable_base))
    return out


def _settled(session: Session, order_ids: list[int]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for i in range(0, len(order_ids), CHUNK):
        found.update(
            session.execute(
                select(SettlementLine.order_id, SettlementLine.line_type).where(
                    SettlementLine.order_id.in_(order_ids[i : i + CHUNK]), SettlementLine.status == "matched"
                )
            ).all()
        )
    return found


def import_settlement(
    session: Session, actor: Actor, platform: str, path: Path | str, *, reference: str | None = None
) -> Settlement:
    """Import one settlement file of ``platform`` (``alipay``/``taobao``, ``jd``, ``pdd``, ``shopify``)."""
    require(actor, "finance.post")
    fmt = format_for(platform)
    path = Path(path)
    rows = read_settlement(fmt, path)
    return settle_rows(session, actor, fmt.platform, rows, reference=reference or path.stem)


def line_keys(platform: str, rows: list[SettlementRow]) -> list[str]:
    """Each row's natural key: what the line is, whatever the file is called — platform, type,
    order, amount, day, and how many identical lines came before it in the same file (two equal fees
    of one order on one day are two lines)."""
    seen: dict[tuple, int] = defaultdict(int)
    keys = []
    for r in rows:
        what = (platform, r.line_type, r.platform_order_id, str(r.amount), r.business_date.isoformat())
        seen[what] += 1
        keys.append(hashlib.sha256("|".join((*what, str(seen[what]))).encode()).hexdigest())
    return keys


def _known_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(
            session.scalars(
                select(SettlementLine.natural_key).where(SettlementLine.natural_key.in_(keys[i : i + CHUNK]))
            )
        )
    return found


def settle_rows(
    session: Session, actor: Actor, platform: str, rows: list[SettlementRow], *, reference: str
) -> Settlement:
    """Match and post canonical settlement rows (the file readers and the demo both come here).

    Lines imported before (their natural key, :func:`line_keys`, is known) are skipped, so the same
    file under another name posts nothing again: when every line is known, :class:`SettlementUnchanged`
    says so. Each month's lines are posted in an entry of their own month (dated its last line's day,
    at that day's rate); a line in a closed month refuses the whole settlement (:class:`PeriodClosed`
    names the month), because a payout is posted whole or not at all.
    """
    require(actor, "finance.post")
    fmt = format_for(platform)
    reference = reference.strip()[:REFERENCE_LENGTH] or "-"  # a file's name may be longer than the column
    if not rows:
        raise PostingFailed("error.finance.settlement_columns", file=reference, columns="-")
    keys = line_keys(fmt.platform, rows)
    known = _known_keys(session, keys)
    fresh = [(r, k) for r, k in zip(rows, keys, strict=True) if k not in known]
    if not fresh:
        raise SettlementUnchanged(reference=reference, lines=len(rows))
    if session.scalar(
        select(Settlement.id).where(Settlement.platform == fmt.platform, Settlement.reference == reference)
    ):
        raise PostingFailed("error.finance.duplicate_settlement", reference=reference)
    base = get_company(session).base_currency
    cur = fmt.currency
    months: dict[tuple[int, int], list[tuple[SettlementRow, str]]] = defaultdict(list)
    for r, k in fresh:
        months[(r.business_date.year, r.business_date.month)].append((r, k))
    days = {month: max(r.business_date for r, _ in group) for month, group in months.items()}
    for day in sorted(days.values()):
        refuse_closed(session, day)
    rates = {}
    for month, day in days.items():
        try:
            rates[month] = rate_on(session, cur, day)
        except NotFound:
            raise MissingRate(currency=cur, date=day.isoformat()) from None
    ids = sorted({r.platform_order_id for r, _ in fresh if r.platform_order_id})
    orders = _orders(session, fmt.order_platforms, ids)
    order_ids = sorted({ref.order_id for ref in orders.values()})
    booked, settled = _booked(session, order_ids), _settled(session, order_ids)
    book = RuleBook(session)
    out_rows, seen = [], set()
    totals = defaultdict(lambda: ZERO)
    drafts: list[tuple[dt.date, list[LineDraft]]] = []
    for month in sorted(months):
        rate, lines = rates[month], []
        month_net = ZERO
        for r, key in months[month]:
            status, reason, order_id = "matched", "", None
            amount_base = round_money(r.amount * rate, base)
            if r.line_type in ("sale", "refund"):
                ref = orders.get(r.platform_order_id)
                order_id = ref.order_id if ref else None
                got = booked.get((order_id, r.line_type)) if order_id else None
                if ref is None:
                    reason = "no_order"
                elif got is None:
                    reason = "not_shipped"
                elif (order_id, r.line_type) in settled or (order_id, r.line_type) in seen:
                    reason = "already_settled"
                elif got.amount != r.amount:
                    reason = "amount_mismatch"
                if reason:
                    status = "unmatched"
                    why = stored(
                        "finance.memo.suspense", order=r.platform_order_id, reason=f"finance.reason.{reason}"
                    )
                    lines.append(signed(SUSPENSE, -amount_base, memo=why))
                else:
                    seen.add((order_id, r.line_type))
                    receivable = book.account("settlement", "receivable", ref.platform)
                    lines.append(
                        signed(
                            receivable,
                            -got.base,
                            currency=cur,
                            amount_currency=-got.amount,
                            rate=rate,
                            platform=ref.platform,
                        )
                    )
            else:
                lines.append(
                    signed(
                        book.account("settlement", r.line_type, platform),
                        -amount_base,
                        memo=r.platform_order_id,
                    )
                )
            totals["gross" if r.line_type in ("sale", "refund") else "fees"] += r.amount
            month_net += r.amount
            out_rows.append(
                {
                    "line_no": r.line_no,
                    "line_type": r.line_type,
                    "platform_order_id": r.platform_order_id,
                    "order_id": order_id,
                    "amount": r.amount,
                    "business_date": r.business_date,
                    "status": status,
                    "reason": reason,
                    "natural_key": key,
                }
            )
        lines.append(
            signed(
                book.account("settlement", "bank", currency=cur),
                round_money(month_net * rate, base),
                currency=cur,
                amount_currency=month_net,
                rate=rate,
            )
        )
        diff = sum((x.credit - x.debit for x in lines), ZERO)
        if diff:
            realized = stored("finance.memo.realized_fx", reference=reference)
            lines.append(signed(book.account("settlement", "fx"), diff, memo=realized))
        drafts.append((days[month], lines))
    net = totals["gross"] + totals["fees"]
    settlement = Settlement(
        platform=fmt.platform,
        reference=reference,
        settlement_date=max(days.values()),
        currency=cur,
        gross=totals["gross"],
        fees=totals["fees"],
        net=net,
        matched_lines=sum(1 for x in out_rows if x["status"] == "matched"),
        unmatched_lines=sum(1 for x in out_rows if x["status"] == "unmatched"),
        known_lines=len(rows) - len(fresh),
    )
    session.add(settlement)
    session.flush()
    memo_text = stored("finance.memo.settlement", platform=fmt.platform, reference=reference)
    posted = post_entries(
        session,
        actor,
        [
            EntryDraft(
                day,
                "settlement",
                tuple(lines),
                memo=memo_text,
                source_type="fin_settlement",
                source_id=settlement.id,
            )
            for day, lines in drafts
        ],
    )
    settlement.entry_id = posted[-1].id  # the last month's entry; every one has the settlement as source
    session.execute(
        insert(SettlementLine.__table__), [{**x, "settlement_id": settlement.id} for x in out_rows]
    )
    audit.record(
        session,
        actor,
        "import",
        "fin_settlement",
        reference,
        {
            "platform": fmt.platform,
            "net": net,
            "unmatched": settlement.unmatched_lines,
            "known": settlement.known_lines,
            "entries": len(posted),
        },
    )
    return settlement


def unmatched_lines(session: Session, platform: str | None = None) -> list[dict]:
    """The settlement lines waiting in suspense, with their reason (for the close checklist)."""
    stmt = (
        select(SettlementLine, Settlement.platform, Settlement.reference)
        .join(Settlement, Settlement.id == SettlementLine.settlement_id)
        .where(SettlementLine.status == "unmatched")
        .order_by(SettlementLine.business_date, SettlementLine.id)
    )
    if platform:
        stmt = stmt.where(Settlement.platform == format_for(platform).platform)
    return [
        {
            "id": x.id,
            "platform": p,
            "reference": ref,
            "line_no": x.line_no,
            "line_type": x.line_type,
            "platform_order_id": x.platform_order_id,
            "amount": x.amount,
            "business_date": x.business_date,
            "reason": x.reason,
            "reason_text": t(f"finance.reason.{x.reason}"),
        }
        for x, p, ref in session.execute(stmt)
    ]


def write_off_unmatched(
    session: Session, actor: Actor, line_ids: list[int], account_code: str = "6051"
) -> int:
    """Resolve unmatched lines by moving them out of suspense to ``account_code`` (one entry)."""
    require(actor, "finance.post")
    found = list(
        session.scalars(
            select(SettlementLine).where(
                among(session, SettlementLine.id, line_ids), SettlementLine.status == "unmatched"
            )
        )
    )
    if not found:
        return 0
    base = get_company(session).base_currency
    day = max(x.business_date for x in found)
    settlements = {
        s.id: s
        for s in session.scalars(
            select(Settlement).where(among(session, Settlement.id, {x.settlement_id for x in found}))
        )
    }

    total = sum(
        (
            round_money(
                x.amount * rate_on(session, settlements[x.settlement_id].currency, x.business_date), base
            )
            for x in found
        ),
        ZERO,
    )
    draft = EntryDraft(
        day, "settlement", (signed(SUSPENSE, total), signed(account_code, -total)), memo="结算差异处理"
    )
    post_entries(session, actor, [draft])
    for x in found:
        x.status = "resolved"
    audit.record(
        session,
        actor,
        "resolve",
        "fin_settlement_line",
        ",".join(str(x.id) for x in found),
        {"account": account_code},
    )
    return len(found)
