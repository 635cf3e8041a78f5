"""Named errors of finance, with zh_CN/en messages in the catalogue (``error.finance.*``)."""

from __future__ import annotations

from ecerp_core.errors import EcerpError


class PeriodClosed(EcerpError):
    """A posting dated in a closed or locked period."""

    code = "error.finance.period_closed"


class UnbalancedEntry(EcerpError):
    """Debits and credits of an entry differ in base currency."""

    code = "error.finance.unbalanced"


class UnknownAccount(EcerpError):
    """A posting names an account that does not exist, is inactive or is a heading."""

    code = "error.finance.unknown_account"


class PostingFailed(EcerpError):
    """A business event could not be posted; the event rolls back with it."""

    code = "error.finance.posting_failed"


class CloseBlocked(EcerpError):
    """A period cannot close while its checks find problems."""

    code = "error.finance.close_blocked"


class PeriodState(EcerpError):
    """A period is not in the state the action needs (closing an already closed period ...)."""

    code = "error.finance.period_state"


class MissingRate(EcerpError):
    """No exchange rate on or before the day for a foreign currency."""

    code = "error.finance.missing_rate"


class OpeningUnbalanced(EcerpError):
    """Opening balances whose debits and credits differ (params: debit, credit, difference)."""

    code = "error.finance.opening_unbalanced"


class OpeningInventoryMismatch(EcerpError):
    """The opening stock's value differs from the inventory accounts' opening balance
    (params: stock, books, difference)."""

    code = "error.finance.opening_inventory_mismatch"


class OpeningExists(EcerpError):
    """A different opening (params: what, date) is in already."""

    code = "error.finance.opening_exists"


class OpeningDateDiffers(EcerpError):
    """The date asked differs from the go-live date an opening already uses (params: date, opening)."""

    code = "error.finance.opening_date_differs"


class OpeningNotMonthEnd(EcerpError):
    """A go-live date that is not the last day of a month (params: date)."""

    code = "error.finance.opening_not_month_end"


class OpeningNotPast(EcerpError):
    """A go-live date of today or later (params: date, today)."""

    code = "error.finance.opening_not_past"


class OpeningTooLate(EcerpError):
    """The books hold entries on or before the go-live date (params: date, first)."""

    code = "error.finance.opening_too_late"


class BeforeBooks(EcerpError):
    """A posting dated before the books begin (before the first period); only an opening entry may
    land in the month right before it."""

    code = "error.finance.before_books"


class PeriodGap(EcerpError):
    """A posting into a month that has no period while later months have one: periods open in order."""

    code = "error.finance.period_gap"


class SettlementUnchanged(EcerpError):
    """Every line of a settlement was imported before (params: reference, lines): nothing to post.

    Not a failure: the same file imported again, under any name, changes nothing."""

    code = "error.finance.settlement_unchanged"
    exit_code = 0


class PeriodNotEnded(EcerpError):
    """Closing a month whose last day has not passed (params: period, end); needs a reason."""

    code = "error.finance.period_not_ended"
