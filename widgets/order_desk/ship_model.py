"""The Order Desk's shipping tools' state and calls into the core: edit and split the open order,
verify a parcel by scanning, make waves, number waybills. No widgets here; each write is one
session that commits once."""

from __future__ import annotations

from ecerp_core.catalog.company import company_timezone
from ecerp_core.orders import packing, waves, waybill
from ecerp_core.orders.editing import EDITABLE_STATUSES, OrderEdit, edit_order
from ecerp_core.orders.models import Order
from ecerp_core.orders.queries import order_ids_by_number
from ecerp_core.orders.splitting import SPLITTABLE, split_quantities
from ecerp_core.orders.waybill import ship_assigned
from widgets.order_desk.model import OrderDeskModel


class ShipModel:
    """What the edit and split cards, the packing bench and the waves screen do, for one user."""

    def __init__(self, desk: OrderDeskModel) -> None:
        self.desk = desk
        self.ctx = desk.ctx
        self.packing: packing.PackingCheck | None = None
        self.wave: dict | None = None

    # --- the open order -------------------------------------------------------------------------
    @property
    def order(self) -> dict | None:
        return self.desk.order

    def editable(self) -> bool:
        return bool(self.order) and self.order["status"] in EDITABLE_STATUSES

    def splittable(self) -> bool:
        o = self.order
        return (
            bool(o) and o["status"] in SPLITTABLE and not o["merged_into_id"] and len(self.split_lines()) > 0
        )

    def split_lines(self) -> list[tuple[str, int]]:
        """``(sku, quantity)`` of the open order, a SKU on several lines once."""
        out: dict[str, int] = {}
        for x in self.order["lines"] if self.order else []:
            sku = x["sku"] or x["platform_sku"]
            out[sku] = out.get(sku, 0) + x["quantity"]
        return list(out.items())

    def edit(self, edit: OrderEdit) -> dict:
        """Save ``edit`` on the open order; returns what changed and opens the order again."""
        with self.ctx.session() as session:
            changed = edit_order(session, self.ctx.actor, self.order["id"], edit)
        self.desk.open(self.order["id"])
        return changed

    def split(self, picks: dict[str, int]) -> dict:
        """Split ``picks`` off the open order; returns the new order's number and total."""
        with self.ctx.session() as session:
            new_id = split_quantities(session, self.ctx.actor, self.order["id"], picks)
            session.flush()
            new = session.get(Order, new_id)
            done = {"new_order": new.platform_order_id, "new_total": new.total_amount}
        self.desk.open(self.order["id"])
        return done

    # --- the packing bench ----------------------------------------------------------------------
    def start_packing(self, code: str) -> packing.PackingCheck:
        with self.ctx.session(readonly=True) as session:
            self.packing = packing.start_packing(session, self.ctx.actor, code)
        return self.packing

    def scan_item(self, code: str) -> packing.PackingCheck:
        """One item scanned into the parcel on the bench (refused: the parcel stays as it was)."""
        self.packing = packing.scan_item(self.packing, code)
        return self.packing

    def finish_packing(self) -> None:
        with self.ctx.session() as session:
            packing.finish_packing(session, self.ctx.actor, self.packing)

    # --- waves ----------------------------------------------------------------------------------
    def create_wave(self, warehouse_id: int, limit: int | None, order_ids: list[int] | None = None) -> dict:
        with self.ctx.session() as session:
            return waves.create_wave(session, self.ctx.actor, warehouse_id, order_ids=order_ids, limit=limit)

    def waves(self) -> list[dict]:
        with self.ctx.session(readonly=True) as session:
            tz = company_timezone(session)
            rows = waves.list_waves(session, self.ctx.actor, limit=50)
        return [{**r, "created_at": r["created_at"].astimezone(tz)} for r in rows]

    def open_wave(self, number: str) -> dict:
        with self.ctx.session(readonly=True) as session:
            self.wave = waves.wave_detail(session, self.ctx.actor, number, self.ctx.i18n.language)
        return self.wave

    def wave_order_ids(self) -> list[int]:
        from_numbers = [o["order"] for o in self.wave["orders"]] if self.wave else []
        with self.ctx.session(readonly=True) as session:
            return order_ids_by_number(session, self.ctx.actor, from_numbers)

    def number_waybills(self, carrier: str = "stub") -> dict[str, str]:
        """Waybill numbers from ``carrier`` for the open wave's parcels that have none."""
        ids = self.wave_order_ids()
        with self.ctx.session() as session:
            return waybill.assign_waybills(session, self.ctx.actor, ids, carrier)

    def ship_wave(self) -> int:
        """Ship the open wave's approved orders under their waybill numbers."""
        ids = [
            i
            for i, o in zip(self.wave_order_ids(), self.wave["orders"], strict=True)
            if o["status"] == "approved"
        ]
        with self.ctx.session() as session:
            return ship_assigned(session, self.ctx.actor, ids)
