"""The sales rollup on a tiny history: equal to the orders after import, ship, refund and return;
the report runner reads it when it can, with the answers the orders give; ``ecerp check`` catches
a rollup that was tampered with.

The history (shop TB, CNY; TEE-1 received at 20.00, MUG-1 at 8.00):
  A  2026-01-05  b1 上海  2 × TEE-1 @ 100.00                  shipped
  B  2026-02-10  b1 上海  3 × MUG-1 @ 30.00                   shipped, 30.00 refunded, 1 MUG back
  C  2026-02-11  b2 浙江  1 × TEE-1 @ 100.00 + 1 × MUG-1 @ 30.00, paid, not shipped
  D  2026-02-12  b3 江苏  1 × MUG-1 @ 30.00                   never paid: not a sale
  E  2026-03-02  b2 浙江  1 × TEE-1 @ 100.00 + 2 × TEE-1 @ 90.00 (two lines of one SKU), paid
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from business_fixtures import hand_made_sales, receive_tee_and_mug, sale_draft
from sqlalchemy import func, select, update

from ecerp_core.analytics import dashboards, rollup
from ecerp_core.analytics.checks import rollup_differences
from ecerp_core.analytics.models import SalesRollup
from ecerp_core.analytics.reports import ReportSpec, rollup_statement, run_report
from ecerp_core.checks import run_checks
from ecerp_core.orders import aftersales, services
from ecerp_core.orders.aftersales import RefundDraft
from ecerp_core.orders.intake import import_order_drafts

D = Decimal


@pytest.fixture
def history(session, admin, biz):
    receive_tee_and_mug(session, admin, biz)
    drafts = [
        *hand_made_sales(biz),
        sale_draft(biz, "E", "2026-03-02", "b2", "浙江", ("TEE-1", 1, "100.00"), ("TEE-1", 2, "90.00")),
    ]
    ids = import_order_drafts(session, admin, drafts).order_ids
    return biz, dict(zip("ABCDE", ids, strict=True))


def _day_rows(session, level):
    stmt = (
        select(SalesRollup.day, SalesRollup.orders, SalesRollup.units, SalesRollup.amount, SalesRollup.cost)
        .where(SalesRollup.level == level, SalesRollup.period == "d")
        .order_by(SalesRollup.day, SalesRollup.product_id)
    )
    return [
        (str(d), o, u, D(str(a)).quantize(D("0.01")), D(str(c)).quantize(D("0.01")))
        for d, o, u, a, c in session.execute(stmt)
    ]


def test_rollup_equals_the_orders_after_import_ship_refund_and_return(session, admin, history):
    _biz, ids = history
    assert rollup.refresh_rollup(session, admin)["full"]
    assert rollup.is_fresh(session) and rollup_differences(session) == []
    assert _day_rows(session, "o") == [
        ("2026-01-05", 1, 2, D("200.00"), D("0.00")),
        ("2026-02-10", 1, 3, D("90.00"), D("0.00")),
        ("2026-02-11", 1, 2, D("130.00"), D("0.00")),
        ("2026-03-02", 1, 3, D("280.00"), D("0.00")),
    ]
    services.approve_orders(session, admin, [ids["A"], ids["B"]])
    services.ship_orders(session, admin, [ids["A"], ids["B"]])
    aftersales.refund_orders(session, admin, [RefundDraft(ids["B"], D("30.00"), returns=(("MUG-1", 1),))])
    assert not rollup.is_fresh(session)
    session.info["readonly"] = True  # a read-only session neither writes nor reads a stale rollup
    assert not rollup.ensure_fresh(session) and not rollup.is_fresh(session)
    session.info["readonly"] = False
    # the days of orders updated since (and in the minutes before) it last ran, not all of them
    assert not rollup.update_rollup(session)["full"]
    assert rollup_differences(session) == []
    assert _day_rows(session, "o")[:2] == [
        ("2026-01-05", 1, 2, D("200.00"), D("40.00")),
        ("2026-02-10", 1, 3, D("90.00"), D("16.00")),  # 3 MUG out at 8.00, one back
    ]
    # the SKU rows count E once though it has two TEE lines
    assert _day_rows(session, "s")[-1] == ("2026-03-02", 1, 3, D("280.00"), D("0.00"))
    months = session.execute(
        select(
            SalesRollup.day,
            func.sum(SalesRollup.orders),
            func.sum(SalesRollup.returned),
            func.sum(SalesRollup.refunded_amount),
        )
        .where(SalesRollup.level == "o", SalesRollup.period == "m")
        .group_by(SalesRollup.day)
        .order_by(SalesRollup.day)
    ).all()
    assert [(str(d), o, r, D(str(a)).quantize(D("0.01"))) for d, o, r, a in months] == [
        ("2026-01-01", 1, 0, D("0.00")),
        ("2026-02-01", 2, 1, D("30.00")),
        ("2026-03-01", 1, 0, D("0.00")),
    ]


SPECS = [
    ReportSpec(("month",), ("orders", "sales", "units", "avg_order_value")),
    ReportSpec((), ("orders", "sales", "returns", "return_rate", "refund_amount")),
    ReportSpec(("sku",), ("units", "sales", "orders", "cost", "gross_margin", "margin_rate"), sort="units"),
    ReportSpec(("category",), ("sales", "orders", "units", "cost", "gross_margin")),
    ReportSpec(("platform",), ("sales", "orders", "units", "returns", "return_rate")),
    ReportSpec(("shop", "province"), ("orders", "sales")),
    ReportSpec(("day",), ("orders", "sales"), {"date_from": "2026-02-10", "date_to": "2026-03-01"}),
    ReportSpec(("week",), ("sales", "units")),
    ReportSpec(
        ("month",), ("sales", "orders"), {"date_from": dt.date(2026, 1, 3), "date_to": dt.date(2026, 2, 28)}
    ),
    ReportSpec(
        ("year",), ("sales", "cost"), {"date_from": dt.date(2026, 2, 1), "date_to": dt.date(2026, 3, 5)}
    ),
    ReportSpec(("sku",), ("sales", "orders"), {"sku": ["TEE-1"], "status": "paid,shipped,refunded"}),
    ReportSpec(("month_of_year", "status"), ("orders", "sales"), {"province": "浙江", "currency": "CNY"}),
]


def test_the_layer_reads_the_rollup_when_it_can_and_answers_as_the_orders_do(session, admin, history):
    _biz, ids = history
    services.approve_orders(session, admin, [ids["A"], ids["B"]])
    services.ship_orders(session, admin, [ids["A"], ids["B"]])
    aftersales.refund_orders(session, admin, [RefundDraft(ids["B"], D("30.00"), returns=(("MUG-1", 1),))])
    for spec in SPECS:
        assert rollup_statement(spec, "sqlite") is not None, spec
        fast = run_report(session, admin, spec).rows
        assert rollup.is_fresh(session)  # brought up to date before it answered
        assert fast == run_report(session, admin, spec, source="orders").rows, spec
    window = dashboards.Window(dt.date(2026, 1, 6), dt.date(2026, 3, 31), "CNY")
    from_rollup = dashboards.stock_cover(session, admin, window)
    assert [(r["sku"], r["units"]) for r in from_rollup] == [("MUG-1", 4), ("TEE-1", 4)]
    session.execute(update(SalesRollup).values(units=0))  # still fresh: read as it is
    assert [r["units"] for r in dashboards.stock_cover(session, admin, window)] == [0, 0]
    rollup.update_rollup(session, full=True)
    assert dashboards.stock_cover(session, admin, window) == from_rollup
    # what an additive rollup cannot answer goes to the orders
    for spec in (
        ReportSpec(("month",), ("customers",)),
        ReportSpec(("platform",), ("sales",), {"sku": "TEE-1"}),  # an order with two SKUs counts once
        ReportSpec(("sku", "province"), ("sales",)),
    ):
        assert rollup_statement(spec, "sqlite") is None
        assert run_report(session, admin, spec).rows == run_report(session, admin, spec, source="orders").rows


def test_check_catches_a_tampered_rollup(session, admin, history):
    biz, _ids = history
    rollup.refresh_rollup(session, admin)
    assert all(r.ok for r in run_checks(session) if r.name.startswith("analytics"))
    session.execute(
        update(SalesRollup)
        .where(SalesRollup.level == "s", SalesRollup.period == "d", SalesRollup.day == dt.date(2026, 2, 11))
        .where(SalesRollup.product_id == biz.tee)
        .values(units=SalesRollup.units + 1)
    )
    [failed] = [r for r in run_checks(session) if r.name == "analytics.checks.rollup_matches_orders"]
    assert failed.failures == ["analytics rollup s/d 2026-02-11: units 3 ≠ orders 2"]
