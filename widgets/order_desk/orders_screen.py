"""The Order Desk's orders screen: filters, the queue's grid, batch actions that ask before they act,
and the open order's detail. Every event is wired in :meth:`OrdersScreen._wire`; handlers are
ui_actions."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from decimal import Decimal

import ipywidgets as w

from ecerp_core.errors import NeedsConfirmation
from ecerp_core.i18n import t
from ecerp_core.money import parse_decimal
from ecerp_core.orders.queries import OrderFilter
from ecerp_core.sheets import csv_text
from widgets.common.actions import ui_action
from widgets.common.grid import PagedGrid
from widgets.common.parts import button, classed, spaced
from widgets.common.shared import fixed, fixed_layout, plain_style
from widgets.order_desk.case_panel import CasePanel
from widgets.order_desk.model import COLUMNS, OrderDeskModel
from widgets.order_desk.refund_panel import RefundPanel
from widgets.order_desk.render import order_html
from widgets.order_desk.sku_panel import SkuPanel

SCOPES = ("open", "checked", "page", "all")


class OrdersScreen:
    """Every queue tab but after-sales; ``beside``, cards under the order's detail (the import card)."""

    def __init__(self, model: OrderDeskModel, beside: list[w.Widget]) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        self.pending: tuple[str, list[int]] | None = None
        self.grid = PagedGrid(
            self.i18n,
            self.alerts,
            model.fetch,
            list(COLUMNS),
            key_column="id",
            muted_column=None,
            page_size=50,
            checkable=True,
            export_name="orders",
        )
        self._changed_callbacks: list[Callable[[], None]] = []
        list_card = classed(
            fixed(
                w.VBox,
                children=[self._build_filters(), self.grid],
                layout=fixed_layout(width="100%", min_width="0"),
            ),
            "ecerp-card",
        )
        self.detail = classed(fixed(w.HTML), "ecerp-detail")
        self.i18n.bind(self.detail, "value", lambda lang: order_html(self.model.order, lang))
        self.refund = RefundPanel(model)
        self.case = CasePanel(model)
        self.skus = SkuPanel(model)
        side = self._build_side(beside)
        self.panel = classed(
            spaced(
                w.HBox(
                    [
                        fixed(
                            w.VBox,
                            children=[list_card, self._build_actions()],
                            layout=fixed_layout(flex="1 1 0", min_width="0"),
                        ),
                        side,
                    ],
                    layout=w.Layout(align_items="flex-start"),
                ),
                16,
            ),
            "ecerp-orders-panel",
        )
        for dropdown in (self.platform, self.shop, self.status):
            dropdown.index = 0 if dropdown.options else None
        self._wire()
        self.show_actions()

    def _build_side(self, beside: list[w.Widget]) -> w.VBox:
        """The column right of the list: SKU mapping, the order's detail, refund, case, ``beside``."""
        detail = classed(fixed(w.VBox, children=[self.detail]), "ecerp-card")
        return fixed(
            w.VBox,
            children=[self.skus.card, detail, self.refund.card, self.case.card, *beside],
            layout=fixed_layout(flex="0 0 420px", width="420px"),
        )

    def _build_filters(self) -> w.Widget:
        i18n, model, lay = self.i18n, self.model, fixed_layout(width="150px")
        self.platform = classed(fixed(w.Dropdown, layout=lay), "ecerp-filter-platform")
        i18n.bind(
            self.platform,
            "options",
            lambda lang: (
                [(t("common.all", lang), "")]
                + [
                    (
                        t(f"choice.platform.{p}", lang)
                        if t(f"choice.platform.{p}", lang) != f"choice.platform.{p}"
                        else p,
                        p,
                    )
                    for p in model.platforms()
                ]
            ),
        )
        self.shop = classed(fixed(w.Dropdown, layout=lay), "ecerp-filter-shop")
        i18n.bind(self.shop, "options", lambda lang: [(t("common.all", lang), 0), *model.shops()])
        self.status = classed(fixed(w.Dropdown, layout=lay), "ecerp-filter-status")
        i18n.bind(
            self.status,
            "options",
            lambda lang: (
                [(t("common.all", lang), "")] + [(t(f"status.{s}", lang), s) for s in model.statuses()]
            ),
        )
        self.date_from = fixed(w.DatePicker, layout=lay)
        self.date_to = fixed(w.DatePicker, layout=lay)
        self.amount_min = classed(fixed(w.Text, layout=fixed_layout(width="90px")), "ecerp-amount-min")
        self.amount_max = classed(fixed(w.Text, layout=fixed_layout(width="90px")), "ecerp-amount-max")
        i18n.bind(self.amount_min, "placeholder", "orders.filter.amount_min")
        i18n.bind(self.amount_max, "placeholder", "orders.filter.amount_max")
        self.search = classed(
            fixed(w.Text, continuous_update=False, layout=fixed_layout(width="220px")), "ecerp-search"
        )
        i18n.bind(self.search, "placeholder", "orders.filter.search")
        self.search_button = button(
            i18n, "common.search", "ecerp-search-button", icon="search", width="auto", fixed=True
        )
        labels = [
            i18n.bind(fixed(w.HTML), "value", k)
            for k in (
                "field.platform",
                "field.shop",
                "field.status",
                "orders.filter.dates",
                "orders.filter.amount",
            )
        ]

        def stack(*children: w.Widget) -> w.VBox:
            return fixed(w.VBox, children=children)

        def row(*children: w.Widget) -> w.HBox:
            return fixed(w.HBox, children=children)

        return classed(
            row(
                stack(labels[0], self.platform),
                stack(labels[1], self.shop),
                stack(labels[2], self.status),
                stack(labels[3], row(self.date_from, self.date_to)),
                stack(labels[4], row(self.amount_min, self.amount_max)),
                row(self.search, self.search_button),  # at the bottom of the row, as the boxes
            ),
            "ecerp-order-filters",
        )

    def _build_actions(self) -> w.Widget:
        """The batch card: scope, the queue's actions and their inputs, progress. The buttons and
        inputs of other queues, and the confirm bar, are built when first needed
        (:meth:`show_actions`, :meth:`ask`): every widget costs page-opening time."""
        i18n = self.i18n
        scope = fixed(w.ToggleButtons, style=plain_style(w.ToggleButtons, button_width="auto"))
        self.scope = classed(scope, "ecerp-scope")
        i18n.bind(self.scope, "options", lambda lang: [(t(f"orders.scope.{s}", lang), s) for s in SCOPES])
        self.scope.value = "page"
        self.action_buttons: dict[str, w.Button] = {}
        self._inputs: dict[str, w.Widget] = {}
        self.actions_box = classed(
            spaced(fixed(w.HBox, layout=fixed_layout(flex_flow="row wrap", align_items="center")), 6),
            "ecerp-actions",
        )
        self._confirm: tuple[w.HBox, w.HTML, w.Button, w.Button] | None = None
        self.progress = w.IntProgress(  # a layout of its own: shown while an action runs
            min=0,
            max=1,
            value=0,
            layout=w.Layout(width="100%", visibility="hidden"),
            style=plain_style(w.IntProgress),
        )
        self.output = classed(fixed(w.HTML), "ecerp-action-output")
        self.actions_card = classed(
            fixed(w.VBox, children=[self.scope, self.actions_box, self.progress, self.output]), "ecerp-card"
        )
        return self.actions_card

    def _action_button(self, action: str) -> w.Button:
        if action not in self.action_buttons:
            b = button(
                self.i18n,
                f"orders.action.{action}",
                f"ecerp-action-{action}",
                style="primary" if action in ("approve", "ship") else "",
                fixed=True,
            )
            b.on_click(lambda b, a=action: self.ask(a, b))
            self.action_buttons[action] = b
        return self.action_buttons[action]

    def _input(self, name: str) -> w.Widget:
        """The assignee dropdown, or the carrier, tracking or reason box (built once)."""
        if name not in self._inputs:
            if name == "assignee":
                widget = classed(fixed(w.Dropdown, layout=fixed_layout(width="150px")), "ecerp-assignee")
                self.i18n.bind(
                    widget,
                    "options",
                    lambda lang: [
                        (t("orders.assign.by_rules", lang), ""),
                        *[(u, u) for u in self.model.users()],
                    ],
                )
                widget.index = 0 if widget.options else None
            else:
                width = {"carrier": "120px", "tracking": "160px", "reason": "160px"}[name]
                widget = classed(fixed(w.Text, layout=fixed_layout(width=width)), f"ecerp-{name}")
                key = {"reason": "orders.action.reason"}.get(name, f"orders.ship.{name}")
                self.i18n.bind(widget, "placeholder", key)
            self._inputs[name] = widget
        return self._inputs[name]

    def _typed(self, name: str) -> str:
        """What the input ``name`` holds ("" if it was never shown)."""
        widget = self._inputs.get(name)
        return (widget.value or "").strip() if widget is not None else ""

    @property
    def assignee(self) -> w.Dropdown:
        return self._input("assignee")

    @property
    def carrier(self) -> w.Text:
        return self._input("carrier")

    @property
    def tracking(self) -> w.Text:
        return self._input("tracking")

    @property
    def reason(self) -> w.Text:
        return self._input("reason")

    def _confirm_parts(self) -> tuple[w.HBox, w.HTML, w.Button, w.Button]:
        """The bar that asks before a batch action runs: bar, question, Confirm, Cancel (built once)."""
        if self._confirm is None:
            text = w.HTML()
            ok = button(self.i18n, "orders.confirm", "ecerp-confirm", icon="check", style="danger")
            cancel = button(self.i18n, "common.cancel", "ecerp-confirm-cancel")
            bar = classed(
                spaced(w.HBox([text, ok, cancel], layout=w.Layout(display="none", align_items="center")), 8),
                "ecerp-confirm-bar",
            )
            bar.add_class("ecerp-batch-confirm")
            ok.on_click(self.confirm)
            cancel.on_click(self.cancel_pending)
            self._confirm = (bar, text, ok, cancel)
            children = list(self.actions_card.children)
            children.insert(2, bar)
            self.actions_card.children = children
        return self._confirm

    @property
    def confirm_bar(self) -> w.HBox:
        return self._confirm_parts()[0]

    @property
    def confirm_text(self) -> w.HTML:
        return self._confirm_parts()[1]

    @property
    def confirm_button(self) -> w.Button:
        return self._confirm_parts()[2]

    @property
    def cancel_confirm(self) -> w.Button:
        return self._confirm_parts()[3]

    def _wire(self) -> None:
        self.refund.on_done(self.refunded)
        self.case.on_done(self.refunded)
        self.skus.on_done(self.refunded)
        for widget in (
            self.platform,
            self.shop,
            self.status,
            self.date_from,
            self.date_to,
            self.search,
            self.amount_min,
            self.amount_max,
        ):
            widget.observe(self.apply_filters, "value")
        self.search_button.on_click(self.apply_filters)
        self.grid.on_open(self.open_order)

    # --- what the desk around it asks -----------------------------------------------------------
    def refresh(self) -> None:
        """Show the queue from its first page."""
        self.grid.refresh(reset=True)

    def queue_changed(self) -> None:
        """Another queue is on screen: its actions, no order open, nothing waiting for Confirm; the
        SKU mapping card beside the exception queue."""
        self.cancel_pending()
        self.show_actions()
        self.draw_detail()
        self.skus.show(self.model.queue == "exceptions" and self.model.ctx.actor.can("orders.review"))

    def on_changed(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when an action here moved orders (the queue tabs' counts change)."""
        self._changed_callbacks.append(callback)

    def _changed(self) -> None:
        for callback in self._changed_callbacks:
            callback()

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def apply_filters(self, _change=None) -> None:
        self.model.filters = OrderFilter(
            platform=self.platform.value or "",
            shop_id=self.shop.value or None,
            status=self.status.value or "",
            date_from=self.date_from.value,
            date_to=self.date_to.value,
            amount_min=_amount(self.amount_min.value),
            amount_max=_amount(self.amount_max.value),
            search=self.search.value or "",
        )
        self.grid.refresh(reset=True)

    @ui_action
    def open_order(self, key: str) -> None:
        self.model.open(int(key))
        self.draw_detail()
        self.scope.value = "open"

    @ui_action
    def ask(self, action: str, _button=None) -> None:
        """First press of an action: say what it will do to how many orders, and wait for Confirm."""
        ids = self.model.target_ids(self.scope.value, self.grid.checked_keys)
        if not ids:
            self.alerts.info(self.i18n.t("orders.nothing_selected"))
            return
        self.pending = (action, ids)
        self.confirm_text.value = html.escape(
            self.i18n.t(
                "orders.confirm_question", action=self.i18n.t(f"orders.action.{action}"), count=len(ids)
            )
        )
        self.confirm_bar.layout.display = "flex"

    @ui_action
    def confirm(self, _button=None) -> None:
        if not self.pending:
            return
        action, ids, *confirmed = self.pending
        self.cancel_pending()
        self.progress.max, self.progress.value = max(1, len(ids)), 0
        self.progress.layout.visibility = "visible"

        def progress(done: int, total: int) -> None:
            self.progress.value = done

        try:
            result = self.model.run(
                action,
                ids,
                progress=progress,
                user=self._typed("assignee") or None,
                carrier=self._typed("carrier"),
                tracking=self._typed("tracking"),
                reason=self._typed("reason"),
                shared_tracking=bool(confirmed),
            )
        except NeedsConfirmation as asked:  # e.g. one tracking number for several parcels: ask again
            self.pending = (action, ids, True)
            self.confirm_text.value = html.escape(asked.message(self.i18n.language)).replace("\n", "<br>")
            self.confirm_bar.layout.display = "flex"
            return
        finally:
            self.progress.layout.visibility = "hidden"
        if action == "pick_list":
            self.output.value = self._download_links(result)
        else:
            self.output.value = self._skipped_html(result.get("skipped_rows", []))
        self.alerts.success(
            self.i18n.t(
                "orders.done",
                action=self.i18n.t(f"orders.action.{action}"),
                count=result["done"],
                skipped=result.get("skipped", 0),
            )
        )
        self.draw_detail()
        if action != "pick_list":
            self.grid.clear_checks()
        self.grid.refresh()
        self._changed()

    def refunded(self) -> None:
        """A refund, a new case or a SKU mapping changed orders: draw the open one again, and the
        queue they may have left."""
        self.draw_detail()
        self.grid.refresh()
        self._changed()

    def cancel_pending(self, _button=None) -> None:
        self.pending = None
        if self._confirm is not None:
            self.confirm_bar.layout.display = "none"

    # --- drawing --------------------------------------------------------------------------------
    def show_actions(self) -> None:
        """The buttons of the queue on screen, with the inputs they need."""
        actions = self.model.actions()
        extra = []
        if "assign" in actions:
            extra.append("assignee")
        if "ship" in actions:
            extra += ["carrier", "tracking"]
        if "cancel" in actions or "hold" in actions:
            extra.append("reason")
        self.actions_box.children = [self._action_button(a) for a in actions] + [
            self._input(name) for name in extra
        ]
        self.output.value = ""

    def draw_detail(self) -> None:
        self.detail.value = order_html(self.model.order, self.i18n.language)
        self.refund.show(self.model.order)
        self.case.show(self.model.order)

    def _download_links(self, result: dict) -> str:
        return (
            _link(result["html"], "text/html", "pick-list.html", self.i18n.t("orders.pick.printable"))
            + " · "
            + _link(result["csv"], "text/csv", "pick-list.csv", "CSV")
        )

    def _skipped_html(self, rows: list[dict]) -> str:
        """The orders a batch skipped and why, with a CSV of them to download."""
        if not rows:
            return ""
        order, reason = self.i18n.t("field.platform_order_id"), self.i18n.t("orders.col.reason")
        skipped_csv = csv_text(({order: r["order"], reason: r["reason"]} for r in rows), [order, reason])
        body = "".join(
            f"<tr><td>{html.escape(r['order'])}</td><td>{html.escape(r['reason'])}</td></tr>" for r in rows
        )
        title = html.escape(self.i18n.t("orders.skipped_title", count=len(rows)))
        return (
            f'<div class="ecerp-skipped"><b>{title}</b> · '
            f"{_link(skipped_csv, 'text/csv', 'skipped-orders.csv', 'CSV')}"
            f"<table><thead><tr><th>{html.escape(order)}</th><th>{html.escape(reason)}</th></tr></thead>"
            f"<tbody>{body}</tbody></table></div>"
        )


def _link(data: str, mime: str, name: str, label: str) -> str:
    """A link that downloads ``data`` as the file ``name``."""
    b64 = base64.b64encode(("\ufeff" + data if mime == "text/csv" else data).encode("utf-8")).decode()
    text = html.escape(label)
    return f'<a download="{name}" href="data:{mime};base64,{b64}" target="_blank">{text}</a>'


def _amount(text: str) -> Decimal | None:
    try:
        return parse_decimal(text) if text and text.strip() else None
    except ValueError:
        return None
