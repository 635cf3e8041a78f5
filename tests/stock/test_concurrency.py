"""Concurrent shipments and transfers, from several processes with their own engines, never take
available stock below zero (PostgreSQL: row locks in a fixed order; SQLite: BEGIN IMMEDIATE)."""

from __future__ import annotations

import multiprocessing
import random
from decimal import Decimal

from sqlalchemy import func, select

from ecerp_core.auth import resolve_actor
from ecerp_core.catalog import services as catalog
from ecerp_core.db import session_scope
from ecerp_core.stock import checks, stocktake, stocktake_review, transfers
from ecerp_core.stock import services as stock
from ecerp_core.stock.exceptions import InsufficientStock
from ecerp_core.stock.models import StockLevel, StockMove

WORKERS = 4
ROUNDS = 12
OPENING = 40


def _worker(url: str, n: int, ids: tuple[int, int, int], out) -> None:
    from ecerp_core import db

    db.forget_engines()  # a process of its own: its own engine and connections
    product, sh, gz = ids
    rng = random.Random(n)
    _race.taken = 0
    try:
        _race(url, n, rng, product, sh, gz)
    finally:
        out.put(_race.taken)


def _race(url, n, rng, product, sh, gz) -> None:
    _race.taken = 0
    for i in range(ROUNDS):
        qty = rng.randint(1, 4)
        try:
            with session_scope(url) as session:
                admin = resolve_actor(session, "admin")
                if rng.random() < 0.5:
                    doc = n * 1000 + i
                    stock.reserve(session, admin, [stock.ReservationDraft(product, sh, qty, "race", doc)])
                    stock.ship_reserved(session, admin, "race", [doc])
                else:
                    [tid] = transfers.create_transfers(
                        session, admin, [transfers.TransferDraft(sh, gz, ((product, qty),))]
                    )
                    transfers.ship_transfers(session, admin, [tid])
            _race.taken += qty
        except InsufficientStock:
            pass


def test_concurrent_shipments_and_transfers_never_oversell(db):
    with session_scope(db) as session:
        admin = resolve_actor(session, "admin")
        sh = catalog.create_warehouse(session, admin, code="SH", name="上海仓").id
        gz = catalog.create_warehouse(session, admin, code="GZ", name="广州仓").id
        tee = catalog.create_product(session, admin, sku="TEE-1", name_zh="T恤", cost="20.00").id
        stock.post_moves(
            session, admin, [stock.MoveDraft(tee, sh, OPENING, "receipt", unit_cost=Decimal("20.00"))]
        )
    from ecerp_core.db import get_engine

    get_engine(db).dispose()
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    procs = [context.Process(target=_worker, args=(db, n, (tee, sh, gz), out)) for n in range(WORKERS)]
    for p in procs:
        p.start()
    taken = sum(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0, "a worker failed: see its traceback above"
    with session_scope(db, readonly=True) as session:
        on_hand, reserved = session.execute(
            select(StockLevel.on_hand, StockLevel.reserved).where(
                StockLevel.product_id == tee, StockLevel.warehouse_id == sh
            )
        ).one()
        assert on_hand - reserved >= 0
        assert on_hand == OPENING - taken
        assert [p for c in checks.CHECKS for p in c(session)] == []
        assert session.scalar(select(StockMove.id).where(StockMove.move_type == "transfer_out")) is not None
    assert taken > OPENING - 4 * WORKERS  # the race really happened: nearly everything went


SHIPPERS = 2
SHIPMENTS = 15


def _ship_one_by_one(url: str, n: int, product: int, sh: int, out) -> None:
    from ecerp_core import db

    db.forget_engines()
    shipped = 0
    try:
        for i in range(SHIPMENTS):
            with session_scope(url) as session:
                admin = resolve_actor(session, "admin")
                doc = n * 1000 + i
                stock.reserve(session, admin, [stock.ReservationDraft(product, sh, 1, "race", doc)])
                stock.ship_reserved(session, admin, "race", [doc])
            shipped += 1
    finally:
        out.put(shipped)


def _approve(url: str, stocktake_id: int, out) -> None:
    from ecerp_core import db

    db.forget_engines()
    with session_scope(url) as session:
        stocktake.approve_stocktake(session, resolve_actor(session, "admin"), stocktake_id)
    out.put(0)


def test_a_count_approved_while_goods_ship_posts_on_top_of_every_shipment(db):
    with session_scope(db) as session:
        admin = resolve_actor(session, "admin")
        sh = catalog.create_warehouse(session, admin, code="SH", name="上海仓").id
        tee = catalog.create_product(session, admin, sku="TEE-1", name_zh="T恤", cost="20.00").id
        stock.post_moves(
            session, admin, [stock.MoveDraft(tee, sh, OPENING, "receipt", unit_cost=Decimal("20.00"))]
        )
        st = stocktake.create_stocktake(session, admin, sh, threshold=5)
        stocktake.scan(session, admin, st, "TEE-1", quantity=OPENING - 2)  # 2 missing when counted
        assert stocktake.submit_stocktake(session, admin, st) == "submitted"
    from ecerp_core.db import get_engine

    get_engine(db).dispose()
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    procs = [context.Process(target=_ship_one_by_one, args=(db, n, tee, sh, out)) for n in range(SHIPPERS)]
    procs.append(context.Process(target=_approve, args=(db, st, out)))
    for p in procs:
        p.start()
    shipped = sum(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0, "a worker failed: see its traceback above"
    assert shipped == SHIPPERS * SHIPMENTS == 30
    with session_scope(db, readonly=True) as session:
        on_hand = session.scalar(
            select(StockLevel.on_hand).where(StockLevel.product_id == tee, StockLevel.warehouse_id == sh)
        )
        assert on_hand == 8  # 40 − 2 lost − 30 shipped, however the approval fell among the shipments
        loss_id = session.scalar(select(StockMove.id).where(StockMove.move_type == "count_loss"))
        before = session.scalar(
            select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
                StockMove.move_type == "shipment", StockMove.id < loss_id
            )
        )
        [line] = stocktake_review.review_lines(session, resolve_actor(session, "admin"), st)
        assert (line["variance"], line["moved"]) == (-2, before)
        assert [p for c in checks.CHECKS for p in c(session)] == []
