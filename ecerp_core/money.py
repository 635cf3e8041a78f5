"""Money is ``Decimal``: parsing, rounding to a currency's minor unit, and the column types.

Rounding happens here and nowhere else: ``ROUND_HALF_UP`` to the currency's minor unit.
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from sqlalchemy import Numeric
from sqlalchemy.orm import mapped_column

Currency = str

Money = Annotated[Decimal, mapped_column(Numeric(18, 2))]
"""An amount of money as stored: ``Numeric(18, 2)``."""
Rate = Annotated[Decimal, mapped_column(Numeric(18, 8))]
"""A rate (exchange rate, tax rate, coefficient): ``Numeric(18, 8)``."""

# ISO 4217 minor units of the currencies our sellers meet; others default to 2.
MINOR_UNITS: dict[Currency, int] = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2}
ZERO = Decimal("0")
_CLEAN = re.compile(r"[\s,，¥￥$€£]|^(CNY|RMB|USD|EUR|GBP)", re.IGNORECASE)


def minor_unit(currency: Currency) -> int:
    return MINOR_UNITS.get(currency.upper(), 2)


@functools.lru_cache(maxsize=64)  # every line of an import rounds to its currency's quantum
def quantum(currency: Currency) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def round_money(amount: Decimal | int | str, currency: Currency = "CNY") -> Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency``.

    >>> round_money(Decimal("2.345"), "CNY")
    Decimal('2.35')
    >>> round_money(Decimal("1234.5"), "JPY")
    Decimal('1235')
    """
    return Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def parse_decimal(text: object) -> Decimal:
    """Read a number as a seller's file writes it: ``"1,299.00"``, ``"¥12"``, ``" 3 "``.

    Raises ``ValueError`` for anything that is not a finite number (floats are refused too, so
    binary rounding never sneaks in).

    >>> parse_decimal("￥1,299.50")
    Decimal('1299.50')
    """
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int) and not isinstance(text, bool):
        value = Decimal(text)
    elif isinstance(text, str):
        cleaned = _CLEAN.sub("", text.strip())
        if cleaned.startswith("(") and cleaned.endswith(")"):
            cleaned = "-" + cleaned[1:-1]
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(f"not a number: {text!r}") from None
    else:
        raise ValueError(f"not a number: {text!r}")
    if not value.is_finite():
        raise ValueError(f"not a number: {text!r}")
    return value


def parse_money(text: object, currency: Currency = "CNY") -> Decimal:
    """Parse and round to the currency's minor unit; a value with more decimals is refused.

    >>> parse_money("12.5")
    Decimal('12.50')
    """
    value = parse_decimal(text)
    rounded = round_money(value, currency)
    if rounded != value:
        raise ValueError(f"{text!r} has more decimals than {currency} allows")
    return rounded
