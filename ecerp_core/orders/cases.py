"""After-sales cases (售后单): refund only, return and refund, exchange, reship — a state machine
with the platforms' refund states mapped onto it.

``requested -> approved -> [waiting_return -> received ->] done``; any open case may be
``rejected``; a platform closing the dispute closes the case. Money goes back through
:func:`ecerp_core.orders.aftersales.refund_orders` (which emits ``sale.refunded``); goods come
back to a chosen warehouse as sellable or damaged; exchange and reship create a new zero-priced
order that runs through the pipeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date
from ecerp_core.catalog.models import Product, Warehouse
from ecerp_core.db import among, for_update, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.events import SaleRefunded, emit
from ecerp_core.i18n import lazy
from ecerp_core.orders import returns, workflow
from ecerp_core.orders.aftersales import refund_orders
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import (
    CASE_KINDS,
    REFUND_KINDS,
    RESEND_KINDS,
    RETURN_KINDS,
    AfterSale,
    Order,
    OrderLine,
)
from ecerp_core.orders.returns import AFTER_SHIPPING, BEFORE_SHIPPING, CONDITIONS, RefundDraft
from ecerp_core.orders.workflow import Happened
from ecerp_core.workflow import Workflow

CASE_STATUSES = ("requested", "approved", "waiting_return", "received", "done", "rejected", "closed")
CASE = Workflow(
    "case",
    frozenset({
        ("requested", "approved"), ("requested", "rejected"), ("requested", "closed"),
        ("approved", "waiting_return"), ("approved", "done"),
        ("approved", "closed"), ("approved", "rejected"),
        ("waiting_return", "received"), ("waiting_return", "closed"), ("waiting_return", "rejected"),
        ("received", "done"), ("received", "rejected"),
    }),
    label="case",
)  # fmt: skip
"""The after-sales case workflow, declared once; :func:`advance_cases` is the only writer of a
case's status."""
PLATFORM_STATES = {
    # Taobao / TOP refund_status
    "WAIT_SELLER_AGREE": "requested", "WAIT_BUYER_RETURN_GOODS": "waiting_return",
    "WAIT_SELLER_CONFIRM_GOODS": "received", "SELLER_REFUSE_BUYER": "rejected",
    "CLOSED": "closed", "SUCCESS": "done",
    # Pinduoduo refund_status / 售后状态
    "售后处理中": "requested", "退款中": "approved", "退款成功": "done", "无售后或售后取消": "closed",
    # Shopify financial status / WooCommerce
    "partially_refunded": "done", "refunded": "done",
}  # fmt: skip
"""A platform's refund state -> our case status."""


def case_actions(kind: str, status: str) -> list[str]:
    """What a clerk may do next with a case (the After-sales tab's buttons).

    ``approve`` also asks for the goods back on returns and exchanges; ``complete`` refunds
    (refund kinds) or sends the goods again (exchange, reship).

    >>> case_actions("return_refund", "requested")
    ['approve', 'reject', 'close']
    >>> case_actions("exchange", "waiting_return")
    ['receive', 'close']
    """
    goods_back = kind in RETURN_KINDS
    return {
        "requested": ["approve", "reject", "close"],
        "approved": ["receive", "close"] if goods_back else ["complete", "reject", "close"],
        "waiting_return": ["receive", "close"],
        "received": ["complete", "reject"],
    }.get(status, [])


