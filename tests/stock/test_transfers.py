"""Transfers: in transit, partial receipt, closing short records the loss; events and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from business_fixtures import stock_row
from sqlalchemy import select

from ecerp_core import audit
from ecerp_core.auth import Actor, resolve_actor
from ecerp_core.db import frozen_clock
from ecerp_core.errors import PermissionDenied, ValidationError
from ecerp_core.finance import checks as finance_checks
from ecerp_core.finance.statements import trial_balance
from ecerp_core.stock import checks, transfers, valuation
from ecerp_core.stock.exceptions import InsufficientStock
from ecerp_core.stock.models import StockMove, TransferLine
from ecerp_core.stock.services import MoveDraft, post_moves, record_moves


def test_transfer_in_transit_partial_receipt_and_discrepancy(session, admin, biz, emitted):
    post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))])
    tid = transfers.create_transfers(
        session, admin, [transfers.TransferDraft(biz.sh, biz.gz, ((biz.tee, 6),))]
    )[0]
    transfers.ship_transfers(session, admin, [tid])
    assert stock_row(session, biz.tee, biz.sh) == (4, 0)
    assert stock_row(session, biz.tee, biz.gz) == (0, 0)
    assert transfers.in_transit(session, admin) == {(biz.tee, biz.gz): (6, Decimal("120.00"))}

    transfers.receive_transfer(session, admin, tid, [(biz.tee, 4)])
    assert stock_row(session, biz.tee, biz.gz) == (4, 0)
    with pytest.raises(ValidationError):  # only 2 are still on the way
        transfers.receive_transfer(session, admin, tid, [(biz.tee, 3)])
    lost = transfers.close_transfers(session, admin, [tid], note="破损")
    assert lost == Decimal("40.00")
    line = session.execute(select(TransferLine.shipped, TransferLine.received, TransferLine.lost)).one()
    assert tuple(line) == (6, 4, 2)
    assert transfers.in_transit(session, admin) == {}

    kinds = [(e.kind, e.key, e.value_base, e.discrepancy_base) for e in emitted[-2:]]
    assert kinds == [
        ("stock.transferred", f"transfer:{tid}:shipped", Decimal("120.00"), Decimal("0")),
        ("stock.transferred", f"transfer:{tid}:closed", Decimal("0"), Decimal("40.00")),
    ]
    assert set(emitted[-1].payload()) == {
        "value_base",
        "from_warehouse_id",
        "to_warehouse_id",
        "discrepancy_base",
    }
    assert [h.action for h in audit.history(session, "transfer", tid)] == [
        "create",
        "ship",
        "receive",
        "close",
    ]
    assert all(not c(session) for c in checks.CHECKS)


def test_full_receipt_and_refusals(session, admin, biz, actor_with_role):
    post_moves(session, admin, [MoveDraft(biz.mug, biz.sh, 3, "receipt", unit_cost=Decimal("8.00"))])
    with pytest.raises(ValidationError) as err:
        transfers.create_transfers(session, admin, [transfers.TransferDraft(biz.sh, biz.sh, ((biz.kit, 0),))])
    assert {p.code for p in err.value.problems} == {
        "problem.same_warehouse",
        "problem.not_stocked",
        "problem.below_minimum",
    }
    tid = transfers.create_transfers(
        session, admin, [transfers.TransferDraft(biz.sh, biz.gz, ((biz.mug, 5),))]
    )[0]
    with pytest.raises(InsufficientStock):
        transfers.ship_transfers(session, admin, [tid])
    assert session.scalar(select(StockMove.id).where(StockMove.move_type == "transfer_out")) is None
    with pytest.raises(PermissionDenied):
        transfers.ship_transfers(session, actor_with_role("analyst"), [tid])
    transfers.cancel_transfers(session, admin, [tid])
    tid = transfers.create_transfers(
        session, admin, [transfers.TransferDraft(biz.sh, biz.gz, ((biz.mug, 3),))]
    )[0]
    transfers.ship_transfers(session, admin, [tid])
    transfers.receive_transfer(session, admin, tid)
    assert stock_row(session, biz.mug, biz.gz) == (3, 0)
    with pytest.raises(ValidationError):  # received is final
        transfers.close_transfers(session, admin, [tid])


def test_transfer_list_is_paged_sorted_and_needs_stock_read(session, admin, biz):
    post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))])
    ids = transfers.create_transfers(
        session,
        admin,
        [transfers.TransferDraft(biz.sh, biz.gz, ((biz.tee, n),), note=f"第{n}批") for n in (1, 2, 3)],
    )
    page = transfers.list_transfers(session, admin, limit=2)
    assert page.total == 3 and [r["id"] for r in page.rows] == ids[::-1][:2]  # newest first
    page = transfers.list_transfers(session, admin, sort="note", offset=1)
    assert [r["note"] for r in page.rows] == ["第2批", "第3批"]
    assert (page.rows[0]["from_warehouse"], page.rows[0]["to_warehouse"], page.rows[0]["status"]) == (
        "SH",
        "GZ",
        "draft",
    )
    with pytest.raises(PermissionDenied):  # every standard role reads stock
        transfers.list_transfers(session, Actor(None, "nobody", "custom", frozenset()))


def _at(day: int, month: int) -> dt.datetime:
    """15:00 in Shanghai on that day of 2026."""
    return dt.datetime(2026, month, day, 7, 0, tzinfo=dt.UTC)


def _inventory_account(session, day: dt.date) -> Decimal:
    rows = trial_balance(session, resolve_actor(session, "admin"), day)["rows"]
    return next(r["balance"] for r in rows if r["account_code"] == "1405")


def test_goods_in_transit_at_a_month_end_are_valued_as_the_books_hold_them(session, admin, biz):
    with frozen_clock(_at(20, 3)):
        post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))])
    with frozen_clock(_at(31, 3)):  # shipped on the month's last day ...
        [tid] = transfers.create_transfers(
            session, admin, [transfers.TransferDraft(biz.sh, biz.gz, ((biz.tee, 6),))]
        )
        transfers.ship_transfers(session, admin, [tid])
        levels = {r["warehouse"]: r for r in valuation.level_rows(session, admin)}
    assert [
        (w, r["on_hand"], r["value"], r["in_transit"], r["in_transit_value"]) for w, r in levels.items()
    ] == [
        ("GZ", 0, Decimal("0.00"), 6, Decimal("120.00")),
        ("SH", 4, Decimal("80.00"), 0, Decimal("0.00")),
    ]
    with frozen_clock(_at(2, 4)):  # ... 4 arrive in the next month
        transfers.receive_transfer(session, admin, tid, [(biz.tee, 4)])
    with frozen_clock(_at(3, 4)):  # and 2 never do
        transfers.close_transfers(session, admin, [tid])

    march = valuation.stock_value(session, admin, as_of=dt.date(2026, 3, 31))
    assert [
        (r["warehouse"], r["quantity"], r["value"], r["in_transit"], r["in_transit_value"]) for r in march
    ] == [
        ("GZ", 0, Decimal("0.00"), 6, Decimal("120.00")),
        ("SH", 4, Decimal("80.00"), 0, Decimal("0.00")),
    ]
    assert sum(r["total_value"] for r in march) == Decimal("200.00")
    assert _inventory_account(session, dt.date(2026, 3, 31)) == Decimal("200.00")
    [line] = transfers.transit_rows(session, admin, as_of=dt.date(2026, 3, 31))
    assert (line["from_warehouse"], line["to_warehouse"], line["sku"], line["quantity"], line["value"]) == (
        "SH",
        "GZ",
        "TEE-1",
        6,
        Decimal("120.00"),
    )
    [line] = transfers.transit_rows(session, admin, as_of=dt.date(2026, 4, 2))
    assert (line["quantity"], line["value"]) == (2, Decimal("40.00"))
    assert _inventory_account(session, dt.date(2026, 4, 2)) == Decimal("200.00")
    assert transfers.transit_rows(session, admin, as_of=dt.date(2026, 4, 3)) == []
    april = valuation.stock_value(session, admin, as_of=dt.date(2026, 4, 3), by=("product",))
    assert [(r["sku"], r["quantity"], r["in_transit"], r["total_value"]) for r in april] == [
        ("TEE-1", 8, 0, Decimal("160.00"))
    ]
    assert _inventory_account(session, dt.date(2026, 4, 3)) == Decimal("160.00")
    assert finance_checks.inventory_matches_stock(session) == []
    assert all(not c(session) for c in checks.CHECKS)


def test_check_compares_the_books_and_the_stock_at_every_month_end(session, admin, biz):
    with frozen_clock(_at(20, 3)):
        post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))])
        # a unit moved in the ledger and never booked, taken out again in April: all-time totals agree
        record_moves(
            session, admin, [MoveDraft(biz.tee, biz.sh, 1, "adjustment", unit_cost=Decimal("20.00"))]
        )
    with frozen_clock(_at(2, 4)):
        post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 5, "receipt", unit_cost=Decimal("20.00"))])
        record_moves(session, admin, [MoveDraft(biz.tee, biz.sh, -1, "adjustment")])
    assert finance_checks.inventory_matches_stock(session) == [
        "finance: inventory accounts at 2026-03-31 200.00 ≠ stock value 220.00 "
        "(in warehouses 220.00, in transit 0.00; difference -20.00)"
    ]
