"""Pure checks over base-data values: each returns the problems found, never touches the database.

A record type is described once as a tuple of :class:`Field` — the services validate with it, the
CSV importer maps columns with it and the Base Data app builds its forms from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ecerp_core.catalog.models import PLATFORMS, TIERS
from ecerp_core.errors import Problem, problem
from ecerp_core.money import parse_decimal

CODE_RE = re.compile(r"^[^\W_][\w.\-/#+]*$")
BARCODE_RE = re.compile(r"^[A-Za-z0-9\-]{4,64}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
TIMEZONE_RE = re.compile(r"^[A-Za-z_]+(/[A-Za-z0-9_\-+]+)*$")


@dataclass(frozen=True)
class Field:
    """One input field of a record.

    kind: ``code`` | ``text`` | ``money`` | ``decimal`` | ``int`` | ``bool`` | ``currency`` |
    ``choice`` | ``email`` | ``barcode`` | ``ref`` (the code of another record) | ``mapping`` |
    ``components`` (a bundle's ``[(sku, qty)]``, written ``"A*2; B"`` in files and forms).
    """

    name: str
    kind: str = "text"
    required: bool = False
    max_length: int = 200
    choices: tuple[str, ...] = ()
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    ref: str | None = None  # for kind="ref": the entity it points to

    @property
    def label_key(self) -> str:
        return f"field.{self.name}"


PRODUCT_FIELDS = (
    Field("sku", "code", required=True, max_length=64),
    Field("barcode", "barcode", max_length=64),
    Field("name_zh", required=True),
    Field("name_en"),
    Field("category", "ref", ref="category"),
    Field("unit", max_length=20),
    Field("weight_kg", "decimal", minimum=Decimal(0), maximum=Decimal(100000)),
    Field("cost", "money", minimum=Decimal(0)),
    Field("list_price", "money", minimum=Decimal(0)),
    Field("spec", "mapping"),
    Field("is_bundle", "bool"),
    Field("components", "components", max_length=2000),
)
SUPPLIER_FIELDS = (
    Field("code", "code", required=True, max_length=64),
    Field("name", required=True),
    Field("contact_name", max_length=100),
    Field("phone", max_length=40),
    Field("email", "email", max_length=120),
    Field("address", max_length=300),
    Field("currency", "currency"),
    Field("lead_time_days", "int", minimum=0, maximum=365),
    Field("min_order_qty", "int", minimum=1, maximum=10_000_000),
)
CUSTOMER_FIELDS = (
    Field("code", "code", required=True, max_length=64),
    Field("name", required=True),
    Field("phone", max_length=40),
    Field("email", "email", max_length=120),
    Field("country", max_length=2),
    Field("region", max_length=60),
    Field("city", max_length=60),
    Field("address", max_length=300),
    Field("tier", "choice", choices=TIERS),
)
WAREHOUSE_FIELDS = (
    Field("code", "code", required=True, max_length=64),
    Field("name", required=True),
    Field("region", max_length=60),
    Field("address", max_length=300),
    Field("priority", "int", minimum=0, maximum=10_000),
    Field("allow_negative", "bool"),
)
SHOP_FIELDS = (
    Field("code", "code", required=True, max_length=64),
    Field("name", required=True),
    Field("platform", "choice", required=True, choices=PLATFORMS),
    Field("currency", "currency"),
    Field("credentials_ref", max_length=200),
    Field("default_warehouse", "ref", ref="warehouse"),
    Field("prices_include_tax", "bool"),
)
CATEGORY_FIELDS = (
    Field("code", "code", required=True, max_length=64),
    Field("name_zh", required=True),
    Field("name_en"),
    Field("parent", "ref", ref="category"),
    Field("vat_rate", "decimal", minimum=Decimal(0), maximum=Decimal(1)),
)
COMPANY_FIELDS = (
    Field("name", required=True),
    Field("address", max_length=300),
    Field("contact_name", max_length=100),
    Field("phone", max_length=40),
    Field("email", "email", max_length=120),
    Field("base_currency", "currency"),
    Field("timezone", max_length=60),
    Field("vat_rate", "decimal", minimum=Decimal(0), maximum=Decimal(1)),
    Field("city_tax_rate", "decimal", minimum=Decimal(0), maximum=Decimal(1)),
    Field("education_surcharge_rate", "decimal", minimum=Decimal(0), maximum=Decimal(1)),
    Field("local_education_surcharge_rate", "decimal", minimum=Decimal(0), maximum=Decimal(1)),
)

_TRUE = {"1", "true", "yes", "y", "是", "t", "on"}
_FALSE = {"0", "false", "no", "n", "否", "f", "off", ""}


def _coerce(field: Field, raw: object) -> tuple[object, Problem | None]:
    """Turn one raw value (text from a file or a form, or a Python value) into its proper type."""
    if isinstance(raw, str):
        raw = raw.strip()
    if field.kind in ("money", "decimal"):
        try:
            value = parse_decimal(raw)
        except ValueError:
            return None, problem(field.name, "not_a_number", value=raw)
        if field.kind == "money" and value != value.quantize(Decimal("0.01")):
            return None, problem(field.name, "too_many_decimals", value=raw)
        return _range(field, value)
    if field.kind == "int":
        try:
            value = parse_decimal(raw)
        except ValueError:
            return None, problem(field.name, "not_a_number", value=raw)
        if value != value.to_integral_value():
            return None, problem(field.name, "not_whole", value=raw)
        return _range(field, int(value))
    if field.kind == "bool":
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True, None
        if text in _FALSE:
            return False, None
        return None, problem(field.name, "not_a_flag", value=raw)
    if field.kind == "components":
        return _components(field, raw)
    if field.kind == "mapping":
        if isinstance(raw, Mapping):
            return dict(raw), None
        return None, problem(field.name, "not_a_mapping")
    text = "" if raw is None else str(raw)
    if len(text) > field.max_length:
        return None, problem(field.name, "too_long", max=field.max_length)
    if field.kind == "code" and text and not CODE_RE.match(text):
        return None, problem(field.name, "bad_code", value=text)
    if field.kind == "barcode" and text and not BARCODE_RE.match(text):
        return None, problem(field.name, "bad_barcode", value=text)
    if field.kind == "email" and text and not EMAIL_RE.match(text):
        return None, problem(field.name, "bad_email", value=text)
    if field.kind == "currency" and text:
        text = text.upper()
        if not CURRENCY_RE.match(text):
            return None, problem(field.name, "bad_currency", value=text)
    if field.kind == "choice" and text and text not in field.choices:
        return None, problem(field.name, "not_a_choice", value=text, choices=", ".join(field.choices))
    return text, None


def _components(field: Field, raw: object) -> tuple[object, Problem | None]:
    """A bundle's components as ``[(sku, qty), ...]`` from ``"A*2; B"`` or from pairs."""
    if isinstance(raw, str):
        if len(raw) > field.max_length:
            return None, problem(field.name, "too_long", max=field.max_length)
        return parse_components(raw), None
    try:
        return [(str(sku).strip(), qty) for sku, qty in raw], None
    except (TypeError, ValueError):
        return None, problem(field.name, "bad_components")


def _range(field: Field, value):
    if field.minimum is not None and value < field.minimum:
        return None, problem(field.name, "below_minimum", value=value, min=field.minimum)
    if field.maximum is not None and value > field.maximum:
        return None, problem(field.name, "above_maximum", value=value, max=field.maximum)
    return value, None


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def clean(
    fields: Sequence[Field], values: Mapping[str, object], *, partial: bool = False
) -> tuple[dict[str, object], list[Problem]]:
    """Check ``values`` against ``fields``; return the typed values and every problem found.

    ``partial=True`` checks an update: absent fields are left alone, but a required field may not
    be blanked. Unknown keys are problems too, so a misspelt column never passes silently.

    >>> clean(WAREHOUSE_FIELDS, {"code": "SH", "name": "上海仓", "priority": "10"})
    ({'code': 'SH', 'name': '上海仓', 'priority': 10}, [])
    """
    known = {f.name: f for f in fields}
    problems = [problem(key, "unknown_field", value=key) for key in values if key not in known]
    cleaned: dict[str, object] = {}
    for field in fields:
        if field.name not in values:
            if field.required and not partial:
                problems.append(problem(field.name, "required"))
            continue
        raw = values[field.name]
        if _is_blank(raw):
            if field.required:
                problems.append(problem(field.name, "required"))
            elif field.kind in ("text", "email", "code"):
                cleaned[field.name] = ""
            elif field.kind in ("ref", "barcode"):
                cleaned[field.name] = None
            elif field.kind == "components":
                cleaned[field.name] = []
            # a blank number, flag, currency or choice means "not given": the default applies
            continue
        value, found = _coerce(field, raw)
        if found:
            problems.append(found)
        else:
            cleaned[field.name] = value
    return cleaned, problems


def check_components(bundle_sku: str, components: Sequence[tuple[str, int]]) -> list[Problem]:
    """A bundle needs at least one component, none of them itself, each with a positive quantity."""
    problems = []
    if not components:
        problems.append(problem("components", "bundle_empty"))
    seen = set()
    for sku, qty in components:
        if sku == bundle_sku:
            problems.append(problem("components", "bundle_self", value=sku))
        if sku in seen:
            problems.append(problem("components", "duplicate", value=sku))
        seen.add(sku)
        if not isinstance(qty, int) or qty <= 0:
            problems.append(problem("components", "below_minimum", value=qty, min=1))
    return problems


def parse_components(text: str) -> list[tuple[str, int]]:
    """Read ``"A001*2; B002"`` (a file's bundle column) as ``[("A001", 2), ("B002", 1)]``.

    >>> parse_components("A001*2; B002")
    [('A001', 2), ('B002', 1)]
    """
    parts = [p.strip() for p in re.split(r"[;；,，]", text or "") if p.strip()]
    result = []
    for part in parts:
        sku, _, qty = part.partition("*")
        try:
            quantity = int(qty) if qty.strip() else 1
        except ValueError:
            quantity = 0
        result.append((sku.strip(), quantity))
    return result
