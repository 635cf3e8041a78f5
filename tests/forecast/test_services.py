"""The forecast services on a tiny shop (conftest.py's ``shop``): shipped orders (a kit exploded into
its parts) and a stock-out become the demand panel; replenishment rounds to the supplier's MOQ and
pack size and becomes a draft purchase order; the CLI prints the forecast, backtest and suggestions."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pytest
from cli_run import run
from sqlalchemy import select

from ecerp_core.errors import PermissionDenied
from ecerp_core.forecast import services
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseOrderLine


def test_panel_explodes_kits_and_censors_the_stock_out(session, admin, shop):
    panel = services.demand_panel(session, admin, services.Scope(active_days=None))
    assert panel.keys == [("MUG-1", "SH"), ("TEE-1", "SH")]
    mug, tee = panel.y
    assert tee[:10].tolist() == [2.0] * 10  # kits count as two tees each
    assert np.isnan(tee[10:20]).all()  # nothing to sell: not zero demand
    assert tee[20:23].tolist() == [1.0, 0.0, 1.0]
    assert mug[:4].tolist() == [1.0, 0.0, 0.0, 1.0]  # the mug has no stock moves: nothing censored
    # a kit's revenue is split over its units: a mug gets 1/3 of 59.00; the tee's average over 40 units
    assert panel.price.tolist() == pytest.approx([59.0 / 3, (4 * 59.0 * 2 / 3 + 6 * 118 + 20 * 59) / 40])


def test_replenishment_rounds_to_moq_and_pack_and_drafts_an_order(session, admin, shop):
    run_ = services.forecast_panel(
        services.demand_panel(session, admin), horizon=14, origins=2, with_ml=False
    )
    lines = {line.sku: line for line in services.replenishment(session, admin, run_)}
    tee = lines["TEE-1"]
    assert (tee.position, tee.lead_days, tee.moq, tee.pack_size) == (3, 5, 25, 12)
    assert tee.reorder_point >= tee.position and tee.order_up_to - tee.position <= 36
    assert tee.quantity == 36  # the need is under the MOQ of 25: 25 rounded up to whole packs of 12
    assert lines["MUG-1"].supplier_id is None  # nobody sells us mugs: no draft for them
    [po_id] = services.create_draft_orders(session, admin, list(lines.values()))
    po = session.get(PurchaseOrder, po_id)
    assert (po.status, po.supplier_id, po.warehouse_id) == ("draft", tee.supplier_id, tee.warehouse_id)
    assert session.execute(select(PurchaseOrderLine.quantity, PurchaseOrderLine.unit_price)).all() == [
        (36, Decimal("18.00"))
    ]


def test_forecasting_needs_its_permission(session, actor_with_role, shop):
    with pytest.raises(PermissionDenied):
        services.demand_panel(session, actor_with_role("order_clerk"))


def test_cli_run_backtest_replenish(session, shop, capsys):
    session.commit()
    code, out, _ = run(
        capsys,
        "forecast",
        "run",
        "--horizon",
        "7",
        "--origins",
        "2",
        "--no-ml",
        "--format",
        "json",
        "--as-of",
        shop[-1].isoformat(),
    )
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 2 * 7
    assert list(rows[0]) == ["sku", "warehouse", "date", "forecast", "q5", "q50", "q80", "q95"]
    assert rows[0]["date"] == (shop[-1] + dt.timedelta(days=1)).isoformat()
    code, out, _ = run(
        capsys, "forecast", "backtest", "--horizon", "7", "--origins", "2", "--no-ml", "--json"
    )
    report = json.loads(out)
    assert code == 0 and report["series"] == 2 and len(report["origins"]) == 2
    assert {s["model"] for s in report["scores"]} >= {"naive", "croston_sba", "tsb", "chosen"}
    code, out, err = run(capsys, "forecast", "replenish", "--no-ml", "--format", "csv", "--create-drafts")
    assert code == 0 and out.splitlines()[0].startswith("sku,warehouse,supplier")
    assert "TEE-1" in out and "draft purchase orders: [" in err
