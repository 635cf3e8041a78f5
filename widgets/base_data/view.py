"""Base Data's widgets and their wiring: kind tabs, filter bar, paged grid, record form."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.errors import Problem
from ecerp_core.i18n import t
from widgets.base_data.model import ENTITY_ORDER, BaseDataModel
from widgets.common.actions import ui_action
from widgets.common.filters import FilterBar, FilterValues
from widgets.common.forms import RecordForm
from widgets.common.grid import PagedGrid
from widgets.common.shell import AppShell

# On an update an empty field of these kinds means "leave as it is" (see RecordForm.values).
KEEP_WHEN_BLANK = ("currency", "choice", "money", "decimal", "int")


class BaseDataView:
    """Base Data's screen. Every event is wired in :meth:`_wire`; every handler is a ui_action."""

    def __init__(self, model: BaseDataModel) -> None:
        self.model = model
        self.ctx = model.ctx
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        i18n = self.i18n

        self.entity_tabs = w.ToggleButtons(style={"button_width": "auto"})
        i18n.bind(
            self.entity_tabs,
            "options",
            lambda lang: [(t(f"base_data.tab.{name}", lang), name) for name in ENTITY_ORDER],
        )
        self.entity_tabs.value = model.entity_name
        self.entity_tabs.add_class("ecerp-entity-tabs")

        self.filter_bar = FilterBar(i18n, model.choice_filters())
        self.grid = PagedGrid(
            i18n, self.alerts, model.fetch, model.columns(), key_column=model.key_field, page_size=25
        )
        list_card = w.VBox([self.filter_bar, self.grid], layout=w.Layout(flex="1 1 0", min_width="0"))
        list_card.add_class("ecerp-card")

        self.form_title = w.HTML()
        self.form_title.add_class("ecerp-section-title")
        i18n.bind(self.form_title, "value", self._form_title_html)
        self.form_box = w.VBox()
        self.form: RecordForm | None = None
        self.save_button = w.Button(button_style="primary", icon="check")
        self.save_button.add_class("ecerp-save")
        i18n.bind(self.save_button, "description", "common.save")
        self.new_button = w.Button(icon="plus")
        self.new_button.add_class("ecerp-new")
        i18n.bind(self.new_button, "description", "common.new")
        self.active_button = w.Button()
        self.active_button.add_class("ecerp-toggle-active")
        i18n.bind(self.active_button, "description", self._active_label)
        self.buttons = w.HBox(
            [self.save_button, self.new_button, w.HBox(layout=w.Layout(flex="1")), self.active_button]
        )
        self.buttons.add_class("ecerp-form-buttons")
        form_card = w.VBox(
            [self.form_title, self.form_box, self.buttons], layout=w.Layout(flex="0 0 440px", width="440px")
        )
        form_card.add_class("ecerp-card")
        form_card.add_class("ecerp-form-card")

        main = w.HBox([list_card, form_card], layout=w.Layout(align_items="flex-start"))
        main.add_class("ecerp-main")
        body = w.VBox([w.HTML(STYLE), self.entity_tabs, main])
        self.shell = AppShell(self.ctx, "app.base_data.title", body)
        self._build_form()
        self._wire()
        self.grid.refresh()

    # --- wiring ---------------------------------------------------------------------------------
    def _wire(self) -> None:
        self.entity_tabs.observe(self.switch_entity, "value")
        self.filter_bar.on_change(self.apply_filters)
        self.grid.on_open(self.open_record)
        self.save_button.on_click(self.save)
        self.new_button.on_click(self.new_record)
        self.active_button.on_click(self.toggle_active)

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def switch_entity(self, change) -> None:
        """Show another kind of record: its columns, filters and form."""
        self.model.select_entity(change["new"])
        self.alerts.clear()
        self.filter_bar.set_choices(self.model.choice_filters())
        self.grid.set_columns(self.model.columns(), key_column=self.model.key_field)
        self._build_form()
        self.grid.refresh(reset=True)

    @ui_action
    def apply_filters(self, values: FilterValues) -> None:
        self.model.filters = values
        self.grid.refresh(reset=True)

    @ui_action
    def open_record(self, key: str) -> None:
        self.alerts.clear()
        self.form.load(self.model.open(key))
        self.grid.select(key)
        self._refresh_form_state()

    @ui_action
    def new_record(self, _button=None) -> None:
        self.alerts.clear()
        self.model.new()
        self.form.clear()
        self.grid.select(None)
        self._refresh_form_state()

    @ui_action
    def save(self, _button=None) -> None:
        """Create or update the record in the form; problems appear next to their fields."""
        self.alerts.clear()
        creating = self.model.record is None
        values = self.form.values(skip_blank=True if creating else KEEP_WHEN_BLANK)
        key = self.model.save(values)
        self.form.load(self.model.record)
        self._refresh_form_state()
        self.grid.refresh()
        self.grid.select(key)
        message = "base_data.created" if creating else "base_data.saved"
        self.alerts.success(self.i18n.t(message, entity=self.model.entity.label_key, key=key))

    @ui_action
    def toggle_active(self, _button=None) -> None:
        """Deactivate the open record, or reactivate it."""
        if self.model.record is None:
            return
        active = not self.model.record["active"]
        key = self.model.set_active(active)
        self._refresh_form_state()
        self.grid.refresh()
        message = "base_data.reactivated" if active else "base_data.deactivated"
        self.alerts.success(self.i18n.t(message, entity=self.model.entity.label_key, key=key))

    def show_problems(self, problems: list[Problem]) -> list[Problem]:
        """Called by ui_action on a ValidationError: messages go next to their fields."""
        return self.form.show_problems(problems) if self.form else problems

    # --- drawing --------------------------------------------------------------------------------
    def _build_form(self) -> None:
        if self.form is not None:
            self.form.close_all()
        self.form = RecordForm(self.i18n, self.model.entity.fields, self.model.ref_options())
        self.form_box.children = [self.form]
        self._refresh_form_state()

    def _refresh_form_state(self) -> None:
        record = self.model.record
        self.form_title.value = self._form_title_html(self.i18n.language)
        self.active_button.layout.visibility = "visible" if record else "hidden"
        self.buttons.layout.display = None if self.model.may_write() else "none"  # a reader only reads
        self.active_button.description = self._active_label(self.i18n.language)
        self.active_button.button_style = "success" if record and not record["active"] else "warning"

    def _active_label(self, language: str) -> str:
        record = self.model.record
        return t("common.activate" if record and not record["active"] else "common.deactivate", language)

    def _form_title_html(self, language: str) -> str:
        entity = self.model.entity.label_key
        record = self.model.record
        if record is None:
            return html.escape(t("base_data.form.new", language, entity=entity))
        title = html.escape(
            t("base_data.form.edit", language, entity=entity, key=record[self.model.key_field])
        )
        if not record["active"]:
            title += (
                f' <span class="ecerp-badge-inactive">{html.escape(t("base_data.inactive", language))}</span>'
            )
        return title


STYLE = """
<style>
.ecerp-entity-tabs { margin-bottom: 14px; }
.ecerp-main { gap: 16px; }
.ecerp-entity-tabs .widget-toggle-button { padding: 0 18px; height: 34px; font-size: 14px; }
.ecerp-form-card .ecerp-section-title { margin-bottom: 12px; }
.ecerp-form-buttons { gap: 8px; margin-top: 6px; padding-top: 12px; border-top: 1px solid #eef0f2; }
.ecerp-badge-inactive { font-size: 12px; font-weight: 400; color: #8a1f1f; background: #fdecec;
  border-radius: 9px; padding: 1px 8px; margin-left: 6px; }
</style>
"""
