"""Eight ``ecerp`` processes at once on PostgreSQL, released together by a barrier: reviewers,
approvers and shippers of the same orders, shippers of the same orders in different file orders,
transfers against shipments of the same units, eight importers of one file.

After every race: nothing oversold (``ecerp check`` passes, available stock never below zero),
nothing duplicated (each order imported once, shipped once, posted once), no raw error (each
command printed nothing on stderr or a named ``error:`` message, never driver or SQL text) and no
deadlock left unretried (the server's deadlock count is at most the retries ``db.run_transaction``
logged, and nobody was told the database was busy). ``ecerp bench race-16`` runs a bigger version.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from decimal import Decimal

import pytest
from business_fixtures import stock_row
from cli_run import run
from sqlalchemy import func, select

from ecerp_core.finance.models import PostedEvent
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.stock import services as stock
from ecerp_core.stock.models import StockMove
from ecerp_core.testing import Outcome, race_commands

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("ECERP_TEST_DATABASE_URL", "").startswith("postgresql"),
        reason="racing processes need PostgreSQL",
    ),
]

WORKERS = 8
HEADER = "订单号,商家编码,数量,单价,下单时间,收货人,省,收货地址\n"


def race(url: str, plans: list[list[list[str]]]) -> list[list[Outcome]]:
    """Run the 8 plans at once (``testing.race_commands``); what each command came to, by plan.
    No raw error, no deadlock left unretried."""
    assert len(plans) == WORKERS
    result = race_commands(url, plans)
    assert [o.code for o in result.all() if o.code == 99] == []  # nothing raised past the entry point
    assert result.raw_errors() == []
    assert result.unretried_deadlocks() == 0, (result.deadlocks, result.retries)
    return result.outcomes


def _orders_file(tmp_path, count: int, name: str = "orders.csv"):
    path = tmp_path / name
    rows = [f"R{i:03d},TEE-1,1,59,2026-10-18 10:00:00,张三,上海,上海市人民路1号" for i in range(count)]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def _tracking_file(tmp_path, numbers: list[str], n: int) -> str:
    """The shipper's file: the same orders and tracking numbers, in this shipper's own order."""
    path = tmp_path / f"tracking{n}.csv"
    path.write_text(
        "订单号,快递公司,快递单号\n" + "".join(f"{x},SF,SF{x}\n" for x in numbers), encoding="utf-8"
    )
    return str(path)


def _orders(session, admin, biz, capsys, tmp_path, count: int, opening: int, approve: int = 0) -> list[str]:
    """``count`` paid orders of one TEE-1 each, ``opening`` units at SH, the first ``approve`` approved."""
    stock.post_moves(
        session, admin, [stock.MoveDraft(biz.tee, biz.sh, opening, "receipt", unit_cost=Decimal("20"))]
    )
    session.commit()
    argv = ("orders", "import", "--platform", "csv", "--shop", "TB", "--json", _orders_file(tmp_path, count))
    code, out, err = run(capsys, "--lang", "en", *argv)
    assert (code, err, json.loads(out)["created"]) == (0, "", count)
    numbers = [f"R{i:03d}" for i in range(count)]
    if approve:
        code, out, err = run(capsys, "--lang", "en", "orders", "approve", *numbers[:approve], "--json")
        assert (code, err, json.loads(out)) == (0, "", {"orders": approve})
    session.expire_all()
    return numbers


def _rotations(values: list, n: int) -> list:
    """Each racer's own order of the same values: rotated, every other one reversed."""
    k = n * len(values) // WORKERS
    turned = values[k:] + values[:k]
    return turned[::-1] if n % 2 else turned


def _shipper(tmp_path, numbers: list[str], n: int) -> list[list[str]]:
    """Racer ``n``'s plan: ship the orders from a tracking file listing them in its own order."""
    path = _tracking_file(tmp_path, _rotations(numbers, n), n)
    return [["orders", "ship", "--tracking-file", path, "--json"]]


