"""How the file parsers read rows: orders as runs of rows, each distinct text read once, refusals
with their lines and reasons wherever the rows stand."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from ecerp_core.connectors import shopify
from ecerp_core.connectors.base import CHINA, Memo, Moments, RowError, ShopInfo, group_rows, money
from ecerp_core.tabular import read_table


def test_an_orders_rows_are_found_together_or_scattered():
    assert [(k, list(at)) for k, at in group_rows(["#1", "#1", "#2", "", "#3"])] == [
        ("#1", [0, 1]),
        ("#2", [2]),
        ("", [3]),
        ("#3", [4]),
    ]
    assert [(k, list(at)) for k, at in group_rows(["#1", "#2", "#1", "", "#3", ""])] == [
        ("#1", [0, 2]),
        ("#2", [1]),
        ("", [3, 5]),
        ("#3", [4]),
    ]
    assert list(group_rows([])) == []


def test_a_memo_reads_each_text_once_and_refuses_a_bad_one_each_time():
    seen = []
    prices = Memo(lambda text: seen.append(text) or money(text, "Price", blank=None))
    assert [prices[t] for t in ("9.90", "9.90", "1,000")] == [
        Decimal("9.90"),
        Decimal("9.90"),
        Decimal("1000"),
    ]
    assert seen == ["9.90", "1,000"]
    for _ in range(2):
        with pytest.raises(RowError, match="Price"):
            prices["x"]


def test_moments_read_each_timestamp_once_and_name_the_column_of_a_bad_one():
    moments = Moments(CHINA)
    first = moments.read("2026-06-01 10:00:00 +0800", "Created at")
    assert first.isoformat() == "2026-06-01T10:00:00+08:00"
    assert moments.read("2026-06-01 10:00:00 +0800", "Paid at") is first
    assert moments.read("", "Fulfilled at", blank_ok=True) is None
    assert moments.read("2026/06/01", "Paid at").isoformat() == "2026-06-01T00:00:00+08:00"
    with pytest.raises(RowError, match="Created at"):
        moments.read("", "Created at")
    with pytest.raises(RowError, match="Paid at"):
        moments.read("soon", "Paid at")


def shopify_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, [*shopify.REQUIRED, "Lineitem sku", "Currency", "Shipping City"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_shopify_rows_scattered_or_bad_are_read_as_where_they_stand():
    head = {"Financial Status": "paid", "Created at": "2026-06-01 10:00:00 +0800", "Total": "30.00"}
    rows = [
        ("#1", "1", "10.00", "A"),
        ("#2", "x", "5.00", "B"),
        ("#1", "2", "10.00", "C"),
        ("", "1", "1.00", "D"),
    ]
    rows += [("#3", "1", "1.00", "E"), ("#4", "3", "0.5", "F")]
    cells = [
        dict(zip(("Name", "Lineitem quantity", "Lineitem price", "Lineitem sku"), r, strict=True))
        for r in rows
    ]
    for at in (0, 1, 5):
        cells[at].update(head)
    cells[5].update({"Currency": "JPY", "Shipping City": " 'Osaka "})
    table = read_table(shopify_csv(cells), name="orders.csv", columns=shopify.COLUMNS)
    parsed = shopify.parse(table, ShopInfo(1, "shopify", "USD"))
    assert [(r["line"], r["reason"]) for r in parsed.rejected] == [
        (3, RowError("bad_number", column="Lineitem quantity", value="x").args[0]),
        (5, RowError("missing", column="Name").args[0]),
        (6, RowError("no_order_row", order="#3").args[0]),
    ]
    one, four = parsed.drafts
    assert (one.platform_order_id, one.line, [x.platform_sku for x in one.lines], one.goods_amount) == (
        "#1",
        2,
        ["A", "C"],
        Decimal("30.00"),
    )
    assert (four.currency, four.lines[0].amount, four.city) == ("JPY", Decimal("2"), "Osaka")
