"""API clients: incremental pulls of orders by modified-time window, with paging/cursors, signing
and rate-limit back-off. Only the standard library; tests run them against :mod:`.stub`.

- :class:`ShopifyClient` — Admin REST ``orders.json`` with ``updated_at_min/max``, cursor paging
  through the ``Link`` header, HTTP 429 + ``Retry-After`` back-off.
- :class:`TopClient` — Taobao TOP ``taobao.trades.sold.increment.get`` (signed, ``page_no`` +
  ``has_next``).
- :class:`JdClient` — ``jingdong.pop.order.search`` (signed, modified-time window, ``orderTotal`` paging).
- :class:`PddClient` — ``pdd.order.number.list.increment.get`` (signed, 30-minute slices read from the
  last page backwards, back-off on code 70031).
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

from ecerp_core.connectors import jd as jd_file
from ecerp_core.connectors import pdd as pdd_file
from ecerp_core.connectors import shopify as shopify_file
from ecerp_core.connectors import taobao as taobao_file
from ecerp_core.connectors.base import ShopInfo, line_draft
from ecerp_core.connectors.signing import jd_sign, pdd_sign, top_sign
from ecerp_core.errors import EcerpError
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.orders.rules import order_total

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
        query = urllib.parse.urlencode(
            {
                "status": "any",
                "limit": limit,
                "updated_at_min": updated_min.isoformat(),
                "updated_at_max": updated_max.isoformat(),
            }
        )
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
        lines = tuple(
            line_draft(
                (x.get("sku") or x.get("title", ""))[:64],
                int(x["quantity"]),
                Decimal(x["price"]),
                currency,
                x.get("title", ""),
            )
            for x in order.get("line_items", [])
        )
        status = shopify_file.status_of(
            order.get("financial_status") or "",
            order.get("fulfillment_status") or "",
            bool(order.get("cancelled_at")),
        )
        total = Decimal(order.get("total_price", "0"))
        paid = Decimal(0) if order.get("financial_status") in ("pending", "authorized", "voided") else total
        ship = order.get("shipping_address") or {}
        goods = sum((x.amount for x in lines), Decimal(0))
        discount, tax = Decimal(order.get("total_discounts", "0")), Decimal(order.get("total_tax", "0"))
        included = bool(order.get("taxes_included"))
        shipping = sum((Decimal(s.get("price", "0")) for s in order.get("shipping_lines", [])), Decimal(0))
        return OrderDraft(
            shop_id=shop.id,
            platform_order_id=order.get("name") or str(order["id"]),
            status=status,
            created_at=dt.datetime.fromisoformat(order["created_at"]),
            currency=currency,
            lines=lines,
            goods_amount=goods,
            total_amount=total,
            discount_amount=discount,
            tax_amount=tax,
            tax_included=included,
            # tips and duties are in total_price only: kept apart, the total as Shopify gave it
            adjustment_amount=total - order_total(goods, shipping, discount, tax, included),
            paid_amount=paid,
            shipping_amount=shipping,
            buyer_id=str(order.get("email") or (order.get("customer") or {}).get("id", "")),
            receiver_name=ship.get("name", ""),
            region=ship.get("province", ""),
            city=ship.get("city", ""),
            address=", ".join(x for x in (ship.get("address1"), ship.get("address2"), ship.get("zip")) if x),
            country=(ship.get("country_code") or "")[:2],
            platform_status=f"{order.get('financial_status')}/{order.get('fulfillment_status') or ''}",
        )


class TopClient:
    """Taobao TOP REST gateway (``https://eco.taobao.com/router/rest`` or the stub)."""

    def __init__(
        self,
        gateway: str,
        app_key: str,
        secret: str,
        session: str,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.gateway, self.app_key, self.secret, self.session = gateway, app_key, secret, session
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone(dt.timedelta(hours=8))))
        self.sleep = sleep
        self.requests = 0

    def call(self, method: str, **params: object) -> dict:
        all_params = {
            "method": method,
            "app_key": self.app_key,
            "session": self.session,
            "format": "json",
            "v": "2.0",
            "sign_method": "md5",
            "timestamp": self.clock().strftime("%Y-%m-%d %H:%M:%S"),
            **{k: str(v) for k, v in params.items() if v is not None},
        }
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
            body = self.call(
                "taobao.trades.sold.increment.get",
                fields="tid,status,payment,post_fee,created,orders",
                start_modified=start_modified.strftime("%Y-%m-%d %H:%M:%S"),
                end_modified=end_modified.strftime("%Y-%m-%d %H:%M:%S"),
                page_no=page,
                page_size=page_size,
                use_has_next="true",
            )["trades_sold_increment_get_response"]
            yield from (body.get("trades") or {}).get("trade", [])
            if not body.get("has_next"):
                return
            page += 1

    @staticmethod
    def to_draft(trade: dict, shop: ShopInfo) -> OrderDraft:
        lines = tuple(
            line_draft(
                (o.get("outer_sku_id") or o.get("outer_iid") or str(o.get("oid")))[:64],
                int(o["num"]),
                Decimal(o["price"]),
                shop.currency,
                o.get("title", ""),
            )
            for o in trade["orders"]["order"]
        )
        status = taobao_file.status_of(trade["status"])
        total = Decimal(trade["payment"])
        return _domestic_draft(
            shop,
            lines,
            number=str(trade["tid"]),
            status=status,
            created=trade["created"],
            total=total,
            shipping=Decimal(trade.get("post_fee", "0")),
            paid_amount=Decimal(0) if status == "pending_payment" else total,
            buyer_id=trade.get("buyer_nick", ""),
            receiver_name=trade.get("receiver_name", ""),
            region=trade.get("receiver_state", "").removesuffix("省"),
            city=trade.get("receiver_city", ""),
            address=trade.get("receiver_address", ""),
            platform_status=trade["status"],
        )


