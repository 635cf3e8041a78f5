"""Use cases of the stock ledger, batch-first and set-based.

:func:`post_moves` is what a person with ``stock.move`` calls. :func:`record_moves`, :func:`reserve`,
:func:`release` and :func:`ship_reserved` are the ledger primitives other areas' services call after
checking their own permission (``orders.review``, ``orders.ship``, ``purchasing.write``); they write
the moves with the actor's id and leave the audit row to that service's document.

Every function locks the ``stock_level`` rows it touches in (product_id, warehouse_id) order, so two
writers never deadlock, and never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, insert, select, text, tuple_, update
from sqlalchemy.orm import Session

from ecerp_core import audit, events
from ecerp_core.auth import RESERVERS, SHIPPERS, STOCK_WRITERS, Actor, require, require_any
from ecerp_core.catalog.company import business_date, document_day
from ecerp_core.catalog.models import Product, Warehouse
from ecerp_core.catalog.products import expand_lines
from ecerp_core.catalog.services import warehouse_facts
from ecerp_core.db import among, for_update, insert_columns, insert_rows, is_postgres, update_rows, utcnow
from ecerp_core.errors import ValidationError
from ecerp_core.money import round_money
from ecerp_core.query import chunked
from ecerp_core.stock import rules
from ecerp_core.stock.exceptions import InsufficientStock
from ecerp_core.stock.models import ProductCost, StockAdjustment, StockLevel, StockMove, StockReservation
from ecerp_core.stock.rules import Key

ADJUSTMENT = "stock_adjustment"
COSTED_INBOUND = ("receipt", "return", "transfer_in", "opening")
"""Inbound moves whose own cost folds into the moving average (gains come in at the average)."""


@dataclass(frozen=True)
class MoveDraft:
    """A stock move to post. ``quantity`` is signed; ``unit_cost`` None means the average cost.

    business_date None means the company-local day of the posting moment.
    """

    product_id: int
    warehouse_id: int
    quantity: int
    move_type: str
    unit_cost: Decimal | None = None
    source_type: str = ""
    source_id: int | None = None
    note: str = ""
    business_date: dt.date | None = None


class ReservationDraft(NamedTuple):
    """Promise ``quantity`` of a product (a bundle is promised as its components) to a document.

    A named tuple, not a frozen dataclass: a review batch makes one per order line, and a frozen
    dataclass costs three times as much to make."""

    product_id: int
    warehouse_id: int
    quantity: int
    source_type: str
    source_id: int


class Level(NamedTuple):
    """A stock position's cached level."""

    on_hand: int
    reserved: int


@dataclass
class _LevelChange:
    """What a batch adds to one level."""

    on_hand: int = 0
    reserved: int = 0


class _Source(NamedTuple):
    """The document a reservation is for."""

    source_type: str
    source_id: int


@dataclass
class _Group:
    """Documents reserved whole or not at all (a merged parcel), and what they ask for together."""

    members: list[_Source] = field(default_factory=list)
    total: dict[Key, int] = field(default_factory=dict)


