"""Month-end that cannot be blocked or doubled: dates outside the window, the same settlement under
another name, a settlement across two months, unknown type words, closing a month before it ends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from cli_run import run
from sqlalchemy import func, select

from ecerp_core.audit import AuditLog
from ecerp_core.catalog.company import business_date
from ecerp_core.errors import ValidationError
from ecerp_core.finance import closing, periods, settlement
from ecerp_core.finance.exceptions import PeriodClosed, PeriodNotEnded, SettlementUnchanged
from ecerp_core.finance.models import JournalEntry, Period, Settlement, SettlementLine

HEAD = "商户订单号,业务类型,收入金额（+元）,支出金额（-元）,发生时间\n"


def _alipay(tmp_path, name: str, *rows: str):
    path = tmp_path / name
    path.write_text(HEAD + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_bad_dates_and_unknown_types_are_rejected_per_row_and_nothing_is_posted(
    session, admin, books, tmp_path
):
    path = _alipay(
        tmp_path,
        "bad.csv",
        "T200P1,服务费,,1.50,2026-10-05 10:00:00",
        "T200P2,服务费,,1.50,0001-01-01 00:00:00",
        "T200P3,神秘费用,,2.00,2026-10-06 10:00:00",
        "T200P4,服务费,,1.00,9999-12-31 10:00:00",
    )
    with pytest.raises(ValidationError) as err:
        settlement.import_settlement(session, admin, "alipay", path)
    found = [(p.line, p.code) for p in err.value.problems]
    assert found == [
        (3, "problem.date_out_of_range"),
        (4, "problem.unknown_settlement_type"),
        (5, "problem.date_out_of_range"),
    ]
    assert "神秘费用" in err.value.message("zh_CN")
    assert _count(session, Settlement) == 0
    assert session.scalar(select(Period.id).where(Period.year < 2000)) is None


def test_the_same_lines_under_another_name_post_nothing_again(session, admin, books, tmp_path, capsys):
    rows = ("T200P1,服务费,,1.50,2026-10-05 10:00:00", "T200P1,服务费,,1.50,2026-10-05 10:00:00")
    first = settlement.import_settlement(session, admin, "alipay", _alipay(tmp_path, "a.csv", *rows))
    assert (first.fees, first.known_lines) == (D("-3.00"), 0)  # two equal fees are two lines
    with pytest.raises(SettlementUnchanged):
        settlement.import_settlement(session, admin, "alipay", _alipay(tmp_path, "renamed.csv", *rows))
    more = _alipay(tmp_path, "more.csv", *rows, "T200P9,服务费,,0.70,2026-10-07 10:00:00")
    again = settlement.import_settlement(session, admin, "alipay", more)
    assert (again.fees, again.known_lines) == (D("-0.70"), 2)
    assert _count(session, SettlementLine) == 3
    session.commit()
    code, out, err = run(capsys, "--lang", "en", "finance", "settle", "--platform", "alipay", str(more))
    assert (code, err) == (0, "") and "unchanged" in out


def test_a_settlement_across_two_months_posts_each_month_in_its_own(session, admin, books, tmp_path):
    rows = ("T200P1,服务费,,1.50,2026-10-30 10:00:00", "T200P2,服务费,,2.50,2026-11-02 10:00:00")
    s = settlement.import_settlement(session, admin, "alipay", _alipay(tmp_path, "two.csv", *rows))
    entries = session.execute(
        select(JournalEntry.entry_date).where(
            JournalEntry.source_type == "fin_settlement", JournalEntry.source_id == s.id
        )
    ).all()
    assert sorted(d for (d,) in entries) == [dt.date(2026, 10, 30), dt.date(2026, 11, 2)]


def test_a_settlement_reaching_into_a_closed_month_is_refused_whole(session, admin, books, tmp_path):
    closing.close_period(session, admin, "2026-10", force_checks=True)
    rows = ("T200P1,服务费,,1.50,2026-10-30 10:00:00", "T200P2,服务费,,2.50,2026-11-02 10:00:00")
    with pytest.raises(PeriodClosed) as err:
        settlement.import_settlement(session, admin, "alipay", _alipay(tmp_path, "late.csv", *rows))
    assert "2026-10" in err.value.message("en")
    assert _count(session, Settlement) == 0


def test_a_month_that_has_not_ended_closes_only_with_a_reason(session, admin, books):
    today = business_date(session)
    month = f"{today.year}-{today.month:02d}"
    periods.get_period(session, month)  # opens every month up to this one; the earlier ones close first
    for earlier in session.scalars(select(Period).where(Period.end_date < today).order_by(Period.start_date)):
        closing.close_period(session, admin, earlier.code, force_checks=True)
    with pytest.raises(PeriodNotEnded):
        closing.close_period(session, admin, month, force_checks=True)
    closing.close_period(session, admin, month, force_checks=True, early_reason="the warehouse moves out")
    reason = session.scalar(select(AuditLog.detail).where(AuditLog.action == "close_early"))
    assert "the warehouse moves out" in str(reason)
