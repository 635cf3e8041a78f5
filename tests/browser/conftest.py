"""A Voila server over ``notebooks/apps/`` for the browser tests, on a database of its own.

The server is started as ``ecerp serve`` would start it (same command line, same ``voila.json``),
on a free port with ``--Voila.port_retries=0`` so a stale server is never tested by mistake, and
with ``ECERP_DATABASE_URL`` pointing at a SQLite file made for the test module (also on PostgreSQL
runs): each flow starts from the same small company.

Visitors must sign in: the ``page`` of a test that uses ``voila_server`` is signed in as the admin
(``tests/browser_login.py``) unless its module sets ``SIGN_IN = False``; ``signed_in_opener`` there does
the same for plain HTTP.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from browser_login import ADMIN, sign_in

from ecerp_core.config import project_root
from ecerp_core.serving import free_port, voila_command, wait_until_serving

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = project_root() / "test-artifacts"
COMPANY = "测试商贸有限公司"
SEED_PRODUCTS = [
    {
        "sku": "MUG-001",
        "name_zh": "陶瓷马克杯",
        "name_en": "Ceramic mug",
        "list_price": "39.00",
        "cost": "12.00",
    },
    {"sku": "TEE-001", "name_zh": "纯棉T恤 白色 M", "name_en": "Cotton tee white M", "list_price": "59.00"},
    {"sku": "TEE-002", "name_zh": "纯棉T恤 黑色 L", "name_en": "Cotton tee black L", "list_price": "59.00"},
    {"sku": "BAG-001", "name_zh": "帆布托特包", "name_en": "Canvas tote bag", "list_price": "79.00"},
]


@pytest.fixture(scope="module")
def apps_database(tmp_path_factory) -> str:
    """A fresh SQLite database with a company, the admin and a few products, per test module, so
    one flow's documents never change what another flow sees."""
    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services
    from ecerp_core.db import session_scope
    from ecerp_core.setup import create_database

    url = f"sqlite:///{tmp_path_factory.mktemp('apps') / 'apps.db'}"
    create_database(company=COMPANY, admin_password=ADMIN[1], url=url)
    with session_scope(url) as session:
        services.create_records(session, resolve_actor(session, "admin"), "product", SEED_PRODUCTS)
    return url


@pytest.fixture(scope="module")
def voila_server(apps_database, tmp_path_factory, request):
    """The base URL of a running Voila server; terminated (with its kernels) at the end.

    A module that sets ``PREHEAT`` (app notebook names) gets kernels started ahead only for those
    apps; starting all seven at once on a busy 2-core machine made first page loads time out."""
    port = free_port()
    log_dir = tmp_path_factory.mktemp("logs")
    env = {k: v for k, v in os.environ.items() if k not in ("ECERP_USER", "ECERP_LANGUAGE", "QUERY_STRING")}
    env.update(ECERP_DATABASE_URL=apps_database, ECERP_LOG_DIR=str(log_dir))
    output = (log_dir / "voila.out").open("wb")
    process = subprocess.Popen(
        voila_command(port, port_retries=0, preheat=getattr(request.module, "PREHEAT", None)),
        cwd=project_root(),
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_serving(base + "/voila/", timeout=90, process=process):
            pytest.fail(
                f"Voila did not start:\n{(log_dir / 'voila.out').read_text(errors='replace')[-3000:]}"
            )
        yield {"url": base, "log_dir": log_dir}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium through Playwright; skipped only off CI when it is not installed."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing; CI must install it (apt-get install chromium)")
        pytest.skip("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
    )
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    if "voila_server" in request.fixturenames and getattr(request.module, "SIGN_IN", True):
        sign_in(page, request.getfixturevalue("voila_server")["url"])
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
