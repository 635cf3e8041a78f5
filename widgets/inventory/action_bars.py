"""The bars above the Inventory tabs that act: transfers, purchase orders, replenishment.

Each bar owns its inputs, buttons and handlers, and acts on the row last clicked in its tab's grid.
A role without the permission a bar's writes need does not see the bar (the services refuse anyway).
"""

from __future__ import annotations

import html
from decimal import Decimal

import ipywidgets as w

from ecerp_core.errors import ValidationError, problem
from ecerp_core.i18n import t
from ecerp_core.money import parse_decimal
from widgets.common.actions import ui_action
from widgets.common.grid import PagedGrid
from widgets.common.parts import button, classed
from widgets.inventory.model import InventoryModel

MAX_QTY = 10**7


class ActionBar:
    """A bar of inputs and buttons over ``grid``; ``picked`` is the key of the row last clicked.
    Shown only to a role that may do :attr:`permission` (None: the bar hides its buttons itself)."""

    permission: str | None = None

    def __init__(self, model: InventoryModel, grid: PagedGrid) -> None:
        self.model, self.grid = model, grid
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        self.picked: str | None = None
        grid.on_open(self._pick)
        self.box = classed(w.HBox(), "ecerp-inventory-actions")
        if self.permission and not model.can(self.permission):
            self.box.layout.display = "none"

    def _pick(self, key: str) -> None:
        self.picked = key

    def _picked(self) -> int | None:
        if not self.picked:
            self.alerts.error(self.i18n.t("inventory.pick_row"))
            return None
        return int(self.picked)

    def _show_new(self, key: int) -> None:
        """Redraw the grid with the document just made picked, so the next button acts on it."""
        self.grid.refresh()
        self.grid.select(str(key))
        self.picked = str(key)

    def _label(self, key: str) -> w.Label:
        return self.i18n.bind(w.Label(), "value", key)

    def _button(self, key: str, icon: str, css: str) -> w.Button:
        return button(self.i18n, key, css, icon=icon, width="auto")


class LineEditor:
    """The lines of a new document: SKU, quantity (and unit price) with labels, 加一行 to keep a line
    and start the next; :meth:`lines` is every kept line plus the one being typed."""

    def __init__(self, i18n, alerts, css: str, *, priced: bool = False) -> None:
        self.i18n, self.alerts = i18n, alerts
        self.kept: list[tuple] = []
        self.sku = classed(w.Text(layout=w.Layout(width="140px")), f"{css}-sku")
        i18n.bind(self.sku, "placeholder", "field.sku")
        self.qty = classed(
            w.BoundedIntText(value=1, min=1, max=MAX_QTY, layout=w.Layout(width="90px")), f"{css}-qty"
        )
        self.price = classed(w.Text(value="0.00", layout=w.Layout(width="90px")), f"{css}-price")
        self.add_button = button(i18n, "inventory.add_line", f"{css}-add", icon="plus", width="auto")
        self.clear_button = button(i18n, "inventory.clear_lines", f"{css}-clear", icon="eraser", width="auto")
        self.shown = classed(w.HTML(), f"{css}-lines")
        parts = [self._label("field.sku"), self.sku, self._label("field.quantity"), self.qty]
        if priced:
            parts += [self._label("field.unit_price"), self.price]
        self.priced = priced
        self.box = classed(
            w.HBox([*parts, self.add_button, self.clear_button, self.shown]), "ecerp-inventory-lines"
        )
        self.add_button.on_click(self.add_line)
        self.clear_button.on_click(self.clear)

    def _label(self, key: str) -> w.Label:
        return self.i18n.bind(w.Label(), "value", key)

    def _typed(self) -> tuple | None:
        sku = self.sku.value.strip()
        if not sku:
            return None
        if self.priced:
            return (sku, int(self.qty.value), _decimal(self.price.value, "unit_price"))
        return (sku, int(self.qty.value))

    @ui_action
    def add_line(self, _button=None) -> None:
        typed = self._typed()
        if typed is None:
            raise ValidationError([problem("sku", "required")])
        self.kept.append(typed)
        self.sku.value, self.qty.value = "", 1
        self._show()

    @ui_action
    def clear(self, _button=None) -> None:
        self.kept = []
        self._show()

    def lines(self) -> list[tuple]:
        """Every line of the new document; none at all is a problem on ``sku``."""
        typed = self._typed()
        found = [*self.kept, *([typed] if typed else [])]
        if not found:
            raise ValidationError([problem("sku", "required")])
        return found

    def done(self) -> None:
        """The document was made: start afresh."""
        self.kept = []
        self.sku.value, self.qty.value = "", 1
        self._show()

    def _show(self) -> None:
        self.shown.value = " ".join(
            f'<span class="ecerp-line-chip">{html.escape(line[0])} × {line[1]}</span>' for line in self.kept
        )


