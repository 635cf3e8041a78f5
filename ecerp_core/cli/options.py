"""Options several commands share: ``--date``, the business date of the document a command creates,
and amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click

from ecerp_core.i18n import t
from ecerp_core.money import parse_money

BUSINESS_DATE_HELP = "Business date (YYYY-MM-DD, default today); its period must be open."


class DateParam(click.ParamType):
    """A day written YYYY-MM-DD, as a :class:`datetime.date`; anything else a clear usage error."""

    name = "date"

    def convert(self, value, param, ctx) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(t("cli.not_a_date", value=value), param, ctx)


DATE = DateParam()


class MoneyParam(click.ParamType):
    """An amount (``12.50``, ``1,200``) as a :class:`~decimal.Decimal`; anything else a usage error."""

    name = "amount"

    def convert(self, value, param, ctx) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            return parse_money(value)
        except ValueError:
            self.fail(t("cli.not_an_amount", value=value), param, ctx)


MONEY = MoneyParam()


def date_option(help: str = BUSINESS_DATE_HELP, dest: str = "day"):
    """``--date YYYY-MM-DD`` into the parameter ``dest`` (a date, None when not given)."""
    return click.option("--date", dest, type=DATE, default=None, metavar="YYYY-MM-DD", help=help)
