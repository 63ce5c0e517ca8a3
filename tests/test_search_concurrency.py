"""Searches from many threads at once, and the caches behind them (issue 14: 20 concurrent clients)."""

from __future__ import annotations

import pytest

from ipcockpit.search import fto


def test_element_vectors_when_the_cache_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call holding a kept element and a new one, with the cache full: the kept one was dropped by the
    clear() that made room, and reading it back raised KeyError (one thread is enough; with several, a clear
    by another thread between storing and reading did the same)."""
    monkeypatch.setattr(fto, "CACHE_SIZE", 2)
    fto._CACHE.clear()
    fto._embed_cached(["a rotating blade", "a handle"], "en")
    out = fto._embed_cached(["a rotating blade", "a motor"], "en")
    assert set(out) == {"a rotating blade", "a motor"}
    assert all(v.shape == (384,) for v in out.values())
