r"""Importing platform export files: read every file, then import every order in one transaction.

A file that cannot be used at all raises :class:`~ecerp_core.errors.ImportFileError` before anything
is written; rows that cannot be read and orders the services reject are listed as ``rejected``
(``{file, line, reason}``); orders that need a person land in the exception queue; what a person
should know of orders created as the platform said them (an adjustment kept, tax inclusion unlike
the shop's setting) is listed as ``warnings`` (``{file, line, reason}``).

>>> header = "Name,Financial Status,Created at,Lineitem quantity,Lineitem price,Lineitem sku,Total"
>>> export = f"{header}\n#1001,paid,2026-11-02 10:00:00 +0800,1,59.00,TEE-1,59.00\n".encode()
>>> summary = import_files(session, clerk, "shopify", [("orders_export.csv", export)], shop="SHOPIFY")
>>> summary["created"], summary["rejected"]
(1, [])
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import company_timezone
from ecerp_core.catalog.models import Shop
from ecerp_core.connectors import generic, jd, pdd, shopify, taobao, woocommerce
from ecerp_core.connectors.base import Parsed, ShopInfo
from ecerp_core.db import cycle_collector_paused
from ecerp_core.errors import ImportFileError, NotFound
from ecerp_core.i18n import lazy
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.tabular import Table, read_table

PLATFORMS = ("taobao", "jd", "pdd", "shopify", "woocommerce", "csv")
SHOP_PLATFORM = {"taobao": ("taobao", "tmall"), "jd": ("jd",), "pdd": ("pdd",), "shopify": ("shopify",),
                 "woocommerce": ("woocommerce",), "csv": None}  # fmt: skip
Source = str | Path | tuple[str, bytes]
PARSERS = {"jd": jd, "pdd": pdd, "shopify": shopify, "woocommerce": woocommerce}
COLUMNS = {"taobao": taobao.COLUMNS, **{platform: module.COLUMNS for platform, module in PARSERS.items()}}
"""The columns each platform's parser reads; a generic CSV's depend on its mapping, so it keeps all."""


def find_shop(session: Session, platform: str, shop: str | None) -> ShopInfo:
    """The shop named (code or name), or the only active shop of the platform."""
    stmt = select(Shop.id, Shop.platform, Shop.currency, Shop.prices_include_tax).where(Shop.active.is_(True))
    if shop:
        stmt = stmt.where(or_(Shop.code == shop, Shop.name == shop))
    elif SHOP_PLATFORM.get(platform):
        stmt = stmt.where(Shop.platform.in_(SHOP_PLATFORM[platform]))
    rows = session.connection().execute(stmt.order_by(Shop.id)).all()
    if not rows and not shop:
        raise NotFound("error.no_shop", platform=platform)
    if len(rows) != 1:
        raise NotFound("error.shop_needed", platform=platform, shop=shop or "", count=len(rows))
    shop_id, shop_platform, currency, included = rows[0]
    return ShopInfo(shop_id, shop_platform, currency, company_timezone(session), included)


def read_sources(sources: Sequence[Source], columns: Collection[str] | None = None) -> list[Table]:
    tables = []
    for source in sources:
        if isinstance(source, tuple):
            tables.append(read_table(source[1], name=source[0], columns=columns))
        else:
            tables.append(read_table(source, columns=columns))
    return tables


def parse_tables(
    platform: str,
    tables: Sequence[Table],
    shop: ShopInfo,
    mapping: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    *,
    history: bool = False,
) -> list[Parsed]:
    """Parse each file (a Taobao pair counts as one) into drafts; file-level errors raise."""
    if platform not in PLATFORMS:
        raise ImportFileError(file="-", reason=lazy("reason.unknown_platform", value=platform))
    if platform == "taobao":
        details = [x for x in tables if taobao.is_detail(x)]
        orders = [x for x in tables if not taobao.is_detail(x)]
        if not orders:
            raise ImportFileError(file=tables[0].name, reason=lazy("reason.taobao_pair"))
        if len(orders) > 1 and len(details) != len(orders):
            raise ImportFileError(file=orders[-1].name, reason=lazy("reason.taobao_pair"))
        return [
            taobao.parse_pair(o, details[min(i, len(details) - 1)] if details else None, shop)
            for i, o in enumerate(orders)
        ]
    if platform == "csv":
        return [generic.parse(x, shop, mapping, defaults, history=history) for x in tables]
    return [PARSERS[platform].parse(x, shop) for x in tables]


def import_files(
    session: Session,
    actor: Actor,
    platform: str,
    sources: Sequence[Source],
    *,
    shop: str | None = None,
    mapping: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    history: bool = False,
) -> dict:
    """Import export files of one platform and shop; returns the summary (see the module doc)."""
    require(actor, "orders.import")
    if not sources:
        raise ImportFileError(file="-", reason=lazy("reason.empty"))
    info = find_shop(session, platform, shop)
    with cycle_collector_paused():
        # the tables and drafts die as this call returns, before the collector wakes up
        summary = _import_tables(
            session,
            actor,
            platform,
            read_sources(sources, COLUMNS.get(platform)),
            info,
            mapping,
            defaults,
            history,
        )
    for key in ("rejected", "warnings"):
        summary[key].sort(key=lambda r: (r["file"], r["line"] or 0))
    return summary


def _import_tables(session, actor, platform, tables, info, mapping, defaults, history) -> dict:
    summary = {"created": 0, "updated": 0, "unchanged": 0, "exceptions": 0, "rejected": [], "warnings": []}
    for part in parse_tables(platform, tables, info, mapping, defaults, history=history):
        summary["rejected"] += part.rejected
        if not part.drafts:
            continue
        result = import_order_drafts(
            session, actor, part.drafts, strict=False, history=history, source=f"{platform}:{part.file}"
        )
        for key in ("created", "updated", "unchanged", "exceptions"):
            summary[key] += getattr(result, key)
        for key, found in (("rejected", result.rejected), ("warnings", result.warnings)):
            summary[key] += [{"file": part.file, "line": p.line, "reason": p.message()} for p in found]
    return summary
