"""The ``ecerp`` command, run in-process through its real entry point."""

import json

from cli_run import run


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
    code, _, err = run(capsys, "--lang", "en", "init", "--admin-password", "whatever-123")
    assert code == 1 and err.strip() == "error: The database is already set up (company: 测试商贸有限公司)"


def test_users_and_permissions_from_the_cli(db, capsys):
    assert run(capsys, "users", "add", "li", "--role", "analyst", "--password", "password-123")[0] == 0
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
        "--password",
        "password-123",
    )
    assert code == 3 and err.strip() == "error: User li may not manage users"
    code, _, err = run(capsys, "--lang", "en", "--user", "nobody", "users", "list")
    assert code == 1 and "No user 'nobody'" in err
    assert run(capsys, "users", "set-password", "li", "--password", "password-456")[0] == 0


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
