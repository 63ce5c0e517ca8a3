"""A cache of cockpit results, so that the cockpit page and ``GET /api/cockpit`` answer in milliseconds.

Computing the cockpit judges every attributed invention grant against the screening conditions once per
year from the baseline year on (:func:`ipcockpit.cockpit.indicators.cockpit`): hundreds of milliseconds to
seconds on a large store, while its inputs change only when data is ingested or a value is reported or
published. A result is kept per (region, year, region folders, screening settings, today's date) and is
valid while the store's *fingerprint* is unchanged: the number and last finish time of ingest runs, the
number of source files (a deleted file), the number of documents, the last reported value's id and
count, and a digest of the publication flags (when that table exists). Reading the fingerprint is one
query over table counts and maxima (about a millisecond); a change computes the cockpit afresh.

Each caller gets its own copy (unpickled from the kept bytes), so a route that filters a result (public
users see published values only) never changes the cached one.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any
from weakref import WeakKeyDictionary

import duckdb

from ipcockpit.store import Store

#: results kept per cache (least recently used dropped first)
MAX_ENTRIES = 64
FINGERPRINT_SQL = (
    "SELECT * FROM (SELECT count(*), max(coalesce(finished_at, started_at)) FROM ingest_runs), "
    "(SELECT count(*) FROM source_files), (SELECT count(*), max(id) FROM reported_values)"
)
OPTIONAL_SQL = {"reported_publication": "SELECT count(*), bit_xor(hash(t)) FROM reported_publication t"}


class CockpitCache:
    """Cockpit results of one store, valid while the store's fingerprint is unchanged."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._results: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self._frozen_mark: Hashable = None

    @staticmethod
    def fingerprint(con: duckdb.DuckDBPyConnection) -> Hashable:
        """What the cockpit's inputs look like now; any write that changes a result changes this."""
        try:
            parts: list[Any] = list(con.execute(FINGERPRINT_SQL).fetchone() or ())
        except duckdb.CatalogException:  # a store from before the cockpit's migration
            return None
        for table, sql in OPTIONAL_SQL.items():
            try:
                parts.append((table, *(con.execute(sql).fetchone() or ())))
            except duckdb.CatalogException:
                parts.append((table, None))
        return tuple(parts)

    def get(self, con: duckdb.DuckDBPyConnection, key: Hashable, compute: Callable[[], dict[str, Any]],
            frozen: bool = False) -> dict[str, Any]:
        """The result for ``key`` (today's date is added to it), computed when missing or stale.
        ``frozen``: the store cannot change while open (read-only), so the fingerprint is read once."""
        full_key = (key, date.today())
        if frozen:
            if self._frozen_mark is None:
                self._frozen_mark = self.fingerprint(con)
            mark = self._frozen_mark
        else:
            mark = self.fingerprint(con)
        with self._lock:
            held = self._results.get(full_key)
            if held is not None and mark is not None and held[0] == mark:
                self._results.move_to_end(full_key)
                self.hits += 1
                blob = held[1]
                return pickle.loads(blob)
        result = compute()
        with self._lock:
            self.misses += 1
            if mark is not None:
                self._results[full_key] = (mark, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
                self._results.move_to_end(full_key)
                while len(self._results) > self.max_entries:
                    self._results.popitem(last=False)
        return result

    def clear(self) -> None:
        with self._lock:
            self._results.clear()


_CACHES: WeakKeyDictionary[Store, CockpitCache] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_of(store: Store) -> CockpitCache:
    """The cache attached to ``store``, created on first use and dropped with it."""
    with _CACHES_LOCK:
        cache = _CACHES.get(store)
        if cache is None:
            cache = _CACHES[store] = CockpitCache()
        return cache


def cached(store: Store, key: Hashable, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``compute()`` through the cache of ``store``, for ``key`` (a read-only store's fingerprint is read once)."""
    return cache_of(store.root).get(store.con, key, compute, frozen=store.read_only)
