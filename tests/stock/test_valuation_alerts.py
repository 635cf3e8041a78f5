"""Stock value at a date (backdated moves), levels with value, history filters, alerts, adjustments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ecerp_core.db import frozen_clock
from ecerp_core.errors import ValidationError
from ecerp_core.stock import alerts, valuation
from ecerp_core.stock.services import MoveDraft, post_moves, record_moves

NOON = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)


def test_value_at_any_date_and_backdated_moves(session, admin, biz, emitted):
    seen = emitted
    with frozen_clock(NOON):
        post_moves(
            session,
            admin,
            [
                MoveDraft(
                    biz.tee,
                    biz.sh,
                    10,
                    "adjustment",
                    unit_cost=Decimal("20.00"),
                    note="期初库存",
                    business_date=dt.date(2026, 3, 1),
                )
            ],
        )
        record_moves(
            session, admin, [MoveDraft(biz.tee, biz.sh, -4, "shipment", business_date=dt.date(2026, 3, 5))]
        )
        # a receipt entered late, dated 3 March
        record_moves(
            session,
            admin,
            [
                MoveDraft(
                    biz.mug,
                    biz.gz,
                    5,
                    "receipt",
                    unit_cost=Decimal("8.00"),
                    business_date=dt.date(2026, 3, 3),
                )
            ],
        )
    assert [(e.kind, e.value_base, e.reason) for e in seen] == [
        ("stock.adjusted", Decimal("200.00"), "期初库存")
    ]
    at = {
        d: valuation.stock_value(session, admin, as_of=d)
        for d in (dt.date(2026, 3, 2), dt.date(2026, 3, 4), dt.date(2026, 3, 9))
    }
    nothing_on_the_way = {"in_transit": 0, "in_transit_value": Decimal("0.00")}
    assert at[dt.date(2026, 3, 2)] == [
        {
            "warehouse": "SH",
            "quantity": 10,
            "value": Decimal("200.00"),
            **nothing_on_the_way,
            "total_value": Decimal("200.00"),
        },
    ]
    assert [(r["warehouse"], r["quantity"], r["value"]) for r in at[dt.date(2026, 3, 4)]] == [
        ("GZ", 5, Decimal("40.00")),
        ("SH", 10, Decimal("200.00")),
    ]
    assert (at[dt.date(2026, 3, 9)][1]["quantity"], at[dt.date(2026, 3, 9)][1]["value"]) == (
        6,
        Decimal("120.00"),
    )
    by_cat = valuation.stock_value(session, admin, by=("warehouse", "category", "product"))
    assert by_cat[0] == {
        "warehouse": "GZ",
        "category": "",
        "sku": "MUG-1",
        "quantity": 5,
        "value": Decimal("40.00"),
        **nothing_on_the_way,
        "total_value": Decimal("40.00"),
    }
    rows = valuation.level_rows(session, admin)
    assert [(r["sku"], r["warehouse"], r["available"], r["value"]) for r in rows] == [
        ("MUG-1", "GZ", 5, Decimal("40.00")),
        ("TEE-1", "SH", 6, Decimal("120.00")),
    ]
    page = valuation.list_moves(session, admin, search="TEE", move_type="shipment")
    assert page.total == 1 and page.rows[0]["value"] == Decimal("-80.00")
    page = valuation.list_moves(session, admin, date_from=dt.date(2026, 3, 3), date_to=dt.date(2026, 3, 3))
    assert [r["sku"] for r in page.rows] == ["MUG-1"]
    page = valuation.list_levels(session, admin, search="mug", sort="value", descending=True)
    assert page.total == 1


def test_alerts_low_with_days_of_cover_and_over(session, admin, biz, caplog):
    with frozen_clock(NOON):
        post_moves(
            session,
            admin,
            [
                MoveDraft(biz.tee, biz.sh, 20, "receipt", unit_cost=Decimal("20.00")),
                MoveDraft(biz.mug, biz.sh, 50, "receipt", unit_cost=Decimal("8.00")),
            ],
        )
        record_moves(session, admin, [MoveDraft(biz.tee, biz.sh, -14, "shipment")])  # 0.5 a day over 28 days
        alerts.set_stock_settings(
            session,
            admin,
            [
                alerts.SettingDraft(biz.tee, biz.sh, min_qty=10, max_qty=40, safety_stock=3),
                alerts.SettingDraft(biz.mug, biz.sh, min_qty=5, max_qty=30),
            ],
        )
        found = alerts.stock_alerts(session, admin)
    assert [(a["kind"], a["sku"], a["available"], a["days_of_cover"]) for a in found] == [
        ("low", "TEE-1", 6, 12.0),
        ("over", "MUG-1", 50, None),
    ]
    with caplog.at_level("INFO"):
        assert alerts.notify(found) == "log"
    assert "1 below minimum, 1 above maximum" in caplog.text
    with pytest.raises(ValidationError):
        alerts.set_stock_settings(
            session, admin, [alerts.SettingDraft(biz.tee, biz.sh, min_qty=10, max_qty=5)]
        )
