"""Manual vouchers (记账凭证): entered, imported, listed, shown and reversed through one service."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from ecerp_core.audit import AuditLog
from ecerp_core.cli import main
from ecerp_core.errors import NotFound, PermissionDenied, ValidationError
from ecerp_core.finance import closing
from ecerp_core.finance.exceptions import BeforeBooks, PeriodClosed, UnbalancedEntry, UnknownAccount
from ecerp_core.finance.models import EntryAttachment, JournalEntry
from ecerp_core.finance.vouchers import (
    VoucherDraft,
    import_vouchers,
    list_vouchers,
    parse_line,
    post_voucher,
    reverse_voucher,
    search_accounts,
    voucher_detail,
)

OCT5 = dt.date(2026, 10, 5)


def rent(day: dt.date = OCT5, amount: str = "3000.00", **kw) -> VoucherDraft:
    lines = (parse_line(f"6602:{amount}::10月房租"), parse_line(f"100201::{amount}"))
    return VoucherDraft(day, lines, "支付10月房租", **kw)


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def test_a_voucher_is_numbered_per_period_keeps_its_attachments_and_is_audited(session, admin):
    first = post_voucher(session, admin, rent(attachments=("租赁合同.pdf", "发票 0001.jpg")))
    second = post_voucher(session, admin, rent(dt.date(2026, 10, 9), "120.50"))
    november = post_voucher(session, admin, rent(dt.date(2026, 11, 2), "10.00"))
    assert [(v.voucher_no, v.entry_number) for v in (first, second, november)] == [
        ("记-0001", "202610-00001"),
        ("记-0002", "202610-00002"),
        ("记-0001", "202611-00001"),
    ]
    shown = voucher_detail(session, admin, "记-0001", period="2026-10", language="en")
    assert shown["lines"] == [
        {
            "account_code": "6602",
            "account_name": "Administrative expenses",
            "debit": D("3000.00"),
            "credit": D("0.00"),
            "memo": "10月房租",
        },
        {
            "account_code": "100201",
            "account_name": "Bank - CNY account",
            "debit": D("0.00"),
            "credit": D("3000.00"),
            "memo": "",
        },
    ]
    assert (shown["memo"], shown["total_debit"], shown["total_credit"]) == (
        "支付10月房租",
        D("3000.00"),
        D("3000.00"),
    )
    assert shown["attachments"] == ["租赁合同.pdf", "发票 0001.jpg"]
    assert session.scalar(select(func.count()).select_from(EntryAttachment)) == 2
    audited = session.scalars(select(AuditLog.entity_id).where(AuditLog.entity == "fin_journal_entry"))
    assert list(audited) == ["202610-00001", "202610-00002", "202611-00001"]


def test_a_voucher_that_does_not_balance_or_is_badly_written_is_refused_whole(session, admin):
    with pytest.raises(UnbalancedEntry):
        post_voucher(
            session, admin, VoucherDraft(OCT5, (parse_line("6602:100.00:"), parse_line("1001::99.99")))
        )
    with pytest.raises(UnknownAccount):
        post_voucher(session, admin, VoucherDraft(OCT5, (parse_line("9999:1:"), parse_line("1001::1"))))
    with pytest.raises(ValidationError) as err:
        parse_line("6602;100")
    assert err.value.problems[0].code == "problem.bad_voucher_line"
    with pytest.raises(ValidationError):
        parse_line("6602:abc:")
    with pytest.raises(ValidationError) as err:
        post_voucher(session, admin, VoucherDraft(OCT5, (parse_line("6602:5:5"), parse_line("1001:1:1"))))
    assert [p.code for p in err.value.problems] == ["problem.both_sides", "problem.both_sides"]
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == 0


def test_the_period_lock_and_the_books_beginning_hold_for_vouchers(session, admin, actor_with_role):
    post_voucher(session, admin, rent())
    closing.close_period(session, admin, "2026-10", force_checks=True)
    with pytest.raises(PeriodClosed):
        post_voucher(session, admin, rent(dt.date(2026, 10, 31)))
    with pytest.raises(BeforeBooks):
        post_voucher(session, admin, rent(dt.date(2026, 9, 30)))
    with pytest.raises(PermissionDenied):
        post_voucher(session, actor_with_role("analyst"), rent(dt.date(2026, 11, 1)))


def test_a_reversal_is_a_new_voucher_and_happens_once(session, admin):
    post_voucher(session, admin, rent())
    back = reverse_voucher(session, admin, "202610-00001", dt.date(2026, 10, 20))
    assert (back.voucher_no, back.entry_number) == ("记-0002", "202610-00002")
    reversal = voucher_detail(session, admin, "202610-00002", language="zh_CN")
    assert reversal["memo"] == "冲销 202610-00001" and reversal["reverses"] == "202610-00001"
    assert [(x["debit"], x["credit"]) for x in reversal["lines"]] == [
        (D("0.00"), D("3000.00")),
        (D("3000.00"), D("0.00")),
    ]
    rows = list_vouchers(session, admin, "2026-10", language="en")
    assert [(r["voucher_no"], r["total"], r["reversed_by"]) for r in rows] == [
        ("记-0001", D("3000.00"), "202610-00002"),
        ("记-0002", D("3000.00"), ""),
    ]
    with pytest.raises(ValidationError):
        reverse_voucher(session, admin, "202610-00001", dt.date(2026, 10, 21))
    with pytest.raises(NotFound):
        reverse_voucher(session, admin, "记-0009", period="2026-10")


def test_an_automatic_entry_is_not_reversed_as_a_voucher(session, admin):
    closing.close_period(session, admin, "2026-10", force_checks=True)  # nothing: no entry at all
    post_voucher(
        session, admin, VoucherDraft(dt.date(2026, 11, 3), (parse_line("6001::50"), parse_line("1001:50:")))
    )
    closing.close_period(session, admin, "2026-11", force_checks=True, early_reason="test: month not over")
    closing_entry = session.scalar(select(JournalEntry.entry_number).where(JournalEntry.kind == "closing"))
    with pytest.raises(ValidationError) as err:
        reverse_voucher(session, admin, closing_entry, dt.date(2026, 12, 1))
    assert err.value.problems[0].code == "problem.not_a_voucher"


def test_an_import_posts_each_good_voucher_and_refuses_the_bad_ones_with_their_reason(
    session, admin, tmp_path
):
    closing.close_period(session, admin, "2026-09", force_checks=True)
    file = tmp_path / "vouchers.csv"
    file.write_text(
        "凭证号,日期,科目,借方,贷方,摘要,附件\n"
        "A1,2026-10-05,6602,300.00,,办公用品,发票1.jpg;小票.png\n"
        "A1,2026-10-05,1001,,300.00,,\n"
        "A2,2026-10-06,6602,100.00,,不平,\n"
        "A2,2026-10-06,1001,,90.00,,\n"
        "A3,2026-09-30,6602,1.00,,已结账期间,\n"
        "A3,2026-09-30,1001,,1.00,,\n"
        "A4,,660102,20.00,,无日期,\n"
        "A4,,100201,,20.00,,\n"
        "A5,2026-10-07,6602,x,,坏金额,\n",
        encoding="utf-8",
    )
    report = import_vouchers(session, admin, file, on_date=dt.date(2026, 10, 8))
    assert [(v.voucher_no, v.entry_date) for v in report.posted] == [
        ("记-0001", dt.date(2026, 10, 5)),
        ("记-0002", dt.date(2026, 10, 8)),
    ]
    assert [(r.reference, r.line) for r in report.refused] == [("A2", 4), ("A3", 6), ("A5", 10)]
    assert [r.reason for r in report.refused] == [
        "凭证借贷不平（2026-10-06：借方 100.00，贷方 90.00），未记账",
        "会计期间 2026-09 已结账，不能在 2026-09-30 记账",
        "输入有 1 处问题：\n  第 10 行：借方“x”不是数字",
    ]
    assert voucher_detail(session, admin, "记-0001", period="2026-10")["attachments"] == [
        "发票1.jpg",
        "小票.png",
    ]
    again = import_vouchers(session, admin, file, on_date=dt.date(2026, 10, 8))
    assert (len(again.posted), again.unchanged, len(again.refused)) == (0, 2, 3)


def test_the_account_picker_finds_accounts_by_code_and_by_name(session, admin):
    assert search_accounts(session, admin, "1002", language="en")[:2] == [
        {"code": "100201", "name": "Bank - CNY account"},
        {"code": "100202", "name": "Bank - USD account"},
    ]
    assert {"code": "6602", "name": "管理费用"} in search_accounts(session, admin, "管理", language="zh_CN")
    assert {"code": "6602", "name": "Administrative expenses"} in search_accounts(
        session, admin, "admin", language="en"
    )
    assert all(
        a["code"] != "1002" for a in search_accounts(session, admin, "100")
    )  # headings are not offered


def test_the_voucher_commands(db, session, admin, tmp_path, capsys):
    session.commit()
    code, out, _ = run(
        capsys,
        "--lang",
        "en",
        "finance",
        "voucher",
        "add",
        "--date",
        "2026-10-05",
        "--memo",
        "Office rent",
        "--line",
        "6602:3000.00::rent",
        "--line",
        "100201::3000.00",
        "--attachment",
        "lease.pdf",
    )
    assert code == 0 and out.strip() == "Voucher 记-0001 posted as entry 202610-00001 on 2026-10-05"
    code, _, err = run(
        capsys,
        "--lang",
        "en",
        "finance",
        "voucher",
        "add",
        "--date",
        "2026-10-05",
        "--line",
        "6602:3000.00:",
        "--line",
        "100201::2999.00",
    )
    assert code == 1 and err.startswith(
        "error: Entry does not balance (2026-10-05: debit 3000.00, credit 2999.00)"
    )
    code, _, err = run(capsys, "finance", "voucher", "add", "--date", "2026-13-01", "--line", "6602:1:")
    assert code == 2 and "2026-13-01" in err
    code, out, _ = run(capsys, "finance", "voucher", "show", "202610-00001", "--json")
    assert code == 0 and json.loads(out)["attachments"] == ["lease.pdf"]
    code, out, _ = run(
        capsys,
        "--lang",
        "en",
        "finance",
        "voucher",
        "reverse",
        "记-0001",
        "--period",
        "2026-10",
        "--date",
        "2026-10-31",
    )
    assert code == 0 and out.strip() == "记-0001 reversed by voucher 记-0002 (entry 202610-00002)"
    code, out, _ = run(capsys, "finance", "voucher", "list", "--period", "2026-10", "--format", "json")
    assert [(r["voucher_no"], r["total"], r["reversed_by"]) for r in json.loads(out)] == [
        ("记-0001", "3000.00", "202610-00002"),
        ("记-0002", "3000.00", ""),
    ]
    file = tmp_path / "v.csv"
    file.write_text(
        "voucher,account,debit,credit\nB1,6602,5.00,\nB1,1001,,5.00\nB2,6602,1.00,\n", encoding="utf-8"
    )
    code, out, _ = run(
        capsys, "--lang", "en", "finance", "voucher", "import", str(file), "--date", "2026-10-06"
    )
    assert code == 1 and out.splitlines()[0] == "Vouchers posted: 1, already imported: 0, refused: 1"
    code, out, _ = run(capsys, "--lang", "zh_CN", "finance", "voucher", "accounts", "1002", "--format", "csv")
    assert out.splitlines()[:2] == ["code,name", "100201,银行存款-人民币户"]


def test_an_xlsx_of_vouchers_imports_like_a_csv(session, admin, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["凭证号", "日期", "科目", "借方金额", "贷方金额", "摘要"])
    sheet.append(["X1", "2026-10-12", "6602", 88.8, None, "快递费"])
    sheet.append(["X1", "2026-10-12", "1001", None, 88.8, None])
    file = tmp_path / "vouchers.xlsx"
    book.save(file)
    report = import_vouchers(session, admin, file)
    assert [(v.voucher_no, v.entry_date) for v in report.posted] == [("记-0001", dt.date(2026, 10, 12))]
    lines = voucher_detail(session, admin, "记-0001", period="2026-10")["lines"]
    assert [(x["account_code"], x["debit"], x["credit"]) for x in lines] == [
        ("6602", D("88.80"), D("0.00")),
        ("1001", D("0.00"), D("88.80")),
    ]
