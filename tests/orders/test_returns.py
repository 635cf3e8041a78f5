"""Refunds with partial returns, and tax a foreign platform collects (the after-sales defects of i10)."""

import datetime as dt
from decimal import Decimal

import pytest
from business_fixtures import count, stock_row
from sqlalchemy import func, select
from test_orders import all_checks, draft

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.company import business_date, set_exchange_rates
from ecerp_core.errors import ValidationError
from ecerp_core.finance import periods
from ecerp_core.finance.exceptions import PeriodClosed
from ecerp_core.finance.models import Account, JournalEntry, JournalLine
from ecerp_core.orders import aftersales, cases, services
from ecerp_core.orders.aftersales import RefundDraft
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import Order, OrderRefund
from ecerp_core.stock import services as stock
from ecerp_core.stock.models import StockMove

T0 = dt.datetime(2026, 6, 18, 2, 0, tzinfo=dt.UTC)
ZERO = Decimal("0.00")


def balance(session, code):
    """Debit − credit of an account."""
    debit, credit = session.execute(
        select(func.coalesce(func.sum(JournalLine.debit), 0), func.coalesce(func.sum(JournalLine.credit), 0))
        .join(Account)
        .where(Account.code == code)
    ).one()
    return Decimal(debit) - Decimal(credit)


def test_tax_a_foreign_platform_collects_is_not_chinese_vat_and_a_full_refund_gives_it_back(
    session, admin, biz
):
    """A Shopify order in USD: $100 goods + $8 sales tax on top, at 7.10. The tax is the platform's to
    pass on, not 销项税额: it sits in 222105 代收境外销售税, and the full refund empties it and revenue."""
    us = catalog.create_shop(
        session, admin, code="US", name="US shop", platform="shopify", currency="USD", default_warehouse="SH"
    )
    set_exchange_rates(session, admin, [{"currency": "USD", "rate_date": "2020-01-01", "rate": "7.10"}])
    stock.post_moves(
        session, admin, [stock.MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))]
    )
    lines = (OrderLineDraft("TEE-1", 2, Decimal("50.00"), Decimal("100.00")),)
    order = OrderDraft(
        us.id,
        "#1001",
        "paid",
        T0,
        "USD",
        lines,
        Decimal("100.00"),
        Decimal("108.00"),
        tax_amount=Decimal("8.00"),
        paid_amount=Decimal("108.00"),
        country="US",
        region="CA",
        receiver_name="Ann",
        address="1 Main St",
    )
    [oid] = import_order_drafts(session, admin, [order]).order_ids
    services.approve_orders(session, admin, [oid])
    services.ship_orders(session, admin, [oid])
    assert balance(session, "222105") == Decimal("-56.80")
    assert balance(session, "22210102") == ZERO
    assert balance(session, "6001") == Decimal("-710.00")
    aftersales.refund_orders(session, admin, [aftersales.RefundDraft(oid, Decimal("108.00"))])
    assert balance(session, "222105") == ZERO
    assert balance(session, "6001") == ZERO
    assert balance(session, "22210102") == ZERO


def receive(session, admin, product, warehouse, qty, cost):
    stock.post_moves(
        session, admin, [stock.MoveDraft(product, warehouse, qty, "receipt", unit_cost=Decimal(cost))]
    )


def shipped_order(session, admin, biz, *lines):
    """An order of ``(sku, qty, price)`` lines, approved and shipped from 上海仓."""
    [oid] = import_order_drafts(session, admin, [draft(biz, "P1", *lines)]).order_ids
    services.approve_orders(session, admin, [oid])
    services.ship_orders(session, admin, [oid])
    return oid


@pytest.fixture
def thirty(session, admin, biz):
    """30 T-shirts sold at 113.00 (VAT inclusive) shipped at a cost of 20.00 each; then 10 more come
    in at 32.00, so the moving average is no longer what the shipped ones left with."""
    receive(session, admin, biz.tee, biz.sh, 30, "20.00")
    oid = shipped_order(session, admin, biz, ("TEE-1", 30, "113.00"))
    receive(session, admin, biz.tee, biz.sh, 10, "32.00")
    assert stock_row(session, biz.tee, biz.sh) == (10, 0)
    return oid


