"""Staff opening the apps at once: five Order Desks opened together beside one opened alone.

``ecerp serve`` is started (so Voila runs with ``voila.json``: its preheated kernel pools and idle
culling) over a small demo, and headless Chromium opens the Order Desk. An opening counts from the
request to the orders table on screen. The baseline is one opening alone in the same run; then five
pages open together, as five staff starting their day would. Needs /usr/bin/chromium (Playwright,
no downloaded browser).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.core import BenchConfig, BenchResult, benchmark
from ecerp_core.config import project_root
from ecerp_core.demo.build import create_demo_database

CHROMIUM = "/usr/bin/chromium"
APP = "order_desk.ipynb"
READY = ".ecerp-orders-panel .ecerp-table"
STAFF = 5
ADMIN = ("admin", "demo-password")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _sign_in(context, base: str) -> None:
    """The sign-in form's POST, as a member of staff does once before opening the desk."""
    login = await (await context.request.get(f"{base}/login")).text()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', login).group(1)
    form = {"_xsrf": xsrf, "username": ADMIN[0], "password": ADMIN[1]}
    response = await context.request.post(
        f"{base}/login", form=form, max_redirects=0, fail_on_status_code=False
    )
    if response.status != 302:
        raise RuntimeError(f"signing in failed: HTTP {response.status}")


async def _open(browser, url: str) -> float:
    """Seconds from asking for the app (signed in) to its orders table on screen."""
    context = await browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    await _sign_in(context, url.split("/voila/", 1)[0])
    page = await context.new_page()
    started = time.perf_counter()
    await page.goto(url, timeout=180_000)
    await page.locator(READY).first.wait_for(timeout=180_000)
    took = time.perf_counter() - started
    await context.close()
    return took


async def _openings(url: str, together: int, settle: float) -> list[float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            times = await asyncio.gather(*(_open(browser, url) for _ in range(together)))
        finally:
            await browser.close()
    await asyncio.sleep(settle)
    return list(times)


def _wait(url: str, process: subprocess.Popen, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def _serve(url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    """``ecerp serve`` itself, in a process of its own, over the database at ``url``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("ECERP_USER", "QUERY_STRING")}
    env.update(ECERP_DATABASE_URL=url, ECERP_LOG_DIR=str(workdir))
    log = (workdir / "voila-bench.out").open("wb")
    command = [sys.executable, "-m", "ecerp_core", "serve", "--port", str(port), "--no-browser"]
    process = subprocess.Popen(command, cwd=project_root(), env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    if not _wait(base + "/", process):
        process.kill()
        raise RuntimeError(f"ecerp serve did not start; see {workdir / 'voila-bench.out'}")
    return process, f"{base}/voila/render/{APP}"


@benchmark("apps-open")
def apps_open(cfg: BenchConfig) -> BenchResult:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing (apt-get install chromium)")
    url = f"sqlite:///{cfg.workdir / 'apps-bench.db'}"
    create_demo_database(company="演示", admin_password=ADMIN[1], seed=cfg.seed, days=60, url=url)
    result = BenchResult(
        f"{STAFF} Order Desks opened at once", STAFF, "openings", baseline_name="one Order Desk opened alone"
    )
    process, app = _serve(url, cfg.workdir)
    try:
        time.sleep(60)  # the preheated pools fill at start; staff arrive after the server is up
        for _ in range(cfg.repeat):
            # a pause after each round lets the pool refill, as between staff arriving
            result.baseline += asyncio.run(_openings(app, 1, settle=15))
            result.ours += asyncio.run(_openings(app, STAFF, settle=60))
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    slowest = max(result.ours)
    result.note = (
        f"seconds per opening to the orders table, 60-day demo; slowest of {STAFF} together "
        f"{slowest:.1f} s (goal < 3 s); pools as voila.json says"
    )
    return result
