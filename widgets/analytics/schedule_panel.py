"""The saved-reports panel of the builder: each saved report, its schedule and its last run, and the
controls to schedule or unschedule the report picked in the builder's list. Rendering happens in
``ecerp report run-due`` (cron or a timer), not in the app."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.analytics.schedules import next_run_text, parse_at, schedule_text
from ecerp_core.i18n import t
from widgets.analytics.model import AnalyticsModel
from widgets.analytics.render import TABLE_STYLE, cell
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed, spaced

EVERY = ("daily", "weekly", "monthly")


def schedules_table(rows: list[dict], language: str) -> str:
    """Saved reports with their schedule, when each renders next and its last run, as an HTML table."""
    if not rows:
        return ""
    head = "".join(
        f"<th>{html.escape(t(f'analytics.saved.{c}', language))}</th>"
        for c in ("name", "title", "schedule", "next_at", "last_at", "last_by", "last_outcome")
    )
    body = []
    for r in rows:
        plan = schedule_text(r, language)
        outcome = r.get("last_outcome")
        shown = t(f"analytics.outcome.{outcome}", language) if outcome else "—"
        if outcome == "failed" and r.get("last_error"):
            shown = f'<span title="{html.escape(r["last_error"])}">{shown}</span>'
        last_at = r["last_at"].strftime("%Y-%m-%d %H:%M") if r.get("last_at") else "—"
        body.append(
            f'<tr class="ecerp-an-saved-row" data-name="{html.escape(r["name"])}">'
            f"<td>{html.escape(r['name'])}</td><td>{html.escape(r.get('title') or '')}</td>"
            f"<td>{html.escape(plan)}</td><td>{html.escape(next_run_text(r, language)) or '—'}</td>"
            f"<td>{last_at}</td><td>{cell(r.get('last_by'))}</td>"
            f"<td>{shown}</td></tr>"
        )
    table = f'<table class="ecerp-an-table ecerp-an-schedules"><tr>{head}</tr>{"".join(body)}</table>'
    return f'{TABLE_STYLE}<div class="ecerp-an-scroll">{table}</div>'


def saved_options(rows: list[dict], language: str) -> list[tuple[str, str]]:
    """The saved-report picker's options: each report's name with its schedule (``月报 · 每月 07:00``)."""
    return [(f"{r['name']} · {schedule_text(r, language)}", r["name"]) for r in rows]


class SchedulePanel:
    """Schedule or unschedule the report picked in ``picker`` (the builder's saved-report list)."""

    def __init__(self, model: AnalyticsModel, picker: w.Dropdown, alerts, i18n) -> None:
        self.model, self.picker, self.alerts, self.i18n = model, picker, alerts, i18n
        self.every = classed(w.Dropdown(layout=w.Layout(width="120px")), "ecerp-an-every")
        i18n.bind(self.every, "options", lambda lang: [(t(f"analytics.every.{e}", lang), e) for e in EVERY])
        self.every.value = "monthly"
        self.at = classed(w.Text(value="07:00", layout=w.Layout(width="80px")), "ecerp-an-at")
        self.schedule = button(i18n, "analytics.schedule", "ecerp-an-schedule", icon="clock-o", width="auto")
        self.unschedule = button(
            i18n, "analytics.unschedule", "ecerp-an-unschedule", icon="ban", width="auto"
        )
        can = model.can("analytics.report")
        for control in (self.every, self.at, self.schedule, self.unschedule):
            control.disabled = not can
        self.table = classed(w.HTML(), "ecerp-an-schedules-box")
        caption = classed(w.HTML(), "ecerp-field-label")
        i18n.bind(caption, "value", lambda lang: f"<label>{t('analytics.saved_reports', lang)}</label>")
        hint = classed(w.HTML(), "ecerp-muted")
        i18n.bind(hint, "value", lambda lang: html.escape(t("analytics.schedule_hint", lang)))
        controls = spaced(w.HBox([self.every, self.at, self.schedule, self.unschedule]), 8)
        self.box = classed(spaced(w.VBox([caption, controls, hint, self.table]), 6), "ecerp-an-saved-panel")
        self.schedule.on_click(self.schedule_picked)
        self.unschedule.on_click(self.unschedule_picked)
        i18n.on_change(lambda _lang: self.refresh())
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        """The table and the picker's options (each name with its schedule) read again; the picker
        keeps its report, or picks ``select``."""
        rows = self.model.schedules()
        self.table.value = schedules_table(rows, self.i18n.language) or (
            f'<div class="ecerp-muted">{self.i18n.t("common.no_rows")}</div>'
        )
        keep = select or self.picker.value
        self.picker.options = saved_options(rows, self.i18n.language)
        if keep in {r["name"] for r in rows}:
            self.picker.value = keep

    @ui_action
    def schedule_picked(self, _button=None) -> None:
        """Render the picked report every day, week or month at the time typed."""
        if not self.picker.value:
            return
        self.model.schedule(self.picker.value, self.every.value, self.at.value)
        self.refresh()
        self.alerts.success(
            self.i18n.t(
                "cli.report_scheduled",
                name=self.picker.value,
                every=self.i18n.t(f"analytics.every.{self.every.value}"),
                at=parse_at(self.at.value).strftime("%H:%M"),
            )
        )

    @ui_action
    def unschedule_picked(self, _button=None) -> None:
        """Stop rendering the picked report on a schedule."""
        if not self.picker.value:
            return
        self.model.unschedule(self.picker.value)
        self.refresh()
        self.alerts.success(self.i18n.t("cli.report_unscheduled", name=self.picker.value))
