"""The audit log: one row per write (who, when, what, on which target, with which outcome).

The web middleware writes a row for every request that is not GET/HEAD/OPTIONS; the Cockpit's write
methods may add their own (``Cockpit.audit``). A read-only store cannot keep rows: they go to the
``ipcockpit.audit`` logger instead, so that nothing is lost silently.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import duckdb

from ipcockpit.store import Store
from ipcockpit.store.like import ESCAPE, contains_pattern

log = logging.getLogger("ipcockpit.audit")
COLUMNS = ("id", "logged_at", "user_name", "role", "action", "target", "outcome", "status", "detail", "remote")


def record(store: Store, user: str | None, role: str, action: str, target: str | None, outcome: str,
           status: int | None = None, detail: Any = None, remote: str | None = None) -> bool:
    """Append one entry; returns False (and logs it) when the store cannot be written."""
    text = detail if detail is None or isinstance(detail, str) else json.dumps(detail, ensure_ascii=False,
                                                                               default=str)
    values = [datetime.now(), user, role, action, target, outcome, status, text, remote]
    try:
        store.con.execute("INSERT INTO audit_log (logged_at, user_name, role, action, target, outcome, status, detail, "
                            "remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    except duckdb.Error as exc:
        log.warning("audit entry not stored (%s): %s", exc, values)
        return False
    return True


def entries(store: Store, user: str | None = None, action: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Audit entries, newest first; ``user`` and ``action`` (substring) filter."""
    where, params = [], []
    if user:
        where.append("user_name = ?")
        params.append(user)
    if action:
        where.append(f"action LIKE ? {ESCAPE}")
        params.append(contains_pattern(action))
    sql = (f"SELECT {', '.join(COLUMNS)} FROM audit_log {'WHERE ' + ' AND '.join(where) if where else ''} "
           "ORDER BY id DESC LIMIT ?")
    try:
        rows = store.con.execute(sql, [*params, max(1, int(limit))]).fetchall()
    except duckdb.CatalogException:
        return []
    out = []
    for r in rows:
        row = dict(zip(COLUMNS, r, strict=True))
        row["logged_at"] = row["logged_at"].isoformat() if row["logged_at"] else None
        out.append(row)
    return out
