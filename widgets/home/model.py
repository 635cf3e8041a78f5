"""The home page's state: which apps this user may open, and the company's name."""

from __future__ import annotations

from ecerp_core.catalog.company import get_company
from ecerp_core.orders.queries import queue_counts
from widgets.common.actor import AppContext
from widgets.home.registry import APPS, AppEntry


class HomeModel:
    """The apps shown to the acting user (those their role may use)."""

    def __init__(self, ctx: AppContext, apps: tuple[AppEntry, ...] = APPS) -> None:
        self.ctx = ctx
        self.apps = apps
        with ctx.session(readonly=True) as session:
            self.company_name = get_company(session).name
            self.todo = self._todo(session)

    def _todo(self, session) -> dict[str, dict[str, int]]:
        """Each app's to-do counts shown on its card (the Order Desk's work queues)."""
        if not self.ctx.actor.can("orders.read"):
            return {}
        counts = queue_counts(session, self.ctx.actor)
        return {"order_desk": {q: counts[q] for q in ("review", "exceptions", "to_ship", "aftersales")}}

    def visible_apps(self) -> list[AppEntry]:
        """Apps whose permission the actor has; the UI hides the rest (the services enforce)."""
        return [a for a in self.apps if a.permission is None or self.ctx.actor.can(a.permission)]
