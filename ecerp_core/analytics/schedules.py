"""Saved reports on a schedule: when each is due, which runs are owed, and the record of every run.

A schedule says ``daily``, ``weekly`` (Mondays) or ``monthly`` (the 1st) at ``HH:MM`` in the
company's time zone. ``ecerp report run-due`` (cron or a systemd timer, every few minutes) asks
:func:`claim_due_runs` for the reports whose latest slot has passed and has no run yet, claims each
slot by inserting its run (unique per report and slot, so two runners never render one slot twice,
and a slot missed while the machine was off is rendered once, not once per missed day), renders them
outside the transaction (:mod:`ecerp_core.analytics.rendering`) and records how it ended
(:func:`finish_run`). A slot before the schedule was made is never owed.

Unless its parameters set ``date_from`` / ``date_to``, a scheduled run covers the period that just
ended: yesterday, last week (Monday to Sunday) or last month.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.analytics.exceptions import BadSchedule
from ecerp_core.analytics.models import ReportRun, ReportSchedule, SavedReport
from ecerp_core.analytics.rendering import file_stem, render_notebook
from ecerp_core.analytics.reports import check_spec
from ecerp_core.analytics.services import get_report, with_params
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import company_timezone
from ecerp_core.db import utcnow
from ecerp_core.i18n import t

EVERY = ("daily", "weekly", "monthly")
AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_at(text: str) -> dt.time:
    """``HH:MM`` as a time of day.

    >>> parse_at("7:30"), parse_at("23:05")
    (datetime.time(7, 30), datetime.time(23, 5))
    """
    match = AT.match((text or "").strip())
    if not match:
        raise BadSchedule(value=str(text)[:20])
    return dt.time(int(match[1]), int(match[2]))


def latest_slot(every: str, at: dt.time, now: dt.datetime) -> dt.datetime:
    """The latest due moment at or before ``now`` (aware, in the company's zone): today's (or this
    Monday's, or this month's 1st) at ``at`` once it has passed, else the one before.

    >>> tz = dt.timezone(dt.timedelta(hours=8))
    >>> now = dt.datetime(2026, 11, 4, 6, 0, tzinfo=tz)  # a Wednesday, 06:00
    >>> [latest_slot(e, dt.time(7), now).strftime("%m-%d %H:%M") for e in EVERY]
    ['11-03 07:00', '11-02 07:00', '11-01 07:00']
    """
    tz, day = now.tzinfo, now.date()

    def at_day(d: dt.date) -> dt.datetime:
        return dt.datetime.combine(d, at, tz)

    if every == "daily":
        slot = at_day(day)
        return slot if slot <= now else at_day(day - dt.timedelta(days=1))
    if every == "weekly":
        monday = day - dt.timedelta(days=day.weekday())
        slot = at_day(monday)
        return slot if slot <= now else at_day(monday - dt.timedelta(days=7))
    if every == "monthly":
        first = day.replace(day=1)
        slot = at_day(first)
        return slot if slot <= now else at_day((first - dt.timedelta(days=1)).replace(day=1))
    raise BadSchedule(value=str(every)[:20])


def next_slot(every: str, at: dt.time, now: dt.datetime) -> dt.datetime:
    """The first due moment after ``now`` (aware, in the company's zone): the slot after
    :func:`latest_slot`.

    >>> tz = dt.timezone(dt.timedelta(hours=8))
    >>> now = dt.datetime(2026, 12, 30, 8, 0, tzinfo=tz)  # a Wednesday, 08:00
    >>> [next_slot(e, dt.time(7), now).strftime("%Y-%m-%d %H:%M") for e in EVERY]
    ['2026-12-31 07:00', '2027-01-04 07:00', '2027-01-01 07:00']
    """
    latest = latest_slot(every, at, now).date()
    if every == "daily":
        day = latest + dt.timedelta(days=1)
    elif every == "weekly":
        day = latest + dt.timedelta(days=7)
    else:
        day = (latest.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return dt.datetime.combine(day, at, now.tzinfo)


def period_before(every: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period a run due on ``day`` covers: the day, week or month that ended before it.

    >>> period_before("monthly", dt.date(2026, 11, 1))
    (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    >>> period_before("weekly", dt.date(2026, 11, 2))
    (datetime.date(2026, 10, 26), datetime.date(2026, 11, 1))
    """
    last = day - dt.timedelta(days=1)
    if every == "daily":
        return last, last
    if every == "weekly":
        return day - dt.timedelta(days=7), last
    return last.replace(day=1), last


@dataclass(frozen=True)
class ClaimedRun:
    """A run claimed for rendering: its id, the report, the filters it runs with, its slot (UTC;
    None when asked for by hand) and the company-local moment its files are named after."""

    run_id: int
    name: str
    title: str
    params: dict
    slot: dt.datetime | None
    local_at: dt.datetime


def schedule_report(
    session: Session,
    actor: Actor,
    name: str,
    every: str,
    at: str = "07:00",
    params: Mapping[str, str] | None = None,
) -> None:
    """Render saved report ``name`` every day, week or month at ``at`` (replacing its schedule).

    ``params`` override its filters in every run (checked against the semantic layer now).
    """
    require(actor, "analytics.report")
    if every not in EVERY:
        raise BadSchedule(value=str(every)[:20])
    time_of_day = parse_at(at)
    report, spec = get_report(session, actor, name)
    params = {str(k): str(v) for k, v in (params or {}).items()}
    check_spec(with_params(spec, params))
    found = session.get(ReportSchedule, report.id)
    if found is None:
        found = ReportSchedule(report_id=report.id, created_by=actor.id, created_at=utcnow())
        session.add(found)
    found.every, found.at, found.params = every, time_of_day.strftime("%H:%M"), params
    session.flush()
    audit.record(
        session,
        actor,
        "report.schedule",
        "saved_report",
        report.id,
        {"name": name, "every": every, "at": found.at, "params": params},
    )


def unschedule_report(session: Session, actor: Actor, name: str) -> None:
    """Stop rendering ``name`` on a schedule (its past runs stay on record)."""
    require(actor, "analytics.report")
    report, _spec = get_report(session, actor, name)
    gone = session.execute(delete(ReportSchedule).where(ReportSchedule.report_id == report.id)).rowcount
    if gone:
        audit.record(session, actor, "report.unschedule", "saved_report", report.id, {"name": name})


def _run_params(schedule: ReportSchedule, slot_day: dt.date) -> dict:
    params = dict(schedule.params or {})
    if "date_from" not in params and "date_to" not in params:
        start, end = period_before(schedule.every, slot_day)
        params.update(date_from=start.isoformat(), date_to=end.isoformat())
    return params


def claim_due_runs(session: Session, actor: Actor, now: dt.datetime | None = None) -> list[ClaimedRun]:
    """Claim every scheduled report whose latest slot has passed and has no run: insert its run
    (outcome ``running``) and return it. The caller commits before rendering, so another runner
    sees the claim; a slot another runner claimed first is skipped."""
    require(actor, "analytics.report")
    tz = company_timezone(session)
    now = (now or utcnow()).astimezone(tz)
    rows = session.execute(
        select(SavedReport, ReportSchedule)
        .join(ReportSchedule, ReportSchedule.report_id == SavedReport.id)
        .order_by(SavedReport.name)
    ).all()
    claimed = []
    for report, schedule in rows:
        slot = latest_slot(schedule.every, parse_at(schedule.at), now)
        if slot < schedule.created_at:
            continue
        slot_utc = slot.astimezone(dt.UTC)
        taken = select(ReportRun.id).where(ReportRun.report_id == report.id, ReportRun.slot == slot_utc)
        if session.scalar(taken) is not None:
            continue
        run = ReportRun(
            report_id=report.id,
            slot=slot_utc,
            started_at=utcnow(),
            actor_id=actor.id,
            actor_name=actor.username,
        )
        try:
            with session.begin_nested():
                session.add(run)
        except IntegrityError:  # another runner claimed this slot a moment ago
            continue
        params = _run_params(schedule, slot.date())
        claimed.append(ClaimedRun(run.id, report.name, report.title, params, slot_utc, slot))
    return claimed


def start_run(session: Session, actor: Actor, name: str, params: Mapping[str, str]) -> ClaimedRun:
    """Record a rendering asked for by hand (``ecerp report render``); its filters are checked now."""
    report, spec = get_report(session, actor, name)
    check_spec(with_params(spec, params))
    run = ReportRun(report_id=report.id, started_at=utcnow(), actor_id=actor.id, actor_name=actor.username)
    session.add(run)
    session.flush()
    local_at = run.started_at.astimezone(company_timezone(session))
    return ClaimedRun(run.id, report.name, report.title, dict(params), None, local_at)


def finish_run(
    session: Session, actor: Actor, run_id: int, *, notebook: str = "", html: str = "", error: str = ""
) -> None:
    """Record how run ``run_id`` ended (``failed`` when ``error`` says why), with an audit row."""
    require(actor, "analytics.read")
    run = session.get(ReportRun, run_id)
    run.finished_at, run.notebook, run.html = utcnow(), notebook[:500], html[:500]
    run.outcome, run.error = ("failed", error[:500]) if error else ("ok", "")
    session.flush()
    audit.record(
        session,
        actor,
        "report.render",
        "saved_report",
        run.report_id,
        {"run": run.id, "slot": run.slot, "outcome": run.outcome, "html": run.html, "error": run.error},
    )


def render_run(
    run: ClaimedRun, out_dir: Path, *, database_url: str, username: str, language: str | None = None
) -> dict[str, str]:
    """Render a claimed run to ``out_dir`` (outside any transaction: the notebook's kernel reads the
    database itself, as ``username``); returns what :func:`finish_run` records: ``notebook``,
    ``html`` and, when it failed, ``error`` (the notebook written so far is kept)."""
    values = {
        "report": run.name,
        "params": run.params,
        "username": username,
        "language": language or "zh_CN",
        "generated_at": run.local_at.isoformat(timespec="minutes"),
    }
    stem = file_stem(run.name, run.local_at)
    out_dir = Path(out_dir)
    try:
        ipynb, html = render_notebook(values, out_dir, stem, database_url=database_url)
    except Exception as exc:  # any failure of the kernel or a cell is the run's outcome
        reason = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}"
        return {"notebook": str(out_dir / f"{stem}.ipynb"), "html": "", "error": reason.strip()[:500]}
    return {"notebook": str(ipynb), "html": str(html), "error": ""}


def report_schedules(session: Session, actor: Actor, now: dt.datetime | None = None) -> dict[str, dict]:
    """Each saved report's schedule (``every``, ``at``, ``params``; None when it has none), when it
    runs next (``next_at``, in the company's zone: the latest slot while that one is still owed,
    ``due`` then true, else the next; None unscheduled) and last run (``last_at``, ``last_by``,
    ``last_outcome``, ``last_html``, ``last_error``), by name."""
    require(actor, "analytics.read")
    now = (now or utcnow()).astimezone(company_timezone(session))
    last = (
        select(ReportRun.report_id, func.max(ReportRun.id).label("run_id"))
        .group_by(ReportRun.report_id)
        .subquery("last")
    )
    stmt = (
        select(SavedReport.name, ReportSchedule, ReportRun)
        .outerjoin(ReportSchedule, ReportSchedule.report_id == SavedReport.id)
        .outerjoin(last, last.c.report_id == SavedReport.id)
        .outerjoin(ReportRun, ReportRun.id == last.c.run_id)
        .order_by(SavedReport.name)
    )
    out = {}
    for name, schedule, run in session.execute(stmt).all():
        next_at, due = _next_run(session, schedule, now) if schedule else (None, False)
        out[name] = {
            "every": schedule.every if schedule else None,
            "at": schedule.at if schedule else None,
            "params": dict(schedule.params or {}) if schedule else {},
            "next_at": next_at,
            "due": due,
            "last_at": run.started_at if run else None,
            "last_by": run.actor_name if run else None,
            "last_outcome": run.outcome if run else None,
            "last_html": run.html if run else None,
            "last_error": run.error if run else None,
        }
    return out


def _next_run(session: Session, schedule: ReportSchedule, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """When ``schedule`` renders next and whether that is owed already (as :func:`claim_due_runs`
    finds it: its latest slot passed, after the schedule was made, with no run yet)."""
    at = parse_at(schedule.at)
    slot = latest_slot(schedule.every, at, now)
    if slot >= schedule.created_at:
        taken = select(ReportRun.id).where(
            ReportRun.report_id == schedule.report_id, ReportRun.slot == slot.astimezone(dt.UTC)
        )
        if session.scalar(taken) is None:
            return slot, True
    return next_slot(schedule.every, at, now), False


def schedule_text(row: Mapping, language: str | None = None) -> str:
    """A report's schedule in words: ``每月 07:00``, or that it has none (a row of
    :func:`report_schedules`)."""
    if not row.get("every"):
        return t("analytics.not_scheduled", language)
    every = row["every"]
    return f"{t(f'analytics.every.{every}', language)} {row['at']}"


def next_run_text(row: Mapping, language: str | None = None) -> str:
    """When a report renders next, in the company's time: ``2026-12-01 07:00``, marked when that
    slot is owed already (the next ``ecerp report run-due`` renders it); ``""`` unscheduled."""
    if not row.get("next_at"):
        return ""
    at = row["next_at"].strftime("%Y-%m-%d %H:%M")
    return t("analytics.next_due", language, at=at) if row.get("due") else at


def list_runs(session: Session, actor: Actor, name: str | None = None, limit: int = 50) -> list[dict]:
    """The latest runs, newest first (of one report when ``name`` is given)."""
    require(actor, "analytics.read")
    stmt = (
        select(SavedReport.name, ReportRun)
        .join(ReportRun, ReportRun.report_id == SavedReport.id)
        .order_by(ReportRun.id.desc())
        .limit(limit)
    )
    if name:
        stmt = stmt.where(SavedReport.name == name)
    return [
        {
            "name": report_name,
            "slot": r.slot,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "by": r.actor_name,
            "outcome": r.outcome,
            "html": r.html,
            "error": r.error,
        }
        for report_name, r in session.execute(stmt)
    ]


__all__ = [
    "EVERY",
    "ClaimedRun",
    "claim_due_runs",
    "finish_run",
    "latest_slot",
    "list_runs",
    "next_run_text",
    "next_slot",
    "parse_at",
    "period_before",
    "render_run",
    "report_schedules",
    "schedule_report",
    "schedule_text",
    "start_run",
    "unschedule_report",
]
