"""``--date`` on every command that creates a business document: the document, its stock moves and
its entry carry that day; a day in a closed period (or after today) is refused and nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from business_fixtures import count
from sqlalchemy import select
from test_orders import draft
from test_pipeline_cli import run
from test_returns import receive

from ecerp_core.catalog.company import business_date
from ecerp_core.finance import periods
from ecerp_core.finance.models import JournalEntry
from ecerp_core.orders import services as orders
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.purchasing import services as purchasing
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseReceipt, PurchaseReturn
from ecerp_core.purchasing.receipts import ReceiptDraft, receive_purchase_orders
from ecerp_core.stock import stocktake, transfers
from ecerp_core.stock.models import StockMove


def _purchase_order(session, admin, biz):
    line = purchasing.PurchaseLineDraft(biz.tee, 5, Decimal("18.00"))
    po = purchasing.create_purchase_order(
        session, admin, purchasing.PurchaseOrderDraft(biz.supplier, biz.sh, (line,))
    )
    purchasing.confirm_purchase_orders(session, admin, [po])
    return str(po)


def _received_purchase(session, admin, biz):
    po = _purchase_order(session, admin, biz)
    receive_purchase_orders(session, admin, [ReceiptDraft(int(po))])
    return po


def _shipped_transfer(session, admin, biz):
    [tid] = transfers.create_transfers(
        session, admin, [transfers.TransferDraft(biz.sh, biz.gz, ((biz.tee, 2),))]
    )
    transfers.ship_transfers(session, admin, [tid])
    return str(tid)


def _submitted_count(session, admin, biz):
    st = stocktake.create_stocktake(session, admin, biz.sh, threshold=5)
    stocktake.scan(session, admin, st, "TEE-1", quantity=8)  # 2 missing
    stocktake.submit_stocktake(session, admin, st)
    return str(st)


def _approved_order(session, admin, biz):
    [oid] = import_order_drafts(session, admin, [draft(biz, "D1", ("TEE-1", 1, "113.00"))]).order_ids
    orders.approve_orders(session, admin, [oid])
    return "D1"


# command (with {ref} for what the preparation made), preparation, the stock move it makes (None:
# none), its document's date column (None: the moves are the document)
COMMANDS = {
    "stock adjust": (("stock", "adjust", "SH", "TEE-1=-1", "--reason", "破损"), None, "adjustment", None),
    "purchase create": (
        ("purchase", "create", "S1", "SH", "TEE-1=5@18.00"),
        None,
        None,
        PurchaseOrder.order_date,
    ),
    "purchase receive": (
        ("purchase", "receive", "{ref}"),
        _purchase_order,
        "receipt",
        PurchaseReceipt.business_date,
    ),
    "purchase return": (
        ("purchase", "return", "S1", "SH", "TEE-1=1"),
        _received_purchase,
        "purchase_return",
        PurchaseReturn.business_date,
    ),
    "stock transfer --ship": (
        ("stock", "transfer", "SH", "GZ", "TEE-1=1", "--ship"),
        None,
        "transfer_out",
        None,
    ),
    "stock receive-transfer": (
        ("stock", "receive-transfer", "{ref}"),
        _shipped_transfer,
        "transfer_in",
        None,
    ),
    "stock count approve": (("stock", "count", "approve", "{ref}"), _submitted_count, "count_loss", None),
    "orders ship": (
        ("orders", "ship", "{ref}", "--carrier", "SF", "--tracking", "SF1"),
        _approved_order,
        "shipment",
        None,
    ),
}


POST_NOTHING = {"purchase create", "stock receive-transfer"}  # an order; goods arriving from transit


@pytest.fixture
def months(session, admin, biz):
    """Last month closed, this month open; 10 T-shirts in 上海仓 at 20.00. Returns (open day, closed day)."""
    today = business_date(session)
    closed = today.replace(day=1) - dt.timedelta(days=1)
    periods.ensure_period(session, closed)
    periods.ensure_period(session, today)
    periods.move(session, admin, periods.ensure_period(session, closed), "closed", "close")
    receive(session, admin, biz.tee, biz.sh, 10, "20.00")
    return (today.replace(day=1) if today.day > 1 else today), closed


def _prepare(session, admin, biz, name):
    args, prepare, _, _ = COMMANDS[name]
    ref = prepare(session, admin, biz) if prepare else ""
    session.commit()  # SQLite: the CLI writes in its own session
    return [a.format(ref=ref) for a in args]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_document_dated_in_an_open_period_carries_its_date(session, admin, biz, months, capsys, name):
    day, _ = months
    args = _prepare(session, admin, biz, name)
    entries, moves = count(session, JournalEntry), count(session, StockMove)
    session.rollback()
    code, _, err = run(capsys, *args, "--date", day.isoformat())
    assert code == 0, err
    session.expire_all()
    move_type, document = COMMANDS[name][2], COMMANDS[name][3]
    made = select(StockMove.move_type, StockMove.business_date).where(StockMove.id > moves)
    assert set(session.execute(made).all()) == ({(move_type, day)} if move_type else set())
    if document is not None:
        assert set(session.scalars(select(document))) == {day}
    if name not in POST_NOTHING:
        assert count(session, JournalEntry) == entries + 1
        newest = select(JournalEntry.entry_date).order_by(JournalEntry.id.desc()).limit(1)
        assert session.scalar(newest) == day


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_day_in_a_closed_period_or_after_today_is_refused_and_nothing_written(
    session, admin, biz, months, capsys, name
):
    _, closed = months
    args = _prepare(session, admin, biz, name)
    document = COMMANDS[name][3]
    tables = [StockMove, JournalEntry, *([document.class_] if document is not None else [])]
    before = [count(session, t) for t in tables]
    tomorrow = business_date(session) + dt.timedelta(days=1)
    session.rollback()
    for day, message in ((closed, "closed"), (tomorrow, tomorrow.isoformat())):
        code, out, err = run(capsys, *args, "--date", day.isoformat())
        assert code != 0 and message in err + out, (day, out, err)
        assert "Traceback" not in err + out
    code, out, err = run(capsys, *args, "--date", "2026-02-30")
    assert code == 2 and "2026-02-30" in err
    session.expire_all()
    assert [count(session, t) for t in tables] == before
