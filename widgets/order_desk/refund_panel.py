"""The Order Desk's refund card, under a shipped order's detail: how many of each line come back,
the amount (default: what those goods were paid), their condition and warehouse, the reason."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from ecerp_core.errors import ValidationError, problem
from ecerp_core.i18n import t
from ecerp_core.money import parse_decimal
from widgets.common.actions import ui_action
from widgets.common.confirm import ConfirmBar
from widgets.common.parts import button, classed, spaced
from widgets.order_desk.model import OrderDeskModel
from widgets.order_desk.render import product_name

REFUNDABLE = ("shipped", "finished")


class RefundPanel:
    """Refund the open order, with the goods that come back; tell the screen when it is done."""

    def __init__(self, model: OrderDeskModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        self._done_callbacks: list[Callable[[], None]] = []
        self.back: dict[str, w.BoundedIntText] = {}
        self.lines_box: w.VBox | None = None  # the card is built for the first shipped order shown
        self.card = classed(spaced(w.VBox(layout=w.Layout(display="none")), 6), "ecerp-card")

    def _build(self) -> None:
        """The card's widgets (once): most orders opened at the desk have not shipped."""
        if self.lines_box is not None:
            return
        i18n, model = self.i18n, self.model
        self.lines_box = classed(spaced(w.VBox(), 4), "ecerp-refund-lines")
        self.amount = classed(w.Text(layout=w.Layout(width="360px")), "ecerp-refund-amount")
        i18n.bind(self.amount, "placeholder", "orders.refund.amount")
        self.condition = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-refund-condition")
        i18n.bind(
            self.condition,
            "options",
            lambda lang: [(t(f"orders.case.condition.{c}", lang), c) for c in ("sellable", "damaged")],
        )
        self.condition.value = "sellable"
        self.warehouse = classed(w.Dropdown(layout=w.Layout(width="190px")), "ecerp-refund-warehouse")
        i18n.bind(
            self.warehouse,
            "options",
            lambda lang: [(t("orders.refund.where_left", lang), 0), *model.warehouses()],
        )
        self.warehouse.index = 0
        self.reason = classed(w.Text(layout=w.Layout(width="360px")), "ecerp-refund-reason")
        i18n.bind(self.reason, "placeholder", "orders.action.reason")
        self.run = button(i18n, "orders.refund.run", "ecerp-refund-run", style="warning", width="auto")
        self.run.on_click(self.refund)
        self.confirm_bar = ConfirmBar(i18n, self.alerts, "ecerp-refund-confirm")
        title = classed(i18n.bind(w.HTML(), "value", "orders.refund.title"), "ecerp-section-title")
        self.card.children = [
            title,
            i18n.bind(classed(w.HTML(), "ecerp-subtitle"), "value", "orders.refund.back"),
            self.lines_box,
            self.amount,
            spaced(w.HBox([self.condition, self.warehouse], layout=w.Layout(flex_flow="row wrap")), 6),
            self.reason,
            self.run,
            self.confirm_bar.box,
        ]

    def on_done(self, callback: Callable[[], None]) -> None:
        self._done_callbacks.append(callback)

    def show(self, order: dict | None) -> None:
        """The card for a shipped order (one quantity per line, none back to start with), else hidden."""
        self.back = {}
        if self.lines_box is None:
            if not (order and order["status"] in REFUNDABLE and order["lines"]):
                return
            self._build()
        self.confirm_bar.cancel()
        rows = []
        for x in order["lines"] if order and order["status"] in REFUNDABLE else []:
            sku = x["sku"] or x["platform_sku"]
            box = classed(
                w.BoundedIntText(value=0, min=0, max=x["quantity"], layout=w.Layout(width="72px")),
                f"ecerp-refund-back-{x['line_no']}",
            )
            self.back[sku] = box
            name = html.escape(product_name(x, self.i18n.language))
            label = w.HTML(
                f"{html.escape(sku)} <span class='ecerp-muted'>{name}</span>",
                layout=w.Layout(flex="1 1 0", min_width="0"),
            )
            rows.append(
                spaced(
                    w.HBox(
                        [label, box, w.HTML(f"/ {x['quantity']}", layout=w.Layout(width="48px"))],
                        layout=w.Layout(align_items="center"),
                    ),
                    8,
                )
            )
        self.lines_box.children = rows
        self.amount.value = self.reason.value = ""
        if rows:  # a warehouse may have opened meanwhile
            self.warehouse.options = [(self.i18n.t("orders.refund.where_left"), 0), *self.model.warehouses()]
            self.warehouse.index, self.condition.value = 0, "sellable"
        self.card.layout.display = "flex" if rows else "none"

    @ui_action
    def refund(self, _button=None) -> None:
        """First press: check the refund and say what it gives back (the default amount included), then
        wait for Confirm."""
        text = self.amount.value.strip()
        try:
            amount = parse_decimal(text) if text else None
        except ValueError:
            raise ValidationError([problem("amount", "not_a_number", value=text)]) from None
        returns = [(sku, box.value) for sku, box in self.back.items() if box.value]
        if amount is None and not returns:  # the whole order back in one click only when typed in
            raise ValidationError([problem("amount", "required")])
        options = dict(
            condition=self.condition.value,
            warehouse_id=self.warehouse.value or None,
            reason=self.reason.value.strip(),
        )
        would = self.model.refund(amount, returns, dry_run=True, **options)
        question = self.i18n.t(
            "orders.refund.confirm",
            order=self.model.order["platform_order_id"],
            amount=would["amount"],
            currency=would["currency"],
            units=sum(r["quantity"] for r in would["returns"]),
        )
        self.confirm_bar.ask(question, lambda: self.run_refund(would["amount"], returns, options))

    @ui_action
    def run_refund(self, amount, returns: list[tuple[str, int]], options: dict) -> None:
        """Give the money back (and take the goods back) on the open order, as confirmed."""
        done = self.model.refund(amount, returns, **options)
        units = sum(r["quantity"] for r in done["returns"])
        self.alerts.success(
            self.i18n.t(
                "orders.refund.done",
                refund=done["refund"],
                amount=done["amount"],
                currency=done["currency"],
                units=units,
            )
        )
        for callback in self._done_callbacks:
            callback()
