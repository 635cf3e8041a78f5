"""Analytics' widgets: the dashboards (one plotly chart and its table at a time) and the report
builder (pick dimensions, measures and a filter -> pivot table and chart; save, open, export).
Every event is wired in :meth:`AnalyticsView._wire`."""

from __future__ import annotations

import datetime as dt
import json

import ipywidgets as w
import plotly.graph_objects as go

from ecerp_core.analytics.maps import OFFLINE_CONFIG
from ecerp_core.analytics.services import label
from ecerp_core.i18n import t
from widgets.analytics import render
from widgets.analytics.model import DASHBOARDS, AnalyticsModel
from widgets.analytics.schedule_panel import SchedulePanel
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed, spaced
from widgets.common.shell import AppShell

STYLE = """
<style>
.ecerp-analytics-tabs { margin-bottom: 10px; }
.ecerp-an-bar { align-items: flex-end; flex-wrap: wrap; }
.ecerp-an-bar .widget-datepicker input { width: 140px; }
.ecerp-an-dims select, .ecerp-an-measures select { min-height: 150px; }
.ecerp-an-chart { width: 100%; min-height: 380px; }
.ecerp-an-download { font-size: 13px; color: #1f6feb; }
.ecerp-card .ecerp-an-chart .jp-OutputArea-output,
.ecerp-card .ecerp-an-report-chart .jp-OutputArea-output { background: #fff !important; }
</style>
"""
PLOTLY_MIME = "application/vnd.plotly.v1+json"
"""Drawn in the page by plotly's own renderer extension (shipped with the plotly package)."""
CHART_WIDTH = 1180
"""Pixels: the width of the app's card, less its padding (plotly's own default is 700)."""
FILTERABLE = ("platform", "shop", "category", "sku", "province", "country", "status")


def _labelled(widget: w.Widget, i18n, key: str) -> w.VBox:
    caption = classed(w.HTML(), "ecerp-field-label")
    i18n.bind(caption, "value", lambda lang: f"<label>{t(key, lang)}</label>")
    return w.VBox([caption, widget], layout=w.Layout(margin="0"))


