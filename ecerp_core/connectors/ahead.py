"""Reading a large export ahead, in a second process: while this process writes one batch of
orders, a forked copy of it reads and parses the next, so a large file keeps both of a computer's
cores busy instead of one.

The copy only reads the file and parses it into order drafts; it never touches the database, whose
connection stays with this process and its one transaction. The drafts come back through a pipe, a
batch at a time, as columns of plain values (:func:`pack` / :func:`unpack`: a draft, a decimal or a
moment one by one is what pickling makes slow); an error it meets (an unreadable file, rows an order
lists apart) is raised here as it was there.

It is used only where a copy of the process is safe and pays (:func:`pays`): on Linux, in a process
with no other thread (a forked copy of a threaded process, a Jupyter kernel, may wait forever on a
lock another thread held), for a file of at least :data:`AHEAD_BYTES`. Elsewhere the batches are
read in this process, to the same result.
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
import queue
import sys
import threading
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from itertools import repeat
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import NamedTuple

from ecerp_core.connectors.base import Parsed
from ecerp_core.errors import EcerpError
from ecerp_core.i18n import lazy
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft, as_columns

AHEAD_BYTES = 4 << 20
"""The smallest file read ahead: one of a few batches gains less than the copy costs (~20 ms)."""
AHEAD_BATCHES = 3
"""How many batches the copy may have made that this process has not taken yet: enough to even out
batches that take longer on one side than on the other, few enough to keep the memory bounded."""


class ReaderFailed(EcerpError):
    """The process reading a file ahead stopped without saying why (killed, out of memory)."""

    code = "error.import_file"


def pays(size: int) -> bool:
    """Whether a file of ``size`` bytes is read ahead (see the module doc); ``ECERP_READ_AHEAD=0``
    turns it off."""
    return (
        size >= AHEAD_BYTES
        and sys.platform.startswith("linux")
        and threading.active_count() == 1
        and os.environ.get("ECERP_READ_AHEAD", "1") != "0"
    )


def size_of(source: object) -> int:
    """The bytes of a source of :func:`~ecerp_core.connectors.files.import_files` (0: unknown)."""
    if isinstance(source, tuple):
        return len(source[1])
    if isinstance(source, str | Path):
        try:
            return os.path.getsize(source)
        except OSError:
            return 0
    return 0


@contextmanager
def reading(produce: Callable[[], Iterable[Parsed]], source: object) -> Iterator[Iterable[Parsed]]:
    """The parsed batches of ``produce()`` for a ``source`` (a path, or a name and its bytes): read
    ahead where it pays (:func:`pays`), else in this process. The copy, if any, ends with the block,
    whether the caller took every batch or stopped early (an error)."""
    if not pays(size_of(source)):
        yield produce()
        return
    parts = read_ahead(produce, source[0] if isinstance(source, tuple) else str(source))
    try:
        yield parts
    finally:
        parts.close()


def read_ahead(produce: Callable[[], Iterable[Parsed]], name: str) -> Generator[Parsed, None, None]:
    """The items of ``produce()``, made in a forked copy of this process while the caller works on
    the ones before (at most :data:`AHEAD_BATCHES` ahead: then it waits for the caller). An
    error in the copy is raised here; the copy ends when the caller stops early. ``name``: the file,
    for the error a copy that dies gives."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    for stream in (sys.stdout, sys.stderr):  # what is buffered would be written twice
        stream.flush()
    copy = context.Process(target=_produce, args=(produce, sender), daemon=True)
    copy.start()
    sender.close()
    try:
        while True:
            try:
                kind, value = receiver.recv()
            except EOFError:
                copy.join()
                raise ReaderFailed(
                    file=name, reason=lazy("reason.reader_stopped", code=copy.exitcode)
                ) from None
            if kind == "item":
                yield unpack(value)
            elif kind == "error":
                raise value
            else:
                return
    finally:
        receiver.close()
        if copy.is_alive():
            copy.terminate()
        copy.join()


def _produce(produce: Callable[[], Iterable[Parsed]], sender) -> None:
    """In the copy: send each item, then ``done``; or the error met, as it is when it can be sent.

    A pipe holds 64 KiB, so writing a batch waits until this process has read it all: a thread of
    the copy writes while its main thread reads on, up to :data:`AHEAD_BATCHES` batches ahead."""
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD_BATCHES)

    def write() -> None:
        broken = False
        while (message := outbox.get()) is not None:
            if broken:
                continue  # the caller stopped early: what is left is dropped
            try:
                sender.send_bytes(message)
            except BrokenPipeError:
                broken = True

    writer = threading.Thread(target=write, daemon=True)
    writer.start()

    def post(kind: str, value: object) -> None:
        outbox.put(ForkingPickler.dumps((kind, value)))

    try:
        for item in produce():
            post("item", pack(item))
        post("done", None)
    except Exception as exc:  # sent to the caller, who raises it
        try:
            post("error", exc)
        except Exception:  # it cannot be pickled: its text, with where it came from
            post("error", RuntimeError("".join(traceback.format_exception(exc))))
    finally:
        outbox.put(None)
        writer.join()
        sender.close()


