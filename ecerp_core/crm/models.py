"""Tables of the customer area. Writes go through :mod:`ecerp_core.crm.services`,
:mod:`ecerp_core.crm.tickets` (the only writer of a ticket's status) and :mod:`ecerp_core.crm.tiers`."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecerp_core.db import Base, Timestamp, bigpk, created_at, intpk, updated_at
from ecerp_core.money import Money

TICKET_KINDS = ("inquiry", "complaint", "feedback")
"""咨询 / 投诉 / 反馈."""
CHANNELS = ("platform_chat", "phone", "email", "wechat", "review", "other")


class Ticket(Base):
    """An inquiry, complaint or feedback from a customer (咨询/投诉/反馈).

    order_id / sku: what it is about, when known; owner_id the user handling it.
    status follows :data:`ecerp_core.crm.tickets.TICKET`; due_at when it should be resolved by;
    resolved_at when it last was (cleared by a reopen); satisfaction 1-5 as the customer rated it.
    """

    __tablename__ = "crm_ticket"
    __table_args__ = (Index("ix_crm_ticket_status", "status", "due_at"),)

    id: Mapped[bigpk]
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20), default="other")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(String(1000), default="")
    owner_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="new")
    due_at: Mapped[Timestamp | None]
    resolved_at: Mapped[Timestamp | None]
    resolution: Mapped[str] = mapped_column(String(500), default="")
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class TicketEvent(Base):
    """The history of a ticket: each status change, by whom, when, with the note given."""

    __tablename__ = "crm_ticket_event"

    id: Mapped[bigpk]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("crm_ticket.id"), index=True)
    at: Mapped[Timestamp]
    actor_id: Mapped[int | None]
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")


class CustomerNote(Base):
    """A free note on a customer, by a member of staff."""

    __tablename__ = "crm_customer_note"

    id: Mapped[bigpk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    at: Mapped[created_at]
    actor_id: Mapped[int | None]
    text: Mapped[str] = mapped_column(String(1000))


class TierRule(Base):
    """A customer reaches ``tier`` with at least ``min_spend`` and ``min_orders`` over the last
    ``months`` (the highest tier reached wins; ``normal`` needs nothing)."""

    __tablename__ = "crm_tier_rule"

    tier: Mapped[str] = mapped_column(String(20), primary_key=True)
    min_spend: Mapped[Money] = mapped_column(default=Decimal("0"))
    min_orders: Mapped[int] = mapped_column(Integer, default=0)
    months: Mapped[int] = mapped_column(Integer, default=12)
    updated_at: Mapped[updated_at]


class TierChange(Base):
    """One change of a customer's tier and why: ``reason`` a catalogue key (``tier.reason.rules``,
    ``tier.reason.manual``), with the spend and order count the rules saw."""

    __tablename__ = "crm_tier_change"

    id: Mapped[bigpk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    at: Mapped[Timestamp]
    actor_id: Mapped[int | None]
    from_tier: Mapped[str] = mapped_column(String(20))
    to_tier: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(60))
    spend: Mapped[Money] = mapped_column(default=Decimal("0"))
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(300), default="")


class CustomerMerge(Base):
    """A reviewed merge of customer ``merged_id`` into ``kept_id``: what was moved, so it can be undone.

    account_ids / order_ids / ticket_ids / note_ids: the rows moved to the kept customer.
    undone_at: when the merge was undone (None while it stands).
    """

    __tablename__ = "crm_customer_merge"

    id: Mapped[intpk]
    kept_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    moved: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[Timestamp]
    actor_id: Mapped[int | None]
    undone_at: Mapped[Timestamp | None]
    undone_by: Mapped[int | None] = mapped_column(Integer)
