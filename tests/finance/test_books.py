"""The journal's promises and the posting, settlement, FX and period services around it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from finance_fixtures import make_order, receive, ship
from sqlalchemy import func, select

from ecerp_core.audit import AuditLog
from ecerp_core.errors import PermissionDenied, ValidationError
from ecerp_core.events import SaleShipped, emit
from ecerp_core.finance import checks, closing, fx, ledger, periods, rules, settlement, statements
from ecerp_core.finance.exceptions import PeriodClosed, UnbalancedEntry, UnknownAccount
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entry, reverse_entry
from ecerp_core.finance.models import JournalEntry, JournalLine, PostedEvent, SettlementLine
from ecerp_core.finance.payments import pay_supplier, supplier_balance
from ecerp_core.finance.settlement_formats import SettlementRow


def day(n: int, month: int = 10) -> dt.date:
    return dt.date(2026, month, n)


def entries(session) -> int:
    return session.scalar(select(func.count()).select_from(JournalEntry))


def test_an_event_posts_exactly_once_and_a_day_of_one_kind_is_one_entry(session, admin, books):
    a = make_order(session, books.tb, "taobao", "A", "113.00", shipped=day(3))
    b = make_order(session, books.tb, "taobao", "B", "56.50", shipped=day(3))
    ship(session, admin, a, day(3), books.tb, "taobao", "113.00", "40.00")
    ship(session, admin, a, day(3), books.tb, "taobao", "113.00", "40.00")  # the same event again
    ship(session, admin, b, day(3), books.tb, "taobao", "56.50", "20.00")
    assert session.scalar(select(func.count()).select_from(PostedEvent)) == 2
    assert entries(session) == 2  # one per emit call; both on day 3
    events = [
        SaleShipped(
            source_type="sales_order",
            source_id=i,
            business_date=day(4),
            key=f"k{i}",
            shop_id=books.tb,
            platform="taobao",
            currency="CNY",
            goods_amount=D("11.30"),
            shipping_amount=D(0),
            tax_amount=None,
            cost_base=D("1.00"),
            warehouse_id=books.wh,
        )
        for i in range(50)
    ]
    emit(session, admin, events)
    assert entries(session) == 3  # fifty shipments of one day: one voucher
    revenue = session.scalar(
        select(func.sum(JournalLine.credit))
        .join(JournalEntry)
        .where(JournalEntry.entry_date == day(4), JournalLine.account_id == _acct(session, "6001"))
    )
    assert revenue == D("500.00")  # 10.00 per order, rounded per order


def _acct(session, code):
    from ecerp_core.finance.models import Account

    return session.scalar(select(Account.id).where(Account.code == code))


def test_entries_are_numbered_without_gaps_balanced_or_refused(session, admin, books):
    with pytest.raises(UnbalancedEntry):
        post_entry(
            session,
            admin,
            EntryDraft(
                day(1), "manual", (LineDraft("1001", debit=D("1.00")), LineDraft("4001", credit=D("0.99")))
            ),
        )
    with pytest.raises(UnknownAccount):
        post_entry(
            session,
            admin,
            EntryDraft(day(1), "manual", (LineDraft("2221", debit=D("1")), LineDraft("4001", credit=D("1")))),
        )
    for _ in range(3):
        post_entry(
            session,
            admin,
            EntryDraft(
                day(2), "manual", (LineDraft("1001", debit=D("5.00")), LineDraft("4001", credit=D("5.00")))
            ),
        )
    first = session.scalar(select(JournalEntry.id).order_by(JournalEntry.id))
    reverse_entry(session, admin, first, day(3))
    with pytest.raises(ValidationError):
        reverse_entry(session, admin, first, day(3))
    numbers = list(session.scalars(select(JournalEntry.entry_number).order_by(JournalEntry.number)))
    assert numbers == ["202610-00001", "202610-00002", "202610-00003", "202610-00004"]
    post_entry(
        session,
        admin,
        EntryDraft(
            day(1, 11), "manual", (LineDraft("1001", debit=D("1.00")), LineDraft("4001", credit=D("1.00")))
        ),
    )
    assert (
        session.scalar(select(JournalEntry.entry_number).order_by(JournalEntry.id.desc()).limit(1))
        == "202611-00001"
    )
    assert checks.every_entry_balances(session) == []


def test_a_failed_posting_names_the_reason_and_posts_nothing(session, admin, books):
    closing.close_period(session, admin, "2026-10", force_checks=True)
    with pytest.raises(PeriodClosed) as err:
        ship(session, admin, 1, day(20), books.tb, "taobao", "10.00", "1.00")
    assert "2026-10" in err.value.message("zh_CN")
    assert session.scalar(select(func.count()).select_from(PostedEvent)) == 0


def test_posting_rules_can_be_changed(session, admin, books):
    rules.set_rule(session, admin, "sale.shipped", "revenue", "6051", platform="taobao")
    ship(session, admin, 1, day(5), books.tb, "taobao", "113.00", "0")
    assert session.scalar(
        select(func.sum(JournalLine.credit)).where(JournalLine.account_id == _acct(session, "6051"))
    ) == D("100.00")
    with pytest.raises(ValidationError):
        rules.set_rule(session, admin, "sale.shipped", "revenue", "2221")  # a heading, not a posting account


def test_settlement_matches_posts_fees_and_realized_fx_and_lists_what_does_not_match(session, admin, books):
    c = make_order(session, books.us, "shopify", "#1001", "100.00", currency="USD", shipped=day(15))
    ship(
        session, admin, c, day(15), books.us, "shopify", "100.00", "300.00", currency="USD"
    )  # 710.00 at 7.10
    rows = [
        SettlementRow(2, "sale", "#1001", D("100.00"), day(20, 11)),
        SettlementRow(2, "fee", "#1001", D("-3.20"), day(20, 11)),
        SettlementRow(3, "sale", "#404", D("20.00"), day(20, 11)),
    ]
    s = settlement.settle_rows(session, admin, "shopify", rows, reference="payout-1")
    assert (s.matched_lines, s.unmatched_lines, s.net) == (2, 1, D("116.80"))
    lines = {
        code: (dr, cr)
        for code, dr, cr in session.execute(
            select(JournalLine.account_id, JournalLine.debit, JournalLine.credit).where(
                JournalLine.entry_id == s.entry_id
            )
        )
    }
    assert lines[_acct(session, "100202")] == (D("835.12"), D("0"))  # USD 116.80 at 7.15
    assert lines[_acct(session, "660101")] == (D("22.88"), D("0"))
    assert lines[_acct(session, "112205")] == (D("0"), D("710.00"))
    assert lines[_acct(session, "2241")] == (D("0"), D("143.00"))  # the unknown order waits in suspense
    assert lines[_acct(session, "660301")] == (
        D("0"),
        D("5.00"),
    )  # realized gain: 715.00 received for 710.00 booked
    again = settlement.settle_rows(
        session,
        admin,
        "shopify",
        [
            SettlementRow(2, "sale", "#1001", D("100.00"), day(21, 11)),
            SettlementRow(3, "sale", "#1001", D("99.00"), day(21, 11)),
        ],
        reference="payout-2",
    )
    reasons = [x["reason"] for x in settlement.unmatched_lines(session)]
    assert reasons == ["no_order", "already_settled", "already_settled"]
    assert again.matched_lines == 0
    assert checks.receivables_match_orders(session) == []
    assert (
        settlement.write_off_unmatched(session, admin, [x["id"] for x in settlement.unmatched_lines(session)])
        == 3
    )
    assert (
        session.scalar(
            select(func.count()).select_from(SettlementLine).where(SettlementLine.status == "unmatched")
        )
        == 0
    )


def test_supplier_payment_relieves_the_payable_at_its_booked_rate(session, admin, books):
    receive(
        session,
        admin,
        "r1",
        day(5),
        books.s2,
        books.wh,
        currency="USD",
        rate="7.10",
        amount="1000.00",
        tax="0",
        landed="50.00",
        value="7150.00",
    )
    assert supplier_balance(session, books.s2) == (D("1000.00"), D("7100.00"))
    pay_supplier(session, admin, books.s2, D("400.00"), day(20, 11))  # at 7.15
    assert supplier_balance(session, books.s2) == (D("600.00"), D("4260.00"))
    fx_loss = session.scalar(
        select(func.sum(JournalLine.debit)).where(JournalLine.account_id == _acct(session, "660301"))
    )
    assert fx_loss == D("20.00")  # 400 × (7.15 − 7.10)


def test_rates_import_and_a_file_provider(session, admin, books, tmp_path):
    f = tmp_path / "rates.csv"
    f.write_text("currency,date,rate\nUSD,2026-12-01,7.05\nEUR,2026-12-01,7.80\n", encoding="utf-8")
    assert fx.import_rates(session, admin, f) == 2
    provider = fx.FileRateProvider(f)
    assert fx.update_rates(session, admin, provider, ["EUR"], day(1, 12), day(31, 12)) == 1
    assert [r["source"] for r in fx.known_rates(session, ["EUR"])] == ["file"]


def test_reopening_needs_an_admin_and_leaves_an_audit_row(session, admin, books, actor_with_role):
    accountant = actor_with_role("accountant")
    closing.close_period(session, accountant, "2026-10", force_checks=True)
    with pytest.raises(PermissionDenied):
        periods.reopen_period(session, accountant, "2026-10")
    periods.reopen_period(session, admin, "2026-10", reason="补录发票")
    actions = list(session.scalars(select(AuditLog.action).where(AuditLog.entity == "fin_period")))
    assert actions == ["close", "reopen", "reopen_reason"]


def test_the_cli_journal_balances_entry_by_entry(db, session, admin, books, tmp_path, capsys):
    from test_scenario_month import run_october

    from ecerp_core.cli import main

    run_october(session, admin, books, tmp_path)
    session.commit()  # the CLI opens its own session

    def ok(*args) -> str:
        try:
            main([*args])
        except SystemExit as exc:
            assert exc.code in (0, None)
        return capsys.readouterr().out

    import csv
    import io

    text = ok("finance", "journal", "--from", "2026-10-01", "--to", "2026-11-30", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "entry_number",
        "date",
        "account_code",
        "account_name",
        "debit",
        "credit",
        "currency",
        "amount_currency",
        "memo",
        "source",
    ]
    by_entry: dict[str, D] = {}
    for r in rows:
        by_entry[r["entry_number"]] = by_entry.get(r["entry_number"], D(0)) + D(r["debit"]) - D(r["credit"])
    assert by_entry and all(v == 0 for v in by_entry.values())
    tb = json.loads(ok("finance", "trial-balance", "--as-of", "2026-10-31", "--json"))
    assert set(tb) == {"as_of", "rows"} and set(tb["rows"][0]) == {
        "account_code",
        "account_name",
        "debit",
        "credit",
        "balance",
    }
    assert sum(D(r["debit"]) for r in tb["rows"]) == sum(D(r["credit"]) for r in tb["rows"])
    xlsx, csv_file = tmp_path / "s.xlsx", tmp_path / "s.csv"
    st = json.loads(
        ok(
            "finance",
            "statements",
            "--period",
            "2026-10",
            "--json",
            "--xlsx",
            str(xlsx),
            "--csv",
            str(csv_file),
        )
    )
    assert "四、净利润" in csv_file.read_text(encoding="utf-8-sig")
    assert D(st["income_statement"]["net_profit"]) == D("467.74")
    assert {"total_assets", "total_liabilities", "total_equity", "lines"} <= set(st["balance_sheet"])
    assert {"opening_cash", "closing_cash", "net_change_in_cash", "lines"} <= set(st["cash_flow"])
    assert (tmp_path / "s.xlsx").stat().st_size > 0
    assert "2026-10" in ok("finance", "close", "--period", "2026-10")
    rates = tmp_path / "r.csv"
    rates.write_text("currency,rate_date,rate\nUSD,2026-12-31,7.01\n", encoding="utf-8")
    assert "1" in ok("finance", "rates", "import", str(rates))
    bill = tmp_path / "jd.csv"
    bill.write_text(
        "订单编号,费用名称,应结金额,结算时间\n=HYPERLINK(1),货款,5.00,2026-11-02\n", encoding="utf-8"
    )
    out = ok("finance", "settle", "--platform", "jd", str(bill))
    assert "1" in out


def test_exported_cells_that_look_like_formulas_are_escaped():
    from ecerp_core.sheets import csv_text, safe_cell

    rows = [{"memo": '=HYPERLINK("http://x")', "amount": D("-5.00")}, {"memo": "@SUM(A1)", "amount": D("1")}]
    text = csv_text(rows, ["memo", "amount"])
    assert "'=HYPERLINK" in text and "'@SUM" in text and ",-5.00" in text
    assert safe_cell("+1") == "'+1" and safe_cell(D("-1")) == D("-1")


def test_the_first_posting_locks_the_base_currency(session, admin, books):
    from ecerp_core.catalog.company import get_company, setup_company

    setup_company(session, admin, base_currency="USD")  # no books yet: a change is still allowed
    setup_company(session, admin, base_currency="CNY")
    assert get_company(session).books_started_on is None
    for n in (5, 2):
        lines = (LineDraft("1001", debit=D("1.00")), LineDraft("4001", credit=D("1.00")))
        post_entry(session, admin, EntryDraft(day(n), "manual", lines))
    assert get_company(session).books_started_on == day(2)
    with pytest.raises(ValidationError) as info:
        setup_company(session, admin, base_currency="USD")
    assert [(p.field, p.code) for p in info.value.problems] == [("base_currency", "problem.locked_after_use")]
    setup_company(session, admin, phone="021-12345678")  # the other settings stay editable


def test_the_books_are_read_by_those_who_may_read_them(session, admin, books, actor_with_role):
    lines = (LineDraft("1001", debit=D("5.00")), LineDraft("4001", credit=D("5.00")))
    post_entry(session, admin, EntryDraft(day(2), "manual", lines))
    accountant, clerk = actor_with_role("accountant"), actor_with_role("order_clerk")
    journal = list(ledger.read_journal(session, accountant, day(1), day(31)))
    assert [(r["account_code"], r["debit"], r["credit"]) for r in journal] == [
        ("1001", D("5.00"), D("0.00")),
        ("4001", D("0.00"), D("5.00")),
    ]
    trial_balance = statements.read_trial_balance(session, accountant, day(31))
    assert trial_balance == statements.trial_balance(session, accountant, day(31))
    report = statements.read_statements(session, accountant, "2026-10")
    assert report == statements.statements(session, accountant, "2026-10")
    with pytest.raises(PermissionDenied):
        ledger.read_journal(session, clerk)  # refused at the call, before any row is read
    with pytest.raises(PermissionDenied):
        statements.read_trial_balance(session, clerk, day(31))
    with pytest.raises(PermissionDenied):
        statements.read_statements(session, clerk, "2026-10")
