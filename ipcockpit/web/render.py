"""Renderers: one page's plain dict becomes JSON, CSV (one section of it) or Excel (every section), so that
API, downloads and UI agree (HTML: :meth:`ipcockpit.web.context.Web.html`). The tables are
:mod:`ipcockpit.exports`'s."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi.responses import Response

from ipcockpit.exports import XLSX_TYPE, csv_bytes, csv_encoding, section_rows, sections, xlsx_bytes
from ipcockpit.web.errors import BadRequest

FORMATS = ("html", "json", "csv", "xlsx")


def csv_response(data: Mapping[str, Any], section: str | None, page: str, encoding: str | None = None,
                 empty: str = "value") -> Response:
    """One section as CSV: UTF-8 with BOM, so that spreadsheet programs read Chinese correctly, or GB18030
    (``encoding``), for Excel on Chinese Windows; an empty section's one column is ``empty``."""
    try:
        chosen = csv_encoding(encoding)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    available = sections(data)
    name = section or (available[0] if available else "")
    if name not in available:
        raise BadRequest(f"section={name!r} is not part of the {page} page; use one of {', '.join(available)}")
    headers = {"Content-Disposition": f'attachment; filename="{page}-{name}.csv"'}
    return Response(csv_bytes(section_rows(data, name), chosen, empty=[empty]),
                    media_type=f"text/csv; charset={chosen}", headers=headers)


def xlsx_response(data: Mapping[str, Any], page: str, header: tuple[str, str] = ("name", "value"),
                  empty: str = "value") -> Response:
    """The page's data as an Excel download named ``{page}.xlsx`` (``header``, ``empty``: see
    :func:`ipcockpit.exports.xlsx_bytes`)."""
    headers = {"Content-Disposition": f'attachment; filename="{page}.xlsx"'}
    return Response(xlsx_bytes(data, header, empty), media_type=XLSX_TYPE, headers=headers)


def json_response(data: Any, status_code: int = 200) -> Response:
    """JSON of a page's dict, encoded once (dates and other values as their text)."""
    body = json.dumps(data, default=str, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), status_code=status_code, media_type="application/json")
