"""Pure rules of purchasing: replenishment quantities and input VAT. The workflow is
:mod:`ecerp_core.purchasing.workflow`."""

from __future__ import annotations

from decimal import Decimal

from ecerp_core.money import round_money


def reorder_quantity(projected: int, minimum: int, maximum: int, moq: int) -> int:
    """How much to order when ``projected`` stock (available + on order − paid orders waiting) is below
    ``minimum``.

    Order up to ``maximum``, at least the supplier's minimum order quantity; 0 when not needed.

    >>> reorder_quantity(5, 10, 40, 50)
    50
    >>> reorder_quantity(5, 10, 40, 1)
    35
    >>> reorder_quantity(12, 10, 40, 1)
    0
    """
    if projected >= minimum:
        return 0
    return max(maximum - projected, moq, 1)


def input_vat(amount: Decimal, currency: str, base_currency: str, vat_rate: Decimal) -> Decimal:
    """The input VAT (进项税额) a supplier invoices on top of a tax-exclusive ``amount``.

    Domestic purchases (in the base currency) carry VAT at the company's rate; imports carry none
    from the supplier (import VAT is paid at customs).

    >>> input_vat(Decimal("100.00"), "CNY", "CNY", Decimal("0.13"))
    Decimal('13.00')
    >>> input_vat(Decimal("100.00"), "USD", "CNY", Decimal("0.13"))
    Decimal('0.00')
    """
    if currency != base_currency:
        return round_money(Decimal(0), currency)
    return round_money(amount * vat_rate, currency)
