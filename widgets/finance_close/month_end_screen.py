"""Finance Close's VAT and Export tab: the month's VAT close (output − input VAT to 未交增值税, the
surcharges to 税金及附加), its payment, and the month's vouchers for 用友 U8 / 金蝶 K3 as a download.
Every event is wired in :meth:`MonthEndScreen._wire`; handlers are ui_actions."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed
from widgets.finance_close.ledgers_screen import XLSX, download_link, hint, section_title, tools_row
from widgets.finance_close.month_end_model import MonthEndModel

FORMATS = (("u8", "finance_close.export.u8"), ("kingdee", "finance_close.export.kingdee"))


class MonthEndScreen:
    """The VAT and Export tab; ``panel`` is what the app shows."""

    def __init__(self, model: MonthEndModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        i18n = self.i18n
        self.period = classed(w.Dropdown(layout=w.Layout(width="130px")), "ecerp-me-period")
        self.close_button = button(
            i18n, "finance_close.vat.close", "ecerp-vat-close", style="primary", width="auto"
        )
        self.result = classed(w.HTML(), "ecerp-vat-result")
        self.bank = classed(w.Dropdown(layout=w.Layout(width="260px")), "ecerp-vat-bank")
        self.day = classed(w.DatePicker(layout=w.Layout(width="160px")), "ecerp-vat-date")
        self.pay_button = button(i18n, "finance_close.vat.pay", "ecerp-vat-pay", width="auto")
        self.format = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-export-format")
        i18n.bind(self.format, "options", lambda lang: [(t(key, lang), f) for f, key in FORMATS])
        self.format.value = "u8"
        self.export_button = button(i18n, "finance_close.export.make", "ecerp-export-make", width="auto")
        self.download = classed(w.HTML(), "ecerp-export-download")
        self.made: tuple[bytes, str, int] | None = None  # the last file made: bytes, name, lines
        label = i18n.bind(w.Label(), "value", "finance_close.period")
        bank_label = i18n.bind(w.Label(), "value", "finance_close.cash.field.bank")
        date_label = i18n.bind(w.Label(), "value", "finance_close.cash.field.date")
        vat_card = classed(
            w.VBox(
                [
                    section_title(i18n, "finance_close.vat"),
                    tools_row([label, self.period, self.close_button]),
                    self.result,
                    tools_row([bank_label, self.bank, date_label, self.day, self.pay_button]),
                ]
            ),
            "ecerp-card",
        )
        export_card = classed(
            w.VBox(
                [
                    section_title(i18n, "finance_close.export"),
                    hint(i18n, "finance_close.export.hint"),
                    tools_row([self.format, self.export_button]),
                    self.download,
                ]
            ),
            "ecerp-card",
        )
        self.panel = classed(w.VBox([vat_card, export_card]), "ecerp-month-end-panel")
        self._wire()

    def _wire(self) -> None:
        self.period.observe(self.choose_period, "value")
        self.close_button.on_click(self.close_vat)
        self.pay_button.on_click(self.pay_vat)
        self.export_button.on_click(self.export)
        self.i18n.on_change(lambda _lang: None if self.panel.layout.display == "none" else self.refresh())

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def refresh(self) -> None:
        codes = self.model.period_codes()
        keep = self.period.value
        self.period.unobserve(self.choose_period, "value")
        self.period.options = codes
        self.period.value = keep if keep in codes else (codes[0] if codes else None)
        self.period.observe(self.choose_period, "value")
        self.model.period = self.period.value
        banks = self.model.banks(self.i18n.language)
        keep = self.bank.value
        self.bank.options = banks
        codes = [c for _, c in banks]
        self.bank.value = keep if keep in codes else next((c for c in codes if c.startswith("1002")), None)
        self.day.value = self.day.value or self.model.today()
        self._draw_result()
        self._draw_download()

    @ui_action
    def choose_period(self, change=None) -> None:
        self.model.period = self.period.value
        self.model.last_close = None
        self.made = None
        self._draw_download()
        self._draw_result()

    @ui_action
    def close_vat(self, _button=None) -> None:
        result = self.model.close_vat()
        key = "finance_close.vat.closed" if result.voucher else "finance_close.vat.nothing"
        self.alerts.success(self.i18n.t(key, period=result.period, voucher=result.voucher or "-"))
        self._draw_result()

    @ui_action
    def pay_vat(self, _button=None) -> None:
        voucher, amount = self.model.pay_vat(self.day.value, self.bank.value)
        self.alerts.success(
            self.i18n.t("finance.vat.paid", period=self.model.period, amount=amount, voucher=voucher)
        )

    @ui_action
    def export(self, _button=None) -> None:
        self.made = self.model.voucher_file(self.format.value)
        self._draw_download()

    def _draw_download(self) -> None:
        if self.made is None:
            self.download.value = ""
            return
        data, name, count = self.made
        mime = "text/plain" if name.endswith(".txt") else XLSX
        text = self.i18n.t("finance_close.export.ready", name=name, count=count)
        self.download.value = download_link(data, mime, name, text)

    # --- drawing --------------------------------------------------------------------------------
    def _draw_result(self) -> None:
        lang = self.i18n.language
        r = self.model.last_close
        if r is None:
            self.result.value = f'<p class="ecerp-muted">{html.escape(t("finance_close.vat.hint", lang))}</p>'
            return
        rows = [
            ("output_vat", r.output_vat),
            ("input_vat", r.input_vat),
            ("credit_brought_in", r.credit_brought_in),
            ("transferred", r.transferred),
            ("credit_carried", r.credit_carried),
            *((name, amount) for name, amount in r.surcharges.items()),
        ]
        cells = "".join(
            f"<tr><td>{html.escape(t('finance_close.vat.' + key, lang))}</td>"
            f'<td class="num">{amount:,.2f}</td></tr>'
            for key, amount in rows
        )
        self.result.value = f'<div class="ecerp-fc-report"><table>{cells}</table></div>'
