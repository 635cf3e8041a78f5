"""HTML of the Analytics app's tables: a report's rows, a pivot of two dimensions, a download link."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from decimal import Decimal

from ecerp_core.analytics.charts import value_text
from ecerp_core.analytics.services import label

TABLE_STYLE = """
<style>
.ecerp-an-table { border-collapse: collapse; font-size: 13px; margin-top: 8px; }
.ecerp-an-table th { background: #eef2f6; color: #1f2933; font-weight: 600; padding: 5px 10px;
  border-bottom: 1px solid #d3dae1; text-align: left; white-space: nowrap; }
.ecerp-an-table td { padding: 4px 10px; border-bottom: 1px solid #eef0f2; white-space: nowrap; }
.ecerp-an-table td.num, .ecerp-an-table th.num { text-align: right; font-variant-numeric: tabular-nums; }
.ecerp-an-scroll { max-height: 420px; overflow: auto; }
.ecerp-an-figures { display: flex; gap: 14px; margin: 6px 0 4px; flex-wrap: wrap; }
.ecerp-an-figure { background: #f4f8fd; border: 1px solid #d6e4f5; border-radius: 8px; padding: 8px 14px; }
.ecerp-an-figure b { display: block; font-size: 18px; color: #1f3a5f; }
.ecerp-an-figure span { font-size: 12px; color: #52606d; }
</style>
"""


def cell(value: object) -> str:
    """A value as shown: money with thousands separators, ratios as percentages, blanks as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        if value.as_tuple().exponent == -4:
            return f"{value * 100:.1f}%"
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def _numeric(rows: Sequence[dict], column: str) -> bool:
    return any(isinstance(r.get(column), int | Decimal) for r in rows)


def rows_table(rows: Sequence[dict], columns: Sequence[str], language: str, limit: int = 200) -> str:
    """Rows as an HTML table, columns titled in ``language``."""
    if not rows:
        return ""
    nums = {c for c in columns if _numeric(rows, c)}
    head = "".join(
        f'<th class="{"num" if c in nums else ""}">{html.escape(label(c, language))}</th>' for c in columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell(r.get(c))}</td>'
            if c in nums
            else f"<td>{cell(value_text(c, r.get(c), language))}</td>"
            for c in columns
        )
        + "</tr>"
        for r in rows[:limit]
    )
    table = f'<table class="ecerp-an-table"><tr>{head}</tr>{body}</table>'
    return f'{TABLE_STYLE}<div class="ecerp-an-scroll">{table}</div>'


def pivot_table(rows: Sequence[dict], row_dim: str, col_dim: str, measure: str, language: str) -> str:
    """One measure, the first dimension down and the second across (a pivot of the aggregated rows)."""
    across = sorted({value_text(col_dim, r[col_dim], language) for r in rows})
    down: dict[str, dict[str, object]] = {}
    for r in rows:
        down.setdefault(value_text(row_dim, r[row_dim], language), {})[
            value_text(col_dim, r[col_dim], language)
        ] = r[measure]
    head = f"<th>{html.escape(label(row_dim, language))} \\ {html.escape(label(col_dim, language))}</th>"
    head += "".join(f'<th class="num">{html.escape(a) or "—"}</th>' for a in across)
    body = "".join(
        f"<tr><td>{html.escape(k) or '—'}</td>"
        + "".join(f'<td class="num">{cell(v.get(a))}</td>' for a in across)
        + "</tr>"
        for k, v in down.items()
    )
    title = html.escape(label(measure, language))
    return (
        f'{TABLE_STYLE}<div class="ecerp-muted">{title}</div><div class="ecerp-an-scroll">'
        f'<table class="ecerp-an-table ecerp-an-pivot"><tr>{head}</tr>{body}</table></div>'
    )


def figures_html(figures: Sequence[tuple[str, str]]) -> str:
    """Big numbers with their captions: ``[(value, caption), ...]``."""
    items = "".join(
        f'<div class="ecerp-an-figure"><b>{html.escape(v)}</b><span>{html.escape(c)}</span></div>'
        for v, c in figures
    )
    return f'{TABLE_STYLE}<div class="ecerp-an-figures">{items}</div>'


def download_link(data: bytes, filename: str, text: str) -> str:
    """A link that saves ``data`` as ``filename`` in the browser (no server round trip)."""
    mime = (
        "text/csv"
        if filename.endswith(".csv")
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<a class="ecerp-an-download" download="{html.escape(filename)}" '
        f'href="data:{mime};base64,{encoded}">⬇ {html.escape(text)} ({html.escape(filename)})</a>'
    )
