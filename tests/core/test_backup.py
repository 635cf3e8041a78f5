"""``ecerp backup`` / ``ecerp restore``: a round trip brings the books back as they were."""

from __future__ import annotations

import shutil

import pytest
from cli_run import run
from sqlalchemy import func, select

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.models import Warehouse
from ecerp_core.db import get_engine, session_scope


def _warehouses(url: str) -> list[str]:
    with session_scope(url, readonly=True) as s:
        return list(s.scalars(select(Warehouse.code).order_by(Warehouse.code)))


def test_backup_and_restore_round_trip(db, tmp_path, capsys):
    if db.startswith("postgresql") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    from ecerp_core.auth import resolve_actor

    with session_scope(db) as s:
        catalog.create_warehouse(s, resolve_actor(s, "admin"), code="KEEP", name="留下的仓")
    file = tmp_path / "books.backup"
    code, out, err = run(capsys, "--lang", "en", "backup", str(file))
    assert (code, err) == (0, "") and "Backup written" in out and file.stat().st_size > 0
    with session_scope(db) as s:
        catalog.create_warehouse(s, resolve_actor(s, "admin"), code="LATER", name="备份后的仓")
    get_engine(db).dispose()  # nothing of the test holds the database while it is replaced

    code, _, err = run(capsys, "--lang", "en", "restore", str(file))
    assert code == 1 and "--replace" in err  # a database with books is never replaced by accident
    assert _warehouses(db) == ["KEEP", "LATER"]

    code, out, err = run(capsys, "--lang", "en", "restore", "--replace", str(file))
    assert (code, err) == (0, "") and "restored" in out
    assert _warehouses(db) == ["KEEP"]
    with session_scope(db, readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Warehouse)) == 1

    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all")
    code, _, err = run(capsys, "--lang", "en", "restore", "--replace", str(junk))
    assert code == 1 and err.startswith("error: Backup or restore failed") and "junk.backup" in err
    assert _warehouses(db) == ["KEEP"]


def test_backup_needs_an_admin(db, tmp_path):
    from ecerp_core import auth
    from ecerp_core.backup import backup_database
    from ecerp_core.errors import PermissionDenied

    with session_scope(db) as s:
        auth.create_user(s, auth.resolve_actor(s, "admin"), "ana", "password-123", "analyst")
        analyst = auth.resolve_actor(s, "ana")
    with pytest.raises(PermissionDenied):
        backup_database(analyst, tmp_path / "b", db)
    assert not (tmp_path / "b").exists()
