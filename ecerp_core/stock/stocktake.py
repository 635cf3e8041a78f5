"""Stocktaking (盘点): counting → (recount) → submitted → approved, or cancelled.

A count covers one warehouse: every stocked product, a category (with its subcategories), a range
of bins, or the A-class products by value (a cycle count). Counting is blind: counters see what they
counted, never the book. A scan adds, a typed count sets.

The book stock of each line is taken when its count starts — when the count is opened, when a
product found on the shelf joins it (as of the opening), when the line goes back to be recounted —
not when a count is typed in, which may be long after the shelf was counted. The variance is
counted − that book figure, and the goods that shipped or arrived while the count was open stay on
top of it: on hand after approval = counted + what moved since, so a count never invents or loses
what moved during it. The review shows those moves per line
(:func:`ecerp_core.stock.stocktake_review.moves_during_count`).
Submitting sends lines off by more than the threshold to one recount; approving (``stock.approve``)
posts ``count_gain`` / ``count_loss`` moves at the average cost and emits ``stock.counted``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit, events
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import document_day
from ecerp_core.catalog.models import Category, Product, Warehouse
from ecerp_core.db import among, for_update, insert_rows, utcnow
from ecerp_core.errors import NotFound, ValidationError, problem
from ecerp_core.stock import rules
from ecerp_core.stock.exceptions import StocktakeClosed, UnknownBarcode
from ecerp_core.stock.models import (
    StockLevel,
    StockMove,
    StockSetting,
    Stocktake,
    StocktakeEntry,
    StocktakeLine,
)
from ecerp_core.stock.services import MoveDraft, average_costs, next_numbers, on_hand, record_moves

SOURCE = "stocktake"
OPEN = ("counting", "recount")


MAX_COUNT = 100_000_000
"""No shelf holds more of one product than this: a larger count is a typo (the column holds 2^31 - 1)."""


@dataclass(frozen=True)
class CountEntry:
    """One thing a counter did: ``code`` (barcode or SKU) scanned (``kind="scan"``, adds
    ``quantity``, 1 by default) or its count typed (``kind="set"``, replaces the line's count)."""

    code: str
    quantity: int = 1
    kind: str = "scan"


@dataclass(frozen=True)
class ScanResult:
    """What the counter's screen shows after an entry: the product and its running count."""

    product_id: int
    sku: str
    name: str
    counted: int
    recount: bool
    added: bool  # the product was not on the count and was added


class StocktakeState(NamedTuple):
    """What the workflow and counting need to know of a count."""

    id: int
    number: str
    status: str
    warehouse_id: int
    threshold: int


class ScannedProduct(NamedTuple):
    """The product a scanned barcode or SKU names."""

    product_id: int
    sku: str
    name_zh: str


def _scope_products(session: Session, warehouse_id: int, scope: str, value: str) -> list[tuple[int, str]]:
    """``(product_id, location)`` of the products a new count covers."""
    loc = (
        select(StockSetting.product_id, StockSetting.location)
        .where(StockSetting.warehouse_id == warehouse_id)
        .subquery()
    )
    stmt = (
        select(Product.id, func.coalesce(loc.c.location, ""))
        .outerjoin(loc, loc.c.product_id == Product.id)
        .where(Product.is_bundle.is_(False), Product.active.is_(True))
        .order_by(Product.id)
    )
    if scope == "category":
        path = session.connection().scalar(select(Category.path).where(Category.code == value))
        if path is None:
            raise ValidationError([problem("category", "unknown_ref", value=value)])
        stmt = stmt.join(Category, Category.id == Product.category_id).where(
            or_(Category.path == path, Category.path.like(path + "/%"))
        )
    elif scope == "location":
        low, high = rules.parse_location_range(value)
        stmt = stmt.where(loc.c.location >= low, loc.c.location <= high + "\uffff")
    elif scope == "abc":
        held = dict(
            session.connection()
            .execute(
                select(StockLevel.product_id, StockLevel.on_hand).where(
                    StockLevel.warehouse_id == warehouse_id, StockLevel.on_hand > 0
                )
            )
            .all()
        )
        costs = average_costs(session, held)
        classes = rules.abc_classes({p: q * Decimal(costs[p]) for p, q in held.items()})
        stmt = stmt.where(among(session, Product.id, sorted(p for p, c in classes.items() if c == "A")))
    return [tuple(r) for r in session.connection().execute(stmt)]


def _moved_since(session: Session, warehouse_id: int, product_ids: Sequence[int], since: dt.datetime) -> dict:
    """``{product_id: units}`` the ledger moved in the warehouse after ``since``."""
    stmt = (
        select(StockMove.product_id, func.sum(StockMove.quantity))
        .where(
            StockMove.warehouse_id == warehouse_id,
            StockMove.at > since,
            among(session, StockMove.product_id, product_ids),
        )
        .group_by(StockMove.product_id)
    )
    return {p: int(q) for p, q in session.connection().execute(stmt)}


def _refuse_overlap(session: Session, warehouse_id: int, product_ids: Sequence[int]) -> None:
    """A product is on one open count of a warehouse at a time: a second count taking its book at
    another moment would post the first one's correction again as its own."""
    stmt = (
        select(Stocktake.number, func.count())
        .join(StocktakeLine, StocktakeLine.stocktake_id == Stocktake.id)
        .where(
            Stocktake.warehouse_id == warehouse_id,
            Stocktake.status.in_((*OPEN, "submitted")),
            among(session, StocktakeLine.product_id, product_ids),
        )
        .group_by(Stocktake.number)
        .order_by(Stocktake.number)
    )
    found = [problem("scope", "on_open_count", value=number, count=n) for number, n in session.execute(stmt)]
    if found:
        raise ValidationError(found)


def create_stocktake(
    session: Session,
    actor: Actor,
    warehouse_id: int,
    *,
    scope: str = "all",
    scope_value: str = "",
    threshold: int = 2,
    note: str = "",
) -> int:
    """Open a count of a warehouse over ``scope``; returns its id. Needs ``stock.count``. The book
    stock of every line is taken now. A product already on an open count of the warehouse is refused.

    >>> create_stocktake(session, admin, sh.id, scope="location", scope_value="A-01..A-09")
    1
    """
    require(actor, "stock.count")
    found = []
    if session.connection().scalar(select(Warehouse.id).where(Warehouse.id == warehouse_id)) is None:
        found.append(problem("warehouse", "unknown_ref", value=warehouse_id))
    if scope not in rules.SCOPES:
        found.append(problem("scope", "not_a_choice", value=scope, choices=", ".join(rules.SCOPES)))
    if not isinstance(threshold, int) or threshold < 0:
        found.append(problem("threshold", "below_minimum", value=threshold, min=0))
    if scope in ("category", "location") and not scope_value.strip():
        found.append(problem("scope_value", "required"))
    if found:
        raise ValidationError(found)
    products = _scope_products(session, warehouse_id, scope, scope_value.strip())
    _refuse_overlap(session, warehouse_id, [p for p, _ in products])
    now = utcnow()
    book = on_hand(session, warehouse_id, [p for p, _ in products])  # the count starts now
    [number] = next_numbers(session, Stocktake.number, "ST", 1)
    table = Stocktake.__table__
    stocktake_id = session.connection().scalar(
        insert(table).returning(table.c.id),
        {
            "number": number,
            "warehouse_id": warehouse_id,
            "scope": scope,
            "scope_value": scope_value.strip(),
            "status": "counting",
            "threshold": threshold,
            "note": note,
            "created_at": now,
            "created_by": actor.id,
        },
    )
    if products:
        insert_rows(
            session,
            StocktakeLine,
            [
                {
                    "stocktake_id": stocktake_id,
                    "product_id": p,
                    "location": loc,
                    "recount": False,
                    "book_qty": book.get(p, 0),
                    "book_at": now,
                }
                for p, loc in products
            ],
        )
    audit.record(
        session,
        actor,
        "create",
        SOURCE,
        stocktake_id,
        {"number": number, "scope": scope, "lines": len(products)},
    )
    return stocktake_id


def find_stocktake(session: Session, ref: str | int) -> tuple[int, str]:
    """The id and number of the count ``ref`` names: its number (``ST20250701-0001``) or its id.

    An unknown one is :class:`NotFound`.
    """
    text_ref = str(ref).strip()
    where = Stocktake.id == int(text_ref) if text_ref.isdigit() else Stocktake.number == text_ref.upper()
    row = session.connection().execute(select(Stocktake.id, Stocktake.number).where(where)).first()
    if row is None:
        raise NotFound(entity="entity.stocktake", key=text_ref)
    return row.id, row.number


# --- the one writer of a stocktake's status -------------------------------------------------------
def _load(session: Session, stocktake_id: int, *, lock: bool = True) -> StocktakeState:
    """The count's state, locked unless ``lock`` is False; an unknown id is :class:`NotFound`."""
    stmt = select(
        Stocktake.id, Stocktake.number, Stocktake.status, Stocktake.warehouse_id, Stocktake.threshold
    ).where(Stocktake.id == stocktake_id)
    row = session.connection().execute(for_update(stmt, session) if lock else stmt).first()
    if row is None:
        raise NotFound(entity="entity.stocktake", key=stocktake_id)
    return StocktakeState(*row)


def read_state(session: Session, stocktake_id: int) -> StocktakeState:
    """The count's state, read without locking (reviews and lists); an unknown id is :class:`NotFound`."""
    return _load(session, stocktake_id, lock=False)


def _check(stocktake: StocktakeState, target: str) -> None:
    """Refuse a move the stocktake workflow does not allow."""
    rules.STOCKTAKE.check([(stocktake.number, stocktake.status, target)])


def _move(session: Session, actor: Actor, stocktake: StocktakeState, target: str, **values: object) -> None:
    """Move the count to ``target``, also setting ``values``; audited under the target's name."""
    _check(stocktake, target)
    table = Stocktake.__table__
    stmt = update(table).where(table.c.id == stocktake.id).values(status=target, **values)
    session.connection().execute(stmt)
    audit.record(session, actor, target, SOURCE, stocktake.id, {"status": [stocktake.status, target]})


# --- counting -------------------------------------------------------------------------------------
def resolve_codes(session: Session, codes: Sequence[str]) -> dict[str, ScannedProduct]:
    """``{code: (product_id, sku, name_zh)}`` for scanned codes that are a barcode or a SKU."""
    wanted = {c.strip() for c in codes if c and c.strip()}
    listed = sorted(wanted)
    stmt = select(Product.id, Product.sku, Product.name_zh, Product.barcode).where(
        # one array parameter each, however many codes a whole-warehouse count brings
        or_(among(session, Product.barcode, listed), among(session, Product.sku, listed)),
        Product.is_bundle.is_(False),
    )
    found: dict[str, ScannedProduct] = {}
    for row in session.connection().execute(stmt):
        for code in (row.sku, row.barcode):
            if code in wanted:
                found[code] = ScannedProduct(row.id, row.sku, row.name_zh)
    return found


def record_counts(
    session: Session, actor: Actor, stocktake_id: int, entries: Sequence[CountEntry]
) -> list[ScanResult]:
    """Record counters' entries on an open count, in order; one result per entry.

    Raises :class:`UnknownBarcode` (nothing written) for a code that is no product, and
    :class:`StocktakeClosed` when the count no longer takes entries.
    """
    require(actor, "stock.count")
    stocktake = _load(session, stocktake_id)
    if stocktake.status not in OPEN:
        raise StocktakeClosed(number=stocktake.number, status=f"status.{stocktake.status}")
    products = resolve_codes(session, [e.code for e in entries])
    found = []
    for n, e in enumerate(entries, start=1):
        if e.code.strip() not in products:
            raise UnknownBarcode(code=e.code.strip())
        if (
            e.kind not in ("scan", "set")
            or not isinstance(e.quantity, int)
            or e.quantity < (0 if e.kind == "set" else 1)
        ):
            found.append(problem("quantity", "below_minimum", value=e.quantity, min=0).at_line(n))
        elif e.quantity > MAX_COUNT:
            found.append(problem("quantity", "above_maximum", value=e.quantity, max=MAX_COUNT).at_line(n))
    if found:
        raise ValidationError(found)
    ids = sorted({products[e.code.strip()].product_id for e in entries})
    line_stmt = select(StocktakeLine.product_id, StocktakeLine.id).where(
        StocktakeLine.stocktake_id == stocktake_id, among(session, StocktakeLine.product_id, ids)
    )
    lines = dict(session.connection().execute(line_stmt).all())
    new = [p for p in ids if p not in lines]
    if new:  # a product found on the shelf that the count did not cover joins it, in its bin
        _refuse_overlap(session, stocktake.warehouse_id, new)
        bin_stmt = select(StockSetting.product_id, StockSetting.location).where(
            StockSetting.warehouse_id == stocktake.warehouse_id, among(session, StockSetting.product_id, new)
        )
        locations = dict(session.connection().execute(bin_stmt).all())
        # its book is what the warehouse held when the count was opened: on hand less what moved since
        opened = session.connection().scalar(select(Stocktake.created_at).where(Stocktake.id == stocktake_id))
        held = on_hand(session, stocktake.warehouse_id, new)
        moved = _moved_since(session, stocktake.warehouse_id, new, opened)
        added = [
            {
                "stocktake_id": stocktake_id,
                "product_id": p,
                "location": locations.get(p, ""),
                "recount": False,
                "book_qty": held.get(p, 0) - moved.get(p, 0),
                "book_at": opened,
            }
            for p in new
        ]
        insert_rows(session, StocktakeLine, added)
        lines = dict(session.connection().execute(line_stmt).all())
    counted_stmt = (
        select(StocktakeLine.product_id, StocktakeLine.counted_qty, StocktakeLine.recount)
        .where(among(session, StocktakeLine.id, [lines[p] for p in ids]))
        .order_by(StocktakeLine.id)
    )
    counted = session.connection().execute(for_update(counted_stmt, session)).all()
    running = {row.product_id: row.counted_qty for row in counted}
    recount = {row.product_id: row.recount for row in counted}
    results = []
    for e in entries:  # in order: a typed count after scans replaces them
        product = products[e.code.strip()]
        pid = product.product_id
        if e.kind == "set":
            running[pid] = e.quantity
        else:
            running[pid] = (running[pid] or 0) + e.quantity
        result = ScanResult(pid, product.sku, product.name_zh, running[pid], bool(recount[pid]), pid in new)
        results.append(result)
    now = utcnow()
    table = StocktakeLine.__table__
    stmt = (
        update(table)
        .where(table.c.id == bindparam("lid"))
        .values(counted_qty=bindparam("q"), counted_at=bindparam("at"))
    )
    session.connection().execute(stmt, [{"lid": lines[p], "q": running[p], "at": now} for p in ids])
    entry_rows = [
        {
            "line_id": lines[products[e.code.strip()].product_id],
            "actor_id": actor.id,
            "kind": e.kind,
            "quantity": e.quantity,
            "at": now,
        }
        for e in entries
    ]
    insert_rows(session, StocktakeEntry, entry_rows)
    return results


def scan(
    session: Session, actor: Actor, stocktake_id: int, code: str, quantity: int | None = None
) -> ScanResult:
    """One scan (adds one) or, with ``quantity``, a typed count that replaces the line's count."""
    entry = CountEntry(code, quantity, "set") if quantity is not None else CountEntry(code)
    [result] = record_counts(session, actor, stocktake_id, [entry])
    return result


# --- submitting and approving ---------------------------------------------------------------------
def submit_stocktake(session: Session, actor: Actor, stocktake_id: int) -> str:
    """Counting is done: lines off by more than the threshold go to one recount, else the count
    waits for approval. Returns the new status (``recount`` or ``submitted``)."""
    require(actor, "stock.count")
    stocktake = _load(session, stocktake_id)
    stmt = select(
        StocktakeLine.id,
        StocktakeLine.product_id,
        StocktakeLine.counted_qty,
        StocktakeLine.book_qty,
        StocktakeLine.recount,
    ).where(StocktakeLine.stocktake_id == stocktake_id)
    lines = session.connection().execute(stmt).all()
    pending = [line.id for line in lines if line.recount and line.counted_qty is None]
    if stocktake.status == "recount" and pending:
        raise ValidationError([problem("lines", "recount_pending", value=len(pending))])
    flagged = [
        line
        for line in lines
        if line.counted_qty is not None
        and not line.recount
        and rules.needs_recount(line.counted_qty, line.book_qty or 0, stocktake.threshold)
    ]
    if flagged and stocktake.status == "counting":
        _restart(session, stocktake, [(line.id, line.product_id, line.counted_qty) for line in flagged])
        _move(session, actor, stocktake, "recount")
        return "recount"
    _move(session, actor, stocktake, "submitted")
    return "submitted"


def _restart(
    session: Session, stocktake: StocktakeState, lines: Sequence[tuple[int, int, int | None]]
) -> None:
    """Send ``(line_id, product_id, first_count)`` lines to be counted again: the recount counts the
    shelf as it stands now, so their book is taken again now."""
    now = utcnow()
    held = on_hand(session, stocktake.warehouse_id, [p for _, p, _ in lines])
    table = StocktakeLine.__table__
    recount = (
        update(table)
        .where(table.c.id == bindparam("lid"))
        .values(
            recount=True,
            first_count=bindparam("first"),
            counted_qty=None,
            book_qty=bindparam("book"),
            book_at=bindparam("at"),
        )
    )
    rows = [{"lid": lid, "first": first, "book": held.get(p, 0), "at": now} for lid, p, first in lines]
    session.connection().execute(recount, rows)


def approve_stocktake(
    session: Session, actor: Actor, stocktake_id: int, *, day: dt.date | None = None
) -> dict:
    """Post the count's gains and losses at the average cost, dated ``day`` (default today), and hand
    their value to finance.

    Needs ``stock.approve``. Lines never counted change nothing. Returns
    ``{"gain_base", "loss_base", "moves"}``.
    """
    require(actor, "stock.approve")
    day = document_day(session, day)
    stocktake = _load(session, stocktake_id)
    _check(stocktake, "approved")  # before any stock moves
    stmt = select(
        StocktakeLine.id, StocktakeLine.product_id, StocktakeLine.counted_qty, StocktakeLine.book_qty
    ).where(StocktakeLine.stocktake_id == stocktake_id)
    lines = session.connection().execute(stmt).all()
    # nothing ships or arrives between reading what moved during the count and posting on top of it
    held = on_hand(session, stocktake.warehouse_id, [line.product_id for line in lines], lock=True)
    drafts = []
    for line in lines:
        book = line.book_qty or 0
        if line.counted_qty is None or line.counted_qty == book:
            continue
        move_type = "count_gain" if line.counted_qty > book else "count_loss"
        drafts.append(
            MoveDraft(
                line.product_id,
                stocktake.warehouse_id,
                line.counted_qty - book,
                move_type,
                source_type=SOURCE,
                source_id=stocktake_id,
                note=stocktake.number,
                business_date=day,
            )
        )
    moves = record_moves(session, actor, drafts) if drafts else []
    costs = average_costs(session, [line.product_id for line in lines])
    table = StocktakeLine.__table__
    if lines:
        stmt = (
            update(table)
            .where(table.c.id == bindparam("lid"))
            .values(unit_cost=bindparam("c"), moved_qty=bindparam("m"))
        )
        costed = [
            {
                "lid": line.id,
                "c": Decimal(costs[line.product_id]).quantize(Decimal("0.01")),
                "m": held.get(line.product_id, 0) - (line.book_qty or 0),
            }
            for line in lines
        ]
        session.connection().execute(stmt, costed)
    gain = sum((m["quantity"] * m["unit_cost"] for m in moves if m["quantity"] > 0), Decimal("0.00"))
    loss = sum((-m["quantity"] * m["unit_cost"] for m in moves if m["quantity"] < 0), Decimal("0.00"))
    _move(session, actor, stocktake, "approved", approved_at=utcnow(), approved_by=actor.id)
    counted = events.StockCounted(
        source_type=SOURCE,
        source_id=stocktake_id,
        business_date=day,
        key=f"{SOURCE}:{stocktake_id}:approved",
        gain_base=gain,
        loss_base=loss,
        warehouse_id=stocktake.warehouse_id,
    )
    events.emit(session, actor, [counted])
    return {"gain_base": gain, "loss_base": loss, "moves": len(moves)}


def send_back_for_recount(
    session: Session, actor: Actor, stocktake_id: int, product_ids: Sequence[int]
) -> int:
    """The supervisor sends lines of a submitted count back to be counted again."""
    require(actor, "stock.approve")
    stocktake = _load(session, stocktake_id)
    _move(session, actor, stocktake, "recount")
    stmt = select(
        StocktakeLine.id, StocktakeLine.product_id, StocktakeLine.first_count, StocktakeLine.counted_qty
    ).where(
        StocktakeLine.stocktake_id == stocktake_id,
        among(session, StocktakeLine.product_id, sorted(set(product_ids))),
    )
    lines = session.connection().execute(stmt).all()
    # a line sent back a second time keeps its first count
    _restart(
        session,
        stocktake,
        [(r.id, r.product_id, r.first_count if r.first_count is not None else r.counted_qty) for r in lines],
    )
    return len(lines)


def cancel_stocktake(session: Session, actor: Actor, stocktake_id: int) -> None:
    """Abandon a count; nothing is posted."""
    require(actor, "stock.count")
    _move(session, actor, _load(session, stocktake_id), "cancelled")
