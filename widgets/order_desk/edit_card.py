"""The Order Desk's edit card (改单), under an unshipped order's detail: receiver, phone, province,
city, district, address, seller's remark and flag, warehouse and carrier; Save writes what changed."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from ecerp_core.i18n import t
from ecerp_core.orders.editing import FLAGS, OrderEdit
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed, spaced
from widgets.order_desk.ship_model import ShipModel

TEXTS = (
    ("receiver_name", "field.receiver_name", "140px"),
    ("receiver_phone", "field.receiver_phone", "150px"),
    ("region", "field.region", "110px"),
    ("city", "field.city", "110px"),
    ("district", "field.district", "110px"),
    ("address", "field.address", "360px"),
    ("carrier", "field.carrier", "140px"),
)


def labelled(i18n, key: str, widget: w.Widget) -> w.Widget:
    """``widget`` under its label (a scanner or a clerk must know what a box is for)."""
    return w.VBox([classed(i18n.bind(w.HTML(), "value", key), "ecerp-field-label"), widget])


class EditCard:
    """Edit the open order while it has not shipped; tell the screen when it changed."""

    def __init__(self, model: ShipModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        self._done: list[Callable[[], None]] = []
        self.texts: dict[str, w.Text] = {}  # the fields are built when an order is first edited
        self.card = classed(spaced(w.VBox(layout=w.Layout(display="none")), 6), "ecerp-card")
        self.card.add_class("ecerp-edit-card")

    def _build(self) -> None:
        """The card's fields (once): a desk opened for the queue has no order to edit yet."""
        if self.texts:
            return
        i18n = self.i18n
        self.texts = {
            name: classed(w.Text(layout=w.Layout(width=width)), f"ecerp-edit-{name}")
            for name, _, width in TEXTS
        }
        self.remark = classed(w.Textarea(layout=w.Layout(width="360px", height="54px")), "ecerp-edit-remark")
        self.flag = classed(w.Dropdown(layout=w.Layout(width="110px")), "ecerp-edit-flag")
        i18n.bind(self.flag, "options", lambda lang: [(t(f"orders.flag.{n}", lang), n) for n in FLAGS])
        self.warehouse = classed(w.Dropdown(layout=w.Layout(width="190px")), "ecerp-edit-warehouse")
        self.save = button(
            i18n, "ship.edit.save", "ecerp-edit-save", icon="save", style="primary", width="auto"
        )
        self.save.on_click(self.save_edit)
        label = {name: key for name, key, _ in TEXTS}

        def row(*names: str) -> w.Widget:
            return spaced(w.HBox([labelled(i18n, label[n], self.texts[n]) for n in names]), 6)

        title = classed(i18n.bind(w.HTML(), "value", "ship.edit.title"), "ecerp-section-title")
        self.card.children = [
            title,
            row("receiver_name", "receiver_phone"),
            row("region", "city", "district"),
            row("address"),
            labelled(i18n, "field.seller_remark", self.remark),
            spaced(
                w.HBox(
                    [
                        labelled(i18n, "field.seller_flag", self.flag),
                        labelled(i18n, "field.warehouse", self.warehouse),
                    ]
                ),
                6,
            ),
            row("carrier"),
            self.save,
        ]

    def on_done(self, callback: Callable[[], None]) -> None:
        self._done.append(callback)

    def show(self) -> None:
        """The open order's values, or hidden when none is open or it has shipped."""
        o = self.model.order
        if not self.model.editable():
            self.card.layout.display = "none"
            return
        self._build()
        for name, box in self.texts.items():
            box.value = o.get(name) or ""
        self.remark.value = o.get("seller_remark") or ""
        self.flag.value = o.get("seller_flag") or 0
        self.warehouse.options = self.model.desk.warehouses()
        known = {value for _, value in self.warehouse.options}
        self.warehouse.value = o["warehouse_id"] if o["warehouse_id"] in known else None
        self.card.layout.display = "flex"

    @ui_action
    def save_edit(self, _button=None) -> None:
        o = self.model.order
        values = {name: box.value for name, box in self.texts.items()}
        edit = OrderEdit(
            **values,
            seller_remark=self.remark.value,
            seller_flag=self.flag.value,
            warehouse_id=self.warehouse.value,
        )
        number = o["platform_order_id"]
        changed = self.model.edit(edit)
        for callback in self._done:  # the desk redrawn first: the message says all is done
            callback()
        if changed:
            self.alerts.success(self.i18n.t("ship.edit.saved", order=number, count=len(changed)))
        else:
            self.alerts.info(self.i18n.t("ship.edit.nothing"))
