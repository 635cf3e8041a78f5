"""Inventory's widgets: one tab per view of the stock, each a paged grid with its own actions."""

from __future__ import annotations

from decimal import Decimal

import ipywidgets as w

from ecerp_core.i18n import t
from ecerp_core.money import parse_decimal
from ecerp_core.stock.models import MOVE_TYPES
from widgets.common.actions import ui_action
from widgets.common.grid import Column, PagedGrid
from widgets.common.shell import AppShell
from widgets.inventory.model import InventoryModel

TABS = ("levels", "alerts", "transfers", "moves", "value", "orders", "replenish")


def _cols(*spec: str) -> list[Column]:
    """``"sku"`` → a text column; ``"#on_hand"`` → a right-aligned number; ``"!status"`` → a choice."""
    out = []
    for s in spec:
        key = s.lstrip("#!")
        label = f"field.{key}" if not key.startswith("inv.") else key
        out.append(Column(key, label, "right" if s[0] == "#" else "left", choice=s[0] == "!"))
    return out


class InventoryView:
    """Every event is wired in :meth:`_wire`; every handler is a ui_action."""

    def __init__(self, model: InventoryModel) -> None:
        self.model = model
        self.ctx = model.ctx
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        i18n = self.i18n
        warehouses = model.warehouses()

        self.tabs = w.ToggleButtons(style={"button_width": "auto"})
        i18n.bind(self.tabs, "options", lambda lang: [(t(f"inventory.tab.{k}", lang), k) for k in TABS])
        self.tabs.value = "levels"
        self.tabs.add_class("ecerp-inventory-tabs")

        # shared filters
        self.search = w.Text(continuous_update=False, layout=w.Layout(width="240px"))
        self.search.add_class("ecerp-search")
        i18n.bind(self.search, "placeholder", "app.filter.search_placeholder")
        self.warehouse = w.Dropdown(layout=w.Layout(width="170px"))
        i18n.bind(self.warehouse, "options", lambda lang: [(t("common.all", lang), None), *warehouses])
        self.below_min = w.Checkbox(indent=False, layout=w.Layout(width="auto"))
        i18n.bind(self.below_min, "description", "inventory.below_min")
        self.move_type = w.Dropdown(layout=w.Layout(width="150px"))
        i18n.bind(self.move_type, "options",
                  lambda lang: [(t("common.all", lang), ""), *[(t(f"move_type.{m}", lang), m) for m in MOVE_TYPES]])  # fmt: skip
        self.value_date = w.DatePicker(layout=w.Layout(width="170px"))
        self.filters = w.HBox([self.search, self.warehouse, self.below_min, self.move_type, self.value_date])
        self.filters.add_class("ecerp-filter-bar")

        grid = lambda fetch, cols, key="id": PagedGrid(i18n, self.alerts, fetch, cols, key_column=key,  # noqa: E731
                                                       muted_column=None, page_size=25)  # fmt: skip
        self.grids = {
            "levels": grid(
                model.fetch_levels,
                _cols(
                    "sku",
                    "name_zh",
                    "warehouse",
                    "location",
                    "#on_hand",
                    "#reserved",
                    "#available",
                    "#min_qty",
                    "#max_qty",
                    "#unit_cost",
                    "#value",
                ),
            ),
            "alerts": grid(
                model.fetch_alerts,
                _cols(
                    "!kind",
                    "sku",
                    "name_zh",
                    "warehouse",
                    "#available",
                    "#min_qty",
                    "#max_qty",
                    "#daily_sales",
                    "#days_of_cover",
                ),
            ),
            "transfers": grid(
                model.fetch_transfers, _cols("number", "from_warehouse", "to_warehouse", "!status", "note")
            ),
            "moves": grid(
                model.fetch_moves,
                _cols(
                    "business_date",
                    "sku",
                    "name_zh",
                    "warehouse",
                    "!move_type",
                    "#quantity",
                    "#unit_cost",
                    "#value",
                    "note",
                ),
            ),
            "value": grid(model.fetch_value, _cols("warehouse", "category", "#quantity", "#value")),
            "orders": grid(
                model.fetch_orders,
                _cols(
                    "number", "supplier", "warehouse", "!status", "currency", "#total_amount", "expected_date"
                ),
            ),
            "replenish": grid(
                model.fetch_suggestions,
                _cols(
                    "sku",
                    "warehouse",
                    "supplier",
                    "#projected",
                    "#min_qty",
                    "#max_qty",
                    "#quantity",
                    "#unit_price",
                    "currency",
                ),
            ),
        }
        for key, g in self.grids.items():
            g.add_class(f"ecerp-grid-{key}")
            g.layout.width = "100%"
        self.selected: dict[str, str] = {}

        # actions per tab
        self.from_wh = w.Dropdown(options=warehouses, layout=w.Layout(width="150px"))
        self.to_wh = w.Dropdown(options=warehouses[1:] + warehouses[:1], layout=w.Layout(width="150px"))
        self.sku = w.Text(layout=w.Layout(width="140px"))
        self.sku.add_class("ecerp-action-sku")
        i18n.bind(self.sku, "placeholder", "field.sku")
        self.qty = w.BoundedIntText(value=1, min=1, max=10**7, layout=w.Layout(width="90px"))
        self.qty.add_class("ecerp-action-qty")
        self.transfer_button = self._button("inventory.transfer_ship", "truck", "ecerp-transfer-ship")
        self.receive_transfer_button = self._button("inventory.receive", "download", "ecerp-transfer-receive")
        self.close_transfer_button = self._button("inventory.close_short", "times", "ecerp-transfer-close")
        self.supplier = w.Dropdown(options=model.suppliers(), layout=w.Layout(width="170px"))
        self.supplier.add_class("ecerp-po-supplier")
        self.price = w.Text(value="0.00", layout=w.Layout(width="90px"))
        self.price.add_class("ecerp-po-price")
        self.landed = w.Text(value="0.00", layout=w.Layout(width="90px"))
        self.landed.add_class("ecerp-po-landed")
        i18n.bind(self.landed, "tooltip", "field.landed_cost")
        self.po_warehouse = w.Dropdown(options=warehouses, layout=w.Layout(width="150px"))
        self.po_warehouse.add_class("ecerp-po-warehouse")
        self.po_sku = w.Text(layout=w.Layout(width="140px"))
        self.po_sku.add_class("ecerp-po-sku")
        i18n.bind(self.po_sku, "placeholder", "field.sku")
        self.po_qty = w.BoundedIntText(value=1, min=1, max=10**7, layout=w.Layout(width="90px"))
        self.po_qty.add_class("ecerp-po-qty")
        self.po_button = self._button("inventory.new_po", "plus", "ecerp-po-new")
        self.confirm_button = self._button("inventory.confirm_po", "check", "ecerp-po-confirm")
        self.receive_po_button = self._button("inventory.receive_po", "download", "ecerp-po-receive")
        self.suggest_button = self._button("inventory.order_suggestions", "cart-plus", "ecerp-suggest-order")
        label = lambda key: i18n.bind(w.Label(), "value", key)  # noqa: E731
        self.actions = {
            "transfers": w.HBox(
                [
                    label("field.from_warehouse"),
                    self.from_wh,
                    label("field.to_warehouse"),
                    self.to_wh,
                    self.sku,
                    self.qty,
                    self.transfer_button,
                    self.receive_transfer_button,
                    self.close_transfer_button,
                ]
            ),
            "orders": w.HBox(
                [
                    self.supplier,
                    self.po_warehouse,
                    self.po_sku,
                    self.po_qty,
                    label("field.unit_price"),
                    self.price,
                    self.po_button,
                    self.confirm_button,
                    label("field.landed_cost"),
                    self.landed,
                    self.receive_po_button,
                ]
            ),
            "replenish": w.HBox([self.suggest_button]),
        }
        for box in self.actions.values():
            box.add_class("ecerp-inventory-actions")
        self.action_box = w.Box()
        self.grid_box = w.Box([self.grids["levels"]], layout=w.Layout(width="100%"))
        card = w.VBox([self.filters, self.action_box, self.grid_box])
        card.add_class("ecerp-card")
        body = w.VBox([w.HTML(STYLE), self.tabs, card])
        self.shell = AppShell(self.ctx, "app.inventory.title", body)
        for dropdown in (self.warehouse, self.move_type):  # "all", not a blank box
            dropdown.index = 0
        self._wire()
        self.switch({"new": "levels"})

    def _button(self, key: str, icon: str, css: str) -> w.Button:
        button = w.Button(icon=icon, layout=w.Layout(width="auto"))
        button.add_class(css)
        self.i18n.bind(button, "description", key)
        return button

    def _wire(self) -> None:
        self.tabs.observe(self.switch, "value")
        for widget in (self.search, self.warehouse, self.below_min, self.move_type, self.value_date):
            widget.observe(self.apply_filters, "value")
        for key, g in self.grids.items():
            g.on_open(lambda row, key=key: self.selected.__setitem__(key, row))
        self.transfer_button.on_click(self.ship_transfer)
        self.receive_transfer_button.on_click(self.receive_transfer)
        self.close_transfer_button.on_click(self.close_transfer)
        self.po_button.on_click(self.new_order)
        self.confirm_button.on_click(self.confirm_order)
        self.receive_po_button.on_click(self.receive_order)
        self.suggest_button.on_click(self.order_suggestions)

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def switch(self, change) -> None:
        tab = change["new"]
        self.alerts.clear()
        self.grid_box.children = [self.grids[tab]]
        self.action_box.children = [self.actions[tab]] if tab in self.actions else []
        show = {"levels": (1, 1, 1, 0, 0), "alerts": (0, 1, 0, 0, 0), "moves": (1, 1, 0, 1, 0),
                "value": (0, 0, 0, 0, 1), "replenish": (0, 1, 0, 0, 0)}.get(tab, (0, 0, 0, 0, 0))  # fmt: skip
        for widget, visible in zip(self.filters.children, show, strict=True):
            widget.layout.display = "" if visible else "none"
        self.grids[tab].refresh(reset=True)

    @ui_action
    def apply_filters(self, _change=None) -> None:
        self.model.search = self.search.value.strip()
        self.model.warehouse_id = self.warehouse.value
        self.model.below_min = bool(self.below_min.value)
        self.model.move_type = self.move_type.value or None
        self.model.value_date = self.value_date.value
        self.grids[self.tabs.value].refresh(reset=True)

    def _picked(self, tab: str) -> int | None:
        key = self.selected.get(tab)
        if not key:
            self.alerts.error(self.i18n.t("inventory.pick_row"))
            return None
        return int(key)

    @ui_action
    def ship_transfer(self, _button=None) -> None:
        tid = self.model.transfer(self.from_wh.value, self.to_wh.value, self.sku.value, int(self.qty.value))
        self.grids["transfers"].refresh()
        self.grids["transfers"].select(str(tid))
        self.selected["transfers"] = str(tid)
        self.alerts.success(self.i18n.t("inventory.transfer_shipped"))

    @ui_action
    def receive_transfer(self, _button=None, *, close: bool = False) -> None:
        tid = self._picked("transfers")
        if tid is not None:
            self.model.receive_transfer(tid, close=close)
            self.grids["transfers"].refresh()
            self.alerts.success(self.i18n.t("inventory.closed" if close else "inventory.received"))

    @ui_action
    def close_transfer(self, _button=None) -> None:
        self.receive_transfer(close=True)

    def _decimal(self, text: str, field: str) -> Decimal:
        try:
            value = parse_decimal(text) if text.strip() else Decimal(0)
        except ValueError:
            value = Decimal(-1)
        if value < 0:
            from ecerp_core.errors import ValidationError, problem

            raise ValidationError([problem(field, "not_a_number", value=text)])
        return value

    @ui_action
    def new_order(self, _button=None) -> None:
        po = self.model.create_order(self.supplier.value, self.po_warehouse.value, self.po_sku.value, int(self.po_qty.value),
                                     self._decimal(self.price.value, "unit_price"))  # fmt: skip
        self.grids["orders"].refresh()
        self.grids["orders"].select(str(po))
        self.selected["orders"] = str(po)
        self.alerts.success(self.i18n.t("inventory.po_created"))

    @ui_action
    def confirm_order(self, _button=None) -> None:
        po = self._picked("orders")
        if po is not None:
            self.model.confirm_order(po)
            self.grids["orders"].refresh()
            self.alerts.success(self.i18n.t("inventory.po_confirmed"))

    @ui_action
    def receive_order(self, _button=None) -> None:
        po = self._picked("orders")
        if po is not None:
            units = self.model.receive_order(po, self._decimal(self.landed.value, "landed_cost"))
            self.grids["orders"].refresh()
            self.alerts.success(self.i18n.t("inventory.po_received", units=units))

    @ui_action
    def order_suggestions(self, _button=None) -> None:
        ids = self.model.order_suggestions()
        self.grids["replenish"].refresh(reset=True)
        self.alerts.success(self.i18n.t("inventory.suggestions_ordered", count=len(ids)))


STYLE = """
<style>
.ecerp-inventory-tabs { margin-bottom: 14px; }
.ecerp-inventory-tabs .widget-toggle-button { padding: 0 16px; height: 34px; font-size: 14px; }
.ecerp-inventory-actions { gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 10px;
  padding-bottom: 10px; border-bottom: 1px solid #eef0f2; }
.ecerp-inventory-actions .widget-label { width: auto; color: #52606d; font-size: 13px; }
</style>
"""
