"""Named errors of the orders area."""

from __future__ import annotations

from ecerp_core.errors import ValidationError


class TransitionNotAllowed(ValidationError):
    """Orders cannot move from their status to the one asked; ``problems`` names each order."""

    code = "error.transition_not_allowed"
