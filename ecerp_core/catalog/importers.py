"""Bulk import of products, suppliers, customers, warehouses and shops from CSV/XLSX, by header name.

Every row is checked on its own: good rows are created or updated in one set-based pass, bad rows
are reported with their line number and reason and leave nothing behind. Importing the same file
twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog import rules, services
from ecerp_core.catalog.customers import link_customer_account
from ecerp_core.catalog.models import Product
from ecerp_core.db import among, forget, insert_rows, utcnow
from ecerp_core.errors import EcerpError, NotFound, Problem, ValidationError, problem
from ecerp_core.i18n import t
from ecerp_core.tabular import Table, map_columns, read_table

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "product": {
        "sku": ("sku code", "商家编码", "商品编码", "货号", "SKU编码", "编码"),
        "name_zh": ("name", "商品名称", "名称", "品名", "中文名称", "title"),
        "name_en": ("english name", "英文名称"),
        "list_price": ("price", "售价", "零售价", "价格", "销售价"),
        "cost": ("成本", "成本价", "进价", "cost price"),
        "barcode": ("条码", "条形码", "ean", "upc", "gtin"),
        "category": ("分类", "类目", "商品分类", "category path"),
        "unit": ("单位",),
        "weight_kg": ("weight", "重量", "重量kg"),
        "is_bundle": ("bundle", "组合", "是否组合"),
        "components": ("子商品", "组合明细"),
    },
    "supplier": {
        "code": ("supplier code", "供应商编码", "编码"),
        "name": ("supplier", "供应商", "供应商名称", "名称"),
        "contact_name": ("contact", "联系人"),
        "phone": ("电话", "手机"),
        "email": ("邮箱",),
        "address": ("地址",),
        "currency": ("币种",),
        "lead_time_days": ("lead time", "交货周期", "lead_time"),
        "min_order_qty": ("moq", "最小起订量", "起订量"),
    },
    "customer": {
        "code": ("customer code", "customer id", "客户编码", "编码"),
        "name": ("customer", "客户", "客户名称", "姓名", "名称"),
        "phone": ("电话", "手机"),
        "email": ("邮箱",),
        "country": ("国家",),
        "region": ("province", "省份", "地区"),
        "city": ("城市",),
        "address": ("地址",),
        "tier": ("level", "等级", "客户等级"),
        "shop": ("店铺", "shop code"),
        "buyer_id": ("buyer", "买家账号", "买家昵称"),
    },
    "warehouse": {
        "code": ("warehouse code", "仓库编码", "编码"),
        "name": ("warehouse", "仓库", "仓库名称", "名称"),
        "region": ("province", "省份", "地区"),
        "address": ("地址",),
        "priority": ("优先级",),
        "allow_negative": ("negative stock", "允许负库存"),
    },
    "shop": {
        "code": ("shop code", "店铺编码", "编码"),
        "name": ("shop", "店铺", "店铺名称", "名称"),
        "platform": ("平台",),
        "currency": ("币种",),
        "credentials_ref": ("credentials", "凭据"),
        "default_warehouse": ("warehouse", "默认仓库", "发货仓"),
    },
}
REQUIRED = {
    "product": ("sku", "name_zh"),
    "supplier": ("code", "name"),
    "customer": ("code", "name"),
    "warehouse": ("code", "name"),
    "shop": ("code", "name", "platform"),
}
_EXTRA = {"product": ("components",), "customer": ("shop", "buyer_id")}


@dataclass(frozen=True)
class RejectedRow:
    file: str
    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did: counts, and every rejected row with its reason."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [r.__dict__ for r in self.rejected],
        }


def import_file(
    session: Session, actor: Actor, entity_name: str, source: str | Path | bytes, *, name: str | None = None
) -> ImportReport:
    """Read ``source`` (a path, or upload bytes with ``name``) and import its rows."""
    table = read_table(source, name=name)
    return import_table(session, actor, entity_name, table)


def import_table(session: Session, actor: Actor, entity_name: str, table: Table) -> ImportReport:
    """Create or update records of ``entity_name`` from a parsed table; see the module doc."""
    ent = services.entity(entity_name)
    if entity_name not in ALIASES:
        raise NotFound(entity="entity.entity", key=entity_name)
    require(actor, services.write_permission(entity_name))
    columns = map_columns(table, ALIASES[entity_name], REQUIRED[entity_name])
    report = ImportReport()
    field_names = {f.name for f in ent.fields}
    extras = set(_EXTRA.get(entity_name, ()))

    good: list[tuple[int, dict, dict]] = []  # (line, cleaned values, extra columns)
    for line, raw in table:
        values = {f: raw[col] for f, col in columns.items() if f in field_names - extras and raw[col] != ""}
        extra = {f: raw[col] for f, col in columns.items() if f in _EXTRA.get(entity_name, ())}
        cleaned, found = rules.clean(ent.fields, values)
        if found:
            _reject(report, table, line, found)
        else:
            good.append((line, cleaned, extra))

    good = _drop_duplicates_in_file(report, table, ent, good)
    if entity_name == "product":
        good = _resolve_categories(session, actor, report, table, good)
    good = _resolve_refs(session, report, table, ent, good)

    key = ent.key
    model = ent.model
    existing = {
        getattr(obj, key): obj
        for obj in session.scalars(
            select(model).where(among(session, getattr(model, key), [v[key] for _, v, _ in good]))
        )
    }
    good = _check_barcodes(session, report, table, good, existing) if entity_name == "product" else good

    to_insert, to_update, diffs, with_extras = [], [], [], []
    for line, values, extra in good:
        obj = existing.get(values[key])
        if obj is None:
            to_insert.append(values)
        else:
            diff = {f: [getattr(obj, f), v] for f, v in values.items() if getattr(obj, f) != v}
            if diff:
                to_update.append({"id": obj.id, **{f: new for f, (_, new) in diff.items()}})
                diffs.append((obj.id, diff))
            else:
                report.unchanged += 1
        if any(extra.values()):
            with_extras.append((line, values[key], extra))

    if to_insert:
        now = utcnow()
        insert_rows(
            session, model, [{**v, "active": True, "created_at": now, "updated_at": now} for v in to_insert]
        )
        ids = dict(
            session.execute(
                select(getattr(model, key), model.id).where(
                    among(session, getattr(model, key), [v[key] for v in to_insert])
                )
            ).all()
        )
        audit.record_many(
            session, actor, "import", model.__tablename__, [(ids[v[key]], v) for v in to_insert]
        )
    for row in to_update:
        session.execute(update(model), [row])
    if diffs:
        audit.record_many(session, actor, "import", model.__tablename__, diffs)
    report.created, report.updated = len(to_insert), len(to_update)
    session.flush()
    session.expire_all()
    forget(session)
    _apply_extras(session, actor, report, table, entity_name, with_extras)
    report.rejected.sort(key=lambda r: r.line)
    return report


def _reject(report: ImportReport, table: Table, line: int, problems: Sequence[Problem]) -> None:
    report.rejected.append(RejectedRow(table.name, line, "; ".join(p.message() for p in problems)))


def _drop_duplicates_in_file(report, table, ent, good):
    seen: dict[str, int] = {}
    kept = []
    for line, values, extra in good:
        key = values[ent.key]
        if key in seen:
            _reject(report, table, line, [problem(ent.key, "duplicate_in_file", value=key, line=seen[key])])
            continue
        seen[key] = line
        kept.append((line, values, extra))
    return kept


def _resolve_categories(session, actor, report, table, good):
    paths = {v["category"] for _, v, _ in good if v.get("category")}
    ids = {}
    for path in sorted(paths):
        ids[path] = services.ensure_category_path(session, actor, path).id
    for _, values, _ in good:
        if "category" in values:
            path = values.pop("category")
            values["category_id"] = ids.get(path) if path else None
    return good


def _resolve_refs(session, report, table, ent, good):
    """Codes of other records (a shop's warehouse) become ids; unknown ones and unknown currencies
    reject their row."""
    found = services.resolve_refs(session, ent, [values for _, values, _ in good])
    kept = []
    for (line, values, extra), problems in zip(good, found, strict=True):
        if problems:
            _reject(report, table, line, problems)
        else:
            kept.append((line, values, extra))
    return kept


def _check_barcodes(session, report, table, good, existing):
    wanted = {v["barcode"] for _, v, _ in good if v.get("barcode")}
    owners = dict(
        session.execute(
            select(Product.barcode, Product.sku).where(among(session, Product.barcode, wanted))
        ).all()
    )
    seen: dict[str, str] = {}
    kept = []
    for line, values, extra in good:
        barcode, sku = values.get("barcode"), values["sku"]
        if barcode and (
            (barcode in owners and owners[barcode] != sku) or (barcode in seen and seen[barcode] != sku)
        ):
            _reject(report, table, line, [problem("barcode", "duplicate", value=barcode)])
            continue
        if barcode:
            seen[barcode] = sku
        kept.append((line, values, extra))
    return kept


def _apply_extras(session, actor, report, table, entity_name, with_extras) -> None:
    """Bundle components and customers' buyer ids: few rows, so the checked one-by-one path."""
    for line, key, extra in with_extras:
        try:
            with session.begin_nested():
                if entity_name == "product" and extra.get("components"):
                    services.update_record(
                        session, actor, "product", key, {"is_bundle": True, "components": extra["components"]}
                    )
                elif entity_name == "customer" and extra.get("shop") and extra.get("buyer_id"):
                    link_customer_account(session, actor, key, extra["shop"], extra["buyer_id"])
        except ValidationError as exc:
            _reject(report, table, line, exc.problems)
        except EcerpError as exc:
            report.rejected.append(RejectedRow(table.name, line, exc.message()))


def summary_lines(report: ImportReport, language: str | None = None) -> list[str]:
    """The report as a clerk reads it."""
    lines = [
        t(
            "import.summary",
            language,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=len(report.rejected),
        )
    ]
    lines += [
        t("import.rejected_row", language, file=r.file, line=r.line, reason=r.reason) for r in report.rejected
    ]
    return lines


__all__ = ["ALIASES", "ImportReport", "RejectedRow", "import_file", "import_table", "summary_lines"]
