"""The Order Desk's after-sales screen: the case queue, the open case's detail and what may be done
with it next. Every event is wired in :meth:`CasesScreen._wire`; handlers are ui_actions."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.grid import PagedGrid
from widgets.common.parts import button, classed, spaced
from widgets.order_desk.model import CASE_COLUMNS, OrderDeskModel
from widgets.order_desk.render import case_html

CASE_QUEUES = ("open", "all")
CASE_ACTIONS = ("approve", "receive", "complete", "reject", "close")


class CasesScreen:
    """The after-sales tab."""

    def __init__(self, model: OrderDeskModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        i18n = self.i18n
        self.queue = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-case-queue")
        i18n.bind(
            self.queue, "options", lambda lang: [(t(f"orders.case.queue.{q}", lang), q) for q in CASE_QUEUES]
        )
        self.queue.value = "open"
        self.search = classed(
            w.Text(continuous_update=False, layout=w.Layout(width="240px")), "ecerp-case-search"
        )
        i18n.bind(self.search, "placeholder", "orders.filter.search")
        self.grid = PagedGrid(
            i18n,
            self.alerts,
            model.fetch_cases,
            list(CASE_COLUMNS),
            key_column="id",
            muted_column=None,
            page_size=50,
            export_name="cases",
        )
        tools = spaced(
            w.HBox([self.queue, self.search], layout=w.Layout(align_items="center", flex_flow="row wrap")), 12
        )
        list_card = classed(
            w.VBox([tools, self.grid], layout=w.Layout(width="100%", min_width="0")), "ecerp-card"
        )
        self.detail = classed(w.HTML(), "ecerp-case-detail")
        i18n.bind(self.detail, "value", lambda lang: case_html(self.model.case, lang))
        side = w.VBox(
            [classed(w.VBox([self.detail, self._build_actions()]), "ecerp-card")],
            layout=w.Layout(flex="0 0 440px", width="440px"),
        )
        self.panel = classed(
            spaced(
                w.HBox(
                    [w.VBox([list_card], layout=w.Layout(flex="1 1 0", min_width="0")), side],
                    layout=w.Layout(align_items="flex-start", display="none"),
                ),
                16,
            ),
            "ecerp-cases-panel",
        )
        self.warehouse.index = 0 if self.warehouse.options else None
        self._changed_callbacks: list[Callable[[], None]] = []
        self._wire()

    def on_changed(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when a case moved (the open cases' count changes)."""
        self._changed_callbacks.append(callback)

    def _build_actions(self) -> w.Widget:
        """The action card: the case's buttons and note, and where returned goods go."""
        i18n, model = self.i18n, self.model
        self.buttons = {
            a: button(
                i18n,
                f"orders.case.action.{a}",
                f"ecerp-case-{a}",
                style="primary" if a in ("approve", "receive", "complete") else "",
            )
            for a in CASE_ACTIONS
        }
        self.warehouse = classed(w.Dropdown(layout=w.Layout(width="190px")), "ecerp-case-warehouse")
        i18n.bind(self.warehouse, "options", lambda lang: model.warehouses())
        self.condition = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-case-condition")
        i18n.bind(
            self.condition,
            "options",
            lambda lang: [(t(f"orders.case.condition.{c}", lang), c) for c in ("sellable", "damaged")],
        )
        self.condition.value = "sellable"
        self.note = classed(w.Text(layout=w.Layout(width="200px")), "ecerp-case-note")
        i18n.bind(self.note, "placeholder", "orders.action.reason")
        self.receive_box = classed(
            spaced(
                w.HBox(
                    [i18n.bind(w.HTML(), "value", "orders.case.warehouse"), self.warehouse, self.condition],
                    layout=w.Layout(align_items="center"),
                ),
                8,
            ),
            "ecerp-case-receive",
        )
        self.actions_box = classed(
            spaced(w.HBox(layout=w.Layout(flex_flow="row wrap", align_items="center")), 6),
            "ecerp-case-actions",
        )
        self.lines_title = i18n.bind(classed(w.HTML(), "ecerp-subtitle"), "value", "orders.case.lines_back")
        self.lines_box = classed(spaced(w.VBox(), 4), "ecerp-case-lines")
        self.lines_card = w.VBox([self.lines_title, self.lines_box])
        self.back: dict[int, w.BoundedIntText] = {}
        self.action_card = classed(
            w.VBox([self.actions_box, self.receive_box, self.lines_card]), "ecerp-card"
        )
        return self.action_card

    def _wire(self) -> None:
        self.queue.observe(self.filter_cases, "value")
        self.search.observe(self.filter_cases, "value")
        self.grid.on_open(self.open_case)
        for action, b in self.buttons.items():
            b.on_click(lambda b, a=action: self.act_on_case(a, b))

    def refresh(self) -> None:
        """Show the queue from its first page, and what may be done with the open case."""
        self.grid.refresh(reset=True)
        self.show_actions()

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def filter_cases(self, _change=None) -> None:
        self.model.case_queue = self.queue.value
        self.model.case_search = self.search.value or ""
        self.grid.refresh(reset=True)

    @ui_action
    def open_case(self, key: str) -> None:
        case = self.model.open_case(int(key))
        self.warehouse.options = self.model.warehouses()  # a warehouse may have opened meanwhile
        if case.get("warehouse_id") in {v for _, v in self.warehouse.options}:
            self.warehouse.value = case["warehouse_id"]
        if case.get("condition") in ("sellable", "damaged"):  # not the last case's
            self.condition.value = case["condition"]
        self.detail.value = case_html(self.model.case, self.i18n.language)
        self.show_actions()

    @ui_action
    def act_on_case(self, action: str, _button=None) -> None:
        """Approve, receive the return, refund or send again, reject or close the open case."""
        lines = [(no, box.value) for no, box in self.back.items()] if action == "receive" else None
        status = self.model.case_action(
            action,
            warehouse_id=self.warehouse.value,
            condition=self.condition.value,
            lines=lines,
            note=self.note.value.strip(),
        )
        self.note.value = ""
        self.alerts.success(
            self.i18n.t("orders.case.done", case=self.model.case["id"], status=self.i18n.t(f"case.{status}"))
        )
        self.detail.value = case_html(self.model.case, self.i18n.language)
        self.show_actions()
        self.grid.refresh()
        for callback in self._changed_callbacks:
            callback()

    # --- drawing --------------------------------------------------------------------------------
    def show_actions(self) -> None:
        """The buttons the open case offers now; where the goods go only when they can come back."""
        actions = self.model.case_actions()
        if self.model.case:
            self.buttons["complete"].description = self.i18n.t(
                f"orders.case.complete.{self.model.case['kind']}"
            )
        self.actions_box.children = [self.buttons[a] for a in actions] + ([self.note] if actions else [])
        self.receive_box.layout.display = "flex" if "receive" in actions else "none"
        self.show_lines("receive" in actions)
        self.action_card.layout.display = "flex" if actions else "none"

    def show_lines(self, receiving: bool) -> None:
        """When goods can arrive: one quantity per order line, what the case asked for to start with."""
        self.back = {}
        rows = []
        for x in self.model.case_lines() if receiving else []:
            box = classed(
                w.BoundedIntText(value=x["back"], min=0, max=x["ordered"], layout=w.Layout(width="72px")),
                f"ecerp-case-back-{x['line_no']}",
            )
            self.back[x["line_no"]] = box
            label = w.HTML(
                f"{html.escape(x['sku'])} <span class='ecerp-muted'>{html.escape(x['name'])}</span>",
                layout=w.Layout(flex="1 1 0", min_width="0"),
            )
            of = w.HTML(f"/ {x['ordered']}", layout=w.Layout(width="48px"))
            rows.append(spaced(w.HBox([label, box, of], layout=w.Layout(align_items="center")), 8))
        self.lines_box.children = rows
        self.lines_card.layout.display = "flex" if rows else "none"
