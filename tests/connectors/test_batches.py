"""A large export is imported in batches of rows: the orders, lines, reasons, refusals and their
lines come out as from one batch, a file that scatters an order's rows is read whole, and a second
import changes nothing."""

from __future__ import annotations

import csv
import io

from business_fixtures import count
from sqlalchemy import select

from ecerp_core.catalog import services as catalog
from ecerp_core.connectors.files import import_files
from ecerp_core.orders.models import Order, OrderEvent, OrderLine, OrderReason

HEADER = ["Name", "Financial Status", "Created at", "Lineitem quantity", "Lineitem price", "Lineitem sku",
          "Total", "Refunded Amount", "Shipping Name", "Shipping Address1", "Shipping Province"]  # fmt: skip


def export(rows: list[tuple[str, str, str, str]]) -> bytes:
    """Shopify rows of (order, quantity, price, sku); an order's first row heads it."""
    out, heads = io.StringIO(), set()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for name, qty, price, sku in rows:
        head = name not in heads
        heads.add(name)
        total = "25.00" if name == "#1" else "30.00"
        refunded = "5.00" if name == "#5" else ""
        order = ["paid", "2026-06-01 10:00:00 +0800"] if head else ["", ""]
        tail = [total, refunded, "张三", "人民路1号", "上海"] if head else ["", "", "", "", ""]
        writer.writerow([name, *order, qty, price, sku, *tail])
    return out.getvalue().encode()


ROWS = [("#1", "1", "10.00", "A"), ("#1", "1", "15.00", "B"), ("#2", "3", "10.00", "ZZZ"),
        ("#3", "1", "10.00", "A"), ("#3", "1", "10.00", "A"), ("#3", "1", "10.00", "B"),
        ("#4", "1", "10.00", "A"), ("#4", "x", "10.00", "B"), ("#5", "2", "15.00", "B"),
        ("#6", "3", "10.00", "A")]  # fmt: skip


def snapshot(session, shop_id: int) -> list[tuple]:
    """What the orders of a shop hold, without their ids and shop."""
    orders = session.execute(
        select(Order.id, Order.platform_order_id, Order.status, Order.total_amount, Order.refunded_amount,
               Order.warehouse_id, Order.created_at, Order.region).where(Order.shop_id == shop_id)
    ).all()  # fmt: skip
    got = []
    for oid, *order in sorted(orders, key=lambda o: o[1]):
        lines = session.execute(
            select(OrderLine.line_no, OrderLine.platform_sku, OrderLine.product_id, OrderLine.quantity,
                   OrderLine.amount).where(OrderLine.order_id == oid).order_by(OrderLine.line_no)
        ).all()  # fmt: skip
        reasons = session.scalars(select(OrderReason.code).where(OrderReason.order_id == oid)).all()
        got.append((*order, [tuple(x) for x in lines], sorted(reasons)))
    return got


def test_an_export_in_batches_imports_as_in_one_and_again_changes_nothing(session, admin):
    shops = _shops(session, admin, "shopify", ("ONE", "MANY", "SCATTERED", "SCATTERED_ONE"))
    data = export(ROWS)
    whole = import_files(session, admin, "shopify", [("orders.csv", data)], shop="ONE")
    batched = import_files(session, admin, "shopify", [("orders.csv", data)], shop="MANY", batch_rows=2)
    assert whole == batched
    assert (whole["created"], whole["exceptions"], [r["line"] for r in whole["rejected"]]) == (5, 1, [8])
    assert snapshot(session, shops["MANY"]) == snapshot(session, shops["ONE"])

    # #1's rows at the start and the end: the file is read whole, once
    scattered = [("s.csv", export([*ROWS[1:], ROWS[0]]))]
    result = import_files(session, admin, "shopify", scattered, shop="SCATTERED", batch_rows=2)
    assert result == import_files(session, admin, "shopify", scattered, shop="SCATTERED_ONE")
    assert (result["created"], [r["line"] for r in result["rejected"]]) == (5, [7])
    assert snapshot(session, shops["SCATTERED"]) == snapshot(session, shops["SCATTERED_ONE"])

    events = count(session, OrderEvent)
    again = import_files(session, admin, "shopify", [("orders.csv", data)], shop="MANY", batch_rows=2)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)
    assert count(session, OrderEvent) == events


def _shops(session, admin, platform: str, codes: tuple[str, ...]) -> dict[str, int]:
    catalog.create_warehouse(session, admin, code="SH", name="上海仓", region="华东")
    catalog.create_records(
        session,
        admin,
        "product",
        [{"sku": sku, "name_zh": sku, "list_price": "10.00"} for sku in ("A", "B")],
    )
    return {
        code: catalog.create_shop(
            session, admin, code=code, name=code, platform=platform, default_warehouse="SH"
        ).id
        for code in codes
    }


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _same_in_batches(session, admin, platform: str, files, shops: dict, one: str, many: str, **kw):
    """The files imported whole and in batches of 2 rows: the same summary and orders."""
    whole = import_files(session, admin, platform, files, shop=one, **kw)
    batched = import_files(session, admin, platform, files, shop=many, batch_rows=2, **kw)
    assert whole == batched
    assert snapshot(session, shops[many]) == snapshot(session, shops[one])
    return batched