def _domestic_draft(
    shop: ShopInfo,
    lines: tuple,
    *,
    number: str,
    status: str,
    created: str,
    total: Decimal,
    shipping: Decimal,
    **rest,
) -> OrderDraft:
    """A draft of a Chinese platform's order (Taobao/Tmall, JD, Pinduoduo): prices include VAT, the
    order time is local (``2026-11-02 10:00:00``), and whatever the buyer did not pay of goods plus
    postage was a discount."""
    goods = sum((x.amount for x in lines), Decimal(0))
    return OrderDraft(
        shop_id=shop.id,
        platform_order_id=number,
        status=status,
        created_at=dt.datetime.strptime(created, "%Y-%m-%d %H:%M:%S").replace(tzinfo=shop.timezone),
        currency=shop.currency,
        lines=lines,
        goods_amount=goods,
        total_amount=total,
        shipping_amount=shipping,
        discount_amount=max(Decimal(0), goods + shipping - total),
        country="CN",
        tax_included=True,
        **rest,
    )


def _signed_call(
    url: str,
    params: dict[str, str],
    sign: Callable[[dict], str],
    error_key: str,
    code_key: str,
    limited: frozenset,
    sleep: Callable[[float], None],
    retries: int = 5,
) -> dict:
    """GET a signed gateway call; back off (1 s, 2 s, 4 s ...) on the platform's rate-limit codes."""
    for attempt in range(retries + 1):
        signed = {**params, "sign": sign(params)}
        body, _ = _get(f"{url}?{urllib.parse.urlencode(signed)}", {}, sleep)
        err = body.get(error_key)
        if not err:
            return body
        if str(err.get(code_key)) in limited and attempt < retries:
            sleep(float(2**attempt))
            continue
        raise PlatformApiError(
            status=err.get(code_key), detail=err.get("error_msg") or err.get("zh_desc") or ""
        )
    raise PlatformApiError(status=429, detail="rate limit")


