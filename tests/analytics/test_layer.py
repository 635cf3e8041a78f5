"""The semantic layer's measures on a tiny history worked out by hand, and the builder's refusal of
anything outside the layer.

The history (shop TB, CNY; TEE-1 received at 20.00, MUG-1 at 8.00):
  A  2026-01-05  b1 上海  2 × TEE-1 @ 100.00   shipped (cost 2 × 20.00)
  B  2026-02-10  b1 上海  3 × MUG-1 @ 30.00    shipped (cost 3 × 8.00), 30.00 refunded, nothing back
  C  2026-02-11  b2 浙江  1 × TEE-1 @ 100.00 + 1 × MUG-1 @ 30.00, paid, not shipped (no cost yet)
  D  2026-02-12  b3 江苏  1 × MUG-1 @ 30.00    never paid: not a sale
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from business_fixtures import hand_made_sales, receive_tee_and_mug
from sqlalchemy import func, select

from ecerp_core.analytics import dashboards
from ecerp_core.analytics.exceptions import BadFilterValue, EmptyReport, GrainMismatch, UnknownField
from ecerp_core.analytics.keyfigures import key_figures
from ecerp_core.analytics.reports import ReportSpec, run_report
from ecerp_core.analytics.services import run_saved_report, save_report
from ecerp_core.audit import AuditLog
from ecerp_core.errors import PermissionDenied
from ecerp_core.orders import aftersales, services
from ecerp_core.orders.aftersales import RefundDraft
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import Order
from widgets.home.key_figures import strip_html

D = Decimal


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T02:00:00+00:00")  # 10:00 in Shanghai, the same day


@pytest.fixture
def history(session, admin, biz):
    receive_tee_and_mug(session, admin, biz)
    drafts = hand_made_sales(biz)
    a, b, _c, _d = import_order_drafts(session, admin, drafts).order_ids
    services.approve_orders(session, admin, [a, b])
    services.ship_orders(session, admin, [a, b])
    aftersales.refund_orders(session, admin, [RefundDraft(b, D("30.00"))])
    return biz


def rows(session, actor, *dims, measures, **kw):
    return run_report(session, actor, ReportSpec(dims, measures, **kw)).rows


def test_orders_sales_units_and_customers_by_month(session, admin, history):
    got = rows(session, admin, "month", measures=("orders", "sales", "units", "customers", "avg_order_value"))
    assert got == [
        {
            "month": "2026-01",
            "orders": 1,
            "sales": D("200.00"),
            "units": 2,
            "customers": 1,
            "avg_order_value": D("200.00"),
        },
        {
            "month": "2026-02",
            "orders": 2,
            "sales": D("220.00"),
            "units": 5,
            "customers": 2,
            "avg_order_value": D("110.00"),
        },
    ]
    [total] = rows(
        session, admin, measures=("orders", "sales", "customers", "returns", "return_rate", "refund_amount")
    )
    assert total == {
        "orders": 3,
        "sales": D("420.00"),
        "customers": 2,
        "returns": 1,
        "return_rate": D("0.3333"),
        "refund_amount": D("30.00"),
    }


def test_cost_comes_from_the_stock_ledger_and_unshipped_lines_have_no_margin(session, admin, history):
    got = rows(session, admin, "sku", measures=("units", "sales", "cost", "gross_margin", "margin_rate"))
    assert got == [
        {
            "sku": "MUG-1",
            "units": 4,
            "sales": D("120.00"),
            "cost": D("24.00"),
            "gross_margin": D("66.00"),
            "margin_rate": D("0.7333"),
        },
        {
            "sku": "TEE-1",
            "units": 3,
            "sales": D("300.00"),
            "cost": D("40.00"),
            "gross_margin": D("160.00"),
            "margin_rate": D("0.8000"),
        },
    ]


def test_filters_dates_provinces_and_sorting(session, admin, history):
    got = rows(
        session,
        admin,
        "province",
        measures=("customers", "orders", "sales"),
        filters={"date_from": "2026-02-01", "date_to": dt.date(2026, 2, 28)},
        sort="sales",
        descending=True,
    )
    assert got == [
        {"province": "浙江", "customers": 1, "orders": 1, "sales": D("130.00")},
        {"province": "上海", "customers": 1, "orders": 1, "sales": D("90.00")},
    ]
    assert rows(session, admin, "week", measures=("orders",), filters={"province": "上海,浙江"}) == [
        {"week": "2026-01-05", "orders": 1},
        {"week": "2026-02-09", "orders": 2},
    ]


def test_dashboards_repeat_rate_cohorts_and_year_over_year(session, admin, history):
    window = dashboards.Window(dt.date(2026, 1, 1), dt.date(2026, 2, 28), "CNY")
    assert dashboards.repeat_rate(session, admin, window) == {
        "customers": 2,
        "repeat_customers": 1,
        "repeat_rate": D("0.5000"),
    }
    assert dashboards.cohort_retention(session, admin, window) == [
        {"cohort": "2026-01", "months_later": 0, "customers": 1, "size": 1, "retention": D("1.0000")},
        {"cohort": "2026-01", "months_later": 1, "customers": 1, "size": 1, "retention": D("1.0000")},
        {"cohort": "2026-02", "months_later": 0, "customers": 1, "size": 1, "retention": D("1.0000")},
    ]
    trend = dashboards.sales_trend(session, admin, window, "month")
    assert [(r["period"], r["sales"], r["sales_last_year"]) for r in trend] == [
        ("2026-01", D("200.00"), None),
        ("2026-02", D("220.00"), None),
    ]
    top = dashboards.bestsellers(session, admin, window, limit=1)
    assert [(r["rank"], r["sku"], r["units"]) for r in top] == [(1, "MUG-1", 4)]
    cover = {r["sku"]: r for r in dashboards.stock_cover(session, admin, window)}
    assert (cover["TEE-1"]["on_hand"], cover["TEE-1"]["units"]) == (8, 3)
    assert cover["TEE-1"]["days_of_cover"] == D("157.3")  # 8 / (3 / 59 days)


HOSTILE = (
    "sales; DROP TABLE sales_order",
    "sales_order.goods_amount",
    "1=1) OR (1=1",
    "__class__",
    "id",
    "password_hash",
    "sum(paid_amount)",
    "",
)


def test_nothing_outside_the_layer_can_be_queried(session, admin, history):
    for name in HOSTILE:
        for spec in (
            ReportSpec((name,), ("sales",)),
            ReportSpec(("month",), (name,)),
            ReportSpec(("month",), ("sales",), {name: "x"}),
            ReportSpec(("month",), ("sales",), sort=name),
        ):
            with pytest.raises(UnknownField):
                run_report(session, admin, spec)
        with pytest.raises(UnknownField):
            save_report(session, admin, "evil", ReportSpec(("month",), (name,)))
        # a hostile value is a bound parameter: it matches nothing and harms nothing
        hostile = {"shop": f"TB' OR '1'='1; {name}"}
        assert rows(session, admin, "month", measures=("orders",), filters=hostile) == []
    assert session.scalar(select(func.count()).select_from(Order)) == 4
    assert rows(session, admin, measures=("orders",)) == [{"orders": 3}]
    with pytest.raises(GrainMismatch):
        run_report(session, admin, ReportSpec(("sku",), ("refund_amount",)))
    with pytest.raises(BadFilterValue):
        run_report(session, admin, ReportSpec(("month",), ("sales",), {"date_from": "next tuesday"}))
    with pytest.raises(EmptyReport):
        run_report(session, admin, ReportSpec(("month",), ()))


def test_saved_reports_are_shared_audited_and_run_with_parameters(session, admin, history, actor_with_role):
    spec = ReportSpec(("month",), ("sales",), {"province": "上海"})
    save_report(session, admin, "上海月报", spec, title="上海")
    clerk = actor_with_role("order_clerk")
    with pytest.raises(PermissionDenied):
        save_report(session, clerk, "x", spec)
    analyst = actor_with_role("analyst")
    got = run_saved_report(session, analyst, "上海月报", {"date_from": "2026-02-01"})
    assert got.rows == [{"month": "2026-02", "sales": D("90.00")}]
    actions = session.scalars(select(AuditLog.action).where(AuditLog.entity == "saved_report")).all()
    assert actions == ["report.create"]


def test_key_figures_of_a_day(session, admin, history, actor_with_role):
    figures = key_figures(session, admin, today=dt.date(2026, 2, 11))
    assert (figures["orders_today"], figures["sales_today"], figures["currency"]) == (1, D("130.00"), "CNY")
    assert set(figures) >= {"review", "exceptions", "to_ship", "aftersales", "stock_alerts"}
    clerk = key_figures(session, actor_with_role("warehouse_clerk"), today=dt.date(2026, 2, 11))
    assert "stock_alerts" in clerk and "orders_today" in clerk  # a warehouse clerk reads orders too
    strip = strip_html(figures, "zh_CN")
    assert "今日订单" in strip and "130.00 CNY" in strip and "待审核" in strip
