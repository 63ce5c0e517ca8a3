"""The explorer's subgraph: a node's neighbourhood, filtered by year and field, capped, ready for ECharts.

Rules:

- A node is found by its id (``org:n:华为技术``), its entity id (``n:华为技术``, ``o:17``, ``i:9``) or its name
  as written (case-insensitive; the node with the most documents wins).
- The neighbourhood is the nodes up to ``depth`` steps away along the edges of ``relationships`` (all when
  None), in either direction. Each step adds the strongest edges first (weight, then ids), until the answer
  holds ``limit`` nodes; ``truncated`` says when some were left out.
- Years: an edge is kept when its years (``first_year``..``last_year``) meet ``year_from``..``year_to``; an
  edge without years is left out while a year filter is on (its year cannot be shown to match), and counted in
  ``no_year``.
- Field: ``ipc`` (an IPC prefix: ``H04N``, ``H04N 19``) or ``sei`` (a branch ``1.2`` or an industry ``1``)
  keeps the families classified there (``classified`` / ``in_industry`` edges) and drops the other families
  with their edges; ``co_invent`` and ``co_apply`` edges, which stand for families of any field, are left out
  while a field filter is on (the collaboration shows through the shared families).
- :func:`neighbourhood` answers from the graph held in memory (:mod:`ipcockpit.graph.explore_index`: read
  once per build, an expand costs the node's edges); :func:`neighbourhood_scan` answers the same by scanning the
  Parquet files with DuckDB on every call (the reference the tests and ``bench/graph_explore.py`` compare with).
- The answer is ECharts' graph series: ``nodes`` (``id``, ``name``, ``category`` index, ``label``, ``value``:
  documents, ``symbolSize``), ``links`` (``source``, ``target``, ``relationship``, ``value``: weight,
  ``first_year``, ``last_year``, ``evidence``) and ``categories``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from ipcockpit.graph.build import FAMILY_PREFIXES, LABELS
from ipcockpit.graph.errors import GraphMissingError, GraphNodeNotFoundError
from ipcockpit.graph.explore_index import graph_index

COLLABORATION = ("co_invent", "co_apply")
MAX_LIMIT = 2000


def _paths(folder: str | os.PathLike[str]) -> tuple[str, str]:
    root = Path(folder)
    nodes, edges = root / "nodes.parquet", root / "edges.parquet"
    if not nodes.exists() or not edges.exists():
        raise GraphMissingError(f"{root}: no graph there; build it with `ipcockpit graph build`")
    return str(nodes), str(edges)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def find_node(folder: str | os.PathLike[str], text: str) -> dict[str, Any]:
    """The node ``text`` names (id, entity id or name); raises :class:`GraphNodeNotFoundError`."""
    index = graph_index(folder)
    return index.row(index.find(text))


def _find(con: duckdb.DuckDBPyConnection, nodes: str, text: str) -> dict[str, Any]:
    key = (text or "").strip()
    found = _rows(con, f"SELECT * FROM read_parquet('{_q(nodes)}') WHERE id = $1 OR entity_id = $1 "
                       "OR lower(name) = lower($1) ORDER BY (id = $1) DESC, (entity_id = $1) DESC, "
                       "documents DESC NULLS LAST, id LIMIT 1", [key])
    if not found:
        raise GraphNodeNotFoundError(f"no node {key!r} in the graph; give a node id (org:…, inv:…, fam:…, app:…), an "
                                     "entity id or a name as written, e.g. from `ipcockpit graph show`")
    return found[0]


def _q(path: str) -> str:
    return path.replace("'", "''")


def neighbourhood(folder: str | os.PathLike[str], node: str, depth: int = 1,
                  relationships: Sequence[str] | None = None, year_from: int | None = None,
                  year_to: int | None = None, ipc: str | None = None, sei: str | None = None,
                  limit: int = 200) -> dict[str, Any]:
    """The subgraph around ``node`` (see the module's rules), as ECharts nodes and links, from the graph held
    in memory."""
    index = graph_index(folder)
    limit = max(1, min(int(limit), MAX_LIMIT))
    k = index.find(node)
    center = index.row(k)
    keep = index.mask(relationships, year_from, year_to, ipc, sei)
    rows, links, truncated = index.walk(k, depth, keep, limit)
    no_year = index.no_year(k) if year_from is not None or year_to is not None else 0
    return _echarts(center, index.nodes.take(rows).to_pylist(), index.edges.take(links).to_pylist(), truncated,
                    limit, no_year, {"depth": depth, "relationships": list(relationships or []),
                                     "year_from": year_from, "year_to": year_to, "ipc": ipc, "sei": sei})


def neighbourhood_scan(folder: str | os.PathLike[str], node: str, depth: int = 1,
                       relationships: Sequence[str] | None = None, year_from: int | None = None,
                       year_to: int | None = None, ipc: str | None = None, sei: str | None = None,
                       limit: int = 200) -> dict[str, Any]:
    """:func:`neighbourhood` by scanning the Parquet files with DuckDB (the reference)."""
    nodes_path, edges_path = _paths(folder)
    limit = max(1, min(int(limit), MAX_LIMIT))
    con = duckdb.connect()
    try:
        center = _find(con, nodes_path, node)
        where, params = _edge_filter(relationships, year_from, year_to, ipc, sei)
        con.execute(f"CREATE TEMP TABLE e AS SELECT * FROM read_parquet('{_q(edges_path)}') WHERE {where}", params)
        if ipc or sei:
            _drop_other_fields(con, ipc, sei)
        no_year = 0
        if year_from is not None or year_to is not None:
            no_year = con.execute(
                f"SELECT count(*) FROM read_parquet('{_q(edges_path)}') WHERE first_year IS NULL AND "
                "(src = $1 OR dst = $1)", [center["id"]]).fetchall()[0][0]
        kept, links, truncated = {center["id"]}, {}, False
        frontier = [center["id"]]
        for _ in range(max(0, int(depth))):
            if not frontier or truncated:
                break
            con.execute("CREATE OR REPLACE TEMP TABLE f AS SELECT unnest($1::VARCHAR[]) AS id", [frontier])
            step = _rows(con, "SELECT e.* FROM e WHERE e.src IN (SELECT id FROM f) OR e.dst IN (SELECT id FROM f) "
                              "ORDER BY weight DESC, src, dst, relationship")
            frontier = []
            for edge in step:
                other = [n for n in (edge["src"], edge["dst"]) if n not in kept]
                if len(kept) + len(other) > limit:
                    truncated = True
                    continue
                for n in other:
                    kept.add(n)
                    frontier.append(n)
                links[(edge["src"], edge["dst"], edge["relationship"])] = edge
        # the edges among the nodes kept that the walk did not take (two neighbours that co-invent)
        con.execute("CREATE OR REPLACE TEMP TABLE f AS SELECT unnest($1::VARCHAR[]) AS id", [sorted(kept)])
        for edge in _rows(con, "SELECT * FROM e WHERE src IN (SELECT id FROM f) AND dst IN (SELECT id FROM f)"):
            links.setdefault((edge["src"], edge["dst"], edge["relationship"]), edge)
        found = _rows(con, f"SELECT * FROM read_parquet('{_q(nodes_path)}') WHERE id IN (SELECT id FROM f) "
                           "ORDER BY id")
    finally:
        con.close()
    return _echarts(center, found, list(links.values()), truncated, limit, no_year,
                    {"depth": depth, "relationships": list(relationships or []), "year_from": year_from,
                     "year_to": year_to, "ipc": ipc, "sei": sei})


def _edge_filter(relationships: Sequence[str] | None, year_from: int | None, year_to: int | None,
                 ipc: str | None, sei: str | None) -> tuple[str, list[Any]]:
    where, params = ["true"], []
    if relationships:
        params.append(list(relationships))
        where.append(f"relationship IN (SELECT unnest(${len(params)}::VARCHAR[]))")
    if year_from is not None:
        params.append(int(year_from))
        where.append(f"last_year >= ${len(params)}")
    if year_to is not None:
        params.append(int(year_to))
        where.append(f"first_year <= ${len(params)}")
    if ipc or sei:
        where.append("relationship NOT IN ('co_invent', 'co_apply')")
    return " AND ".join(where), params


def _drop_other_fields(con: duckdb.DuckDBPyConnection, ipc: str | None, sei: str | None) -> None:
    """Keep only the families of the field (and every edge that touches no family)."""
    tests = []
    params: list[Any] = []
    if ipc:
        params.append("ipc:" + ipc.strip().upper())
        tests.append(f"(relationship = 'classified' AND starts_with(dst, ${len(params)}))")
    if sei:
        code = sei.strip()
        params += ["sei:" + code, "sei:" + code + "."]
        tests.append(f"(relationship = 'in_industry' AND (dst = ${len(params) - 1} "
                     f"OR starts_with(dst, ${len(params)})))")
    con.execute(f"CREATE TEMP TABLE fams AS SELECT DISTINCT src AS id FROM e WHERE {' OR '.join(tests)}", params)
    def family(col: str) -> str:
        return "(" + " OR ".join(f"starts_with({col}, '{p}')" for p in FAMILY_PREFIXES) + ")"

    con.execute(f"DELETE FROM e WHERE ({family('src')} AND src NOT IN (SELECT id FROM fams)) "
                f"OR ({family('dst')} AND dst NOT IN (SELECT id FROM fams))")


def _echarts(center: dict[str, Any], nodes: list[dict[str, Any]], links: list[dict[str, Any]], truncated: bool,
             limit: int, no_year: int, filters: dict[str, Any]) -> dict[str, Any]:
    labels = list(LABELS)
    out_nodes = []
    for n in nodes:
        docs = n["documents"] or 0
        out_nodes.append({"id": n["id"], "name": n["name"] or n["id"], "label": n["label"],
                          "category": labels.index(n["label"]), "value": docs,
                          "symbolSize": round(8 + 6 * math.log1p(docs), 1), "entity_id": n["entity_id"],
                          "first_year": n["first_year"], "last_year": n["last_year"],
                          "center": n["id"] == center["id"]})
    out_links = [{"source": e["src"], "target": e["dst"], "relationship": e["relationship"], "value": e["weight"],
                  "first_year": e["first_year"], "last_year": e["last_year"], "evidence": list(e["evidence"] or []),
                  "condition": e["condition"]}
                 for e in sorted(links, key=lambda e: (e["src"], e["dst"], e["relationship"]))]
    return {"center": {k: center[k] for k in ("id", "label", "name", "entity_id", "documents")},
            "filters": filters, "limit": limit, "truncated": truncated, "no_year": no_year,
            "nodes": out_nodes, "links": out_links, "categories": [{"name": label} for label in labels]}
