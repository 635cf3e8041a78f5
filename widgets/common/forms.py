"""A record form built from the core's field specs (:class:`ecerp_core.catalog.rules.Field`).

Every field gets a translated label, an input that suits its ``kind`` and a message line right
under it, where the problems the services report about that field are shown. The form holds no
rules: it hands the raw text to the services and shows what they answer.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import ipywidgets as w

from ecerp_core.catalog.rules import Field
from ecerp_core.errors import Problem
from widgets.common.filters import choice_label
from widgets.common.i18n import Translator

_WIDE_KINDS = ("mapping", "components")


def spec_to_text(spec: Mapping | None) -> str:
    """``{"颜色": "白色"}`` as the form shows it: one ``name: value`` per line."""
    return "\n".join(f"{k}: {v}" for k, v in (spec or {}).items())


def text_to_spec(text: str) -> dict | str:
    """Read ``name: value`` lines back; text that is not such lines goes to the core as it is
    (which then reports it as a problem of the field)."""
    result = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, sep, value = line.replace("：", ":").partition(":")
        if not sep or not name.strip():
            return text
        result[name.strip()] = value.strip()
    return result


class FieldInput:
    """One field of a form: label, input and the message line under it."""

    def __init__(self, i18n: Translator, field: Field, options: Sequence[str] = ()) -> None:
        self.i18n = i18n
        self.field = field
        self.problem: Problem | None = None
        self.label = w.HTML()
        self.label.add_class("ecerp-field-label")
        i18n.bind(self.label, "value", self._label_html)
        self.input = self._make_input(options)
        self.input.add_class("ecerp-input")
        self.input.add_class(f"ecerp-field-{field.name}")
        self.message = w.HTML(value="")
        self.message.add_class("ecerp-field-message")
        self.box = w.VBox([self.label, self.input, self.message])
        self.box.add_class("ecerp-field")
        if field.kind in _WIDE_KINDS:
            self.box.add_class("ecerp-field-wide")

    def _label_html(self, language: str) -> str:
        star = ' <span class="ecerp-required">*</span>' if self.field.required else ""
        return f"<label>{self.i18n.t(self.field.label_key)}{star}</label>"

    def _make_input(self, options: Sequence[str]) -> w.ValueWidget:
        kind = self.field.kind
        layout = w.Layout(width="auto", margin="0")
        if kind == "bool":
            box = w.Checkbox(value=False, indent=False, layout=layout)
            self.i18n.bind(box, "description", "common.yes")
            return box
        if kind == "choice":
            dropdown = w.Dropdown(layout=layout)
            self.i18n.bind(
                dropdown,
                "options",
                lambda lang: (
                    [("", "")] + [(choice_label(self.field.name, c, lang), c) for c in self.field.choices]
                ),
            )
            return dropdown
        if kind == "mapping":
            area = w.Textarea(layout=w.Layout(width="auto", height="64px", margin="0"))
            self.i18n.bind(area, "placeholder", "app.form.spec_placeholder")
            return area
        if kind == "components":
            text = w.Text(layout=layout)
            self.i18n.bind(text, "placeholder", "app.form.components_placeholder")
            return text
        if kind in ("ref", "currency"):
            return w.Combobox(options=list(options), ensure_option=False, layout=layout)
        text = w.Text(layout=layout)
        if kind in ("money", "decimal", "int"):
            text.add_class("ecerp-number")
        return text

    # --- values ---------------------------------------------------------------------------------
    def get(self) -> object:
        """The raw value as the services take it (text; a flag; a mapping)."""
        value = self.input.value
        if self.field.kind == "mapping":
            return text_to_spec(value)
        return value

    def set(self, value: object) -> None:
        kind = self.field.kind
        if kind == "bool":
            self.input.value = bool(value)
        elif kind == "mapping":
            self.input.value = spec_to_text(value if isinstance(value, Mapping) else {})
        elif kind == "choice":
            self.input.value = value if value in self.field.choices else ""
        elif kind == "components":
            self.input.value = "; ".join(f"{sku}*{qty}" for sku, qty in value or ())
        elif value is None:
            self.input.value = ""
        elif isinstance(value, Decimal):
            self.input.value = format(value, "f")
        else:
            self.input.value = str(value)

    def is_blank(self) -> bool:
        value = self.input.value
        return self.field.kind != "bool" and (value is None or str(value).strip() == "")

    # --- messages -------------------------------------------------------------------------------
    def show_problem(self, problem: Problem | None) -> None:
        """Show ``problem`` under the input (None clears it)."""
        self.problem = problem
        if problem is None:
            self.message.value = ""
            self.input.remove_class("ecerp-invalid")
        else:
            self.message.value = (
                f'<span role="alert">{html.escape(problem.message(self.i18n.language))}</span>'
            )
            self.input.add_class("ecerp-invalid")


class RecordForm(w.VBox):
    """A form for one kind of record; ``fields`` are the core's specs for it.

    options: suggestions for ``ref`` and ``currency`` fields, by field name.
    """

    def __init__(
        self, i18n: Translator, fields: Sequence[Field], options: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.i18n = i18n
        self.fields = tuple(fields)
        self.inputs = {f.name: FieldInput(i18n, f, (options or {}).get(f.name, ())) for f in self.fields}
        grid = w.GridBox([i.box for i in self.inputs.values()])
        grid.add_class("ecerp-form-grid")
        super().__init__([grid])
        self.add_class("ecerp-form")
        i18n.on_change(self._reword)

    def values(self, *, skip_blank: bool | Iterable[str] = False) -> dict[str, object]:
        """The raw values of the fields.

        skip_blank: True leaves out every empty field (a new record: the core's defaults apply);
        a set of kinds leaves out the empty fields of those kinds only (an update: an empty
        currency or number means "unchanged", while an empty text clears the text).
        """
        kinds = None if isinstance(skip_blank, bool) else set(skip_blank)

        def skipped(field: FieldInput) -> bool:
            if not field.is_blank():
                return False
            return skip_blank is True if kinds is None else field.field.kind in kinds

        return {name: field.get() for name, field in self.inputs.items() if not skipped(field)}

    def load(self, record: Mapping[str, object]) -> None:
        """Fill the inputs from a record (as :func:`~ecerp_core.catalog.services.get_record` gives)."""
        self.clear_problems()
        for name, field in self.inputs.items():
            field.set(record.get(name))

    def clear(self) -> None:
        """Empty every input and message."""
        self.load({})

    def show_problems(self, problems: Iterable[Problem]) -> list[Problem]:
        """Put each problem next to its field; return the ones that belong to no field here."""
        self.clear_problems()
        unplaced = []
        for p in problems:
            field = self.inputs.get(p.field or "")
            if field is None:
                unplaced.append(p)
            elif field.problem is None:  # the first problem of a field is the one to fix first
                field.show_problem(p)
        return unplaced

    def clear_problems(self) -> None:
        for field in self.inputs.values():
            field.show_problem(None)

    def messages(self) -> dict[str, str]:
        """The message shown next to each field that has one (for tests and screen readers)."""
        return {name: f.problem.message(self.i18n.language) for name, f in self.inputs.items() if f.problem}

    def close_all(self) -> None:
        """Close the form's widgets and stop re-labelling them."""
        for field in self.inputs.values():
            self.i18n.forget(field.label, field.input, field.message)
        self.i18n.remove_listener(self._reword)
        self.close()

    def _reword(self, _language: str) -> None:
        for field in self.inputs.values():
            field.show_problem(field.problem)
