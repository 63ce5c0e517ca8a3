"""The graph's operations as the core object calls them: one function per resource, each a plain dict.

Rules:

- The graph of a store lives in a folder: the one given, else ``<db stem>.graph`` beside the DuckDB file
  (:func:`ipcockpit.graph.build.default_folder`). ``build`` writes it; every other graph operation reads it and
  says to build it when it is missing.
- The build records what it was built from (documents and the last ingest); :func:`summary` compares it with
  the store and says ``stale`` when the store has changed since (the figures then are of the older store).
- Talent answers come from the store itself (no graph needed), so they are never stale.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipcockpit.graph import analysis, export, talent
from ipcockpit.graph.build import build_graph, default_folder, read_graph
from ipcockpit.graph.errors import GraphArgumentError, GraphMissingError
from ipcockpit.graph.explore import neighbourhood
from ipcockpit.store import Store

if TYPE_CHECKING:
    from ipcockpit.value.settings import ScreenSettings

EXPORT_FORMATS = ("graphml", "neo4j")


def folder_of(store: Store, folder: str | os.PathLike[str] | None = None) -> Path:
    """The graph folder of the store (``folder`` when given; an in-memory store has none of its own)."""
    if folder:
        return Path(folder)
    if store.path == ":memory:":
        raise GraphArgumentError("an in-memory store has no folder beside it: give the graph's folder")
    return default_folder(store.path)


def _source(store: Store) -> dict[str, Any]:
    [(docs, last)] = store.con.execute("SELECT (SELECT count(*) FROM documents), "
                                       "(SELECT max(ingested_at) FROM source_files)").fetchall()
    return {"documents": int(docs), "last_ingest": last.isoformat(timespec="seconds") if last else None}


def build(store: Store, folder: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Build the graph of the store into its folder; the build's summary (counts, seconds, source)."""
    return build_graph(store.con, folder_of(store, folder), source=_source(store))


def summary(store: Store, folder: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """What a built graph holds (its ``graph.json``) and whether it is ``stale`` (the store changed since)."""
    root = folder_of(store, folder)
    meta = root / "graph.json"
    if not meta.exists():
        raise GraphMissingError(f"{root}: no graph there; build it with `ipcockpit graph build`")
    data = json.loads(meta.read_text(encoding="utf-8"))
    now = _source(store)
    data["stale"] = data.get("source") != now
    data["store"] = now
    return data


def subgraph(store: Store, node: str, folder: str | os.PathLike[str] | None = None, depth: int = 1,
             relationships: Sequence[str] | None = None, year_from: int | None = None, year_to: int | None = None,
             ipc: str | None = None, sei: str | None = None, limit: int = 200) -> dict[str, Any]:
    """The explorer's subgraph around ``node`` (:func:`ipcockpit.graph.explore.neighbourhood`)."""
    return neighbourhood(folder_of(store, folder), node, depth, relationships, year_from, year_to, ipc, sei, limit)


def communities(store: Store, folder: str | os.PathLike[str] | None = None,
                relationships: Sequence[str] = analysis.COLLABORATION, labels: Sequence[str] | None = None,
                resolution: float = 1.0, top: int = 20) -> dict[str, Any]:
    """Leiden communities of the graph's ``relationships`` (:func:`ipcockpit.graph.analysis.communities`)."""
    nodes, edges = read_graph(folder_of(store, folder))
    return analysis.communities(nodes, edges, relationships, labels, resolution, top)


def centrality(store: Store, folder: str | os.PathLike[str] | None = None,
               relationships: Sequence[str] = analysis.COLLABORATION, labels: Sequence[str] | None = None,
               top: int = 20) -> dict[str, Any]:
    """The most central nodes of the graph's ``relationships`` (:func:`ipcockpit.graph.analysis.centrality`)."""
    nodes, edges = read_graph(folder_of(store, folder))
    return analysis.centrality(nodes, edges, relationships, labels, top)


def export_graph(store: Store, fmt: str, target: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None,
                 relationships: Sequence[str] | None = None, labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Write the graph as ``graphml`` (a file) or ``neo4j`` (a folder of CSV files)."""
    if fmt not in EXPORT_FORMATS:
        raise GraphArgumentError(f"export format {fmt!r}: give one of {', '.join(EXPORT_FORMATS)}")
    nodes, edges = read_graph(folder_of(store, folder))
    if fmt == "graphml":
        return {"format": fmt, **export.write_graphml(nodes, edges, target, relationships, labels)}
    return {"format": fmt, **export.write_neo4j(nodes, edges, target, relationships, labels)}


def talent_employers(store: Store, inventor: str) -> dict[str, Any]:
    return talent.employers(store, inventor)


def talent_mobility(store: Store, year_from: int | None = None, year_to: int | None = None, org: str | None = None,
                    limit: int = 200) -> dict[str, Any]:
    return talent.mobility(store, year_from, year_to, org, limit)


def talent_flows(store: Store, by: str = "region", level: int = 2, year_from: int | None = None,
                 year_to: int | None = None, resolved_only: bool = False) -> dict[str, Any]:
    return talent.flows(store, by, level, year_from, year_to, resolved_only)


def talent_key_inventors(store: Store, ipc: str | None = None, sei: str | None = None, top: int = 20,
                         settings: ScreenSettings | None = None) -> dict[str, Any]:
    return talent.key_inventors(store, ipc, sei, top, settings)


def talent_team(store: Store, inventor: str, limit: int = 50) -> dict[str, Any]:
    return talent.team(store, inventor, limit)
