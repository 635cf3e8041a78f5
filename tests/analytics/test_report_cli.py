"""``ecerp report``: save, list, run as CSV/XLSX/JSON with parameters, refuse names outside the layer."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

from cli_run import run
from openpyxl import load_workbook

from ecerp_core.analytics.charts import report_figure, value_text
from widgets.analytics.render import pivot_table, rows_table


def test_save_list_run_and_export_a_report(db, capsys, tmp_path):
    code, out, _ = run(capsys, "report", "save", "月报", "-d", "month", "-m", "sales", "-m", "orders",
                       "-f", "platform=taobao", "--title", "每月销售")  # fmt: skip
    assert (code, out.strip()) == (0, "报表 月报 已保存")
    code, out, _ = run(capsys, "report", "list", "--format", "json")
    [saved] = json.loads(out)
    assert (saved["name"], saved["dimensions"], saved["measures"]) == ("月报", "month", "sales,orders")
    assert run(capsys, "report", "run", "月报", "--format", "json", "-p", "date_from=2026-01-01")[:2] == (
        0,
        "[]\n",
    )
    assert run(capsys, "report", "run", "月报", "--format", "csv")[:2] == (0, "month,sales,orders\n")
    target = tmp_path / "月报.xlsx"
    assert run(capsys, "report", "run", "月报", "--format", "xlsx", "-o", str(target))[0] == 0
    sheet = load_workbook(target).active
    assert [c.value for c in sheet[1]][:1] == ["每月销售"]
    assert [c.value for c in sheet[2]] == ["月", "销售额", "订单数"]


def test_names_outside_the_layer_and_bad_parameters_are_refused(db, capsys):
    code, _out, err = run(
        capsys, "--lang", "en", "report", "save", "x", "-m", "sales; DROP TABLE sales_order"
    )
    assert code == 1
    assert "no measure named 'sales; DROP TABLE sales_order'" in err
    run(capsys, "report", "save", "ok", "-m", "sales")
    code, _out, err = run(capsys, "--lang", "en", "report", "run", "ok", "-p", "password_hash=1")
    assert (code, "no filter named 'password_hash'" in err) == (1, True)
    code, _out, err = run(capsys, "--lang", "en", "report", "run", "nothing")
    assert (code, err.strip()) == (1, "error: There is no saved report named 'nothing'")


def test_today_prints_the_key_figures(db, capsys):
    code, out, _ = run(capsys, "report", "today", "--json")
    figures = json.loads(out)
    assert code == 0
    assert (figures["orders_today"], figures["sales_today"], figures["review"]) == (0, "0.00", 0)


def test_platforms_tiers_and_statuses_are_shown_in_words_where_people_read_them():
    shown = [value_text("platform", p, "zh_CN") for p in ("jd", "tmall", "mystery")]
    assert shown == ["京东", "天猫", "mystery"]
    assert value_text("tier", "vip", "en") == "VIP" and value_text("status", "paid", "en") == "Paid"
    assert (value_text("sku", "TEE-1", "en"), value_text("platform", None)) == ("TEE-1", "")
    rows = [{"month": "2026-10", "platform": "jd", "sales": D("1.00")}]
    assert "<td>京东</td>" in rows_table(rows, ("month", "platform", "sales"), "zh_CN")
    assert "京东" in pivot_table(rows, "month", "platform", "sales", "zh_CN")
    figure = report_figure(rows, ("month", "platform"), ("sales",), "bar", "en")
    assert list(figure.data[0].x) == ["2026-10 · JD"]


def test_list_shows_each_reports_schedule_and_when_it_renders_next(db, capsys):
    from ecerp_core.db import frozen_clock

    shanghai = dt.timezone(dt.timedelta(hours=8))
    for name in ("日报", "月报"):
        assert run(capsys, "report", "save", name, "-d", "month", "-m", "sales")[0] == 0
    with frozen_clock(dt.datetime(2026, 2, 27, 12, 0, tzinfo=shanghai)):
        assert run(capsys, "report", "schedule", "月报", "--every", "monthly", "--at", "06:00")[0] == 0
    with frozen_clock(dt.datetime(2026, 2, 28, 10, 0, tzinfo=shanghai)):
        code, out, _ = run(capsys, "report", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[5:7] == ["schedule", "next_run"]
    assert "未计划" in lines[1] and "每月 06:00  2026-03-01 06:00" in lines[2]
    with frozen_clock(dt.datetime(2026, 3, 1, 6, 10, tzinfo=shanghai)):  # the slot passed, not yet run
        code, out, _ = run(capsys, "--lang", "en", "report", "list", "--format", "csv")
        assert "monthly 06:00,due since 2026-03-01 06:00" in out.splitlines()[2]
        assert "not scheduled,," in out.splitlines()[1]
        code, out, _ = run(capsys, "report", "list", "--format", "json")
    _daily, monthly = json.loads(out)
    assert (monthly["every"], monthly["at"], monthly["due"]) == ("monthly", "06:00", True)
    assert monthly["next_at"].startswith("2026-03-01T06:00:00+08:00")
