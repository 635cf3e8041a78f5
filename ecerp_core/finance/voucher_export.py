"""A period's vouchers in the layouts 用友 (U8 / T+) and 金蝶 (KIS / K3) import.

Many sellers' outside accountants keep their books in one of those; they import what ecerp posted
instead of typing it again. The layouts, their encodings and where they come from are described in
``docs/voucher_export.md``:

- ``u8``: the text file of U8's 总账工具 → 凭证引入: GBK, CRLF, a first line ``填制凭证,V800``, then
  one comma-separated line per voucher line (制单日期, 凭证类别字, 凭证号, 附单据数, 摘要,
  科目编码, 借方, 贷方, 数量, 外币金额, 汇率, 制单人).
- ``kingdee``: the Excel workbook of K3's 标准凭证引入 (KIS 专业版 reads the same): one sheet
  ``t_Voucher`` with the ``F...`` columns of :data:`KINGDEE_COLUMNS`, account codes dotted by level
  (``1122.01``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, User, require
from ecerp_core.catalog.company import get_company
from ecerp_core.errors import ValidationError, problem
from ecerp_core.finance.memos import shown
from ecerp_core.finance.models import Account, JournalEntry, JournalLine
from ecerp_core.finance.periods import get_period
from ecerp_core.sheets import safe_cell

FORMATS = ("u8", "kingdee")
VOUCHER_WORD = "记"
"""凭证类别字 / 凭证字: one kind, 记账凭证, as most small companies keep."""
U8_HEADER = "填制凭证,V800"
U8_MEMO_LENGTH = 60
KINGDEE_COLUMNS = (
    "FDate",
    "FTransDate",
    "FPeriod",
    "FGroupID",
    "FNumber",
    "FAccountNum",
    "FAccountName",
    "FCurrencyNum",
    "FCurrencyName",
    "FAmountFor",
    "FDebit",
    "FCredit",
    "FPreparerID",
    "FCheckerID",
    "FApproveID",
    "FCashierID",
    "FHandler",
    "FSettleTypeID",
    "FSettleNo",
    "FExplanation",
    "FQuantity",
    "FMeasureUnitID",
    "FUnitPrice",
    "FReference",
    "FTransNo",
    "FAttachments",
    "FSerialNum",
    "FObjectName",
    "FParameter",
    "FExchangeRate",
    "FEntryID",
    "FItem",
    "FPosted",
    "FInternalInd",
    "FCashFlow",
)
KINGDEE_CURRENCIES = {
    "CNY": ("RMB", "人民币"),
    "USD": ("USD", "美元"),
    "HKD": ("HKD", "港币"),
    "EUR": ("EUR", "欧元"),
}


def dotted(code: str) -> str:
    """An account code the way 金蝶 writes it, a dot between levels (4, then 2 digits a level).

    >>> dotted("1405"), dotted("112201"), dotted("22210101")
    ('1405', '1122.01', '2221.01.01')
    """
    return ".".join([code[:4], *(code[i : i + 2] for i in range(4, len(code), 2))])


def voucher_lines(session: Session, period_text: str) -> Iterator[dict]:
    """Every line of the period's vouchers, in voucher and line order, with what both layouts need."""
    period = get_period(session, period_text)
    users = dict(session.execute(select(User.id, User.username)).all())
    stmt = (
        select(
            JournalEntry.entry_date,
            JournalEntry.number,
            JournalEntry.memo.label("entry_memo"),
            JournalEntry.actor_id,
            JournalLine.line_no,
            JournalLine.memo,
            Account.code,
            Account.name_zh,
            JournalLine.debit,
            JournalLine.credit,
            JournalLine.currency,
            JournalLine.amount_currency,
            JournalLine.rate,
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Account, Account.id == JournalLine.account_id)
        .where(JournalEntry.period_id == period.id)
        .order_by(JournalEntry.number, JournalLine.line_no)
    )
    for r in session.execute(stmt):
        yield {
            "date": r.entry_date,
            "period": period.month,
            "number": r.number,
            "line_no": r.line_no,
            "memo": shown(r.memo or r.entry_memo, "zh_CN"),  # the Chinese packages' own language
            "account_code": r.code,
            "account_name": r.name_zh,
            "debit": r.debit,
            "credit": r.credit,
            "currency": r.currency,
            "amount_currency": abs(r.amount_currency),
            "rate": r.rate,
            "preparer": users.get(r.actor_id, ""),
        }


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def u8_text(lines: Iterator[dict], base: str) -> str:
    """The U8 凭证引入 text (see the module); foreign-currency lines carry 外币金额 and 汇率."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write(U8_HEADER + "\r\n")
    for x in lines:
        foreign = x["currency"] != base
        writer.writerow(
            [
                x["date"].isoformat(),
                VOUCHER_WORD,
                x["number"],
                0,
                safe_cell(x["memo"].replace(",", "，")[:U8_MEMO_LENGTH]),
                x["account_code"],
                _amount(x["debit"]),
                _amount(x["credit"]),
                "",
                _amount(x["amount_currency"]) if foreign else "",
                f"{x['rate'].normalize():f}" if foreign else "",
                safe_cell(x["preparer"]),
            ]
        )
    return buf.getvalue()


def kingdee_rows(lines: Iterator[dict], base: str) -> Iterator[dict]:
    """The 金蝶 t_Voucher rows (see the module); FEntryID counts a voucher's lines from 0."""
    for x in lines:
        number, name = KINGDEE_CURRENCIES.get(x["currency"], (x["currency"], x["currency"]))
        foreign = x["currency"] != base
        yield {
            "FDate": x["date"],
            "FTransDate": x["date"],
            "FPeriod": x["period"],
            "FGroupID": VOUCHER_WORD,
            "FNumber": x["number"],
            "FAccountNum": dotted(x["account_code"]),
            "FAccountName": x["account_name"],
            "FCurrencyNum": number,
            "FCurrencyName": name,
            "FAmountFor": x["amount_currency"] if foreign else x["debit"] + x["credit"],
            "FDebit": x["debit"],
            "FCredit": x["credit"],
            "FPreparerID": x["preparer"],
            "FCheckerID": "",
            "FApproveID": "",
            "FCashierID": "",
            "FHandler": "",
            "FSettleTypeID": "",
            "FSettleNo": "",
            "FExplanation": x["memo"],
            "FQuantity": 0,
            "FMeasureUnitID": "",
            "FUnitPrice": 0,
            "FReference": "",
            "FTransNo": "",
            "FAttachments": 0,
            "FSerialNum": x["number"],
            "FObjectName": "",
            "FParameter": "",
            "FExchangeRate": x["rate"] if foreign else Decimal(1),
            "FEntryID": x["line_no"] - 1,
            "FItem": "",
            "FPosted": 0,
            "FInternalInd": "",
            "FCashFlow": "",
        }


