"""What a role may see: the publication state of reported values, and portfolios kept per user.

Reported values are unpublished when entered; an analyst or admin publishes them. The plan's baselines
(origin ``plan``) and a profile's series (origin ``profile``) are published by definition. Public
visitors and enterprise users see, for each region, indicator and year, the latest *published* report
(view ``reported_public``); analysts and admins see the latest report (``reported_current``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from ipcockpit.auth import AccessError
from ipcockpit.store import Store

PUBLISHED_ORIGINS = ("plan", "profile")


# publication -------------------------------------------------------------------------------------
def publish(store: Store, ids: list[int], by: str, published: bool = True) -> list[dict[str, Any]]:
    """Set the publication state of reported values (by their ``id``); all or nothing."""
    con = store.con
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        raise AccessError("publish: give the ids of the reported values (GET /api/cockpit/reported lists them)")
    marks = ", ".join("?" for _ in wanted)
    found = {r[0] for r in con.execute(f"SELECT id FROM reported_values WHERE id IN ({marks})", wanted).fetchall()}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise AccessError(f"publish: no reported value with id {', '.join(map(str, missing))}; "
                          "GET /api/cockpit/reported lists the ids")
    now = datetime.now()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM reported_publication WHERE reported_id IN ({marks})", wanted)
        con.executemany("INSERT INTO reported_publication VALUES (?, ?, ?, ?)",
                        [[i, published, by, now] for i in wanted])
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    return publication(store, wanted)


def publication(store: Store, ids: list[int] | None = None) -> list[dict[str, Any]]:
    """``{id, published, published_by, published_at}`` of reported values (all when ``ids`` is None)."""
    where, params = "", []
    if ids is not None:
        if not ids:
            return []
        where, params = f"WHERE r.id IN ({', '.join('?' for _ in ids)})", list(ids)
    try:
        rows = store.con.execute(
            "SELECT r.id, r.origin IN ('plan', 'profile') OR coalesce(p.published, false), p.changed_by, "
            f"p.changed_at FROM reported_values r LEFT JOIN reported_publication p ON p.reported_id = r.id {where} "
            "ORDER BY r.id", params).fetchall()
    except duckdb.CatalogException:
        return []
    return [{"id": i, "published": bool(pub), "published_by": by, "published_at": at.isoformat() if at else None}
            for i, pub, by, at in rows]


def published_ids(store: Store) -> set[int]:
    return {r["id"] for r in publication(store) if r["published"]}


def only_published(rows: list[dict[str, Any]], store: Store) -> list[dict[str, Any]]:
    """Keep the reported rows (dicts with ``id``) that are published, e.g. the result of Cockpit.reported()."""
    ok = published_ids(store)
    return [r for r in rows if r.get("id") in ok]


def public_current_values(store: Store, region: str) -> dict[str, dict[int, dict[str, Any]]]:
    """The latest published report of each indicator and year of ``region``: ``{indicator: {year: row}}``,
    the shape of :func:`ipcockpit.cockpit.reported.current_values`, for the cockpit public users see."""
    from ipcockpit.cockpit.reported import COLUMNS, execute

    try:
        cur = execute(store, "SELECT {columns} FROM reported_public WHERE region = ? ORDER BY indicator, year",
                      [region])
    except duckdb.CatalogException:
        return {}
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for r in cur.fetchall():
        row = dict(zip(COLUMNS, r, strict=True))
        out.setdefault(row["indicator"], {})[int(row["year"])] = row
    return out


# portfolios ------------------------------------------------------------------------------------------
def save_portfolio(store: Store, owner: str, name: str, numbers: list[str], result: Any = None) -> dict[str, Any]:
    """Keep a portfolio (its numbers and, optionally, its screening result) for ``owner``."""
    if not owner:
        raise AccessError("portfolio: log in to keep a portfolio")
    clean = [str(n).strip() for n in numbers if str(n).strip()]
    if not clean:
        raise AccessError(f"portfolio {name!r}: give at least one publication or application number")
    rows = store.con.execute(
        "INSERT INTO portfolios (owner, name, numbers, result, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        [owner, (name or "").strip() or "portfolio", json.dumps(clean, ensure_ascii=False),
         None if result is None else json.dumps(result, ensure_ascii=False, default=str), datetime.now()],
    ).fetchall()
    return portfolio(store, owner, int(rows[0][0])) or {}


def portfolios(store: Store, owner: str) -> list[dict[str, Any]]:
    """The portfolios of ``owner`` only, newest first (without their results)."""
    rows = store.con.execute("SELECT id, name, numbers, created_at FROM portfolios WHERE owner = ? "
                               "ORDER BY id DESC", [owner]).fetchall()
    return [{"id": i, "owner": owner, "name": n, "numbers": json.loads(nums), "count": len(json.loads(nums)),
             "created_at": at.isoformat()} for i, n, nums, at in rows]


def portfolio(store: Store, owner: str, portfolio_id: int) -> dict[str, Any] | None:
    """One portfolio of ``owner``; None when it does not exist or belongs to someone else."""
    rows = store.con.execute("SELECT id, name, numbers, result, created_at FROM portfolios "
                               "WHERE id = ? AND owner = ?", [portfolio_id, owner]).fetchall()
    if not rows:
        return None
    i, n, nums, result, at = rows[0]
    numbers = json.loads(nums)
    return {"id": i, "owner": owner, "name": n, "numbers": numbers, "count": len(numbers),
            "created_at": at.isoformat(), "result": json.loads(result) if result else None}
