"""Finance Close's Cash tab: pay a supplier, receive a platform shop's or a customer's payment,
transfer between bank accounts; and the payables / receivables aging with its downloads.
Every event is wired in :meth:`CashScreen._wire`; handlers are ui_actions."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.errors import ValidationError, problem
from ecerp_core.i18n import t
from ecerp_core.money import parse_money
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed
from widgets.finance_close.cash_model import ACTIONS, SIDES, CashModel
from widgets.finance_close.ledgers_screen import XLSX, download_link, section_title, table_cell, tools_row

AGING_NUMBERS = {"days_0_30", "days_31_60", "days_61_90", "days_over_90", "total"}


class CashScreen:
    """The Cash tab; ``panel`` is what the app shows."""

    def __init__(self, model: CashModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        i18n = self.i18n
        self.action = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-cash-action")
        i18n.bind(
            self.action, "options", lambda lang: [(t(f"finance_close.cash.{a}", lang), a) for a in ACTIONS]
        )
        self.action.value = "pay"
        self.payer = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-cash-payer")
        i18n.bind(
            self.payer,
            "options",
            lambda lang: [(t(f"finance_close.cash.payer.{p}", lang), p) for p in ("shop", "customer")],
        )
        self.payer.value = "shop"
        self.party = classed(w.Dropdown(layout=w.Layout(width="260px")), "ecerp-cash-party")
        self.bank = classed(w.Dropdown(layout=w.Layout(width="260px")), "ecerp-cash-bank")
        self.target = classed(w.Dropdown(layout=w.Layout(width="260px")), "ecerp-cash-target")
        self.amount = classed(w.Text(layout=w.Layout(width="140px")), "ecerp-cash-amount")
        self.day = classed(w.DatePicker(layout=w.Layout(width="160px")), "ecerp-cash-date")
        self.reference = classed(w.Text(layout=w.Layout(width="200px")), "ecerp-cash-reference")
        self.post_button = button(
            i18n, "finance_close.cash.post", "ecerp-cash-post", style="primary", width="auto"
        )
        self.labels = {
            name: i18n.bind(w.Label(), "value", f"finance_close.cash.field.{name}")
            for name in ("party", "bank", "target", "amount", "date", "reference")
        }
        self.fields = w.GridBox(layout=w.Layout(grid_template_columns="110px 280px", grid_gap="6px 10px"))
        pay_card = classed(
            w.VBox([section_title(i18n, "finance_close.cash"), self.action, self.fields, self.post_button]),
            "ecerp-card",
        )
        self.panel = classed(w.VBox([pay_card, self._aging_card()]), "ecerp-cash-panel")
        self._wire()

    def _aging_card(self) -> w.Widget:
        """The aging: payables or receivables on a day, its table and downloads."""
        i18n = self.i18n
        self.side = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-aging-side")
        i18n.bind(self.side, "options", lambda lang: [(t(f"finance.aging.{s}", lang), s) for s in SIDES])
        self.side.value = self.model.side
        self.as_of = classed(w.DatePicker(layout=w.Layout(width="160px")), "ecerp-aging-as-of")
        self.aging_button = button(i18n, "finance_close.ledgers.show", "ecerp-aging-show", width="auto")
        self.downloads = classed(w.HTML(), "ecerp-aging-downloads")
        self.table = classed(w.HTML(), "ecerp-fc-report")
        self.table.add_class("ecerp-aging-table")
        as_of_label = i18n.bind(w.Label(), "value", "finance_close.cash.as_of")
        return classed(
            w.VBox(
                [
                    section_title(i18n, "finance_close.aging"),
                    tools_row([self.side, as_of_label, self.as_of, self.aging_button]),
                    self.downloads,
                    self.table,
                ],
            ),
            "ecerp-card",
        )

    def _wire(self) -> None:
        self.action.observe(self.choose_action, "value")
        self.payer.observe(self.choose_action, "value")
        self.post_button.on_click(self.post)
        self.side.observe(self.show_aging, "value")
        self.aging_button.on_click(self.show_aging)
        self.i18n.on_change(lambda _lang: None if self.panel.layout.display == "none" else self.refresh())

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def refresh(self) -> None:
        """Fill the pickers and draw the aging again (in the current language)."""
        today = self.model.today()
        self.day.value = self.day.value or today
        self.as_of.value = self.as_of.value or today
        banks = self.model.banks(self.i18n.language)
        codes = [code for _, code in banks]
        keep = self.bank.value, self.target.value
        self.bank.options = self.target.options = banks
        # the base currency's bank account first; a transfer goes elsewhere by default
        self.bank.value = (
            keep[0] if keep[0] in codes else next((c for c in codes if c.startswith("1002")), None)
        )
        others = [c for c in codes if c != self.bank.value]
        self.target.value = keep[1] if keep[1] in codes else (others[0] if others else None)
        self._show_fields()
        self._draw_aging()

    @ui_action
    def choose_action(self, change=None) -> None:
        self.alerts.clear()
        self._show_fields()

    def _show_fields(self) -> None:
        action = self.action.value
        kind = "supplier" if action == "pay" else self.payer.value
        if action != "transfer":
            self.party.options = self.model.parties(kind)
            self.party.value = self.party.options[0][1] if self.party.options else None
        rows = [("party", self.party)] if action != "transfer" else []
        rows += [("bank", self.bank)] + ([("target", self.target)] if action == "transfer" else [])
        rows += [("amount", self.amount), ("date", self.day), ("reference", self.reference)]
        children = []
        if action == "receive":
            children += [w.Label(""), self.payer]
        for name, widget in rows:
            children += [self.labels[name], widget]
        self.fields.children = children

    @ui_action
    def post(self, _button=None) -> None:
        try:
            amount = parse_money(self.amount.value)
        except ValueError:
            raise ValidationError([problem("amount", "not_a_number", value=self.amount.value)]) from None
        voucher = self.model.post(
            self.action.value,
            amount,
            self.day.value,
            party=self.party.value,
            payer=self.payer.value,
            bank=self.bank.value,
            target=self.target.value,
            reference=self.reference.value.strip(),
        )
        self.alerts.success(self.i18n.t("finance_close.cash.posted", voucher=voucher, amount=amount))
        self.amount.value = ""
        self.reference.value = ""
        self._draw_aging()

    @ui_action
    def show_aging(self, change=None) -> None:
        self._draw_aging()

    def _draw_aging(self) -> None:
        lang = self.i18n.language
        self.model.side = self.side.value
        self.model.as_of = self.as_of.value
        self.model.load_aging(lang)
        columns = (
            "party_code",
            "party_name",
            "days_0_30",
            "days_31_60",
            "days_61_90",
            "days_over_90",
            "total",
        )
        head = "".join(f"<th>{html.escape(t('finance.aging.col.' + c, lang))}</th>" for c in columns)
        body = "".join(
            f'<tr class="{"total" if r.get("is_total") else ""}">'
            + "".join(table_cell(r.get(c), c in AGING_NUMBERS) for c in columns)
            + "</tr>"
            for r in self.model.rows(lang)
        )
        self.table.value = f"<table><tr>{head}</tr>{body}</table>"
        name = f"aging-{self.model.side}-{self.model.report['as_of']}"
        self.downloads.value = (
            download_link(self.model.csv(lang).encode("utf-8-sig"), "text/csv", f"{name}.csv", "CSV")
            + " · "
            + download_link(self.model.xlsx(lang), XLSX, f"{name}.xlsx", "Excel")
        )