class JdClient:
    """JD 京东 ``jingdong.pop.order.search`` on the ``routerjson`` gateway (or the stub).

    Business parameters travel as one JSON string (``360buy_param_json``); the request is signed
    with :func:`~.signing.jd_sign` over the public parameters and that string. The window is on the
    orders' modified time (``date_type=0``); pages follow ``orderTotal``.
    """

    # the gateway throttles with HTTP 429 (+ Retry-After), handled in _get; JD's numeric throttling
    # codes are not in the references we have, so none are guessed here
    RATE_LIMITED: frozenset = frozenset()

    def __init__(
        self,
        gateway: str,
        app_key: str,
        secret: str,
        access_token: str,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.gateway, self.app_key, self.secret, self.access_token = gateway, app_key, secret, access_token
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone(dt.timedelta(hours=8))))
        self.sleep = sleep
        self.requests = 0

    def call(self, method: str, business: dict) -> dict:
        now = self.clock()
        params = {
            "method": method,
            "app_key": self.app_key,
            "access_token": self.access_token,
            "v": "2.0",
            "timestamp": now.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + now.strftime("%z"),
            "360buy_param_json": json.dumps(business, ensure_ascii=False, separators=(",", ":")),
        }
        self.requests += 1
        return _signed_call(
            self.gateway,
            params,
            lambda p: jd_sign(p, self.secret),
            "error_response",
            "code",
            self.RATE_LIMITED,
            self.sleep,
        )

    def orders(
        self, start_modified: dt.datetime, end_modified: dt.datetime, *, page_size: int = 100
    ) -> Iterator[dict]:
        """Orders modified in the window, page by page."""
        page = 1
        while True:
            body = self.call(
                "jingdong.pop.order.search",
                {
                    "start_date": start_modified.strftime("%Y-%m-%d %H:%M:%S"),
                    "end_date": end_modified.strftime("%Y-%m-%d %H:%M:%S"),
                    "date_type": 0,
                    "order_state": ",".join(JD_STATES),
                    "page": page,
                    "page_size": page_size,
                },
            )
            result = body["jingdong_pop_order_search_responce"]["searchorderinfo_result"]
            rows = result.get("orderInfoList") or []
            yield from rows
            if not rows or page * page_size >= int(result.get("orderTotal", 0)):
                return
            page += 1

    @staticmethod
    def to_draft(order: dict, shop: ShopInfo) -> OrderDraft:
        """A JD order (money as strings, ``consigneeInfo``, ``itemInfoList``) -> a draft."""
        lines = tuple(
            line_draft(
                (x.get("outerSkuId") or x.get("skuId", ""))[:64],
                int(x["itemTotal"]),
                Decimal(x["jdPrice"]),
                shop.currency,
                x.get("skuName", ""),
            )
            for x in order.get("itemInfoList", [])
        )
        total = Decimal(order.get("orderPayment") or order.get("orderTotalPrice") or "0")
        status = jd_file.status_of(order["orderState"])
        who = order.get("consigneeInfo") or {}
        return _domestic_draft(
            shop,
            lines,
            number=str(order["orderId"]),
            status=status,
            created=order["orderStartTime"],
            total=total,
            shipping=Decimal(order.get("freightPrice") or "0"),
            paid_amount=Decimal(0) if status in ("pending_payment", "closed") else total,
            buyer_id=order.get("pin", ""),
            receiver_name=who.get("fullname", ""),
            receiver_phone=who.get("mobile", ""),
            region=(who.get("province") or "").removesuffix("省").removesuffix("市"),
            city=(who.get("city") or "").removesuffix("市"),
            address=who.get("fullAddress", ""),
            platform_status=order["orderState"],
            buyer_remark=order.get("orderRemark", "")[:500],
        )


JD_STATES = ("WAIT_SELLER_STOCK_OUT", "WAIT_GOODS_RECEIVE_CONFIRM", "FINISHED_L", "TRADE_CANCELED", "LOCKED")