class TransferBar(ActionBar):
    """Ship goods to another warehouse (one line or several); receive, or close short, the transfer
    picked."""

    permission = "stock.move"

    def __init__(self, model: InventoryModel, grid: PagedGrid, warehouses: list[tuple[str, int]]) -> None:
        super().__init__(model, grid)
        self.from_wh = classed(
            w.Dropdown(options=warehouses, layout=w.Layout(width="150px")), "ecerp-tr-from"
        )
        self.to_wh = classed(
            w.Dropdown(options=warehouses[1:] + warehouses[:1], layout=w.Layout(width="150px")), "ecerp-tr-to"
        )
        self.editor = LineEditor(self.i18n, self.alerts, "ecerp-action")
        self.sku, self.qty = self.editor.sku, self.editor.qty
        self.ship_button = self._button("inventory.transfer_ship", "truck", "ecerp-transfer-ship")
        self.receive_button = self._button("inventory.receive", "download", "ecerp-transfer-receive")
        self.close_button = self._button("inventory.close_short", "times", "ecerp-transfer-close")
        top = w.HBox(
            [
                self._label("field.from_warehouse"),
                self.from_wh,
                self._label("field.to_warehouse"),
                self.to_wh,
                self.ship_button,
                self.receive_button,
                self.close_button,
            ]
        )
        self.box.children = [w.VBox([top, self.editor.box])]
        self.ship_button.on_click(self.ship_transfer)
        self.receive_button.on_click(self.receive_transfer)
        self.close_button.on_click(self.close_transfer)

    @ui_action
    def ship_transfer(self, _button=None) -> None:
        tid = self.model.transfer(self.from_wh.value, self.to_wh.value, self.editor.lines())
        self.editor.done()
        self._show_new(tid)
        self.alerts.success(self.i18n.t("inventory.transfer_shipped"))

    @ui_action
    def receive_transfer(self, _button=None, *, close: bool = False) -> None:
        tid = self._picked()
        if tid is not None:
            self.model.receive_transfer(tid, close=close)
            self.grid.refresh()
            self.alerts.success(self.i18n.t("inventory.closed" if close else "inventory.received"))

    @ui_action
    def close_transfer(self, _button=None) -> None:
        self.receive_transfer(close=True)


class PurchaseBar(ActionBar):
    """Order from a supplier (one line or several); confirm, or receive with its landed cost, the order
    picked."""

    permission = "purchasing.write"

    def __init__(self, model: InventoryModel, grid: PagedGrid, warehouses: list[tuple[str, int]]) -> None:
        super().__init__(model, grid)
        self.supplier = classed(
            w.Dropdown(options=model.suppliers(), layout=w.Layout(width="230px")), "ecerp-po-supplier"
        )
        self.warehouse = classed(
            w.Dropdown(options=warehouses, layout=w.Layout(width="150px")), "ecerp-po-warehouse"
        )
        self.editor = LineEditor(self.i18n, self.alerts, "ecerp-po", priced=True)
        self.sku, self.qty, self.price = self.editor.sku, self.editor.qty, self.editor.price
        self.landed = classed(w.Text(value="0.00", layout=w.Layout(width="90px")), "ecerp-po-landed")
        self.i18n.bind(self.landed, "tooltip", "field.landed_cost")
        self.new_button = self._button("inventory.new_po", "plus", "ecerp-po-new")
        self.confirm_button = self._button("inventory.confirm_po", "check", "ecerp-po-confirm")
        self.receive_button = self._button("inventory.receive_po", "download", "ecerp-po-receive")
        top = w.HBox(
            [
                self._label("field.supplier"),
                self.supplier,
                self._label("field.warehouse"),
                self.warehouse,
                self.new_button,
                self.confirm_button,
                self._label("field.landed_cost"),
                self.landed,
                self.receive_button,
            ]
        )
        self.box.children = [w.VBox([top, self.editor.box])]
        self.new_button.on_click(self.new_order)
        self.confirm_button.on_click(self.confirm_order)
        self.receive_button.on_click(self.receive_order)

    @ui_action
    def new_order(self, _button=None) -> None:
        po = self.model.create_order(self.supplier.value, self.warehouse.value, self.editor.lines())
        self.editor.done()
        self._show_new(po)
        self.alerts.success(self.i18n.t("inventory.po_created"))

    @ui_action
    def confirm_order(self, _button=None) -> None:
        po = self._picked()
        if po is not None:
            self.model.confirm_order(po)
            self.grid.refresh()
            self.alerts.success(self.i18n.t("inventory.po_confirmed"))

    @ui_action
    def receive_order(self, _button=None) -> None:
        po = self._picked()
        if po is not None:
            units = self.model.receive_order(po, _decimal(self.landed.value, "landed_cost"))
            self.grid.refresh()
            self.alerts.success(self.i18n.t("inventory.po_received", units=units))


