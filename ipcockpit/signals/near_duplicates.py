"""Near-duplicate abstracts across different applications (非正常申请信号: 内容高度雷同的申请), by MinHash and LSH.

The measure is the Jaccard similarity of two abstracts' shingle sets:

- Chinese and Japanese text (``texts.lang`` ``zh``/``ja``, or, without a language, text that is mostly Han
  characters): **character 5-grams** of the text after NFKC folding (full-width → half-width), lower case and the
  removal of white space.
- Every other language (en, de, ko, fr …): **word 3-grams** (``\\w+`` tokens, lower case, after NFKC).

Each abstract's shingles are hashed to 64 bits (vectorised; a polynomial over the code points, then the
splitmix64 finaliser), and ``bands × rows`` MinHash values (``(a·x + b) mod 2^32`` over the hash's high 32 bits
``x``, a different odd ``a`` per value) make its signature. Two abstracts become a candidate pair when all ``rows``
values of one band agree: the probability is ``1 − (1 − s^rows)^bands`` for Jaccard ``s`` (the S-curve; 16 × 4
gives 0.9998 at 0.8, 0.64 at 0.5). A candidate whose whole signature estimates its Jaccard more than 4 standard
errors under the threshold (0.6 for 0.8 and 64 values) is dropped; every other one is verified by the exact
Jaccard of its real shingle sets (Python sets of the shingle strings, not the hashes); pairs of publications of
the same application (``documents.app_id``, or office + number where a source gives no application number: the A
and B publications of a CN invention) are left out.
Connected components of the verified pairs are the clusters, with their evidence: each pair's Jaccard and the
longest text span the two abstracts share.

A signal is not a verdict: a cluster says that the texts are alike, not that a filing is abnormal (divisional
applications, a series by one applicant, or standard wording can be alike for good reasons).
"""

from __future__ import annotations

import difflib
import hashlib
import re
import time
import unicodedata
from typing import Any

import duckdb
import numpy as np

NOTE_ZH = ("信号不是结论：相似只说明文本雷同，是否属于非正常申请须经人工核查"
           "（分案申请、同一申请人的系列申请、标准表述也可能相似）。")
NOTE_EN = ("A signal is not a verdict: alike texts say nothing yet about abnormal filing; an analyst checks each "
           "cluster (divisional applications, one applicant's series or standard wording can be alike).")
