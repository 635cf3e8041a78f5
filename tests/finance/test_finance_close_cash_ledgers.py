"""Finance Close's Ledgers and Cash tabs in plain pytest: pick, show, download, post, age."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import openpyxl
import pytest
from test_scenario_month import run_october

from widgets.common.actor import open_context
from widgets.finance_close.model import FinanceCloseModel
from widgets.finance_close.view import FinanceCloseView


@pytest.fixture
def october(db, session, admin, books, tmp_path, monkeypatch):
    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    run_october(session, admin, books, tmp_path)
    session.commit()


def downloaded(links: str, name_end: str) -> bytes:
    found = re.search(r'download="[^"]*' + re.escape(name_end) + r'" href="data:[^;]+;base64,([^"]+)"', links)
    return base64.b64decode(found.group(1))


def test_the_ledgers_tab_shows_a_detail_ledger_and_its_downloads(october):
    view = FinanceCloseView(FinanceCloseModel(open_context("admin", "zh_CN")))
    assert view.ledgers.panel.layout.display == "none"
    view.screen_tabs.value = "ledgers"
    screen = view.ledgers
    assert screen.panel.layout.display is None and screen.start.value == "2026-11"
    screen.start.value = screen.end.value = "2026-10"
    screen.show()
    assert "科目余额表" in screen.table.value and "88,923.74" in screen.table.value
    screen.report.value = "detail"
    screen.show()
    assert "请选择一个科目" in view.alerts.value or screen.account.value
    screen.account.value = "112201"
    screen.show()
    assert "明细账 112201" in screen.table.value and "202610-00010" in screen.table.value
    assert "期初余额" in screen.table.value and "淘宝店" in screen.table.value
    csv = downloaded(screen.downloads.value, ".csv").decode("utf-8-sig").splitlines()
    assert csv[0] == "date,voucher,memo,counterparty,counter_accounts,debit,credit,side,balance"
    assert csv[1] == ",,期初余额,,,,,平,0.00"
    sheet = openpyxl.load_workbook(io.BytesIO(downloaded(screen.downloads.value, ".xlsx"))).active
    assert sheet["A2"].value == "日期" and sheet["B4"].value == "202610-00004"
    view.i18n.set_language("en")
    assert "Subsidiary ledger 112201 Receivable - Taobao (Alipay)" in screen.table.value
    assert "Opening balance" in screen.table.value and "<td>Taobao</td>" in screen.table.value


def test_the_cash_tab_pays_a_supplier_and_shows_the_aging(october):
    view = FinanceCloseView(FinanceCloseModel(open_context("admin", "en")))
    view.screen_tabs.value = "cash"
    screen = view.cash
    assert "Total" in screen.table.value
    screen.as_of.value = dt.date(2026, 10, 31)
    screen.side.value = "receivables"
    assert "Shopify" in screen.table.value and "720.00" in screen.table.value
    screen.action.value = "transfer"
    screen.bank.value, screen.target.value = "100201", "1001"
    screen.amount.value, screen.day.value = "500.00", dt.date(2026, 10, 31)
    screen.post()
    assert "Posted 500.00 (voucher 202610-00012)" in view.alerts.value, view.alerts.value
    screen.action.value = "pay"
    screen.amount.value = "abc"
    screen.post()
    assert "abc" in view.alerts.value
    screen.amount.value, screen.day.value = "10.00", dt.date(2026, 9, 1)
    screen.party.value = screen.party.options[0][1]
    screen.post()  # the books begin in October
    assert "2026-09-01 is before the books begin (2026-10)" in view.alerts.value
    screen.day.value = dt.date(2026, 11, 2)
    screen.post()
    assert "Posted 10.00 (voucher 202611-00002)" in view.alerts.value
    screen.as_of.value = dt.date(2026, 11, 30)
    screen.side.value = "payables"
    assert "-10.00" in screen.table.value


def test_the_vat_and_export_tab(october):
    view = FinanceCloseView(FinanceCloseModel(open_context("admin", "zh_CN")))
    view.screen_tabs.value = "month_end"
    screen = view.month_end
    assert screen.period.value == "2026-10" and screen.bank.value == "100201"
    screen.close_vat()
    assert "2026-10 没有需要转出的增值税" in view.alerts.value
    assert "期末留抵税额" in screen.result.value and "1,274.00" in screen.result.value
    screen.pay_vat()
    assert "没有待缴的增值税及附加" in view.alerts.value
    screen.export()
    text = downloaded(screen.download.value, "2026-10-u8.txt").decode("gbk").split("\r\n")
    assert text[:2] == ["填制凭证,V800", "2026-10-01,记,1,0,实收资本,100201,100000.00,0.00,,,,admin"]
    assert "下载 2026-10-u8.txt（35 行）" in screen.download.value
    screen.format.value = "kingdee"
    screen.export()
    sheet = openpyxl.load_workbook(io.BytesIO(downloaded(screen.download.value, ".xlsx")))["t_Voucher"]
    assert sheet["F2"].value == "1002.01"
    view.i18n.set_language("en")
    assert "Credit carried forward" in screen.result.value
