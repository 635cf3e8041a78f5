"""Test fixtures: one database per test session, emptied and seeded again for every test.

SQLite by default; PostgreSQL when ``ECERP_TEST_DATABASE_URL`` is set (CI sets it), so the same
suite proves both. ``ECERP_DATABASE_URL`` is pointed at the test database too, so CLI commands and
app models run in-process see the same data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecerp_core import events
from ecerp_core.auth import resolve_actor
from ecerp_core.db import get_engine, session_scope
from ecerp_core.schema import metadata
from ecerp_core.signin import create_token
from ecerp_core.testing import empty_database
from ecerp_core.wiring import connect

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ADMIN_PASSWORD = "admin-pass-1"


def pytest_configure(config) -> None:
    """The tests start the way every entry point does: with the event subscribers connected."""
    connect()


def _on_postgresql() -> bool:
    return os.environ.get("ECERP_TEST_DATABASE_URL", "").startswith("postgresql")


def pytest_collection_modifyitems(config, items) -> None:
    """On PostgreSQL, run what touches the test database (or is marked ``postgres``); the rest —
    pure rules and parsers, the house, the report notebooks on their own SQLite demo — does not
    depend on the database and has run on SQLite already."""
    if not _on_postgresql():
        return
    keep = [
        i for i in items if "db_url" in getattr(i, "fixturenames", ()) or i.get_closest_marker("postgres")
    ]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def _test_url(tmp_path_factory) -> str:
    url = os.environ.get("ECERP_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    url = _test_url(tmp_path_factory)
    engine = get_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    return url


@pytest.fixture
def emitted():
    """Every business event the test emits, in order; they reach nobody else (nothing is posted)."""
    seen: list[events.BusinessEvent] = []
    with events.only(lambda _session, _actor, heard: seen.extend(heard)):
        yield seen


@pytest.fixture(autouse=True)
def _default_language():
    """A test that chooses a language (``set_language``) must not change the next test's."""
    from ecerp_core.i18n import reset_language

    reset_language()
    yield
    reset_language()


@pytest.fixture
def db(db_url, monkeypatch) -> str:
    """An empty, initialised database (company 测试商贸, admin user); returns its URL."""
    from ecerp_core.setup import initialise

    empty_database(db_url)
    monkeypatch.setenv("ECERP_DATABASE_URL", db_url)
    monkeypatch.delenv("ECERP_USER", raising=False)
    with session_scope(db_url) as session:
        initialise(session, company="测试商贸有限公司", admin_password=ADMIN_PASSWORD)
        # the CLI acts as the admin through an API token, as a script on a shared server would
        monkeypatch.setenv("ECERP_TOKEN", create_token(session, resolve_actor(session, "admin"), "admin"))
    return db_url


@pytest.fixture
def session(db):
    """A session on the test database; committed when the test ends without error."""
    with session_scope(db) as s:
        yield s


@pytest.fixture
def admin(session):
    from ecerp_core.auth import resolve_actor

    return resolve_actor(session, "admin")


@pytest.fixture
def actor_with_role(session, admin):
    """Make a user of a role and return its actor: ``actor_with_role("analyst")``."""
    from ecerp_core import auth

    def make(role: str):
        name = f"{role}_user"
        auth.create_user(session, admin, name, "password-123", role)
        return auth.resolve_actor(session, name)

    return make


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: must exist in CI; a user's machine without it skips these tests."""
    path = SHARED / "data"
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing; CI always has it")
        pytest.skip("../shared/data is not here")
    return path
