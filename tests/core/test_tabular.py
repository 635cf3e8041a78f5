from openpyxl import Workbook

from ecerp_core.tabular import read_table

CSV = b"""
Name, Total ,Notes,Zip
#1, 12.50 ,"two
lines",'0183
,,,
="#2",3.00,x
"""


def test_a_narrow_read_keeps_only_the_columns_asked_for_and_cleans_them_alike():
    full = read_table(CSV, name="o.csv")
    narrow = read_table(CSV, name="o.csv", columns={"Name", "Zip", "Missing"})
    assert narrow.header == full.header == ("Name", "Total", "Notes", "Zip")
    assert list(narrow) == [(2, {"Name": "#1", "Zip": "0183"}), (3, {"Name": "#2", "Zip": ""})]
    assert list(narrow) == [(line, {k: row[k] for k in ("Name", "Zip")}) for line, row in full]
    assert full.records[0][1]["Total"] == "12.50" and full.records[0][1]["Notes"] == "two\nlines"


def test_a_narrow_read_of_a_workbook(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["订单号", "数量", "单价"])
    ws.append(["X1", 2, 59.5])
    ws.append([None, None, None])
    ws.append(["X2", None, " 7 "])
    path = tmp_path / "o.xlsx"
    wb.save(path)
    table = read_table(path, columns=("订单号", "单价"))
    assert list(table) == [(2, {"订单号": "X1", "单价": "59.5"}), (3, {"订单号": "X2", "单价": "7"})]
