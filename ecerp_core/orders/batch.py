"""Batch operations (批量处理) on hundreds of orders: hold/release, pick lists, shipping with
carrier and tracking number (also from a tracking file), each in chunks with a progress callback.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date
from ecerp_core.catalog.models import Product, Shop, Warehouse
from ecerp_core.catalog.products import expand_lines
from ecerp_core.db import among, for_update, utcnow
from ecerp_core.errors import ImportFileError, NeedsConfirmation, ValidationError, problem
from ecerp_core.i18n import current_language, lazy, t
from ecerp_core.orders import workflow
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.orders.services import ship_orders
from ecerp_core.orders.workflow import Happened
from ecerp_core.sheets import csv_text
from ecerp_core.stock.models import StockSetting
from ecerp_core.tabular import map_columns, normal, read_table

Progress = Callable[[int, int], None] | None
CHUNK = 500


def in_chunks(ids: Sequence[int], action: Callable[[list[int]], object], progress: Progress = None) -> list:
    """Run ``action`` on chunks of ``ids`` (one transaction: the caller commits), reporting progress."""
    out = []
    for start in range(0, len(ids), CHUNK):
        out.append(action(list(ids[start : start + CHUNK])))
        if progress:
            progress(min(start + CHUNK, len(ids)), len(ids))
    return out


def hold_orders(
    session: Session, actor: Actor, order_ids: Sequence[int], *, hold: bool = True, reason: str = ""
) -> int:
    """Put orders on hold (挂起: they wait, whatever the rules say) or release them."""
    require(actor, "orders.review")
    ids = sorted(set(order_ids))
    now = utcnow()
    now_in = workflow.statuses(session, ids)
    tbl = Order.__table__
    session.connection().execute(
        update(tbl).where(among(session, tbl.c.id, ids)).values(on_hold=hold, updated_at=now)
    )
    event = "hold" if hold else "release"
    workflow.record(session, actor, [Happened(oid, status, event, reason) for oid, status in now_in.items()])
    audit.record(
        session, actor, "hold" if hold else "release", "sales_order", f"{len(ids)} orders", {"order_ids": ids}
    )
    return len(now_in)


def pick_list(session: Session, actor: Actor, order_ids: Sequence[int]) -> list[dict]:
    """What to pick for these orders: one row per warehouse and stocked product (a bundle as its
    components, which is what is on the shelves), with its bin and the orders it serves, in the
    order a picker walks: by warehouse, then bin (products without a bin last), then SKU."""
    require(actor, "orders.read")
    ids = workflow.with_members(session, order_ids)
    lines = (
        session.connection()
        .execute(
            select(OrderLine.product_id, OrderLine.quantity, Order.warehouse_id, Order.platform_order_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(among(session, OrderLine.order_id, ids), OrderLine.product_id.is_not(None))
            .order_by(Order.platform_order_id, OrderLine.line_no)
        )
        .all()
    )
    parts = expand_lines(session, [(line.product_id, line.quantity) for line in lines])
    picks: dict[tuple[int | None, int], dict] = {}  # (warehouse, product) -> row
    for line, components in zip(lines, parts, strict=True):
        for product_id, qty in components:
            row = picks.setdefault((line.warehouse_id, product_id), {"quantity": 0, "orders": []})
            row["quantity"] += qty
            if line.platform_order_id not in row["orders"]:
                row["orders"].append(line.platform_order_id)
    products = {p for _, p in picks}
    warehouses = {w for w, _ in picks if w is not None}
    names = {
        r.id: (r.sku, r.name_zh, r.name_en)
        for r in session.connection().execute(
            select(Product.id, Product.sku, Product.name_zh, Product.name_en).where(
                among(session, Product.id, sorted(products))
            )
        )
    }
    codes = dict(
        session.connection()
        .execute(select(Warehouse.id, Warehouse.code).where(among(session, Warehouse.id, sorted(warehouses))))
        .all()
    )
    bins = {
        (r.warehouse_id, r.product_id): r.location
        for r in session.connection().execute(
            select(StockSetting.warehouse_id, StockSetting.product_id, StockSetting.location).where(
                among(session, StockSetting.product_id, sorted(products))
            )
        )
    }
    out = [
        {
            "warehouse": codes.get(w, ""),
            "bin": bins.get((w, p), ""),
            "sku": names[p][0],
            "name": names[p][1],
            "name_en": names[p][2],
            "quantity": row["quantity"],
            "orders": row["orders"],
        }
        for (w, p), row in picks.items()
    ]
    return sorted(out, key=lambda r: (r["warehouse"], r["bin"] == "", r["bin"], r["sku"]))


PICK_COLUMNS = (
    "field.warehouse",
    "field.bin",
    "field.sku",
    "field.name",
    "field.quantity",
    "orders.pick.orders",
)


def _pick_cells(r: dict, language: str | None) -> list:
    name = r["name_en"] if (language or current_language()) == "en" and r["name_en"] else r["name"]
    return [r["warehouse"], r["bin"], r["sku"], name, r["quantity"], " ".join(r["orders"])]


def pick_list_csv(rows: list[dict], language: str | None = None) -> str:
    """The pick list as CSV, headed in ``language``."""
    header = [t(k, language) for k in PICK_COLUMNS]
    # formula-looking text (a product name "=HYPERLINK(...)") is escaped by csv_text
    return csv_text((dict(zip(header, _pick_cells(r, language), strict=True)) for r in rows), header)


def pick_list_html(rows: list[dict], language: str | None = None, *, day: str = "") -> str:
    """A printable pick list: one table per warehouse in walking order, headed by its date, the
    warehouse and the number of orders, with a print button that does not print."""
    title = html.escape(t("orders.pick.title", language))
    head = "".join(f"<th>{html.escape(t(k, language))}</th>" for k in PICK_COLUMNS[1:])
    by_warehouse: dict[str, list[dict]] = {}
    for r in rows:
        by_warehouse.setdefault(r["warehouse"], []).append(r)
    sections = []
    for warehouse, picks in by_warehouse.items():
        orders = len({number for r in picks for number in r["orders"]})
        caption = html.escape(
            t("orders.pick.caption", language, warehouse=warehouse or "—", day=day, orders=orders)
        )
        body = "".join(
            "<tr>"
            + "".join(
                f"<td class='n'>{html.escape(str(c))}</td>" if i == 3 else f"<td>{html.escape(str(c))}</td>"
                for i, c in enumerate(_pick_cells(r, language)[1:])
            )
            + "</tr>"
            for r in picks
        )
        sections.append(f"<h3>{caption}</h3><table><tr>{head}</tr>{body}</table>")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} {html.escape(day)}</title>"
        "<style>body{font:13px sans-serif}table{border-collapse:collapse;width:100%;margin-bottom:16px}"
        "td,th{border:1px solid #999;padding:4px 6px}td.n{text-align:right}"
        "h3{page-break-before:auto}@media print{button{display:none}h3{page-break-before:always}"
        "h3:first-of-type{page-break-before:avoid}}</style></head><body>"
        f"<h2>{title} {html.escape(day)}</h2><button onclick='window.print()'>"
        f"{html.escape(t('orders.pick.print', language))}</button>{''.join(sections)}"
        "</body></html>"
    )


def pick_sheet(session: Session, actor: Actor, order_ids: Sequence[int], language: str | None = None) -> dict:
    """The pick list of these orders as rows, a printable page dated today and a CSV."""
    rows = pick_list(session, actor, order_ids)
    day = business_date(session, utcnow()).isoformat()
    return {
        "rows": rows,
        "html": pick_list_html(rows, language, day=day),
        "csv": pick_list_csv(rows, language),
    }


class Shipment(NamedTuple):
    """An approved order going out with a courier's tracking number."""

    order_id: int
    carrier: str
    tracking_no: str


