"""Checks of the shipped embedding models on real data: retrieval precision in English and Chinese,
speed, and the cosine floor of unrelated texts (``python -m training.train spaces|calibrate``).
Split from :mod:`training.train` (which exports and fine-tunes); no torch needed here."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from training.train import BASE_NAME, E5_NAME, MODELS_DIR, TUNED_NAME, us_abstracts_file

ZH_FILES = ("cn/abstracts_cpc_liaoleyuan/sample_val.csv", "cn/abstracts_cpc_liaoleyuan/sample_train.csv")


def chinese_docs(data: Path, n: int) -> tuple[list[str], list[set[str]]]:
    """First ``n`` labelled documents of the val then train file: Chinese title + abstract (the English
    keyword line is dropped)."""
    import csv
    import itertools
    import re

    texts, labels = [], []
    handles = [(data / f).open(newline="", encoding="utf-8-sig") for f in ZH_FILES]
    with handles[0], handles[1]:
        for row in itertools.chain.from_iterable(csv.DictReader(h) for h in handles):
            lab = set(json.loads(row["labels"] or "[]"))
            if not lab:
                continue
            parts = re.split(r"\s*\[SEP\]\s*|\n(?=Keywords:|Abstract:)", row["text"])
            keep = [re.sub(r"^(Title|Abstract):\s*", "", x) for x in parts if not x.startswith("Keywords:")]
            if len(parts) == 3 and "[SEP]" in row["text"]:
                keep = [parts[0], parts[2]]
            texts.append(" ".join(keep).strip())
            labels.append(lab)
            if len(texts) >= n:
                break
    return texts, labels


def precision_at_10(vecs: np.ndarray, labels: list[set[str]]) -> float:
    """Mean share of each document's 10 exact-cosine neighbours (itself excluded) sharing a subgroup."""
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, -np.inf)
    top = np.argsort(-sims, axis=1)[:, :10]
    return round(float(np.mean([[bool(labels[i] & labels[j]) for j in row] for i, row in enumerate(top)])), 4)


def compare_english(data: Path, n_per_topic: int = 500) -> dict:
    """P@10 (neighbour from the same topic file: baseball vs neural network) and texts/s on US abstracts."""
    from ipcockpit.search.embedding import embed_with_model

    out: dict = {"docs_per_topic": n_per_topic, "topics": ["baseball", "neural network"], "models": {}}
    texts: list[str] = []
    labels: list[set[str]] = []
    for f in sorted((data / "abstracts_us").glob("*.csv")):
        rows = us_abstracts_file(f)[:n_per_topic]
        texts += rows
        labels += [{f.stem}] * len(rows)
    names = [n for n in (BASE_NAME, TUNED_NAME, E5_NAME) if (MODELS_DIR / n / "model.json").exists()]
    for name in names:
        t0 = time.perf_counter()
        vecs = embed_with_model(texts, name)
        secs = time.perf_counter() - t0
        out["models"][name] = {
            "p_at_10": precision_at_10(vecs, labels),
            "texts_per_s": round(len(texts) / secs, 1),
        }
        print("en", name, out["models"][name], flush=True)
    return out


def compare_chinese(data: Path, n: int = 1000) -> dict:
    """P@10 (shared CPC subgroup) and texts/s of each candidate space on ``n`` Chinese abstracts."""
    from ipcockpit.search.embedding import embed_with_model

    texts, labels = chinese_docs(data, n)
    base = np.mean(
        [[bool(labels[i] & labels[j]) for j in range(len(labels)) if j != i] for i in range(len(labels))]
    )
    out: dict = {
        "docs": len(texts),
        "files": list(ZH_FILES),
        "chance_precision": round(float(base), 4),
        "models": {},
    }
    names = [n for n in (BASE_NAME, TUNED_NAME, E5_NAME) if (MODELS_DIR / n / "model.json").exists()]
    encoders = {name: (lambda t, name=name: embed_with_model(t, name)) for name in names}
    for name, enc in encoders.items():
        t0 = time.perf_counter()
        vecs = np.asarray(enc(texts), dtype=np.float32)
        secs = time.perf_counter() - t0
        vecs /= np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
        out["models"][name] = {
            "p_at_10": precision_at_10(vecs, labels),
            "texts_per_s": round(len(texts) / secs, 1),
        }
        print(name, out["models"][name], flush=True)
    return out


# ---------------------------------------------------------------------------------------------------
# Cosine floor: the median cosine of unrelated real texts, per model (embedding.calibrated)
# ---------------------------------------------------------------------------------------------------


def calibrate(data: Path, n: int = 300, seed: int = 0, write: bool = True) -> dict:
    """Measure ``cosine_floor`` of each space's model and write it (with ``cosine_floor_how``) into its
    model.json. en: ``n`` random pairs of US abstracts, one from each topic file; multi: ``n`` random pairs
    of Chinese abstracts without a shared CPC subgroup plus ``n`` Chinese-vs-English abstract pairs."""
    from ipcockpit.search.embedding import embed_with_model, model_for, spaces

    rng = np.random.default_rng(seed)
    topics = [us_abstracts_file(f) for f in sorted((data / "abstracts_us").glob("*.csv"))]
    en = [[t[i] for i in rng.choice(len(t), n, replace=False)] for t in topics[:2]]
    zh, labels = chinese_docs(data, 2000)
    pairs = []
    while len(pairs) < n:
        i, j = (int(x) for x in rng.choice(len(zh), 2, replace=False))
        if not labels[i] & labels[j]:
            pairs.append((i, j))
    zh_en = [zh[int(i)] for i in rng.choice(len(zh), n, replace=False)]
    mixed = en[0][: n // 2] + en[1][: n - n // 2]  # the English side of the zh-en pairs: both topics
    a_zh, b_zh = [zh[i] for i, _ in pairs], [zh[j] for _, j in pairs]
    out = {}
    for space in spaces():
        name = model_for(space)

        def cos(x: list[str], y: list[str], name: str = name) -> np.ndarray:
            return np.sum(embed_with_model(x, name) * embed_with_model(y, name), axis=1)

        if space == "en":
            sims = {"en-en": cos(en[0], en[1])}
            how = (
                f"median cosine of {n} random pairs of US abstracts, one from each topic file of abstracts_us"
            )
        else:
            sims = {"zh-zh": cos(a_zh, b_zh), "zh-en": cos(zh_en, mixed)}
            how = (
                f"median cosine of {n} random pairs of Chinese abstracts (cn/abstracts_cpc_liaoleyuan) sharing "
                f"no CPC subgroup and {n} Chinese-vs-English (abstracts_us) pairs"
            )
        parts = {k: round(float(np.median(v)), 4) for k, v in sims.items()}
        floor = round(float(np.median(np.concatenate(list(sims.values())))), 4)
        how += f" (seed {seed}; python -m training.train calibrate); medians {parts}"
        out[space] = {"model": name, "cosine_floor": floor, "parts": parts}
        print(space, out[space], flush=True)
        if write:
            path = MODELS_DIR / name / "model.json"
            meta = json.loads(path.read_text(encoding="utf-8"))
            meta.update(cosine_floor=floor, cosine_floor_how=how)
            path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


# ---------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------
