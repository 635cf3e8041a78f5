"""Staff opening the apps at once: five Order Desks opened together beside one opened alone.

``ecerp serve`` is started (so Voila runs with ``voila.json``: its preheated kernel pools, the
held-back refills of :class:`widgets.server.EcerpKernelManager`, idle culling) over a small demo,
and headless Chromium opens the Order Desk. An opening counts from the request to what a clerk
needs: the queue grid's first row on screen (the rows arrive with the widgets' state from the
kernel, so by then the page talks to its kernel). After each timed opening, the first row is
clicked and the order's detail must appear (untimed, but an opening that cannot do that fails).

The baseline is one opening alone in the same run; then five pages open together, as five staff
starting their day would. Each opening also reports where its time went: ``html`` is the page's
HTML fully received (the server ran the notebook, i.e. built the desk), the rest is the browser
loading the front end, fetching the widgets from the kernel and drawing them. Each page has a
fresh browser profile (nothing cached), as on a clerk's first visit. Needs /usr/bin/chromium
(Playwright, no downloaded browser).
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.core import BenchConfig, BenchResult, benchmark
from ecerp_core.config import project_root
from ecerp_core.demo.build import create_demo_database
from ecerp_core.serving import free_port, wait_until_serving

CHROMIUM = "/usr/bin/chromium"
APP = "order_desk.ipynb"
READY = ".ecerp-orders-panel .ecerp-table tbody tr[data-key]"
OPENED = ".ecerp-orders-panel .ecerp-detail .ecerp-section-title"
STAFF = 5
ADMIN = ("admin", "demo-password")


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


async def _open(browser, url: str) -> dict:
    """One opening: seconds to the grid's first row (``ready``) and to the HTML received
    (``html``), the HTML's size, and the seconds a first click on a row took to open the order."""
    context = await browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    await _sign_in(context, url.split("/voila/", 1)[0])
    page = await context.new_page()
    started = time.perf_counter()
    await page.goto(url, timeout=180_000, wait_until="commit")
    row = page.locator(READY).first
    await row.wait_for(timeout=180_000)
    ready = time.perf_counter() - started
    nav = await page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
    clicked = time.perf_counter()
    await row.locator("td").nth(1).click()
    await page.locator(OPENED).first.wait_for(timeout=60_000)
    click = time.perf_counter() - clicked
    await context.close()
    return {
        "ready": ready,
        "html": nav["responseEnd"] / 1000,
        "html_kb": nav["decodedBodySize"] / 1024,
        "click": click,
    }


async def _openings(url: str, together: int, settle: float) -> list[dict]:
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


def _serve(url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    """``ecerp serve`` itself, in a process of its own, over the database at ``url``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("ECERP_USER", "QUERY_STRING")}
    env.update(ECERP_DATABASE_URL=url, ECERP_LOG_DIR=str(workdir))
    log = (workdir / "voila-bench.out").open("wb")
    command = [sys.executable, "-m", "ecerp_core", "serve", "--port", str(port), "--no-browser"]
    process = subprocess.Popen(command, cwd=project_root(), env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    if not wait_until_serving(base, timeout=120, process=process):
        process.kill()
        raise RuntimeError(f"ecerp serve did not start; see {workdir / 'voila-bench.out'}")
    return process, f"{base}/voila/render/{APP}"


def _wait_for_pool(log: Path, timeout: float = 180) -> None:
    """Until Voila says the Order Desk's pool is filled (its kernels started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if f"Kernel pool of {APP} is filled" in log.read_text(errors="replace"):
            return
        time.sleep(1)


def _where(openings: list[dict]) -> str:
    med = {key: statistics.median(o[key] for o in openings) for key in ("html", "ready", "click")}
    return (
        f"HTML {med['html']:.1f} s, then browser {med['ready'] - med['html']:.1f} s, "
        f"first click {med['click']:.1f} s"
    )


@benchmark("apps-open")
def apps_open(cfg: BenchConfig) -> BenchResult:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing (apt-get install chromium)")
    url = f"sqlite:///{cfg.workdir / 'apps-bench.db'}"
    create_demo_database(company="演示", admin_password=ADMIN[1], seed=cfg.seed, days=60, url=url)
    result = BenchResult(
        f"{STAFF} Order Desks opened at once", STAFF, "openings", baseline_name="one Order Desk opened alone"
    )
    alone: list[dict] = []
    together: list[dict] = []
    process, app = _serve(url, cfg.workdir)
    try:
        _wait_for_pool(cfg.workdir / "voila-bench.out")
        time.sleep(45)  # the kernels' imports run on; staff arrive after the server is up
        for _ in range(cfg.repeat):
            # a pause after each round lets the pools refill, as between staff arriving
            alone += asyncio.run(_openings(app, 1, settle=30))
            together += asyncio.run(_openings(app, STAFF, settle=60))
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    result.baseline = [o["ready"] for o in alone]
    result.ours = [o["ready"] for o in together]
    result.note = (
        f"seconds per opening to the queue grid's rows, 60-day demo; slowest of {STAFF} together "
        f"{max(result.ours):.1f} s (goal < 3 s). Alone: {_where(alone)}. Together: {_where(together)}. "
        f"HTML {statistics.median(o['html_kb'] for o in alone):.0f} KB"
    )
    return result
