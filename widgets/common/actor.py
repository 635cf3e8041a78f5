"""Who is using an app, in which language, against which database: the :class:`AppContext`.

Today the acting user is ``ECERP_USER`` (or ``user`` in ``ecerp.toml``), else the first active
admin. A later login screen (or a trusted proxy header that Voila passes to the kernel through
``http_header_envs``) will produce the actor instead; apps only ever ask ``ctx.actor``, so they do
not change when it arrives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ecerp_core.auth import Actor, resolve_actor
from ecerp_core.config import load_settings
from ecerp_core.db import Session, session_scope
from ecerp_core.wiring import connect
from widgets.common.actions import AlertArea
from widgets.common.i18n import Translator


def resolve_app_actor(session: Session, username: str | None = None) -> Actor:
    """The actor for ``username``; else ``ECERP_USER`` / settings; else the first active admin."""
    return resolve_actor(session, username or load_settings().user)


@dataclass
class AppContext:
    """What every app model and view shares.

    actor: the user the app acts for (permissions checked by the services).
    i18n: the app's language and the widgets bound to it.
    alerts: the app's alert area, where :func:`~widgets.common.actions.ui_action` reports.
    database_url: None means "from the settings", as everywhere else.
    """

    actor: Actor
    i18n: Translator = field(default_factory=Translator)
    alerts: AlertArea = field(default_factory=AlertArea)
    database_url: str | None = None

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session that commits once when the block ends (or rolls back whole)."""
        with session_scope(self.database_url, readonly=readonly) as session:
            yield session


def open_context(
    username: str | None = None, language: str | None = None, database_url: str | None = None
) -> AppContext:
    """Resolve the acting user and build the context an app is made from."""
    connect()
    with session_scope(database_url, readonly=True) as session:
        actor = resolve_app_actor(session, username)
    return AppContext(actor=actor, i18n=Translator(language), database_url=database_url)
