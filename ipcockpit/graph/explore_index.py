"""The explorer's graph held in memory: a built graph's node and edge tables with an adjacency index, read once
per graph folder and kept while its files are unchanged, so that expanding a node costs the node's edges, not a
scan of the Parquet files.

Rules:

- One index per graph folder (its real path), the :data:`KEEP` folders used last; it is read again when
  ``graph.json``, ``nodes.parquet`` or ``edges.parquet`` changes (size or modification time: a new build).
- The answers are those of :func:`ipcockpit.graph.explore.neighbourhood_scan` (the module's rules there), which
  the tests compare it with: the same node, the same nodes kept in the same order of strength, the same links.
  Each step keeps the new neighbours in the order of the strongest edge that reaches them (weight, then the ids
  of its ends and its relationship), as many as the limit leaves room for; the links are every edge the filters
  keep between the nodes kept.
- An edge whose end is not a node of the graph (a build never writes one) is left out.
- Edge masks of a filter (relationships, years, field) are kept for the :data:`KEEP_FILTERS` filters used last:
  a user who expands node after node under one filter computes it once.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipcockpit.graph.build import FAMILY_PREFIXES
from ipcockpit.graph.errors import GraphMissingError, GraphNodeNotFoundError

KEEP = 2
KEEP_FILTERS = 16
FILES = ("graph.json", "nodes.parquet", "edges.parquet")
COLLABORATION = ("co_invent", "co_apply")
#: years past any filter: a missing first year never meets ``first_year <= to``, a missing last year never ``>=``
_NO_FIRST, _NO_LAST = 1 << 30, -(1 << 30)

_lock = threading.Lock()
_cache: OrderedDict[str, tuple[tuple[int, ...], GraphIndex]] = OrderedDict()
_loading: dict[str, threading.Lock] = {}


def fingerprint(root: Path) -> tuple[int, ...]:
    """Sizes and modification times of the graph's files; raises :class:`GraphMissingError` when one is missing."""
    out: list[int] = []
    for name in FILES:
        try:
            st = (root / name).stat()
        except FileNotFoundError:
            raise GraphMissingError(f"{root}: no graph there; build it with `ipcockpit graph build`") from None
        out += [st.st_size, st.st_mtime_ns]
    return tuple(out)


def graph_index(folder: str | os.PathLike[str]) -> GraphIndex:
    """The index of the graph in ``folder``: the one kept while its files are unchanged, else read now."""
    root = Path(os.path.realpath(folder))
    key, mark = str(root), fingerprint(root)
    with _lock:
        found = _cache.get(key)
        if found is not None and found[0] == mark:
            _cache.move_to_end(key)
            return found[1]
        loading = _loading.setdefault(key, threading.Lock())
    with loading:  # one read per graph: the requests that arrive meanwhile wait for it, other graphs do not
        with _lock:
            found = _cache.get(key)
            if found is not None and found[0] == mark:
                return found[1]
        index = GraphIndex(root)
        with _lock:
            _cache[key] = (mark, index)
            _cache.move_to_end(key)
            while len(_cache) > KEEP:
                _cache.popitem(last=False)
    return index


def forget() -> None:
    """Drop every kept index (tests; a server that wants its memory back)."""
    with _lock:
        _cache.clear()


