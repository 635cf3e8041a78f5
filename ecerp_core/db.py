"""The database: declarative base, shared column types, engine and the session scope.

Business code never commits: the caller (a CLI command, a widget action, a test) opens
:func:`session_scope` and the whole use case commits once or rolls back whole.

Batch writes and reads go through a few set-based helpers that work alike on SQLite and
PostgreSQL: :func:`insert_rows` / :func:`insert_columns` (one executemany, or ``COPY`` on
PostgreSQL), :func:`update_rows` (one ``UPDATE ... FROM unnest`` on PostgreSQL),
:func:`among` (an id list as one parameter), :func:`allocate_ids` (ids for a batch before it is
written), :func:`memo` (reference data read once per transaction) and
:func:`cycle_collector_paused` (for a batch that allocates millions of objects).
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import logging
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, configure_mappers, mapped_column, sessionmaker
from sqlalchemy.types import NullType, TypeDecorator

from ecerp_core.config import load_settings
from ecerp_core.errors import EcerpError
from ecerp_core.money import Money, Rate

T = TypeVar("T")

# SQLite has no DECIMAL; SQLAlchemy converts and quantises to the column's scale on the way out.
warnings.filterwarnings("ignore", message=r"Dialect sqlite\+pysqlite does \*not\* support Decimal")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def to_text(value: dt.datetime | None) -> str | None:
            # SQLAlchemy's SQLite DATETIME text, written in one C call (a bulk import binds 10^5 of them)
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("timestamps must be timezone-aware")
            return value.astimezone(dt.UTC).isoformat(" ", "microseconds")[:26]  # without "+00:00"

        return to_text


_clock: ContextVar[dt.datetime | None] = ContextVar("ecerp_clock", default=None)


def utcnow() -> dt.datetime:
    """The current UTC time, or the frozen time of :func:`frozen_clock` (the demo's simulated clock)."""
    fixed = _clock.get()
    return fixed if fixed is not None else dt.datetime.now(dt.UTC)


def clock_is_frozen() -> bool:
    return _clock.get() is not None


@contextmanager
def frozen_clock(at: dt.datetime) -> Iterator[None]:
    """Make :func:`utcnow` return ``at`` inside the block, so simulated data is byte-identical."""
    if at.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware time")
    token = _clock.set(at.astimezone(dt.UTC))
    try:
        yield
    finally:
        _clock.reset(token)


# Vocabulary types, defined once.
intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
bigpk = Annotated[int, mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)]
Qty = Annotated[int, mapped_column(Integer)]
Code = Annotated[str, mapped_column(String(64))]
Name = Annotated[str, mapped_column(String(200))]
CurrencyCode = Annotated[str, mapped_column(String(3))]
Flag = Annotated[bool, mapped_column(Boolean, default=True)]
Timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime)]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow)]
updated_at = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dict: JSON,
        dt.datetime: UTCDateTime,
        Decimal: Numeric(18, 2),
    }


class Lifecycle:
    """Columns of a base record that is deactivated rather than deleted, with its timestamps."""

    active: Mapped[Flag]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


def get_engine(url: str | None = None) -> Engine:
    """The engine of ``url`` (default: the configured database), one per URL per process."""
    return _engine_for(url or load_settings().database_url)


@cache
def _engine_for(url: str) -> Engine:
    """SQLite gets WAL, foreign keys and write locks up front."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        if engine.url.database not in (None, "", ":memory:"):  # a new company's data/ folder
            Path(engine.url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        _configure_sqlite(engine)
    else:
        _register_ids_dumper()
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN; take it over so write transactions start
    # with BEGIN IMMEDIATE and two writers queue instead of failing half-way (design.md).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


@cache
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


def forget_engines() -> None:
    """Forget this process's engines and session factories: first thing in a forked worker, whose
    inherited connections belong to its parent."""
    _engine_for.cache_clear()
    _session_factory.cache_clear()


_commits = 0  # write transactions this process committed (see again_after_lost_race)


@contextmanager
def session_scope(url: str | None = None, *, readonly: bool = False) -> Iterator[Session]:
    """Open a session; commit when the block ends, roll back everything if it raises.

    ``readonly=True`` starts a deferred transaction on SQLite (no write lock) and never commits.
    """
    url = url or load_settings().database_url
    session = _session_factory(url)()
    session.info["readonly"] = readonly  # a cache's upkeep (the analytics rollup) skips such a session
    if readonly and url.startswith("sqlite"):
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
    try:
        yield session
        if readonly:
            session.rollback()
        else:
            pause_point(session, "commit")
            session.commit()
            global _commits
            _commits += 1
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def warm_up(url: str | None = None) -> None:
    """Pay now what this process's first session pays: the ORM's mappers configured (the models
    imported so far) and a connection to the database opened. A preheated app kernel calls it
    while it waits for its visitor, so the visitor's page is built without it (about a third of
    the Order Desk's first build)."""
    configure_mappers()
    with session_scope(url, readonly=True) as session:
        session.connection()


