"""Manual vouchers (记账凭证): entered by hand or imported from a file, reversed by a new one.

A voucher is a journal entry of kind ``manual`` with its own number in its period (``记-0001``,
gap-free, given where the entry is numbered: :func:`~ecerp_core.finance.journal.post_entries`), a
memo, lines with their own memos, and the names of the documents it refers to (attachments). It
balances or is refused, and its day must fall in an open period (the period lock). Every use case
here checks the actor's permission and leaves an audit row; the CLI and the Finance Close app call
nothing else.

An import reads one voucher per value of its voucher-number column; each voucher is posted or
refused with its reason on its own, so one bad voucher never blocks the others, and a voucher
already imported (same number, day and lines) is not posted twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date
from ecerp_core.dates import date_problem
from ecerp_core.db import insert_rows
from ecerp_core.errors import EcerpError, NotFound, ValidationError, problem
from ecerp_core.finance.chart import ensure_chart
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entries, reverse_entry
from ecerp_core.finance.memos import shown
from ecerp_core.finance.models import Account, EntryAttachment, JournalEntry, JournalLine, Period, PostedEvent
from ecerp_core.finance.periods import parse_period
from ecerp_core.i18n import current_language
from ecerp_core.money import parse_money
from ecerp_core.tabular import FIRST_LINE, map_columns, read_table

KIND = "manual"
ZERO = Decimal("0")
MAX_ATTACHMENTS = 20
IMPORT_ALIASES = {
    "voucher": ("凭证号", "凭证编号", "voucher_no", "no"),
    "date": ("日期", "凭证日期", "entry_date"),
    "account": ("科目", "科目编码", "科目代码", "account_code"),
    "debit": ("借方", "借方金额"),
    "credit": ("贷方", "贷方金额"),
    "memo": ("摘要",),
    "attachments": ("附件",),
}
"""The columns of a voucher file (first name or any alias, case and spacing ignored)."""


@dataclass(frozen=True)
class VoucherDraft:
    """A voucher to post: its day (None: today, the company's business date), its lines, memo, and
    the names of its attachments. ``reference``: its number in the file it came from, if any."""

    entry_date: dt.date | None
    lines: tuple[LineDraft, ...]
    memo: str = ""
    attachments: tuple[str, ...] = ()
    reference: str = ""


@dataclass(frozen=True)
class PostedVoucher:
    """A voucher as posted: its entry's id and number, its voucher number and its day."""

    id: int
    entry_number: str
    voucher_no: str
    entry_date: dt.date


@dataclass(frozen=True)
class RefusedVoucher:
    """A voucher of a file that was not posted: its number there, its first line, and why."""

    reference: str
    line: int
    reason: str


@dataclass
class VoucherImport:
    """What an import did: the vouchers posted, those already imported, those refused and why."""

    posted: list[PostedVoucher] = field(default_factory=list)
    unchanged: int = 0
    refused: list[RefusedVoucher] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "posted": [
                {"entry_number": v.entry_number, "voucher_no": v.voucher_no, "date": v.entry_date}
                for v in self.posted
            ],
            "unchanged": self.unchanged,
            "refused": [r.__dict__ for r in self.refused],
        }


# --- reading what a clerk writes ----------------------------------------------------------------
def parse_amount(text: str, name: str) -> Decimal:
    """A debit or credit as written (blank is zero); a :class:`ValidationError` names a bad one."""
    if not str(text or "").strip():
        return ZERO
    try:
        amount = parse_money(text)
    except ValueError:
        raise ValidationError([problem(name, "not_a_number", value=text)]) from None
    if amount < 0:
        raise ValidationError([problem(name, "below_minimum", value=text, min="0")])
    return amount


def parse_line(text: str) -> LineDraft:
    """A voucher line written ``ACCOUNT:DEBIT:CREDIT[:memo]`` (a blank amount is zero).

    >>> x = parse_line("1002:100.00::收到投资款")
    >>> x.account_code, x.debit, x.credit, x.memo
    ('1002', Decimal('100.00'), Decimal('0'), '收到投资款')
    """
    parts = str(text).split(":", 3)
    if len(parts) < 3 or not parts[0].strip():
        raise ValidationError([problem("line", "bad_voucher_line", value=text)])
    code, debit, credit = parts[0].strip(), parts[1], parts[2]
    memo = parts[3].strip() if len(parts) > 3 else ""
    return LineDraft(
        code, debit=parse_amount(debit, "debit"), credit=parse_amount(credit, "credit"), memo=memo
    )


