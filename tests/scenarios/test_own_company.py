"""The README's "Your own company", run line by line as a new user would, in a fresh folder.

The lines are read from the README's code block, so the README and this test cannot drift. They run
in one ``bash -e`` from the checkout, with ``ecerp`` being this Python's ``-m ecerp_core``, a
home folder of the test's own, and the passwords the commands would ask for in the environment.
``ecerp serve`` (which would not return) is the one line left out; the lines print in Chinese, the
default language.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import zoneinfo
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select

from ecerp_core.db import session_scope
from ecerp_core.orders.models import Order

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = ("ecerp serve",)


def readme_lines() -> list[str]:
    """The commands of the README's "Your own company" code block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own company", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def shell(script: str, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECERP_")}
    env.update(
        HOME=str(home),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        ECERP_CONFIG=str(home / "no-ecerp.toml"),  # a developer's ecerp.toml must not change the run
        ECERP_LANGUAGE="zh_CN",
        ECERP_ADMIN_PASSWORD="admin-pass-1",
        ECERP_NEW_PASSWORD="clerk-pass-1",
    )
    prelude = f'ecerp() {{ {shlex.quote(sys.executable)} -m ecerp_core "$@"; }}\n'
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", prelude + script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_readme_has_the_set_up_lines():
    commands = [line.split("#")[0].split() for line in readme_lines()]
    firsts = [" ".join(c[:3]) for c in commands if c and c[0] == "ecerp"]
    assert firsts[:3] == ["ecerp init --company", "ecerp warehouses add", "ecerp shops add"]
    for step in (
        "ecerp stock opening",
        "ecerp finance opening",
        "ecerp orders import",
        "ecerp orders review",
    ):
        assert step in firsts, step
    assert "ecerp orders ship" in " ".join(firsts)


@pytest.mark.slow
def test_own_company_from_the_readme(tmp_path):
    lines = [line for line in readme_lines() if not line.startswith(SKIPPED)]
    done = shell("\n".join(lines), tmp_path)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "已发货 3 单，拒绝 0 行" in done.stdout
    folder = tmp_path / "mycompany"
    url = f"sqlite:///{folder / 'ecerp.db'}"
    with session_scope(url, readonly=True) as session:
        statuses = dict(session.execute(select(Order.platform_order_id, Order.status)).all())
    assert statuses == {"#1001": "shipped", "#1002": "shipped", "#1003": "shipped"}

    month = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")  # the books' today
    done = shell(
        f'export ECERP_DATABASE_URL="{url}"\necerp check --json\n'
        f"ecerp finance statements --period {month} --json",
        tmp_path,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    decoder = json.JSONDecoder()
    check, end = decoder.raw_decode(done.stdout)
    statements = json.loads(done.stdout[end:])
    assert check["ok"] is True
    sheet, income = statements["balance_sheet"], statements["income_statement"]
    assert D(sheet["total_assets"]) == D(sheet["total_liabilities"]) + D(sheet["total_equity"])
    # 3 orders of USD 43.50 at 7.10; the goods' cost 83.70 out of the opening stock's 5892.00
    assert (D(income["revenue"]), D(income["net_profit"])) == (D("308.85"), D("225.15"))
    assert D(sheet["total_assets"]) == D("56117.15")
