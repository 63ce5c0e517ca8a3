"""Resolved inventors in the store: the ``inventor_entities`` table (migration 12) and an inventor's profile data.

Rules:
- Employers in a profile are the applicants, assignees and patentees of the inventor's documents, less the
  inventor's own name (a US applicant that is the inventor), by year of filing.
- ``inventor_entities(doc_id, seq, entity_id)`` holds one row per row of ``inventors``; entity ids start with
  ``i:``. Readers fall back to ``'n:' || name_norm`` for an inventor without a row (the contract of issue 17).
- Resolution reads every inventor's name; the inventors of the canopies that hold a row without an id are read with
  their evidence (the other inventors of the document, its applicants and assignees as the store's organisation
  entities — ``party_entities``, merges followed —, IPC subclasses, the year of its filing, else priority,
  publication or grant date, the inventor's city, the title), and
  :func:`ipcockpit.entities.inventors.cluster_labels` clusters those canopies again.
- A loaded PatentsView inventor extract gives a mention its ``inventor_id`` (``external_id``): one id on two
  mentions of a canopy is one person, two ids two people (``WEIGHTS["external"]``).
- Only the canopies that hold a new row are read with evidence and clustered again (name commonness still counts
  every inventor), so an ingest pays for the canopies it touches, not for the whole store.
- Ids are stable: a row that has an id keeps it, always. A new row takes the id that most of the rows already
  resolved in its cluster hold (the smallest id on a tie); a cluster with no row resolved before gets a new id
  from its smallest ``doc_id#seq``, so that the same files resolved together give the same ids in any order
  (ingest resolves after each run: files ingested one by one keep the ids the earlier runs gave). Rows whose
  inventor is gone (a file deleted or replaced) are removed.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict
from collections.abc import Collection
from typing import Any

import pyarrow as pa

from ipcockpit.entities.inv_names import parse_name
from ipcockpit.entities.inventors import cluster_labels
from ipcockpit.entities.store import follow, merges
from ipcockpit.model.names import normalise_name
from ipcockpit.store import Store
from ipcockpit.store.like import ESCAPE, contains_pattern

_NAMES_SQL = "SELECT doc_id, seq, name_raw FROM inventors ORDER BY doc_id, seq"

# the evidence of the inventors of some documents (``{docs}``: a query of doc ids, or the whole store); applicants
# with their organisation ids (``party_entities``, which ingest writes before it resolves inventors)
_EVIDENCE_SQL = """
WITH co AS (SELECT doc_id, list(name_raw ORDER BY seq) AS names FROM inventors WHERE doc_id IN ({docs})
            GROUP BY doc_id),
app AS (SELECT p.doc_id, list(DISTINCT {{'name': p.name_raw, 'entity': pe.entity_id}}) AS names FROM parties p
        LEFT JOIN party_entities pe ON pe.doc_id = p.doc_id AND pe.seq = p.seq AND pe.role = p.role
        WHERE p.role IN ('applicant', 'assignee', 'patentee') AND p.name_raw IS NOT NULL AND p.doc_id IN ({docs})
        GROUP BY p.doc_id),
ipc AS (SELECT doc_id, list(DISTINCT substr(replace(code, ' ', ''), 1, 4)) AS codes FROM classifications
        WHERE scheme = 'IPC' AND code IS NOT NULL AND doc_id IN ({docs}) GROUP BY doc_id)
SELECT i.doc_id, i.seq, i.name_raw, i.city, d.title,
       year(coalesce(d.app_date, d.priority_date, d.pub_date, d.grant_date)) AS year,
       co.names AS coinventors, app.names AS applicants, ipc.codes AS ipc
