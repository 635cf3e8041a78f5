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
    assert full.select(("Total", "Notes", "Missing")) == [("12.50", "two\nlines", ""), ("3.00", "x", "")]
    assert narrow.select(("Zip", "Total"), [1]) == [("", "")]


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


def test_rows_keep_their_lines_and_cells_whatever_the_file_holds():
    # blank rows (empty, commas only, spaces, bare armour) are skipped and not counted; short rows
    # read blanks, long rows drop their extra cells; an apostrophe inside a word is text
    lines = [
        "订单号,数量,备注",
        ",,",
        "A1,2,O'Brien",
        ' , ,="" ',
        "A2",
        "A3,1,x,extra",
        "\u3000,'",
        "A4,\u30003 ,",
    ]
    text = "\n".join(lines)
    table = read_table(text.encode("gb18030"), name="o.csv", columns=["备注", "订单号", "数量", "缺"])
    assert table.columns == ("备注", "订单号", "数量")  # in the order asked for
    assert [line for line, _ in table] == [2, 3, 4, 5]
    assert [row["备注"] for _, row in table] == ["O'Brien", "", "x", ""]
    assert table.select(("数量", "缺", "订单号"), [0, 3]) == [("2", "", "A1"), ("3", "", "A4")]


def test_armour_is_undone_wherever_it_stands():
    text = 'id,phone,note\n="0012",\'138,Men\'s tee\n  \'7,"=""9""",a=b\n'
    assert read_table(text.encode(), name="o.csv").select(("id", "phone", "note")) == [
        ("0012", "138", "Men's tee"),
        ("7", "9", "a=b"),
    ]


def test_a_file_that_is_not_utf8_past_its_first_lines_reads_as_gbk():
    data = b"order,name\n" + "A1,张三\n".encode("gbk") * 5000
    assert list(read_table(data, name="o.csv"))[-1] == (5001, {"order": "A1", "name": "张三"})