PAUSE_AT = "ECERP_TEST_PAUSE_AT"
"""Environment variable naming the :func:`pause_point` a test wants this process to stop at."""


def pause_point(session: Session, label: str) -> None:
    """Where a crash test may kill this process mid-transaction; inert unless ``ECERP_TEST_PAUSE_AT``
    names ``label``. Then the session's writes are flushed (in the database, not committed), the line
    ``ecerp: paused at LABEL`` goes to standard error and the process sleeps for up to a minute, so
    a test can ``kill -9`` it at that moment and prove nothing half-written remains.

    :func:`session_scope` calls it as ``"commit"``, just before every write transaction commits.
    """
    if os.environ.get(PAUSE_AT) != label:
        return
    session.flush()
    sys.stderr.write(f"ecerp: paused at {label}\n")
    sys.stderr.flush()
    time.sleep(60)


# --- transactions that lose a race --------------------------------------------------------------
ATTEMPTS = 4
"""How many times :func:`run_transaction` runs a use case that loses a deadlock (the last one raises)."""
_TRANSIENT = {"40P01", "40001", "55P03"}  # deadlock, serialization failure, lock not available
_UNIQUE = "23505"


def _sqlstate(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def is_transient(exc: BaseException) -> bool:
    """A database error that running the whole transaction again may not meet: a deadlock, a
    serialization failure, a lock wait given up, SQLite's "database is locked"."""
    if not isinstance(exc, DBAPIError):
        return False
    return _sqlstate(exc) in _TRANSIENT or "database is locked" in str(getattr(exc, "orig", ""))


def is_conflict(exc: BaseException) -> bool:
    """A unique key another transaction wrote first (two importers of one file): run again, the
    transaction sees that row and leaves it alone."""
    if not isinstance(exc, IntegrityError):
        return False
    return _sqlstate(exc) == _UNIQUE or "UNIQUE constraint failed" in str(getattr(exc, "orig", ""))


def run_transaction(
    work: Callable[[Session], T], url: str | None = None, *, attempts: int = ATTEMPTS, conflicts: bool = True
) -> T:
    """Run ``work(session)`` in :func:`session_scope` and commit; run it again from the start (a
    fresh transaction, a short growing pause) when it loses a deadlock or a serialization failure,
    or — with ``conflicts`` — a unique key another transaction committed first. ``work`` must do
    nothing outside the database it would not do twice. After ``attempts`` runs the error is raised.
    """

    def scoped() -> T:
        with session_scope(url) as session:
            return work(session)

    return again_after_lost_race(scoped, attempts=attempts, conflicts=conflicts)


def again_after_lost_race(
    run: Callable[[], T], *, attempts: int = ATTEMPTS, conflicts: bool = False, uncommitted: bool = False
) -> T:
    """``run()``, and again (a short growing pause) while it loses a deadlock or a serialization
    failure, or — with ``conflicts`` — a unique key another transaction committed first; with
    ``uncommitted`` only while the failed run committed no write transaction (an app's action may
    hold several: none is ever made twice). After ``attempts`` runs the error is raised."""
    for attempt in range(1, attempts + 1):
        committed = _commits
        try:
            return run()
        except DBAPIError as exc:
            lost = is_transient(exc) or (conflicts and is_conflict(exc))
            if attempt == attempts or not lost or (uncommitted and _commits != committed):
                raise
            logging.getLogger(__name__).info(
                "transaction lost a race (%s), attempt %d of %d", _sqlstate(exc), attempt, attempts
            )
            time.sleep(0.05 * attempt * attempt)
    raise AssertionError("unreachable")


class DatabaseFailure(EcerpError):
    """A database error that reached a person, named by its kind, without SQL or values."""

    code = "error.database.other"
    exit_code = 2


def is_database_error(exc: BaseException) -> bool:
    """An error of SQLAlchemy or of a database driver (psycopg, sqlite3) itself."""
    return isinstance(exc, SQLAlchemyError) or type(exc).__module__.split(".")[0] in ("psycopg", "sqlite3")


def named_database_error(exc: BaseException) -> DatabaseFailure:
    """The last line of defence: what a person is told of a database error no service turned into a
    named one (the statement, its parameters and the driver's text go to the log, never to them)."""
    if is_transient(exc):
        return DatabaseFailure("error.database.busy")
    if isinstance(exc, IntegrityError):
        return DatabaseFailure("error.database.conflict")
    name = type(getattr(exc, "orig", None) or exc).__name__
    if name == "IntegrityError" or "UniqueViolation" in name:
        return DatabaseFailure("error.database.conflict")
    if name in (
        "DataError",
        "NumericValueOutOfRange",
        "StringDataRightTruncation",
        "InvalidTextRepresentation",
    ) or (type(exc).__name__ == "DataError"):
        return DatabaseFailure("error.database.value")
    if type(exc).__name__ == "OperationalError":
        return DatabaseFailure("error.database.unavailable")
    return DatabaseFailure("error.database.other", kind=name)


COPY_FROM = 20
"""On PostgreSQL a batch of at least this many rows is written with ``COPY`` (one round trip)."""


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """Insert many rows of one table in the caller's transaction: one batch per set of keys (rows
    that leave out different columns take those columns' defaults). See :func:`insert_columns`."""
    table = getattr(table, "__table__", table)
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for keys, group in groups.items():
        if _client_defaults(table) - set(keys):  # a Python-side default to fill in: Core's path does that
            session.connection().execute(table.insert(), group)
        else:
            insert_columns(session, table, {k: [row[k] for row in group] for k in keys})


def insert_columns(session: Session, table, columns: dict[str, list]) -> None:
    """Insert rows given column by column (``{"sku": [...], "qty": [...]}``, lists of one length)
    in one batch: what a bulk import builds without a dict per row.

    Each column's bind processor runs once per distinct value (a batch repeats its moment, flags,
    days and prices), and the rows go to the driver as tuples: one ``executemany`` (on SQLite a
    column holding one value in every row is written into the statement instead of bound row by
    row: an import's shop, currency, zeros, flags and blanks, a third of the work of writing its
    orders), or on PostgreSQL one ``COPY ... FROM STDIN`` in the same transaction. The INSERT is compiled
    once per table, columns, such values and dialect. Every column of the table left out must have
    no Python-side default.
    """
    table = getattr(table, "__table__", table)
    if not columns:
        return
    connection = session.connection()
    dialect = connection.dialect
    bound = {k: _bound(table.c[k].type, dialect, values) for k, values in columns.items()}
    count = len(next(iter(bound.values())))
    if not count:
        return
    if dialect.name == "postgresql" and count >= COPY_FROM:
        _copy_in(connection, table, list(bound), list(bound.values()))
        return
    fixed = ()
    if dialect.name == "sqlite" and count > 1:
        fixed = tuple((k, values[0]) for k, values in bound.items() if _one_literal(values))
    sql, positional, order = _compiled_insert(table, tuple(bound), fixed, dialect)
    rows = list(zip(*(bound[k] for k in order), strict=True)) if order else [()] * count
    if positional:
        connection.exec_driver_sql(sql, rows)
    else:
        connection.exec_driver_sql(sql, [dict(zip(order, row, strict=True)) for row in rows])


def _one_literal(values: list) -> bool:
    """Whether every value is the first, alike (``1``, ``1.0`` and ``True`` are equal, not alike), and
    a text, whole number, finite float or NULL, which a statement can hold as a literal."""
    first = values[0]
    if first is not None and type(first) not in (str, int, float):
        return False
    if type(first) is float and not math.isfinite(first):
        return False
    return values.count(first) == len(values) and set(map(type, values)) == {type(first)}


def _bound(column_type, dialect, values: list) -> list:
    """``values`` as the driver takes them: the column's bind processor runs once per distinct value
    (but for JSON, where values equal in Python — True and 1 — are different documents)."""
    processor = column_type._cached_bind_processor(dialect)
    if processor is None:
        return values
    if isinstance(column_type, JSON):
        return [processor(v) for v in values]
    try:
        distinct = set(values)
    except TypeError:  # unhashable
        return [processor(v) for v in values]
    if len(distinct) * 2 > len(values):  # mostly different: a mapping would cost more than it saves
        return list(map(processor, values))
    converted = {v: processor(v) for v in distinct}
    return list(map(converted.__getitem__, values))


def _copy_in(connection, table, keys: list[str], columns: list[list]) -> None:
    """``COPY table (keys) FROM STDIN`` of ``columns`` (values as the driver takes them, column by
    column) on the session's own PostgreSQL connection (its transaction).

    Plain values (whole numbers, text, decimals, moments, days, flags, nulls) are written as COPY's
    text a column at a time; a column of other values goes row by row through the driver's adapters
    (which for plain values costs a third of a big COPY's client time)."""
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(table.c[k].name) for k in keys)
    statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
    text = _copy_text(columns)
    cursor = connection.connection.dbapi_connection.cursor()
    dbapi_error = connection.dialect.dbapi.Error
    try:
        with cursor.copy(statement) as copy:
            if text is not None:
                for piece in text:
                    copy.write(piece)
            else:
                for row in zip(*columns, strict=True):
                    copy.write_row(row)
    except dbapi_error as exc:
        # as SQLAlchemy wraps every other statement's error: an IntegrityError a retry recognises
        raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc
    finally:
        cursor.close()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"