def open_case(
    session: Session,
    actor: Actor,
    order_id: int,
    kind: str,
    *,
    amount: Decimal = Decimal(0),
    lines: Sequence[tuple[int, int]] = (),
    reason: str = "",
    warehouse_id: int | None = None,
    condition: str = "sellable",
    platform_status: str = "",
) -> int:
    """Open a case on a paid or shipped order; ``lines`` are ``(line_no, qty)`` coming back or resent."""
    require(actor, "orders.aftersales")
    order = session.get(Order, order_id)
    found = []
    if order is None:
        raise ValidationError([problem("order", "unknown_ref", value=order_id)])
    if kind not in CASE_KINDS:
        found.append(problem("kind", "not_a_choice", value=kind, choices=", ".join(CASE_KINDS)))
    if condition not in CONDITIONS:
        found.append(problem("condition", "not_a_choice", value=condition, choices=", ".join(CONDITIONS)))
    if order.status not in BEFORE_SHIPPING + AFTER_SHIPPING:
        found.append(problem("status", "not_refundable", value=order.platform_order_id))
    if kind in REFUND_KINDS and not (Decimal(0) < amount <= order.paid_amount - order.refunded_amount):
        found.append(
            problem("amount", "above_maximum", value=amount, max=order.paid_amount - order.refunded_amount)
        )
    found += _line_problems(session, order, lines)
    if found:
        raise ValidationError(found)
    case = AfterSale(
        order_id=order_id,
        kind=kind,
        status=PLATFORM_STATES.get(platform_status, "requested"),
        amount=amount,
        warehouse_id=warehouse_id,
        condition=condition,
        lines=[list(x) for x in lines],
        platform_status=platform_status,
        reason=reason,
        actor_id=actor.id,
    )
    session.add(case)
    session.flush()
    _record(session, actor, [(order_id, f"case:{kind}")], reason)
    audit.record(
        session,
        actor,
        "open_case",
        "after_sale",
        case.id,
        {"order_id": order_id, "kind": kind, "amount": amount},
    )
    return case.id


def lines_by_sku(session: Session, order_id: int, items: Sequence[tuple[str, int]]) -> list[tuple[int, int]]:
    """A case's lines named by SKU: ``(sku, qty)`` -> ``(line_no, qty)`` on the order's lines (our SKU
    or the platform's). A SKU the order does not hold is a problem; nothing is returned then.
    E.g. ``lines_by_sku(session, order_id, [("MUG-1", 2)])`` is ``[(1, 2)]`` when line 1 holds mugs.
    """
    stmt = (
        select(OrderLine.line_no, OrderLine.platform_sku, Product.sku)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.line_no)
    )
    line_of: dict[str, int] = {}
    for no, platform_sku, sku in session.execute(stmt):
        for code in (sku, platform_sku):
            if code:
                line_of.setdefault(code, no)
    found = [problem("lines", "unknown_ref", value=sku) for sku, _ in items if sku not in line_of]
    if found:
        raise ValidationError(found)
    return [(line_of[sku], qty) for sku, qty in items]


def _line_problems(session: Session, order: Order, lines: Sequence[tuple[int, int]]) -> list:
    """A case's ``(line_no, qty)``: each a line of the order, at most its quantity, once."""
    quantities = dict(
        session.execute(
            select(OrderLine.line_no, OrderLine.quantity).where(OrderLine.order_id == order.id)
        ).all()
    )
    found, seen = [], set()
    for no, qty in lines:
        if no not in quantities or no in seen:
            found.append(problem("lines", "no_such_line", value=no, order=order.platform_order_id))
        elif not (isinstance(qty, int) and 0 < qty <= quantities[no]):
            found.append(problem("quantity", "above_maximum", value=f"#{no}: {qty}", max=quantities[no]))
        seen.add(no)
    return found


def _case_returns(case: AfterSale, skus: dict[tuple[int, int], str]) -> tuple[tuple[str, int], ...]:
    """The ``(sku, qty)`` a case's lines bring back (``skus``: (order, line_no) -> SKU)."""
    return tuple((skus[(case.order_id, no)], qty) for no, qty in case.lines if (case.order_id, no) in skus)


def _line_skus(session: Session, order_ids: set[int]) -> dict[tuple[int, int], str]:
    stmt = (
        select(OrderLine.order_id, OrderLine.line_no, Product.sku)
        .join(Product, Product.id == OrderLine.product_id)
        .where(among(session, OrderLine.order_id, sorted(order_ids)))
    )
    return {(oid, no): sku for oid, no, sku in session.execute(stmt)}


