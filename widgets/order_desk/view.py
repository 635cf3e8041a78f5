"""The Order Desk's widgets and their wiring: queue tabs, filters, grid, detail, batch actions,
and the import card. Every event is wired in :meth:`OrderDeskView._wire`; handlers are ui_actions."""

from __future__ import annotations

import base64
import html
from decimal import Decimal

import ipywidgets as w

from ecerp_core.i18n import t
from ecerp_core.money import parse_decimal
from ecerp_core.orders.queries import OrderFilter
from widgets.common.actions import ui_action
from widgets.common.grid import PagedGrid, format_cell
from widgets.common.shell import AppShell
from widgets.order_desk.model import ACTIONS, CASE_COLUMNS, OrderDeskModel

QUEUE_TABS = ("review", "exceptions", "to_ship", "shipped", "aftersales", "all")
SCOPES = ("open", "page", "all")
IMPORT_PLATFORMS = ("shopify", "taobao", "jd", "pdd", "woocommerce", "csv")
CASE_QUEUES = ("open", "all")
CASE_ACTIONS = ("approve", "receive", "complete", "reject", "close")
CASE_KINDS = ("refund_only", "return_refund", "exchange", "reship")
CASE_RETURNS = ("return_refund", "exchange")


def _cls(widget: w.Widget, name: str) -> w.Widget:
    widget.add_class(name)
    return widget


