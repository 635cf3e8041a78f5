"""Saved custom reports: save (create or replace), list, run with parameters, delete, export.

Saving checks the definition against the semantic layer, needs ``analytics.report`` and writes an
audit row; every user who may read analytics sees and runs every saved report (they are shared).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.analytics.exceptions import BadFilterValue, ReportNotFound
from ecerp_core.analytics.models import ReportRun, ReportSchedule, SavedReport
from ecerp_core.analytics.reports import ReportResult, ReportSpec, check_spec, run_report
from ecerp_core.auth import Actor, require
from ecerp_core.db import utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.i18n import t
from ecerp_core.sheets import csv_text, write_table_xlsx

NAME = re.compile(r"^[\w\-. ]{1,100}$")
CHARTS = ("bar", "line", "table")


def save_report(
    session: Session, actor: Actor, name: str, spec: ReportSpec, *, title: str = "", chart: str = "bar"
) -> int:
    """Save ``spec`` under ``name`` (replacing a report of that name); returns its id.

    Only names of the semantic layer can be saved (:func:`check_spec`); the name is letters,
    digits, ``-``, ``_``, ``.`` and spaces.
    """
    require(actor, "analytics.report")
    name = (name or "").strip()
    problems = []
    if not NAME.match(name):
        problems.append(problem("name", "bad_report_name", value=name[:40]))
    if chart not in CHARTS:
        problems.append(problem(None, "unknown_field", value=str(chart)[:20]))
    if problems:
        raise ValidationError(problems)
    check_spec(spec)
    report = session.scalar(select(SavedReport).where(SavedReport.name == name))
    action = "update" if report else "create"
    if report is None:
        report = SavedReport(name=name, created_by=actor.id)
        session.add(report)
    report.title, report.chart, report.definition = title.strip()[:200], chart, spec.as_dict()
    report.updated_by, report.updated_at = actor.id, utcnow()
    session.flush()
    audit.record(
        session, actor, f"report.{action}", "saved_report", report.id, {"name": name, **spec.as_dict()}
    )
    return report.id


def list_reports(session: Session, actor: Actor) -> list[dict]:
    """Every saved report (shared by all), by name."""
    require(actor, "analytics.read")
    rows = session.scalars(select(SavedReport).order_by(SavedReport.name))
    return [
        {
            "id": r.id,
            "name": r.name,
            "title": r.title,
            "chart": r.chart,
            "dimensions": ",".join(r.definition.get("dimensions") or ()),
            "measures": ",".join(r.definition.get("measures") or ()),
            "updated_at": r.updated_at,
        }
        for r in rows
    ]


def get_report(session: Session, actor: Actor, name: str) -> tuple[SavedReport, ReportSpec]:
    require(actor, "analytics.read")
    report = session.scalar(select(SavedReport).where(SavedReport.name == name))
    if report is None:
        raise ReportNotFound(name=name)
    return report, ReportSpec.from_dict(report.definition)


def with_params(spec: ReportSpec, params: Mapping[str, str]) -> ReportSpec:
    """``spec`` with its filters overridden by ``params`` (filter name -> value); ``limit`` too."""
    filters = dict(spec.filters)
    limit = spec.limit
    for key, value in params.items():
        if key == "limit":
            try:
                limit = int(value)
            except ValueError:
                raise BadFilterValue(name=key, value=str(value)[:80]) from None
        else:
            filters[key] = value
    return ReportSpec(spec.dimensions, spec.measures, filters, spec.sort, spec.descending, limit)


def run_saved_report(
    session: Session, actor: Actor, name: str, params: Mapping[str, str] | None = None
) -> ReportResult:
    """Run the saved report ``name``, its filters overridden by ``params``."""
    _report, spec = get_report(session, actor, name)
    return run_report(session, actor, with_params(spec, params or {}))


def delete_report(session: Session, actor: Actor, name: str) -> None:
    require(actor, "analytics.report")
    report, _spec = get_report(session, actor, name)
    session.execute(delete(ReportSchedule).where(ReportSchedule.report_id == report.id))
    session.execute(delete(ReportRun).where(ReportRun.report_id == report.id))
    session.execute(delete(SavedReport).where(SavedReport.id == report.id))
    audit.record(session, actor, "report.delete", "saved_report", report.id, {"name": name})


def column_titles(columns: Sequence[str], language: str | None = None) -> dict[str, str]:
    """Each report column in people's words (``sales`` -> 销售额)."""
    return {c: label(c, language) for c in columns}


def label(name: str, language: str | None = None) -> str:
    """A dimension's or measure's name in people's words."""
    key = f"measure.{name}"
    text = t(key, language)
    return t(f"dimension.{name}", language) if text == key else text


def export_report(result: ReportResult, fmt: str, *, title: str = "", language: str | None = None) -> bytes:
    """A report's rows as CSV (UTF-8 with BOM, for Excel) or XLSX, through :mod:`ecerp_core.sheets`."""
    if fmt == "csv":
        return ("\ufeff" + csv_text(result.rows, result.columns)).encode("utf-8")
    if fmt == "xlsx":
        buf = io.BytesIO()
        write_table_xlsx(
            result.rows,
            result.columns,
            buf,
            title=title or t("analytics.report", language),
            column_titles=column_titles(result.columns, language),
        )
        return buf.getvalue()
    raise BadFilterValue(name="format", value=fmt)
