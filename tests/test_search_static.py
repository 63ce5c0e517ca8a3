"""search/static_embed.py: a static model's vector is the normalised sum of its tokens' rows (real texts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ipcockpit.search import static_embed


class Pieces:
    """A tokenizer stand-in: one id per character (0 ``<s>``, 2 ``</s>`` around), as the e5 tokenizer's shape."""

    def ids_batch(self, texts: list[str]) -> list[list[int]]:
        return [[0, *(ord(ch) for ch in t), 2] for t in texts]


@pytest.fixture()
def model(tmp_path: Path) -> static_embed.StaticModel:
    rng = np.random.default_rng(0)
    tokens = np.array([ord(c) for c in "电池无人机更换锂"])
    table = rng.normal(size=(len(tokens), 16)).astype(np.float32)
    static_embed.write_model(tmp_path / "m", tokens, table, {"name": "m", "tokenizer": "test"})
    m = static_embed.StaticModel(tmp_path / "m", Pieces())
    m.source = (tokens, table)  # type: ignore[attr-defined]
    return m


def test_sum_of_rows(model: static_embed.StaticModel) -> None:
    tokens, table = model.source  # type: ignore[attr-defined]
    row = {int(t): r for r, t in enumerate(tokens)}
    texts = ["无人机 电池 更换", "锂电池", "电池电池", "pizza", ""]
    got = model.embed(texts)
    assert got.shape == (5, 16) and got.dtype == np.float32
    for text, v in zip(texts[:3], got[:3], strict=True):
        want = sum(table[row[ord(c)]] for c in text if ord(c) in row)
        want = want / np.linalg.norm(want)
        assert float(v @ want) > 0.9995  # int8 rows: ~1e-4 off
    assert np.allclose(np.linalg.norm(got[:3], axis=1), 1.0, atol=1e-5)
    assert not got[3].any() and not got[4].any()  # no known token: the zero vector, never NaN
    assert np.array_equal(model.embed(texts[:2]), got[:2])  # a text's vector does not depend on the others


def test_quantised_rows_round_trip() -> None:
    table = np.random.default_rng(1).normal(size=(50, 384)).astype(np.float32)
    q, scale = static_embed.quantise_rows(table)
    back = q.astype(np.float32) * scale[:, None]
    cos = np.sum(back * table, axis=1) / np.linalg.norm(back, axis=1) / np.linalg.norm(table, axis=1)
    assert q.dtype == np.int8 and cos.min() > 0.9999


def test_static_engine_through_embedding(tmp_path: Path, shared: Path) -> None:
    """A model folder with ``"engine": "static"`` embeds through embedding.embed_with_model with
    multilingual-e5-small's tokenizer (real Chinese titles), and its id follows its rows."""
    import csv

    from ipcockpit.search import e5_onnx
    from ipcockpit.search import embedding as emb

    with (shared / "cn/titles_ipc_lxingy3/oof_predictions.csv").open(encoding="utf-8-sig", newline="") as fh:
        titles = [r["patent_title"] for _, r in zip(range(20), csv.DictReader(fh), strict=False)]
    tok = e5_onnx.E5Tokenizer(e5_onnx.ensure_built())
    used = sorted({i for ids in tok.ids_batch(titles) for i in ids[1:-1]})
    table = np.random.default_rng(2).normal(size=(len(used), 32)).astype(np.float32)
    folder = tmp_path / "static-test"
    static_embed.write_model(folder, np.array(used), table, {"name": "static-test", "tokenizer": "e5"})
    got = emb.embed_with_model(titles, str(folder))
    assert got.shape == (20, 32) and np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    row = {t: r for r, t in enumerate(used)}
    for title, v in zip(titles[:5], got[:5], strict=True):
        want = sum(table[row[i]] for i in tok.ids(title)[1:-1])
        assert float(v @ (want / np.linalg.norm(want))) > 0.9995
    # similar titles are nearer than a random pair would be only through the rows: here the rows are random,
    # so this checks plumbing, not quality (bench/index_speed.py measures that)
    (folder / "model.json").write_text((folder / "model.json").read_text().replace('"e5"', '"bert"'))
    emb._model.cache_clear()
    with pytest.raises(emb.EmbeddingError, match="tokenizer"):
        emb.embed_with_model(titles, str(folder))
