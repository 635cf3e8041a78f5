"""Several processes (clerks and importers) race for the last units: stock is never oversold."""

from __future__ import annotations

import multiprocessing as mp
import os
from decimal import Decimal

import pytest
from business_fixtures import stock_row
from sqlalchemy import func, select
from test_orders import draft

from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import Order
from ecerp_core.stock import services as stock

pytestmark = pytest.mark.skipif(
    not os.environ.get("ECERP_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency needs PostgreSQL",
)


def _clerk(url: str, ids: list[int], start) -> int:
    from ecerp_core.auth import resolve_actor
    from ecerp_core.db import session_scope
    from ecerp_core.errors import TransitionNotAllowed
    from ecerp_core.orders import services as svc

    start.wait()
    won = 0
    for oid in ids:
        try:
            with session_scope(url) as session:
                won += len(
                    svc.approve_orders(session, resolve_actor(session, "admin"), [oid], on_short="skip")
                )
        except TransitionNotAllowed:
            pass  # another clerk approved it first
    return won


def test_processes_racing_for_the_last_units_never_oversell(db, session, admin, biz):
    stock.post_moves(
        session, admin, [stock.MoveDraft(biz.tee, biz.sh, 5, "receipt", unit_cost=Decimal("20"))]
    )
    ids = list(
        import_order_drafts(
            session, admin, [draft(biz, f"RACE{i}", ("TEE-1", 1, "59.00")) for i in range(40)]
        ).order_ids
    )
    session.commit()
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Barrier(4)
        with ctx.Pool(4) as pool:
            # every clerk tries every order, in a different order: the same order and the same units collide
            jobs = [pool.apply_async(_clerk, (db, ids[k:] + ids[:k], start)) for k in range(4)]
            won = sum(j.get(timeout=120) for j in jobs)
    session.expire_all()
    assert won == 5
    assert stock_row(session, biz.tee, biz.sh) == (5, 5)
    assert session.scalar(select(func.count()).where(Order.status == "approved")) == 5


def _returner(url: str, order_id: int, start) -> int:
    """Ask for 20 of the order's T-shirts back; 1 if it went through, 0 if refused."""
    from ecerp_core.auth import resolve_actor
    from ecerp_core.db import session_scope
    from ecerp_core.errors import ValidationError
    from ecerp_core.orders.aftersales import RefundDraft, refund_orders
    from ecerp_core.wiring import connect

    connect()  # a process of its own starts as every entry point does
    start.wait()
    try:
        with session_scope(url) as session:
            draft = RefundDraft(order_id, Decimal("100.00"), returns=(("TEE-1", 20),))
            refund_orders(session, resolve_actor(session, "admin"), [draft])
    except ValidationError:
        return 0  # what the other return took back is no longer there to return
    return 1


def test_two_clerks_returning_the_same_units_take_back_no_more_than_shipped(db, session, admin, biz):
    """30 shipped; two clerks each book 20 back at once: one does, the other is refused."""
    from ecerp_core.orders import services as svc

    stock.post_moves(
        session, admin, [stock.MoveDraft(biz.tee, biz.sh, 30, "receipt", unit_cost=Decimal("20"))]
    )
    [oid] = import_order_drafts(session, admin, [draft(biz, "RET1", ("TEE-1", 30, "113.00"))]).order_ids
    svc.approve_orders(session, admin, [oid])
    svc.ship_orders(session, admin, [oid])
    session.commit()
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Barrier(2)
        with ctx.Pool(2) as pool:
            jobs = [pool.apply_async(_returner, (db, oid, start)) for _ in range(2)]
            won = sum(j.get(timeout=120) for j in jobs)
    session.expire_all()
    assert won == 1
    assert stock_row(session, biz.tee, biz.sh) == (20, 0)
    assert session.get(Order, oid).refunded_amount == Decimal("100.00")


def _cli(argv: list[str], start) -> tuple[int, str, str]:
    """Run the ``ecerp`` command in this process: its exit code, output and error output."""
    import contextlib
    import io

    from ecerp_core.cli import main

    start.wait()
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code or 0
    return code, out.getvalue(), err.getvalue()


def _shipper(url: str, ids: list[int], start) -> str:
    """Ship the orders in the given input order; what became of it: shipped, refused or the error."""
    from ecerp_core.auth import resolve_actor
    from ecerp_core.db import run_transaction
    from ecerp_core.errors import EcerpError
    from ecerp_core.orders.batch import Shipment, ship_with_tracking
    from ecerp_core.wiring import connect

    connect()
    start.wait()
    shipments = [Shipment(i, "SF", f"SF{i:06d}") for i in ids]
    try:
        run_transaction(lambda s: ship_with_tracking(s, resolve_actor(s, "admin"), shipments), url)
    except EcerpError:
        return "refused"  # another shipper shipped them first: a named error, not a deadlock
    except Exception as exc:  # what the test is for: nothing else may come out
        return f"{type(exc).__name__}: {exc}"[:300]
    return "shipped"


def test_importers_of_one_file_and_shippers_in_any_order_neither_duplicate_nor_deadlock(
    db, session, admin, biz, tmp_path
):
    """3 importers of one file: each order is created once, the losers report it unchanged (exit 0,
    no database text); 3 shippers of the same orders given in different orders: no deadlock."""
    import json

    from ecerp_core.orders import services as svc

    path = tmp_path / "orders.csv"
    rows = [f"R{i},TEE-1,1,59,2026-06-18 10:00:00,张三,上海,上海市人民路1号" for i in range(30)]
    path.write_text("订单号,商家编码,数量,单价,下单时间,收货人,省,收货地址\n" + "\n".join(rows) + "\n")
    stock.post_moves(
        session, admin, [stock.MoveDraft(biz.tee, biz.sh, 12, "receipt", unit_cost=Decimal("20"))]
    )
    session.commit()
    argv = ["--lang", "en", "orders", "import", "--platform", "csv", "--shop", "TB", "--json", str(path)]
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(3) as pool:
        start = manager.Barrier(3)
        results = [j.get(timeout=120) for j in [pool.apply_async(_cli, (argv, start)) for _ in range(3)]]
        assert [(code, err) for code, _, err in results] == [(0, "")] * 3
        summaries = [json.loads(out) for _, out, _ in results]
        assert sum(s["created"] for s in summaries) == 30
        assert all(s["created"] + s["unchanged"] == 30 for s in summaries)
        session.expire_all()
        ids = sorted(session.scalars(select(Order.id)))
        assert len(ids) == 30
        approved = svc.approve_orders(session, admin, ids, on_short="skip")
        session.commit()
        assert len(approved) == 12
        start = manager.Barrier(3)
        orders = [list(approved), list(reversed(approved)), approved[6:] + approved[:6]]
        outcomes = [j.get(timeout=120) for j in [pool.apply_async(_shipper, (db, o, start)) for o in orders]]
    assert sorted(outcomes) == ["refused", "refused", "shipped"]
    session.expire_all()
    assert stock_row(session, biz.tee, biz.sh) == (0, 0)
