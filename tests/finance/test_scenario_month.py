"""October 2026 of a small shop, worked out by hand; the statements must come out to the cent.

10-01 the owner pays in 100,000.00 (bank)            Dr 100201 100,000.00 / Cr 4001
10-02 opening stock 20,000.00 contributed (期初库存)    Dr 1405 / Cr 4001
10-05 goods from S1: 10,000.00 + VAT 1,300.00          Dr 1405 10,000.00, Dr 22210101 1,300.00
                                                       / Cr 2202 11,300.00
10-10 order A 226.00, cost 120.00                      revenue 200.00, output VAT 26.00
      order B 99.90 + shipping 10.00, cost 50.00      revenue 97.26 (109.90/1.13), VAT 12.64
10-12 order B refunded in full, goods back (50.00)
10-15 Shopify order C USD 100.00 at 7.10, cost 300.00  revenue 710.00, VAT 0 (export)
10-20 stocktake loss 30.00                             Dr 6602 / Cr 1405
10-25 pay S1 11,300.00
10-28 Alipay settles order A: 226.00 less 2.26 service fee
10-31 revaluation: USD 100.00 at 7.20 = 720.00 → gain 10.00, reversed on 11-01

Net profit = 910.00 − 420.00 − 2.26 − 30.00 + 10.00 = 467.74
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from finance_fixtures import make_order, receive, refund, ship

from ecerp_core.events import StockAdjusted, StockCounted, emit
from ecerp_core.finance import closing, fx, settlement, statements
from ecerp_core.finance.exceptions import PeriodClosed
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entry
from ecerp_core.finance.payments import pay_supplier

OCT = dt.date(2026, 10, 1)


def day(n: int, month: int = 10) -> dt.date:
    return dt.date(2026, month, n)


def run_october(session, admin, books, tmp_path):
    post_entry(
        session,
        admin,
        EntryDraft(
            day(1),
            "manual",
            (LineDraft("100201", debit=D("100000.00")), LineDraft("4001", credit=D("100000.00"))),
            memo="实收资本",
        ),
    )
    emit(
        session,
        admin,
        [
            StockAdjusted(
                source_type="stock_adjustment",
                source_id=1,
                business_date=day(2),
                key="adj:1",
                value_base=D("20000.00"),
                warehouse_id=books.wh,
                reason="期初库存",
            )
        ],
    )
    receive(
        session,
        admin,
        "rcpt:1",
        day(5),
        books.s1,
        books.wh,
        currency="CNY",
        rate="1",
        amount="10000.00",
        tax="1300.00",
        landed="0",
        value="10000.00",
    )
    a = make_order(session, books.tb, "taobao", "TA-1", "226.00", shipped=day(10))
    b = make_order(session, books.tb, "taobao", "TB-2", "109.90", shipped=day(10))
    ship(session, admin, a, day(10), books.tb, "taobao", "226.00", "120.00")
    ship(session, admin, b, day(10), books.tb, "taobao", "99.90", "50.00", shipping="10.00")
    refund(session, admin, 1, b, day(12), books.tb, "taobao", "109.90", "50.00")
    c = make_order(session, books.us, "shopify", "#1001", "100.00", currency="USD", shipped=day(15))
    ship(session, admin, c, day(15), books.us, "shopify", "100.00", "300.00", currency="USD")
    emit(
        session,
        admin,
        [
            StockCounted(
                source_type="stocktake",
                source_id=1,
                business_date=day(20),
                key="count:1",
                gain_base=D("0"),
                loss_base=D("30.00"),
                warehouse_id=books.wh,
            )
        ],
    )
    pay_supplier(session, admin, books.s1, D("11300.00"), day(25))
    bill = tmp_path / "alipay-2026-10.csv"
    bill.write_text(
        "#支付宝账务明细查询\n账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注\n"
        "1,b1,T200PTA-1,T恤,2026-10-28 10:00:00,buyer,226.00,,226.00,支付宝,交易付款,\n"
        "2,b2,T200PTA-1,服务费,2026-10-28 10:00:01,taobao,,2.26,223.74,支付宝,服务费,\n"
        "#导出时间：2026-10-29\n",
        encoding="utf-8",
    )
    settlement.import_settlement(session, admin, "alipay", bill)
    fx.revalue_period(session, admin, "2026-10")
    return a, b, c


def _lines(section: dict, column: str) -> dict[str, D]:
    return {x["key"]: x[column] for x in section["lines"]}


def test_a_month_of_a_small_shop_gives_the_exact_statements(session, admin, books, tmp_path):
    run_october(session, admin, books, tmp_path)
    report = statements.statements(session, admin, "2026-10")
    inc = _lines(report["income_statement"], "this_period")
    assert (inc["revenue"], inc["cost_of_sales"], inc["selling_expenses"], inc["admin_expenses"]) == (
        D("910.00"),
        D("420.00"),
        D("2.26"),
        D("30.00"),
    )
    assert inc["finance_expenses"] == D("-10.00")
    assert inc["net_profit"] == D("467.74") == report["income_statement"]["net_profit"]
    bs = _lines(report["balance_sheet"], "end_of_period")
    assert bs["cash"] == D("88923.74")
    assert bs["receivables"] == D("720.00")
    assert bs["inventories"] == D("29550.00")
    # input VAT above output VAT: 应交税费 in debit is shown among the assets, not as a negative tax
    assert bs["other_current_assets"] == D("1274.00")
    assert bs["total_assets"] == D("120467.74") == report["balance_sheet"]["total_assets"]
    assert bs["taxes"] == D("0.00")
    assert bs["payables"] == D("0.00")
    assert bs["undistributed_profit"] == D("467.74")
    assert bs["total_equity"] == D("120467.74")
    assert bs["total_liabilities_equity"] == bs["total_assets"]
    cf = report["cash_flow"]
    flows = _lines(cf, "this_period")
    assert flows["sales_receipts"] == D("223.74")
    assert flows["purchase_payments"] == D("11300.00")
    assert flows["capital_in"] == D("100000.00")
    assert flows["operating_net"] == D("-11076.26")
    assert (cf["opening_cash"], cf["closing_cash"], cf["net_change_in_cash"]) == (
        D("0"),
        D("88923.74"),
        D("88923.74"),
    )
    indirect = {x["key"]: x["this_period"] for x in cf["indirect"]}
    assert indirect["other"] == 0
    assert indirect["inventory_decrease"] == D("-9550.00")
    assert indirect["operating_net"] == D("-11076.26")
    tb = statements.trial_balance(session, admin, day(31))
    assert tb["balanced"] and tb["total_debit"] == tb["total_credit"]


def test_revaluation_is_reversed_on_day_one_and_never_counted_twice(session, admin, books, tmp_path):
    run_october(session, admin, books, tmp_path)
    assert fx.revalue_period(session, admin, "2026-10") is None  # once per period
    nov = statements.statements(session, admin, "2026-11")
    assert _lines(nov["balance_sheet"], "end_of_period")["receivables"] == D(
        "710.00"
    )  # Oct revaluation reversed on 11-01
    numbers = fx.revalue_period(session, admin, "2026-11")
    assert numbers is not None
    nov = statements.statements(session, admin, "2026-11")
    bs = _lines(nov["balance_sheet"], "end_of_period")
    assert bs["receivables"] == D("700.00")  # USD 100 at 7.00, from 710.00 booked: −10, not −20
    inc = _lines(nov["income_statement"], "this_period")
    assert inc["finance_expenses"] == D("20.00")  # reverse Oct's +10 gain, then a 10 loss on the booked 710
    ytd = _lines(nov["income_statement"], "year_to_date")
    assert ytd["finance_expenses"] == D("10.00")  # 710 → 700 over two months


def test_a_closed_period_refuses_postings_and_carries_profit(session, admin, books, tmp_path):
    run_october(session, admin, books, tmp_path)
    result = closing.close_period(session, admin, "2026-10")
    assert result.closing_entry
    report = statements.statements(session, admin, "2026-10")
    assert report["income_statement"]["net_profit"] == D("467.74")  # closing entries do not hide the P&L
    assert _lines(report["balance_sheet"], "end_of_period")["undistributed_profit"] == D("467.74")
    with pytest.raises(PeriodClosed) as err:
        post_entry(
            session,
            admin,
            EntryDraft(
                day(30), "manual", (LineDraft("6602", debit=D("1.00")), LineDraft("100201", credit=D("1.00")))
            ),
        )
    assert "2026-10" in err.value.message("en")
    with pytest.raises(PeriodClosed):
        ship(session, admin, 999, day(30), books.tb, "taobao", "10.00", "1.00")
