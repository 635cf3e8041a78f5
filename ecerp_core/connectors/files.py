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

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import company_timezone
from ecerp_core.catalog.models import Shop
from ecerp_core.connectors import ahead, generic, jd, pdd, shopify, taobao, woocommerce
from ecerp_core.connectors.base import Parsed, ShopInfo, require_columns
from ecerp_core.db import cycle_collector_paused
from ecerp_core.errors import ImportFileError, NotFound
from ecerp_core.i18n import lazy
from ecerp_core.orders.intake import OrderIntake
from ecerp_core.tabular import BATCH_ROWS, ScatteredRows, Table, read_batches, read_table

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
    batch_rows: int = BATCH_ROWS,
) -> dict:
    """Import export files of one platform and shop; returns the summary (see the module doc).

    Each file is read and imported in batches of about ``batch_rows`` rows, each order's rows in one
    batch, so a file of any size takes bounded memory; the result is the same as of one batch. A
    Taobao pair's item report is indexed first (its items packed by order number), then its order
    report is read in batches. A file that lists an order's rows far apart is read whole instead,
    as is a generic CSV whose order number comes from ``defaults``.
    """
    require(actor, "orders.import")
    if not sources:
        raise ImportFileError(file="-", reason=lazy("reason.empty"))
    info = find_shop(session, platform, shop)
    if platform not in PLATFORMS:
        raise ImportFileError(file="-", reason=lazy("reason.unknown_platform", value=platform))
    summary = _empty_summary()
    streamed = partial(_import_streamed, session, actor, platform, summary, history)
    with cycle_collector_paused():
        # a batch's tables and drafts die with it, their memory freed as they go (no cycles)
        if platform in PARSERS:
            parser = PARSERS[platform]
            for source in sources:
                # a parser that keeps what it read for the next batch (Shopify's Reader) reads them all
                parse = (
                    parser.Reader(info).parse
                    if hasattr(parser, "Reader")
                    else partial(parser.parse, shop=info)
                )
                streamed(
                    source,
                    partial(_batches, source, parser.COLUMNS, parser.COLUMNS[0], batch_rows),
                    parse,
                    lambda source=source, parser=parser: parser.parse(_whole(source, parser.COLUMNS), info),
                )
        elif platform == "csv":
            parse = partial(generic.parse, shop=info, mapping=mapping, defaults=defaults, history=history)
            key = partial(generic.key_column, mapping=mapping, defaults=defaults)
            for source in sources:
                streamed(
                    source,
                    partial(_batches, source, None, key, batch_rows),
                    parse,
                    lambda source=source: parse(_whole(source, None)),
                )
        else:
            for orders, items in _taobao_pairs(sources):
                index = taobao.index_items(_batches(items, taobao.DETAIL, "订单编号", batch_rows, True))
                parse = partial(taobao.parse_orders, items=index, shop=info)
                streamed(
                    orders,
                    partial(_batches, orders, taobao.ORDER, "订单编号", batch_rows),
                    parse,
                    lambda orders=orders, parse=parse: parse(_whole(orders, taobao.ORDER)),
                )
                del index, parse
    for key in ("rejected", "warnings"):
        summary[key].sort(key=lambda r: (r["file"], r["line"] or 0))
    return summary


def _batches(
    source: Source, columns: Collection[str] | None, key, rows: int, scattered_ok: bool = False
) -> Iterator[Table]:
    data, name = (source[1], source[0]) if isinstance(source, tuple) else (source, None)
    return read_batches(data, name=name, columns=columns, key=key, rows=rows, scattered_ok=scattered_ok)


def _whole(source: Source, columns: Collection[str] | None) -> Table:
    (table,) = read_sources([source], columns)
    return table


def _taobao_pairs(sources: Sequence[Source]) -> list[tuple[Source, Source]]:
    """Each order report with its item report, told apart by their headers (read alone); the order
    report's columns are checked before the item report is read (as :func:`taobao.parse_pair` does)."""
    heads = []
    for source in sources:
        first = _batches(source, ("订单编号",), "订单编号", 1, True)
        heads.append((source, next(first)))
        first.close()
    details = [x for x in heads if taobao.is_detail(x[1])]
    orders = [x for x in heads if not taobao.is_detail(x[1])]
    if not orders:
        raise ImportFileError(file=heads[0][1].name, reason=lazy("reason.taobao_pair"))
    if len(orders) > 1 and len(details) != len(orders):
        raise ImportFileError(file=orders[-1][1].name, reason=lazy("reason.taobao_pair"))
    pairs = []
    for i, (source, head) in enumerate(orders):
        require_columns(head, taobao.ORDER_COLUMNS)
        if not details:
            raise ImportFileError(file=head.name, reason=lazy("reason.taobao_pair"))
        pairs.append((source, details[min(i, len(details) - 1)][0]))
    return pairs


def _import_streamed(
    session: Session,
    actor: Actor,
    platform: str,
    summary: dict,
    history: bool,
    source: Source,
    batches: Callable[[], Iterable[Table]],
    parse: Callable[[Table], Parsed],
    whole: Callable[[], Parsed],
) -> None:
    """One file, batch by batch (see :func:`import_files`): ``parse`` reads a batch, ``whole`` reads
    the whole file when its batches scatter an order's rows. A large file is read ahead, in a second
    process, while this one writes (:mod:`~ecerp_core.connectors.ahead`)."""
    found = _empty_summary()
    intake = None
    savepoint = session.begin_nested()
    try:
        with ahead.reading(lambda: map(parse, batches()), source) as parts:
            for part in parts:
                if intake is None:
                    intake = OrderIntake(session, actor, history=history, source=f"{platform}:{part.file}")
                _import_part(intake, part, found, finish=False)
    except ScatteredRows:
        savepoint.rollback()  # what its batches wrote goes: the file is read whole instead
        part = whole()
        _import_part(
            OrderIntake(session, actor, history=history, source=f"{platform}:{part.file}"), part, summary
        )
        return
    savepoint.commit()
    if intake is not None:
        intake.finish()
    for key, value in found.items():
        summary[key] += value


def _empty_summary() -> dict:
    return {"created": 0, "updated": 0, "unchanged": 0, "exceptions": 0, "rejected": [], "warnings": []}


def _import_part(intake: OrderIntake, part: Parsed, summary: dict, *, finish: bool = True) -> None:
    """Import a file's (or a batch's) drafts and add what became of them to ``summary``."""
    summary["rejected"] += part.rejected
    if part.drafts:
        result = intake.add(part.drafts)
        for key in ("created", "updated", "unchanged", "exceptions"):
            summary[key] += getattr(result, key)
        for key, found in (("rejected", result.rejected), ("warnings", result.warnings)):
            summary[key] += [{"file": part.file, "line": p.line, "reason": p.message()} for p in found]
    if finish:
        intake.finish()
