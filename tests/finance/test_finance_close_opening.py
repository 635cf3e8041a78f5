"""Finance Close's Opening balances tab in plain pytest: upload, preview, confirm, refused again."""

from __future__ import annotations

import datetime as dt

import pytest
from test_opening import BALANCES, STOCK

from ecerp_core import auth
from ecerp_core.catalog import services as catalog
from widgets.common.actor import open_context
from widgets.finance_close.model import FinanceCloseModel
from widgets.finance_close.view import FinanceCloseView


@pytest.fixture
def company(db, session, admin, tmp_path, monkeypatch):
    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    catalog.create_warehouse(session, admin, code="SH", name="上海仓")
    catalog.create_product(session, admin, sku="TEE", name_zh="T恤", cost="20.00")
    catalog.create_product(session, admin, sku="MUG", name_zh="杯子", cost="8.00")
    auth.create_user(session, admin, "clerk", "password-123", "order_clerk")
    session.commit()


def upload(screen, kind: str, text: str, name: str = "file.csv") -> None:
    content = text.encode("utf-8")
    file = {"name": name, "type": "text/csv", "size": len(content), "content": content}
    screen.uploads[kind].value = ({**file, "last_modified": dt.datetime(2026, 11, 1)},)


def test_the_opening_tab_previews_imports_after_confirming_and_refuses_a_different_file(company):
    view = FinanceCloseView(FinanceCloseModel(open_context("admin", "zh_CN")))
    view.screen_tabs.value = "opening"
    screen = view.opening
    assert screen.panel.layout.display is None and "尚未导入期初" in screen.recorded_html.value
    assert screen.day.value == dt.date(2026, 10, 31) and screen.import_button.disabled
    screen.show_preview()
    assert "请先选择余额文件或库存文件" in view.alerts.value
    upload(screen, "balances", BALANCES, "balances.csv")
    upload(screen, "stock", STOCK.replace("100,", "90,"), "stock.csv")
    screen.show_preview()
    preview = screen.preview_html.value
    assert "科目余额 (balances.csv)" in preview and "库存商品" in preview and "12,560.00" in preview
    assert "借方 12,560.00 = 贷方 12,560.00，平衡" in preview
    assert "库存价值 2,345.00 与存货科目期初 2,560.00 不一致（差额 215.00）" in preview
    upload(screen, "stock", STOCK, "stock.csv")
    screen.show_preview()
    assert "库存价值 2,560.00 与存货科目期初 2,560.00 一致" in screen.preview_html.value
    assert '<td>TEE</td><td>SH</td><td class="num">100</td>' in screen.preview_html.value
    screen.import_button.click()
    assert screen.confirm_bar.box.layout.display == "flex"
    assert "2026-10-31" in screen.confirm_bar.text.value and "12,560.00" in screen.confirm_bar.text.value
    assert "2,560.00" in screen.confirm_bar.text.value and "尚未导入期初" in screen.recorded_html.value
    screen.confirm_bar.confirm_button.click()
    assert "期初余额已记账，凭证 202610-00001，日期 2026-10-31：4 个科目" in view.alerts.value
    assert "期初库存已录入，日期 2026-10-31：2 条，金额 2560.00" in view.alerts.value
    recorded = screen.recorded_html.value
    assert "期初凭证：202610-00001" in recorded and "启用日期：2026-10-31" in recorded
    assert "12,560.00" in recorded and "2,150.00" in recorded and screen.preview_html.value == ""
    assert screen.import_button.disabled

    upload(screen, "balances", BALANCES.replace("10000.00", "9000.00").replace("11000.00", "10000.00"))
    screen.show_preview()
    screen.import_button.click()
    screen.confirm_bar.confirm_button.click()
    assert "已录入过不同的期初余额（启用日 2026-10-31）" in view.alerts.value, view.alerts.value
    assert "期初凭证：202610-00001" in screen.recorded_html.value

    view.i18n.set_language("en")
    assert "Opening entry: 202610-00001" in screen.recorded_html.value
    assert "Merchandise inventory" in screen.recorded_html.value


def test_a_bad_file_is_listed_and_a_clerk_sees_no_opening_tab(company):
    view = FinanceCloseView(FinanceCloseModel(open_context("admin", "en")))
    view.screen_tabs.value = "opening"
    upload(view.opening, "balances", "account_code,debit,credit\n6001,100.00,\n9999,,100.00\n")
    view.opening.show_preview()
    assert "6001" in view.alerts.value and "9999" in view.alerts.value, view.alerts.value
    assert view.opening.preview_html.value == ""
    clerk = FinanceCloseView(FinanceCloseModel(open_context("clerk", "en")))
    assert "opening" not in clerk.screens and not hasattr(clerk, "opening")
