"""Downloads of a page's dict, for the web app and the CLI: its tables as CSV and as an Excel workbook.

A page's dict holds single values (counts, filters) and tables (lists of rows, mappings). :func:`sections`
names the tables in declared order; :func:`section_rows` flattens one into rows (lists joined with ``; ``,
mappings as JSON), so that the CSV of a section and the Excel sheet of the same name hold the same columns
and rows.

CSV: UTF-8 with a BOM by default, so that spreadsheet programs read Chinese as UTF-8; on request GB18030
without a BOM (:data:`CSV_ENCODINGS`), the encoding Excel on Chinese Windows assumes for a CSV file (the
system code page, GBK, of which GB18030 is the superset: every character can be written, those beyond GBK
as four bytes).

Labels: :func:`labelled` gives the tables as people read them, for the web app's downloads: each column under
its label in the caller's language (the catalogue's ``column.<table>.<field>``, ``column.<field>`` ...:
:data:`HEADERS`; a field without one keeps its id),
coded values in words (:data:`CODED`), yes and no as words; the JSON keeps the ids, and ``?columns=ids`` gives
the ids in a download too.

Excel: text is always written as text. A cell of raw data that starts with ``=`` (or ``+``, ``-``, ``@``)
stays inert text, never a formula a spreadsheet would run; characters Excel cannot hold (control
characters) are dropped and a cell keeps at most 32,767 characters. This is the one Excel writer of the
project: the web downloads (``?format=xlsx``) and ``ipcockpit screen --xlsx`` both write through it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ipcockpit.i18n import Translator

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: the sheet of a workbook that holds the page's single values (counts, filters ...)
FIELDS_SHEET = "fields"
EXCEL_CELL_CHARS = 32_767  # the most characters an Excel cell holds
#: the encodings a CSV can be written in; the first is the default
CSV_ENCODINGS = ("utf-8", "gb18030")
_ENCODING_NAMES = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "gb18030": "gb18030",
                   "gb-18030": "gb18030"}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
#: coded values shown in words by :func:`labelled`: a column's catalogue keys, tried in order (``{}``: the value);
#: a value no key names is kept as it is
CODED: dict[str, tuple[str, ...]] = {
    "nature": ("strength.nature.{}",), "nature_basis": ("strength.basis.{}",), "doc_type": ("doc_type.{}",),
    "stage": ("stage.{}",), "role": ("role.{}",), "holder_role": ("role.{}",), "rule": ("role.{}",),
    "kind": ("region.kind.{}",), "level": ("region.level.{}",), "label": ("graph.label.{}",),
    "relationship": ("graph.relationship.{}",), "condition": ("condition.{}",),
    "status": ("cockpit.status_{}", "nav.status.{}"), "source": ("cockpit.source_{}",), "mode": ("cockpit.source_{}",),
    "provenance_kind": ("cockpit.kind_{}",), "origin": ("cockpit.origin_{}",),
    "coverage_status": ("cockpit.coverage_status_{}",), "in_force": ("answer.{}",), "high_value": ("answer.{}",),
    "direction": ("region.direction.{}",), "why_unknown": ("region.why.{}",), "event_class": ("event.{}",),
    "reason_code": ("quarantine.code.{}",), "field": ("quarantine.field.{}",),
    # a table's own codes (``<table>.<field>``), before the general ones: a signal case's status is not a patent's
    "signals.kind": ("signals.kind.{}",), "signals.status": ("signals.status.{}",),
}
#: where a column's label is looked up, in order (``{section}``: the table's id, ``{field}``: the column's);
#: a table may add its own (:data:`SECTION_HEADERS`)
HEADERS = ("column.{section}.{field}", "column.{field}", "condition.{field}")
SECTION_HEADERS: dict[str, tuple[str, ...]] = {"graph": ("graph.label.{field}", "graph.relationship.{field}"),
                                               "quality": ("quality.{field}",)}


def sections(data: Mapping[str, Any]) -> list[str]:
    """The parts of a page dict that are tables (lists of rows or mappings), in declared order."""
    return [k for k, v in data.items() if isinstance(v, list | dict) and not _is_scalar_list(v)]


def section_rows(data: Mapping[str, Any], section: str) -> list[dict[str, Any]]:
    """One section of a page dict as flat rows.

    A list of dicts stays as it is; a mapping of scalars becomes ``name, value`` rows; a mapping of
    mappings (e.g. quality checks) becomes one row per key with the inner scalars as columns.
    """
    value = data[section]
    if isinstance(value, list):
        return [_flat(r) if isinstance(r, Mapping) else {"value": r} for r in value]
    rows = []
    for name, inner in value.items():
        if isinstance(inner, Mapping):
            rows.append({"name": name, **_flat(inner)})
        else:
            rows.append({"name": name, "value": inner})
    return rows


def columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every column of ``rows``, in the order they first appear."""
    out: list[str] = []
    for r in rows:
        out += [c for c in r if c not in out]
    return out


def csv_text(rows: list[dict[str, Any]], bom: bool = True, empty: list[str] | None = None) -> str:
    """Rows as CSV text (CRLF lines; a UTF-8 BOM by default, so that spreadsheet programs read Chinese);
    ``empty``: the header when there are no rows (default ``value``)."""
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=columns(rows) or empty or ["value"], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def csv_encoding(name: str | None) -> str:
    """The CSV encoding ``name`` means (``utf-8`` when None or empty); ValueError naming the choices for any
    other."""
    if name is None or not name.strip():
        return CSV_ENCODINGS[0]
    found = _ENCODING_NAMES.get(name.strip().lower())
    if found is None:
        raise ValueError(f"encoding {name!r} is not offered for CSV; use {' or '.join(CSV_ENCODINGS)}")
    return found


