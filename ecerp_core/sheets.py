"""Writing tables people open in a spreadsheet: CSV and formatted Excel, formula-looking cells escaped.

A cell that starts with ``=``, ``+``, ``-``, ``@``, tab or CR would run as a formula in Excel (CSV
injection); text cells like that get a leading apostrophe. Numbers stay numbers. Every CSV or XLSX
the project writes for people goes through here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Escape text that a spreadsheet would take for a formula; keep numbers and dates as they are.

    >>> safe_cell("=SUM(A1)")
    "'=SUM(A1)"
    >>> safe_cell(Decimal("-5.00"))
    Decimal('-5.00')
    """
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(safe_cell(value))


def write_csv(rows: Iterable[dict], columns: Sequence[str], out) -> int:
    """Write dict rows as CSV to a text stream; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([_text(row.get(c)) for c in columns])
        n += 1
    return n


def csv_text(rows: Iterable[dict], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    write_csv(rows, columns, buf)
    return buf.getvalue()


def number_cell(value: object) -> object:
    """A number as a number; anything else as escaped text."""
    return value if isinstance(value, Decimal | int) or value is None else safe_cell(str(value))


def write_table_xlsx(
    rows: Iterable[dict],
    columns: Sequence[str],
    path: Path | str | BinaryIO,
    *,
    title: str,
    column_titles: dict[str, str],
    subtitle: str = "",
) -> None:
    """A report table on one sheet: its title, a bold header, money formatted, frozen header; a row
    with a true ``is_total`` is bold. ``path`` may be a binary stream (an app's download)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([safe_cell(title), safe_cell(subtitle)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([safe_cell(column_titles.get(c, c)) for c in columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        ws.append(
            [number_cell(row.get(c)) if not isinstance(row.get(c), dt.date) else row.get(c) for c in columns]
        )
        if row.get("is_total"):
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
    for line in ws.iter_rows(min_row=3):
        for cell in line:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00;[Red]-#,##0.00"
    for n, column in enumerate(columns):
        ws.column_dimensions[ws.cell(row=2, column=n + 1).column_letter].width = (
            40 if column.endswith("name") or column == "memo" else 16
        )
    ws.freeze_panes = "A3"
    wb.save(path)
