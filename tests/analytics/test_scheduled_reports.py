"""Saved reports on a schedule (each due slot rendered once, end to end through a notebook), the
complaint rate beside the orders, the tier dimension, and customers on the shipped map of China."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from cli_run import run
from sqlalchemy import select

from ecerp_core.analytics import dashboards, maps
from ecerp_core.analytics.complaints import complaint_rates
from ecerp_core.analytics.exceptions import BadSchedule
from ecerp_core.analytics.reports import ReportSpec, run_report
from ecerp_core.analytics.schedules import claim_due_runs, latest_slot, schedule_report, unschedule_report
from ecerp_core.analytics.services import save_report
from ecerp_core.audit import AuditLog
from ecerp_core.crm.tickets import TicketDraft, add_tickets
from ecerp_core.db import frozen_clock
from ecerp_core.errors import PermissionDenied
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.intake import import_order_drafts

D = Decimal
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def _order(biz, number, day, region, *lines):
    ls = tuple(OrderLineDraft(sku, q, D(p), D(p) * q) for sku, q, p in lines)
    goods = sum((x.amount for x in ls), D(0))
    at = dt.datetime.fromisoformat(f"{day}T02:00:00+00:00")
    return OrderDraft(
        biz.shop,
        number,
        "paid",
        at,
        "CNY",
        ls,
        goods,
        goods,
        paid_amount=goods,
        region=region,
        buyer_id=f"b-{number}",
        receiver_name=number,
        address=f"{region}路1号",
    )


@pytest.fixture
def orders(session, admin, biz):
    drafts = [
        _order(biz, "A", "2026-01-05", "上海市", ("TEE-1", 1, "100.00")),
        _order(biz, "B", "2026-02-10", "广东省", ("MUG-1", 3, "30.00")),
        _order(biz, "C", "2026-02-11", "广西壮族自治区", ("TEE-1", 1, "100.00"), ("MUG-1", 1, "30.00")),
    ]
    import_order_drafts(session, admin, drafts)
    return biz


def test_a_scheduled_report_is_owed_once_per_slot_and_only_after_it_was_made(session, admin, actor_with_role):
    save_report(session, admin, "月报", ReportSpec(("month",), ("sales",)))
    with frozen_clock(_local("2026-11-03T09:00")):
        schedule_report(session, admin, "月报", "daily", "07:30")
    assert claim_due_runs(session, admin, _local("2026-11-03T23:59")) == []  # today's 07:30 came before it
    [run_] = claim_due_runs(session, admin, _local("2026-11-05T08:00"))  # two slots missed: one run
    assert (run_.slot, run_.params) == (
        _local("2026-11-05T07:30").astimezone(dt.UTC),
        {"date_from": "2026-11-04", "date_to": "2026-11-04"},  # the day that ended
    )
    assert claim_due_runs(session, admin, _local("2026-11-05T23:00")) == []  # that slot is taken
    assert latest_slot("monthly", dt.time(7), _local("2026-03-01T06:59")) == _local("2026-02-01T07:00")
    with pytest.raises(BadSchedule):
        schedule_report(session, admin, "月报", "daily", "25:00")
    with pytest.raises(PermissionDenied):
        schedule_report(session, actor_with_role("purchaser"), "月报", "weekly")
    unschedule_report(session, admin, "月报")
    assert claim_due_runs(session, admin, _local("2026-11-09T08:00")) == []
    actions = session.scalars(
        select(AuditLog.action).where(AuditLog.entity == "saved_report").order_by(AuditLog.id)
    ).all()
    assert actions == ["report.create", "report.schedule", "report.unschedule"]


def test_run_due_renders_the_report_as_a_notebook_and_html_once(session, orders, capsys, tmp_path):
    session.commit()  # the command and the notebook's kernel read the orders from their own sessions
    out = tmp_path / "reports"
    assert run(capsys, "report", "save", "sales", "-d", "month", "-m", "sales", "-m", "orders",
               "--title", "每月销售额")[0] == 0  # fmt: skip
    with frozen_clock(_local("2026-02-27T12:00")):
        assert run(capsys, "report", "schedule", "sales", "--every", "monthly", "--at", "06:00",
                   "-p", "date_from=2026-01-01")[0] == 0  # fmt: skip
    with frozen_clock(_local("2026-03-01T06:10")):
        code, printed, err = run(capsys, "report", "run-due", "--out", str(out))
        assert code == 0, err
        assert run(capsys, "report", "run-due", "--out", str(out))[:2] == (0, "没有到期的报表\n")
    html = (out / "sales-20260301-0600.html").read_text(encoding="utf-8")
    assert "每月销售额" in html and "2026-02" in html and "220.00" in html and "run_saved_report" not in html
    code, listed, _ = run(capsys, "report", "runs", "sales", "--format", "json")
    [done] = json.loads(listed)
    assert (done["outcome"], done["by"], done["slot"]) == ("ok", "admin", "2026-02-28T22:00:00+00:00")
    assert Path(done["html"]).name in printed
    notebook = json.loads((out / "sales-20260301-0600.ipynb").read_text(encoding="utf-8"))
    [injected] = [c for c in notebook["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert "'date_from': '2026-01-01'" in "".join(injected["source"])


def test_complaints_per_hundred_orders_by_month_sku_and_platform(session, admin, orders):
    add_tickets(
        session,
        admin,
        [
            TicketDraft("complaint", "破损", order="A", sku="TEE-1"),
            TicketDraft("complaint", "少发", order="C"),  # names no SKU: counts for each of C's
            TicketDraft("inquiry", "几时发货", order="B"),  # not a complaint
        ],
    )
    window = dashboards.Window(dt.date(2026, 1, 1), dt.date(2026, 2, 28), "CNY")
    by_month = complaint_rates(session, admin, window, "month")
    assert [(r["month"], r["orders"], r["complaints"], r["complaint_rate"]) for r in by_month] == [
        ("2026-01", 1, 1, D("100.00")),
        ("2026-02", 2, 1, D("50.00")),
    ]
    by_sku = complaint_rates(session, admin, window, "sku")
    assert [(r["sku"], r["orders"], r["complaints"], r["complaint_rate"]) for r in by_sku] == [
        ("TEE-1", 2, 2, D("100.00")),
        ("MUG-1", 2, 1, D("50.00")),
    ]
    [taobao] = complaint_rates(session, admin, window, "platform")
    assert (taobao["platform"], taobao["complaint_rate"]) == ("taobao", D("66.67"))
    tiers = run_report(session, admin, ReportSpec(("tier",), ("orders",))).rows
    assert tiers == [{"tier": "normal", "orders": 3}]  # no linked customers yet


def test_customers_by_province_on_the_shipped_map(session, admin, orders):
    window = dashboards.Window(dt.date(2026, 1, 1), dt.date(2026, 2, 28), "CNY")
    rows = dashboards.customers_by(session, admin, window, "province")
    figure = maps.province_map_figure([*rows, {"province": "CA", "customers": 5}], language="en")
    [trace] = figure.data
    z = dict(zip(trace.locations, trace.z, strict=True))
    assert (len(trace.locations), z["上海"], z["广东"], z["广西"], z["北京"]) == (34, 1, 1, 1, 0)
    assert figure.layout.geo.fitbounds == "locations"
    assert maps.BOUNDARIES.stat().st_size < 300_000
    assert "public domain" in maps.BOUNDARIES.with_name("china_provinces.LICENSE.md").read_text()


def test_the_saved_reports_panel_schedules_the_picked_report(db):
    from widgets.analytics import app

    view = app.build("admin", "en")
    view.report_name.value = "by month"
    view.save_report()
    panel = view.schedules
    assert "not scheduled" in panel.table.value
    panel.every.value, panel.at.value = "weekly", "6:05"
    panel.schedule_picked()
    assert "weekly 06:05" in panel.table.value and "Next run" in panel.table.value
    assert view.saved.options == (("by month · weekly 06:05", "by month"),)
    assert view.alerts.text == "Report by month scheduled: weekly at 06:05"
    panel.unschedule_picked()
    assert "not scheduled" in panel.table.value
