"""Render a saved report as a parameterised notebook, and that notebook as HTML.

The template (``notebooks/reports/saved_report.ipynb``) has one cell tagged ``parameters`` with
its defaults; the values of a run go into a new cell right after it, tagged
``injected-parameters`` (papermill's convention, so a reader of the output sees what it ran
with). The notebook is executed by nbclient in a fresh kernel that reads the database named in
its environment (``ECERP_DATABASE_URL``: never written into the notebook, so a password in the
URL stays out of the file), then exported to HTML without its code.

Nothing here touches the database or checks permissions: :mod:`ecerp_core.analytics.schedules`
decides and records what runs.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from pathlib import Path

from ecerp_core.config import project_root

TEMPLATE = Path("notebooks") / "reports" / "saved_report.ipynb"
SEPARATORS = re.compile(r"[\s.]+")
TIMEOUT = 300
"""Seconds a cell may run."""


def template_path() -> Path:
    return project_root() / TEMPLATE


def parameter_source(values: Mapping[str, object]) -> str:
    """Python assignments of ``values`` (each a literal: str, number, bool, None, dict, list).

    >>> print(parameter_source({"report": "月度销售", "params": {"platform": "jd"}}))
    # Parameters
    report = '月度销售'
    params = {'platform': 'jd'}
    """
    lines = ["# Parameters"] + [f"{name} = {value!r}" for name, value in values.items()]
    return "\n".join(lines)


def inject_parameters(notebook, values: Mapping[str, object]):
    """Put a cell of ``values`` right after the cell tagged ``parameters`` (or first, when none is),
    replacing an injected cell left from an earlier run."""
    import nbformat

    cells = [c for c in notebook.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    cell = nbformat.v4.new_code_cell(parameter_source(values))
    cell.metadata["tags"] = ["injected-parameters"]
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    at = tagged[0] + 1 if tagged else 0
    notebook.cells = [*cells[:at], cell, *cells[at:]]
    return notebook


def file_stem(name: str, at: dt.datetime) -> str:
    """A file name for report ``name`` rendered at ``at``: the name with spaces and dots as ``_``.

    >>> file_stem("月度 销售", dt.datetime(2026, 11, 1, 7, 0))
    '月度_销售-20261101-0700'
    """
    return f"{SEPARATORS.sub('_', name.strip())}-{at:%Y%m%d-%H%M}"


def render_notebook(
    values: Mapping[str, object],
    out_dir: Path,
    stem: str,
    *,
    database_url: str,
    template: Path | None = None,
) -> tuple[Path, Path]:
    """Execute the template with ``values`` and write ``<stem>.ipynb`` and ``<stem>.html`` in
    ``out_dir``; returns both paths. An error in a cell raises (the notebook so far is written)."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    template = template or template_path()
    out_dir.mkdir(parents=True, exist_ok=True)
    notebook = inject_parameters(nbformat.read(template, as_version=4), values)
    env = {**os.environ, "ECERP_DATABASE_URL": database_url}
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT,
        kernel_name="python3",
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no kernel start-up chatter in cron mail
        resources={"metadata": {"path": str(template.parent)}},
    )
    ipynb, html = out_dir / f"{stem}.ipynb", out_dir / f"{stem}.html"
    try:
        client.execute(env=env)
    finally:
        nbformat.write(notebook, ipynb)
    body, _resources = HTMLExporter(
        template_name="lab", exclude_input=True, exclude_output_prompt=True
    ).from_notebook_node(notebook)
    html.write_text(body, encoding="utf-8")
    return ipynb, html
