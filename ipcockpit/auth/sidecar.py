"""The sidecar file of a store: what a web server that cannot write the store keeps (sessions, the audit log
and, when the store has none, the secret that signs session cookies).

``ipcockpit serve`` without ``--writable`` opens the store read-only, so that several servers (and read
commands) can share it; they keep their own state in an SQLite file next to the store, named after it:
``<db>.web.sqlite``. Rules:

* The file is created with mode 0600: it holds session hashes and the audit log. SQLite gives its
  ``-wal`` and ``-shm`` files the same mode.
* Several processes share it: WAL journal (readers never wait for a writer), a busy timeout for writers.
  Each call opens its own connection (a connection belongs to one thread), which costs well under a
  millisecond.
* Its tables have the columns of the store's (``web_sessions``, ``audit_log``, ``auth_secrets``), times
  as in the store: the audit's ``logged_at`` local time (ISO text here), the sessions' times seconds
  since the epoch.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ipcockpit.errors import StoreError

log = logging.getLogger("ipcockpit.auth.sidecar")
SUFFIX = ".web.sqlite"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS web_sessions (id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, "
    "created_at REAL NOT NULL, last_seen REAL NOT NULL, expires_at REAL NOT NULL, revoked_at REAL, remote TEXT)",
    "CREATE INDEX IF NOT EXISTS idx_web_sessions_user ON web_sessions (user_name)",
    "CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, logged_at TEXT NOT NULL, "
    "user_name TEXT, role TEXT NOT NULL, action TEXT NOT NULL, target TEXT, outcome TEXT NOT NULL, "
    "status INTEGER, detail TEXT, remote TEXT)",
    "CREATE TABLE IF NOT EXISTS auth_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at TEXT NOT NULL)",
)
_ready: set[str] = set()  # files whose schema this process has made sure of
_lock = threading.Lock()


class SidecarError(StoreError):
    """The sidecar file cannot be created or opened (a folder that cannot be written). ``key``: the
    catalogue text people read (the path stays in the server's log)."""

    key = "auth.sidecar_unavailable"
    values: dict[str, str] = {}


def path_for(db: str | os.PathLike[str]) -> Path:
    """The sidecar of the store ``db``: ``<db>.web.sqlite`` next to it."""
    return Path(str(db) + SUFFIX)


def exists(db: str | os.PathLike[str]) -> bool:
    return str(db) != ":memory:" and path_for(db).exists()


@contextmanager
def connect(db: str | os.PathLike[str]) -> Iterator[sqlite3.Connection]:
    """A connection to the sidecar of ``db`` (created, mode 0600, when missing), in autocommit mode."""
    path = path_for(db)
    key = str(path.absolute())
    try:
        if not path.exists():
            _ready.discard(key)  # a new file (or one removed meanwhile) needs its tables
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        con = sqlite3.connect(path, timeout=10, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:  # the path goes to the log, not to the user
        log.warning("sidecar %s cannot be opened: %s", path, exc)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise SidecarError(f"the server cannot keep sessions and the audit log next to the store ({reason}): "
                           "a read-only server needs a folder it can write beside its store") from exc
    try:
        if key not in _ready:
            with _lock:
                con.execute("PRAGMA journal_mode=WAL")
                for stmt in SCHEMA:
                    con.execute(stmt)
                _ready.add(key)
        yield con
    finally:
        con.close()
