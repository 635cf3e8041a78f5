"""nbval for the report notebooks: one small seeded demo database per test session.

Before the first notebook cell runs (and so before nbval starts its kernel), the demo is built
into a SQLite file with a fixed seed and length, and ``ECERP_DATABASE_URL`` points the kernel at
it. The stored outputs of the notebooks come from that same database; after a change to the demo,
refresh them with ``python notebooks/reports/conftest.py`` (re-executes the notebooks in place).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SEED, DAYS = 7, 45
_built: dict[str, str] = {}


def build_report_database(folder: Path) -> str:
    """The demo (seed 7, 45 days to 2026-10-31) in ``folder``; returns its URL."""
    from ecerp_core.db import get_engine, session_scope
    from ecerp_core.demo.build import DEMO_COMPANY, DEMO_PASSWORD, build_demo
    from ecerp_core.schema import metadata
    from ecerp_core.setup import initialise

    url = f"sqlite:///{folder / 'report-demo.db'}"
    metadata.create_all(get_engine(url))
    with session_scope(url) as session:
        admin = initialise(session, company=DEMO_COMPANY, admin_password=DEMO_PASSWORD)
        build_demo(session, admin, seed=SEED, days=DAYS)
    get_engine(url).dispose()
    return url


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    if HERE not in Path(str(item.fspath)).resolve().parents or not str(item.fspath).endswith(".ipynb"):
        return
    if "url" not in _built:
        folder = Path(tempfile.mkdtemp(prefix="ecerp-reports-"))
        _built["url"] = build_report_database(folder)
    os.environ["ECERP_DATABASE_URL"] = _built["url"]
    os.environ.pop("ECERP_REPORT_PERIOD", None)


if __name__ == "__main__":  # refresh the stored outputs
    import subprocess

    url = build_report_database(Path(tempfile.mkdtemp(prefix="ecerp-reports-")))
    env = {**os.environ, "ECERP_DATABASE_URL": url}
    env.pop("ECERP_REPORT_PERIOD", None)
    for notebook in sorted(HERE.glob("*.ipynb")):
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                        str(notebook)], check=True, env=env)
