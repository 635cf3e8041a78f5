"""Payments, receipts and bank transfers, and the payables / receivables aging they feed.

Payables of S1 (CNY) and S2 (USD), worked out by hand:

07-10 goods from S1 1,000.00 + VAT 130.00         Cr 2202 1,130.00 (S1)
07-15 goods from S2 USD 1,000.00 at 7.10          Cr 2202 7,100.00 (S2)
09-05 goods from S1 2,000.00 + VAT 260.00         Cr 2202 2,260.00 (S1)
10-20 goods from S1 500.00 + VAT 65.00            Cr 2202 565.00 (S1)
10-25 pay S1 1,500.00: clears 07-10 (1,130.00) and 370.00 of 09-05 (FIFO)
10-31 pay S2 USD 400.00 at 7.20: payable relieved at 7.10 (2,840.00), bank 2,880.00, FX loss 40.00

Aging on 10-31: S1 31-60 days 1,890.00 (09-05), 0-30 days 565.00 (10-20); S2 over 90 days 4,260.00.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import openpyxl
import pytest
from finance_fixtures import make_order, receive, ship
from sqlalchemy import func, select

from ecerp_core.audit import AuditLog
from ecerp_core.catalog import services as catalog
from ecerp_core.cli import main
from ecerp_core.errors import PermissionDenied, ValidationError
from ecerp_core.finance import aging, periods
from ecerp_core.finance.exceptions import PeriodClosed
from ecerp_core.finance.models import Account, JournalLine
from ecerp_core.finance.payments import (
    account_balance,
    pay_supplier,
    receive_payment,
    supplier_balance,
    transfer_funds,
)


def day(n: int, month: int = 10) -> dt.date:
    return dt.date(2026, month, n)


def goods(session, admin, books, key, when, supplier, amount, tax, currency="CNY", rate="1"):
    value = str(D(amount) * D(rate))
    receive(
        session,
        admin,
        key,
        when,
        supplier,
        books.wh,
        currency=currency,
        rate=rate,
        amount=amount,
        tax=tax,
        landed="0",
        value=value,
    )


def payables(session, admin, books):
    goods(session, admin, books, "r1", day(10, 7), books.s1, "1000.00", "130.00")
    goods(session, admin, books, "r2", day(15, 7), books.s2, "1000.00", "0", currency="USD", rate="7.10")
    goods(session, admin, books, "r3", day(5, 9), books.s1, "2000.00", "260.00")
    goods(session, admin, books, "r4", day(20), books.s1, "500.00", "65.00")
    pay_supplier(session, admin, books.s1, D("1500.00"), day(25), reference="银行回单 001")
    pay_supplier(session, admin, books.s2, D("400.00"), day(31), bank="100202")


def balance(session, code: str) -> D:
    return account_balance(session, code)[1]


def test_paying_suppliers_relieves_the_payable_and_realizes_fx(session, admin, books):
    payables(session, admin, books)
    assert supplier_balance(session, books.s1) == (D("2455.00"), D("2455.00"))
    assert supplier_balance(session, books.s2) == (D("600.00"), D("4260.00"))
    assert balance(session, "100201") == D("-1500.00")
    assert account_balance(session, "100202") == (D("-400.00"), D("-2880.00"))
    assert balance(session, "660301") == D("40.00")
    logged = session.scalar(select(func.count()).where(AuditLog.entity == "fin_supplier_payment"))
    assert logged == 2


def test_payables_aging_buckets_fifo_and_ties_to_2202(session, admin, books):
    payables(session, admin, books)
    report = aging.aging(session, "payables", day(31), language="en")
    rows = {r["party_code"]: r for r in report["rows"]}
    assert rows["S1"]["days_0_30"] == D("565.00")
    assert rows["S1"]["days_31_60"] == D("1890.00")
    assert rows["S1"]["days_61_90"] == rows["S1"]["days_over_90"] == D("0")
    assert rows["S2"]["days_over_90"] == D("4260.00")
    assert rows["S2"]["party_name"] == "Supplier Two"
    assert report["totals"]["total"] == D("6715.00")
    assert report["account_balance"] == -balance(session, "2202") == D("6715.00")
    # a month earlier the first S1 goods are 82 days old and nothing is paid yet
    early = {r["party_code"]: r for r in aging.aging(session, "payables", day(30, 9))["rows"]}
    assert early["S1"]["days_61_90"] == D("1130.00")
    assert early["S1"]["days_0_30"] == D("2260.00")


def receivables(session, admin, books):
    a = make_order(session, books.tb, "taobao", "TA-1", "226.00", shipped=day(1, 8))
    b = make_order(session, books.tb, "taobao", "TA-2", "113.00", shipped=day(10))
    c = make_order(session, books.us, "shopify", "#1", "100.00", currency="USD", shipped=day(15))
    ship(session, admin, a, day(1, 8), books.tb, "taobao", "226.00", "0")
    ship(session, admin, b, day(10), books.tb, "taobao", "113.00", "0")
    ship(session, admin, c, day(15), books.us, "shopify", "100.00", "0", currency="USD")
    receive_payment(session, admin, D("200.00"), day(15), shop_id=books.tb, reference="支付宝提现")
    receive_payment(session, admin, D("60.00"), day(31), shop_id=books.us, bank="100202")
    customer = catalog.create_customer(session, admin, code="C1", name="批发客户")
    receive_payment(session, admin, D("50.00"), day(20), customer_id=customer.id)


def test_receipts_clear_the_platform_receivable_and_age_by_platform(session, admin, books):
    receivables(session, admin, books)
    assert balance(session, "112201") == D("139.00")
    assert account_balance(session, "112205") == (D("40.00"), D("284.00"))  # 60 at 7.10 = 426.00 cleared
    assert balance(session, "660301") == D("-6.00")  # received 432.00 at 7.20
    assert balance(session, "112299") == D("-50.00")
    report = aging.aging(session, "receivables", day(31), language="en")
    rows = {r["party_code"]: r for r in report["rows"]}
    assert (rows["taobao"]["days_0_30"], rows["taobao"]["days_over_90"]) == (D("113.00"), D("26.00"))
    assert rows["taobao"]["party_name"] == "Taobao"
    assert rows["shopify"]["days_0_30"] == D("284.00")
    assert rows["other"]["days_0_30"] == D("-50.00")  # paid ahead
    assert report["totals"]["total"] == D("373.00") == report["account_balance"]
    assert sum(balance(session, c) for c in ("112201", "112205", "112299")) == D("373.00")


def test_a_transfer_between_currencies_moves_the_base_value(session, admin, books):
    transfer_funds(session, admin, "100201", "100202", D("7200.00"), day(31), reference="购汇")
    assert account_balance(session, "100202") == (D("1000.00"), D("7200.00"))  # at 7.20
    assert account_balance(session, "100201") == (D("-7200.00"), D("-7200.00"))
    lines = session.scalars(select(JournalLine.cash_flow).where(JournalLine.debit + JournalLine.credit > 0))
    assert set(lines) == {"internal"}


def test_bad_payments_are_refused_with_their_reason_and_nothing_written(session, admin, books):
    cases = [
        (
            lambda: pay_supplier(session, admin, books.s2, D("1.00"), day(5), bank="100201"),
            "problem.bank_currency",
        ),
        (
            lambda: pay_supplier(session, admin, books.s1, D("10.00"), day(5), bank="1405"),
            "problem.not_a_bank_account",
        ),
        (lambda: pay_supplier(session, admin, books.s1, D("-5.00"), day(5)), "problem.not_positive"),
        (lambda: pay_supplier(session, admin, books.s1, D("1.234"), day(5)), "problem.too_many_decimals"),
        (lambda: receive_payment(session, admin, D("1.00"), day(5)), "problem.shop_or_customer"),
        (
            lambda: transfer_funds(session, admin, "100201", "100201", D("1.00"), day(5)),
            "problem.same_bank_account",
        ),
    ]
    for call, code in cases:
        with pytest.raises(ValidationError) as err:
            call()
        assert err.value.problems[0].code == code
    assert session.scalar(select(func.count()).select_from(JournalLine)) == 0


def test_payments_need_finance_post_and_an_open_period(session, admin, books, actor_with_role):
    analyst = actor_with_role("analyst")
    with pytest.raises(PermissionDenied):
        pay_supplier(session, analyst, books.s1, D("10.00"), day(5))
    with pytest.raises(PermissionDenied):
        transfer_funds(session, analyst, "100201", "100202", D("10.00"), day(5))
    periods.move(session, admin, periods.get_period(session, "2026-09"), "closed", "close")
    with pytest.raises(PeriodClosed):
        receive_payment(session, admin, D("10.00"), day(5, 9), shop_id=books.tb)
    assert session.scalar(select(func.count()).select_from(JournalLine)) == 0
    assert session.scalar(select(Account.id).where(Account.code == "222110")) is not None


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def test_cash_from_the_cli(session, admin, books, capsys, tmp_path):
    payables(session, admin, books)
    catalog.create_customer(session, admin, code="C1", name="批发客户")
    session.commit()
    code, out, _ = run(capsys, "finance", "pay-supplier", "S1", "55.00", "--date", "2026-10-31", "--json")
    assert code == 0
    paid = json.loads(out)
    assert (paid["amount"], paid["currency"], paid["bank"], paid["voucher"]) == (
        "55.00",
        "CNY",
        "100201",
        "202610-00004",
    )
    code, out, _ = run(
        capsys,
        "--lang",
        "en",
        "finance",
        "receive",
        "30.00",
        "--customer",
        "C1",
        "--date",
        "2026-10-31",
        "--reference",
        "R-9",
    )
    assert (code, out.strip()) == (0, "Received 30.00 CNY (voucher 202610-00005)")
    code, out, _ = run(capsys, "finance", "transfer", "100201", "1001", "100.00", "--date", "2026-10-31")
    assert code == 0
    code, _, err = run(
        capsys, "--lang", "en", "finance", "pay-supplier", "--date", "2026-10-31", "S1", "--", "-1"
    )
    assert (code, err.strip()) == (1, "error: The input has 1 problem(s):\n  Amount must be above 0: -1.00")
    code, _, err = run(capsys, "finance", "pay-supplier", "S1", "abc")
    assert code == 2 and "not an amount: abc" in err
    code, out, _ = run(capsys, "finance", "aging", "payables", "--as-of", "2026-10-31", "--json")
    report = json.loads(out)
    assert report["totals"] == {
        "days_0_30": "565.00",
        "days_31_60": "1835.00",
        "days_61_90": "0.00",
        "days_over_90": "4260.00",
        "total": "6660.00",
    }
    assert report["account_balance"] == "6660.00"
    code, out, _ = run(capsys, "finance", "aging", "payables", "--as-of", "2026-10-31", "--format", "csv")
    assert out.splitlines()[1] == "S1,供应商一,565.00,1835.00,0.00,0.00,2400.00"
    book = tmp_path / "aging.xlsx"
    code, out, _ = run(
        capsys,
        "--lang",
        "en",
        "finance",
        "aging",
        "receivables",
        "--as-of",
        "2026-10-31",
        "--format",
        "xlsx",
        "--out",
        str(book),
    )
    assert code == 0
    sheet = openpyxl.load_workbook(book).active
    assert [c.value for c in sheet[2]] == [
        "Code",
        "Name",
        "0-30 days",
        "31-60 days",
        "61-90 days",
        "Over 90 days",
        "Total",
    ]
    assert [c.value for c in sheet[3]] == ["other", "Other", -30, 0, 0, 0, -30]
