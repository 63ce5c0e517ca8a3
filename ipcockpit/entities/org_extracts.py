"""Extracts loaded as evidence for organisation resolution: an enterprise registry and PatentsView's disambiguated
assignees (docs/entities.md "Organisations", "Extracts as evidence").

Each extract is read into ``org_extract_names(source, file, grp, evidence, name_raw, name_norm)``: one row per
name of a *group*, the names the extract says are one organisation:

- ``registry``: one row of a registry CSV (the layout of ipcockpit.strength.registry, the strength package's
  reader: one unified social credit code, its registered name and its former names ``aliases``); ``evidence``
  ``registry <credit code>, line N`` (``registry <file name>, line N`` for a row without a code). Rows the
  strength reader rejects (no name, a wrong check digit ...) are rejected here too, with their line and reason;
- ``patentsview``: the rows of ``g_assignee_disambiguated.tsv`` of one ``assignee_id``: its
  ``disambig_assignee_organization`` and, for each of its rows whose patent is a US grant of the store (now or
  after a later ingest), the store's own name of that assignee (the ``assignee_sequence``-th assignee of the
  document, from 0, in the order of ``parties.seq``); ``evidence`` ``patentsview <assignee_id>``;
- ``g_inventor_disambiguated.tsv`` (an ``inventor_id`` column) goes to ``inventor_extract_ids(file, patent_id,
  position, inventor_id)`` instead: inventor resolution reads it as a feature of the mention
  (ipcockpit.entities.inv_store, ``WEIGHTS["external"]``).

Stored party names that fold (``normalise_name``) to two names of one group are a pair of evidence for
:func:`ipcockpit.entities.store.assign`, like a second source's name of one party (``name_aliases``): the names
not yet resolved join the entity of their partner, whatever the spelling. Names already resolved keep their ids
(an id changes only by an analyst's override): the load lists the groups whose names are in two entities now,
for ``entities merge``. Loading a file again replaces its rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.errors import IPCockpitError
from ipcockpit.model.names import normalise_name
from ipcockpit.strength.registry import read_rows

TABLE = ("CREATE TABLE IF NOT EXISTS org_extract_names (source VARCHAR NOT NULL, file VARCHAR NOT NULL, "
         "grp VARCHAR NOT NULL, evidence VARCHAR NOT NULL, name_raw VARCHAR NOT NULL, name_norm VARCHAR NOT NULL, "
         "patent_id VARCHAR, position INTEGER)")
_SCHEMA = pa.schema([*((c, pa.string()) for c in ("source", "file", "grp", "evidence", "name_raw", "name_norm",
                                                   "patent_id")), ("position", pa.int32())])
#: the US grants the store holds, by PatentsView's patent_id (the number without leading zeros)
_HELD = ("SELECT ltrim(number, '0') AS patent_id, doc_id FROM documents WHERE office = 'US' AND number IS NOT NULL "
         "AND NOT starts_with(coalesce(kind, ''), 'A')")
#: the stored names of a group: by folded name (both sources), and for PatentsView the store's own name of the
#: patent's assignee at that position (from 0 in the order of parties.seq)
_GROUP_NAMES = (
    "WITH p AS (SELECT DISTINCT name_raw, name_norm FROM parties WHERE trim(name_raw) <> ''), "
    f"h AS ({_HELD}), "
    "a AS (SELECT doc_id, name_raw, row_number() OVER (PARTITION BY doc_id ORDER BY seq) - 1 AS position "
    "FROM parties WHERE role = 'assignee' AND trim(name_raw) <> '' AND starts_with(doc_id, 'US')) "
    "SELECT e.source, e.file, e.grp, e.evidence, p.name_raw FROM org_extract_names e "
    "JOIN p ON p.name_norm = e.name_norm "
    "UNION SELECT e.source, e.file, e.grp, e.evidence, a.name_raw FROM org_extract_names e "
    "JOIN h ON h.patent_id = e.patent_id JOIN a ON a.doc_id = h.doc_id AND a.position = e.position")
#: the columns of g_assignee_disambiguated.tsv read (PatentsView bulk data, granted patents)
PV_ASSIGNEE = ("patent_id", "assignee_sequence", "assignee_id", "disambig_assignee_organization")
#: the columns of g_inventor_disambiguated.tsv read
PV_INVENTOR = ("patent_id", "inventor_sequence", "inventor_id")
INVENTOR_TABLE = ("CREATE TABLE IF NOT EXISTS inventor_extract_ids (file VARCHAR NOT NULL, patent_id VARCHAR NOT NULL, "
                  "position INTEGER NOT NULL, inventor_id VARCHAR NOT NULL)")


class ExtractError(IPCockpitError):
    """An extract that cannot be read (missing, not the documented layout)."""


def load_registry(con: duckdb.DuckDBPyConnection, path: str | Path) -> dict[str, Any]:
    """Store the names of each readable row of a registry CSV as one group; the counts, the rejected rows and
    the groups split over two entities already."""
    rows: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    count = 0
    for line, row, reason, names in read_rows(path):
        count += 1
        if reason:
            rejected.append({"line": line, "name": row["name"], "reason": reason})
            continue
        code = row["credit_code"].upper()
        evidence = f"registry {code or Path(path).name}, line {line}"
        rows += _names("registry", path, f"registry:{path}#{line}", evidence, names)
    result = _store(con, "registry", path, rows)
    return {**result, "rows": count, "rejected": rejected}


def load_patentsview(con: duckdb.DuckDBPyConnection, path: str | Path) -> dict[str, Any]:
    """Store the rows of a ``g_assignee_disambiguated.tsv`` extract, one group per ``assignee_id`` (or of a
    ``g_inventor_disambiguated.tsv`` extract: :func:`_load_inventors`); the counts (``rows_of_held_patents``: rows
    of US grants the store holds now) and the groups split over two entities."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f, delimiter="\t")
            header = reader.fieldnames or []
            layout = PV_INVENTOR if "inventor_id" in header else PV_ASSIGNEE
            missing = [c for c in layout if c not in header]
            if missing:
                raise ExtractError(f"{path}: no {', '.join(missing)} column; a g_assignee_disambiguated.tsv "
                                   f"extract has {', '.join(PV_ASSIGNEE)}, a g_inventor_disambiguated.tsv "
                                   f"{', '.join(PV_INVENTOR)} (tab-separated, with the header)")
            read = [{k: (r.get(k) or "").strip() for k in layout} for r in reader]
    except OSError as exc:
        raise ExtractError(f"{path}: cannot read the extract ({exc.strerror})") from exc
    if layout is PV_INVENTOR:
        return _load_inventors(con, path, read)
    rows: list[dict[str, Any]] = []
    for r in read:
        if not r["assignee_id"] or not r["patent_id"]:
            continue
        position = int(r["assignee_sequence"]) if r["assignee_sequence"].isdigit() else None
        for row in _names("patentsview", path, "patentsview:" + r["assignee_id"],
                          f"patentsview {r['assignee_id']}", [r["disambig_assignee_organization"] or "-"]):
            rows.append({**row, "patent_id": r["patent_id"].lstrip("0"), "position": position})
    result = _store(con, "patentsview", path, rows)
    held = con.execute(f"SELECT count(*) FROM org_extract_names x WHERE source = 'patentsview' AND file = ? "
                       f"AND EXISTS (SELECT 1 FROM ({_HELD}) h WHERE h.patent_id = x.patent_id)",
                       [str(path)]).fetchone()[0]
    return {**result, "rows": len(read), "rows_of_held_patents": int(held)}


