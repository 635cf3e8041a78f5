"""The voucher screen of Finance Close (记账凭证): enter lines with an account picker that finds
accounts by code or name, watch the debit and credit totals, post; list the vouchers, open one,
reverse it. Every event is wired in :meth:`VoucherScreen._wire`; every handler is a ui_action."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.actor import AppContext
from widgets.common.grid import PagedGrid
from widgets.common.parts import button, classed
from widgets.finance_close.voucher_model import VOUCHER_COLUMNS, LineInput, VoucherModel

CSS = """<style>
.ecerp-vc-lines { gap: 4px; } .ecerp-vc-row { gap: 8px; } .ecerp-vc-line { gap: 8px; align-items: center; }
.ecerp-vc-head { gap: 8px; font-weight: 600; color: #4a5563; font-size: 12px; }
.ecerp-vc-totals { font-variant-numeric: tabular-nums; margin: 6px 0; }
.ecerp-vc-totals .ok { color: #1d6b36; font-weight: 600; }
.ecerp-vc-totals .off { color: #b3261e; font-weight: 600; }
.ecerp-vc-detail table { border-collapse: collapse; font-size: 13px; }
.ecerp-vc-detail td, .ecerp-vc-detail th { padding: 3px 10px; border-bottom: 1px solid #edf0f3; }
.ecerp-vc-detail td.num { text-align: right; font-variant-numeric: tabular-nums; }
</style>"""
WIDTHS = {"account": "320px", "debit": "130px", "credit": "130px", "memo": "240px"}


class LineRow(w.HBox):
    """One voucher line: account picker (type a code or a name), debit, credit, memo, remove."""

    def __init__(self, i18n, accounts: list[str]) -> None:
        self.account = classed(
            w.Combobox(options=accounts, ensure_option=True, layout=w.Layout(width=WIDTHS["account"])),
            "ecerp-vc-account",
        )
        i18n.bind(self.account, "placeholder", "vouchers.account_placeholder")
        self.debit = classed(w.Text(layout=w.Layout(width=WIDTHS["debit"])), "ecerp-vc-debit")
        self.credit = classed(w.Text(layout=w.Layout(width=WIDTHS["credit"])), "ecerp-vc-credit")
        self.memo = classed(w.Text(layout=w.Layout(width=WIDTHS["memo"])), "ecerp-vc-line-memo")
        self.remove = classed(w.Button(icon="trash", layout=w.Layout(width="36px")), "ecerp-vc-remove")
        super().__init__([self.account, self.debit, self.credit, self.memo, self.remove])
        self.add_class("ecerp-vc-line")

    def value(self) -> LineInput:
        return LineInput(self.account.value, self.debit.value, self.credit.value, self.memo.value)


class VoucherScreen:
    """The voucher tab: the entry card and the list card."""

    def __init__(self, ctx: AppContext) -> None:
        self.model, self.ctx = VoucherModel(ctx), ctx
        self.alerts, self.i18n = ctx.alerts, ctx.i18n
        i18n = self.i18n
        self.accounts, today = self.model.account_options(), self.model.today()
        self.day = classed(w.DatePicker(value=today, layout=w.Layout(width="170px")), "ecerp-vc-date")
        self.memo = classed(w.Text(layout=w.Layout(width="360px")), "ecerp-vc-memo")
        self.attachments = classed(w.Text(layout=w.Layout(width="300px")), "ecerp-vc-attachments")
        i18n.bind(self.memo, "placeholder", "vouchers.memo_placeholder")
        i18n.bind(self.attachments, "placeholder", "vouchers.attachments_placeholder")
        self.rows: list[LineRow] = []
        self.lines_box = classed(w.VBox(), "ecerp-vc-lines")
        self.totals = classed(w.HTML(), "ecerp-vc-totals")
        self.add_line_button = button(
            i18n, "vouchers.add_line", "ecerp-vc-add-line", icon="plus", width="auto"
        )
        self.post_button = button(i18n, "vouchers.post", "ecerp-vc-post", style="primary", width="auto")
        self.clear_button = button(i18n, "vouchers.clear", "ecerp-vc-clear", width="auto")
        self.grid = PagedGrid(
            i18n,
            self.alerts,
            self.model.fetch,
            list(VOUCHER_COLUMNS),
            key_column="entry_number",
            muted_column=None,
            page_size=25,
        )
        self.grid.add_class("ecerp-vc-list")
        self.detail = classed(w.HTML(), "ecerp-vc-detail")
        self.reverse_day = classed(
            w.DatePicker(value=today, layout=w.Layout(width="170px")), "ecerp-vc-reverse-date"
        )
        self.reverse_button = button(
            i18n, "vouchers.reverse", "ecerp-vc-reverse", style="warning", width="auto"
        )
        self.panel = w.VBox([w.HTML(CSS), self._entry_card(), self._list_card()])
        self._wire()
        self.clear()

    def refresh(self) -> None:
        """Shown again: the vouchers as they are now."""
        self.grid.refresh()

    # --- layout ---------------------------------------------------------------------------------
    def _label(self, key: str, width: str | None = None) -> w.Label:
        return self.i18n.bind(w.Label(layout=w.Layout(width=width) if width else w.Layout()), "value", key)

    def _card(self, title_key: str, *children: w.Widget) -> w.VBox:
        title = self.i18n.bind(
            w.HTML(),
            "value",
            lambda lang: f'<div class="ecerp-section-title">{html.escape(t(title_key, lang))}</div>',
        )
        box = w.VBox([title, *children], layout=w.Layout(margin="0 0 14px 0"))
        box.add_class("ecerp-card")
        return box

    def _entry_card(self) -> w.VBox:
        top = classed(
            w.HBox(
                [
                    self._label("vouchers.date"),
                    self.day,
                    self._label("vouchers.memo"),
                    self.memo,
                    self._label("vouchers.attachments"),
                    self.attachments,
                ],
                layout=w.Layout(align_items="center", flex_flow="row wrap"),
            ),
            "ecerp-vc-row",
        )
        head = classed(
            w.HBox([self._label(f"vouchers.col.{k}", width) for k, width in WIDTHS.items()]), "ecerp-vc-head"
        )
        actions = classed(w.HBox([self.add_line_button, self.post_button, self.clear_button]), "ecerp-vc-row")
        card = self._card("vouchers.new", top, head, self.lines_box, self.totals, actions)
        card.layout.display = None if self.model.may_post else "none"
        return card

    def _list_card(self) -> w.VBox:
        reverse = classed(
            w.HBox(
                [self._label("vouchers.reverse_on"), self.reverse_day, self.reverse_button],
                layout=w.Layout(align_items="center"),
            ),
            "ecerp-vc-row",
        )
        reverse.layout.display = None if self.model.may_post else "none"
        return self._card("vouchers.list", self.grid, self.detail, reverse)

    def _wire(self) -> None:
        self.add_line_button.on_click(self.add_line)
        self.post_button.on_click(self.post)
        self.clear_button.on_click(self.clear)
        self.reverse_button.on_click(self.reverse)
        self.grid.on_open(self.open)
        self.i18n.on_change(lambda _lang: self.relabel())

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def add_line(self, _button=None) -> LineRow:
        row = LineRow(self.i18n, self.accounts)
        for box in (row.debit, row.credit, row.account):
            box.observe(lambda _change: self.draw_totals(), "value")
        row.remove.on_click(lambda _b, row=row: self.remove_line(row))
        self.rows.append(row)
        self.lines_box.children = tuple(self.rows)
        self.draw_totals()
        return row

    @ui_action
    def remove_line(self, row: LineRow) -> None:
        if len(self.rows) <= 2:
            row.account.value, row.debit.value, row.credit.value, row.memo.value = "", "", "", ""
        else:
            self.rows.remove(row)
            self.i18n.forget(row.account)
            self.lines_box.children = tuple(self.rows)
        self.draw_totals()

    @ui_action
    def clear(self, _button=None) -> None:
        self.i18n.forget(*(r.account for r in self.rows))
        self.rows = []
        self.memo.value = self.attachments.value = ""
        self.add_line()
        self.add_line()

    @ui_action
    def post(self, _button=None) -> None:
        posted = self.model.post(
            self.day.value, self.memo.value, [r.value() for r in self.rows], self.attachments.value
        )
        self.alerts.success(
            self.i18n.t(
                "finance.cli.voucher_posted",
                voucher=posted.voucher_no,
                entry=posted.entry_number,
                date=posted.entry_date,
            )
        )
        self.clear()
        self.grid.refresh(reset=True)
        self.open(posted.entry_number)

    @ui_action
    def open(self, entry_number: str) -> None:
        self.detail.value = self._detail_html(self.model.open(entry_number))
        self.reverse_button.disabled = bool(self.model.opened["reversed_by"])

    @ui_action
    def reverse(self, _button=None) -> None:
        posted = self.model.reverse(self.reverse_day.value)
        number = self.model.opened["entry_number"]
        self.alerts.success(
            self.i18n.t(
                "finance.cli.voucher_reversed",
                voucher=posted.voucher_no,
                entry=posted.entry_number,
                number=number,
            )
        )
        self.grid.refresh(reset=True)
        self.open(posted.entry_number)

    @ui_action
    def relabel(self) -> None:
        self.accounts = self.model.account_options()
        for row in self.rows:
            code = row.value().code
            row.account.options = self.accounts
            row.account.value = next((a for a in self.accounts if a.split(" ", 1)[0] == code), "")
        self.draw_totals()
        self.grid.refresh()
        if self.model.opened:
            self.open(self.model.opened["entry_number"])

    # --- drawing --------------------------------------------------------------------------------
    def draw_totals(self) -> None:
        lang = self.i18n.language
        totals = self.model.totals([r.value() for r in self.rows])
        if not totals.readable:
            state, css = t("vouchers.not_a_number", lang), "off"
        elif not (totals.debit or totals.credit):
            state, css = t("vouchers.enter_lines", lang), "ecerp-muted"
        elif totals.balanced:
            state, css = t("vouchers.balanced", lang), "ok"
        else:
            state, css = t("vouchers.difference", lang, amount=f"{totals.difference:,.2f}"), "off"
        self.totals.value = (
            f"{html.escape(t('vouchers.total_debit', lang))} <b>{totals.debit:,.2f}</b> &nbsp; "
            f"{html.escape(t('vouchers.total_credit', lang))} <b>{totals.credit:,.2f}</b> &nbsp; "
            f'<span class="{css}">{html.escape(state)}</span>'
        )
        self.post_button.disabled = not totals.balanced or not any(r.value().code for r in self.rows)

    def _detail_html(self, v: dict) -> str:
        lang = self.i18n.language
        head = "".join(
            f"<th>{html.escape(t(f'vouchers.col.{k}', lang))}</th>"
            for k in ("account", "debit", "credit", "memo")
        )
        rows = "".join(
            f"<tr><td>{html.escape(x['account_code'])} {html.escape(x['account_name'])}</td>"
            f'<td class="num">{_money(x["debit"])}</td><td class="num">{_money(x["credit"])}</td>'
            f"<td>{html.escape(x['memo'])}</td></tr>"
            for x in v["lines"]
        )
        sums = "".join(f'<td class="num"><b>{_money(v[k])}</b></td>' for k in ("total_debit", "total_credit"))
        total = f"<tr><td></td>{sums}<td></td></tr>"
        title = t(
            "vouchers.detail",
            lang,
            voucher=v["voucher_no"],
            entry=v["entry_number"],
            date=v["date"],
            memo=v["memo"],
        )
        notes = []
        if v["attachments"]:
            notes.append(t("vouchers.attachment_list", lang, names=", ".join(v["attachments"])))
        if v["reverses"]:
            notes.append(t("vouchers.reverses", lang, entry=v["reverses"]))
        if v["reversed_by"]:
            notes.append(t("vouchers.reversed_by", lang, entry=v["reversed_by"]))
        extra = "".join(f'<div class="ecerp-muted">{html.escape(n)}</div>' for n in notes)
        heading = f'<div class="ecerp-section-title">{html.escape(title)}</div>'
        return f"{heading}<table><tr>{head}</tr>{rows}{total}</table>{extra}"


def _money(value) -> str:
    return "" if not value else f"{value:,.2f}"
