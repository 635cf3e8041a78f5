"""Stocktake's state and its calls into ``ecerp_core.stock.stocktake``. No widgets here."""

from __future__ import annotations

from decimal import Decimal

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.company import company_timezone
from ecerp_core.stock import stocktake, stocktake_review
from widgets.common.actor import AppContext


class StocktakeModel:
    """Which count is open on this tablet and what the last scan found."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.stocktake_id: int | None = None
        self.last: stocktake.ScanResult | None = None

    @property
    def can_approve(self) -> bool:
        return self.ctx.actor.can("stock.approve")

    def warehouses(self) -> list[tuple[str, int]]:
        with self.ctx.session(readonly=True) as session:
            return catalog.choices(session, self.ctx.actor, "warehouse")

    def open_counts(self) -> list[dict]:
        """Counts not yet approved or cancelled, newest first."""
        with self.ctx.session(readonly=True) as session:
            return stocktake_review.open_stocktakes(session, self.ctx.actor)

    def status(self) -> str | None:
        if self.stocktake_id is None:
            return None
        with self.ctx.session(readonly=True) as session:
            return stocktake_review.stocktake_status(session, self.ctx.actor, self.stocktake_id)

    def create(self, warehouse_id: int, scope: str, scope_value: str, threshold: int) -> int:
        with self.ctx.session() as session:
            self.stocktake_id = stocktake.create_stocktake(
                session,
                self.ctx.actor,
                warehouse_id,
                scope=scope,
                scope_value=scope_value,
                threshold=threshold,
            )
        self.last = None
        return self.stocktake_id

    def scan(self, code: str, quantity: int | None = None) -> stocktake.ScanResult:
        """One scan (or a typed count); raises UnknownBarcode for a code that is no product."""
        with self.ctx.session() as session:
            self.last = stocktake.scan(session, self.ctx.actor, self.stocktake_id, code, quantity)
        return self.last

    def lines(self) -> list[dict]:
        with self.ctx.session(readonly=True) as session:
            return stocktake_review.counting_lines(session, self.ctx.actor, self.stocktake_id)

    def submit(self) -> str:
        with self.ctx.session() as session:
            return stocktake.submit_stocktake(session, self.ctx.actor, self.stocktake_id)

    def review(self) -> list[dict]:
        with self.ctx.session(readonly=True) as session:
            return stocktake_review.review_lines(session, self.ctx.actor, self.stocktake_id)

    def moves_during(self) -> list[dict]:
        """What shipped or arrived while the count was open (``at`` in the company's time zone)."""
        with self.ctx.session(readonly=True) as session:
            moves = stocktake_review.moves_during_count(session, self.ctx.actor, self.stocktake_id)
            zone = company_timezone(session)
        return [{**m, "at": m["at"].astimezone(zone)} for m in moves]

    def number(self) -> str:
        """The open count's number (ST-...)."""
        return next(c["number"] for c in self.open_counts() if c["id"] == self.stocktake_id)

    def variance_totals(self) -> tuple[Decimal, Decimal]:
        """``(gain, loss)`` by value of the counted lines under review: what approving would post."""
        values = [r["variance_value"] for r in self.review() if r["counted"] is not None]
        return sum((v for v in values if v > 0), Decimal("0.00")), -sum(
            (v for v in values if v < 0), Decimal("0.00")
        )

    def approve(self) -> dict:
        with self.ctx.session() as session:
            return stocktake.approve_stocktake(session, self.ctx.actor, self.stocktake_id)
