"""The Customers app's widgets: one tab each for customers (search and the 360 view), tickets,
tiers, segments and merges. Every event is wired in :meth:`CustomersView._wire`."""

from __future__ import annotations

import base64
import html

import ipywidgets as w

from ecerp_core.crm.models import CHANNELS, TICKET_KINDS
from ecerp_core.crm.rfm import segment_name
from ecerp_core.crm.rules import TIER_ORDER
from ecerp_core.crm.tickets import STATUSES, ticket_actions
from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.grid import Column, PagedGrid
from widgets.common.parts import button, classed
from widgets.common.shell import AppShell
from widgets.customers.model import CustomersModel
from widgets.customers.render import customer_html

TABS = ("customers", "tickets", "tiers", "segments", "merges")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FULL = w.Layout(width="100%")
MOVES = {"start": "in_progress", "resolve": "resolved", "close": "closed", "reopen": "in_progress"}


def _cols(*spec: str) -> list[Column]:
    """``"code"`` a text column; ``"#spend"`` right-aligned; ``"!tier"`` shown by its choice name."""
    return [
        Column(
            s.lstrip("#!"), f"field.{s.lstrip('#!')}", "right" if s[0] == "#" else "left", choice=s[0] == "!"
        )
        for s in spec
    ]


def table_html(heads: list[str], rows: list[list[object]]) -> str:
    """A small HTML table of already translated headers and cells (escaped here)."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='ecerp-table'><tr>{head}</tr>{body}</table>"


def download_link(data: bytes, mime: str, name: str, label: str) -> str:
    b64 = base64.b64encode(data).decode()
    return (
        f'<a class="ecerp-download" download="{html.escape(name)}" href="data:{mime};base64,{b64}" '
        f'target="_blank">⬇ {html.escape(label)}</a>'
    )


class CustomersView:
    def __init__(self, model: CustomersModel) -> None:
        self.model, self.ctx = model, model.ctx
        self.exported: tuple[bytes, str, str, int] | None = None
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        self.tabs = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-customers-tabs")
        self.i18n.bind(self.tabs, "options", lambda lang: [(t(f"customers.tab.{k}", lang), k) for k in TABS])
        self.tabs.value = "customers"
        self.pages = {
            "customers": self._customers_page(),
            "tickets": self._tickets_page(),
            "tiers": self._tiers_page(),
            "segments": self._segments_page(),
            "merges": self._merges_page(),
        }
        self.body = w.Box([self.pages["customers"]], layout=w.Layout(width="100%"))
        self.shell = AppShell(self.ctx, "app.customers.title", w.VBox([w.HTML(STYLE), self.tabs, self.body]))
        self.i18n.on_change(lambda _lang: self.redraw())
        for dropdown in (
            self.tier,
            self.kind_filter,
            self.status_filter,
            self.new_kind,
            self.new_channel,
            self.satisfaction,
            self.method,
        ):  # the first choice, not a blank box
            dropdown.index = 0
        self.new_kind.value = "complaint"
        self._wire()
        self.customers.refresh(reset=True)
        self.redraw()

    # --- pages -----------------------------------------------------------------------------------
    def _customers_page(self) -> w.Widget:
        i18n = self.i18n
        self.search = classed(w.Text(continuous_update=False, layout=w.Layout(width="260px")), "ecerp-search")
        i18n.bind(self.search, "placeholder", "customers.search_placeholder")
        self.tier = classed(w.Dropdown(layout=w.Layout(width="140px")), "ecerp-customers-tier")
        i18n.bind(
            self.tier,
            "options",
            lambda lang: (
                [(t("common.all", lang), "")] + [(t(f"choice.tier.{k}", lang), k) for k in TIER_ORDER]
            ),
        )
        self.customers = classed(
            PagedGrid(
                i18n,
                self.alerts,
                self.model.fetch_customers,
                _cols("code", "name", "phone", "region", "!tier", "#orders", "#spend", "last_order"),
                key_column="code",
                muted_column="active",
                page_size=25,
            ),
            "ecerp-grid-customers",
        )
        self.card = classed(w.HTML(), "ecerp-c360-card")
        self.note = classed(w.Text(layout=w.Layout(width="360px")), "ecerp-note-text")
        i18n.bind(self.note, "placeholder", "customers.note_placeholder")
        self.note_add = button(i18n, "customers.add_note", "ecerp-note-add", width="auto")
        self.note_bar = classed(w.HBox([self.note, self.note_add]), "ecerp-filter-bar")
        top = classed(
            w.VBox([classed(w.HBox([self.search, self.tier]), "ecerp-filter-bar"), self.customers]),
            "ecerp-card",
        )
        return w.VBox(
            [top, classed(w.VBox([self.card, self.note_bar]), "ecerp-card")], layout=w.Layout(width="100%")
        )

    def _tickets_page(self) -> w.Widget:
        i18n = self.i18n
        self.kind_filter = classed(w.Dropdown(layout=w.Layout(width="130px")), "ecerp-ticket-kind-filter")
        i18n.bind(
            self.kind_filter,
            "options",
            lambda lang: (
                [(t("common.all", lang), "")] + [(t(f"choice.kind.{k}", lang), k) for k in TICKET_KINDS]
            ),
        )
        self.status_filter = classed(w.Dropdown(layout=w.Layout(width="130px")), "ecerp-ticket-status-filter")
        i18n.bind(
            self.status_filter,
            "options",
            lambda lang: (
                [(t("customers.open_tickets", lang), "open"), (t("common.all", lang), "")]
                + [(t(f"ticket.{s}", lang), s) for s in STATUSES]
            ),
        )
        self.tickets = classed(
            PagedGrid(
                i18n,
                self.alerts,
                self.model.fetch_tickets,
                _cols(
                    "id",
                    "!kind",
                    "!status",
                    "customer",
                    "order",
                    "subject",
                    "due_at",
                    "resolved_at",
                    "#satisfaction",
                ),
                key_column="id",
                muted_column=None,
                page_size=25,
            ),
            "ecerp-grid-tickets",
        )
        self.new_kind = classed(w.Dropdown(layout=w.Layout(width="110px")), "ecerp-ticket-kind")
        i18n.bind(
            self.new_kind, "options", lambda lang: [(t(f"choice.kind.{k}", lang), k) for k in TICKET_KINDS]
        )
        self.new_channel = classed(w.Dropdown(layout=w.Layout(width="120px")), "ecerp-ticket-channel")
        i18n.bind(
            self.new_channel, "options", lambda lang: [(t(f"choice.channel.{k}", lang), k) for k in CHANNELS]
        )
        self.new_subject = classed(w.Text(layout=w.Layout(width="220px")), "ecerp-ticket-subject")
        i18n.bind(self.new_subject, "placeholder", "field.subject")
        self.new_customer = classed(w.Text(layout=w.Layout(width="140px")), "ecerp-ticket-customer")
        i18n.bind(self.new_customer, "placeholder", "field.customer")
        self.new_order = classed(w.Text(layout=w.Layout(width="140px")), "ecerp-ticket-order")
        i18n.bind(self.new_order, "placeholder", "field.order")
        self.ticket_add = button(
            i18n, "customers.add_ticket", "ecerp-ticket-add", style="primary", width="auto"
        )
        self.ticket_note = classed(w.Text(layout=w.Layout(width="260px")), "ecerp-ticket-note")
        i18n.bind(self.ticket_note, "placeholder", "customers.resolution_placeholder")
        self.satisfaction = classed(w.Dropdown(layout=w.Layout(width="110px")), "ecerp-ticket-satisfaction")
        i18n.bind(
            self.satisfaction,
            "options",
            lambda lang: [(t("field.satisfaction", lang), None)] + [("★" * n, n) for n in range(5, 0, -1)],
        )
        self.ticket_buttons = {
            a: button(i18n, f"customers.ticket.{a}", f"ecerp-ticket-{a}", width="auto") for a in MOVES
        }
        self.ticket_label = classed(w.HTML(), "ecerp-ticket-open")
        new_bar = classed(
            w.HBox(
                [
                    self.new_kind,
                    self.new_channel,
                    self.new_subject,
                    self.new_customer,
                    self.new_order,
                    self.ticket_add,
                ]
            ),
            "ecerp-filter-bar",
        )
        act_bar = classed(
            w.HBox([self.ticket_label, self.ticket_note, self.satisfaction, *self.ticket_buttons.values()]),
            "ecerp-filter-bar",
        )
        filters = classed(w.HBox([self.kind_filter, self.status_filter]), "ecerp-filter-bar")
        return classed(w.VBox([new_bar, filters, self.tickets, act_bar], layout=FULL), "ecerp-card")

    def _tiers_page(self) -> w.Widget:
        self.tier_html = classed(w.HTML(), "ecerp-tier-summary")
        self.recompute = button(
            self.i18n, "customers.recompute", "ecerp-tiers-recompute", style="primary", width="auto"
        )
        self.changes_html = classed(w.HTML(), "ecerp-tier-changes")
        return classed(
            w.VBox([self.tier_html, w.HBox([self.recompute]), self.changes_html], layout=FULL), "ecerp-card"
        )

    def _segments_page(self) -> w.Widget:
        i18n = self.i18n
        self.method = classed(w.Dropdown(layout=w.Layout(width="170px")), "ecerp-segment-method")
        i18n.bind(
            self.method,
            "options",
            lambda lang: [
                (t("customers.method.rfm", lang), "rfm"),
                (t("customers.method.kmeans", lang), "kmeans"),
            ],
        )
        self.compute = button(
            i18n, "customers.compute", "ecerp-segment-compute", style="primary", width="auto"
        )
        self.segment_html = classed(w.HTML(), "ecerp-segment-counts")
        self.segment_pick = classed(w.Dropdown(layout=w.Layout(width="260px")), "ecerp-segment-pick")
        self.export_format = classed(
            w.Dropdown(options=[("CSV", "csv"), ("Excel", "xlsx")], layout=w.Layout(width="90px")),
            "ecerp-export-format",
        )
        self.export_button = button(i18n, "customers.export", "ecerp-segment-export", width="auto")
        self.download = classed(w.HTML(), "ecerp-segment-download")
        bar = classed(
            w.HBox([self.segment_pick, self.export_format, self.export_button, self.download]),
            "ecerp-filter-bar",
        )
        top = classed(w.HBox([self.method, self.compute]), "ecerp-filter-bar")
        return classed(w.VBox([top, self.segment_html, bar], layout=FULL), "ecerp-card")

    def _merges_page(self) -> w.Widget:
        self.suggestion_pick = classed(w.Dropdown(layout=w.Layout(width="420px")), "ecerp-merge-pick")
        self.merge_button = button(self.i18n, "customers.merge", "ecerp-merge", style="warning", width="auto")
        self.merge_pick = classed(w.Dropdown(layout=w.Layout(width="420px")), "ecerp-unmerge-pick")
        self.unmerge_button = button(self.i18n, "customers.unmerge", "ecerp-unmerge", width="auto")
        self.merges_html = classed(w.HTML(), "ecerp-merges")
        return classed(
            w.VBox(
                [
                    classed(w.HBox([self.suggestion_pick, self.merge_button]), "ecerp-filter-bar"),
                    classed(w.HBox([self.merge_pick, self.unmerge_button]), "ecerp-filter-bar"),
                    self.merges_html,
                ],
                layout=FULL,
            ),
            "ecerp-card",
        )

    def _wire(self) -> None:
        self.tabs.observe(self.switch, "value")
        self.search.observe(self.apply_filters, "value")
        self.tier.observe(self.apply_filters, "value")
        self.kind_filter.observe(self.apply_ticket_filters, "value")
        self.status_filter.observe(self.apply_ticket_filters, "value")
        self.customers.on_open(self.open_customer)
        self.tickets.on_open(self.open_ticket)
        self.note_add.on_click(self.add_note)
        self.ticket_add.on_click(self.add_ticket)
        for action, b in self.ticket_buttons.items():
            b.on_click(lambda _b, a=action: self.move_ticket(a))
        self.recompute.on_click(self.recompute_tiers)
        self.compute.on_click(self.compute_segments)
        self.export_button.on_click(self.export)
        self.merge_button.on_click(self.merge)
        self.unmerge_button.on_click(self.unmerge)

    # --- drawing ---------------------------------------------------------------------------------
    def redraw(self) -> None:
        lang = self.i18n.language
        self.card.value = customer_html(self.model.customer, lang)
        self.note_bar.layout.display = "" if self.model.customer and self.model.can("crm.write") else "none"
        self._draw_ticket_actions()
        self._draw_segments()
        self._draw_download()

    def _draw_ticket_actions(self) -> None:
        row = self.model.ticket
        allowed = ticket_actions(row["status"]) if row else []
        for action, b in self.ticket_buttons.items():
            b.layout.display = "" if action in allowed else "none"
        lang = self.i18n.language
        self.ticket_label.value = (
            f"<b>#{row['id']} {html.escape(row['subject'])}</b>"
            if row
            else f"<span class='ecerp-muted'>{html.escape(t('customers.pick_ticket', lang))}</span>"
        )
        for widget in (self.ticket_note, self.satisfaction):
            widget.layout.display = "" if allowed else "none"

    def _draw_tiers(self) -> None:
        lang = self.i18n.language
        counts, rules, months = self.model.tier_summary()
        cells = "".join(
            f"<div class='ecerp-figure'><div>{html.escape(t('choice.tier.' + k, lang))}</div><b>{n}</b></div>"
            for k, n in counts.items()
        )
        rule_table = table_html(
            [t(k, lang) for k in ("field.tier", "field.min_spend", "field.min_orders")],
            [[t("choice.tier." + r.tier, lang), r.min_spend, r.min_orders] for r in rules],
        )
        rules_title = html.escape(t("customers.tier_rules", lang, months=months))
        figures = f"<div class='ecerp-figures'>{cells}</div>"
        self.tier_html.value = f"{figures}<div class='ecerp-muted'>{rules_title}</div>{rule_table}"
        changes = [
            [
                c["code"],
                t("choice.tier." + c["from_tier"], lang),
                t("choice.tier." + c["to_tier"], lang),
                c["spend"],
                c["orders"],
            ]
            for c in self.model.last_changes[:50]
        ]
        heads = [t("field." + k, lang) for k in ("code", "from_tier", "to_tier", "spend", "orders")]
        self.changes_html.value = table_html(heads, changes) if changes else ""

    def _draw_segments(self) -> None:
        lang = self.i18n.language
        counts: dict[str, int] = {}
        for r in self.model.segments:
            counts[r["segment"]] = counts.get(r["segment"], 0) + 1
        names = {k: segment_name(k, lang) for k in counts}
        score = ""
        if self.model.silhouette is not None:
            text = t("crm.silhouette", lang, score=self.model.silhouette)
            score = f"<div class='ecerp-silhouette'>{html.escape(text)}</div>"
        table = table_html(
            [t("field.segment", lang), t("field.customers", lang)],
            [[names[k], n] for k, n in sorted(counts.items())],
        )
        self.segment_html.value = table + score if counts else ""
        current = self.segment_pick.value
        self.segment_pick.options = [(t("common.all", lang), "")] + [(names[k], k) for k in sorted(counts)]
        if current in {v for _, v in self.segment_pick.options}:
            self.segment_pick.value = current

    def _draw_merges(self) -> None:
        lang = self.i18n.language
        suggested = self.model.suggestions()
        self.suggestion_pick.options = [
            (
                f"{s['merged']} → {s['kept']} ({t('customers.key.' + s['key'], lang)}: {s['value']})",
                f"{s['kept']}\t{s['merged']}",
            )
            for s in suggested
        ]
        merges = self.model.merges()
        self.merge_pick.options = [
            (f"#{m['id']} {m['merged']} → {m['kept']}", m["id"]) for m in merges if not m["undone_at"]
        ]
        for pick in (self.suggestion_pick, self.merge_pick):
            if pick.options and pick.value is None:
                pick.index = 0
        self.merges_html.value = table_html(
            [t("field." + k, lang) for k in ("id", "merged", "kept", "undone_at")],
            [[m["id"], m["merged"], m["kept"], "✓" if m["undone_at"] else ""] for m in merges],
        )

    # --- handlers --------------------------------------------------------------------------------
    @ui_action
    def switch(self, change) -> None:
        tab = change["new"]
        self.alerts.clear()
        self.body.children = [self.pages[tab]]
        if tab == "customers":
            self.customers.refresh()
        elif tab == "tickets":
            self.tickets.refresh(reset=True)
            self._draw_ticket_actions()
        elif tab == "tiers":
            self._draw_tiers()
        elif tab == "merges":
            self._draw_merges()

    @ui_action
    def apply_filters(self, _change=None) -> None:
        self.model.search = self.search.value.strip()
        self.model.tier = self.tier.value or None
        self.customers.refresh(reset=True)

    @ui_action
    def apply_ticket_filters(self, _change=None) -> None:
        self.model.ticket_kind = self.kind_filter.value or None
        self.model.ticket_status = self.status_filter.value or None
        self.tickets.refresh(reset=True)
        self._draw_ticket_actions()

    @ui_action
    def open_customer(self, code: str) -> None:
        self.model.open(code)
        self.customers.select(code)
        self.new_customer.value = code
        self.redraw()

    @ui_action
    def open_ticket(self, key: str) -> None:
        self.model.open_ticket(int(key))
        self.tickets.select(key)
        self._draw_ticket_actions()

    @ui_action
    def add_note(self, _button=None) -> None:
        self.model.add_note(self.note.value)
        self.note.value = ""
        self.redraw()
        self.alerts.success(t("customers.note_added", self.i18n.language))

    @ui_action
    def add_ticket(self, _button=None) -> None:
        ticket_id = self.model.add_ticket(
            self.new_kind.value,
            self.new_subject.value,
            self.new_customer.value,
            self.new_order.value,
            self.new_channel.value,
        )
        self.new_subject.value = ""
        self.tickets.refresh(reset=True)
        self.tickets.select(str(ticket_id))
        self.redraw()
        self.alerts.success(t("crm.ticket_added", self.i18n.language, id=ticket_id))

    @ui_action
    def move_ticket(self, action: str) -> None:
        target = MOVES[action]
        satisfaction = self.satisfaction.value if action == "resolve" else None
        self.model.move_ticket(target, self.ticket_note.value.strip(), satisfaction)
        self.ticket_note.value = ""
        self.tickets.refresh()
        self.redraw()
        lang = self.i18n.language
        self.alerts.success(t("crm.tickets_moved", lang, count=1, status=t(f"ticket.{target}", lang)))

    @ui_action
    def recompute_tiers(self, _button=None) -> None:
        changes = self.model.recompute_tiers()
        self._draw_tiers()
        self.redraw()
        self.alerts.success(t("crm.tiers_changed", self.i18n.language, count=len(changes)))

    @ui_action
    def compute_segments(self, _button=None) -> None:
        self.model.segment(self.method.value)
        self.exported = None
        self.redraw()

    @ui_action
    def export(self, _button=None) -> None:
        fmt = self.export_format.value
        data, n = self.model.export(self.segment_pick.value or None, fmt)
        name = f"customers-{self.segment_pick.value or 'all'}.{fmt}"
        mime = XLSX if fmt == "xlsx" else "text/csv"
        self.exported = (data, mime, name, n)
        self._draw_download()

    def _draw_download(self) -> None:
        """The last export's link, labelled in the app's language."""
        if not self.exported:
            self.download.value = ""
            return
        data, mime, name, n = self.exported
        self.download.value = download_link(
            data, mime, name, t("crm.exported", self.i18n.language, count=n, path=name)
        )

    @ui_action
    def merge(self, _button=None) -> None:
        if not self.suggestion_pick.value:
            return
        kept, merged = self.suggestion_pick.value.split("\t")
        merge_id = self.model.merge(kept, merged)
        self._draw_merges()
        self.alerts.success(t("crm.merged", self.i18n.language, kept=kept, merged=merged, id=merge_id))

    @ui_action
    def unmerge(self, _button=None) -> None:
        if self.merge_pick.value is None:
            return
        merge_id = self.merge_pick.value
        self.model.undo_merge(merge_id)
        self._draw_merges()
        self.alerts.success(t("crm.unmerged", self.i18n.language, id=merge_id))


STYLE = """
<style>
.ecerp-customers-tabs { margin-bottom: 14px; }
.ecerp-customers-tabs .widget-toggle-button { padding: 0 16px; height: 34px; font-size: 14px; }
.ecerp-figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0 14px; }
.ecerp-figure { background: #f4f7fb; border: 1px solid #e3e8ef; border-radius: 8px; padding: 8px 12px;
  min-width: 110px; font-size: 12px; color: #52606d; }
.ecerp-figure b { display: block; font-size: 16px; color: #1f2933; margin-top: 2px; }
.ecerp-c360 .ecerp-section-title { margin: 12px 0 6px; }
.ecerp-c360 .ecerp-c360-title { margin-top: 0; font-size: 17px; }
.ecerp-c360 .ecerp-table, .ecerp-tier-summary .ecerp-table, .ecerp-tier-changes .ecerp-table,
.ecerp-segment-counts .ecerp-table, .ecerp-merges .ecerp-table { border-collapse: collapse; font-size: 13px;
  margin-bottom: 6px; }
.ecerp-c360 .ecerp-table td, .ecerp-c360 .ecerp-table th, .ecerp-tier-summary td, .ecerp-tier-summary th,
.ecerp-tier-changes td, .ecerp-tier-changes th, .ecerp-segment-counts td, .ecerp-segment-counts th,
.ecerp-merges td, .ecerp-merges th { border-bottom: 1px solid #eef0f2; padding: 5px 12px 5px 0;
  text-align: left; }
.ecerp-tier { padding: 1px 8px; border-radius: 10px; background: #eef0f2; font-size: 13px; }
.ecerp-tier-vip { background: #fde68a; } .ecerp-tier-gold { background: #fcefc7; }
.ecerp-tier-silver { background: #e5e7eb; }
.ecerp-silhouette { margin-top: 8px; font-weight: 600; color: #1f4e85; }
.ecerp-download { font-size: 13px; }
.ecerp-order-tickets { margin-top: 8px; font-size: 13px; }
</style>
"""