TAOBAO_ORDERS = ["订单编号", "订单状态", "订单创建时间", "总金额", "买家实际支付金额", "收货地址"]
TAOBAO_ITEMS = ["订单编号", "价格", "购买数量", "商家编码", "标题"]


def test_a_taobao_pair_in_batches_imports_as_in_one_and_again_changes_nothing(session, admin):
    shops = _shops(session, admin, "taobao", ("ONE", "MANY", "SCATTERED", "SCATTERED_ONE"))
    paid, at, address = "买家已付款，等待卖家发货", "2026-06-01 10:00:00", "上海 上海市 人民路1号"
    orders = [[f"T{n}", paid, at, total, total, address] for n, total in
              (("1", "25.00"), ("2", "10.00"), ("3", "30.00"), ("4", "20.00"), ("5", "10.00"))]  # fmt: skip
    # items listed in another order than the orders, one order's items apart, one cell with a mark
    items = [["T3", "10.00", "2", "A", "a"], ["T1", "10.00", "1", "A", "a"], ["T4", "10.00", "x", "B", "b"],
             ["T3", "10.00", "1", "B", "b\x1fc"], ["T1", "15.00", "1", "B", "b"], ["T2", "1", "1", "A", "a"],
             ["T9", "1.00", "1", "A", "a"], ["T4", "10.00", "1", "A", "a"]]  # fmt: skip
    pair = [("ExportOrderList.csv", _csv([TAOBAO_ORDERS, *orders])),
            ("ExportOrderDetailList.csv", _csv([TAOBAO_ITEMS, *items]))]  # fmt: skip
    result = _same_in_batches(session, admin, "taobao", pair, shops, "ONE", "MANY")
    # T4's bad quantity and T5 without items are rejected at their order rows
    assert (result["created"], [r["line"] for r in result["rejected"]]) == (3, [5, 6])

    scattered = [("ExportOrderList.csv", _csv([TAOBAO_ORDERS, *orders, orders[0]])), pair[1]]
    result = _same_in_batches(session, admin, "taobao", scattered, shops, "SCATTERED_ONE", "SCATTERED")
    assert result["created"] == 3

    events = count(session, OrderEvent)
    again = import_files(session, admin, "taobao", pair, shop="MANY", batch_rows=2)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert count(session, OrderEvent) == events


RETAIL = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID",
          "Country"]  # fmt: skip
RETAIL_ROWS = [["536365", "A", "a", "6", "2011-02-01 08:26", "2.55", "17850", "United Kingdom"],
               ["536365", "B", "b", "6", "2011-02-01 08:26", "3.39", "17850", "United Kingdom"],
               ["536366", "A", "a", "2", "2011-02-01 08:28", "1.85", "17850", "United Kingdom"],
               ["C536379", "B", "b", "-1", "2011-02-01 09:41", "27.50", "14527", "United Kingdom"],
               ["536367", "A", "a", "3", "2011-02-01 08:34", "1.69", "13047", "United Kingdom"],
               ["536367", "B", "b", "8", "2011-02-01 08:34", "2.10", "13047", "United Kingdom"],
               ["536367", "A", "a", "1", "2011-02-01 08:34", "2.10", "13047", "United Kingdom"],
               ["536368", "B", "b", "6", "2011-02-01 08:34", "4.25", "", "France"]]  # fmt: skip
RETAIL_MAP = {"customer_id": "CustomerID", "region": "Country"}


def test_a_generic_history_csv_in_batches_imports_as_in_one(session, admin):
    shops = _shops(session, admin, "other", ("ONE", "MANY", "SCATTERED", "SCATTERED_ONE"))
    files = [("retail.csv", _csv([RETAIL, *RETAIL_ROWS]))]
    kw = {"mapping": RETAIL_MAP, "history": True}
    result = _same_in_batches(session, admin, "csv", files, shops, "ONE", "MANY", **kw)
    assert (result["created"], [r["line"] for r in result["rejected"]]) == (4, [5])

    scattered = [("retail.csv", _csv([RETAIL, *RETAIL_ROWS, RETAIL_ROWS[0]]))]
    result = _same_in_batches(session, admin, "csv", scattered, shops, "SCATTERED_ONE", "SCATTERED", **kw)
    assert result["created"] == 4

    again = import_files(session, admin, "csv", files, shop="MANY", batch_rows=2, **kw)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)


def test_a_workbook_in_batches_imports_as_in_one(session, admin):
    from openpyxl import Workbook

    shops = _shops(session, admin, "other", ("ONE", "MANY"))
    book = Workbook()
    for row in (RETAIL, *RETAIL_ROWS):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    files = [("retail.xlsx", out.getvalue())]
    result = _same_in_batches(session, admin, "csv", files, shops, "ONE", "MANY", mapping=RETAIL_MAP)
    assert (result["created"], [r["line"] for r in result["rejected"]]) == (4, [5])
