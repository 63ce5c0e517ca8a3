"""A persisted, memory-mapped, incrementally updated faiss vector index over string keys.

The structure follows the size (inner product on L2-normalised rows, so scores are cosines):

- below :data:`IVF_FROM` rows an exact ``IndexFlatIP`` (a scan of 65,536 rows of 384 floats is ~2 ms);
- from there an ``IndexIVFFlat``: k-means cells (``nlist`` = a power of two near 4·√rows, trained on a
  sample of at most :data:`TRAIN_PER_CELL` rows per cell) with a flat coarse quantizer, searched in
  ``nprobe`` = ``nlist`` / :data:`PROBE_SHARE` cells and exact within them. Measured on 1M vectors drawn
  from a Gaussian fitted to real patent-abstract embeddings (the hardest corpus tried, see
  docs/search.md): recall@10 against exact search 0.977 at ~10 ms per query, built in ~1 minute, where
  HNSW (M=16, efSearch 512) gave 0.83 and took 5-9 minutes. The cells are trained again when the rows
  have grown :data:`RETRAIN_GROWTH` times past the rows they were trained for.

Rows are internal ids: ``keys()[row]`` names each row, and a tombstone mask marks rows that were removed
or replaced (adding a key again appends a new row and buries the old one). Searches skip tombstones
through a faiss ``IDSelectorBitmap`` in the search parameters, so a filtered search still returns ``k``
results; when the allowed rows are few the allowed rows are scanned exactly, and when the probed cells
hold fewer than ``k`` allowed rows every cell is searched. :meth:`VectorIndex.save` rebuilds the index
without the tombstones once they exceed :data:`COMPACT_AT` of the rows. Indexes written by earlier
versions (HNSW) are still read and searched.

Files, in ``folder``: ``<name>.faiss`` (the faiss index, opened with ``IO_FLAG_MMAP``; read into memory
before the first change), ``<name>.keys.parquet`` (``key``, ``alive`` per row) and ``<name>.json``
(dimension, structure, counts, version). Each file is written to a temporary name and renamed, so
readers never see half a file.
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

#: rows from which the index is an IVF (below: exact)
IVF_FROM = 65_536
#: nprobe = nlist / PROBE_SHARE (1M rows: nlist 4096, nprobe 256)
PROBE_SHARE = 16
#: rows per cell the k-means sample holds at most
TRAIN_PER_CELL = 64
#: the cells are trained again at save() once the rows exceed this many times the rows trained for
RETRAIN_GROWTH = 4
#: HNSW settings of indexes written by earlier versions (read and searched, no longer written)
EF_SEARCH = 512
#: share of tombstones above which save() rebuilds the graph without them
COMPACT_AT = 0.2
#: allowed rows below which a filtered search scans them exactly rather than walking the graph
EXACT_BELOW = 4096
FORMAT_VERSION = 2

Allowed = Callable[[str], bool] | set[str] | frozenset[str] | np.ndarray | None


class VectorIndex:
    """faiss exact or IVF index (by size) over string keys, persisted in folder/name.* and memory-mapped
    on open."""

    def __init__(self, folder: Path, name: str, dim: int) -> None:
        self.folder = Path(folder)
        self.name = name
        self.dim = int(dim)
        self.ef_search = EF_SEARCH
        self.nprobe = 0  # set for an IVF index
        self.trained_for = 0  # rows the IVF cells were trained for
        self._mapped = False  # the faiss index is memory-mapped (read-only): read it in before a change
        self._index: faiss.Index = faiss.IndexFlatIP(self.dim)
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
    def live_count(cls, folder: Path, name: str) -> int:
        """The live vectors of the saved index ``name``, from its JSON alone (what a status line shows:
        opening the index would map the graph and read every key)."""
        return int(json.loads(cls._paths(folder, name)[2].read_text(encoding="utf-8"))["live"])

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
        self.trained_for = int(info.get("trained_for") or 0)
        self._index = faiss.read_index(str(graph), faiss.IO_FLAG_MMAP)
        self._mapped = True
        ivf = self._ivf()
        if ivf is not None:
            self.nprobe = int(info.get("nprobe") or max(1, ivf.nlist // PROBE_SHARE))
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
        """Write the index; it is rebuilt first when tombstones exceed :data:`COMPACT_AT`, when it has
        outgrown its structure (exact past :data:`IVF_FROM` rows, IVF cells past
        :data:`RETRAIN_GROWTH` times the rows they were trained for) or is an HNSW of an earlier version."""
        rows = len(self._keys)
        outgrown = (self._ivf() is None and len(self._row) >= IVF_FROM) or (
            self._ivf() is not None and len(self._row) > RETRAIN_GROWTH * max(self.trained_for, 1))
        legacy = isinstance(self._index, faiss.IndexHNSW)
        if rows and ((rows - len(self._row)) > COMPACT_AT * rows or outgrown or legacy):
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
                    "structure": self.structure(),
                    "nlist": self._ivf().nlist if self._ivf() is not None else None,
                    "nprobe": self.nprobe or None,
                    "trained_for": self.trained_for or None,
                    "rows": len(self._keys),
                    "live": len(self._row),
                }
            ),
            encoding="utf-8",
        )
        os.replace(tmp, meta)

    # contents ---------------------------------------------------------------------------------
    def structure(self) -> str:
        """``exact``, ``ivf`` or ``hnsw`` (an index of an earlier version)."""
        if isinstance(self._index, faiss.IndexHNSW):
            return "hnsw"
        return "ivf" if self._ivf() is not None else "exact"

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
        return self._get(np.array([row], dtype=np.int64))[0]

    def vectors(self, keys: list[str]) -> np.ndarray:
        """Stored vectors of ``keys`` (all must be present), one row each."""
        return self._get(np.array([self._row[k] for k in keys], dtype=np.int64))

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
        self._writable()
        if self.structure() == "exact" and len(self._row) + len(keys) >= IVF_FROM:
            # the exact index grows past its size: rebuild as an IVF trained on its live rows and these
            live = np.flatnonzero(self._alive)
            old_keys = [self._keys[i] for i in live]
            self._rebuild(old_keys + keys, np.concatenate([self._get(live), vectors]))
            return
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
        """Rebuild from the live rows only (rows are renumbered; IVF cells trained again)."""
        live = np.flatnonzero(self._alive)
        matrix = self._get(live) if len(live) else np.zeros((0, self.dim), np.float32)
        self._rebuild([self._keys[i] for i in live], matrix)

    def _rebuild(self, keys: list[str], matrix: np.ndarray) -> None:
        self._index = self._new_index(matrix)
        self._mapped = False
        if len(keys):
            self._index.add(matrix)
        self._keys = list(keys)
        self._alive = np.ones(len(keys), dtype=bool)
        self._row = {k: i for i, k in enumerate(self._keys)}

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
        params = self._params(mask, k=k_eff, n_allowed=n_allowed)
        threads = faiss.omp_get_max_threads()
        if len(q) == 1:  # faiss spreads queries over threads: one query gains nothing, and the idle
            faiss.omp_set_num_threads(1)  # threads' spinning takes the cores from the rest of a search
        try:
            scores, rows = self._index.search(q, k_eff, params=params)
        finally:
            faiss.omp_set_num_threads(threads)  # per calling thread (an OpenMP ICV)
        out = []
        for qi in range(len(q)):
            found = [(self._keys[r], float(s)) for r, s in zip(rows[qi], scores[qi], strict=True) if r >= 0]
            if len(found) < k_eff:  # the probed cells (or the graph walk) held too few allowed rows
                found = self._everywhere(q[qi : qi + 1], k_eff, mask)
            out.append(found)
        return out

    def _params(self, mask: np.ndarray | None, every_cell: bool = False, k: int = 0,
                n_allowed: int = 0) -> faiss.SearchParameters:
        ivf = self._ivf()
        if ivf is not None:
            nprobe = self.nprobe
            if mask is not None and n_allowed:
                # a filter leaving a share f of the rows: probe enough cells to expect 4 k allowed rows
                # in them (else a query must fall back to every cell: 1M rows, 300 ms)
                nprobe = max(nprobe, int(np.ceil(4 * k * ivf.nlist / n_allowed)))
            params = faiss.SearchParametersIVF(nprobe=ivf.nlist if every_cell else min(nprobe, ivf.nlist))
        elif isinstance(self._index, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(efSearch=self.ef_search)
        else:
            params = faiss.SearchParameters()
        if mask is not None:
            bitmap = np.packbits(mask, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
            params.keepalive = (bitmap, params.sel)  # faiss reads them through pointers: alive with params
        return params

    def _everywhere(self, q: np.ndarray, k: int, mask: np.ndarray | None) -> list[tuple[str, float]]:
        """Exact top k of the allowed rows: every IVF cell, or a scan (HNSW)."""
        if self._ivf() is not None:
            scores, rows = self._index.search(q, k, params=self._params(mask, every_cell=True))
            return [(self._keys[r], float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]
        allowed_rows = np.flatnonzero(mask) if mask is not None else np.flatnonzero(self._alive)
        return self._exact(q, k, allowed_rows)[0]

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
        """Exact top k of ``rows`` for each query, a chunk of rows at a time."""
        best = [(np.empty(0, np.float32), np.empty(0, np.int64)) for _ in range(len(q))]
        for start in range(0, len(rows), 200_000):
            part = rows[start : start + 200_000]
            scores = self._get(part) @ q.T  # rows x queries
            for qi in range(len(q)):
                s, r = np.concatenate([best[qi][0], scores[:, qi]]), np.concatenate([best[qi][1], part])
                if len(s) > k:
                    top = np.argpartition(-s, k - 1)[:k]
                    s, r = s[top], r[top]
                best[qi] = (s, r)
        out = []
        for s, r in best:
            order = np.argsort(-s, kind="stable")
            out.append([(self._keys[int(r[i])], float(s[i])) for i in order[:k]])
        return out

    # internals --------------------------------------------------------------------------------
    def _new_index(self, sample: np.ndarray) -> faiss.Index:
        """An empty index for ``len(sample)`` rows: exact below :data:`IVF_FROM`, else IVF cells trained
        on (a random part of) ``sample``."""
        n = len(sample)
        if n < IVF_FROM:
            self.nprobe = self.trained_for = 0
            return faiss.IndexFlatIP(self.dim)
        # faiss's k-means wants >= 39 points per cell
        nlist = int(min(2 ** round(np.log2(4 * np.sqrt(n))), 2 ** np.floor(np.log2(n / 39))))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dim), self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        take = min(n, TRAIN_PER_CELL * nlist)
        pick = np.random.default_rng(0).choice(n, take, replace=False) if take < n else slice(None)
        index.train(np.ascontiguousarray(sample[pick]))
        index.make_direct_map()  # vectors by row, for vector() and exact scans
        self.nprobe = max(1, nlist // PROBE_SHARE)
        self.trained_for = n
        return index

    def _ivf(self) -> faiss.IndexIVF | None:
        return faiss.try_extract_index_ivf(self._index)

    def _writable(self) -> None:
        """Read a memory-mapped index into memory (a mapped one is read-only) before changing it."""
        if self._mapped:
            graph, _, _ = self._paths(self.folder, self.name)
            self._index = faiss.read_index(str(graph))
            self._mapped = False

    def _get(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of internal rows (a copy), one per row."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.dim), np.float32)
        if self._ivf() is not None:
            return self._index.reconstruct_batch(rows).astype(np.float32, copy=False)
        flat = self._index.storage if isinstance(self._index, faiss.IndexHNSW) else self._index
        storage = faiss.downcast_index(flat)
        n = storage.ntotal
        return faiss.rev_swig_ptr(storage.get_xb(), n * self.dim).reshape(n, self.dim)[rows].copy()
