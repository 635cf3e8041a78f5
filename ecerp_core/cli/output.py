"""How commands print: JSON with exact Decimals, and rows as a table, CSV or JSON."""

from __future__ import annotations

import json
import sys
import unicodedata
from decimal import Decimal

import click

from ecerp_core.sheets import write_csv

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
"""The ``--format`` option of the commands that print rows with :func:`print_table`."""


def json_default(value: object) -> object:
    """``json.dump``'s ``default``: Decimals as exact strings, dates and times in ISO format."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def echo_json(data: object) -> None:
    """Print ``data`` as JSON; Decimals stay exact (as strings)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=json_default))


def print_table(rows: list[dict], columns: tuple[str, ...], fmt: str) -> None:
    """Print ``columns`` of ``rows`` as aligned text (``table``), ``csv`` or ``json``."""
    rows = [{c: r.get(c) for c in columns} for r in rows]
    if fmt == "json":
        echo_json(rows)
    elif fmt == "csv":
        write_csv(rows, columns, sys.stdout)  # formula-looking text escaped
    else:
        cells = [[str(r[c] if r[c] is not None else "") for c in columns] for r in rows]
        widths = [max([width(c)] + [width(row[i]) for row in cells]) for i, c in enumerate(columns)]
        for row in [list(columns), *cells]:
            click.echo("  ".join(text + " " * (w - width(text)) for text, w in zip(row, widths, strict=True)))


def width(text: str) -> int:
    """How many columns ``text`` takes in a terminal: Chinese characters take two.

    >>> width("上海仓 SH")
    9
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
