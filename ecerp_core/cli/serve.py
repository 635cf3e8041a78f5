"""``ecerp serve``: the Voila apps of ``notebooks/apps/`` on 127.0.0.1.

Voila's own settings (preheated kernels, idle culling) live in ``voila.json`` at the project root;
the server runs with the project root as its working directory so Voila finds that file, and
the kernels find the database through the settings wherever they start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import webbrowser
from collections.abc import Iterable
from pathlib import Path

import click

from ecerp_core.config import project_root
from ecerp_core.errors import NotInitialised
from ecerp_core.i18n import t
from ecerp_core.setup import is_initialised

APPS_DIR = Path("notebooks") / "apps"
HOME = "home.ipynb"


def apps_dir() -> Path:
    """The only folder Voila serves."""
    return project_root() / APPS_DIR


def home_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/voila/render/{HOME}"


def voila_command(
    port: int, *, port_retries: int | None = None, preheat: Iterable[str] | None = None
) -> list[str]:
    """The command line that serves the apps (run it with ``cwd=project_root()``).

    ``port_retries=0`` makes Voila fail instead of quietly taking the next port (tests use it).
    ``preheat`` names the app notebooks whose kernels are started ahead (default: every app, as
    ``voila.json`` says); the others still open, only without a waiting kernel. A test that opens
    one app keeps a 2-core machine from starting seven kernels at once.
    """
    command = [
        sys.executable,
        "-m",
        "voila",
        str(apps_dir()),
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--no-browser",
    ]
    if port_retries is not None:
        command.append(f"--Voila.port_retries={port_retries}")
    if preheat is not None:
        wanted = set(preheat)
        cold = sorted(p.name for p in apps_dir().glob("*.ipynb") if p.name not in wanted)
        command.append(f"--VoilaKernelManager.preheat_denylist={json.dumps(cold)}")
    return command


def wait_until_serving(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> bool:
    """Poll ``url`` until it answers (True) or ``timeout`` passes or ``process`` ends (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url.rsplit("/voila/", 1)[0] + "/", timeout=2):
                return True
        except OSError:
            time.sleep(0.25)
    return False


def ensure_database(demo: bool) -> None:
    """With ``demo``, build the demo database when there is none; without, insist on one."""
    from ecerp_core.demo.build import create_demo_database  # loads every area: only when serving

    if is_initialised():
        return
    if not demo:
        raise NotInitialised()
    click.echo(t("serve.building_demo"), err=True)
    create_demo_database()


def _stop(_signum, _frame) -> None:
    raise KeyboardInterrupt


@click.command("serve")
@click.option("--demo", is_flag=True, help="Build the demo database first if there is none.")
@click.option("--port", default=8866, show_default=True, type=int, help="Port on 127.0.0.1.")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
def serve(demo: bool, port: int, no_browser: bool) -> None:
    """Serve the apps (notebooks/apps) with Voila on 127.0.0.1."""
    ensure_database(demo)
    url = home_url(port)
    process = subprocess.Popen(voila_command(port), cwd=project_root(), env=os.environ.copy())

    def announce() -> None:
        if wait_until_serving(url, process=process):
            click.echo(t("serve.serving", url=url), err=True)
            if not no_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    signal.signal(signal.SIGTERM, _stop)  # a service manager's stop ends Voila and its kernels too
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
    if code not in (0, -15, 130):
        raise SystemExit(code)
