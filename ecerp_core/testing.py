"""Helpers for tests (ecerp's own, and those of projects that build on it). Never used by the apps."""

from __future__ import annotations

from sqlalchemy import text

from ecerp_core.db import get_engine
from ecerp_core.schema import metadata


def empty_database(url: str) -> None:
    """Delete every row of every ecerp table and restart the id sequences (the schema stays)."""
    engine = get_engine(url)
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        for name in tables:
            conn.execute(text(f"DELETE FROM {name}"))
        if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first():
            conn.execute(text("DELETE FROM sqlite_sequence"))
