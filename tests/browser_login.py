"""Signing a browser test in: the admin of the browser tests' databases, through the sign-in form."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

ADMIN = ("admin", "admin-pass-1")


def xsrf_of(login_page: str) -> str:
    return re.search(r'name="_xsrf" value="([^"]+)"', login_page).group(1)


def sign_in(page, base_url: str, username: str = ADMIN[0], password: str = ADMIN[1]) -> None:
    """Sign the page's browser context in (the sign-in form's POST, without drawing the page)."""
    form = {"_xsrf": xsrf_of(page.request.get(f"{base_url}/login").text()), "username": username}
    response = page.request.post(
        f"{base_url}/login", form={**form, "password": password}, max_redirects=0, fail_on_status_code=False
    )
    assert response.status == 302, f"signing in as {username} failed: {response.status}"


def signed_in_opener(base_url: str, username: str = ADMIN[0], password: str = ADMIN[1]):
    """A urllib opener with a signed-in cookie, for tests that fetch pages without a browser."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(f"{base_url}/login", timeout=60) as response:
        xsrf = xsrf_of(response.read().decode())
    data = urllib.parse.urlencode({"_xsrf": xsrf, "username": username, "password": password}).encode()
    opener.open(f"{base_url}/login", data=data, timeout=60).close()
    return opener
