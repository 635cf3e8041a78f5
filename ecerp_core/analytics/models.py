"""Tables of analytics. Writes go through :mod:`ecerp_core.analytics.services`."""

from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ecerp_core.db import Base, created_at, intpk, updated_at


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
