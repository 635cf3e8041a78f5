"""Electronic waybill numbers (电子面单): tracking numbers for approved parcels before they ship,
from a carrier's interface or from a carrier's file.

A carrier is anything with a ``code`` and an ``issue`` method (:class:`Carrier`); the ones ecerp
knows are registered in :data:`CARRIERS` by :func:`register_carrier`. :class:`StubCarrier` issues
numbers without a network, the same number for the same order every time (demos, tests, training).
A real carrier's client (顺丰, 中通 ...) registers itself the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.db import among
from ecerp_core.errors import ImportFileError, ValidationError, problem
from ecerp_core.i18n import lazy, t
from ecerp_core.orders import workflow
from ecerp_core.orders.batch import TRACKING_COLUMNS, Shipment, ship_with_tracking
from ecerp_core.orders.models import Order
from ecerp_core.orders.workflow import Happened
from ecerp_core.tabular import map_columns, normal, read_table


@dataclass(frozen=True)
class WaybillRequest:
    """What a carrier needs to print a label for one parcel."""

    order_no: str
    receiver_name: str
    receiver_phone: str
    region: str
    city: str
    district: str
    address: str


class Carrier(Protocol):
    """A carrier's electronic waybill interface: one tracking number per request, in order."""

    code: str

    def issue(self, requests: Sequence[WaybillRequest]) -> list[str]: ...


class StubCarrier:
    """Issues ``<prefix>`` + 10 digits derived from the order number: deterministic, offline.

    >>> StubCarrier().issue([WaybillRequest("TB1001", "张三", "", "上海", "上海市", "", "人民路1号")])
    ['ST4528745641']
    """

    code = "stub"

    def __init__(self, prefix: str = "ST") -> None:
        self.prefix = prefix

    def issue(self, requests: Sequence[WaybillRequest]) -> list[str]:
        out = []
        for r in requests:
            digest = hashlib.sha256(r.order_no.encode("utf-8")).hexdigest()
            out.append(f"{self.prefix}{int(digest[:12], 16) % 10**10:010d}")
        return out


CARRIERS: dict[str, Carrier] = {}
"""The carriers ecerp can ask for waybill numbers, by code."""


def register_carrier(carrier: Carrier) -> None:
    """Make ``carrier`` available by its code (a later one with the same code replaces it)."""
    CARRIERS[carrier.code] = carrier


register_carrier(StubCarrier())


def _parcels(session: Session, order_ids: Sequence[int]) -> list:
    """The parcels of these orders (a merged member stands for its parcel), locked, with the
    address a label needs."""
    roots = list(dict.fromkeys(i for i in workflow.with_members(session, order_ids)))
    states = workflow.load(session, roots)
    wrong = [s for s in states.values() if s.status != "approved"]
    if wrong:
        raise ValidationError(
            [
                problem("order", "waybill_not_approved", value=s.number, status=f"status.{s.status}")
                for s in wrong
            ]
        )
    stmt = (
        select(
            Order.id,
            Order.platform_order_id,
            Order.receiver_name,
            Order.receiver_phone,
            Order.region,
            Order.city,
            Order.district,
            Order.address,
            Order.merged_into_id,
            Order.tracking_no,
        )
        .where(among(session, Order.id, roots))
        .order_by(Order.id)
    )
    return session.connection().execute(stmt).all()


def _set_tracking(session: Session, actor: Actor, rows: list[dict], source: str) -> None:
    """Write carrier and tracking number on each order (``oid``, ``c``, ``n``), with history."""
    table = Order.__table__
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("oid"))
        .values(carrier=bindparam("c"), tracking_no=bindparam("n")),
        rows,
    )
    workflow.record(
        session, actor, [Happened(r["oid"], "approved", "waybill", f"{r['c']} {r['n']}") for r in rows]
    )
    audit.record(
        session,
        actor,
        "waybill",
        "sales_order",
        rows[0]["oid"] if len(rows) == 1 else f"{len(rows)} orders",
        {"source": source, "orders": {r["oid"]: r["n"] for r in rows}},
    )


