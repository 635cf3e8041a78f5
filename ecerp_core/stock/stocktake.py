"""Stocktaking (盘点): counting → (recount) → submitted → approved, or cancelled.

A count covers one warehouse: every stocked product, a category (with its subcategories), a range
of bins, or the A-class products by value (a cycle count). Counting is blind: counters see what they
counted, never the book. Each entry (a scan adds, a typed count sets) also records the book stock
at that moment, so goods that ship or arrive while the count is open are not taken for variance.
Submitting sends lines off by more than the threshold to one recount; approving (``stock.approve``)
posts ``count_gain`` / ``count_loss`` moves at the average cost and emits ``stock.counted``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit, events
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date
from ecerp_core.catalog.models import Category, Product, Warehouse
from ecerp_core.db import for_update, insert_rows, utcnow
from ecerp_core.errors import NotFound, ValidationError, problem
from ecerp_core.stock import rules
from ecerp_core.stock.exceptions import StocktakeClosed, UnknownBarcode
from ecerp_core.stock.models import StockLevel, StockSetting, Stocktake, StocktakeEntry, StocktakeLine
from ecerp_core.stock.services import MoveDraft, average_costs, next_numbers, record_moves

SOURCE = "stocktake"
OPEN = ("counting", "recount")


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


def _scope_products(session: Session, warehouse_id: int, scope: str, value: str) -> list[tuple[int, str]]:
    """``(product_id, location)`` of the products a new count covers."""
    loc = (select(StockSetting.product_id, StockSetting.location)
           .where(StockSetting.warehouse_id == warehouse_id).subquery())  # fmt: skip
    stmt = (select(Product.id, func.coalesce(loc.c.location, "")).outerjoin(loc, loc.c.product_id == Product.id)
            .where(Product.is_bundle.is_(False), Product.active.is_(True)).order_by(Product.id))  # fmt: skip
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
        held = dict(session.connection().execute(select(StockLevel.product_id, StockLevel.on_hand).where(
            StockLevel.warehouse_id == warehouse_id, StockLevel.on_hand > 0)).all())  # fmt: skip
        costs = average_costs(session, held)
        classes = rules.abc_classes({p: q * Decimal(costs[p]) for p, q in held.items()})
        stmt = stmt.where(Product.id.in_(sorted(p for p, c in classes.items() if c == "A")))
    return [tuple(r) for r in session.connection().execute(stmt)]


def create_stocktake(session: Session, actor: Actor, warehouse_id: int, *, scope: str = "all",
                     scope_value: str = "", threshold: int = 2, note: str = "") -> int:  # fmt: skip
    """Open a count of a warehouse over ``scope``; returns its id. Needs ``stock.count``.

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
    number = next_numbers(session, Stocktake.number, "ST", 1)[0]
    table = Stocktake.__table__
    stocktake_id = session.connection().scalar(insert(table).returning(table.c.id), {
        "number": number, "warehouse_id": warehouse_id, "scope": scope, "scope_value": scope_value.strip(),
        "status": "counting", "threshold": threshold, "note": note, "created_at": utcnow(),
        "created_by": actor.id})  # fmt: skip
    if products:
        insert_rows(session, StocktakeLine, [
            {"stocktake_id": stocktake_id, "product_id": p, "location": loc, "recount": False}
            for p, loc in products])  # fmt: skip
    audit.record(session, actor, "create", SOURCE, stocktake_id,
                 {"number": number, "scope": scope, "lines": len(products)})  # fmt: skip
    return stocktake_id


def _load(session: Session, stocktake_id: int, *, lock: bool = True) -> tuple:
    stmt = select(Stocktake.id, Stocktake.number, Stocktake.status, Stocktake.warehouse_id,
                  Stocktake.threshold).where(Stocktake.id == stocktake_id)  # fmt: skip
    row = session.connection().execute(for_update(stmt, session) if lock else stmt).first()
    if row is None:
        raise NotFound(entity="entity.stocktake", key=stocktake_id)
    return tuple(row)


