"""Every app notebook renders under Voila without an error (plain HTTP, no browser)."""

from __future__ import annotations

import pytest
from browser_login import signed_in_opener

from ecerp_core.config import project_root

APPS = sorted(p.name for p in (project_root() / "notebooks" / "apps").glob("*.ipynb"))
PREHEAT = ()  # each app starts its kernel when asked, one after another: ten preheated at once starved CI


def test_there_are_apps():
    assert "home.ipynb" in APPS and "base_data.ipynb" in APPS


@pytest.mark.parametrize("notebook", APPS)
def test_app_renders(voila_server, notebook):
    url = f"{voila_server['url']}/voila/render/{notebook}"
    with signed_in_opener(voila_server["url"]).open(url, timeout=120) as response:
        assert response.status == 200
        html = response.read().decode("utf-8", errors="replace")
    assert "There was an error when executing cell" not in html
    assert "Traceback" not in html
    assert "application/vnd.jupyter.widget-view+json" in html  # the app was displayed
    log = voila_server["log_dir"] / "apps.log"
    problems = log.read_text(encoding="utf-8") if log.exists() else ""
    assert "failed to start" not in problems and "ERROR" not in problems, problems


def test_browsers_keep_the_front_end(voila_server):
    """Voila's scripts come from an address naming their version, and the widget extensions' hashed
    files, both kept for a year: a clerk's browser asks the server for none of them again."""
    import json
    import re

    opener = signed_in_opener(voila_server["url"])
    with opener.open(f"{voila_server['url']}/voila/render/home.ipynb", timeout=120) as response:
        html = response.read().decode("utf-8", errors="replace")
    main = re.search(r'<script src="([^"]*/voila/static/v-[0-9a-f]+/voila\.js)"', html).group(1)
    config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    extension = next(e for e in config["federated_extensions"] if e["name"] == "anywidget")
    hashed = f"/voila/labextensions/{extension['name']}/{extension['load']}"
    for path in (main, hashed):
        with opener.open(voila_server["url"] + path, timeout=60) as response:
            assert response.status == 200
            assert "immutable" in response.headers["Cache-Control"], path
