"""The Forecast app's widgets: scope and run, the chart of a series, why its model, the backtest table
and the replenishment suggestions with the button that turns them into draft purchase orders."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed, spaced
from widgets.common.shell import AppShell
from widgets.forecast.model import ForecastModel

STYLE = """<style>
.ecerp-fc-table { border-collapse: collapse; font-size: 13px; width: 100%; }
.ecerp-fc-table th, .ecerp-fc-table td { padding: 4px 8px; border-bottom: 1px solid #e3e6ea;
  text-align: right; }
.ecerp-fc-table th:first-child, .ecerp-fc-table td:first-child { text-align: left; }
.ecerp-fc-table tr.ecerp-fc-chosen td { background: #eaf2fb; font-weight: 600; }
.ecerp-fc-why { font-size: 13px; line-height: 1.7; color: #1f2933; }
</style>"""
SCORE_COLUMNS = ("model", "mase", "rmsse", "rw_rmsse", "wape", "bias", "pinball", "rmsse_spread", "seconds")
REPLENISH_COLUMNS = (
    "sku",
    "warehouse",
    "supplier",
    "demand_class",
    "model",
    "mean_daily",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "position",
    "moq",
    "pack_size",
    "quantity",
)


def table(rows: list[dict], columns: tuple[str, ...], lang: str, css: str, *, mark: str = "") -> str:
    """An HTML table of ``rows``; a row whose ``mark`` key is true is highlighted."""
    head = "".join(f"<th>{html.escape(t(f'forecast.col.{c}', lang))}</th>" for c in columns)
    body = []
    for r in rows:
        cells = "".join(f"<td>{html.escape(_cell(r.get(c), c, lang))}</td>" for c in columns)
        chosen = ' class="ecerp-fc-chosen"' if mark and r.get(mark) else ""
        body.append(f"<tr{chosen} data-key='{html.escape(str(r.get(columns[0])))}'>{cells}</tr>")
    return f"<table class='ecerp-fc-table {css}'><tr>{head}</tr>{''.join(body)}</table>"


def _cell(value, column: str, lang: str) -> str:
    if value is None:
        return ""
    if column in ("model", "best_baseline"):
        return t(f"forecast.model.{value}", lang)
    if column == "demand_class":
        return t(f"forecast.class.{value}", lang)
    if isinstance(value, float):
        return "" if value != value else f"{value:.3f}"
    return str(value)


class ForecastView:
    """Every event is wired in :meth:`_wire`."""

    def __init__(self, model: ForecastModel) -> None:
        self.model = model
        self.ctx = model.ctx
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        self.warehouse = classed(w.Dropdown(layout=w.Layout(width="220px")), "ecerp-fc-warehouse")
        self.category = classed(w.Dropdown(layout=w.Layout(width="220px")), "ecerp-fc-category")
        self._warehouses, self._categories = model.warehouses(), model.categories()
        self.i18n.bind(
            self.warehouse, "options", lambda lang: [(t("forecast.all", lang), ""), *self._warehouses]
        )
        self.i18n.bind(
            self.category, "options", lambda lang: [(t("forecast.all", lang), ""), *self._categories]
        )
        self.with_ml = self.i18n.bind(
            classed(w.Checkbox(value=True, indent=False), "ecerp-fc-ml"), "description", "forecast.with_ml"
        )
        self.run_button = button(self.i18n, "forecast.run", "ecerp-fc-run", style="primary", width="auto")
        self.series = classed(w.Dropdown(layout=w.Layout(width="320px")), "ecerp-fc-series")
        self.chart = classed(w.Box(layout=w.Layout(width="100%", min_height="40px")), "ecerp-fc-chart")
        self.why = classed(w.HTML(), "ecerp-fc-why")
        self.scores = classed(w.HTML(), "ecerp-fc-scores")
        self.replenish = classed(w.HTML(), "ecerp-fc-replenish")
        self.create_button = button(
            self.i18n, "forecast.create_drafts", "ecerp-fc-create", style="success", width="auto"
        )
        self.create_button.disabled = True
        self.create_button.layout.display = None if model.can("purchasing.write") else "none"
        bar = spaced(
            classed(
                w.HBox([self.warehouse, self.category, self.with_ml, self.run_button]), "ecerp-filter-bar"
            ),
            12,
        )
        self.titles = {
            k: self.i18n.bind(classed(w.HTML(), "ecerp-section-title"), "value", f"forecast.section.{k}")
            for k in ("chart", "backtest", "replenish")
        }
        cards = [
            classed(w.VBox([bar, self.series]), "ecerp-card"),
            classed(w.VBox([self.titles["chart"], self.chart, self.why]), "ecerp-card"),
            classed(w.VBox([self.titles["backtest"], self.scores]), "ecerp-card"),
            classed(w.VBox([self.titles["replenish"], self.replenish, self.create_button]), "ecerp-card"),
        ]
        self.shell = AppShell(self.ctx, "app.forecast.title", w.VBox([w.HTML(STYLE), *cards]))
        self.warehouse.index = self.category.index = 0
        self._wire()
        self.show_series()

    def _wire(self) -> None:
        self.run_button.on_click(self.on_run)
        self.create_button.on_click(self.on_create)
        self.series.observe(self.on_series, "value")
        self.i18n.on_change(lambda _: self.show_series())

    @ui_action
    def on_run(self, _button: w.Button) -> None:
        self.alerts.clear()
        self.model.warehouse = self.warehouse.value or None
        self.model.category = self.category.value or None
        self.model.with_ml = self.with_ml.value
        self.model.forecast()
        self.series.unobserve(self.on_series, "value")
        self.series.options = self.model.series()
        self.series.index = 0 if self.series.options else None
        self.series.observe(self.on_series, "value")
        self.create_button.disabled = not self.model.lines
        self.show_series()
        self.alerts.success(self.i18n.t("forecast.done", series=len(self.model.run.panel)))

    @ui_action
    def on_series(self, _change) -> None:
        self.show_series()

    @ui_action
    def on_create(self, _button: w.Button) -> None:
        ids = self.model.create_drafts()
        self.create_button.disabled = True
        self.alerts.success(self.i18n.t("forecast.drafts_created", count=len(ids)))

    def show_series(self) -> None:
        lang = self.i18n.language
        row = self.series.value
        if self.model.run is None or row is None:
            self.chart.children = ()
            self.why.value = f"<span class='ecerp-muted'>{html.escape(t('forecast.empty', lang))}</span>"
            self.scores.value = self.replenish.value = ""
            return
        self.chart.children = (self._figure(row, lang),)
        why = self.model.explanation(row)
        reason = (
            "baseline_only" if why["reason"] == "best_baseline" and why["ml_score"] is None else why["reason"]
        )
        self.why.value = t(
            f"forecast.why.{reason}",
            lang,
            **why
            | {
                "demand_class": t(f"forecast.class.{why['demand_class']}", lang),
                "model": t(f"forecast.model.{why['model']}", lang),
                "best_baseline": t(f"forecast.model.{why['best_baseline']}", lang),
            },
        )
        self.scores.value = table(
            self.model.scores(row), SCORE_COLUMNS, lang, "ecerp-fc-score-table", mark="chosen"
        )
        lines = [line.__dict__ for line in self.model.lines]
        self.replenish.value = (
            table(lines, REPLENISH_COLUMNS, lang, "ecerp-fc-replenish-table")
            if lines
            else f"<span class='ecerp-muted'>{html.escape(t('forecast.nothing_to_order', lang))}</span>"
        )

    def _figure(self, row: int, lang: str) -> w.Widget:
        import plotly.graph_objects as go  # plotly is loaded when the first chart is drawn, not at start

        d = self.model.chart_data(row)
        fig = go.FigureWidget()
        fig.add_scatter(
            x=d["dates"] + d["dates"][::-1],
            y=d["high"] + d["low"][::-1],
            fill="toself",
            fillcolor="rgba(31,111,235,.15)",
            line={"width": 0},
            name=t("forecast.chart.interval", lang),
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=d["days"],
            y=d["history"],
            mode="lines",
            line={"color": "#52606d"},
            name=t("forecast.chart.history", lang),
        )
        fig.add_scatter(
            x=d["dates"],
            y=d["mean"],
            mode="lines",
            line={"color": "#1f6feb", "width": 3},
            name=t("forecast.chart.forecast", lang),
        )
        fig.add_scatter(
            x=d["stockouts"],
            y=[0] * len(d["stockouts"]),
            mode="markers",
            marker={"color": "#c62828", "symbol": "x", "size": 9},
            name=t("forecast.chart.stockout", lang),
        )
        fig.update_layout(
            height=340,
            width=1100,
            margin={"l": 40, "r": 10, "t": 10, "b": 30},
            template="plotly_white",
            legend={"orientation": "h", "y": 1.08},
        )
        return fig