FROM inventors i
LEFT JOIN documents d USING (doc_id)
LEFT JOIN co USING (doc_id)
LEFT JOIN app USING (doc_id)
LEFT JOIN ipc USING (doc_id)
WHERE i.doc_id IN ({docs})
ORDER BY i.doc_id, i.seq
"""
_ALL_DOCS = "SELECT doc_id FROM inventors"
_SOME_DOCS = "SELECT doc_id FROM _ipc_inventor_docs"


_HOLDERS = "('applicant', 'assignee', 'patentee')"  # the parties that employ an inventor (not current owners)


def _key(doc_id: str, seq: int) -> str:
    return f"{doc_id}#{seq}"


def store_mentions(store: Store, doc_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The store's inventors (with ``doc_ids``, those of these documents) as mentions for
    :func:`ipcockpit.entities.resolve_inventors` (with ``key``, ``doc_id`` and ``seq``); their applicants come with
    the store's organisation ids (``applicant_ids``; a name without one: its folded name)."""
    con = store.con
    if doc_ids is None:
        table = con.sql(_EVIDENCE_SQL.format(docs=_ALL_DOCS)).to_arrow_table()
    else:
        con.register("_ipc_inventor_docs", pa.table({"doc_id": pa.array(sorted(doc_ids), pa.string())}))
        try:
            table = con.sql(_EVIDENCE_SQL.format(docs=_SOME_DOCS)).to_arrow_table()
        finally:
            con.unregister("_ipc_inventor_docs")
    external = _external_ids(store)
    merged = merges(store.con)
    folded: dict[str, str] = {}

    def fold(name: str) -> str:
        if name not in folded:
            folded[name] = normalise_name(name)
        return folded[name]

    out = []
    columns = [table.column(c).to_pylist() for c in ("doc_id", "seq", "name_raw", "city", "title", "year",
                                                      "coinventors", "applicants", "ipc")]
    for doc_id, seq, name, city, title, year, coinventors, applicants, ipc in zip(*columns, strict=True):
        co = list(coinventors or [])
        if 0 <= seq - 1 < len(co) and co[seq - 1] == name:
            co.pop(seq - 1)
        else:
            co = [c for c in co if c != name]
        own = fold(name)
        held = [a for a in (applicants or []) if fold(a["name"]) != own]  # the inventor applying
        out.append({"key": _key(doc_id, seq), "doc_id": doc_id, "seq": seq, "name": name, "coinventors": co,
                    "applicant": [a["name"] for a in held],
                    "applicant_ids": sorted({follow(merged, a["entity"]) if a["entity"] else "n:" + fold(a["name"])
                                             for a in held}),
                    "ipc": ipc or [], "year": year, "city": city, "title": title,
                    "external_id": external.get((doc_id, seq))})
    return out


def _external_ids(store: Store) -> dict[tuple[str, int], str]:
    """PatentsView's inventor_id of the store's inventors where an extract was loaded
    (``ipcockpit entities patentsview g_inventor_disambiguated.tsv``): the ``inventor_sequence``-th inventor, from
    0 in the order of ``seq``, of the US grant of that number."""
    if not store.con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'inventor_extract_ids'").fetchall():
        return {}
    return {(d, s): i for d, s, i in store.con.execute(
        "WITH h AS (SELECT ltrim(number, '0') AS patent_id, doc_id FROM documents WHERE office = 'US' "
        "AND number IS NOT NULL AND NOT starts_with(coalesce(kind, ''), 'A')), "
        "i AS (SELECT doc_id, seq, row_number() OVER (PARTITION BY doc_id ORDER BY seq) - 1 AS position "
        "FROM inventors) "
        "SELECT i.doc_id, i.seq, min(x.inventor_id) FROM inventor_extract_ids x JOIN h USING (patent_id) "
        "JOIN i ON i.doc_id = h.doc_id AND i.position = x.position GROUP BY ALL").fetchall()}


