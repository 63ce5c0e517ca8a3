"""Similar-mark search by text: 字 (exact, contained, edit distance), 音 (pinyin, Metaphone), 形 (character
components) and 义 (CC-CEDICT English), restricted by Nice class and 类似群, each hit explained.

The index (:func:`build_index`) is an inverted index held in numpy arrays: every mark's keys (the whole text,
Chinese characters and character pairs, pinyin syllables, syllable pairs and the joined pinyin, the initials, the
first-level component signature of each character, Latin letter trigrams and the Metaphone key, the English
meaning's words — :func:`ipcockpit.marks.keys.mark_keys`) hashed to 64 bits, sorted, with a posting array of mark
numbers; Nice classes (``C:9``) and 类似群 (``G:0901``) are keys too. A search looks its keys up (binary search),
adds the keys' weights per mark (``numpy.bincount``), keeps the marks of the classes or groups asked for, takes the
best :data:`CANDIDATES` and scores each on the four dimensions (:func:`ipcockpit.marks.keys.dimensions`).

Score = the best of 字, 0.95·音, 0.9·形, 0.85·义, plus 0.05 for a shared 类似群 or 0.02 for a shared Nice class
only (same group > same class > other). A dimension is named as matched at 0.6 or more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from ipcockpit.marks import keys as K

CANDIDATES = 300
MATCHED = 0.6
WEIGHTS = {"字": 1.0, "音": 0.95, "形": 0.9, "义": 0.85}
_FILES = ("similar_marks.npz", "similar_marks.json")


@dataclass
class MarkIndex:
    ids: list[str]
    texts: list[str]  # as the mark gives it
    norm: list[str]
    classes: list[list[int]]
    groups: list[list[str]]
    key_hash: np.ndarray  # int64, sorted, unique
    offsets: np.ndarray  # int64, len(key_hash) + 1
    postings: np.ndarray  # int32 mark numbers
    weights: np.ndarray  # float32 per key
    skipped: list[dict[str, str]] = field(default_factory=list)
    meaning: bool = False

    def __len__(self) -> int:
        return len(self.ids)

    def _slices(self, hashes: list[int]) -> list[tuple[int, np.ndarray]]:
        arr = np.asarray(hashes, dtype=np.int64)
        pos = np.searchsorted(self.key_hash, arr)
        out = []
        for i, p in enumerate(pos):
            if p < len(self.key_hash) and self.key_hash[p] == arr[i]:
                out.append((int(p), self.postings[self.offsets[p]:self.offsets[p + 1]]))
        return out

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / _FILES[0], key_hash=self.key_hash, offsets=self.offsets, postings=self.postings,
                 weights=self.weights)
        meta = {"ids": self.ids, "texts": self.texts, "classes": self.classes, "groups": self.groups,
                "skipped": self.skipped, "meaning": self.meaning}
        (folder / _FILES[1]).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> MarkIndex:
        folder = Path(folder)
        arrays = np.load(folder / _FILES[0])
        meta = json.loads((folder / _FILES[1]).read_text(encoding="utf-8"))
        return cls(ids=meta["ids"], texts=meta["texts"], norm=[K.normalise(t) for t in meta["texts"]],
                   classes=meta["classes"], groups=meta["groups"], key_hash=arrays["key_hash"],
                   offsets=arrays["offsets"], postings=arrays["postings"], weights=arrays["weights"],
                   skipped=meta["skipped"], meaning=meta["meaning"])


def build(rows: Any) -> MarkIndex:
    """The index of ``rows``: (mark_id, mark_text, Nice classes, 类似群) tuples. A mark without text (an image-only
    mark) is skipped with its reason."""
    ids: list[str] = []
    texts: list[str] = []
    norm: list[str] = []
    classes: list[list[int]] = []
    groups: list[list[str]] = []
    skipped: list[dict[str, str]] = []
    hashes: list[int] = []
    owners: list[int] = []
    weight_of: dict[int, float] = {}
    for mark_id, text, cls, grp in rows:
        n = K.normalise(text)
        if not n:
            reason = "no mark text (image-only mark): not searchable by text" if not (text or "").strip() else \
                f"mark text {text!r} has no letter, digit or Han character"
            skipped.append({"mark_id": mark_id, "reason": reason})
            continue
        i = len(ids)
        ids.append(mark_id)
        texts.append(text)
        norm.append(n)
        cl = sorted({int(c) for c in cls or []})
        gr = sorted(set(grp or []))
        classes.append(cl)
        groups.append(gr)
        ks = K.mark_keys(n)
        ks += [(K.class_key(c), 0.0) for c in cl] + [(K.group_key(g), 0.0) for g in gr]
        for h, w in ks:
            hashes.append(h)
            weight_of[h] = w
        owners.extend([i] * len(ks))
    h = np.asarray(hashes, dtype=np.int64)
    o = np.asarray(owners, dtype=np.int32)
    order = np.argsort(h, kind="stable")
    h, o = h[order], o[order]
    uniq, starts = np.unique(h, return_index=True)
    offsets = np.append(starts, len(h)).astype(np.int64)
    weights = np.fromiter((weight_of[int(x)] for x in uniq), dtype=np.float32, count=len(uniq))
    return MarkIndex(ids, texts, norm, classes, groups, uniq, offsets, o, weights, skipped,
                     meaning=K.meaning_available())


def build_index(con: duckdb.DuckDBPyConnection, folder: str | Path | None = None) -> MarkIndex:
    """The index of every mark in the store's ``trademarks`` table (Nice classes and 类似群 from
    ``trademark_classes``), saved to ``folder`` when one is given."""
    rows = con.execute(
        "SELECT t.mark_id, t.mark_text, "
        "(SELECT list(DISTINCT c.nice_class) FROM trademark_classes c WHERE c.mark_id = t.mark_id "
        " AND c.scheme IN ('nice', 'cn_group') AND c.nice_class IS NOT NULL), "
        "(SELECT list(DISTINCT c.code) FROM trademark_classes c WHERE c.mark_id = t.mark_id "
        " AND c.scheme = 'cn_group') "
        "FROM trademarks t ORDER BY t.mark_id").fetchall()
    index = build(rows)
    if folder is not None:
        index.save(folder)
    return index


_LOADED: dict[tuple[str, float], MarkIndex] = {}


def load(folder: str | Path) -> MarkIndex:
    """The index saved in ``folder``, kept in memory while its files are unchanged (one folder at a time)."""
    path = Path(folder).resolve()
    key = (str(path), max((path / f).stat().st_mtime for f in _FILES))
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = MarkIndex.load(path)
    return _LOADED[key]


def _class_number(value: int | str) -> int:
    from ipcockpit.marks.listing import _class_number as parse

    return parse(value)


def search(index: MarkIndex | str | Path, text: str, classes: list[int | str] | None = None,
           groups: list[str] | None = None, limit: int = 20, min_score: float = 0.5) -> list[dict[str, Any]]:
    """Marks like ``text``, best first, each explained: ``{"mark_id", "text", "score", "matched": [dimensions at
    0.6 or more], "dimensions": {"字"|"音"|"形"|"义": {"score", ...detail}}, "classes", "groups", "shared_classes",
    "shared_groups", "tier": "group"|"class"|"other"}``. With ``classes`` or ``groups`` only marks in one of those
    Nice classes or 类似群 are returned (a group also admits its Nice class, ranked below the group)."""
    idx = index if isinstance(index, MarkIndex) else load(index)
    q = K.normalise(text)
    if not q:
        raise ValueError(f"{text!r}: a search needs letters, digits or Han characters")
    want_classes = {_class_number(c) for c in classes or []}
    want_groups = {K.normalise(g) for g in groups or []}
    want_classes |= {int(g[:2]) for g in want_groups if g[:2].isdigit()}
    n = len(idx)
    found = idx._slices([h for h, _ in K.mark_keys(q)])
    if not found or not n:
        return []
    parts = [p for _, p in found]
    w = np.concatenate([np.full(len(p), idx.weights[k], dtype=np.float32) for k, p in found])
    scores = np.bincount(np.concatenate(parts), weights=w, minlength=n)
    if want_classes:
        allowed = np.zeros(n, dtype=bool)
        for _, p in idx._slices([K.class_key(c) for c in want_classes]):
            allowed[p] = True
        scores[~allowed] = 0
    k = min(CANDIDATES, n)
    top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
    top = top[scores[top] > 0]
    hits = []
    for i in top.tolist():
        dims = K.dimensions(q, idx.norm[i])
        best = max(d["score"] * WEIGHTS[name] for name, d in dims.items())
        shared_g = sorted(want_groups & set(idx.groups[i]))
        shared_c = sorted(want_classes & set(idx.classes[i]))
        tier = "group" if shared_g else "class" if shared_c else "other"
        score = best + (0.05 if tier == "group" else 0.02 if tier == "class" else 0.0)
        if best < min_score:
            continue
        hits.append({"mark_id": idx.ids[i], "text": idx.texts[i], "score": round(score, 3),
                     "matched": [name for name, d in dims.items() if d["score"] >= MATCHED], "dimensions": dims,
                     "classes": idx.classes[i], "groups": idx.groups[i], "shared_classes": shared_c,
                     "shared_groups": shared_g, "tier": tier})
    hits.sort(key=lambda h: (-h["score"], h["mark_id"]))
    return hits[:limit]


def watch(con: duckdb.DuckDBPyConnection, protected: list[dict[str, Any]], index: MarkIndex | str | Path | None = None,
          since: Any = None, threshold: float = 0.8, limit: int = 50) -> list[dict[str, Any]]:
    """Marks in the store like each protected mark (驰名商标, 老字号, a GI: ``{"text", "classes"?, "groups"?,
    "mark_id"?, "list"?}``): ``[{"protected": <the entry>, "hits": [search hits scoring ``threshold`` or more,
    filed on or after ``since`` when given, the protected mark itself (``mark_id``) left out]}]``. The search is
    restricted to the protected mark's classes or groups when it names any."""
    idx = build_index(con) if index is None else index if isinstance(index, MarkIndex) else load(index)
    filed: dict[str, Any] = {}
    if since is not None:
        filed = dict(con.execute("SELECT mark_id, filing_date FROM trademarks WHERE filing_date >= ?",
                                 [since]).fetchall())
    out = []
    for entry in protected:
        hits = search(idx, entry["text"], classes=entry.get("classes"), groups=entry.get("groups"),
                      limit=limit, min_score=threshold)
        hits = [h for h in hits if h["mark_id"] != entry.get("mark_id") and (since is None or h["mark_id"] in filed)]
        out.append({"protected": entry, "hits": hits})
    return out
