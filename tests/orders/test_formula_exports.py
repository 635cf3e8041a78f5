"""Every CSV the project writes escapes text a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from ecerp_core.finance.voucher_export import u8_text
from ecerp_core.orders.batch import pick_list_csv


def test_pick_list_and_voucher_exports_escape_formula_text():
    rows = [
        {
            "warehouse": "SH",
            "bin": "@A-01",
            "sku": "+cmd|' /C calc'!A0",
            "name": '=HYPERLINK("http://x","点我")',
            "name_en": "",
            "quantity": 2,
            "orders": ["-1+1"],
        }
    ]
    [cells] = list(csv.reader(io.StringIO(pick_list_csv(rows, "zh_CN"))))[1:]
    assert cells == ["SH", "'@A-01", "'+cmd|' /C calc'!A0", '\'=HYPERLINK("http://x","点我")', "2", "'-1+1"]
    line = {
        "date": dt.date(2026, 10, 31),
        "number": 1,
        "memo": "=SUM(A1:A9)",
        "account_code": "1001",
        "debit": Decimal("1.00"),
        "credit": Decimal("0.00"),
        "currency": "CNY",
        "amount_currency": Decimal("1.00"),
        "rate": Decimal("1"),
        "preparer": "@admin",
    }
    text = u8_text(iter([line]), "CNY")
    assert "'=SUM(A1:A9)" in text and "'@admin" in text
