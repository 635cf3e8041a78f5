"""The Inventory app's 补货建议 tab, 按预测: forecast-based suggestions beside the min/max ones, computed
only when asked, ordered as draft purchase orders through the forecast service (conftest.py's shop)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ecerp_core.purchasing.models import PurchaseOrder, PurchaseOrderLine
from widgets.common.grid import PageRequest
from widgets.inventory.app import build


def test_replenishment_by_forecast_in_the_inventory_app(session, shop, biz, monkeypatch, tmp_path):
    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    session.commit()  # the app reads in sessions of its own
    view = build("admin", "zh_CN")
    model, bar = view.model, view.replenish
    view.tabs.value = "replenish"
    assert model.forecast_lines is None  # opening the app or the tab forecasts nothing
    assert bar.forecast_grid.layout.display == "none" and bar.grid.layout.display == ""
    assert [label for label, _ in bar.method.options] == ["按最小/最大", "按预测"]
    bar.method.value = "forecast"
    assert bar.grid.layout.display == "none" and bar.forecast_grid.layout.display == ""
    assert model.fetch_forecast_suggestions(PageRequest()).rows == []

    bar.order_forecast()  # nothing computed yet: says so, orders nothing
    assert view.ctx.alerts.kind == "error" and "计算预测" in view.ctx.alerts.text
    view.warehouse.value = biz.sh
    bar.compute()
    assert model.forecast_ml is False  # baselines only unless the box is ticked: no scikit-learn
    rows = {r["sku"]: r for r in model.fetch_forecast_suggestions(PageRequest()).rows}
    tee = rows["TEE-1"]
    assert (tee["moq"], tee["pack_size"], tee["position"]) == (25, 12, 3)
    assert tee["quantity"] >= 25 and tee["quantity"] % 12 == 0  # rounded to MOQ, then whole packs
    assert tee["demand_class"] in {"平稳", "波动", "间歇", "块状", "无需求"}  # shown in the app's language
    assert view.ctx.alerts.kind == "success" and view.ctx.alerts.text == f"按预测：{len(rows)} 条补货建议"
    view.warehouse.value = biz.gz
    assert model.fetch_forecast_suggestions(PageRequest()).rows == []  # computed for SH only

    view.warehouse.value = biz.sh
    bar.order_forecast()
    with session.begin():
        po = session.scalars(select(PurchaseOrder)).one()
        line = session.scalars(select(PurchaseOrderLine)).one()
    assert (po.status, po.supplier_id, po.warehouse_id) == ("draft", biz.supplier, biz.sh)
    assert (line.quantity, line.unit_price) == (tee["quantity"], Decimal("18.00"))
    assert model.forecast_lines is None  # stock positions changed: a new forecast is asked for

    en = build("admin", "en").replenish
    assert [label for label, _ in en.method.options] == ["By min/max", "By forecast"]
