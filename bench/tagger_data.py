"""Data and embedding cache of bench/tagger.py (kept apart so the bench and its warm-up share them).

Two real sets (see /work/shared/data/MANIFEST.md):
- ``cpc``: cn/abstracts_cpc_liaoleyuan, Chinese title + keywords + abstract, multi-label CPC subgroups
  (500 labels, ~3.1 per document); training pool = 2,000 of sample_train.csv (4,102 documents, seeded
  shuffle), eval = sample_val.csv (492).
- ``multilang``: cn/abstracts_multilang_ipc, one abstract per line in its original language (Chinese, Korean,
  English, German, Japanese ...), labelled by the IPC main group folder it sits in (17 groups; 425 of 14,674
  distinct numbers sit in two folders, and the same abstract under two numbers counts once with its labels
  joined, so gold is a set). A seeded random split: a training pool and an
  eval set of fixed sizes (embedding is the slow part: ~10-20 abstracts/s on 2 shared cores).

Embeddings are cached by sha1(model id + text) under ``~/.cache/ipcockpit/tagger_bench/``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = Path("/work/shared/data/cn")
CACHE = Path.home() / ".cache" / "ipcockpit" / "tagger_bench"

Doc = tuple[str, str, list[str]]  # id, text, labels


def load_cpc(pool: int = 2000, seed: int = 7, dev: int = 0) -> tuple[list[Doc], list[Doc]]:
    """(training pool, eval set): eval = sample_val.csv, or with ``dev`` > 0 the next ``dev`` documents of the
    shuffled sample_train.csv after the pool (a development set that shares no document with any example set
    and leaves sample_val.csv untouched while variants are chosen)."""
    csv.field_size_limit(10**9)
    folder = DATA / "abstracts_cpc_liaoleyuan"

    def read(name: str) -> list[Doc]:
        with open(folder / name, encoding="utf-8-sig", newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["text"].strip()]
        return [(r["publication_number"], r["text"].strip(), json.loads(r["labels"])) for r in rows]

    train = read("sample_train.csv")
    random.Random(seed).shuffle(train)
    if dev > 0:
        return train[:pool], train[pool : pool + dev]
    return train[:pool], read("sample_val.csv")


def load_multilang(pool: int = 2000, n_eval: int = 1500, seed: int = 7) -> tuple[list[Doc], list[Doc]]:
    docs: dict[str, tuple[str, set[str]]] = {}
    for f in sorted((DATA / "abstracts_multilang_ipc" / "Abstract").glob("*/*.txt")):
        label = f.parent.name.removeprefix("Class").replace("-", "/")
        for line in f.read_text(encoding="utf-8").splitlines():
            m = re.match(r"id-(\S+)\s+abstract-(.*)", line)
            if not m or not m.group(2).strip():
                continue
            text, labels = docs.setdefault(m.group(1), (m.group(2).strip(), set()))
            labels.add(label)
    ids = sorted(docs)
    random.Random(seed).shuffle(ids)
    by_text: dict[str, set[str]] = {}
    for i in ids:  # the same abstract under two numbers (family members): one document, its labels joined
        by_text.setdefault(docs[i][0], set()).update(docs[i][1])
    first = {docs[i][0]: i for i in reversed(ids)}
    rows = [(i, docs[i][0], sorted(by_text[docs[i][0]])) for i in ids if first[docs[i][0]] == i]
    return rows[:pool], rows[pool : pool + n_eval]


def _key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\0{text}".encode()).hexdigest()


def cached_encoder(space: str = "multi") -> Callable[[list[str]], np.ndarray]:
    """An encoder with the project's embedding (``embed(texts, space)``), cached on disk by text hash."""
    from ipcockpit.search.embedding import embed, model_id

    model = model_id(space)
    CACHE.mkdir(parents=True, exist_ok=True)
    store = CACHE / f"{space}.npz"
    mem: dict[str, np.ndarray] = {}
    if store.exists():
        with np.load(store) as z:
            mem.update(zip(z["keys"].tolist(), z["vecs"], strict=True))

    def save() -> None:
        keys = list(mem)
        tmp = store.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vecs=np.stack([mem[k] for k in keys]))
        tmp.replace(store)

    def encode(texts: list[str]) -> np.ndarray:
        keys = [_key(model, t) for t in texts]
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in mem}.items())
        for s in range(0, len(todo), 128):
            part = todo[s : s + 128]
            vecs = embed([t for _, t in part], space=space)
            mem.update(zip([k for k, _ in part], vecs, strict=True))
            save()
            print(f"  embedded {min(s + 128, len(todo))}/{len(todo)}", file=sys.stderr, flush=True)
        return np.stack([mem[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)

    return encode


if __name__ == "__main__":  # warm the cache: python bench/tagger_data.py
    enc = cached_encoder()
    for name, (train, ev) in (("cpc", load_cpc()), ("cpc-dev", load_cpc(dev=600)), ("multilang", load_multilang())):
        print(name, len(train), len(ev), flush=True)
        enc([t for _, t, _ in ev])
        enc([t for _, t, _ in train])


def ipc_titles() -> dict[str, str]:
    """The Chinese IPC titles the project bundles (ipcockpit/store/bundled/ipc_titles_zh_*.csv.gz), by code
    without spaces (``G06F16/35``; a main group ``G06F16/00``)."""
    import gzip

    path = sorted((ROOT / "ipcockpit" / "store" / "bundled").glob("ipc_titles_zh_*.csv.gz"))[-1]
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {r["code"].replace(" ", ""): r["title"] for r in csv.DictReader(f)}


def cpc_tree(codes: list[str], titles: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The tree and the branch names an analyst's decomposition would give over CPC subgroups, derived from
    the codes: each subgroup's parent is its main group (``G06F16/3329`` -> ``G06F16``); a main group is named
    by its IPC title (``G06F16/00``), a subgroup by its own IPC title, else by that of the longest IPC code it
    extends (``G06F16/3329``, CPC only: ``G06F16/332`` 查询公式), else none (the 2100-series indexing codes).
    (Measured worse: the IPC codes a subgroup extends as intermediate parents, CPC-only codes left unnamed.)"""
    parents: dict[str, str] = {}
    names: dict[str, str] = {}
    for c in codes:
        if "/" not in c:
            continue
        group, sub = c.split("/", 1)
        parents[c] = group
        if f"{group}/00" in titles:
            names[group] = titles[f"{group}/00"]
        own = next((f"{group}/{sub[:k]}" for k in range(len(sub), 1, -1) if f"{group}/{sub[:k]}" in titles
                    and sub[:k] != "00"), None)
        if own:
            names[c] = titles[own]
    return parents, names
