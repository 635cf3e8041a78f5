"""The Order Desk's SKU mapping card (商品对应), beside the exception queue: the platform SKUs
orders wait on, a product search, and Map — which re-checks the orders waiting on that SKU
(:func:`ecerp_core.orders.skus.map_skus`)."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed, spaced
from widgets.order_desk.model import OrderDeskModel


class SkuPanel:
    """Map a waiting platform SKU to one of our products; tell the screen when orders moved."""

    def __init__(self, model: OrderDeskModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        i18n = self.i18n
        self._done_callbacks: list[Callable[[], None]] = []
        self.waiting: list[dict] = []
        self.platform_sku: w.Dropdown | None = None  # the card is built when first shown
        self.card = classed(spaced(w.VBox(layout=w.Layout(display="none")), 6), "ecerp-card")
        self.card.add_class("ecerp-sku-card")
        i18n.on_change(self._relabel)

    def _build(self) -> None:
        """The card's widgets (once): it shows only beside the exception queue."""
        if self.platform_sku is not None:
            return
        i18n = self.i18n
        self.platform_sku = classed(w.Dropdown(layout=w.Layout(width="100%")), "ecerp-sku-platform")
        self.search = classed(
            w.Text(continuous_update=False, layout=w.Layout(width="100%")), "ecerp-sku-search"
        )
        i18n.bind(self.search, "placeholder", "orders.sku.search")
        self.product = classed(w.Dropdown(layout=w.Layout(width="100%")), "ecerp-sku-product")
        self.every_shop = classed(w.Checkbox(indent=False), "ecerp-sku-every-shop")
        i18n.bind(self.every_shop, "description", "orders.sku.every_shop")
        self.map_button = button(i18n, "orders.sku.map", "ecerp-sku-map", icon="link", style="primary")
        self.hint = classed(w.HTML(), "ecerp-sku-hint")
        self.card.children = [
            classed(i18n.bind(w.HTML(), "value", "orders.sku.title"), "ecerp-section-title"),
            self.hint,
            i18n.bind(classed(w.HTML(), "ecerp-subtitle"), "value", "orders.sku.platform_sku"),
            self.platform_sku,
            i18n.bind(classed(w.HTML(), "ecerp-subtitle"), "value", "orders.sku.product"),
            self.search,
            self.product,
            spaced(w.HBox([self.every_shop, self.map_button], layout=w.Layout(align_items="center")), 8),
        ]
        self.search.observe(self.find_products, "value")
        self.map_button.on_click(self.map_sku)

    def on_done(self, callback: Callable[[], None]) -> None:
        self._done_callbacks.append(callback)

    def show(self, visible: bool) -> None:
        """Shown beside the exception queue (with what waits now), hidden elsewhere."""
        if visible:
            self._build()
            self.waiting = self.model.unmapped_skus()
            self._draw_waiting()
            if not self.product.options:
                self.find_products()
        self.card.layout.display = "flex" if visible else "none"

    @ui_action
    def find_products(self, _change=None) -> None:
        self.product.options = self.model.find_products(self.search.value.strip())
        self.product.index = 0 if self.product.options else None

    @ui_action
    def map_sku(self, _button=None) -> None:
        """Map the chosen platform SKU (of its shop, or of every shop) to the chosen product."""
        index = self.platform_sku.index
        if index is None or not self.waiting or not self.product.value:
            self.alerts.info(self.i18n.t("orders.sku.pick"))
            return
        row = self.waiting[index]
        released = self.model.map_sku(
            None if self.every_shop.value else row["shop_id"], row["platform_sku"], self.product.value
        )
        self.alerts.success(
            self.i18n.t(
                "orders.sku.done", platform_sku=row["platform_sku"], sku=self.product.value, count=released
            )
        )
        self.show(True)
        for callback in self._done_callbacks:
            callback()

    def _relabel(self, _lang: str) -> None:
        """The waiting SKUs, and the products found, in the new language."""
        if self.platform_sku is None:
            return
        self._draw_waiting()
        if self.product.options:
            self.find_products()

    def _draw_waiting(self) -> None:
        lang = self.i18n.language
        self.platform_sku.options = [
            (
                t(
                    "orders.sku.waiting",
                    lang,
                    platform_sku=r["platform_sku"],
                    name=r["name"] or "",
                    shop=r["shop_name"],
                    orders=r["orders"],
                ),
                i,
            )
            for i, r in enumerate(self.waiting)
        ]
        self.platform_sku.index = 0 if self.waiting else None
        self.platform_sku.disabled = self.map_button.disabled = not self.waiting
        self.hint.value = html.escape(t("orders.sku.hint" if self.waiting else "orders.sku.none", lang))
