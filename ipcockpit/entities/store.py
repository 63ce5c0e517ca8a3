"""Organisation entities kept in the store: ids given once and kept, the names with their evidence, links, and the
ids of the stored parties (migration 11; docs/entities.md "Organisations").

Tables:

- ``org_names(name_raw, key, core, form, parent_core, link_kind, entity_id, reason, matched, first_seen)``: every
  distinct party name seen, the entity it belongs to and why (``reason``: ``new`` a name that began an entity,
  ``key`` one core and legal form as ``matched``, ``score 0.953`` a spelling that likeness from ``matched``,
  ``evidence`` a second source gave it for the same party of a document as ``matched``, ``family`` the sole
  applicant of a document of one family as ``matched`` in the other script, ``merge #n`` / ``split #n`` an
  analyst's override). This table is the truth: a name's row, once written, changes only by an override;
- ``org_entities(entity_id, name, created_at, merged_into)``: one row per entity id ever given; ``name`` its
  display name (its most frequent name when it was made); ``merged_into`` the entity an analyst merged it into;
- ``org_overrides(id, action, entity_id, other, names, analyst, note, created_at)``: the analysts' merges and
  splits (also in the audit log);
- ``org_links`` (a view): (``entity_id``, ``parent_id``, ``kind``) from the names: a branch (分公司), subsidiary
  ("X (China) Co."), affiliate ("X Research Foundation"), a unit (division) to the entity of the organisation it
  names, and ``national`` between entities of one core in two legal-form families;
- ``party_entities(doc_id, seq, role, entity_id)``: one row per party with a name (the contract of
  docs/entities.md), derived from ``parties`` and ``org_names`` after each ingest.

:func:`assign` runs after every ingest: only the names not yet in ``org_names`` are resolved, against the known
names that share a blocking key with them (their entity ids given and kept, never two joined), so existing ids
never change; a new name that matches a known one takes its entity's id, else the new cluster gets a new id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.entities import org_extracts
from ipcockpit.entities.org_keys import read_name
from ipcockpit.entities.organisations import resolve

MIGRATION: list[str] = [
    "CREATE TABLE IF NOT EXISTS org_names (name_raw VARCHAR PRIMARY KEY, key VARCHAR NOT NULL, core VARCHAR, "
    "form VARCHAR, parent_core VARCHAR, link_kind VARCHAR, entity_id VARCHAR NOT NULL, reason VARCHAR NOT NULL, "
    "matched VARCHAR, first_seen TIMESTAMP NOT NULL)",
    "CREATE INDEX IF NOT EXISTS idx_org_names_entity ON org_names (entity_id)",
    "CREATE TABLE IF NOT EXISTS org_entities (entity_id VARCHAR PRIMARY KEY, name VARCHAR, created_at TIMESTAMP "
    "NOT NULL, merged_into VARCHAR)",
    "CREATE SEQUENCE IF NOT EXISTS org_overrides_id START 1",
    "CREATE TABLE IF NOT EXISTS org_overrides (id BIGINT PRIMARY KEY DEFAULT nextval('org_overrides_id'), "
    "action VARCHAR NOT NULL, entity_id VARCHAR NOT NULL, other VARCHAR, names VARCHAR[], analyst VARCHAR NOT NULL, "
    "note VARCHAR, created_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS party_entities (doc_id VARCHAR, seq INTEGER, role VARCHAR, entity_id VARCHAR)",
    "CREATE INDEX IF NOT EXISTS idx_party_entities_doc ON party_entities (doc_id)",
    "CREATE OR REPLACE VIEW org_links AS "
    "SELECT DISTINCT c.entity_id, p.entity_id AS parent_id, c.link_kind AS kind FROM org_names c "
    "JOIN org_names p ON p.core = c.parent_core WHERE c.parent_core IS NOT NULL AND c.entity_id <> p.entity_id "
    "UNION SELECT DISTINCT a.entity_id, b.entity_id AS parent_id, 'national' AS kind FROM org_names a "
    "JOIN org_names b ON a.core = b.core AND a.form <> b.form AND a.entity_id > b.entity_id",
]

_NAMES_SCHEMA = pa.schema([(n, pa.string()) for n in (
    "name_raw", "key", "core", "form", "parent_core", "link_kind", "entity_id", "reason", "matched")])


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 11: the tables, and ids for the parties a store already holds."""
    for stmt in MIGRATION:
        con.execute(stmt)
    assign(con, in_transaction=True)