CHAR_LANGS = frozenset({"zh", "ja"})
_WORD = re.compile(r"\w+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]+")
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def normalise(text: str) -> str:
    """NFKC, lower case, white space removed (the text char shingles are taken from)."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def normalise_all(texts: list[str]) -> list[str]:
    """:func:`normalise` of each text, over the texts joined by NUL (which NFKC, lower case and the white-space
    removal leave alone), NFKC run only on the stretches between CJK unified ideographs (which it leaves alone and
    which compose with nothing): the same strings, ~2.5× faster on Chinese abstracts."""
    if not texts or any("\0" in t for t in texts):
        return [normalise(t) for t in texts]
    folded = _NOT_HAN.sub(lambda m: unicodedata.normalize("NFKC", m.group()), "\0".join(texts))
    return "".join(folded.lower().split()).split("\0")


def uses_chars(text: str, lang: str | None) -> bool:
    """Character shingles for Chinese and Japanese (or, with no language, text mostly of Han characters)."""
    if lang:
        return lang in CHAR_LANGS
    return len(_HAN.findall(text)) * 2 > len(text)


def shingles(text: str, lang: str | None, k: int = 5, words: int = 3) -> set[str]:
    """The shingle set of ``text``: character ``k``-grams of :func:`normalise` (zh, ja), else word ``words``-grams."""
    if uses_chars(text, lang):
        s = normalise(text)
        return {s[i:i + k] for i in range(len(s) - k + 1)} if len(s) >= k else ({s} if s else set())
    w = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
    if len(w) < words:
        return {" ".join(w)} if w else set()
    return {" ".join(w[i:i + words]) for i in range(len(w) - words + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise on uint64 (wrapping arithmetic)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _char_hashes(texts: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character k-gram of the (normalised) texts, and each text's count of them."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if codes.size < k:
        return np.zeros(0, np.uint64), np.zeros(len(texts), np.int64)
    n = codes.size - k + 1
    h = np.zeros(n, np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = (h * np.uint64(0x100000001B3)) ^ (codes[j:j + n] + np.uint64(0x9E3779B97F4A7C15 + j))
        h = _mix(h)
    counts = np.maximum(lengths - k + 1, 0)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    keep = np.zeros(n, bool)  # windows that lie inside one text
    idx = np.repeat(starts, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    keep[idx] = True
    return h[keep], counts


def _word_hashes(texts: list[str], langs: list[str | None], words: int) -> tuple[np.ndarray, np.ndarray]:
    parts = [sorted(shingles(t, lang, words=words)) for t, lang in zip(texts, langs, strict=True)]
    flat = [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") for p in parts for s in p]
    return np.array(flat, dtype=np.uint64), np.array([len(p) for p in parts], np.int64)


def signatures(hashes: np.ndarray, counts: np.ndarray, num_perm: int, seed: int = 1,
               chunk: int = 4_000_000) -> np.ndarray:
    """The (documents × num_perm) uint32 MinHash matrix of shingle hashes grouped by ``counts`` (each > 0).

    Value ``p`` of a document is ``min((a_p · x + b_p) mod 2^32)`` over its shingles, ``x`` the high 32 bits of
    the (already mixed) 64-bit shingle hash and ``a_p`` odd: a permutation of the 32-bit values per ``p``. In
    uint32 this is ~5× faster than the same in uint64 (bench/near_duplicates.py), and as exact in collision
    rate within its standard error (checked against known Jaccards while choosing it).
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**32, num_perm, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    b = rng.integers(0, 2**32, num_perm, dtype=np.uint64).astype(np.uint32)
    out = np.empty((len(counts), num_perm), np.uint32)
    ends = np.cumsum(counts)
    d0 = 0
    while d0 < len(counts):  # chunks of whole documents
        first = 0 if d0 == 0 else int(ends[d0 - 1])
        d1 = max(int(np.searchsorted(ends, first + chunk, "right")), d0 + 1)
        x = (hashes[first:int(ends[d1 - 1])] >> np.uint64(32)).astype(np.uint32)
        v = np.empty_like(x)
        starts = np.concatenate(([0], ends[d0:d1 - 1] - first)).astype(np.int64)
        for p in range(num_perm):
            np.multiply(x, a[p], out=v)
            np.add(v, b[p], out=v)
            out[d0:d1, p] = np.minimum.reduceat(v, starts)
        d0 = d1
    return out


