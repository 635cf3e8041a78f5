"""Multi-currency: rate import and providers, period-end revaluation and its reversal.

Revaluation (期末汇兑调整) restates every foreign-currency balance of an asset or liability account
at the period-end rate, against 660301 汇兑损益, and posts the exact reversal on the first day of the
next period. So the books always carry historical base amounts during a month, a revaluation
is computed from those, and no gain or loss is ever counted twice. Each period's revaluation is
posted once (key ``revaluation:YYYY-MM``); running it again does nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import get_company, rate_on, set_exchange_rates
from ecerp_core.catalog.models import ExchangeRate
from ecerp_core.db import insert_rows
from ecerp_core.errors import ImportFileError, NotFound
from ecerp_core.finance.exceptions import MissingRate
from ecerp_core.finance.journal import EntryDraft, post_entries, reversal_draft, signed
from ecerp_core.finance.memos import memo as stored
from ecerp_core.finance.models import Account, JournalLine, PostedEvent
from ecerp_core.finance.periods import ensure_period, get_period
from ecerp_core.finance.rules import RuleBook
from ecerp_core.money import round_money

ZERO = Decimal("0")


class RateProvider(Protocol):
    """A source of exchange rates (汇率自动更新): a bank feed, a central-bank file, a test file."""

    name: str

    def rates(self, currencies: Sequence[str], start: dt.date, end: dt.date) -> list[dict]:
        """``{"currency", "rate_date", "rate"}`` rows for the days it knows between start and end."""
        ...


@dataclasses.dataclass(frozen=True)
class FileRateProvider:
    """Rates from a CSV file with columns ``currency, rate_date, rate`` (``date`` also accepted)."""

    path: Path
    name: str = "file"

    def rates(self, currencies: Sequence[str], start: dt.date, end: dt.date) -> list[dict]:
        rows = read_rate_file(self.path)
        wanted = {c.upper() for c in currencies}
        return [
            r
            for r in rows
            if (not wanted or r["currency"].upper() in wanted)
            and start <= dt.date.fromisoformat(r["rate_date"]) <= end
        ]


def read_rate_file(path: Path | str) -> list[dict]:
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            fields = {f.strip().lower() for f in reader.fieldnames or []}
            if "currency" not in fields or "rate" not in fields or not fields & {"rate_date", "date"}:
                raise ImportFileError("error.finance.rate_columns", file=path.name)
            return [
                {
                    "currency": (r.get("currency") or "").strip(),
                    "rate_date": (r.get("rate_date") or r.get("date") or "").strip(),
                    "rate": (r.get("rate") or "").strip(),
                }
                for r in ({k.strip().lower(): v for k, v in row.items()} for row in reader)
            ]
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError("error.import_file", file=path.name, reason=str(exc)) from None


def _as_rates_writer(actor: Actor) -> Actor:
    # finance keeps the rate table too; the catalog service checks catalog.write
    return dataclasses.replace(actor, permissions=actor.permissions | {"catalog.write"})


def import_rates(session: Session, actor: Actor, path: Path | str) -> int:
    """Import a rate CSV (``currency, rate_date, rate``); a day already known is replaced."""
    require(actor, "finance.post")
    rows = read_rate_file(path)
    return set_exchange_rates(session, _as_rates_writer(actor), rows, source="file")


def update_rates(
    session: Session,
    actor: Actor,
    provider: RateProvider,
    currencies: Sequence[str],
    start: dt.date,
    end: dt.date,
) -> int:
    """Fetch rates from ``provider`` and store them (source = the provider's name)."""
    require(actor, "finance.post")
    rows = provider.rates(currencies, start, end)
    return set_exchange_rates(session, _as_rates_writer(actor), rows, source=provider.name) if rows else 0


def revaluation_lines(session: Session, as_of: dt.date) -> list[dict]:
    """Foreign-currency balances of balance-sheet accounts on ``as_of``, with their revalued base."""
    base = get_company(session).base_currency
    stmt = (
        select(
            Account.code,
            JournalLine.currency,
            JournalLine.supplier_id,
            JournalLine.platform,
            func.sum(JournalLine.amount_currency),
            func.sum(JournalLine.debit) - func.sum(JournalLine.credit),
        )
        .join(Account, Account.id == JournalLine.account_id)
        .where(JournalLine.entry_date <= as_of, JournalLine.currency != base, Account.account_class != "pnl")
        .group_by(Account.code, JournalLine.currency, JournalLine.supplier_id, JournalLine.platform)
        .order_by(Account.code, JournalLine.currency, JournalLine.supplier_id, JournalLine.platform)
    )
    out = []
    for code, cur, supplier, platform, amount, booked in session.execute(stmt):
        amount, booked = Decimal(amount or 0), Decimal(booked or 0)
        try:
            rate = rate_on(session, cur, as_of)
        except NotFound:
            raise MissingRate(currency=cur, date=as_of.isoformat()) from None
        revalued = round_money(amount * rate, base)
        if revalued != booked:
            out.append(
                {
                    "account_code": code,
                    "currency": cur,
                    "supplier_id": supplier,
                    "platform": platform,
                    "amount_currency": amount,
                    "booked_base": booked,
                    "rate": rate,
                    "revalued_base": revalued,
                    "difference": revalued - booked,
                }
            )
    return out


def _key(period_code: str) -> str:
    return f"revaluation:{period_code}"


def revaluation_done(session: Session, period) -> bool:
    return session.get(PostedEvent, _key(period.code)) is not None


def revalue_period(session: Session, actor: Actor, period_text: str) -> tuple[str, str] | None:
    """Post the period-end revaluation and its reversal on day 1 of the next period.

    Returns the two entry numbers, or None when nothing needed revaluing or it was already done.
    """
    require(actor, "finance.post")
    period = get_period(session, period_text)
    if revaluation_done(session, period):
        return None
    found = revaluation_lines(session, period.end_date)
    numbers = None
    entry_id = None
    if found:
        fx_account = RuleBook(session).account("revaluation", "fx")
        lines = [
            signed(
                r["account_code"],
                r["difference"],
                currency=r["currency"],
                amount_currency=ZERO,
                rate=r["rate"],
                supplier_id=r["supplier_id"],
                platform=r["platform"],
                memo=stored("finance.memo.revaluation"),
            )
            for r in found
        ]
        total = sum((r["difference"] for r in found), ZERO)
        lines.append(signed(fx_account, -total, memo=stored("finance.memo.revaluation")))
        draft = EntryDraft(
            period.end_date,
            "revaluation",
            tuple(lines),
            memo=stored("finance.memo.revaluation_of", period=period.code),
            source_type="fin_period",
            source_id=period.id,
        )
        [revalued] = post_entries(session, actor, [draft])
        entry_id = revalued.id
        day1 = period.end_date + dt.timedelta(days=1)
        ensure_period(session, day1)
        memo = stored("finance.memo.revaluation_reversal", period=period.code)
        reversal = reversal_draft(session, entry_id, day1, kind="revaluation_reversal", memo=memo)
        [undone] = post_entries(session, actor, [reversal])
        numbers = (revalued.number, undone.number)
    insert_rows(
        session,
        PostedEvent,
        [
            {
                "key": _key(period.code),
                "kind": "revaluation",
                "source_type": "fin_period",
                "source_id": period.id,
                "business_date": period.end_date,
                "entry_id": entry_id,
                "currency": None,
            }
        ],
    )
    return numbers


def known_rates(session: Session, currencies: Iterable[str] | None = None) -> list[dict]:
    stmt = select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.rate_date)
    if currencies:
        stmt = stmt.where(ExchangeRate.currency.in_(list(currencies)))
    return [
        {"currency": r.currency, "rate_date": r.rate_date, "rate": r.rate, "source": r.source}
        for r in session.scalars(stmt)
    ]