def assign(con: duckdb.DuckDBPyConnection, in_transaction: bool = False) -> dict[str, int]:
    """Give the party names not yet in ``org_names`` their entities (module rules) and rebuild ``party_entities``;
    returns counts (``names`` new names, ``entities`` new entities, ``parties`` rows of party_entities).
    ``in_transaction``: the caller holds a transaction (a migration): none is begun here."""
    new = con.execute(
        "SELECT p.name_raw, count(*) FROM parties p WHERE p.name_raw IS NOT NULL AND trim(p.name_raw) <> '' "
        "AND NOT EXISTS (SELECT 1 FROM org_names n WHERE n.name_raw = p.name_raw) GROUP BY p.name_raw "
        "ORDER BY p.name_raw").fetchall()
    made = 0
    if new:
        made = _place(con, [r[0] for r in new], [int(r[1]) for r in new], in_transaction)
    with _transaction(con, in_transaction):
        rebuild_party_entities(con)
    parties = con.execute("SELECT count(*) FROM party_entities").fetchone()[0]
    return {"names": len(new), "entities": made, "parties": int(parties)}


def rebuild_party_entities(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM party_entities")
    con.execute("INSERT INTO party_entities SELECT p.doc_id, p.seq, p.role, n.entity_id FROM parties p "
                "JOIN org_names n ON n.name_raw = p.name_raw")


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection, held: bool = False) -> Iterator[None]:
    """A transaction of its own, unless the caller holds one (``held``)."""
    if held:
        yield
        return
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _match(con: duckdb.DuckDBPyConnection, names: list[str], weights: list[int]) -> list[dict[str, Any]]:
    """Resolve names not in ``org_names`` against the known names that share a blocking key with them (their ids
    given and kept); one row for org_names per name (``entity_id``, ``reason``, ``matched`` ...), nothing written.
    A row's ``name`` is the display name a new entity would get (``new_entity``: the id is not given yet)."""
    read = {n: read_name(n) for n in names}
    names = [n for n in names if read[n] is not None]
    weight = dict(zip(names, weights, strict=False))
    known: dict[str, tuple[str, str]] = {}  # name_raw -> (key, entity_id)
    con.register("_ipc_org_keys", pa.table({"key": sorted({read[n].key for n in names})}))
    try:  # known names of one key (in SQL), then those sharing a blocking key
        for raw, key, eid in con.execute("SELECT name_raw, key, entity_id FROM org_names "
                                         "WHERE key IN (SELECT key FROM _ipc_org_keys)").fetchall():
            known[raw] = (key, eid)
    finally:
        con.unregister("_ipc_org_keys")
    evidence = _evidence(con, names)
    partners = {n for pair in evidence for n in pair}
    blocks = {b for n in names for b in read[n].blocks}
    for raw, key, eid in con.execute("SELECT name_raw, key, entity_id FROM org_names").fetchall():
        if raw not in known and (raw in partners or ((r := read_name(raw)) is not None
                                                     and blocks.intersection(r.blocks))):
            known[raw] = (key, eid)
    fixed: dict[str, str] = {}
    for _raw, (key, eid) in sorted(known.items()):
        fixed.setdefault(key, eid)  # a key split by an analyst keeps its first entity for new spellings
    all_names = names + sorted(known)
    result = resolve(all_names, evidence=list(evidence), fixed=fixed,
                     weights=[weight.get(n, 1) for n in names] + [1] * len(known))
    members: dict[str, list[str]] = defaultdict(list)
    for n, eid in zip(all_names, result.ids, strict=True):
        members[eid].append(n)
    why = _Why(known, result.reasons, evidence, members)
    existing_ids = set(fixed.values())
    display = {eid: max((m for m in group if m in weight), key=lambda m: (weight[m], m), default=None)
               for eid, group in members.items()}
    rows: list[dict[str, Any]] = []
    for n, eid in zip(names, result.ids[: len(names)], strict=True):
        r = read[n]
        reason, matched = why(n, r.key, eid)
        rows.append({"name_raw": n, "key": r.key, "core": r.core, "form": r.form, "parent_core": r.parent,
                     "link_kind": r.link, "entity_id": eid, "reason": reason, "matched": matched,
                     "new_entity": eid not in existing_ids, "name": display[eid]})
    return rows


