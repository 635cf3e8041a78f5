"""Settlement and payout files of the platforms, read into canonical :class:`SettlementRow` values.

Each reader maps one platform's columns and business types; amounts are signed from our side
(+ money to us, − money taken). Types not about orders or fees (提现, payout) are skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ecerp_core.dates import date_problem
from ecerp_core.errors import ImportFileError, Problem, ValidationError, problem
from ecerp_core.finance.exceptions import PostingFailed
from ecerp_core.money import parse_decimal
from ecerp_core.tabular import decode, parse_text, read_table

LINE_TYPES = ("sale", "refund", "fee", "commission", "subsidy")
ORDER_ID_LENGTH = 64
"""The longest order id a settlement line keeps (``fin_settlement_line.platform_order_id``)."""


@dataclass(frozen=True)
class SettlementRow:
    """One line of a settlement file: its type, the order it names, the signed amount, the day."""

    line_no: int
    line_type: str
    platform_order_id: str
    amount: Decimal
    business_date: dt.date


@dataclass(frozen=True)
class Format:
    """How one platform writes its settlement: columns, type words, currency."""

    platform: str
    order_platforms: tuple[str, ...]
    currency: str
    columns: dict[str, str]  # our field -> the file's column
    types: dict[str, str]  # the file's type word -> our line type ("" = skip)


FORMATS: dict[str, Format] = {
    "alipay": Format(
        "alipay",
        ("taobao", "tmall"),
        "CNY",
        {
            "order": "商户订单号",
            "type": "业务类型",
            "in": "收入金额（+元）",
            "out": "支出金额（-元）",
            "date": "发生时间",
        },
        {
            "交易付款": "sale",
            "在线支付": "sale",
            "交易收款": "sale",
            "交易退款": "refund",
            "服务费": "fee",
            "软件服务费": "fee",
            "佣金": "commission",
            "淘宝客佣金": "commission",
            "营销补贴": "subsidy",
            "提现": "",
        },
    ),
    "jd": Format(
        "jd",
        ("jd",),
        "CNY",
        {"order": "订单编号", "type": "费用名称", "amount": "应结金额", "date": "结算时间"},
        {
            "货款": "sale",
            "售后退款": "refund",
            "退货款": "refund",
            "佣金": "commission",
            "平台使用费": "fee",
            "技术服务费": "fee",
            "京东补贴": "subsidy",
            "平台补贴": "subsidy",
        },
    ),
    "pdd": Format(
        "pdd",
        ("pdd",),
        "CNY",
        {
            "order": "订单编号",
            "type": "账务类型",
            "in": "收入金额(元)",
            "out": "支出金额(元)",
            "date": "账务时间",
        },
        {
            "交易收入": "sale",
            "退款": "refund",
            "技术服务费": "fee",
            "多多进宝佣金": "commission",
            "平台补贴": "subsidy",
            "提现": "",
        },
    ),
    "shopify": Format(
        "shopify",
        ("shopify",),
        "USD",
        {
            "order": "Order",
            "type": "Type",
            "amount": "Amount",
            "fee": "Fee",
            "date": "Transaction Date",
            "currency": "Currency",
        },
        {"charge": "sale", "refund": "refund", "adjustment": "fee", "payout": ""},
    ),
}
ALIASES = {"taobao": "alipay", "tmall": "alipay"}


def format_for(platform: str) -> Format:
    name = ALIASES.get(platform.lower(), platform.lower())
    if name not in FORMATS:
        raise PostingFailed("error.finance.unknown_platform", platform=platform)
    return FORMATS[name]


def _date(text: str) -> dt.date:
    text = text.strip().replace("/", "-")
    match = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if not match:
        raise ValueError(text)
    return dt.date(*(int(x) for x in match.groups()))  # ValueError for a day that does not exist


def _money(text: str | None) -> Decimal:
    text = (text or "").strip()
    return parse_decimal(text) if text else Decimal(0)


def _order_id(text: str) -> str:
    text = (text or "").strip().lstrip("'\t")
    return re.sub(r"^T200P", "", text)  # Alipay writes Taobao order ids with this prefix


def read_settlement(fmt: Format, path: Path | str) -> list[SettlementRow]:
    """Read a settlement CSV (UTF-8 or GBK; ``#`` comment lines of Alipay bills are skipped)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        table = read_table(path)
    else:
        try:
            data = path.read_bytes()
        except OSError:
            table = read_table(path)  # raises the file error people understand
        text = decode(data, path.name)
        table = parse_text(
            "\n".join(x for x in text.splitlines() if not x.lstrip().startswith("#")), path.name
        )
    missing = [c for k, c in fmt.columns.items() if c not in table.header and k not in ("currency", "fee")]
    if missing:
        raise ImportFileError("error.finance.settlement_columns", file=path.name, columns=", ".join(missing))
    col = fmt.columns
    out: list[SettlementRow] = []
    problems: list[Problem] = []
    for n, row in table:
        word = (row.get(col["type"]) or "").strip()
        if not word:
            continue
        if word not in fmt.types:  # booked as a fee it would hide a sale or a refund in the fees
            problems.append(problem("line_type", "unknown_settlement_type", value=word[:80]).at_line(n))
            continue
        line_type = fmt.types[word]
        if not line_type:
            continue
        try:
            amount = (
                _money(row.get(col["amount"]))
                if "amount" in col
                else _money(row.get(col["in"])) - abs(_money(row.get(col["out"])))
            )
            fee = _money(row.get(col["fee"])) if "fee" in col else Decimal(0)
        except ValueError:
            problems.append(problem("amount", "not_a_number", value=_shown(row, col)).at_line(n))
            continue
        try:
            day = _date(row.get(col["date"]) or "")
        except ValueError:
            problems.append(
                problem("business_date", "bad_date", value=(row.get(col["date"]) or "")[:40]).at_line(n)
            )
            continue
        wrong = date_problem("business_date", day)
        if wrong is not None:
            problems.append(wrong.at_line(n))
            continue
        order = _order_id(row.get(col["order"]) or "")
        if len(order) > ORDER_ID_LENGTH:
            problems.append(problem("platform_order_id", "too_long", max=ORDER_ID_LENGTH).at_line(n))
            continue
        if line_type == "refund":
            amount = -abs(amount)
        out.append(SettlementRow(n, line_type, order, amount, day))
        if fee:
            out.append(SettlementRow(n, "fee", order, -abs(fee), day))
    if problems:
        # a settlement is posted whole or not at all: every bad row is listed with its line
        raise ValidationError(problems)
    return out


def _shown(row: dict[str, str], col: dict[str, str]) -> str:
    return " / ".join((row.get(col[k]) or "")[:40] for k in ("amount", "in", "out", "fee") if k in col)


READERS: dict[str, Callable] = {name: (lambda p, f=f: read_settlement(f, p)) for name, f in FORMATS.items()}
