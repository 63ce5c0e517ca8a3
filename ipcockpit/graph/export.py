"""Exports of a built graph: GraphML (igraph, Gephi, Cytoscape, networkx) and Neo4j import CSV.

Rules:

- GraphML: one file, directed; vertex attributes ``node_id`` (the node id: GraphML readers give ``id`` to
  the file's own node ids ``n0``, ``n1`` ...) and every other node column, edge attributes every edge
  column; the evidence list is written as one text of doc_ids joined by ``;``. GraphML has no null: a
  missing text is written empty, a missing number as NaN (igraph's writer; readers see NaN).
- Neo4j: ``nodes.csv`` and ``relationships.csv`` in the layout of ``neo4j-admin database import``: headers
  ``id:ID``, ``:LABEL`` (``Organisation``, ``Individual``, ``Inventor``, ``Family``, ``IpcGroup``,
  ``SeiBranch``, ``Region``), typed properties (``documents:long``, ``in_store:boolean`` ...), and
  ``:START_ID``, ``:END_ID``, ``:TYPE`` (the relationship in capitals: ``CO_INVENT``), ``evidence:string[]``
  (``;`` between doc_ids, the importer's default array delimiter). An empty field is no property.
- Either may be restricted to some relationships and labels (the edges between nodes of the labels, and
  the nodes they touch); the whole graph otherwise.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ipcockpit.graph.analysis import subgraph_tables

NEO4J_LABELS = {"organisation": "Organisation", "individual": "Individual", "inventor": "Inventor",
                "family": "Family", "ipc_group": "IpcGroup", "sei_branch": "SeiBranch", "region": "Region"}
_NEO4J_TYPES = {pa.int64(): "long", pa.int32(): "int", pa.bool_(): "boolean", pa.string(): None}


def _select(nodes: pa.Table, edges: pa.Table, relationships: Sequence[str] | None,
            labels: Sequence[str] | None) -> tuple[pa.Table, pa.Table]:
    if not relationships and not labels:
        return nodes, edges
    return subgraph_tables(nodes, edges, relationships, labels)


def _joined(edges: pa.Table) -> pa.Table:
    """The evidence list as one text."""
    i = edges.schema.get_field_index("evidence")
    return edges.set_column(i, "evidence", pc.binary_join(edges["evidence"], ";"))


def write_graphml(nodes: pa.Table, edges: pa.Table, path: str | os.PathLike[str],
                  relationships: Sequence[str] | None = None, labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Write the graph (or the part asked for) as GraphML; returns ``{"path", "nodes", "edges"}``."""
    import igraph as ig

    nodes, edges = _select(nodes, edges, relationships, labels)
    ids = nodes["id"].combine_chunks()
    src = pc.index_in(edges["src"], value_set=ids).to_pylist()
    dst = pc.index_in(edges["dst"], value_set=ids).to_pylist()
    g = ig.Graph(n=len(ids), edges=list(zip(src, dst, strict=True)), directed=True)
    for name, column in zip(nodes.column_names, nodes.columns, strict=True):
        g.vs["node_id" if name == "id" else name] = _values(column)
    for name, column in zip(edges.column_names, _joined(edges).columns, strict=True):
        if name not in ("src", "dst"):
            g.es[name] = _values(column)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    g.write_graphml(str(target))
    return {"path": str(target), "nodes": g.vcount(), "edges": g.ecount()}


def _values(column: pa.ChunkedArray) -> list[Any]:
    """A column as GraphML can hold it: texts with '' for null, numbers with NaN, booleans as they are
    (null as False would be a false answer: a null boolean becomes the text '')."""
    values = column.to_pylist()
    if pa.types.is_string(column.type):
        return ["" if v is None else v for v in values]
    if pa.types.is_boolean(column.type):
        if any(v is None for v in values):
            return ["" if v is None else str(v).lower() for v in values]
        return values
    return [math.nan if v is None else float(v) for v in values]


def write_neo4j(nodes: pa.Table, edges: pa.Table, folder: str | os.PathLike[str],
                relationships: Sequence[str] | None = None, labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Write ``nodes.csv`` and ``relationships.csv`` for ``neo4j-admin database import full --nodes=nodes.csv
    --relationships=relationships.csv``; returns ``{"folder", "nodes", "edges", "files"}``."""
    nodes, edges = _select(nodes, edges, relationships, labels)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    node_cols, node_names = [], []
    for name, column in zip(nodes.column_names, nodes.columns, strict=True):
        if name == "id":
            node_cols.append(column)
            node_names.append("id:ID")
        elif name == "label":
            continue
        else:
            node_cols.append(column)
            kind = _NEO4J_TYPES.get(column.type)
            node_names.append(f"{name}:{kind}" if kind else name)
    labels_col = pa.array([NEO4J_LABELS[v] for v in nodes["label"].to_pylist()], pa.string())
    node_table = pa.table([*node_cols, labels_col], names=[*node_names, ":LABEL"])
    types = pc.utf8_upper(edges["relationship"])
    rel_table = pa.table(
        [edges["src"], edges["dst"], types, edges["weight"], edges["first_year"], edges["last_year"],
         pc.binary_join(edges["evidence"], ";"), edges["condition"]],
        names=[":START_ID", ":END_ID", ":TYPE", "weight:long", "first_year:int", "last_year:int",
               "evidence:string[]", "condition"])
    options = pacsv.WriteOptions(quoting_style="needed")
    pacsv.write_csv(node_table, out / "nodes.csv", options)
    pacsv.write_csv(rel_table, out / "relationships.csv", options)
    return {"folder": str(out), "nodes": node_table.num_rows, "edges": rel_table.num_rows,
            "files": [str(out / "nodes.csv"), str(out / "relationships.csv")],
            "command": "neo4j-admin database import full --nodes=nodes.csv --relationships=relationships.csv"}
