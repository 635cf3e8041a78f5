"""Ledgers over the October month of test_scenario_month (worked out by hand there), and November.

October's closing balances: bank 88,923.74 Dr, receivables 720.00 Dr (Shopify USD 100 at 7.20),
inventory 29,550.00 Dr, VAT 1,274.00 Dr (input 1,300.00 less output 26.00: carried forward),
capital 120,000.00 Cr, revenue 910.00 Cr. On 11-01 the revaluation gain of 10.00 is reversed.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import openpyxl
import pytest
from test_cash import run
from test_scenario_month import run_october

from ecerp_core.errors import PermissionDenied, ValidationError
from ecerp_core.finance import balances


def rows_by_code(rows: list[dict]) -> dict[str, dict]:
    return {r["account_code"]: r for r in rows}


def test_trial_balance_columns_open_move_and_close(session, admin, books, tmp_path):
    run_october(session, admin, books, tmp_path)
    october = balances.trial_balance_columns(session, "2026-10", language="en")
    rows = rows_by_code(october["rows"])
    assert (rows["1002"]["debit"], rows["1002"]["credit"], rows["1002"]["closing_debit"]) == (
        D("100223.74"),
        D("11300.00"),
        D("88923.74"),
    )
    assert rows["100201"]["level"] == 2 and rows["22210101"]["level"] == 3
    assert (rows["22210102"]["debit"], rows["22210102"]["credit"], rows["22210102"]["closing_credit"]) == (
        D("12.64"),
        D("38.64"),
        D("26.00"),
    )
    assert rows["2221"]["closing_debit"] == D("1274.00")
    assert rows["4001"]["closing_credit"] == D("120000.00")
    assert october["totals"] == {
        "opening_debit": D("0.00"),
        "opening_credit": D("0.00"),
        "debit": D("144541.80"),
        "credit": D("144541.80"),
        "closing_debit": D("120920.00"),
        "closing_credit": D("120920.00"),
    }
    assert october["balanced"]
    november = balances.trial_balance_columns(session, "2026-11", language="en")
    rows = rows_by_code(november["rows"])
    assert (rows["112205"]["opening_debit"], rows["112205"]["credit"], rows["112205"]["closing_debit"]) == (
        D("720.00"),
        D("10.00"),
        D("710.00"),
    )
    assert november["totals"]["opening_debit"] == D("120920.00") == november["totals"]["opening_credit"]
    both = balances.trial_balance_columns(session, "2026-10", "2026-11")
    assert both["totals"]["debit"] == D("144551.80")


def test_general_ledger_months_with_year_to_date(session, admin, books, tmp_path):
    run_october(session, admin, books, tmp_path)
    found = balances.general_ledger(session, "2026-10", "2026-11", account="1122")["rows"]
    assert [(r["period"], r["opening_side"], r["opening"], r["debit"], r["credit"]) for r in found] == [
        ("2026-10", "flat", D("0.00"), D("1055.90"), D("335.90")),
        ("2026-11", "debit", D("720.00"), D("0.00"), D("10.00")),
    ]
    assert (found[1]["ytd_debit"], found[1]["ytd_credit"], found[1]["closing"]) == (
        D("1055.90"),
        D("345.90"),
        D("710.00"),
    )
    every = rows_by_code(balances.general_ledger(session, "2026-10")["rows"])
    assert every["6001"]["closing_side"] == "credit" and every["6001"]["closing"] == D("910.00")
    assert "100201" not in every  # first-level accounts only
    with pytest.raises(ValidationError):
        balances.general_ledger(session, "2026-10", account="9999")
    with pytest.raises(ValidationError):
        balances.general_ledger(session, "2026-11", "2026-10")


def test_subsidiary_ledger_lines_running_balance_and_counterparts(session, admin, books, tmp_path):
    run_october(session, admin, books, tmp_path)
    detail = balances.subsidiary_ledger(session, "112201", "2026-10", language="en")
    assert [(x["voucher"], x["debit"], x["credit"], x["balance"]) for x in detail["lines"]] == [
        ("202610-00004", D("226.00"), D("0.00"), D("226.00")),
        ("202610-00005", D("109.90"), D("0.00"), D("335.90")),
        ("202610-00006", D("0.00"), D("109.90"), D("226.00")),
        ("202610-00010", D("0.00"), D("226.00"), D("0.00")),
    ]
    first, settled = detail["lines"][0], detail["lines"][-1]
    assert (first["counterparty"], first["counter_accounts"]) == ("淘宝店", "1405 22210102 6001 6401")
    assert (settled["counterparty"], settled["counter_accounts"]) == ("Taobao", "100201 660101")
    assert (detail["opening"], detail["closing_side"], detail["closing"]) == (D("0.00"), "flat", D("0.00"))
    payable = balances.subsidiary_ledger(session, "2202", "2026-10", language="en")
    assert [x["counterparty"] for x in payable["lines"]] == ["供应商一", "供应商一"]
    november = balances.subsidiary_ledger(session, "1122", "2026-11")
    assert (november["opening_side"], november["opening"], november["closing"]) == (
        "debit",
        D("720.00"),
        D("710.00"),
    )


def test_ledgers_from_the_cli(session, admin, books, tmp_path, capsys, actor_with_role):
    run_october(session, admin, books, tmp_path)
    session.commit()
    code, out, _ = run(capsys, "finance", "trial-balance", "--period", "2026-10", "--json")
    assert code == 0 and json.loads(out)["totals"]["closing_debit"] == "120920.00"
    code, out, _ = run(capsys, "finance", "trial-balance", "--period", "2026-10", "--format", "csv")
    assert out.splitlines()[0] == (
        "account_code,account_name,opening_debit,opening_credit,debit,credit,closing_debit,closing_credit"
    )
    assert "1405,库存商品,0.00,0.00,30050.00,500.00,29550.00,0.00" in out.splitlines()
    book = tmp_path / "detail.xlsx"
    code, out, _ = run(
        capsys,
        "--lang",
        "en",
        "finance",
        "ledger",
        "detail",
        "--account",
        "112201",
        "--from",
        "2026-10",
        "--format",
        "xlsx",
        "--out",
        str(book),
    )
    assert code == 0
    sheet = openpyxl.load_workbook(book).active
    assert sheet["A1"].value == "Subsidiary ledger 112201 Receivable - Taobao (Alipay)"
    assert [c.value for c in sheet[2]][:4] == ["Date", "Voucher", "Memo", "Counterparty"]
    assert [c.value for c in sheet[3]][2:] == ["Opening balance", None, None, None, None, "–", 0]
    assert [c.value for c in sheet[4]][:2] == [dt.datetime(2026, 10, 10), "202610-00004"]
    assert [c.value for c in sheet[8]][5:] == [335.9, 335.9, "–", 0]
    code, out, _ = run(capsys, "finance", "ledger", "general", "--period", "2026-11", "--account", "1122")
    assert code == 0 and "720.00" in out and "710.00" in out
    code, _, err = run(
        capsys, "--lang", "en", "finance", "ledger", "detail", "--account", "1122", "--from", "2026-13"
    )
    assert code == 1 and "2026-13" in err
    analyst = actor_with_role("analyst")
    clerk = actor_with_role("warehouse_clerk")
    assert balances.read_general_ledger(session, analyst, "2026-10")["rows"]
    with pytest.raises(PermissionDenied):
        balances.read_subsidiary_ledger(session, clerk, "1122", "2026-10")
