"""Signing reproduces the platforms' published vectors; API clients pull incrementally from a stub
server on 127.0.0.1 that checks signatures, pages and throttles; webhooks reject forgeries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from ecerp_core.connectors import signing, webhooks
from ecerp_core.connectors.api import JdClient, PddClient, PlatformApiError, ShopifyClient, TopClient
from ecerp_core.connectors.base import ShopInfo
from ecerp_core.connectors.stub import StubPlatform
from ecerp_core.errors import AuthenticationFailed, ConfigurationError
from ecerp_core.orders import workflow
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import Order

SIGNERS = {
    "taobao": signing.top_sign,
    "pinduoduo": signing.pdd_sign,
    "jd": signing.jd_sign,
    "shopify": signing.shopify_query_hmac,
}


def test_every_published_signing_vector(shared_data):
    cases = json.loads((shared_data / "platform_api" / "signing_vectors.json").read_text())["cases"]
    assert {c["platform"] for c in cases} == set(SIGNERS)
    for case in cases:
        assert SIGNERS[case["platform"]](case["params"], case["secret"]) == case["sign"], case["platform"]


def test_webhooks_verify_hmac_and_reject_forgeries():
    body = b'{"id":450789469,"name":"#1001","financial_status":"paid"}'
    good = {"X-Shopify-Hmac-Sha256": "H3foGPY7VufZ1s0XHwLila1jUgJVnXQdpF1FPoEYM9Y="}
    assert webhooks.verify("shopify", body, good, "hush")["name"] == "#1001"
    with pytest.raises(AuthenticationFailed):
        webhooks.verify("shopify", body.replace(b"paid", b"refunded"), good, "hush")
    with pytest.raises(AuthenticationFailed):
        webhooks.verify("woocommerce", body, {}, "hush")
    sig = signing.body_hmac_base64(body, "wc-secret")
    assert (
        webhooks.verify("woocommerce", body, {"x-wc-webhook-signature": sig}, "wc-secret")["id"] == 450789469
    )


def test_secrets_from_env_or_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_TOKEN", "from-env")
    assert signing.resolve_secret("env:SHOP_TOKEN") == "from-env"
    path = tmp_path / "secrets.toml"
    path.write_text('[shopify_us]\ntoken = "from-file"\n')
    assert signing.resolve_secret("secrets:shopify_us.token", path) == "from-file"
    with pytest.raises(ConfigurationError):
        signing.resolve_secret("env:NOPE_NOT_SET", path)


def shopify_order(n: int, updated: str) -> dict:
    return {
        "id": 1000 + n,
        "name": f"#{1000 + n}",
        "email": f"b{n}@example.com",
        "created_at": "2026-06-18T10:00:00+08:00",
        "updated_at": updated,
        "currency": "CNY",
        "financial_status": "paid",
        "fulfillment_status": None,
        "total_price": "59.00",
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "taxes_included": True,
        "line_items": [{"sku": "TEE-1", "title": "Tee", "quantity": 1, "price": "59.00"}],
        "shipping_lines": [],
        "shipping_address": {
            "name": "Ann",
            "address1": "1 Main St",
            "city": "上海",
            "province": "上海",
            "country_code": "CN",
        },
    }


def test_shopify_pull_pages_backs_off_and_imports_idempotently(session, admin, biz):
    orders = [shopify_order(n, f"2026-06-18T0{n}:00:00+00:00") for n in range(1, 6)]
    waits = []
    with StubPlatform(shopify_orders=orders, page_size=2) as stub:
        client = ShopifyClient(stub.url, "shpat_test", sleep=waits.append)
        window = (dt.datetime(2026, 6, 18, 1, tzinfo=dt.UTC), dt.datetime(2026, 6, 18, 4, tzinfo=dt.UTC))
        got = list(client.orders(*window, limit=2))
        assert [o["name"] for o in got] == ["#1001", "#1002", "#1003", "#1004"]
        assert waits == [0.01, 0.01]  # one 429 per page, each honoured
        assert [c for c, _ in stub.log].count(429) == 2
        with pytest.raises(PlatformApiError):
            list(ShopifyClient(stub.url, "wrong-token", sleep=waits.append).orders(*window))
    shop = ShopInfo(biz.shop, "taobao", "CNY")
    drafts = [ShopifyClient.to_draft(o, shop) for o in got]
    assert import_order_drafts(session, admin, drafts).created == 4
    assert import_order_drafts(session, admin, drafts).unchanged == 4
    assert session.scalar(select(func.count()).select_from(Order).where(~workflow.has_reason())) == 4


def test_top_pull_is_signed_and_paged(session, admin, biz):
    trades = [
        {
            "tid": 35000 + n,
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
    with StubPlatform(top_trades=trades) as stub:
        client = TopClient(f"{stub.url}/router/rest", "12345678", "topsecret", "sess")
        got = list(client.trades(dt.datetime(2026, 6, 18, 11), dt.datetime(2026, 6, 18, 14), page_size=2))
        assert [t["tid"] for t in got] == [35001, 35002, 35003, 35004] and client.requests == 2
        with pytest.raises(PlatformApiError, match="Invalid signature"):
            list(
                TopClient(f"{stub.url}/router/rest", "12345678", "wrong", "sess").trades(
                    dt.datetime(2026, 6, 18), dt.datetime(2026, 6, 19)
                )
            )
    shop = ShopInfo(biz.shop, "taobao", "CNY")
    result = import_order_drafts(session, admin, [TopClient.to_draft(t, shop) for t in got])
    assert (result.created, result.exceptions) == (4, 0)


def test_jd_pull_is_signed_windowed_and_paged(session, admin, biz):
    orders = [
        {
            "orderId": f"2800{n}",
            "orderState": "WAIT_SELLER_STOCK_OUT",
            "orderPayment": "118.00",
            "orderTotalPrice": "118.00",
            "freightPrice": "0.00",
            "orderStartTime": "2026-06-18 10:00:00",
            "modified": f"2026-06-18 1{n}:00:00",
            "pin": f"jd_{n}",
            "orderRemark": "",
            "consigneeInfo": {
                "fullname": "李雷",
                "mobile": "138****0000",
                "province": "江苏",
                "city": "南京市",
                "fullAddress": "江苏南京市玄武区中山路1号",
            },
            "itemInfoList": [{"outerSkuId": "TEE-1", "skuName": "T恤", "itemTotal": "2", "jdPrice": "59.00"}],
        }
        for n in range(5)
    ]
    clock = lambda: dt.datetime(2026, 6, 18, 20, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # noqa: E731
    with StubPlatform(jd_orders=orders) as stub:
        waits = []
        client = JdClient(
            f"{stub.url}/routerjson", "appkey", "jdsecret", "token", clock=clock, sleep=waits.append
        )
        got = list(client.orders(dt.datetime(2026, 6, 18, 11), dt.datetime(2026, 6, 18, 14), page_size=2))
        assert [o["orderId"] for o in got] == ["28001", "28002", "28003", "28004"] and client.requests == 2
        assert waits == [0.01, 0.01]  # one HTTP 429 per page, Retry-After honoured
        with pytest.raises(PlatformApiError, match="签名无效"):
            list(
                JdClient(
                    f"{stub.url}/routerjson", "appkey", "wrong", "token", clock=clock, sleep=waits.append
                ).orders(dt.datetime(2026, 6, 18), dt.datetime(2026, 6, 19))
            )
    shop = ShopInfo(biz.shop, "jd", "CNY")
    drafts = [JdClient.to_draft(o, shop) for o in got]
    assert drafts[0].region == "江苏" and drafts[0].city == "南京" and drafts[0].status == "paid"
    result = import_order_drafts(session, admin, drafts)
    assert (result.created, result.exceptions) == (4, 0)
    assert import_order_drafts(session, admin, drafts).unchanged == 4


def test_pdd_pull_slices_the_window_reads_pages_backwards_and_backs_off(session, admin, biz):
    base = int(dt.datetime(2026, 6, 18, 2, tzinfo=dt.UTC).timestamp())
    orders = [
        {
            "order_sn": f"260618-{n:03d}",
            "order_status": 1,
            "refund_status": 1,
            "pay_amount": 59.0,
            "goods_amount": 59.0,
            "postage": 0,
            "created_time": "2026-06-18 10:00:00",
            "updated_at": base + n * 600,
            "buyer_id": 900 + n,
            "receiver_name": "韩梅梅",
            "receiver_phone": "139****1111",
            "province": "广东省",
            "city": "广州市",
            "address": "天河路1号",
            "item_list": [{"outer_id": "TEE-1", "goods_name": "T恤", "goods_count": 1, "goods_price": 59.0}],
        }
        for n in range(7)
    ]
    waits = []
    clock = lambda: dt.datetime(2026, 6, 18, 12, tzinfo=dt.UTC)  # noqa: E731
    window = (dt.datetime(2026, 6, 18, 2, tzinfo=dt.UTC), dt.datetime(2026, 6, 18, 3, tzinfo=dt.UTC))
    with StubPlatform(pdd_orders=orders) as stub:
        client = PddClient(
            f"{stub.url}/api/router", "cid", "pddsecret", "token", clock=clock, sleep=waits.append
        )
        got = list(client.orders(*window, page_size=2))
        # 02:00-02:30 holds 000-003 (page 2, then page 1); 02:30-03:00 holds 003-006, 003 already seen
        assert [o["order_sn"][-3:] for o in got] == ["002", "003", "000", "001", "005", "006", "004"]
        assert waits and set(waits) == {1.0}  # one 70031 per page, each followed by a wait and a retry
        with pytest.raises(PlatformApiError, match="签名错误"):
            list(
                PddClient(
                    f"{stub.url}/api/router", "cid", "wrong", "token", clock=clock, sleep=waits.append
                ).orders(*window)
            )
    shop = ShopInfo(biz.shop, "pdd", "CNY")
    drafts = [PddClient.to_draft(o, shop) for o in got]
    assert drafts[2].region == "广东" and drafts[2].status == "paid"
    result = import_order_drafts(session, admin, drafts)
    assert (result.created, result.exceptions) == (7, 0)
    assert import_order_drafts(session, admin, drafts).unchanged == 7
