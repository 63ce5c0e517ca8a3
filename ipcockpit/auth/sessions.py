"""Server-side sessions of the web app: the cookie names a session, its record says whether it still holds.

* A session is a random 256-bit id. The browser gets it once, signed, in the session cookie; at rest only
  its SHA-256 is kept (``id_hash``), so that someone who reads the store cannot use a session.
* Its record: the user, ``created_at``, ``last_seen``, ``expires_at`` (the absolute end, ``session_hours``
  after the login), ``revoked_at`` (when it was ended) and the client's address. Times are seconds since
  the epoch (:func:`now`, which tests replace).
* It holds while it is not revoked, before ``expires_at`` and within the idle time since it was last seen
  (``session_idle_minutes``); ``last_seen`` is written at most once a minute per session.
* The session's CSRF token is derived from its id (:mod:`ipcockpit.web.auth`): bound to it, never stored,
  void when it ends.
* It ends on logout, when its user is disabled or gets a new password, and when an admin ends the user's
  sessions (``ipcockpit user logout``, ``POST /api/users/{name}/logout``).

Where: a writable store keeps them in its table ``web_sessions`` (migration 9); a store open read-only (a
server without ``--writable``) in its sidecar file (:mod:`ipcockpit.auth.sidecar`). Ending a user's
sessions ends them in both. This module never imports the web framework.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sqlite3
import time
from datetime import datetime
from typing import Any

import duckdb

from ipcockpit.auth import sidecar
from ipcockpit.store import Store

log = logging.getLogger("ipcockpit.auth.sessions")
#: seconds between two writes of a session's ``last_seen``
TOUCH_EVERY = 60.0
#: ended or expired sessions are deleted this many seconds after they ended
KEEP_ENDED = 30 * 24 * 3600.0
SECRET_NAME = "session"


def now() -> float:
    """The time sessions are measured by (seconds since the epoch); tests replace it."""
    return time.time()


def new_id() -> str:
    return secrets.token_urlsafe(32)


def hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class _Where:
    """The table of sessions one store uses: the store's own (writable) or its sidecar's (read-only)."""

    def __init__(self, store: Store, use_sidecar: bool | None = None) -> None:
        self.store = store
        self.sidecar = store.read_only if use_sidecar is None else use_sidecar

    def rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        if self.sidecar:
            with sidecar.connect(self.store.path) as con:
                return con.execute(sql, params).fetchall()
        return self.store.con.execute(sql, params).fetchall()

    def change(self, sql: str, params: list[Any]) -> int:
        """Run an INSERT, UPDATE or DELETE; the number of rows it changed."""
        if self.sidecar:
            with sidecar.connect(self.store.path) as con:
                return con.execute(sql, params).rowcount
        found = self.store.con.execute(sql, params).fetchone()
        return int(found[0]) if found else 0


def start(store: Store, user_name: str, hours: float, remote: str | None = None) -> str:
    """A new session for ``user_name`` lasting at most ``hours``; returns its id (give it to the browser
    only). Sessions ended long ago are cleared out on the way."""
    where, t = _Where(store), now()
    session_id = new_id()
    where.change("INSERT INTO web_sessions (id_hash, user_name, created_at, last_seen, expires_at, revoked_at, "
                 "remote) VALUES (?, ?, ?, ?, ?, NULL, ?)",
                 [hash_id(session_id), user_name, t, t, t + hours * 3600.0, remote])
    where.change("DELETE FROM web_sessions WHERE coalesce(revoked_at, expires_at) < ?", [t - KEEP_ENDED])
    return session_id


def user_of(store: Store, session_id: str, idle_minutes: float) -> str | None:
    """The user of the session ``session_id`` while it holds; None when it is unknown, ended, expired or idle
    too long. Marks it seen."""
    where, t = _Where(store), now()
    try:
        rows = where.rows("SELECT user_name, last_seen, expires_at, revoked_at FROM web_sessions WHERE id_hash = ?",
                          [hash_id(session_id)])
    except duckdb.CatalogException:  # a store from before migration 9: nobody is logged in
        return None
    if not rows:
        return None
    user_name, last_seen, expires_at, revoked_at = rows[0]
    if revoked_at is not None or t >= expires_at or t - last_seen >= idle_minutes * 60.0:
        return None
    if t - last_seen >= TOUCH_EVERY:
        try:
            where.change("UPDATE web_sessions SET last_seen = ? WHERE id_hash = ? AND last_seen < ?",
                         [t, hash_id(session_id), t])
        except (duckdb.Error, sqlite3.Error) as exc:  # two requests of one session at once: one write is enough
            log.debug("last_seen of a session not written: %s", exc)
    return str(user_name)


def end(store: Store, session_id: str) -> bool:
    """End one session (a logout); False when it had ended already."""
    return _Where(store).change("UPDATE web_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
                                [now(), hash_id(session_id)]) > 0


def end_user(store: Store, user_name: str) -> int:
    """End every open session of ``user_name``, in the store (when it can be written) and in its sidecar;
    returns how many were open."""
    sql = "UPDATE web_sessions SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL"
    params = [now(), user_name]
    ended = 0
    if not store.read_only:
        ended += _Where(store, use_sidecar=False).change(sql, params)
    if store.read_only or sidecar.exists(store.path):
        ended += _Where(store, use_sidecar=True).change(sql, params)
    return ended


def open_sessions(store: Store, user_name: str | None = None) -> list[dict[str, Any]]:
    """The sessions that hold now (not ended, not expired; idle ones included), oldest first, in the
    table this store uses: ``user_name``, ``created_at``, ``last_seen``, ``expires_at`` (ISO times), ``remote``."""
    where, params = "revoked_at IS NULL AND expires_at > ?", [now()]
    if user_name is not None:
        where += " AND user_name = ?"
        params.append(user_name)
    rows = _Where(store).rows(f"SELECT user_name, created_at, last_seen, expires_at, remote FROM web_sessions "
                              f"WHERE {where} ORDER BY created_at", params)
    return [{"user_name": u, "created_at": _iso(c), "last_seen": _iso(s), "expires_at": _iso(e), "remote": r}
            for u, c, s, e, r in rows]


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t).isoformat(timespec="seconds")


def secret(store: Store) -> str | None:
    """The secret that signs session cookies: the store's (generated on first use when it can be written),
    else, for a read-only store that has none, its sidecar's (generated there), so that every server of the
    store signs alike."""
    from ipcockpit.auth.users import session_secret

    found = session_secret(store)
    if found or not store.read_only or store.path == ":memory:":
        return found
    with sidecar.connect(store.path) as con:
        con.execute("INSERT OR IGNORE INTO auth_secrets VALUES (?, ?, ?)",
                    [SECRET_NAME, secrets.token_urlsafe(32), datetime.now().isoformat()])
        return str(con.execute("SELECT value FROM auth_secrets WHERE name = ?", [SECRET_NAME]).fetchone()[0])
