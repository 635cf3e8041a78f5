"""The platforms' request signing, reproduced from their published worked examples
(``../shared/data/platform_api/signing_vectors.json``), and the secrets behind it.

>>> top_sign({"method": "taobao.item.seller.get", "app_key": "12345678", "session": "test",
...           "timestamp": "2016-01-01 12:00:00", "format": "json", "v": "2.0", "sign_method": "md5",
...           "fields": "num_iid,title,nick,price,num", "num_iid": "11223344"}, "helloworld")
'66987CB115214E59E6EC978214934FB8'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import tomllib
from collections.abc import Mapping

from ecerp_core.config import load_settings
from ecerp_core.errors import ConfigurationError


def _concat(params: Mapping[str, object], skip_empty: bool = True) -> str:
    return "".join(
        f"{k}{v}"
        for k, v in sorted(params.items())
        if k != "sign" and (v not in ("", None) or not skip_empty)
    )


def top_sign(params: Mapping[str, object], secret: str, method: str | None = None) -> str:
    """Taobao TOP: md5 ``UPPER(MD5(secret + k1v1k2v2… + secret))``, or ``hmac`` / ``hmac-sha256``."""
    method = method or str(params.get("sign_method", "md5"))
    text = _concat(params).encode("utf-8")
    key = secret.encode("utf-8")
    if method == "md5":
        return hashlib.md5(key + text + key).hexdigest().upper()
    if method == "hmac":
        return hmac.new(key, text, hashlib.md5).hexdigest().upper()
    if method == "hmac-sha256":
        return hmac.new(key, text, hashlib.sha256).hexdigest().upper()
    raise ValueError(f"unknown TOP sign_method {method!r}")


def md5_wrap_sign(params: Mapping[str, object], secret: str) -> str:
    """Pinduoduo and JD: ``UPPER(MD5(secret + k1v1k2v2… + secret))`` over every parameter but sign."""
    key = secret.encode("utf-8")
    return hashlib.md5(key + _concat(params, skip_empty=False).encode("utf-8") + key).hexdigest().upper()


pdd_sign = md5_wrap_sign
jd_sign = md5_wrap_sign


def shopify_query_hmac(params: Mapping[str, str], secret: str) -> str:
    """Shopify OAuth / app-proxy query ``hmac``: hex HMAC-SHA256 of the sorted ``k=v`` pairs."""

    def esc(s: str, key: bool = False) -> str:
        s = str(s).replace("%", "%25").replace("&", "%26")
        return s.replace("=", "%3D") if key else s

    message = "&".join(
        f"{esc(k, True)}={esc(v)}" for k, v in sorted(params.items()) if k not in ("hmac", "signature")
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def body_hmac_base64(body: bytes, secret: str) -> str:
    """Shopify and WooCommerce webhooks: base64(HMAC-SHA256(secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def resolve_secret(ref: str, secrets_file: os.PathLike | str | None = None) -> str:
    """A shop's credential from its ``credentials_ref``: ``env:VAR`` or ``secrets:KEY`` (in the
    settings' secrets file, a TOML file kept outside git). Raises ConfigurationError when absent."""
    kind, _, name = ref.partition(":")
    if kind == "env" and os.environ.get(name):
        return os.environ[name]
    if kind == "secrets":
        if secrets_file is None:
            secrets_file = load_settings().secrets_file
        if secrets_file and os.path.exists(secrets_file):
            with open(secrets_file, "rb") as fh:
                value: object = tomllib.load(fh)
            for part in name.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, str) and value:
                return value
    raise ConfigurationError("error.secret_missing", ref=ref)
