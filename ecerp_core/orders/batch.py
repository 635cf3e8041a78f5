"""Batch operations (批量处理) on hundreds of orders: hold/release, pick lists, shipping with
carrier and tracking number (also from a tracking file), each in chunks with a progress callback.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Product, Shop, Warehouse
from ecerp_core.db import utcnow
from ecerp_core.errors import ImportFileError, NeedsConfirmation, ValidationError, problem
from ecerp_core.i18n import lazy, t
from ecerp_core.orders import workflow
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.orders.services import ship_orders
from ecerp_core.orders.workflow import Happened
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
    session.connection().execute(update(tbl).where(tbl.c.id.in_(ids)).values(on_hold=hold, updated_at=now))
    event = "hold" if hold else "release"
    workflow.record(session, actor, [Happened(oid, status, event, reason) for oid, status in now_in.items()])
    audit.record(
        session, actor, "hold" if hold else "release", "sales_order", f"{len(ids)} orders", {"order_ids": ids}
    )
    return len(now_in)


def pick_list(session: Session, actor: Actor, order_ids: Sequence[int]) -> list[dict]:
    """What to pick for these orders: one row per warehouse and product, with the orders it serves."""
    require(actor, "orders.read")
    ids = workflow.with_members(session, order_ids)
    rows = session.connection().execute(
        select(Warehouse.code, Product.sku, Product.name_zh, OrderLine.quantity, Order.platform_order_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .outerjoin(Warehouse, Warehouse.id == Order.warehouse_id)
        .where(OrderLine.order_id.in_(ids))
        .order_by(Warehouse.code, Product.sku, Order.platform_order_id)
    )
    out: dict[tuple, dict] = {}
    for wh, sku, name, qty, number in rows:
        row = out.setdefault(
            (wh, sku), {"warehouse": wh or "", "sku": sku, "name": name, "quantity": 0, "orders": []}
        )
        row["quantity"] += qty
        row["orders"].append(number)
    return list(out.values())


def pick_list_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["warehouse", "sku", "name", "quantity", "orders"])
    for r in rows:
        w.writerow([r["warehouse"], r["sku"], r["name"], r["quantity"], " ".join(r["orders"])])
    return buf.getvalue()


def pick_list_html(rows: list[dict], language: str | None = None) -> str:
    """A printable pick list (A4, one table per warehouse)."""
    head = "".join(
        f"<th>{html.escape(t(k, language))}</th>"
        for k in ("field.warehouse", "field.sku", "field.name", "field.quantity", "orders.pick.orders")
    )
    body = "".join(
        f"<tr><td>{html.escape(r['warehouse'])}</td><td>{html.escape(r['sku'])}</td><td>{html.escape(r['name'])}</td>"
        f"<td style='text-align:right'>{r['quantity']}</td><td>{html.escape(' '.join(r['orders']))}</td></tr>"
        for r in rows
    )
    title = html.escape(t("orders.pick.title", language))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}"
        "</title><style>body{font:13px sans-serif}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #999;padding:4px 6px}@media print{button{display:none}}</style></head><body>"
        f"<h2>{title}</h2><table><tr>{head}</tr>{body}</table>"
        "</body></html>"
    )


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
    ids = workflow.with_members(session, list(by_id))
    known = session.connection().execute(
        select(Order.id, Order.merged_into_id, Order.platform_order_id).where(Order.id.in_(ids))
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
    in_chunks(ids, lambda chunk: ship_orders(session, actor, chunk), progress)
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
) -> dict:
    """Ship orders listed in a tracking file (order number, carrier, tracking number).

    Returns ``{"shipped": n, "rejected": [{file, line, reason}]}``; unknown or unshippable orders are
    rejected by line, the rest ship. One tracking number on several parcels needs
    ``shared_tracking`` (see :func:`ship_with_tracking`).
    """
    table = read_table(source[1], name=source[0]) if isinstance(source, tuple) else read_table(source)
    cols = map_columns(table, TRACKING_COLUMNS, required=("order", "carrier", "tracking_no"))
    numbers = {normal(r[cols["order"]]) for _, r in table}
    stmt = select(Order.platform_order_id, Order.id, Order.status).where(Order.platform_order_id.in_(numbers))
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
        ship_with_tracking(session, actor, ships, progress=progress, shared_tracking=shared_tracking)
        if ships
        else 0
    )
    return {"shipped": shipped, "rejected": rejected}
