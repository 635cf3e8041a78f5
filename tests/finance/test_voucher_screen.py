"""The voucher tab of Finance Close in plain pytest: type lines, watch the totals, post, reverse."""

from __future__ import annotations

import datetime as dt

import pytest

from widgets.common.actor import open_context
from widgets.finance_close.model import FinanceCloseModel
from widgets.finance_close.view import FinanceCloseView


@pytest.fixture
def screen(db, tmp_path, monkeypatch):
    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    view = FinanceCloseView(FinanceCloseModel(open_context("admin", "zh_CN")))
    assert view.shell is not None
    return view.vouchers


def type_line(row, account: str, debit: str = "", credit: str = "", memo: str = "") -> None:
    row.account.value, row.debit.value, row.credit.value, row.memo.value = account, debit, credit, memo


def test_the_account_picker_offers_codes_with_names_in_the_apps_language(screen):
    assert "6602 管理费用" in screen.accounts and "100201 银行存款-人民币户" in screen.accounts
    assert "1002 银行存款" not in screen.accounts  # a heading takes no postings
    screen.i18n.set_language("en")
    assert "6602 Administrative expenses" in screen.accounts
    assert screen.rows[0].account.options == tuple(screen.accounts)


def test_totals_follow_the_lines_and_posting_waits_for_balance(screen):
    first, second = screen.rows
    assert "请录入分录" in screen.totals.value and screen.post_button.disabled
    type_line(first, "6602 管理费用", "300.00", memo="办公用品")
    assert "借方合计 <b>300.00</b>" in screen.totals.value and "借贷不平，差额 300.00" in screen.totals.value
    assert screen.post_button.disabled
    type_line(second, "100201 银行存款-人民币户", credit="3OO")
    assert "有金额不是数字" in screen.totals.value and screen.post_button.disabled
    second.credit.value = "300"
    assert "借贷平衡" in screen.totals.value and not screen.post_button.disabled
    screen.add_line_button.click()
    assert len(screen.rows) == 3
    screen.rows[2].remove.click()
    assert len(screen.rows) == 2


def test_post_list_open_and_reverse_a_voucher(screen):
    screen.day.value = screen.reverse_day.value = dt.date(2026, 10, 5)
    screen.memo.value = "办公用品"
    screen.attachments.value = "发票1.jpg; 小票.png"
    type_line(screen.rows[0], "6602 管理费用", "300.00")
    type_line(screen.rows[1], "100201 银行存款-人民币户", credit="300.00")
    screen.post_button.click()
    assert "凭证 记-0001 已记账" in screen.alerts.value, screen.alerts.value
    assert [r.value().code for r in screen.rows] == ["", ""] and screen.memo.value == ""
    assert [r["voucher_no"] for r in screen.grid.page.rows] == ["记-0001"]
    assert "附件：发票1.jpg, 小票.png" in screen.detail.value and "6602 管理费用" in screen.detail.value
    screen.reverse_button.click()
    assert "记-0002" in screen.alerts.value, screen.alerts.value
    assert [(r["voucher_no"], r["reversed_by"]) for r in screen.grid.page.rows] == [
        ("记-0002", ""),
        ("记-0001", "202610-00002"),
    ]
    assert "冲销 202610-00001" in screen.detail.value
    screen.open("202610-00001")
    assert screen.reverse_button.disabled  # reversed once already
    screen.i18n.set_language("en")
    assert "Reversed by 202610-00002" in screen.detail.value


def test_a_voucher_that_cannot_post_says_why_and_keeps_the_lines(screen):
    screen.day.value = dt.date(2026, 10, 5)
    type_line(screen.rows[0], "6602 管理费用", "300.00")
    type_line(screen.rows[1], "100201 银行存款-人民币户", credit="300.00")
    screen.post_button.click()
    screen.day.value = dt.date(2026, 9, 30)  # before the books begin
    type_line(screen.rows[0], "6602 管理费用", "1.00")
    type_line(screen.rows[1], "1001 库存现金", credit="1.00")
    screen.post_button.click()
    assert "早于账簿启用期间" in screen.alerts.value, screen.alerts.value
    assert screen.rows[0].debit.value == "1.00"


def test_a_reader_sees_the_vouchers_but_no_entry_form(db, tmp_path, monkeypatch):
    from ecerp_core import auth
    from ecerp_core.db import session_scope

    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    with session_scope(db) as s:
        auth.create_user(s, auth.resolve_actor(s, "admin"), "boss", "password-123", "analyst")
    screen = FinanceCloseView(FinanceCloseModel(open_context("boss", "zh_CN"))).vouchers
    entry_card, list_card = screen.panel.children[1:]
    assert entry_card.layout.display == "none" and list_card.layout.display != "none"
