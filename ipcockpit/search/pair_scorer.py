"""Pair scorer: how alike two short texts are, read together (a cross-encoder), in [0, 1].

Public as ``ipcockpit.search.similarity`` (the package re-exports it; this module is not named
``similarity`` so that importing it does not replace that function on the package).
``similarity(pairs, contexts=None)`` scores each ``(a, b)`` pair with the shipped int8 ONNX model in
``search/models/pair-scorer`` (onnxruntime, HF ``tokenizers``; no torch at run time). It was trained on
the USPPPM phrase pairs (anchor, target, CPC class, human score 0-1): the score is the model's estimate of
that human score, so 1 means "the same meaning", 0.5 "closely related", 0 "unrelated".

Input rule (the same in training, ``training/pair_scorer.py``, and here):
``[CLS] a [SEP] b [SEP] <class title> [SEP]``, at most ``max_length`` (64) tokens. ``a`` and ``b`` are
cut longest-first until both fit with the four special tokens; the class title (the English title of the
3-character CPC/IPC class of the context code, ``H04L`` -> class ``H04``, from ``model.json``) gets the
room left, so a long title is cut and two long texts leave it out. A pair without a context (or with a
code whose class has no title) has no title part: ``[CLS] a [SEP] b [SEP]``. Token types: 0 up to the
first ``[SEP]``, 1 after.

The model reads ``a`` and ``b`` in order; it was trained with each pair's order drawn at random, so
``similarity([(a, b)])`` and ``similarity([(b, a)])`` differ little (tests/test_search_similarity.py
bounds the difference on real pairs); ``symmetric=True`` averages both orders at twice the cost.

Each pair runs alone (one onnxruntime run per pair): the model's activations are quantised per run, so a
batch would make a pair's score depend on the other pairs of the call. ``threads`` runs that many pairs
at once (default every core; 1 keeps the call on its thread, as searches do).

``rerank(query, results, top=50)`` orders the first ``top`` search results by the score of
``(query, result text)`` (see its docstring).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ipcockpit.search.embedding import MODELS_DIR, EmbeddingError, _once

MODEL_NAME = "pair-scorer"


@functools.cache
def _meta(folder: Path) -> dict:
    meta_file = folder / "model.json"
    for f in (meta_file, folder / "model.onnx", folder / "tokenizer.json"):
        if not f.exists():
            raise EmbeddingError(
                f"{f}: pair-scorer model file missing; rebuild it with `python -m training.pair_scorer --help` "
                "in a source checkout, or reinstall ipcockpit"
            )
    return json.loads(meta_file.read_text(encoding="utf-8"))


def model_folder(name: str | Path = MODEL_NAME) -> Path:
    p = Path(name)
    return p if p.is_absolute() else MODELS_DIR / p


def model_info(name: str | Path = MODEL_NAME) -> dict:
    """The pair scorer's ``model.json`` (base model, licence, how it was made, its CV figures)."""
    return dict(_meta(model_folder(name)))


def class_title(context: str | None, titles: dict[str, str]) -> str | None:
    """The title of the 3-character class of a CPC/IPC code (``G06F 16/00`` -> ``G06``), or None."""
    if not context:
        return None
    return titles.get(re.sub(r"\s+", "", context).upper()[:3]) or None


def pair_ids(
    a: list[int], b: list[int], title: list[int], max_length: int, cls_id: int, sep_id: int
) -> tuple[list[int], list[int]]:
    """Token ids and token types of one pair from the three parts' own ids (no special tokens).

    ``a`` and ``b`` are cut longest-first (one token at a time from the end of the longer) until they fit
    with the special tokens; the title takes what room is left.
    """
    room = max_length - 4 if title else max_length - 3
    la, lb = len(a), len(b)
    while la + lb > room:
        if la >= lb:
            la -= 1
        else:
            lb -= 1
    ids = [cls_id, *a[:la], sep_id]
    types = [0] * len(ids)
    rest = [*b[:lb], sep_id]
    left = max_length - len(ids) - len(rest) - 1
    if title and left > 0:
        rest += [*title[:left], sep_id]
    ids += rest
    types += [1] * len(rest)
    return ids, types


class PairTokenizer:
    """The input rule over an HF ``tokenizers`` WordPiece tokenizer (shared with the training script)."""

    def __init__(self, tokenizer_file: Path | str, titles: dict[str, str], max_length: int = 64) -> None:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(tokenizer_file))
        tok.no_truncation()
        tok.no_padding()
        self.tok = tok
        self.titles = titles
        self.max_length = max_length
        # BERT WordPiece names them [CLS]/[SEP]; MPNet's tokenizer <s>/</s>
        self.cls_id = next((i for i in map(tok.token_to_id, ("[CLS]", "<s>")) if i is not None), None)
        self.sep_id = next((i for i in map(tok.token_to_id, ("[SEP]", "</s>")) if i is not None), None)
        if self.cls_id is None or self.sep_id is None:
            raise EmbeddingError(f"{tokenizer_file}: no [CLS]/[SEP] (or <s>/</s>) token; not a BERT-family tokenizer")

    def _pieces(self, texts: list[str]) -> list[list[int]]:
        # the title of a long text is never reached, and a text past 4x the room is cut unread: tokenising a
        # whole abstract to keep its first 60 tokens would cost more than the model run
        cut = [t[: self.max_length * 16] for t in texts]
        return [e.ids for e in self.tok.encode_batch(cut, add_special_tokens=False)]

    def encode(
        self, pairs: Sequence[tuple[str, str]], contexts: Sequence[str | None] | None = None
    ) -> list[tuple[list[int], list[int]]]:
        titles = [class_title(c, self.titles) for c in (contexts or [None] * len(pairs))]
        uniq = sorted({t for p in pairs for t in p} | {t for t in titles if t})
        pieces = dict(zip(uniq, self._pieces(uniq), strict=True))
        return [
            pair_ids(pieces[a], pieces[b], pieces[t] if t else [], self.max_length, self.cls_id, self.sep_id)
            for (a, b), t in zip(pairs, titles, strict=True)
        ]


