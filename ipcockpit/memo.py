"""Results of store-wide computations kept while the store's files are unchanged.

The screening's conditions and the value index read every invention grant of a store; a page, a download and an
API call on the same store compute them again and again. :func:`kept` keeps such a result per store state and
arguments and returns the kept object itself: an Arrow table, which no caller can change; a caller that keeps a
mutable result (the quality checks' dict) hands out copies.

The store state is the mark of its files: (inode, size, modification and change times) of the DuckDB file and of
its write-ahead log. Every committed write changes one of them (DuckDB appends the commit to the log, or writes
the file at a checkpoint; a rolled-back transaction changes neither), whichever connection or process made it, a
direct SQL statement included. Nothing is kept (the result is computed each time):

- for an in-memory database (no file);
- inside an explicit transaction of the calling connection, which sees its own writes before they are committed;
- while the files changed less than :data:`SETTLE_NS` ago: a commit is written to the log just before the other
  connections see it, so for that moment a mark could name data a query does not see yet.

A new mark drops what was kept for the old one. At most :data:`STORES` stores, :data:`PER_STORE` results per
store and :data:`BUDGET` bytes of tables in all are kept (least recently used first out).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")

SETTLE_NS = 1_000_000_000  # a mark younger than this (1 s) is not trusted
STORES = 4
PER_STORE = 32
BUDGET = 512 << 20  # bytes of kept Arrow tables in all (a whole-store evaluation of 100,000 grants: tens of MB)

_LOCK = threading.Lock()
_KEPT: OrderedDict[str, tuple[tuple[Any, ...], OrderedDict[Hashable, Any]]] = OrderedDict()
stats = {"hits": 0, "misses": 0, "unkept": 0}  # for tests and benches


def _file_mark(path: str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def store_mark(con: duckdb.DuckDBPyConnection) -> tuple[str, tuple[Any, ...]] | None:
    """(database file, mark of its files) for a connection whose committed state the mark names; None when
    nothing may be kept (see the module rules)."""
    try:
        rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
        if not rows or not rows[0][0]:
            return None
        first = con.execute("SELECT txid_current()").fetchall()
        second = con.execute("SELECT txid_current()").fetchall()
    except duckdb.Error:
        return None
    if first == second:  # the same transaction twice: an explicit one, which may hold uncommitted writes
        return None
    path = str(rows[0][0])
    mark = (_file_mark(path), _file_mark(path + ".wal"))
    if mark[0] is None:
        return None
    newest = max(m[2] for m in mark if m is not None)
    if time.time_ns() - newest < SETTLE_NS:
        return None
    return path, mark


def kept(con: duckdb.DuckDBPyConnection, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave before for ``key`` on this store in this state."""
    where = store_mark(con)
    if where is None:
        stats["unkept"] += 1
        return compute()
    path, mark = where
    with _LOCK:
        entry = _KEPT.get(path)
        if entry is not None and entry[0] == mark and key in entry[1]:
            entry[1].move_to_end(key)
            _KEPT.move_to_end(path)
            stats["hits"] += 1
            return entry[1][key]  # type: ignore[no-any-return]
    value = compute()
    with _LOCK:
        stats["misses"] += 1
        entry = _KEPT.get(path)
        if entry is None or entry[0] != mark:
            entry = (mark, OrderedDict())
            _KEPT[path] = entry
        entry[1][key] = value
        entry[1].move_to_end(key)
        _KEPT.move_to_end(path)
        while len(entry[1]) > PER_STORE:
            entry[1].popitem(last=False)
        while len(_KEPT) > STORES:
            _KEPT.popitem(last=False)
        _within_budget(path, key)
    return value


def _size(value: Any) -> int:
    return int(getattr(value, "nbytes", 0) or 0)  # an Arrow table's buffers; small dicts count as nothing


def _within_budget(path: str, key: Hashable) -> None:
    """Drop the least recently used results (other stores first) until all kept fit :data:`BUDGET`; the result
    just kept (``path``, ``key``) stays even alone over it. Called with the lock held."""
    while sum(_size(v) for _, kept in _KEPT.values() for v in kept.values()) > BUDGET:
        for where, (_, kept) in _KEPT.items():
            victims = [k for k in kept if (where, k) != (path, key)]
            if victims:
                del kept[victims[0]]
                break
        else:
            return


def clear() -> None:
    """Forget everything kept (tests)."""
    with _LOCK:
        _KEPT.clear()
