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
    clock[0] = 125.0
    assert not manager._refill_may_start()  # its browser is still drawing it
    clock[0] = 131.0
    assert manager._refill_may_start()
    manager._last_refill = 131.0
    assert not manager._refill_may_start()  # one kernel at a time
    clock[0] = 134.5
    assert manager._refill_may_start()