# --- locking and levels ---------------------------------------------------------------------------
def lock_levels(session: Session, keys: Iterable[Key]) -> dict[Key, Level]:
    """Lock (creating if missing) the levels of ``keys``; return ``{key: (on_hand, reserved)}``.

    Rows are locked in (product, warehouse) order, chunk by chunk (:func:`ecerp_core.query.chunked`):
    one global order, however many keys."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    found = _lock_existing(session, keys)
    missing = [
        {"product_id": p, "warehouse_id": w, "on_hand": 0, "reserved": 0, "updated_at": utcnow()}
        for p, w in keys
        if (p, w) not in found
    ]
    if not missing:
        return found
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        insert_stmt = pg_insert(StockLevel.__table__).on_conflict_do_nothing()
    else:
        insert_stmt = insert(StockLevel.__table__)  # BEGIN IMMEDIATE: nobody else can add them meanwhile
    for chunk in chunked(missing):
        session.connection().execute(insert_stmt, chunk)
    # lock again: rows another writer added meanwhile are now ours too
    return _lock_existing(session, keys)


def _lock_existing(session: Session, keys: list[Key]) -> dict[Key, Level]:
    key_col = tuple_(StockLevel.product_id, StockLevel.warehouse_id)
    found: dict[Key, Level] = {}
    for chunk in chunked(keys):
        stmt = (
            select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved)
            .where(key_col.in_(chunk))
            .order_by(StockLevel.product_id, StockLevel.warehouse_id)
        )
        found.update(_levels(session.connection().execute(for_update(stmt, session))))
    return found


def _levels(rows: Iterable) -> dict[Key, Level]:
    return {(row.product_id, row.warehouse_id): Level(row.on_hand, row.reserved) for row in rows}


def _apply_deltas(session: Session, deltas: dict[Key, _LevelChange]) -> None:
    """Add each change to its (locked) level, in one set-based update."""
    rows = [
        {"product_id": p, "warehouse_id": w, "on_hand": change.on_hand, "reserved": change.reserved}
        for (p, w), change in sorted(deltas.items())
    ]
    update_rows(
        session,
        StockLevel,
        rows,
        key=("product_id", "warehouse_id"),
        add=("on_hand", "reserved"),
        values={"updated_at": utcnow()},
    )


def _negative_allowed(session: Session, warehouse_ids: Iterable[int]) -> set[int]:
    return {w.id for w in warehouse_facts(session) if w.allow_negative} & set(warehouse_ids)


def _short(session: Session, key: Key, available: int, wanted: int) -> InsufficientStock:
    product_id, warehouse_id = key
    sku = session.connection().scalar(select(Product.sku).where(Product.id == product_id))
    name = session.connection().scalar(select(Warehouse.name).where(Warehouse.id == warehouse_id))
    return InsufficientStock(sku=sku, warehouse=name, available=available, wanted=wanted)


def average_costs(session: Session, product_ids: Iterable[int]) -> dict[int, Decimal]:
    """The moving average cost of each product; the product's standard cost until its first receipt."""
    stmt = (
        select(Product.id, Product.cost, ProductCost.average_cost)
        .outerjoin(ProductCost, ProductCost.product_id == Product.id)
        .where(among(session, Product.id, sorted(set(product_ids))))
    )
    return {
        p: cost if average is None else average for p, cost, average in session.connection().execute(stmt)
    }


def _update_average_costs(session: Session, receipts: list[tuple[int, int, Decimal]]) -> None:
    """Fold ``(product_id, qty, unit_cost)`` receipts into the moving average, in order."""
    ids = sorted({p for p, _, _ in receipts})
    stock = dict(
        session.connection()
        .execute(
            select(StockLevel.product_id, func.sum(StockLevel.on_hand))
            .where(among(session, StockLevel.product_id, ids))
            .group_by(StockLevel.product_id)
        )
        .all()
    )
    known = set(
        session.connection().scalars(
            select(ProductCost.product_id).where(among(session, ProductCost.product_id, ids))
        )
    )
    average = average_costs(session, ids)
    for product_id, qty, cost in receipts:
        have = int(stock.get(product_id) or 0)
        average[product_id] = rules.moving_average(have, Decimal(average[product_id]), qty, cost)
        stock[product_id] = have + qty
    now = utcnow()
    new = [{"product_id": p, "average_cost": average[p], "updated_at": now} for p in ids if p not in known]
    old = [{"p": p, "c": average[p], "now": now} for p in ids if p in known]
    if new:
        insert_rows(session, ProductCost, new)
    if old:
        table = ProductCost.__table__
        session.connection().execute(
            update(table)
            .where(table.c.product_id == bindparam("p"))
            .values(average_cost=bindparam("c"), updated_at=bindparam("now")),
            old,
        )


