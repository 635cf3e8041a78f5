"""The Customers app's state and its calls into the CRM services. No widgets here."""

from __future__ import annotations

import io

from ecerp_core.catalog.company import company_timezone
from ecerp_core.crm import merges, rfm, services, tickets, tiers
from ecerp_core.query import Page
from widgets.common.actor import AppContext
from widgets.common.grid import PageRequest


class CustomersModel:
    """Filters of each tab, the customer open in the 360 view, and the last segmentation."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.search = ""
        self.tier: str | None = None
        self.ticket_kind: str | None = None
        self.ticket_status: str | None = "open"
        self.customer: dict | None = None
        self.ticket_id: int | None = None
        self.ticket: dict | None = None
        self.segments: list[dict] = []
        self.silhouette: float | None = None
        self.last_changes: list[dict] = []

    def can(self, permission: str) -> bool:
        return self.ctx.actor.can(permission)

    # --- customers and the 360 view --------------------------------------------------------------
    def fetch_customers(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            return services.list_customers(
                session,
                self.ctx.actor,
                search=self.search,
                tier=self.tier,
                sort=request.sort or "spend",
                descending=request.descending if request.sort else True,
                offset=request.offset,
                limit=request.limit,
            )

    def open(self, code: str) -> dict:
        with self.ctx.session(readonly=True) as session:
            self.customer = services.customer_360(session, self.ctx.actor, code)
            tz = company_timezone(session)
        for rows in (self.customer["tickets"], self.customer["notes"], self.customer["tier_history"]):
            for r in rows:
                for key in ("at", "created_at"):
                    if r.get(key):
                        r[key] = r[key].astimezone(tz).replace(tzinfo=None, microsecond=0)
        return self.customer

    def reopen(self) -> None:
        if self.customer:
            self.open(self.customer["code"])

    def add_note(self, text: str) -> None:
        with self.ctx.session() as session:
            services.add_note(session, self.ctx.actor, self.customer["code"], text)
        self.reopen()

    # --- tickets ---------------------------------------------------------------------------------
    def fetch_tickets(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            page = tickets.list_tickets(
                session,
                self.ctx.actor,
                kind=self.ticket_kind,
                status=self.ticket_status,
                search=self.search,
                sort=request.sort,
                descending=request.descending,
                offset=request.offset,
                limit=request.limit,
            )
            tz = company_timezone(session)
        for r in page.rows:
            for key in ("created_at", "due_at", "resolved_at"):
                if r[key]:
                    r[key] = r[key].astimezone(tz).replace(tzinfo=None, microsecond=0, second=0)
        return page

    def add_ticket(self, kind: str, subject: str, customer: str, order: str, channel: str) -> int:
        draft = tickets.TicketDraft(
            kind, subject.strip(), customer=customer.strip(), order=order.strip(), channel=channel
        )
        with self.ctx.session() as session:
            [ticket_id] = tickets.add_tickets(session, self.ctx.actor, [draft])
        self.open_ticket(ticket_id)
        self.reopen()
        return ticket_id

    def open_ticket(self, ticket_id: int) -> dict:
        with self.ctx.session(readonly=True) as session:
            self.ticket = tickets.get_ticket(session, self.ctx.actor, ticket_id)
        self.ticket_id = ticket_id
        return self.ticket

    def move_ticket(self, target: str, note: str = "", satisfaction: int | None = None) -> None:
        with self.ctx.session() as session:
            tickets.move_tickets(
                session, self.ctx.actor, [self.ticket_id], target, note=note, satisfaction=satisfaction
            )
        self.open_ticket(self.ticket_id)
        self.reopen()

    # --- tiers -----------------------------------------------------------------------------------
    def tier_summary(self) -> tuple[dict[str, int], list, int]:
        with self.ctx.session(readonly=True) as session:
            rules, months = tiers.tier_rules(session, self.ctx.actor)
            return tiers.tier_counts(session, self.ctx.actor), rules, months

    def recompute_tiers(self) -> list[dict]:
        with self.ctx.session() as session:
            self.last_changes = tiers.recompute_tiers(session, self.ctx.actor)
        self.reopen()
        return self.last_changes

    # --- segments --------------------------------------------------------------------------------
    def segment(self, method: str = "rfm", clusters: int = 4) -> dict[str, int]:
        with self.ctx.session(readonly=True) as session:
            self.segments = rfm.rfm_table(session, self.ctx.actor)
        self.silhouette = rfm.kmeans_segments(self.segments, clusters) if method == "kmeans" else None
        return rfm.segment_counts(self.segments)

    def export(self, segment: str | None, fmt: str) -> tuple[bytes, int]:
        """The marketing list of ``segment`` (all when None) as CSV or XLSX bytes, and its size."""
        buffer = io.BytesIO()
        n = rfm.export_segment(self.segments, buffer, fmt, segment=segment, language=self.ctx.i18n.language)
        return buffer.getvalue(), n

    # --- merges ----------------------------------------------------------------------------------
    def suggestions(self) -> list[dict]:
        with self.ctx.session(readonly=True) as session:
            return merges.merge_suggestions(session, self.ctx.actor, limit=50)

    def merge(self, kept: str, merged: str) -> int:
        with self.ctx.session() as session:
            return merges.merge_customers(session, self.ctx.actor, kept, merged, "reviewed in the app")

    def merges(self) -> list[dict]:
        with self.ctx.session(readonly=True) as session:
            return merges.list_merges(session, self.ctx.actor, limit=20)

    def undo_merge(self, merge_id: int) -> None:
        with self.ctx.session() as session:
            merges.undo_merge(session, self.ctx.actor, merge_id)
