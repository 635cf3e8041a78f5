"""The company: its settings, currencies and exchange rates, and its business time.

Business dates are a UTC moment seen as a day in the company's time zone (Asia/Shanghai by
default). Finance tells the company when its books start (:func:`mark_books_started`); from then
on the base currency is locked, so the catalog never has to look at the books.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecerp_core import audit, events
from ecerp_core.auth import Actor, require
from ecerp_core.catalog import rules
from ecerp_core.catalog.models import Company, Currency, ExchangeRate
from ecerp_core.dates import date_problem
from ecerp_core.db import forget, memo, utcnow
from ecerp_core.errors import NotFound, NotInitialised, ValidationError, problem

DEFAULT_TIMEZONE = "Asia/Shanghai"

STANDARD_CURRENCIES = (
    ("CNY", "人民币", "Chinese Yuan", 2), ("USD", "美元", "US Dollar", 2), ("EUR", "欧元", "Euro", 2),
    ("GBP", "英镑", "Pound Sterling", 2), ("HKD", "港币", "Hong Kong Dollar", 2),
    ("JPY", "日元", "Japanese Yen", 0), ("CAD", "加拿大元", "Canadian Dollar", 2),
    ("AUD", "澳大利亚元", "Australian Dollar", 2), ("ZAR", "南非兰特", "South African Rand", 2),
    ("BDT", "孟加拉塔卡", "Bangladeshi Taka", 2), ("SGD", "新加坡元", "Singapore Dollar", 2),
    ("KRW", "韩元", "South Korean Won", 0),
)  # fmt: skip


# --- currencies -----------------------------------------------------------------------------------
def list_currencies(session: Session) -> list[Currency]:
    """The active currencies, by code."""
    return list(session.scalars(select(Currency).where(Currency.active.is_(True)).order_by(Currency.code)))


def seed_currencies(session: Session) -> None:
    have = set(session.scalars(select(Currency.code)))
    for code, zh, en, minor in STANDARD_CURRENCIES:
        if code not in have:
            session.add(Currency(code=code, name_zh=zh, name_en=en, minor_unit=minor, active=True))
    session.flush()


# --- the company ----------------------------------------------------------------------------------
def get_company(session: Session) -> Company:
    """The company (read once per transaction)."""

    def load() -> Company:
        company = session.scalar(select(Company).order_by(Company.id).limit(1))
        if company is None:
            raise NotInitialised()
        return company

    return memo(session, "company", load)


def setup_company(session: Session, actor: Actor, **values) -> Company:
    """Create the company record (once) or update it; checks like any other base record.

    The base currency cannot change once the books have started (:func:`mark_books_started`).
    """
    require(actor, "company.manage")
    existing = session.scalar(select(Company).limit(1))
    row, found = rules.clean(rules.COMPANY_FIELDS, values, partial=existing is not None)
    if row.get("base_currency") and session.get(Currency, row["base_currency"]) is None:
        found.append(problem("base_currency", "unknown_currency", value=row["base_currency"]))
    if row.get("timezone"):
        try:
            zoneinfo.ZoneInfo(row["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            found.append(problem("timezone", "unknown_timezone", value=row["timezone"]))
    if found:
        raise ValidationError(found)
    if existing is None:
        company = Company(**row)
        session.add(company)
        session.flush()
        forget(session)  # a time zone read before there was a company
        audit.record(session, actor, "create", "company", company.id, row)
        return company
    diff = {k: [getattr(existing, k), v] for k, v in row.items() if getattr(existing, k) != v}
    if diff.get("base_currency") and existing.books_started_on is not None:
        raise ValidationError([problem("base_currency", "locked_after_use")])
    for k, (_, v) in diff.items():
        setattr(existing, k, v)
    if diff:
        session.flush()
        forget(session)  # the company's time zone and currency are remembered per transaction
        audit.record(session, actor, "update", "company", existing.id, diff)
    return existing


def mark_books_started(session: Session, day: dt.date) -> None:
    """Record that the company's books hold an entry dated ``day``, which locks its base currency.

    Finance calls this whenever it posts, with the earliest date posted; only a day before the one
    recorded is written (the company is read once per transaction, so the other calls cost a
    comparison). A fact of the books, audited with the entries that set it, not a user's change.
    """
    company = get_company(session)
    if company.books_started_on is None or day < company.books_started_on:
        # the settings did not change, so neither does updated_at (SET updated_at = updated_at)
        session.execute(
            update(Company)
            .where(Company.id == company.id)
            .values(books_started_on=day, updated_at=Company.updated_at)
        )


# --- business time --------------------------------------------------------------------------------
def company_timezone(session: Session) -> zoneinfo.ZoneInfo:
    """The company's time zone, read once per transaction (:func:`ecerp_core.db.memo`)."""

    def load() -> zoneinfo.ZoneInfo:
        name = session.scalar(select(Company.timezone).order_by(Company.id).limit(1))
        return zoneinfo.ZoneInfo(name or DEFAULT_TIMEZONE)

    return memo(session, "timezone", load)


