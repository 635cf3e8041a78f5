"""Named errors of the stock area."""

from __future__ import annotations

from ecerp_core.errors import EcerpError


class InsufficientStock(EcerpError):
    """Taking stock would leave less than nothing available (params: sku, warehouse, available, wanted)."""

    code = "error.insufficient_stock"


class ReservationMissing(EcerpError):
    """A document has no reservation to release or ship (params: source)."""

    code = "error.reservation_missing"


class UnknownBarcode(EcerpError):
    """A scanned code is neither a product's barcode nor its SKU (params: code)."""

    code = "error.unknown_barcode"


class StocktakeClosed(EcerpError):
    """The count is no longer taking entries (params: number, status)."""

    code = "error.stocktake_closed"


class StockAlreadyMoved(EcerpError):
    """An opening stock comes before every other move, and the ledger has moves (params: date, move_type)."""

    code = "error.stock_already_moved"
