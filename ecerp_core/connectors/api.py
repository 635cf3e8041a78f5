"""API clients: incremental pulls of orders by modified-time window, with paging/cursors, signing
and rate-limit back-off. Only the standard library; tests run them against :mod:`.stub`.

- :class:`ShopifyClient` — Admin REST ``orders.json`` with ``updated_at_min/max``, cursor paging
  through the ``Link`` header, HTTP 429 + ``Retry-After`` back-off.
- :class:`TopClient` — Taobao TOP ``taobao.trades.sold.increment.get`` (signed, ``page_no`` +
  ``has_next``); JD and Pinduoduo sign with :func:`~.signing.md5_wrap_sign` the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from decimal import Decimal

from ecerp_core.connectors import shopify as shopify_file
from ecerp_core.connectors import taobao as taobao_file
from ecerp_core.connectors.base import ShopInfo, line_draft
from ecerp_core.connectors.signing import top_sign
from ecerp_core.errors import EcerpError
from ecerp_core.orders.intake import OrderDraft

NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


class PlatformApiError(EcerpError):
    code = "error.platform_api"


def _get(
    url: str, headers: dict[str, str], sleep: Callable[[float], None], retries: int = 5
) -> tuple[dict, dict]:
    for _attempt in range(retries + 1):
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read()), dict(response.headers)
        except urllib.error.HTTPError as exc:
            if exc.code == 429:
                sleep(float(exc.headers.get("Retry-After") or 2))
                continue
            raise PlatformApiError(
                status=exc.code, detail=exc.read()[:200].decode(errors="replace")
            ) from None
    raise PlatformApiError(status=429, detail="rate limit")


class ShopifyClient:
    """Shopify Admin REST: ``base_url`` is ``https://{shop}.myshopify.com`` (or the stub)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        version: str = "2024-10",
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url, self.token, self.version, self.sleep = base_url.rstrip("/"), token, version, sleep
        self.requests = 0

    def orders(
        self, updated_min: dt.datetime, updated_max: dt.datetime, *, limit: int = 250
    ) -> Iterator[dict]:
        """Every order updated in the window, page after page."""
        query = urllib.parse.urlencode({"status": "any", "limit": limit, "updated_at_min": updated_min.isoformat(),
                                        "updated_at_max": updated_max.isoformat()})  # fmt: skip
        url: str | None = f"{self.base_url}/admin/api/{self.version}/orders.json?{query}"
        while url:
            body, headers = _get(
                url, {"X-Shopify-Access-Token": self.token, "Accept": "application/json"}, self.sleep
            )
            self.requests += 1
            yield from body.get("orders", [])
            match = NEXT_LINK.search(headers.get("Link", "") or headers.get("link", ""))
            url = match.group(1) if match else None

    @staticmethod
    def to_draft(order: dict, shop: ShopInfo) -> OrderDraft:
        """A Shopify REST order (money as strings) -> a draft."""
        currency = order.get("currency") or shop.currency
        lines = tuple(line_draft((x.get("sku") or x.get("title", ""))[:64], int(x["quantity"]), Decimal(x["price"]),
                                 currency, x.get("title", "")) for x in order.get("line_items", []))  # fmt: skip
        status = shopify_file.status_of(order.get("financial_status") or "", order.get("fulfillment_status") or "",
                                        bool(order.get("cancelled_at")))  # fmt: skip
        total = Decimal(order.get("total_price", "0"))
        paid = Decimal(0) if order.get("financial_status") in ("pending", "authorized", "voided") else total
        ship = order.get("shipping_address") or {}
        return OrderDraft(
            shop_id=shop.id, platform_order_id=order.get("name") or str(order["id"]), status=status,
            created_at=dt.datetime.fromisoformat(order["created_at"]), currency=currency, lines=lines,
            goods_amount=sum((x.amount for x in lines), Decimal(0)), total_amount=total,
            discount_amount=Decimal(order.get("total_discounts", "0")), tax_amount=Decimal(order.get("total_tax", "0")),
            tax_included=bool(order.get("taxes_included")), paid_amount=paid,
            shipping_amount=sum((Decimal(s.get("price", "0")) for s in order.get("shipping_lines", [])), Decimal(0)),
            buyer_id=str(order.get("email") or (order.get("customer") or {}).get("id", "")),
            receiver_name=ship.get("name", ""), region=ship.get("province", ""), city=ship.get("city", ""),
            address=", ".join(x for x in (ship.get("address1"), ship.get("address2"), ship.get("zip")) if x),
            country=(ship.get("country_code") or "")[:2], platform_status=f"{order.get('financial_status')}/{order.get('fulfillment_status') or ''}",
        )  # fmt: skip


