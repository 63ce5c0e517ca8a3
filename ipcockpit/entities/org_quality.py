"""Clustering quality against a ground truth: pairwise precision, recall and F1, and B-cubed (B³).

Both are computed from the contingency of (predicted cluster, true cluster) over mentions, never from the pairs
themselves (a cluster of 24,000 mentions holds 288 million pairs):

- pairwise: a pair of mentions is predicted one entity when both are in one predicted cluster; precision = pairs
  predicted and true / pairs predicted, recall = pairs predicted and true / true pairs;
- B³: for each mention, precision = |its predicted cluster ∩ its true cluster| / |its predicted cluster|, recall
  the same over its true cluster; each averaged over mentions (Bagga and Baldwin 1998).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from math import comb


def cluster_metrics(predicted: Sequence[Hashable], true: Sequence[Hashable]) -> dict[str, float]:
    """``pairwise_precision``, ``pairwise_recall``, ``pairwise_f1``, ``b3_precision``, ``b3_recall``, ``b3_f1``
    of predicted cluster labels against true ones (one label per mention, in one order)."""
    if len(predicted) != len(true):
        raise ValueError(f"{len(predicted)} predicted labels for {len(true)} true ones")
    n = len(predicted)
    cells = Counter(zip(predicted, true, strict=True))
    size_p, size_t = Counter(predicted), Counter(true)
    both = sum(comb(c, 2) for c in cells.values())
    pairs_p = sum(comb(c, 2) for c in size_p.values())
    pairs_t = sum(comb(c, 2) for c in size_t.values())
    precision = both / pairs_p if pairs_p else 1.0
    recall = both / pairs_t if pairs_t else 1.0
    b3p = sum(c * c / size_p[p] for (p, _), c in cells.items()) / n if n else 1.0
    b3r = sum(c * c / size_t[t] for (_, t), c in cells.items()) / n if n else 1.0
    return {
        "pairwise_precision": precision, "pairwise_recall": recall, "pairwise_f1": _f1(precision, recall),
        "b3_precision": b3p, "b3_recall": b3r, "b3_f1": _f1(b3p, b3r),
    }


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0
