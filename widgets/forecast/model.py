"""The Forecast app's state and its calls into the forecast services. No widgets here.

The forecast (and scikit-learn inside it) runs only when the buyer presses the button, so the app
opens without paying for it.
"""

from __future__ import annotations

import math

import numpy as np

from ecerp_core.catalog import services as catalog
from ecerp_core.forecast import services
from ecerp_core.forecast.backtest import CHOSEN
from widgets.common.actor import AppContext

HISTORY_DAYS = 120
"""Days of history the chart shows before the forecast."""


class ForecastModel:
    """The scope (warehouse, category), the last run, the series picked and its replenishment."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.warehouse: str | None = None
        self.category: str | None = None
        self.with_ml = True
        self.service_level = 0.95
        self.run: services.ForecastRun | None = None
        self.lines: list[services.Replenishment] = []
        self.created: list[int] = []

    def can(self, permission: str) -> bool:
        return self.ctx.actor.can(permission)

    def warehouses(self) -> list[tuple[str, str]]:
        with self.ctx.session(readonly=True) as session:
            return [
                (label, label.split(" ")[0])
                for label, _ in catalog.choices(session, self.ctx.actor, "warehouse")
            ]

    def categories(self) -> list[tuple[str, str]]:
        with self.ctx.session(readonly=True) as session:
            return [
                (label, label.split(" ")[0])
                for label, _ in catalog.choices(session, self.ctx.actor, "category")
            ]

    def forecast(self) -> None:
        """Backtest, forecast and replenish the scope."""
        scope = services.Scope(warehouse=self.warehouse, category=self.category)
        with self.ctx.session(readonly=True) as session:
            self.run = services.run_forecast(
                session, self.ctx.actor, scope, service_level=self.service_level, with_ml=self.with_ml
            )
            self.lines = (
                services.replenishment(session, self.ctx.actor, self.run, service_level=self.service_level)
                if self.can("purchasing.read")
                else []
            )

    def series(self) -> list[tuple[str, int]]:
        """``[("sku · warehouse", row)]`` of the last run, biggest sellers first."""
        if self.run is None:
            return []
        y = np.nan_to_num(self.run.panel.y[:, -90:]).sum(axis=1)
        order = np.argsort(-y, kind="stable")
        return [
            (f"{sku} · {wh}" if wh else sku, int(i)) for i in order for sku, wh in [self.run.panel.keys[i]]
        ]

    def chart_data(self, row: int) -> dict:
        """History (censored days apart), forecast mean and its 5–95% interval of one series."""
        run = self.run
        days = run.panel.days[-HISTORY_DAYS:]
        y = run.panel.y[row, -HISTORY_DAYS:]
        censored = np.isnan(y)
        return {
            "days": list(days.date),
            "history": [None if c else float(v) for v, c in zip(y, censored, strict=True)],
            "stockouts": [d for d, c in zip(days.date, censored, strict=True) if c],
            "dates": run.dates,
            "mean": run.mean[row].tolist(),
            "low": run.quantiles[min(run.quantiles)][row].tolist(),
            "high": run.quantiles[max(run.quantiles)][row].tolist(),
        }

    def explanation(self, row: int) -> dict:
        """The class of a series, its model and why (the backtest's choice for the class)."""
        run = self.run
        c = str(run.classes[row])
        choice = run.backtest.choices.get(c) if run.backtest else None
        return {
            "demand_class": c,
            "model": run.models[row],
            "reason": choice.reason if choice else "default",
            "best_baseline": choice.best_baseline if choice else run.models[row],
            "baseline_score": _num(choice.baseline_score if choice else math.nan),
            "ml_score": _num(choice.ml_score if choice else math.nan),
        }

    def scores(self, row: int) -> list[dict]:
        """The backtest scores of every model on this series' class."""
        run = self.run
        if run.backtest is None:
            return []
        c = str(run.classes[row])
        return [
            s.__dict__ | {"chosen": s.model in (run.models[row], CHOSEN)}
            for s in run.backtest.scores
            if s.demand_class == c
        ]

    def create_drafts(self) -> list[int]:
        with self.ctx.session() as session:
            self.created = services.create_draft_orders(session, self.ctx.actor, self.lines)
        return self.created


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 3)
