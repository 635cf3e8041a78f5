"""The common pieces: language switch, @ui_action, actor resolution, record form."""

from __future__ import annotations

import ipywidgets as w
import pytest
from sqlalchemy.exc import OperationalError

from ecerp_core import db
from ecerp_core.catalog.rules import PRODUCT_FIELDS
from ecerp_core.errors import NotFound, PermissionDenied, ValidationError, problem
from widgets.common.actions import AlertArea, ui_action
from widgets.common.actor import open_context
from widgets.common.forms import RecordForm, text_to_spec
from widgets.common.i18n import LanguageSwitch, Translator, default_language


class Host:
    """A minimal object that ui_action can report through."""

    def __init__(self, language: str = "zh_CN") -> None:
        self.i18n = Translator(language)
        self.alerts = AlertArea()
        self.placed: list = []

    @ui_action
    def fail_with(self, error: Exception, button=None) -> None:
        assert "ecerp-busy" in button._dom_classes  # busy while working
        raise error

    @ui_action
    def succeed(self, button=None) -> str:
        return "done"

    def show_problems(self, problems):
        self.placed = [p for p in problems if p.field]
        return [p for p in problems if not p.field]


def test_translator_relabels_bound_widgets_and_calls_listeners():
    tr = Translator("zh_CN")
    button = tr.bind(w.Button(), "description", "common.save")
    heard = []
    tr.on_change(heard.append)
    assert button.description == "保存"
    tr.set_language("en")
    assert button.description == "Save"
    assert heard == ["en"]


def test_relabelling_a_selection_keeps_the_choice_and_fires_no_change():
    tr = Translator("zh_CN")
    dropdown = w.Dropdown()
    tr.bind(dropdown, "options", lambda lang: [(tr.t("common.yes"), "y"), (tr.t("common.no"), "n")])
    dropdown.value = "n"
    changes = []
    dropdown.observe(changes.append, "value")
    tr.set_language("en")
    assert dropdown.value == "n" and dropdown.label == "No"
    assert dropdown.options == (("Yes", "y"), ("No", "n"))
    assert changes == []


def test_language_switch_switches_the_app():
    tr = Translator("zh_CN")
    label = tr.bind(w.Label(), "value", "common.search")
    switch = LanguageSwitch(tr)
    switch.value = "en"
    assert tr.language == "en" and label.value == "Search"


def test_default_language_follows_the_page_address(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "lang=en")
    assert default_language() == "en"
    monkeypatch.setenv("QUERY_STRING", "lang=xx")
    assert default_language() == "zh_CN"


def test_ui_action_shows_a_named_error_translated_and_frees_the_button():
    host, button = Host("zh_CN"), w.Button()
    host.fail_with(NotFound(entity="entity.product", key="X-1"), button)
    assert host.alerts.kind == "error"
    assert host.alerts.text == "找不到商品“X-1”"
    assert "ecerp-busy" not in button._dom_classes and not button.disabled


def test_ui_action_logs_unexpected_errors_and_shows_only_a_reference(_app_log):
    host = Host("en")
    host.fail_with(ZeroDivisionError("boom"), w.Button())
    text = host.alerts.text
    assert text.startswith("An unexpected error occurred") and "Traceback" not in text
    ref = text.rsplit("(", 1)[1].rstrip(")")
    log = (_app_log / "apps.log").read_text(encoding="utf-8")
    assert f"ref={ref}" in log and "ZeroDivisionError: boom" in log and "Traceback" in log


def test_ui_action_offers_validation_problems_to_the_view_first():
    host = Host("en")
    error = ValidationError([problem("sku", "required"), problem(None, "bundle_empty")])
    host.fail_with(error, w.Button())
    assert [p.field for p in host.placed] == ["sku"]
    assert host.alerts.text.splitlines() == [
        "The input has 2 problem(s):",
        "• a bundle needs at least one component",
    ]


def test_ui_action_returns_the_result_when_all_is_well():
    host = Host()
    assert host.succeed(w.Button()) == "done"
    assert host.alerts.kind == ""


def test_permission_denied_reads_as_a_sentence():
    host = Host("en")
    host.fail_with(PermissionDenied(user="ann", permission="permission.catalog.write"), w.Button())
    assert host.alerts.text.startswith("User ann may not")


