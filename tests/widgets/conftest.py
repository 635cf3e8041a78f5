"""Fixtures for the widget tests: apps built in-process against the test database.

The app models open their own short sessions, so these tests never hold the ``session`` fixture
open while an app writes (SQLite would make the app wait for the lock).
"""

from __future__ import annotations

import pytest

from ecerp_core import auth
from ecerp_core.db import session_scope
from widgets.common.actor import AppContext, open_context
from widgets.common.i18n import Translator


@pytest.fixture(autouse=True)
def _app_log(tmp_path, monkeypatch):
    """Each test writes its app log to its own folder."""
    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.delenv("ECERP_LANGUAGE", raising=False)
    return tmp_path / "logs"


@pytest.fixture
def make_user(db):
    """Add a user of a role (acting as the admin) and return its name: ``make_user("analyst")``."""

    def make(role: str) -> str:
        name = f"{role}_user"
        with session_scope(db) as session:
            admin = auth.resolve_actor(session, "admin")
            auth.create_user(session, admin, name, "password-123", role)
        return name

    return make


@pytest.fixture
def ctx(db) -> AppContext:
    """The context of an app used by the admin, in Chinese."""
    return open_context("admin", "zh_CN")


@pytest.fixture
def translator() -> Translator:
    return Translator("zh_CN")
