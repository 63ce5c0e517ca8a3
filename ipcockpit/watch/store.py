"""The watch tables (migration 16) and the lists' model: who keeps a list, what it watches, how it is delivered.

- ``watch_lists``: one row per list (``owner`` a user name; ``shared_role`` a role whose users also see it;
  ``digest`` immediate | daily | weekly; ``email`` and ``webhook_url`` the channels besides the in-app inbox;
  ``webhook_secret`` the key of the webhook's HMAC signature; ``expiry_days`` the N of "expiry within N days";
  ``last_digest_at`` when its last digest went out (the next is due a day or a week later)).
- ``watch_objects``: what a list watches, ``kind`` one of :data:`OBJECT_KINDS` and its ``value``.
- ``watch_alerts``: one row per list and event (``UNIQUE (list_id, event_key)``: an event alerts a list once,
  whatever re-ingest or rerun); ``baseline`` rows are the events already in the store when an object was added
  (recorded, never delivered, not in the inbox by default); ``read_at`` the inbox's read mark.
- ``watch_deliveries``: one row per alert and channel (``inapp``, ``email``, ``webhook``): ``pending`` until sent,
  ``failed`` with the error and the attempts (retried by the next run), ``sent`` never again.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ipcockpit.errors import IPCockpitError

if TYPE_CHECKING:
    import duckdb

    from ipcockpit.store import Store

#: what a list may watch: a patent (doc id or number), an organisation (entity id or name), an IPC prefix, an
#: SEI branch code, a GB/T 2260 region code, a saved search query, a protected-mark list (its id, or ``all``)
OBJECT_KINDS: tuple[str, ...] = ("patent", "org", "ipc", "sei", "region", "query", "protected")
#: the value of a ``protected`` object that watches every protected-mark list, loaded now or later
ALL_PROTECTED = "all"
DIGESTS: tuple[str, ...] = ("immediate", "daily", "weekly")
CHANNELS: tuple[str, ...] = ("inapp", "email", "webhook")
TABLES: tuple[str, ...] = ("watch_lists", "watch_objects", "watch_alerts", "watch_deliveries")


class WatchError(IPCockpitError):
    """A watch list or object that cannot be made as asked; the message says what to change."""


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 16: the watch tables."""
    for sql in (
        "CREATE SEQUENCE IF NOT EXISTS watch_lists_id START 1",
        "CREATE TABLE IF NOT EXISTS watch_lists (list_id BIGINT PRIMARY KEY DEFAULT nextval('watch_lists_id'), "
        "owner VARCHAR NOT NULL, name VARCHAR NOT NULL, shared_role VARCHAR, digest VARCHAR NOT NULL, "
        "email VARCHAR, webhook_url VARCHAR, webhook_secret VARCHAR, expiry_days INTEGER NOT NULL, "
        "created_at TIMESTAMP NOT NULL, last_digest_at TIMESTAMP, UNIQUE (owner, name))",
        "CREATE TABLE IF NOT EXISTS watch_objects (list_id BIGINT NOT NULL, kind VARCHAR NOT NULL, "
        "value VARCHAR NOT NULL, label VARCHAR, added_at TIMESTAMP NOT NULL, PRIMARY KEY (list_id, kind, value))",
        "CREATE SEQUENCE IF NOT EXISTS watch_alerts_id START 1",
        "CREATE TABLE IF NOT EXISTS watch_alerts (alert_id BIGINT PRIMARY KEY DEFAULT nextval('watch_alerts_id'), "
        "list_id BIGINT NOT NULL, event_key VARCHAR NOT NULL, kind VARCHAR NOT NULL, source VARCHAR NOT NULL, "
        "doc_id VARCHAR, object_kind VARCHAR, object_value VARCHAR, occurred DATE, message_key VARCHAR NOT NULL, "
        "params JSON, evidence JSON, created_at TIMESTAMP NOT NULL, baseline BOOLEAN NOT NULL, read_at TIMESTAMP, "
        "UNIQUE (list_id, event_key))",
        "CREATE TABLE IF NOT EXISTS watch_deliveries (alert_id BIGINT NOT NULL, channel VARCHAR NOT NULL, "
        "status VARCHAR NOT NULL, attempts INTEGER NOT NULL, last_error VARCHAR, last_try TIMESTAMP, "
        "sent_at TIMESTAMP, batch VARCHAR, PRIMARY KEY (alert_id, channel))",
        "CREATE INDEX IF NOT EXISTS idx_watch_alerts_list ON watch_alerts (list_id)",
    ):
        con.execute(sql)


def has_lists(store: Store) -> bool:
    """Whether any list watches anything (the ingest hook's one query when none does)."""
    try:
        return bool(store.con.execute("SELECT 1 FROM watch_objects LIMIT 1").fetchall())
    except Exception:  # a store made before migration 16 that was opened read-only
        return False


def create_list(store: Store, owner: str, name: str, *, shared_role: str | None = None, digest: str = "immediate",
                email: str | None = None, webhook_url: str | None = None, expiry_days: int = 90) -> dict[str, Any]:
    """A new list of ``owner`` (its webhook secret generated here), as :func:`get_list` gives it."""
    name = (name or "").strip()
    if not name:
        raise WatchError("a watch list needs a name (--list NAME)")
    check_options(shared_role=shared_role, digest=digest, email=email, webhook_url=webhook_url,
                  expiry_days=expiry_days)
    if store.query("SELECT 1 FROM watch_lists WHERE owner = ? AND name = ?", [owner, name]):
        raise WatchError(f"{owner} already has a watch list named {name!r}; choose another name")
    now = datetime.now()
    store.con.execute(
        "INSERT INTO watch_lists (owner, name, shared_role, digest, email, webhook_url, webhook_secret, expiry_days, "
        "created_at, last_digest_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [owner, name, shared_role or None, digest, email or None, webhook_url or None, secrets.token_hex(16),
         expiry_days, now, now])
    return find_list(store, owner, name)


