"""Bounded caches shared by the searches of one process (the web server runs them on many threads).

Rules:

- Every cache is bounded (:class:`LRU`: the least recently used entry goes first) and safe to read and
  write from several threads at once: one lock per cache, held only while the dict is touched, never
  while a value is computed (two threads that miss the same key both compute it; the last one stored wins,
  and both values are the same).
- A cache is keyed by everything its value depends on. What depends on the index lives in the opened
  index's state (:class:`ipcockpit.search.hybrid._State`, replaced when the index files change), so a
  rebuilt index never answers from the caches of the one before it; what depends on a model alone
  (the vector of a text) is keyed by the model's name.
- A value handed out is shared: callers must not change it (vectors are read-only arrays; a cached result
  page is stored as bytes and each caller gets its own copy).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A dict of at most ``size`` entries; the least recently used is dropped to make room."""

    def __init__(self, size: int) -> None:
        self.size = max(1, int(size))
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The entries of ``keys`` that are held (one lock for all)."""
        out: dict[K, V] = {}
        with self._lock:
            for key in keys:
                value = self._data.get(key)
                if value is None:
                    self.misses += 1
                    continue
                self._data.move_to_end(key)
                self.hits += 1
                out[key] = value
        return out

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def put_many(self, items: Iterable[tuple[K, V]]) -> None:
        with self._lock:
            for key, value in items:
                self._data[key] = value
                self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data


def frozen(vector: np.ndarray) -> np.ndarray:
    """``vector`` made read-only, so that a cached vector cannot be changed by one of its users."""
    vector.flags.writeable = False
    return vector


class FairSlots:
    """At most ``n`` holders at once, the others served in the order they came (a context manager).

    ``threading.Semaphore`` is not fair: a thread woken by a release must take the lock again, and one that
    arrives in between takes the freed slot; the woken one waits again at the back of the queue, so under a
    crowd some requests wait several turns while later ones pass them (the tail of
    ``bench/web_load.py --search``). Here a release hands the slot straight to the oldest waiter."""

    def __init__(self, n: int) -> None:
        self.n = max(1, int(n))
        self._free = self.n
        self._lock = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()

    def __enter__(self) -> FairSlots:
        with self._lock:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return self
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the holder that hands this waiter its slot
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()  # the slot passes on, never back to the pool
            else:
                self._free += 1

    @property
    def waiting(self) -> int:
        """Threads waiting for a slot now."""
        return len(self._waiting)