def test_a_partial_return_takes_back_only_its_units_at_the_cost_they_left_with(session, admin, biz, thirty):
    """30 shipped, 226.00 refunded with 2 back: stock +2 only, 40.00 of cost (2 × 20.00, not today's
    average 32.00) back to 1405 from 6401, revenue and VAT reversed for 226.00 (200.00 + 26.00)."""
    assert balance(session, "6401") == Decimal("600.00")
    [rid] = aftersales.refund_orders(
        session, admin, [RefundDraft(thirty, Decimal("226.00"), returns=(("TEE-1", 2),))]
    )
    assert stock_row(session, biz.tee, biz.sh) == (12, 0)
    back = session.execute(
        select(StockMove.quantity, StockMove.unit_cost).where(StockMove.move_type == "return")
    ).all()
    assert back == [(2, Decimal("20.00"))]
    assert balance(session, "6401") == Decimal("560.00")
    assert balance(session, "1405") == Decimal("320.00") + Decimal(
        "40.00"
    )  # 10 × 32.00 bought, 2 × 20.00 back
    assert balance(session, "6001") == Decimal("-3000.00") + Decimal("200.00")
    assert balance(session, "22210102") == Decimal("-390.00") + Decimal("26.00")
    order = session.get(Order, thirty)
    assert (order.status, order.refunded_amount) == ("shipped", Decimal("226.00"))
    assert session.get(OrderRefund, rid).with_return is True
    assert all_checks(session) == []


def test_repeated_partial_returns_add_up_and_the_default_amount_is_what_the_lines_were_paid(
    session, admin, biz, thirty
):
    """Without an amount, a return refunds what its units were paid (3 × 113.00 = 339.00); a second
    return of 27 brings the order to 30 back and fully refunded, and a third finds nothing left."""
    aftersales.refund_orders(
        session, admin, [RefundDraft(thirty, Decimal("226.00"), returns=(("TEE-1", 2),))]
    )
    aftersales.refund_orders(session, admin, [RefundDraft(thirty, returns=(("TEE-1", 1),))])
    order = session.get(Order, thirty)
    assert order.refunded_amount == Decimal("339.00")
    with pytest.raises(ValidationError) as found:
        aftersales.refund_orders(session, admin, [RefundDraft(thirty, returns=(("TEE-1", 28),))])
    [p] = found.value.problems
    assert (p.code, p.params["value"], p.params["max"]) == ("problem.return_above_shipped", "TEE-1", 27)
    aftersales.refund_orders(session, admin, [RefundDraft(thirty, returns=(("TEE-1", 27),))])
    session.refresh(order)
    assert (order.status, order.refunded_amount) == ("refunded", Decimal("3390.00"))
    assert stock_row(session, biz.tee, biz.sh) == (40, 0)
    assert balance(session, "6401") == ZERO
    assert balance(session, "6001") == ZERO
    assert balance(session, "22210102") == ZERO


def test_bad_refunds_are_named_and_write_nothing(session, admin, biz, thirty):
    """A refund above what is left, more units than shipped, a SKU not on the order, a return in a
    bad condition: each is a named problem, and no refund, move or entry is written."""
    before = (count(session, OrderRefund), count(session, StockMove), count(session, JournalEntry))
    cases = [
        (RefundDraft(thirty, Decimal("3390.01")), ("problem.above_maximum", Decimal("3390.01"))),
        (
            RefundDraft(thirty, Decimal("10.00"), returns=(("TEE-1", 31),)),
            ("problem.return_above_shipped", "TEE-1"),
        ),
        (
            RefundDraft(thirty, Decimal("10.00"), returns=(("MUG-1", 1),)),
            ("problem.not_on_sales_order", "MUG-1"),
        ),
        (
            RefundDraft(thirty, Decimal("10.00"), returns=(("NOPE-9", 1),)),
            ("problem.not_on_sales_order", "NOPE-9"),
        ),
        (RefundDraft(thirty, Decimal("10.00"), returns=(("TEE-1", 0),)), ("problem.not_positive", "TEE-1=0")),
        (
            RefundDraft(thirty, Decimal("10.00"), with_return=True, condition="broken"),
            ("problem.not_a_choice", "broken"),
        ),
    ]
    for refund, expected in cases:
        with pytest.raises(ValidationError) as found:
            aftersales.refund_orders(session, admin, [refund])
        assert [(p.code, p.params["value"]) for p in found.value.problems] == [expected]
    assert (count(session, OrderRefund), count(session, StockMove), count(session, JournalEntry)) == before


