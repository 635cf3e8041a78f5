"""Transfers between warehouses (调拨): draft → in transit → (partially) received, or closed short.

Shipping posts ``transfer_out`` moves at the average cost and puts the goods in transit (on the
transfer's lines, not in any warehouse); each receipt posts ``transfer_in`` moves at that same cost;
closing a transfer records what never arrived as lost. Value moves between warehouses without
profit or loss: shipping emits ``stock.transferred`` with the value shipped, closing short emits it
again with the value lost (``discrepancy_base``). Services need ``stock.move``, audit, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, String, bindparam, case, cast, func, insert, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit, events
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date, company_timezone, document_day
from ecerp_core.catalog.models import Product, Warehouse
from ecerp_core.db import among, for_update, insert_rows, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.money import round_money
from ecerp_core.query import Page, paginate, sort_stmt
from ecerp_core.stock import rules
from ecerp_core.stock.models import StockMove, Transfer, TransferLine
from ecerp_core.stock.services import MoveDraft, lock_levels, next_numbers, record_moves

SOURCE = "transfer"
ON_THE_WAY = ("in_transit", "partially_received")
"""The statuses of a transfer with goods still on the way."""


@dataclass(frozen=True)
class TransferDraft:
    """Send ``lines`` (``((product_id, qty), ...)``) from one warehouse to another."""

    from_warehouse_id: int
    to_warehouse_id: int
    lines: tuple[tuple[int, int], ...]
    note: str = ""


class TransferState(NamedTuple):
    """What the workflow needs to know of a locked transfer."""

    id: int
    number: str
    status: str
    from_warehouse_id: int
    to_warehouse_id: int


class TransferLineState(NamedTuple):
    """A transfer's line as shipping, receiving and closing read it (``unit_cost``: what it left with)."""

    id: int
    transfer_id: int
    product_id: int
    quantity: int
    shipped: int
    received: int
    lost: int
    unit_cost: Decimal

    @property
    def in_transit(self) -> int:
        """Units shipped that have neither arrived nor been recorded as lost."""
        return self.shipped - self.received - self.lost


def create_transfers(session: Session, actor: Actor, drafts: Sequence[TransferDraft]) -> list[int]:
    """Create draft transfers; all or nothing. Returns their ids.

    >>> create_transfers(session, admin, [TransferDraft(sh.id, gz.id, ((tee.id, 5),))])
    [1]
    """
    require(actor, "stock.move")
    warehouses = set(session.connection().scalars(select(Warehouse.id).where(Warehouse.active.is_(True))))
    ids = sorted({p for d in drafts for p, _ in d.lines})
    stocked_stmt = select(Product.id).where(among(session, Product.id, ids), Product.is_bundle.is_(False))
    stocked = set(session.connection().scalars(stocked_stmt))
    found = []
    for n, d in enumerate(drafts, start=1):
        for wh in (d.from_warehouse_id, d.to_warehouse_id):
            if wh not in warehouses:
                found.append(problem("warehouse", "unknown_ref", value=wh).at_line(n))
        if d.from_warehouse_id == d.to_warehouse_id:
            found.append(problem("to_warehouse", "same_warehouse", value=d.to_warehouse_id).at_line(n))
        if not d.lines:
            found.append(problem("lines", "required").at_line(n))
        for product_id, qty in d.lines:
            if product_id not in stocked:
                found.append(problem("product", "not_stocked", value=product_id).at_line(n))
            if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
                found.append(problem("quantity", "below_minimum", value=qty, min=1).at_line(n))
    if found:
        raise ValidationError(found)
    now = utcnow()
    numbers = next_numbers(session, Transfer.number, "TR", len(drafts))
    rows = [
        {
            "number": number,
            "from_warehouse_id": d.from_warehouse_id,
            "to_warehouse_id": d.to_warehouse_id,
            "status": "draft",
            "note": d.note,
            "created_at": now,
            "created_by": actor.id,
        }
        for d, number in zip(drafts, numbers, strict=True)
    ]
    table = Transfer.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    new_ids = session.connection().execute(stmt, rows).scalars().all()
    line_rows = [
        {
            "transfer_id": tid,
            "product_id": product_id,
            "quantity": qty,
            "shipped": 0,
            "received": 0,
            "lost": 0,
            "unit_cost": Decimal(0),
        }
        for tid, d in zip(new_ids, drafts, strict=True)
        for product_id, qty in d.lines
    ]
    insert_rows(session, TransferLine, line_rows)
    created = [(tid, {"number": row["number"]}) for tid, row in zip(new_ids, rows, strict=True)]
    audit.record_many(session, actor, "create", SOURCE, created)
    return list(new_ids)


