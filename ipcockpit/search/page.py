"""The search page's data (``/search``, ``/api/search``, ``ipcockpit search --json``): one page of results of
:func:`ipcockpit.search.hybrid.search_results` with its total and paging, the patent a number query names,
and example queries taken from the store being searched.

Rules:

- Only documents above the relevance floors are results and count in ``total``; ``weaker`` lets the
  documents below follow them (each row says ``relevant``), so nothing is dropped without a trace; ``best``
  is the best semantic score seen, so "nothing relevant" comes with what came closest.
- Paging: ``page`` (from 1) of ``limit`` results; ``pages`` is the number of pages of the listed documents;
  ``total_exact`` False means a candidate list was cut at its depth while still holding relevant
  documents (there may be more than ``total``: narrow the query or the filters).
- A query written as a patent number is looked up first (``number``): found, the page shows it and the
  documents like it; not in the store, it says so and searches nothing.
- The example numbers are documents of this index, so that trying one finds something.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb

from ipcockpit.model.numbers import cn_check_digit
from ipcockpit.search import hybrid

_EXAMPLES: dict[tuple[str, str], dict[str, str | None]] = {}


def examples(con: duckdb.DuckDBPyConnection, folder: Path, built: str | None = None) -> dict[str, str | None]:
    """:func:`find_examples`, kept per index folder and build (``built``: when the index was built)."""
    key = (str(folder), str(built))
    if key not in _EXAMPLES:
        if len(_EXAMPLES) > 16:
            _EXAMPLES.clear()
        _EXAMPLES[key] = find_examples(con, folder)
    return dict(_EXAMPLES[key])


def find_examples(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, str | None]:
    """Example queries that exist in this index: ``number`` (a CN publication with a title: one with its
    application number first, then a grant), ``zl`` (that application number written ZL..., when the store
    has it with 8 or 12 digits) and ``other`` (a publication of another office, a grant first)."""
    out: dict[str, str | None] = {"number": None, "zl": None, "other": None}
    try:
        indexed = hybrid.indexed_ids(folder)
    except hybrid.IndexMissingError:
        return out
    if not indexed:
        return out
    rows = con.execute(
        "SELECT doc_id, office, app_id FROM documents WHERE NOT coalesce(stub, false) AND title IS NOT NULL "
        "ORDER BY office <> 'CN', app_id IS NULL, coalesce(stage = 'grant', false) DESC, doc_id"
    ).fetchall()
    for doc_id, office, app_id in rows:
        if doc_id not in indexed:
            continue
        if office == "CN" and out["number"] is None:
            out["number"] = doc_id
            digits = (app_id or "")[2:]
            if digits.isdigit() and len(digits) in (8, 12):
                out["zl"] = f"ZL{digits}.{cn_check_digit(digits)}"
        elif office != "CN" and out["other"] is None:
            out["other"] = doc_id
        if out["number"] and out["other"]:
            break
    if out["number"] is None:  # no CN document: the other office's one is the example
        out["number"], out["other"] = out["other"], None
    return out


def search_page(con: duckdb.DuckDBPyConnection, folder: Path, status: dict[str, Any], query: str, *,
                limit: int = 20, mode: str = "hybrid", filters: dict[str, Any] | None = None,
                shown_filters: dict[str, Any] | None = None, page: int = 1, weaker: bool = False) -> dict[str, Any]:
    """The page's dict (see the module text). ``status``: what the index holds (``Cockpit.index_status``);
    ``filters``: the search filters as :func:`~ipcockpit.search.hybrid.search` takes them,
    ``shown_filters`` every filter of the page as the user gave it (None: not given)."""
    page = max(1, int(page))
    found: dict[str, Any] = {"results": [], "total": 0, "total_exact": True, "weaker": 0, "best": None,
                             "floors": {}, "lexical_matches": None, "by_office_year": [], "number": None,
                             "depth": None}
    if query:
        found = hybrid.search_results(con, folder, query, limit=limit, offset=(page - 1) * limit,
                                      filters=filters, mode=mode, weaker=weaker)
    listed = found["total"] + (found["weaker"] if weaker else 0)
    first = (page - 1) * limit + 1 if found["results"] else 0
    return {
        "query": query, "mode": mode, "limit": limit, "page": page, "page_size": limit,
        "pages": math.ceil(listed / limit) if listed else 0,
        "total": found["total"], "total_exact": found["total_exact"], "weaker": found["weaker"],
        "show_weaker": weaker, "listed": listed,
        "count": len(found["results"]), "first": first, "last": first + len(found["results"]) - 1 if first else 0,
        "results": found["results"], "best": found["best"], "floors": found["floors"],
        "lexical_matches": found["lexical_matches"], "depth": found["depth"], "number": found["number"],
        "by_office_year": found["by_office_year"],
        "filters": dict(shown_filters or {}),
        "examples": examples(con, folder, status.get("built_at")) if status.get("exists")
        else {"number": None, "zl": None, "other": None},
        "index": {k: status[k] for k in ("exists", "built_at", "documents", "lexical", "vectors", "claims")},
    }