def test_damaged_goods_come_back_and_are_written_off_into_the_warehouse_named(session, admin, biz, thirty):
    """2 damaged units back to 广州仓: on the ledger there (return + write-off), never available;
    their 40.00 of cost leaves 6401 for 6711 营业外支出, inventory unchanged."""
    aftersales.refund_orders(
        session,
        admin,
        [
            RefundDraft(
                thirty, Decimal("226.00"), returns=(("TEE-1", 2),), condition="damaged", warehouse_id=biz.gz
            )
        ],
    )
    assert stock_row(session, biz.tee, biz.gz) == (0, 0)
    moves = session.execute(
        select(StockMove.move_type, StockMove.quantity, StockMove.unit_cost).where(
            StockMove.warehouse_id == biz.gz
        )
    ).all()
    assert moves == [("return", 2, Decimal("20.00")), ("adjustment", -2, Decimal("20.00"))]
    assert balance(session, "6711") == Decimal("40.00")
    assert balance(session, "6401") == Decimal("560.00")
    assert balance(session, "1405") == Decimal("320.00")


def test_a_bundle_comes_back_as_its_components(session, admin, biz):
    """One of two KIT-1 (2 × TEE-1 + MUG-1) back: 2 T-shirts at 20.00 and a mug at 8.00, 48.00 of cost;
    the default amount is the kit's price, 129.00."""
    receive(session, admin, biz.tee, biz.sh, 4, "20.00")
    receive(session, admin, biz.mug, biz.sh, 2, "8.00")
    oid = shipped_order(session, admin, biz, ("KIT-1", 2, "129.00"))
    aftersales.refund_orders(session, admin, [RefundDraft(oid, returns=(("KIT-1", 1),))])
    assert (stock_row(session, biz.tee, biz.sh), stock_row(session, biz.mug, biz.sh)) == ((2, 0), (1, 0))
    assert session.get(Order, oid).refunded_amount == Decimal("129.00")
    assert balance(session, "6401") == Decimal("48.00")


def test_a_refund_takes_its_business_date_and_a_closed_period_refuses_it(session, admin, biz, thirty):
    """--date: the refund, its moves and its entry are dated on the day given; a day in a closed
    period is refused with nothing written, and so is a day still to come."""
    today = business_date(session)
    day = today - dt.timedelta(days=1)
    [rid] = aftersales.refund_orders(
        session, admin, [RefundDraft(thirty, Decimal("113.00"), returns=(("TEE-1", 1),), business_date=day)]
    )
    assert session.get(OrderRefund, rid).business_date == day
    assert session.scalar(select(StockMove.business_date).where(StockMove.move_type == "return")) == day
    entry = session.scalar(
        select(JournalEntry).where(JournalEntry.source_id == rid, JournalEntry.kind == "sale.refunded")
    )
    assert entry.entry_date == day
    with pytest.raises(ValidationError) as found:
        aftersales.refund_orders(
            session, admin, [RefundDraft(thirty, Decimal("1.00"), business_date=today + dt.timedelta(days=1))]
        )
    assert [p.code for p in found.value.problems] == ["problem.above_maximum"]
    periods.move(session, admin, periods.ensure_period(session, day), "closed", "close")
    with pytest.raises(PeriodClosed):
        aftersales.refund_orders(session, admin, [RefundDraft(thirty, Decimal("1.00"), business_date=day)])


