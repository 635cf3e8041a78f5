"""The shape of the house holds: imports run downward only, widgets stay thin.

Computed from the code by :mod:`benchmarks.import_graph` (``python -m benchmarks.import_graph``
prints the same graph for people).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from benchmarks.import_graph import ROOT, area, cycles, file_cycles_inside_areas, read_house

BOTTOM = {"config", "money", "i18n", "errors", "query", "tabular", "db", "auth", "audit", "workflow",
          "invariants", "events", "sheets", "dates", "ecerp_core"}  # fmt: skip
"""The floor every area may stand on."""
BELOW_FINANCE = ("catalog", "connectors", "orders", "stock", "purchasing")
LAZY_IMPORTS_ALLOWED = ("ecerp_core.cli",)
"""The CLI imports a command's use cases inside the command: `ecerp --help` stays quick."""


@pytest.fixture(scope="module")
def house():
    return read_house()


def test_no_loop_between_areas(house):
    assert cycles(house.area_edges()) == []


def test_no_loop_between_files_of_an_area(house):
    assert file_cycles_inside_areas(house) == []


def test_catalog_imports_nothing_above_it(house):
    above = {area(b) for a, b in house.file_edges() if area(a) == "catalog"} - BOTTOM - {"catalog"}
    assert above == set()


def test_no_area_below_finance_imports_it(house):
    assert (
        sorted(
            {(area(a), b) for a, b in house.file_edges() if area(a) in BELOW_FINANCE and area(b) == "finance"}
        )
        == []
    )


def test_no_import_of_ours_inside_a_function_outside_the_cli(house):
    lazy = sorted(
        f"{i.source}:{i.line} -> {i.target}"
        for i in house.imports
        if i.in_function and not i.source.startswith(LAZY_IMPORTS_ALLOWED)
    )
    assert lazy == []


def test_no_private_name_crosses_a_module(house):
    crossing = []
    for module, path in house.modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("ecerp_core", "widgets")):
                crossing += [
                    f"{module} <- {node.module}.{a.name}" for a in node.names if a.name.startswith("_")
                ]
    assert crossing == []


def test_widgets_hold_no_sql():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "widgets").rglob("*.py")
        if "sqlalchemy" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def _init_lengths(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (f"{path.relative_to(ROOT)}:{cls.name}", fn.end_lineno - fn.lineno + 1)
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef)
        for fn in cls.body
        if isinstance(fn, ast.FunctionDef) and fn.name == "__init__"
    ]


def test_no_view_init_over_sixty_lines():
    long = [(name, n) for p in (ROOT / "widgets").rglob("*.py") for name, n in _init_lengths(p) if n > 60]
    assert long == []