def assign_waybills(
    session: Session, actor: Actor, order_ids: Sequence[int], carrier: str = "stub", *, again: bool = False
) -> dict[str, str]:
    """Ask ``carrier`` for a tracking number for each approved parcel of these orders that has none
    (every one with ``again``) and keep it on the parcel and its members; returns order number ->
    tracking number of the parcels numbered."""
    require(actor, "orders.ship")
    found = CARRIERS.get(carrier)
    if found is None:
        raise ValidationError(
            [problem("carrier", "waybill_unknown_carrier", value=carrier, known=", ".join(CARRIERS))]
        )
    rows = [r for r in _parcels(session, order_ids) if r.merged_into_id is None]
    wanted = [r for r in rows if again or not r.tracking_no]
    if not wanted:
        return {}
    numbers = found.issue(
        [
            WaybillRequest(
                r.platform_order_id,
                r.receiver_name,
                r.receiver_phone,
                r.region,
                r.city,
                r.district,
                r.address,
            )
            for r in wanted
        ]
    )
    if len(numbers) != len(wanted) or not all(numbers):
        raise ValidationError([problem("carrier", "waybill_carrier_failed", value=carrier)])
    by_parcel = {r.id: n for r, n in zip(wanted, numbers, strict=True)}
    members = workflow.with_members(session, list(by_parcel))
    parent = dict(
        session.connection()
        .execute(select(Order.id, Order.merged_into_id).where(among(session, Order.id, members)))
        .all()
    )
    updates = [{"oid": i, "c": carrier, "n": by_parcel[parent[i] or i]} for i in members]
    _set_tracking(session, actor, updates, carrier)
    return {r.platform_order_id: by_parcel[r.id] for r in wanted}


def assign_from_file(
    session: Session, actor: Actor, source: str | Path | tuple[str, bytes], *, carrier: str = ""
) -> dict:
    """Keep the tracking numbers of a carrier's file (order number, tracking number, optionally the
    carrier) on approved orders without shipping them; returns ``{"assigned": n, "rejected":
    [{file, line, reason}]}``. Unknown, ambiguous or unapproved orders are rejected by line."""
    require(actor, "orders.ship")
    table = read_table(source[1], name=source[0]) if isinstance(source, tuple) else read_table(source)
    cols = map_columns(table, TRACKING_COLUMNS, required=("order", "tracking_no"))
    numbers = {normal(r[cols["order"]]) for _, r in table}
    found: dict[str, list] = {}
    for order in session.connection().execute(
        select(Order.platform_order_id, Order.id, Order.status).where(
            among(session, Order.platform_order_id, numbers)
        )
    ):
        found.setdefault(order.platform_order_id, []).append(order)
    rejected, rows = [], []
    for line, r in table:
        number = normal(r[cols["order"]])
        hits = found.get(number, [])
        which = (r[cols["carrier"]] if "carrier" in cols else "") or carrier
        if len(hits) != 1:
            reason = t(
                "orders.tracking.unknown" if not hits else "orders.tracking.ambiguous", None, order=number
            )
        elif hits[0].status != "approved":
            reason = t("orders.tracking.not_approved", None, order=number, status=f"status.{hits[0].status}")
        elif not r[cols["tracking_no"]] or not which:
            reason = t("orders.tracking.missing", None, order=number)
        else:
            rows.append(
                {"oid": hits[0].id, "c": which.strip()[:40], "n": r[cols["tracking_no"]].strip()[:60]}
            )
            continue
        rejected.append({"file": table.name, "line": line, "reason": reason})
    if not rows and not rejected:
        raise ImportFileError(file=table.name, reason=lazy("reason.empty"))
    if rows:
        _set_tracking(session, actor, rows, table.name)
    return {"assigned": len(rows), "rejected": rejected}


def ship_assigned(session: Session, actor: Actor, order_ids: Sequence[int]) -> int:
    """Ship approved orders under the carrier and tracking number they were given; an order
    without one is refused by its number (see :func:`~ecerp_core.orders.batch.ship_with_tracking`)."""
    rows = session.connection().execute(
        select(Order.id, Order.carrier, Order.tracking_no).where(
            among(session, Order.id, sorted(set(order_ids)))
        )
    )
    return ship_with_tracking(session, actor, [Shipment(r.id, r.carrier, r.tracking_no) for r in rows])
