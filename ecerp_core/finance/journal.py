"""The journal (凭证): post balanced entries, reverse them; nothing posted is ever changed.

Entries cross the service boundary as frozen :class:`EntryDraft` values. :func:`post_entries` is
batch-first: it checks every draft (listing every problem), numbers them without gaps per period
(the period row's counter, locked in this transaction), and writes entries and lines with two
set-based inserts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core import audit, events
from ecerp_core.auth import EVENT_POSTERS, Actor, require, require_any
from ecerp_core.catalog.company import get_company, mark_books_started
from ecerp_core.db import allocate_ids, insert_rows, utcnow
from ecerp_core.errors import NotFound, ValidationError, problem
from ecerp_core.finance.chart import PostingAccount, posting_accounts
from ecerp_core.finance.exceptions import UnbalancedEntry, UnknownAccount
from ecerp_core.finance.memos import memo as stored
from ecerp_core.finance.models import Account, JournalEntry, JournalLine
from ecerp_core.finance.periods import open_period_for
from ecerp_core.money import round_money

ZERO = Decimal("0")
OPENING_KIND = "opening"
"""The kind of an opening-balance entry: the one kind that may open the month before the first period."""


@dataclass(frozen=True)
class LineDraft:
    """One line to post. Exactly one of ``debit`` / ``credit`` is normally non-zero (base currency).

    currency / amount_currency / rate: the transaction currency and the signed amount in it
    (+ debit, − credit); left out, the line is in base currency.
    cash_flow: the cash-flow item of a cash line; left out, it is classified from the entry.
    """

    account_code: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    currency: str | None = None
    amount_currency: Decimal | None = None
    rate: Decimal | None = None
    memo: str = ""
    shop_id: int | None = None
    platform: str | None = None
    warehouse_id: int | None = None
    supplier_id: int | None = None
    cash_flow: str | None = None

    @property
    def net(self) -> Decimal:
        return self.debit - self.credit


class PostedEntry(NamedTuple):
    """An entry as posted: its id, its number (``202610-00001``, gap-free per period) and, for a
    manual voucher, its voucher number (``记-0001``, gap-free per period among the vouchers)."""

    id: int
    number: str
    voucher_no: str | None = None


VOUCHER_WORD = "记"
"""The word of a manual voucher's number (记账凭证: 记-0001)."""


@dataclass(frozen=True)
class EntryDraft:
    """An entry to post: its date, kind, lines and the document it comes from; ``numbered``: a
    manual voucher, which takes the period's next voucher number too."""

    entry_date: dt.date
    kind: str
    lines: tuple[LineDraft, ...]
    memo: str = ""
    source_type: str = ""
    source_id: int | None = None
    reverses_id: int | None = None
    keys: tuple[str, ...] = field(default=())
    numbered: bool = False


def signed(account_code: str, amount: Decimal, **kw) -> LineDraft:
    """A line with ``amount`` on the debit side when positive, the credit side when negative."""
    if amount >= 0:
        return LineDraft(account_code, debit=amount, **kw)
    return LineDraft(account_code, credit=-amount, **kw)


# Cash-flow items of 会企03, chosen from the largest non-cash counterpart of a cash line.
_CF_GROUPS = (
    (("1122", "6001", "6051", "2203", "22210102"), "sales"),
    (("2202", "1405", "1123", "22210101", "2241"), "purchase"),
    (("2211",), "staff"),
    (("2221", "6403", "6801"), "tax"),
    (("4001", "4002"), "capital"),
    (("2001", "2501"), "borrowing"),
    (("1601", "1604", "1701"), "fixed"),
    (("4104", "2232"), "dividends"),
    (("660301",), "fx"),
)
CASH_FLOW_SECTIONS: dict[str, tuple[str, ...]] = {
    "operating": (
        "sales_receipts",
        "tax_refunds",
        "other_operating_in",
        "purchase_payments",
        "staff_payments",
        "tax_payments",
        "other_operating_out",
    ),
    "investing": ("investing_in", "fixed_asset_payments"),
    "financing": ("capital_in", "borrowing_in", "debt_repayment", "dividends_paid"),
}
"""The cash-flow items of each section of the statement, in its order."""


def classify_cash(counter_code: str | None, inflow: bool) -> str:
    """The cash-flow item for a cash line whose main counterpart is ``counter_code``."""
    if counter_code is None:
        return "internal"
    group = next((g for prefixes, g in _CF_GROUPS if counter_code.startswith(prefixes)), "other")
    return {
        "sales": "sales_receipts",
        "purchase": "purchase_payments",
        "staff": "staff_payments",
        "tax": "tax_refunds" if inflow else "tax_payments",
        "capital": "capital_in",
        "borrowing": "borrowing_in" if inflow else "debt_repayment",
        "fixed": "investing_in" if inflow else "fixed_asset_payments",
        "dividends": "dividends_paid",
        "fx": "fx_effect",
        "other": "other_operating_in" if inflow else "other_operating_out",
    }[group]