def _copy_escaped(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


def _copy_flag(value: bool) -> str:
    return "t" if value else "f"


_COPY_TEXT: dict[type, Callable] = {
    int: str,
    str: _copy_escaped,
    Decimal: str,
    dt.datetime: str,  # '2026-06-01 08:00:00.123456+00:00': what PostgreSQL reads, offset and all
    dt.date: str,
    bool: _copy_flag,
}


def _copy_text(columns: list[list], rows_per_piece: int = 10_000) -> Iterator[str] | None:
    """The rows of ``columns`` as COPY text, a piece of rows at a time; None when a column holds a
    value of another type (the driver then adapts it)."""
    texts = []
    for values in columns:
        kinds = set(map(type, values))
        nullable = type(None) in kinds
        kinds.discard(type(None))
        if len(kinds) > 1 or not kinds <= _COPY_TEXT.keys():
            return None
        kind = kinds.pop() if kinds else None
        convert = _COPY_TEXT.get(kind)
        if kind is str:
            joined = "\x00".join(filter(None, values) if nullable else values)
            if not any(c in joined for c in "\\\t\n\r"):
                convert = str  # nothing to escape: the text as it is
        if convert is None:
            texts.append([_COPY_NULL] * len(values))
            continue
        distinct = set(values) if kind is not Decimal else values  # 1.0 == 1.00, written apart
        if len(distinct) * 2 <= len(values):  # a batch repeats its moment, flags and codes
            text_of = {v: _COPY_NULL if v is None else convert(v) for v in distinct}
            texts.append(list(map(text_of.__getitem__, values)))
        elif nullable:
            texts.append([_COPY_NULL if v is None else convert(v) for v in values])
        elif convert is str and kind is str:
            texts.append(values)
        else:
            texts.append(list(map(convert, values)))
    if len(set(map(len, texts))) > 1:
        raise ValueError("columns of different lengths")
    # each piece is made as it is sent: the server reads one while the next is made
    return (
        "\n".join(map("\t".join, zip(*(text[i : i + rows_per_piece] for text in texts), strict=True))) + "\n"
        for i in range(0, len(texts[0]), rows_per_piece)
    )


def update_rows(
    session: Session,
    table,
    rows: list[dict],
    *,
    key: str | tuple[str, ...] = "id",
    add: tuple[str, ...] = (),
    values: dict | None = None,
) -> None:
    """Update many rows of one table, each found by its ``key`` column(s), in one set-based statement.

    Every row gives the key and the same columns: a column named in ``add`` grows by the row's
    value (``on_hand = on_hand + 3``), the others take it; ``values`` sets columns to the same value
    in every row (a status, a moment). On PostgreSQL the rows travel as one array per column
    (``UPDATE ... FROM unnest(...)``); SQLite runs the statement once per row, in-process.
    """
    if not rows:
        return
    table = getattr(table, "__table__", table)
    keys = (key,) if isinstance(key, str) else key
    columns = [c for c in rows[0] if c not in keys]
    values = dict(values or {})
    for c in [c for c in columns if c not in add]:  # a value every row shares travels once, not per row
        first = rows[0][c]
        if all(r[c] == first and type(r[c]) is type(first) for r in rows):
            values[c] = first
            columns.remove(c)
    connection = session.connection()
    if not columns and len(keys) == 1:  # every row set alike: one statement over the keys
        key_column = table.c[keys[0]]
        connection.execute(
            update(table).where(among(session, key_column, [r[keys[0]] for r in rows])).values(**values)
        )
        return
    if connection.dialect.name != "postgresql":
        sets = {c: (table.c[c] + bindparam(f"v_{c}")) if c in add else bindparam(f"v_{c}") for c in columns}
        where = [table.c[k] == bindparam(f"k_{k}") for k in keys]
        stmt = update(table).where(*where).values(**sets, **values)
        connection.execute(
            stmt, [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{c}": r[c] for c in columns}} for r in rows]
        )
        return
    if len({tuple(r[k] for k in keys) for r in rows}) != len(rows):
        # UPDATE ... FROM applies one of several rows for the same key, SQLite all of them
        raise ValueError("update_rows: a key appears twice; add its rows up first")
    names = [*keys, *columns]
    arrays = [_pg_array(f"a_{c}", [r[c] for r in rows], table.c[c].type) for c in names]
    given = func.unnest(*arrays).table_valued(*names).render_derived(name="given")
    sets = {c: (table.c[c] + given.c[c]) if c in add else given.c[c] for c in columns}
    where = [table.c[k] == given.c[k] for k in keys]
    connection.execute(update(table).where(*where).values(**sets, **values))


class _IdsText(str):
    """Whole numbers as PostgreSQL's array text (``'{1,2,3}'``), sent typed ``bigint[]``."""


class _AsGiven(TypeDecorator):
    """A parameter the driver adapts itself (no bind processor, no cast)."""

    impl = NullType
    cache_ok = True


_IDS_AS_TEXT = False


def _register_ids_dumper() -> None:
    """Teach psycopg to send :class:`_IdsText` typed ``bigint[]``; done when the first PostgreSQL
    engine is made (before it connects), so a command on SQLite never loads psycopg."""
    global _IDS_AS_TEXT
    if _IDS_AS_TEXT:
        return
    try:
        from psycopg import adapters
        from psycopg.adapt import Dumper
        from psycopg.postgres import types
    except ImportError:  # pragma: no cover - SQLite only
        return

    class IdsDumper(Dumper):
        oid = types["int8"].array_oid

        def dump(self, obj):
            return obj.encode()

    adapters.register_dumper(_IdsText, IdsDumper)
    _IDS_AS_TEXT = True


def _pg_array(name: str | None, values: list, column_type):
    """``values`` as one PostgreSQL array parameter of the column's type. Whole numbers travel as
    the array's text, typed ``bigint[]``: the driver's adapter dumps a list element by element in
    Python, which for the 20,000 ids of a review batch costs more than the query (the server still
    plans with the values, as with a list)."""
    if _IDS_AS_TEXT and isinstance(column_type, Integer) and values and set(map(type, values)) == {int}:
        return bindparam(name, _IdsText("{" + ",".join(map(str, values)) + "}"), type_=_AsGiven())
    return bindparam(name, values, type_=ARRAY(_unbounded(column_type)))


def _unbounded(column_type):
    """The type an array of a column's values is cast to: text without its length (a cast to
    ``varchar(n)`` would cut a longer value silently, where the column itself refuses it)."""
    return String() if isinstance(column_type, String) else column_type


def among(session: Session, column, values) -> ColumnElement[bool]:
    """``column IN (values)`` with the values as one parameter, however many: ``= ANY(:array)`` on
    PostgreSQL, ``IN (SELECT value FROM json_each(:json))`` on SQLite (an IN list of thousands of
    parameters costs more to build and parse than to run). Values are ids or codes."""
    values = list(values)
    if is_postgres(session):
        # cast to text without a length: ``varchar(64)[]`` would cut a longer value and match a wrong row
        return column == any_(_pg_array(None, values, column.type))
    if not all(type(v) in (int, str) for v in values):  # JSON would not keep other types as they are
        return column.in_(values)
    listed = func.json_each(bindparam(None, json.dumps(values), type_=String)).table_valued("value")
    return column.in_(select(listed.c.value))


@functools.lru_cache(maxsize=256)
def _client_defaults(table) -> frozenset[str]:
    return frozenset(c.key for c in table.c if c.default is not None and not c.default.is_sequence)


@functools.lru_cache(maxsize=256)
def _compiled_insert(
    table, keys: tuple[str, ...], fixed: tuple[tuple[str, object], ...], dialect
) -> tuple[str, bool, list[str]]:
    """The INSERT of ``keys`` into ``table`` as the driver's SQL, and its parameters in order; the
    ``fixed`` columns' values (as the driver takes them) written into it as literals."""
    literals = {
        k: literal_column(literal(v).compile(dialect=dialect, compile_kwargs={"literal_binds": True}).string)
        for k, v in fixed
    }
    compiled = (
        table.insert()
        .values(literals)
        .compile(dialect=dialect, column_keys=[k for k in keys if k not in literals])
    )
    return (
        compiled.string,
        compiled.positional,
        list(compiled.positiontup) if compiled.positional else [k for k in keys if k not in literals],
    )


# --- reference data read once per transaction ----------------------------------------------------
_MEMO = "ecerp_memo"


def memo(session: Session, key: str, load: Callable[[], T]) -> T:
    """``load()`` once per transaction of ``session``: the company, the chart of accounts, the
    posting rules and the like, which a batch would otherwise read again on every call.

    What is remembered is dropped when the transaction ends (commit or rollback), so another
    process's change is seen by the next transaction; a service that changes such data calls
    :func:`forget` for its key in the same transaction.
    """
    store = session.info.setdefault(_MEMO, {})
    try:
        return store[key]
    except KeyError:
        store[key] = value = load()
        return value


def forget(session: Session, *keys: str) -> None:
    """Drop remembered reference data (all of it without ``keys``)."""
    store = session.info.get(_MEMO)
    if store:
        for key in keys or list(store):
            store.pop(key, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None or transaction.nested:  # the outer transaction, or a savepoint
        session.info.pop(_MEMO, None)


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a batch use case (an import, a review run).

    A batch allocates millions of objects without cycles (cells, drafts, rows) and every full
    collection walks them all again: a third of the time of a 100,000-order import or review. The
    few cycles a batch makes are collected once it is done.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def allocate_ids(session: Session, table, count: int) -> list[int]:
    """Reserve ``count`` primary keys of ``table`` so a batch inserts with one executemany.

    ``INSERT ... RETURNING`` in parameter order runs row by row on SQLite; instead SQLite takes the
    ids after the current maximum (the session holds the write lock from ``BEGIN IMMEDIATE``) and
    PostgreSQL draws them from the table's sequence.
    """
    if count <= 0:
        return []
    conn = session.connection()
    if is_postgres(session):
        seq = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
        return list(
            conn.scalars(text("SELECT nextval(:s) FROM generate_series(1, :n)"), {"s": seq, "n": count})
        )
    start = conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) + 1
    return list(range(start, start + count))


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def for_update(stmt, session: Session):
    """Lock the selected rows on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers."""
    return stmt.with_for_update() if is_postgres(session) else stmt


__all__ = [
    "Base",
    "Code",
    "CurrencyCode",
    "DatabaseFailure",
    "Flag",
    "Mapped",
    "Money",
    "Name",
    "Qty",
    "Rate",
    "Timestamp",
    "UTCDateTime",
    "allocate_ids",
    "bigpk",
    "clock_is_frozen",
    "created_at",
    "for_update",
    "forget",
    "frozen_clock",
    "func",
    "get_engine",
    "intpk",
    "mapped_column",
    "memo",
    "named_database_error",
    "pause_point",
    "run_transaction",
    "session_scope",
    "updated_at",
    "utcnow",
]
