"""What the Chinese search-system exports (SIPO TRS, pss-system, CNKI field lists) share: numbers that can be
trusted from spreadsheet cells, and a workbook's first rows read once for all the formats that sniff them.

Numbers. A spreadsheet damages numbers: a 12-digit application number shown in General format becomes
``2.0101E+11`` (its last digits rounded away), a CSV saved from that sheet keeps the rounded text, and a number
cell loses a check digit ``X`` or ``0`` and any leading zero. So:

- an application number (``CN201010554637.7``, ``201010554637.7``, ``ZL201010554637.7``, 8 or 12 digits) is
  trusted when its check digit (:func:`ipcockpit.model.numbers.cn_check_digit`) matches, or when it is text of 8
  or 12 digits written without one;
- a number cell is trusted only when its fraction is a check digit 1-9 that matches: a rounded number has no
  fraction, and a check digit 0 cannot be told from none;
- a number in scientific notation is never trusted.

An untrusted application number gives no ``app_id``; its text stays in ``extra['app_number_raw']`` with the
reason in ``extra['number_notes']``, and the record is keyed on its publication number. A publication number
(office, digits, kind: ``CN102110728A``) must be text of that shape; a record whose key cannot be trusted is
quarantined with the file, the line and the column in the reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ipcockpit.ingest.base import Source
from ipcockpit.ingest.cn_table import cell_text, sheet_rows
from ipcockpit.model.numbers import cn_check_digit

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (BIFF in an OLE compound file)
ZIP = b"PK\x03\x04"  # .xlsx
HEAD_ROWS = 6

#: a whole cell in scientific notation, signed as Excel writes it: 2.01011E+11
_SCIENTIFIC = re.compile(r"(?:CN|ZL)?\d+(?:[.,]\d*)?E[+-]\d+", re.I)
_APP = re.compile(r"(?:CN|ZL)?(\d{8}|\d{12})(?:\.?([\dX]))?")
_PUB = re.compile(r"([A-Z]{2})(\d{6,10})([A-Z]\d?)?")
_NAME_SEP = re.compile(r"[;；\n]")
_MARKUP = re.compile(r"</?(?:base:)?(?:sub|sup|su[bp]script|i|b)>", re.I)


@dataclass(frozen=True, slots=True)
class Number:
    """A number read from a cell: ``value`` (canonical, or None when it cannot be trusted), ``raw`` (the cell as
    text), ``why`` (the reason it is not trusted)."""

    value: str | None
    raw: str | None
    why: str | None = None


def raw_text(cell: object) -> str | None:
    """A cell as the text a person sees: a whole number without ``.0``; None for an empty cell."""
    if cell is None or isinstance(cell, bool):
        return None if cell is None else str(cell)
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    text = str(cell).strip()
    return text or None


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def cn_application(cell: object) -> Number:
    """The ``app_id`` (``CN201010554637``) of an application-number cell, by the rules of the module docstring."""
    raw = raw_text(cell)
    if raw is None:
        return Number(None, None)
    text = _compact(raw)
    if _SCIENTIFIC.fullmatch(text):
        return Number(None, raw, f"{raw} is in scientific notation: a spreadsheet rounded it and its digits are lost")
    m = _APP.fullmatch(text)
    if not m:
        return Number(None, raw, f"{raw} is not a CN application number (8 or 12 digits and a check digit)")
    digits, check = m.groups()
    numeric = isinstance(cell, (int, float)) and not isinstance(cell, bool)
    if check is None:
        if numeric:
            return Number(None, raw, f"{raw} is a number cell without its check digit: a spreadsheet may have "
                          "rounded it, and nothing confirms its digits")
        return Number("CN" + digits, raw)
    if numeric and check == "0":
        return Number(None, raw, f"{raw} is a number cell: its check digit 0 cannot be told from a rounded number")
    if cn_check_digit(digits) != check:
        return Number(None, raw, f"{raw}: the check digit of {digits} is {cn_check_digit(digits)}, not {check}; "
                      "the number is mistyped or damaged")
    return Number("CN" + digits, raw)


def cn_publication(cell: object) -> tuple[tuple[str, str, str | None] | None, str | None, str | None]:
    """(office, number, kind) of a publication-number cell, its raw text, and why it cannot be used (None when it
    can, or when the cell is empty: then all three are None)."""
    raw = raw_text(cell)
    if raw is None:
        return None, None, None
    text = _compact(raw)
    if isinstance(cell, (int, float)) or _SCIENTIFIC.fullmatch(text):
        return None, raw, (f"{raw} is in scientific notation or a number cell: a publication number is text "
                           "(office, digits and kind, e.g. CN102110728A) and its digits are lost")
    m = _PUB.fullmatch(text)
    if not m:
        return None, raw, f"{raw} is not a publication number (office, digits and kind, e.g. CN102110728A)"
    return (m.group(1), m.group(2).lstrip("0") or "0", m.group(3)), raw, None


def split_names(text: str | None) -> list[str]:
    """The names of a cell these exports separate with ``;`` (``深圳大学 ; 张会生``). Unlike
    :func:`ipcockpit.ingest.cn_table.split_multi`, never at ``、`` or ``,``: they occur inside one name
    (``中山大学肿瘤防治中心(中山大学附属肿瘤医院、中山大学肿瘤研究所)``)."""
    return [n for n in (p.strip() for p in _NAME_SEP.split(text or "")) if n]


def plain_title(text: str | None) -> str | None:
    """A title without the sub/superscript markup pss-system and CNKI write into chemical formulas
    (``Al<sub>7</sub>O<sub>3</sub>N``, ``TiO<base:Sub>2</base:Sub>`` -> ``Al7O3N``, ``TiO2``)."""
    return _MARKUP.sub("", text).strip() if text else text


def is_workbook(source: Source) -> bool:
    """The content is an .xls or .xlsx workbook, whatever the file is called."""
    head = source.head(8)
    return head.startswith(OLE) or head.startswith(ZIP)


def head_rows(source: Source) -> list[list[str]]:
    """The first :data:`HEAD_ROWS` rows of a workbook's first sheet as text, read once per source (several
    formats sniff them); [] when it is no workbook or cannot be read."""
    cached = getattr(source, "_ipc_head_rows", None)
    if cached is not None:
        return cached
    out: list[list[str]] = []
    if is_workbook(source):
        try:
            for _, rows in sheet_rows(source):
                for i, row in enumerate(rows):
                    if i >= HEAD_ROWS:
                        break
                    out.append([cell_text(c) or "" for c in row])
                break
        except Exception:  # noqa: BLE001 - an unreadable workbook is simply none of these formats
            out = []
    source._ipc_head_rows = out  # type: ignore[attr-defined]
    return out


def first_sheet(source: Source) -> Iterator[tuple[str, list[Any]]]:
    """("line N", cells) for each row of the first sheet after the header (line 1), blank rows left out."""
    for _, rows in sheet_rows(source):
        for i, row in enumerate(rows):
            if i and any(c not in (None, "") and str(c).strip() for c in row):
                yield f"line {i + 1}", list(row)
        return