def _shipped_once(session) -> int:
    """Every shipped order has one shipment move per line and one posted sale; how many shipped."""
    session.expire_all()
    shipped = set(session.scalars(select(Order.id).where(Order.status == "shipped")))
    moves = Counter(
        session.scalars(
            select(StockMove.source_id).where(
                StockMove.move_type == "shipment", StockMove.source_type == "order"
            )
        )
    )
    posted = Counter(session.scalars(select(PostedEvent.order_id).where(PostedEvent.kind == "sale.shipped")))
    assert set(moves) == set(posted) == shipped
    assert set(moves.values()) <= {1} and set(posted.values()) <= {1}
    return len(shipped)


def _checked(capsys) -> None:
    code, out, err = run(capsys, "--lang", "en", "check")
    assert (code, err) == (0, ""), out


def test_eight_importers_of_one_file_create_each_order_once(db, session, admin, biz, capsys, tmp_path):
    path = _orders_file(tmp_path, 40)
    session.commit()
    argv = ["orders", "import", "--platform", "csv", "--shop", "TB", "--json", path]
    outcomes = [o for [o] in race(db, [[argv]] * WORKERS)]
    assert [(o.code, o.err) for o in outcomes] == [(0, "")] * WORKERS
    summaries = [json.loads(o.out) for o in outcomes]
    assert sum(s["created"] for s in summaries) == 40
    assert all(s["created"] + s["unchanged"] == 40 for s in summaries)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Order)) == 40
    assert session.scalar(select(func.count()).select_from(OrderLine)) == 40
    _checked(capsys)


def test_reviewers_approvers_and_shippers_of_the_same_orders_never_oversell(
    db, session, admin, biz, capsys, tmp_path
):
    """24 orders, 12 units: 3 review them all, 3 approve them by number in their own order a third
    at a time, 2 ship them all from a tracking file three times over (what is not approved yet is
    rejected by line)."""
    numbers = _orders(session, admin, biz, capsys, tmp_path, 24, 12)
    plans = [[["orders", "review", "--json"]]] * 3
    for n in range(3):
        mine = _rotations(numbers, n)
        plans.append([["orders", "approve", *mine[k : k + 8], "--json"] for k in range(0, 24, 8)])
    plans += [_shipper(tmp_path, numbers, n) * 3 for n in range(2)]
    race(db, plans)
    shipped = _shipped_once(session)
    approved = session.scalar(select(func.count()).where(Order.status == "approved"))
    assert shipped + approved == 12
    assert stock_row(session, biz.tee, biz.sh) == (12 - shipped, approved)
    _checked(capsys)


def test_eight_shippers_of_the_same_orders_ship_each_once(db, session, admin, biz, capsys, tmp_path):
    numbers = _orders(session, admin, biz, capsys, tmp_path, 12, 12, approve=12)
    outcomes = race(db, [_shipper(tmp_path, numbers, n) for n in range(WORKERS)])
    assert sum(json.loads(o.out)["shipped"] for [o] in outcomes if o.out) == 12
    assert _shipped_once(session) == 12
    assert stock_row(session, biz.tee, biz.sh) == (0, 0)
    _checked(capsys)


def test_transfers_and_shipments_of_the_same_units_never_oversell(db, session, admin, biz, capsys, tmp_path):
    """12 units, 6 of them reserved by approved orders: 4 ship those orders, 4 send 2 units each to
    GZ; only 3 transfers find units, the others are refused by name."""
    numbers = _orders(session, admin, biz, capsys, tmp_path, 6, 12, approve=6)
    plans = [_shipper(tmp_path, numbers, n) for n in range(4)]
    plans += [[["stock", "transfer", "SH", "GZ", "TEE-1=2", "--ship"]]] * 4
    outcomes = race(db, plans)
    sent = [o for [o] in outcomes[4:] if o.code == 0]
    assert len(sent) == 3
    assert _shipped_once(session) == 6
    assert stock_row(session, biz.tee, biz.sh) == (0, 0)
    _checked(capsys)
