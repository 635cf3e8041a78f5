"""Sign-in at the server: an anonymous visitor gets only the sign-in page (and no kernel); an order
clerk signs in, sees exactly the apps of the role, is refused Finance Close, and signs out; every other
role signs in and sees exactly its apps."""

from __future__ import annotations

import pytest

from ecerp_core import auth
from ecerp_core.db import session_scope

pytestmark = pytest.mark.browser
PREHEAT = ("home.ipynb",)  # the one app this module opens
SIGN_IN = False  # the visitors here sign in themselves
CLERK = ("clerk", "clerk-pass-1")


@pytest.fixture(scope="module")
def clerk(apps_database):
    with session_scope(apps_database) as session:
        admin = auth.resolve_actor(session, "admin")
        auth.create_user(session, admin, CLERK[0], CLERK[1], "order_clerk", language="zh_CN")
    return CLERK


def kernels_started(voila_server) -> int:
    return (voila_server["log_dir"] / "voila.out").read_text(errors="replace").count("Kernel started")


def test_anonymous_visitor_gets_only_the_sign_in_page(voila_server, clerk, page, artifacts):
    base = voila_server["url"]
    before = kernels_started(voila_server)
    for app in ("home.ipynb", "finance_close.ipynb", "order_desk.ipynb"):
        page.goto(f"{base}/voila/render/{app}")
        assert "/login" in page.url
        assert page.locator("input[name=password]").count() == 1
    page.goto(f"{base}/login?lang=en")
    page.fill("input[name=username]", clerk[0])
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    page.get_by_text("Wrong user name or password").wait_for()
    page.screenshot(path=str(artifacts / "signin_wrong_password_en.png"))
    assert page.request.get(f"{base}/api/kernels/{'0' * 8}-0000-0000-0000-{'0' * 12}").status == 403
    assert kernels_started(voila_server) == before  # nobody anonymous got a kernel


def test_clerk_sees_its_apps_is_refused_finance_close_and_signs_out(voila_server, clerk, page, artifacts):
    base = voila_server["url"]
    page.goto(f"{base}/voila/render/home.ipynb")
    page.screenshot(path=str(artifacts / "signin_page_zh.png"))
    page.fill("input[name=username]", clerk[0])
    page.fill("input[name=password]", clerk[1])
    page.click("button[type=submit]")
    page.locator(".ecerp-app-card").first.wait_for(timeout=90_000)
    assert "clerk" in page.locator(".ecerp-user").inner_text()
    shown = sorted(page.locator(".ecerp-app-card").evaluate_all("cards => cards.map(c => c.dataset.app)"))
    assert shown == ["base_data", "customers", "inventory", "order_desk"]
    page.screenshot(path=str(artifacts / "signin_clerk_home.png"))

    response = page.goto(f"{base}/voila/render/finance_close.ipynb?lang=en")
    assert response.status == 403
    page.get_by_text("Your role may not use this app").wait_for()
    assert "Traceback" not in page.content()
    page.screenshot(path=str(artifacts / "signin_refused_en.png"))

    page.goto(f"{base}/voila/render/home.ipynb")
    page.locator(".ecerp-signout").click()
    page.get_by_text("您已退出登录").wait_for()
    page.goto(f"{base}/voila/render/home.ipynb")
    assert "/login" in page.url


# Each role's apps on Home, literally (widgets/home/registry.py's permission per app, auth.ROLES),
# and one app the role is refused at the server (None: the admin is refused nothing).
ROLE_APPS = {
    "admin": (
        [
            "analytics",
            "base_data",
            "customers",
            "finance_close",
            "forecast",
            "inventory",
            "order_desk",
            "stocktake",
        ],
        None,
    ),
    "warehouse_clerk": (["base_data", "inventory", "order_desk", "stocktake"], "finance_close"),
    "purchaser": (["analytics", "base_data", "forecast", "inventory"], "order_desk"),
    "accountant": (["analytics", "base_data", "finance_close", "inventory", "order_desk"], "stocktake"),
    "analyst": (
        ["analytics", "base_data", "customers", "finance_close", "forecast", "inventory", "order_desk"],
        "stocktake",
    ),
}


@pytest.mark.parametrize("role", list(ROLE_APPS))
def test_each_role_signs_in_and_sees_exactly_its_apps(voila_server, apps_database, page, role):
    base = voila_server["url"]
    name, password = f"u_{role}", f"{role}-pass-1"
    with session_scope(apps_database) as session:
        admin = auth.resolve_actor(session, "admin")
        auth.create_user(session, admin, name, password, role, language="en")
    page.goto(f"{base}/login?lang=en")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.locator(".ecerp-app-card").first.wait_for(timeout=90_000)
    shown = sorted(page.locator(".ecerp-app-card").evaluate_all("cards => cards.map(c => c.dataset.app)"))
    expected, refused = ROLE_APPS[role]
    assert shown == expected
    if refused:
        assert page.goto(f"{base}/voila/render/{refused}.ipynb").status == 403
    page.request.get(f"{base}/logout")
