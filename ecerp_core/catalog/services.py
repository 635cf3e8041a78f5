"""Use cases of the base data: create, update, deactivate and list, each checked and audited.

Every function takes the session and the acting user, checks the permission, validates the whole
batch before writing anything, and adds an audit row per record written. Callers commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog import rules
from ecerp_core.catalog.models import (
    BundleComponent,
    Category,
    Company,
    Currency,
    Customer,
    CustomerAccount,
    ExchangeRate,
    Product,
    Shop,
    Supplier,
    Warehouse,
)
from ecerp_core.db import forget, memo
from ecerp_core.errors import NotFound, Problem, ValidationError, problem
from ecerp_core.query import Page, paginate, sort_stmt, text_filter


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
        "product", Product, rules.PRODUCT_FIELDS, key="sku",
        search=("sku", "barcode", "name_zh", "name_en"),
        columns=("sku", "barcode", "name_zh", "name_en", "unit", "cost", "list_price", "is_bundle", "active"),
    ),
    "supplier": Entity(
        "supplier", Supplier, rules.SUPPLIER_FIELDS, search=("code", "name", "contact_name", "phone"),
        columns=("code", "name", "contact_name", "phone", "currency", "lead_time_days", "min_order_qty", "active"),
    ),
    "customer": Entity(
        "customer", Customer, rules.CUSTOMER_FIELDS, search=("code", "name", "phone", "email"),
        columns=("code", "name", "phone", "region", "city", "tier", "active"),
    ),
    "warehouse": Entity(
        "warehouse", Warehouse, rules.WAREHOUSE_FIELDS,
        columns=("code", "name", "region", "priority", "allow_negative", "active"),
    ),
    "shop": Entity(
        "shop", Shop, rules.SHOP_FIELDS, columns=("code", "name", "platform", "currency", "active"),
    ),
    "category": Entity(
        "category", Category, rules.CATEGORY_FIELDS, search=("code", "name_zh", "name_en", "path"),
        columns=("code", "name_zh", "name_en", "path", "active"),
    ),
}  # fmt: skip

# A field that names another record by its key, and the column that stores that record's id.
_REFS = {"category": "category_id", "default_warehouse": "default_warehouse_id", "parent": "parent_id"}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise NotFound(entity="entity.entity", key=name) from None


# --- shared machinery -----------------------------------------------------------------------------
def _key_of(ent: Entity, record) -> str:
    return getattr(record, ent.key)


def _find(session: Session, ent: Entity, key: str):
    obj = session.scalar(select(ent.model).where(getattr(ent.model, ent.key) == key))
    if obj is None:
        raise NotFound(entity=ent.label_key, key=key)
    return obj


def _ids_by_key(session: Session, model, key_col: str, keys: set[str]) -> dict[str, int]:
    if not keys:
        return {}
    col = getattr(model, key_col)
    return dict(session.execute(select(col, model.id).where(col.in_(keys))).all())


def _resolve_refs(session: Session, ent: Entity, rows: list[dict]) -> list[list[Problem]]:
    """Replace reference codes by ids and check that currencies exist; problems per row."""
    found: list[list[Problem]] = [[] for _ in rows]
    for field in ent.fields:
        if field.kind == "ref":
            target = ENTITIES[field.ref]
            keys = {r[field.name] for r in rows if r.get(field.name)}
            ids = _ids_by_key(session, target.model, target.key, keys)
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
            dict(session.execute(select(col, ent.model.id).where(col.in_(wanted))).all()) if wanted else {}
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
    problems = _merge(problems, _resolve_refs(session, ent, cleaned), _unique_problems(session, ent, cleaned))
    if ent.name == "product":
        problems = _merge(problems, _component_problems(session, cleaned, components))
    _raise_if_any(problems)
    created = []
    for row, comps in zip(cleaned, components, strict=True):
        obj = ent.model(**row, active=True)
        if ent.name == "category":
            obj.path = _category_path(session, obj)
        session.add(obj)
        session.flush()
        if comps:
            _set_components(session, obj, comps)
        created.append(obj)
    forget(session)  # warehouses and bundles are read once per transaction
    audit.record_many(
        session, actor, "create", ent.model.__tablename__,
        [(o.id, {**r, **({"components": c} if c else {})}) for o, r, c in zip(created, cleaned, components, strict=True)],
    )  # fmt: skip
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
        _resolve_refs(session, ent, [row]),
        _unique_problems(session, ent, [row], exclude_ids=[obj.id]),
    )
    if comps is not None:
        target = {"sku": obj.sku, "is_bundle": obj.is_bundle, **row}
        problems = _merge(problems, _component_problems(session, [target], [comps]))
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
        _refresh_paths(session, obj)
    if comps is not None:
        before = [(c.component.sku, c.quantity) for c in obj.components]
        if before != comps:
            _set_components(session, obj, comps)
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
        audit.record(session, actor, "deactivate" if not active else "activate",
                     ent.model.__tablename__, obj.id, {"active": [not active, active]})  # fmt: skip
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
                if ref_id else None
            )  # fmt: skip
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
    stmt = select(model.id, *(getattr(model, c) for c in ent.columns))
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


# --- categories -----------------------------------------------------------------------------------
def _category_path(session: Session, category: Category) -> str:
    """The Chinese names from the root down to ``category``, ``/``-joined (``服装/女装/T恤``)."""
    parts = [category.name_zh]
    parent_id = category.parent_id
    seen = {category.id}
    while parent_id is not None:
        if parent_id in seen:
            raise ValidationError([problem("parent", "cycle", value=category.code)])
        seen.add(parent_id)
        parent = session.get(Category, parent_id)
        parts.append(parent.name_zh)
        parent_id = parent.parent_id
    return "/".join(reversed(parts))


def _refresh_paths(session: Session, category: Category) -> None:
    """Recompute the path of a renamed or moved category and of everything below it."""
    session.flush()
    todo = [category]
    while todo:
        node = todo.pop()
        node.path = _category_path(session, node)
        todo += session.scalars(select(Category).where(Category.parent_id == node.id)).all()


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


# --- bundles --------------------------------------------------------------------------------------
def _component_problems(session, rows: list[dict], components: list[list[tuple[str, int]]]):
    wanted = {sku for comps in components for sku, _ in comps}
    known = dict(session.execute(select(Product.sku, Product.is_bundle).where(Product.sku.in_(wanted))).all())
    found = []
    for row, comps in zip(rows, components, strict=True):
        row_problems = []
        if row.get("is_bundle") or comps:
            row_problems += rules.check_components(row.get("sku", ""), comps)
        for sku, _ in comps:
            if sku not in known:
                row_problems.append(problem("components", "unknown_ref", value=sku))
            elif known[sku]:
                row_problems.append(problem("components", "bundle_nested", value=sku))
        if comps and not row.get("is_bundle", True):
            row_problems.append(problem("components", "not_a_bundle"))
        found.append(row_problems)
    return found


def _set_components(session: Session, product: Product, comps: list[tuple[str, int]]) -> None:
    ids = _ids_by_key(session, Product, "sku", {sku for sku, _ in comps})
    product.components.clear()
    session.flush()
    for sku, qty in comps:
        product.components.append(BundleComponent(component_id=ids[sku], quantity=qty))
    product.is_bundle = True
    session.flush()


def bundle_parts(session: Session, product_ids: Iterable[int]) -> dict[int, list[tuple[int, int]]]:
    """The components of the bundles among ``product_ids``: ``{bundle: [(component, qty), ...]}``.

    A component listed twice in a bundle is added up; products that are not bundles are absent.
    Every bundle's recipe is read once per transaction.
    """

    def load() -> dict[int, list[tuple[int, int]]]:
        rows = session.connection().execute(
            select(BundleComponent.bundle_id, BundleComponent.component_id, BundleComponent.quantity)
            .join(Product, Product.id == BundleComponent.bundle_id).where(Product.is_bundle.is_(True))
            .order_by(BundleComponent.bundle_id, BundleComponent.id))  # fmt: skip
        sums: dict[int, dict[int, int]] = {}
        for bundle_id, component_id, qty in rows:
            per = sums.setdefault(bundle_id, {})
            per[component_id] = per.get(component_id, 0) + qty
        return {b: list(c.items()) for b, c in sums.items()}

    every = memo(session, "bundles", load)
    return {p: every[p] for p in set(product_ids) if p in every}


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
        stmt = select(Warehouse.id, Warehouse.code, Warehouse.name, Warehouse.region, Warehouse.priority,
                      Warehouse.active, Warehouse.allow_negative).order_by(Warehouse.priority, Warehouse.id)  # fmt: skip
        return tuple(WarehouseFacts(*r) for r in session.connection().execute(stmt))

    return memo(session, "warehouses", load)


def expand_bundles(session: Session, lines: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """What selling ``[(product_id, qty), ...]`` consumes: bundles become their components.

    Quantities of the same component are added up; plain products pass through.
    """
    parts = bundle_parts(session, (pid for pid, _ in lines))
    consumed: dict[int, int] = {}
    for pid, qty in lines:
        for component_id, per in parts.get(pid, [(pid, 1)]):
            consumed[component_id] = consumed.get(component_id, 0) + per * qty
    return list(consumed.items())


# --- customers' platform ids ------------------------------------------------------------------------
def link_customer_accounts(
    session: Session, actor: Actor, links: Sequence[tuple[str, str, str]]
) -> list[CustomerAccount]:
    """Record that buyer id ``b`` in shop ``s`` is customer ``c`` for each ``(c, s, b)``; idempotent.

    A buyer id that already belongs to another customer of that shop is a problem; the batch is
    checked whole and nothing is written when any link is wrong.
    """
    require(actor, "catalog.write")
    customers = _ids_by_key(session, Customer, "code", {c for c, _, _ in links})
    shops = _ids_by_key(session, Shop, "code", {s for _, s, _ in links})
    wanted = [(c, s, (b or "").strip()) for c, s, b in links]
    existing = {
        (a.shop_id, a.buyer_id): a
        for a in session.scalars(
            select(CustomerAccount).where(
                CustomerAccount.shop_id.in_(shops.values()),
                CustomerAccount.buyer_id.in_({b for _, _, b in wanted}),
            )
        )
    }
    problems: list[Problem] = []
    seen: dict[tuple[int, str], int] = {}
    for line, (customer, shop, buyer) in enumerate(wanted, start=1):
        found = []
        if customer not in customers:
            found.append(problem("customer", "unknown_ref", value=customer))
        if shop not in shops:
            found.append(problem("shop", "unknown_ref", value=shop))
        if not buyer:
            found.append(problem("buyer_id", "required"))
        if not found:
            key, owner = (shops[shop], buyer), customers[customer]
            taken = existing[key].customer_id if key in existing else seen.get(key)
            if taken is not None and taken != owner:
                found.append(problem("buyer_id", "duplicate", value=buyer))
            seen[key] = owner
        problems += [p.at_line(line) if len(wanted) > 1 else p for p in found]
    if problems:
        raise ValidationError(problems)
    new = []
    for customer, shop, buyer in wanted:
        key = (shops[shop], buyer)
        if key not in existing:
            account = CustomerAccount(customer_id=customers[customer], shop_id=key[0], buyer_id=buyer)
            existing[key] = account
            new.append((account, customer, shop))
    session.add_all([a for a, _, _ in new])
    session.flush()
    audit.record_many(
        session, actor, "create", "customer_account",
        [(a.id, {"customer": c, "shop": s, "buyer_id": a.buyer_id}) for a, c, s in new],
    )  # fmt: skip
    return [existing[(shops[s], b)] for _, s, b in wanted]


def link_customer_account(
    session: Session, actor: Actor, customer_code: str, shop_code: str, buyer_id: str
) -> CustomerAccount:
    """Record that ``buyer_id`` in ``shop_code`` is this customer (idempotent)."""
    return link_customer_accounts(session, actor, [(customer_code, shop_code, buyer_id)])[0]


# --- company, currencies, exchange rates ------------------------------------------------------------
STANDARD_CURRENCIES = (
    ("CNY", "人民币", "Chinese Yuan", 2), ("USD", "美元", "US Dollar", 2), ("EUR", "欧元", "Euro", 2),
    ("GBP", "英镑", "Pound Sterling", 2), ("HKD", "港币", "Hong Kong Dollar", 2),
    ("JPY", "日元", "Japanese Yen", 0), ("CAD", "加拿大元", "Canadian Dollar", 2),
    ("AUD", "澳大利亚元", "Australian Dollar", 2), ("ZAR", "南非兰特", "South African Rand", 2),
    ("BDT", "孟加拉塔卡", "Bangladeshi Taka", 2), ("SGD", "新加坡元", "Singapore Dollar", 2),
    ("KRW", "韩元", "South Korean Won", 0),
)  # fmt: skip


def list_currencies(session: Session) -> list[Currency]:
    """The active currencies, by code."""
    return list(session.scalars(select(Currency).where(Currency.active.is_(True)).order_by(Currency.code)))


def seed_currencies(session: Session) -> None:
    have = set(session.scalars(select(Currency.code)))
    for code, zh, en, minor in STANDARD_CURRENCIES:
        if code not in have:
            session.add(Currency(code=code, name_zh=zh, name_en=en, minor_unit=minor, active=True))
    session.flush()


def get_company(session: Session) -> Company:
    """The company (read once per transaction)."""

    def load() -> Company:
        company = session.scalar(select(Company).order_by(Company.id).limit(1))
        if company is None:
            from ecerp_core.errors import NotInitialised

            raise NotInitialised()
        return company

    return memo(session, "company", load)


def setup_company(session: Session, actor: Actor, **values) -> Company:
    """Create the company record (once) or update it; checks like any other base record."""
    require(actor, "company.manage")
    existing = session.scalar(select(Company).limit(1))
    row, found = rules.clean(rules.COMPANY_FIELDS, values, partial=existing is not None)
    if row.get("base_currency") and session.get(Currency, row["base_currency"]) is None:
        found.append(problem("base_currency", "unknown_currency", value=row["base_currency"]))
    if row.get("timezone"):
        try:
            import zoneinfo

            zoneinfo.ZoneInfo(row["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            found.append(problem("timezone", "unknown_timezone", value=row["timezone"]))
    if found:
        raise ValidationError(found)
    if existing is None:
        company = Company(**row)
        session.add(company)
        session.flush()
        forget(session)  # a time zone read before there was a company
        audit.record(session, actor, "create", "company", company.id, row)
        return company
    diff = {k: [getattr(existing, k), v] for k, v in row.items() if getattr(existing, k) != v}
    if diff.get("base_currency") and _has_postings(session):
        raise ValidationError([problem("base_currency", "locked_after_use")])
    for k, (_, v) in diff.items():
        setattr(existing, k, v)
    if diff:
        session.flush()
        forget(session)  # the company's time zone and currency are remembered per transaction
        audit.record(session, actor, "update", "company", existing.id, diff)
    return existing


def _has_postings(session: Session) -> bool:
    """Whether books exist that a base-currency change would invalidate."""
    from ecerp_core.finance.models import JournalEntry

    return session.scalar(select(JournalEntry.id).limit(1)) is not None


def set_exchange_rates(
    session: Session, actor: Actor, rows: Sequence[Mapping], *, source: str = "manual"
) -> int:
    """Record ``{currency, rate_date, rate}`` rows; a rate for an existing day replaces it."""
    require(actor, "catalog.write")
    base = get_company(session).base_currency
    known = set(session.scalars(select(Currency.code)))
    problems, clean_rows = [], []
    for i, raw in enumerate(rows, start=1):
        code = str(raw.get("currency", "")).strip().upper()
        row_problems = []
        if code not in known:
            row_problems.append(problem("currency", "unknown_currency", value=code))
        elif code == base:
            row_problems.append(problem("currency", "is_base_currency", value=code))
        try:
            day = (
                raw["rate_date"]
                if isinstance(raw.get("rate_date"), dt.date)
                else dt.date.fromisoformat(str(raw.get("rate_date", "")).strip())
            )
        except ValueError:
            row_problems.append(problem("rate_date", "bad_date", value=raw.get("rate_date")))
            day = None
        try:
            rate = rules.parse_decimal(raw.get("rate"))
            if rate <= 0:
                row_problems.append(problem("rate", "below_minimum", value=rate, min="0"))
        except ValueError:
            row_problems.append(problem("rate", "not_a_number", value=raw.get("rate")))
            rate = None
        problems += [p.at_line(i) for p in row_problems]
        clean_rows.append((code, day, rate))
    if problems:
        raise ValidationError(problems)
    for code, day, rate in clean_rows:
        existing = session.scalar(
            select(ExchangeRate).where(ExchangeRate.currency == code, ExchangeRate.rate_date == day)
        )
        if existing is None:
            session.add(ExchangeRate(currency=code, rate_date=day, rate=rate, source=source))
        else:
            existing.rate, existing.source = rate, source
    session.flush()
    forget(session, "rates")
    audit.record_many(session, actor, "set_rate", "exchange_rate",
                      [(f"{c}@{d}", {"rate": r, "source": source}) for c, d, r in clean_rows])  # fmt: skip
    return len(clean_rows)


def rate_on(session: Session, currency: str, day: dt.date) -> Decimal:
    """The rate of ``currency`` to the base currency on ``day`` (the latest on or before it)."""
    if currency == get_company(session).base_currency:
        return Decimal(1)
    known = memo(session, "rates", dict)  # (currency, day) -> rate, for this transaction
    rate = known.get((currency, day))
    if rate is None:
        rate = session.scalar(
            select(ExchangeRate.rate).where(ExchangeRate.currency == currency, ExchangeRate.rate_date <= day)
            .order_by(ExchangeRate.rate_date.desc()).limit(1)
        )  # fmt: skip
        if rate is not None:
            known[(currency, day)] = rate
    if rate is None:
        raise NotFound(entity="entity.exchange_rate", key=f"{currency} {day}")
    return rate
