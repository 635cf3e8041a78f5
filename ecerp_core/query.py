"""Paging, filtering and key lookups in SQL, shared by every list service and the apps' paged grid."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

MAX_PAGE = 1000
CHUNK = 2000
"""Most keys one statement carries in an ``IN`` list: PostgreSQL takes at most 65,535 parameters
and overflows its stack on a long list of row values (``(a, b) IN (...)``, at ~7,700 pairs);
SQLite takes 32,766 parameters. Tests make it small to prove a batch is chunked."""

T = TypeVar("T")


def chunked(values: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """``values`` in successive lists of at most ``size`` (default :data:`CHUNK`), in their order —
    so rows locked chunk by chunk are still locked in one global order.

    >>> list(chunked(range(5), 2))
    [[0, 1], [2, 3], [4]]
    """
    size = size or CHUNK
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class Page:
    """One page of a query: ``rows`` as dicts, ``total`` rows matching the filters."""

    rows: list[dict]
    total: int
    offset: int
    limit: int
    columns: tuple[str, ...] = ()

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.limit)) if self.limit else 1


def text_filter(stmt: Select, columns: Sequence, text: str | None) -> Select:
    """Keep rows where any of ``columns`` contains ``text`` (case-insensitive)."""
    text = (text or "").strip()
    if not text:
        return stmt
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return stmt.where(or_(*(col.ilike(pattern, escape="\\") for col in columns)))


def sort_stmt(stmt: Select, column: str | None, descending: bool = False) -> Select:
    """Order ``stmt`` by one of its own selected columns (ties broken by ``id`` for stable pages).

    An unknown column leaves the statement's own order in place.
    """
    columns = stmt.selected_columns
    if not column or column not in columns:
        return stmt
    col = columns[column]
    order = [col.desc() if descending else col.asc()]
    if "id" in columns and column != "id":
        order.append(columns["id"])
    return stmt.order_by(None).order_by(*order)


def paginate(session: Session, stmt: Select, *, offset: int = 0, limit: int = 50) -> Page:
    """Run ``stmt`` for one page, and count all its rows, both in the database."""
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, int(offset))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    result = session.execute(stmt.offset(offset).limit(limit))
    columns = tuple(result.keys())
    rows = [dict(zip(columns, row, strict=True)) for row in result]
    return Page(rows, total, offset, limit, columns)


def ids_by_key(session: Session, model, key_column: str, keys: set[str]) -> dict[str, int]:
    """``{key: id}`` of the records of ``model`` whose ``key_column`` is among ``keys`` (unknown keys
    are absent), in one query."""
    if not keys:
        return {}
    column = getattr(model, key_column)
    found: dict[str, int] = {}
    for chunk in chunked(sorted(keys)):
        found.update(session.execute(select(column, model.id).where(column.in_(chunk))).all())
    return found