# --- moves ----------------------------------------------------------------------------------------
def record_moves(
    session: Session,
    actor: Actor,
    drafts: Sequence[MoveDraft],
    *,
    reserved_deltas: dict[Key, int] | None = None,
) -> list[dict]:
    """Append moves and update levels and average cost; all or nothing. Returns the rows written.

    ``reserved_deltas`` also changes ``reserved`` (shipping consumes the reservation). Raises
    :class:`ValidationError` for malformed drafts and :class:`InsufficientStock` when available
    stock would go below zero in a warehouse that does not allow it.
    """
    require_any(actor, *STOCK_WRITERS)
    problems = []
    for i, d in enumerate(drafts, start=1):
        problems += [
            p.at_line(i) for p in rules.check_move(d.product_id, d.quantity, d.move_type, d.unit_cost)
        ]
    if problems:
        raise ValidationError(problems)
    expanded: list[MoveDraft] = []
    for draft, parts in zip(
        drafts, expand_lines(session, [(d.product_id, d.quantity) for d in drafts]), strict=True
    ):
        if parts == [(draft.product_id, draft.quantity)]:
            expanded.append(draft)
        else:
            expanded += [replace(draft, product_id=p, quantity=q, unit_cost=None) for p, q in parts]
    deltas: dict[Key, _LevelChange] = {}
    for d in expanded:
        deltas.setdefault((d.product_id, d.warehouse_id), _LevelChange()).on_hand += d.quantity
    for key, reserved in (reserved_deltas or {}).items():
        deltas.setdefault(key, _LevelChange()).reserved += reserved
    levels = lock_levels(session, deltas)
    negative_ok = _negative_allowed(session, {w for _, w in deltas})
    for key, change in sorted(deltas.items()):
        level = levels[key]
        _, warehouse_id = key
        if level.reserved + change.reserved < 0:
            raise _short(session, key, level.reserved, -change.reserved)
        available = level.on_hand - level.reserved
        wanted = change.reserved - change.on_hand  # what the moves take from the available stock
        if wanted > 0 and warehouse_id not in negative_ok and available < wanted:
            raise _short(session, key, available, wanted)
    receipts = [
        (d.product_id, d.quantity, d.unit_cost)
        for d in expanded
        if d.move_type in COSTED_INBOUND and d.unit_cost is not None
    ]
    if receipts:
        _update_average_costs(session, receipts)
    costs = average_costs(session, {d.product_id for d in expanded if d.unit_cost is None})
    now = utcnow()
    today = business_date(session, now)
    rows = [
        {
            "product_id": d.product_id,
            "warehouse_id": d.warehouse_id,
            "quantity": d.quantity,
            "move_type": d.move_type,
            "unit_cost": round_money(d.unit_cost if d.unit_cost is not None else costs[d.product_id]),
            "business_date": d.business_date or today,
            "at": now,
            "source_type": d.source_type,
            "source_id": d.source_id,
            "actor_id": actor.id,
            "note": d.note,
        }
        for d in expanded
    ]
    insert_rows(session, StockMove, rows)
    _apply_deltas(session, deltas)
    audit.record(
        session,
        actor,
        "record_moves",
        "stock_ledger",
        drafts[0].source_id if drafts else "",
        {"moves": len(rows)},
    )
    return rows