def advance_case(
    session: Session,
    actor: Actor,
    case_id: int,
    target: str,
    *,
    note: str = "",
    business_date: dt.date | None = None,
) -> str:
    """Move a case along :data:`CASE`; reaching ``done`` carries out its kind."""
    return advance_cases(session, actor, [case_id], target, note=note, business_date=business_date)[case_id]


def advance_cases(
    session: Session,
    actor: Actor,
    case_ids: Sequence[int],
    target: str,
    *,
    note: str = "",
    business_date: dt.date | None = None,
) -> dict[int, str]:
    """Move several cases to ``target`` at once (a clerk's batch action); all or nothing.

    Reaching ``done`` carries out each case's kind: the refunds go through one
    :func:`~ecerp_core.orders.aftersales.refund_orders`, the goods to send again become new orders
    in one import; refunds and returned goods are dated ``business_date`` (default: today).
    Returns ``{case_id: status}``.
    """
    require(actor, "orders.aftersales")
    ids = list(dict.fromkeys(case_ids))
    found = {c.id: c for c in session.scalars(select(AfterSale).where(among(session, AfterSale.id, ids)))}
    unknown = [problem("case", "unknown_ref", value=i) for i in ids if i not in found]
    if unknown:
        raise ValidationError(unknown)
    CASE.check((i, found[i].status, target) for i in ids)
    chosen = [found[i] for i in ids]
    if target == "done":
        _complete(session, actor, chosen, business_date)
    now = utcnow()
    for case in chosen:
        case.status, case.updated_at = target, now
    session.flush()
    _record(session, actor, [(c.order_id, f"case:{target}") for c in chosen], note)
    audit.record_many(session, actor, target, "after_sale", [(c.id, {"note": note}) for c in chosen])
    return {c.id: c.status for c in chosen}


def receive_return(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    warehouse_id: int,
    condition: str = "sellable",
    lines: Sequence[tuple[int, int]] | None = None,
    note: str = "",
) -> str:
    """The goods of a return or exchange arrived: they go to ``warehouse_id`` as ``condition``.

    ``lines`` (``(line_no, qty)``, a zero quantity meaning none of that line) say what actually
    arrived, replacing what the case was opened with; None keeps those. Moves the case
    ``waiting_return -> received``; completing it (``done``) books exactly those goods there.
    """
    require(actor, "orders.aftersales")
    case = session.get(AfterSale, case_id)
    found = []
    if case is None:
        raise ValidationError([problem("case", "unknown_ref", value=case_id)])
    if condition not in CONDITIONS:
        found.append(problem("condition", "not_a_choice", value=condition, choices=", ".join(CONDITIONS)))
    if session.get(Warehouse, warehouse_id) is None:
        found.append(problem("warehouse", "unknown_ref", value=warehouse_id))
    arrived = [(no, qty) for no, qty in lines or () if qty != 0]
    if lines is not None:
        found += _line_problems(session, session.get(Order, case.order_id), arrived)
        if not arrived:
            found.append(problem("lines", "required"))
    if found:
        raise ValidationError(found)
    case.warehouse_id, case.condition = warehouse_id, condition
    if lines is not None:
        case.lines = [list(x) for x in arrived]
    return advance_case(session, actor, case_id, "received", note=note)


def sync_platform_state(session: Session, actor: Actor, case_id: int, platform_status: str) -> str:
    """Follow the platform's refund state (``SUCCESS``, ``退款成功`` ...) as far as it allows."""
    case = session.get(AfterSale, case_id)
    target = PLATFORM_STATES.get(platform_status)
    case.platform_status = platform_status
    if target and target != case.status and CASE.allows(case.status, target):
        return advance_case(session, actor, case_id, target, note=platform_status)
    return case.status


