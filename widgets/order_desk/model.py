"""The Order Desk's state and its calls into the orders services. No widgets here.

The model knows the queue on screen, the filters, the open order and the scope of a batch action
(the open order, the page, or everything the filters match); every action runs in one session
that commits once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from ecerp_core.auth import order_handlers
from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.company import company_timezone
from ecerp_core.connectors.files import PLATFORMS, import_files
from ecerp_core.errors import NotFound
from ecerp_core.i18n import set_language, t
from ecerp_core.orders import batch, cases, merge, review, services
from ecerp_core.orders.aftersales import RefundDraft, refund_details, refund_orders
from ecerp_core.orders.queries import (
    QUEUES,
    OrderFilter,
    case_detail,
    list_cases,
    list_orders,
    order_detail,
    order_ids,
    order_numbers,
)
from ecerp_core.orders.workflow import STATUSES
from ecerp_core.query import Page
from widgets.common.actor import AppContext
from widgets.common.grid import Column, PageRequest

COLUMNS = (
    Column("platform_order_id", "field.platform_order_id"),
    Column("shop", "field.shop"),
    Column("status", "field.status"),
    Column("receiver_name", "orders.col.receiver"),
    Column("region", "field.region"),
    Column("total_amount", "field.total_amount", "right"),
    Column("currency", "field.currency"),
    Column("created_at", "field.created_at"),
    Column("reason", "orders.col.reason"),
    Column("assignee", "orders.col.assignee"),
)
ACTIONS = {  # action -> queues where it is offered
    "approve": ("review",),
    "auto_review": ("review",),
    "hold": ("review", "to_ship"),
    "release": ("exceptions",),
    "clear": ("exceptions",),
    "assign": ("review", "exceptions"),
    "merge": ("review",),
    "cancel": ("review", "exceptions", "to_ship"),
    "pick_list": ("to_ship",),
    "ship": ("to_ship",),
}
ACTION_PERMISSIONS = {"pick_list": "orders.read", "ship": "orders.ship"}
"""What a role needs to be offered an action (the rest: ``orders.review``); the services enforce."""
MAX_BATCH = 10_000
MAX_SHOPS = 1000
CASE_COLUMNS = (
    Column("platform_order_id", "field.platform_order_id"),
    Column("shop", "field.shop"),
    Column("kind", "orders.case.kind"),
    Column("status", "field.status"),
    Column("amount", "field.amount", "right"),
    Column("currency", "field.currency"),
    Column("reason", "orders.col.reason"),
    Column("warehouse", "field.warehouse"),
    Column("created_at", "field.created_at"),
)


class OrderDeskModel:
    """What the Order Desk shows and does, for one user."""

    def __init__(self, ctx: AppContext, queue: str = "review") -> None:
        self.ctx = ctx
        self.queue = queue
        self.filters = OrderFilter()
        self.order: dict | None = None
        self.last_page: Page = Page([], 0, 0, 50)
        self.case_queue = "open"
        self.case_search = ""
        self.case: dict | None = None

    # --- reading --------------------------------------------------------------------------------
    def select_queue(self, queue: str) -> None:
        if queue not in QUEUES:
            raise ValueError(queue)
        self.queue = queue
        self.order = None

    def fetch(self, request: PageRequest) -> Page:
        """One page of the queue; statuses and reasons in the user's language."""
        lang = self.ctx.i18n.language
        with self.ctx.session(readonly=True) as session:
            self.tz = company_timezone(session)
            page = list_orders(
                session,
                self.ctx.actor,
                self.queue,
                self.filters,
                sort=request.sort,
                descending=request.descending,
                offset=request.offset,
                limit=request.limit,
            )
        rows = []
        for r in page.rows:
            reasons = [t(f"exception.{x}", lang) for x in r["exceptions"]]
            if r["on_hold"]:
                reasons.append(t("exception.hold", lang))
            rows.append(
                {
                    **r,
                    "status": t(f"status.{r['status']}", lang),
                    "reason": "、".join(reasons),
                    "created_at": r["created_at"].astimezone(self.tz),
                }
            )
        self.last_page = replace(page, rows=rows)
        return self.last_page

    def open(self, order_id: int) -> dict:
        with self.ctx.session(readonly=True) as session:
            self.order = order_detail(session, self.ctx.actor, int(order_id))
            tz = company_timezone(session)
        for h in self.order["history"]:
            h["at"] = h["at"].astimezone(tz)
        return self.order

    def refund(
        self,
        amount: Decimal | None,
        returns: list[tuple[str, int]],
        *,
        condition: str = "sellable",
        warehouse_id: int | None = None,
        reason: str = "",
        dry_run: bool = False,
    ) -> dict:
        """Refund the open order (see :func:`ecerp_core.orders.aftersales.refund_orders`) with the
        ``(sku, qty)`` that come back; returns what was refunded and returned. ``dry_run``: what it
        would refund (the default amount included), the same checks run, everything rolled back."""
        if not self.order:
            raise ValueError("no order open")
        draft = RefundDraft(
            self.order["id"],
            amount,
            returns=tuple(returns),
            condition=condition,
            warehouse_id=warehouse_id,
            reason=reason,
        )
        with self.ctx.session(readonly=dry_run) as session:  # a read-only session never commits
            [refund_id] = refund_orders(session, self.ctx.actor, [draft])
            [done] = refund_details(session, self.ctx.actor, [refund_id])
        if not dry_run:
            self.open(self.order["id"])
        return done

    def shops(self) -> list[tuple[str, int]]:
        with self.ctx.session(readonly=True) as session:
            return catalog.choices(session, self.ctx.actor, "shop", separator=" · ")

    def import_shops(self) -> list[tuple[str, str]]:
        """``[("code · name", code)]`` of the active shops, for the import card (imports name shops
        by code)."""
        with self.ctx.session(readonly=True) as session:
            page = catalog.list_records(session, self.ctx.actor, "shop", limit=MAX_SHOPS)
        return [(f"{r['code']} · {r['name']}", r["code"]) for r in page.rows]

    def users(self) -> list[str]:
        """Whom orders can be assigned to."""
        with self.ctx.session(readonly=True) as session:
            return order_handlers(session, self.ctx.actor)

    @staticmethod
    def platforms() -> tuple[str, ...]:
        return ("taobao", "tmall", "jd", "pdd", "shopify", "woocommerce", "other")

    @staticmethod
    def statuses() -> tuple[str, ...]:
        return STATUSES

    def actions(self) -> list[str]:
        can = self.ctx.actor.can
        return [
            a
            for a, queues in ACTIONS.items()
            if self.queue in queues and can(ACTION_PERMISSIONS.get(a, "orders.review"))
        ]

    def target_ids(self, scope: str) -> list[int]:
        """The orders a batch action acts on: ``open`` order, this ``page``, or ``all`` filtered."""
        if scope == "open":
            return [self.order["id"]] if self.order else []
        if scope == "page":
            return [r["id"] for r in self.last_page.rows]
        with self.ctx.session(readonly=True) as session:
            return order_ids(session, self.ctx.actor, self.queue, self.filters, limit=MAX_BATCH)

    # --- writing --------------------------------------------------------------------------------
    def run(
        self,
        action: str,
        ids: list[int],
        *,
        progress: Callable[[int, int], None] | None = None,
        user: str | None = None,
        carrier: str = "",
        tracking: str = "",
        reason: str = "",
        shared_tracking: bool = False,
    ) -> dict:
        """Carry out a batch action on ``ids``; returns ``{"done": n, ...}`` for the message."""
        actor = self.ctx.actor
        with self.ctx.session() as session:
            if action in ("approve", "auto_review"):
                why: dict[int, list[str]] = {}  # order -> review reason codes
                if action == "approve":
                    done = batch.in_chunks(
                        ids,
                        lambda c: services.approve_orders(session, actor, c, on_short="skip", skipped=why),
                        progress,
                    )
                    approved = sum(len(x) for x in done)
                else:
                    r = review.auto_review(session, actor, ids)
                    approved, why = len(r["approved"]), r["waiting"]
                result = {"done": approved, "skipped": len(why), "skipped_rows": self._skipped(session, why)}
            elif action in ("hold", "release"):
                result = {
                    "done": batch.hold_orders(session, actor, ids, hold=action == "hold", reason=reason)
                }
            elif action == "clear":
                result = {"done": review.clear_exceptions(session, actor, ids, note=reason)}
            elif action == "assign":
                result = {"done": len(review.assign_orders(session, actor, ids, user=user or None))}
            elif action == "merge":
                groups = [g for g in merge.merge_groups(session, actor) if set(g) & set(ids)]
                for g in groups:
                    merge.merge_orders(session, actor, g)
                result = {"done": len(groups)}
            elif action == "cancel":
                result = {"done": services.cancel_orders(session, actor, ids, reason=reason)}
            elif action == "ship":
                result = {
                    "done": batch.ship_with_tracking(
                        session,
                        actor,
                        [(i, carrier, tracking) for i in ids],
                        progress=progress,
                        shared_tracking=shared_tracking,
                    )
                }
            elif action == "pick_list":
                sheet = batch.pick_sheet(session, actor, ids, self.ctx.i18n.language)
                result = {"done": len(ids), "html": sheet["html"], "csv": sheet["csv"]}
            else:
                raise ValueError(action)
        if self.order:
            self.open(self.order["id"])
        return result

    def _skipped(self, session, why: dict[int, list[str]]) -> list[dict]:
        """Each skipped order by its number, with why it was skipped in the user's language."""
        numbers = order_numbers(session, self.ctx.actor, list(why))
        lang = self.ctx.i18n.language
        return [
            {"order": numbers[i], "reason": "、".join(t(f"review.{code}", lang) for code in codes)}
            for i, codes in sorted(why.items(), key=lambda item: numbers[item[0]])
        ]

    def ship_tracking_file(self, name: str, content: bytes) -> dict:
        with self.ctx.session() as session:
            return batch.ship_from_tracking_file(session, self.ctx.actor, (name, content))

    def import_files(
        self, platform: str, shop: str | None, files: list[tuple[str, bytes]], history: bool = False
    ) -> dict:
        """Import uploaded export files into ``shop`` (a code; None: the platform's only shop); returns
        the summary (created, updated, ... rejected, warnings), its reasons in the app's language."""
        if platform not in PLATFORMS:
            raise ValueError(platform)
        set_language(self.ctx.i18n.language)  # the kernel's messages: the rows' reasons are made as read
        with self.ctx.session() as session:
            return import_files(session, self.ctx.actor, platform, files, shop=shop, history=history)

    # --- after-sales --------------------------------------------------------------------------------
    def fetch_cases(self, request: PageRequest) -> Page:
        """One page of the after-sales queue; kinds and statuses in the user's language."""
        lang = self.ctx.i18n.language
        with self.ctx.session(readonly=True) as session:
            tz = company_timezone(session)
            page = list_cases(
                session,
                self.ctx.actor,
                self.case_queue,
                self.case_search,
                sort=request.sort,
                descending=request.descending,
                offset=request.offset,
                limit=request.limit,
            )
        rows = [
            {
                **r,
                "kind": t(f"case.kind.{r['kind']}", lang),
                "status": t(f"case.{r['status']}", lang),
                "warehouse": r["warehouse"] or "",
                "created_at": r["created_at"].astimezone(tz),
            }
            for r in page.rows
        ]
        return replace(page, rows=rows)

    def open_case(self, case_id: int) -> dict:
        """A case with its order (lines, history) as plain values; kept as the open case."""
        with self.ctx.session(readonly=True) as session:
            try:
                case = case_detail(session, self.ctx.actor, int(case_id))
            except NotFound:  # gone since the list was drawn: nothing is open
                self.case = None
                return {}
            tz = company_timezone(session)
        for h in case["order"]["history"]:
            h["at"] = h["at"].astimezone(tz)
        self.case = case
        return case

    def case_actions(self) -> list[str]:
        return cases.case_actions(self.case["kind"], self.case["status"]) if self.case else []

    def case_lines(self) -> list[dict]:
        """The open case's order lines with how many of each come back (``back``): the case's own
        lines, or every line in full when it was opened without lines."""
        if not self.case:
            return []
        asked = {no: qty for no, qty in self.case["lines"]}
        return [
            {
                "line_no": x["line_no"],
                "sku": x["sku"] or x["platform_sku"],
                "name": x["name"] or "",
                "ordered": x["quantity"],
                "back": asked.get(x["line_no"], 0) if asked else x["quantity"],
            }
            for x in self.case["order"]["lines"]
        ]

    def warehouses(self) -> list[tuple[str, int]]:
        with self.ctx.session(readonly=True) as session:
            return catalog.choices(session, self.ctx.actor, "warehouse", separator=" · ")

    def case_action(
        self,
        action: str,
        *,
        warehouse_id: int | None = None,
        condition: str = "sellable",
        lines: list[tuple[int, int]] | None = None,
        note: str = "",
    ) -> str:
        """Carry out ``action`` (see :func:`ecerp_core.orders.cases.act_on_case`) on the open case;
        ``lines`` (``(line_no, qty)``) are what arrived when receiving a return."""
        if not self.case:
            raise ValueError(action)
        case_id = self.case["id"]
        with self.ctx.session() as session:
            status = cases.act_on_case(
                session,
                self.ctx.actor,
                case_id,
                action,
                warehouse_id=warehouse_id,
                condition=condition,
                lines=lines,
                note=note,
            )
        self.open_case(case_id)
        return status
