"""Helpers for delimited-text ingesters: header sniffing and dates."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime

from ipcockpit.ingest.base import Source

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
    s = str(text).strip()
    if not s or s in {"-", "--", "NULL", "null", "None", "nan", "NaT"}:
        return None
    m = _ISO.match(s)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unreadable date {s!r}")


def header(source: Source, delimiter: str = ",") -> list[str]:
    """The first row of a delimited text file, stripped."""
    text = source.text_head()
    first = text.splitlines()[0] if text else ""
    return [h.strip().strip('"').lstrip("\ufeff") for h in next(csv.reader([first], delimiter=delimiter), [])]


def dict_rows(source: Source, delimiter: str = ",") -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; the line is where the record starts in the file."""
    with source.open_text() as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        reader.fieldnames  # noqa: B018 - reads the header, so line numbers count it
        line = reader.line_num
        for row in reader:
            yield line + 1, row
            line = reader.line_num