def _check(draft: EntryDraft, accounts: dict[str, PostingAccount], base: str) -> list[LineDraft]:
    lines = []
    for line in draft.lines:
        account = accounts.get(line.account_code)
        if account is None or not account.is_leaf or not account.active:
            raise UnknownAccount(code=line.account_code)
        for amount in (line.debit, line.credit):
            if amount < 0 or round_money(amount, base) != amount:
                raise UnbalancedEntry(date=draft.entry_date.isoformat(), debit=line.debit, credit=line.credit)
        if line.debit == 0 and line.credit == 0 and not line.amount_currency:
            continue  # a zero line says nothing
        lines.append(line)
    debit, credit = sum((x.debit for x in lines), ZERO), sum((x.credit for x in lines), ZERO)
    if debit != credit or not lines:
        raise UnbalancedEntry(date=draft.entry_date.isoformat(), debit=debit, credit=credit)
    return lines


FINANCING_PREFIXES = ("4001", "4002", "2001", "2501", "2232")
INVESTING_PREFIXES = ("1601", "1604", "1701", "1511")


def activity_of(kind: str, codes: Sequence[str]) -> str:
    """How an entry counts in the indirect cash flow: closing, financing, investing or operating."""
    if kind in ("closing", "year_end"):
        return "closing"
    if any(c.startswith(FINANCING_PREFIXES) for c in codes):
        return "financing"
    if any(c.startswith(INVESTING_PREFIXES) for c in codes):
        return "investing"
    return "operating"


def _cash_flows(lines: list[LineDraft], accounts: dict[str, PostingAccount]) -> list[str | None]:
    """The cash-flow item of each cash line (None for the others): its own, else classified from the
    entry's largest non-cash line."""
    non_cash = [x for x in lines if not accounts[x.account_code].is_cash]
    main = max(non_cash, key=lambda x: abs(x.net), default=None)
    counterpart = main.account_code if main else None
    items: list[str | None] = []
    for x in lines:
        if accounts[x.account_code].is_cash:
            items.append(x.cash_flow or classify_cash(counterpart, x.net > 0))
        else:
            items.append(None)
    return items


AUTOMATIC_KINDS = frozenset(kind.kind for kind in events.KINDS)
"""Entry kinds posted from business events, for whoever caused them (a clerk's shipment)."""


def post_entries(session: Session, actor: Actor, drafts: Sequence[EntryDraft]) -> list[PostedEntry]:
    """Post ``drafts``; returns ``(entry id, entry number)`` in order. All or nothing.

    Raises :class:`UnbalancedEntry`, :class:`UnknownAccount`,
    :class:`~ecerp_core.finance.exceptions.PeriodClosed`, or ``BeforeBooks`` / ``PeriodGap`` for a
    day before the first period or in a month missing between two (only entries of kind
    :data:`OPENING_KIND` may open the month right before the first period). Automatic postings
    (:data:`AUTOMATIC_KINDS`) run for whoever caused the event; any other entry needs
    ``finance.post`` (or ``finance.close`` for month-end entries). Audited, one row per entry.
    """
    require_any(actor, *EVENT_POSTERS)
    if any(d.kind not in AUTOMATIC_KINDS for d in drafts):
        require_any(actor, "finance.post", "finance.close")
    if not drafts:
        return []
    base = get_company(session).base_currency
    accounts = posting_accounts(session)
    checked = [_check(d, accounts, base) for d in drafts]
    periods = {}
    # only a month whose every entry is an opening may open before the first period
    others = {(d.entry_date.year, d.entry_date.month) for d in drafts if d.kind != OPENING_KIND}
    for d in sorted(drafts, key=lambda d: d.entry_date):
        key = (d.entry_date.year, d.entry_date.month)
        if key not in periods:
            periods[key] = open_period_for(session, d.entry_date, opening=key not in others)
    mark_books_started(session, min(d.entry_date for d in drafts))
    now = utcnow()
    rows = []
    for d in drafts:
        period = periods[(d.entry_date.year, d.entry_date.month)]
        period.last_number += 1
        voucher_no = None
        if d.numbered:
            period.last_voucher += 1
            voucher_no = f"{VOUCHER_WORD}-{period.last_voucher:04d}"
        rows.append(
            {
                "period_id": period.id,
                "number": period.last_number,
                "entry_number": f"{period.year:04d}{period.month:02d}-{period.last_number:05d}",
                "entry_date": d.entry_date,
                "kind": d.kind,
                "memo": d.memo[:300],
                "source_type": d.source_type,
                "source_id": d.source_id,
                "reverses_id": d.reverses_id,
                "voucher_no": voucher_no,
                "posted_at": now,
                "actor_id": actor.id,
            }
        )
    session.flush()
    ids = allocate_ids(session, JournalEntry.__table__, len(rows))
    insert_rows(session, JournalEntry, [{"id": i, **r} for i, r in zip(ids, rows, strict=True)])
    line_rows = []
    for entry_id, row, lines in zip(ids, rows, checked, strict=True):
        activity = activity_of(row["kind"], [x.account_code for x in lines])
        for n, (x, cf) in enumerate(zip(lines, _cash_flows(lines, accounts), strict=True), start=1):
            line_row = {
                "entry_id": entry_id,
                "line_no": n,
                "account_id": accounts[x.account_code].id,
                "entry_date": row["entry_date"],
                "period_id": row["period_id"],
                "debit": x.debit,
                "credit": x.credit,
                "currency": x.currency or base,
                "amount_currency": x.net if x.amount_currency is None else x.amount_currency,
                "rate": x.rate if x.rate is not None else Decimal(1),
                "memo": x.memo[:200],
                "shop_id": x.shop_id,
                "platform": x.platform,
                "warehouse_id": x.warehouse_id,
                "supplier_id": x.supplier_id,
                "cash_flow": cf,
                "activity": activity,
            }
            line_rows.append(line_row)
    insert_rows(session, JournalLine, line_rows)
    posted = [PostedEntry(i, r["entry_number"], r["voucher_no"]) for i, r in zip(ids, rows, strict=True)]
    audit.record_many(
        session, actor, "post", "journal_posting", [(p.id, {"number": p.number}) for p in posted]
    )
    return posted


