"""The command line ``ecerp serve`` runs: every app preheated by default, or only the ones named."""

from __future__ import annotations

import json

from ecerp_core.serving import apps_dir, voila_command


def _denied(command: list[str]) -> list[str]:
    flags = [c for c in command if c.startswith("--VoilaKernelManager.preheat_denylist=")]
    return json.loads(flags[0].split("=", 1)[1]) if flags else []


def test_every_app_is_preheated_by_default():
    command = voila_command(8866)
    assert "--Voila.port=8866" in command and "--Voila.ip=127.0.0.1" in command
    assert _denied(command) == []


def test_only_the_named_apps_are_preheated():
    apps = sorted(p.name for p in apps_dir().glob("*.ipynb"))
    denied = _denied(voila_command(8866, preheat=["order_desk.ipynb"]))
    assert "order_desk.ipynb" not in denied
    assert sorted([*denied, "order_desk.ipynb"]) == apps


def test_tests_preheat_one_kernel_per_app_whatever_voila_json_says():
    command = voila_command(8866, preheat=["order_desk.ipynb"])
    flags = [c for c in command if c.startswith("--VoilaKernelManager.kernel_pools_config=")]
    assert json.loads(flags[0].split("=", 1)[1]) == {"default": {"pool_size": 1}}


def test_only_chart_apps_load_plotly():
    from widgets.server import page_config_hook

    def config():
        return {"federated_extensions": [{"name": "jupyterlab-plotly"}, {"name": "anywidget"}]}

    names = lambda c: [e["name"] for e in c["federated_extensions"]]  # noqa: E731
    assert names(page_config_hook(config(), notebook_path="order_desk.ipynb")) == ["anywidget"]
    assert names(page_config_hook(config(), notebook_path="analytics.ipynb")) == [
        "jupyterlab-plotly",
        "anywidget",
    ]


def test_pool_refills_wait_until_the_pages_are_served(monkeypatch):
    from widgets import server

    manager = server.EcerpKernelManager(refill_after=10, refill_spacing=3)
    clock = [100.0]
    monkeypatch.setattr(server.time, "monotonic", lambda: clock[0])
    manager.page_started("order_desk.ipynb")
    clock[0] = 120.0
    assert not manager._refill_may_start()  # a page still being served
    manager.page_served()
    clock[0] = 131.0
    assert not manager._refill_may_start()  # its browser is still loading the front end
    manager.notify_connect("k")  # ... and now talks to its kernel
    clock[0] = 136.0
    assert not manager._refill_may_start()  # its browser is still drawing the widgets
    clock[0] = 141.0
    assert manager._refill_may_start()
    manager._last_refill = 141.0
    assert not manager._refill_may_start()  # one kernel at a time
    clock[0] = 144.5
    assert manager._refill_may_start()


def test_pool_refills_wait_at_most_a_minute_for_a_browser_to_connect(monkeypatch):
    from widgets import server

    manager = server.EcerpKernelManager(refill_after=10, refill_spacing=3, connect_wait=60)
    clock = [100.0]
    monkeypatch.setattr(server.time, "monotonic", lambda: clock[0])
    manager.page_started("order_desk.ipynb")
    manager.page_served()
    clock[0] = 150.0
    assert not manager._refill_may_start()
    clock[0] = 160.0  # the page was closed before its browser connected
    assert manager._refill_may_start()


def test_the_front_end_address_names_its_version(tmp_path, monkeypatch):
    from widgets import server

    (tmp_path / "voila.js").write_text("one")
    tag = server.front_end_tag([str(tmp_path)])
    assert tag.startswith("v-") and tag == server.front_end_tag([str(tmp_path)])
    (tmp_path / "voila.js").write_text("two!")
    assert server.front_end_tag([str(tmp_path)]) != tag  # an upgrade: browsers fetch it anew
    monkeypatch.setattr(server.FrontEndHandler, "tag", tag)
    config = server.page_config_hook({"fullStaticUrl": "/voila/static"}, base_url="/")
    assert config["fullStaticUrl"] == f"/voila/static/{tag}"
