"""Helpers for delimited-text ingesters: header sniffing, dates, and the one reader of CSV/TSV records.

Every delimited-text ingester reads its records through :func:`rows` (or :func:`dict_rows` and
:func:`dict_records`, built on it). Rules:

- A field may hold up to :data:`FIELD_LIMIT` characters (Python's csv module stops at 131,072 by default,
  which long patent descriptions pass). The limit is raised only while a record is parsed and put back after,
  so that other CSV readers of the process keep theirs.
- A record csv cannot read -- a field over the limit, which is also what a quote left open makes of the rest
  of a file -- is yielded as a :class:`~ipcockpit.model.records.Rejected` that names its line and field, and
  reading goes on after it: its end is where its quote characters balance. The ingester passes the Rejected
  on, so the record lands in quarantine with the reason.
- Line numbers are physical lines where a record starts (a quoted field may run over several).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from functools import lru_cache

from ipcockpit.errors import UnreadableFileError
from ipcockpit.ingest.base import Source
from ipcockpit.model.records import Rejected

#: the most characters one field may hold: 64 Mi, over 20,000 printed pages of about 3,000 characters -- far
#: beyond the longest patent descriptions -- while a field that long still fits in memory
FIELD_LIMIT = 64 * 1024 * 1024
_EXCERPT = 300

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S",
                 "%Y年%m月%d日", "%d-%m-%Y", "%d %B %Y", "%B %d, %Y")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def parse_date(text: object) -> date | None:
    """A date from the usual written forms; None when empty. Raises ValueError when unreadable."""
    if text is None:
        return None
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    found = _text_date(str(text).strip())
    if isinstance(found, str):
        raise ValueError(found)
    return found


@lru_cache(maxsize=65536)
def _text_date(s: str) -> date | str | None:
    """:func:`parse_date` of a stripped text, or the error's message for a text that is no date (kept per text,
    the failures too: a file repeats its dates, a form found late in ``_DATE_FORMATS`` costs a failed
    ``strptime`` per form before it, and a number tried as a date -- a priority number in a PATENTSCOPE cell --
    costs one per form). Digits alone can only be ``%Y%m%d``."""
    if not s or s in {"-", "--", "NULL", "null", "None", "nan", "NaT"}:
        return None
    m = _ISO.match(s)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as exc:  # 2001-02-30: the reason as Python words it ("day is out of range for month")
            return str(exc)
    for fmt in ("%Y%m%d",) if s.isdigit() else _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return f"unreadable date {s!r}"


class CsvRowError(ValueError):
    """A row of a CSV text that the csv module cannot read: ``line`` where the row starts, ``over_limit``
    when a field is longer than the csv module's limit (``limit``; an unclosed quote makes one), ``detail``
    the csv module's words."""

    def __init__(self, line: int, over_limit: bool, limit: int, detail: str) -> None:
        super().__init__(f"line {line}: {detail}")
        self.line, self.over_limit, self.limit, self.detail = line, over_limit, limit, detail


