"""Stocktaking: blind scanning, typed counts, recount, moves during the count, approval by value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from business_fixtures import stock_row
from sqlalchemy import select, text

from ecerp_core.auth import Actor, resolve_actor
from ecerp_core.catalog import services as catalog
from ecerp_core.db import get_engine, session_scope
from ecerp_core.errors import NotFound, PermissionDenied, ValidationError
from ecerp_core.setup import create_database, migrate
from ecerp_core.stock import alerts, checks, stocktake, stocktake_review
from ecerp_core.stock.exceptions import StocktakeClosed, UnknownBarcode
from ecerp_core.stock.models import StockMove
from ecerp_core.stock.services import MoveDraft, post_moves, record_moves


@pytest.fixture
def stocked(session, admin, biz):
    catalog.update_product(session, admin, "TEE-1", barcode="6901234567892")
    post_moves(
        session,
        admin,
        [
            MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00")),
            MoveDraft(biz.mug, biz.sh, 5, "receipt", unit_cost=Decimal("8.00")),
        ],
    )
    return biz


def test_count_with_moves_during_the_count_posts_exactly_the_variance(session, admin, stocked, emitted):
    biz = stocked
    st = stocktake.create_stocktake(session, admin, biz.sh, threshold=5)
    # the counter finds 7 tees on the shelf (book 10: 3 missing) ...
    for _ in range(7):
        result = stocktake.scan(session, admin, st, "6901234567892")
    assert (result.sku, result.counted, result.added) == ("TEE-1", 7, False)
    # ... then 2 tees ship and 4 arrive while the count is still open
    record_moves(
        session,
        admin,
        [
            MoveDraft(biz.tee, biz.sh, -2, "shipment"),
            MoveDraft(biz.tee, biz.sh, 4, "receipt", unit_cost=Decimal("20.00")),
        ],
    )
    stocktake.scan(session, admin, st, "MUG-1", quantity=6)  # typed: one mug found
    assert "book" not in stocktake_review.counting_lines(session, admin, st)[0]  # blind
    assert stocktake.submit_stocktake(session, admin, st) == "submitted"
    review = {r["sku"]: r for r in stocktake_review.review_lines(session, admin, st)}
    assert (review["TEE-1"]["book"], review["TEE-1"]["variance"], review["TEE-1"]["variance_value"]) == (
        10,
        -3,
        Decimal("-60.00"),
    )
    assert review["MUG-1"]["variance_value"] == Decimal("8.00")
    result = stocktake.approve_stocktake(session, admin, st)
    assert (result["gain_base"], result["loss_base"]) == (Decimal("8.00"), Decimal("60.00"))
    # 10 − 2 + 4 − 3: the variance is against the book when counted, not at approval
    assert stock_row(session, biz.tee, biz.sh) == (9, 0)
    assert stock_row(session, biz.mug, biz.sh) == (6, 0)
    event = emitted[-1]
    assert (event.kind, event.key, event.payload()) == (
        "stock.counted",
        f"stocktake:{st}:approved",
        {"gain_base": Decimal("8.00"), "loss_base": Decimal("60.00"), "warehouse_id": biz.sh},
    )
    with pytest.raises(StocktakeClosed):
        stocktake.scan(session, admin, st, "MUG-1")
    assert all(not c(session) for c in checks.CHECKS)


def test_recount_unknown_codes_and_permissions(session, admin, stocked, actor_with_role):
    biz = stocked
    st = stocktake.create_stocktake(session, admin, biz.sh, threshold=2)
    with pytest.raises(UnknownBarcode):
        stocktake.scan(session, admin, st, "NOPE-404")
    stocktake.scan(session, admin, st, "TEE-1", quantity=4)  # book 10: off by 6 → recount
    stocktake.scan(session, admin, st, "MUG-1", quantity=5)
    assert stocktake.submit_stocktake(session, admin, st) == "recount"
    lines = stocktake_review.counting_lines(session, admin, st)
    assert (lines[0]["sku"], lines[0]["recount"], lines[0]["counted"]) == ("TEE-1", True, None)
    with pytest.raises(ValidationError):  # the recount is not done yet
        stocktake.submit_stocktake(session, admin, st)
    clerk = actor_with_role("warehouse_clerk")
    for _ in range(9):
        stocktake.scan(session, clerk, st, "TEE-1")  # a second counter
    assert stocktake.submit_stocktake(session, clerk, st) == "submitted"
    with pytest.raises(PermissionDenied):
        stocktake.approve_stocktake(session, clerk, st)
    review = {r["sku"]: r for r in stocktake_review.review_lines(session, admin, st)}
    assert (review["TEE-1"]["first_count"], review["TEE-1"]["counted"], review["TEE-1"]["variance"]) == (
        4,
        9,
        -1,
    )
    stocktake.approve_stocktake(session, admin, st)
    assert stock_row(session, biz.tee, biz.sh) == (9, 0)
    assert (
        session.scalar(select(StockMove.move_type).where(StockMove.source_type == "stocktake"))
        == "count_loss"
    )


def test_scopes_location_and_abc(session, admin, stocked):
    biz = stocked
    alerts.set_stock_settings(
        session,
        admin,
        [
            alerts.SettingDraft(biz.tee, biz.sh, location="A-01-02"),
            alerts.SettingDraft(biz.mug, biz.sh, location="B-01-01"),
        ],
    )
    st = stocktake.create_stocktake(session, admin, biz.sh, scope="location", scope_value="A-01..A-09")
    assert [r["sku"] for r in stocktake_review.counting_lines(session, admin, st)] == ["TEE-1"]
    stocktake.cancel_stocktake(session, admin, st)  # the tee may be on one open count only
    st2 = stocktake.create_stocktake(session, admin, biz.sh, scope="abc")
    assert [r["sku"] for r in stocktake_review.counting_lines(session, admin, st2)] == [
        "TEE-1"
    ]  # 200 of 240 value
    with pytest.raises(ValidationError):
        stocktake.create_stocktake(session, admin, biz.sh, scope="shelf")


def test_open_counts_and_their_status_are_read_with_stock_read(session, admin, stocked):
    biz = stocked
    first = stocktake.create_stocktake(session, admin, biz.sh)
    second = stocktake.create_stocktake(session, admin, biz.gz)
    stocktake.scan(session, admin, second, "TEE-1", quantity=0)
    stocktake.submit_stocktake(session, admin, second)
    with pytest.raises(ValidationError) as refused:  # the tee and the mug are on the first count
        stocktake.create_stocktake(session, admin, biz.sh, scope="abc")
    assert [p.code for p in refused.value.problems] == ["problem.on_open_count"]
    third = stocktake.create_stocktake(session, admin, biz.sh, scope="location", scope_value="Z-01..Z-09")
    stocktake.cancel_stocktake(session, admin, third)
    assert [
        (c["id"], c["status"], c["warehouse"]) for c in stocktake_review.open_stocktakes(session, admin)
    ] == [
        (second, "submitted", "GZ"),
        (first, "counting", "SH"),
    ]
    assert stocktake_review.stocktake_status(session, admin, third) == "cancelled"
    with pytest.raises(NotFound):
        stocktake_review.stocktake_status(session, admin, 999_999)
    nobody = Actor(None, "nobody", "custom", frozenset())  # every standard role reads stock
    with pytest.raises(PermissionDenied):
        stocktake_review.open_stocktakes(session, nobody)
    with pytest.raises(PermissionDenied):
        stocktake_review.stocktake_status(session, nobody, first)


@pytest.mark.parametrize(
    ("threshold", "moved", "on_hand"),
    [
        (2, -2, 8),  # 2 shipped before the count of 10 was typed in: no gain of +2
        (6, -3, 7),  # 3 shipped, within a tolerance of 6: still no +3
        (6, 5, 15),  # 5 received: no loss of −5
    ],
)
def test_goods_moving_during_a_count_are_neither_invented_nor_lost(
    session, admin, stocked, threshold, moved, on_hand
):
    biz = stocked
    st = stocktake.create_stocktake(session, admin, biz.sh, scope="abc", threshold=threshold)
    # the counter finds the 10 tees on the shelf; before the count is typed in, goods move
    move = "shipment" if moved < 0 else "receipt"
    record_moves(session, admin, [MoveDraft(biz.tee, biz.sh, moved, move, unit_cost=Decimal("20.00"))])
    stocktake.scan(session, admin, st, "TEE-1", quantity=10)
    assert stocktake.submit_stocktake(session, admin, st) == "submitted"
    [line] = stocktake_review.review_lines(session, admin, st)
    assert (line["book"], line["counted"], line["variance"]) == (10, 10, 0)
    assert (line["moved"], line["after"]) == (moved, on_hand)
    during = stocktake_review.moves_during_count(session, admin, st)
    assert [(m["sku"], m["move_type"], m["quantity"]) for m in during] == [("TEE-1", move, moved)]
    result = stocktake.approve_stocktake(session, admin, st)
    assert result == {"gain_base": Decimal("0.00"), "loss_base": Decimal("0.00"), "moves": 0}
    assert stock_row(session, biz.tee, biz.sh) == (on_hand, 0)
    [line] = stocktake_review.review_lines(session, admin, st)  # what moved is kept as it was at approval
    record_moves(session, admin, [MoveDraft(biz.tee, biz.sh, -1, "shipment")])
    [after] = stocktake_review.review_lines(session, admin, st)
    assert (after["moved"], after["after"]) == (moved, on_hand) == (line["moved"], line["after"])
    assert len(stocktake_review.moves_during_count(session, admin, st)) == 1
    assert all(not c(session) for c in checks.CHECKS)


def test_a_product_found_during_the_count_is_booked_as_of_the_opening(session, admin, stocked):
    biz = stocked
    alerts.set_stock_settings(
        session,
        admin,
        [
            alerts.SettingDraft(biz.tee, biz.sh, location="A-01-02"),
            alerts.SettingDraft(biz.mug, biz.sh, location="B-01-01"),
        ],
    )
    st = stocktake.create_stocktake(session, admin, biz.sh, scope="location", scope_value="A-01..A-09")
    record_moves(session, admin, [MoveDraft(biz.mug, biz.sh, -2, "shipment")])  # after the opening
    result = stocktake.scan(session, admin, st, "MUG-1", quantity=5)  # the 5 mugs the shelf held
    assert result.added
    stocktake.scan(session, admin, st, "TEE-1", quantity=10)
    assert stocktake.submit_stocktake(session, admin, st) == "submitted"
    review = {r["sku"]: r for r in stocktake_review.review_lines(session, admin, st)}
    assert (review["MUG-1"]["book"], review["MUG-1"]["variance"], review["MUG-1"]["moved"]) == (5, 0, -2)
    stocktake.approve_stocktake(session, admin, st)
    assert stock_row(session, biz.mug, biz.sh) == (3, 0)


def test_a_recount_counts_the_shelf_as_it_stands_when_the_recount_starts(session, admin, stocked):
    biz = stocked
    st = stocktake.create_stocktake(session, admin, biz.sh, scope="abc", threshold=2)
    record_moves(session, admin, [MoveDraft(biz.tee, biz.sh, -3, "shipment")])
    stocktake.scan(session, admin, st, "TEE-1", quantity=4)  # 4 of 10: off by 6
    assert stocktake.submit_stocktake(session, admin, st) == "recount"  # its book is taken again: 7
    stocktake.scan(session, admin, st, "TEE-1", quantity=7)  # the 7 on the shelf
    assert stocktake.submit_stocktake(session, admin, st) == "submitted"
    [line] = stocktake_review.review_lines(session, admin, st)
    assert (line["first_count"], line["book"], line["counted"], line["variance"], line["moved"]) == (
        4,
        7,
        7,
        0,
        0,
    )
    stocktake.send_back_for_recount(session, admin, st, [biz.tee])  # book taken again: 7
    # the recount finds 6 (one is missing); one more ships before the 6 is typed in
    record_moves(session, admin, [MoveDraft(biz.tee, biz.sh, -1, "shipment")])
    stocktake.scan(session, admin, st, "TEE-1", quantity=6)
    stocktake.submit_stocktake(session, admin, st)
    [line] = stocktake_review.review_lines(session, admin, st)
    assert (line["first_count"], line["book"], line["variance"], line["moved"], line["after"]) == (
        4,
        7,
        -1,
        -1,
        5,
    )
    stocktake.approve_stocktake(session, admin, st)
    assert stock_row(session, biz.tee, biz.sh) == (5, 0)


def test_migration_0009_gives_open_counts_lines_a_book_figure(tmp_path):
    url = f"sqlite:///{tmp_path / 'counts.db'}"
    create_database(company="迁移测试", admin_password="password-123", url=url)
    with session_scope(url) as session:
        admin = resolve_actor(session, "admin")
        sh = catalog.create_warehouse(session, admin, code="SH", name="上海仓").id
        tee = catalog.create_product(session, admin, sku="TEE-1", name_zh="T恤", cost="20.00").id
        post_moves(session, admin, [MoveDraft(tee, sh, 10, "receipt", unit_cost=Decimal("20.00"))])
        st = stocktake.create_stocktake(session, admin, sh)
    migrate(url, "0005", down=True)
    with get_engine(url).begin() as conn:  # before 0009, a line had no book until it was counted
        conn.execute(text("UPDATE stocktake_line SET book_qty = NULL"))
    migrate(url, "head")
    with session_scope(url) as session:
        [line] = stocktake_review.review_lines(session, resolve_actor(session, "admin"), st)
        assert (line["book"], line["moved"], line["book_at"] is not None) == (10, 0, True)


def test_a_product_on_another_open_count_cannot_join_this_one(session, admin, stocked):
    biz = stocked
    alerts.set_stock_settings(
        session,
        admin,
        [
            alerts.SettingDraft(biz.tee, biz.sh, location="A-01-02"),
            alerts.SettingDraft(biz.mug, biz.sh, location="B-01-01"),
        ],
    )
    tees = stocktake.create_stocktake(session, admin, biz.sh, scope="location", scope_value="A-01..A-09")
    mugs = stocktake.create_stocktake(session, admin, biz.sh, scope="location", scope_value="B-01..B-09")
    with pytest.raises(ValidationError) as refused:
        stocktake.scan(session, admin, tees, "MUG-1")
    assert [(p.code, dict(p.params)) for p in refused.value.problems] == [
        (
            "problem.on_open_count",
            {"value": stocktake_review.open_stocktakes(session, admin)[0]["number"], "count": 1},
        )
    ]
    stocktake.cancel_stocktake(session, admin, mugs)
    assert stocktake.scan(session, admin, tees, "MUG-1").added
