"""Analytics' state and its calls into the analytics area. No widgets here.

A dashboard is a key of :data:`DASHBOARDS`; :meth:`AnalyticsModel.dashboard` runs its query and
returns its figure and rows. The builder holds a :class:`~ecerp_core.analytics.reports.ReportSpec`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from ecerp_core.analytics import charts, dashboards, maps, rollup
from ecerp_core.analytics.complaints import complaint_rates
from ecerp_core.analytics.layer import describe
from ecerp_core.analytics.reports import ReportResult, ReportSpec, run_report
from ecerp_core.analytics.schedules import report_schedules, schedule_report, unschedule_report
from ecerp_core.analytics.services import export_report, get_report, list_reports, save_report
from ecerp_core.db import is_transient
from widgets.common.actor import AppContext

DASHBOARDS = (
    "sales_trend",
    "by_platform",
    "by_shop",
    "by_category",
    "by_sku",
    "customers_map",
    "customers_province",
    "customers_country",
    "bestsellers",
    "slow_movers",
    "margin_category",
    "margin_sku",
    "returns",
    "complaints_month",
    "complaints_platform",
    "complaints_shop",
    "complaints_sku",
    "cohorts",
    "stock_cover",
)
"""Every dashboard, in the order the picker lists them."""


def _ranked(query: Callable, label: str, value: str, title: str, **kw) -> Callable:
    def draw(model: AnalyticsModel, session, language: str):
        rows = query(session, model.ctx.actor, model.window, **kw)
        return charts.ranked_figure(rows, label, value, title, language, currency=model.window.currency), rows

    return draw


def _trend(model: AnalyticsModel, session, language: str):
    rows = dashboards.sales_trend(session, model.ctx.actor, model.window, model.grain)
    return charts.trend_figure(rows, model.grain, model.window.currency, language), rows


def _margins(dimension: str):
    def draw(model: AnalyticsModel, session, language: str):
        rows = dashboards.margin_by(session, model.ctx.actor, model.window, dimension)
        fig = charts.bars_figure(rows, dimension, ("sales", "cost", "gross_margin"), "chart.margin", language)
        return fig, rows

    return draw


def _returns(model: AnalyticsModel, session, language: str):
    rows = dashboards.return_rates(session, model.ctx.actor, model.window)
    return charts.lines_figure(rows, "month", ("return_rate",), "chart.returns", language), rows


def _customers_map(model: AnalyticsModel, session, language: str):
    rows = dashboards.customers_by(session, model.ctx.actor, model.window, "province")
    return maps.province_map_figure(rows, "province", "customers", language), rows


def _complaints(by: str):
    def draw(model: AnalyticsModel, session, language: str):
        rows = complaint_rates(session, model.ctx.actor, model.window, by)
        if by == "month":
            fig = charts.lines_figure(rows, "month", ("complaint_rate",), "chart.complaints", language)
        else:
            fig = charts.ranked_figure(rows, by, "complaint_rate", "chart.complaints_by", language)
        return fig, rows

    return draw


def _cohorts(model: AnalyticsModel, session, language: str):
    rows = dashboards.cohort_retention(session, model.ctx.actor, model.window)
    model.repeat = dashboards.repeat_rate(session, model.ctx.actor, model.window)
    return charts.cohort_figure(rows, language), rows


def _stock(model: AnalyticsModel, session, language: str):
    rows = dashboards.stock_cover(session, model.ctx.actor, model.window)
    return charts.ranked_figure(
        rows[:20][::-1], "sku", "days_of_cover", "chart.days_of_cover", language
    ), rows


DRAW = {
    "sales_trend": _trend,
    "by_platform": _ranked(dashboards.sales_by, "platform", "sales", "chart.sales_by", dimension="platform"),
    "by_shop": _ranked(dashboards.sales_by, "shop", "sales", "chart.sales_by", dimension="shop"),
    "by_category": _ranked(dashboards.sales_by, "category", "sales", "chart.sales_by", dimension="category"),
    "by_sku": _ranked(dashboards.sales_by, "sku", "sales", "chart.sales_by", dimension="sku"),
    "customers_map": _customers_map,
    "customers_province": _ranked(
        dashboards.customers_by, "province", "customers", "chart.customers_by", dimension="province"
    ),
    "customers_country": _ranked(
        dashboards.customers_by, "country", "customers", "chart.customers_by", dimension="country"
    ),
    "bestsellers": _ranked(dashboards.bestsellers, "sku", "units", "chart.bestsellers"),
    "slow_movers": _ranked(dashboards.slow_movers, "sku", "on_hand", "chart.slow_movers"),
    "margin_category": _margins("category"),
    "margin_sku": _margins("sku"),
    "returns": _returns,
    "complaints_month": _complaints("month"),
    "complaints_platform": _complaints("platform"),
    "complaints_shop": _complaints("shop"),
    "complaints_sku": _complaints("sku"),
    "cohorts": _cohorts,
    "stock_cover": _stock,
}


class AnalyticsModel:
    """The window the dashboards look at, the dashboard chosen, and the report being built."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        with ctx.session(readonly=True) as session:
            self.window = dashboards.default_window(session, ctx.actor)
            self.currencies = dashboards.currencies(session, ctx.actor) or [self.window.currency]
        self.grain = "month"
        self.repeat: dict | None = None
        self.spec = ReportSpec(("month",), ("sales", "orders"))
        self.chart = "bar"
        self.result: ReportResult | None = None
        self.fields = describe()

    def can(self, permission: str) -> bool:
        return self.ctx.actor.can(permission)

    def set_window(self, date_from: dt.date | None, date_to: dt.date | None, currency: str | None) -> None:
        self.window = dashboards.Window(
            date_from or self.window.date_from,
            date_to or self.window.date_to,
            currency or self.window.currency,
        )

    def fresh_rollup(self) -> None:
        """Bring the sales rollup up to date (a short writing transaction, only when it is stale),
        so the read-only reads after it answer from it."""
        with self.ctx.session(readonly=True) as session:
            if rollup.is_fresh(session):
                return
        try:
            with self.ctx.session() as session:
                rollup.keep_fresh(session, self.ctx.actor)
        except Exception as exc:  # another writer holds the database: read the orders meanwhile
            if not is_transient(exc):
                raise

    def dashboard(self, key: str, language: str):
        """The figure and rows of dashboard ``key`` over the current window."""
        self.repeat = None
        self.fresh_rollup()
        with self.ctx.session(readonly=True) as session:
            return DRAW[key](self, session, language)

    # --- the report builder ---------------------------------------------------------------------
    def build(self, dimensions, measures, filters: dict, chart: str) -> ReportResult:
        """Run the report the builder describes (names of the layer only; the core checks them)."""
        window_filters = {"date_from": self.window.date_from, "date_to": self.window.date_to}
        self.spec = ReportSpec(tuple(dimensions), tuple(measures), {**window_filters, **filters})
        self.chart = chart
        self.fresh_rollup()
        with self.ctx.session(readonly=True) as session:
            self.result = run_report(session, self.ctx.actor, self.spec)
        return self.result

    def report_figure(self, language: str):
        if self.result is None:
            return None
        return charts.report_figure(
            self.result.rows, self.spec.dimensions, self.spec.measures, self.chart, language
        )

    def save(self, name: str) -> None:
        with self.ctx.session() as session:
            save_report(session, self.ctx.actor, name, self.spec, chart=self.chart)

    def load(self, name: str) -> ReportSpec:
        with self.ctx.session(readonly=True) as session:
            report, spec = get_report(session, self.ctx.actor, name)
            self.chart = report.chart
        self.spec = spec
        return spec

    def run_loaded(self) -> ReportResult:
        self.fresh_rollup()
        with self.ctx.session(readonly=True) as session:
            self.result = run_report(session, self.ctx.actor, replace(self.spec))
        return self.result

    def export(self, fmt: str, language: str) -> bytes:
        if self.result is None:
            self.run_loaded()
        return export_report(self.result, fmt, language=language)

    # --- saved reports on a schedule ------------------------------------------------------------
    def schedules(self) -> list[dict]:
        """Every saved report with its schedule and last run (the saved-reports panel's rows)."""
        with self.ctx.session(readonly=True) as session:
            reports = list_reports(session, self.ctx.actor)
            plans = report_schedules(session, self.ctx.actor)
        return [{**r, **plans.get(r["name"], {})} for r in reports]

    def schedule(self, name: str, every: str, at: str) -> None:
        with self.ctx.session() as session:
            schedule_report(session, self.ctx.actor, name, every, at)

    def unschedule(self, name: str) -> None:
        with self.ctx.session() as session:
            unschedule_report(session, self.ctx.actor, name)
