"""Who is using an app, in which language, against which database: the :class:`AppContext`.

Served by ``ecerp serve`` with sign-in (:mod:`widgets.server`), the acting user is the signed-in
user: the server seals their name into the :data:`SESSION_HEADER` of the page request, Voila passes
it to the kernel (``http_header_envs``), and :func:`served_username` accepts it only with the
secret the kernel inherited from that server. Outside such a server (JupyterLab, tests,
``ecerp serve --no-login`` on 127.0.0.1) it is ``ECERP_USER`` (or ``user`` in ``ecerp.toml``), else
the first active admin: whoever can open the database there can act as anyone anyway.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ecerp_core.auth import Actor, resolve_actor
from ecerp_core.config import load_settings
from ecerp_core.db import Session, session_scope
from ecerp_core.signin import SESSION_SECRET_ENV, session_actor, unseal
from ecerp_core.wiring import connect
from widgets.common.actions import AlertArea
from widgets.common.i18n import Translator

SESSION_HEADER = "X-Ecerp-Session"
"""The request header in which the web server hands the sealed signed-in user to the kernel."""
SESSION_ENV = "HTTP_" + SESSION_HEADER.upper().replace("-", "_")


def signed_in_serving() -> bool:
    """Whether this kernel runs under ``ecerp serve`` with sign-in (it inherited the secret)."""
    return bool(os.environ.get(SESSION_SECRET_ENV))


def served_username() -> str:
    """The signed-in user the server sealed for this page; :class:`AuthenticationFailed` if the
    seal is missing, forged or expired."""
    return unseal(os.environ.get(SESSION_ENV, ""), os.environ.get(SESSION_SECRET_ENV, ""))


def resolve_app_actor(session: Session, username: str | None = None) -> Actor:
    """The signed-in user when served with sign-in (``username`` is then ignored); else the actor
    for ``username``, else ``ECERP_USER`` / settings, else the first active admin."""
    if signed_in_serving():
        return session_actor(session, served_username())
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
