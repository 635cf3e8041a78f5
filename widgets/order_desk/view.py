"""The Order Desk: queue tabs over two screens, the orders (:mod:`.orders_screen`, with the import
card, :mod:`.import_panel`) and the after-sales cases (:mod:`.cases_screen`, built the first time
its tab is shown: every widget costs page-opening time). This class only switches between them;
each screen wires its own events."""

from __future__ import annotations

import ipywidgets as w

from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.parts import classed
from widgets.common.shared import fixed, plain_style
from widgets.common.shell import AppShell
from widgets.order_desk.cases_screen import CasesScreen
from widgets.order_desk.import_panel import ImportPanel
from widgets.order_desk.model import OrderDeskModel
from widgets.order_desk.orders_screen import OrdersScreen
from widgets.order_desk.ship_tools import STYLE as SHIP_STYLE
from widgets.order_desk.ship_tools import ShipTools

QUEUE_TABS = ("review", "exceptions", "to_ship", "shipped", "aftersales", "all")
CASES_TAB = "aftersales"


class OrderDeskView:
    """The Order Desk's page: ``orders`` and ``cases`` are its screens, ``imports`` the import card."""

    def __init__(self, model: OrderDeskModel) -> None:
        self.model = model
        self.ctx = model.ctx
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        tabs = fixed(w.ToggleButtons, style=plain_style(w.ToggleButtons, button_width="auto"))
        self.queue_tabs = classed(tabs, "ecerp-queue-tabs")
        self.counts: dict[str, int] = {}
        self._relabelling = False
        self.update_counts()
        self.imports = ImportPanel(model)
        self.tools = ShipTools(model)  # edit and split cards, packing bench, waves
        if not self.ctx.actor.can("orders.import"):  # an analyst reads the desk, imports nothing
            self.imports.card.layout.display = "none"
        self.orders = OrdersScreen(model, beside=[*self.tools.side_cards, self.imports.card])
        self.cases: CasesScreen | None = None  # built when its tab is first shown
        self.cases_slot = fixed(w.VBox)
        parts = [self.queue_tabs, self.orders.panel, self.tools.panel, self.cases_slot]
        body = fixed(w.VBox, children=[fixed(w.HTML, value=STYLE + SHIP_STYLE), *parts])
        self.shell = AppShell(self.ctx, "app.order_desk.title", body)
        self.queue_tabs.observe(self.switch_queue, "value")
        self.imports.on_done(self.orders.grid.refresh)
        self.imports.on_done(self.update_counts)
        self.orders.on_changed(self.update_counts)
        self.i18n.on_change(self._relabel)
        self._show_screen()
        self.tools.attach(self)

    @ui_action
    def update_counts(self) -> None:
        """The queue tabs with their to-do counts (待审核 (12)), the queue on screen kept."""
        self.counts = self.model.queue_counts()
        self._draw_tabs()

    def _draw_tabs(self) -> None:
        lang = self.i18n.language
        labels = [
            (
                f"{t(f'orders.queue.{q}', lang)} ({self.counts[q]:,})"
                if q in self.counts
                else t(f"orders.queue.{q}", lang),
                q,
            )
            for q in QUEUE_TABS
        ]
        self._relabelling = True  # new options reset the value: put it back without switching queues
        try:
            self.queue_tabs.options = labels
            self.queue_tabs.value = self.model.queue
        finally:
            self._relabelling = False

    @ui_action
    def switch_queue(self, change) -> None:
        if self._relabelling:
            return
        self.model.select_queue(change["new"])
        self.alerts.clear()
        self.orders.queue_changed()
        self._show_screen()

    def _cases(self) -> CasesScreen:
        if self.cases is None:
            self.cases = CasesScreen(self.model)
            self.cases.on_changed(self.update_counts)
            self.cases_slot.children = [self.cases.panel]
        return self.cases

    def _show_screen(self) -> None:
        on_cases = self.model.queue == CASES_TAB
        shown = self._cases() if on_cases else self.orders
        hidden = self.orders if on_cases else self.cases
        if hidden is not None:
            hidden.panel.layout.display = "none"
        shown.panel.layout.display = "flex"
        shown.refresh()

    def _relabel(self, _lang: str) -> None:
        """Statuses, kinds and reasons in the rows are translated when fetched: fetch again."""
        self._draw_tabs()
        if self.cases is not None:
            self.cases.show_actions()
        (self.cases.grid if self.model.queue == CASES_TAB else self.orders.grid).refresh()


STYLE = """
<style>
.ecerp-queue-tabs { margin-bottom: 12px; }
.ecerp-queue-tabs .widget-toggle-button { padding: 0 16px; height: 34px; font-size: 14px; }
.ecerp-order-filters { gap: 8px; flex-wrap: wrap; margin-bottom: 8px; align-items: flex-end; }
.ecerp-order-filters .widget-html { font-size: 12px; color: #52606d; margin: 0; }
.ecerp-detail .ecerp-kv { font-size: 13px; line-height: 1.7; color: #3e4c59; }
.ecerp-detail .ecerp-reason { margin: 6px 0; color: #8a1f1f; background: #fdecec; \
border-radius: 6px; padding: 4px 8px; }
.ecerp-subtitle { font-weight: 600; margin: 10px 0 4px; font-size: 13px; }
.ecerp-mini { border-collapse: collapse; width: 100%; font-size: 12px; }
.ecerp-mini td { border-bottom: 1px solid #eef0f2; padding: 3px 4px; vertical-align: top; }
.ecerp-mini td.r { text-align: right; }
.ecerp-actions .widget-button { width: auto; padding: 0 14px; }
.ecerp-actions, .ecerp-scope { margin-bottom: 6px; }
.ecerp-case-actions .widget-button { width: auto; padding: 0 14px; }
.ecerp-case-receive { margin-top: 8px; flex-wrap: wrap; }
.ecerp-sku-hint { font-size: 12px; color: #52606d; line-height: 1.5; }
.ecerp-skipped table { border-collapse: collapse; font-size: 12px; margin-top: 4px; }
.ecerp-skipped td, .ecerp-skipped th { border-bottom: 1px solid #eef0f2; padding: 3px 8px; text-align: left; }
.ecerp-case-receive .widget-html { font-size: 13px; color: #52606d; }
.ecerp-case-queue { margin-bottom: 0; }
.ecerp-rejected { font-size: 12px; color: #8a1f1f; max-height: 200px; overflow: auto; }
.ecerp-import-warnings { font-size: 12px; color: #7a5200; max-height: 200px; overflow: auto; }
.ecerp-rejected-title, .ecerp-import-warnings-title { font-size: 12px; font-weight: 600; margin-top: 6px; }
.ecerp-rejected-title { color: #8a1f1f; }
.ecerp-import-warnings-title { color: #7a5200; }
</style>
"""
