"""Analysis of a built graph with igraph: Leiden communities and degree, betweenness and PageRank centrality.

Rules:

- The analysed graph is the part of the stored graph with the relationships asked for (by default the
  collaboration graph: ``co_invent`` and ``co_apply``), undirected, ``weight`` the edge's weight (families
  shared); nodes without such an edge are left out.
- Communities: Leiden maximising modularity (igraph's ``community_leiden``, iterated until stable), with a fixed
  seed so that a graph gives the same communities each time. Each community lists its largest members by
  weighted degree.
- Centrality: ``degree`` (neighbours), ``strength`` (the sum of edge weights), PageRank (weighted, damping 0.85),
  betweenness (unweighted shortest paths, normalised to 0..1). Exact betweenness costs O(nodes × edges): above
  ``EXACT_BETWEENNESS`` nodes it counts paths up to ``BETWEENNESS_CUTOFF`` steps (igraph's ``cutoff``), and the
  answer says so (``betweenness_cutoff``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

COLLABORATION = ("co_invent", "co_apply")
EXACT_BETWEENNESS = 20_000
BETWEENNESS_CUTOFF = 4
SEED = 17


def subgraph_tables(nodes: pa.Table, edges: pa.Table, relationships: Sequence[str] | None = None,
                    labels: Sequence[str] | None = None) -> tuple[pa.Table, pa.Table]:
    """The edges of ``relationships`` (all when None) between nodes of ``labels`` (all when None), and the
    nodes they touch."""
    if relationships:
        edges = edges.filter(pc.is_in(edges["relationship"], pa.array(list(relationships), pa.string())))
    if labels:
        nodes = nodes.filter(pc.is_in(nodes["label"], pa.array(list(labels), pa.string())))
        keep = nodes["id"]
        edges = edges.filter(pc.and_(pc.is_in(edges["src"], keep), pc.is_in(edges["dst"], keep)))
    used = pa.concat_arrays([edges["src"].combine_chunks(), edges["dst"].combine_chunks()]).unique()
    return nodes.filter(pc.is_in(nodes["id"], used)), edges


def to_igraph(nodes: pa.Table, edges: pa.Table, directed: bool = False) -> ig.Graph:
    """An igraph graph of the tables (every edge's ends must be nodes): vertex attributes ``name`` (the node
    id), ``label`` and ``title`` (the node's name); edge attributes ``relationship`` and ``weight``. Nodes and
    edges are taken in id order, so that a graph gives the same igraph (and communities) however its files
    were written."""
    nodes = nodes.sort_by("id")
    edges = edges.sort_by([("src", "ascending"), ("dst", "ascending"), ("relationship", "ascending")])
    ids = nodes["id"].combine_chunks()
    src = pc.index_in(edges["src"], value_set=ids).to_numpy(zero_copy_only=False)
    dst = pc.index_in(edges["dst"], value_set=ids).to_numpy(zero_copy_only=False)
    g = ig.Graph(n=len(ids), edges=np.column_stack([src, dst]).astype(np.int64).tolist(), directed=directed)
    g.vs["name"] = ids.to_pylist()
    g.vs["label"] = nodes["label"].to_pylist()
    g.vs["title"] = nodes["name"].to_pylist()
    g.es["relationship"] = edges["relationship"].to_pylist()
    g.es["weight"] = [float(w) for w in edges["weight"].to_pylist()]
    return g


def _member(g: ig.Graph, v: int, strength: Sequence[float]) -> dict[str, Any]:
    return {"id": g.vs[v]["name"], "label": g.vs[v]["label"], "name": g.vs[v]["title"],
            "strength": strength[v], "degree": g.degree(v)}


def communities(nodes: pa.Table, edges: pa.Table, relationships: Sequence[str] = COLLABORATION,
                labels: Sequence[str] | None = None, resolution: float = 1.0, top: int = 20,
                members: int = 10) -> dict[str, Any]:
    """Leiden communities of the graph of ``relationships``: ``count``, ``modularity``, ``nodes``, ``edges``,
    and the ``top`` largest communities (``id``, ``size``, ``labels``: nodes by label, ``members``: the
    ``members`` strongest)."""
    n, e = subgraph_tables(nodes, edges, relationships, labels)
    g = to_igraph(n, e)
    if g.vcount() == 0:
        return {"relationships": list(relationships), "nodes": 0, "edges": 0, "count": 0, "modularity": None,
                "resolution": resolution, "communities": []}
    random.seed(SEED)  # igraph draws from Python's random module: the same graph gives the same communities
    parts = g.community_leiden(objective_function="modularity", weights="weight", resolution=resolution,
                               n_iterations=-1)
    strength = g.strength(weights="weight")
    groups = sorted(enumerate(parts), key=lambda kv: (-len(kv[1]), min(g.vs[v]["name"] for v in kv[1])))
    out = []
    for rank, (_, vs) in enumerate(groups[:top], start=1):
        by_label: dict[str, int] = {}
        for v in vs:
            by_label[g.vs[v]["label"]] = by_label.get(g.vs[v]["label"], 0) + 1
        best = sorted(vs, key=lambda v: (-strength[v], g.vs[v]["name"]))[:members]
        out.append({"id": rank, "size": len(vs), "labels": by_label,
                    "members": [_member(g, v, strength) for v in best]})
    return {"relationships": list(relationships), "nodes": g.vcount(), "edges": g.ecount(), "count": len(parts),
            "modularity": round(parts.modularity, 4), "resolution": resolution, "communities": out}


def centrality(nodes: pa.Table, edges: pa.Table, relationships: Sequence[str] = COLLABORATION,
               labels: Sequence[str] | None = None, top: int = 20) -> dict[str, Any]:
    """The ``top`` nodes by degree, strength, PageRank and betweenness of the graph of ``relationships``
    (restricted to nodes of ``labels``); each row has all four measures."""
    n, e = subgraph_tables(nodes, edges, relationships, labels)
    g = to_igraph(n, e)
    return {"relationships": list(relationships), "labels": list(labels or []), **measures(g, top)}


def measures(g: ig.Graph, top: int = 20, ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Degree, strength, PageRank and betweenness of ``g``: the ``top`` rows by each (``ids``: rows for those
    vertex names instead)."""
    if g.vcount() == 0:
        return {"nodes": 0, "edges": 0, "betweenness_cutoff": None, "by": {}, "rows": []}
    cutoff = None if g.vcount() <= EXACT_BETWEENNESS else BETWEENNESS_CUTOFF
    degree = g.degree()
    strength = g.strength(weights="weight")
    pagerank = g.pagerank(weights="weight")
    betweenness = g.betweenness(directed=False, cutoff=cutoff)
    k = g.vcount()
    scale = 2.0 / ((k - 1) * (k - 2)) if k > 2 else 0.0

    def row(v: int) -> dict[str, Any]:
        return {"id": g.vs[v]["name"], "label": g.vs[v]["label"], "name": g.vs[v]["title"], "degree": degree[v],
                "strength": strength[v], "pagerank": round(pagerank[v], 6),
                "betweenness": round(betweenness[v] * scale, 6)}

    if ids is not None:
        index = {name: v for v, name in enumerate(g.vs["name"])}
        return {"nodes": k, "edges": g.ecount(), "betweenness_cutoff": cutoff,
                "rows": [row(index[i]) if i in index else None for i in ids]}
    by = {}
    for name, values in (("degree", degree), ("strength", strength), ("pagerank", pagerank),
                         ("betweenness", betweenness)):
        order = sorted(range(k), key=lambda v, vals=values: (-vals[v], g.vs[v]["name"]))[:top]
        by[name] = [row(v) for v in order]
    return {"nodes": k, "edges": g.ecount(), "betweenness_cutoff": cutoff, "by": by}
