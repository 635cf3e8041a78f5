"""Tables of analytics. Writes go through :mod:`ecerp_core.analytics.services`."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecerp_core.db import Base, Timestamp, created_at, intpk, updated_at


class SavedReport(Base):
    """A custom report's definition (自定义报表), shared with every user who may read analytics.

    name: unique, what ``ecerp report run NAME`` and the builder's list use.
    definition: :meth:`ecerp_core.analytics.reports.ReportSpec.as_dict` — names of the semantic
    layer only, checked again every time it runs.
    chart: how the builder draws it (``bar``, ``line`` or ``table``).
    created_by / updated_by: user ids.
    """

    __tablename__ = "saved_report"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    definition: Mapped[dict] = mapped_column(JSON, default=dict)
    chart: Mapped[str] = mapped_column(String(10), default="bar")
    created_by: Mapped[int | None]
    updated_by: Mapped[int | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class ReportSchedule(Base):
    """When a saved report is rendered on its own (``ecerp report run-due``, from cron or a timer).

    every: ``daily``, ``weekly`` (Mondays) or ``monthly`` (the 1st); at: ``HH:MM`` in the company's
    time zone. params: filter overrides (name -> value) the runs use; without ``date_from`` /
    ``date_to`` a run covers the period that just ended (yesterday, last week, last month).
    created_at: slots before it are never run (a new schedule waits for its first slot).
    """

    __tablename__ = "saved_report_schedule"

    report_id: Mapped[int] = mapped_column(ForeignKey("saved_report.id"), primary_key=True)
    every: Mapped[str] = mapped_column(String(10))
    at: Mapped[str] = mapped_column(String(5), default="07:00")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None]
    created_at: Mapped[created_at]


class ReportRun(Base):
    """One rendering of a saved report to a notebook and its HTML: when, by whom, the files, how it ended.

    slot: the due moment (UTC) a scheduled run stands for — unique per report, so no slot runs twice
    (a manual ``ecerp report render`` has none). outcome: ``running``, ``ok`` or ``failed`` (then
    ``error`` says why). notebook / html: the files written.
    """

    __tablename__ = "saved_report_run"
    __table_args__ = (UniqueConstraint("report_id", "slot"),)

    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(ForeignKey("saved_report.id"), index=True)
    slot: Mapped[Timestamp | None]
    started_at: Mapped[Timestamp]
    finished_at: Mapped[Timestamp | None]
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(10), default="running")
    notebook: Mapped[str] = mapped_column(String(500), default="")
    html: Mapped[str] = mapped_column(String(500), default="")
    error: Mapped[str] = mapped_column(String(500), default="")
