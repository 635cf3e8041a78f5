"""Base Data's state and its calls into the catalog services. No widgets here.

The model knows which kind of record is on screen, which record is open in the form (None: a new
one) and the list filters; it reads pages through the catalog's list statement and writes through
the catalog services, each action in one session that commits once.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecerp_core.catalog import services
from ecerp_core.catalog.company import list_currencies
from ecerp_core.catalog.models import PLATFORMS, TIERS
from ecerp_core.query import Page
from widgets.common.actor import AppContext
from widgets.common.filters import ChoiceFilter, FilterValues
from widgets.common.grid import Column, PageRequest

ENTITY_ORDER = ("product", "supplier", "customer", "warehouse", "shop", "category")
CHOICE_FILTERS = {
    "customer": (ChoiceFilter("tier", TIERS),),
    "shop": (ChoiceFilter("platform", PLATFORMS),),
}
REF_OPTIONS_LIMIT = 1000


class BaseDataModel:
    """What Base Data is showing and doing, for one user."""

    def __init__(self, ctx: AppContext, entity_name: str = "product") -> None:
        self.ctx = ctx
        self.entity_name = entity_name
        self.filters = FilterValues()
        self.record: dict | None = None  # the record open in the form; None while creating

    # --- what is on screen ----------------------------------------------------------------------
    @property
    def entity(self) -> services.Entity:
        return services.entity(self.entity_name)

    @property
    def key_field(self) -> str:
        return self.entity.key

    @property
    def editing_key(self) -> str | None:
        return self.record[self.key_field] if self.record else None

    def columns(self) -> list[Column]:
        """The grid columns of the current kind of record, from the core's list columns."""
        kinds = {f.name: f.kind for f in self.entity.fields}
        return [
            Column.for_field(c, "bool" if c == "active" else kinds.get(c, "text"))
            for c in self.entity.columns
        ]

    def choice_filters(self) -> tuple[ChoiceFilter, ...]:
        return CHOICE_FILTERS.get(self.entity_name, ())

    def select_entity(self, name: str) -> None:
        """Show another kind of record (an unknown name raises NotFound)."""
        services.entity(name)
        self.entity_name = name
        self.filters = FilterValues()
        self.record = None

    # --- reading --------------------------------------------------------------------------------
    def fetch(self, request: PageRequest) -> Page:
        """One page of the current list: filtered, sorted and counted in the database."""
        with self.ctx.session(readonly=True) as session:
            return services.list_records(
                session,
                self.ctx.actor,
                self.entity_name,
                search=self.filters.search,
                active=self.filters.active,
                filters=self.filters.filters,
                sort=request.sort,
                descending=request.descending,
                offset=request.offset,
                limit=request.limit,
            )

    def open(self, key: str) -> dict:
        """Open the record with this key in the form."""
        with self.ctx.session(readonly=True) as session:
            self.record = services.get_record(session, self.ctx.actor, self.entity_name, key)
        return self.record

    def new(self) -> None:
        """Start a new record."""
        self.record = None

    def may_write(self) -> bool:
        """Whether the actor may save records of this kind (the form's buttons show only then)."""
        return self.ctx.actor.can(services.write_permission(self.entity.name))

    def ref_options(self) -> dict[str, list[str]]:
        """Suggestions for the form's reference and currency fields (codes of active records)."""
        options: dict[str, list[str]] = {}
        with self.ctx.session(readonly=True) as session:
            for field in self.entity.fields:
                if field.kind == "ref":
                    target = services.entity(field.ref)
                    page = services.list_records(session, self.ctx.actor, field.ref, limit=REF_OPTIONS_LIMIT)
                    options[field.name] = [str(r[target.key]) for r in page.rows]
                elif field.kind == "currency":
                    options[field.name] = [c.code for c in list_currencies(session)]
        return options

    # --- writing --------------------------------------------------------------------------------
    def save(self, values: Mapping[str, object]) -> str:
        """Create the new record or update the open one; return its key.

        Raises :class:`~ecerp_core.errors.ValidationError` (with every problem) or
        :class:`~ecerp_core.errors.PermissionDenied` from the services; nothing is written then.
        """
        with self.ctx.session() as session:
            if self.record is None:
                obj = services.create_records(session, self.ctx.actor, self.entity_name, [values])[0]
            else:
                obj = services.update_record(
                    session, self.ctx.actor, self.entity_name, self.editing_key, values
                )
            key = getattr(obj, self.key_field)
        self.open(key)
        return key

    def set_active(self, active: bool) -> str:
        """Deactivate or reactivate the open record; return its key."""
        key = self.editing_key
        if key is None:
            raise ValueError("no record is open")
        with self.ctx.session() as session:
            services.set_active(session, self.ctx.actor, self.entity_name, key, active)
        self.open(key)
        return key
