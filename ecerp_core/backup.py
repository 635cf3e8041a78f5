"""Backups of the whole database, and restoring one: SQLite through its online backup API (a
consistent copy while the apps keep working), PostgreSQL through ``pg_dump``/``pg_restore`` in
their custom format.

A backup is checked before it is called done (SQLite: ``PRAGMA integrity_check`` of the copy;
PostgreSQL: ``pg_restore --list`` reads it back). A restore replaces everything in the target
database, so it refuses a database that holds a company unless ``replace`` is given; afterwards the
schema is brought to the newest migration, so a backup of an older ecerp restores into a newer one.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Company
from ecerp_core.db import get_engine, session_scope
from ecerp_core.errors import EcerpError
from ecerp_core.setup import upgrade_database

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupFailed(EcerpError):
    """A backup or restore that could not be made (params: reason)."""

    code = "error.backup.failed"


class RestoreWouldReplace(EcerpError):
    """The target database holds a company: restoring would replace it (params: company)."""

    code = "error.backup.would_replace"


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if parsed.database in (None, "", ":memory:"):
        raise BackupFailed(reason="an in-memory database has nothing to back up")
    return Path(parsed.database).expanduser()


def _libpq_url(url: str) -> str:
    """The URL as ``pg_dump`` reads it (no ``+driver``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(tool: str, args: list[str]) -> subprocess.CompletedProcess:
    found = shutil.which(tool)
    if found is None:
        raise BackupFailed(reason=f"{tool} is not installed (apt-get install postgresql-client)")
    done = subprocess.run([found, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise BackupFailed(reason=f"{tool}: {last[:300]}")
    return done


def backup_database(actor: Actor, target: Path | str, url: str) -> Path:
    """Write a backup of the database at ``url`` to ``target``; needs ``company.manage``."""
    require(actor, "company.manage")
    target = Path(target)
    if target.exists() and target.is_dir():
        raise BackupFailed(reason=f"{target} is a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    source = _sqlite_path(url)
    if source is not None:
        with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
            src.backup(dst)
            if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupFailed(reason="the copy does not pass SQLite's integrity check")
        src.close()
        dst.close()
    else:
        _run(
            "pg_dump",
            ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}", _libpq_url(url)],
        )
        _run("pg_restore", ["--list", str(partial)])
    partial.replace(target)  # a half-written backup never carries the name of a good one
    return target


def _company(url: str) -> str | None:
    engine = get_engine(url)
    if not inspect(engine).has_table(Company.__tablename__):
        return None
    with session_scope(url, readonly=True) as session:
        return session.scalar(select(Company.name).limit(1))


def _holds_company(path: Path) -> bool:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
        found = probe.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (Company.__tablename__,)
        ).fetchone()
    probe.close()
    return found is not None


def restore_database(source: Path | str, url: str, *, replace: bool = False) -> None:
    """Replace the database at ``url`` with the backup in ``source``, then migrate it to the newest
    schema. A database that holds a company is refused with :class:`RestoreWouldReplace` unless
    ``replace``."""
    source = Path(source)
    try:
        head = source.read_bytes()[:16] if source.stat().st_size < 1 << 20 else source.open("rb").read(16)
    except OSError:
        raise BackupFailed(reason=f"{source} cannot be read") from None
    target_file = _sqlite_path(url)
    if target_file is not None and target_file.exists() and target_file.resolve() == source.resolve():
        raise BackupFailed(reason=f"{source.name} is the database itself")
    existing = _company(url)
    if existing and not replace:
        raise RestoreWouldReplace(company=existing)
    target = _sqlite_path(url)
    if target is not None:
        if not head.startswith(SQLITE_MAGIC) or not _holds_company(source):
            raise BackupFailed(reason=f"{source.name} is not an ecerp SQLite backup")
        get_engine(url).dispose()
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
    else:
        if not head.startswith(PG_MAGIC):
            raise BackupFailed(reason=f"{source.name} is not a pg_dump custom-format backup")
        get_engine(url).dispose()
        options = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
        _run("pg_restore", [*options, f"--dbname={_libpq_url(url)}", str(source)])
    get_engine(url).dispose()
    if _company(url) is None:
        raise BackupFailed(reason=f"{source.name} holds no ecerp company")
    if inspect(get_engine(url)).has_table("alembic_version"):  # a schema without history is left as is
        upgrade_database(url)