def check_options(**options: Any) -> None:
    """Refuse a list option that cannot work, saying what to give instead (None: not given)."""
    from ipcockpit.auth import ROLES

    digest, role, url = options.get("digest"), options.get("shared_role"), options.get("webhook_url")
    email, days = options.get("email"), options.get("expiry_days")
    if digest is not None and digest not in DIGESTS:
        raise WatchError(f"digest {digest!r}: use one of {', '.join(DIGESTS)}")
    if role and role not in ROLES:
        raise WatchError(f"shared role {role!r}: use one of {', '.join(ROLES)}")
    if url and not url.startswith(("http://", "https://")):
        raise WatchError(f"webhook {url!r}: give an http:// or https:// address")
    if email and "@" not in email:
        raise WatchError(f"e-mail {email!r}: give an address such as name@example.org")
    if days is not None and not 0 <= days <= 3650:
        raise WatchError(f"expiry days {days}: give 0 to 3650")


def find_list(store: Store, owner: str, name: str) -> dict[str, Any]:
    rows = store.query("SELECT list_id FROM watch_lists WHERE owner = ? AND name = ?", [owner, name])
    if not rows:
        raise WatchError(f"{owner} has no watch list named {name!r}; make it with `ipcockpit watch add`")
    return get_list(store, rows[0]["list_id"])


def get_list(store: Store, list_id: int) -> dict[str, Any]:
    rows = store.query("SELECT * FROM watch_lists WHERE list_id = ?", [list_id])
    if not rows:
        raise WatchError(f"no watch list {list_id}")
    row = rows[0]
    row["objects"] = store.query("SELECT kind, value, label, added_at FROM watch_objects WHERE list_id = ? "
                                 "ORDER BY kind, value", [list_id])
    return row


def lists(store: Store) -> list[dict[str, Any]]:
    """Every list with its object and alert counts (the callers filter by who may see them)."""
    return store.query(
        "SELECT l.*, (SELECT count(*) FROM watch_objects o WHERE o.list_id = l.list_id) AS objects, "
        "(SELECT count(*) FROM watch_alerts a WHERE a.list_id = l.list_id AND NOT a.baseline) AS alerts, "
        "(SELECT count(*) FROM watch_alerts a WHERE a.list_id = l.list_id AND NOT a.baseline "
        "AND a.read_at IS NULL) AS unread FROM watch_lists l ORDER BY l.owner, l.name")


def normalise_object(kind: str, value: str) -> str:
    """The stored form of an object's value: ids and codes upper-case without spaces, names and queries as
    given (trimmed)."""
    if kind not in OBJECT_KINDS:
        raise WatchError(f"object kind {kind!r}: use one of {', '.join(OBJECT_KINDS)}")
    value = (value or "").strip()
    if not value:
        raise WatchError(f"an empty {kind} cannot be watched")
    if kind in ("patent", "ipc"):
        value = "".join(value.split()).upper().replace(".", "")
    if kind == "protected":
        from ipcockpit.marks.protected import list_id_of

        value = ALL_PROTECTED if value.casefold() in (ALL_PROTECTED, "全部") else list_id_of(value)
    if kind == "region":
        if not (value.isdigit() and len(value) == 6):
            raise WatchError(f"region {value!r}: give a six-digit GB/T 2260 code (500120 is Bishan)")
    return value


def add_object(store: Store, list_id: int, kind: str, value: str, label: str | None = None) -> bool:
    """Add what the list watches; False when it was there already."""
    value = normalise_object(kind, value)
    if kind == "protected" and value != ALL_PROTECTED and not store.query(
            "SELECT 1 FROM protected_lists WHERE list_id = ?", [value]):
        raise WatchError(f"no protected-mark list {value!r}: load it first (`ipcockpit marks protected load`), "
                         f"or watch `{ALL_PROTECTED}`")
    if store.query("SELECT 1 FROM watch_objects WHERE list_id = ? AND kind = ? AND value = ?", [list_id, kind, value]):
        return False
    store.con.execute("INSERT INTO watch_objects VALUES (?, ?, ?, ?, ?)", [list_id, kind, value, label, datetime.now()])
    return True


def remove_object(store: Store, list_id: int, kind: str, value: str) -> bool:
    value = normalise_object(kind, value)
    n = store.con.execute("DELETE FROM watch_objects WHERE list_id = ? AND kind = ? AND value = ? RETURNING 1",
                          [list_id, kind, value]).fetchall()
    return bool(n)


def delete_list(store: Store, list_id: int) -> None:
    """The list, its objects, alerts and deliveries."""
    con = store.con
    con.execute("DELETE FROM watch_deliveries WHERE alert_id IN (SELECT alert_id FROM watch_alerts WHERE list_id = ?)",
                [list_id])
    for table in ("watch_alerts", "watch_objects", "watch_lists"):
        con.execute(f"DELETE FROM {table} WHERE list_id = ?", [list_id])
