"""VAT month-end over October (test_scenario_month) and a November worked out by hand.

October: output VAT 26.00 (order A; order B's 12.64 refunded), input VAT 1,300.00: nothing owed,
1,274.00 carried forward as input credit (留抵).
November: 11-05 goods 2,000.00 + input VAT 260.00; 11-10 a Taobao sale of 22,600.00 (output VAT
2,600.00). Owed 2,600.00 − 260.00 − 1,274.00 = 1,066.00 → 222102; surcharges 城建税 7% 74.62,
教育费附加 3% 31.98, 地方教育附加 2% 21.32 = 127.92 → 6403. Paid 12-15: 1,193.92.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from finance_fixtures import make_order, receive, ship
from test_cash import balance, run
from test_scenario_month import run_october

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.products import inclusive_vat, lines_vat, vat_rates
from ecerp_core.errors import PermissionDenied, ValidationError
from ecerp_core.finance import periods
from ecerp_core.finance.exceptions import PeriodClosed
from ecerp_core.finance.vat import close_vat, pay_vat


def november(session, admin, books):
    receive(
        session,
        admin,
        "rcpt:11",
        dt.date(2026, 11, 5),
        books.s1,
        books.wh,
        currency="CNY",
        rate="1",
        amount="2000.00",
        tax="260.00",
        landed="0",
        value="2000.00",
    )
    order = make_order(session, books.tb, "taobao", "TN-1", "22600.00", shipped=dt.date(2026, 11, 10))
    ship(session, admin, order, dt.date(2026, 11, 10), books.tb, "taobao", "22600.00", "0")


def test_a_credit_is_carried_and_next_month_owes_the_rest_with_surcharges(session, admin, books, tmp_path):
    run_october(session, admin, books, tmp_path)
    october = close_vat(session, admin, "2026-10")
    assert (october.output_vat, october.input_vat, october.transferred, october.credit_carried) == (
        D("26.00"),
        D("1300.00"),
        D("0.00"),
        D("1274.00"),
    )
    assert october.voucher is None
    november(session, admin, books)
    result = close_vat(session, admin, "2026-11")
    assert (result.output_vat, result.input_vat, result.credit_brought_in) == (
        D("2600.00"),
        D("260.00"),
        D("1274.00"),
    )
    assert (result.transferred, result.credit_carried) == (D("1066.00"), D("0.00"))
    assert result.surcharges == {
        "city_tax": D("74.62"),
        "education_surcharge": D("31.98"),
        "local_education_surcharge": D("21.32"),
    }
    assert result.voucher and result.voucher.startswith("202611-")
    assert balance(session, "222102") == D("-1066.00")
    assert balance(session, "6403") == D("127.92")
    assert balance(session, "222108") == D("-74.62")
    assert sum(balance(session, c) for c in ("22210101", "22210102", "22210104")) == D("0.00")
    again = close_vat(session, admin, "2026-11")  # idempotent: nothing changed, nothing posted
    assert (again.transferred, again.voucher) == (D("0.00"), None)
    assert balance(session, "222102") == D("-1066.00")
    voucher, paid = pay_vat(session, admin, "2026-11", dt.date(2026, 12, 15))
    assert (voucher, paid) == ("202612-00001", D("1193.92"))
    assert balance(session, "100201") == D("88923.74") - D("1193.92")
    assert balance(session, "222102") == balance(session, "222110") == D("0.00")
    with pytest.raises(ValidationError) as err:
        pay_vat(session, admin, "2026-11", dt.date(2026, 12, 16))
    assert err.value.problems[0].code == "problem.nothing_to_pay"


def test_vat_close_checks_date_period_and_permission(session, admin, books, tmp_path, actor_with_role):
    november(session, admin, books)
    with pytest.raises(ValidationError) as err:
        close_vat(session, admin, "2026-11", dt.date(2026, 12, 1))
    assert err.value.problems[0].code == "problem.not_in_period"
    with pytest.raises(PermissionDenied):
        close_vat(session, actor_with_role("analyst"), "2026-11")
    periods.move(session, admin, periods.get_period(session, "2026-11"), "closed", "close")
    with pytest.raises(PeriodClosed):
        close_vat(session, admin, "2026-11")


def test_vat_from_the_cli(session, admin, books, capsys):
    november(session, admin, books)
    session.commit()
    code, out, _ = run(capsys, "--lang", "en", "finance", "vat", "close", "2026-11")
    assert (code, out.strip()) == (
        0,
        "2026-11: output VAT 2600.00, input VAT 260.00, credit brought in 0.00; VAT owed 2340.00, "
        "credit carried 0.00, surcharges 280.80 (voucher 202611-00003)",
    )
    code, out, _ = run(capsys, "finance", "vat", "close", "2026-11", "--json")
    assert json.loads(out)["voucher"] is None
    code, out, _ = run(capsys, "finance", "vat", "pay", "2026-11", "--date", "2026-12-10", "--json")
    assert json.loads(out) == {"period": "2026-11", "voucher": "202612-00001", "amount": "2620.80"}
    code, _, err = run(capsys, "--lang", "en", "finance", "vat", "pay", "2026-11", "--date", "2026-12-10")
    assert (code, err.strip()) == (
        1,
        "error: The input has 1 problem(s):\n  Nothing is due for the VAT of 2026-11",
    )


def test_a_category_carries_its_vat_rate_down_to_its_products(session, admin):
    food = catalog.create_records(
        session, admin, "category", [{"code": "FOOD", "name_zh": "食品", "vat_rate": "0.09"}]
    )[0]
    catalog.create_records(session, admin, "category", [{"code": "TEA", "name_zh": "茶叶", "parent": "FOOD"}])
    catalog.create_records(session, admin, "category", [{"code": "CLOTH", "name_zh": "服装"}])
    tea = catalog.create_product(session, admin, sku="T-1", name_zh="绿茶", category="TEA")
    shirt = catalog.create_product(session, admin, sku="S-1", name_zh="衬衫", category="CLOTH")
    bare = catalog.create_product(session, admin, sku="B-1", name_zh="无分类")
    rates = vat_rates(session, [tea.id, shirt.id, bare.id], D("0.13"))
    assert rates == {tea.id: D("0.09"), shirt.id: D("0.13"), bare.id: D("0.13")}
    assert food.vat_rate == D("0.09")
    assert inclusive_vat([(D("109.00"), rates[tea.id]), (D("226.00"), rates[shirt.id])]) == D("35.00")
    sold = [(tea.id, D("109.00")), (shirt.id, D("226.00"))]
    assert lines_vat(session, sold, D("0.13"), inclusive=True) == D("35.00")
    bought = [(tea.id, D("100.00")), (bare.id, D("200.00"))]
    assert lines_vat(session, bought, D("0.13"), inclusive=False) == D("35.00")
    with pytest.raises(ValidationError):
        catalog.create_records(
            session, admin, "category", [{"code": "BAD", "name_zh": "坏", "vat_rate": "1.5"}]
        )
