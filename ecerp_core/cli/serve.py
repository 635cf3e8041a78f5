"""``ecerp serve``: the Voila apps of ``notebooks/apps/``, behind ecerp's sign-in (:mod:`widgets.server`).

Voila's own settings (preheated kernels, idle culling) live in ``voila.json`` at the project root;
the server runs with the project root as its working directory so Voila finds that file, and
the kernels find the database through the settings wherever they start. The command line and the
wait for the server are :mod:`ecerp_core.serving`'s (the browser tests and the bench use them too).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import webbrowser

import click

from ecerp_core.config import project_root
from ecerp_core.errors import NotInitialised
from ecerp_core.i18n import t
from ecerp_core.serving import HOME, LOCAL, voila_command, wait_until_serving
from ecerp_core.setup import is_initialised


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