def post_moves(session: Session, actor: Actor, moves: Sequence[MoveDraft]) -> int:
    """Post stock moves by hand (adjustments, opening stock, damage, found goods); returns the count.

    Needs ``stock.move``. A move's business date may not be after today nor in a closed month.
    Moves without a source document are filed under one
    :class:`StockAdjustment` per warehouse (its reason is the first move's note), and each such
    adjustment emits ``stock.adjusted`` with its signed value. Writes one audit row per move.

    >>> post_moves(session, admin, [MoveDraft(product.id, warehouse.id, 10, "adjustment",
    ...            unit_cost=Decimal("12.50"), note="期初库存")])
    1
    """
    require(actor, "stock.move")
    for day in sorted({d.business_date for d in moves if d.business_date is not None}):
        document_day(session, day)  # not after today, not in a closed month
    documents: dict[int, int] = {}
    loose = [d for d in moves if not d.source_type]
    if loose:
        now = utcnow()
        for warehouse_id in sorted({d.warehouse_id for d in loose}):
            first = next(d for d in loose if d.warehouse_id == warehouse_id)
            day = first.business_date or business_date(session, now)
            documents[warehouse_id] = session.connection().scalar(
                insert(StockAdjustment.__table__).returning(StockAdjustment.__table__.c.id),
                {
                    "warehouse_id": warehouse_id,
                    "reason": first.note,
                    "business_date": day,
                    "at": now,
                    "actor_id": actor.id,
                },
            )
        moves = [
            replace(d, source_type=ADJUSTMENT, source_id=documents[d.warehouse_id])
            if not d.source_type
            else d
            for d in moves
        ]
    rows = record_moves(session, actor, moves)
    audit.record_many(
        session,
        actor,
        "post",
        "stock_move",
        [
            (
                f"{r['product_id']}@{r['warehouse_id']}",
                {k: r[k] for k in ("move_type", "quantity", "unit_cost", "note")},
            )
            for r in rows
        ],
    )
    value: dict[int, Decimal] = {}
    for r in rows:
        if r["source_type"] == ADJUSTMENT:
            value[r["source_id"]] = value.get(r["source_id"], Decimal(0)) + r["quantity"] * r["unit_cost"]
    events.emit(
        session,
        actor,
        [
            events.StockAdjusted(
                source_type=ADJUSTMENT,
                source_id=doc,
                business_date=_first_date(rows, doc),
                key=f"{ADJUSTMENT}:{doc}:adjusted",
                value_base=value[doc],
                warehouse_id=wh,
                reason=_reason(moves, wh),
            )
            for wh, doc in sorted(documents.items())
        ],
    )
    return len(rows)


def _first_date(rows: list[dict], doc: int) -> dt.date:
    return next(r["business_date"] for r in rows if r["source_type"] == ADJUSTMENT and r["source_id"] == doc)


def _reason(moves: Sequence[MoveDraft], warehouse_id: int) -> str:
    return next((d.note for d in moves if d.warehouse_id == warehouse_id and d.source_type == ADJUSTMENT), "")


def next_numbers(session: Session, column, prefix: str, count: int, day: dt.date | None = None) -> list[str]:
    """``count`` new document numbers ``<prefix><yyyymmdd>-0001``... after the day's last one."""
    day = day or business_date(session)
    head = f"{prefix}{day:%Y%m%d}-"
    if is_postgres(session):  # two writers must not both take "max + 1": queue them per prefix
        session.connection().execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": head})
    last = session.connection().scalar(select(func.max(column)).where(column.like(head + "%")))
    start = int(last.rsplit("-", 1)[1]) if last else 0
    return [f"{head}{start + n:04d}" for n in range(1, count + 1)]


