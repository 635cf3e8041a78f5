"""The Order Desk's split card (拆单), under a paid or approved order's detail: how many of each SKU
go to a new order; the money is shared to the cent by the core."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from widgets.common.actions import ui_action
from widgets.common.parts import button, classed, spaced
from widgets.order_desk.ship_model import ShipModel


class SplitCard:
    """Split the open order; tell the screen when it changed."""

    def __init__(self, model: ShipModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        self._done: list[Callable[[], None]] = []
        self.moving: dict[str, w.BoundedIntText] = {}
        self.lines_box: w.VBox | None = None  # the card is built for the first order it can split
        self.card = classed(spaced(w.VBox(layout=w.Layout(display="none")), 6), "ecerp-card")
        self.card.add_class("ecerp-split-card")

    def _build(self) -> None:
        """The card's title, hint, lines and button (once)."""
        if self.lines_box is not None:
            return
        i18n = self.i18n
        self.lines_box = classed(spaced(w.VBox(), 4), "ecerp-split-lines")
        self.run = button(
            i18n, "ship.split.run", "ecerp-split-run", icon="cut", style="warning", width="auto"
        )
        self.run.on_click(self.split)
        title = classed(i18n.bind(w.HTML(), "value", "ship.split.title"), "ecerp-section-title")
        hint = classed(i18n.bind(w.HTML(), "value", "ship.split.hint"), "ecerp-subtitle")
        self.card.children = [title, hint, self.lines_box, self.run]

    def on_done(self, callback: Callable[[], None]) -> None:
        self._done.append(callback)

    def show(self) -> None:
        """One box per SKU of the open order (none moving to start with), or hidden."""
        self.moving = {}
        rows = []
        if self.model.splittable():
            for n, (sku, quantity) in enumerate(self.model.split_lines(), start=1):
                box = classed(
                    w.BoundedIntText(value=0, min=0, max=quantity, layout=w.Layout(width="72px")),
                    f"ecerp-split-qty-{n}",
                )
                self.moving[sku] = box
                label = w.HTML(html.escape(sku), layout=w.Layout(flex="1 1 0", min_width="0"))
                rows.append(
                    spaced(
                        w.HBox(
                            [label, box, w.HTML(f"/ {quantity}", layout=w.Layout(width="48px"))],
                            layout=w.Layout(align_items="center"),
                        ),
                        8,
                    )
                )
        if rows:
            self._build()
        if self.lines_box is not None:
            self.lines_box.children = rows
        self.card.layout.display = "flex" if rows else "none"

    @ui_action
    def split(self, _button=None) -> None:
        picks = {sku: box.value for sku, box in self.moving.items() if box.value}
        if not picks:
            self.alerts.info(self.i18n.t("ship.split.nothing"))
            return
        done = self.model.split(picks)
        for callback in self._done:  # the desk redrawn first: the message says all is done
            callback()
        self.alerts.success(self.i18n.t("ship.split.done", **{k: str(v) for k, v in done.items()}))