class ReplenishBar(ActionBar):
    """Replenishment two ways, side by side behind a toggle: the min/max suggestions (every current
    one becomes draft purchase orders) and 按预测, the forecast-based ones, computed only when the
    buyer presses 计算预测 (the app opens without paying for a forecast). Anybody who may read the
    suggestions sees them; only a buyer (``purchasing.write``) sees the buttons that order them."""

    def __init__(self, model: InventoryModel, grid: PagedGrid, forecast_grid: PagedGrid) -> None:
        super().__init__(model, grid)
        self.forecast_grid = forecast_grid
        forecasting = model.can("forecast.run")
        self.method = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-replenish-method")
        self.i18n.bind(
            self.method,
            "options",
            lambda lang: [
                (t("inventory.replenish.minmax", lang), "minmax"),
                (t("inventory.replenish.forecast", lang), "forecast"),
            ],
        )
        self.method.value = "minmax"
        self.method.layout.display = "" if forecasting else "none"
        self.suggest_button = self._button("inventory.order_suggestions", "cart-plus", "ecerp-suggest-order")
        self.compute_button = self._button(
            "inventory.forecast_compute", "line-chart", "ecerp-forecast-compute"
        )
        self.with_ml = classed(w.Checkbox(indent=False, layout=w.Layout(width="auto")), "ecerp-forecast-ml")
        self.i18n.bind(self.with_ml, "description", "inventory.forecast_ml")
        self.forecast_order_button = self._button(
            "inventory.forecast_order", "cart-plus", "ecerp-forecast-order"
        )
        if not model.can("purchasing.write"):
            self.suggest_button.layout.display = self.forecast_order_button.layout.display = "none"
        self.hint = classed(self.i18n.bind(w.HTML(), "value", "inventory.forecast_hint"), "ecerp-muted")
        self.minmax_part = w.HBox([self.suggest_button])
        self.forecast_part = w.HBox([self.compute_button, self.with_ml, self.forecast_order_button])
        self.box.children = [self.method, self.minmax_part, self.forecast_part]
        self.panel = w.VBox([grid, self.hint, forecast_grid], layout=w.Layout(width="100%"))
        self.suggest_button.on_click(self.order_suggestions)
        self.compute_button.on_click(self.compute)
        self.forecast_order_button.on_click(self.order_forecast)
        self.method.observe(self.show_method, "value")
        self._show_parts()

    @property
    def by_forecast(self) -> bool:
        return self.method.value == "forecast"

    @ui_action
    def show_method(self, _change=None) -> None:
        self._show_parts()
        self.refresh()

    def _show_parts(self) -> None:
        on = self.by_forecast
        self.minmax_part.layout.display = "none" if on else ""
        self.grid.layout.display = "none" if on else ""
        for part in (self.forecast_part, self.hint, self.forecast_grid):
            part.layout.display = "" if on else "none"

    def refresh(self) -> None:
        """Redraw the table of the method shown (the forecast's rows are in memory: no new forecast)."""
        (self.forecast_grid if self.by_forecast else self.grid).refresh(reset=True)

    @ui_action
    def order_suggestions(self, _button=None) -> None:
        ids = self.model.order_suggestions()
        self.grid.refresh(reset=True)
        self.alerts.success(self.i18n.t("inventory.suggestions_ordered", count=len(ids)))

    @ui_action
    def compute(self, _button=None) -> None:
        self.model.forecast_ml = bool(self.with_ml.value)
        count = self.model.compute_forecast()
        self.forecast_grid.refresh(reset=True)
        self.alerts.success(self.i18n.t("inventory.forecast_done", count=count))

    @ui_action
    def order_forecast(self, _button=None) -> None:
        if self.model.forecast_lines is None:
            self.alerts.error(self.i18n.t("inventory.forecast_first"))
            return
        ids = self.model.order_forecast_suggestions()
        self.forecast_grid.refresh(reset=True)
        self.alerts.success(self.i18n.t("inventory.suggestions_ordered", count=len(ids)))


def _decimal(text: str, field: str) -> Decimal:
    """A typed amount, zero when blank; a negative or unreadable one is a problem on ``field``."""
    try:
        value = parse_decimal(text) if text.strip() else Decimal(0)
    except ValueError:
        value = Decimal(-1)
    if value < 0:
        raise ValidationError([problem(field, "not_a_number", value=text)])
    return value
