"""Reading the tables sellers hand us: CSV (UTF-8 or GBK/GB18030) and XLSX, by header name.

Every importer (base data, orders, settlements, rates) reads through here, so encodings, Excel's
``="..."`` armour, duplicate headers and unreadable files are handled once.
"""

from __future__ import annotations

import csv
import io
import operator
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecerp_core.errors import ImportFileError
from ecerp_core.i18n import lazy, t

ENCODINGS = ("utf-8-sig", "gb18030")
MAX_FIELD = 1_000_000
csv.field_size_limit(MAX_FIELD)


@dataclass(frozen=True)
class Table:
    """A file's header and its data rows. ``rows`` yields ``(line, {header: text})``;
    ``line`` counts as a spreadsheet does: the header is line 1."""

    name: str
    header: tuple[str, ...]
    records: tuple[tuple[int, dict[str, str]], ...]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        return iter(self.records)


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
    """Decode a text file: UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK)."""
    if b"\x00" in data[:65536]:
        raise _fail(name, "unreadable")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _fail(name, "encoding")


def _from_rows(
    name: str,
    rows: Iterable[Sequence[object]],
    *,
    text_cells: bool = False,
    columns: Collection[str] | None = None,
) -> Table:
    """``text_cells``: every cell is a ``str`` (CSV), which allows a faster cleaning path;
    ``columns``: see :func:`read_table`."""
    rows = (r for r in rows if any(map(clean_cell, r)))
    first = next(rows, None)
    if first is None:
        raise _fail(name, "empty")
    header = tuple(clean_header(c) for c in first)
    seen, dupes = set(), []
    for h in header:
        if h and h in seen:
            dupes.append(h)
        seen.add(h)
    if dupes:
        raise _fail(name, "duplicate_columns", columns=", ".join(dupes))
    width = len(header)
    named = [(i, h) for i, h in enumerate(header) if h and (columns is None or h in columns)]
    names = [h for _, h in named]
    # the CSV case: the wanted cells in one C-level pick and a strip each; the Excel armour that
    # clean_cell undoes starts a cell, which the joined cells show in two searches
    pick = operator.itemgetter(*(i for i, _ in named)) if text_cells and len(named) > 1 else None
    records = []
    for line, row in enumerate(rows, start=2):
        if pick is not None and len(row) == width:
            cells = tuple(map(str.strip, pick(row)))
            joined = "\x00" + "\x00".join(cells)
            if "\x00=" in joined or "\x00'" in joined:
                cells = tuple(map(clean_cell, cells))
            values = dict(zip(names, cells, strict=True))
        else:
            values = {h: clean_cell(row[i]) if i < len(row) else "" for i, h in named}
        records.append((line, values))
    return Table(name, header, tuple(records))


def parse_text(text: str, name: str = "<text>", *, columns: Collection[str] | None = None) -> Table:
    """Parse CSV text; the delimiter (comma, tab, semicolon) is sniffed from the header line."""
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    try:
        return _from_rows(
            name,
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
            text_cells=True,
            columns=columns,
        )
    except csv.Error as exc:
        raise _fail(name, "unreadable") from exc


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


def read_table(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    sheet: str | None = None,
    columns: Collection[str] | None = None,
) -> Table:
    """Read a CSV or XLSX file (a path, or the bytes of an upload with its ``name``).

    ``columns``: the only columns the caller reads. Each row then holds just those (the ones the
    file has), so a wide export costs little more than its useful part; ``header`` still lists
    every column, to tell one format from another.

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
    return parse_text(decode(data, name), name, columns=columns)


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
