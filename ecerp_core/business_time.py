"""Business dates: a UTC moment seen as a day in the company's time zone (Asia/Shanghai default)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core.db import memo, utcnow

DEFAULT_TIMEZONE = "Asia/Shanghai"


def company_timezone(session: Session) -> ZoneInfo:
    """The company's time zone, read once per transaction (:func:`ecerp_core.db.memo`)."""

    def load() -> ZoneInfo:
        from ecerp_core.catalog.models import Company

        name = session.scalar(select(Company.timezone).order_by(Company.id).limit(1))
        return ZoneInfo(name or DEFAULT_TIMEZONE)

    return memo(session, "timezone", load)


def business_date(session: Session, at: dt.datetime | None = None) -> dt.date:
    """The company-local day of ``at`` (default: now, or the frozen clock)."""
    return (at or utcnow()).astimezone(company_timezone(session)).date()
