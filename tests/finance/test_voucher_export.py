"""Vouchers for 用友 U8 and 金蝶 K3/KIS: literal cells of October (test_scenario_month)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from test_cash import run
from test_scenario_month import run_october

from ecerp_core.errors import PermissionDenied, ValidationError
from ecerp_core.finance.voucher_export import KINGDEE_COLUMNS, export_vouchers


def test_u8_text_is_gbk_with_one_line_per_voucher_line(session, admin, books, tmp_path):
    run_october(session, admin, books, tmp_path)
    out = tmp_path / "u8.txt"
    assert export_vouchers(session, admin, "2026-10", "u8", out) == 35
    lines = out.read_bytes().decode("gbk").split("\r\n")
    assert lines[0] == "填制凭证,V800"
    assert lines[1] == "2026-10-01,记,1,0,实收资本,100201,100000.00,0.00,,,,admin"
    assert lines[2] == "2026-10-01,记,1,0,实收资本,4001,0.00,100000.00,,,,admin"
    shopify = [x for x in lines if x.startswith("2026-10-15,记,7,") and ",112205," in x]
    assert shopify == ["2026-10-15,记,7,0,销售发货 1 笔,112205,710.00,0.00,,100.00,7.1,admin"]
    assert lines[-1] == ""  # the file ends with CRLF


def test_kingdee_workbook_has_the_t_voucher_sheet(session, admin, books, tmp_path):
    run_october(session, admin, books, tmp_path)
    out = tmp_path / "k3.xlsx"
    export_vouchers(session, admin, "2026-10", "kingdee", out)
    sheet = openpyxl.load_workbook(out)["t_Voucher"]
    assert tuple(c.value for c in sheet[1]) == KINGDEE_COLUMNS
    first = dict(zip(KINGDEE_COLUMNS, (c.value for c in sheet[2]), strict=True))
    assert (first["FDate"], first["FPeriod"], first["FGroupID"], first["FNumber"], first["FEntryID"]) == (
        dt.datetime(2026, 10, 1),
        10,
        "记",
        1,
        0,
    )
    assert (first["FAccountNum"], first["FAccountName"], first["FDebit"], first["FCredit"]) == (
        "1002.01",
        "银行存款-人民币户",
        100000,
        0,
    )
    assert (first["FCurrencyNum"], first["FAmountFor"], first["FExplanation"]) == ("RMB", 100000, "实收资本")
    rows = [dict(zip(KINGDEE_COLUMNS, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    usd = next(r for r in rows if r["FAccountNum"] == "1122.05" and r["FNumber"] == 7)
    assert (usd["FCurrencyNum"], usd["FAmountFor"], usd["FExchangeRate"], usd["FDebit"]) == (
        "USD",
        100,
        7.1,
        710,
    )
    vat = next(r for r in rows if r["FAccountNum"] == "2221.01.01")
    assert (vat["FNumber"], vat["FDebit"]) == (3, 1300)


def test_export_checks_format_and_permission_and_runs_from_the_cli(
    session, admin, books, tmp_path, capsys, actor_with_role
):
    run_october(session, admin, books, tmp_path)
    with pytest.raises(ValidationError):
        export_vouchers(session, admin, "2026-10", "sap", tmp_path / "x")
    with pytest.raises(PermissionDenied):
        export_vouchers(session, actor_with_role("warehouse_clerk"), "2026-10", "u8", tmp_path / "x")
    session.commit()
    out = tmp_path / "v.txt"
    code, text, _ = run(
        capsys,
        "--lang",
        "en",
        "finance",
        "export-vouchers",
        "--period",
        "2026-10",
        "--format",
        "u8",
        "--out",
        str(out),
    )
    assert (code, text.strip()) == (0, f"Wrote {out} (35 rows)")