def _problems(draft: VoucherDraft) -> list:
    found = []
    if not draft.lines:
        found.append(problem("line", "required"))
    for x in draft.lines:
        if x.debit and x.credit:
            found.append(problem("line", "both_sides", value=x.account_code))
    if len(draft.attachments) > MAX_ATTACHMENTS:
        found.append(problem("attachments", "too_many", value=len(draft.attachments), max=MAX_ATTACHMENTS))
    for name in draft.attachments:
        if not name.strip() or len(name) > 200:
            found.append(problem("attachments", "bad_attachment", value=name[:40]))
    if len(draft.memo) > 300:
        found.append(problem("memo", "too_long", max=300))
    return found


# --- posting, reversing -------------------------------------------------------------------------
def post_vouchers(session: Session, actor: Actor, drafts: Sequence[VoucherDraft]) -> list[PostedVoucher]:
    """Post manual vouchers (``finance.post``), all or nothing, and audit each.

    Raises :class:`ValidationError` (a line on both sides, bad attachment names ...),
    :class:`~ecerp_core.finance.exceptions.UnbalancedEntry`, ``UnknownAccount``, ``PeriodClosed``,
    ``BeforeBooks`` or ``PeriodGap``.
    """
    require(actor, "finance.post")
    found = [p for d in drafts for p in _problems(d)]
    if found:
        raise ValidationError(found)
    today = business_date(session)
    dated = [replace(d, entry_date=d.entry_date or today) for d in drafts]
    entries = [
        EntryDraft(d.entry_date, KIND, d.lines, memo=d.memo, source_type="manual", numbered=True)
        for d in dated
    ]
    posted = post_entries(session, actor, entries)
    insert_rows(
        session,
        EntryAttachment,
        [
            {"entry_id": p.id, "position": n, "name": name.strip()}
            for p, d in zip(posted, dated, strict=True)
            for n, name in enumerate(d.attachments, start=1)
        ],
    )
    audit.record_many(
        session,
        actor,
        "post",
        "fin_journal_entry",
        [
            (
                p.number,
                {
                    "voucher_no": p.voucher_no,
                    "date": d.entry_date,
                    "memo": d.memo,
                    "attachments": d.attachments,
                },
            )
            for p, d in zip(posted, dated, strict=True)
        ],
    )
    return [
        PostedVoucher(p.id, p.number, p.voucher_no or "", d.entry_date)
        for p, d in zip(posted, dated, strict=True)
    ]


def post_voucher(session: Session, actor: Actor, draft: VoucherDraft) -> PostedVoucher:
    """Post one manual voucher (see :func:`post_vouchers`)."""
    [posted] = post_vouchers(session, actor, [draft])
    return posted


def find_voucher(session: Session, number: str, period: str | None = None) -> JournalEntry:
    """A voucher by its entry number (``202610-00003``) or its voucher number (``记-0001``) in
    ``period`` (``2026-10``; default: the current month); :class:`NotFound` when there is none."""
    number = str(number).strip()
    stmt = select(JournalEntry).where(JournalEntry.voucher_no.is_not(None))
    entry = session.scalar(select(JournalEntry).where(JournalEntry.entry_number == number))
    if entry is not None and entry.voucher_no is None:
        raise ValidationError([problem("entry", "not_a_voucher", value=number)])
    if entry is None:
        if period:
            year, month = parse_period(period)
        else:
            today = business_date(session)
            year, month = today.year, today.month
        entry = session.scalar(
            stmt.join(Period, Period.id == JournalEntry.period_id).where(
                Period.year == year, Period.month == month, JournalEntry.voucher_no == number
            )
        )
    if entry is None:
        raise NotFound(entity="entity.voucher", key=number)
    return entry


def reverse_voucher(
    session: Session, actor: Actor, number: str, on_date: dt.date | None = None, *, period: str | None = None
) -> PostedVoucher:
    """Post the reversal of a manual voucher as a new voucher dated ``on_date`` (default: today).

    Automatic entries are corrected through their documents, not here. A voucher is reversed at
    most once (:class:`ValidationError`); the day must fall in an open period.
    """
    require(actor, "finance.post")
    entry = find_voucher(session, number, period)
    day = on_date or business_date(session)
    posted = reverse_entry(session, actor, entry.id, day, numbered=True)
    return PostedVoucher(posted.id, posted.number, posted.voucher_no or "", day)


