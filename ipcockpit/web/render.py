"""Renderers: one page's plain dict becomes JSON, CSV (one section of it) or HTML, so API and UI agree."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response

FORMATS = ("html", "json", "csv")


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
    columns: list[str] = []
    for r in rows:
        columns += [c for c in r if c not in columns]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=columns or ["value"], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    headers = {"Content-Disposition": f'attachment; filename="{page}-{name}.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


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
