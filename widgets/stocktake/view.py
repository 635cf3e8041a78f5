"""Stocktake's widgets: pick or open a count, scan (focus stays in the scan box), submit, approve."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.i18n import t
from ecerp_core.stock.exceptions import UnknownBarcode
from ecerp_core.stock.rules import SCOPES
from widgets.common.actions import ui_action
from widgets.common.confirm import ConfirmBar
from widgets.common.filters import choice_label
from widgets.common.parts import button, classed, spaced
from widgets.common.shell import AppShell
from widgets.stocktake.model import StocktakeModel


class StocktakeView:
    """The counter's screen; the supervisor's review appears once a count is submitted."""

    def __init__(self, model: StocktakeModel) -> None:
        self.model = model
        self.ctx = model.ctx
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        body = classed(
            w.VBox([w.HTML(STYLE), self._build_header(), self._build_scan_card(), self._build_review_card()]),
            "ecerp-stocktake",
        )
        self.shell = AppShell(self.ctx, "app.stocktake.title", body)
        self.i18n.on_change(lambda _lang: self._load_counts())
        self._wire()
        self._load_counts()

    def _build_header(self) -> w.Widget:
        """Choosing a count, or opening a new one."""
        i18n = self.i18n
        self.count_picker = classed(
            w.Dropdown(layout=w.Layout(flex="1 1 auto", min_width="0")), "ecerp-count-picker"
        )
        self.warehouse = classed(
            w.Dropdown(options=self.model.warehouses(), layout=w.Layout(width="170px")),
            "ecerp-count-warehouse",
        )
        self.scope = w.Dropdown(layout=w.Layout(width="170px"))
        i18n.bind(self.scope, "options", lambda lang: [(choice_label("scope", s, lang), s) for s in SCOPES])
        self.scope.value = "all"
        self.scope_value = classed(w.Text(layout=w.Layout(width="250px")), "ecerp-count-scope-value")
        i18n.bind(self.scope_value, "placeholder", "stocktake.scope_value_hint")
        i18n.bind(self.scope_value, "tooltip", "stocktake.scope_value_hint")
        threshold_box = w.BoundedIntText(value=2, min=0, max=10_000, layout=w.Layout(width="70px"))
        self.threshold = classed(threshold_box, "ecerp-count-threshold")
        i18n.bind(self.threshold, "tooltip", "stocktake.threshold_hint")
        threshold = classed(
            w.HBox([i18n.bind(w.Label(), "value", "field.threshold"), self.threshold]), "ecerp-labelled"
        )
        self.new_button = button(i18n, "stocktake.new", "ecerp-count-new", icon="plus", style="primary")
        new_row = classed(
            w.HBox([self.warehouse, self.scope, self.scope_value, threshold, self.new_button]),
            "ecerp-count-row",
        )
        return classed(w.VBox([w.HBox([self.count_picker]), new_row]), "ecerp-card")

    def _build_scan_card(self) -> w.Widget:
        """Scanning: the scan box keeps the focus; the last scan and the lines counted so far."""
        i18n = self.i18n
        self.scan_box = classed(
            w.Text(continuous_update=False, layout=w.Layout(flex="1 1 auto")), "ecerp-scan"
        )
        i18n.bind(self.scan_box, "placeholder", "stocktake.scan_placeholder")
        self.quantity = classed(w.Text(layout=w.Layout(width="90px")), "ecerp-scan-quantity")
        i18n.bind(self.quantity, "placeholder", "stocktake.quantity_placeholder")
        self.last_scan = classed(w.HTML(), "ecerp-last-scan")
        self.lines_html = classed(w.HTML(), "ecerp-count-lines")
        self.submit_button = button(
            i18n, "stocktake.submit", "ecerp-count-submit", icon="check", style="success", width="auto"
        )
        self.scan_card = classed(
            w.VBox(
                [
                    spaced(w.HBox([self.scan_box, self.quantity]), 8),
                    self.last_scan,
                    self.lines_html,
                    self.submit_button,
                ]
            ),
            "ecerp-card",
        )
        return self.scan_card

    def _build_review_card(self) -> w.Widget:
        """The supervisor's review of a submitted count."""
        self.review_html = classed(w.HTML(), "ecerp-count-review")
        self.approve_button = button(
            self.i18n, "stocktake.approve", "ecerp-count-approve", icon="stamp", style="primary", width="auto"
        )
        self.approve_confirm = ConfirmBar(self.i18n, self.alerts, "ecerp-count-approve-confirm")
        self.review_card = classed(
            w.VBox([self.review_html, self.approve_button, self.approve_confirm.box]), "ecerp-card"
        )
        return self.review_card

    def _wire(self) -> None:
        self.count_picker.observe(self.pick, "value")
        self.new_button.on_click(self.create)
        self.scan_box.observe(self.scanned, "value")
        self.submit_button.on_click(self.submit)
        self.approve_button.on_click(self.ask_approve)

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def pick(self, change) -> None:
        self.model.stocktake_id = change["new"]
        self.model.last = None
        self.approve_confirm.cancel()
        self.alerts.clear()
        self._redraw()

    @ui_action
    def create(self, _button=None) -> None:
        if self.warehouse.value is None:
            self.alerts.error(self.i18n.t("stocktake.no_warehouse"))
            return
        self.model.create(
            self.warehouse.value, self.scope.value, self.scope_value.value, int(self.threshold.value)
        )
        self._load_counts()
        self.alerts.success(self.i18n.t("stocktake.created"))

    @ui_action
    def scanned(self, change) -> None:
        """Enter in the scan box: one scan, or the typed quantity for that code."""
        code = (change["new"] or "").strip()
        if not code:
            return
        typed = self.quantity.value.strip()
        self.scan_box.value = ""
        self.quantity.value = ""
        try:
            if self.model.stocktake_id is None:
                self.alerts.error(self.i18n.t("stocktake.pick_first"))
                return
            if typed and not typed.isdigit():
                self.alerts.error(self.i18n.t("stocktake.bad_quantity", value=typed))
                return
            try:
                self.model.scan(code, int(typed) if typed else None)
            except UnknownBarcode:
                self.model.last = None
                self.last_scan.value = (
                    f'<div class="ecerp-scan-unknown">'
                    f"{html.escape(self.i18n.t('stocktake.unknown', code=code))}</div>"
                )
                return
            self.alerts.clear()
            self._redraw()
        finally:
            self.scan_box.focus()

    @ui_action
    def submit(self, _button=None) -> None:
        status = self.model.submit()
        self.alerts.success(self.i18n.t(f"stocktake.submitted.{status}"))
        self._load_counts()

    @ui_action
    def ask_approve(self, _button=None) -> None:
        """First press of 审核过账: the gain and the loss it posts, then Confirm."""
        gain, loss = self.model.variance_totals()
        question = self.i18n.t(
            "stocktake.confirm_approve", number=self.model.number(), gain=f"{gain:,.2f}", loss=f"{loss:,.2f}"
        )
        self.approve_confirm.ask(question, self.approve)

    @ui_action
    def approve(self, _button=None) -> None:
        result = self.model.approve()
        self.alerts.success(
            self.i18n.t("stocktake.approved", gain=result["gain_base"], loss=result["loss_base"])
        )
        self.model.stocktake_id = None
        self._load_counts()

    # --- drawing --------------------------------------------------------------------------------
    def _load_counts(self) -> None:
        counts = self.model.open_counts()
        lang = self.i18n.language
        options = [(t("stocktake.choose", lang), None)] + [
            (f"{c['number']} · {c['warehouse']} · {t('status.' + c['status'], lang)}", c["id"])
            for c in counts
        ]
        current = self.model.stocktake_id
        self.count_picker.unobserve(self.pick, "value")
        self.count_picker.options = options
        if current in [c["id"] for c in counts]:
            self.count_picker.value = current
        else:  # the "choose a count" line, shown (a value of None alone shows a blank box)
            self.count_picker.index = 0
        self.count_picker.observe(self.pick, "value")
        self.model.stocktake_id = self.count_picker.value
        self._redraw()

    def _redraw(self) -> None:
        lang = self.i18n.language
        status = self.model.status()
        counting = status in ("counting", "recount")
        self.scan_card.layout.display = "" if counting else "none"
        self.review_card.layout.display = "" if status == "submitted" and self.model.can_approve else "none"
        if status is None:
            self.last_scan.value = self.lines_html.value = self.review_html.value = ""
            return
        last = self.model.last
        if last is not None:
            name = html.escape(last.name)
            flag = (
                f' <span class="ecerp-badge-recount">{html.escape(t("stocktake.recount", lang))}</span>'
                if last.recount
                else ""
            )
            self.last_scan.value = (
                f'<div class="ecerp-scan-ok"><span class="ecerp-scan-sku">{html.escape(last.sku)}</span>'
                f' {name}{flag}<span class="ecerp-scan-count">{last.counted}</span></div>'
            )
        elif counting and "ecerp-scan-unknown" not in self.last_scan.value:
            self.last_scan.value = f'<div class="ecerp-muted">{html.escape(t("stocktake.ready", lang))}</div>'
        if counting:
            self.lines_html.value = self._lines_table(self.model.lines(), lang)
        if status == "submitted" and self.model.can_approve:
            review = self._review_table(self.model.review(), lang)
            self.review_html.value = review + self._moves_table(self.model.moves_during(), lang)

    @staticmethod
    def _lines_table(lines: list[dict], lang: str) -> str:
        head = "".join(
            f'<th class="{"num" if k == "stocktake.counted" else ""}">{html.escape(t(k, lang))}</th>'
            for k in ("field.location", "field.sku", "field.product_name", "stocktake.counted")
        )
        rows = []
        for r in lines:
            css = ' class="ecerp-recount"' if r["recount"] else ""
            counted = "—" if r["counted"] is None else str(r["counted"])
            name = r["name_zh"] if lang == "zh_CN" else r["name_en"] or r["name_zh"]
            rows.append(
                f'<tr{css} data-sku="{html.escape(r["sku"])}"><td>{html.escape(r["location"] or "")}</td>'
                f"<td>{html.escape(r['sku'])}</td><td>{html.escape(name)}</td>"
                f'<td class="num">{counted}</td></tr>'
            )
        return (
            f'<table class="ecerp-count-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    @staticmethod
    def _review_table(lines: list[dict], lang: str) -> str:
        """Lines with a variance or with goods that moved during the count; on hand after approval is
        the count plus what moved."""
        keys = ("field.sku", "stocktake.book", "stocktake.counted", "stocktake.variance", "stocktake.moved",
                "stocktake.after", "field.unit_cost", "stocktake.variance_value")  # fmt: skip
        head = "".join(
            f'<th class="{"" if k == "field.sku" else "num"}">{html.escape(t(k, lang))}</th>' for k in keys
        )
        rows, total = [], 0
        for r in lines:
            if r["counted"] is None or (r["variance"] == 0 and not r["moved"]):
                continue
            total += r["variance_value"]
            css = "ecerp-gain" if r["variance"] > 0 else "ecerp-loss" if r["variance"] < 0 else ""
            rows.append(
                f'<tr class="{css}"><td>{html.escape(r["sku"])}</td><td class="num">{r["book"]}</td>'
                f'<td class="num">{r["counted"]}</td><td class="num">{r["variance"]:+d}</td>'
                f'<td class="num">{r["moved"]:+d}</td><td class="num">{r["after"]}</td>'
                f'<td class="num">{r["unit_cost"]:,.2f}</td>'
                f'<td class="num">{r["variance_value"]:+,.2f}</td></tr>'
            )
        if not rows:
            no_variance = html.escape(t("stocktake.no_variance", lang))
            rows.append(f'<tr><td colspan="{len(keys)}" class="ecerp-muted">{no_variance}</td></tr>')
        title = html.escape(t("stocktake.review_title", lang, total=f"{total:+,.2f}"))
        return (
            f'<div class="ecerp-section-title">{title}</div><table class="ecerp-count-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    @staticmethod
    def _moves_table(moves: list[dict], lang: str) -> str:
        """The shipments and receipts that happened while the count was open, oldest first."""
        keys = ("stocktake.moved_at", "field.sku", "field.move_type", "field.quantity", "field.note")
        head = "".join(f"<th>{html.escape(t(k, lang))}</th>" for k in keys)
        rows = []
        for m in moves:
            kind = html.escape(t(f"move_type.{m['move_type']}", lang))
            rows.append(
                f"<tr><td>{m['at']:%m-%d %H:%M}</td><td>{html.escape(m['sku'])}</td><td>{kind}</td>"
                f'<td class="num">{m["quantity"]:+d}</td><td>{html.escape(m["note"] or "")}</td></tr>'
            )
        if not rows:
            nothing = html.escape(t("stocktake.no_moves", lang))
            rows.append(f'<tr><td colspan="{len(keys)}" class="ecerp-muted">{nothing}</td></tr>')
        title = html.escape(t("stocktake.moves_title", lang))
        return (
            f'<div class="ecerp-section-title ecerp-count-moves">{title}</div>'
            '<table class="ecerp-count-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )


STYLE = """
<style>
.ecerp-stocktake { max-width: 780px; margin: 0 auto; gap: 12px; }
.ecerp-count-row { gap: 8px; flex-wrap: wrap; margin-top: 8px; align-items: center; }
.ecerp-labelled { align-items: center; gap: 6px; }
.ecerp-labelled .widget-label { width: auto; min-width: 0; color: #52606d; }
.ecerp-scan input { font-size: 22px; height: 48px; }
.ecerp-scan-quantity input { font-size: 18px; height: 48px; text-align: right; }
.ecerp-last-scan { margin: 10px 0; min-height: 56px; }
.ecerp-scan-ok { display: flex; align-items: center; gap: 10px; font-size: 18px; background: #e8f6ec;
  border: 1px solid #a9dcb7; border-radius: 8px; padding: 10px 14px; }
.ecerp-scan-sku { font-weight: 700; }
.ecerp-scan-count { margin-left: auto; font-size: 30px; font-weight: 700; color: #1d6b36; }
.ecerp-scan-unknown { font-size: 18px; font-weight: 600; color: #fff; background: #c62828; border-radius: 8px;
  padding: 12px 14px; }
.ecerp-count-table { width: 100%; border-collapse: collapse; font-size: 15px; }
.ecerp-count-table th { text-align: left; background: #f5f7f9; padding: 8px; color: #44505c; }
.ecerp-count-table td { padding: 8px; border-bottom: 1px solid #eef0f2; }
.ecerp-count-review td { white-space: nowrap; }
.ecerp-count-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ecerp-count-table th.num { text-align: right; }
.ecerp-count-table tr.ecerp-recount td { background: #fff4d6; font-weight: 600; }
.ecerp-count-table tr.ecerp-loss td:last-child { color: #b42318; }
.ecerp-count-table tr.ecerp-gain td:last-child { color: #1d6b36; }
.ecerp-badge-recount { font-size: 12px; background: #f5a524; color: #fff; border-radius: 9px; \
padding: 1px 8px; }
.ecerp-count-moves { margin-top: 16px; }
.ecerp-count-submit, .ecerp-count-approve { margin-top: 12px; height: 44px; font-size: 16px; \
padding: 0 22px; }
</style>
"""
