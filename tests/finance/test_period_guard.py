"""The books begin once and periods open in order (audit defect 1): nothing lands before the first
period or in a missing month, and ``ecerp check`` proves a closed month unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import insert, select, text, update

from ecerp_core.auth import resolve_actor
from ecerp_core.db import get_engine, session_scope
from ecerp_core.finance import checks, closing, periods, statements
from ecerp_core.finance.exceptions import BeforeBooks, PeriodClosed, PeriodGap
from ecerp_core.finance.journal import OPENING_KIND, EntryDraft, LineDraft, post_entries, post_entry
from ecerp_core.finance.models import Account, JournalEntry, JournalLine, Period
from ecerp_core.setup import create_database, migrate


def cash_in(on: dt.date, amount: str, kind: str = "manual") -> EntryDraft:
    return EntryDraft(on, kind, (LineDraft("1001", debit=D(amount)), LineDraft("4001", credit=D(amount))))


def total_assets(session, period: str) -> D:
    return statements.statements(session, resolve_actor(session, "admin"), period)["balance_sheet"][
        "total_assets"
    ]


@pytest.fixture
def june_closed(session, admin, books):
    """A small company whose books begin in June 2025 with 1,000.00 of capital; June is closed."""
    post_entry(session, admin, cash_in(dt.date(2025, 6, 10), "1000.00"))
    closing.close_period(session, admin, "2025-06", force_checks=True)
    return session


def test_a_voucher_before_the_first_period_is_refused_and_june_stays_as_closed(june_closed, admin):
    session = june_closed
    assert total_assets(session, "2025-06") == D("1000.00")
    with pytest.raises(BeforeBooks) as err:
        post_entry(session, admin, cash_in(dt.date(2025, 5, 31), "100.00"))
    assert "2025-05-31" in err.value.message("en") and "2025-06" in err.value.message("zh_CN")
    assert [p.code for p in periods.list_periods(session)] == ["2025-06"]
    assert total_assets(session, "2025-06") == D("1000.00")
    assert checks.closed_periods_unchanged(session) == []


def test_an_opening_entry_may_open_the_month_right_before_the_first_period_only(june_closed, admin):
    session = june_closed
    with pytest.raises(PeriodClosed) as err:  # June is closed: its balance sheet would change
        post_entries(session, admin, [cash_in(dt.date(2025, 5, 31), "50.00", OPENING_KIND)])
    assert "2025-06" in err.value.message("en")
    periods.reopen_period(session, admin, "2025-06", reason="期初余额")
    with pytest.raises(BeforeBooks):
        post_entries(session, admin, [cash_in(dt.date(2025, 4, 30), "50.00", OPENING_KIND)])
    with pytest.raises(BeforeBooks):  # an opening and another entry together: the other one is refused
        post_entries(
            session,
            admin,
            [cash_in(dt.date(2025, 5, 31), "50.00", OPENING_KIND), cash_in(dt.date(2025, 5, 31), "1.00")],
        )
    [posted] = post_entries(session, admin, [cash_in(dt.date(2025, 5, 31), "50.00", OPENING_KIND)])
    assert posted.number == "202505-00001"
    assert [p.code for p in periods.list_periods(session)] == ["2025-05", "2025-06"]


def test_a_month_missing_between_two_periods_takes_nothing(june_closed, admin):
    session = june_closed
    session.execute(  # a database from before periods opened in order: August without July
        insert(Period).values(
            year=2025,
            month=8,
            start_date=dt.date(2025, 8, 1),
            end_date=dt.date(2025, 8, 31),
            status="open",
            last_number=0,
            last_voucher=0,
        )
    )
    with pytest.raises(PeriodGap) as err:
        post_entry(session, admin, cash_in(dt.date(2025, 7, 15), "10.00"))
    assert "2025-07-15" in err.value.message("en")
    assert checks.periods_follow_each_other(session) == ["finance: no period for 2025-07 between two periods"]


def test_a_later_month_opens_the_months_between_in_order(june_closed, admin):
    session = june_closed
    post_entry(session, admin, cash_in(dt.date(2025, 9, 1), "10.00"))
    assert [p.code for p in periods.list_periods(session)] == ["2025-06", "2025-07", "2025-08", "2025-09"]
    assert checks.periods_follow_each_other(session) == []


def test_check_proves_a_closed_month_unchanged_and_names_what_moved(june_closed, admin):
    session = june_closed
    assert checks.closed_periods_unchanged(session) == []
    # what the audit did before the guard: a May line under the closed June (written past the services)
    may = periods.Period(
        year=2025,
        month=5,
        start_date=dt.date(2025, 5, 1),
        end_date=dt.date(2025, 5, 31),
        status="open",
        last_number=1,
    )
    session.add(may)
    session.flush()
    entry_id = session.execute(
        insert(JournalEntry)
        .values(
            period_id=may.id,
            number=1,
            entry_number="202505-00001",
            entry_date=dt.date(2025, 5, 31),
            kind="manual",
        )
        .returning(JournalEntry.id)
    ).scalar_one()
    accounts = dict(session.execute(select(Account.code, Account.id)).all())
    for n, (code, debit, credit) in enumerate((("1001", "0", "100.00"), ("4001", "100.00", "0")), start=1):
        session.execute(
            insert(JournalLine).values(
                entry_id=entry_id,
                line_no=n,
                account_id=accounts[code],
                entry_date=dt.date(2025, 5, 31),
                period_id=may.id,
                debit=D(debit),
                credit=D(credit),
                currency="CNY",
                amount_currency=D(debit) - D(credit),
            )
        )
    assert total_assets(session, "2025-06") == D("900.00")
    assert checks.closed_periods_unchanged(session) == [
        "finance: closed period 2025-06 changed since its close: "
        "1001 1000.00 -> 900.00, 4001 -1000.00 -> -900.00"
    ]


def test_closing_again_after_a_reopen_seals_the_months_after_it(june_closed, admin):
    session = june_closed
    post_entry(session, admin, cash_in(dt.date(2025, 7, 2), "20.00"))
    closing.close_period(session, admin, "2025-07", force_checks=True)
    periods.reopen_period(session, admin, "2025-06", reason="补录")
    post_entry(session, admin, cash_in(dt.date(2025, 6, 30), "5.00"))
    assert checks.closed_periods_unchanged(session) == [
        "finance: closed period 2025-07 changed since its close: "
        "1001 1020.00 -> 1025.00, 4001 -1020.00 -> -1025.00"
    ]
    closing.close_period(session, admin, "2025-06", force_checks=True)
    assert checks.closed_periods_unchanged(session) == []
    assert total_assets(session, "2025-07") == D("1025.00")
    session.execute(update(Period).where(Period.year == 2025).values(status="locked"))
    assert checks.closed_periods_unchanged(session) == []


def test_the_migration_seals_the_months_already_closed(tmp_path):
    """A database closed before fin_period_balance existed gets its closed months sealed as they
    stand when it upgrades, so ``ecerp check`` holds them from then on."""
    url = f"sqlite:///{tmp_path / 'books.db'}"
    create_database(company="迁移测试", admin_password="password-123", url=url)
    with session_scope(url) as session:
        admin = resolve_actor(session, "admin")
        post_entry(session, admin, cash_in(dt.date(2025, 6, 10), "1000.00"))
        closing.close_period(session, admin, "2025-06", force_checks=True)
        post_entry(session, admin, cash_in(dt.date(2025, 7, 1), "7.00"))
    migrate(url, "0005", down=True)
    migrate(url, "head")
    with get_engine(url).connect() as conn:
        sealed = conn.execute(
            text(
                "SELECT a.code, b.balance FROM fin_period_balance b "
                "JOIN fin_account a ON a.id = b.account_id ORDER BY a.code"
            )
        ).all()
    assert [(code, D(str(balance))) for code, balance in sealed] == [
        ("1001", D("1000.00")),
        ("4001", D("-1000.00")),
    ]
    with session_scope(url, readonly=True) as session:
        assert checks.closed_periods_unchanged(session) == []
