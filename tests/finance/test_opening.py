"""Opening balances (期初): the books' opening entry and the opening stock, and how they must agree."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from cli_run import run
from sqlalchemy import select

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.company import get_company
from ecerp_core.checks import run_checks
from ecerp_core.db import session_scope
from ecerp_core.errors import PermissionDenied, ValidationError
from ecerp_core.finance import opening
from ecerp_core.finance.exceptions import (
    OpeningDateDiffers,
    OpeningExists,
    OpeningInventoryMismatch,
    OpeningNotMonthEnd,
    OpeningNotPast,
    OpeningTooLate,
    OpeningUnbalanced,
)
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entry
from ecerp_core.finance.models import JournalEntry, JournalLine, Period
from ecerp_core.finance.payments import supplier_balance
from ecerp_core.stock.exceptions import StockAlreadyMoved
from ecerp_core.stock.models import StockMove
from ecerp_core.stock.opening import read_opening_stock
from ecerp_core.stock.services import MoveDraft, average_costs, post_moves
from ecerp_core.tabular import read_table

GO_LIVE = dt.date(2026, 10, 31)
BALANCES = "account_code,debit,credit\n100201,10000.00,\n1405,2560.00,\n2202,,1560.00\n4001,,11000.00\n"
STOCK = "sku,warehouse,quantity,unit_cost\nTEE,SH,100,21.50\nMUG,SH,50,8.20\n"


@pytest.fixture
def company(session, admin):
    catalog.create_warehouse(session, admin, code="SH", name="上海仓")
    catalog.create_product(session, admin, sku="TEE", name_zh="T恤", cost="20.00")
    catalog.create_product(session, admin, sku="MUG", name_zh="杯子", cost="8.00")
    catalog.create_product(session, admin, sku="SET", name_zh="礼盒", components=[("TEE", 1), ("MUG", 1)])
    session.commit()
    return session


def table(text: str, name: str = "file.csv"):
    return read_table(text.encode("utf-8"), name=name)


def balances(session, text: str = BALANCES):
    return opening.read_opening_balances(session, table(text))


def stock(session, text: str = STOCK):
    return read_opening_stock(session, table(text))


def failed_checks(session) -> dict[str, list[str]]:
    return {r.name: r.failures for r in run_checks(session) if not r.ok}


def test_balances_then_stock_post_one_entry_close_its_period_and_agree(company, admin):
    session = company
    result = opening.post_opening_balances(session, admin, balances(session), GO_LIVE)
    assert (result.entry_number, result.total, result.inventory, result.closed_period) == (
        "202610-00001",
        D("12560.00"),
        D("2560.00"),
        "2026-10",
    )
    assert opening.opening_balances(session) == {
        "100201": D("10000.00"),
        "1405": D("2560.00"),
        "2202": D("-1560.00"),
        "4001": D("-11000.00"),
    }
    statuses = dict(session.execute(select(Period.month, Period.status)).all())
    assert statuses == {10: "closed", 11: "open"}
    assert get_company(session).books_started_on == GO_LIVE
    assert failed_checks(session) == {
        "finance.checks.openings_agree": [
            "finance: opening stock is worth 0.00 but the opening entry puts 2560.00 on the inventory "
            "accounts (difference 2560.00)"
        ],
        "finance.checks.inventory_matches_stock": [
            "finance: inventory accounts at 2026-10-31 2560.00 ≠ stock value 0.00 (in warehouses 0.00, "
            "in transit 0.00; difference 2560.00)",
            "finance: inventory accounts now 2560.00 ≠ stock value 0.00 (in warehouses 0.00, "
            "in transit 0.00; difference 2560.00)",
        ],
    }
    done = opening.open_stock(session, admin, stock(session))
    assert (done.go_live, done.lines, done.total, done.created) == (GO_LIVE, 2, D("2560.00"), True)
    moves = session.execute(select(StockMove.move_type, StockMove.quantity, StockMove.business_date)).all()
    assert sorted(moves) == [("opening", 50, GO_LIVE), ("opening", 100, GO_LIVE)]
    tee = catalog.record_id(session, admin, "product", "TEE")
    assert average_costs(session, [tee]) == {tee: D("21.5000")}  # the opening's cost, not the list cost
    assert failed_checks(session) == {}


def test_the_same_file_again_changes_nothing_a_different_one_is_refused(company, admin):
    session = company
    opening.open_stock(session, admin, stock(session), GO_LIVE)
    opening.post_opening_balances(session, admin, balances(session))
    again = opening.post_opening_balances(session, admin, balances(session))
    assert (again.created, again.entry_number) == (False, "202610-00001")
    assert opening.open_stock(session, admin, stock(session)).created is False
    changed = BALANCES.replace("10000.00", "10001.00").replace("11000.00", "11001.00")
    with pytest.raises(OpeningExists) as exc:
        opening.post_opening_balances(session, admin, balances(session, changed))
    assert exc.value.message("en") == (
        "Different opening balances were recorded already (go-live date 2026-10-31); correct them with an "
        "entry or a stocktake in the first open period"
    )
    with pytest.raises(OpeningExists):
        opening.open_stock(session, admin, stock(session, STOCK.replace("100,", "99,")))
    assert len(session.scalars(select(StockMove)).all()) == 2


def test_stock_first_then_balances_that_disagree_are_refused_with_both_figures(company, admin):
    session = company
    opening.open_stock(session, admin, stock(session), GO_LIVE)
    off = BALANCES.replace("1405,2560.00", "1405,2500.00").replace("10000.00", "10060.00")
    with pytest.raises(OpeningInventoryMismatch) as exc:
        opening.post_opening_balances(session, admin, balances(session, off))
    assert exc.value.message("en") == (
        "Opening stock is worth 2560.00 but the opening balance of the inventory accounts (1405 …) is "
        "2500.00 (difference -60.00); nothing recorded"
    )
    assert opening.opening_entry(session) is None
    with pytest.raises(OpeningDateDiffers):
        opening.post_opening_balances(session, admin, balances(session), dt.date(2026, 9, 30))


def test_balances_first_then_stock_that_disagrees_is_refused(company, admin):
    session = company
    opening.post_opening_balances(session, admin, balances(session), GO_LIVE)
    with pytest.raises(OpeningInventoryMismatch) as exc:
        opening.open_stock(session, admin, stock(session, STOCK.replace("8.20", "8.21")))
    assert exc.value.message("en").startswith("Opening stock is worth 2560.50 but the opening balance")
    assert session.scalars(select(StockMove)).all() == []


def test_unbalanced_balances_are_refused_with_the_difference_and_nothing_goes_to_capital(company, admin):
    session = company
    lines = balances(session, "account_code,debit,credit\n100201,10000.00,\n1405,2560.00,\n")
    with pytest.raises(OpeningUnbalanced) as exc:
        opening.post_opening_balances(session, admin, lines, GO_LIVE)
    assert exc.value.message("en").startswith(
        "Opening balances do not balance: debit 12560.00, credit 0.00, difference 12560.00; nothing posted"
    )
    assert opening.opening_entry(session) is None


def test_bad_rows_are_listed_with_their_lines_and_nothing_is_taken(company):
    session = company
    text = "科目编码,借方,贷方\n9999,1.00,\n6001,,5.00\n100202,3.00,\n1405,x,\n1002,1.00,\n"
    with pytest.raises(ValidationError) as exc:
        balances(session, text)
    assert exc.value.message("en").splitlines()[1:] == [
        "  line 2: Account 9999 does not exist or is not a posting account",
        "  line 3: Account 6001 is a profit-and-loss account: opening balances go to balance-sheet accounts "
        "(this year's profit so far to 4103)",
        "  line 4: Account 100202 is kept in USD here: give its opening balance in USD too (column "
        "amount_currency)",
        "  line 5: Debit 'x' is not a number",
        "  line 6: Account 1002 does not exist or is not a posting account",
    ]
    text = (
        "sku,warehouse,quantity,unit_cost\nNOPE,SH,1,1\nSET,SH,1,1\nTEE,XX,1,1\nTEE,SH,-1,1\nMUG,SH,1,1.005\n"
    )
    text += "MUG,SH,2,1\nMUG,SH,3,1\n"
    with pytest.raises(ValidationError) as exc:
        stock(session, text)
    assert exc.value.message("en").splitlines()[1:] == [
        "  line 2: SKU 'NOPE' does not exist",
        "  line 3: SET is a bundle: a bundle holds no stock of its own, give its components",
        "  line 4: Warehouse 'XX' does not exist",
        "  line 5: Quantity '-1' must be at least 0",
        "  line 6: Unit cost '1.005' has too many decimals (at most 2)",
        "  line 8: SKU 'MUG @ SH' appears twice in the file (first on line 7)",
    ]


def test_a_foreign_currency_account_opens_with_its_amount_in_that_currency(company, admin):
    session = company
    text = "account_code,debit,credit,amount_currency\n100202,7100.00,,1000.00\n4001,,7100.00,\n"
    result = opening.post_opening_balances(session, admin, balances(session, text), GO_LIVE)
    assert result.total == D("7100.00")
    line = session.execute(
        select(JournalLine.currency, JournalLine.amount_currency, JournalLine.rate, JournalLine.debit)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.kind == "opening", JournalLine.currency == "USD")
    ).one()
    assert tuple(line) == ("USD", D("1000.00"), D("7.10000000"), D("7100.00"))


def test_payables_name_their_supplier_so_paying_relieves_them(company, admin):
    session = company
    catalog.create_supplier(session, admin, code="S1", name="义乌杯业")
    catalog.create_supplier(session, admin, code="US1", name="Pacific Trading", currency="USD")
    text = (
        "account_code,debit,credit,supplier,amount_currency\n"
        "100201,2270.00,,,\n2202,,1560.00,S1,\n2202,,710.00,US1,100.00\n2202,,1.00,NOPE,\n"
    )
    with pytest.raises(ValidationError) as exc:
        balances(session, text)
    assert exc.value.message("en").splitlines()[1:] == ["  line 5: Supplier 'NOPE' does not exist"]
    lines = balances(session, text.replace("\n2202,,1.00,NOPE,", ""))
    opening.post_opening_balances(session, admin, lines, GO_LIVE)
    s1 = catalog.record_id(session, admin, "supplier", "S1")
    us1 = catalog.record_id(session, admin, "supplier", "US1")
    assert supplier_balance(session, s1) == (D("1560.00"), D("1560.00"))
    assert supplier_balance(session, us1) == (D("100.00"), D("710.00"))


def test_the_go_live_date(company, admin):
    session = company
    with pytest.raises(OpeningNotMonthEnd):
        opening.go_live_date(session, dt.date(2026, 10, 30))
    with pytest.raises(OpeningNotPast):
        opening.go_live_date(session, dt.date(2999, 12, 31))
    session.add(Period(year=2026, month=9, start_date=dt.date(2026, 9, 1), end_date=GO_LIVE, status="closed"))
    session.add(
        Period(
            year=2026,
            month=10,
            start_date=dt.date(2026, 10, 1),
            end_date=dt.date(2026, 10, 31),
            status="open",
        )
    )
    session.flush()
    assert opening.go_live_date(session) == dt.date(2026, 9, 30)  # the day before the first open period
    post_entry(
        session,
        admin,
        EntryDraft(
            dt.date(2026, 10, 5),
            "manual",
            (LineDraft("100201", debit=D("1.00")), LineDraft("4001", credit=D("1.00"))),
        ),
    )
    with pytest.raises(OpeningTooLate) as exc:
        opening.go_live_date(session, dt.date(2026, 10, 31))
    assert exc.value.message("en") == (
        "The books already hold entries on or before 2026-10-31 (the first on 2026-10-05): openings must "
        "come before them"
    )


def test_stock_opening_comes_before_every_other_move(company, admin):
    session = company
    tee = catalog.record_id(session, admin, "product", "TEE")
    sh = catalog.record_id(session, admin, "warehouse", "SH")
    post_moves(session, admin, [MoveDraft(tee, sh, 5, "receipt", unit_cost=D("20.00"), source_type="x")])
    with pytest.raises(StockAlreadyMoved):
        opening.open_stock(session, admin, stock(session), GO_LIVE)


def test_openings_need_their_permissions(company, actor_with_role):
    session = company
    clerk = actor_with_role("order_clerk")
    with pytest.raises(PermissionDenied):
        opening.post_opening_balances(session, clerk, balances(session), GO_LIVE)
    with pytest.raises(PermissionDenied):
        opening.open_stock(session, clerk, stock(session), GO_LIVE)


def test_the_cli_openings(company, db, tmp_path, capsys):
    (tmp_path / "stock.csv").write_text(STOCK, encoding="utf-8")
    (tmp_path / "balances.csv").write_text(BALANCES, encoding="utf-8")
    code, out, _ = run(
        capsys, "--lang", "en", "stock", "opening", str(tmp_path / "stock.csv"), "--date", "2026-10-31"
    )
    assert code == 0 and out.strip() == "Opening stock recorded on 2026-10-31: 2 positions worth 2560.00"
    code, out, _ = run(capsys, "--lang", "en", "finance", "opening", str(tmp_path / "balances.csv"))
    assert code == 0 and out.strip() == (
        "Opening balances posted as entry 202610-00001 on 2026-10-31: 4 accounts, debit = credit = 12560.00, "
        "inventory 2560.00; period 2026-10 closed"
    )
    code, out, _ = run(capsys, "finance", "opening", str(tmp_path / "balances.csv"), "--json")
    assert code == 0 and json.loads(out)["created"] is False
    code, out, _ = run(capsys, "check", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    (tmp_path / "bad.csv").write_text("account_code,debit,credit\n1405,1.00,\n", encoding="utf-8")
    code, _, err = run(capsys, "--lang", "en", "finance", "opening", str(tmp_path / "bad.csv"))
    assert code == 1 and err.startswith("error: Different opening balances were recorded already")
    with session_scope(db, readonly=True) as s:
        assert opening.opening_inventory(opening.opening_balances(s)) == D("2560.00")


def test_an_xlsx_opening_stock_with_chinese_headers(company, admin, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["商家编码", "仓库", "数量", "单位成本"])
    sheet.append(["TEE", "SH", 100, 21.5])
    sheet.append(["MUG", "SH", 50, "8.20"])
    book.save(tmp_path / "期初库存.xlsx")
    lines = read_opening_stock(company, read_table(tmp_path / "期初库存.xlsx"))
    assert [(x.quantity, x.unit_cost) for x in lines] == [(100, D("21.50")), (50, D("8.20"))]
    assert opening.open_stock(company, admin, lines, GO_LIVE).total == D("2560.00")


def test_a_preview_shows_both_openings_and_writes_nothing(company, admin):
    session = company
    assert opening.recorded_openings(session) is None
    preview = opening.preview_openings(session, balances(session), stock(session), GO_LIVE, language="en")
    assert (preview.go_live, preview.debit, preview.credit, preview.inventory, preview.stock_value) == (
        GO_LIVE,
        D("12560.00"),
        D("12560.00"),
        D("2560.00"),
        D("2560.00"),
    )
    assert preview.balanced and preview.agrees is True and preview.entry_number is None
    assert [(a.code, a.debit, a.credit) for a in preview.accounts] == [
        ("100201", D("10000.00"), D("0.00")),
        ("1405", D("2560.00"), D("0.00")),
        ("2202", D("0.00"), D("1560.00")),
        ("4001", D("0.00"), D("11000.00")),
    ]
    assert preview.accounts[1].name == "Merchandise inventory"
    assert [(x.sku, x.warehouse, x.quantity, x.value) for x in preview.stock] == [
        ("TEE", "SH", 100, D("2150.00")),
        ("MUG", "SH", 50, D("410.00")),
    ]
    assert session.scalar(select(JournalEntry.id)) is None and session.scalar(select(StockMove.id)) is None
    half = opening.preview_openings(session, stock=stock(session, STOCK.replace("100,", "90,")), day=GO_LIVE)
    assert (half.accounts, half.stock_value, half.agrees) == ((), D("2345.00"), None)
    with pytest.raises(OpeningNotMonthEnd):
        opening.preview_openings(session, balances(session), day=dt.date(2026, 10, 30))


def test_the_recorded_openings_compare_with_a_new_file(company, admin):
    session = company
    opening.post_opening_balances(session, admin, balances(session), GO_LIVE)
    recorded = opening.recorded_openings(session)
    assert (recorded.entry_number, recorded.go_live, recorded.debit, recorded.agrees) == (
        "202610-00001",
        GO_LIVE,
        D("12560.00"),
        None,
    )
    other = opening.preview_openings(session, stock=stock(session, STOCK.replace("100,", "90,")))
    assert (other.inventory, other.stock_value, other.agrees) == (D("2560.00"), D("2345.00"), False)
    opening.open_stock(session, admin, stock(session))
    recorded = opening.recorded_openings(session)
    assert (recorded.stock_value, recorded.agrees, len(recorded.stock)) == (D("2560.00"), True, 2)
