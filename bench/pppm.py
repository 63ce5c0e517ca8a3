"""USPPPM phrase-similarity benchmark helpers (imported by bench/search_quality.py) and a small CLI.

- ``load_pairs(path)``: the development pairs (anchor, target, context, score).
- ``grouped_folds(pairs, k)``: k (train, validation) splits grouped by anchor.
- ``score_model(space_or_callable, pairs)``: Pearson/Spearman of cosine(anchor, target) with the human
  score, off the shelf. A string is a vector space (``en``, ``multi``) or a model folder name under
  ``ipcockpit/search/models``; a model with a ``context`` rule gets ``"<class title>: <phrase>"`` inputs,
  exactly as at indexing time. A callable ``encode(list[str]) -> array`` gets the plain phrases.
- ``score_pair_scorer(pairs)``: Pearson/Spearman of the pair scorer (``ipcockpit.search.similarity``, a
  cross-encoder) with the human score, the class of each pair as its context. It was trained on all
  development pairs: in-sample; its grouped CV is in its model.json (``grouped_cv``) and
  bench/results/pair_scorer.json (``python -m training.pair_scorer cv``).
- ``cv_finetune(pairs, k, **train_args)``: the grouped-CV fine-tune of ``training.train``.
  Run time on the 2-core development machine (shared with other jobs, 1 torch thread): about
  0.7-0.9 s per training step of 32 pairs, so ~2-3 min per fold with 3,000 training pairs and ~9 min
  per variant with 3 folds (scoring included); see docs/search.md for the measured figures.

Usage: ``python bench/pppm.py [--data DIR] [--n N]`` prints each shipped model's scores, the default
space's Pearson last. ``minilm-patent`` was trained on all development pairs, so its score here is
in-sample; its honest figure is the grouped CV in ``bench/results/pppm_cv.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the training package is not installed

from ipcockpit.search.embedding import MODELS_DIR, embed_with_model, model_for, spaces, with_context  # noqa: E402
from training import train  # noqa: E402
from training.train import Pair  # noqa: E402

DEFAULT_FILE = Path("/work/shared/data") / train.PPPM_FILE


def model_info_of(name: str) -> dict:
    import json

    return json.loads((MODELS_DIR / name / "model.json").read_text(encoding="utf-8"))


def load_pairs(path: Path | str = DEFAULT_FILE) -> list[Pair]:
    return train.load_pairs(path)


def grouped_folds(pairs: list[Pair], k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return train.grouped_folds(pairs, k)


def _model_name(space_or_model: str) -> str:
    if space_or_model in spaces():
        return model_for(space_or_model)
    if (MODELS_DIR / space_or_model / "model.json").exists():
        return space_or_model
    raise ValueError(
        f"{space_or_model!r} is neither a vector space ({', '.join(spaces())}) nor a model folder under "
        f"{MODELS_DIR}; pass one of those or a callable encode(texts) -> array"
    )


def score_model(space_or_callable: str | Callable[[list[str]], np.ndarray], pairs: list[Pair]) -> dict:
    """{"pearson", "spearman"} of cosine(anchor, target) against the human score."""
    if callable(space_or_callable):
        return train.score_encoder(space_or_callable, pairs)
    name = _model_name(space_or_callable)
    with_ctx = [
        Pair(with_context(p.anchor, p.context, name), with_context(p.target, p.context, name), "", p.score)
        for p in pairs
    ]
    return train.score_encoder(lambda texts: embed_with_model(texts, name), with_ctx)


def score_pair_scorer(pairs: list[Pair], model: str = "pair-scorer") -> dict:
    """{"pearson", "spearman"} of the pair scorer's score against the human score (contexts given)."""
    from ipcockpit.search.pair_scorer import similarity

    sims = similarity([(p.anchor, p.target) for p in pairs], [p.context for p in pairs], model=model)
    return train.correlation(sims, np.array([p.score for p in pairs]))


def cv_finetune(pairs: list[Pair], k: int = 3, **train_args) -> dict:
    """Grouped-by-anchor CV of the fine-tune (see ``training.train.cross_validate``).

    ``train_args``: ``titles`` (default: read from the shared data), ``variants`` (list of
    ``{"loss": "cosine"|"cosent"|"angle", "context": bool}``), ``train_pairs``, ``val_pairs``,
    ``onnx_check``, ``seed``.
    """
    titles = train_args.pop("titles", None) or train.class_titles(DEFAULT_FILE.parents[2] / train.TITLES_FILE)
    t0 = time.perf_counter()
    report = train.cross_validate(pairs, titles, k=k, **train_args)
    report["wall_seconds"] = round(time.perf_counter() - t0, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Off-the-shelf USPPPM scores of the shipped embedding models")
    p.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    p.add_argument("--n", type=int, default=5000, help="pairs scored (whole anchors; 0 = all)")
    a = p.parse_args(argv)
    pairs = load_pairs(a.data / train.PPPM_FILE)
    if a.n:
        pairs = train._subset(np.arange(len(pairs)), pairs, a.n, seed=13)
    # the embedding models (a "dim"); the pair scorer, a cross-encoder, is scored apart below
    names = sorted(d.name for d in MODELS_DIR.iterdir()
                   if (d / "model.json").exists() and "dim" in model_info_of(d.name))
    for name in names:
        t0 = time.perf_counter()
        note = (
            " IN-SAMPLE: trained on these pairs, see pppm_cv.json" if "context" in model_info_of(name) else ""
        )
        print(
            f"{name}: {score_model(name, pairs)} ({time.perf_counter() - t0:.0f} s, {len(pairs)} pairs){note}"
        )
    if (MODELS_DIR / "pair-scorer" / "model.json").exists():
        from ipcockpit.search.pair_scorer import model_info

        t0 = time.perf_counter()
        cv = model_info().get("grouped_cv") or {}
        last = cv[max(cv, key=int)] if cv else {}
        print(f"pair-scorer (cross-encoder): {score_pair_scorer(pairs)} ({time.perf_counter() - t0:.0f} s, "
              f"{len(pairs)} pairs) IN-SAMPLE; grouped CV of its recipe: pearson {last.get('pearson')}")
    print(f"default space {model_for(None)} pearson {score_model(model_for(None), pairs)['pearson']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