def post_entry(session: Session, actor: Actor, draft: EntryDraft) -> PostedEntry:
    """Post one manual entry (needs ``finance.post``) and audit it."""
    require(actor, "finance.post")
    [posted] = post_entries(session, actor, [draft])
    audit.record(
        session, actor, "post", "fin_journal_entry", posted.number, {"kind": draft.kind, "memo": draft.memo}
    )
    return posted


def reversal_draft(
    session: Session, entry_id: int, on_date: dt.date, *, kind: str = "reversal", memo: str = ""
) -> EntryDraft:
    """The mirror image of a posted entry: same accounts, sides swapped, dated ``on_date``."""
    entry = session.get(JournalEntry, entry_id)
    if entry is None:
        raise NotFound(entity="entity.journal_entry", key=entry_id)
    codes = dict(session.execute(select(Account.id, Account.code)).all())
    lines = tuple(
        LineDraft(
            codes[x.account_id],
            debit=x.credit,
            credit=x.debit,
            currency=x.currency,
            amount_currency=-x.amount_currency,
            rate=x.rate,
            memo=x.memo,
            shop_id=x.shop_id,
            platform=x.platform,
            warehouse_id=x.warehouse_id,
            supplier_id=x.supplier_id,
            cash_flow=x.cash_flow,
        )
        for x in session.scalars(
            select(JournalLine).where(JournalLine.entry_id == entry_id).order_by(JournalLine.line_no)
        )
    )
    return EntryDraft(
        on_date,
        kind,
        lines,
        memo or stored("finance.memo.reversal_of", number=entry.entry_number),
        entry.source_type,
        entry.source_id,
        reverses_id=entry_id,
    )


def reverse_entry(
    session: Session,
    actor: Actor,
    entry_id: int,
    on_date: dt.date | None = None,
    *,
    memo: str = "",
    numbered: bool = False,
) -> PostedEntry:
    """Post the reversal of an entry (the correction of a posted entry is a reversal plus a new one).

    An entry is reversed at most once. ``on_date`` defaults to the entry's own date; ``numbered``:
    the reversal is a manual voucher with its own voucher number.
    """
    require(actor, "finance.post")

    if session.scalar(select(JournalEntry.id).where(JournalEntry.reverses_id == entry_id)) is not None:
        raise ValidationError([problem("entry", "already_reversed", value=entry_id)])
    entry = session.get(JournalEntry, entry_id)
    if entry is None:
        raise NotFound(entity="entity.journal_entry", key=entry_id)
    draft = replace(
        reversal_draft(session, entry_id, on_date or entry.entry_date, memo=memo), numbered=numbered
    )
    [reversal] = post_entries(session, actor, [draft])
    audit.record(
        session, actor, "reverse", "fin_journal_entry", entry.entry_number, {"reversal": reversal.number}
    )
    return reversal


@dataclass
class _Sum:
    """Lines of one account and dimensions added up: the first line (for the rest of its fields), the
    debits, the credits and the amount in currency (None while no line had one)."""

    first: LineDraft
    debit: Decimal
    credit: Decimal
    amount_currency: Decimal | None


def merge_lines(lines: Sequence[LineDraft]) -> tuple[LineDraft, ...]:
    """Add up lines of the same account, currency, rate and dimensions into one line per side-net."""
    sums: dict[tuple, _Sum] = {}
    for x in lines:
        key = (
            x.account_code,
            x.currency,
            x.rate,
            x.shop_id,
            x.platform,
            x.warehouse_id,
            x.supplier_id,
            x.cash_flow,
            x.memo,
        )
        have = sums.get(key)
        if have is None:
            sums[key] = _Sum(x, x.debit, x.credit, x.amount_currency)
        else:
            have.debit += x.debit
            have.credit += x.credit
            if x.amount_currency is not None:
                have.amount_currency = (have.amount_currency or ZERO) + x.amount_currency
    out = []
    for s in sums.values():
        net = s.debit - s.credit
        if net or s.amount_currency:
            merged = replace(
                s.first, debit=max(net, ZERO), credit=max(-net, ZERO), amount_currency=s.amount_currency
            )
            out.append(merged)
    return tuple(out)
