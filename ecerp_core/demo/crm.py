"""The demo's customer care: a few inquiries, complaints and feedback a day about recent orders,
worked through by the clerk (started, resolved with a satisfaction score, closed, now and then
reopened), and customer tiers recomputed on the first of each month and on the last day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from ecerp_core.crm import tickets, tiers
from ecerp_core.crm.models import Ticket
from ecerp_core.crm.rules import TierRuleValue
from ecerp_core.demo.context import DemoContext, DemoStep
from ecerp_core.orders.models import Order

SUBJECTS = {
    "complaint": ("物流太慢", "商品破损", "少发漏发", "质量问题", "颜色与图片不符"),
    "inquiry": ("什么时候发货", "尺码咨询", "能否开发票", "修改收货地址"),
    "feedback": ("包装很好", "希望增加颜色", "建议提供礼盒装"),
}
CHANNELS = ("platform_chat", "platform_chat", "phone", "wechat", "review")
RULES = (
    TierRuleValue("silver", Decimal("300"), 2),
    TierRuleValue("gold", Decimal("600"), 2),
    TierRuleValue("vip", Decimal("1000"), 3),
)
"""The demo company's tier rules: a small shop's buyers spend less than the defaults ask."""


def setup(ctx: DemoContext) -> None:
    tiers.set_tier_rules(ctx.session, ctx.admin, RULES)


def tickets_day(ctx: DemoContext, day: dt.date) -> None:
    """17:00: new tickets about orders shipped in the last week; yesterday's are worked through."""
    rng = ctx.data.setdefault("crm_rng", ctx.rng_for("crm"))
    clerk = ctx.users["clerk"]
    session = ctx.session
    recent = list(
        session.scalars(
            select(Order.id)
            .where(
                Order.status.in_(("shipped", "finished")),
                Order.shipped_at >= ctx.at(day - dt.timedelta(days=7)),
                Order.customer_id.is_not(None),
            )
            .order_by(Order.id)
        )
    )
    count = rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0] if recent else 0
    drafts = []
    for _ in range(count):
        kind = rng.choices(tuple(SUBJECTS), weights=(5, 3, 2))[0]
        drafts.append(
            tickets.TicketDraft(
                kind,
                rng.choice(SUBJECTS[kind]),
                order_id=rng.choice(recent),
                channel=rng.choice(CHANNELS),
                owner="clerk",
            )
        )
    if drafts:
        tickets.add_tickets(session, clerk, drafts)
    cutoff = ctx.at(day - dt.timedelta(days=1), 17 * 60)
    waiting = session.execute(
        select(Ticket.id, Ticket.status)
        .where(Ticket.created_at <= cutoff, Ticket.status != "closed")
        .order_by(Ticket.id)
    ).all()
    for ticket_id, status in waiting:
        roll = rng.random()
        if status == "new" and roll < 0.3:
            tickets.start_tickets(session, clerk, [ticket_id], "已联系客户")
        elif status in ("new", "in_progress") and roll < 0.9:
            tickets.resolve_tickets(
                session,
                clerk,
                [ticket_id],
                "已处理",
                satisfaction=rng.choices((5, 4, 3, 2), (50, 30, 15, 5))[0],
            )
        elif status == "resolved" and roll < 0.08:
            tickets.reopen_tickets(session, clerk, [ticket_id], "客户仍不满意")
        elif status == "resolved":
            tickets.close_tickets(session, clerk, [ticket_id])


def tiers_day(ctx: DemoContext, day: dt.date) -> None:
    """23:50 on the 1st and on the last day: the tier rules run over the last 12 months."""
    if day.day == 1 or day == ctx.end:
        tiers.recompute_tiers(ctx.session, ctx.admin, as_of=day)


STEP = DemoStep("crm", setup, daily=((17 * 60, tickets_day), (23 * 60 + 50, tiers_day)))
