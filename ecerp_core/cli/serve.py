"""``ecerp serve``: the Voila apps of ``notebooks/apps/``, behind ecerp's sign-in (:mod:`widgets.server`).

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
from ecerp_core.errors import EcerpError, NotInitialised
from ecerp_core.i18n import t
from ecerp_core.setup import is_initialised

APPS_DIR = Path("notebooks") / "apps"
LOCAL = "127.0.0.1"
HOME = "home.ipynb"


def apps_dir() -> Path:
    """The only folder Voila serves."""
    return project_root() / APPS_DIR


def home_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/voila/render/{HOME}"


def voila_command(
    port: int,
    *,
    port_retries: int | None = None,
    preheat: Iterable[str] | None = None,
    host: str = LOCAL,
    login: bool = True,
    trusted_header: str | None = None,
) -> list[str]:
    """The command line that serves the apps (run it with ``cwd=project_root()``).

    ``port_retries=0`` makes Voila fail instead of quietly taking the next port (tests use it).
    ``preheat`` names the app notebooks whose kernels are started ahead (default: every app, as
    ``voila.json`` says); the others still open, only without a waiting kernel. A test that opens
    one app keeps a 2-core machine from starting seven kernels at once. ``login=False`` serves
    without sign-in (only allowed on 127.0.0.1); ``trusted_header`` takes the signed-in user from
    a reverse proxy's header instead of the sign-in page.
    """
    if not login and host != LOCAL:
        raise EcerpError("error.serve_needs_login", host=host)
    command = [
        sys.executable,
        "-m",
        "widgets.server",
        str(apps_dir()),
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--no-browser",
    ]
    if not login:
        command.append("--EcerpIdentityProvider.enabled=False")
    if trusted_header:
        command.append(f"--EcerpIdentityProvider.trusted_header={trusted_header}")
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
@click.option("--port", default=8866, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--host",
    default=LOCAL,
    show_default=True,
    help="Address to listen on (0.0.0.0: every address; needs sign-in, which is on by default).",
)
@click.option(
    "--no-login",
    is_flag=True,
    help="Local single-user use: nobody signs in, the apps act as ECERP_USER or the first admin "
    "(127.0.0.1 only).",
)
@click.option(
    "--trusted-header",
    envvar="ECERP_TRUSTED_HEADER",
    default=None,
    help="Take the signed-in user from this header set by a trusted reverse proxy (e.g. X-Remote-User).",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
def serve(
    demo: bool, port: int, host: str, no_login: bool, trusted_header: str | None, no_browser: bool
) -> None:
    """Serve the apps (notebooks/apps) with Voila; visitors sign in with their ecerp password.

    启动应用服务（Voila）；访问者须用 ecerp 账号密码登录。"""
    command = voila_command(port, host=host, login=not no_login, trusted_header=trusted_header)
    ensure_database(demo)
    url = f"http://{LOCAL if host in (LOCAL, '0.0.0.0') else host}:{port}/voila/render/{HOME}"
    # its own process group: Ctrl+C in the terminal reaches only this process, which then stops
    # Voila, and Voila its kernels, in order (a group-wide SIGINT made the kernels print ZMQ errors)
    process = subprocess.Popen(command, cwd=project_root(), env=os.environ.copy(), start_new_session=True)

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
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
    if code not in (0, -15, 130):
        raise SystemExit(code)
