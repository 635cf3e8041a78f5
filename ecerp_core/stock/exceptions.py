"""Named errors of the stock area."""

from __future__ import annotations

from ecerp_core.errors import EcerpError


class InsufficientStock(EcerpError):
    """Taking stock would leave less than nothing available (params: sku, warehouse, available, wanted)."""

    code = "error.insufficient_stock"


class ReservationMissing(EcerpError):
    """A document has no reservation to release or ship (params: source)."""

    code = "error.reservation_missing"
