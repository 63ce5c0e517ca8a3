"""The audit log: one row per write (who, when, what, on which target, with which outcome).

The web middleware writes a row for every request that is not GET/HEAD/OPTIONS; the Cockpit's write
methods may add their own (``Cockpit.audit``). A store open for writing keeps the rows in its table
``audit_log``; a store open read-only (a server without ``--writable``) in its sidecar file
(:mod:`ipcockpit.auth.sidecar`). :func:`entries` reads both, newest first, each entry saying where it is
kept (``kept_in``: ``store`` or ``sidecar``). A row that cannot be kept anywhere goes to the
``ipcockpit.audit`` logger, so that nothing is lost silently.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime
from typing import Any

import duckdb

from ipcockpit.auth import sidecar
from ipcockpit.store import Store

log = logging.getLogger("ipcockpit.audit")
COLUMNS = ("id", "logged_at", "user_name", "role", "action", "target", "outcome", "status", "detail", "remote")
INSERT = ("INSERT INTO audit_log (logged_at, user_name, role, action, target, outcome, status, detail, remote) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def record(store: Store, user: str | None, role: str, action: str, target: str | None, outcome: str,
           status: int | None = None, detail: Any = None, remote: str | None = None) -> bool:
    """Append one entry (to the sidecar when the store is read-only); returns False (and logs it) when it
    cannot be kept."""
    text = detail if detail is None or isinstance(detail, str) else json.dumps(detail, ensure_ascii=False,
                                                                               default=str)
    values: list[Any] = [datetime.now(), user, role, action, target, outcome, status, text, remote]
    try:
        if store.read_only:
            with sidecar.connect(store.path) as con:
                con.execute(INSERT, [values[0].isoformat(), *values[1:]])
        else:
            store.con.execute(INSERT, values)
    except (duckdb.Error, sqlite3.Error, OSError, sidecar.SidecarError) as exc:
        log.warning("audit entry not stored (%s): %s", exc, values)
        return False
    return True


def entries(store: Store, user: str | None = None, action: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Audit entries of the store and of its sidecar, newest first; ``user`` and ``action`` (a substring,
    taken literally) filter."""
    where, params = [], []
    if user:
        where.append("user_name = ?")
        params.append(user)
    if action:
        where.append("instr(action, ?) > 0")
        params.append(action)
    limit = max(1, int(limit))
    sql = (f"SELECT {', '.join(COLUMNS)} FROM audit_log {'WHERE ' + ' AND '.join(where) if where else ''} "
           "ORDER BY id DESC LIMIT ?")
    out: list[dict[str, Any]] = []
    try:
        out += [_row(r, "store") for r in store.con.execute(sql, [*params, limit]).fetchall()]
    except duckdb.CatalogException:
        pass
    if sidecar.exists(store.path):
        try:
            with sidecar.connect(store.path) as con:
                out += [_row(r, "sidecar") for r in con.execute(sql, [*params, limit]).fetchall()]
        except (sqlite3.Error, OSError, sidecar.SidecarError) as exc:
            log.warning("audit entries of %s not read: %s", sidecar.path_for(store.path), exc)
    out.sort(key=lambda e: (e["logged_at"] or "", e["id"]), reverse=True)
    return out[:limit]


def _row(values: tuple[Any, ...], kept_in: str) -> dict[str, Any]:
    row = dict(zip(COLUMNS, values, strict=True))
    at = row["logged_at"]
    row["logged_at"] = at.isoformat() if isinstance(at, datetime) else at
    row["kept_in"] = kept_in
    return row
