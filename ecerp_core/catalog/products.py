"""The product tree: category paths, bundle recipes, and what selling products takes out of stock.

The generic record services (:mod:`ecerp_core.catalog.services`) call the category and bundle
checks here when they write a category or a product; every area that moves or plans stock asks
:func:`expand_lines` what a line of products consumes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core.catalog import rules
from ecerp_core.catalog.models import BundleComponent, Category, Product
from ecerp_core.db import among, memo
from ecerp_core.errors import Problem, ValidationError, problem
from ecerp_core.money import round_money
from ecerp_core.query import ids_by_key


# --- categories -----------------------------------------------------------------------------------
def vat_rates(session: Session, product_ids: Iterable[int], default: Decimal) -> dict[int, Decimal]:
    """The VAT rate of each product: its category's (foods 9%, services 6% ...), else the nearest
    parent category's that has one, else ``default`` (the company's rate)."""
    categories = {c.id: (c.parent_id, c.vat_rate) for c in session.scalars(select(Category))}

    def rate_of(category_id: int | None) -> Decimal:
        seen = set()
        while category_id is not None and category_id not in seen:
            seen.add(category_id)
            parent_id, rate = categories[category_id]
            if rate is not None:
                return rate
            category_id = parent_id
        return default

    ids = sorted(set(product_ids))
    found = session.execute(
        select(Product.id, Product.category_id).where(among(session, Product.id, ids))
    ).all()
    return {product_id: rate_of(category_id) for product_id, category_id in found}


def inclusive_vat(lines: Iterable[tuple[Decimal, Decimal]], currency: str = "CNY") -> Decimal:
    """The VAT inside tax-inclusive line amounts, each at its own rate: Σ gross − gross / (1 + rate),
    rounded per line (as :func:`ecerp_core.finance.rules.split_inclusive` splits one amount).

    >>> inclusive_vat([(Decimal("113.00"), Decimal("0.13")), (Decimal("109.00"), Decimal("0.09"))])
    Decimal('22.00')
    """
    return sum((gross - round_money(gross / (1 + rate), currency) for gross, rate in lines), Decimal("0.00"))


def lines_vat(
    session: Session,
    lines: Iterable[tuple[int, Decimal]],
    default: Decimal,
    currency: str = "CNY",
    *,
    inclusive: bool,
) -> Decimal:
    """The VAT of product lines ``(product_id, amount)``, each at its product's rate
    (:func:`vat_rates`): inside tax-inclusive amounts (a sale) or on top of tax-exclusive ones (a
    purchase), rounded per line."""
    lines = list(lines)
    rates = vat_rates(session, (product_id for product_id, _ in lines), default)
    if inclusive:
        return inclusive_vat(((amount, rates.get(p, default)) for p, amount in lines), currency)
    return sum(
        (round_money(amount * rates.get(p, default), currency) for p, amount in lines), Decimal("0.00")
    )


def category_path(session: Session, category: Category) -> str:
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


def refresh_paths(session: Session, category: Category) -> None:
    """Recompute the path of a renamed or moved category and of everything below it."""
    session.flush()
    todo = [category]
    while todo:
        node = todo.pop()
        node.path = category_path(session, node)
        todo += session.scalars(select(Category).where(Category.parent_id == node.id)).all()


# --- bundles --------------------------------------------------------------------------------------
def component_problems(
    session: Session, rows: list[dict], components: list[list[tuple[str, int]]]
) -> list[list[Problem]]:
    """The problems of each product row's bundle recipe ``[(component sku, qty), ...]``."""
    wanted = {sku for comps in components for sku, _ in comps}
    known = dict(
        session.execute(
            select(Product.sku, Product.is_bundle).where(among(session, Product.sku, wanted))
        ).all()
    )
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


def set_components(session: Session, product: Product, comps: list[tuple[str, int]]) -> None:
    """Replace the recipe of ``product`` (checked by :func:`component_problems`); it becomes a bundle."""
    ids = ids_by_key(session, Product, "sku", {sku for sku, _ in comps})
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
            .join(Product, Product.id == BundleComponent.bundle_id)
            .where(Product.is_bundle.is_(True))
            .order_by(BundleComponent.bundle_id, BundleComponent.id)
        )
        sums: dict[int, dict[int, int]] = {}
        for bundle_id, component_id, qty in rows:
            per = sums.setdefault(bundle_id, {})
            per[component_id] = per.get(component_id, 0) + qty
        return {b: list(c.items()) for b, c in sums.items()}

    every = memo(session, "bundles", load)
    return {p: every[p] for p in set(product_ids) if p in every}


def expand_lines(session: Session, lines: Sequence[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Each ``(product_id, qty)`` of ``lines`` as the stocked products it consumes, in order.

    A bundle becomes ``[(component, qty × per bundle), ...]``; a plain product stays
    ``[(product_id, qty)]``. The one place that knows how a bundle is taken out of stock.
    """
    parts = bundle_parts(session, (pid for pid, _ in lines))
    return [[(c, per * qty) for c, per in parts[pid]] if pid in parts else [(pid, qty)] for pid, qty in lines]


def expand_bundles(session: Session, lines: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """What selling ``[(product_id, qty), ...]`` consumes, summed: ``[(stocked product, qty), ...]``.

    Quantities of the same component are added up; plain products pass through.
    """
    consumed: dict[int, int] = {}
    for line in expand_lines(session, lines):
        for product_id, qty in line:
            consumed[product_id] = consumed.get(product_id, 0) + qty
    return list(consumed.items())