def _set_status(session: Session, actor: Actor, doc: tuple, target: str, **values) -> None:
    p = rules.STOCKTAKE.problem(doc[1], doc[2], target)
    if p:
        raise ValidationError([p])
    session.connection().execute(update(Stocktake.__table__).where(Stocktake.__table__.c.id == doc[0])
                                 .values(status=target, **values))  # fmt: skip
    audit.record(session, actor, target, SOURCE, doc[0], {"status": [doc[2], target]})


def resolve_codes(session: Session, codes: Sequence[str]) -> dict[str, tuple[int, str, str]]:
    """``{code: (product_id, sku, name_zh)}`` for scanned codes that are a barcode or a SKU."""
    wanted = sorted({c.strip() for c in codes if c and c.strip()})
    stmt = select(Product.id, Product.sku, Product.name_zh, Product.barcode).where(
        or_(Product.barcode.in_(wanted), Product.sku.in_(wanted)), Product.is_bundle.is_(False)
    )
    found: dict[str, tuple[int, str, str]] = {}
    for pid, sku, name, barcode in session.connection().execute(stmt):
        for code in (sku, barcode):
            if code in wanted:
                found[code] = (pid, sku, name)
    return found


def record_counts(
    session: Session, actor: Actor, stocktake_id: int, entries: Sequence[CountEntry]
) -> list[ScanResult]:
    """Record counters' entries on an open count, in order; one result per entry.

    Raises :class:`UnknownBarcode` (nothing written) for a code that is no product, and
    :class:`StocktakeClosed` when the count no longer takes entries.
    """
    require(actor, "stock.count")
    doc = _load(session, stocktake_id)
    if doc[2] not in OPEN:
        raise StocktakeClosed(number=doc[1], status=f"status.{doc[2]}")
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
    if found:
        raise ValidationError(found)
    ids = sorted({products[e.code.strip()][0] for e in entries})
    line_stmt = select(StocktakeLine.product_id, StocktakeLine.id).where(
        StocktakeLine.stocktake_id == stocktake_id, StocktakeLine.product_id.in_(ids)
    )
    lines = dict(session.connection().execute(line_stmt).all())
    new = [p for p in ids if p not in lines]
    if new:
        locations = dict(session.connection().execute(select(StockSetting.product_id, StockSetting.location).where(
            StockSetting.warehouse_id == doc[3], StockSetting.product_id.in_(new))).all())  # fmt: skip
        insert_rows(session, StocktakeLine, [
            {"stocktake_id": stocktake_id, "product_id": p, "location": locations.get(p, ""), "recount": False}
            for p in new])  # fmt: skip
        lines = dict(session.connection().execute(line_stmt).all())
    book = dict(session.connection().execute(select(StockLevel.product_id, StockLevel.on_hand).where(
        StockLevel.warehouse_id == doc[3], StockLevel.product_id.in_(ids))).all())  # fmt: skip
    current = {p: (q, r) for p, q, r in session.connection().execute(for_update(
        select(StocktakeLine.product_id, StocktakeLine.counted_qty, StocktakeLine.recount)
        .where(StocktakeLine.id.in_([lines[p] for p in ids])).order_by(StocktakeLine.id), session))}  # fmt: skip
    running = {p: q for p, (q, _r) in current.items()}
    results = []
    for e in entries:  # in order: a typed count after scans replaces them
        pid, sku, name = products[e.code.strip()]
        running[pid] = e.quantity if e.kind == "set" else (running[pid] or 0) + e.quantity
        results.append(ScanResult(pid, sku, name, running[pid], bool(current[pid][1]), pid in new))
    now = utcnow()
    table = StocktakeLine.__table__
    session.connection().execute(
        update(table).where(table.c.id == bindparam("lid"))
        .values(counted_qty=bindparam("q"), book_qty=bindparam("b"), counted_at=bindparam("at")),
        [{"lid": lines[p], "q": running[p], "b": book.get(p, 0), "at": now} for p in ids])  # fmt: skip
    insert_rows(session, StocktakeEntry, [
        {"line_id": lines[products[e.code.strip()][0]], "actor_id": actor.id, "kind": e.kind, "quantity": e.quantity,
         "at": now} for e in entries])  # fmt: skip
    return results