# --- reservations ---------------------------------------------------------------------------------
def reserve(
    session: Session,
    actor: Actor,
    drafts: Sequence[ReservationDraft],
    *,
    on_short: str = "raise",
    together: Mapping[int, int] | None = None,
) -> list[int]:
    """Reserve stock for documents, each whole or not at all, in the order given.

    Returns the ``source_id`` of every document served. ``on_short="raise"`` raises
    :class:`InsufficientStock` (nothing written) when any document is short; ``"skip"`` leaves
    short documents out, so a clerk's batch approval reserves what it can. ``together`` maps
    source ids to a group (a merged parcel): a group is served whole or not at all.
    """
    require_any(actor, *RESERVERS)
    if on_short not in ("raise", "skip"):
        raise ValueError(on_short)
    parts = expand_lines(session, [(d.product_id, d.quantity) for d in drafts])
    wanted: dict[_Source, dict[Key, int]] = {}  # per document: (product, warehouse) -> units
    for d, comps in zip(drafts, parts, strict=True):
        need = wanted.get((d.source_type, d.source_id))
        if need is None:
            need = wanted[_Source(d.source_type, d.source_id)] = {}
        for product_id, qty in comps:
            key = (product_id, d.warehouse_id)
            need[key] = need.get(key, 0) + qty
    levels = lock_levels(session, {key for need in wanted.values() for key in need})
    negative_ok = _negative_allowed(session, {w for _, w in levels})
    available = {}
    for (product_id, warehouse_id), level in levels.items():
        unlimited = warehouse_id in negative_ok
        available[(product_id, warehouse_id)] = 10**12 if unlimited else level.on_hand - level.reserved
    groups: dict[object, _Group] = {}
    for doc, need in wanted.items() if together else ():  # a group asks for its members' sum, where
        group_key = together.get(doc.source_id, doc.source_id)  # its first member stood
        group = groups.get(group_key)
        if group is None:
            group = groups[group_key] = _Group()
        group.members.append(doc)
        for key, qty in need.items():
            group.total[key] = group.total.get(key, 0) + qty
    requests = [(g, group.total) for g, group in groups.items()] if together else list(wanted.items())
    served_groups, short = rules.allocate(available, requests)
    served = [doc for g in served_groups for doc in groups[g].members] if together else served_groups
    if short and on_short == "raise":
        first_short, key = short[0]
        raise _short(session, key, available[key], dict(requests)[first_short][key])
    columns: dict[str, list] = {"product_id": [], "warehouse_id": [], "quantity": [], "source_type": [],
                                "source_id": []}  # fmt: skip
    reserved: dict[Key, int] = {}
    for doc in served:
        for (product_id, warehouse_id), qty in wanted[doc].items():
            columns["product_id"].append(product_id)
            columns["warehouse_id"].append(warehouse_id)
            columns["quantity"].append(qty)
            columns["source_type"].append(doc.source_type)
            columns["source_id"].append(doc.source_id)
            reserved[(product_id, warehouse_id)] = reserved.get((product_id, warehouse_id), 0) + qty
    if reserved:
        insert_columns(session, StockReservation, {**columns, "at": [utcnow()] * len(columns["quantity"])})
        _apply_deltas(session, {key: _LevelChange(reserved=qty) for key, qty in reserved.items()})
        audit.record(
            session, actor, "reserve", "stock_reservation", drafts[0].source_type, {"served": len(served)}
        )
    return [doc.source_id for doc in served]


def _reservations(session: Session, source_type: str, source_ids: Sequence[int]) -> list:
    stmt = (
        select(
            StockReservation.product_id,
            StockReservation.warehouse_id,
            StockReservation.quantity,
            StockReservation.source_id,
        )
        .where(
            StockReservation.source_type == source_type,
            among(session, StockReservation.source_id, sorted(source_ids)),
        )
        .order_by(StockReservation.id)
    )
    return list(session.connection().execute(stmt))


def _drop_reservations(session: Session, source_type: str, source_ids: Sequence[int]) -> None:
    session.connection().execute(
        delete(StockReservation).where(
            StockReservation.source_type == source_type,
            among(session, StockReservation.source_id, sorted(source_ids)),
        )
    )


def release(session: Session, actor: Actor, source_type: str, source_ids: Sequence[int]) -> int:
    """Give back what documents had reserved (cancelled, refunded before shipping); returns units."""
    require_any(actor, *RESERVERS)
    found = _reservations(session, source_type, source_ids)
    deltas: dict[Key, _LevelChange] = {}
    for row in found:
        deltas.setdefault((row.product_id, row.warehouse_id), _LevelChange()).reserved -= row.quantity
    lock_levels(session, deltas)
    _apply_deltas(session, deltas)
    _drop_reservations(session, source_type, source_ids)
    if found:
        audit.record(
            session, actor, "release", "stock_reservation", source_type, {"sources": len(source_ids)}
        )
    return sum(row.quantity for row in found)


