"""Webhook receivers: verify the platform's HMAC on the raw body, reject forgeries, and turn the
order in the body into a draft for :func:`ecerp_core.orders.intake.import_order_drafts`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping

from ecerp_core.connectors.signing import body_hmac_base64
from ecerp_core.errors import AuthenticationFailed

HEADERS = {"shopify": "X-Shopify-Hmac-Sha256", "woocommerce": "X-WC-Webhook-Signature"}


def verify(platform: str, body: bytes, headers: Mapping[str, str], secret: str) -> dict:
    """Check the signature header of a Shopify or WooCommerce webhook; return the parsed body.

    Raises :class:`AuthenticationFailed` for a missing or wrong signature (compared in constant time).
    """
    wanted = {k.lower(): v for k, v in headers.items()}.get(HEADERS[platform].lower(), "")
    if not wanted or not hmac.compare_digest(wanted.encode(), body_hmac_base64(body, secret).encode()):
        raise AuthenticationFailed("error.webhook_forged", platform=platform)
    return json.loads(body)