class OrderDeskView:
    """The Order Desk's screen."""

    def __init__(self, model: OrderDeskModel) -> None:
        self.model = model
        self.ctx = model.ctx
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        i18n = self.i18n
        self.pending: tuple[str, list[int]] | None = None

        self.queue_tabs = _cls(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-queue-tabs")
        i18n.bind(
            self.queue_tabs, "options", lambda lang: [(t(f"orders.queue.{q}", lang), q) for q in QUEUE_TABS]
        )
        self.queue_tabs.value = model.queue

        lay = w.Layout(width="150px")
        self.platform = _cls(w.Dropdown(layout=lay), "ecerp-filter-platform")
        i18n.bind(self.platform, "options", lambda lang: [(t("common.all", lang), "")] + [
            (t(f"choice.platform.{p}", lang) if t(f"choice.platform.{p}", lang) != f"choice.platform.{p}" else p, p)
            for p in model.platforms()])  # fmt: skip
        self.shop = _cls(w.Dropdown(layout=lay), "ecerp-filter-shop")
        i18n.bind(self.shop, "options", lambda lang: [(t("common.all", lang), 0), *model.shops()])
        self.status = _cls(w.Dropdown(layout=lay), "ecerp-filter-status")
        i18n.bind(self.status, "options", lambda lang: [(t("common.all", lang), "")] + [
            (t(f"status.{s}", lang), s) for s in model.statuses()])  # fmt: skip
        self.date_from = w.DatePicker(layout=w.Layout(width="150px"))
        self.date_to = w.DatePicker(layout=w.Layout(width="150px"))
        self.amount_min = _cls(w.Text(layout=w.Layout(width="90px")), "ecerp-amount-min")
        self.amount_max = _cls(w.Text(layout=w.Layout(width="90px")), "ecerp-amount-max")
        i18n.bind(self.amount_min, "placeholder", "orders.filter.amount_min")
        i18n.bind(self.amount_max, "placeholder", "orders.filter.amount_max")
        self.search = _cls(w.Text(continuous_update=False, layout=w.Layout(width="220px")), "ecerp-search")
        i18n.bind(self.search, "placeholder", "orders.filter.search")
        self.search_button = _cls(
            w.Button(icon="search", layout=w.Layout(width="auto")), "ecerp-search-button"
        )
        i18n.bind(self.search_button, "description", "common.search")
        labels = [i18n.bind(w.HTML(), "value", k) for k in ("field.platform", "field.shop", "field.status",
                                                              "orders.filter.dates", "orders.filter.amount")]  # fmt: skip
        filters = w.HBox([w.VBox([labels[0], self.platform]), w.VBox([labels[1], self.shop]),
                          w.VBox([labels[2], self.status]), w.VBox([labels[3], w.HBox([self.date_from, self.date_to])]),
                          w.VBox([labels[4], w.HBox([self.amount_min, self.amount_max])]),
                          w.VBox([w.HTML("&nbsp;"), w.HBox([self.search, self.search_button])])])  # fmt: skip
        filters.add_class("ecerp-order-filters")

        self.grid = PagedGrid(i18n, self.alerts, model.fetch, self.model_columns(), key_column="id",
                              muted_column=None, page_size=50)  # fmt: skip

        self.scope = _cls(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-scope")
        i18n.bind(self.scope, "options", lambda lang: [(t(f"orders.scope.{s}", lang), s) for s in SCOPES])
        self.scope.value = "page"
        self.action_buttons: dict[str, w.Button] = {}
        for action in ACTIONS:
            b = _cls(
                w.Button(button_style="primary" if action in ("approve", "ship") else ""),
                f"ecerp-action-{action}",
            )
            i18n.bind(b, "description", f"orders.action.{action}")
            self.action_buttons[action] = b
        self.assignee = _cls(w.Dropdown(layout=w.Layout(width="150px")), "ecerp-assignee")
        i18n.bind(self.assignee, "options", lambda lang: [(t("orders.assign.by_rules", lang), ""),
                                                          *[(u, u) for u in model.users()]])  # fmt: skip
        self.carrier = _cls(w.Text(layout=w.Layout(width="120px")), "ecerp-carrier")
        self.tracking = _cls(w.Text(layout=w.Layout(width="160px")), "ecerp-tracking")
        self.reason = _cls(w.Text(layout=w.Layout(width="160px")), "ecerp-reason")
        for widget, key in ((self.carrier, "orders.ship.carrier"), (self.tracking, "orders.ship.tracking"),
                            (self.reason, "orders.action.reason")):  # fmt: skip
            i18n.bind(widget, "placeholder", key)
        self.actions_box = _cls(
            w.HBox(layout=w.Layout(flex_flow="row wrap", gap="6px", align_items="center")), "ecerp-actions"
        )
        self.confirm_text = w.HTML()
        self.confirm_button = _cls(w.Button(button_style="danger", icon="check"), "ecerp-confirm")
        self.cancel_confirm = _cls(w.Button(), "ecerp-confirm-cancel")
        i18n.bind(self.confirm_button, "description", "orders.confirm")
        i18n.bind(self.cancel_confirm, "description", "common.cancel")
        self.confirm_bar = _cls(w.HBox([self.confirm_text, self.confirm_button, self.cancel_confirm],
                                       layout=w.Layout(display="none", gap="8px", align_items="center")), "ecerp-confirm-bar")  # fmt: skip
        self.progress = w.IntProgress(
            min=0, max=1, value=0, layout=w.Layout(width="100%", visibility="hidden")
        )
        self.output = _cls(w.HTML(), "ecerp-action-output")
        action_card = _cls(
            w.VBox([self.scope, self.actions_box, self.confirm_bar, self.progress, self.output]), "ecerp-card"
        )

        self.detail = _cls(w.HTML(), "ecerp-detail")
        i18n.bind(self.detail, "value", lambda lang: self._detail_html(lang))

        self.import_platform = _cls(
            w.Dropdown(options=IMPORT_PLATFORMS, layout=w.Layout(width="130px")), "ecerp-import-platform"
        )
        self.import_shop = _cls(w.Dropdown(layout=w.Layout(width="170px")), "ecerp-import-shop")
        i18n.bind(
            self.import_shop,
            "options",
            lambda lang: [(t("orders.import.shop_auto", lang), 0), *model.shops()],
        )
        self.upload = _cls(w.FileUpload(accept=".csv,.xlsx,.txt", multiple=True), "ecerp-upload")
        i18n.bind(self.upload, "description", "orders.import.choose")
        self.history = w.Checkbox(indent=False)
        i18n.bind(self.history, "description", "orders.import.history")
        self.import_button = _cls(w.Button(button_style="primary", icon="upload"), "ecerp-import-button")
        i18n.bind(self.import_button, "description", "orders.import.run")
        self.tracking_upload = _cls(
            w.FileUpload(accept=".csv,.xlsx", multiple=False), "ecerp-tracking-upload"
        )
        i18n.bind(self.tracking_upload, "description", "orders.import.tracking_file")
        self.tracking_button = _cls(w.Button(icon="truck"), "ecerp-tracking-button")
        i18n.bind(self.tracking_button, "description", "orders.import.ship_from_file")
        self.import_summary = _cls(w.HTML(), "ecerp-import-summary")
        import_title = _cls(i18n.bind(w.HTML(), "value", "orders.import.title"), "ecerp-section-title")
        import_card = _cls(w.VBox([import_title,
                                   w.HBox([self.import_platform, self.import_shop, self.upload, self.history, self.import_button],
                                          layout=w.Layout(flex_flow="row wrap", gap="6px", align_items="center")),
                                   w.HBox([self.tracking_upload, self.tracking_button], layout=w.Layout(gap="6px")),
                                   self.import_summary]), "ecerp-card")  # fmt: skip

        list_card = _cls(
            w.VBox([filters, self.grid], layout=w.Layout(width="100%", min_width="0")), "ecerp-card"
        )
        side = w.VBox(
            [_cls(w.VBox([self.detail]), "ecerp-card"), import_card],
            layout=w.Layout(flex="0 0 420px", width="420px"),
        )
        self.main = w.HBox([w.VBox([list_card, action_card], layout=w.Layout(flex="1 1 0", min_width="0")), side],
                           layout=w.Layout(align_items="flex-start", gap="16px"))  # fmt: skip
        self.main.add_class("ecerp-orders-panel")
        self.cases_panel = _cls(self._build_cases_panel(), "ecerp-cases-panel")
        body = w.VBox([w.HTML(STYLE), self.queue_tabs, self.main, self.cases_panel])
        self.shell = AppShell(self.ctx, "app.order_desk.title", body)
        for dropdown in (self.platform, self.shop, self.status, self.assignee, self.import_shop,
                         self.case_warehouse):  # fmt: skip
            dropdown.index = 0 if dropdown.options else None
        self._wire()
        self._show_actions()
        self._show_panel()
        self.grid.refresh()

    def _build_cases_panel(self) -> w.Widget:
        """The After-sales tab: the case queue, the open case's detail and what may be done with it."""
        i18n, model = self.i18n, self.model
        self.case_queue = _cls(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-case-queue")
        i18n.bind(
            self.case_queue,
            "options",
            lambda lang: [(t(f"orders.case.queue.{q}", lang), q) for q in CASE_QUEUES],
        )
        self.case_queue.value = "open"
        self.case_search = _cls(
            w.Text(continuous_update=False, layout=w.Layout(width="240px")), "ecerp-case-search"
        )
        i18n.bind(self.case_search, "placeholder", "orders.filter.search")
        self.case_grid = PagedGrid(i18n, self.alerts, model.fetch_cases, list(CASE_COLUMNS), key_column="id",
                                   muted_column=None, page_size=50)  # fmt: skip
        self.case_buttons: dict[str, w.Button] = {}
        for action in CASE_ACTIONS:
            b = _cls(w.Button(button_style="primary" if action in ("approve", "receive", "complete") else ""),
                     f"ecerp-case-{action}")  # fmt: skip
            i18n.bind(b, "description", f"orders.case.action.{action}")
            self.case_buttons[action] = b
        self.case_warehouse = _cls(w.Dropdown(layout=w.Layout(width="190px")), "ecerp-case-warehouse")
        i18n.bind(self.case_warehouse, "options", lambda lang: model.warehouses())
        self.case_condition = _cls(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-case-condition")
        i18n.bind(self.case_condition, "options", lambda lang: [(t(f"orders.case.condition.{c}", lang), c)
                                                                for c in ("sellable", "damaged")])  # fmt: skip
        self.case_condition.value = "sellable"
        self.case_note = _cls(w.Text(layout=w.Layout(width="200px")), "ecerp-case-note")
        i18n.bind(self.case_note, "placeholder", "orders.action.reason")
        self.case_receive_box = _cls(w.HBox([i18n.bind(w.HTML(), "value", "orders.case.warehouse"), self.case_warehouse,
                                             self.case_condition], layout=w.Layout(gap="8px", align_items="center")),
                                     "ecerp-case-receive")  # fmt: skip
        self.case_actions_box = _cls(w.HBox(layout=w.Layout(flex_flow="row wrap", gap="6px", align_items="center")),
                                     "ecerp-case-actions")  # fmt: skip
        self.case_detail = _cls(w.HTML(), "ecerp-case-detail")
        i18n.bind(self.case_detail, "value", lambda lang: self._case_html(lang))
        tools = w.HBox([self.case_queue, self.case_search], layout=w.Layout(gap="12px", align_items="center",
                                                                            flex_flow="row wrap"))  # fmt: skip
        list_card = _cls(
            w.VBox([tools, self.case_grid], layout=w.Layout(width="100%", min_width="0")), "ecerp-card"
        )
        self.case_action_card = action_card = _cls(
            w.VBox([self.case_actions_box, self.case_receive_box]), "ecerp-card"
        )
        side = w.VBox([_cls(w.VBox([self.case_detail, action_card]), "ecerp-card")],
                      layout=w.Layout(flex="0 0 440px", width="440px"))  # fmt: skip
        return w.HBox([w.VBox([list_card], layout=w.Layout(flex="1 1 0", min_width="0")), side],
                      layout=w.Layout(align_items="flex-start", gap="16px", display="none"))  # fmt: skip

    def model_columns(self):
        from widgets.order_desk.model import COLUMNS

        return list(COLUMNS)

    # --- wiring ---------------------------------------------------------------------------------
    def _wire(self) -> None:
        self.queue_tabs.observe(self.switch_queue, "value")
        for widget in (self.platform, self.shop, self.status, self.date_from, self.date_to, self.search):
            widget.observe(self.apply_filters, "value")
        self.amount_min.observe(self.apply_filters, "value")
        self.amount_max.observe(self.apply_filters, "value")
        self.search_button.on_click(self.apply_filters)
        self.grid.on_open(self.open_order)
        for action, button in self.action_buttons.items():
            button.on_click(lambda b, a=action: self.ask(a, b))
        self.confirm_button.on_click(self.confirm)
        self.cancel_confirm.on_click(self.cancel_pending)
        self.import_button.on_click(self.import_upload)
        self.tracking_button.on_click(self.ship_from_file)
        self.case_queue.observe(self.filter_cases, "value")
        self.case_search.observe(self.filter_cases, "value")
        self.case_grid.on_open(self.open_case)
        for action, button in self.case_buttons.items():
            button.on_click(lambda b, a=action: self.act_on_case(a, b))
        self.i18n.on_change(self._relabel)

    def _relabel(self, _lang: str) -> None:
        """Statuses, kinds and reasons in the rows are translated when fetched: fetch again."""
        self._show_case_actions()
        (self.case_grid if self.model.queue == "aftersales" else self.grid).refresh()

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def switch_queue(self, change) -> None:
        self.model.select_queue(change["new"])
        self.alerts.clear()
        self.cancel_pending()
        self._show_actions()
        self.detail.value = self._detail_html(self.i18n.language)
        self._show_panel()

    def _show_panel(self) -> None:
        cases = self.model.queue == "aftersales"
        self.main.layout.display = "none" if cases else "flex"
        self.cases_panel.layout.display = "flex" if cases else "none"
        if cases:
            self.case_grid.refresh(reset=True)
            self._show_case_actions()
        else:
            self.grid.refresh(reset=True)

    @ui_action
    def filter_cases(self, _change=None) -> None:
        self.model.case_queue = self.case_queue.value
        self.model.case_search = self.case_search.value or ""
        self.case_grid.refresh(reset=True)

    @ui_action
    def open_case(self, key: str) -> None:
        case = self.model.open_case(int(key))
        self.case_warehouse.options = self.model.warehouses()  # a warehouse may have opened meanwhile
        if case.get("warehouse_id") in {v for _, v in self.case_warehouse.options}:
            self.case_warehouse.value = case["warehouse_id"]
        self.case_detail.value = self._case_html(self.i18n.language)
        self._show_case_actions()

    @ui_action
    def act_on_case(self, action: str, _button=None) -> None:
        """Approve, receive the return, refund or send again, reject or close the open case."""
        status = self.model.case_action(action, warehouse_id=self.case_warehouse.value,
                                        condition=self.case_condition.value, note=self.case_note.value.strip())  # fmt: skip
        self.case_note.value = ""
        self.alerts.success(self.i18n.t("orders.case.done", case=self.model.case["id"],
                                        status=self.i18n.t(f"case.{status}")))  # fmt: skip
        self.case_detail.value = self._case_html(self.i18n.language)
        self._show_case_actions()
        self.case_grid.refresh()

    def _show_case_actions(self) -> None:
        actions = self.model.case_actions()
        if self.model.case:
            self.case_buttons["complete"].description = self.i18n.t(
                f"orders.case.complete.{self.model.case['kind']}"
            )
        self.case_actions_box.children = [self.case_buttons[a] for a in actions] + (
            [self.case_note] if actions else []
        )
        self.case_receive_box.layout.display = "flex" if "receive" in actions else "none"
        self.case_action_card.layout.display = "flex" if actions else "none"

    @ui_action
    def apply_filters(self, _change=None) -> None:
        self.model.filters = OrderFilter(
            platform=self.platform.value or "", shop_id=self.shop.value or None, status=self.status.value or "",
            date_from=self.date_from.value, date_to=self.date_to.value, amount_min=_amount(self.amount_min.value),
            amount_max=_amount(self.amount_max.value), search=self.search.value or "")  # fmt: skip
        self.grid.refresh(reset=True)

    @ui_action
    def open_order(self, key: str) -> None:
        self.model.open(int(key))
        self.detail.value = self._detail_html(self.i18n.language)
        self.scope.value = "open"

    @ui_action
    def ask(self, action: str, _button=None) -> None:
        """First press of an action: say what it will do to how many orders, and wait for Confirm."""
        ids = self.model.target_ids(self.scope.value)
        if not ids:
            self.alerts.info(self.i18n.t("orders.nothing_selected"))
            return
        self.pending = (action, ids)
        self.confirm_text.value = html.escape(self.i18n.t("orders.confirm_question", action=self.i18n.t(f"orders.action.{action}"),
                                                          count=len(ids)))  # fmt: skip
        self.confirm_bar.layout.display = "flex"

    @ui_action
    def confirm(self, _button=None) -> None:
        if not self.pending:
            return
        action, ids = self.pending
        self.cancel_pending()
        self.progress.max, self.progress.value = max(1, len(ids)), 0
        self.progress.layout.visibility = "visible"

        def progress(done: int, total: int) -> None:
            self.progress.value = done

        try:
            result = self.model.run(action, ids, progress=progress, user=self.assignee.value or None,
                                    carrier=self.carrier.value.strip(), tracking=self.tracking.value.strip(),
                                    reason=self.reason.value.strip())  # fmt: skip
        finally:
            self.progress.layout.visibility = "hidden"
        self.output.value = self._download_links(result) if action == "pick_list" else ""
        self.alerts.success(self.i18n.t("orders.done", action=self.i18n.t(f"orders.action.{action}"), count=result["done"],
                                        skipped=result.get("skipped", 0)))  # fmt: skip
        self.detail.value = self._detail_html(self.i18n.language)
        self.grid.refresh()

    def cancel_pending(self, _button=None) -> None:
        self.pending = None
        self.confirm_bar.layout.display = "none"

    @ui_action
    def import_upload(self, _button=None) -> None:
        files = [(f["name"], bytes(f["content"])) for f in self.upload.value]
        if not files:
            self.alerts.info(self.i18n.t("orders.import.no_file"))
            return
        summary = self.model.import_files(self.import_platform.value, self.import_shop.value or None, files,
                                          history=self.history.value)  # fmt: skip
        self.import_summary.value = self._summary_html(summary)
        self.alerts.success(self.i18n.t("cli.orders_imported", rejected=len(summary["rejected"]),
                                        **{k: summary[k] for k in ("created", "updated", "unchanged", "exceptions")}))  # fmt: skip
        self.upload.value = ()
        self.grid.refresh()

    @ui_action
    def ship_from_file(self, _button=None) -> None:
        if not self.tracking_upload.value:
            self.alerts.info(self.i18n.t("orders.import.no_file"))
            return
        f = self.tracking_upload.value[0]
        result = self.model.ship_tracking_file(f["name"], bytes(f["content"]))
        self.import_summary.value = self._summary_html({"rejected": result["rejected"]})
        self.alerts.success(
            self.i18n.t(
                "orders.done",
                action=self.i18n.t("orders.action.ship"),
                count=result["shipped"],
                skipped=len(result["rejected"]),
            )
        )
        self.tracking_upload.value = ()
        self.grid.refresh()

    # --- drawing --------------------------------------------------------------------------------
    def _show_actions(self) -> None:
        actions = self.model.actions()
        extra = []
        if "assign" in actions:
            extra.append(self.assignee)
        if "ship" in actions:
            extra += [self.carrier, self.tracking]
        if "cancel" in actions or "hold" in actions:
            extra.append(self.reason)
        self.actions_box.children = [self.action_buttons[a] for a in actions] + extra
        self.output.value = ""

    def _detail_html(self, lang: str) -> str:
        o = self.model.order
        if not o:
            return f'<div class="ecerp-muted">{html.escape(t("orders.detail.none", lang))}</div>'
        e = html.escape
        head = (f'<div class="ecerp-section-title">{e(o["platform_order_id"])} · {e(t("status." + o["status"], lang))}</div>'
                f'<div class="ecerp-kv">{e(t("field.shop", lang))}: {e(o["shop"])} · {e(t("choice.platform." + o["platform"], lang))}<br>'
                f'{e(t("orders.col.receiver", lang))}: {e(o["receiver_name"])} {e(o["receiver_phone"])}<br>'
                f'{e(t("field.address", lang))}: {e(o["region"])} {e(o["address"])}<br>'
                f'{e(t("field.total_amount", lang))}: {e(o["currency"])} {format_cell(o["total_amount"], lang)} · '
                f'{e(t("field.paid_amount", lang))}: {format_cell(o["paid_amount"], lang)}<br>'
                f'{e(t("field.warehouse", lang))}: {e(o["warehouse"] or "—")} · {e(o["carrier"])} {e(o["tracking_no"])}</div>')  # fmt: skip
        if o["exception_reason"] or o["review_reason"]:
            reasons = [t(f"exception.{x}", lang) for x in o["exception_reason"].split(",") if x]
            reasons += [t(f"review.{x}", lang) for x in o["review_reason"].split(",") if x]
            head += f'<div class="ecerp-reason">{e("、".join(reasons))}</div>'
        lines = "".join(f'<tr><td>{e(x["sku"] or x["platform_sku"])}</td><td>{e(x["name"] or "")}</td>'
                        f'<td class="r">{x["quantity"]}</td><td class="r">{format_cell(x["amount"], lang)}</td></tr>'
                        for x in o["lines"])  # fmt: skip
        history = "".join(f'<tr><td>{format_cell(h["at"], lang)}</td><td>{e(t("orders.event." + h["event"].split(":")[0], lang))}</td>'
                          f'<td>{e(t("status." + h["to_status"], lang))}</td><td>{e(h["note"] or "")}</td></tr>'
                          for h in o["history"])  # fmt: skip
        return (
            f'{head}<div class="ecerp-subtitle">{e(t("field.lines", lang))}</div><table class="ecerp-mini">{lines}</table>'
            f'<div class="ecerp-subtitle">{e(t("orders.detail.history", lang))}</div><table class="ecerp-mini">{history}</table>'
        )

    def _case_html(self, lang: str) -> str:
        c = self.model.case
        if not c:
            return f'<div class="ecerp-muted">{html.escape(t("orders.case.none", lang))}</div>'
        e, o = html.escape, c["order"]
        facts = [
            f'{e(t("orders.case.kind", lang))}: {e(t("case.kind." + c["kind"], lang))}',
            f'{e(t("field.platform_order_id", lang))}: {e(o["platform_order_id"])} · {e(t("status." + o["status"], lang))}',
            f'{e(t("field.amount", lang))}: {e(o["currency"])} {format_cell(c["amount"], lang)} · '
            f'{e(t("field.paid_amount", lang))}: {format_cell(o["paid_amount"], lang)}',
            f'{e(t("orders.col.reason", lang))}: {e(c["reason"] or "—")}',
        ]  # fmt: skip
        if c["kind"] in CASE_RETURNS:
            facts.append(f'{e(t("field.warehouse", lang))}: {e(c["warehouse"] or "—")} · '
                         f'{e(t("orders.case.condition." + c["condition"], lang))}')  # fmt: skip
        if c["platform_status"]:
            facts.append(f"{e(t('orders.case.platform_status', lang))}: {e(c['platform_status'])}")
        head = (f'<div class="ecerp-section-title">{e(t("orders.case.title", lang, case=c["id"]))} · '
                f'{e(t("case." + c["status"], lang))}</div><div class="ecerp-kv">{"<br>".join(facts)}</div>')  # fmt: skip
        lines = "".join(f'<tr><td>{e(x["sku"] or x["platform_sku"])}</td><td>{e(x["name"] or "")}</td>'
                        f'<td class="r">{x["quantity"]}</td><td class="r">{format_cell(x["amount"], lang)}</td></tr>'
                        for x in o["lines"])  # fmt: skip
        history = "".join(f'<tr><td>{format_cell(h["at"], lang)}</td><td>{e(t("orders.event." + h["event"].split(":")[0], lang))}'
                          f'{" · " + e(_case_step(h["event"], lang)) if h["event"].startswith("case:") else ""}</td>'
                          f'<td>{e(h["note"] or "")}</td></tr>' for h in o["history"])  # fmt: skip
        return (
            f'{head}<div class="ecerp-subtitle">{e(t("field.lines", lang))}</div><table class="ecerp-mini">{lines}</table>'
            f'<div class="ecerp-subtitle">{e(t("orders.detail.history", lang))}</div><table class="ecerp-mini">{history}</table>'
        )

    def _summary_html(self, summary: dict) -> str:
        rows = "".join(f"<li>{html.escape(r['file'])}:{r['line']} — {html.escape(r['reason'])}</li>"
                       for r in summary["rejected"][:50])  # fmt: skip
        more = len(summary["rejected"]) - 50
        return f"<ul class='ecerp-rejected'>{rows}{'<li>…</li>' if more > 0 else ''}</ul>" if rows else ""

    def _download_links(self, result: dict) -> str:
        def link(data: str, mime: str, name: str, label: str) -> str:
            b64 = base64.b64encode(data.encode("utf-8")).decode()
            return f'<a download="{name}" href="data:{mime};base64,{b64}" target="_blank">{html.escape(label)}</a>'

        return (link(result["html"], "text/html", "pick-list.html", self.i18n.t("orders.pick.printable")) + " · "
                + link(result["csv"], "text/csv", "pick-list.csv", "CSV"))  # fmt: skip


def _case_step(event: str, lang: str) -> str:
    step = event.split(":", 1)[1]
    return t(f"case.kind.{step}", lang) if step in CASE_KINDS else t(f"case.{step}", lang)


def _amount(text: str) -> Decimal | None:
    try:
        return parse_decimal(text) if text and text.strip() else None
    except ValueError:
        return None


STYLE = """
<style>
.ecerp-queue-tabs { margin-bottom: 12px; }
.ecerp-queue-tabs .widget-toggle-button { padding: 0 16px; height: 34px; font-size: 14px; }
.ecerp-order-filters { gap: 8px; flex-wrap: wrap; margin-bottom: 8px; align-items: flex-end; }
.ecerp-order-filters .widget-html { font-size: 12px; color: #52606d; margin: 0; }
.ecerp-detail .ecerp-kv { font-size: 13px; line-height: 1.7; color: #3e4c59; }
.ecerp-detail .ecerp-reason { margin: 6px 0; color: #8a1f1f; background: #fdecec; border-radius: 6px; padding: 4px 8px; }
.ecerp-subtitle { font-weight: 600; margin: 10px 0 4px; font-size: 13px; }
.ecerp-mini { border-collapse: collapse; width: 100%; font-size: 12px; }
.ecerp-mini td { border-bottom: 1px solid #eef0f2; padding: 3px 4px; vertical-align: top; }
.ecerp-mini td.r { text-align: right; }
.ecerp-confirm-bar { background: #fff8e6; border: 1px solid #f0d48a; border-radius: 6px; padding: 6px 10px; margin-top: 8px; }
.ecerp-actions .widget-button { width: auto; padding: 0 14px; }
.ecerp-actions, .ecerp-scope { margin-bottom: 6px; }
.ecerp-case-actions .widget-button { width: auto; padding: 0 14px; }
.ecerp-case-receive { margin-top: 8px; flex-wrap: wrap; }
.ecerp-case-receive .widget-html { font-size: 13px; color: #52606d; }
.ecerp-case-queue { margin-bottom: 0; }
.ecerp-rejected { font-size: 12px; color: #8a1f1f; max-height: 200px; overflow: auto; }
</style>
"""
