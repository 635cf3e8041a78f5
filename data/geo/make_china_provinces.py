"""Cut China's provinces out of Natural Earth's 10m admin-1 layer, simplify them, write a small GeoJSON.

Usage: ``python data/geo/make_china_provinces.py ne_10m_admin_1_states_provinces.json OUT.geojson 0.02``
(what made ``ecerp_core/analytics/china_provinces.geojson``; see its LICENSE note). Pure Python.
"""

from __future__ import annotations

import json
import sys
from itertools import pairwise
from pathlib import Path

SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
JOINED = {  # parts of Natural Earth that make one province here
    "TWN": ("台湾", "台湾省", "Taiwan"),
    "HKG": ("香港", "香港特别行政区", "Hong Kong"),
    "MAC": ("澳门", "澳门特别行政区", "Macau"),
}
PARACELS = "CN-X01~"
"""The Paracel Islands, administered from Hainan."""


def short(name: str) -> str:
    for s in SUFFIXES:
        if name.endswith(s) and len(name) > len(s) + 1:
            return name[: -len(s)]
    return name


def simplify(points: list, tol: float) -> list:
    """Douglas–Peucker: keep the points farther than ``tol`` from the line through their neighbours."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a], points[b]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        best, index = -1.0, None
        for i in range(a + 1, b):
            x, y = points[i]
            if norm:
                d = abs(dy * x - dx * y + x2 * y1 - y2 * x1) / norm
            else:
                d = ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
            if d > best:
                best, index = d, i
        if index is not None and best > tol:
            keep[index] = True
            stack += [(a, index), (index, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def area(ring: list) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring))) / 2


def polygons(geometry: dict) -> list:
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def rounded(ring: list) -> list:
    """The ring to 0.001°, wound clockwise: d3-geo (plotly's maps) takes a counter-clockwise ring
    for the rest of the globe."""
    points = [[round(x, 3), round(y, 3)] for x, y in ring]
    signed = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(points))
    return points[::-1] if signed > 0 else points


def main(source: Path, target: Path, tol: float) -> None:
    features = json.loads(source.read_text(encoding="utf-8"))["features"]
    groups: dict[str, list] = {}
    names: dict[str, tuple[str, str]] = {}
    for f in features:
        p = f["properties"]
        if p["adm0_a3"] in JOINED:
            key, zh, en = JOINED[p["adm0_a3"]]
        elif p["adm0_a3"] == "CHN" and p["iso_3166_2"] == PARACELS:
            key, zh, en = "海南", "海南省", "Hainan"
        elif p["adm0_a3"] == "CHN":
            key, zh, en = short(p["name_zh"]), p["name_zh"], p["name_en"]
        else:
            continue
        groups.setdefault(key, []).extend(polygons(f["geometry"]))
        names.setdefault(key, (zh, en))
    out = []
    for key, parts in groups.items():
        kept = []
        for part in parts:
            shell = simplify(part[0], tol)
            if len(shell) < 4 or (area(shell) < tol * tol * 4 and len(parts) > 1):
                continue
            kept.append([rounded(shell)])
        if not kept:  # a small place (Macau): its largest part as it is
            kept = [[rounded(max(parts, key=lambda p: area(p[0]))[0])]]
        zh, en = names[key]
        out.append(
            {
                "type": "Feature",
                "id": key,
                "properties": {"name": key, "name_zh": zh, "name_en": en},
                "geometry": {"type": "MultiPolygon", "coordinates": kept},
            }
        )
    out.sort(key=lambda f: f["properties"]["name_en"])
    collection = {"type": "FeatureCollection", "features": out}
    target.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]))
