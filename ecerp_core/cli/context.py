"""The context every command receives (``@pass_ctx``): who acts, and a session to act in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from ecerp_core.auth import Actor, resolve_actor
from ecerp_core.config import load_settings
from ecerp_core.db import run_transaction, session_scope

T = TypeVar("T")


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

    def run(self, work: Callable[[Any, Actor], T]) -> T:
        """``work(session, actor)`` in one transaction, run again when it loses a deadlock or a
        unique key to another process (two importers of one file: the second then finds the rows
        and reports them unchanged); see :func:`ecerp_core.db.run_transaction`."""
        return run_transaction(lambda session: work(session, resolve_actor(session, self.user)))


pass_ctx = click.make_pass_decorator(Context)