# --- importing ----------------------------------------------------------------------------------
def _voucher_key(draft: VoucherDraft) -> str:
    """What makes an imported voucher the same one again (kept in ``fin_posted_event``; the entry is
    its source, not a document behind it)."""
    body = "|".join(f"{x.account_code}:{x.debit}:{x.credit}:{x.memo}" for x in draft.lines)
    digest = hashlib.sha256(f"{draft.memo}|{body}".encode()).hexdigest()[:24]
    return f"voucher:{draft.entry_date}:{draft.reference[:40]}:{digest}"


def _read_vouchers(
    source: str | Path | bytes, name: str | None, on_date: dt.date
) -> tuple[list[tuple[int, VoucherDraft]], list[RefusedVoucher]]:
    """The file's vouchers in file order (with their first line), and those unreadable, with why."""
    table = read_table(source, name=name)
    columns = map_columns(table, IMPORT_ALIASES, required=("voucher", "account", "debit", "credit"))
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in table:
        ref = row.get(columns["voucher"], "").strip()
        groups.setdefault(ref, []).append((line, row))

    def cell(row: dict[str, str], key: str) -> str:
        return row.get(columns[key], "").strip() if key in columns else ""

    vouchers, refused = [], []
    for ref, rows in groups.items():
        first = rows[0][0] if rows else FIRST_LINE
        try:
            if not ref:
                raise ValidationError([problem("voucher", "required")])
            days = {cell(r, "date") for _, r in rows} - {""}
            if len(days) > 1:
                raise ValidationError([problem("date", "differs_in_voucher", value=", ".join(sorted(days)))])
            try:
                day = dt.date.fromisoformat(days.pop()) if days else on_date
            except ValueError:
                raise ValidationError(
                    [problem("date", "bad_date", value=cell(rows[0][1], "date")[:40])]
                ) from None
            if (wrong := date_problem("date", day)) is not None:
                raise ValidationError([wrong])
            lines, found = [], []
            for line, row in rows:
                try:
                    lines.append(
                        LineDraft(
                            cell(row, "account"),
                            debit=parse_amount(cell(row, "debit"), "debit"),
                            credit=parse_amount(cell(row, "credit"), "credit"),
                            memo=cell(row, "memo"),
                        )
                    )
                except ValidationError as exc:
                    found += [p.at_line(line) for p in exc.problems]
            if found:
                raise ValidationError(found)
            names = [n.strip() for _, r in rows for n in cell(r, "attachments").replace("；", ";").split(";")]
            attachments = tuple(dict.fromkeys(n for n in names if n))
            memo = next((x.memo for x in lines if x.memo), "")
            vouchers.append((first, VoucherDraft(day, tuple(lines), memo, attachments, reference=ref)))
        except EcerpError as exc:
            refused.append(RefusedVoucher(ref, first, exc.message()))
    return vouchers, refused


def import_vouchers(
    session: Session,
    actor: Actor,
    source: str | Path | bytes,
    *,
    name: str | None = None,
    on_date: dt.date | None = None,
) -> VoucherImport:
    """Import a CSV/XLSX of vouchers (columns :data:`IMPORT_ALIASES`; one voucher per voucher number,
    its rows its lines; a row without a date takes ``on_date``, default today).

    Each voucher is posted on its own (a savepoint): one that does not balance, names an unknown
    account or falls in a closed period is refused with its reason and the others still post. A
    voucher imported before (same number, day and lines) is counted unchanged, not posted again.
    """
    require(actor, "finance.post")
    ensure_chart(session)
    vouchers, refused = _read_vouchers(source, name, on_date or business_date(session))
    report = VoucherImport(refused=refused)
    for first, draft in vouchers:
        key = _voucher_key(draft)
        if session.get(PostedEvent, key) is not None:
            report.unchanged += 1
            continue
        try:
            with session.begin_nested():
                posted = post_voucher(session, actor, draft)
                insert_rows(
                    session,
                    PostedEvent,
                    [
                        {
                            "key": key,
                            "kind": "voucher.imported",
                            "source_type": "fin_journal_entry",
                            "source_id": posted.id,
                            "business_date": posted.entry_date,
                        }
                    ],
                )
            report.posted.append(posted)
        except EcerpError as exc:
            report.refused.append(RefusedVoucher(draft.reference, first, exc.message()))
    report.refused.sort(key=lambda r: r.line)
    return report