class AnalyticsView:
    """Two screens behind a tab bar; the language switch redraws the chart in view."""

    def __init__(self, model: AnalyticsModel) -> None:
        self.model = model
        self.ctx = model.ctx
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        i18n = self.i18n
        self.tabs = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-analytics-tabs")
        i18n.bind(
            self.tabs, "options", lambda lang: [(t(f"analytics.tab.{k}", lang), k) for k in ("dash", "build")]
        )
        self.tabs.value = "dash"
        self.drawn_in = ""
        self.window_bar = self._build_window_bar()
        self.dashboard_screen = self._build_dashboards()
        self.builder_screen = self._build_builder()
        self.screen = w.Box([self.dashboard_screen], layout=w.Layout(width="100%"))
        card = classed(w.VBox([self.window_bar, self.screen]), "ecerp-card")
        self.shell = AppShell(self.ctx, "app.analytics.title", w.VBox([w.HTML(STYLE), self.tabs, card]))
        self._wire()
        self.show_dashboard()

    # --- building -------------------------------------------------------------------------------
    def _build_window_bar(self) -> w.HBox:
        i18n, window = self.i18n, self.model.window
        self.date_from = classed(w.DatePicker(value=window.date_from), "ecerp-an-from")
        self.date_to = classed(w.DatePicker(value=window.date_to), "ecerp-an-to")
        self.currency = classed(
            w.Dropdown(options=self.model.currencies, value=window.currency), "ecerp-an-currency"
        )
        self.currency.layout.width = "110px"
        self.apply = button(i18n, "common.refresh", "ecerp-an-apply", icon="refresh", width="auto")
        items = [
            _labelled(self.date_from, i18n, "filter.date_from"),
            _labelled(self.date_to, i18n, "filter.date_to"),
            _labelled(self.currency, i18n, "dimension.currency"),
            self.apply,
        ]
        return classed(spaced(w.HBox(items), 12), "ecerp-an-bar")

    def _build_dashboards(self) -> w.VBox:
        i18n = self.i18n
        self.board = classed(w.Dropdown(layout=w.Layout(width="260px")), "ecerp-an-board")
        i18n.bind(
            self.board, "options", lambda lang: [(t(f"analytics.board.{k}", lang), k) for k in DASHBOARDS]
        )
        self.board.value = "sales_trend"
        self.grain = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-an-grain")
        i18n.bind(
            self.grain,
            "options",
            lambda lang: [(t(f"dimension.{g}", lang), g) for g in ("day", "week", "month")],
        )
        self.grain.value = self.model.grain
        self.chart_box = classed(w.Output(layout=w.Layout(width="100%")), "ecerp-an-chart")
        self.summary = w.HTML()
        self.table = classed(w.HTML(), "ecerp-an-rows")
        bar = classed(spaced(w.HBox([self.board, self.grain]), 12), "ecerp-an-bar")
        return spaced(w.VBox([bar, self.summary, self.chart_box, self.table]), 8)

    def _build_builder(self) -> w.VBox:
        i18n = self.i18n
        self.dimensions = classed(w.SelectMultiple(rows=8, layout=w.Layout(width="200px")), "ecerp-an-dims")
        self.measures = classed(w.SelectMultiple(rows=8, layout=w.Layout(width="200px")), "ecerp-an-measures")
        self._label_pickers(i18n.language)
        i18n.on_change(self._label_pickers)
        self.dimensions.value, self.measures.value = ("month",), ("sales", "orders")
        self.filter_name = classed(w.Dropdown(layout=w.Layout(width="160px")), "ecerp-an-filter-name")
        i18n.bind(
            self.filter_name,
            "options",
            lambda lang: [(t("analytics.no_filter", lang), "")] + [(label(f, lang), f) for f in FILTERABLE],
        )
        self.filter_name.value = ""
        self.filter_value = classed(w.Text(layout=w.Layout(width="200px")), "ecerp-an-filter-value")
        i18n.bind(self.filter_value, "placeholder", "analytics.filter_hint")
        self.chart_kind = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-an-chart-kind")
        i18n.bind(
            self.chart_kind,
            "options",
            lambda lang: [(t(f"analytics.chart.{c}", lang), c) for c in ("bar", "line", "table")],
        )
        self.chart_kind.value = "bar"
        self.run = button(i18n, "analytics.run", "ecerp-an-run", icon="play", style="primary", width="auto")
        self.report_name = classed(w.Text(layout=w.Layout(width="200px")), "ecerp-an-name")
        i18n.bind(self.report_name, "placeholder", "analytics.name_hint")
        self.save = button(i18n, "common.save", "ecerp-an-save", icon="save", width="auto")
        self.saved = classed(w.Dropdown(layout=w.Layout(width="200px")), "ecerp-an-saved")
        self.open = button(i18n, "analytics.open", "ecerp-an-open", icon="folder-open", width="auto")
        self.export_format = classed(
            w.ToggleButtons(options=[("CSV", "csv"), ("XLSX", "xlsx")]), "ecerp-an-format"
        )
        self.export_format.style.button_width = "60px"
        self.export = button(i18n, "analytics.export", "ecerp-an-export", icon="download", width="auto")
        self.download = w.HTML()
        self.report_chart = classed(w.Output(layout=w.Layout(width="100%")), "ecerp-an-report-chart")
        self.report_chart.layout.display = "none"
        self.report_table = classed(w.HTML(), "ecerp-an-report-table")
        can_save = self.model.can("analytics.report")
        self.save.disabled = self.report_name.disabled = not can_save
        pickers = spaced(
            w.HBox(
                [
                    _labelled(self.dimensions, i18n, "analytics.dimensions"),
                    _labelled(self.measures, i18n, "analytics.measures"),
                    spaced(
                        w.VBox(
                            [
                                _labelled(
                                    spaced(w.HBox([self.filter_name, self.filter_value]), 6),
                                    i18n,
                                    "analytics.filter",
                                ),
                                _labelled(self.chart_kind, i18n, "analytics.chart"),
                                self.run,
                            ]
                        ),
                        8,
                    ),
                ]
            ),
            16,
        )
        keep = classed(
            spaced(
                w.HBox([self.report_name, self.save, self.saved, self.open, self.export_format, self.export]),
                8,
            ),
            "ecerp-an-bar",
        )
        self.schedules = SchedulePanel(self.model, self.saved, self.alerts, i18n)
        box = spaced(
            w.VBox([pickers, keep, self.download, self.report_table, self.report_chart, self.schedules.box]),
            12,
        )
        return classed(box, "ecerp-an-builder")

    def _label_pickers(self, language: str) -> None:
        """Label the multiple-choice pickers in ``language``, keeping what is picked (the common
        re-labelling handles single choices only)."""
        for picker, kind in ((self.dimensions, "dimensions"), (self.measures, "measures")):
            picked = picker.value
            picker.options = [(label(n, language), n) for n in self.model.fields[kind]]
            picker.value = picked

    def _wire(self) -> None:
        self.tabs.observe(self._switch, "value")
        self.apply.on_click(self.show_dashboard)
        self.board.observe(lambda _c: self.show_dashboard(), "value")
        self.grain.observe(lambda _c: self.show_dashboard(), "value")
        self.run.on_click(self.run_report)
        self.save.on_click(self.save_report)
        self.open.on_click(self.open_report)
        self.export.on_click(self.export_report)
        self.i18n.on_change(lambda _lang: self._redraw())

    # --- actions --------------------------------------------------------------------------------
    def _switch(self, change) -> None:
        self.screen.children = [self.dashboard_screen if change["new"] == "dash" else self.builder_screen]
        if change["new"] == "dash" and self.drawn_in != self.i18n.language:
            self.show_dashboard()

    def _redraw(self) -> None:
        self.download.value = ""  # its label is in the language left; the rows export again in this one
        if self.tabs.value == "dash":
            self.show_dashboard()
        elif self.model.result is not None:
            self._show_result()

    def _read_window(self) -> None:
        self.model.set_window(self.date_from.value, self.date_to.value, self.currency.value)

    @staticmethod
    def _chart(box: w.Output, figure: go.Figure | None) -> None:
        """Show ``figure`` in ``box`` as plotly's own output (no figure widget: one made after the
        page is up may reach the browser before its data), or hide the box when there is none."""
        box.layout.display = "none" if figure is None else ""
        if figure is None:
            box.outputs = ()
            return
        figure.update_layout(width=CHART_WIDTH)
        bundle = {**json.loads(figure.to_json()), "config": OFFLINE_CONFIG}
        data = {PLOTLY_MIME: bundle, "text/plain": ""}
        box.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)

    @ui_action
    def show_dashboard(self, _button=None) -> None:
        """Draw the chosen dashboard over the window in the bar."""
        self._read_window()
        self.model.grain = self.grain.value
        self.grain.layout.display = "" if self.board.value == "sales_trend" else "none"
        language = self.i18n.language
        figure, rows = self.model.dashboard(self.board.value, language)
        self.drawn_in = language
        self._chart(self.chart_box, figure)
        columns = tuple(k for k in (rows[0] if rows else {}) if k not in ("size",))
        self.table.value = render.rows_table(rows, columns, language) or (
            f'<div class="ecerp-muted">{self.i18n.t("common.no_rows")}</div>'
        )
        repeat = self.model.repeat
        self.summary.value = (
            render.figures_html(
                [
                    (f"{repeat['customers']:,}", self.i18n.t("measure.customers")),
                    (f"{repeat['repeat_customers']:,}", self.i18n.t("analytics.repeat_customers")),
                    (render.cell(repeat["repeat_rate"]), self.i18n.t("analytics.repeat_rate")),
                ]
            )
            if repeat
            else ""
        )

    def _filters(self) -> dict:
        filters: dict = {"currency": [self.currency.value]} if self.currency.value else {}
        if self.filter_name.value and self.filter_value.value.strip():
            filters[self.filter_name.value] = self.filter_value.value
        return filters

    def _show_result(self) -> None:
        language, spec, result = self.i18n.language, self.model.spec, self.model.result
        if len(spec.dimensions) == 2 and len(spec.measures) == 1 and result.rows:
            self.report_table.value = render.pivot_table(
                result.rows, *spec.dimensions, spec.measures[0], language
            )
        else:
            self.report_table.value = render.rows_table(result.rows, result.columns, language) or (
                f'<div class="ecerp-muted">{self.i18n.t("common.no_rows")}</div>'
            )
        self._chart(self.report_chart, self.model.report_figure(language))

    @ui_action
    def run_report(self, _button=None) -> None:
        """Run the report the pickers describe."""
        self._read_window()
        self.model.build(self.dimensions.value, self.measures.value, self._filters(), self.chart_kind.value)
        self.download.value = ""
        self._show_result()
        self.alerts.info(self.i18n.t("analytics.rows", count=len(self.model.result.rows)))

    @ui_action
    def save_report(self, _button=None) -> None:
        """Save the report last run under the name typed (shared with every analytics user)."""
        if self.model.result is None:
            self.run_report()
        name = self.report_name.value.strip()
        self.model.save(name)
        self.schedules.refresh(name)
        self.alerts.success(self.i18n.t("analytics.saved", name=name))

    @ui_action
    def open_report(self, _button=None) -> None:
        """Open a saved report: its pickers, then run it."""
        if not self.saved.value:
            return
        spec = self.model.load(self.saved.value)
        self.dimensions.value, self.measures.value = spec.dimensions, spec.measures
        self.chart_kind.value = self.model.chart
        self.report_name.value = self.saved.value
        self.model.run_loaded()
        self._show_result()
        self.alerts.info(self.i18n.t("analytics.rows", count=len(self.model.result.rows)))

    @ui_action
    def export_report(self, _button=None) -> None:
        """Offer the report's rows as a CSV or XLSX download."""
        if self.model.result is None:
            self.run_report()
        fmt = self.export_format.value
        data = self.model.export(fmt, self.i18n.language)
        name = (self.report_name.value.strip() or "report").replace(" ", "_")
        stamp = dt.date.today().isoformat()
        self.download.value = render.download_link(
            data, f"{name}-{stamp}.{fmt}", self.i18n.t("analytics.download")
        )
