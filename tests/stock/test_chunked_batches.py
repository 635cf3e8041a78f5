"""Batches larger than a chunk: proved with a chunk of 3 (the real one, 2,000, is measured by
``ecerp bench stocktake-20k products-import-100k`` on PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

from business_fixtures import stock_row

from ecerp_core import query
from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.importers import import_file
from ecerp_core.catalog.models import Product
from ecerp_core.stock import services as stock
from ecerp_core.stock.services import lock_levels


def test_stock_moves_and_imports_of_more_keys_than_a_chunk(session, admin, biz, monkeypatch):
    monkeypatch.setattr(query, "CHUNK", 3)
    ids = [catalog.create_product(session, admin, sku=f"C-{i}", name_zh=f"品{i}").id for i in range(8)]
    moves = [
        stock.MoveDraft(p, w, 2 + i, "receipt", unit_cost=Decimal("5"))
        for i, p in enumerate(ids)
        for w in (biz.sh, biz.gz)
    ]
    assert stock.post_moves(session, admin, moves) == 16
    assert [stock_row(session, p, biz.gz) for p in ids] == [(2 + i, 0) for i in range(8)]
    levels = lock_levels(session, [(p, w) for p in ids for w in (biz.sh, biz.gz)])
    assert len(levels) == 16 and sorted(levels) == sorted(levels, key=lambda k: (k[0], k[1]))
    assert list(query.chunked(range(7))) == [[0, 1, 2], [3, 4, 5], [6]]
    csv = "sku,name,price\n" + "".join(f"N-{i},新品{i},9.90\n" for i in range(7))
    report = import_file(session, admin, "product", csv.encode(), name="p.csv")
    assert (report.created, report.rejected) == (7, [])
    assert query.ids_by_key(session, Product, "sku", {f"N-{i}" for i in range(7)}).keys() == {
        f"N-{i}" for i in range(7)
    }


def test_more_keys_than_a_statement_takes_go_as_one_array(session, admin, biz):
    """70,001 keys: more parameters than PostgreSQL (65,535) or SQLite (32,766) take in one statement,
    sent as one array by ``db.among`` (ids of a batch, numbers of a user's file). ``ecerp bench
    tracking-70k`` ships from a tracking file that long."""
    from sqlalchemy import select

    from ecerp_core.db import among
    from ecerp_core.orders import vat
    from ecerp_core.orders.models import Order

    assert vat.order_lines(session, range(1, 70_002)) == {}
    numbers = [f"X{i}" for i in range(70_001)]
    assert (
        session.scalars(select(Order.id).where(among(session, Order.platform_order_id, numbers))).all() == []
    )


def test_bulk_rows_keep_every_value_as_given(session, admin, biz):
    """A batch of rows big enough for ``COPY`` on PostgreSQL (written as COPY's text, a column at a
    time) reads back exactly as given: text with backslashes, tabs, line breaks and Chinese,
    nulls, decimals, days and moments; a column of another type goes through the driver."""
    import datetime as dt

    from sqlalchemy import select

    from ecerp_core.db import COPY_FROM, _copy_text, insert_columns
    from ecerp_core.stock.models import StockMove

    product = catalog.create_product(session, admin, sku="COPY-1", name_zh="复制").id
    n = COPY_FROM + 5
    notes = ["a\\b", "tab\there", "line\nbreak", "cr\rx", "\\N", "退货 №5", "", "trailing\\"]
    at = dt.datetime(2026, 6, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
    columns = {
        "product_id": [product] * n,
        "warehouse_id": [biz.sh] * n,
        "quantity": [i + 1 for i in range(n)],
        "move_type": ["adjustment"] * n,
        "unit_cost": [Decimal(("12.34", "0", "1E+1", "5.5")[i % 4]) for i in range(n)],
        "business_date": [dt.date(2026, 6, 1) + dt.timedelta(days=i) for i in range(n)],
        "at": [at + dt.timedelta(seconds=i) for i in range(n)],
        "source_type": ["test"] * n,
        "source_id": [None if i % 2 else i for i in range(n)],
        "actor_id": [admin.id] * n,
        "note": [notes[i % len(notes)] for i in range(n)],
    }
    with session.begin_nested() as nested:
        insert_columns(session, StockMove, columns)
        stmt = select(*(StockMove.__table__.c[k] for k in columns)).where(StockMove.source_type == "test")
        rows = session.execute(stmt.order_by(StockMove.quantity)).all()
        assert [list(col) for col in zip(*rows, strict=True)] == list(columns.values())
        nested.rollback()
    assert list(_copy_text([[True, False, None], ["x\ty", None, "z"]])) == ["t\tx\\ty\nf\t\\N\n\\N\tz\n"]
    assert _copy_text([[{"json": 1}]]) is None  # the driver adapts it