def test_actor_comes_from_ecerp_user_or_is_the_first_admin(db, make_user, monkeypatch):
    assert open_context().actor.username == "admin"
    make_user("analyst")
    monkeypatch.setenv("ECERP_USER", "analyst_user")
    ctx = open_context()
    assert ctx.actor.username == "analyst_user" and ctx.actor.role == "analyst"


def test_record_form_is_built_from_the_field_specs_and_places_messages(translator):
    form = RecordForm(translator, PRODUCT_FIELDS)
    assert list(form.inputs) == [f.name for f in PRODUCT_FIELDS]
    assert isinstance(form.inputs["is_bundle"].input, w.Checkbox)
    assert isinstance(form.inputs["spec"].input, w.Textarea)
    assert "SKU" in form.inputs["sku"].label.value and "*" in form.inputs["sku"].label.value
    unplaced = form.show_problems([problem("sku", "required"), problem(None, "bundle_empty")])
    assert [p.field for p in unplaced] == [None]
    assert form.messages() == {"sku": "SKU 编码不能为空"}
    assert "ecerp-invalid" in form.inputs["sku"].input._dom_classes
    translator.set_language("en")
    assert form.messages() == {"sku": "SKU is required"}
    assert "SKU is required" in form.inputs["sku"].message.value


def test_record_form_values_skip_blanks_as_asked(translator):
    form = RecordForm(translator, PRODUCT_FIELDS)
    form.inputs["sku"].input.value = "A-1"
    form.inputs["spec"].input.value = "颜色：白色\n尺码: M"
    assert form.values(skip_blank=True) == {
        "sku": "A-1",
        "spec": {"颜色": "白色", "尺码": "M"},
        "is_bundle": False,
    }
    assert "cost" not in form.values(skip_blank=("money",)) and form.values()["name_en"] == ""


@pytest.mark.parametrize(("text", "expected"), [("a: 1", {"a": "1"}), ("", {}), ("no colon", "no colon")])
def test_spec_text(text, expected):
    assert text_to_spec(text) == expected


class Racer(Host):
    """An action whose transaction loses a deadlock ``losses`` times, optionally after committing."""

    def __init__(self, losses: int, commit_first: bool = False) -> None:
        super().__init__()
        self.losses, self.commit_first, self.runs = losses, commit_first, 0

    @ui_action
    def act(self, button=None) -> str:
        self.runs += 1
        if self.commit_first:
            db._commits += 1  # as a committed write transaction would
        if self.runs <= self.losses:
            raise OperationalError("UPDATE …", {}, _Deadlock())
        return "done"


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_an_action_that_lost_a_race_runs_again_but_never_after_a_commit(monkeypatch):
    monkeypatch.setattr("ecerp_core.db.time.sleep", lambda _s: None)
    racer = Racer(losses=2)
    assert racer.act(w.Button()) == "done" and racer.runs == 3 and racer.alerts.kind == ""
    hopeless = Racer(losses=9)
    assert hopeless.act(w.Button()) is None and hopeless.runs == db.ATTEMPTS
    committed = Racer(losses=1, commit_first=True)  # its first transaction is in: never twice
    assert committed.act(w.Button()) is None and committed.runs == 1
    assert committed.alerts.kind == "error"
    assert "UPDATE" not in committed.alerts.text and "40P01" not in committed.alerts.text


def test_a_preheated_kernel_warms_the_database_up_before_its_visitor_arrives(db_url, monkeypatch):
    import voila.utils

    from widgets.common import shell

    happened: list[str] = []
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setattr(shell, "warm_up", lambda: happened.append("warm"))
    monkeypatch.setattr(voila.utils, "wait_for_request", lambda: happened.append("visitor"))
    shell.wait_for_visitor()
    assert happened == ["warm", "visitor"]

    def broken() -> None:
        raise OperationalError("select 1", {}, Exception("database is down"))

    monkeypatch.setattr(shell, "warm_up", broken)
    shell.wait_for_visitor()  # the build meets the problem and shows it; waiting goes on
    assert happened[-1] == "visitor"
    db.warm_up(db_url)  # mappers configured, a connection opened
