"""Issue 12: staff signed in to ``ecerp serve`` stay signed in when it restarts, while signing out,
a password change and deactivation still end their sessions."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from ecerp_core import auth, signin
from ecerp_core.db import session_scope
from widgets import server

PASSWORD = "password-123"  # the password of the users ``actor_with_role`` makes


@pytest.fixture
def clerk(session, actor_with_role) -> str:
    name = actor_with_role("order_clerk").username
    session.commit()
    return name


def signed_in_cookie(provider, username: str, password: str) -> str:
    """What ``POST /login`` puts in the cookie (before tornado signs it)."""
    form = {"username": username, "password": password}
    handler = SimpleNamespace(get_argument=lambda name, default="": form.get(name, default))
    return provider.user_to_cookie(provider.process_login_form(handler))


def test_the_cookie_key_is_made_once_and_kept_for_this_os_user_only(tmp_path, monkeypatch):
    path = tmp_path / "data" / signin.SESSION_KEY_FILE
    monkeypatch.setattr(signin, "session_key_path", lambda: path)
    first = server.EcerpVoila().cookie_secret
    assert len(first) == 64 and path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)
    assert server.EcerpVoila().cookie_secret == first  # a restart signs nobody out
    assert path.stat().st_mode & 0o777 == 0o600
    assert signin.session_key(tmp_path / "other.key") != first


def test_a_session_ends_on_sign_out_password_change_deactivation_or_after_its_hours(clerk):
    provider = server.EcerpIdentityProvider()
    cookie = signed_in_cookie(provider, clerk, PASSWORD)
    assert provider.user_from_cookie(cookie).username == clerk

    with session_scope() as session:
        signin.sign_out(session, clerk)
    assert provider.user_from_cookie(cookie) is None  # a copy of the cookie is no good either
    cookie = signed_in_cookie(provider, clerk, PASSWORD)
    assert provider.user_from_cookie(cookie).username == clerk  # signing in again opens a new one

    with session_scope() as session:
        auth.set_password(session, auth.resolve_actor(session, clerk), clerk, "password-456")
    assert provider.user_from_cookie(cookie) is None
    cookie = signed_in_cookie(provider, clerk, "password-456")
    stale = json.loads(cookie)
    stale["issued"] = (dt.datetime.fromisoformat(stale["issued"]) - dt.timedelta(hours=13)).isoformat()
    assert provider.user_from_cookie(json.dumps(stale)) is None
    assert provider.user_from_cookie(json.dumps({"username": clerk})) is None  # an older server's

    with session_scope() as session:
        auth.set_user_active(session, auth.resolve_actor(session, "admin"), clerk, False)
    assert provider.user_from_cookie(cookie) is None
