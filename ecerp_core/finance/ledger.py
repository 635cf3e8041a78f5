"""Reading the journal: the export rows, account detail (明细账) and an entry with its documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ecerp_core import documents
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Supplier
from ecerp_core.finance.memos import shown
from ecerp_core.finance.models import (
    Account,
    JournalEntry,
    JournalLine,
    Period,
    PostedEvent,
    Settlement,
    SupplierPayment,
)
from ecerp_core.i18n import current_language
from ecerp_core.orders.models import Order
from ecerp_core.purchasing.models import PurchaseOrder

JOURNAL_COLUMNS = (
    "entry_number",
    "date",
    "account_code",
    "account_name",
    "debit",
    "credit",
    "currency",
    "amount_currency",
    "memo",
    "source",
)


def _source(entry: JournalEntry) -> str:
    if entry.source_type and entry.source_id is not None:
        return f"{entry.source_type}:{entry.source_id}"
    return entry.source_type or entry.kind


def journal_stmt(start: dt.date | None = None, end: dt.date | None = None, language: str = "zh_CN") -> Select:
    name = Account.name_zh if language == "zh_CN" else Account.name_en
    stmt = (
        select(
            JournalEntry.entry_number,
            JournalLine.entry_date.label("date"),
            Account.code.label("account_code"),
            name.label("account_name"),
            JournalLine.debit,
            JournalLine.credit,
            JournalLine.currency,
            JournalLine.amount_currency,
            func.coalesce(func.nullif(JournalLine.memo, ""), JournalEntry.memo).label("memo"),
            JournalEntry.source_type,
            JournalEntry.source_id,
            JournalEntry.kind,
            JournalEntry.id.label("entry_id"),
            JournalLine.id.label("id"),
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Account, Account.id == JournalLine.account_id)
        .order_by(JournalLine.entry_date, JournalEntry.entry_number, JournalLine.line_no)
    )
    if start:
        stmt = stmt.where(JournalLine.entry_date >= start)
    if end:
        stmt = stmt.where(JournalLine.entry_date <= end)
    return stmt


def journal_rows(
    session: Session,
    actor: Actor,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    language: str | None = None,
):
    """One dict per journal line with :data:`JOURNAL_COLUMNS`, in date and entry order (a generator;
    ``finance.read`` is checked when the first row is asked for — :func:`read_journal` checks at once)."""
    require(actor, "finance.read")
    language = language or current_language()
    for r in session.execute(journal_stmt(start, end, language)).mappings():
        source = (
            f"{r['source_type']}:{r['source_id']}"
            if r["source_type"] and r["source_id"] is not None
            else (r["source_type"] or r["kind"])
        )
        yield {
            "entry_number": r["entry_number"],
            "date": r["date"],
            "account_code": r["account_code"],
            "account_name": r["account_name"],
            "debit": r["debit"],
            "credit": r["credit"],
            "currency": r["currency"],
            "amount_currency": r["amount_currency"],
            "memo": shown(r["memo"], language),
            "source": source,
        }


def account_lines_stmt(
    codes: list[str], start: dt.date | None, end: dt.date, language: str = "zh_CN"
) -> Select:
    """The journal lines of every account whose code starts with one of ``codes`` (a statement line)."""
    stmt = journal_stmt(start, end, language)
    return stmt.where(or_(*(Account.code.startswith(c) for c in codes))) if codes else stmt.where(False)


def account_detail(
    session: Session, actor: Actor, code: str, start: dt.date, end: dt.date, *, language: str | None = None
) -> dict:
    """明细账: opening balance, the lines with a running balance, closing balance (debit − credit)."""
    language = language or current_language()
    ids = [a.id for a in session.scalars(select(Account).where(Account.code.startswith(code)))]
    opening = session.execute(
        select(func.sum(JournalLine.debit) - func.sum(JournalLine.credit)).where(
            JournalLine.account_id.in_(ids), JournalLine.entry_date < start
        )
    ).scalar() or Decimal(0)
    balance = Decimal(opening)
    rows = []
    require(actor, "finance.read")
    for r in journal_rows(session, actor, start, end, language=language):
        if r["account_code"].startswith(code):
            balance += r["debit"] - r["credit"]
            rows.append({**r, "balance": balance})
    return {"account_code": code, "opening": Decimal(opening), "lines": rows, "closing": balance}


def entry_with_sources(session: Session, entry_id: int) -> dict:
    """An entry, its lines and the business documents behind it (one, or a day's batch)."""
    entry = session.get(JournalEntry, entry_id)
    lines = list(
        session.execute(
            select(
                Account.code,
                Account.name_zh,
                Account.name_en,
                JournalLine.debit,
                JournalLine.credit,
                JournalLine.currency,
                JournalLine.amount_currency,
                JournalLine.memo,
            )
            .join(Account, Account.id == JournalLine.account_id)
            .where(JournalLine.entry_id == entry_id)
            .order_by(JournalLine.line_no)
        ).mappings()
    )
    docs = [
        {"source_type": s, "source_id": i, "key": k}
        for s, i, k in session.execute(
            select(PostedEvent.source_type, PostedEvent.source_id, PostedEvent.key)
            .where(PostedEvent.entry_id == entry_id)
            .order_by(PostedEvent.source_type, PostedEvent.source_id)
        )
    ]
    if not docs and entry.source_type and entry.source_id is not None:
        docs = [{"source_type": entry.source_type, "source_id": entry.source_id, "key": ""}]
    return {
        "entry_number": entry.entry_number,
        "date": entry.entry_date,
        "kind": entry.kind,
        "memo": entry.memo,
        "source": _source(entry),
        "lines": [dict(x) for x in lines],
        "documents": docs,
    }


def source_document(session: Session, source_type: str, source_id: int) -> dict:
    """A short description of a source document for drill-down, named by its own number: the order's
    platform number (a refund or case by its order's), ``PO…``/``GR…``/``PR…``/``TR…``/``ST…``, a
    settlement's reference, a supplier payment's reference (else its supplier and date), a period's
    month. ``platform`` is the platform's code (the screen names it in words)."""
    blank = {
        "type": source_type,
        "id": source_id,
        "number": "",
        "platform": "",
        "currency": "",
        "amount": None,
        "status": "",
        "date": None,
    }
    if source_type == "fin_settlement":
        s = session.get(Settlement, source_id)
        if s:
            status = f"{s.matched_lines}/{s.unmatched_lines}"
            return {
                **blank,
                "number": s.reference,
                "platform": s.platform,
                "currency": s.currency,
                "amount": s.net,
                "status": status,
                "date": s.settlement_date,
            }
    if source_type == "fin_supplier_payment":
        p = session.get(SupplierPayment, source_id)
        if p:
            supplier = session.get(Supplier, p.supplier_id)
            number = p.reference or f"{supplier.name if supplier else ''} {p.payment_date}".strip()
            return {
                **blank,
                "number": number,
                "currency": p.currency,
                "amount": p.amount,
                "date": p.payment_date,
            }
    if source_type == "fin_period":
        period = session.get(Period, source_id)
        if period:
            return {
                **blank,
                "number": f"{period.year}-{period.month:02d}",
                "status": period.status,
                "date": period.end_date,
            }
    if source_type in ("sales_order", "purchase_order"):
        doc = session.get(Order if source_type == "sales_order" else PurchaseOrder, source_id)
        if doc is not None:
            blank = {
                **blank,
                "currency": doc.currency,
                "amount": doc.total_amount,
                "status": doc.status,
                "date": doc.order_date,
            }
    name = documents.document_numbers(session, [(source_type, source_id)]).get((source_type, source_id))
    if name is not None:
        return {**blank, "number": name.number, "platform": name.platform}
    return {**blank, "number": str(source_id)}


def account_totals(
    session: Session, codes: list[str], start: dt.date, end: dt.date, language: str = "zh_CN"
) -> list[dict]:
    """The accounts under a statement line (codes starting with one of ``codes``) with their debits and
    credits between ``start`` and ``end``, by code: the step between a statement and its vouchers."""
    if not codes:
        return []
    name = Account.name_zh if language == "zh_CN" else Account.name_en
    stmt = (
        select(
            Account.code.label("code"),
            name.label("name"),
            func.coalesce(func.sum(JournalLine.debit), 0).label("debit"),
            func.coalesce(func.sum(JournalLine.credit), 0).label("credit"),
        )
        .join(JournalLine, JournalLine.account_id == Account.id)
        .where(or_(*(Account.code.startswith(c) for c in codes)))
        .where(JournalLine.entry_date >= start, JournalLine.entry_date <= end)
        .group_by(Account.code, name)
        .order_by(Account.code)
    )
    cent = Decimal("0.01")
    return [
        {
            "code": r.code,
            "name": r.name,
            "debit": Decimal(r.debit).quantize(cent),
            "credit": Decimal(r.credit).quantize(cent),
        }
        for r in session.execute(stmt)
    ]


def read_journal(
    session: Session, actor: Actor, start: dt.date | None = None, end: dt.date | None = None
) -> Iterator[dict]:
    """:func:`journal_rows` for a user who may read the books (``finance.read``, checked at the call,
    before the first row)."""
    require(actor, "finance.read")
    return journal_rows(session, actor, start, end)
