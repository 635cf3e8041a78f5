"""The command line ``ecerp serve`` runs: every app preheated by default, or only the ones named."""

from __future__ import annotations

import json

from ecerp_core.cli.serve import apps_dir, voila_command


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