def resolve_store_inventors(store: Store) -> dict[str, Any]:
    """Resolve the store's inventors and write ``inventor_entities`` (see the module rules); what was done."""
    started = time.perf_counter()
    [(new, gone_rows)] = store.con.execute(
        "SELECT (SELECT count(*) FROM inventors i WHERE NOT EXISTS (SELECT 1 FROM inventor_entities e "
        "WHERE e.doc_id = i.doc_id AND e.seq = i.seq)), (SELECT count(*) FROM inventor_entities e WHERE NOT EXISTS "
        "(SELECT 1 FROM inventors i WHERE i.doc_id = e.doc_id AND i.seq = e.seq))").fetchall()
    if not new and not gone_rows:  # every row has its id (ingest merged known rows): nothing to read or write
        kept = store.count("inventor_entities")
        entities = store.scalar("SELECT count(DISTINCT entity_id) FROM inventor_entities")
        return {"mentions": store.count("inventors"), "entities": int(entities or 0), "added": 0, "kept": kept,
                "removed": 0, "seconds": round(time.perf_counter() - started, 3)}
    existing = {_key(d, s): e for d, s, e in store.con.execute(
        "SELECT doc_id, seq, entity_id FROM inventor_entities").fetchall()}
    mentions: list[dict[str, Any]] = [{"key": _key(d, s), "doc_id": d, "seq": s, "name": n}
                                      for d, s, n in store.con.execute(_NAMES_SQL).fetchall()]
    touched = [i for i, m in enumerate(mentions) if m["key"] not in existing]
    # the evidence of the canopies that hold a new row only; the others count by their names (commonness)
    names = [parse_name(m["name"]) for m in mentions]
    wanted = {names[i].canopy for i in touched if names[i] is not None}  # type: ignore[union-attr]
    docs = {m["doc_id"] for m, n in zip(mentions, names, strict=True) if n is not None and n.canopy in wanted}
    if docs:
        evidence = {m["key"]: m for m in store_mentions(store, None if len(docs) == len(
            {m["doc_id"] for m in mentions}) else docs)}
        mentions = [evidence.get(m["key"], m) if n is not None and n.canopy in wanted else m
                    for m, n in zip(mentions, names, strict=True)]
    labels = cluster_labels(mentions, touched) if touched else [-2] * len(mentions)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        if label != -2:  # -2: a canopy with no new mention, all its ids kept as they are
            clusters[label if label >= 0 else -1 - i].append(i)
    new_rows = []
    for members in clusters.values():
        held = Counter(existing[mentions[i]["key"]] for i in members if mentions[i]["key"] in existing)
        if held:
            top = max(held.values())
            entity = min(e for e, n in held.items() if n == top)
        else:
            seed = min(mentions[i]["key"] for i in members)
            entity = "i:" + hashlib.sha1(f"key|{seed}".encode()).hexdigest()[:16]
        new_rows += [(mentions[i]["doc_id"], mentions[i]["seq"], entity) for i in members
                     if mentions[i]["key"] not in existing]
    live = {m["key"] for m in mentions}
    gone = [k for k in existing if k not in live]
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        if gone:
            con.execute("DELETE FROM inventor_entities WHERE NOT EXISTS (SELECT 1 FROM inventors i "
                        "WHERE i.doc_id = inventor_entities.doc_id AND i.seq = inventor_entities.seq)")
        if new_rows:
            doc_ids, seqs, entities = zip(*new_rows, strict=True)
            rows = pa.table({"doc_id": pa.array(doc_ids, pa.string()), "seq": pa.array(seqs, pa.int32()),
                             "entity_id": pa.array(entities, pa.string())})
            con.register("_new_inventor_entities", rows)
            con.execute("INSERT INTO inventor_entities SELECT doc_id, seq, entity_id FROM _new_inventor_entities")
            con.unregister("_new_inventor_entities")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    entities = store.scalar("SELECT count(DISTINCT entity_id) FROM inventor_entities")
    return {"mentions": len(mentions), "entities": int(entities or 0), "added": len(new_rows),
            "kept": len(existing) - len(gone), "removed": len(gone),
            "seconds": round(time.perf_counter() - started, 3)}


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def inventor_find(store: Store, name: str, limit: int = 20) -> list[dict[str, Any]]:
    """Resolved inventors whose name contains ``name`` (as written or folded), the most documents first."""
    folded = normalise_name(name) or name
    rows = store.query(
        "SELECT e.entity_id, mode(i.name_raw) AS name, count(DISTINCT e.doc_id) AS documents "
        "FROM inventor_entities e JOIN inventors i USING (doc_id, seq) "
        "WHERE e.entity_id IN (SELECT e2.entity_id FROM inventor_entities e2 JOIN inventors i2 USING (doc_id, seq) "
        f"  WHERE i2.name_norm LIKE ? {ESCAPE} OR i2.name_raw ILIKE ? {ESCAPE}) "
        "GROUP BY e.entity_id ORDER BY documents DESC, e.entity_id LIMIT ?",
        [contains_pattern(folded), contains_pattern(name), limit])
    return rows