def ship_with_tracking(
    session: Session,
    actor: Actor,
    shipments: Sequence[Shipment],
    *,
    progress: Progress = None,
    shared_tracking: bool = False,
    day: dt.date | None = None,
) -> int:
    """Ship approved orders, each with its carrier and tracking number; merged members ride along
    with their parcel's. Returns how many orders shipped.

    An order without a carrier or tracking number is refused by its number. One tracking number on
    several parcels is refused with :class:`~ecerp_core.errors.NeedsConfirmation` unless
    ``shared_tracking`` confirms it (one courier box for several buyers' parcels is rare; one number
    typed once for a whole page is the usual mistake)."""
    require(actor, "orders.ship")
    shipments = [Shipment(*s) for s in shipments]
    by_id = {s.order_id: s for s in shipments}
    # every order is locked first, in id order — the one order every writer of orders locks in —
    # before carrier and tracking are written: writing them in the input's order deadlocked a
    # concurrent approve or ship
    ids = sorted(workflow.with_members(session, list(by_id)))
    known = session.connection().execute(
        for_update(
            select(Order.id, Order.merged_into_id, Order.platform_order_id)
            .where(among(session, Order.id, ids))
            .order_by(Order.id),
            session,
        )
    )
    parents, numbers = {}, {}
    for oid, parent, number in known:
        parents[oid], numbers[oid] = parent, number
    missing = [s.order_id for s in shipments if not (s.carrier.strip() and s.tracking_no.strip())]
    if missing:
        raise ValidationError(
            [problem("tracking_no", "tracking_required", order=numbers.get(i, i)) for i in missing]
        )
    # a parcel ships under the number given for any of its orders
    by_parcel = {parents.get(oid) or oid: s for oid, s in by_id.items()}
    parcels_of: dict[str, list[int]] = {}
    for parcel, s in by_parcel.items():
        parcels_of.setdefault(s.tracking_no.strip(), []).append(parcel)
    shared = {no: found for no, found in parcels_of.items() if len(found) > 1}
    if shared and not shared_tracking:
        raise NeedsConfirmation(
            [
                problem(
                    "tracking_no",
                    "tracking_shared",
                    tracking_no=no,
                    count=len(found),
                    orders=", ".join(str(numbers.get(i, i)) for i in found[:5])
                    + (" …" if len(found) > 5 else ""),
                )
                for no, found in shared.items()
            ]
        )
    rows = []
    for i in ids:
        parcel = by_parcel[parents[i] or i]
        rows.append({"oid": i, "c": parcel.carrier.strip()[:40], "n": parcel.tracking_no.strip()[:60]})
    tbl = Order.__table__
    session.connection().execute(
        update(tbl)
        .where(tbl.c.id == bindparam("oid"))
        .values(carrier=bindparam("c"), tracking_no=bindparam("n")),
        rows,
    )
    in_chunks(ids, lambda chunk: ship_orders(session, actor, chunk, day=day), progress)
    return len(ids)