def candidate_pairs(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Index pairs (i < j, as an (m × 2) int64 array, unique) that agree on all rows of at least one band."""
    found: list[np.ndarray] = []
    n = sig.shape[0]
    for band in range(bands):
        cols = sig[:, band * rows:(band + 1) * rows].astype(np.uint64)
        key = np.zeros(n, np.uint64)
        with np.errstate(over="ignore"):
            for c in range(rows):
                key = _mix(key * np.uint64(0x100000001B3) + cols[:, c] + np.uint64(band))
        order = np.argsort(key, kind="stable")
        sk = key[order]
        bounds = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1], True])
        sizes = np.diff(bounds)
        for g in np.flatnonzero(sizes > 1):
            members = np.sort(order[bounds[g]:bounds[g + 1]])
            i, j = np.triu_indices(len(members), 1)
            found.append(np.stack([members[i], members[j]], 1))
    if not found:
        return np.zeros((0, 2), np.int64)
    pairs = np.concatenate(found).astype(np.int64)
    keys = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([keys // n, keys % n], 1)


def _components(pairs: list[tuple[int, int]]) -> list[list[int]]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[int]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    return [sorted(g) for g in groups.values()]


def _shared_span(a: str, b: str) -> str:
    m = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return a[m.a:m.a + m.size]


_ROWS = """
SELECT t.doc_id, t.lang, t.text, coalesce(d.app_id, d.office || d.number, t.doc_id) AS app_key
FROM texts t JOIN documents d USING (doc_id)
WHERE t.kind = 'abstract' AND length(t.text) >= ?
QUALIFY row_number() OVER (PARTITION BY t.doc_id ORDER BY t.lang = 'zh' DESC, length(t.text) DESC) = 1
ORDER BY t.doc_id
"""


def near_duplicates(con: duckdb.DuckDBPyConnection, threshold: float = 0.8, *, bands: int = 16, rows: int = 4,
                    k: int = 5, words: int = 3, min_chars: int = 30, seed: int = 1,
                    with_pairs: bool = True, spans: bool = True, chunk: int = 50_000) -> dict[str, Any]:
    """Clusters of abstracts of different applications whose shingle Jaccard is at least ``threshold``.

    ``bands × rows`` MinHash values per abstract (default 16 × 4 = 64); abstracts shorter than ``min_chars``
    characters are not compared; texts are shingled and hashed ``chunk`` at a time. Returns ``{"clusters": [...],
    "pairs", "candidates", "documents", "parameters", "seconds", "note", "note_en"}``; each cluster lists its
    documents (id, application, dates, applicants), its applicants, the date range and its evidence pairs
    (``a``, ``b``, ``jaccard``, ``shared``: the longest common span of the two texts, None with ``spans=False``;
    no pairs with ``with_pairs=False``).
    """
    clock = {"start": time.perf_counter()}
    doc_ids, langs, texts, apps = [], [], [], []
    for doc_id, lang, text, app in con.execute(_ROWS, [min_chars]).fetchall():
        doc_ids.append(doc_id)
        langs.append(lang)
        texts.append(text)
        apps.append(app)
    clock["read"] = time.perf_counter()
    char = np.array([uses_chars(t, lang) for t, lang in zip(texts, langs, strict=True)], bool)
    parts: list[tuple[np.ndarray, np.ndarray]] = []  # (text indexes, signatures), chunk by chunk: bounded memory
    for kind, idx in (("char", np.flatnonzero(char)), ("word", np.flatnonzero(~char))):
        for c0 in range(0, len(idx), chunk):
            part = idx[c0:c0 + chunk]
            if kind == "char":
                h, counts = _char_hashes(normalise_all([texts[i] for i in part]), k)
            else:
                h, counts = _word_hashes([texts[i] for i in part], [langs[i] for i in part], words)
            has = counts > 0  # a text with no shingle has no hash either: left out
            if has.any():
                parts.append((part[has], signatures(h, counts[has], bands * rows, seed)))
    order = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    sig = np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, bands * rows), np.uint32)
    del parts
    clock["minhash"] = time.perf_counter()
    cand = candidate_pairs(sig, bands, rows)
    clock["lsh"] = time.perf_counter()
    app_code = {a: n for n, a in enumerate(dict.fromkeys(apps))}
    codes = np.array([app_code[apps[i]] for i in order], np.int64) if len(order) else np.zeros(0, np.int64)
    same = codes[cand[:, 0]] == codes[cand[:, 1]] if len(cand) else np.zeros(0, bool)
    # the whole signature's estimate: a pair at the threshold falls 4 standard errors below it with p ≈ 3e-5
    floor = threshold - 4 * (threshold * (1 - threshold) / (bands * rows)) ** 0.5
    estimate = (sig[cand[:, 0]] == sig[cand[:, 1]]).mean(1) if len(cand) else np.zeros(0)
    low = ~same & (estimate < floor)
    cache: dict[int, set[str]] = {}

    def sh(i: int) -> set[str]:
        if i not in cache:
            cache[i] = shingles(texts[i], langs[i], k, words)
        return cache[i]

    verified: list[tuple[int, int, float]] = []
    for (x, y) in cand[~same & ~low].tolist():
        i, j = int(order[x]), int(order[y])
        a, b = sh(i), sh(j)
        if min(len(a), len(b)) < threshold * max(len(a), len(b)):
            continue  # Jaccard ≤ |small| / |large| < threshold
        s = jaccard(a, b)
        if s >= threshold:
            verified.append((min(i, j), max(i, j), s))
    clock["verify"] = time.perf_counter()
    clusters = _clusters(con, verified, doc_ids, texts, apps, with_pairs, spans)
    clock["clusters"] = time.perf_counter()
    names = ["read", "minhash", "lsh", "verify", "clusters"]
    prev = clock["start"]
    seconds = {}
    for name in names:
        seconds[name] = round(clock[name] - prev, 3)
        prev = clock[name]
    seconds["total"] = round(prev - clock["start"], 3)
    return {
        "signal": "near_duplicates",
        "threshold": threshold,
        "parameters": {"bands": bands, "rows": rows, "num_perm": bands * rows, "char_k": k, "word_k": words,
                       "min_chars": min_chars, "seed": seed,
                       "p_at_threshold": round(1 - (1 - threshold**rows) ** bands, 6)},
        "documents": len(doc_ids),
        "candidates": int(len(cand)),
        "same_application_candidates": int(same.sum()),
        "estimate_floor": round(floor, 4), "below_floor": int(low.sum()),
        "pairs": len(verified),
        "clusters": clusters,
        "seconds": seconds,
        "note": NOTE_ZH,
        "note_en": NOTE_EN,
    }


def _clusters(con: duckdb.DuckDBPyConnection, verified: list[tuple[int, int, float]], doc_ids: list[str],
              texts: list[str], apps: list[str], with_pairs: bool, spans: bool) -> list[dict[str, Any]]:
    if not verified:
        return []
    groups = _components([(i, j) for i, j, _ in verified])
    members = sorted({doc_ids[i] for g in groups for i in g})
    info = {r[0]: r[1:] for r in con.execute(
        "SELECT doc_id, app_id, pub_date, app_date FROM documents WHERE list_contains(?, doc_id)",
        [members]).fetchall()}
    applicants: dict[str, list[str]] = {r[0]: r[1] for r in con.execute(
        "SELECT doc_id, list(name_raw ORDER BY seq) FROM parties WHERE list_contains(?, doc_id) "
        "AND role IN ('applicant', 'patentee', 'assignee') GROUP BY doc_id", [members]).fetchall()}
    by_group: dict[int, list[tuple[int, int, float]]] = {}
    home = {i: n for n, g in enumerate(groups) for i in g}
    for p in verified:
        by_group.setdefault(home[p[0]], []).append(p)
    out = []
    for n, g in enumerate(groups):
        docs = []
        for i in g:
            app_id, pub, filed = info.get(doc_ids[i], (None, None, None))
            docs.append({"doc_id": doc_ids[i], "app_id": app_id, "application": apps[i],
                         "pub_date": pub.isoformat() if pub else None, "app_date": filed.isoformat() if filed else None,
                         "applicants": applicants.get(doc_ids[i], [])})
        dates = sorted(d for x in docs for d in (x["app_date"] or x["pub_date"],) if d)
        pairs = sorted(by_group[n], key=lambda p: -p[2])
        cluster: dict[str, Any] = {
            "size": len(g), "applications": len({apps[i] for i in g}),
            "applicants": sorted({a for x in docs for a in x["applicants"]}),
            "first_date": dates[0] if dates else None, "last_date": dates[-1] if dates else None,
            "max_jaccard": round(pairs[0][2], 4), "documents": docs, "status": "待核查",
        }
        if with_pairs:
            cluster["pairs"] = [{"a": doc_ids[i], "b": doc_ids[j], "jaccard": round(s, 4),
                                 "shared": _shared_span(texts[i], texts[j]) if spans else None}
                                for i, j, s in pairs]
        out.append(cluster)
    out.sort(key=lambda c: (-c["size"], -c["max_jaccard"], c["documents"][0]["doc_id"]))
    return out
