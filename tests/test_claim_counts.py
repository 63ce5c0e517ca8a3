"""The claim counts every search page shows (``Cockpit.index_status()["claims"]``) are kept per index folder while
its claim index files are unchanged, and follow every change: a claim added, claims removed, a new space's index."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ipcockpit.search.claim_index import claim_counts, index_name
from ipcockpit.search.vectors import VectorIndex


def _vectors(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, 8)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_claim_counts_follow_the_files(tmp_path: Path) -> None:
    assert claim_counts(tmp_path) == {}
    en = VectorIndex(tmp_path, index_name("en"), 8)
    en.add([f"US{i}B2#1" for i in range(5)], _vectors(5, 0))
    en.save()
    assert claim_counts(tmp_path) == {"en": 5}
    assert claim_counts(tmp_path) == {"en": 5}  # kept
    en.add(["US9B2#1"], _vectors(1, 1))
    en.save()
    assert claim_counts(tmp_path) == {"en": 6}
    en.remove(["US0B2#1", "US1B2#1"])
    en.save()
    assert claim_counts(tmp_path) == {"en": 4}
    multi = VectorIndex(tmp_path, index_name("multi"), 8)
    multi.add(["CN1A#1"], _vectors(1, 2))
    multi.save()
    counts = claim_counts(tmp_path)
    assert counts == {"en": 4, "multi": 1}
    counts["en"] = 0  # the caller's copy: what is kept stays
    assert claim_counts(tmp_path) == {"en": 4, "multi": 1}
    for p in VectorIndex._paths(tmp_path, index_name("multi")):
        p.unlink()
    assert claim_counts(tmp_path) == {"en": 4}
