"""Helpers for tests (ecerp's own, and those of projects that build on it). Never used by the apps."""

from __future__ import annotations

import contextlib
import io
import logging
import multiprocessing as mp
import runpy
import sys
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import text

from ecerp_core.db import forget_engines, get_engine
from ecerp_core.i18n import t
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


# --- ecerp commands racing in processes of their own ---------------------------------------------
RAW_TEXT = (
    "Traceback",
    "psycopg",
    "sqlalchemy",
    "SQL",
    "deadlock",
    "Background on this error",
    "duplicate key",
)
"""Words that mark a raw error: driver, SQL or Python text a person must never be shown."""


@dataclass(frozen=True)
class Outcome:
    """What one ``ecerp`` command came to: its exit code and what it printed."""

    code: int
    out: str
    err: str


@dataclass(frozen=True)
class RaceResult:
    """Racers' outcomes (per racer, per command), the transactions :func:`db.run_transaction` ran
    again (by SQLSTATE), the deadlocks PostgreSQL detected during the race, the wall time."""

    outcomes: list[list[Outcome]]
    retries: Counter[str]
    deadlocks: int
    seconds: float

    def all(self) -> list[Outcome]:
        return [o for racer in self.outcomes for o in racer]

    def raw_errors(self) -> list[str]:
        """Error output that is not a named ``error: ...`` message (or that names a database error)."""
        busy = t("error.database.busy", None)
        return [
            o.err
            for o in self.all()
            if o.err
            and (not o.err.startswith("error: ") or any(w in o.err for w in RAW_TEXT) or busy in o.err)
        ]

    def unretried_deadlocks(self) -> int:
        """Deadlocks nobody ran again: more than the retries logged, or a "database busy" refusal."""
        busy = t("error.database.busy", None)
        return max(0, self.deadlocks - self.retries["40P01"]) + sum(busy in o.err for o in self.all())


def run_ecerp(argv: list[str]) -> Outcome:
    """``ecerp ARGV`` in this process, as ``python -m ecerp_core`` runs it (English messages)."""
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        saved, sys.argv = sys.argv, ["ecerp", "--lang", "en", *argv]
        try:
            runpy.run_module("ecerp_core", run_name="__main__", alter_sys=False)
        except SystemExit as exc:
            code = exc.code or 0
        except BaseException as exc:  # what must never happen: an exception past the entry point
            return Outcome(99, out.getvalue(), f"raised {type(exc).__name__}: {exc}")
        finally:
            sys.argv = saved
    return Outcome(code, out.getvalue(), err.getvalue())


class _Retries(logging.Handler):
    """Counts the transactions :func:`db.run_transaction` ran again, by SQLSTATE."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.states: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("transaction lost a race"):
            self.states[str(record.args[0])] += 1


def _racer(n: int, commands: list[list[str]], start, results) -> None:
    forget_engines()  # a process of its own: its own engine and connections, not its parent's
    retries = _Retries()
    logger = logging.getLogger("ecerp_core.db")
    logger.setLevel(logging.INFO)
    logger.propagate = False  # counted here, not printed: run_transaction logs nothing else
    logger.addHandler(retries)
    start.wait(timeout=120)
    outcomes = [run_ecerp(argv) for argv in commands]
    results.put((n, outcomes, dict(retries.states)))


def _deadlocks(url: str) -> int:
    engine = get_engine(url)
    if engine.dialect.name != "postgresql":
        return 0
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        return conn.scalar(text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))


def race_commands(url: str, plans: list[list[list[str]]], *, timeout: float = 300) -> RaceResult:
    """Run each plan (a list of ``ecerp`` commands, each a list of arguments) in a process of its own
    (forked: POSIX only), all released together by a barrier; the commands act as the environment
    says (``ECERP_DATABASE_URL``, ``ECERP_TOKEN``)."""
    before = _deadlocks(url)
    get_engine(url).dispose()  # a forked process must not inherit an open connection
    ctx = mp.get_context("fork")
    start, results = ctx.Barrier(len(plans)), ctx.Queue()
    procs = [ctx.Process(target=_racer, args=(n, plan, start, results)) for n, plan in enumerate(plans)]
    began = time.perf_counter()
    for p in procs:
        p.start()
    got: dict[int, tuple[list[Outcome], dict[str, int]]] = {}
    for _ in procs:
        n, outcomes, states = results.get(timeout=timeout)
        got[n] = (outcomes, states)
    seconds = time.perf_counter() - began
    for p in procs:
        p.join(timeout=60)
        if p.exitcode != 0:
            raise RuntimeError(f"racer {p.name} ended with exit code {p.exitcode}")
    retries: Counter[str] = Counter()
    for _, states in got.values():
        retries.update(states)
    outcomes = [got[n][0] for n in range(len(plans))]
    return RaceResult(outcomes, retries, _deadlocks(url) - before, seconds)
