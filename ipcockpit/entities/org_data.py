"""Data functions of organisation entities (one per resource, plain dicts ready for JSON, CSV and a page): an
organisation's resolved names with their evidence, its links, its overrides; names looked up."""

from __future__ import annotations

from typing import Any

from ipcockpit.entities import store as ent
from ipcockpit.store import Store


def organisation(store: Store, eid: str) -> dict[str, Any] | None:
    """The entity ``eid`` (or the entity it was merged into): its names, each with the evidence that put it there
    (``reason``, ``matched``, when first seen, how many parties and documents carry it), its links to and from
    other entities (with their names), and the analysts' overrides that touched it; None for an unknown id."""
    con = store.con
    row = con.execute("SELECT entity_id, name, created_at, merged_into FROM org_entities WHERE entity_id = ?",
                      [eid]).fetchone()
    if row is None:
        return None
    current = ent.current_id(con, eid)
    if current != eid:
        row = con.execute("SELECT entity_id, name, created_at, merged_into FROM org_entities WHERE entity_id = ?",
                          [current]).fetchone()
    names = store.query(
        "SELECT n.name_raw AS name, n.reason, n.matched, n.form, n.first_seen, count(p.doc_id) AS parties, "
        "count(DISTINCT p.doc_id) AS documents FROM org_names n LEFT JOIN parties p ON p.name_raw = n.name_raw "
        "WHERE n.entity_id = ? GROUP BY ALL ORDER BY parties DESC, name", [current])
    links = store.query(
        "SELECT 'parent' AS direction, l.parent_id AS entity_id, e.name, l.kind FROM org_links l "
        "LEFT JOIN org_entities e ON e.entity_id = l.parent_id WHERE l.entity_id = ? "
        "UNION ALL SELECT 'child', l.entity_id, e.name, l.kind FROM org_links l "
        "LEFT JOIN org_entities e ON e.entity_id = l.entity_id WHERE l.parent_id = ? "
        "ORDER BY direction, kind, entity_id", [current, current])
    overrides = store.query(
        "SELECT id, action, entity_id, other, names, analyst, note, created_at FROM org_overrides "
        "WHERE entity_id = ? OR other = ? ORDER BY id", [current, current])
    for o in overrides:
        o["created_at"] = o["created_at"].isoformat(timespec="seconds")
    for n in names:
        n["first_seen"] = n["first_seen"].isoformat(timespec="seconds")
    return {
        "entity_id": current, "asked": eid, "name": row[1], "created_at": row[2].isoformat(timespec="seconds"),
        "parties": sum(n["parties"] for n in names),
        "documents": con.execute("SELECT count(DISTINCT doc_id) FROM party_entities WHERE entity_id = ?",
                                 [current]).fetchone()[0],
        "names": names, "links": links, "overrides": overrides,
    }


def lookup(store: Store, names: list[str]) -> list[dict[str, Any]]:
    """Each name's entity in the store (:func:`ipcockpit.entities.store.lookup`), nothing written."""
    return ent.lookup(store.con, names)
