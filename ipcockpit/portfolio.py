"""Portfolios: the publication numbers a user gives to screen, read the same way by the CLI and the web app.

A portfolio comes as pasted text or as a file. Rules:

- bytes are UTF-8 (with or without BOM) or GB18030 (GBK and GB2312 are subsets), tried in that order;
- pasted text and plain lists: numbers separated by new lines, commas, semicolons (also full-width) or tabs;
  a comma between digits followed by three digits (``US 7,315,680``) is a thousands separator;
- tables (a ``.csv``/``.tsv`` file, or lines whose second field is not a number, such as an export with a
  title column): the column headed like a number (公开号, 申请号, publication number ...), else the first;
- a table row the csv module cannot read (a field over its 131,072-character limit, as after an unclosed
  quote) is an error naming the file and the line where that row starts;
- each number once, in the order given; files of at most :data:`MAX_BYTES` bytes. How many numbers one
  screening takes is the setting ``max_numbers``, which :meth:`ipcockpit.app.Cockpit.screen` holds every
  portfolio to (:mod:`ipcockpit.limits`), however it came.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from ipcockpit.errors import IPCockpitError
from ipcockpit.ingest.csvutil import CsvRowError, text_rows

MAX_BYTES = 5_000_000
#: header cells that name the number column of a table
NUMBER_HEADERS = {"publication_number", "publication number", "number", "doc_id", "patent number", "公开号",
                  "公告号", "公开（公告）号", "公开(公告)号", "授权公告号", "申请号", "专利号", "申请号/专利号"}
_SPLIT = re.compile(r"[\n\r;；,，\t]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
#: a field that can be a number: a few letters, then digits with separators (CN 115883397 B, ZL2021113598747.7)
_NUMBER_LIKE = re.compile(r"^[A-Za-z]{0,4}[\s.\-/]*\d[\d\s.,\-/]{3,}[A-Za-z]?\d?$")


class PortfolioError(IPCockpitError):
    """A portfolio that cannot be read; ``key`` and ``values`` name the catalogue text shown to people."""

    def __init__(self, message: str, key: str, **values: Any) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


def decode(name: str, content: bytes) -> str:
    """The text of a portfolio file: UTF-8 (BOM or not), else GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PortfolioError(f"{name}: not UTF-8 or GB18030 text; save it as UTF-8 (.txt or .csv)",
                         "screen.error_encoding", file=name)


def split_numbers(text: str) -> list[str]:
    """Numbers from pasted text: one per line, or separated by commas, semicolons or tabs."""
    return [n.strip() for n in _SPLIT.split(_THOUSANDS.sub("", text)) if n.strip()]


def _is_table(text: str) -> bool:
    """True when some line has a second field that is not a number (a title, a date, an applicant)."""
    for line in text.splitlines()[:50]:
        fields = [f.strip() for f in re.split(r"[\t,;；，]", _THOUSANDS.sub("", line)) if f.strip()]
        if len(fields) > 1 and not all(_NUMBER_LIKE.match(f) for f in fields[1:]):
            return True
    return False


def table_numbers(text: str, name: str = "table") -> list[str]:
    """The number column of a table (the file ``name``): the column headed like a number, else the first."""
    dialect: type[csv.Dialect] = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    rows = [r for r in _csv_rows(name, text, dialect) if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    column = next((i for i, c in enumerate(header) if c in NUMBER_HEADERS), None)
    body = rows[1:] if column is not None else rows
    column = column or 0
    return [_THOUSANDS.sub("", r[column]).strip() for r in body if len(r) > column and r[column].strip()]


def _csv_rows(name: str, text: str, dialect: type[csv.Dialect]) -> list[list[str]]:
    """The rows of ``text`` (any line ends: CR, LF, CRLF); a row the csv module cannot read (a field over its
    limit, e.g. after an unclosed quote) is a :class:`PortfolioError` naming the line where it starts."""
    try:
        return text_rows(text, dialect)
    except CsvRowError as exc:
        start = exc.line
        if exc.over_limit:
            limit = f"{exc.limit:,}"
            raise PortfolioError(f"{name}, line {start}: a field is longer than {limit} characters; check that "
                                 "the quotes of that line are paired, or write one number per line",
                                 "screen.error_csv_field", file=name, line=start, limit=limit) from exc
        raise PortfolioError(f"{name}, line {start}: cannot be read as CSV ({exc.detail})", "screen.error_csv",
                             file=name, line=start, detail=exc.detail) from exc


def read_numbers(name: str, content: bytes) -> list[str]:
    """The numbers of a portfolio file named ``name`` (its suffix tells a table from a list)."""
    if len(content) > MAX_BYTES:
        raise PortfolioError(f"{name}: the file is larger than {MAX_BYTES:,} bytes; give the numbers only, "
                             "one per line", "screen.error_too_large", file=name, size=f"{MAX_BYTES:,}")
    text = decode(name, content)
    if name.lower().endswith((".csv", ".tsv")) or _is_table(text):
        return table_numbers(text, name)
    return split_numbers(text)


def portfolio(parts: Iterable[list[str]]) -> list[str]:
    """The numbers of several parts (pasted text, files) in order, each once; none at all is an error."""
    numbers = list(dict.fromkeys(n for part in parts for n in part))
    if not numbers:
        raise PortfolioError("portfolio: paste publication numbers (one per line) or upload a .txt or .csv file",
                             "screen.error_no_numbers")
    return numbers