class GraphIndex:
    """A graph's tables and adjacency (node numbers are rows of ``nodes.parquet``)."""

    def __init__(self, root: Path) -> None:
        import pyarrow.parquet as pq

        nodes = pq.read_table(root / "nodes.parquet").combine_chunks()
        edges = pq.read_table(root / "edges.parquet").combine_chunks()
        ids = nodes.column("id").combine_chunks()
        src = pc.index_in(edges.column("src"), value_set=ids).fill_null(-1).to_numpy()
        dst = pc.index_in(edges.column("dst"), value_set=ids).fill_null(-1).to_numpy()
        whole = (src >= 0) & (dst >= 0)
        if not whole.all():
            keep = np.flatnonzero(whole)
            edges, src, dst = edges.take(pa.array(keep)), src[keep], dst[keep]
        self.nodes, self.edges = nodes, edges
        self.ids = ids
        self.n, self.e = nodes.num_rows, edges.num_rows
        # 32-bit node and edge numbers: half the memory of the default, room for 2 billion
        self.src, self.dst = src.astype(np.int32), dst.astype(np.int32)
        # ranks in the ids' byte order, so that sorting by rank is sorting by id as DuckDB does
        self.rank = np.empty(self.n, dtype=np.int32)
        self.rank[pc.sort_indices(ids).to_numpy()] = np.arange(self.n, dtype=np.int32)
        rel = edges.column("relationship").combine_chunks()
        self.relationships = sorted(set(rel.to_pylist()) - {None})
        self.rel = pc.index_in(rel, value_set=pa.array(self.relationships, pa.string())).fill_null(-1).to_numpy()
        self.weight = edges.column("weight").fill_null(0).to_numpy()
        self.first_null = edges.column("first_year").is_null().to_numpy(zero_copy_only=False)
        self.first = edges.column("first_year").cast(pa.int32()).fill_null(_NO_FIRST).to_numpy()
        self.last = edges.column("last_year").cast(pa.int32()).fill_null(_NO_LAST).to_numpy()
        self.is_family = np.zeros(self.n, dtype=bool)
        for prefix in FAMILY_PREFIXES:
            self.is_family |= pc.starts_with(ids, prefix).to_numpy(zero_copy_only=False)
        self.label = nodes.column("label").combine_chunks()
        self.entity = nodes.column("entity_id").combine_chunks()
        self.name_lower = pc.utf8_lower(nodes.column("name").combine_chunks())
        self.documents = nodes.column("documents").combine_chunks()
        self._field_nodes = {kind: np.flatnonzero(pc.starts_with(ids, kind + ":").to_numpy(zero_copy_only=False))
                             for kind in ("ipc", "sei")}
        # CSR adjacency: the edges at each node (either end)
        ends = np.concatenate([self.src, self.dst])
        order = np.argsort(ends, kind="stable")
        self.incident = np.concatenate([np.arange(self.e, dtype=np.int32)] * 2)[order]
        self.offsets = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=self.n), out=self.offsets[1:])
        self._masks: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._mask_lock = threading.Lock()
        pa.default_memory_pool().release_unused()  # what reading the Parquet files took and gave back

    # finding a node ------------------------------------------------------------------------------------------
    def find(self, text: str) -> int:
        """The node ``text`` names: its id, entity id or name (case-insensitive); the most documents win."""
        key = (text or "").strip()
        lowered = pc.utf8_lower(pa.scalar(key, pa.string())).as_py()
        hit = np.zeros(self.n, dtype=bool)
        for column, value in ((self.ids, key), (self.entity, key), (self.name_lower, lowered)):
            hit |= pc.equal(column, value).fill_null(False).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(hit)
        if not len(rows):
            raise GraphNodeNotFoundError(f"no node {key!r} in the graph; give a node id (org:…, inv:…, fam:…, app:…), "
                                         "an entity id or a name as written, e.g. from `ipcockpit graph show`")

        def order(k: int) -> tuple[Any, ...]:
            docs = self.documents[k].as_py()
            return (self.ids[k].as_py() != key, self.entity[k].as_py() != key, docs is None, -(docs or 0),
                    int(self.rank[k]))

        return int(min(rows.tolist(), key=order))

    def row(self, k: int) -> dict[str, Any]:
        return self.nodes.slice(k, 1).to_pylist()[0]

    # edges ---------------------------------------------------------------------------------------------------
    def at(self, nodes: Sequence[int] | np.ndarray) -> np.ndarray:
        """The distinct edges at any of ``nodes``."""
        parts = [self.incident[self.offsets[k]:self.offsets[k + 1]] for k in nodes]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int32)

    def mask(self, relationships: Sequence[str] | None, year_from: int | None, year_to: int | None,
             ipc: str | None, sei: str | None) -> np.ndarray:
        """The edges the filters keep (a boolean per edge; the explorer's rules)."""
        key = (tuple(relationships or ()), year_from, year_to, ipc or None, sei or None)
        with self._mask_lock:
            found = self._masks.get(key)
            if found is not None:
                self._masks.move_to_end(key)
                return found
        keep = np.ones(self.e, dtype=bool)
        if relationships:
            keep &= np.isin(self.rel, self._codes(relationships))
        if year_from is not None:
            keep &= self.last >= int(year_from)
        if year_to is not None:
            keep &= self.first <= int(year_to)
        if ipc or sei:
            keep &= ~np.isin(self.rel, self._codes(COLLABORATION))
            field = np.zeros(self.e, dtype=bool)
            if ipc:
                field |= (self.rel == self._code("classified")) & self._matching(
                    "ipc", lambda ids: pc.starts_with(ids, "ipc:" + ipc.strip().upper()))[self.dst]
            if sei:
                code = "sei:" + sei.strip()
                field |= (self.rel == self._code("in_industry")) & self._matching(
                    "sei", lambda ids: pc.or_(pc.equal(ids, code), pc.starts_with(ids, code + ".")))[self.dst]
            inside = np.zeros(self.n, dtype=bool)
            inside[self.src[field & keep]] = True
            outside = self.is_family & ~inside  # families of other fields, dropped with their edges
            keep &= ~(outside[self.src] | outside[self.dst])
        with self._mask_lock:
            self._masks[key] = keep
            while len(self._masks) > KEEP_FILTERS:
                self._masks.popitem(last=False)
        return keep

    def _code(self, relationship: str) -> int:
        return self.relationships.index(relationship) if relationship in self.relationships else -2

    def _codes(self, relationships: Sequence[str]) -> list[int]:
        return [self._code(r) for r in relationships]

    def _matching(self, kind: str, test: Any) -> np.ndarray:
        """A boolean per node: the ``kind`` nodes (``ipc:``, ``sei:``) whose id passes ``test``."""
        rows = self._field_nodes[kind]
        out = np.zeros(self.n, dtype=bool)
        if len(rows):
            out[rows[test(self.ids.take(pa.array(rows))).fill_null(False).to_numpy(zero_copy_only=False)]] = True
        return out

    # the walk ------------------------------------------------------------------------------------------------
    def walk(self, center: int, depth: int, keep: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray, bool]:
        """The nodes kept around ``center`` (rows, in id order), the edges among them, and whether some
        neighbours were left out for the limit."""
        kept = np.zeros(self.n, dtype=bool)
        kept[center] = True
        count, frontier, truncated = 1, np.array([center]), False
        for _ in range(max(0, int(depth))):
            if not len(frontier) or truncated:
                break
            step = self.at(frontier)
            step = step[keep[step]]
            s, d = self.src[step], self.dst[step]
            order = np.lexsort((self.rel[step], self.rank[d], self.rank[s], -self.weight[step]))
            s, d = s[order], d[order]
            other = np.where(kept[s], d, s)
            new = other[~kept[other]]
            fresh, first = np.unique(new, return_index=True)
            fresh = fresh[np.argsort(first, kind="stable")]  # in the order of the strongest edge to each
            room = limit - count
            if len(fresh) > room:
                truncated, fresh = True, fresh[:room]
            kept[fresh] = True
            count += len(fresh)
            frontier = fresh
        rows = np.flatnonzero(kept)
        links = self.at(rows)
        links = links[keep[links] & kept[self.src[links]] & kept[self.dst[links]]]
        return rows[np.argsort(self.rank[rows], kind="stable")], links, truncated

    def no_year(self, center: int) -> int:
        """The edges at ``center`` without years (every relationship)."""
        return int(self.first_null[self.at([center])].sum())