def inventor_profile(store: Store, entity_id: str, limit: int = 200) -> dict[str, Any] | None:
    """An inventor's profile data: names as written, documents, co-inventors and employers (applicants and
    assignees of the inventor's documents) over time; None when no inventor has that id."""
    docs = store.query(
        "SELECT e.doc_id, e.seq, i.name_raw, i.city, i.country, d.office, d.number, d.kind, d.title, "
        "d.app_date, d.pub_date, d.grant_date, year(coalesce(d.app_date, d.priority_date, d.pub_date, d.grant_date)) "
        "AS year FROM inventor_entities e JOIN inventors i USING (doc_id, seq) LEFT JOIN documents d USING (doc_id) "
        "WHERE e.entity_id = ? ORDER BY year NULLS LAST, e.doc_id", [entity_id])
    if not docs:
        return None
    doc_ids = sorted({r["doc_id"] for r in docs})
    own = sorted({normalise_name(r["name_raw"]) or "" for r in docs})
    names = Counter(r["name_raw"] for r in docs)
    places = Counter((r["city"], r["country"]) for r in docs if r["city"] or r["country"])
    co = store.query(
        "SELECT coalesce(e.entity_id, 'n:' || i.name_norm) AS entity_id, mode(i.name_raw) AS name, "
        "count(DISTINCT i.doc_id) AS documents FROM inventors i "
        "LEFT JOIN inventor_entities e USING (doc_id, seq) WHERE i.doc_id IN (SELECT unnest(?)) "
        "AND coalesce(e.entity_id, 'n:' || i.name_norm) <> ? GROUP BY 1 ORDER BY documents DESC, 1 LIMIT ?",
        [doc_ids, entity_id, limit])
    has_party_entities = bool(store.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'party_entities'"))
    party_id = ("coalesce(pe.entity_id, 'n:' || p.name_norm)" if has_party_entities else "'n:' || p.name_norm")
    party_join = ("LEFT JOIN party_entities pe ON pe.doc_id = p.doc_id AND pe.seq = p.seq AND pe.role = p.role"
                  if has_party_entities else "")
    employers = store.query(
        f"SELECT {party_id} AS entity_id, mode(p.name_raw) AS name, count(DISTINCT p.doc_id) AS documents, "
        "min(year(coalesce(d.app_date, d.priority_date, d.pub_date, d.grant_date))) AS first_year, "
        "max(year(coalesce(d.app_date, d.priority_date, d.pub_date, d.grant_date))) AS last_year "
        f"FROM parties p {party_join} LEFT JOIN documents d ON d.doc_id = p.doc_id "
        f"WHERE p.role IN {_HOLDERS} AND p.doc_id IN (SELECT unnest(?)) AND p.name_norm IS NOT NULL "
        "AND p.name_norm NOT IN (SELECT unnest(?)) "
        "GROUP BY 1 ORDER BY first_year NULLS LAST, documents DESC, 1", [doc_ids, own])
    by_year = store.query(
        f"SELECT year(coalesce(d.app_date, d.priority_date, d.pub_date, d.grant_date)) AS year, {party_id} AS "
        "entity_id, mode(p.name_raw) AS name, count(DISTINCT p.doc_id) AS documents "
        f"FROM parties p {party_join} JOIN documents d ON d.doc_id = p.doc_id "
        f"WHERE p.role IN {_HOLDERS} AND p.doc_id IN (SELECT unnest(?)) AND p.name_norm IS NOT NULL "
        "AND p.name_norm NOT IN (SELECT unnest(?)) "
        "GROUP BY 1, 2 ORDER BY 1 NULLS LAST, documents DESC, 2", [doc_ids, own])
    years = [r["year"] for r in docs if r["year"] is not None]
    return {
        "entity_id": entity_id,
        "name": names.most_common(1)[0][0],
        "names": [{"name": n, "mentions": c} for n, c in names.most_common()],
        "documents_total": len(doc_ids),
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "places": [{"city": c, "country": k, "mentions": n} for (c, k), n in places.most_common()],
        "documents": [{k: _iso(r[k]) for k in ("doc_id", "office", "number", "kind", "title", "year", "app_date",
                                                "pub_date", "grant_date")} for r in docs[:limit]],
        "coinventors": co,
        "employers": employers,
        "employers_by_year": by_year,
    }