class TopClient:
    """Taobao TOP REST gateway (``https://eco.taobao.com/router/rest`` or the stub)."""

    def __init__(self, gateway: str, app_key: str, secret: str, session: str, *,
                 clock: Callable[[], dt.datetime] | None = None, sleep: Callable[[float], None] = time.sleep):  # fmt: skip
        self.gateway, self.app_key, self.secret, self.session = gateway, app_key, secret, session
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone(dt.timedelta(hours=8))))
        self.sleep = sleep
        self.requests = 0

    def call(self, method: str, **params: object) -> dict:
        all_params = {"method": method, "app_key": self.app_key, "session": self.session, "format": "json",
                      "v": "2.0", "sign_method": "md5", "timestamp": self.clock().strftime("%Y-%m-%d %H:%M:%S"),
                      **{k: str(v) for k, v in params.items() if v is not None}}  # fmt: skip
        all_params["sign"] = top_sign(all_params, self.secret)
        body, _ = _get(f"{self.gateway}?{urllib.parse.urlencode(all_params)}", {}, self.sleep)
        self.requests += 1
        if "error_response" in body:
            err = body["error_response"]
            raise PlatformApiError(status=err.get("code"), detail=err.get("msg", ""))
        return body

    def trades(
        self, start_modified: dt.datetime, end_modified: dt.datetime, *, page_size: int = 100
    ) -> Iterator[dict]:
        """Trades modified in the window (TOP allows one day per call), page by page."""
        page = 1
        while True:
            body = self.call("taobao.trades.sold.increment.get", fields="tid,status,payment,post_fee,created,orders",
                             start_modified=start_modified.strftime("%Y-%m-%d %H:%M:%S"),
                             end_modified=end_modified.strftime("%Y-%m-%d %H:%M:%S"), page_no=page,
                             page_size=page_size, use_has_next="true")["trades_sold_increment_get_response"]  # fmt: skip
            yield from (body.get("trades") or {}).get("trade", [])
            if not body.get("has_next"):
                return
            page += 1

    @staticmethod
    def to_draft(trade: dict, shop: ShopInfo) -> OrderDraft:
        lines = tuple(line_draft((o.get("outer_sku_id") or o.get("outer_iid") or str(o.get("oid")))[:64], int(o["num"]),
                                 Decimal(o["price"]), shop.currency, o.get("title", ""))
                      for o in trade["orders"]["order"])  # fmt: skip
        goods = sum((x.amount for x in lines), Decimal(0))
        total = Decimal(trade["payment"])
        shipping = Decimal(trade.get("post_fee", "0"))
        status = taobao_file.status_of(trade["status"])
        return OrderDraft(
            shop_id=shop.id, platform_order_id=str(trade["tid"]), status=status,
            created_at=dt.datetime.strptime(trade["created"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=shop.timezone),
            currency=shop.currency, lines=lines, goods_amount=goods, total_amount=total, shipping_amount=shipping,
            discount_amount=max(Decimal(0), goods + shipping - total), paid_amount=Decimal(0) if status == "pending_payment" else total,
            buyer_id=trade.get("buyer_nick", ""), receiver_name=trade.get("receiver_name", ""),
            region=trade.get("receiver_state", "").removesuffix("省"), city=trade.get("receiver_city", ""),
            address=trade.get("receiver_address", ""), country="CN", tax_included=True, platform_status=trade["status"],
        )  # fmt: skip