# --- the one writer of a transfer's status --------------------------------------------------------
def _load(session: Session, ids: Sequence[int]) -> dict[int, TransferState]:
    """Lock the transfers (in id order) and return their states; unknown ids are a problem."""
    stmt = (
        select(
            Transfer.id,
            Transfer.number,
            Transfer.status,
            Transfer.from_warehouse_id,
            Transfer.to_warehouse_id,
        )
        .where(among(session, Transfer.id, sorted(set(ids))))
        .order_by(Transfer.id)
    )
    rows = session.connection().execute(for_update(stmt, session))
    found = {row.id: TransferState(*row) for row in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError([problem("transfer", "unknown_ref", value=i) for i in missing])
    return found


def _check(transfers: Mapping[int, TransferState], ids: Iterable[int], target: str) -> None:
    """Refuse the transfers of ``ids`` that may not move to ``target`` — called before any stock
    moves, so a refused batch writes nothing."""
    rules.TRANSFER.check((transfers[i].number, transfers[i].status, target) for i in ids)


def _move(
    session: Session,
    actor: Actor,
    transfers: Mapping[int, TransferState],
    targets: Mapping[int, str],
    action: str,
    **values: object,
) -> None:
    """Move each transfer to its target (all or nothing), also setting ``values``; one audit row each."""
    rules.TRANSFER.check((transfers[i].number, transfers[i].status, target) for i, target in targets.items())
    table = Transfer.__table__
    stmt = update(table).where(table.c.id == bindparam("tid")).values(status=bindparam("st"), **values)
    session.connection().execute(stmt, [{"tid": i, "st": target} for i, target in targets.items()])
    moved = [(i, {"status": [transfers[i].status, target]}) for i, target in targets.items()]
    audit.record_many(session, actor, action, SOURCE, moved)


def _lines_stmt(*where: ColumnElement[bool]) -> Select:
    """The columns of :class:`TransferLineState` of the lines ``where`` says, in line order."""
    columns = (
        TransferLine.id,
        TransferLine.transfer_id,
        TransferLine.product_id,
        TransferLine.quantity,
        TransferLine.shipped,
        TransferLine.received,
        TransferLine.lost,
        TransferLine.unit_cost,
    )
    return select(*columns).where(*where).order_by(TransferLine.id)


def _lines(session: Session, ids: Sequence[int]) -> dict[int, list[TransferLineState]]:
    """The lines of each transfer, locked, in line order."""
    stmt = _lines_stmt(among(session, TransferLine.transfer_id, sorted(set(ids))))
    lines: dict[int, list[TransferLineState]] = {}
    for row in session.connection().execute(for_update(stmt, session)):
        lines.setdefault(row.transfer_id, []).append(TransferLineState(*row))
    return lines


def _transferred(
    transfer: TransferState, day: dt.date, step: str, value_base: Decimal, discrepancy_base: Decimal
) -> events.StockTransferred:
    """The event of a transfer's ``step`` (``shipped``: the value sent; ``closed``: the value lost)."""
    return events.StockTransferred(
        source_type=SOURCE,
        source_id=transfer.id,
        business_date=day,
        key=f"{SOURCE}:{transfer.id}:{step}",
        value_base=value_base,
        from_warehouse_id=transfer.from_warehouse_id,
        to_warehouse_id=transfer.to_warehouse_id,
        discrepancy_base=discrepancy_base,
    )


# --- use cases ------------------------------------------------------------------------------------
def ship_transfers(
    session: Session, actor: Actor, ids: Sequence[int], *, day: dt.date | None = None
) -> list[dict]:
    """Send draft transfers on ``day`` (default today): ``transfer_out`` at the average cost; the
    goods are in transit.

    Raises :class:`~ecerp_core.stock.exceptions.InsufficientStock` (nothing written) when the
    sending warehouse has too little available.
    """
    require(actor, "stock.move")
    day = document_day(session, day)
    transfers = _load(session, ids)
    _check(transfers, ids, "in_transit")
    lines = _lines(session, ids)
    shipping = [(transfers[tid], line) for tid in sorted(transfers) for line in lines.get(tid, [])]
    # the destination's level exists from now on, so the stock lists show the goods on their way to it
    ends = {(line.product_id, w) for t, line in shipping for w in (t.from_warehouse_id, t.to_warehouse_id)}
    lock_levels(session, ends)
    drafts = [
        MoveDraft(
            line.product_id,
            transfer.from_warehouse_id,
            -line.quantity,
            "transfer_out",
            source_type=SOURCE,
            source_id=transfer.id,
            note=transfer.number,
            business_date=day,
        )
        for transfer, line in shipping
    ]
    moves = record_moves(session, actor, drafts)
    costs = {(m["source_id"], m["product_id"]): m["unit_cost"] for m in moves}
    table = TransferLine.__table__
    stmt = (
        update(table)
        .where(table.c.id == bindparam("lid"))
        .values(shipped=bindparam("q"), unit_cost=bindparam("c"))
    )
    shipped = [
        {"lid": line.id, "q": line.quantity, "c": costs[(line.transfer_id, line.product_id)]}
        for _, line in shipping
    ]
    session.connection().execute(stmt, shipped)
    targets = dict.fromkeys(sorted(transfers), "in_transit")
    _move(session, actor, transfers, targets, "ship", shipped_at=utcnow())
    value = dict.fromkeys(sorted(transfers), Decimal(0))
    for m in moves:
        value[m["source_id"]] += -m["quantity"] * m["unit_cost"]
    sent = [_transferred(transfers[tid], day, "shipped", value[tid], Decimal(0)) for tid in sorted(transfers)]
    events.emit(session, actor, sent)
    return moves


def receive_transfer(
    session: Session,
    actor: Actor,
    transfer_id: int,
    lines: Sequence[tuple[int, int]] | None = None,
    *,
    day: dt.date | None = None,
) -> list[dict]:
    """Receive goods of a transfer at the destination on ``day`` (default today)
    (``((product_id, qty), ...)``; None: all in transit).

    More than is in transit on a line is refused. Receiving the last units makes it ``received``.
    """
    require(actor, "stock.move")
    day = document_day(session, day)
    transfers = _load(session, [transfer_id])
    transfer = transfers[transfer_id]
    on_transfer = _lines(session, [transfer_id]).get(transfer_id, [])
    if lines is None:
        wanted = {line.product_id: line.in_transit for line in on_transfer}
    else:
        wanted = dict(lines)
    found, drafts, taken = [], [], {}
    for line in on_transfer:
        take = wanted.pop(line.product_id, 0)
        if take == 0:
            continue
        if not isinstance(take, int) or take < 0 or take > line.in_transit:
            found.append(problem("quantity", "above_maximum", value=take, max=line.in_transit))
            continue
        drafts.append(
            MoveDraft(
                line.product_id,
                transfer.to_warehouse_id,
                take,
                "transfer_in",
                unit_cost=line.unit_cost,
                source_type=SOURCE,
                source_id=transfer_id,
                note=transfer.number,
                business_date=day,
            )
        )
        taken[line.id] = take
    found += [problem("product", "not_on_transfer", value=p) for p, q in wanted.items() if q]
    if found:
        raise ValidationError(found)
    complete = all(line.received + line.lost + taken.get(line.id, 0) >= line.shipped for line in on_transfer)
    target = "received" if complete else "partially_received"
    _check(transfers, [transfer_id], target)
    moves = record_moves(session, actor, drafts) if drafts else []
    table = TransferLine.__table__
    if taken:
        stmt = (
            update(table)
            .where(table.c.id == bindparam("lid"))
            .values(received=table.c.received + bindparam("q"))
        )
        session.connection().execute(stmt, [{"lid": lid, "q": q} for lid, q in taken.items()])
    values = {"closed_at": utcnow()} if complete else {}
    _move(session, actor, transfers, {transfer_id: target}, "receive", **values)
    return moves


def close_transfers(session: Session, actor: Actor, ids: Sequence[int], *, note: str = "") -> Decimal:
    """Close transfers that will receive nothing more: what is still in transit is recorded as lost.

    Emits ``stock.transferred`` with the value lost as ``discrepancy_base``; returns that value.
    """
    require(actor, "stock.move")
    transfers = _load(session, ids)
    _check(transfers, ids, "closed")
    lines = _lines(session, ids)
    updates, lost_value = [], {}
    for tid in sorted(transfers):
        for line in lines.get(tid, []):
            missing = line.in_transit
            if missing:
                updates.append({"lid": line.id, "q": missing})
                lost_value[tid] = lost_value.get(tid, Decimal(0)) + missing * line.unit_cost
    table = TransferLine.__table__
    if updates:
        stmt = update(table).where(table.c.id == bindparam("lid")).values(lost=table.c.lost + bindparam("q"))
        session.connection().execute(stmt, updates)
    _move(
        session,
        actor,
        transfers,
        dict.fromkeys(sorted(transfers), "closed"),
        "close",
        closed_at=utcnow(),
        note=note or Transfer.note,
    )
    day = business_date(session)
    lost = [
        _transferred(transfers[tid], day, "closed", Decimal(0), value)
        for tid, value in sorted(lost_value.items())
    ]
    events.emit(session, actor, lost)
    return sum(lost_value.values(), Decimal(0))


def cancel_transfers(session: Session, actor: Actor, ids: Sequence[int]) -> int:
    """Cancel draft transfers (nothing has moved yet)."""
    require(actor, "stock.move")
    transfers = _load(session, ids)
    _move(session, actor, transfers, dict.fromkeys(sorted(transfers), "cancelled"), "cancel")
    return len(transfers)


def end_of_day(session: Session, day: dt.date) -> dt.datetime:
    """The UTC moment the company-local ``day`` ends (a transfer closed before it lost its goods by then)."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), company_timezone(session))
    return midnight.astimezone(dt.UTC)


def transit_stmt(*, as_of: dt.date | None = None, closed_before: dt.datetime | None = None) -> Select:
    """What was on the way at the end of ``as_of`` (None: now), one row per transfer line.

    Units in transit are read from the ledger, so they hold at any date: what the transfer's moves
    took out and have not brought in by then, less what was recorded as lost by ``closed_before``
    (the end of ``as_of``; :func:`end_of_day`). Valued at the cost the goods left with — the value
    finance keeps in the inventory account while they travel.
    """
    if as_of is None:  # now: the open transfers' own lines say it (the check proves they match the moves)
        units = TransferLine.shipped - TransferLine.received - TransferLine.lost
        moved = None
    else:
        moved = (
            select(
                StockMove.source_id.label("transfer_id"),
                StockMove.product_id.label("product_id"),
                func.sum(StockMove.quantity).label("moved"),
            )
            .where(StockMove.source_type == SOURCE, StockMove.business_date <= as_of)
            .group_by(StockMove.source_id, StockMove.product_id)
            .subquery()
        )
        lost = TransferLine.lost
        if closed_before is not None:
            lost = case((Transfer.closed_at < closed_before, TransferLine.lost), else_=0)
        units = -moved.c.moved - lost
    from_wh, to_wh = Warehouse.__table__.alias("f"), Warehouse.__table__.alias("t")
    stmt = (
        select(
            cast(TransferLine.id, String).label("id"),
            Transfer.number.label("number"),
            from_wh.c.code.label("from_warehouse"),
            to_wh.c.code.label("to_warehouse"),
            Product.sku.label("sku"),
            Product.name_zh.label("name_zh"),
            Product.name_en.label("name_en"),
            units.label("quantity"),
            TransferLine.unit_cost.label("unit_cost"),
            (units * TransferLine.unit_cost).label("value"),
            Transfer.id.label("transfer_id"),
            TransferLine.product_id.label("product_id"),
            Transfer.to_warehouse_id.label("warehouse_id"),
        )
        .join(TransferLine, TransferLine.transfer_id == Transfer.id)
        .join(Product, Product.id == TransferLine.product_id)
        .join(from_wh, from_wh.c.id == Transfer.from_warehouse_id)
        .join(to_wh, to_wh.c.id == Transfer.to_warehouse_id)
        .where(units > 0)
        .order_by(Transfer.id, TransferLine.id)
    )
    if moved is None:
        return stmt.where(Transfer.status.in_(ON_THE_WAY))
    on = (moved.c.transfer_id == Transfer.id) & (moved.c.product_id == TransferLine.product_id)
    return stmt.join(moved, on)


def transit_rows(
    session: Session, actor: Actor, *, as_of: dt.date | None = None, warehouse_id: int | None = None
) -> list[dict]:
    """Goods on the way at the end of ``as_of`` (None: now), per transfer line (see :func:`transit_stmt`):
    number, from and to warehouse, SKU, units, unit cost and value. ``warehouse_id``: only those on
    the way to it. Needs ``stock.read``.
    """
    require(actor, "stock.read")
    closed_before = None if as_of is None else end_of_day(session, as_of)
    stmt = transit_stmt(as_of=as_of, closed_before=closed_before)
    if warehouse_id is not None:
        stmt = stmt.where(Transfer.to_warehouse_id == warehouse_id)
    rows = [dict(row) for row in session.connection().execute(stmt).mappings()]
    for row in rows:
        row["quantity"] = int(row["quantity"])
        row["value"] = round_money(Decimal(row["value"]))
    return rows


def in_transit(session: Session, actor: Actor) -> dict[tuple[int, int], tuple[int, Decimal]]:
    """Units and value on the way now, per (product_id, destination warehouse)."""
    out: dict[tuple[int, int], tuple[int, Decimal]] = {}
    for row in transit_rows(session, actor):
        key = (row["product_id"], row["warehouse_id"])
        units, value = out.get(key, (0, Decimal(0)))
        out[key] = (units + row["quantity"], value + row["value"])
    return out


def transfers_stmt():
    """The SELECT behind transfer lists: number, date made, from and to warehouse, status, its first
    SKU and how many lines and units it holds, note; newest first."""
    from_wh, to_wh = Warehouse.__table__.alias("f"), Warehouse.__table__.alias("t")
    lines = (
        select(
            TransferLine.transfer_id.label("transfer_id"),
            func.min(Product.sku).label("sku"),
            func.count().label("lines"),
            func.sum(TransferLine.quantity).label("quantity"),
        )
        .join(Product, Product.id == TransferLine.product_id)
        .group_by(TransferLine.transfer_id)
        .subquery()
    )
    return (
        select(
            Transfer.id.label("id"),
            Transfer.number.label("number"),
            Transfer.created_at.label("created_at"),
            from_wh.c.code.label("from_warehouse"),
            to_wh.c.code.label("to_warehouse"),
            Transfer.status.label("status"),
            lines.c.sku.label("sku"),
            func.coalesce(lines.c.lines, 0).label("lines"),
            func.coalesce(lines.c.quantity, 0).label("quantity"),
            Transfer.note.label("note"),
        )
        .join(from_wh, from_wh.c.id == Transfer.from_warehouse_id)
        .join(to_wh, to_wh.c.id == Transfer.to_warehouse_id)
        .outerjoin(lines, lines.c.transfer_id == Transfer.id)
        .order_by(Transfer.id.desc())
    )


def list_transfers(
    session: Session,
    actor: Actor,
    *,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """One page of transfers (:func:`transfers_stmt`), sorted and counted in the database."""
    require(actor, "stock.read")
    page = paginate(session, sort_stmt(transfers_stmt(), sort, descending), offset=offset, limit=limit)
    zone = company_timezone(session)
    for row in page.rows:  # when it was made, on the company's clock
        row["created_at"] = row["created_at"].astimezone(zone) if row["created_at"] else None
    return page


def transfer_lines(session: Session, transfer_id: int) -> list[TransferLineState]:
    """The lines of a transfer, in line order (read without locking)."""
    stmt = _lines_stmt(TransferLine.transfer_id == transfer_id)
    return [TransferLineState(*row) for row in session.connection().execute(stmt)]
