"""Which documents each watched object covers: the temporary table ``_watch_docs(list_id, doc_id, object_kind,
object_value, added_at)`` the event sources join (:mod:`ipcockpit.watch.sources`).

- ``patent``: the document whose doc id, application id or number is the value (``CN103842254`` covers
  ``CN103842254B``: the value followed by a kind code).
- ``org``: documents with a party (applicant, holder, assignee; not agents, examiners) whose resolved entity
  (``party_entities``) is the value, or whose folded name is the value's folded name.
- ``ipc``: documents with a classification (IPC, IPCR, CPC) that starts with the value (spaces ignored).
- ``sei``: documents with an IPC code in the SEI branch (or below it) by the concordance
  (:func:`ipcockpit.graph.sei.sei_codes`, the rule the screening uses).
- ``region``: documents with a party whose GB/T 2260 code lies in the region (500120: the district; 500100
  every district of the city; 500000 the province).
- ``query``: the documents the search service ranks for the saved query (the first ``max_results``); without a
  search index the object covers nothing and the run says why (``unknown``).
- ``protected``: no documents; its events are marks (the ``similar_mark`` source, :mod:`ipcockpit.watch.sources`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ipcockpit.model.names import normalise_name

if TYPE_CHECKING:
    import duckdb

    from ipcockpit.settings import Settings
    from ipcockpit.store import Store

#: party roles that hold or seek the right (not agents, examiners, inventors)
HOLDER_ROLES = ("applicant", "current_owner", "assignee", "patentee", "owner", "holder")
_ROLES = "(" + ", ".join(f"'{r}'" for r in HOLDER_ROLES) + ")"
SCHEMA = pa.schema([("list_id", pa.int64()), ("doc_id", pa.string()), ("object_kind", pa.string()),
                    ("object_value", pa.string())])


def region_prefix(code: str) -> str:
    """The prefix of the GB/T 2260 codes inside ``code``: 500000 → 50, 500100 → 5001, 500120 → 500120."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def _docs_of(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> list[str]:
    if kind == "org":
        folded = normalise_name(value) or value
        return [r[0] for r in con.execute(
            f"SELECT DISTINCT p.doc_id FROM parties p LEFT JOIN party_entities e ON e.doc_id = p.doc_id "
            f"AND e.seq = p.seq AND e.role = p.role WHERE p.role IN {_ROLES} AND (e.entity_id = $v OR "
            f"p.name_norm = $f)", {"v": value, "f": folded}).fetchall()]
    if kind == "ipc":
        return [r[0] for r in con.execute(
            "SELECT DISTINCT doc_id FROM classifications WHERE lower(scheme) IN ('ipc', 'ipcr', 'cpc') "
            "AND starts_with(upper(replace(code, ' ', '')), $v)", {"v": value}).fetchall()]
    if kind == "region":
        return [r[0] for r in con.execute(
            f"SELECT DISTINCT doc_id FROM parties WHERE role IN {_ROLES} AND starts_with(admin_code, $p)",
            {"p": region_prefix(value)}).fetchall()]
    if kind == "sei":
        from ipcockpit.graph.sei import sei_codes

        table = sei_codes(con, "SELECT DISTINCT code FROM classifications WHERE lower(scheme) IN ('ipc', 'ipcr')")
        codes = sorted({c for c, b in zip(table["code"].to_pylist(), table["branch"].to_pylist(), strict=True)
                        if b == value or str(b).startswith(value + ".")})
        if not codes:
            return []
        return [r[0] for r in con.execute(
            "SELECT DISTINCT doc_id FROM classifications WHERE lower(scheme) IN ('ipc', 'ipcr') AND code IN "
            "(SELECT unnest($c::VARCHAR[]))", {"c": codes}).fetchall()]
    raise ValueError(kind)


def _patents(con: duckdb.DuckDBPyConnection, values: list[str]) -> dict[str, list[str]]:
    """The documents of each watched patent value, in one pass: the doc id, the application id, the number, or
    the doc id without its kind code (``CN103842254`` → ``CN103842254B``)."""
    if not values:
        return {}
    out: dict[str, list[str]] = {v: [] for v in values}
    rows = con.execute(
        "WITH v AS (SELECT DISTINCT unnest($v::VARCHAR[]) AS v), d AS (SELECT doc_id, app_id, upper(number) AS number, "
        "regexp_replace(doc_id, '[A-Z][0-9]?$', '') AS bare FROM documents) "
        "SELECT v.v, d.doc_id FROM v JOIN d ON d.doc_id = v.v "
        "UNION SELECT v.v, d.doc_id FROM v JOIN d ON d.app_id = v.v "
        "UNION SELECT v.v, d.doc_id FROM v JOIN d ON d.number = v.v UNION SELECT v.v, d.doc_id FROM v JOIN d "
        "ON d.bare = v.v", {"v": values}).fetchall()
    for value, doc in rows:
        out[value].append(doc)
    return out


def query_docs(store: Store, settings: Settings, query: str) -> tuple[list[str], str | None]:
    """The documents the search service ranks for ``query`` and None, or [] and why it could not search."""
    from ipcockpit.errors import IPCockpitError
    from ipcockpit.search.hybrid import search
    from ipcockpit.settings import index_folder

    try:
        hits = search(store.con, index_folder(settings), query, limit=settings.max_results, passages=False)
    except (IPCockpitError, OSError) as exc:
        return [], str(exc)
    return [h["doc_id"] for h in hits], None


def build(store: Store, settings: Settings, list_ids: list[int] | None = None) -> dict[str, Any]:
    """Fill ``_watch_docs`` for the lists (all when None); returns ``{"objects": n, "docs": n, "unknown":
    [{list_id, kind, value, reason}]}`` (objects whose documents could not be told)."""
    con = store.con
    where = "" if list_ids is None else " WHERE list_id IN (SELECT unnest($ids::BIGINT[]))"
    objects = con.execute(f"SELECT list_id, kind, value FROM watch_objects{where} ORDER BY list_id, kind, value",
                          {"ids": list_ids} if list_ids is not None else {}).fetchall()
    cols: dict[str, list[Any]] = {f.name: [] for f in SCHEMA}
    unknown: list[dict[str, Any]] = []
    cache: dict[tuple[str, str], list[str]] = {
        ("patent", v): docs for v, docs in _patents(con, sorted({o[2] for o in objects if o[1] == "patent"})).items()}
    for list_id, kind, value in objects:
        if (kind, value) not in cache:
            if kind == "protected":  # marks, not documents: the similar_mark source reads watch_objects
                cache[(kind, value)] = []
            elif kind == "query":
                docs, why = query_docs(store, settings, value)
                if why:
                    unknown.append({"list_id": list_id, "kind": kind, "value": value, "reason": why})
                cache[(kind, value)] = docs
            else:
                cache[(kind, value)] = _docs_of(con, kind, value)
        for doc in cache[(kind, value)]:
            cols["list_id"].append(list_id)
            cols["doc_id"].append(doc)
            cols["object_kind"].append(kind)
            cols["object_value"].append(value)
    table = pa.table(cols, schema=SCHEMA)
    con.register("_watch_docs_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _watch_docs AS SELECT w.*, o.added_at FROM _watch_docs_arrow w "
                    "JOIN watch_objects o ON o.list_id = w.list_id AND o.kind = w.object_kind "
                    "AND o.value = w.object_value")
    finally:
        con.unregister("_watch_docs_arrow")
    return {"objects": len(objects), "docs": table.num_rows, "unknown": unknown}