def _place(con: duckdb.DuckDBPyConnection, names: list[str], weights: list[int], held: bool = False) -> int:
    """Resolve new names (:func:`_match`) and write their rows and their new entities; returns how many entities
    were made."""
    rows = _match(con, names, weights)
    now = datetime.now()
    new_entities = {r["entity_id"]: r["name"] for r in rows if r["new_entity"]}
    with _transaction(con, held):
        con.register("_ipc_org_rows", pa.Table.from_pylist(rows, schema=_NAMES_SCHEMA))
        con.execute("INSERT INTO org_names SELECT *, ? FROM _ipc_org_rows", [now])
        con.unregister("_ipc_org_rows")
        con.register("_ipc_org_new_entities", pa.table({"entity_id": list(new_entities),
                                                        "name": list(new_entities.values())}))
        con.execute("INSERT INTO org_entities SELECT entity_id, name, ?, NULL FROM _ipc_org_new_entities n "
                    "WHERE NOT EXISTS (SELECT 1 FROM org_entities e WHERE e.entity_id = n.entity_id)", [now])
        con.unregister("_ipc_org_new_entities")
    return len(new_entities)


def lookup(con: duckdb.DuckDBPyConnection, names: list[str]) -> list[dict[str, Any]]:
    """Each name's entity in this store, nothing written: a stored name's own row (``stored`` true), else the
    entity it would join (``reason``, ``matched``) or a new one (``entity_id`` what it would be given)."""
    out: list[dict[str, Any]] = []
    stored = {r[0]: r for r in con.execute(
        "SELECT name_raw, entity_id, reason, matched FROM org_names WHERE list_contains(?, name_raw)",
        [names]).fetchall()}
    fresh = sorted({n for n in names if n and n not in stored and read_name(n) is not None})
    matched = {r["name_raw"]: r for r in _match(con, fresh, [1] * len(fresh))} if fresh else {}
    for n in names:
        if n in stored:
            _, eid, reason, other = stored[n]
            out.append({"name": n, "entity_id": current_id(con, eid), "stored": True, "reason": reason,
                        "matched": other, "new_entity": False})
        elif n in matched:
            r = matched[n]
            out.append({"name": n, "entity_id": r["entity_id"], "stored": False, "reason": r["reason"],
                        "matched": r["matched"], "new_entity": r["new_entity"]})
        else:
            out.append({"name": n, "entity_id": None, "stored": False, "reason": "empty", "matched": None,
                        "new_entity": False})
    return out


class _Why:
    """The reason a new name is in its entity and the name it matched, from indexes built once (a migration
    resolves every name of a store at once)."""

    def __init__(self, known: dict[str, tuple[str, str]], reasons: dict[tuple[str, str], str],
                 evidence: dict[tuple[str, str], str], members: dict[str, list[str]]) -> None:
        self.known_by_key = {k: raw for raw, (k, _) in sorted(known.items(), reverse=True)}
        self.evidence: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for (a, b), kind in evidence.items():
            self.evidence[a].append((b, kind))
            self.evidence[b].append((a, kind))
        self.reasons: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for (ka, kb), why in reasons.items():
            self.reasons[ka].append((kb, why))
            self.reasons[kb].append((ka, why))
        self.entity = {n: eid for eid, group in members.items() for n in group}
        self.raw_of_key: dict[tuple[str, str], str] = {}  # (entity, key) -> a name of that key in it
        for eid, group in members.items():
            for n in sorted(group, reverse=True):
                if (r := read_name(n)) is not None:
                    self.raw_of_key[(eid, r.key)] = n

    def __call__(self, name: str, key: str, eid: str) -> tuple[str, str | None]:
        if key in self.known_by_key:
            return "key", self.known_by_key[key]
        for other, kind in self.evidence.get(name, ()):
            if self.entity.get(other) == eid:
                return kind, other
        for other_key, why in self.reasons.get(key, ()):
            other = self.raw_of_key.get((eid, other_key))
            if other is not None:
                return (why if why in ("evidence", "core") else f"score {why}"), other
        same = self.raw_of_key.get((eid, key))
        return ("key", same) if same is not None and same != name else ("new", None)


