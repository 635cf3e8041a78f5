"""A foreign receipt's rounding goes to 汇兑损益, landed cost alone to 其他应付款 (audit defect 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from finance_fixtures import receive
from sqlalchemy import select

from ecerp_core.finance.models import Account, JournalLine


def lines(session) -> list[tuple[str, D, D]]:
    stmt = (
        select(Account.code, JournalLine.debit, JournalLine.credit)
        .join(Account, Account.id == JournalLine.account_id)
        .order_by(JournalLine.id)
    )
    return [tuple(r) for r in session.execute(stmt)]


def test_seven_at_one_eleven_dollars_leaves_two_cents_of_rounding_and_nothing_in_2241(session, admin, books):
    # 7 × $1.11 = $7.77 at 7.1234 is 55.35; the stock is valued 7 × round(1.11 × 7.1234) = 7 × 7.91
    receive(
        session,
        admin,
        "r1",
        dt.date(2026, 10, 5),
        books.s2,
        books.wh,
        currency="USD",
        rate="7.1234",
        amount="7.77",
        tax="0",
        landed="0",
        value="55.37",
    )
    assert sorted(lines(session)) == [
        ("1405", D("55.37"), D("0.00")),
        ("2202", D("0.00"), D("55.35")),
        ("660301", D("0.00"), D("0.02")),
    ]


def test_landed_cost_alone_goes_to_2241_and_the_rounding_beside_it(session, admin, books):
    receive(
        session,
        admin,
        "r2",
        dt.date(2026, 10, 5),
        books.s2,
        books.wh,
        currency="USD",
        rate="7.1234",
        amount="7.77",
        tax="1.01",
        landed="10.00",
        value="65.37",
    )
    assert sorted(lines(session)) == [
        ("1405", D("65.37"), D("0.00")),
        ("2202", D("0.00"), D("62.54")),
        ("22210101", D("7.19"), D("0.00")),
        ("2241", D("0.00"), D("10.00")),
        ("660301", D("0.00"), D("0.02")),
    ]


def test_a_cny_receipt_with_landed_cost_has_no_rounding_line(session, admin, books):
    receive(
        session,
        admin,
        "r3",
        dt.date(2026, 10, 5),
        books.s1,
        books.wh,
        currency="CNY",
        rate="1",
        amount="100.00",
        tax="13.00",
        landed="8.00",
        value="108.00",
    )
    assert sorted(lines(session)) == [
        ("1405", D("108.00"), D("0.00")),
        ("2202", D("0.00"), D("113.00")),
        ("22210101", D("13.00"), D("0.00")),
        ("2241", D("0.00"), D("8.00")),
    ]
