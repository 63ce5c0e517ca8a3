"""Analysts' corrections of organisation entities: merge two entities, split names out of one; each kept in
``org_overrides`` with the analyst's name and note, and in the audit log (``entities.merge``, ``entities.split``).

- merge(A, B): every name of B becomes A's (``reason`` ``merge #n``); B stays in ``org_entities`` with
  ``merged_into`` A, so that an id given out earlier still leads to the entity (:func:`store.current_id`);
- split(A, names): the names leave A for a new entity (its id from the smallest key of the names moved, made
  unique), ``reason`` ``split #n``. New spellings of those names that come with later ingests follow the rules of
  :mod:`ipcockpit.entities.store` (a known name's key keeps to its first entity).

Both rebuild ``party_entities``; nothing else changes an id once given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ipcockpit.auth import audit
from ipcockpit.entities import store as ent
from ipcockpit.entities.org_keys import read_name
from ipcockpit.entities.organisations import entity_id
from ipcockpit.errors import IPCockpitError
from ipcockpit.store import Store


class EntityError(IPCockpitError):
    """An override that cannot be made (an unknown entity or name, an empty analyst)."""


def _analyst(analyst: str) -> str:
    analyst = (analyst or "").strip()
    if not analyst:
        raise EntityError("an override needs the analyst's name (--analyst)")
    return analyst


def _known(store: Store, eid: str) -> str:
    con = store.con
    if not con.execute("SELECT count(*) FROM org_entities WHERE entity_id = ?", [eid]).fetchone()[0]:
        raise EntityError(f"entity {eid!r}: no such organisation entity; `ipcockpit entities resolve NAME` gives ids")
    return ent.current_id(con, eid)


def merge(store: Store, into: str, other: str, analyst: str, note: str | None = None,
          role: str = "analyst") -> dict[str, Any]:
    """Merge entity ``other`` into ``into`` (module rules); returns the override."""
    analyst = _analyst(analyst)
    into, other = _known(store, into), _known(store, other)
    if into == other:
        raise EntityError(f"{into} and {other} are already one entity")
    con = store.con
    now = datetime.now()
    with ent._transaction(con):
        oid = con.execute("INSERT INTO org_overrides (action, entity_id, other, names, analyst, note, created_at) "
                          "VALUES ('merge', ?, ?, NULL, ?, ?, ?) RETURNING id",
                          [into, other, analyst, note, now]).fetchone()[0]
        moved = con.execute("UPDATE org_names SET entity_id = ?, reason = ?, matched = NULL WHERE entity_id = ?",
                            [into, f"merge #{oid}", other]).fetchone()[0]
        con.execute("UPDATE org_entities SET merged_into = ? WHERE entity_id = ?", [into, other])
        ent.rebuild_party_entities(con)
    result = {"override": int(oid), "action": "merge", "entity_id": into, "merged": other, "names": int(moved),
              "analyst": analyst, "note": note}
    audit.record(store, analyst, role, "entities.merge", into, "ok", detail=result)
    return result


def split(store: Store, eid: str, names: list[str], analyst: str, note: str | None = None,
          role: str = "analyst") -> dict[str, Any]:
    """Move ``names`` (raw, as stored) out of entity ``eid`` into a new entity; returns the override."""
    analyst = _analyst(analyst)
    eid = _known(store, eid)
    con = store.con
    held = {r[0] for r in con.execute("SELECT name_raw FROM org_names WHERE entity_id = ?", [eid]).fetchall()}
    missing = [n for n in names if n not in held]
    if not names or missing:
        raise EntityError(f"not names of {eid}: {', '.join(missing) or '(none given)'}; "
                          f"`ipcockpit entities show {eid}` lists its names")
    if set(names) == held:
        raise EntityError(f"these are all the names of {eid}: nothing would be left")
    keys = sorted(r.key for n in names if (r := read_name(n)) is not None)
    new_id = entity_id("split|" + (keys[0] if keys else names[0]))
    taken = {r[0] for r in con.execute("SELECT entity_id FROM org_entities").fetchall()}
    base, i = new_id, 1
    while new_id in taken:
        new_id = f"{base}-{i}"
        i += 1
    now = datetime.now()
    with ent._transaction(con):
        oid = con.execute("INSERT INTO org_overrides (action, entity_id, other, names, analyst, note, created_at) "
                          "VALUES ('split', ?, ?, ?, ?, ?, ?) RETURNING id",
                          [eid, new_id, sorted(names), analyst, note, now]).fetchone()[0]
        con.execute("INSERT INTO org_entities VALUES (?, ?, ?, NULL)", [new_id, sorted(names)[0], now])
        con.execute("UPDATE org_names SET entity_id = ?, reason = ?, matched = NULL WHERE list_contains(?, name_raw)",
                    [new_id, f"split #{oid}", sorted(names)])
        ent.rebuild_party_entities(con)
    result = {"override": int(oid), "action": "split", "entity_id": eid, "new_entity_id": new_id,
              "names": sorted(names), "analyst": analyst, "note": note}
    audit.record(store, analyst, role, "entities.split", eid, "ok", detail=result)
    return result


def overrides(store: Store, limit: int = 200) -> list[dict[str, Any]]:
    """The overrides, newest first."""
    return store.query("SELECT id, action, entity_id, other, names, analyst, note, created_at FROM org_overrides "
                       "ORDER BY id DESC LIMIT ?", [max(1, int(limit))])
