"""What every file parser shares: reading cells as money, counts and moments; row errors; results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from ecerp_core.errors import ImportFileError
from ecerp_core.i18n import lazy, t
from ecerp_core.money import parse_decimal, round_money
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.tabular import Table, normal

ZERO = Decimal("0")
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class ShopInfo:
    """The shop a file belongs to: its id, platform, currency and the zone of naive timestamps."""

    id: int
    platform: str
    currency: str
    timezone: dt.tzinfo = CHINA


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


def count(value: str, name: str = "") -> int:
    """A whole positive quantity."""
    number = money(value, name, blank=None)
    if number != number.to_integral_value() or number <= 0:
        raise RowError("bad_quantity", column=name, value=value)
    return int(number)


FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
           "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y %H:%M", "%m/%d/%Y",
           "%d.%m.%Y %H:%M", "%d.%m.%Y")  # fmt: skip


def moment(
    value: str, name: str, tz: dt.tzinfo, *, fmt: str | None = None, blank_ok: bool = False
) -> dt.datetime | None:
    """A timestamp cell as an aware datetime (naive ones are in ``tz``)."""
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


def pick(row: Mapping[str, str], *names: str) -> str:
    """The first non-blank of these columns (the platforms renamed columns over the years)."""
    for n in names:
        v = row.get(n)
        if v:
            return v
    return ""


def group_rows(table: Table, key: str) -> dict[str, list[tuple[int, dict]]]:
    """Rows grouped by an order column, in file order; rows without the key are returned under ''."""
    groups: dict[str, list[tuple[int, dict]]] = {}
    for line, row in table:
        groups.setdefault(row.get(key, "").strip(), []).append((line, row))
    return groups


def parse_grouped(table: Table, required: Iterable[str], key: str,
                  build: Callable[[str, list[tuple[int, dict]]], OrderDraft | None]) -> Parsed:  # fmt: skip
    """The usual one-row-per-item export: check its columns, group rows by ``key``, build a draft each."""
    require_columns(table, required)
    return collect(Parsed(), table.name, group_rows(table, key), build, key)


def status_in(statuses: Mapping[str, str], text: str) -> str:
    """Our status for a platform's status text (spaces and full-width forms ignored), or a row error."""
    found = statuses.get(normal(text).replace(" ", ""))
    if found is None:
        raise RowError("unknown_status", value=text)
    return found


def collect(parsed: Parsed, file: str, groups: Mapping[str, list[tuple[int, dict]]],
            build: Callable[[str, list[tuple[int, dict]]], OrderDraft | None], key_column: str) -> Parsed:  # fmt: skip
    """Build one draft per group; a group that fails is rejected with its first line and reason."""
    parsed.file = file
    for key, rows in groups.items():
        if not key:
            for line, _ in rows:
                parsed.rejected.append({"file": file, "line": line,
                                        "reason": t("orders.row.missing", None, column=key_column)})  # fmt: skip
            continue
        try:
            draft = build(key, rows)
        except RowError as exc:
            parsed.rejected.append({"file": file, "line": rows[0][0], "reason": str(exc)})
            continue
        if draft is not None:
            parsed.drafts.append(draft)
    return parsed


def line_draft(
    sku: str, qty: int, price: Decimal, currency: str, name: str = "", discount: Decimal = ZERO
) -> OrderLineDraft:
    return OrderLineDraft(
        sku, qty, price, round_money(qty * price - discount, currency), discount, None, name
    )


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