def _complete(
    session: Session, actor: Actor, chosen: Sequence[AfterSale], day: dt.date | None = None
) -> None:
    stmt = (
        select(Order).where(among(session, Order.id, sorted({c.order_id for c in chosen}))).order_by(Order.id)
    )
    # read afresh (refunds and shipping change orders with Core statements the identity map never
    # sees) and locked, as refunds lock them: what an exchange takes back counts what came back before
    stmt = for_update(stmt, session).execution_options(populate_existing=True)
    orders = {o.id: o for o in session.scalars(stmt)}
    refunds = [c for c in chosen if c.kind in REFUND_KINDS]
    skus = _line_skus(session, {c.order_id for c in chosen if c.lines})
    drafts = []
    for case in refunds:
        order = orders[case.order_id]
        shipped = order.status in AFTER_SHIPPING
        amount = case.amount if shipped else order.paid_amount - order.refunded_amount
        back = case.kind == "return_refund" and shipped
        drafts.append(
            RefundDraft(
                order.id,
                amount,
                # a case's lines say what comes back; without lines, everything not back yet
                with_return=back and not case.lines,
                returns=_case_returns(case, skus) if back else (),
                reason=case.reason,
                warehouse_id=case.warehouse_id,
                condition=case.condition,
                business_date=day,
            )
        )
    if drafts:
        for case, refund_id in zip(refunds, refund_orders(session, actor, drafts), strict=True):
            case.refund_id = refund_id
    resends = [c for c in chosen if c.kind in RESEND_KINDS]
    if resends:
        _resend(session, actor, orders, resends, skus, day)


def _resend(
    session: Session,
    actor: Actor,
    orders: dict[int, Order],
    resends: Sequence[AfterSale],
    line_skus: dict[tuple[int, int], str],
    day: dt.date | None,
) -> None:
    """Zero-priced paid orders with the lines to send again (exchange or reship)."""
    lines: dict[int, dict[int, OrderLine]] = {}
    for x in session.scalars(
        select(OrderLine).where(among(session, OrderLine.order_id, {c.order_id for c in resends}))
    ):
        lines.setdefault(x.order_id, {})[x.line_no] = x
    skus = dict(
        session.execute(
            select(Product.id, Product.sku).where(
                among(
                    session,
                    Product.id,
                    {x.product_id for ls in lines.values() for x in ls.values() if x.product_id},
                )
            )
        ).all()
    )
    drafts = []
    for case in resends:
        order, mine = orders[case.order_id], lines.get(case.order_id, {})
        wanted = [(no, qty) for no, qty in case.lines] or [(no, x.quantity) for no, x in mine.items()]
        items = tuple(
            OrderLineDraft(
                skus.get(mine[no].product_id) or mine[no].platform_sku, qty, Decimal(0), Decimal(0)
            )
            for no, qty in wanted
        )
        number = f"{order.platform_order_id}#{'X' if case.kind == 'exchange' else 'R'}{case.id}"[:64]
        drafts.append(
            OrderDraft(
                order.shop_id,
                number,
                "paid",
                utcnow(),
                order.currency,
                items,
                Decimal(0),
                Decimal(0),
                buyer_id=order.buyer_id,
                receiver_name=order.receiver_name,
                receiver_phone=order.receiver_phone,
                region=order.region,
                city=order.city,
                address=order.address,
                country=order.country,
                note=f"{case.kind} #{case.id}",
            )
        )
    new_ids = import_order_drafts(session, actor, drafts).order_ids
    reasons = workflow.reasons_of(session, new_ids)
    # a resend is zero-priced on purpose; only the other reasons (an unmapped SKU ...) hold it
    floor = {
        i: [r for r in codes if r != "below_price_floor"]
        for i, codes in reasons.items()
        if "below_price_floor" in codes
    }
    if floor:
        workflow.set_exceptions(session, actor, floor, "resend")
    for case, oid in zip(resends, new_ids, strict=True):
        case.new_order_id = oid
    back = [
        c for c in resends if c.kind == "exchange" and c.lines and orders[c.order_id].status in AFTER_SHIPPING
    ]
    if back:
        _exchange_return(session, actor, orders, back, line_skus, day)


