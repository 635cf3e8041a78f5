"""Fresh databases for benchmark runs: a new SQLite file, or a reset PostgreSQL database."""

from __future__ import annotations

import itertools
from pathlib import Path

from sqlalchemy import text

from ecerp_core.db import get_engine
from ecerp_core.schema import metadata

_counter = itertools.count()


def fresh_url(workdir: Path, database_url: str | None, label: str) -> str:
    """An empty database with the current schema; on PostgreSQL the given one, emptied."""
    if database_url is None:
        path = workdir / f"{label}-{next(_counter)}.db"
        url = f"sqlite:///{path}"
    else:
        url = database_url
        engine = get_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    metadata.create_all(get_engine(url))
    return url


def dispose(url: str) -> None:
    get_engine(url).dispose()
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
