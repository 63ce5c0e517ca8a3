"""Renderers: one page's plain dict becomes JSON, CSV (one section of it), Excel (every section) or HTML,
so that API, downloads and UI agree."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response

from ipcockpit.exports import XLSX_TYPE, csv_text, section_rows, sections, xlsx_bytes

FORMATS = ("html", "json", "csv", "xlsx")


def check_format(fmt: str | None, default: str) -> str:
    fmt = (fmt or default).lower()
    if fmt not in FORMATS:
        raise HTTPException(400, f"format={fmt!r} is not offered; use one of {', '.join(FORMATS)}")
    return fmt


def csv_response(data: Mapping[str, Any], section: str | None, page: str) -> Response:
    """One section as CSV (UTF-8 with BOM, so that spreadsheet programs read Chinese correctly)."""
    available = sections(data)
    name = section or (available[0] if available else "")
    if name not in available:
        raise HTTPException(
            400, f"section={name!r} is not part of the {page} page; use one of {', '.join(available)}"
        )
    headers = {"Content-Disposition": f'attachment; filename="{page}-{name}.csv"'}
    return Response(csv_text(section_rows(data, name)), media_type="text/csv; charset=utf-8", headers=headers)


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
