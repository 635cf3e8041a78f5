"""Inventory's widgets: one tab per view of the stock, each a paged grid; the tabs that act have a bar
of their own (:mod:`widgets.inventory.action_bars`)."""

from __future__ import annotations

import ipywidgets as w

from ecerp_core.i18n import t
from ecerp_core.stock.models import MOVE_TYPES
from widgets.common.actions import ui_action
from widgets.common.document_card import CSS as DOCUMENT_CSS
from widgets.common.document_card import document_html
from widgets.common.grid import Column, PagedGrid
from widgets.common.parts import classed
from widgets.common.shell import AppShell
from widgets.inventory.action_bars import PurchaseBar, ReplenishBar, TransferBar
from widgets.inventory.model import InventoryModel

DOCUMENT_TABS = ("moves", "transfers", "orders")
"""The tabs whose rows open their document under the grid."""
TABS = ("levels", "alerts", "transfers", "transit", "moves", "value", "orders", "replenish")
TAB_PERMISSIONS = {"orders": "purchasing.read", "replenish": "purchasing.read"}
"""What reading a tab needs beyond ``stock.read`` (the app's own): a role without it does not see it."""
# which of the filters (search, warehouse, below minimum, move type, value date) each tab shows
FILTERS_SHOWN = {"levels": (1, 1, 1, 0, 0), "alerts": (0, 1, 0, 0, 0), "moves": (1, 1, 0, 1, 0),
                 "transit": (0, 1, 0, 0, 1), "value": (0, 0, 0, 0, 1),
                 "replenish": (0, 1, 0, 0, 0)}  # fmt: skip


def _cols(*spec: str) -> list[Column]:
    """``"sku"`` → a text column; ``"#on_hand"`` → a right-aligned number; ``"!status"`` → a choice."""
    out = []
    for s in spec:
        key = s.lstrip("#!")
        label = f"field.{key}" if not key.startswith("inv.") else key
        out.append(Column(key, label, "right" if s[0] == "#" else "left", choice=s[0] == "!"))
    return out


COLUMNS = {
    "levels": _cols(
        "sku",
        "product_name",
        "warehouse",
        "location",
        "#on_hand",
        "#reserved",
        "#available",
        "#min_qty",
        "#max_qty",
        "#unit_cost",
        "#value",
        "#in_transit",
    ),
    "alerts": _cols(
        "!kind",
        "sku",
        "product_name",
        "warehouse",
        "#available",
        "#on_order",
        "#min_qty",
        "#max_qty",
        "#daily_sales",
        "#days_of_cover",
    ),
    "transfers": _cols(
        "number",
        "created_at",
        "from_warehouse",
        "to_warehouse",
        "!status",
        "skus",
        "#lines",
        "#quantity",
        "note",
    ),
    "transit": _cols(
        "number", "from_warehouse", "to_warehouse", "sku", "product_name", "#quantity", "#unit_cost", "#value"
    ),
    "moves": _cols(
        "business_date",
        "sku",
        "product_name",
        "warehouse",
        "!move_type",
        "#quantity",
        "#unit_cost",
        "#value",
        "document",
    ),
    "value": _cols(
        "warehouse", "category", "#quantity", "#value", "#in_transit", "#in_transit_value", "#total_value"
    ),
    "orders": _cols(
        "number", "supplier", "warehouse", "!status", "currency", "#total_amount", "expected_date"
    ),
    "replenish": _cols(
        "sku",
        "product_name",
        "warehouse",
        "supplier",
        "#projected",
        "#min_qty",
        "#max_qty",
        "#quantity",
        "#unit_price",
        "currency",
    ),
}
FORECAST_COLUMNS = [
    *(Column(k, f"forecast.col.{k}") for k in ("sku", "warehouse", "supplier", "demand_class", "model")),
    *(
        Column(k, f"forecast.col.{k}", "right")
        for k in (
            "mean_daily",
            "safety_stock",
            "reorder_point",
            "order_up_to",
            "position",
            "moq",
            "pack_size",
            "quantity",
        )
    ),
    Column("unit_price", "field.unit_price", "right"),
    Column("currency", "field.currency"),
]
"""The 按预测 table of the replenishment tab (:meth:`InventoryModel.fetch_forecast_suggestions`)."""