def scan(
    session: Session, actor: Actor, stocktake_id: int, code: str, quantity: int | None = None
) -> ScanResult:
    """One scan (adds one) or, with ``quantity``, a typed count that replaces the line's count."""
    entry = CountEntry(code, quantity, "set") if quantity is not None else CountEntry(code)
    return record_counts(session, actor, stocktake_id, [entry])[0]


def counting_lines(session: Session, actor: Actor, stocktake_id: int) -> list[dict]:
    """The counter's view of a count: product, bin, what was counted, recount flag — never the book."""
    require(actor, "stock.count")
    stmt = (select(StocktakeLine.id, Product.sku, Product.name_zh, Product.name_en, Product.barcode,
                   StocktakeLine.location, StocktakeLine.counted_qty, StocktakeLine.recount)
            .join(Product, Product.id == StocktakeLine.product_id).where(StocktakeLine.stocktake_id == stocktake_id)
            .order_by(StocktakeLine.recount.desc(), StocktakeLine.location, Product.sku))  # fmt: skip
    keys = ("line_id", "sku", "name_zh", "name_en", "barcode", "location", "counted", "recount")
    return [dict(zip(keys, row, strict=True)) for row in session.connection().execute(stmt)]


def review_lines(session: Session, actor: Actor, stocktake_id: int) -> list[dict]:
    """The supervisor's view: book at count time, counted, variance in units and by value (average cost)."""
    require(actor, "stock.approve")
    stmt = (select(StocktakeLine.product_id, Product.sku, Product.name_zh, Product.name_en, StocktakeLine.location,
                   StocktakeLine.book_qty, StocktakeLine.counted_qty, StocktakeLine.first_count,
                   StocktakeLine.recount, StocktakeLine.unit_cost)
            .join(Product, Product.id == StocktakeLine.product_id).where(StocktakeLine.stocktake_id == stocktake_id)
            .order_by(Product.sku))  # fmt: skip
    rows = list(session.connection().execute(stmt))
    costs = average_costs(session, [r[0] for r in rows])
    out = []
    for pid, sku, name_zh, name_en, loc, book, counted, first, recount, cost in rows:
        variance = None if counted is None else counted - (book or 0)
        unit = Decimal(cost if cost is not None else costs[pid]).quantize(Decimal("0.01"))
        out.append({"product_id": pid, "sku": sku, "name_zh": name_zh, "name_en": name_en, "location": loc,
                    "book": book, "counted": counted, "first_count": first, "recount": recount,
                    "variance": variance, "unit_cost": unit,
                    "variance_value": None if variance is None else variance * unit})  # fmt: skip
    return out


def submit_stocktake(session: Session, actor: Actor, stocktake_id: int) -> str:
    """Counting is done: lines off by more than the threshold go to one recount, else the count
    waits for approval. Returns the new status (``recount`` or ``submitted``)."""
    require(actor, "stock.count")
    doc = _load(session, stocktake_id)
    rows = session.connection().execute(select(
        StocktakeLine.id, StocktakeLine.counted_qty, StocktakeLine.book_qty, StocktakeLine.first_count,
        StocktakeLine.recount).where(StocktakeLine.stocktake_id == stocktake_id)).all()  # fmt: skip
    pending = [lid for lid, counted, _b, _f, recount in rows if recount and counted is None]
    if doc[2] == "recount" and pending:
        raise ValidationError([problem("lines", "recount_pending", value=len(pending))])
    flagged = [{"lid": lid, "first": counted} for lid, counted, book, first, recount in rows
               if counted is not None and not recount and rules.needs_recount(counted, book or 0, doc[4])]  # fmt: skip
    if flagged and doc[2] == "counting":
        table = StocktakeLine.__table__
        session.connection().execute(update(table).where(table.c.id == bindparam("lid")).values(
            recount=True, first_count=bindparam("first"), counted_qty=None), flagged)  # fmt: skip
        _set_status(session, actor, doc, "recount")
        return "recount"
    _set_status(session, actor, doc, "submitted")
    return "submitted"


