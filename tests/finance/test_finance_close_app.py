"""Finance Close in plain pytest: the checklist, closing from the app, drill-down to the source."""

from __future__ import annotations

from decimal import Decimal

import pytest

from widgets.common.actor import open_context
from widgets.finance_close.model import FinanceCloseModel
from widgets.finance_close.view import FinanceCloseView


@pytest.fixture
def october(db, session, admin, books, tmp_path, monkeypatch):
    from test_scenario_month import run_october

    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    run_october(session, admin, books, tmp_path)
    session.commit()


def test_the_checklist_closes_the_month_and_drills_down_to_the_order(october):
    view = FinanceCloseView(FinanceCloseModel(open_context("admin", "zh_CN")))
    assert view.period.value == "2026-10"
    assert "✗" not in view.checks.value and not view.close_button.disabled
    assert "四、净利润" in _text(view.statement_grid) and "467.74" in _text(view.statement_grid)
    view.close_button.click()
    assert view.model.checklist().status == "open" and view.close_confirm.box.layout.display == "flex"
    assert view.close_confirm.text.value == (
        "结账 2026-10：本期营业收入 910.00，净利润 467.74 结转本年利润；结账后本期不再接受记账。确认吗？"
    )
    view.close_confirm.confirm_button.click()
    assert "已结账" in view.alerts.value, view.alerts.value
    assert view.model.checklist().status == "closed"
    assert view.close_button.disabled and not view.reopen_button.disabled
    view.statement_grid.table.click_row("revenue")  # statement -> its accounts
    assert view.line_picker.value == "revenue"
    assert [(r["code"], r["credit"]) for r in view.accounts.page.rows] == [("6001", Decimal("1007.26"))]
    view.accounts.table.click_row("6001")  # account -> its voucher lines
    rows = view.lines.page.rows
    assert {r["account_code"] for r in rows} == {"6001"}
    shipped = next(r for r in rows if r["credit"] and r["credit"] > 700)
    view.lines.table.click_row(str(shipped["id"]))  # voucher line -> the voucher, with debit/credit heads
    assert "借方" in view.entry_html.value and "贷方" in view.entry_html.value
    [order] = view.document_buttons.children  # -> the source document, by its own number
    assert order.description.startswith("销售订单 #1001")
    order.click()
    assert "#1001" in view.document_html.value and "Shopify · US shop" in view.document_html.value
    view.i18n.set_language("en")
    assert "IV. Net profit" in _text(view.statement_grid) and "Period 2026-10" in view.checks.value


def _text(grid) -> str:
    return " ".join(" ".join(row["cells"]) for row in grid.table.rows)


def test_an_accountant_cannot_reopen(october, db):
    from ecerp_core import auth
    from ecerp_core.db import session_scope

    with session_scope(db) as s:
        auth.create_user(s, auth.resolve_actor(s, "admin"), "acc", "password-123", "accountant")
    view = FinanceCloseView(FinanceCloseModel(open_context("acc", "zh_CN")))
    view.close_button.click()
    view.close_confirm.cancel_button.click()
    assert view.model.checklist().status == "open" and view.close_confirm.box.layout.display == "none"
    view.close_button.click()
    view.close_confirm.confirm_button.click()
    assert view.reopen_button.disabled
    view.reopen_period()
    assert "无权" in view.alerts.value or "权限" in view.alerts.value, view.alerts.value
