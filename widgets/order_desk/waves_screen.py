"""Wave picking (波次拣货): make a wave of a warehouse's approved orders, choose one of the recent
waves, print its pick list in bin order, number its waybills and ship it (after Confirm)."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable

import ipywidgets as w

from widgets.common.actions import ui_action
from widgets.common.confirm import ConfirmBar
from widgets.common.grid import format_cell
from widgets.common.parts import button, classed, spaced
from widgets.order_desk.edit_card import labelled
from widgets.order_desk.ship_model import ShipModel


class WavesScreen:
    """Create a wave; the recent waves; the chosen wave's orders, pick list and waybill actions."""

    def __init__(self, model: ShipModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        i18n = self.i18n
        self.warehouse = classed(w.Dropdown(layout=w.Layout(width="190px")), "ecerp-wave-warehouse")
        self.limit = classed(
            w.BoundedIntText(value=50, min=1, max=500, layout=w.Layout(width="90px")), "ecerp-wave-limit"
        )
        self.create_button = button(
            i18n, "ship.wave.create", "ecerp-wave-create", icon="plus", style="primary", width="auto"
        )
        self.chosen_button = button(i18n, "ship.wave.create_chosen", "ecerp-wave-create-chosen", width="auto")
        self.chosen: Callable[[], list[int]] | None = None  # the orders chosen on the desk above
        self.picker = classed(w.Dropdown(layout=w.Layout(width="320px")), "ecerp-wave-picker")
        self.recent = classed(w.HTML(), "ecerp-wave-list")
        self.detail = classed(w.HTML(), "ecerp-wave-detail")
        self.waybill_button = button(
            i18n, "ship.wave.waybills", "ecerp-wave-waybills", icon="barcode", width="auto"
        )
        self.ship_button = button(
            i18n, "ship.wave.ship", "ecerp-wave-ship", icon="truck", style="warning", width="auto"
        )
        self.confirm_bar = ConfirmBar(i18n, self.alerts, "ecerp-wave-confirm")
        self.wave_actions = spaced(
            w.HBox([self.waybill_button, self.ship_button], layout=w.Layout(display="none")), 8
        )
        self.panel = classed(
            spaced(
                w.VBox(
                    [
                        spaced(
                            w.HBox(
                                [
                                    labelled(i18n, "field.warehouse", self.warehouse),
                                    labelled(i18n, "ship.wave.limit", self.limit),
                                    w.VBox([w.HTML("&nbsp;"), self.create_button]),
                                    w.VBox([w.HTML("&nbsp;"), self.chosen_button]),
                                ]
                            ),
                            8,
                        ),
                        labelled(i18n, "ship.wave.recent", self.picker),
                        self.recent,
                        self.detail,
                        self.wave_actions,
                        self.confirm_bar.box,
                    ]
                ),
                8,
            ),
            "ecerp-waves-panel",
        )
        self.create_button.on_click(self.create)
        self.chosen_button.on_click(self.create_from_chosen)
        self.picker.observe(self.choose, "value")
        self.waybill_button.on_click(self.number_waybills)
        self.ship_button.on_click(self.ask_ship)
        i18n.on_change(lambda _lang: self.refresh())

    def refresh(self) -> None:
        """Warehouses and recent waves again (the chosen wave stays chosen)."""
        where = self.warehouse.value
        self.warehouse.options = self.model.desk.warehouses()
        known = [value for _, value in self.warehouse.options]
        self.warehouse.value = where if where in known else (known[0] if known else None)
        rows = self.model.waves()
        chosen = self.picker.value
        none = (self.i18n.t("ship.wave.choose"), "")
        self.picker.options = [none] + [
            (f"{r['number']} · {r['warehouse']} · {r['orders']}", r["number"]) for r in rows
        ]
        self.picker.value = chosen if chosen in {r["number"] for r in rows} else ""
        self.recent.value = self._recent_html(rows)
        self._draw_wave()

    @ui_action
    def create(self, _button=None, order_ids: list[int] | None = None) -> None:
        """A wave of the warehouse's oldest approved orders in no wave (of ``order_ids`` if given)."""
        if self.warehouse.value is None:
            self.alerts.error(self.i18n.t("stocktake.no_warehouse"))
            return
        wave = self.model.create_wave(self.warehouse.value, int(self.limit.value), order_ids)
        self.alerts.success(self.i18n.t("ship.wave.created", number=wave["number"], count=wave["orders"]))
        self.refresh()
        self.picker.value = wave["number"]

    @ui_action
    def create_from_chosen(self, _button=None) -> None:
        """A wave of the orders chosen on the desk (the open one, the page, or all filtered)."""
        ids = self.chosen() if self.chosen else []
        if not ids:
            self.alerts.info(self.i18n.t("orders.nothing_selected"))
            return
        self.create(order_ids=ids)

    @ui_action
    def choose(self, change) -> None:
        self.confirm_bar.cancel()
        if change["new"]:
            self.model.open_wave(change["new"])
        else:
            self.model.wave = None
        self._draw_wave()

    @ui_action
    def number_waybills(self, _button=None) -> None:
        numbers = self.model.number_waybills()
        self.alerts.success(self.i18n.t("ship.wave.waybills_done", count=len(numbers)))
        self.model.open_wave(self.model.wave["number"])
        self._draw_wave()

    @ui_action
    def ask_ship(self, _button=None) -> None:
        wave = self.model.wave
        count = sum(o["status"] == "approved" for o in wave["orders"])
        self.confirm_bar.ask(
            self.i18n.t("ship.wave.ship_question", number=wave["number"], count=count), self.ship
        )

    @ui_action
    def ship(self) -> None:
        shipped = self.model.ship_wave()
        self.alerts.success(self.i18n.t("ship.wave.shipped_done", count=shipped))
        self.model.open_wave(self.model.wave["number"])
        self.refresh()

    # --- drawing --------------------------------------------------------------------------------
    def _recent_html(self, rows: list[dict]) -> str:
        e, i18n, lang = html.escape, self.i18n, self.i18n.language
        if not rows:
            return f'<div class="ecerp-muted">{e(i18n.t("ship.wave.none"))}</div>'
        keys = (
            "ship.wave.number",
            "field.warehouse",
            "ship.wave.orders",
            "ship.wave.shipped",
            "field.created_at",
        )
        head = "".join(f"<th{' class=r' if k in keys[2:4] else ''}>{e(i18n.t(k))}</th>" for k in keys)
        body = "".join(
            f"<tr><td>{e(r['number'])}</td><td>{e(r['warehouse'])}</td><td class=r>{r['orders']}</td>"
            f"<td class=r>{r['shipped']}</td><td>{format_cell(r['created_at'], lang)}</td></tr>"
            for r in rows[:8]
        )
        return f'<table class="ecerp-mini"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def _draw_wave(self) -> None:
        wave, e, i18n = self.model.wave, html.escape, self.i18n
        self.wave_actions.layout.display = "flex" if wave else "none"
        if not wave:
            self.detail.value = ""
            return
        name = i18n.language == "en"
        picks = "".join(
            f"<tr><td>{e(r['bin'] or '—')}</td><td>{e(r['sku'])}</td>"
            f"<td>{e((r['name_en'] if name and r['name_en'] else r['name']) or '')}</td>"
            f"<td class=r>{r['quantity']}</td><td>{e(' '.join(r['orders']))}</td></tr>"
            for r in wave["rows"]
        )
        keys = ("field.bin", "field.sku", "field.name", "field.quantity", "orders.pick.orders")
        head = "".join(f"<th{' class=r' if k == 'field.quantity' else ''}>{e(i18n.t(k))}</th>" for k in keys)
        orders = " ".join(f"{e(o['order'])}({e(i18n.t('status.' + o['status']))})" for o in wave["orders"])
        b64 = base64.b64encode(wave["html"].encode("utf-8")).decode()
        link = (
            f'<a class="ecerp-wave-print" download="{e(wave["number"])}.html" '
            f'href="data:text/html;base64,{b64}" target="_blank">{e(i18n.t("ship.wave.pick_list"))}</a>'
        )
        self.detail.value = (
            f'<div class="ecerp-subtitle">{e(wave["number"])} · {e(wave["warehouse"])} · {link}</div>'
            f'<table class="ecerp-mini ecerp-wave-picks"><thead><tr>{head}</tr></thead><tbody>{picks}</tbody>'
            f'</table><div class="ecerp-kv">{orders}</div>'
        )
