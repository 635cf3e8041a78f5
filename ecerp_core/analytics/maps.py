"""Customers on a map of China: province names from order addresses matched to the shipped
boundaries (:file:`china_provinces.geojson`, Natural Earth, public domain — see its LICENSE note),
drawn as a plotly choropleth. Nothing is fetched at run time; nothing here reads the database.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import plotly.graph_objects as go

from ecerp_core.analytics.charts import LAYOUT
from ecerp_core.i18n import t

BOUNDARIES = Path(__file__).with_name("china_provinces.geojson")
SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
"""Longest first: 广西壮族自治区 -> 广西, not 广西壮族."""
SCALE = [[0.0, "#e3e9f0"], [0.15, "#c6dbef"], [0.5, "#6baed6"], [1.0, "#08306b"]]
"""Blues from a pale grey: a province without customers still shows on the page."""
EMPTY_TOPOLOGY = json.dumps({"type": "Topology", "objects": {}, "arcs": []}, separators=(",", ":"))
OFFLINE_CONFIG = {"topojsonURL": "data:application/json," + urllib.parse.quote(EMPTY_TOPOLOGY) + "#/"}
"""plotly's config for a map page: plotly.js loads a world outline (``<topojsonURL>/world_110m.json``)
for every map, from its CDN by default, even when the map shows none of it. This points it at an
empty outline inside the page (the ``#/`` turns the file name plotly appends into a fragment), so a
map draws with no network — in the app, in a rendered report and behind a firewall."""


@cache
def provinces() -> dict:
    """The shipped GeoJSON: one feature per province, ``id`` its short Chinese name."""
    return json.loads(BOUNDARIES.read_text(encoding="utf-8"))


@cache
def _aliases() -> dict[str, str]:
    names: dict[str, str] = {}
    for f in provinces()["features"]:
        p = f["properties"]
        for alias in (f["id"], p["name_zh"], p["name_en"]):
            names[alias.casefold()] = f["id"]
    names.update({"inner mongolia": "内蒙古", "tibet": "西藏", "macao": "澳门", "hongkong": "香港"})
    return names


def province_key(name: str | None) -> str | None:
    """The map's id of a province as an address writes it (省/市/自治区 or not, Chinese or English);
    None when it is no province of China.

    >>> [province_key(n) for n in ("广东省", "广东", "上海市", "广西壮族自治区", "Inner Mongolia", "CA")]
    ['广东', '广东', '上海', '广西', '内蒙古', None]
    """
    text = (name or "").strip()
    if not text:
        return None
    aliases = _aliases()
    if text.casefold() in aliases:
        return aliases[text.casefold()]
    for suffix in SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return aliases.get(text[: -len(suffix)].casefold())
    return None


def by_province(rows: Sequence[dict], label: str, value: str) -> tuple[dict[str, float], list[str]]:
    """``value`` added up per province id, and the labels that matched no province (abroad, blank)."""
    totals: dict[str, float] = {}
    unmatched = []
    for r in rows:
        key = province_key(r.get(label))
        if key is None:
            unmatched.append(str(r.get(label) or ""))
        else:
            totals[key] = totals.get(key, 0.0) + float(r.get(value) or 0)
    return totals, unmatched


def province_map_figure(
    rows: Sequence[dict], label: str = "province", value: str = "customers", language: str | None = None
) -> go.Figure:
    """A choropleth of ``value`` by province, every province drawn (none: the palest colour), the
    view fitted to China."""
    totals, _unmatched = by_province(rows, label, value)
    features = provinces()["features"]
    name_key = "name_en" if (language or "").startswith("en") else "name_zh"
    fig = go.Figure(
        go.Choropleth(
            geojson=provinces(),
            featureidkey="id",
            locations=[f["id"] for f in features],
            z=[totals.get(f["id"], 0) for f in features],
            text=[f["properties"][name_key] for f in features],
            hovertemplate="%{text}: %{z:,.0f}<extra></extra>",
            colorscale=SCALE,
            zmin=0,
            marker_line_color="#ffffff",
            marker_line_width=0.8,
            colorbar={"title": {"text": t(f"measure.{value}", language)}, "thickness": 14},
        )
    )
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    fig.update_layout(**{**LAYOUT, "height": 520, "margin": {"l": 10, "r": 10, "t": 48, "b": 10}})
    fig.update_layout(title={"text": t("chart.customers_map", language), "x": 0.01})
    return fig