def _exchange_return(
    session: Session,
    actor: Actor,
    orders: dict[int, Order],
    back: Sequence[AfterSale],
    line_skus: dict[tuple[int, int], str],
    day: dt.date | None,
) -> None:
    """The exchanged goods come back as a return does — the case's lines, at the cost they left with,
    no more than shipped less what came back (damaged: written off at once) — and finance hears of
    it as a refund of nothing with goods returned, so their cost leaves 主营业务成本."""
    today = day or business_date(session)
    drafts = [
        RefundDraft(
            c.order_id,
            Decimal(0),
            returns=_case_returns(c, line_skus),
            warehouse_id=c.warehouse_id or orders[c.order_id].warehouse_id,
            condition=c.condition,
        )
        for c in back
    ]
    found: list = []
    plans = returns.plan_returns(session, orders, drafts, found)
    if found:
        raise ValidationError(found)
    notes = [f"exchange #{c.id}" for c in back]
    returns.return_goods(session, actor, drafts, plans, [today] * len(drafts), notes)
    events = []
    for case, draft, plan in zip(back, drafts, plans, strict=True):
        order = orders[case.order_id]
        goods, value = returns.returned_goods(plan, case.condition)
        damaged = case.condition == "damaged"
        events.append(
            SaleRefunded(
                source_type="after_sale",
                source_id=case.id,
                business_date=today,
                key=f"after_sale:{case.id}:exchange_return",
                order_id=order.id,
                shop_id=order.shop_id,
                platform=order.platform,
                currency=order.currency,
                refund_amount=Decimal(0),
                returned=True,
                cost_base=Decimal(0) if damaged else value,
                damaged_cost_base=value if damaged else Decimal(0),
                warehouse_id=draft.warehouse_id,
                returns=goods,
            )
        )
    emit(session, actor, events)


def _record(session: Session, actor: Actor, items: Sequence[tuple[int, str]], note: str) -> None:
    """One line of history per ``(order_id, event)``; the order's status stays as it is now."""
    now_in = workflow.statuses(session, {oid for oid, _ in items})
    workflow.record(session, actor, [Happened(oid, now_in[oid], event, note) for oid, event in items])


def act_on_case(
    session: Session,
    actor: Actor,
    case_id: int,
    action: str,
    *,
    warehouse_id: int | None = None,
    condition: str = "sellable",
    lines: Sequence[tuple[int, int]] | None = None,
    note: str = "",
    business_date: dt.date | None = None,
) -> str:
    """Carry out a clerk's ``action`` (one of :func:`case_actions` for the case now) and return its status.

    ``approve`` on a return or an exchange goes on to ``waiting_return``: the buyer sends the goods.
    ``receive`` books them to ``warehouse_id`` (default: the one named when the case was opened) as
    ``condition``, first asking for them when the case was only ``approved`` (a platform can approve
    a return without asking); ``lines`` say what arrived (see :func:`receive_return`). ``complete``
    refunds or sends again, dated ``business_date`` (default: today); ``reject`` and ``close`` end it.
    """
    require(actor, "orders.aftersales")
    case = session.get(AfterSale, case_id)
    if case is None:
        raise ValidationError([problem("case", "unknown_ref", value=case_id)])
    if action not in case_actions(case.kind, case.status):
        raise ValidationError(
            [
                problem(
                    "case",
                    "action_not_allowed",
                    value=case_id,
                    status=lazy(f"case.{case.status}"),
                    action=lazy(f"orders.case.action.{action}"),
                )
            ]
        )
    if action == "approve":
        status = advance_case(session, actor, case_id, "approved", note=note)
        if case.kind in RETURN_KINDS:
            status = advance_case(session, actor, case_id, "waiting_return", note=note)
        return status
    if action == "receive":
        warehouse_id = warehouse_id or case.warehouse_id
        if warehouse_id is None:
            raise ValidationError([problem("warehouse", "required")])
        if case.status == "approved":
            advance_case(session, actor, case_id, "waiting_return", note=note)
        return receive_return(
            session, actor, case_id, warehouse_id=warehouse_id, condition=condition, lines=lines, note=note
        )
    return advance_case(
        session,
        actor,
        case_id,
        {"complete": "done", "reject": "rejected", "close": "closed"}[action],
        note=note,
        business_date=business_date,
    )
