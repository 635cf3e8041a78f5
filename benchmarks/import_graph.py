"""The house as its imports draw it: which file imports which, which area imports which, and the loops.

Run ``python -m benchmarks.import_graph`` (``--json`` for a machine-readable copy) in a checkout to
print the import graph between areas, every import loop between files of one area and between
areas, and every import made inside a function. ``tests/test_house.py`` holds the house to the
rule "import downward only" with the same code.

An import counts when it runs: imports under ``if TYPE_CHECKING:`` are left out (they only serve
type hints). Areas are the packages of ``ecerp_core`` (``orders``, ``finance`` ...), its single-file
modules (``db``, ``auth`` ...), and ``widgets`` and ``benchmarks``.
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ecerp_core", "widgets", "benchmarks")


@dataclass(frozen=True)
class Import:
    """One import statement: the importing file's module, the module imported, and where."""

    source: str
    target: str
    line: int
    in_function: bool


@dataclass
class House:
    modules: dict[str, Path] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)

    def file_edges(self) -> set[tuple[str, str]]:
        return {(i.source, i.target) for i in self.imports if i.source != i.target}

    def area_edges(self) -> set[tuple[str, str]]:
        return {(area(a), area(b)) for a, b in self.file_edges() if area(a) != area(b)}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def area(module: str) -> str:
    """``ecerp_core.orders.intake`` -> ``orders``; ``ecerp_core.db`` -> ``db``;
    ``widgets.x`` -> ``widgets``."""
    parts = module.split(".")
    if parts[0] != "ecerp_core":
        return parts[0]
    return parts[1] if len(parts) > 1 else "ecerp_core"


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module of ours that ``name`` (a module or a name inside one) refers to."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterable[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_lines(tree)
    functions: list[tuple[int, int]] = [
        (n.lineno, n.end_lineno or n.lineno)
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in hidden:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]).strip(".")
            names = [f"{base}.{a.name}" for a in node.names]
        inside = any(start < node.lineno <= end for start, end in functions)
        for name in names:
            target = _resolve(name, modules)
            if target is not None:
                yield Import(module, target, node.lineno, inside)


def read_house(root: Path = ROOT) -> House:
    """Every module of our packages and the imports between them."""
    house = House()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            house.modules[module_name(path, root)] = path
    for module, path in house.modules.items():
        house.imports += _imports_of(module, path, house.modules)
    return house


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def file_cycles_inside_areas(house: House) -> list[list[str]]:
    """Loops of files that import each other within one area."""
    edges = {(a, b) for a, b in house.file_edges() if area(a) == area(b)}
    return cycles(edges)


def report(house: House) -> dict:
    area_edges = house.area_edges()
    return {
        "modules": len(house.modules),
        "file_imports": len(house.file_edges()),
        "area_imports": sorted(f"{a} -> {b}" for a, b in area_edges),
        "area_cycles": cycles(area_edges),
        "file_cycles_inside_areas": file_cycles_inside_areas(house),
        "file_cycles": cycles(house.file_edges()),
        "imports_inside_functions": sorted(
            f"{i.source}:{i.line} -> {i.target}" for i in house.imports if i.in_function
        ),
    }


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[argv.index("--root") + 1]) if "--root" in argv else ROOT
    out = report(read_house(root))
    if "--json" in argv:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return
    print(f"{out['modules']} modules, {out['file_imports']} imports between them")
    print(f"\nareas import ({len(out['area_imports'])} arrows):")
    for edge in out["area_imports"]:
        print(f"  {edge}")
    for title, key in (
        ("loops between areas", "area_cycles"),
        ("loops between files of one area", "file_cycles_inside_areas"),
        ("loops between files", "file_cycles"),
    ):
        print(f"\n{title}: {len(out[key])}")
        for loop in out[key]:
            print(f"  {' <-> '.join(loop)}")
    print(f"\nimports inside functions: {len(out['imports_inside_functions'])}")
    for item in out["imports_inside_functions"]:
        print(f"  {item}")


if __name__ == "__main__":
    main()
