"""The Order Desk's "open an after-sales case" card, under a paid or shipped order's detail: the
kind (refund only, return, exchange, reship), how many of each line, the refund amount (default:
what those lines were paid) and the reason."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from ecerp_core.errors import ValidationError, problem
from ecerp_core.i18n import t
from ecerp_core.money import parse_decimal
from ecerp_core.orders.models import CASE_KINDS, REFUND_KINDS
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed, spaced
from widgets.order_desk.model import OrderDeskModel
from widgets.order_desk.render import product_name


class CasePanel:
    """Open a case on the open order; tell the screen when it is done."""

    def __init__(self, model: OrderDeskModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        i18n = self.i18n
        self._done_callbacks: list[Callable[[], None]] = []
        self.quantities: dict[int, w.BoundedIntText] = {}
        self.lines_box: w.VBox | None = None  # the card is built for the first order it is shown for
        self.card = classed(spaced(w.VBox(layout=w.Layout(display="none")), 6), "ecerp-card")
        self.card.add_class("ecerp-open-case")
        i18n.on_change(lambda _lang: self.show(self.model.order))  # product names in the new language

    def _build(self) -> None:
        """The card's widgets (once): most orders opened at the desk get no case."""
        if self.lines_box is not None:
            return
        i18n = self.i18n
        self.kind = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-open-case-kind")
        i18n.bind(self.kind, "options", lambda lang: [(t(f"case.kind.{k}", lang), k) for k in CASE_KINDS])
        self.kind.value = "return_refund"
        self.lines_box = classed(spaced(w.VBox(), 4), "ecerp-open-case-lines")
        self.amount = classed(w.Text(layout=w.Layout(width="360px")), "ecerp-open-case-amount")
        i18n.bind(self.amount, "placeholder", "orders.case.amount")
        self.reason = classed(w.Text(layout=w.Layout(width="360px")), "ecerp-open-case-reason")
        i18n.bind(self.reason, "placeholder", "orders.action.reason")
        self.run = button(i18n, "orders.case.open_run", "ecerp-open-case-run", style="primary", width="auto")
        self.run.on_click(self.open_case)
        self.kind.observe(lambda _change: self._show_amount(), "value")
        title = classed(i18n.bind(w.HTML(), "value", "orders.case.open_title"), "ecerp-section-title")
        self.card.children = [
            title,
            self.kind,
            i18n.bind(classed(w.HTML(), "ecerp-subtitle"), "value", "orders.case.open_lines"),
            self.lines_box,
            self.amount,
            self.reason,
            self.run,
        ]

    def on_done(self, callback: Callable[[], None]) -> None:
        self._done_callbacks.append(callback)

    def show(self, order: dict | None) -> None:
        """The card for an order a case may be opened on (one quantity per line, 0 to start), else
        hidden."""
        self.quantities = {}
        if self.lines_box is None:
            if not (order and order["lines"] and self.model.can_open_case()):
                return
            self._build()
        rows = []
        lang = self.i18n.language
        for x in order["lines"] if order and self.model.can_open_case() else []:
            box = classed(
                w.BoundedIntText(value=0, min=0, max=x["quantity"], layout=w.Layout(width="72px")),
                f"ecerp-open-case-qty-{x['line_no']}",
            )
            self.quantities[x["line_no"]] = box
            sku = html.escape(x["sku"] or x["platform_sku"] or "")
            label = w.HTML(
                f"{sku} <span class='ecerp-muted'>{html.escape(product_name(x, lang))}</span>",
                layout=w.Layout(flex="1 1 0", min_width="0"),
            )
            of = w.HTML(f"/ {x['quantity']}", layout=w.Layout(width="48px"))
            rows.append(spaced(w.HBox([label, box, of], layout=w.Layout(align_items="center")), 8))
        self.lines_box.children = rows
        self.amount.value = self.reason.value = ""
        self._show_amount()
        self.card.layout.display = "flex" if rows else "none"

    def _show_amount(self) -> None:
        self.amount.layout.display = None if self.kind.value in REFUND_KINDS else "none"

    @ui_action
    def open_case(self, _button=None) -> None:
        """Open the case with the quantities, amount and reason on screen."""
        text = self.amount.value.strip()
        try:
            amount = parse_decimal(text) if text and self.kind.value in REFUND_KINDS else None
        except ValueError:
            raise ValidationError([problem("amount", "not_a_number", value=text)]) from None
        lines = [(no, box.value) for no, box in self.quantities.items() if box.value]
        order = self.model.order["platform_order_id"]
        case_id = self.model.start_case(
            self.kind.value, lines, amount=amount, reason=self.reason.value.strip()
        )
        self.alerts.success(self.i18n.t("orders.case.opened", case=case_id, order=order))
        for callback in self._done_callbacks:
            callback()
