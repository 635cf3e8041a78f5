"""The apps of the suite. A new app adds one :class:`AppEntry` here and its notebook to
``notebooks/apps/``; the home page, its links and the smoke tests follow from this list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppEntry:
    """One app on the home page.

    key: names the catalogue keys ``app.<key>.title`` / ``app.<key>.description`` and the
    notebook ``<key>.ipynb`` in ``notebooks/apps/``.
    permission: what a user needs to see the app (None: everybody).
    available: False lists the app as coming soon, without a link.
    """

    key: str
    permission: str | None = None
    available: bool = True
    color: str = "#1f6feb"

    @property
    def notebook(self) -> str:
        return f"{self.key}.ipynb"

    @property
    def title_key(self) -> str:
        return f"app.{self.key}.title"

    @property
    def description_key(self) -> str:
        return f"app.{self.key}.description"


APPS: tuple[AppEntry, ...] = (
    AppEntry("base_data", "catalog.read", color="#1f6feb"),
    AppEntry("order_desk", "orders.read", color="#d9480f"),
    AppEntry("inventory", "stock.read", color="#2b8a3e"),
    AppEntry("stocktake", "stock.count", color="#5f3dc4"),
    AppEntry("forecast", "forecast.run", color="#0b7285"),
    AppEntry("finance_close", "finance.read", color="#c2255c"),
    AppEntry("customers", "crm.read", color="#0b7285"),
    AppEntry("analytics", "analytics.read", color="#5c940d"),
)
