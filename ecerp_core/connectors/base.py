"""What every file parser shares: reading cells as money, counts and moments; row errors; results."""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from ecerp_core.dates import date_window, in_window
from ecerp_core.errors import ImportFileError
from ecerp_core.i18n import lazy, t
from ecerp_core.money import LIMIT, parse_decimal, round_money
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.tabular import FIRST_LINE, Cells, Table, normal

ZERO = Decimal("0")
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class ShopInfo:
    """The shop a file belongs to: its id, platform, currency, the zone of naive timestamps, and
    whether its prices include the sales tax where an export's figures do not tell."""

    id: int
    platform: str
    currency: str
    timezone: dt.tzinfo = CHINA
    prices_include_tax: bool = False


@dataclass
class Parsed:
    """Drafts read from a file, and the rows that could not be read (``{file, line, reason}``)."""

    drafts: list[OrderDraft] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    file: str = ""


class RowError(ValueError):
    """A row (or an order's rows) that cannot be read; its text is the reason shown to people."""

    def __init__(self, key: str, **params: object) -> None:
        self.key, self.params = key, params
        super().__init__(t(f"orders.row.{key}", None, **params))


def money(value: str, name: str = "", *, blank: Decimal | None = ZERO) -> Decimal:
    """A money cell read by :func:`~ecerp_core.money.parse_decimal`; blank -> ``blank`` (None: the
    cell is required). A bad one is a row error naming the column."""
    if not value or value.isspace():
        if blank is None:
            raise RowError("missing", column=name)
        return blank
    try:
        return parse_decimal(value)
    except ValueError:
        raise RowError("bad_number", column=name, value=value) from None


MAX_QUANTITY = 1_000_000
"""No order line asks for more units than this (an ``integer`` column holds 2^31 - 1): a larger
count is a typo, rejected with its row instead of failing the whole file in the database."""


def count(value: str, name: str = "") -> int:
    """A whole positive quantity, at most :data:`MAX_QUANTITY`."""
    number = money(value, name, blank=None)
    if number != number.to_integral_value() or number <= 0:
        raise RowError("bad_quantity", column=name, value=value)
    if number > MAX_QUANTITY:
        raise RowError("too_large", column=name, value=value, limit=MAX_QUANTITY)
    return int(number)


FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
           "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y %H:%M", "%m/%d/%Y",
           "%d.%m.%Y %H:%M", "%d.%m.%Y")  # fmt: skip


def moment(
    value: str, name: str, tz: dt.tzinfo, *, fmt: str | None = None, blank_ok: bool = False
) -> dt.datetime | None:
    """A timestamp cell as an aware datetime (naive ones are in ``tz``); a moment outside the
    business date window (:mod:`ecerp_core.dates`) is a row error."""
    parsed = _moment(value, name, tz, fmt=fmt, blank_ok=blank_ok)
    if parsed is not None and not in_window(parsed):
        earliest, latest = date_window()
        raise RowError("date_out_of_range", column=name, value=value, earliest=earliest, latest=latest)
    return parsed


def _moment(
    value: str, name: str, tz: dt.tzinfo, *, fmt: str | None = None, blank_ok: bool = False
) -> dt.datetime | None:
    text = normal(value)
    if not text:
        if blank_ok:
            return None
        raise RowError("missing", column=name)
    if fmt is None and text[4:5] == "-":
        # ISO-like cells (nearly every export) parse in C; the strptime loop below is for the rest
        # and would give the same value for these, since it ends with fromisoformat too.
        iso = text[:19] + text[20:] if len(text) == 25 and text[19] == " " and text[20] in "+-" else text
        try:
            parsed = dt.datetime.fromisoformat(iso)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    for f in (fmt,) if fmt else FORMATS:
        try:
            parsed = dt.datetime.strptime(text, f)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RowError("bad_date", column=name, value=value) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def require_columns(table: Table, columns: Iterable[str]) -> None:
    """Raise :class:`ImportFileError` naming the columns this file lacks (it is not that format)."""
    have = set(table.header)
    missing = [c for c in columns if c not in have]
    if missing:
        raise ImportFileError(
            file=table.name, reason=lazy("reason.missing_columns", columns=", ".join(missing))
        )


def group_rows(keys: Sequence[str]) -> Iterable[tuple[str, Sequence[int]]]:
    """The data rows of each order, in file order: ``(key, row indices)`` for each order key (the key
    of each row in ``keys``); rows without a key come under ''.

    An export lists an order's rows together, so each order is one run of rows: the runs are found
    in C, and only a file that scatters an order's rows needs a dict of lists.
    """
    if not keys:
        return []
    changes = map(operator.ne, keys, itertools.islice(keys, 1, None))
    starts = [0, *itertools.compress(itertools.count(1), changes)]
    firsts = list(map(keys.__getitem__, starts))
    if len(set(firsts)) == len(firsts):
        return zip(firsts, map(range, starts, [*starts[1:], len(keys)]), strict=True)
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    return groups.items()


