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
from ecerp_core.crm.tickets import complaints_for_order
from ecerp_core.errors import NotFound
from ecerp_core.i18n import set_language, t
from ecerp_core.money import round_money
from ecerp_core.orders import batch, cases, merge, review, services, skus
from ecerp_core.orders.aftersales import RefundDraft, refund_details, refund_orders
from ecerp_core.orders.models import REFUND_KINDS, RETURN_KINDS
from ecerp_core.orders.queries import (
    QUEUES,
    OrderFilter,
    case_detail,
    list_cases,
    list_orders,
    order_detail,
    order_ids,
    order_numbers,
    queue_counts,
)
from ecerp_core.orders.workflow import STATUSES
from ecerp_core.query import Page
from widgets.common.actor import AppContext
from widgets.common.grid import Column, PageRequest

COLUMNS = (
    Column("platform_order_id", "field.platform_order_id"),
    Column("shop_name", "field.shop", tooltip="shop"),
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
    Column("shop_name", "field.shop", tooltip="shop"),
    Column("kind", "orders.case.kind"),
    Column("status", "field.status"),
    Column("amount", "field.amount", "right"),
    Column("currency", "field.currency"),
    Column("reason", "orders.col.reason"),
    Column("warehouse_name", "field.warehouse", tooltip="warehouse"),
    Column("created_at", "field.created_at"),
)
CASEABLE = ("paid", "approved", "shipped", "finished")  # the statuses an after-sales case opens on


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
            # --- customers (CRM): the order's inquiries and complaints, shown beside it ---
            can_see = self.ctx.actor.can("crm.read")
            self.order["complaints"] = (
                complaints_for_order(session, self.ctx.actor, order_id) if can_see else []
            )
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

    def target_ids(self, scope: str, checked: list[str] | tuple[str, ...] = ()) -> list[int]:
        """The orders a batch action acts on: ``open`` order, the ``checked`` rows (their keys), this
        ``page``, or ``all`` filtered."""
        if scope == "open":
            return [self.order["id"]] if self.order else []
        if scope == "checked":
            return [int(k) for k in checked]
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
            elif action == "clear":  # an order still waiting for its SKU mapping stays, and says so
                why = {}
                done = review.clear_exceptions(session, actor, ids, note=reason, skipped=why)
                result = {"done": done, "skipped": len(why), "skipped_rows": self._skipped(session, why)}
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
            {"order": numbers[i], "reason": "、".join(reason_text(code, lang) for code in codes)}
            for i, codes in sorted(why.items(), key=lambda item: numbers[item[0]])
        ]

    def queue_counts(self) -> dict[str, int]:
        """The to-do count of each work queue (and the open after-sales cases), for the tabs."""
        with self.ctx.session(readonly=True) as session:
            return queue_counts(session, self.ctx.actor)

    # --- SKU mapping (商品对应) -----------------------------------------------------------------------
    def unmapped_skus(self, search: str = "") -> list[dict]:
        """The platform SKUs orders wait on, most waiting orders first."""
        with self.ctx.session(readonly=True) as session:
            return skus.unmapped_skus(session, self.ctx.actor, search)

    def find_products(self, search: str) -> list[tuple[str, str]]:
        """``[("SKU · name", sku)]`` of up to 30 active products matching ``search`` (SKU or name)."""
        name = "name_en" if self.ctx.i18n.language == "en" else "name_zh"
        with self.ctx.session(readonly=True) as session:
            page = catalog.list_records(session, self.ctx.actor, "product", search=search or None, limit=30)
        return [(f"{r['sku']} · {r.get(name) or r.get('name_zh') or ''}", r["sku"]) for r in page.rows]

    def map_sku(self, shop_id: int | None, platform_sku: str, sku: str) -> int:
        """Map ``platform_sku`` of a shop (None: of every shop) to our ``sku``; returns how many
        waiting orders it released (see :func:`ecerp_core.orders.skus.map_skus`)."""
        with self.ctx.session() as session:
            released = skus.map_skus(session, self.ctx.actor, [(shop_id, platform_sku, sku)])
        if self.order:
            self.open(self.order["id"])
        return released

    # --- opening an after-sales case on the open order -------------------------------------------------
    def can_open_case(self) -> bool:
        return bool(
            self.order and self.order["status"] in CASEABLE and self.ctx.actor.can("orders.aftersales")
        )

    def start_case(
        self, kind: str, lines: list[tuple[int, int]], *, amount: Decimal | None = None, reason: str = ""
    ) -> int:
        """Open an after-sales case on the open order (see :func:`ecerp_core.orders.cases.open_case`):
        ``lines`` are ``(line_no, qty)``; a refund's ``amount`` defaults to what those lines were paid
        (every line when none is chosen); goods come back to the order's warehouse. Returns the case."""
        if not self.order:
            raise ValueError("no order open")
        order = self.order
        if amount is None and kind in REFUND_KINDS:
            amount = case_amount(order, lines)
        with self.ctx.session() as session:
            case_id = cases.open_case(
                session,
                self.ctx.actor,
                order["id"],
                kind,
                amount=amount or Decimal(0),
                lines=lines,
                reason=reason,
                warehouse_id=order["warehouse_id"] if kind in RETURN_KINDS else None,
            )
        self.open(order["id"])
        return case_id

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
                "warehouse_name": r["warehouse_name"] or "",
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
        ours = "product_name_en" if self.ctx.i18n.language == "en" else "product_name_zh"
        return [
            {
                "line_no": x["line_no"],
                "sku": x["sku"] or x["platform_sku"],
                "name": x[ours] or x["product_name_zh"] or x["name"] or "",
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


def reason_text(code: str, lang: str) -> str:
    """Why an order was skipped, in words: a review reason, an exception reason, or its status.

    >>> reason_text("status_shipped", "en")
    'the order is Shipped'
    """
    if code.startswith("status_"):
        return t("review.status", lang, status=t(f"status.{code.removeprefix('status_')}", lang))
    for key in (f"review.{code}", f"exception.{code}"):
        if t(key, lang) != key:
            return t(key, lang)
    return code


def case_amount(order: dict, lines: list[tuple[int, int]]) -> Decimal:
    """What ``(line_no, qty)`` of an order were paid: each line's amount for the share of its
    quantity, at most what is left to refund; every line when none is given."""
    by_no = {x["line_no"]: x for x in order["lines"]}
    chosen = lines or [(x["line_no"], x["quantity"]) for x in order["lines"]]
    total = sum(
        (by_no[no]["amount"] * qty / by_no[no]["quantity"] for no, qty in chosen if no in by_no), Decimal(0)
    )
    left = order["paid_amount"] - order["refunded_amount"]
    return min(round_money(total, order["currency"]), left)