TRACKING_COLUMNS = {
    "order": ("订单号", "订单编号", "platform_order_id", "order no", "order number", "Name"),
    "carrier": ("快递公司", "物流公司", "carrier", "courier"),
    "tracking_no": ("快递单号", "物流单号", "运单号", "tracking", "tracking number"),
}


def ship_from_tracking_file(
    session: Session,
    actor: Actor,
    source: str | Path | tuple[str, bytes],
    *,
    shop: str | None = None,
    progress: Progress = None,
    shared_tracking: bool = False,
    day: dt.date | None = None,
) -> dict:
    """Ship orders listed in a tracking file (order number, carrier, tracking number).

    Returns ``{"shipped": n, "rejected": [{file, line, reason}]}``; unknown or unshippable orders are
    rejected by line, the rest ship. One tracking number on several parcels needs
    ``shared_tracking`` (see :func:`ship_with_tracking`).
    """
    table = read_table(source[1], name=source[0]) if isinstance(source, tuple) else read_table(source)
    cols = map_columns(table, TRACKING_COLUMNS, required=("order", "carrier", "tracking_no"))
    numbers = {normal(r[cols["order"]]) for _, r in table}
    stmt = select(Order.platform_order_id, Order.id, Order.status).where(
        among(session, Order.platform_order_id, numbers)
    )
    if shop:
        stmt = stmt.join(Shop, Shop.id == Order.shop_id).where((Shop.code == shop) | (Shop.name == shop))
    found: dict[str, list] = {}
    for order in session.connection().execute(stmt):
        found.setdefault(order.platform_order_id, []).append(order)
    rejected, ships = [], []
    for line, r in table:
        number = normal(r[cols["order"]])
        hits = found.get(number, [])
        if len(hits) != 1:
            reason = t(
                "orders.tracking.unknown" if not hits else "orders.tracking.ambiguous", None, order=number
            )
        elif hits[0].status != "approved":
            reason = t("orders.tracking.not_approved", None, order=number, status=f"status.{hits[0].status}")
        elif not r[cols["carrier"]] or not r[cols["tracking_no"]]:
            reason = t("orders.tracking.missing", None, order=number)
        else:
            ships.append(Shipment(hits[0].id, r[cols["carrier"]], r[cols["tracking_no"]]))
            continue
        rejected.append({"file": table.name, "line": line, "reason": reason})
    if not ships and not rejected:
        raise ImportFileError(file=table.name, reason=lazy("reason.empty"))
    shipped = (
        ship_with_tracking(session, actor, ships, progress=progress, shared_tracking=shared_tracking, day=day)
        if ships
        else 0
    )
    return {"shipped": shipped, "rejected": rejected}