# --- reading ------------------------------------------------------------------------------------
def list_vouchers(
    session: Session, actor: Actor, period: str | None = None, *, language: str | None = None
) -> list[dict]:
    """The manual vouchers of a month (``2026-10``; default every month), in number order, each with
    its day, memo (in ``language``), total and the voucher that reversed it."""
    require(actor, "finance.read")
    language = language or current_language()
    debits = (
        select(func.sum(JournalLine.debit))
        .where(JournalLine.entry_id == JournalEntry.id)
        .correlate(JournalEntry)
        .scalar_subquery()
    )
    reversal = aliased(JournalEntry)
    stmt = (
        select(JournalEntry, debits.label("total"), reversal.entry_number.label("reversed_by"))
        .join(Period, Period.id == JournalEntry.period_id)
        .outerjoin(reversal, reversal.reverses_id == JournalEntry.id)
        .where(JournalEntry.voucher_no.is_not(None))
        .order_by(Period.year, Period.month, JournalEntry.voucher_no)
    )
    if period:
        year, month = parse_period(period)
        stmt = stmt.where(Period.year == year, Period.month == month)
    return [
        {
            "id": e.id,
            "entry_number": e.entry_number,
            "voucher_no": e.voucher_no,
            "date": e.entry_date,
            "memo": shown(e.memo, language),
            "total": Decimal(amount or 0),
            "reversed_by": reversed_by or "",
        }
        for e, amount, reversed_by in session.execute(stmt)
    ]


def voucher_detail(
    session: Session, actor: Actor, number: str, *, period: str | None = None, language: str | None = None
) -> dict:
    """A voucher with its lines (account names in ``language``), attachments and reversal links."""
    require(actor, "finance.read")
    language = language or current_language()
    entry = find_voucher(session, number, period)
    name = Account.name_zh if language == "zh_CN" else Account.name_en
    lines = [
        {
            "account_code": code,
            "account_name": account_name,
            "debit": debit,
            "credit": credit,
            "memo": shown(memo, language),
        }
        for code, account_name, debit, credit, memo in session.execute(
            select(Account.code, name, JournalLine.debit, JournalLine.credit, JournalLine.memo)
            .join(Account, Account.id == JournalLine.account_id)
            .where(JournalLine.entry_id == entry.id)
            .order_by(JournalLine.line_no)
        )
    ]
    attachments = list(
        session.scalars(
            select(EntryAttachment.name)
            .where(EntryAttachment.entry_id == entry.id)
            .order_by(EntryAttachment.position)
        )
    )
    reversed_by = session.scalar(
        select(JournalEntry.entry_number).where(JournalEntry.reverses_id == entry.id)
    )
    reverses = (
        session.scalar(select(JournalEntry.entry_number).where(JournalEntry.id == entry.reverses_id))
        if entry.reverses_id
        else None
    )
    return {
        "id": entry.id,
        "entry_number": entry.entry_number,
        "voucher_no": entry.voucher_no,
        "date": entry.entry_date,
        "memo": shown(entry.memo, language),
        "lines": lines,
        "total_debit": sum((x["debit"] for x in lines), ZERO),
        "total_credit": sum((x["credit"] for x in lines), ZERO),
        "attachments": attachments,
        "reverses": reverses or "",
        "reversed_by": reversed_by or "",
    }


def search_accounts(
    session: Session, actor: Actor, text: str = "", *, language: str | None = None, limit: int = 30
) -> list[dict]:
    """Posting accounts (leaf, active) whose code starts with ``text`` or whose name (either
    language) holds it, by code: what an account picker offers."""
    require(actor, "finance.read")
    ensure_chart(session)
    language = language or current_language()
    stmt = (
        select(Account.code, Account.name_zh, Account.name_en)
        .where(Account.is_leaf.is_(True), Account.active.is_(True))
        .order_by(Account.code)
        .limit(limit)
    )
    text = str(text or "").strip()
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(
            or_(
                Account.code.startswith(text),
                func.lower(Account.name_zh).like(like),
                func.lower(Account.name_en).like(like),
            )
        )
    return [
        {"code": code, "name": zh if language == "zh_CN" else en} for code, zh, en in session.execute(stmt)
    ]
