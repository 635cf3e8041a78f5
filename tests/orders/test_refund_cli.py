"""``ecerp orders refund``: a refund with the goods that come back, from the command line."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from business_fixtures import count, stock_row
from test_pipeline_cli import run
from test_returns import receive, shipped_order

from ecerp_core.catalog.company import business_date
from ecerp_core.finance import periods
from ecerp_core.orders.models import Order, OrderRefund
from ecerp_core.stock.models import StockMove


def _thirty(session, admin, biz):
    receive(session, admin, biz.tee, biz.sh, 30, "20.00")
    oid = shipped_order(session, admin, biz, ("TEE-1", 30, "113.00"))
    receive(session, admin, biz.tee, biz.sh, 10, "32.00")
    session.commit()
    return oid


def test_a_partial_return_from_the_cli_says_what_was_refunded_returned_and_booked(
    session, admin, biz, capsys
):
    oid = _thirty(session, admin, biz)
    code, out, err = run(capsys, "orders", "refund", "P1", "--return", "TEE-1=2", "--reason", "尺码不合适")
    assert code == 0, err
    today = business_date(session).isoformat()
    lines = out.splitlines()
    assert (
        lines[0]
        == f"Refund #1 on order P1: 226.00 CNY on {today}; the order is Shipped, 3164.00 left to refund"
    )
    assert lines[1] == "  back: TEE-1 × 2 at a cost of 20.00 each, into SH (sellable)"
    assert lines[2].startswith("  booked: entry ") and lines[2].endswith(
        ", receivable -226.00 CNY (-226.00 in base), inventory 40.00"
    )
    session.expire_all()
    assert stock_row(session, biz.tee, biz.sh) == (12, 0)
    session.rollback()  # SQLite: the CLI writes in its own session
    damaged = ("--return", "TEE-1=1", "--condition", "damaged", "--warehouse", "GZ")
    code, out, err = run(capsys, "orders", "refund", "P1", "--amount", "100.00", *damaged, "--json")
    assert code == 0, err
    done = json.loads(out)
    assert (done["amount"], done["refunded"], done["status"]) == ("100.00", "326.00", "shipped")
    assert done["returns"] == [
        {"sku": "TEE-1", "quantity": 1, "unit_cost": "20.00", "warehouse": "GZ", "condition": "damaged"}
    ]
    assert done["booked"]["value_base"] == "0.00"  # written off: inventory unchanged
    session.expire_all()
    assert session.get(Order, oid).refunded_amount == Decimal("326.00")
    assert stock_row(session, biz.tee, biz.gz) == (0, 0)
    yesterday = business_date(session) - dt.timedelta(days=1)
    session.rollback()
    code, out, err = run(
        capsys, "orders", "refund", "P1", "--amount", "5.00", "--date", str(yesterday), "--json"
    )
    assert code == 0, err
    done = json.loads(out)
    assert (done["date"], done["returns"], done["refunded"]) == (str(yesterday), [], "331.00")


def test_refund_cli_errors_are_one_line_and_write_nothing(session, admin, biz, capsys):
    _thirty(session, admin, biz)
    before = (count(session, OrderRefund), count(session, StockMove))
    session.rollback()
    cases = [
        (("--return", "TEE-1=31"), "TEE-1: 31 back is more than the 30 shipped and not yet returned"),
        (("--return", "NOPE-1=1"), "SKU NOPE-1 is not on order P1"),
        (("--amount", "3390.01"), "must be at most 3390.00"),
        (("--return", "TEE-1"), "write SKU=QTY"),
        (("--warehouse", "XX"), "XX"),
        (("--date", "2026-13-01"), "2026-13-01"),
    ]
    for args, message in cases:
        code, out, err = run(capsys, "orders", "refund", "P1", *args)
        assert code != 0 and message in err + out, (args, out, err)
        assert "Traceback" not in err + out
    code, out, err = run(capsys, "orders", "refund", "NOPE", "--amount", "1.00")
    assert code != 0 and "NOPE" in err
    session.expire_all()
    assert (count(session, OrderRefund), count(session, StockMove)) == before


def test_refund_cli_date_is_the_business_date_and_a_closed_period_refuses_it(session, admin, biz, capsys):
    _thirty(session, admin, biz)
    today = business_date(session)
    yesterday = today - dt.timedelta(days=1)
    for day in {today.replace(day=1), yesterday.replace(day=1)}:
        periods.move(session, admin, periods.ensure_period(session, day), "closed", "close")
    session.commit()
    for args in ((), ("--date", yesterday.isoformat())):
        code, out, err = run(capsys, "orders", "refund", "P1", "--return", "TEE-1=1", *args)
        assert code != 0 and "closed" in err + out, (out, err)
    code, out, err = run(capsys, "orders", "refund", "P1", "--help")
    assert "--date" in out and "--return" in out and "--condition" in out


def test_a_return_case_received_line_by_line_and_completed_on_a_date(session, admin, biz, capsys):
    """cases receive --lines 1:2 says what arrived; cases complete --date dates the refund."""
    _thirty(session, admin, biz)
    yesterday = business_date(session) - dt.timedelta(days=1)
    session.rollback()
    opened = ("--kind", "return_refund", "--amount", "226.00", "--lines", "1:3", "--json")
    code, out, err = run(capsys, "orders", "cases", "open", "P1", *opened)
    assert code == 0, err
    case = str(json.loads(out)["case"])
    assert run(capsys, "orders", "cases", "approve", case)[0] == 0
    code, out, err = run(capsys, "orders", "cases", "receive", case, "--warehouse", "SH", "--lines", "1:2")
    assert code == 0, err
    code, out, err = run(capsys, "orders", "cases", "complete", case, "--date", str(yesterday), "--json")
    assert (code, json.loads(out)["status"]) == (0, "done"), err
    session.expire_all()
    assert stock_row(session, biz.tee, biz.sh) == (12, 0)
    refund = session.query(OrderRefund).one()
    assert (refund.amount, refund.business_date) == (Decimal("226.00"), yesterday)
