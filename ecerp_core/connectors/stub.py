"""A stub platform server on 127.0.0.1 for tests: it checks signatures and tokens like the real
gateways, serves orders in pages (Shopify ``Link`` cursors, TOP ``has_next``, JD ``orderTotal``,
Pinduoduo ``total_count``) and answers the first request of each Shopify page with HTTP 429 +
``Retry-After`` and of each Pinduoduo page with error 70031 to exercise back-off.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ecerp_core.connectors.signing import jd_sign, pdd_sign, top_sign


class StubPlatform:
    """``with StubPlatform(shopify_orders=[...], top_trades=[...]) as stub: stub.url``."""

    def __init__(
        self,
        *,
        shopify_orders=(),
        top_trades=(),
        jd_orders=(),
        pdd_orders=(),
        token="shpat_test",
        top_secret="topsecret",
        jd_secret="jdsecret",
        pdd_secret="pddsecret",
        page_size=2,
        throttle=True,
    ):
        self.shopify_orders, self.top_trades = list(shopify_orders), list(top_trades)
        self.jd_orders, self.pdd_orders = list(jd_orders), list(pdd_orders)
        self.jd_secret, self.pdd_secret = jd_secret, pdd_secret
        self.seen_pages: set[tuple] = set()
        self.token, self.top_secret, self.page_size, self.throttle = token, top_secret, page_size, throttle
        self.seen_cursors: set[str] = set()
        self.log: list[tuple[int, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, code: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                stub.log.append((code, self.path))

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path.endswith("/orders.json"):
                    return stub._shopify(self, query)
                if url.path == "/router/rest":
                    return stub._top(self, query)
                if url.path == "/routerjson":
                    return stub._jd(self, query)
                if url.path == "/api/router":
                    return stub._pdd(self, query)
                return self._send(404, {"errors": "Not Found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StubPlatform:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _shopify(self, h, q: dict) -> None:
        if h.headers.get("X-Shopify-Access-Token") != self.token:
            return h._send(401, {"errors": "[API] Invalid API key or access token"})
        cursor = q.get("page_info", "")
        if self.throttle and cursor not in self.seen_cursors:
            self.seen_cursors.add(cursor)
            return h._send(429, {"errors": "Exceeded 2 calls per second"}, {"Retry-After": "0.01"})
        # like Shopify, the cursor carries the query's filters; only limit may come beside it
        start, lo, hi = (
            json.loads(cursor) if cursor else [0, q.get("updated_at_min", ""), q.get("updated_at_max", "~")]
        )
        rows = [o for o in self.shopify_orders if lo <= o["updated_at"] <= hi]
        page = rows[start : start + self.page_size]
        headers = {"X-Shopify-Shop-Api-Call-Limit": "1/40"}
        if start + self.page_size < len(rows):
            nxt = urllib.parse.urlencode(
                {"limit": self.page_size, "page_info": json.dumps([start + self.page_size, lo, hi])}
            )
            headers["Link"] = f'<{self.url}/admin/api/2024-10/orders.json?{nxt}>; rel="next"'
        return h._send(200, {"orders": page}, headers)

    def _top(self, h, q: dict) -> None:
        sign = q.pop("sign", "")
        if sign != top_sign(q, self.top_secret):
            return h._send(200, {"error_response": {"code": 25, "msg": "Invalid signature"}})
        rows = [t for t in self.top_trades if q["start_modified"] <= t["modified"] <= q["end_modified"]]
        size, page = int(q.get("page_size", 40)), int(q.get("page_no", 1))
        chunk = rows[(page - 1) * size : page * size]
        return h._send(
            200,
            {
                "trades_sold_increment_get_response": {
                    "has_next": page * size < len(rows),
                    "trades": {"trade": chunk},
                }
            },
        )

    def _jd(self, h, q: dict) -> None:
        sign = q.pop("sign", "")
        if sign != jd_sign(q, self.jd_secret):
            return h._send(
                200, {"error_response": {"code": "19", "zh_desc": "签名无效", "en_desc": "Invalid signature"}}
            )
        p = json.loads(q["360buy_param_json"])
        key = ("jd", p["start_date"], p["end_date"], p.get("page"))
        if self.throttle and key not in self.seen_pages:
            self.seen_pages.add(key)
            return h._send(
                429,
                {"error_response": {"code": "429", "en_desc": "Too many requests"}},
                {"Retry-After": "0.01"},
            )
        rows = [
            o
            for o in self.jd_orders
            if p["start_date"] <= o["modified"] <= p["end_date"]
            and o["orderState"] in p["order_state"].split(",")
        ]
        size, page = int(p.get("page_size", 100)), int(p.get("page", 1))
        return h._send(
            200,
            {
                "jingdong_pop_order_search_responce": {
                    "code": "0",
                    "searchorderinfo_result": {
                        "apiResult": {"success": True},
                        "orderTotal": len(rows),
                        "orderInfoList": rows[(page - 1) * size : page * size],
                    },
                }
            },
        )

    def _pdd(self, h, q: dict) -> None:
        sign = q.pop("sign", "")
        if sign != pdd_sign(q, self.pdd_secret):
            return h._send(200, {"error_response": {"error_code": 10019, "error_msg": "签名错误"}})
        key = ("pdd", q["start_updated_at"], q["end_updated_at"], q["page"])
        if self.throttle and key not in self.seen_pages:
            self.seen_pages.add(key)
            return h._send(200, {"error_response": {"error_code": 70031, "error_msg": "调用过于频繁"}})
        lo, hi = int(q["start_updated_at"]), int(q["end_updated_at"])
        if hi - lo > 1800:
            return h._send(
                200, {"error_response": {"error_code": 10000, "error_msg": "时间跨度不能超过30分钟"}}
            )
        rows = [o for o in self.pdd_orders if lo <= o["updated_at"] <= hi]
        size, page = int(q.get("page_size", 100)), int(q.get("page", 1))
        return h._send(
            200,
            {
                "order_sn_increment_get_response": {
                    "total_count": len(rows),
                    "order_sn_list": rows[(page - 1) * size : page * size],
                }
            },
        )
