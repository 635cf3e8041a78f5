"""Analyst notebooks must run from top to bottom on the demo business (outputs are not compared)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from ecerp_core.config import project_root
from ecerp_core.demo.build import DEMO_PASSWORD, create_demo_database

NOTEBOOKS = sorted((project_root() / "notebooks" / "analysis").glob("*.ipynb"))


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('analysis') / 'demo.db'}"
    create_demo_database(company="演示电商有限公司", admin_password=DEMO_PASSWORD, seed=7, days=7, url=url)
    return url


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_analysis_notebook_runs(path: Path, demo_url: str, monkeypatch) -> None:
    monkeypatch.setenv("ECERP_DATABASE_URL", demo_url)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
