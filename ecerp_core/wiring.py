"""Who hears which business event: the one place where subscribers are named.

The areas that emit events (orders, stock, purchasing) sit below finance and never import it;
this module, above them all, connects finance's posting to every kind of
:mod:`ecerp_core.events`. Every entry point calls :func:`connect` once at start — the CLI, the
apps, the demo, the report notebooks and the tests do; so does a notebook that writes through the
services (``from ecerp_core.wiring import connect; connect()``). An event emitted before that is
refused with :class:`~ecerp_core.events.EventNotHeard`, never lost.
"""

from __future__ import annotations

from ecerp_core import events
from ecerp_core.finance import periods, posting


def connect() -> None:
    """Connect the subscribers (idempotent)."""
    events.subscribe(posting.handle, *events.KINDS)
    events.guard_days(periods.refuse_closed)
