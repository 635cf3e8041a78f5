"""A property test: any sequence of receipts, shipments, transfers, returns, adjustments and counts
(each accepted or refused whole) keeps the ledger's invariants after every step."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ecerp_core.errors import EcerpError
from ecerp_core.purchasing import returns
from ecerp_core.stock import checks, stocktake, transfers
from ecerp_core.stock import services as stock
from ecerp_core.stock.models import StockMove, TransferLine

OPS = st.sampled_from(
    ["receipt", "ship", "transfer", "receive", "close", "return", "purchase_return", "adjust", "count"]
)
STEPS = st.lists(st.tuples(OPS, st.integers(1, 8), st.booleans(), st.booleans()), min_size=1, max_size=10)
_ids = itertools.count(1)


def _apply(session, admin, biz, op: str, qty: int, flag: bool, other: bool) -> None:
    product = biz.tee if flag else biz.mug
    wh, to = (biz.gz, biz.sh) if other else (biz.sh, biz.gz)
    if op == "receipt":
        stock.record_moves(
            session, admin, [stock.MoveDraft(product, wh, qty, "receipt", unit_cost=Decimal(qty))]
        )
    elif op == "ship":
        doc = next(_ids)
        stock.reserve(session, admin, [stock.ReservationDraft(product, wh, qty, "test_order", doc)])
        stock.ship_reserved(session, admin, "test_order", [doc])
    elif op == "transfer":
        [tid] = transfers.create_transfers(
            session, admin, [transfers.TransferDraft(wh, to, ((product, qty),))]
        )
        transfers.ship_transfers(session, admin, [tid])
    elif op in ("receive", "close"):
        open_ids = session.scalars(
            select(transfers.Transfer.id)
            .where(transfers.Transfer.status.in_(("in_transit", "partially_received")))
            .order_by(transfers.Transfer.id)
        ).all()
        if open_ids and op == "receive":
            line = session.execute(
                select(TransferLine.product_id, TransferLine.shipped - TransferLine.received).where(
                    TransferLine.transfer_id == open_ids[0]
                )
            ).first()
            transfers.receive_transfer(session, admin, open_ids[0], [(line[0], min(qty, line[1]))])
        elif open_ids:
            transfers.close_transfers(session, admin, [open_ids[-1]])
    elif op == "return":
        stock.record_moves(
            session, admin, [stock.MoveDraft(product, wh, qty, "return", unit_cost=Decimal("5.00"))]
        )
    elif op == "purchase_return":
        returns.return_to_suppliers(
            session, admin, [returns.ReturnDraft(biz.supplier, wh, ((product, qty, Decimal(1)),))]
        )
    elif op == "adjust":
        stock.post_moves(session, admin, [stock.MoveDraft(product, wh, qty if other else -qty, "adjustment")])
    elif op == "count":
        st_id = stocktake.create_stocktake(session, admin, wh, threshold=1000)
        stocktake.scan(session, admin, st_id, "TEE-1" if flag else "MUG-1", quantity=qty)
        stocktake.submit_stocktake(session, admin, st_id)
        stocktake.approve_stocktake(session, admin, st_id)


def _in_transit_matches_transfer_moves(session) -> bool:
    moved = session.scalar(
        select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
            StockMove.move_type.in_(("transfer_out", "transfer_in"))
        )
    )
    transit = session.scalar(
        select(
            func.coalesce(
                func.sum(
                    TransferLine.shipped - TransferLine.received - TransferLine.lost + TransferLine.lost
                ),
                0,
            )
        )
    )
    return -moved == transit


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_ledger_invariants_hold_after_every_step(session, admin, biz, steps):
    for op, qty, flag, other in steps:
        try:
            with session.begin_nested():
                _apply(session, admin, biz, op, qty, flag, other)
        except EcerpError:
            pass  # refused whole: nothing written
        problems = [p for check in checks.CHECKS for p in check(session)]
        assert problems == [], (op, qty, problems)
        assert _in_transit_matches_transfer_moves(session)
