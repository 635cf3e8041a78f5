"""Inventory's state and its calls into the stock and purchasing services. No widgets here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ecerp_core import documents
from ecerp_core.catalog import services as catalog
from ecerp_core.forecast import services as forecasting
from ecerp_core.i18n import t
from ecerp_core.purchasing import replenishment
from ecerp_core.purchasing import services as purchasing
from ecerp_core.purchasing.receipts import ReceiptDraft, receive_purchase_orders
from ecerp_core.query import Page
from ecerp_core.stock import alerts, transfers, valuation
from widgets.common.actor import AppContext
from widgets.common.document_card import document_label
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


def with_names(rows: list[dict], language: str) -> list[dict]:
    """Each row's ``product_name``: its English name in English when it has one, else its Chinese name."""
    for r in rows:
        r["product_name"] = (r.get("name_en") or r.get("name_zh")) if language == "en" else r.get("name_zh")
    return rows


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
        # 按预测: computed only when asked (never when the app opens), for the warehouse then filtered
        self.forecast_ml = False
        self.forecast_lines: list[forecasting.Replenishment] | None = None
        self.forecast_warehouse_id: int | None = None
        self.move_source: dict[str, documents.Ref] = {}  # move on screen -> its document

    @property
    def language(self) -> str:
        return self.ctx.i18n.language

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
            page = valuation.list_levels(
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
        with_names(page.rows, self.language)
        return page

    def fetch_alerts(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            rows = alerts.stock_alerts(session, self.ctx.actor, warehouse_id=self.warehouse_id)
            coming = purchasing.on_order(session, self.ctx.actor) if self.can("purchasing.read") else {}
        for r in rows:
            r["id"] = f"{r['product_id']}@{r['warehouse_id']}"
            r["on_order"] = coming.get((r["product_id"], r["warehouse_id"]), 0)
        return list_page(with_names(rows, self.language), request)

    def fetch_moves(self, request: PageRequest) -> Page:
        """A page of the history; every move names its document by its number (``document``)."""
        with self.ctx.session(readonly=True) as session:
            page = valuation.list_moves(
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
            refs = [(r["source_type"], r["source_id"]) for r in page.rows]
            names = documents.document_numbers(session, refs)
        self.move_source = {}
        for r in page.rows:
            ref = (r["source_type"], r["source_id"])
            r["document"] = document_label(r["source_type"], names.get(ref), r["note"], self.language)
            if r["source_type"] and r["source_id"] is not None:
                self.move_source[str(r["id"])] = ref
        with_names(page.rows, self.language)
        return page

    def document(self, kind: str, doc_id: int) -> documents.Document | None:
        """A document of the app's own (a transfer, a purchase order) with its lines."""
        with self.ctx.session(readonly=True) as session:
            return documents.document_detail(session, self.ctx.actor, kind, doc_id)

    def move_document(self, move_id: str) -> documents.Document | None:
        """The document a move on screen came from, with its lines (None: a move of no document)."""
        ref = self.move_source.get(str(move_id))
        if ref is None:
            return None
        with self.ctx.session(readonly=True) as session:
            return documents.document_detail(session, self.ctx.actor, *ref)

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
        return list_page(with_names(rows, self.language), request)

    def fetch_transfers(self, request: PageRequest) -> Page:
        """Transfers with their date, SKU (the first, and how many more) and units."""
        with self.ctx.session(readonly=True) as session:
            page = transfers.list_transfers(
                session,
                self.ctx.actor,
                sort=request.sort,
                descending=request.descending,
                offset=request.offset,
                limit=request.limit,
            )
        for r in page.rows:
            more = int(r["lines"] or 0) - 1
            r["skus"] = f"{r['sku'] or ''} +{more}" if more > 0 else (r["sku"] or "")
            r["quantity"] = int(r["quantity"] or 0)
        return page

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
        return list_page(with_names(rows, self.language), request)

    def fetch_forecast_suggestions(self, request: PageRequest) -> Page:
        """The forecast-based suggestions of the last :meth:`compute_forecast` (none before it), in the
        warehouse filtered on."""
        lang = self.language
        rows = [
            {
                **line.__dict__,
                "id": f"{line.product_id}@{line.warehouse_id}",
                "demand_class": t(f"forecast.class.{line.demand_class}", lang),
                "model": t(f"forecast.model.{line.model}", lang),
            }
            for line in self.forecast_lines or []
            if self.warehouse_id in (None, line.warehouse_id)
        ]
        return list_page(rows, request)

    # --- actions --------------------------------------------------------------------------------
    def compute_forecast(self) -> int:
        """Backtest, forecast and replenish the warehouse filtered on (all when none), as the Forecast
        app does (scikit-learn only with ``forecast_ml``); how many lines have something to order."""
        with self.ctx.session(readonly=True) as session:
            codes = {f.id: f.code for f in catalog.warehouse_facts(session)}
            scope = forecasting.Scope(warehouse=codes.get(self.warehouse_id))
            run = forecasting.run_forecast(session, self.ctx.actor, scope, with_ml=self.forecast_ml)
            self.forecast_lines = forecasting.replenishment(session, self.ctx.actor, run)
        self.forecast_warehouse_id = self.warehouse_id
        return len(self.forecast_lines)

    def order_forecast_suggestions(self) -> list[int]:
        """The forecast suggestions shown become draft orders, one per supplier and warehouse, through
        the service the Forecast app uses."""
        lines = [line for line in self.forecast_lines or [] if self.warehouse_id in (None, line.warehouse_id)]
        with self.ctx.session() as session:
            created = forecasting.create_draft_orders(session, self.ctx.actor, lines)
        self.forecast_lines = None  # the positions changed: ask again for a new forecast
        return created

    def _product(self, session, sku: str) -> int:
        return catalog.get_record(session, self.ctx.actor, "product", sku.strip())["id"]

    def transfer(self, from_id: int, to_id: int, lines: list[tuple[str, int]], ship: bool = True) -> int:
        """One transfer of ``lines`` (``[(sku, qty), ...]``), shipped at once unless ``ship`` is False."""
        with self.ctx.session() as session:
            wanted = tuple((self._product(session, sku), qty) for sku, qty in lines)
            [tid] = transfers.create_transfers(
                session, self.ctx.actor, [transfers.TransferDraft(from_id, to_id, wanted)]
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

    def create_order(self, supplier_id: int, warehouse_id: int, lines: list[tuple[str, int, Decimal]]) -> int:
        """A draft purchase order of ``lines`` (``[(sku, qty, unit price), ...]``)."""
        with self.ctx.session() as session:
            wanted = tuple(
                purchasing.PurchaseLineDraft(self._product(session, sku), qty, price)
                for sku, qty, price in lines
            )
            return purchasing.create_purchase_order(
                session, self.ctx.actor, purchasing.PurchaseOrderDraft(supplier_id, warehouse_id, wanted)
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