def ship_reserved(
    session: Session,
    actor: Actor,
    source_type: str,
    source_ids: Sequence[int],
    *,
    note: str = "",
    day: dt.date | None = None,
) -> list[dict]:
    """Turn documents' reservations into shipment moves at the average cost, dated ``day`` (default
    today); returns the moves."""
    require_any(actor, *SHIPPERS)
    found = _reservations(session, source_type, source_ids)
    drafts, consumed = [], {}
    for row in found:
        drafts.append(
            MoveDraft(
                row.product_id,
                row.warehouse_id,
                -row.quantity,
                "shipment",
                source_type=source_type,
                source_id=row.source_id,
                note=note,
                business_date=day,
            )
        )
        key = (row.product_id, row.warehouse_id)
        consumed[key] = consumed.get(key, 0) - row.quantity
    if not drafts:
        return []
    rows = record_moves(session, actor, drafts, reserved_deltas=consumed)
    _drop_reservations(session, source_type, source_ids)
    return rows


def reserved_sources(session: Session, source_type: str, source_ids: Sequence[int]) -> set[int]:
    """Which of these documents hold a reservation."""
    stmt = select(StockReservation.source_id).where(
        StockReservation.source_type == source_type,
        among(session, StockReservation.source_id, sorted(source_ids)),
    )
    return set(session.connection().scalars(stmt))


def levels(session: Session, actor: Actor, product_ids: Sequence[int] | None = None) -> list[dict]:
    """Stock levels as dicts (product_id, warehouse_id, on_hand, reserved, available)."""
    require(actor, "stock.read")
    stmt = select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved)
    if product_ids is not None:
        stmt = stmt.where(among(session, StockLevel.product_id, sorted(set(product_ids))))
    stmt = stmt.order_by(StockLevel.product_id, StockLevel.warehouse_id)
    return [
        {"product_id": p, "warehouse_id": w, "on_hand": h, "reserved": r, "available": h - r}
        for p, w, h, r in session.connection().execute(stmt)
    ]


def on_hand(session: Session, warehouse_id: int, product_ids: Sequence[int], *, lock: bool = False) -> dict:
    """``{product_id: on_hand}`` of these products in one warehouse now; with ``lock``, their levels
    are locked (in product order, the global order) until the transaction ends."""
    stmt = (
        select(StockLevel.product_id, StockLevel.on_hand)
        .where(StockLevel.warehouse_id == warehouse_id, among(session, StockLevel.product_id, product_ids))
        .order_by(StockLevel.product_id)
    )
    return dict(session.connection().execute(for_update(stmt, session) if lock else stmt).all())


def available_stock(session: Session, product_ids: Iterable[int] | None = None) -> dict[Key, int]:
    """``{(product, warehouse): on_hand − reserved}`` of these products (None: every stocked one),
    read without locking: what routing and channel stock plan with (the reservation on approval is
    what guarantees it)."""
    stmt = select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand - StockLevel.reserved)
    if product_ids is None:
        return {(p, w): available for p, w, available in session.connection().execute(stmt)}
    ids = sorted(set(product_ids))
    out: dict[Key, int] = {}
    for start in range(0, len(ids), 5000):
        chunk = stmt.where(StockLevel.product_id.in_(ids[start : start + 5000]))
        out.update(((p, w), available) for p, w, available in session.connection().execute(chunk))
    return out


def document_moves(session: Session, source_type: str, source_ids: Iterable[int], move_type: str) -> list:
    """The ``move_type`` moves of these documents, oldest first: rows with product_id, warehouse_id,
    quantity, unit_cost and source_id (what an order shipped, at the cost it left with)."""
    stmt = (
        select(
            StockMove.product_id,
            StockMove.warehouse_id,
            StockMove.quantity,
            StockMove.unit_cost,
            StockMove.source_id,
        )
        .where(
            StockMove.source_type == source_type,
            among(session, StockMove.source_id, sorted(set(source_ids))),
            StockMove.move_type == move_type,
        )
        .order_by(StockMove.id)
    )
    return list(session.connection().execute(stmt))