def text_rows(text: str, dialect: type[csv.Dialect] | str = "excel") -> list[list[str]]:
    """Every row of a small CSV text held in memory (an upload: reported values, a portfolio), any line
    ends (CR, LF, CRLF), with the csv module's own field limit; a row it cannot read raises
    :class:`CsvRowError` naming the line where that row starts (the upload is refused whole)."""
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    out: list[list[str]] = []
    start = 1
    try:
        for row in reader:
            out.append(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise CsvRowError(start, "field limit" in str(exc), csv.field_size_limit(), str(exc)) from exc
    return out


def header(source: Source, delimiter: str = ",") -> list[str]:
    """The first row of a delimited text file, stripped."""
    text = source.text_head()
    first = text.splitlines()[0] if text else ""
    return [h.strip().strip('"').lstrip("\ufeff") for h in next(csv.reader([first], delimiter=delimiter), [])]


def dict_rows(source: Source, delimiter: str = ",") -> Iterator[tuple[int, dict[str, str] | Rejected]]:
    """(line, row) pairs of a file with a header row, as :func:`dict_records`."""
    with source.open_text() as fh:
        yield from dict_records(fh, delimiter, source.path)


def dict_records(lines: Iterable[str], delimiter: str = ",", path: str = "",
                 ) -> Iterator[tuple[int, dict[str, str] | Rejected]]:
    """(line, row) for each record after the header row, as csv.DictReader makes them (blank rows left out,
    surplus cells under the key None, missing ones None); (line, Rejected) for a record that cannot be read.
    A header that cannot be read is the file's error (``path`` names it)."""
    names: list[str] = []
    records = rows(lines, delimiter, names)
    names.extend(header_row(records, path))
    width = len(names)
    for line, cells in records:
        if isinstance(cells, Rejected):
            yield line, cells
            continue
        if not cells:
            continue
        row: dict[str, str] = dict(zip(names, cells, strict=False))  # DictReader's rule for surplus and missing
        if width < len(cells):
            row[None] = cells[width:]  # type: ignore[index]
        elif width > len(cells):
            for key in names[len(cells):]:
                row[key] = None  # type: ignore[assignment]
        yield line, row


def header_row(records: Iterator[tuple[int, list[str] | Rejected]], path: str = "") -> list[str]:
    """The next record of :func:`rows`, the header (empty at the end of the file); one that cannot be read is
    the file's error, as nothing after it could be named."""
    line, cells = next(records, (1, []))
    if isinstance(cells, Rejected):
        raise UnreadableFileError(path, f"its header row (line {line}) cannot be read: {cells.reason}")
    return cells


class _Lines:
    """The lines handed to csv, counted; those of the record being read are kept until the next one starts."""

    __slots__ = ("_lines", "count", "record")

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.count = 0
        self.record: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        self.record.append(line)
        return line

    def skip_record(self) -> None:
        """Read on to the end of the record csv stopped in: the line where its quote characters balance."""
        quotes = sum(line.count('"') for line in self.record)
        while quotes % 2:
            line = next(self._lines, None)
            if line is None:
                return
            self.count += 1
            quotes += line.count('"')


def rows(lines: Iterable[str], delimiter: str = ",", names: Sequence[str] = (),
         ) -> Iterator[tuple[int, list[str] | Rejected]]:
    """(line, cells) for each record of delimited text (a text stream opened with ``newline=""``, or lines),
    the header row included; (line, Rejected) for a record csv cannot read. ``names``: the columns, to name
    the field of a rejected record (read when one is; a caller may fill the list once it has read the header)."""
    source = _Lines(lines)
    reader = csv.reader(source, delimiter=delimiter)
    while True:
        start = source.count + 1
        source.record.clear()
        before = csv.field_size_limit(FIELD_LIMIT)
        try:
            cells: list[str] | csv.Error = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            cells = exc
        finally:
            csv.field_size_limit(before)
        if isinstance(cells, csv.Error):
            yield start, _rejected(source, cells, start, delimiter, names)
        else:
            yield start, cells


def _rejected(source: _Lines, exc: csv.Error, start: int, delimiter: str, names: Sequence[str]) -> Rejected:
    text = "".join(source.record)
    source.skip_record()
    if not str(exc).startswith("field larger than field limit"):
        return Rejected(f"line {start}", f"the record cannot be read as delimited text ({exc}); check its quotes "
                        "and delimiters", text[:_EXCERPT])
    index = _long_field(text, delimiter)
    name = names[index] if index < len(names) else f"column {index + 1}"
    return Rejected(
        f"line {start}",
        f"field {name!r} is longer than {FIELD_LIMIT:,} characters, the most ipcockpit reads in one field (patent "
        "texts are far shorter; a quote left open makes one field of the rest of the file): check the record "
        "and its quotes, then ingest the file again",
        text[:_EXCERPT], name)


def _long_field(text: str, delimiter: str) -> int:
    """The index of the field of a record's text (as far as csv read it) that is longer than FIELD_LIMIT: the
    first one, counted by the delimiters outside quotes; the last field when none is."""
    index, pos, end = 0, 0, len(text)
    while pos < end:
        first = pos
        if text.startswith('"', pos):  # quoted: to the closing quote ("" is a quote inside)
            pos = first + 1
            while (pos := text.find('"', pos)) >= 0 and text.startswith('"', pos + 1):
                pos += 2
            if pos < 0:
                return index  # still open where csv stopped
            pos += 1
        stop = text.find(delimiter, pos)
        if stop < 0:
            return index
        if stop - first > FIELD_LIMIT:
            return index
        index, pos = index + 1, stop + 1
    return max(index - 1, 0)