def _evidence(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[tuple[str, str], str]:
    """Pairs of names known to be one organisation, where either is new, and how it is known:

    - ``evidence``: a second source gave the name for the same party of a document (``name_aliases``);
    - ``family``: the sole applicant of two documents of one family, one name in Chinese script and the other
      not (the same invention filed by one applicant at home and abroad; within one script a different name in
      the family may be a new owner, so it is no evidence);
    - ``registry <code>, line N`` / ``patentsview <assignee_id>``: a loaded extract names both as one
      organisation (:mod:`ipcockpit.entities.org_extracts`)."""
    con.register("_ipc_org_new", pa.table({"name_raw": names}))
    try:
        out = {(a, b): "evidence" for a, b in con.execute(
            "SELECT DISTINCT a.name_raw, p.name_raw FROM name_aliases a JOIN parties p ON p.doc_id = a.doc_id "
            "AND p.seq = a.seq AND p.role = a.role WHERE a.holder = 'parties' AND a.name_raw <> p.name_raw "
            "AND (a.name_raw IN (SELECT name_raw FROM _ipc_org_new) OR p.name_raw IN "
            "(SELECT name_raw FROM _ipc_org_new))").fetchall()}
        for a, b in con.execute(
                "WITH fam AS (SELECT doc_id, family_id FROM documents WHERE family_id IS NOT NULL UNION "
                "SELECT doc_id, scheme || ':' || family_id FROM family_members WHERE family_id IS NOT NULL), "
                "solo AS (SELECT p.doc_id, f.family_id, min(p.name_raw) AS name FROM parties p "
                "JOIN fam f USING (doc_id) WHERE p.role IN ('applicant', 'assignee') "
                "AND trim(p.name_raw) <> '' GROUP BY ALL HAVING count(DISTINCT p.name_raw) = 1) "
                "SELECT DISTINCT x.name, y.name FROM solo x JOIN solo y ON x.family_id = y.family_id "
                "AND x.doc_id < y.doc_id WHERE regexp_matches(x.name, '[\u4e00-\u9fff]') "
                "<> regexp_matches(y.name, '[\u4e00-\u9fff]') AND (x.name IN (SELECT name_raw FROM _ipc_org_new) "
                "OR y.name IN (SELECT name_raw FROM _ipc_org_new))").fetchall():
            out.setdefault((a, b), "family")
        for pair, evidence in org_extracts.pairs(con, "_ipc_org_new").items():
            out.setdefault(pair, evidence)
        return out
    finally:
        con.unregister("_ipc_org_new")


def merges(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Entity id -> the entity an analyst merged it into, for every merged entity of the store."""
    return dict(con.execute("SELECT entity_id, merged_into FROM org_entities WHERE merged_into IS NOT NULL").fetchall())


def follow(merged: dict[str, str], eid: str) -> str:
    """The entity ``eid`` stands for now, by ``merged`` (:func:`merges`): itself, or the end of its merges."""
    seen = set()
    while eid in merged and eid not in seen:
        seen.add(eid)
        eid = merged[eid]
    return eid


def current_id(con: duckdb.DuckDBPyConnection, eid: str) -> str:
    """The entity an id stands for now: itself, or the entity an analyst merged it into (followed to the end)."""
    return follow(merges(con), eid)

