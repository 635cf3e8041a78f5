"""The customer rollup on a tiny history: distinct customers by province, repeat rate and cohorts
answer from it exactly as from the orders (after a refund and a linked customer too), and
``ecerp check`` catches a tampered row.

The history (CNY; TB and JD are two shops; X a customer linked to orders in both):
  A  2026-01-05  TB b1 上海  linked to X
  H  2026-01-20  TB (no buyer id) 上海: an unknown buyer, counted in orders and sales only
  B  2026-02-10  TB b1 上海  later refunded
  C  2026-02-11  TB b2 浙江
  D  2026-02-12  TB b3 江苏  never paid: not a sale
  E  2026-03-02  TB b2 浙江
  F  2026-03-15  JD b1 北京  the same buyer id in another shop: another buyer
  G  2026-04-20  JD x9 江苏  linked to X
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from ecerp_core.analytics import dashboards, rollup
from ecerp_core.analytics.checks import customer_rollup_differences
from ecerp_core.analytics.models import CustomerKey, CustomerRollup
from ecerp_core.analytics.reports import ReportSpec, customer_statement, run_report
from ecerp_core.catalog import services as catalog
from ecerp_core.checks import run_checks
from ecerp_core.orders import aftersales
from ecerp_core.orders.aftersales import RefundDraft
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import Order

D = Decimal


def _order(shop, number, day, buyer, region, amount, status="paid"):
    line = OrderLineDraft("TEE-1", 1, D(amount), D(amount))
    return OrderDraft(
        shop,
        number,
        status,
        dt.datetime.fromisoformat(f"{day}T02:00:00+00:00"),
        "CNY",
        (line,),
        D(amount),
        D(amount),
        paid_amount=D(amount) if status == "paid" else D(0),
        region=region,
        buyer_id=buyer,
        receiver_name=buyer or "匿名",
        address=f"{region}路{number}号",
    )


@pytest.fixture
def history(session, admin, biz):
    jd = catalog.create_shop(session, admin, code="JD", name="京东店", platform="jd", default_warehouse="SH")
    x = catalog.create_customer(session, admin, code="X", name="客户X")
    session.flush()
    tb = biz.shop
    drafts = [
        _order(tb, "A", "2026-01-05", "b1", "上海", "100.00"),
        _order(tb, "H", "2026-01-20", "", "上海", "40.00"),
        _order(tb, "B", "2026-02-10", "b1", "上海", "90.00"),
        _order(tb, "C", "2026-02-11", "b2", "浙江", "130.00"),
        _order(tb, "D", "2026-02-12", "b3", "江苏", "30.00", status="pending_payment"),
        _order(tb, "E", "2026-03-02", "b2", "浙江", "280.00"),
        _order(jd.id, "F", "2026-03-15", "b1", "北京", "60.00"),
        _order(jd.id, "G", "2026-04-20", "x9", "江苏", "70.00"),
    ]
    ids = dict(zip("AHBCDEFG", import_order_drafts(session, admin, drafts).order_ids, strict=True))
    session.execute(update(Order).where(Order.id.in_([ids["A"], ids["G"]])).values(customer_id=x.id))
    return ids


WINDOWS = [
    dashboards.Window(dt.date(2026, 1, 1), dt.date(2026, 4, 30), "CNY"),  # whole months
    dashboards.Window(dt.date(2026, 1, 6), dt.date(2026, 3, 31), "CNY"),  # a day into January
    dashboards.Window(dt.date(2026, 2, 11), dt.date(2026, 4, 20), "CNY"),  # days at both ends
    dashboards.Window(dt.date(2025, 12, 1), dt.date(2026, 3, 14), "CNY"),
    dashboards.Window(dt.date(2026, 2, 5), dt.date(2026, 3, 2), "CNY"),  # no whole month
    dashboards.Window(dt.date(2026, 1, 1), dt.date(2026, 4, 30), "USD"),  # nothing
]


def _answers(session, admin):
    out = []
    for w in WINDOWS:
        out.append(dashboards.customers_by(session, admin, w, "province"))
        out.append(dashboards.customers_by(session, admin, w, "country"))
        out.append(dashboards.repeat_rate(session, admin, w))
        out.append(dashboards.cohort_retention(session, admin, w))
    return out


def _from_orders(session, admin):
    session.info["readonly"] = True  # a stale rollup is not read here: the orders answer
    try:
        assert not rollup.ensure_fresh(session)
        return _answers(session, admin)
    finally:
        session.info["readonly"] = False


def test_customer_dashboards_answer_from_the_customer_rollup_as_from_the_orders(session, admin, history):
    spec = ReportSpec(
        ("province",), ("customers", "orders", "sales"), WINDOWS[1].filters(), "customers", True
    )
    assert customer_statement(spec, "sqlite") is not None
    assert (
        customer_statement(ReportSpec(("platform",), ("customers",)), "sqlite") is None
    )  # not kept: the orders
    slow = _from_orders(session, admin)
    assert slow[2] == {"customers": 4, "repeat_customers": 2, "repeat_rate": D("0.5000")}  # X and TB:b2
    assert {r["province"]: r["customers"] for r in slow[0]} == {"上海": 2, "浙江": 1, "北京": 1, "江苏": 1}
    assert rollup.refresh_rollup(session, admin)["full"]
    assert _answers(session, admin) == slow
    assert customer_rollup_differences(session) == []
    # a refund and a buyer linked later: the days of the orders changed are rebuilt
    aftersales.refund_orders(session, admin, [RefundDraft(history["B"], D("90.00"))])
    session.execute(update(Order).where(Order.id == history["F"]).values(customer_id=Order.customer_id))
    session.execute(update(Order).where(Order.id == history["C"]).values(customer_id=None, buyer_id="b1"))
    slow = _from_orders(session, admin)
    assert not rollup.update_rollup(session)["full"]
    assert _answers(session, admin) == slow
    assert customer_rollup_differences(session) == []
    assert run_report(session, admin, spec).rows == run_report(session, admin, spec, source="orders").rows


def test_check_catches_a_tampered_customer_rollup(session, admin, biz, history):
    rollup.refresh_rollup(session, admin)
    tb, jd = biz.shop, session.scalar(select(Order.shop_id).where(Order.id == history["F"]))
    assert all(r.ok for r in run_checks(session) if r.name.startswith("analytics"))
    session.execute(
        update(CustomerRollup)
        .where(CustomerRollup.period == "d", CustomerRollup.day == dt.date(2026, 3, 2))
        .values(orders=CustomerRollup.orders + 1)
    )
    session.execute(
        update(CustomerKey)
        .where(CustomerKey.shop_id == jd, CustomerKey.buyer_id == "b1")
        .values(buyer_id="b7")
    )
    [failed] = [r for r in run_checks(session) if r.name == "analytics.checks.customer_rollup_matches_orders"]
    text = "\n".join(failed.failures)
    assert f"d 2026-03-02 CNY 浙江  {tb}:b2: orders 2 280.00 ≠ orders 1 280.00" in text
    assert f"d 2026-03-15 CNY 北京  {jd}:b7: orders 1 60.00 ≠ orders 0 0" in text
    assert f"d 2026-03-15 CNY 北京  {jd}:b1: orders 0 0 ≠ orders 1 60.00" in text
