"""Transfers between warehouses (调拨): draft → in transit → (partially) received, or closed short.

Shipping posts ``transfer_out`` moves at the average cost and puts the goods in transit (on the
transfer's lines, not in any warehouse); each receipt posts ``transfer_in`` moves at that same cost;
closing a transfer records what never arrived as lost. Value moves between warehouses without
profit or loss: shipping emits ``stock.transferred`` with the value shipped, closing short emits it
again with the value lost (``discrepancy_base``). Services need ``stock.move``, audit, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit, events
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date
from ecerp_core.catalog.models import Product, Warehouse
from ecerp_core.db import for_update, insert_rows, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.query import Page, paginate, sort_stmt
from ecerp_core.stock import rules
from ecerp_core.stock.models import Transfer, TransferLine
from ecerp_core.stock.services import MoveDraft, next_numbers, record_moves

SOURCE = "transfer"


@dataclass(frozen=True)
class TransferDraft:
    """Send ``lines`` (``((product_id, qty), ...)``) from one warehouse to another."""

    from_warehouse_id: int
    to_warehouse_id: int
    lines: tuple[tuple[int, int], ...]
    note: str = ""


def create_transfers(session: Session, actor: Actor, drafts: Sequence[TransferDraft]) -> list[int]:
    """Create draft transfers; all or nothing. Returns their ids.

    >>> create_transfers(session, admin, [TransferDraft(sh.id, gz.id, ((tee.id, 5),))])
    [1]
    """
    require(actor, "stock.move")
    warehouses = set(session.connection().scalars(select(Warehouse.id).where(Warehouse.active.is_(True))))
    ids = sorted({p for d in drafts for p, _ in d.lines})
    stocked = set(session.connection().scalars(
        select(Product.id).where(Product.id.in_(ids), Product.is_bundle.is_(False))))  # fmt: skip
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
    table = Transfer.__table__
    rows = [{"number": number, "from_warehouse_id": d.from_warehouse_id, "to_warehouse_id": d.to_warehouse_id,
             "status": "draft", "note": d.note, "created_at": now, "created_by": actor.id}
            for d, number in zip(drafts, next_numbers(session, Transfer.number, "TR", len(drafts)), strict=True)]  # fmt: skip
    new_ids = session.connection().execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()  # fmt: skip
    insert_rows(session, TransferLine, [
        {"transfer_id": tid, "product_id": p, "quantity": q, "shipped": 0, "received": 0, "lost": 0,
         "unit_cost": Decimal(0)}
        for tid, d in zip(new_ids, drafts, strict=True) for p, q in d.lines])  # fmt: skip
    audit.record_many(session, actor, "create", SOURCE,
                      [(tid, {"number": r["number"]}) for tid, r in zip(new_ids, rows, strict=True)])  # fmt: skip
    return list(new_ids)


def _load(session: Session, ids: Sequence[int]) -> dict[int, tuple]:
    stmt = (select(Transfer.id, Transfer.number, Transfer.status, Transfer.from_warehouse_id,
                   Transfer.to_warehouse_id).where(Transfer.id.in_(sorted(set(ids)))).order_by(Transfer.id))  # fmt: skip
    found = {r[0]: tuple(r[1:]) for r in session.connection().execute(for_update(stmt, session))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError([problem("transfer", "unknown_ref", value=i) for i in missing])
    return found


def _lines(session: Session, ids: Sequence[int]) -> dict[int, list[list]]:
    stmt = (select(TransferLine.id, TransferLine.transfer_id, TransferLine.product_id, TransferLine.quantity,
                   TransferLine.shipped, TransferLine.received, TransferLine.lost, TransferLine.unit_cost)
            .where(TransferLine.transfer_id.in_(sorted(set(ids)))).order_by(TransferLine.id))  # fmt: skip
    lines: dict[int, list[list]] = {}
    for row in session.connection().execute(for_update(stmt, session)):
        lines.setdefault(row[1], []).append(list(row))
    return lines


def _set_status(session: Session, actor: Actor, docs: dict, targets: dict[int, str], action: str,
                **values) -> None:  # fmt: skip
    found = [rules.TRANSFER.problem(docs[i][0], docs[i][1], t) for i, t in targets.items()]
    found = [p for p in found if p]
    if found:
        raise ValidationError(found)
    table = Transfer.__table__
    session.connection().execute(
        update(table).where(table.c.id == bindparam("tid")).values(status=bindparam("st"), **values),
        [{"tid": i, "st": t} for i, t in targets.items()])  # fmt: skip
    audit.record_many(session, actor, action, SOURCE,
                      [(i, {"status": [docs[i][1], t]}) for i, t in targets.items()])  # fmt: skip


def ship_transfers(session: Session, actor: Actor, ids: Sequence[int]) -> list[dict]:
    """Send draft transfers: ``transfer_out`` at the average cost; the goods are in transit.

    Raises :class:`~ecerp_core.stock.exceptions.InsufficientStock` (nothing written) when the
    sending warehouse has too little available.
    """
    require(actor, "stock.move")
    docs = _load(session, ids)
    for i in ids:  # check the workflow before touching stock
        _check(docs, i, "in_transit")
    lines = _lines(session, ids)
    drafts = [MoveDraft(ln[2], docs[tid][2], -ln[3], "transfer_out", source_type=SOURCE, source_id=tid,
                        note=docs[tid][0]) for tid in sorted(docs) for ln in lines.get(tid, [])]  # fmt: skip
    moves = record_moves(session, actor, drafts)
    costs = {(m["source_id"], m["product_id"]): m["unit_cost"] for m in moves}
    table = TransferLine.__table__
    session.connection().execute(
        update(table).where(table.c.id == bindparam("lid")).values(shipped=bindparam("q"), unit_cost=bindparam("c")),
        [{"lid": ln[0], "q": ln[3], "c": costs[(tid, ln[2])]} for tid in sorted(docs) for ln in lines.get(tid, [])])  # fmt: skip
    _set_status(session, actor, docs, dict.fromkeys(sorted(docs), "in_transit"), "ship", shipped_at=utcnow())
    day = business_date(session)
    events.emit(session, actor, [
        events.StockTransferred(
            source_type=SOURCE, source_id=tid, business_date=day, key=f"{SOURCE}:{tid}:shipped",
            value_base=sum((-m["quantity"] * m["unit_cost"] for m in moves if m["source_id"] == tid), Decimal(0)),
            from_warehouse_id=docs[tid][2], to_warehouse_id=docs[tid][3], discrepancy_base=Decimal(0))
        for tid in sorted(docs)])  # fmt: skip
    return moves


def _check(docs: dict, tid: int, target: str) -> None:
    p = rules.TRANSFER.problem(docs[tid][0], docs[tid][1], target)
    if p:
        raise ValidationError([p])


def receive_transfer(
    session: Session, actor: Actor, transfer_id: int, lines: Sequence[tuple[int, int]] | None = None
) -> list[dict]:
    """Receive goods of a transfer at the destination (``((product_id, qty), ...)``; None: all in transit).

    More than is in transit on a line is refused. Receiving the last units makes it ``received``.
    """
    require(actor, "stock.move")
    docs = _load(session, [transfer_id])
    number, _status, _from, to = docs[transfer_id]
    t_lines = _lines(session, [transfer_id]).get(transfer_id, [])
    wanted = dict(lines) if lines is not None else {ln[2]: ln[4] - ln[5] - ln[6] for ln in t_lines}
    found, drafts, updates = [], [], []
    for line_id, _tid, product_id, _qty, shipped, received, lost, cost in t_lines:
        take = wanted.pop(product_id, 0)
        if take == 0:
            continue
        if not isinstance(take, int) or take < 0 or take > shipped - received - lost:
            found.append(problem("quantity", "above_maximum", value=take, max=shipped - received - lost))
            continue
        drafts.append(MoveDraft(product_id, to, take, "transfer_in", unit_cost=cost, source_type=SOURCE,
                                source_id=transfer_id, note=number))  # fmt: skip
        updates.append({"lid": line_id, "q": take})
    found += [problem("product", "not_on_transfer", value=p) for p, q in wanted.items() if q]
    if found:
        raise ValidationError(found)
    done = {u["lid"]: u["q"] for u in updates}
    complete = all(ln[5] + ln[6] + done.get(ln[0], 0) >= ln[4] for ln in t_lines)
    _check(docs, transfer_id, "received" if complete else "partially_received")
    moves = record_moves(session, actor, drafts) if drafts else []
    table = TransferLine.__table__
    if updates:
        session.connection().execute(
            update(table).where(table.c.id == bindparam("lid")).values(received=table.c.received + bindparam("q")),
            updates)  # fmt: skip
    target = "received" if complete else "partially_received"
    _set_status(session, actor, docs, {transfer_id: target}, "receive",
                **({"closed_at": utcnow()} if complete else {}))  # fmt: skip
    return moves


def close_transfers(session: Session, actor: Actor, ids: Sequence[int], *, note: str = "") -> Decimal:
    """Close transfers that will receive nothing more: what is still in transit is recorded as lost.

    Emits ``stock.transferred`` with the value lost as ``discrepancy_base``; returns that value.
    """
    require(actor, "stock.move")
    docs = _load(session, ids)
    for i in ids:
        _check(docs, i, "closed")
    lines = _lines(session, ids)
    updates, lost_value = [], {}
    for tid in sorted(docs):
        for line_id, _t, _p, _q, shipped, received, lost, cost in lines.get(tid, []):
            missing = shipped - received - lost
            if missing:
                updates.append({"lid": line_id, "q": missing})
                lost_value[tid] = lost_value.get(tid, Decimal(0)) + missing * cost
    table = TransferLine.__table__
    if updates:
        session.connection().execute(
            update(table).where(table.c.id == bindparam("lid")).values(lost=table.c.lost + bindparam("q")), updates)  # fmt: skip
    _set_status(
        session,
        actor,
        docs,
        dict.fromkeys(sorted(docs), "closed"),
        "close",
        closed_at=utcnow(),
        note=note or Transfer.note,
    )
    day = business_date(session)
    events.emit(session, actor, [
        events.StockTransferred(
            source_type=SOURCE, source_id=tid, business_date=day, key=f"{SOURCE}:{tid}:closed",
            value_base=Decimal(0), from_warehouse_id=docs[tid][2], to_warehouse_id=docs[tid][3],
            discrepancy_base=value)
        for tid, value in sorted(lost_value.items())])  # fmt: skip
    return sum(lost_value.values(), Decimal(0))


def cancel_transfers(session: Session, actor: Actor, ids: Sequence[int]) -> int:
    """Cancel draft transfers (nothing has moved yet)."""
    require(actor, "stock.move")
    docs = _load(session, ids)
    _set_status(session, actor, docs, dict.fromkeys(sorted(docs), "cancelled"), "cancel")
    return len(docs)


def in_transit(session: Session, actor: Actor) -> dict[tuple[int, int], tuple[int, Decimal]]:
    """Units and value on the way, per (product_id, destination warehouse)."""
    require(actor, "stock.read")
    stmt = (select(TransferLine.product_id, Transfer.to_warehouse_id, TransferLine.shipped - TransferLine.received
                   - TransferLine.lost, TransferLine.unit_cost)
            .join(Transfer, Transfer.id == TransferLine.transfer_id)
            .where(Transfer.status.in_(("in_transit", "partially_received"))))  # fmt: skip
    out: dict[tuple[int, int], tuple[int, Decimal]] = {}
    for p, w, q, c in session.connection().execute(stmt):
        if q:
            units, value = out.get((p, w), (0, Decimal(0)))
            out[(p, w)] = (units + q, value + q * c)
    return out


def transfers_stmt():
    """The SELECT behind transfer lists: number, from and to warehouse, status, note; newest first."""
    from_wh, to_wh = Warehouse.__table__.alias("f"), Warehouse.__table__.alias("t")
    return (
        select(Transfer.id.label("id"), Transfer.number.label("number"), from_wh.c.code.label("from_warehouse"),
               to_wh.c.code.label("to_warehouse"), Transfer.status.label("status"), Transfer.note.label("note"))
        .join(from_wh, from_wh.c.id == Transfer.from_warehouse_id)
        .join(to_wh, to_wh.c.id == Transfer.to_warehouse_id)
        .order_by(Transfer.id.desc())
    )  # fmt: skip


def list_transfers(session: Session, actor: Actor, *, sort: str | None = None, descending: bool = False,
                   offset: int = 0, limit: int = 50) -> Page:  # fmt: skip
    """One page of transfers (:func:`transfers_stmt`), sorted and counted in the database."""
    require(actor, "stock.read")
    return paginate(session, sort_stmt(transfers_stmt(), sort, descending), offset=offset, limit=limit)
