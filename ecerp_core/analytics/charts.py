"""plotly figures of the dashboards and of custom reports, titled in the reader's language.

Each function takes the rows a :mod:`ecerp_core.analytics.dashboards` query returned (already
aggregated) and returns a ``plotly.graph_objects.Figure``; nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from ecerp_core.analytics.layer import MEASURES
from ecerp_core.i18n import t, t_or

COLORS = ("#1f6feb", "#94a3b8", "#2b8a3e", "#d9480f", "#5f3dc4", "#c2255c")
LAYOUT = {
    "template": "plotly_white",
    "height": 380,
    "margin": {"l": 60, "r": 20, "t": 48, "b": 48},
    "font": {"family": '"PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif', "size": 12},
    "legend": {"orientation": "h", "y": 1.08, "x": 1, "xanchor": "right"},
}


def _num(values) -> list[float | None]:
    """Plot values (plotly draws floats; the figures shown stay the exact Decimals in the tables)."""
    return [None if v is None else float(v) for v in values]


def _figure(title_key: str, language: str | None, **params) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title={"text": t(title_key, language, **params), "x": 0.01}, **LAYOUT)
    return fig


def trend_figure(rows: Sequence[dict], grain: str, currency: str, language: str | None = None) -> go.Figure:
    """Sales by period (bars) and the same period a year before (line)."""
    fig = _figure("chart.sales_trend", language, grain=t(f"dimension.{grain}", language), currency=currency)
    x = [r["period"] for r in rows]
    fig.add_bar(
        x=x, y=_num(r["sales"] for r in rows), name=t("measure.sales", language), marker_color=COLORS[0]
    )
    fig.add_scatter(
        x=x,
        y=_num(r["sales_last_year"] for r in rows),
        name=t("chart.last_year", language),
        mode="lines+markers",
        line={"color": COLORS[3], "dash": "dot"},
    )
    fig.update_xaxes(type="category")
    return fig


_VALUE_KEYS = {"platform": "choice.platform.{}", "tier": "choice.tier.{}", "status": "status.{}"}


def value_text(name: str, value: object, language: str | None = None) -> str:
    """A dimension's value in people's words (``jd`` -> 京东, ``vip`` -> VIP, ``paid`` -> 已付款);
    other values (dates, SKUs, provinces) as they are. Exports keep the codes."""
    text = "" if value is None else str(value)
    pattern = _VALUE_KEYS.get(name)
    if pattern is None or not text:
        return text
    return t_or(pattern.format(text), text, language)


def ranked_figure(
    rows: Sequence[dict], label: str, value: str, title_key: str, language: str | None = None, **params
) -> go.Figure:
    """Horizontal bars, largest on top: rankings (bestsellers, provinces, shops ...)."""
    fig = _figure(title_key, language, **params)
    rows = list(rows)[::-1]
    fig.add_bar(
        y=[value_text(label, r[label], language) or "—" for r in rows],
        x=_num(r[value] for r in rows),
        orientation="h",
        marker_color=COLORS[0],
        name=t(f"measure.{value}", language),
    )
    fig.update_layout(height=max(260, 60 + 24 * len(rows)))
    fig.update_yaxes(type="category", automargin=True)
    return fig


def _second_axis(fig: go.Figure, values: Sequence[str]) -> set[str]:
    """Measures of another kind than the first (a count beside money) go on a right-hand axis, so
    neither flattens the other; returns their names."""
    kinds = [MEASURES[v].kind if v in MEASURES else "" for v in values]
    right = {v for v, k in zip(values, kinds, strict=True) if k != kinds[0]}
    if right:
        fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False})
    return right


def bars_figure(
    rows: Sequence[dict], x: str, values: Sequence[str], title_key: str, language: str | None = None, **params
) -> go.Figure:
    """Grouped bars of one or more measures by a dimension (a custom report, margins, returns)."""
    fig = _figure(title_key, language, **params)
    right = _second_axis(fig, values)
    for n, v in enumerate(values):
        fig.add_bar(
            x=[value_text(x, r[x], language) or "—" for r in rows],
            y=_num(r[v] for r in rows),
            name=t(f"measure.{v}", language),
            marker_color=COLORS[n % len(COLORS)],
            offsetgroup=str(n),
            yaxis="y2" if v in right else "y",
        )
    fig.update_xaxes(type="category")
    return fig


def lines_figure(
    rows: Sequence[dict], x: str, values: Sequence[str], title_key: str, language: str | None = None, **params
) -> go.Figure:
    """Lines of one or more measures along a dimension (usually time)."""
    fig = _figure(title_key, language, **params)
    right = _second_axis(fig, values)
    for n, v in enumerate(values):
        fig.add_scatter(
            x=[value_text(x, r[x], language) for r in rows],
            y=_num(r[v] for r in rows),
            name=t(f"measure.{v}", language),
            mode="lines+markers",
            line={"color": COLORS[n % len(COLORS)]},
            yaxis="y2" if v in right else "y",
        )
    fig.update_xaxes(type="category")
    return fig


def cohort_figure(rows: Sequence[dict], language: str | None = None) -> go.Figure:
    """Monthly cohort retention as a heat map: cohort (rows) × months later (columns)."""
    fig = _figure("chart.cohorts", language)
    cohorts = sorted({r["cohort"] for r in rows})
    months = sorted({r["months_later"] for r in rows})
    cell = {(r["cohort"], r["months_later"]): r["retention"] for r in rows}
    z = [[None if cell.get((c, m)) is None else float(cell[(c, m)]) * 100 for m in months] for c in cohorts]
    fig.add_heatmap(
        z=z,
        x=[str(m) for m in months],
        y=cohorts,
        colorscale="Blues",
        zmin=0,
        zmax=100,
        texttemplate="%{z:.0f}%",
        hovertemplate="%{y} +%{x}: %{z:.1f}%<extra></extra>",
        colorbar={"ticksuffix": "%"},
    )
    fig.update_xaxes(title=t("chart.months_later", language), type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def report_figure(
    rows: Sequence[dict],
    dimensions: Sequence[str],
    measures: Sequence[str],
    chart: str,
    language: str | None = None,
) -> go.Figure | None:
    """A custom report's chart: its first dimension along x (the second, if any, joined into the
    label), its measures as bars or lines; None for a table-only report or one without dimensions."""
    if chart == "table" or not dimensions or not rows:
        return None
    label_rows = [
        {**r, "_label": " · ".join(value_text(d, r[d], language) for d in dimensions)} for r in rows
    ]
    draw = lines_figure if chart == "line" else bars_figure
    return draw(label_rows, "_label", measures, "chart.report", language)
