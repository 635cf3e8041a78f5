"""The home page: every app of the registry, links to the available ones, by permission."""

from __future__ import annotations

from pathlib import Path

from ecerp_core.config import project_root
from widgets.home import app as home
from widgets.home.registry import APPS


def test_every_available_app_has_its_notebook():
    apps_dir = project_root() / "notebooks" / "apps"
    for entry in APPS:
        if entry.available:
            assert (apps_dir / entry.notebook).is_file(), entry.notebook
    assert Path(apps_dir / "home.ipynb").is_file()


def test_home_links_base_data_and_lists_what_comes(db):
    view = home.build("admin", "zh_CN")
    html = view.cards.value
    assert 'href="base_data.ipynb?lang=zh_CN"' in html and "基础资料" in html
    for entry in APPS:
        link = f'href="{entry.notebook}?lang=zh_CN"'
        assert (link in html) == entry.available, entry.key
    assert ("即将推出" in html) == any(not e.available for e in APPS)
    assert "测试商贸有限公司" in html
    view.shell.language_switch.value = "en"
    assert "Base Data" in view.cards.value and 'href="base_data.ipynb?lang=en"' in view.cards.value


def test_home_hides_apps_the_role_may_not_use(db, make_user):
    view = home.build(make_user("warehouse_clerk"), "en")
    keys = {e.key for e in view.model.visible_apps()}
    assert "base_data" in keys and "finance_close" not in keys


def test_a_page_that_cannot_start_says_why_without_a_traceback(db, monkeypatch, _app_log):
    from widgets.common import shell

    monkeypatch.setenv("ECERP_USER", "nobody")
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    page = shell.launch(lambda: home.build().shell)
    text = page.children[1].value
    assert "nobody" in text and "Traceback" not in text
    assert "app failed to start" in (_app_log / "apps.log").read_text(encoding="utf-8")
    assert shown == [page]
