"""The context every command receives (``@pass_ctx``): who acts, and a session to act in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ecerp_core.auth import Actor, resolve_actor
from ecerp_core.config import load_settings
from ecerp_core.db import session_scope


class Context:
    """What every command shares: the chosen user, language and debug flag."""

    def __init__(self, user: str | None, debug: bool) -> None:
        self.user = user or load_settings().user
        self.debug = debug

    @contextmanager
    def acting(self, *, readonly: bool = False) -> Iterator[tuple[Any, Actor]]:
        """Open a session and resolve the acting user; commits when the block ends."""
        with session_scope(readonly=readonly) as session:
            yield session, resolve_actor(session, self.user)


pass_ctx = click.make_pass_decorator(Context)
