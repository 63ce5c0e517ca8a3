"""The indexing queue (标引队列): which documents the analyst should mark next, most informative first.

``next_to_mark(texts, examples, k)`` tags the unmarked texts with the current examples
(:func:`ipcockpit.navigation.tagger.tag_detailed`) and ranks them by how much a mark would teach the tagger:

- ``margin`` (one branch per text): the two best branches nearly tie (1 - (p1 - p2), scores as shares);
- ``threshold`` (multi-label): a branch sits on the decision cut (1 - the smallest distance between a
  branch's score and the cut, both relative to the text's best score);
- ``novel``: the text is far from every example (its best cosine to an example is low): the tagger is guessing;
- ``weak_branch``: its best branch has a single example;
- ``cold_start``: with examples of fewer than two branches, a spread of representative texts (farthest-first over the
  embedding, starting from the one nearest the centre).

Picking is greedy with a diversity penalty: each pick's value is its informativeness minus ``diversity`` x its
highest cosine to a text already picked, so the queue does not ask for ten near-duplicates. Every item carries
its reason as a locale key (``nav.queue.reason.<kind>``) with the values to fill it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ipcockpit.navigation.tagger import Encoder, Settings, TaggerError, cut, default_encoder, tag_detailed


@dataclass
class QueueItem:
    index: int  # position in ``texts``
    score: float  # informativeness after the diversity penalty (higher: ask first)
    reason: str  # locale key nav.queue.reason.<kind>
    params: dict = field(default_factory=dict)  # values for the reason's text
    suggested: list[str] = field(default_factory=list)  # the tagger's current branches for it


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)


def _cold_start(dense: np.ndarray, candidates: np.ndarray, k: int) -> list[QueueItem]:
    centre = dense[candidates].mean(axis=0)
    first = candidates[int(np.argmax(dense[candidates] @ centre))]
    picked = [int(first)]
    nearest = dense[candidates] @ dense[first]
    items = [QueueItem(int(first), 1.0, "nav.queue.reason.cold_start", {"rank": 1})]
    while len(picked) < min(k, len(candidates)):
        j = int(np.argmin(nearest))
        idx = int(candidates[j])
        if idx in picked:
            break
        picked.append(idx)
        items.append(QueueItem(idx, float(1 - nearest[j]), "nav.queue.reason.cold_start", {"rank": len(picked)}))
        nearest = np.maximum(nearest, dense[candidates] @ dense[idx])
    return items


def next_to_mark(
    texts: Sequence[str],
    examples: Sequence[tuple[str, str]],
    k: int = 10,
    multi_label: bool = False,
    classes: Sequence[Sequence[str]] | None = None,
    *,
    diversity: float = 0.3,
    encoder: Encoder | None = None,
    settings: Settings | None = None,
) -> list[QueueItem]:
    """The ``k`` texts to mark next, most informative first (texts already among the examples are skipped)."""
    if k < 1:
        raise TaggerError(f"k={k}: ask for at least one document")
    texts = list(texts)
    marked = {t for t, _ in examples}
    candidates = np.array([i for i, t in enumerate(texts) if t not in marked and t.strip()], dtype=int)
    if len(candidates) == 0:
        return []
    enc = encoder or default_encoder
    if len({b for _, b in examples}) < 2:  # nothing to compare yet: spread over the corpus
        dense = _unit(enc([texts[i] for i in candidates]))
        full = np.zeros((len(texts), dense.shape[1]))
        full[candidates] = dense
        return _cold_start(full, candidates, k)
    sub = [texts[i] for i in candidates]
    sub_classes = [classes[i] for i in candidates] if classes is not None else None
    res = tag_detailed(sub, examples, multi_label, sub_classes, encoder=enc, settings=settings)
    dense = _unit(res.embeddings)
    ex_dense = _unit(res.example_embeddings)
    closest = (dense @ ex_dense.T).max(axis=1)
    counts: dict[str, int] = {}
    for _, b in examples:
        counts[b] = counts.get(b, 0) + 1
    s = np.clip(res.scores, 0, None)
    kinds: list[tuple[str, dict]] = []
    info = np.zeros(len(sub))
    novelty_cut = np.quantile(closest, 0.1) if len(closest) > 1 else -1.0
    for r in range(len(sub)):
        order = np.argsort(-s[r])
        top = res.labels[order[0]]
        if multi_label:
            top_score = max(float(s[r].max()), 1e-12)
            rel = s[r] / top_score
            c = cut(s[r], res.rule or ("relative", 0.5)) / top_score
            dist = np.abs(rel - c)
            dist[order[0]] = np.inf  # the best branch is always kept
            j = int(np.argmin(dist))
            u = float(1 - min(1.0, dist[j])) if np.isfinite(dist[j]) else 0.0
            kind, params = "threshold", {"branch": res.labels[j], "score": round(float(rel[j]), 3),
                                         "cut": round(float(c), 3)}
        else:
            p = s[r] / max(s[r].sum(), 1e-12)
            second = order[1] if len(order) > 1 else order[0]
            margin = float(p[order[0]] - p[second])
            u = 1 - margin
            kind, params = "margin", {"first": top, "second": res.labels[second], "margin": round(margin, 3)}
        if closest[r] <= novelty_cut:
            u = max(u, float(1 - closest[r]))
            kind, params = "novel", {"similarity": round(float(closest[r]), 3)}
        elif counts.get(top, 0) == 1 and u < 0.5:
            u = 0.5
            kind, params = "weak_branch", {"branch": top}
        info[r] = u
        kinds.append((kind, params))
    picked: list[QueueItem] = []
    penalty = np.zeros(len(sub))
    available = np.ones(len(sub), dtype=bool)
    for _ in range(min(k, len(sub))):
        value = np.where(available, info - diversity * penalty, -np.inf)
        r = int(np.argmax(value))
        available[r] = False
        kind, params = kinds[r]
        sug = res.branches[r] if multi_label else [res.branches[r]]
        picked.append(QueueItem(int(candidates[r]), float(value[r]), f"nav.queue.reason.{kind}", params, list(sug)))
        penalty = np.maximum(penalty, np.clip(dense @ dense[r], 0, None))
    return picked
