"""Editions of a navigation report (docs/navigation.md, "Editions"): each report saved is the next edition of
its industry and region (table ``nav_editions``, migration 14), kept whole as JSON; a new edition shows what
changed since the one before, number by number (added, removed, changed with old → new), the numbers being
matched by their ids (``<section>/<level>/<row key>/<column>``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import duckdb

TABLE = "nav_editions"


def _region(region: str | None) -> str:
    """The key of a region's editions: None is the default district (as :func:`ipcockpit.navigation.report.build`)."""
    from ipcockpit.navigation.analyses import DEFAULT_DISTRICT

    return region or DEFAULT_DISTRICT


def save(con: duckdb.DuckDBPyConnection, report: dict[str, Any]) -> int:
    """Store ``report`` as the next edition of its industry and region; sets its ``edition`` and its
    ``changes`` (:func:`diff` from the edition before) and returns its number."""
    industry, region = str(report["industry"]["id"]), _region(report["region"].get("code"))
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(f"SELECT coalesce(max(edition), 0) + 1 FROM {TABLE} WHERE industry = ? AND region = ?",
                          [industry, region]).fetchone()
        edition = int(row[0]) if row else 1
        before = load(con, industry, region or None, edition - 1) if edition > 1 else None
        report["edition"] = edition
        report["changes"] = diff(before, report)
        con.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?)",
                    [industry, region, edition, datetime.now(), json.dumps(report, ensure_ascii=False, default=str)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        report["edition"] = None
        report.pop("changes", None)
        raise
    return edition


def listing(con: duckdb.DuckDBPyConnection, industry: str | None = None,
            region: str | None = None) -> list[dict[str, Any]]:
    """The editions saved (of one industry, and region when given), newest first, without their reports."""
    where, params = [], []
    if industry is not None:
        where.append("industry = ?")
        params.append(industry)
        where.append("region = ?")
        params.append(_region(region))
    sql = (f"SELECT industry, region, edition, created_at FROM {TABLE}"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY industry, region, edition DESC")
    return [{"industry": i, "region": r or None, "edition": int(e), "created_at": c.isoformat(timespec="seconds")}
            for i, r, e, c in con.execute(sql, params).fetchall()]


def load(con: duckdb.DuckDBPyConnection, industry: str, region: str | None = None,
         edition: int | None = None) -> dict[str, Any] | None:
    """The report of an edition (the latest when ``edition`` is None), or None when there is none."""
    sql = f"SELECT report FROM {TABLE} WHERE industry = ? AND region = ?"
    params: list[Any] = [industry, _region(region)]
    if edition is not None:
        sql += " AND edition = ?"
        params.append(edition)
    row = con.execute(sql + " ORDER BY edition DESC LIMIT 1", params).fetchone()
    return json.loads(row[0]) if row else None


def numbers(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every number of a report by its id."""
    return {str(n["id"]): n for s in report.get("sections", []) for n in s.get("numbers") or []}


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """What changed from ``old`` to ``new``: the numbers added, removed, and changed (old → new value), and
    the documents of the definition before and after. No ``old``: everything is added."""
    before, after = numbers(old or {}), numbers(new)
    changed = [{"id": k, "label": after[k].get("label"), "old": before[k].get("value"), "new": after[k].get("value")}
               for k in after if k in before and before[k].get("value") != after[k].get("value")]
    return {
        "from": (old or {}).get("edition"), "to": new.get("edition"),
        "documents": {"old": (old or {}).get("industry", {}).get("documents"),
                      "new": new.get("industry", {}).get("documents")},
        "added": [{"id": k, "label": after[k].get("label"), "value": after[k].get("value")}
                  for k in after if k not in before],
        "removed": [{"id": k, "label": before[k].get("label"), "value": before[k].get("value")}
                    for k in before if k not in after],
        "changed": changed,
        "unchanged": sum(1 for k in after if k in before and before[k].get("value") == after[k].get("value")),
    }
