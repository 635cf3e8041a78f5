"""Pull a shop's orders from its platform's API into ecerp, for a modified-time window.

The shop's ``credentials_ref`` says where its credentials live, never the values themselves:
``secrets:KEY`` is a table of the secrets file (settings ``secrets_file``, a TOML file outside git),
``env:PREFIX`` reads ``PREFIX_<NAME>`` environment variables. The names each platform needs are in
:data:`CREDENTIALS`; an optional ``gateway`` (``base_url`` for Shopify) points at a sandbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Shop
from ecerp_core.connectors.api import JdClient, PddClient, ShopifyClient, TopClient
from ecerp_core.connectors.base import ShopInfo
from ecerp_core.connectors.signing import resolve_secret
from ecerp_core.errors import ConfigurationError, NotFound, ValidationError, problem
from ecerp_core.orders.drafts import ImportResult
from ecerp_core.orders.intake import import_order_drafts

CREDENTIALS: dict[str, tuple[str, ...]] = {
    "shopify": ("base_url", "token"),
    "taobao": ("app_key", "secret", "session"),
    "jd": ("app_key", "secret", "access_token"),
    "pdd": ("client_id", "secret", "access_token"),
}
PLATFORM_API = {"taobao": "taobao", "tmall": "taobao", "jd": "jd", "pdd": "pdd", "shopify": "shopify"}
GATEWAYS = {
    "taobao": "https://eco.taobao.com/router/rest",
    "jd": "https://api.jd.com/routerjson",
    "pdd": "https://gw-api.pinduoduo.com/api/router",
}


def shop_credentials(shop: Shop) -> dict[str, str]:
    """The shop's API credentials, read from where its ``credentials_ref`` points."""
    api = PLATFORM_API.get(shop.platform)
    if api is None:
        raise ValidationError([problem("platform", "no_api", value=shop.platform)])
    ref = (shop.credentials_ref or "").strip()
    kind, _, name = ref.partition(":")
    if kind not in ("env", "secrets") or not name:
        raise ConfigurationError("error.credentials_ref", shop=shop.code, ref=ref)

    def value(key: str, required: bool = True) -> str:
        where = f"env:{name}_{key.upper()}" if kind == "env" else f"secrets:{name}.{key}"
        try:
            return resolve_secret(where)
        except ConfigurationError:
            if required:
                raise
            return ""

    found = {key: value(key) for key in CREDENTIALS[api]}
    found["gateway"] = value("gateway", required=False) or GATEWAYS.get(api, "")
    return found


def _fetch(api: str, creds: dict[str, str], start: dt.datetime, end: dt.datetime) -> Iterator[dict]:
    if api == "shopify":
        return ShopifyClient(creds["base_url"], creds["token"]).orders(start, end)
    if api == "taobao":
        return TopClient(creds["gateway"], creds["app_key"], creds["secret"], creds["session"]).trades(
            start, end
        )
    if api == "jd":
        return JdClient(creds["gateway"], creds["app_key"], creds["secret"], creds["access_token"]).orders(
            start, end
        )
    return PddClient(creds["gateway"], creds["client_id"], creds["secret"], creds["access_token"]).orders(
        start, end
    )


_CLIENTS = {"shopify": ShopifyClient, "taobao": TopClient, "jd": JdClient, "pdd": PddClient}


def pull_orders(
    session: Session, actor: Actor, shop_code: str, start: dt.datetime, end: dt.datetime
) -> ImportResult:
    """Fetch the orders the platform changed in ``[start, end)`` and import them (idempotent).

    Raises :class:`ConfigurationError` when the shop's credentials are missing, and
    :class:`~ecerp_core.connectors.api.PlatformApiError` when the platform refuses.
    """
    require(actor, "orders.import")
    if start.tzinfo is None or end.tzinfo is None or start >= end:
        raise ValidationError([problem("window", "bad_window", start=start, end=end)])
    shop = session.scalar(select(Shop).where(Shop.code == shop_code))
    if shop is None:
        raise NotFound(entity="entity.shop", key=shop_code)
    api = PLATFORM_API.get(shop.platform, "")
    creds = shop_credentials(shop)
    info = ShopInfo(shop.id, shop.platform, shop.currency)
    drafts = [_CLIENTS[api].to_draft(order, info) for order in _fetch(api, creds, start, end)]
    return import_order_drafts(session, actor, drafts)
