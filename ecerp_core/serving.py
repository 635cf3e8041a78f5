"""Starting the app server as a process: its command line, a free port, waiting until it answers.

One place for what ``ecerp serve``, the browser tests and ``ecerp bench apps-open`` all do: they
run :mod:`widgets.server` (Voila with ecerp's sign-in) with ``cwd=project_root()`` so Voila reads
``voila.json`` (preheated kernel pools, idle culling). This module only builds command lines and
polls addresses; it imports neither Voila nor the widgets.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from ecerp_core.config import project_root
from ecerp_core.errors import EcerpError

APPS_DIR = Path("notebooks") / "apps"
LOCAL = "127.0.0.1"
HOME = "home.ipynb"


def apps_dir() -> Path:
    """The only folder Voila serves."""
    return project_root() / APPS_DIR


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind((LOCAL, 0))
        return s.getsockname()[1]


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
    ``preheat`` names the app notebooks whose kernels are started ahead, one each (default: every
    app, with the pool sizes ``voila.json`` gives); the others still open, only without a waiting
    kernel. A test that opens one app keeps a 2-core machine from starting many kernels at once.
    ``login=False`` serves without sign-in (only allowed on 127.0.0.1); ``trusted_header`` takes the
    signed-in user from a reverse proxy's header instead of the sign-in page.
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
        pools = {"default": {"pool_size": 1}}  # voila.json's larger pools are for staff, not tests
        command.append(f"--VoilaKernelManager.kernel_pools_config={json.dumps(pools)}")
    return command


def wait_until_serving(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> bool:
    """Poll the server behind ``url`` until it answers (True), or ``timeout`` passes or ``process``
    ends (False)."""
    root = url.rsplit("/voila/", 1)[0].rstrip("/") + "/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(root, timeout=2):
                return True
        except OSError:
            time.sleep(0.25)
    return False
