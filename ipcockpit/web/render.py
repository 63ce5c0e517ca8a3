"""Renderers: one page's plain dict becomes JSON, CSV (one section of it), Excel (every section) or HTML,
so that API, downloads and UI agree."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response

FORMATS = ("html", "json", "csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: the sheet of an Excel download that holds the page's single values (counts, filters ...)
FIELDS_SHEET = "fields"
EXCEL_CELL_CHARS = 32_767  # the most characters an Excel cell holds
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def check_format(fmt: str | None, default: str) -> str:
    fmt = (fmt or default).lower()
    if fmt not in FORMATS:
        raise HTTPException(400, f"format={fmt!r} is not offered; use one of {', '.join(FORMATS)}")
    return fmt


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


def csv_response(data: Mapping[str, Any], section: str | None, page: str) -> Response:
    """One section as CSV (UTF-8 with BOM, so that spreadsheet programs read Chinese correctly)."""
    available = sections(data)
    name = section or (available[0] if available else "")
    if name not in available:
        raise HTTPException(
            400, f"section={name!r} is not part of the {page} page; use one of {', '.join(available)}"
        )
    rows = section_rows(data, name)
    columns = _columns(rows)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=columns or ["value"], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    headers = {"Content-Disposition": f'attachment; filename="{page}-{name}.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def xlsx_bytes(data: Mapping[str, Any]) -> bytes:
    """An Excel workbook of a page dict: one sheet per section (the rows :func:`section_rows` gives the CSV
    download, same columns, same order) and a sheet ``fields`` of the page's single values.

    Text is written as text, never as a formula (a cell of raw data starting with ``=`` stays inert);
    characters Excel cannot hold (control characters) are dropped and a cell keeps at most 32,767."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()

    def sheet(name: str, columns: list[str], rows: list[Mapping[str, Any]]) -> None:
        ws = book.create_sheet(_sheet_name(name, used))
        ws.freeze_panes = "A2"
        header = []
        for c in columns:
            cell = WriteOnlyCell(ws, value=_excel_value(c))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for r in rows:
            cells = []
            for c in columns:
                cell = WriteOnlyCell(ws, value=_excel_value(r.get(c)))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text even when it starts with '=': raw data never becomes a formula
                cells.append(cell)
            ws.append(cells)

    scalars = [{"name": k, "value": "; ".join(map(str, v)) if isinstance(v, list) else v}
               for k, v in data.items() if not isinstance(v, list | dict) or _is_scalar_list(v)]
    if scalars:
        sheet(FIELDS_SHEET, ["name", "value"], scalars)
    for name in sections(data):
        rows = section_rows(data, name)
        sheet(name, _columns(rows) or ["value"], rows)
    if not book.worksheets:
        sheet(FIELDS_SHEET, ["name", "value"], [])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(data: Mapping[str, Any], page: str) -> Response:
    """The page's data as an Excel download named ``{page}.xlsx``."""
    headers = {"Content-Disposition": f'attachment; filename="{page}.xlsx"'}
    return Response(xlsx_bytes(data), media_type=XLSX_TYPE, headers=headers)


def data_response(data: Mapping[str, Any], fmt: str, section: str | None, page: str) -> Response:
    """An API answer in the format asked for (:func:`check_format`): CSV (``section``, else the first
    table), Excel (every table) or JSON (``html`` too: an API has no page)."""
    if fmt == "csv":
        return csv_response(data, section, page)
    if fmt == "xlsx":
        return xlsx_response(data, page)
    return json_response(data)


def json_response(data: Any, status_code: int = 200) -> Response:
    """JSON of a page's dict, encoded once (dates and other values as their text)."""
    body = json.dumps(data, default=str, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), status_code=status_code, media_type="application/json")


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


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for r in rows:
        columns += [c for c in r if c not in columns]
    return columns


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