def parse_grouped(
    table: Table,
    required: Iterable[str],
    columns: Sequence[str],
    build: Callable[[str, list[Cells], int], OrderDraft | None],
) -> Parsed:
    """The usual one-row-per-item export: check its columns, read ``columns`` of every row (the first
    is the order key), group the rows by it, and build a draft of each order's cells and first line."""
    require_columns(table, required)
    rows = table.select(columns)

    def order(key: str, at: Sequence[int]) -> OrderDraft | None:
        return build(key, [rows[i] for i in at], table.first_line + at[0])

    keys = list(map(operator.itemgetter(0), rows))
    return collect(Parsed(), table.name, group_rows(keys), order, columns[0], table.first_line)


class Memo(dict):
    """``memo[key]`` is ``read(key)``, read once per distinct key: an export repeats a column's few
    texts (prices, statuses, ``0.00``, an order's timestamps on its continuation rows) over hundreds
    of thousands of rows. A key ``read`` refuses raises again each time it is met."""

    __slots__ = ("read",)

    def __init__(self, read: Callable[[Hashable], object]) -> None:
        super().__init__()
        self.read = read

    def __missing__(self, key: Hashable) -> object:
        value = self[key] = self.read(key)
        return value


class Moments(dict):
    """The timestamp cells of a file, each distinct text read once (:func:`moment`): continuation
    rows repeat an order's timestamps, and an order's paid or shipped time is often its created
    time. ``moments[text]`` is None for a blank or bad text; :meth:`read` says which."""

    __slots__ = ("earliest", "fmt", "latest", "tz")

    def __init__(self, tz: dt.tzinfo, fmt: str | None = None) -> None:
        super().__init__()
        self.tz, self.fmt = tz, fmt
        self.earliest, self.latest = date_window()  # the window of :func:`moment`, found once

    def __missing__(self, text: str) -> dt.datetime | None:
        try:
            value = _moment(text, "", self.tz, fmt=self.fmt, blank_ok=True)
        except RowError:
            value = None
        if value is not None and not self.earliest <= value.date() <= self.latest:
            value = None
        self[text] = value
        return value

    def read(self, text: str, name: str, *, blank_ok: bool = False) -> dt.datetime | None:
        """:func:`moment` of a cell of column ``name``."""
        if blank_ok and not text:
            return None
        return self[text] or moment(text, name, self.tz, fmt=self.fmt, blank_ok=blank_ok)


def status_in(statuses: Mapping[str, str], text: str) -> str:
    """Our status for a platform's status text (spaces and full-width forms ignored), or a row error."""
    found = statuses.get(normal(text).replace(" ", ""))
    if found is None:
        raise RowError("unknown_status", value=text)
    return found


def collect(
    parsed: Parsed,
    file: str,
    groups: Iterable[tuple[str, Sequence[int]]],
    build: Callable[[str, Sequence[int]], OrderDraft | None],
    key_column: str,
    first_line: int = FIRST_LINE,
) -> Parsed:
    """Build one draft per group of row indices; a group that fails is rejected with its first line
    and reason (row 0 is at ``first_line``)."""
    parsed.file = file
    for key, at in groups:
        if not key:
            for i in at:
                reason = t("orders.row.missing", None, column=key_column)
                parsed.rejected.append({"file": file, "line": first_line + i, "reason": reason})
            continue
        try:
            draft = build(key, at)
        except RowError as exc:
            parsed.rejected.append({"file": file, "line": first_line + at[0], "reason": str(exc)})
            continue
        if draft is not None:
            parsed.drafts.append(draft)
    return parsed


def line_amount(qty: int, price: Decimal, currency: str, discount: Decimal = ZERO) -> Decimal:
    amount = round_money(qty * price - discount, currency)
    if abs(amount) >= LIMIT:  # each figure was readable, their product does not fit the books
        raise RowError("too_large", column="amount", value=amount, limit=LIMIT)
    return amount


def line_draft(
    sku: str, qty: int, price: Decimal, currency: str, name: str = "", discount: Decimal = ZERO
) -> OrderLineDraft:
    return OrderLineDraft(sku, qty, price, line_amount(qty, price, currency, discount), discount, None, name)


def split_cn_address(address: str) -> tuple[str, str]:
    """``浙江省 杭州市 西湖区 文三路 1 号(310000)`` -> (``浙江``, ``杭州``)."""
    parts = normal(address).replace("\u3000", " ").split()
    if not parts:
        return "", ""
    region = parts[0]
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"):
        if region.endswith(suffix) and len(region) > len(suffix):
            region = region[: -len(suffix)]
            break
    city = parts[1] if len(parts) > 1 else ""
    city = city[:-1] if city.endswith("市") and len(city) > 1 else city
    if region in ("北京", "上海", "天津", "重庆"):
        city = city or region
    return region, city