def _load_inventors(con: duckdb.DuckDBPyConnection, path: str | Path, read: list[dict[str, str]]) -> dict[str, Any]:
    """Store ``inventor_id`` per (patent, inventor_sequence): inventor resolution reads it as a feature of the
    mention (ipcockpit.entities.inv_store: the ``inventor_sequence``-th inventor of the document, from 0)."""
    rows = [{"file": str(path), "patent_id": r["patent_id"].lstrip("0"), "position": int(r["inventor_sequence"]),
             "inventor_id": r["inventor_id"]} for r in read
            if r["patent_id"] and r["inventor_id"] and r["inventor_sequence"].isdigit()]
    con.execute(INVENTOR_TABLE)
    con.register("_ipc_extract", pa.Table.from_pylist(rows, schema=pa.schema([
        ("file", pa.string()), ("patent_id", pa.string()), ("position", pa.int32()), ("inventor_id", pa.string())])))
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM inventor_extract_ids WHERE file = ?", [str(path)])
        con.execute("INSERT INTO inventor_extract_ids SELECT DISTINCT * FROM _ipc_extract")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_ipc_extract")
    held = con.execute(f"SELECT count(*) FROM inventor_extract_ids x WHERE file = ? AND EXISTS "
                       f"(SELECT 1 FROM ({_HELD}) h WHERE h.patent_id = x.patent_id)", [str(path)]).fetchall()[0][0]
    return {"file": str(path), "source": "patentsview_inventors", "rows": len(read),
            "groups": len({r["inventor_id"] for r in rows}), "rows_of_held_patents": int(held)}