@_once
def _tokenizer(folder: Path) -> PairTokenizer:
    meta = _meta(folder)
    return PairTokenizer(folder / "tokenizer.json", meta["context"]["titles"], int(meta["max_length"]))


@_once
def _session(folder: Path, worker: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # one pair per run, one run per core at a time (as embedding.py)
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(folder / "model.onnx"), sess_options=opts, providers=["CPUExecutionProvider"])


def _check(pairs, contexts) -> None:
    if isinstance(pairs, tuple) and len(pairs) == 2 and all(isinstance(x, str) for x in pairs):
        raise EmbeddingError("similarity() takes a list of pairs, got one pair; wrap it: similarity([(a, b)])")
    for i, p in enumerate(pairs):
        if not (isinstance(p, (tuple, list)) and len(p) == 2 and all(isinstance(x, str) for x in p)):
            raise EmbeddingError(f"pair {i}: expected a (str, str) tuple, got {p!r:.80}")
    if contexts is not None:
        if isinstance(contexts, str) or len(contexts) != len(pairs):
            raise EmbeddingError(
                f"contexts: expected a list of {len(pairs)} CPC/IPC codes or None (one per pair), got "
                f"{'a string' if isinstance(contexts, str) else len(contexts)}"
            )
        for i, c in enumerate(contexts):
            if c is not None and not isinstance(c, str):
                raise EmbeddingError(f"context {i}: expected a CPC/IPC code (str) or None, got {type(c).__name__}")


def logits(
    pairs: Sequence[tuple[str, str]],
    contexts: Sequence[str | None] | None = None,
    *,
    threads: int | None = None,
    model: str | Path = MODEL_NAME,
) -> np.ndarray:
    """The model's raw outputs (before the sigmoid), one per pair."""
    folder = model_folder(model)
    tok = _tokenizer(folder)
    encoded = tok.encode(pairs, contexts)
    out = np.zeros(len(encoded), dtype=np.float32)
    local = threading.local()
    counter = itertools.count()

    def run(i: int) -> None:
        if not hasattr(local, "sess"):  # one session per pool thread (embedding.py: no arena contention)
            local.sess = _session(folder, next(counter))
        ids, types = encoded[i]
        feeds = {
            "input_ids": np.asarray([ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
            "token_type_ids": np.asarray([types], dtype=np.int64),
        }
        out[i] = float(local.sess.run(None, feeds)[0].reshape(-1)[0])

    workers = min(len(encoded), threads or os.cpu_count() or 1)
    if workers > 1:
        with ThreadPoolExecutor(workers, thread_name_prefix="ipcockpit-pairs") as pool:
            list(pool.map(run, range(len(encoded))))
    else:
        for i in range(len(encoded)):
            run(i)
    return out


def similarity(
    pairs: list[tuple[str, str]],
    contexts: list[str | None] | None = None,
    *,
    symmetric: bool = False,
    threads: int | None = None,
    model: str | Path = MODEL_NAME,
) -> np.ndarray:
    """Scores in [0, 1] (float32, one per pair): the pair scorer's estimate of the USPPPM human score.

    ``contexts``: one CPC/IPC code (or None) per pair; the class title is read with the pair.
    ``symmetric``: the mean of both orders (twice the cost). Empty texts score as they are (low).
    """
    _check(pairs, contexts)
    if not pairs:
        return np.zeros(0, dtype=np.float32)
    z = logits(pairs, contexts, threads=threads, model=model)
    if symmetric:
        z = (z + logits([(b, a) for a, b in pairs], contexts, threads=threads, model=model)) / 2
    return (1.0 / (1.0 + np.exp(-z.astype(np.float64)))).astype(np.float32)


def result_text(row: dict) -> str:
    """What a search result is read as: its title, then its passage or abstract when the row has one."""
    parts = [str(row.get(k) or "").strip() for k in ("title", "passage", "abstract")]
    return ". ".join(p for p in parts if p) or str(row.get("publication_number") or "")


def rerank(
    query: str,
    results: list[dict],
    top: int = 50,
    *,
    text=result_text,
    contexts: list[str | None] | None = None,
    threads: int | None = None,
    model: str | Path = MODEL_NAME,
) -> list[dict]:
    """The first ``top`` results ordered by the pair score of ``(query, text(result))``, the rest after them.

    Returns new row dicts (the input is not changed); each reranked row gets ``rerank_score`` (0-1) and
    ``rerank_from`` (its rank before, from 1), and keeps every other field. Ties keep the earlier order.
    ``contexts``: one CPC/IPC code (or None) per reranked row (e.g. the result's main class). The pair
    scorer reads English phrases (USPPPM): a query or result it cannot read gets no useful score.
    """
    head, tail = results[:top], results[top:]
    if not head or not query.strip():
        return [dict(r) for r in results]
    scores = similarity([(query, text(r)) for r in head], contexts[: len(head)] if contexts else None,
                        threads=threads, model=model)
    order = sorted(range(len(head)), key=lambda i: (-float(scores[i]), i))
    out = [dict(head[i], rerank_score=round(float(scores[i]), 4), rerank_from=i + 1) for i in order]
    return out + [dict(r) for r in tail]
