"""The data of the knowledge-graph pages (知识图谱, 人才流动): one function per page, each a plain dict that the web
renders as HTML, JSON, CSV or Excel (docs/entities.md, "Pages, CLI and API").

Rules:

- **Explorer** (:func:`explorer`): a graph not built answers ``built`` false and the command that builds it.
  Otherwise the graph's counts (``stale`` when the store changed since the build), and the subgraph around the
  node asked for (:func:`ipcockpit.graph.explore.neighbourhood`: its filters, its cap); no node asked for: the
  organisation with the most documents. A text that names no node answers ``found`` false with the nodes whose
  name or id contains it (most documents first). The folder of the graph (a path on the server) is not part of
  the answer.
- **Talent** (:func:`talent`): the mobility events (newest first, ``limit`` listed), the flows by region (codes
  cut to ``level`` digits) and by SEI industry, and, when asked for, the key inventors of a field and the team of
  an inventor (:mod:`ipcockpit.graph.talent`, unchanged). ``resolved`` says whether any inventor id of the store
  is a resolved entity (``i:``); while none is, the ids are folded names that may join namesakes, and the page
  says so.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipcockpit.graph import profiles, service
from ipcockpit.graph import talent as talent_data
from ipcockpit.graph.errors import GraphMissingError, GraphNodeNotFoundError
from ipcockpit.graph.explore_index import graph_index
from ipcockpit.graph.ids import INVENTOR_TABLE, has_table
from ipcockpit.store import Store

__all__ = ["explorer", "profiles", "search_nodes", "talent"]

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ipcockpit.value.settings import ScreenSettings

BUILD_COMMAND = "ipcockpit graph build"
SUGGESTIONS = 10
#: the labels a search box offers (families are reached by expanding)
FINDABLE = ("organisation", "individual", "inventor", "ipc_group", "sei_branch", "region")


def _graph_meta(store: Store, folder: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    try:
        meta = service.summary(store, folder)
    except GraphMissingError:
        return None
    keep = ("nodes", "edges", "by_label", "by_relationship", "events_without_counterparty", "seconds", "source",
            "stale", "store")
    return {k: meta.get(k) for k in keep}


def search_nodes(folder: str | os.PathLike[str], text: str, limit: int = SUGGESTIONS) -> list[dict[str, Any]]:
    """The findable nodes whose name or id contains ``text`` (case-insensitive), most documents first."""
    index = graph_index(folder)
    key = pc.utf8_lower(pa.scalar((text or "").strip(), pa.string())).as_py()
    if not key:
        return []
    hit = (pc.match_substring(index.name_lower, key).fill_null(False).to_numpy(zero_copy_only=False)
           | pc.match_substring(pc.utf8_lower(index.ids), key).fill_null(False).to_numpy(zero_copy_only=False))
    hit &= np.isin(index.label.to_numpy(zero_copy_only=False), FINDABLE)
    rows = np.flatnonzero(hit)
    docs = index.documents.fill_null(0).to_numpy()[rows]
    rows = rows[np.lexsort((index.rank[rows], -docs))][:limit]
    return [{k: r[k] for k in ("id", "label", "name", "entity_id", "documents")}
            for r in index.nodes.take(pa.array(rows, pa.int64())).to_pylist()]


def _default_node(folder: str | os.PathLike[str]) -> str | None:
    """The organisation with the most documents (else any node with the most documents)."""
    index = graph_index(folder)
    docs = index.documents.fill_null(0).to_numpy()
    orgs = np.flatnonzero(index.label.to_numpy(zero_copy_only=False) == "organisation")
    pool = orgs if len(orgs) else np.arange(index.n)
    if not len(pool):
        return None
    best = pool[np.lexsort((index.rank[pool], -docs[pool]))][0]
    return str(index.ids[int(best)].as_py())


def explorer(store: Store, node: str | None = None, folder: str | os.PathLike[str] | None = None, depth: int = 1,
             relationships: Sequence[str] | None = None, year_from: int | None = None, year_to: int | None = None,
             ipc: str | None = None, sei: str | None = None, limit: int = 200) -> dict[str, Any]:
    """The explorer page's data (the module's rules)."""
    filters = {"depth": depth, "relationships": list(relationships or []), "year_from": year_from,
               "year_to": year_to, "ipc": ipc, "sei": sei}
    meta = _graph_meta(store, folder)
    empty: dict[str, Any] = {"center": None, "filters": filters, "limit": limit, "truncated": False, "no_year": 0,
                             "nodes": [], "links": [], "categories": []}
    if meta is None:
        return {"built": False, "command": BUILD_COMMAND, "graph": None, "query": node, "found": False,
                "suggestions": [], **empty}
    root = service.folder_of(store, folder)
    query = (node or "").strip() or _default_node(root)
    if query is None:
        return {"built": True, "command": BUILD_COMMAND, "graph": meta, "query": node, "found": False,
                "suggestions": [], **empty}
    try:
        sub = service.subgraph(store, query, folder, depth=depth, relationships=relationships, year_from=year_from,
                               year_to=year_to, ipc=ipc, sei=sei, limit=limit)
    except GraphNodeNotFoundError:
        return {"built": True, "command": BUILD_COMMAND, "graph": meta, "query": query, "found": False,
                "suggestions": search_nodes(root, query), **empty}
    return {"built": True, "command": BUILD_COMMAND, "graph": meta, "query": query, "found": True,
            "suggestions": [], **sub}


def resolved_inventors(store: Store) -> bool:
    """Whether any inventor of the store has a resolved entity id (``i:``)."""
    if not has_table(store.con, INVENTOR_TABLE):
        return False
    return bool(store.con.execute(f"SELECT count(*) FROM {INVENTOR_TABLE} WHERE starts_with(entity_id, 'i:')")
                .fetchall()[0][0])


def talent(store: Store, year_from: int | None = None, year_to: int | None = None, org: str | None = None,
           level: int = 2, inventor: str | None = None, ipc: str | None = None, sei: str | None = None,
           limit: int = 200, top: int = 20, settings: ScreenSettings | None = None) -> dict[str, Any]:
    """The talent page's data (the module's rules)."""
    moves = talent_data.mobility(store, year_from, year_to, org, limit)
    by_region = talent_data.flows(store, "region", level, year_from, year_to)
    by_industry = talent_data.flows(store, "industry", level, year_from, year_to)
    out: dict[str, Any] = {
        "resolved": resolved_inventors(store),
        "filters": {"year_from": year_from, "year_to": year_to, "org": org, "level": level, "inventor": inventor,
                    "ipc": ipc, "sei": sei},
        "events_total": moves["events_total"], "events_resolved": moves["resolved"],
        "events_unresolved": moves["unresolved"],
        "events": [_event_row(e) for e in moves["events"]],
        "flows_region": by_region["rows"], "flows_industry": by_industry["rows"],
        "key_field": None, "key_inventors": [], "inventor": None, "inventor_found": None, "employers": [],
        "team": [], "team_total": 0,
    }
    if ipc or sei:
        key = talent_data.key_inventors(store, ipc, sei, top, settings)
        out["key_field"] = {"ipc": ipc, "sei": sei, "documents": key["documents"], "inventors": key["inventors"]}
        out["key_inventors"] = key["rows"]
    if inventor:
        try:
            team = talent_data.team(store, inventor, limit)
        except GraphNodeNotFoundError:
            out["inventor_found"] = False
        else:
            out["inventor_found"] = True
            out["inventor"] = team["inventor"]
            out["employers"] = team["employers"]
            out["team"] = team["coinventors"]
            out["team_total"] = team["coinventors_total"]
    return out


def _event_row(e: dict[str, Any]) -> dict[str, Any]:
    """A mobility event as one flat row (its evidence as two columns)."""
    row = {k: v for k, v in e.items() if k not in ("evidence", "from_industries", "to_industries")}
    row["from_document"], row["to_document"] = e["evidence"][0], e["evidence"][1]
    row["from_industries"] = ", ".join(e.get("from_industries") or [])
    row["to_industries"] = ", ".join(e.get("to_industries") or [])
    return row
