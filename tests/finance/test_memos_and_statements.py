"""Memos each reader sees in their language, realized FX named as such, and the balance sheet's
reclassification of balances on the other side (audit defect 6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from finance_fixtures import make_order, ship
from sqlalchemy import select

from ecerp_core.auth import resolve_actor
from ecerp_core.finance import closing, ledger, settlement, statements
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entry, reverse_entry
from ecerp_core.finance.memos import memo, shown
from ecerp_core.finance.models import Account, JournalEntry, JournalLine
from ecerp_core.finance.settlement_formats import SettlementRow


def entry(debit: str, credit: str, amount: str, on: dt.date = dt.date(2026, 10, 5)) -> EntryDraft:
    return EntryDraft(on, "manual", (LineDraft(debit, debit=D(amount)), LineDraft(credit, credit=D(amount))))


def memos(session, language: str) -> list[str]:
    return [
        r["memo"] for r in ledger.journal_rows(session, resolve_actor(session, "admin"), language=language)
    ]


def test_a_system_memo_is_stored_once_and_read_in_each_readers_language(session, admin, books):
    post_entry(session, admin, entry("6602", "1001", "30.00"))
    closing.close_period(session, admin, "2026-10", force_checks=True)
    stored = session.scalar(select(JournalEntry.memo).where(JournalEntry.kind == "closing"))
    assert stored == memo("finance.memo.closing", period="2026-10")
    assert shown(stored, "en") == "2026-10: profit and loss carried to current year profit"
    assert shown(stored, "zh_CN") == "2026-10 期末结转损益至本年利润"
    assert memos(session, "en")[-1] == "Carry profit and loss"
    assert memos(session, "zh_CN")[-1] == "结转损益"


def test_a_reversal_names_the_entry_it_reverses_in_the_readers_language(session, admin, books):
    first = post_entry(session, admin, entry("1001", "4001", "10.00"))
    reverse_entry(session, admin, first.id)
    assert memos(session, "en")[-1] == "Reversal of 202610-00001"
    assert memos(session, "zh_CN")[-1] == "冲销 202610-00001"


def test_a_memo_a_person_typed_stays_as_typed():
    assert shown("补录 10 月发票", "en") == "补录 10 月发票"
    assert shown("§not json", "en") == "§not json"
    assert shown("", "en") == ""


def test_realized_fx_on_a_settlement_has_its_own_memo(session, admin, books):
    order = make_order(
        session, books.us, "shopify", "#1001", "100.00", currency="USD", shipped=dt.date(2026, 10, 15)
    )
    ship(
        session, admin, order, dt.date(2026, 10, 15), books.us, "shopify", "100.00", "300.00", currency="USD"
    )
    rows = [SettlementRow(2, "sale", "#1001", D("100.00"), dt.date(2026, 11, 20))]
    s = settlement.settle_rows(session, admin, "shopify", rows, reference="payout-1")
    fx_line = session.execute(
        select(JournalLine.credit, JournalLine.memo)
        .join(Account, Account.id == JournalLine.account_id)
        .where(JournalLine.entry_id == s.entry_id, Account.code == "660301")
    ).one()
    assert fx_line.credit == D("5.00")  # USD 100 received at 7.15 for 710.00 booked at 7.10
    assert shown(fx_line.memo, "en") == "Realized exchange difference on settlement payout-1"
    assert shown(fx_line.memo, "zh_CN") == "结算单 payout-1 已实现汇兑损益"


def test_liabilities_in_debit_are_shown_among_the_assets(session, admin, books):
    post_entry(session, admin, entry("100201", "4001", "1000.00"))
    post_entry(session, admin, entry("2202", "100201", "100.00"))  # paid a supplier ahead: 预付
    post_entry(session, admin, entry("2241", "100201", "30.00"))  # a deposit paid out: 其他应收
    post_entry(session, admin, entry("22210101", "100201", "13.00"))  # input VAT, no output yet
    post_entry(session, admin, entry("100201", "1123", "40.00"))  # a prepayment account in credit
    bs = {
        x["key"]: x["end_of_period"]
        for x in statements.statements(session, admin, "2026-10")["balance_sheet"]["lines"]
    }
    assert (bs["cash"], bs["prepayments"], bs["other_receivables"], bs["other_current_assets"]) == (
        D("897.00"),
        D("100.00"),
        D("30.00"),
        D("13.00"),
    )
    assert (bs["payables"], bs["other_payables"], bs["taxes"]) == (D("40.00"), D("0.00"), D("0.00"))
    assert bs["total_assets"] == D("1040.00") == bs["total_liabilities_equity"]
    assert bs["total_liabilities"] == D("40.00")
