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
    catalog.create_warehouse(session, admin, code="SH", name="上海仓", region="华东")
    catalog.create_records(
        session,
        admin,
        "product",
        [{"sku": sku, "name_zh": sku, "list_price": "10.00"} for sku in ("A", "B")],
    )
    shops = {}
    for code in ("ONE", "MANY", "SCATTERED", "SCATTERED_ONE"):
        shops[code] = catalog.create_shop(
            session, admin, code=code, name=code, platform="shopify", default_warehouse="SH"
        ).id
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
