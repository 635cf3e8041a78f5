"""Reading the tables sellers hand us: CSV (UTF-8, UTF-16, GBK/GB18030 or Windows-1252) and XLSX, by
header name.

Every importer (base data, orders, settlements, rates) reads through here, so encodings, Excel's
``="..."`` armour, duplicate headers and unreadable files are handled once.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
import operator
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecerp_core.errors import ImportFileError
from ecerp_core.i18n import lazy, t

ENCODINGS = ("utf-8-sig", "utf-16", "gb18030", "cp1252")
"""What a CSV may be written in, in the order :func:`detect_encoding` considers them."""
MAX_FIELD = 1_000_000
csv.field_size_limit(MAX_FIELD)
FIRST_LINE = 2
"""The line of data row 0: lines count as a spreadsheet does, the header is line 1 (blank rows are
skipped and not counted)."""
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Every character ``str.strip()`` removes."""
_HOLLOW = WHITESPACE + "=\"'"
"""The only characters :func:`clean_cell` ever removes: a cell holding any other is not blank."""

Cells = tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A file's header and its data rows, read by column name.

    :meth:`select` gives each row's cells of the columns a reader names, as a tuple in that order:
    the fast way through a large export. Iterating gives ``(line, {header: text})``. Data row ``i``
    is at line ``FIRST_LINE + i``. Cells come out cleaned (:func:`clean_cell`) either way.
    """

    name: str
    header: tuple[str, ...]
    columns: tuple[str, ...]
    """The columns the rows hold: every named one, or those the reader asked for that the file has."""
    rows: Sequence[Cells]
    """The cells of ``columns`` as read; :meth:`select` cleans the ones asked for."""
    clean: Callable[[Iterable[Cells]], list[Cells]] | None = None
    """What cleans picked cells (None: they were cleaned as read)."""
    first_line: int = FIRST_LINE
    """The line of data row 0: :data:`FIRST_LINE`, or later for a batch of a file read in batches
    (:func:`read_batches`)."""

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        names = self.columns
        for line, cells in enumerate(self.select(names), start=self.first_line):
            yield line, dict(zip(names, cells, strict=True))

    def select(self, columns: Sequence[str], at: Iterable[int] | None = None) -> list[Cells]:
        """Each data row's cells of ``columns``, in that order (``""`` for a column the table does not
        hold); only the rows at the indices ``at`` when given."""
        where = {c: i for i, c in enumerate(self.columns)}
        rows: Iterable[Cells] = self.rows if at is None else map(self.rows.__getitem__, at)
        if any(c not in where for c in columns):
            # an absent column reads the blank cell added at the end of each row
            rows = map(operator.add, rows, itertools.repeat(("",)))
        picked = map(_picker([where.get(c, len(self.columns)) for c in columns]), rows)
        return list(picked) if self.clean is None else self.clean(picked)


def _getter(positions: Sequence[int]) -> Callable[[Sequence], Cells]:
    """``operator.itemgetter`` that always gives a tuple (of one position it gives the bare item)."""
    if len(positions) > 1:
        return operator.itemgetter(*positions)
    if positions:
        (position,) = positions
        return lambda row: (row[position],)
    return lambda row: ()


def _picker(positions: Sequence[int]) -> Callable[[Cells], Cells]:
    """:func:`_getter` for rows that are tuples: positions side by side (columns selected in the
    order they were read) are one slice, which copies the cells at once."""
    if len(positions) > 1 and positions == list(range(positions[0], positions[-1] + 1)):
        return operator.itemgetter(slice(positions[0], positions[-1] + 1))
    return _getter(positions)


def _stripped(rows: Iterable[Cells]) -> list[Cells]:
    """Outer spaces stripped, every cell: all :func:`clean_cell` does to a file without armour."""
    return list(map(tuple, map(map, itertools.repeat(str.strip), rows)))


def _unarmoured(rows: Iterable[Cells]) -> list[Cells]:
    """:func:`clean_cell` of every cell: the cells are stripped, then a row whose joined cells show
    no cell starting with armour needs nothing more (most rows), and in the others only the cells
    that start with it change."""
    out = []
    for cells in _stripped(rows):
        joined = "\x00".join(cells)
        if "\x00'" in joined or '\x00="' in joined or joined.startswith(("'", '="')):
            cells = tuple([clean_cell(c) if c.startswith(("'", '="')) else c for c in cells])
        out.append(cells)
    return out


def clean_cell(value: object) -> str:
    """Strip Excel's armour: ``="0123"`` -> ``0123``, a leading apostrophe, outer spaces.

    >>> clean_cell('="2024050112345678"')
    '2024050112345678'
    >>> clean_cell("'0183")
    '0183'
    """
    if value is None:
        return ""
    text = str(value).strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    elif text.startswith("'"):
        text = text[1:]
    return text.strip()


def normal(text: str) -> str:
    """Full-width punctuation, digits and spaces folded to ASCII (NFKC), outer spaces stripped.

    >>> normal("买家已付款，等待卖家发货")
    '买家已付款,等待卖家发货'
    >>> normal("　１２.５ ")
    '12.5'
    """
    if not text:
        return ""
    # ASCII text is already NFKC; most cells of most exports are ASCII
    return (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()


def clean_header(value: object) -> str:
    return clean_cell(value).replace("\ufeff", "").strip().strip("=").strip()


def _fail(name: str, reason: str, **params) -> ImportFileError:
    return ImportFileError(file=name, reason=lazy(f"reason.{reason}", **params))


def decode(data: bytes, name: str) -> str:
    """Decode a text file in the encoding :func:`detect_encoding` finds."""
    encoding = detect_encoding(data, name)
    text = data.decode(encoding)
    if "\x00" in text:  # UTF-16 text holding a NUL character, which no database column takes
        raise _fail(name, "nul")
    return text[1:] if text.startswith("\ufeff") else text


def detect_encoding(data: bytes, name: str = "<upload>") -> str:
    """The encoding a CSV is written in: UTF-16 (Excel's "Unicode text", with its byte order mark or
    without), UTF-8 (with or without BOM), GB18030 (a superset of GBK) when its text reads as Chinese,
    Windows-1252 (a European Excel's CSV) when it does not. GB18030 decodes nearly any bytes, so a
    cp1252 file ("Müller Straße") would silently read as rare CJK characters: the text decides.

    >>> detect_encoding("Müller Straße".encode("cp1252"))
    'cp1252'
    >>> detect_encoding("订单编号,收货人".encode("gbk"))
    'gb18030'
    >>> detect_encoding("sku,qty".encode("utf-16"))
    'utf-16'

    A file with NUL bytes that is not UTF-16, or that no encoding reads, raises
    :class:`ImportFileError` naming the encodings tried.
    """
    return _detect(lambda: (data,), name)


def _detect(chunks: Callable[[], Iterable[bytes]], name: str) -> str:
    """:func:`detect_encoding` of the bytes ``chunks()`` gives, in pieces: a file is read a piece at
    a time (once per encoding considered), never held whole."""
    head = next(iter(chunks()), b"")[:65536]  # a piece holds more than this, but at the end
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    start = head[:4096]
    if len(start) >= 4 and start.count(0) * 3 >= len(start):  # UTF-16 without its mark: every other byte 0
        even_zeros = start[0::2].count(0)
        encoding = "utf-16-be" if even_zeros > start[1::2].count(0) else "utf-16-le"
        if _decodes(chunks(), encoding):
            return encoding
    if any(b"\x00" in chunk for chunk in chunks()):
        raise _fail(name, "nul")
    if _decodes(chunks(), "utf-8"):
        return "utf-8-sig"
    if _decodes(chunks(), "gb18030") and (_reads_as_chinese(head) or not _decodes(chunks(), "cp1252")):
        return "gb18030"
    if _decodes(chunks(), "cp1252"):
        return "cp1252"
    raise _fail(name, "encoding")


def _reads_as_chinese(data: bytes) -> bool:
    """Whether the non-ASCII text of ``data`` read as GB18030 is mostly common Chinese (GB2312: the
    6,763 everyday characters and the full-width punctuation), as a Chinese export's is; Latin text
    read as GB18030 turns into rare characters outside it."""
    sample = data[:65536].decode("gb18030", errors="ignore")
    others = [c for c in sample if not c.isascii()][:2000]
    if not others:
        return True
    common = 0
    for c in others:
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 1
    return common * 2 >= len(others)


def _may_hold_armour(text: str | bytes) -> bool:
    """Whether a cell of this CSV may start with Excel's armour: an apostrophe or ``="`` that does not
    follow a letter or digit (which would put it inside a cell's text). Searching the file for them
    is quick; checking every row of the many exports without armour is not.

    The bytes of a UTF-8 or GB18030 file hold these ASCII marks only as themselves; before one,
    an ASCII letter or digit that follows an ASCII byte is a character of its own.
    """
    raw = isinstance(text, bytes)
    for mark, after in (("'", ""), ("=", '"')):
        if raw:
            mark, after = mark.encode(), after.encode()
        at = text.find(mark)
        while at >= 0:
            before = text[max(at - 2, 0) : at]
            inside = before[-1:].isalnum() and (not raw or before[:1].isascii())
            if not inside and text.startswith(after, at + 1):
                return True
            at = text.find(mark, at + 1)
    return False


class ScatteredRows(Exception):
    """An order's rows stand in two batches of a file read in batches (:func:`read_batches`): the
    file lists an order's rows apart, and must be read whole."""


def _from_rows(
    name: str,
    rows: Iterable[Sequence[object]],
    *,
    text_cells: bool = False,
    armour: bool = True,
    columns: Collection[str] | None = None,
) -> Table:
    """``text_cells``: every cell is a ``str`` (CSV), kept as read and cleaned when selected
    (``armour``: some may start with armour); ``columns``: see :func:`read_table`."""
    (table,) = _tables(name, rows, text_cells=text_cells, armour=armour, columns=columns)
    return table


def _tables(
    name: str,
    rows: Iterable[Sequence[object]],
    *,
    text_cells: bool = False,
    armour: bool = True,
    columns: Collection[str] | None = None,
    key: str | Callable[[tuple[str, ...]], str | None] | None = None,
    batch: int | None = None,
    scattered_ok: bool = False,
) -> Iterator[Table]:
    """:func:`_from_rows` as one table, or (``batch``) as tables of about ``batch`` rows each, cut only
    between rows whose ``key`` cells differ (``key`` may be a function of the header giving the key
    column, or None for the whole file in one table); raises :class:`ScatteredRows` when a key of a
    batch was in an earlier one, unless ``scattered_ok``."""
    rows = iter(rows)
    first = next((r for r in rows if any(map(clean_cell, r))), None)
    if first is None:
        raise _fail(name, "empty")
    header = tuple(clean_header(c) for c in first)
    seen, dupes = set(), []
    for h in header:
        if h and h in seen:
            dupes.append(h)
        seen.add(h)
    if dupes and all(set(h) <= {"?", "？"} for h in dupes):
        # saved in an encoding that cannot hold the names (Chinese in Windows-1252): they became "?"
        raise _fail(name, "lost_characters")
    if dupes:
        raise _fail(name, "duplicate_columns", columns=", ".join(dupes))
    width = len(header)
    kept = [(i, h) for i, h in enumerate(header) if h]
    if columns is not None:
        position = {h: i for i, h in kept}
        order = columns if isinstance(columns, Sequence) else [h for _, h in kept if h in columns]
        kept = [(position[c], c) for c in dict.fromkeys(order) if c in position]
    names = tuple(h for _, h in kept)
    pick = _getter([i for i, _ in kept])
    clean = (_unarmoured if armour else _stripped) if text_cells else None
    if callable(key):
        key = key(header)
    at = names.index(key) if batch and key in names else None
    data: list[Cells] = []
    line, earlier = FIRST_LINE, set()
    while True:  # rows read as they come (a list of a batch's whole rows would cost a third more)
        part: Iterable[Sequence] = rows
        if at is not None:
            part = itertools.islice(rows, batch)
            ahead = next(part, None)
            if ahead is None:
                break
            part = itertools.chain((ahead,), part)
        append = data.append
        if text_cells:
            for row in part:
                # the usual row: as wide as the header, and its first cell shows it is not blank
                if len(row) == width and row[0].strip(_HOLLOW):
                    append(pick(row))
                elif any(map(clean_cell, row)):
                    append(pick(row + [""] * (width - len(row))))
        else:
            for row in part:
                cells = list(map(clean_cell, row))
                if any(cells):
                    append(pick(cells + [""] * (width - len(cells))))
        if at is None:
            break
        if len(data) < batch:
            continue
        # the last order may go on in the rows still to read: it starts the next batch
        last, cut = clean_cell(data[-1][at]), len(data) - 1
        while cut > 0 and clean_cell(data[cut - 1][at]) == last:
            cut -= 1
        if cut:
            if not scattered_ok:
                earlier = _check_keys(data, cut, at, earlier)
            yield Table(name, header, names, data[:cut], clean, line)
            line, data = line + cut, data[cut:]
    if at is not None and not scattered_ok:
        _check_keys(data, len(data), at, earlier)
    if data or line == FIRST_LINE:
        yield Table(name, header, names, data, clean, line)


def _check_keys(data: list[Cells], end: int, at: int, earlier: set[str]) -> set[str]:
    """The keys of ``data[:end]`` added to those of the earlier batches, which must hold none of them."""
    keys = {clean_cell(k) for k in set(map(operator.itemgetter(at), itertools.islice(data, end)))}
    keys.discard("")
    if not keys.isdisjoint(earlier):
        raise ScatteredRows
    earlier |= keys
    return earlier


def _delimiter(stream: io.TextIOBase) -> tuple[list[str], str]:
    """The first line's pieces as read, and the delimiter (comma, tab, semicolon) it holds most of."""
    lines = [stream.readline()]
    while lines[-1] and not lines[-1].endswith("\n"):  # the first line ends at the first "\n"
        lines.append(stream.readline())
    first = "".join(lines)
    return lines, max((",", "\t", ";"), key=first.count)


def _read_csv(stream: io.TextIOBase, name: str, armour: bool, columns: Collection[str] | None) -> Table:
    """The delimiter (comma, tab, semicolon) is the one the first line holds most of."""
    lines, delimiter = _delimiter(stream)
    rows = csv.reader(itertools.chain(lines, stream), delimiter=delimiter)
    try:
        return _from_rows(name, rows, text_cells=True, armour=armour, columns=columns)
    except csv.Error as exc:
        raise _fail(name, "unreadable") from exc


def parse_text(text: str, name: str = "<text>", *, columns: Collection[str] | None = None) -> Table:
    """Parse CSV text; the delimiter (comma, tab, semicolon) is sniffed from the header line."""
    return _read_csv(io.StringIO(text, newline=""), name, _may_hold_armour(text), columns)


def _parse_bytes(data: bytes, name: str, columns: Collection[str] | None) -> Table:
    """:func:`parse_text` of :func:`decode`, decoding as the rows are read: decoding a large export in
    one piece and reading it back from memory costs a third of the reading."""
    encoding = detect_encoding(data, name)
    if encoding.startswith("utf-16"):
        text = data.decode(encoding).lstrip("\ufeff")
        if "\x00" in text:  # a NUL character, which no database column takes
            raise _fail(name, "nul")
        return parse_text(text, name, columns=columns)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    return _read_csv(stream, name, _may_hold_armour(data), columns)


def _decodes(chunks: Iterable[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in chunks:
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _read_xlsx(data: bytes, name: str, sheet: str | None, columns: Collection[str] | None) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise _fail(name, "unreadable") from exc
    try:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        return _from_rows(name, worksheet.iter_rows(values_only=True), columns=columns)
    finally:
        workbook.close()


def _xlsx_batches(
    fh, name: str, columns: Collection[str] | None, key, rows: int, scattered_ok: bool
) -> Iterator[Table]:
    """The first sheet's rows in batches, as they are read (see :func:`read_batches`)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise _fail(name, "unreadable") from exc
    try:
        rows_read = workbook.worksheets[0].iter_rows(values_only=True)
        yield from _tables(name, rows_read, columns=columns, key=key, batch=rows, scattered_ok=scattered_ok)
    finally:
        workbook.close()


def read_table(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    sheet: str | None = None,
    columns: Collection[str] | None = None,
) -> Table:
    """Read a CSV or XLSX file (a path, or the bytes of an upload with its ``name``).

    ``columns``: the only columns the caller reads. Each row then holds just those (the ones the
    file has, in the order ``columns`` lists them: a reader that selects them in that order gets
    each row's cells in one slice), so a wide export costs little more than its useful part;
    ``header`` still lists every column, to tell one format from another.

    Raises :class:`~ecerp_core.errors.ImportFileError` for a file that cannot be used at all.
    """
    if isinstance(source, bytes):
        data, name = source, name or "<upload>"
    else:
        path = Path(source)
        name = name or path.name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise _fail(name, "not_found") from None
        except OSError as exc:
            raise _fail(name, "unreadable") from exc
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, name, sheet, columns)
    if suffix not in ("", ".csv", ".txt", ".tsv"):
        raise _fail(name, "unsupported_type", suffix=suffix)
    return _parse_bytes(data, name, columns)


BATCH_ROWS = 10_000
"""Data rows per batch of :func:`read_batches`: a batch's cells, drafts and orders take some tens of
megabytes, whatever the size of the file."""
CHUNK = 1 << 20
"""Bytes read at a time when a file is scanned (its encoding, its armour) before its rows are read."""


def read_batches(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    columns: Collection[str] | None = None,
    key: str | Callable[[tuple[str, ...]], str | None] | None,
    rows: int = BATCH_ROWS,
    scattered_ok: bool = False,
) -> Iterator[Table]:
    """:func:`read_table` in bounded memory: the file's data rows as tables of about ``rows`` rows
    each (each table's ``first_line`` says where it starts), read as they are used.

    A table ends only where the ``key`` column changes (an export lists an order's rows together),
    so the rows of one key stand in one table. A file that lists a key's rows apart, in rows far
    enough apart to fall in two tables, raises :class:`ScatteredRows` when the second table is
    reached: such a file must be read whole (``scattered_ok``: the batches are cut all the same, for
    a reader that gathers a key's rows itself). ``key`` may be a function of the header giving the
    key column; a key the file lacks (or None) gives the whole file as one table. A workbook's first
    sheet is read the same way (openpyxl's read-only rows).

    Raises :class:`~ecerp_core.errors.ImportFileError` for a file that cannot be used at all: before
    the first table for most causes, on reaching the broken part for a CSV that breaks half-way.
    """
    if isinstance(source, bytes):
        name = name or "<upload>"
        opened = io.BytesIO(source)
    else:
        path = Path(source)
        name = name or path.name
        try:
            opened = path.open("rb")
        except FileNotFoundError:
            raise _fail(name, "not_found") from None
        except OSError as exc:
            raise _fail(name, "unreadable") from exc
    with opened as fh:
        suffix = Path(name).suffix.lower()
        if suffix in (".xlsx", ".xlsm") or fh.read(4) == b"PK\x03\x04":
            fh.seek(0)
            yield from _xlsx_batches(fh, name, columns, key, rows, scattered_ok)
            return
        if suffix not in ("", ".csv", ".txt", ".tsv"):
            raise _fail(name, "unsupported_type", suffix=suffix)

        def chunks() -> Iterator[bytes]:
            fh.seek(0)
            return iter(functools.partial(fh.read, CHUNK), b"")

        encoding = _detect(chunks, name)
        if encoding.startswith("utf-16"):
            armour = True  # cleaning every cell gives what a search for armour would allow
            if _decoded_holds(chunks(), encoding, "\x00"):  # a NUL character, which no column takes
                raise _fail(name, "nul")
        else:
            armour = _may_hold_armour_in(chunks())
        fh.seek(0)
        stream = io.TextIOWrapper(fh, encoding=encoding, newline="")
        try:
            lines, delimiter = _delimiter(stream)
            lines[0] = lines[0].lstrip("\ufeff")
            reader = csv.reader(itertools.chain(lines, stream), delimiter=delimiter)
            yield from _tables(
                name,
                reader,
                text_cells=True,
                armour=armour,
                columns=columns,
                key=key,
                batch=rows,
                scattered_ok=scattered_ok,
            )
        except csv.Error as exc:
            raise _fail(name, "unreadable") from exc
        finally:
            stream.detach()


def _decoded_holds(chunks: Iterable[bytes], encoding: str, text: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    return any(text in decoder.decode(chunk) for chunk in chunks) or text in decoder.decode(b"", True)


def _may_hold_armour_in(chunks: Iterable[bytes]) -> bool:
    """:func:`_may_hold_armour` of a file read in pieces: each piece is searched with the last bytes
    of the one before, so a mark across two pieces is seen (a mark at a piece's very start may be
    taken for armour: the cells are then cleaned one by one, to the same result)."""
    tail = b""
    for chunk in chunks:
        if _may_hold_armour(tail + chunk):
            return True
        tail = chunk[-3:]
    return False


def map_columns(
    table: Table, aliases: Mapping[str, Sequence[str]], required: Sequence[str] = ()
) -> dict[str, str]:
    """Find each field's column by its aliases (case and spacing ignored); check required ones.

    Returns ``{field: header}`` for the fields found.
    """
    normal = {h.lower().replace(" ", "").replace("_", ""): h for h in table.header if h}
    found = {}
    for field, names in aliases.items():
        for alias in (field, *names):
            key = alias.lower().replace(" ", "").replace("_", "")
            if key in normal:
                found[field] = normal[key]
                break
    missing = [f for f in required if f not in found]
    if missing:
        names = [f"{t('field.' + f)} ({f})" for f in missing]
        raise _fail(table.name, "missing_columns", columns=", ".join(names))
    return found
