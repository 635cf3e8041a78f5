"""The Opening balances screen's state and its calls into the core (期初): the two files read and
checked, what they would post, and the import. No widgets, no rules: the core reads, checks and posts."""

from __future__ import annotations

import datetime as dt

from ecerp_core.errors import EcerpError
from ecerp_core.finance.journal import LineDraft
from ecerp_core.finance.opening import (
    OpeningPreview,
    OpeningResult,
    go_live_date,
    open_stock,
    post_opening_balances,
    preview_openings,
    read_opening_balances,
    recorded_openings,
)
from ecerp_core.stock.opening import OpeningStockLine, read_opening_stock
from ecerp_core.tabular import read_table
from widgets.common.actor import AppContext

KINDS = ("balances", "stock")


class OpeningModel:
    """The files read (their checked lines) and the preview of what importing them would do."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.balances: tuple[LineDraft, ...] = ()
        self.stock: tuple[OpeningStockLine, ...] = ()
        self.files: dict[str, str] = {}  # kind -> the name of the file read
        self.preview: OpeningPreview | None = None

    @property
    def may_post(self) -> bool:
        return self.ctx.actor.can("finance.post")

    def default_day(self) -> dt.date | None:
        """The go-live day the openings stand on, or would by default; None when none can be."""
        with self.ctx.session(readonly=True) as session:
            try:
                return go_live_date(session)
            except EcerpError:  # the screen shows why once the clerk picks a day and previews
                return None

    def read(self, kind: str, name: str, content: bytes) -> None:
        """Read and check an uploaded balances or stock file (a bad row raises, listing every one)."""
        if kind not in KINDS:
            raise ValueError(kind)
        table = read_table(content, name=name)
        with self.ctx.session() as session:  # reading the balances seeds the chart of accounts if missing
            if kind == "balances":
                self.balances = tuple(read_opening_balances(session, table))
            else:
                self.stock = tuple(read_opening_stock(session, table))
        self.files[kind] = name
        self.preview = None

    def make_preview(self, day: dt.date | None) -> OpeningPreview:
        with self.ctx.session(readonly=True) as session:
            self.preview = preview_openings(session, self.balances, self.stock, day, self.ctx.i18n.language)
        return self.preview

    def post(self, day: dt.date | None) -> list[OpeningResult]:
        """Post the balances and record the stock read, in one transaction: both or neither."""
        results = []
        with self.ctx.session() as session:
            if self.balances:
                results.append(post_opening_balances(session, self.ctx.actor, self.balances, day))
            if self.stock:
                results.append(open_stock(session, self.ctx.actor, self.stock, day))
        self.balances, self.stock, self.files, self.preview = (), (), {}, None
        return results

    def recorded(self) -> OpeningPreview | None:
        """The openings as posted, in the app's language; None before either."""
        with self.ctx.session(readonly=True) as session:
            return recorded_openings(session, self.ctx.i18n.language)
