"""The packing bench (验货打包): one scan box for a scanner (Enter ends a scan). The first scan names
the parcel (order or tracking number), each next one an item; a wrong item or one too many is
refused aloud, and the parcel is marked packed when its last item is scanned."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.errors import ValidationError
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed, spaced
from widgets.order_desk.ship_model import ShipModel


class PackingScreen:
    """The scan box, what the last scan did, and the parcel's items (expected, scanned, left)."""

    def __init__(self, model: ShipModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        i18n = self.i18n
        self.scan_box = classed(
            w.Text(continuous_update=False, layout=w.Layout(flex="1 1 auto", min_width="260px")),
            "ecerp-pack-scan",
        )
        self.next_button = button(i18n, "ship.pack.next", "ecerp-pack-next", icon="redo", width="auto")
        self.last = classed(w.HTML(), "ecerp-pack-last")
        self.items = classed(w.HTML(), "ecerp-pack-items")
        self.panel = classed(
            spaced(
                w.VBox([spaced(w.HBox([self.scan_box, self.next_button]), 8), self.last, self.items]),
                8,
            ),
            "ecerp-pack-panel",
        )
        self.scan_box.observe(self.scanned, "value")
        self.next_button.on_click(self.reset)
        i18n.on_change(lambda _lang: self.draw())
        self.draw()

    @ui_action
    def scanned(self, change) -> None:
        """Enter in the scan box: the parcel when none is on the bench, else one item."""
        code = (change["new"] or "").strip()
        if not code:
            return
        self.scan_box.value = ""  # ready for the next scan
        try:
            if self.model.packing is None:
                check = self.model.start_packing(code)
                self._say("ok", self.i18n.t("ship.pack.order", order=check.number, left=_left(check)))
            else:
                check = self.model.scan_item(code)
                sku = self.model.packing.codes[code]
                self._say(
                    "ok",
                    self.i18n.t(
                        "ship.pack.scanned", sku=sku, scanned=check.scanned[sku], expected=check.expected[sku]
                    ),
                )
                if check.complete:
                    self.model.finish_packing()
                    self._say("done", self.i18n.t("ship.pack.done", order=check.number))
                    self.alerts.success(self.i18n.t("ship.pack.done", order=check.number))
        except ValidationError as refused:  # said on the bench, loud, and the parcel stays as it was
            self._say("error", refused.problems[0].message(self.i18n.language) if refused.problems else "")
        self.draw()
        if self.model.packing is not None and self.model.packing.complete:
            self.model.packing = None

    def reset(self, _button=None) -> None:
        self.model.packing = None
        self.last.value = ""
        self.draw()

    def _say(self, kind: str, text: str) -> None:
        self.last.value = f'<div class="ecerp-pack-{kind}">{html.escape(text)}</div>'

    def draw(self) -> None:
        check, i18n = self.model.packing, self.i18n
        self.scan_box.placeholder = i18n.t("ship.pack.scan_item" if check else "ship.pack.scan_order")
        if check is None:
            self.items.value = f'<div class="ecerp-muted">{html.escape(i18n.t("ship.pack.waiting"))}</div>'
            return
        e = html.escape
        head = "".join(
            f"<th{' class=r' if n > 1 else ''}>{e(i18n.t(k))}</th>"
            for n, k in enumerate(
                ("field.sku", "field.name", "ship.pack.expected", "ship.pack.scanned_col", "ship.pack.left")
            )
        )
        body = "".join(
            f"<tr class='{'ecerp-pack-row-done' if r['left'] == 0 else ''}'><td>{e(r['sku'])}</td>"
            f"<td>{e(r['name'])}</td><td class=r>{r['expected']}</td><td class=r>{r['scanned']}</td>"
            f"<td class=r>{r['left']}</td></tr>"
            for r in check.rows()
        )
        title = e(i18n.t("ship.pack.order", order=check.number, left=_left(check)))
        self.items.value = (
            f'<div class="ecerp-subtitle">{title}</div><table class="ecerp-mini ecerp-pack-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


def _left(check) -> int:
    return sum(r["left"] for r in check.rows())
