"""Statement export: the three statements as one CSV or a formatted workbook of three sheets.

The cell escaping and the plain table writers they share with every other export live in
:mod:`ecerp_core.sheets`.
"""

from __future__ import annotations

from pathlib import Path

from ecerp_core.sheets import csv_text, number_cell, safe_cell


def statement_rows(section: dict) -> list[dict]:
    return [
        {"key": x["key"], "label": x["label"], **{c: x.get(c) for c in section["columns"]}}
        for x in section["lines"]
    ]


def statements_csv(report: dict) -> str:
    """The three statements as one CSV: statement, key, label and every column of each."""
    columns = ("statement", "key", "label", "end_of_period", "start_of_year", "this_period", "year_to_date",
               "last_year", "last_year_to_date")  # fmt: skip
    rows = [
        {"statement": name, **row}
        for name in ("balance_sheet", "income_statement", "cash_flow")
        for row in statement_rows(report[name])
    ]
    return csv_text(rows, columns)


def write_statements_xlsx(
    report: dict, path: Path | str, titles: dict[str, str], column_titles: dict[str, str]
) -> Path:
    """The three statements on three sheets: bold totals, money format, frozen header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    for name in ("balance_sheet", "income_statement", "cash_flow"):
        section = report[name]
        ws = wb.create_sheet(titles[name][:31])
        ws.append([safe_cell(titles[name]), safe_cell(report.get("period", ""))])
        ws["A1"].font = Font(bold=True, size=13)
        header = [column_titles.get("item", "item")] + [column_titles.get(c, c) for c in section["columns"]]
        ws.append([safe_cell(h) for h in header])
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE7F0")
            cell.alignment = Alignment(horizontal="center")
        for line in section["lines"]:
            ws.append([safe_cell(line["label"])] + [number_cell(line.get(c)) for c in section["columns"]])
            if line.get("total"):
                for cell in ws[ws.max_row]:
                    cell.font = Font(bold=True)
        for row in ws.iter_rows(min_row=3, min_col=2):
            for cell in row:
                cell.number_format = "#,##0.00;[Red]-#,##0.00"
        ws.column_dimensions["A"].width = 46
        for col in "BCDE":
            ws.column_dimensions[col].width = 18
        ws.freeze_panes = "B3"
    wb.save(path)
    return path