class Sent(NamedTuple):
    """A batch as it is sent (:func:`pack`): its drafts' fields as columns of plain values, their lines
    one after another (``line_counts`` of each draft)."""

    file: str
    rejected: list[dict]
    orders: dict[str, list]
    line_counts: list[int]
    lines: dict[str, list]


def pack(part: Parsed) -> Sent:
    """A parsed batch as it is sent: its drafts as columns, amounts as their texts, moments as seconds
    (or microseconds) since 1970 and days as day numbers, which pickle sends many times quicker (a
    draft field by field, a moment with a time zone object of its own, a decimal through its text);
    a column of one value once."""
    drafts = part.drafts
    orders = as_columns(drafts, [f for f in OrderDraft._fields if f != "lines"])
    lines = as_columns([line for d in drafts for line in d.lines], OrderLineDraft._fields)
    counts = [len(d.lines) for d in drafts]
    return Sent(part.file, part.rejected, _plain(orders), counts, _plain(lines))


def unpack(sent: Sent) -> Parsed:
    """:func:`pack` undone: the same drafts (their moments in UTC)."""
    lines = _read(sent.lines)
    fields = (lines[f] for f in OrderLineDraft._fields)
    made = list(map(tuple.__new__, repeat(OrderLineDraft), zip(*fields, strict=True)))
    ends = list(itertools.accumulate(sent.line_counts))
    orders = _read(sent.orders)
    orders["lines"] = [
        tuple(made[end - size : end]) for end, size in zip(ends, sent.line_counts, strict=True)
    ]
    columns = (orders[f] for f in OrderDraft._fields)
    drafts = list(map(tuple.__new__, repeat(OrderDraft), zip(*columns, strict=True)))
    return Parsed(drafts, sent.rejected, sent.file)


_KINDS = "\x00kinds"
"""The key under which :func:`_plain` lists the columns it changed, with their kind (or, for a column
of one value sent once, how many rows it has)."""
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


def _microseconds(moment: dt.datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def _from_microseconds(count: int) -> dt.datetime:
    return EPOCH + count * MICROSECOND


_PLAIN = {Decimal: ("amount", str), dt.date: ("day", dt.date.toordinal)}
_READ = {
    "amount": Decimal,
    "day": dt.date.fromordinal,
    "second": partial(dt.datetime.fromtimestamp, tz=dt.UTC),
    "microsecond": _from_microseconds,
}


def _plain(columns: dict[str, list]) -> dict[str, list]:
    out, kinds = dict(columns), {}
    for name, values in columns.items():
        if _one_value(values):  # a blank or default every order has: sent once
            out[name], kinds[name] = values[:1], len(values)
            continue
        types = set(map(type, values))
        blank = type(None) in types
        types.discard(type(None))
        if len(types) != 1:
            continue
        kind = types.pop()
        if kind is dt.datetime:
            given = [v for v in values if v is not None] if blank else values
            if not all(v.tzinfo for v in given):
                continue  # a naive moment (never from a connector) travels as it is
            # whole seconds are exact as a float's seconds since 1970 (made in C); finer moments
            # are not always, and go as whole microseconds
            kind, write = (
                ("microsecond", _microseconds)
                if any(v.microsecond for v in given)
                else ("second", dt.datetime.timestamp)
            )
        elif kind in _PLAIN:
            kind, write = _PLAIN[kind]
        else:
            continue
        out[name] = [None if v is None else write(v) for v in values] if blank else list(map(write, values))
        kinds[name] = kind
    out[_KINDS] = kinds
    return out


def _one_value(values: list) -> bool:
    """Whether every value is the first, alike (``0`` is not ``False``, nor ``0.00`` ``0``)."""
    if not values:
        return False
    first = values[0]
    if values[-1] != first or values[len(values) // 2] != first or values.count(first) != len(values):
        return False
    if type(first) in (str, int, bool, type(None)) and set(map(type, values)) == {type(first)}:
        return True  # equal texts, numbers or flags of one type are alike
    return len(set(map(id, values))) == 1 or len(set(map(repr, values))) == 1


def _read(columns: dict[str, list]) -> dict[str, list]:
    out = dict(columns)
    for name, kind in out.pop(_KINDS).items():
        if type(kind) is int:
            out[name] = out[name] * kind
            continue
        values, read = out[name], _READ[kind]
        distinct = set(values)
        distinct.discard(None)
        if len(distinct) * 2 > len(values):
            out[name] = (
                [None if v is None else read(v) for v in values]
                if None in values
                else list(map(read, values))
            )
        else:
            known = {v: read(v) for v in distinct}
            known[None] = None
            out[name] = list(map(known.__getitem__, values))
    return out
