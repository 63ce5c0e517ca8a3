"""A run's detection: every registered source's events on the watched objects, recorded once per list.

``watch_alerts`` is unique on ``(list_id, event_key)``: an event seen again (a rerun, a re-ingest of the same
file, a new version of a file that gives the same event) inserts nothing. A new alert that is not ``baseline``
gets one ``watch_deliveries`` row per channel of its list: ``inapp`` sent at once (the inbox), ``email`` and
``webhook`` pending until :mod:`ipcockpit.watch.delivery` sends them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ipcockpit.watch import match
from ipcockpit.watch.sources import SOURCES, Event, Scope

if TYPE_CHECKING:
    from ipcockpit.settings import Settings
    from ipcockpit.store import Store

_SCHEMA = pa.schema([("list_id", pa.int64()), ("event_key", pa.string()), ("kind", pa.string()),
                     ("source", pa.string()), ("doc_id", pa.string()), ("object_kind", pa.string()),
                     ("object_value", pa.string()), ("occurred", pa.date32()), ("message_key", pa.string()),
                     ("params", pa.string()), ("evidence", pa.string()), ("baseline", pa.bool_())])


def detect(store: Store, settings: Settings, today: date | None = None,
           list_ids: list[int] | None = None) -> dict[str, Any]:
    """Record the new events of the lists (all when None); returns counts by kind and what could not be told."""
    today = today or date.today()
    built = match.build(store, settings, list_ids)
    expiry = {r[0]: r[1] for r in store.con.execute("SELECT list_id, expiry_days FROM watch_lists").fetchall()}
    scope = Scope(today, settings, expiry, None if list_ids is None else tuple(list_ids))
    events: dict[tuple[int, str], Event] = {}
    for source in SOURCES.values():
        for ev in source.detect(store, scope):
            first = events.get((ev.list_id, ev.event_key))
            if first is None:
                events[(ev.list_id, ev.event_key)] = ev
            elif first.source != ev.source and ev.evidence:  # a grant from the document and from the event
                first.evidence.extend(ev.evidence)
                first.baseline = first.baseline and ev.baseline
    new = _insert(store, list(events.values()))
    store.con.execute("DROP TABLE IF EXISTS _watch_docs")
    return {"objects": built["objects"], "watched_docs": built["docs"], "events": len(events), **new,
            "unknown": built["unknown"]}


def _insert(store: Store, events: list[Event]) -> dict[str, Any]:
    con = store.con
    cols: dict[str, list[Any]] = {f.name: [] for f in _SCHEMA}
    for ev in events:
        for name, value in (("list_id", ev.list_id), ("event_key", ev.event_key), ("kind", ev.kind),
                            ("source", ev.source), ("doc_id", ev.doc_id), ("object_kind", ev.object_kind),
                            ("object_value", ev.object_value), ("occurred", ev.occurred),
                            ("message_key", ev.message_key),
                            ("params", json.dumps(ev.params, ensure_ascii=False, default=str)),
                            ("evidence", json.dumps(ev.evidence, ensure_ascii=False, default=str)),
                            ("baseline", ev.baseline)):
            cols[name].append(value)
    con.register("_watch_new", pa.table(cols, schema=_SCHEMA))
    now = datetime.now()
    try:
        con.execute("BEGIN TRANSACTION")
        rows = con.execute(
            "INSERT INTO watch_alerts (list_id, event_key, kind, source, doc_id, object_kind, object_value, occurred, "
            "message_key, params, evidence, created_at, baseline) SELECT n.list_id, n.event_key, n.kind, n.source, "
            "n.doc_id, n.object_kind, n.object_value, n.occurred, n.message_key, n.params::JSON, n.evidence::JSON, "
            "$now, n.baseline FROM _watch_new n ANTI JOIN watch_alerts a ON a.list_id = n.list_id "
            "AND a.event_key = n.event_key RETURNING alert_id, list_id, kind, baseline", {"now": now}).fetchall()
        fresh = [r[0] for r in rows if not r[3]]
        if fresh:
            con.execute(
                "INSERT INTO watch_deliveries SELECT a.alert_id, c.channel, "
                "CASE c.channel WHEN 'inapp' THEN 'sent' ELSE 'pending' END, 0, NULL, NULL, "
                "CASE c.channel WHEN 'inapp' THEN $now END, NULL FROM watch_alerts a "
                "JOIN watch_lists l USING (list_id) "
                "CROSS JOIN (VALUES ('inapp'), ('email'), ('webhook')) c(channel) "
                "WHERE a.alert_id IN (SELECT unnest($ids::BIGINT[])) AND (c.channel = 'inapp' "
                "OR (c.channel = 'email' AND l.email IS NOT NULL) OR (c.channel = 'webhook' AND l.webhook_url "
                "IS NOT NULL))", {"now": now, "ids": fresh})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_watch_new")
    by_kind: dict[str, int] = {}
    for _, _, kind, baseline in rows:
        if not baseline:
            by_kind[kind] = by_kind.get(kind, 0) + 1
    return {"new_alerts": len(fresh), "baseline": len(rows) - len(fresh), "by_kind": dict(sorted(by_kind.items()))}