class PddClient:
    """Pinduoduo 拼多多 ``pdd.order.number.list.increment.get`` on the router (or the stub).

    Signed with :func:`~.signing.pdd_sign` (timestamp in unix seconds). The platform serves at most
    30 minutes per call, so a window is cut into 30-minute slices; each slice is read from its last
    page backwards, as Pinduoduo asks, so orders updated while paging are not skipped. Code 70031
    (calls too frequent) backs off and retries.
    """

    RATE_LIMITED = frozenset({"70031", "70032"})
    SLICE = dt.timedelta(minutes=30)

    def __init__(
        self,
        gateway: str,
        client_id: str,
        secret: str,
        access_token: str,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.gateway, self.client_id, self.secret, self.access_token = (
            gateway,
            client_id,
            secret,
            access_token,
        )
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.sleep = sleep
        self.requests = 0

    def call(self, api: str, **business: object) -> dict:
        params = {
            "type": api,
            "client_id": self.client_id,
            "access_token": self.access_token,
            "data_type": "JSON",
            "version": "V1",
            "timestamp": str(int(self.clock().timestamp())),
            **{k: str(v) for k, v in business.items()},
        }
        self.requests += 1
        return _signed_call(
            self.gateway,
            params,
            lambda p: pdd_sign(p, self.secret),
            "error_response",
            "error_code",
            self.RATE_LIMITED,
            self.sleep,
        )

    def _page(self, start: int, end: int, page: int, page_size: int) -> dict:
        return self.call(
            "pdd.order.number.list.increment.get",
            is_lucky_flag=0,
            order_status=5,
            refund_status=5,
            start_updated_at=start,
            end_updated_at=end,
            page=page,
            page_size=page_size,
        )["order_sn_increment_get_response"]

    def orders(
        self, start_updated: dt.datetime, end_updated: dt.datetime, *, page_size: int = 100
    ) -> Iterator[dict]:
        """Orders updated in the window: 30-minute slices, each from its last page to its first."""
        lo, seen = start_updated, set()
        while lo < end_updated:
            hi = min(lo + self.SLICE, end_updated)
            start, end = int(lo.timestamp()), int(hi.timestamp())
            first = self._page(start, end, 1, page_size)
            pages = max(1, -(-int(first.get("total_count", 0)) // page_size))
            rows = [
                r
                for page in range(pages, 1, -1)
                for r in self._page(start, end, page, page_size).get("order_sn_list") or []
            ]
            for row in rows + (first.get("order_sn_list") or []):
                if row["order_sn"] not in seen:  # an order updated on a slice's edge comes in both
                    seen.add(row["order_sn"])
                    yield row
            lo = hi

    @staticmethod
    def to_draft(order: dict, shop: ShopInfo) -> OrderDraft:
        """A Pinduoduo order (yuan as numbers, ``item_list``) -> a draft."""
        lines = tuple(
            line_draft(
                (x.get("outer_id") or x.get("outer_goods_id") or str(x.get("sku_id", "")))[:64],
                int(x["goods_count"]),
                Decimal(str(x["goods_price"])),
                shop.currency,
                x.get("goods_name", ""),
            )
            for x in order.get("item_list", [])
        )
        total = Decimal(str(order.get("pay_amount", 0)))
        refund = {4: "退款成功"}.get(int(order.get("refund_status", 1)), "")
        status = pdd_file.status_of(str(order["order_status"]), refund)
        return _domestic_draft(
            shop,
            lines,
            number=str(order["order_sn"]),
            status=status,
            created=order["created_time"],
            total=total,
            shipping=Decimal(str(order.get("postage", 0))),
            paid_amount=total,
            refunded_amount=total if status == "refunded" else Decimal(0),
            buyer_id=str(order.get("buyer_id", "")),
            receiver_name=order.get("receiver_name", ""),
            receiver_phone=order.get("receiver_phone", ""),
            region=(order.get("province") or "").removesuffix("省"),
            city=(order.get("city") or "").removesuffix("市"),
            address=order.get("address", ""),
            platform_status=f"{order['order_status']}/{order.get('refund_status', '')}",
        )
