"""Named errors of the customer area."""

from __future__ import annotations

from ecerp_core.errors import EcerpError, NotFound


class MergeNotAllowed(EcerpError):
    """A customer cannot be merged into itself, into a merged-away customer, or merged twice."""

    code = "error.crm.merge_not_allowed"


class MergeAlreadyUndone(EcerpError):
    code = "error.crm.merge_undone"


class UnknownCustomer(NotFound):
    """No customer has this code."""

    def __init__(self, key: object) -> None:
        super().__init__(entity="entity.customer", key=key)
