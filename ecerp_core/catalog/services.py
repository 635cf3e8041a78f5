"""Use cases of the base data: create, update, deactivate and list, each checked and audited.

Every function takes the session and the acting user, checks the permission, validates the whole
batch before writing anything, and adds an audit row per record written. Callers commit.

The other rooms of the catalog: :mod:`~ecerp_core.catalog.products` (category paths, bundle recipes
and what a bundle takes out of stock), :mod:`~ecerp_core.catalog.company` (the company, currencies,
exchange rates, business dates) and :mod:`~ecerp_core.catalog.customers` (platform buyer ids).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog import products, rules
from ecerp_core.catalog.models import Category, Currency, Customer, Product, Shop, Supplier, Warehouse
from ecerp_core.db import among, forget, memo
from ecerp_core.errors import NotFound, Problem, ValidationError, problem
from ecerp_core.query import Page, ids_by_key, paginate, sort_stmt, text_filter


@dataclass(frozen=True)
class Entity:
    """How one kind of base record is keyed, checked, searched and shown."""

    name: str
    model: type
    fields: tuple[rules.Field, ...]
    key: str = "code"
    search: tuple[str, ...] = ("code", "name")
    columns: tuple[str, ...] = ("code", "name", "active")

    @property
    def label_key(self) -> str:
        return f"entity.{self.name}"


ENTITIES: dict[str, Entity] = {
    "product": Entity(
        "product",
        Product,
        rules.PRODUCT_FIELDS,
        key="sku",
        search=("sku", "barcode", "name_zh", "name_en"),
        columns=("sku", "barcode", "name_zh", "name_en", "unit", "cost", "list_price", "is_bundle", "active"),
    ),
    "supplier": Entity(
        "supplier",
        Supplier,
        rules.SUPPLIER_FIELDS,
        search=("code", "name", "contact_name", "phone"),
        columns=(
            "code",
            "name",
            "contact_name",
            "phone",
            "currency",
            "lead_time_days",
            "min_order_qty",
            "active",
        ),
    ),
    "customer": Entity(
        "customer",
        Customer,
        rules.CUSTOMER_FIELDS,
        search=("code", "name", "phone", "email"),
        columns=("code", "name", "phone", "region", "city", "tier", "active"),
    ),
    "warehouse": Entity(
        "warehouse",
        Warehouse,
        rules.WAREHOUSE_FIELDS,
        columns=("code", "name", "region", "priority", "allow_negative", "active"),
    ),
    "shop": Entity(
        "shop",
        Shop,
        rules.SHOP_FIELDS,
        columns=("code", "name", "platform", "currency", "default_warehouse", "active"),
    ),
    "category": Entity(
        "category",
        Category,
        rules.CATEGORY_FIELDS,
        search=("code", "name_zh", "name_en", "path"),
        columns=("code", "name_zh", "name_en", "path", "active"),
    ),
}

# A field that names another record by its key, and the column that stores that record's id.
_REFS = {"category": "category_id", "default_warehouse": "default_warehouse_id", "parent": "parent_id"}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise NotFound(entity="entity.entity", key=name) from None


# --- shared machinery -----------------------------------------------------------------------------
def _find(session: Session, ent: Entity, key: str):
    obj = session.scalar(select(ent.model).where(getattr(ent.model, ent.key) == key))
    if obj is None:
        raise NotFound(entity=ent.label_key, key=key)
    return obj


def resolve_refs(session: Session, ent: Entity, rows: list[dict]) -> list[list[Problem]]:
    """Replace reference codes by ids and check that currencies exist; problems per row."""
    found: list[list[Problem]] = [[] for _ in rows]
    for field in ent.fields:
        if field.kind == "ref":
            target = ENTITIES[field.ref]
            keys = {r[field.name] for r in rows if r.get(field.name)}
            ids = ids_by_key(session, target.model, target.key, keys)
            for i, row in enumerate(rows):
                if field.name in row:
                    code = row.pop(field.name)
                    if code and code not in ids:
                        found[i].append(problem(field.name, "unknown_ref", value=code))
                    row[_REFS[field.name]] = ids.get(code) if code else None
        elif field.kind == "currency":
            codes = set(session.scalars(select(Currency.code).where(Currency.active.is_(True))))
            for i, row in enumerate(rows):
                if row.get(field.name) and row[field.name] not in codes:
                    found[i].append(problem(field.name, "unknown_currency", value=row[field.name]))
    return found


def _unique_problems(
    session: Session, ent: Entity, rows: list[dict], *, exclude_ids: Sequence[int | None] = ()
) -> list[list[Problem]]:
    """Duplicates of unique fields within the batch and against the database, per row."""
    unique_fields = [ent.key] + (["barcode"] if ent.name == "product" else [])
    found: list[list[Problem]] = [[] for _ in rows]
    for name in unique_fields:
        values = [r.get(name) for r in rows]
        wanted = {v for v in values if v}
        col = getattr(ent.model, name)
        taken = (
            dict(session.execute(select(col, ent.model.id).where(among(session, col, wanted))).all())
            if wanted
            else {}
        )
        seen: set[str] = set()
        for i, value in enumerate(values):
            if not value:
                continue
            own_id = exclude_ids[i] if i < len(exclude_ids) else None
            if value in seen or (value in taken and taken[value] != own_id):
                found[i].append(problem(name, "duplicate", value=value))
            seen.add(value)
    return found


def _raise_if_any(per_row: list[list[Problem]], lines: Sequence[int] | None = None) -> None:
    problems = []
    for i, row_problems in enumerate(per_row):
        for p in row_problems:
            problems.append(p.at_line(lines[i]) if lines else p)
    if problems:
        raise ValidationError(problems)


def _merge(*lists: list[list[Problem]]) -> list[list[Problem]]:
    return [[p for row in group for p in row] for group in zip(*lists, strict=True)]


def write_permission(name: str) -> str:
    """The permission that creating or changing records of kind ``name`` needs."""
    return "company.manage" if name in ("warehouse", "shop") else "catalog.write"


# --- generic create / update / deactivate / list --------------------------------------------------
def create_records(session: Session, actor: Actor, name: str, rows: Sequence[Mapping]) -> list:
    """Create a batch of records of one kind; all or nothing.

    Raises :class:`ValidationError` listing every problem of every row, and writes nothing then.
    """
    ent = entity(name)
    require(actor, write_permission(ent.name))
    cleaned, problems = [], []
    for raw in rows:
        row, found = rules.clean(ent.fields, raw)
        cleaned.append(row)
        problems.append(found)
    components = [row.pop("components", None) or [] for row in cleaned]
    problems = _merge(problems, resolve_refs(session, ent, cleaned), _unique_problems(session, ent, cleaned))
    if ent.name == "product":
        problems = _merge(problems, products.component_problems(session, cleaned, components))
    _raise_if_any(problems)
    created = []
    for row, comps in zip(cleaned, components, strict=True):
        obj = ent.model(**row, active=True)
        if ent.name == "category":
            obj.path = products.category_path(session, obj)
        session.add(obj)
        session.flush()
        if comps:
            products.set_components(session, obj, comps)
        created.append(obj)
    forget(session)  # warehouses and bundles are read once per transaction
    audit.record_many(
        session,
        actor,
        "create",
        ent.model.__tablename__,
        [
            (o.id, {**r, **({"components": c} if c else {})})
            for o, r, c in zip(created, cleaned, components, strict=True)
        ],
    )
    return created


def update_record(session: Session, actor: Actor, name: str, key: str, changes: Mapping) -> object:
    """Change fields of one record found by its key; the audit row keeps old and new values."""
    ent = entity(name)
    require(actor, write_permission(ent.name))
    obj = _find(session, ent, key)
    row, found = rules.clean(ent.fields, changes, partial=True)
    comps = row.pop("components", None)
    problems = _merge(
        [found],
        resolve_refs(session, ent, [row]),
        _unique_problems(session, ent, [row], exclude_ids=[obj.id]),
    )
    if comps is not None:
        target = {"sku": obj.sku, "is_bundle": obj.is_bundle, **row}
        problems = _merge(problems, products.component_problems(session, [target], [comps]))
    if ent.name == "category" and row.get("parent_id") == obj.id:
        problems[0].append(problem("parent", "cycle", value=key))
    _raise_if_any(problems)
    diff = {}
    for field_name, new in row.items():
        old = getattr(obj, field_name)
        if old != new:
            diff[field_name] = [old, new]
            setattr(obj, field_name, new)
    if ent.name == "category" and ("parent_id" in diff or "name_zh" in diff):
        products.refresh_paths(session, obj)
    if comps is not None:
        before = [(c.component.sku, c.quantity) for c in obj.components]
        if before != comps:
            products.set_components(session, obj, comps)
            diff["components"] = [before, comps]
    if diff:
        session.flush()
        forget(session)
        audit.record(session, actor, "update", ent.model.__tablename__, obj.id, diff)
    return obj


def set_active(session: Session, actor: Actor, name: str, key: str, active: bool = False) -> object:
    """Deactivate (or reactivate) a record. Records are never deleted: history points at them."""
    ent = entity(name)
    require(actor, write_permission(ent.name))
    obj = _find(session, ent, key)
    if obj.active != active:
        obj.active = active
        session.flush()  # what follows may read with Core, which does not autoflush
        forget(session)
        audit.record(
            session,
            actor,
            "deactivate" if not active else "activate",
            ent.model.__tablename__,
            obj.id,
            {"active": [not active, active]},
        )
    return obj


def get_record(session: Session, actor: Actor, name: str, key: str) -> dict:
    """One record as a dict of its input fields (references as codes), as a form shows it."""
    ent = entity(name)
    require(actor, "catalog.read")
    obj = _find(session, ent, key)
    out = {"id": obj.id, "active": obj.active}
    for field in ent.fields:
        if field.kind == "ref":
            ref_id = getattr(obj, _REFS[field.name])
            target = ENTITIES[field.ref]
            out[field.name] = (
                session.scalar(select(getattr(target.model, target.key)).where(target.model.id == ref_id))
                if ref_id
                else None
            )
        else:
            out[field.name] = getattr(obj, field.name)
    if ent.name == "product":
        out["components"] = [(c.component.sku, c.quantity) for c in obj.components]
    return out


def list_stmt(
    name: str,
    *,
    search: str | None = None,
    active: bool | None = True,
    filters: Mapping[str, object] | None = None,
) -> Select:
    """The SELECT behind a list screen: search text, active flag and exact filters, in SQL."""
    ent = entity(name)
    model = ent.model
    refs = {f.name: f.ref for f in ent.fields if f.kind == "ref"}
    selected, joins = [], []
    for c in ent.columns:
        if c in refs:  # a reference is shown by the other record's key (a shop's warehouse code)
            target = ENTITIES[refs[c]]
            other = aliased(target.model)
            selected.append(getattr(other, target.key).label(c))
            joins.append((other, other.id == getattr(model, _REFS[c])))
        else:
            selected.append(getattr(model, c))
    stmt = select(model.id, *selected)
    for other, on in joins:
        stmt = stmt.outerjoin(other, on)
    stmt = text_filter(stmt, [getattr(model, c) for c in ent.search], search)
    if active is not None:
        stmt = stmt.where(model.active.is_(active))
    for column, value in (filters or {}).items():
        if value not in (None, ""):
            stmt = stmt.where(getattr(model, column) == value)
    return stmt.order_by(getattr(model, ent.key))


def list_records(
    session: Session,
    actor: Actor,
    name: str,
    *,
    search: str | None = None,
    active: bool | None = True,
    filters: Mapping[str, object] | None = None,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """One page of records of a kind, filtered, sorted and counted in the database."""
    require(actor, "catalog.read")
    stmt = sort_stmt(list_stmt(name, search=search, active=active, filters=filters), sort, descending)
    return paginate(session, stmt, offset=offset, limit=limit)


def choices(session: Session, actor: Actor, name: str, *, separator: str = " ") -> list[tuple[str, int]]:
    """``[("code name", id)]`` of the active records of a kind (a product: SKU and Chinese name), for
    a pick-list; warehouses in routing order (priority), the others by code."""
    require(actor, "catalog.read")
    if name == "warehouse":
        return [(f"{w.code}{separator}{w.name}", w.id) for w in warehouse_facts(session) if w.active]
    ent = entity(name)
    model, key = ent.model, getattr(ent.model, ent.key)
    label = getattr(model, "name", None) or model.name_zh
    stmt = select(key, label, model.id).where(model.active.is_(True)).order_by(key)
    return [(f"{code}{separator}{label}", i) for code, label, i in session.execute(stmt)]


# --- named use cases ------------------------------------------------------------------------------
def create_product(session: Session, actor: Actor, **values) -> Product:
    """Create one product.

    >>> p = create_product(session, admin, sku="TEE-001", name_zh="纯棉T恤", list_price="59.00")
    >>> p.list_price
    Decimal('59.00')
    """
    return create_records(session, actor, "product", [values])[0]


def create_warehouse(session: Session, actor: Actor, **values) -> Warehouse:
    return create_records(session, actor, "warehouse", [values])[0]


def create_shop(session: Session, actor: Actor, **values) -> Shop:
    return create_records(session, actor, "shop", [values])[0]


def create_supplier(session: Session, actor: Actor, **values) -> Supplier:
    return create_records(session, actor, "supplier", [values])[0]


def create_customer(session: Session, actor: Actor, **values) -> Customer:
    return create_records(session, actor, "customer", [values])[0]


def update_product(session: Session, actor: Actor, sku: str, **changes) -> Product:
    return update_record(session, actor, "product", sku, changes)


def bundle_components(session: Session, actor: Actor, skus: Sequence[str]) -> dict[str, str]:
    """The recipe of each bundle among ``skus``, written as a file's components column
    (``{"SET-1": "TEE-1*2; MUG-1*1"}``); products that are not bundles are absent."""
    require(actor, "catalog.read")
    ids = ids_by_key(session, Product, "sku", set(skus))
    parts = products.bundle_parts(session, ids.values())
    wanted = {c for recipe in parts.values() for c, _ in recipe}
    names = {i: sku for sku, i in ids.items()}
    names.update(
        session.execute(
            select(Product.id, Product.sku).where(among(session, Product.id, wanted - set(names)))
        ).all()
    )
    return {
        names[bundle]: "; ".join(f"{names[c]}*{qty}" for c, qty in recipe) for bundle, recipe in parts.items()
    }


# --- categories -----------------------------------------------------------------------------------
def ensure_category_path(session: Session, actor: Actor, path: str) -> Category:
    """Find or create the categories of ``"服装/女装/T恤"`` and return the last one.

    A level's code is the path up to it, so ``服装/女装`` and ``童装/女装`` stay distinct.
    """
    require(actor, "catalog.write")
    names = [p.strip() for p in path.replace(">", "/").split("/") if p.strip()]
    if not names:
        raise ValidationError([problem("category", "required")])
    parent: Category | None = None
    for depth in range(1, len(names) + 1):
        code = "/".join(names[:depth])[:64]
        category = session.scalar(select(Category).where(Category.code == code))
        if category is None:
            values = {"code": code, "name_zh": names[depth - 1], "parent": parent.code if parent else None}
            _, found = rules.clean(rules.CATEGORY_FIELDS, values)
            if found:
                raise ValidationError(found)
            category = create_records(session, actor, "category", [values])[0]
        parent = category
    return parent


# --- warehouses -----------------------------------------------------------------------------------
class WarehouseFacts(NamedTuple):
    id: int
    code: str
    name: str
    region: str
    priority: int
    active: bool
    allow_negative: bool


def warehouse_facts(session: Session) -> tuple[WarehouseFacts, ...]:
    """Every warehouse, in routing order (priority, then id); read once per transaction."""

    def load() -> tuple[WarehouseFacts, ...]:
        stmt = select(
            Warehouse.id,
            Warehouse.code,
            Warehouse.name,
            Warehouse.region,
            Warehouse.priority,
            Warehouse.active,
            Warehouse.allow_negative,
        ).order_by(Warehouse.priority, Warehouse.id)
        return tuple(WarehouseFacts(*r) for r in session.connection().execute(stmt))

    return memo(session, "warehouses", load)


# --- lookups by key -------------------------------------------------------------------------------
def record_id(session: Session, actor: Actor, name: str, key: str) -> int:
    """The id of the record of kind ``name`` whose key is ``key`` (a warehouse's code, a product's
    SKU), active or not; :class:`NotFound` when there is none.

    >>> shanghai = record_id(session, admin, "warehouse", "SH")
    """
    ent = entity(name)
    require(actor, "catalog.read")
    found = session.scalar(select(ent.model.id).where(getattr(ent.model, ent.key) == key))
    if found is None:
        raise NotFound(entity=ent.label_key, key=key)
    return found
