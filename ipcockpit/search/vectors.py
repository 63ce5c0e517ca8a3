"""A persisted, memory-mapped, incrementally updated faiss HNSW index over string keys.

HNSW (``M=16``, inner product on L2-normalised rows, so scores are cosines) cannot delete, so the
index keeps internal row ids: ``keys()[row]`` names each row, and a tombstone mask marks rows that were
removed or replaced (adding a key again appends a new row and buries the old one). Searches skip
tombstones through a faiss ``IDSelectorBitmap`` passed in ``SearchParametersHNSW(sel=...)``, so a
filtered search still returns ``k`` results; when the allowed rows are few (or HNSW finds fewer than
``k`` of them) the allowed rows are scanned exactly instead. :meth:`VectorIndex.save` rebuilds the
graph without the tombstones once they exceed :data:`COMPACT_AT` of the rows.

Files, in ``folder``: ``<name>.faiss`` (the faiss index, opened with ``IO_FLAG_MMAP``),
``<name>.keys.parquet`` (``key``, ``alive`` per row) and ``<name>.json`` (dimension, counts, version).
Each file is written to a temporary name and renamed, so readers never see half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import faiss
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

M = 16
EF_CONSTRUCTION = 80
EF_SEARCH = 512  # recall@10 0.975 at 100k Gaussian-fitted vectors (64: 0.68, 256: 0.91); ~2 ms/query
#: share of tombstones above which save() rebuilds the graph without them
COMPACT_AT = 0.2
#: allowed rows below which a filtered search scans them exactly rather than walking the graph
EXACT_BELOW = 4096
FORMAT_VERSION = 1

Allowed = Callable[[str], bool] | set[str] | frozenset[str] | np.ndarray | None


class VectorIndex:
    """faiss HNSW (M=16, efSearch tunable) over string keys, persisted in folder/name.* and memory-mapped
    on open."""

    def __init__(self, folder: Path, name: str, dim: int) -> None:
        self.folder = Path(folder)
        self.name = name
        self.dim = int(dim)
        self.ef_search = EF_SEARCH
        self._index = self._new_graph()
        self._keys: list[str] = []  # row -> key (kept for tombstones too)
        self._alive = np.zeros(0, dtype=bool)
        self._row: dict[str, int] = {}  # live key -> row

    # files ------------------------------------------------------------------------------------
    @staticmethod
    def _paths(folder: Path, name: str) -> tuple[Path, Path, Path]:
        folder = Path(folder)
        return folder / f"{name}.faiss", folder / f"{name}.keys.parquet", folder / f"{name}.json"

    @classmethod
    def exists(cls, folder: Path, name: str) -> bool:
        return all(p.is_file() for p in cls._paths(folder, name))

    @classmethod
    def open(cls, folder: Path, name: str) -> VectorIndex:
        graph, keys, meta = cls._paths(folder, name)
        missing = [p for p in (graph, keys, meta) if not p.is_file()]
        if missing:
            raise FileNotFoundError(
                f"{missing[0]}: the vector index '{name}' is not in {folder}; build it with `ipcockpit index` "
                "(or VectorIndex(folder, name, dim) and save())"
            )
        info = json.loads(meta.read_text(encoding="utf-8"))
        self = cls(folder, name, int(info["dim"]))
        self.ef_search = int(info.get("ef_search", EF_SEARCH))
        self._index = faiss.read_index(str(graph), faiss.IO_FLAG_MMAP)
        table = pq.read_table(keys)
        self._keys = table.column("key").to_pylist()
        self._alive = table.column("alive").to_numpy(zero_copy_only=False).astype(bool)
        if len(self._keys) != self._index.ntotal:
            raise ValueError(
                f"{keys}: {len(self._keys)} keys for {self._index.ntotal} vectors in {graph}; "
                "the index is damaged, rebuild it with `ipcockpit index --rebuild`"
            )
        self._row = {k: i for i, (k, a) in enumerate(zip(self._keys, self._alive, strict=True)) if a}
        return self

    def save(self) -> None:
        """Write the index (compacted first when tombstones exceed :data:`COMPACT_AT`)."""
        if len(self._keys) and (len(self._keys) - len(self._row)) > COMPACT_AT * len(self._keys):
            self.compact()
        self.folder.mkdir(parents=True, exist_ok=True)
        graph, keys, meta = self._paths(self.folder, self.name)
        tmp = graph.with_name(graph.name + ".tmp")
        faiss.write_index(self._index, str(tmp))
        os.replace(tmp, graph)
        tmp = keys.with_name(keys.name + ".tmp")
        pq.write_table(
            pa.table({"key": pa.array(self._keys, pa.string()), "alive": pa.array(self._alive)}), tmp
        )
        os.replace(tmp, keys)
        tmp = meta.with_name(meta.name + ".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "version": FORMAT_VERSION,
                    "dim": self.dim,
                    "M": M,
                    "ef_search": self.ef_search,
                    "rows": len(self._keys),
                    "live": len(self._row),
                }
            ),
            encoding="utf-8",
        )
        os.replace(tmp, meta)

    # contents ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, key: object) -> bool:
        return key in self._row

    def keys(self) -> list[str]:
        """The live keys, in row order."""
        return [k for k, a in zip(self._keys, self._alive, strict=True) if a]

    def row_keys(self) -> list[str]:
        """The key of every internal row, tombstones included (``row_alive()`` says which are live);
        a boolean array over these rows can be passed to :meth:`search` as ``allowed``."""
        return self._keys

    def row_alive(self) -> np.ndarray:
        return self._alive

    def rows(self, keys: Iterable[str]) -> np.ndarray:
        """Internal rows of the live keys among ``keys`` (unknown keys are skipped)."""
        row = self._row
        return np.fromiter((row[k] for k in keys if k in row), dtype=np.int64)

    def vector(self, key: str) -> np.ndarray | None:
        row = self._row.get(key)
        if row is None:
            return None
        return self._index.reconstruct(int(row)).astype(np.float32)

    def vectors(self, keys: list[str]) -> np.ndarray:
        """Stored vectors of ``keys`` (all must be present), one row each."""
        rows = [self._row[k] for k in keys]
        return self._matrix()[rows].copy()

    # changes ----------------------------------------------------------------------------------
    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Add rows; a key added again replaces its old vector (the last one wins within a call)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys) or (len(keys) and vectors.shape[1] != self.dim):
            raise ValueError(
                f"vector index '{self.name}': {len(keys)} keys need a ({len(keys)}, {self.dim}) array, "
                f"got {vectors.shape}"
            )
        if not keys:
            return
        last = {k: i for i, k in enumerate(keys)}
        if len(last) < len(keys):
            take = sorted(last.values())
            keys, vectors = [keys[i] for i in take], vectors[take]
        self.remove(keys)
        start = len(self._keys)
        self._index.add(vectors)
        self._keys.extend(keys)
        self._alive = np.concatenate([self._alive, np.ones(len(keys), dtype=bool)])
        for i, k in enumerate(keys):
            self._row[k] = start + i

    def remove(self, keys: list[str]) -> None:
        for k in keys:
            row = self._row.pop(k, None)
            if row is not None:
                self._alive[row] = False

    def compact(self) -> None:
        """Rebuild the graph from the live rows only (rows are renumbered)."""
        live = np.flatnonzero(self._alive)
        matrix = self._matrix()[live].copy() if len(live) else np.zeros((0, self.dim), np.float32)
        keys = [self._keys[i] for i in live]
        self._index = self._new_graph()
        if len(keys):
            self._index.add(matrix)
        self._keys = keys
        self._alive = np.ones(len(keys), dtype=bool)
        self._row = {k: i for i, k in enumerate(keys)}

    # search -----------------------------------------------------------------------------------
    def search(self, queries: np.ndarray, k: int, allowed: Allowed = None) -> list[list[tuple[str, float]]]:
        """The ``k`` nearest live keys of each query row by inner product (cosine), best first.

        ``allowed`` restricts the keys: a set of keys, a predicate on a key, or a boolean array over
        the internal rows (see :meth:`row_keys`)."""
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if q.shape[1] != self.dim:
            raise ValueError(
                f"vector index '{self.name}' holds {self.dim}-dimensional vectors, "
                f"the queries have {q.shape[1]}"
            )
        if k <= 0 or not self._row:
            return [[] for _ in range(len(q))]
        mask = self._mask(allowed)
        n_allowed = len(self._row) if mask is None else int(mask.sum())
        if n_allowed == 0:
            return [[] for _ in range(len(q))]
        k_eff = min(k, n_allowed)
        if mask is not None and n_allowed <= max(EXACT_BELOW, 4 * k):
            return self._exact(q, k_eff, np.flatnonzero(mask))
        params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k_eff))
        if mask is not None:
            bitmap = np.packbits(mask, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
        scores, rows = self._index.search(q, k_eff, params=params)
        out = []
        for qi in range(len(q)):
            found = [(self._keys[r], float(s)) for r, s in zip(rows[qi], scores[qi], strict=True) if r >= 0]
            if len(found) < k_eff:  # the graph walk missed: scan the allowed rows exactly
                allowed_rows = np.flatnonzero(mask) if mask is not None else np.flatnonzero(self._alive)
                found = self._exact(q[qi : qi + 1], k_eff, allowed_rows)[0]
            out.append(found)
        return out

    def _mask(self, allowed: Allowed) -> np.ndarray | None:
        """Boolean array over rows (live and allowed), or None when every live row is allowed."""
        tomb = len(self._row) < len(self._keys)
        if allowed is None:
            return self._alive.copy() if tomb else None
        if isinstance(allowed, np.ndarray):
            if allowed.shape != self._alive.shape:
                raise ValueError(
                    f"vector index '{self.name}': an allowed mask needs {len(self._alive)} rows, "
                    f"got {allowed.shape}"
                )
            return allowed.astype(bool) & self._alive
        mask = np.zeros(len(self._keys), dtype=bool)
        if isinstance(allowed, set | frozenset):
            mask[self.rows(allowed)] = True
        else:
            mask[[r for k, r in self._row.items() if allowed(k)]] = True
        return mask

    def _exact(self, q: np.ndarray, k: int, rows: np.ndarray) -> list[list[tuple[str, float]]]:
        matrix = self._matrix()
        out = []
        chunk = 200_000
        for qi in range(len(q)):
            best_s = np.empty(0, np.float32)
            best_r = np.empty(0, np.int64)
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                s = matrix[part] @ q[qi]
                best_s, best_r = np.concatenate([best_s, s]), np.concatenate([best_r, part])
                if len(best_s) > k:
                    top = np.argpartition(-best_s, k - 1)[:k]
                    best_s, best_r = best_s[top], best_r[top]
            order = np.argsort(-best_s, kind="stable")
            out.append([(self._keys[int(best_r[i])], float(best_s[i])) for i in order[:k]])
        return out

    # internals --------------------------------------------------------------------------------
    def _new_graph(self) -> faiss.Index:
        index = faiss.IndexHNSWFlat(self.dim, M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = EF_CONSTRUCTION
        index.hnsw.efSearch = self.ef_search
        return index

    def _matrix(self) -> np.ndarray:
        """A read-only view of every row's vector (valid until the next add)."""
        n = self._index.ntotal
        if n == 0:
            return np.zeros((0, self.dim), np.float32)
        storage = faiss.downcast_index(self._index.storage)
        return faiss.rev_swig_ptr(storage.get_xb(), n * self.dim).reshape(n, self.dim)
