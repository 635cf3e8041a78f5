"""Named errors of the analytics area."""

from __future__ import annotations

from ecerp_core.errors import EcerpError


class UnknownField(EcerpError):
    """A report asked for a dimension, measure or filter the semantic layer does not declare
    (params: kind, name). Nothing outside the layer can be queried."""

    code = "error.analytics_unknown_field"


class GrainMismatch(EcerpError):
    """An order-level amount cannot be split by a line-level dimension (params: measure, dimension)."""

    code = "error.analytics_grain_mismatch"


class BadFilterValue(EcerpError):
    """A filter's value cannot be read (params: name, value)."""

    code = "error.analytics_bad_filter"


class EmptyReport(EcerpError):
    """A report needs at least one measure."""

    code = "error.analytics_empty_report"


class ReportNotFound(EcerpError):
    """No saved report has this name (params: name)."""

    code = "error.analytics_report_not_found"


class BadSchedule(EcerpError):
    """A schedule cannot be read: ``every`` is daily, weekly or monthly, ``at`` is HH:MM (params: value)."""

    code = "error.analytics_bad_schedule"


class ReportRenderFailed(EcerpError):
    """Rendering a report's notebook failed; the run is recorded as failed (params: name, reason)."""

    code = "error.analytics_render_failed"