def kingdee_xlsx(rows: Iterator[dict]) -> bytes:
    """The t_Voucher workbook; money with two decimals, the rate with eight."""
    from openpyxl import Workbook

    rate_column = KINGDEE_COLUMNS.index("FExchangeRate") + 1
    wb = Workbook()
    ws = wb.active
    ws.title = "t_Voucher"
    ws.append(list(KINGDEE_COLUMNS))
    for row in rows:
        ws.append([safe_cell(row[c]) for c in KINGDEE_COLUMNS])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "0.00000000" if cell.column == rate_column else "0.00"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FILE_NAMES = {"u8": "{period}-u8.txt", "kingdee": "{period}-kingdee.xlsx"}
"""The name a download of each format gets."""


def voucher_file(session: Session, actor: Actor, period_text: str, fmt: str) -> tuple[bytes, int]:
    """The vouchers of a period (``"2026-10"``) in ``fmt`` (``u8`` or ``kingdee``): the file's bytes
    and how many voucher lines it holds. Needs ``finance.read``."""
    require(actor, "finance.read")
    if fmt not in FORMATS:
        raise ValidationError([problem("format", "not_a_choice", value=fmt, choices=", ".join(FORMATS))])
    base = get_company(session).base_currency
    lines = list(voucher_lines(session, period_text))
    if fmt == "u8":
        return u8_text(iter(lines), base).encode("gbk", errors="replace"), len(lines)
    return kingdee_xlsx(kingdee_rows(iter(lines), base)), len(lines)


def export_vouchers(session: Session, actor: Actor, period_text: str, fmt: str, out: Path | str) -> int:
    """Write :func:`voucher_file` to ``out``; returns the number of voucher lines written."""
    data, count = voucher_file(session, actor, period_text, fmt)
    Path(out).write_bytes(data)
    return count