def business_date(session: Session, at: dt.datetime | None = None) -> dt.date:
    """The company-local day of ``at`` (default: now, or the frozen clock)."""
    return (at or utcnow()).astimezone(company_timezone(session)).date()


def document_day(session: Session, day: dt.date | None) -> dt.date:
    """The business date of a document being created: ``day`` (``--date``), else today. A day after
    today is a named problem; a day in a closed period is refused by the guards of
    :func:`ecerp_core.events.check_day` (finance's ``PeriodClosed``) before anything is written."""
    today = business_date(session)
    day = today if day is None else day
    if day > today:
        raise ValidationError([problem("business_date", "above_maximum", value=day, max=today)])
    events.check_day(session, day)
    return day


# --- exchange rates -------------------------------------------------------------------------------
MAX_RATE = Decimal(1_000_000)
"""No currency is worth a million units of another: a larger rate is a typo."""


def set_exchange_rates(
    session: Session, actor: Actor, rows: Sequence[Mapping], *, source: str = "manual"
) -> int:
    """Record ``{currency, rate_date, rate}`` rows; a rate for an existing day replaces it."""
    require(actor, "catalog.write")
    base = get_company(session).base_currency
    known = set(session.scalars(select(Currency.code)))
    problems, clean_rows = [], []
    for i, raw in enumerate(rows, start=1):
        code = str(raw.get("currency", "")).strip().upper()
        row_problems = []
        if code not in known:
            row_problems.append(problem("currency", "unknown_currency", value=code[:20]))
        elif code == base:
            row_problems.append(problem("currency", "is_base_currency", value=code))
        try:
            day = (
                raw["rate_date"]
                if isinstance(raw.get("rate_date"), dt.date)
                else dt.date.fromisoformat(str(raw.get("rate_date", "")).strip())
            )
        except ValueError:
            row_problems.append(problem("rate_date", "bad_date", value=str(raw.get("rate_date"))[:40]))
            day = None
        if day is not None and (wrong := date_problem("rate_date", day)) is not None:
            row_problems.append(wrong)
        try:
            rate = rules.parse_decimal(raw.get("rate"))
            if rate <= 0:
                row_problems.append(problem("rate", "below_minimum", value=rate, min="0"))
            elif rate >= MAX_RATE:  # a Numeric(18, 8) holds less than 1e10
                row_problems.append(problem("rate", "above_maximum", value=rate, max=MAX_RATE))
        except ValueError:
            row_problems.append(problem("rate", "not_a_number", value=str(raw.get("rate"))[:40]))
            rate = None
        problems += [p.at_line(i) for p in row_problems]
        clean_rows.append((code, day, rate))
    if problems:
        raise ValidationError(problems)
    for code, day, rate in clean_rows:
        existing = session.scalar(
            select(ExchangeRate).where(ExchangeRate.currency == code, ExchangeRate.rate_date == day)
        )
        if existing is None:
            session.add(ExchangeRate(currency=code, rate_date=day, rate=rate, source=source))
        else:
            existing.rate, existing.source = rate, source
    session.flush()
    forget(session, "rates")
    audit.record_many(
        session,
        actor,
        "set_rate",
        "exchange_rate",
        [(f"{c}@{d}", {"rate": r, "source": source}) for c, d, r in clean_rows],
    )
    return len(clean_rows)


def rate_on(session: Session, currency: str, day: dt.date) -> Decimal:
    """The rate of ``currency`` to the base currency on ``day`` (the latest on or before it)."""
    if currency == get_company(session).base_currency:
        return Decimal(1)
    known = memo(session, "rates", dict)  # (currency, day) -> rate, for this transaction
    rate = known.get((currency, day))
    if rate is None:
        rate = session.scalar(
            select(ExchangeRate.rate)
            .where(ExchangeRate.currency == currency, ExchangeRate.rate_date <= day)
            .order_by(ExchangeRate.rate_date.desc())
            .limit(1)
        )
        if rate is not None:
            known[(currency, day)] = rate
    if rate is None:
        raise NotFound(entity="entity.exchange_rate", key=f"{currency} {day}")
    return rate