def test_a_return_case_brings_back_only_its_lines(session, admin, biz, thirty):
    """A return-and-refund case for 2 of the 30 T-shirts: received and completed, 2 come back (at
    20.00 each) and 226.00 is refunded; the order stays shipped."""
    case = cases.open_case(
        session, admin, thirty, "return_refund", amount=Decimal("226.00"), lines=[(1, 2)], warehouse_id=biz.sh
    )
    assert cases.act_on_case(session, admin, case, "approve") == "waiting_return"
    assert cases.act_on_case(session, admin, case, "receive") == "received"
    assert cases.act_on_case(session, admin, case, "complete") == "done"
    assert stock_row(session, biz.tee, biz.sh) == (12, 0)
    assert balance(session, "6401") == Decimal("560.00")
    order = session.get(Order, thirty)
    assert (order.status, order.refunded_amount) == ("shipped", Decimal("226.00"))


def test_an_exchange_takes_back_its_lines_no_more_than_shipped(session, admin, biz, thirty):
    """An exchange of 3 T-shirts brings 3 back at 20.00 and sends 3 again; a case for a line the
    order does not have, or for more than the line holds, is refused when opened."""
    case = cases.open_case(session, admin, thirty, "exchange", lines=[(1, 3)], warehouse_id=biz.sh)
    for action in ("approve", "receive", "complete"):
        cases.act_on_case(session, admin, case, action)
    assert stock_row(session, biz.tee, biz.sh) == (13, 0)  # 3 back; the new order waits to be approved
    assert balance(session, "6401") == Decimal("540.00")
    with pytest.raises(ValidationError) as found:
        cases.open_case(session, admin, thirty, "exchange", lines=[(2, 1), (1, 31)])
    assert [p.code for p in found.value.problems] == ["problem.no_such_line", "problem.above_maximum"]


def test_migration_0011_gives_a_seeded_chart_the_foreign_sales_tax_account(tmp_path):
    """A book whose chart was seeded before 222105 existed gets it under 2221 when it upgrades."""
    from sqlalchemy import text

    from ecerp_core.db import get_engine, session_scope
    from ecerp_core.finance.chart import ensure_chart
    from ecerp_core.setup import create_database, migrate

    url = f"sqlite:///{tmp_path / 'chart.db'}"
    create_database(company="迁移测试", admin_password="password-123", url=url)
    with session_scope(url) as session:
        ensure_chart(session)
    query = text("SELECT parent_code, is_leaf, name_zh FROM fin_account WHERE code = '222105'")
    migrate(url, "0005", down=True)
    with get_engine(url).connect() as conn:
        assert conn.execute(query).first() is None
    migrate(url, "head")
    with get_engine(url).connect() as conn:
        assert tuple(conn.execute(query).one()) == ("2221", True, "应交税费-代收境外销售税")


def test_what_arrives_is_what_comes_back_and_the_refund_is_dated(session, admin, biz, thirty):
    """A case opened for 3 T-shirts of which 2 arrive: the clerk receives 2, and completing it
    (dated yesterday) brings back 2; receiving nothing, or more than the line, is refused."""
    case = cases.open_case(session, admin, thirty, "return_refund", amount=Decimal("226.00"), lines=[(1, 3)])
    cases.act_on_case(session, admin, case, "approve")
    for wrong, code in (([(1, 0)], "problem.required"), ([(1, 31)], "problem.above_maximum")):
        with pytest.raises(ValidationError) as found:
            cases.act_on_case(session, admin, case, "receive", warehouse_id=biz.sh, lines=wrong)
        assert [p.code for p in found.value.problems] == [code]
    cases.act_on_case(session, admin, case, "receive", warehouse_id=biz.sh, lines=[(1, 2)])
    day = business_date(session) - dt.timedelta(days=1)
    assert cases.act_on_case(session, admin, case, "complete", business_date=day) == "done"
    assert stock_row(session, biz.tee, biz.sh) == (12, 0)
    refund = session.scalar(select(OrderRefund))
    assert (refund.amount, refund.business_date) == (Decimal("226.00"), day)
