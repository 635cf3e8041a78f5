"""Inventory's state and its calls into the stock and purchasing services. No widgets here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ecerp_core.catalog import services as catalog
from ecerp_core.purchasing import replenishment
from ecerp_core.purchasing import services as purchasing
from ecerp_core.purchasing.receipts import ReceiptDraft, receive_purchase_orders
from ecerp_core.query import Page
from ecerp_core.stock import alerts, transfers, valuation
from widgets.common.actor import AppContext
from widgets.common.grid import PageRequest


def list_page(rows: list[dict], request: PageRequest) -> Page:
    """One page of rows already in memory (alerts, suggestions, value), sorted as asked."""
    if request.sort:
        rows = sorted(
            rows,
            key=lambda r: (r.get(request.sort) is None, r.get(request.sort) or 0),
            reverse=request.descending,
        )
    return Page(
        rows[request.offset : request.offset + request.limit], len(rows), request.offset, request.limit
    )


class InventoryModel:
    """Filters of each tab and the actions a clerk or buyer takes."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.search = ""
        self.warehouse_id: int | None = None
        self.below_min = False
        self.move_type: str | None = None
        self.value_date: dt.date | None = None
        self.suggested: list[replenishment.Suggestion] = []

    def can(self, permission: str) -> bool:
        return self.ctx.actor.can(permission)

    def warehouses(self) -> list[tuple[str, int]]:
        with self.ctx.session(readonly=True) as session:
            return catalog.choices(session, self.ctx.actor, "warehouse")

    def suppliers(self) -> list[tuple[str, int]]:
        with self.ctx.session(readonly=True) as session:
            return catalog.choices(session, self.ctx.actor, "supplier")

    # --- lists ----------------------------------------------------------------------------------
    def fetch_levels(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            return valuation.list_levels(
                session,
                self.ctx.actor,
                warehouse_id=self.warehouse_id,
                search=self.search,
                below_min=self.below_min,
                sort=request.sort,
                descending=request.descending,
                offset=request.offset,
                limit=request.limit,
            )

    def fetch_alerts(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            rows = alerts.stock_alerts(session, self.ctx.actor, warehouse_id=self.warehouse_id)
        for r in rows:
            r["id"] = f"{r['product_id']}@{r['warehouse_id']}"
        return list_page(rows, request)

    def fetch_moves(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            return valuation.list_moves(
                session,
                self.ctx.actor,
                search=self.search,
                warehouse_id=self.warehouse_id,
                move_type=self.move_type or None,
                sort=request.sort,
                descending=request.descending,
                offset=request.offset,
                limit=request.limit,
            )

    def fetch_value(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            rows = valuation.stock_value(
                session, self.ctx.actor, as_of=self.value_date, by=("warehouse", "category")
            )
        for n, r in enumerate(rows):
            r["id"] = str(n)
        return list_page(rows, request)

    def fetch_transit(self, request: PageRequest) -> Page:
        """Goods on the way (to the warehouse filtered on) at the end of the value date, or now."""
        with self.ctx.session(readonly=True) as session:
            rows = transfers.transit_rows(
                session, self.ctx.actor, as_of=self.value_date, warehouse_id=self.warehouse_id
            )
        return list_page(rows, request)

    def fetch_transfers(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            return transfers.list_transfers(
                session,
                self.ctx.actor,
                sort=request.sort,
                descending=request.descending,
                offset=request.offset,
                limit=request.limit,
            )

    def fetch_orders(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            return purchasing.list_purchase_orders(
                session,
                self.ctx.actor,
                sort=request.sort,
                descending=request.descending,
                offset=request.offset,
                limit=request.limit,
            )

    def fetch_suggestions(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            self.suggested = replenishment.suggestions(
                session, self.ctx.actor, warehouse_id=self.warehouse_id
            )
        rows = [{**s.__dict__, "id": f"{s.product_id}@{s.warehouse_id}"} for s in self.suggested]
        return list_page(rows, request)

    # --- actions --------------------------------------------------------------------------------
    def _product(self, session, sku: str) -> int:
        return catalog.get_record(session, self.ctx.actor, "product", sku.strip())["id"]

    def transfer(self, from_id: int, to_id: int, sku: str, quantity: int, ship: bool = True) -> int:
        with self.ctx.session() as session:
            [tid] = transfers.create_transfers(
                session,
                self.ctx.actor,
                [transfers.TransferDraft(from_id, to_id, ((self._product(session, sku), quantity),))],
            )
            if ship:
                transfers.ship_transfers(session, self.ctx.actor, [tid])
        return tid

    def receive_transfer(self, transfer_id: int, close: bool = False) -> None:
        with self.ctx.session() as session:
            if close:
                transfers.close_transfers(session, self.ctx.actor, [transfer_id])
            else:
                transfers.receive_transfer(session, self.ctx.actor, transfer_id)

    def create_order(
        self, supplier_id: int, warehouse_id: int, sku: str, quantity: int, price: Decimal
    ) -> int:
        with self.ctx.session() as session:
            return purchasing.create_purchase_order(
                session,
                self.ctx.actor,
                purchasing.PurchaseOrderDraft(
                    supplier_id,
                    warehouse_id,
                    (purchasing.PurchaseLineDraft(self._product(session, sku), quantity, price),),
                ),
            )

    def confirm_order(self, po_id: int) -> None:
        with self.ctx.session() as session:
            purchasing.confirm_purchase_orders(session, self.ctx.actor, [po_id])

    def receive_order(self, po_id: int, landed_cost: Decimal) -> int:
        with self.ctx.session() as session:
            moves = receive_purchase_orders(
                session, self.ctx.actor, [ReceiptDraft(po_id, landed_cost=landed_cost)]
            )
        return sum(m["quantity"] for m in moves)

    def order_suggestions(self) -> list[int]:
        """All current suggestions become draft orders, one per supplier and warehouse."""
        with self.ctx.session() as session:
            found = replenishment.suggestions(session, self.ctx.actor, warehouse_id=self.warehouse_id)
            return replenishment.create_orders_from_suggestions(session, self.ctx.actor, found)
