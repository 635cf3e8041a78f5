"""``ecerp orders pull``: a shop's credentials from the secrets file, orders from the (stub) API."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from ecerp_core.catalog import services as catalog
from ecerp_core.cli import main
from ecerp_core.connectors.stub import StubPlatform
from ecerp_core.orders.models import Order

TRADES = [
    {
        "tid": 36000 + n,
        "status": "WAIT_SELLER_SEND_GOODS",
        "payment": "118.00",
        "post_fee": "0.00",
        "created": "2026-06-18 10:00:00",
        "modified": f"2026-06-18 1{n}:00:00",
        "buyer_nick": f"tb{n}",
        "receiver_name": "王小明",
        "receiver_state": "浙江省",
        "receiver_city": "杭州",
        "receiver_address": "文三路1号",
        "orders": {
            "order": [{"oid": 1, "outer_sku_id": "TEE-1", "title": "T恤", "num": 2, "price": "59.00"}]
        },
    }
    for n in range(5)
]


def run(capsys, *args):
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    return (code, *capsys.readouterr())


def test_pull_from_the_cli_reads_credentials_and_imports_once(
    session, admin, biz, tmp_path, monkeypatch, capsys
):
    catalog.update_record(session, admin, "shop", "TB", {"credentials_ref": "secrets:tb"})
    session.commit()
    with StubPlatform(top_trades=TRADES) as stub:
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            f'[tb]\ngateway = "{stub.url}/router/rest"\napp_key = "12345678"\n'
            'secret = "topsecret"\nsession = "sess"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("ECERP_SECRETS_FILE", str(secrets))
        args = (
            "orders",
            "pull",
            "--shop",
            "TB",
            "--from",
            "2026-06-18 11:00",
            "--to",
            "2026-06-18 15:00",
            "--json",
        )
        code, out, err = run(capsys, *args)
        assert code == 0, err
        assert json.loads(out)["created"] == 4
        code, out, _ = run(capsys, *args)
        assert json.loads(out)["unchanged"] == 4
        secrets.write_text(secrets.read_text().replace("topsecret", "wrong"), encoding="utf-8")
        code, _, err = run(capsys, "--lang", "en", *args)
        assert code != 0 and err.startswith("error:") and "Traceback" not in err
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Order)) == 4


def test_a_shop_without_credentials_is_a_clear_error(session, admin, biz, capsys):
    session.commit()
    code, _, err = run(capsys, "--lang", "en", "orders", "pull", "--shop", "TB", "--from", "2026-06-18")
    assert code == 1 and "credentials reference" in err


@pytest.mark.parametrize("ref", ["env:NO_SUCH_SHOP", "secrets:nosuch"])
def test_missing_secrets_are_named(session, admin, biz, capsys, ref, tmp_path, monkeypatch):
    monkeypatch.setenv("ECERP_SECRETS_FILE", str(tmp_path / "absent.toml"))
    catalog.update_record(session, admin, "shop", "TB", {"credentials_ref": ref})
    session.commit()
    code, _, err = run(capsys, "--lang", "en", "orders", "pull", "--shop", "TB", "--from", "2026-06-18")
    assert code == 1 and err.startswith("error:")
