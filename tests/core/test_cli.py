"""The ``ecerp`` command, run in-process through its real entry point."""

import io
import json

from cli_run import run
from click.testing import CliRunner

from ecerp_core.cli import base, cli
from ecerp_core.signin import sign_in


def test_help_everywhere(capsys):
    for args in (
        [],
        ["users"],
        ["users", "add"],
        ["products", "import"],
        ["check"],
        ["init"],
        ["db"],
        ["bench"],
    ):
        code, out, _ = run(capsys, *args, "--help")
        assert code == 0 and "Usage:" in out, args


def test_init_refuses_an_initialised_database(db, capsys):
    code, _, err = run(capsys, "--lang", "en", "init")
    assert code == 1 and err.strip() == "error: The database is already set up (company: 测试商贸有限公司)"


def test_users_and_permissions_from_the_cli(db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("password-123\n"))
    assert run(capsys, "users", "add", "li", "--role", "analyst", "--password-stdin")[0] == 0
    code, out, _ = run(capsys, "users", "list", "--json")
    assert code == 0 and {u["username"]: u["role"] for u in json.loads(out)} == {
        "admin": "admin",
        "li": "analyst",
    }
    code, _, err = run(
        capsys,
        "--lang",
        "en",
        "--user",
        "li",
        "users",
        "add",
        "x",
        "--role",
        "admin",
    )
    assert code == 3 and err.strip() == "error: User li may not manage users"
    code, _, err = run(capsys, "--lang", "en", "--user", "nobody", "users", "list")
    assert code == 1 and "No user 'nobody'" in err
    monkeypatch.setenv("ECERP_NEW_PASSWORD", "password-456")
    assert run(capsys, "users", "set-password", "li")[0] == 0


def test_no_password_on_the_command_line(db, capsys, monkeypatch):
    """A password argument shows in the process list: refused with a named error, never used."""
    for args in (
        ["users", "add", "li", "--role", "analyst", "--password", "password-123"],
        ["users", "set-password", "admin", "--password", "password-123"],
        ["init", "--admin-password", "password-123"],
    ):
        code, _, err = run(capsys, "--lang", "en", *args)
        assert code == 1 and "on the command line" in err and "--password-stdin" in err, args
    monkeypatch.delenv("ECERP_NEW_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal, nothing given
    code, _, err = run(capsys, "--lang", "en", "users", "set-password", "admin")
    assert code == 1 and "--password-stdin" in err


def test_products_import_summary_and_exit_codes(db, tmp_path, capsys):
    good = tmp_path / "p.csv"
    good.write_text(
        "sku,name,price,cost,barcode,category\nA1,一,1.00,0.5,,\nA2,二,x,0.5,,\n", encoding="utf-8"
    )
    code, out, _ = run(capsys, "products", "import", str(good), "--json")
    data = json.loads(out)
    assert code == 1 and data["created"] == 1 and data["rejected"][0]["line"] == 3
    code, out, _ = run(capsys, "--lang", "en", "products", "import", str(good))
    assert code == 1 and out.splitlines()[0] == "0 created, 0 updated, 1 unchanged, 1 rejected"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02")
    code, out, err = run(capsys, "--lang", "en", "products", "import", str(bad))
    assert code == 1 and "bad.csv cannot be imported: the file holds NUL bytes" in err
    dry = tmp_path / "d.csv"
    dry.write_text("sku,name\nB1,乙\n", encoding="utf-8")
    code, out, _ = run(capsys, "products", "import", str(dry), "--dry-run", "--json")
    assert code == 0 and json.loads(out)["created"] == 1
    code, out, _ = run(capsys, "products", "import", str(dry), "--json")
    assert json.loads(out)["created"] == 1  # the dry run wrote nothing


def test_check_passes_on_a_fresh_database(db, capsys):
    code, out, _ = run(capsys, "check", "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_unexpected_errors_are_one_line_unless_debug(db, capsys, monkeypatch):
    import ecerp_core.checks as checks

    def boom(session):
        raise RuntimeError("kaput")

    monkeypatch.setattr(checks, "all_checks", lambda: [boom])
    code, out, _ = run(capsys, "check")
    assert code == 1 and "check crashed: RuntimeError: kaput" in out


def test_a_user_changes_their_own_password_through_stdin(db, capsys, monkeypatch):
    """Line 1: the acting user's password, line 2: the new one; signing in used to lock SQLite."""
    monkeypatch.setattr("sys.stdin", io.StringIO("password-123\n"))
    assert run(capsys, "users", "add", "li", "--role", "analyst", "--password-stdin")[0] == 0
    monkeypatch.delenv("ECERP_TOKEN")
    monkeypatch.setattr("sys.stdin", io.StringIO("password-123\nnew-pass-456\n"))
    code, _, err = run(
        capsys, "--user", "li", "--password-stdin", "users", "set-password", "li", "--password-stdin"
    )
    assert code == 0, err
    assert sign_in("li", "new-pass-456").username == "li"


def test_a_new_password_is_asked_twice_on_a_terminal(db, monkeypatch):
    monkeypatch.setattr(base, "_on_terminal", lambda: True)
    monkeypatch.delenv("ECERP_NEW_PASSWORD", raising=False)
    runner = CliRunner()
    typed = "pass-one-1\npass-two-2\npass-one-1\npass-one-1\n"  # a typo, then the same twice
    result = runner.invoke(cli, ["--lang", "en", "users", "add", "li", "--role", "analyst"], input=typed)
    assert result.exit_code == 0, result.output
    assert "New password of li" in result.output and "Repeat the password" in result.output
    assert "The two passwords differ" in result.output
    assert "pass-one-1" not in result.output  # hidden
    assert sign_in("li", "pass-one-1").username == "li"