def csv_bytes(rows: list[dict[str, Any]], encoding: str | None = None, empty: list[str] | None = None) -> bytes:
    """Rows as a CSV file's bytes: UTF-8 with a BOM (default) or GB18030 without one (:func:`csv_encoding`);
    ``empty`` as :func:`csv_text`."""
    chosen = csv_encoding(encoding)
    if chosen == "utf-8":
        return csv_text(rows, empty=empty).encode("utf-8")
    return csv_text(rows, bom=False, empty=empty).encode(chosen)


def labelled(data: Mapping[str, Any], t: Translator) -> dict[str, Any]:
    """``data`` as people read it, in ``t``'s language: every table (:func:`sections`) as the rows of
    :func:`section_rows` with each column under its label and coded values in words (see the module docstring);
    the names of a mapping's rows (``name``) and of the single values labelled too. Sections keep their ids,
    so ``?section=`` names the same table either way; a label two columns share is followed by the id."""
    def label(field: str, used: set[str], section: str = "") -> str:
        patterns = (*HEADERS, *SECTION_HEADERS.get(section, ())) if section else HEADERS[1:]
        keys = (k.format(section=section, field=field) for k in patterns)
        text = next((t(k) for k in keys if t.has(k)), field)
        text = text if text not in used else f"{text} ({field})"
        used.add(text)
        return text

    def word(field: str, value: Any, section: str) -> Any:
        if isinstance(value, bool):
            return t("answer.yes" if value else "answer.no")
        patterns = CODED.get(f"{section}.{field}") or CODED.get(field)
        if isinstance(value, str) and patterns:
            for pattern in patterns:
                if t.has(pattern.format(value)):
                    return t(pattern.format(value))
        return value

    out: dict[str, Any] = {}
    tables = set(sections(data))
    scalars: set[str] = set(tables)
    for key, value in data.items():
        if key not in tables:
            out[label(key, scalars)] = value
            continue
        rows = section_rows(data, key)
        header: set[str] = set()
        names = {c: label(c, header, key) for c in columns(rows)}
        mapping = isinstance(value, Mapping)
        out[key] = [{names[c]: label(v, set(), key) if mapping and c == "name" and isinstance(v, str)
                     else word(c, v, key) for c, v in r.items()} for r in rows]
    return out


def xlsx_bytes(data: Mapping[str, Any], header: tuple[str, str] = ("name", "value"), empty: str = "value") -> bytes:
    """An Excel workbook of a page dict: one sheet per section (the rows :func:`section_rows` gives the CSV
    download, same columns, same order) and a sheet ``fields`` of the page's single values (columns
    ``header``); an empty table's one column is ``empty``."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()

    def sheet(name: str, names: list[str], rows: list[Mapping[str, Any]]) -> None:
        ws = book.create_sheet(_sheet_name(name, used))
        ws.freeze_panes = "A2"
        header = []
        for c in names:
            cell = WriteOnlyCell(ws, value=_excel_value(c))
            cell.font = bold
            cell.data_type = "s"
            header.append(cell)
        ws.append(header)
        for r in rows:
            cells = []
            for c in names:
                cell = WriteOnlyCell(ws, value=_excel_value(r.get(c)))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text even when it starts with '=': raw data never becomes a formula
                cells.append(cell)
            ws.append(cells)

    scalars = [{"name": k, "value": "; ".join(map(str, v)) if isinstance(v, list) else v}
               for k, v in data.items() if not isinstance(v, list | dict) or _is_scalar_list(v)]
    if scalars:
        sheet(FIELDS_SHEET, list(header), [{header[0]: r["name"], header[1]: r["value"]} for r in scalars])
    for name in sections(data):
        rows = section_rows(data, name)
        sheet(name, columns(rows) or [empty], rows)
    if not book.worksheets:
        sheet(FIELDS_SHEET, list(header), [])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_xlsx(data: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """:func:`xlsx_bytes` of ``data`` written to ``path`` (e.g. ``{"patents": rows}``: one sheet)."""
    Path(path).write_bytes(xlsx_bytes(data))


def _flat(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, list):
            out[k] = "; ".join(str(x) for x in v)
        elif isinstance(v, Mapping):
            out[k] = json.dumps(v, ensure_ascii=False, default=str)
        else:
            out[k] = v
    return out


def _is_scalar_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and not isinstance(value[0], Mapping)


def _sheet_name(name: str, used: set[str]) -> str:
    """A sheet title Excel accepts (at most 31 characters, none of []:*?/\\), unique in the workbook."""
    base = _SHEET_BAD.sub("_", name)[:31] or "sheet"
    title, n = base, 1
    while title.lower() in used:
        n += 1
        title = f"{base[:31 - len(str(n)) - 1]}_{n}"
    used.add(title.lower())
    return title


def _excel_value(value: Any) -> Any:
    """A value openpyxl writes as it is (numbers, dates, booleans, text without control characters)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, datetime):  # Excel keeps milliseconds and no time zone: the clock time, cut to ms
        return value.replace(microsecond=value.microsecond // 1000 * 1000, tzinfo=None)
    if value is None or isinstance(value, bool | int | date | time | timedelta):
        return value
    if isinstance(value, float | Decimal):
        f = float(value)
        return f if math.isfinite(f) else None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str) \
        if isinstance(value, list | dict) else str(value)
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:EXCEL_CELL_CHARS]
