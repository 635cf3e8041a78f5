"""The context every command receives (``@pass_ctx``): who acts, and a session to act in.

Who acts, in this order:

1. ``ECERP_TOKEN`` (an API token from ``ecerp users token create USER``): its user. With ``--user``
   naming someone else, only a token of a user who may manage users can act for them (an admin
   could set their password anyway); the audit rows then name that user.
2. ``--user`` / ``ECERP_USER`` (or ``user`` in ``ecerp.toml``) without a token: that user's
   password, read from standard input with ``--password-stdin`` or asked for on a terminal; never
   an option on the command line, where the process list shows it. Failures count towards the
   same lockout as the sign-in page.
3. Neither, on a SQLite database: the first active admin. Whoever can write the database file
   owns the data anyway, so the file's permissions are what guards it (single-user, local use).
   On PostgreSQL a shared server is assumed and a token or a password is needed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from sqlalchemy.engine import make_url

from ecerp_core.auth import Actor, get_user, resolve_actor
from ecerp_core.config import load_settings
from ecerp_core.db import run_transaction, session_scope
from ecerp_core.errors import EcerpError
from ecerp_core.i18n import t
from ecerp_core.signin import SignInRequired, actor_for_token, sign_in

T = TypeVar("T")
TOKEN_ENV = "ECERP_TOKEN"


def local_database() -> bool:
    """A SQLite file: one machine, guarded by the file's permissions."""
    return make_url(load_settings().database_url).get_backend_name() == "sqlite"


class Context:
    """What every command shares: the chosen user, language and debug flag."""

    def __init__(self, user: str | None, debug: bool, *, password_stdin: bool = False) -> None:
        self.user = user or load_settings().user
        self.debug = debug
        self.password_stdin = password_stdin
        self._password: str | None = None
        self._actor: Actor | None = None

    def password(self) -> str:
        """The acting user's password: stdin with ``--password-stdin``, else asked on a terminal."""
        if self._password is None:
            if self.password_stdin:
                self._password = sys.stdin.readline().rstrip("\r\n")
            elif sys.stdin.isatty():
                self._password = click.prompt(t("cli.password_prompt", None, user=self.user), hide_input=True)
            else:
                raise SignInRequired(user=self.user)
        return self._password

    def resolve(self, session) -> Actor:
        """The acting user (see the module's docstring)."""
        token = os.environ.get(TOKEN_ENV, "").strip()
        if token:
            actor = actor_for_token(session, token)
            if not self.user or self.user == actor.username:
                return actor
            if not actor.can("users.manage"):
                raise EcerpError("error.token_user_mismatch", owner=actor.username, user=self.user)
            return resolve_actor(session, self.user)
        if self.user:
            get_user(session, self.user)  # an unknown name says so before asking for a password
            return sign_in(self.user, self.password(), source="cli")
        if local_database():
            return resolve_actor(session)
        raise SignInRequired(user="-")

    @contextmanager
    def acting(self, *, readonly: bool = False) -> Iterator[tuple[Any, Actor]]:
        """Open a session and resolve the acting user; commits when the block ends."""
        signed_in = self._sign_in_with_password()
        with session_scope(readonly=readonly) as session:
            yield session, signed_in or self.resolve(session)

    def _sign_in_with_password(self) -> Actor | None:
        """Sign ``--user`` in with their password before the command's transaction opens, or None
        when no password is needed (a token, or no ``--user``).

        ``sign_in`` writes in a transaction of its own; on SQLite it would wait for the command's
        write lock (``BEGIN IMMEDIATE``) and fail with "database is locked".
        """
        if self._actor is None and self.user and not os.environ.get(TOKEN_ENV, "").strip():
            with session_scope(readonly=True) as session:
                get_user(session, self.user)  # an unknown name says so before asking for a password
            self._actor = sign_in(self.user, self.password(), source="cli")
        return self._actor

    def run(self, work: Callable[[Any, Actor], T]) -> T:
        """``work(session, actor)`` in one transaction, run again when it loses a deadlock or a
        unique key to another process (two importers of one file: the second then finds the rows
        and reports them unchanged); see :func:`ecerp_core.db.run_transaction`. ``work`` prints
        nothing: it may run more than once. A ``--user`` signs in first, once (as in :meth:`acting`)."""
        signed_in = self._sign_in_with_password()
        return run_transaction(lambda session: work(session, signed_in or self.resolve(session)))


pass_ctx = click.make_pass_decorator(Context)