def _names(source: str, path: str | Path, grp: str, evidence: str, names: Iterable[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n in names:
        folded = normalise_name(n) if n else ""
        if folded:
            out.append({"source": source, "file": str(path), "grp": grp, "evidence": evidence, "name_raw": n,
                        "name_norm": folded, "patent_id": None, "position": None})
    return out


def _store(con: duckdb.DuckDBPyConnection, source: str, path: str | Path,
           rows: list[dict[str, Any]]) -> dict[str, Any]:
    con.execute(TABLE)
    con.register("_ipc_extract", pa.Table.from_pylist(rows, schema=_SCHEMA))
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM org_extract_names WHERE source = ? AND file = ?", [source, str(path)])
        con.execute("INSERT INTO org_extract_names SELECT DISTINCT * FROM _ipc_extract")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_ipc_extract")
    split = con.execute(
        f"SELECT x.evidence, list(DISTINCT n.entity_id ORDER BY n.entity_id), list(DISTINCT x.name_raw "
        f"ORDER BY x.name_raw) FROM ({_GROUP_NAMES}) x JOIN org_names n ON n.name_raw = x.name_raw "
        f"WHERE x.source = ? AND x.file = ? GROUP BY x.grp, x.evidence HAVING count(DISTINCT n.entity_id) > 1 "
        f"ORDER BY x.evidence", [source, str(path)]).fetchall()
    stored = con.execute(f"SELECT count(DISTINCT name_raw) FROM ({_GROUP_NAMES}) x WHERE x.source = ? "
                         f"AND x.file = ?", [source, str(path)]).fetchone()[0]
    return {"file": str(path), "source": source, "groups": len({r["grp"] for r in rows}),
            "names": len({r["name_norm"] for r in rows}), "stored_names": int(stored),
            "split": [{"evidence": e, "entities": ids, "names": names} for e, ids, names in split]}


def pairs(con: duckdb.DuckDBPyConnection, new_table: str) -> dict[tuple[str, str], str]:
    """Pairs of stored party names (either in ``new_table``'s ``name_raw``) that fold to two names of one group
    of a loaded extract, each with its evidence; none when no extract was loaded."""
    if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'org_extract_names'").fetchall():
        return {}
    out: dict[tuple[str, str], str] = {}
    for a, b, evidence in con.execute(
            f"WITH x AS (SELECT DISTINCT grp, evidence, name_raw FROM ({_GROUP_NAMES})) "
            f"SELECT a.name_raw, b.name_raw, min(a.evidence) FROM x a JOIN x b ON a.grp = b.grp "
            f"AND a.name_raw < b.name_raw WHERE a.name_raw IN (SELECT name_raw FROM {new_table}) "
            f"OR b.name_raw IN (SELECT name_raw FROM {new_table}) GROUP BY ALL ORDER BY 1, 2").fetchall():
        out[(a, b)] = evidence
    return out
