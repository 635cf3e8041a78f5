"""The Order Desk's shipping tools, hooked into the desk in one place: the edit and split cards under
the open order's detail (:attr:`ShipTools.side_cards`), and under the 待发货 queue a panel with the
packing bench and wave picking (:attr:`ShipTools.panel`). :meth:`ShipTools.attach` wires them to
the desk's view. The packing bench and the waves are built the first time 待发货 is shown: most
clerks open the desk for the review queue, and every widget costs page-opening time."""

from __future__ import annotations

import ipywidgets as w

from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.parts import classed, spaced
from widgets.order_desk.edit_card import EditCard
from widgets.order_desk.model import OrderDeskModel
from widgets.order_desk.packing_screen import PackingScreen
from widgets.order_desk.ship_model import ShipModel
from widgets.order_desk.split_card import SplitCard
from widgets.order_desk.waves_screen import WavesScreen

TOOLS = ("packing", "waves")
TOOLS_QUEUE = "to_ship"


class ShipTools:
    """Edit, split, packing and waves for the Order Desk."""

    def __init__(self, desk: OrderDeskModel) -> None:
        self.model = ShipModel(desk)
        self.alerts, self.i18n = desk.ctx.alerts, desk.ctx.i18n
        self.edit = EditCard(self.model)
        self.split = SplitCard(self.model)
        self.side_cards = [self.edit.card, self.split.card]
        self.packing: PackingScreen | None = None  # built with the tabs and waves when first shown
        self.waves: WavesScreen | None = None
        self.tabs: w.ToggleButtons | None = None
        self.panel = classed(spaced(w.VBox(layout=w.Layout(display="none")), 8), "ecerp-card")
        self.panel.add_class("ecerp-ship-tools")
        self.view = None

    def attach(self, view) -> None:
        """Follow the desk ``view``: the open order, the queue on screen, and redraw it after a change."""
        self.view = view
        # the detail is drawn whenever the open order changes (opened, a batch action, a refund)
        view.orders.detail.observe(lambda _change: self.show_order(), "value")
        view.queue_tabs.observe(lambda _change: self.queue_changed(), "value")
        self.edit.on_done(self.order_changed)
        self.split.on_done(self.order_changed)
        self.queue_changed()

    @ui_action
    def show_order(self) -> None:
        self.edit.show()
        self.split.show()

    def _build_bench(self) -> None:
        """The tool tabs, the packing bench and the waves (once)."""
        if self.packing is not None:
            return
        self.tabs = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-ship-tabs")
        self.i18n.bind(self.tabs, "options", lambda lang: [(t(f"ship.tools.{k}", lang), k) for k in TOOLS])
        self.tabs.value = "packing"
        self.tabs.observe(self.switch_tool, "value")
        self.packing = PackingScreen(self.model)
        self.waves = WavesScreen(self.model)
        self.waves.chosen = lambda: self.model.desk.target_ids(self.view.orders.scope.value)
        on_waves = self.tabs.value == "waves"
        self.packing.panel.layout.display = "none" if on_waves else "flex"
        self.waves.panel.layout.display = "flex" if on_waves else "none"
        self.panel.children = [self.tabs, self.packing.panel, self.waves.panel]

    @ui_action
    def queue_changed(self) -> None:
        shown = self.model.desk.queue == TOOLS_QUEUE
        if shown:
            self._build_bench()
        self.panel.layout.display = "flex" if shown else "none"
        if shown and self.tabs.value == "waves":
            self.waves.refresh()
        self.show_order()

    def order_changed(self) -> None:
        """An edit or a split changed the open order: its detail, the queue and these cards again."""
        self.view.orders.draw_detail()
        self.view.orders.grid.refresh()

    @ui_action
    def switch_tool(self, change) -> None:
        self._build_bench()
        self.packing.panel.layout.display = "flex" if change["new"] == "packing" else "none"
        self.waves.panel.layout.display = "flex" if change["new"] == "waves" else "none"
        if change["new"] == "waves":
            self.waves.refresh()


STYLE = """
<style>
/* on the desk's page from the start (the edit card's labels and the detail's tables use it too) */
.ecerp-ship-tools { margin-top: 16px; }
.ecerp-field-label { font-size: 12px; color: #52606d; margin: 0; }
.ecerp-field-label .widget-html-content { line-height: 18px; }
.ecerp-pack-scan input { font-size: 18px; height: 40px; }
.ecerp-pack-last div { font-size: 16px; padding: 8px 12px; border-radius: 6px; }
.ecerp-pack-ok { color: #1f5e2e; background: #e6f4ea; }
.ecerp-pack-done { color: #fff; background: #2e7d32; font-weight: 600; }
.ecerp-pack-error { color: #fff; background: #c62828; font-weight: 600; }
.ecerp-pack-table tr.ecerp-pack-row-done td { color: #1f5e2e; background: #f1f8f3; }
.ecerp-mini th { text-align: left; font-weight: 600; border-bottom: 1px solid #d9dde1; padding: 3px 4px; }
.ecerp-mini th.r { text-align: right; }
.ecerp-ship-tools .ecerp-mini td.r, .ecerp-ship-tools .ecerp-mini th.r { padding-right: 16px; }
.ecerp-wave-detail a { margin-left: 6px; color: #1a73e8; text-decoration: underline; font-weight: 400; }
</style>
"""