class InventoryView:
    """Every event of the tabs and filters is wired in :meth:`_wire`; the bars wire their own."""

    def __init__(self, model: InventoryModel) -> None:
        self.model = model
        self.ctx = model.ctx
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        warehouses = model.warehouses()
        self.tabs = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-inventory-tabs")
        shown = [k for k in TABS if model.can(TAB_PERMISSIONS.get(k, "stock.read"))]
        self.i18n.bind(self.tabs, "options", lambda lang: [(t(f"inventory.tab.{k}", lang), k) for k in shown])
        self.tabs.value = "levels"
        self.filters = self._build_filters(warehouses)
        self.grids = self._build_grids()
        self.transfers = TransferBar(model, self.grids["transfers"], warehouses)
        self.purchases = PurchaseBar(model, self.grids["orders"], warehouses)
        self.forecast_grid = classed(
            PagedGrid(
                self.i18n,
                self.alerts,
                model.fetch_forecast_suggestions,
                FORECAST_COLUMNS,
                key_column="id",
                muted_column=None,
                page_size=25,
            ),
            "ecerp-grid-replenish-forecast",
        )
        self.forecast_grid.layout.width = "100%"
        self.replenish = ReplenishBar(model, self.grids["replenish"], self.forecast_grid)
        self.bars = {"transfers": self.transfers, "orders": self.purchases, "replenish": self.replenish}
        self.action_box = w.Box()
        self.grid_box = w.Box([self.grids["levels"]], layout=w.Layout(width="100%"))
        self.move_hint = classed(self.i18n.bind(w.HTML(), "value", "inventory.move_hint"), "ecerp-muted")
        self.document = classed(w.HTML(), "ecerp-move-document")
        self.below_grid = w.VBox([self.move_hint, self.document])
        card = classed(w.VBox([self.filters, self.action_box, self.grid_box, self.below_grid]), "ecerp-card")
        page = w.VBox([w.HTML(STYLE + DOCUMENT_CSS), self.tabs, card])
        self.shell = AppShell(self.ctx, "app.inventory.title", page)
        for dropdown in (self.warehouse, self.move_type):  # "all", not a blank box
            dropdown.index = 0
        self._wire()
        self.switch({"new": "levels"})

    def _build_filters(self, warehouses: list[tuple[str, int]]) -> w.Widget:
        """The filters every tab shares; :data:`FILTERS_SHOWN` says which a tab shows."""
        i18n = self.i18n
        self.search = classed(w.Text(continuous_update=False, layout=w.Layout(width="240px")), "ecerp-search")
        i18n.bind(self.search, "placeholder", "app.filter.search_placeholder")
        self.warehouse = w.Dropdown(layout=w.Layout(width="170px"))
        i18n.bind(self.warehouse, "options", lambda lang: [(t("common.all", lang), None), *warehouses])
        self.below_min = w.Checkbox(indent=False, layout=w.Layout(width="auto"))
        i18n.bind(self.below_min, "description", "inventory.below_min")
        self.move_type = w.Dropdown(layout=w.Layout(width="150px"))
        i18n.bind(
            self.move_type,
            "options",
            lambda lang: [(t("common.all", lang), ""), *[(t(f"move_type.{m}", lang), m) for m in MOVE_TYPES]],
        )
        self.value_date = w.DatePicker(layout=w.Layout(width="170px"))
        labelled = [
            classed(w.HBox([i18n.bind(w.Label(), "value", key), widget]), "ecerp-labelled")
            for key, widget in (
                ("field.warehouse", self.warehouse),
                ("field.move_type", self.move_type),
                ("inventory.as_of", self.value_date),
            )
        ]
        return classed(
            w.HBox([self.search, labelled[0], self.below_min, labelled[1], labelled[2]]), "ecerp-filter-bar"
        )

    def _build_grids(self) -> dict[str, PagedGrid]:
        m = self.model
        fetch = {
            "levels": m.fetch_levels,
            "alerts": m.fetch_alerts,
            "transfers": m.fetch_transfers,
            "transit": m.fetch_transit,
            "moves": m.fetch_moves,
            "value": m.fetch_value,
            "orders": m.fetch_orders,
            "replenish": m.fetch_suggestions,
        }
        grids = {}
        for tab in TABS:
            grids[tab] = classed(
                PagedGrid(
                    self.i18n,
                    self.alerts,
                    fetch[tab],
                    COLUMNS[tab],
                    key_column="id",
                    muted_column=None,
                    page_size=25,
                ),
                f"ecerp-grid-{tab}",
            )
            grids[tab].layout.width = "100%"
        return grids

    def _wire(self) -> None:
        self.tabs.observe(self.switch, "value")
        self.grids["moves"].on_open(self.open_move)
        self.grids["transfers"].on_open(lambda key: self.open_document("transfer", key))
        self.grids["orders"].on_open(lambda key: self.open_document("purchase_order", key))
        for widget in (self.search, self.warehouse, self.below_min, self.move_type, self.value_date):
            widget.observe(self.apply_filters, "value")

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def switch(self, change) -> None:
        tab = change["new"]
        self.alerts.clear()
        self.grid_box.children = [self.replenish.panel if tab == "replenish" else self.grids[tab]]
        self.action_box.children = [self.bars[tab].box] if tab in self.bars else []
        self.below_grid.layout.display = "" if tab in DOCUMENT_TABS else "none"
        self.move_hint.layout.display = "" if tab == "moves" else "none"
        self.document.value = ""
        for widget, visible in zip(
            self.filters.children, FILTERS_SHOWN.get(tab, (0, 0, 0, 0, 0)), strict=True
        ):
            widget.layout.display = "" if visible else "none"
        self._refresh(tab)

    def _refresh(self, tab: str) -> None:
        if tab == "replenish":
            self.replenish.refresh()
        else:
            self.grids[tab].refresh(reset=True)

    @ui_action
    def open_move(self, move_id: str) -> None:
        """A move clicked: the document behind it, with its lines, under the history."""
        doc = self.model.move_document(move_id)
        lang = self.i18n.language
        if doc is None:
            self.document.value = f'<div class="ecerp-muted">{t("inventory.no_document", lang)}</div>'
        else:
            self.document.value = document_html(doc, lang)

    @ui_action
    def open_document(self, kind: str, key: str) -> None:
        """A transfer or purchase order clicked: its lines under the grid (the bar acts on it too)."""
        doc = self.model.document(kind, int(key))
        self.document.value = document_html(doc, self.i18n.language) if doc else ""

    @ui_action
    def apply_filters(self, _change=None) -> None:
        self.model.search = self.search.value.strip()
        self.model.warehouse_id = self.warehouse.value
        self.model.below_min = bool(self.below_min.value)
        self.model.move_type = self.move_type.value or None
        self.model.value_date = self.value_date.value
        self._refresh(self.tabs.value)


STYLE = """
<style>
.ecerp-inventory-tabs { margin-bottom: 14px; }
.ecerp-inventory-tabs .widget-toggle-button { padding: 0 16px; height: 34px; font-size: 14px; }
.ecerp-inventory-actions { gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 10px;
  padding-bottom: 10px; border-bottom: 1px solid #eef0f2; }
.ecerp-inventory-actions .widget-label { width: auto; color: #52606d; font-size: 13px; }
.ecerp-labelled { align-items: center; gap: 6px; }
.ecerp-labelled .widget-label { width: auto; min-width: 0; color: #52606d; font-size: 13px; }
.ecerp-inventory-lines { gap: 8px; align-items: center; flex-wrap: wrap; margin-top: 8px; }
.ecerp-inventory-lines .widget-label { width: auto; color: #52606d; font-size: 13px; }
.ecerp-line-chip { display: inline-block; padding: 2px 8px; margin-right: 4px; border-radius: 10px;
  background: #eef4fb; font-size: 12px; }
</style>
"""