def approve_stocktake(session: Session, actor: Actor, stocktake_id: int) -> dict:
    """Post the count's gains and losses at the average cost and hand their value to finance.

    Needs ``stock.approve``. Lines never counted change nothing. Returns
    ``{"gain_base", "loss_base", "moves"}``.
    """
    require(actor, "stock.approve")
    doc = _load(session, stocktake_id)
    p = rules.STOCKTAKE.problem(doc[1], doc[2], "approved")
    if p:
        raise ValidationError([p])
    rows = session.connection().execute(select(StocktakeLine.id, StocktakeLine.product_id, StocktakeLine.counted_qty,
        StocktakeLine.book_qty).where(StocktakeLine.stocktake_id == stocktake_id)).all()  # fmt: skip
    drafts = [MoveDraft(pid, doc[3], counted - (book or 0), "count_gain" if counted > (book or 0) else "count_loss",
                        source_type=SOURCE, source_id=stocktake_id, note=doc[1])
              for _lid, pid, counted, book in rows if counted is not None and counted != (book or 0)]  # fmt: skip
    moves = record_moves(session, actor, drafts) if drafts else []
    costs = average_costs(session, [r[1] for r in rows])
    table = StocktakeLine.__table__
    if rows:
        session.connection().execute(update(table).where(table.c.id == bindparam("lid")).values(unit_cost=bindparam("c")),
            [{"lid": lid, "c": Decimal(costs[pid]).quantize(Decimal("0.01"))} for lid, pid, _c, _b in rows])  # fmt: skip
    gain = sum((m["quantity"] * m["unit_cost"] for m in moves if m["quantity"] > 0), Decimal("0.00"))
    loss = sum((-m["quantity"] * m["unit_cost"] for m in moves if m["quantity"] < 0), Decimal("0.00"))
    _set_status(session, actor, doc, "approved", approved_at=utcnow(), approved_by=actor.id)
    events.emit(session, actor, [events.StockCounted(
        source_type=SOURCE, source_id=stocktake_id, business_date=business_date(session),
        key=f"{SOURCE}:{stocktake_id}:approved", gain_base=gain, loss_base=loss, warehouse_id=doc[3])])  # fmt: skip
    return {"gain_base": gain, "loss_base": loss, "moves": len(moves)}


def send_back_for_recount(
    session: Session, actor: Actor, stocktake_id: int, product_ids: Sequence[int]
) -> int:
    """The supervisor sends lines of a submitted count back to be counted again."""
    require(actor, "stock.approve")
    doc = _load(session, stocktake_id)
    _set_status(session, actor, doc, "recount")
    table = StocktakeLine.__table__
    result = session.connection().execute(update(table).where(
        table.c.stocktake_id == stocktake_id, table.c.product_id.in_(sorted(set(product_ids))))
        .values(recount=True, first_count=case((table.c.first_count.is_(None), table.c.counted_qty),
                                               else_=table.c.first_count), counted_qty=None))  # fmt: skip
    return result.rowcount


def cancel_stocktake(session: Session, actor: Actor, stocktake_id: int) -> None:
    """Abandon a count; nothing is posted."""
    require(actor, "stock.count")
    _set_status(session, actor, _load(session, stocktake_id), "cancelled")


def open_stocktakes(session: Session, actor: Actor) -> list[dict]:
    """Counts not yet approved or cancelled (counting, recount, submitted), newest first."""
    require(actor, "stock.read")
    stmt = (select(Stocktake.id, Stocktake.number, Stocktake.status, Warehouse.code.label("warehouse"))
            .join(Warehouse, Warehouse.id == Stocktake.warehouse_id)
            .where(Stocktake.status.in_((*OPEN, "submitted"))).order_by(Stocktake.id.desc()))  # fmt: skip
    return [dict(r._mapping) for r in session.execute(stmt)]


def stocktake_status(session: Session, actor: Actor, stocktake_id: int) -> str:
    """Where a count stands: counting, recount, submitted, approved or cancelled."""
    require(actor, "stock.read")
    return _load(session, stocktake_id, lock=False)[2]
