"""Platform settlement (对账): import a settlement or payout file, match its lines to orders,
post fees, commissions and subsidies, clear the platform receivable to the bank, keep the lines
that do not match (with the reason) in a suspense account until someone resolves them.

A sale line matches when the order exists on that platform, its shipment was posted, the amount
equals the receivable booked for it and it was not settled before. The receivable is cleared at
the base amount booked when it arose; the bank gets the payout at the settlement day's rate; the
difference is realized exchange gain or loss (660301).
"""

from __future__ import annotations

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
from ecerp_core.errors import NotFound
from ecerp_core.events import SaleRefunded, SaleShipped
from ecerp_core.finance.exceptions import MissingRate, PostingFailed
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entries, signed
from ecerp_core.finance.memos import memo as stored
from ecerp_core.finance.models import PostedEvent, Settlement, SettlementLine
from ecerp_core.finance.rules import RuleBook
from ecerp_core.finance.settlement_formats import SettlementRow, format_for, read_settlement
from ecerp_core.i18n import t
from ecerp_core.money import round_money
from ecerp_core.orders.models import Order

ZERO = Decimal("0")
SUSPENSE = "2241"  # 其他应付款: money received that no order explains yet
CHUNK = 500


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


def settle_rows(
    session: Session, actor: Actor, platform: str, rows: list[SettlementRow], *, reference: str
) -> Settlement:
    """Match and post canonical settlement rows (the file readers and the demo both come here)."""
    require(actor, "finance.post")
    fmt = format_for(platform)
    if session.scalar(
        select(Settlement.id).where(Settlement.platform == fmt.platform, Settlement.reference == reference)
    ):
        raise PostingFailed("error.finance.duplicate_settlement", reference=reference)
    base = get_company(session).base_currency
    day = max((r.business_date for r in rows), default=None)
    if day is None:
        raise PostingFailed("error.finance.settlement_columns", file=reference, columns="-")
    cur = fmt.currency

    try:
        rate = rate_on(session, cur, day)
    except NotFound:
        raise MissingRate(currency=cur, date=day.isoformat()) from None
    ids = sorted({r.platform_order_id for r in rows if r.platform_order_id})
    orders = _orders(session, fmt.order_platforms, ids)
    order_ids = sorted({ref.order_id for ref in orders.values()})
    booked, settled = _booked(session, order_ids), _settled(session, order_ids)
    book = RuleBook(session)
    lines: list[LineDraft] = []
    out_rows, seen = [], set()
    totals = defaultdict(lambda: ZERO)
    for r in rows:
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
                    book.account("settlement", r.line_type, platform), -amount_base, memo=r.platform_order_id
                )
            )
        totals["gross" if r.line_type in ("sale", "refund") else "fees"] += r.amount
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
            }
        )
    net = totals["gross"] + totals["fees"]
    net_base = round_money(net * rate, base)
    lines.append(
        signed(
            book.account("settlement", "bank", currency=cur),
            net_base,
            currency=cur,
            amount_currency=net,
            rate=rate,
        )
    )
    diff = sum((x.credit - x.debit for x in lines), ZERO)
    if diff:
        realized = stored("finance.memo.realized_fx", reference=reference)
        lines.append(signed(book.account("settlement", "fx"), diff, memo=realized))
    settlement = Settlement(
        platform=fmt.platform,
        reference=reference,
        settlement_date=day,
        currency=cur,
        gross=totals["gross"],
        fees=totals["fees"],
        net=net,
        matched_lines=sum(1 for x in out_rows if x["status"] == "matched"),
        unmatched_lines=sum(1 for x in out_rows if x["status"] == "unmatched"),
    )
    session.add(settlement)
    session.flush()
    draft = EntryDraft(
        day,
        "settlement",
        tuple(lines),
        memo=stored("finance.memo.settlement", platform=fmt.platform, reference=reference),
        source_type="fin_settlement",
        source_id=settlement.id,
    )
    [posted] = post_entries(session, actor, [draft])
    settlement.entry_id = posted.id
    session.execute(
        insert(SettlementLine.__table__), [{**x, "settlement_id": settlement.id} for x in out_rows]
    )
    audit.record(
        session,
        actor,
        "import",
        "fin_settlement",
        reference,
        {"platform": fmt.platform, "net": net, "unmatched": settlement.unmatched_lines},
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
                SettlementLine.id.in_(line_ids), SettlementLine.status == "unmatched"
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
            select(Settlement).where(Settlement.id.in_({x.settlement_id for x in found}))
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
