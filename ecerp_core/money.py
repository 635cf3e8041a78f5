"""Money is ``Decimal``: parsing, rounding to a currency's minor unit, and the column types.

Rounding happens here and nowhere else: ``ROUND_HALF_UP`` to the currency's minor unit. Reading an
amount a person or a file wrote happens here too (:func:`parse_decimal`), for every importer,
connector, command and form.
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from sqlalchemy import Numeric
from sqlalchemy.orm import mapped_column

from ecerp_core.tabular import normal

Currency = str

Money = Annotated[Decimal, mapped_column(Numeric(18, 2))]
"""An amount of money as stored: ``Numeric(18, 2)``."""
Rate = Annotated[Decimal, mapped_column(Numeric(18, 8))]
"""A rate (exchange rate, tax rate, coefficient): ``Numeric(18, 8)``."""

# ISO 4217 minor units of the currencies our sellers meet; others default to 2.
MINOR_UNITS: dict[Currency, int] = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2}
ZERO = Decimal("0")
LIMIT = Decimal("1e15")
"""No amount we read is this large (``Numeric(18, 2)`` holds less than 1e16): such a cell is a typo."""
# after NFKC folding: the full-width ￥ and ， are ¥ and , here
_CLEAN = re.compile(r"[\s,¥$€£]|^(CNY|RMB|USD|EUR|GBP)", re.IGNORECASE)


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
    """Read a number as a seller's file or a clerk writes it: thousands separators, currency signs
    and codes, full-width digits and punctuation, an accounting negative in brackets.

    Raises ``ValueError`` for anything that is not a finite number below :data:`LIMIT` in size
    (floats are refused too, so binary rounding never sneaks in); a blank is not a number either.

    >>> parse_decimal("￥1,299.50")
    Decimal('1299.50')
    >>> parse_decimal("１２．５")
    Decimal('12.5')
    >>> parse_decimal("(5.10)"), parse_decimal("CNY 7.5"), parse_decimal(3)
    (Decimal('-5.10'), Decimal('7.5'), Decimal('3'))
    >>> parse_decimal("1.2.3")
    Traceback (most recent call last):
    ...
    ValueError: not a number: '1.2.3'
    """
    if isinstance(text, str):
        return _read(text)
    if isinstance(text, bool) or not isinstance(text, int | Decimal):
        raise ValueError(f"not a number: {text!r}")
    return _checked(Decimal(text), text)


@functools.lru_cache(maxsize=1 << 16)
def _read(text: str) -> Decimal:
    """``parse_decimal`` of a text. An export repeats a few texts a column (prices, ``0.00``) over
    hundreds of thousands of rows, so each distinct one is read once."""
    try:
        # a plain number, as nearly every cell is: Decimal reads it as it reads the cleaned text, and
        # refuses the separators, signs, codes and brackets the cleaning is for
        return _checked(Decimal(text), text)
    except InvalidOperation:
        pass
    cleaned = _CLEAN.sub("", normal(text))
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    return _checked(value, text)


def _checked(value: Decimal, text: object) -> Decimal:
    if not value.is_finite() or abs(value) >= LIMIT:
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
