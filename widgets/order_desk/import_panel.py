"""The Order Desk's import card: platform export files in, a tracking file to ship orders from."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed, spaced
from widgets.common.shared import fixed, fixed_layout
from widgets.order_desk.model import OrderDeskModel

IMPORT_PLATFORMS = ("shopify", "taobao", "jd", "pdd", "woocommerce", "csv")
SHOWN_REJECTS = 50


class ImportPanel:
    """Upload, import, report what was rejected; tell the screen around it when orders changed."""

    def __init__(self, model: OrderDeskModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        i18n = self.i18n
        self._done_callbacks: list[Callable[[], None]] = []
        self.platform = classed(
            fixed(w.Dropdown, layout=fixed_layout(width="150px")), "ecerp-import-platform"
        )
        i18n.bind(
            self.platform,
            "options",
            lambda lang: [(t(f"orders.import.platform.{p}", lang), p) for p in IMPORT_PLATFORMS],
        )
        self.platform.value = IMPORT_PLATFORMS[0]
        self.shop = classed(fixed(w.Dropdown, layout=fixed_layout(width="170px")), "ecerp-import-shop")
        i18n.bind(
            self.shop,
            "options",
            lambda lang: [(t("orders.import.shop_auto", lang), ""), *model.import_shops()],
        )
        self.upload = classed(fixed(w.FileUpload, accept=".csv,.xlsx,.txt", multiple=True), "ecerp-upload")
        i18n.bind(self.upload, "description", "orders.import.choose")
        self.history = i18n.bind(fixed(w.Checkbox, indent=False), "description", "orders.import.history")
        self.import_button = button(
            i18n, "orders.import.run", "ecerp-import-button", icon="upload", style="primary", fixed=True
        )
        self.tracking_upload = classed(
            fixed(w.FileUpload, accept=".csv,.xlsx", multiple=False), "ecerp-tracking-upload"
        )
        i18n.bind(self.tracking_upload, "description", "orders.import.tracking_file")
        self.tracking_button = button(
            i18n, "orders.import.ship_from_file", "ecerp-tracking-button", icon="truck", fixed=True
        )
        self.summary = classed(fixed(w.HTML), "ecerp-import-summary")
        self.card = self._build_card()
        self.shop.index = 0
        self.import_button.on_click(self.import_upload)
        self.tracking_button.on_click(self.ship_from_file)

    def _build_card(self) -> w.VBox:
        title = classed(self.i18n.bind(fixed(w.HTML), "value", "orders.import.title"), "ecerp-section-title")
        choices = fixed(
            w.HBox,
            children=[self.platform, self.shop, self.upload, self.history, self.import_button],
            layout=fixed_layout(flex_flow="row wrap", align_items="center"),
        )
        tracking = fixed(w.HBox, children=[self.tracking_upload, self.tracking_button])
        # a layout of its own: hidden from those who may not import
        card = w.VBox([title, spaced(choices, 6), spaced(tracking, 6), self.summary])
        return classed(card, "ecerp-card")

    def on_done(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after orders were imported or shipped."""
        self._done_callbacks.append(callback)

    @ui_action
    def import_upload(self, _button=None) -> None:
        files = [(f["name"], bytes(f["content"])) for f in self.upload.value]
        if not files:
            self.alerts.info(self.i18n.t("orders.import.no_file"))
            return
        summary = self.model.import_files(
            self.platform.value, self.shop.value or None, files, history=self.history.value
        )
        self.summary.value = _rows_html(
            self.i18n.t("orders.import.rejected", count=len(summary["rejected"])),
            summary["rejected"],
            "ecerp-rejected",
        ) + _rows_html(
            self.i18n.t("orders.import.warnings", count=len(summary["warnings"])),
            summary["warnings"],
            "ecerp-import-warnings",
        )
        self.alerts.success(
            self.i18n.t(
                "cli.orders_imported",
                rejected=len(summary["rejected"]),
                **{k: summary[k] for k in ("created", "updated", "unchanged", "exceptions")},
            )
        )
        self.upload.value = ()
        self._done()

    @ui_action
    def ship_from_file(self, _button=None) -> None:
        if not self.tracking_upload.value:
            self.alerts.info(self.i18n.t("orders.import.no_file"))
            return
        f = self.tracking_upload.value[0]
        result = self.model.ship_tracking_file(f["name"], bytes(f["content"]))
        self.summary.value = _rows_html("", result["rejected"], "ecerp-rejected")
        self.alerts.success(
            self.i18n.t(
                "orders.done",
                action=self.i18n.t("orders.action.ship"),
                count=result["shipped"],
                skipped=len(result["rejected"]),
            )
        )
        self.tracking_upload.value = ()
        self._done()

    def _done(self) -> None:
        for callback in self._done_callbacks:
            callback()


def _rows_html(title: str, found: list[dict], css: str) -> str:
    """The first rows found (rejected, or imported with a warning) with their file, line and reason,
    under ``title``; nothing when there are none."""
    rows = "".join(
        f"<li>{html.escape(r['file'])}:{r['line']} — {html.escape(r['reason'])}</li>"
        for r in found[:SHOWN_REJECTS]
    )
    if not rows:
        return ""
    more = "<li>…</li>" if len(found) > SHOWN_REJECTS else ""
    heading = f"<div class='{css}-title'>{html.escape(title)}</div>" if title else ""
    return f"{heading}<ul class='{css}'>{rows}{more}</ul>"
