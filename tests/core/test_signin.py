"""Sign-in: lockout, API tokens, the CLI's password and token paths, the sealed session a server
hands its kernels, and the permission checks every service makes (not only the CLI)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os

import pytest
from cli_run import run

from ecerp_core import auth, signin
from ecerp_core.db import session_scope
from ecerp_core.errors import AuthenticationFailed, EcerpError, PermissionDenied
from ecerp_core.finance import closing, journal, posting
from ecerp_core.serving import voila_command
from ecerp_core.stock import services as stock
from widgets.base_data.model import BaseDataModel
from widgets.base_data.view import BaseDataView
from widgets.common import actor as app_actor
from widgets.order_desk.model import OrderDeskModel
from widgets.order_desk.view import OrderDeskView

PASSWORD = "clerk-pass-1"


@pytest.fixture
def clerk(db):
    with session_scope(db) as session:
        auth.create_user(session, auth.resolve_actor(session, "admin"), "clerk", PASSWORD, "order_clerk")
    return "clerk"


def test_lockout_after_five_failures_and_a_success_clears_them(clerk):
    assert signin.sign_in(clerk, PASSWORD).role == "order_clerk"
    for _ in range(signin.MAX_FAILURES):
        with pytest.raises(AuthenticationFailed):
            signin.sign_in(clerk, "wrong-password")
    with pytest.raises(signin.AccountLocked):
        signin.sign_in(clerk, PASSWORD)  # even the right password, until the window passes
    with session_scope() as session:
        assert signin.failures(session, clerk) == signin.MAX_FAILURES
        for row in session.scalars(signin.select(signin.LoginFailure)):
            row.at -= signin.LOCKOUT_WINDOW + dt.timedelta(seconds=1)
    assert signin.sign_in(clerk, PASSWORD).username == clerk
    with session_scope() as session:
        assert signin.failures(session, clerk) == 0


def test_tokens_are_stored_hashed_and_can_be_revoked(session, admin, actor_with_role):
    clerk = actor_with_role("order_clerk")
    token = signin.create_token(session, admin, clerk.username, label="nightly import")
    stored = session.scalar(signin.select(signin.ApiToken.token_hash).where(signin.ApiToken.label != ""))
    assert token.startswith("ecerp_") and token not in stored
    assert signin.actor_for_token(session, token).username == clerk.username
    with pytest.raises(PermissionDenied):
        signin.create_token(session, clerk, clerk.username)
    assert signin.revoke_tokens(session, admin, clerk.username) == 1
    with pytest.raises(AuthenticationFailed):
        signin.actor_for_token(session, token)
    with pytest.raises(AuthenticationFailed):
        signin.actor_for_token(session, "ecerp_made-up")


def test_cli_acts_as_a_user_only_with_their_password_or_a_token(clerk, capsys, monkeypatch):
    admin_token = os.environ["ECERP_TOKEN"]
    monkeypatch.delenv("ECERP_TOKEN")
    code, _, err = run(capsys, "--lang", "en", "--user", clerk, "users", "list")
    assert code == 3 and "needs their password" in err  # no terminal, no --password-stdin
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong-password\n"))
    code, _, err = run(capsys, "--lang", "en", "--user", clerk, "--password-stdin", "stock", "levels")
    assert code == 3 and "Wrong user name or password" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = run(capsys, "--lang", "en", "--user", clerk, "--password-stdin", "users", "list")
    assert code == 3 and "clerk may not" in err  # signed in as the clerk, who may not manage users
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert run(capsys, "--user", clerk, "--password-stdin", "stock", "levels")[0] == 0

    monkeypatch.setenv("ECERP_TOKEN", admin_token)
    code, out, _ = run(capsys, "users", "token", "create", clerk, "--json")
    token = json.loads(out)["token"]
    monkeypatch.setenv("ECERP_TOKEN", token)
    assert run(capsys, "stock", "levels")[0] == 0
    code, _, err = run(capsys, "--lang", "en", "--user", "admin", "stock", "levels")
    assert code == 1 and "belongs to clerk" in err


def test_postgresql_needs_a_token_or_a_password(clerk, capsys, monkeypatch):
    monkeypatch.delenv("ECERP_TOKEN")
    monkeypatch.setattr("ecerp_core.cli.context.local_database", lambda: False)
    code, _, err = run(capsys, "--lang", "en", "stock", "levels")
    assert code == 3 and "ECERP_TOKEN" in err


def test_a_sealed_session_names_the_user_only_with_the_servers_secret(clerk, monkeypatch):
    sealed = signin.seal(clerk, "secret-1")
    assert signin.unseal(sealed, "secret-1") == clerk
    for bad in (
        signin.seal(clerk, "secret-2"),
        sealed[:-4] + "AAAA",
        "",
        signin.seal(clerk, "secret-1", hours=0),
    ):
        with pytest.raises(AuthenticationFailed):
            signin.unseal(bad, "secret-1")
    monkeypatch.setenv(signin.SESSION_SECRET_ENV, "secret-1")
    monkeypatch.setenv(app_actor.SESSION_ENV, sealed)
    monkeypatch.setenv("ECERP_USER", "admin")  # ignored when served with sign-in
    assert app_actor.open_context().actor.username == clerk
    monkeypatch.setenv(app_actor.SESSION_ENV, signin.seal("admin", "guessed"))
    with pytest.raises(AuthenticationFailed):
        app_actor.open_context()


def test_serving_beyond_localhost_needs_sign_in():
    with pytest.raises(EcerpError, match="needs sign-in"):
        voila_command(8866, host="0.0.0.0", login=False)
    command = voila_command(8866, host="0.0.0.0", trusted_header="X-Remote-User")
    assert "--EcerpIdentityProvider.trusted_header=X-Remote-User" in command
    assert "--EcerpIdentityProvider.enabled=False" in voila_command(8866, login=False)


def test_services_check_the_actor_not_only_the_cli(session, actor_with_role):
    analyst = actor_with_role("analyst")
    clerk = actor_with_role("order_clerk")
    refused = [
        lambda: stock.record_moves(session, analyst, []),
        lambda: stock.reserve(session, analyst, []),
        lambda: stock.release(session, analyst, "sales_order", []),
        lambda: stock.ship_reserved(session, analyst, "sales_order", []),
        lambda: journal.post_entries(session, analyst, []),
        lambda: posting.post_events(session, analyst, []),
        lambda: closing.carry_profit(session, analyst, None),
        lambda: closing.carry_profit(session, clerk, None),
        # a clerk's shipment posts automatically, but a clerk cannot post a manual entry
        lambda: journal.post_entries(
            session, clerk, [journal.EntryDraft(dt.date(2026, 10, 1), "manual", ())]
        ),
    ]
    for call in refused:
        with pytest.raises(PermissionDenied):
            call()
    assert stock.ship_reserved(session, clerk, "sales_order", []) == []
    assert journal.post_entries(session, clerk, []) == []


def test_the_order_desk_hides_what_an_analyst_may_not_do(session, actor_with_role):
    analyst = actor_with_role("analyst")
    session.commit()
    view = OrderDeskView(OrderDeskModel(app_actor.open_context(analyst.username, "en")))
    assert view.model.actions() == []  # the review queue: nothing to approve, assign or cancel
    assert view.imports.card.layout.display == "none"


def test_base_data_shows_a_reader_no_save_button(session, actor_with_role):
    clerk = actor_with_role("order_clerk")
    session.commit()
    view = BaseDataView(BaseDataModel(app_actor.open_context(clerk.username, "en")))
    assert view.buttons.layout.display == "none"
