"""The GPU fine-tuning script's pieces on the CPU: its losses, its choice of candidate, and the round trip
prepare -> train (a few real USPPPM pairs) -> weights cut into parts -> shipped int8 ONNX model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ipcockpit.search.embedding import embed_with_model
from training import tune_pppm

pytestmark = pytest.mark.train


@pytest.fixture(scope="module")
def torch() -> Any:
    """torch and sentence-transformers (the train extra), imported only when a test runs: importing them takes
    seconds, which every collection of the suite (make test-fast too) would otherwise pay."""
    pytest.importorskip("sentence_transformers")
    return pytest.importorskip("torch")


def test_losses_match_sentence_transformers(torch: Any) -> None:
    from sentence_transformers.sentence_transformer.losses import CoSENTLoss

    g = torch.Generator().manual_seed(3)
    a = torch.nn.functional.normalize(torch.randn(12, 8, generator=g), dim=-1)
    b = torch.nn.functional.normalize(torch.randn(12, 8, generator=g), dim=-1)
    score = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0, 0.5, 0.25, 0.0, 1.0, 0.75, 0.5, 0.25])
    cos = (a * b).sum(-1)
    ref = CoSENTLoss(model=None).compute_loss_from_embeddings([a, b], score)  # type: ignore[arg-type]
    assert torch.allclose(tune_pppm._loss("cosent", cos, score), ref, atol=1e-5)
    mse = torch.mean((cos - score) ** 2)
    assert torch.allclose(tune_pppm._loss("mse", cos, score), mse)
    assert torch.allclose(tune_pppm._loss("mse+cosent", cos, score), ref + mse, atol=1e-5)
    assert torch.allclose(tune_pppm._loss("mse-wide", cos, score), torch.mean((cos - (2 * score - 1)) ** 2))
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        tune_pppm._loss("nope", cos, score)


def test_best_needs_every_fold_at_that_epoch() -> None:
    def job(name: str, fold: int, pearsons: list[float]) -> dict:
        return {
            "candidate": name,
            "fold": fold,
            "history": [{"epoch": e + 1, "pearson": p} for e, p in enumerate(pearsons)],
        }

    results = [
        job("a", 0, [0.60, 0.62]),
        job("a", 1, [0.58, 0.66]),
        job("b", 0, [0.70, 0.90]),
        job("b", 1, [0.69]),
    ]  # b's epoch 2 lacks fold 1
    assert tune_pppm._best(results) == ("b", 1, 0.695)
    results[-1]["history"].append({"epoch": 2, "pearson": 0.50})
    assert tune_pppm._best(results) == ("b", 2, 0.7)


def test_training_inputs_are_the_search_time_inputs(shared: Path) -> None:
    """The grid step writes its own "<class title>: <phrase>" inputs (it runs without ipcockpit): they must be
    the texts the CPU training code and the shipped model's context rule give, or the tuned model would be
    queried with inputs it was not trained on."""
    from ipcockpit.search.embedding import with_context
    from training import train

    pairs = train.load_pairs(shared / train.PPPM_FILE)[:3000]
    titles = train.class_titles(shared / train.TITLES_FILE)
    rows = [{"anchor": p.anchor, "target": p.target, "context": p.context} for p in pairs]
    a, b = tune_pppm._inputs(rows, "short", {"short": titles})
    assert (a, b) == train.pair_inputs(pairs, titles)
    assert a == [with_context(p.anchor, p.context, "minilm-patent") for p in pairs]
    assert a[0] != pairs[0].anchor  # the titles were put in front
    assert tune_pppm._inputs(rows, "none", {"short": titles}) == ([p.anchor for p in pairs], [p.target for p in pairs])


def test_full_titles_keep_every_clause(shared: Path) -> None:
    from training.train import class_titles

    titles = class_titles(shared / "classification" / "all_ipc.csv", whole=True)
    assert titles["A47"].startswith("furniture; domestic articles or appliances; coffee mills")
    assert len(titles) > 120 and all(len(code) == 3 for code in titles)


def test_prepare_train_parts_ship_round_trip(torch: Any, shared: Path, tmp_path: Path) -> None:
    work, out = tmp_path / "work", tmp_path / "out"
    tune_pppm.prepare(work, shared)
    rows = json.loads((work / "pairs.json").read_text())
    assert len(rows) == 25_329 and {r["fold"] for r in rows} == {0, 1, 2}
    by_fold = [{r["anchor"] for r in rows if r["fold"] == f} for f in range(3)]
    assert not (by_fold[0] & by_fold[1]) and not (by_fold[1] & by_fold[2])  # grouped by anchor
    # the pairs of one anchor of fold 0 and one of fold 1 (82 pairs): training on them moves the vectors far
    # (measured: cosine of the shipped model's vectors to the trained model's 0.99, to the base model's -0.13);
    # two anchors of each made the training, most of the test's time, longer for the same round trip
    small = [r for r in rows if r["anchor"] in sorted(by_fold[0])[:1]] + [
        r for r in rows if r["anchor"] in sorted(by_fold[1])[:1]
    ]
    (work / "pairs.json").write_text(json.dumps(small))
    out.mkdir()
    (out / "titles.json").write_bytes((work / "titles.json").read_bytes())
    cand = dict(tune_pppm.DEFAULTS, name="check", loss="mse", context="short", lr=1e-3, epochs=2)
    res = tune_pppm.run_job({"work": str(work), "candidate": cand, "fold": 1, "device": "cpu"})
    assert [h["epoch"] for h in res["history"]] == [1, 2] and -1 <= res["history"][-1]["pearson"] <= 1
    final = tune_pppm.run_job(
        {
            "work": str(work),
            "candidate": cand,
            "fold": None,
            "device": "cpu",
            "save": str(out),
            "score_final": True,
        }
    )
    parts = sorted(out.glob("final.part-*"))
    assert len(parts) == 3 and all(p.stat().st_size <= tune_pppm.PART_BYTES for p in parts)
    # training moved the weights away from the base ones
    from safetensors.torch import load, load_file

    trained = load(tune_pppm.join_parts(out))
    base = load_file(str(work / "base" / "model.safetensors"))
    name = "encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(trained[name], base[name])
    report = {
        "device": "cpu",
        "k": 3,
        "final": {"candidate": cand, "epochs": 2, "cv_pearson": 0.5, "pairs": final["train_pairs"]},
    }
    (out / "report.json").write_text(json.dumps(report))
    folder = tune_pppm.ship_final(out, tmp_path / "models", "tuned-check")
    meta = json.loads((folder / "model.json").read_text())
    assert meta["context"]["titles"]["A47"] == "furniture" and "check" in meta["how_made"]
    # the shipped int8 model gives the trained torch model's vectors
    texts = [f"furniture: {r['anchor']}" for r in small[:6]]
    enc = tune_pppm.Encoder(work, "cpu", texts, 32)
    base_vecs = enc.encode_all(np.arange(len(texts)))
    enc.model.load_state_dict({n: t.float() for n, t in trained.items()}, strict=False)
    ref = enc.encode_all(np.arange(len(texts)))
    got = embed_with_model(texts, str(folder))
    to_trained, to_base = np.sum(ref * got, axis=1), np.sum(base_vecs * got, axis=1)
    assert float(np.min(to_trained)) >= 0.98, to_trained
    assert float(np.mean(to_trained - to_base)) > 0.01, (to_trained, to_base)  # not the base weights


def test_script_runs_without_the_package() -> None:
    """On the GPU machine the grid step runs as a plain script with no ipcockpit installed."""
    import subprocess

    code = (
        "import sys, builtins; real = builtins.__import__\n"
        "def guard(name, *a, **k):\n"
        "    if name.startswith('ipcockpit') or name.startswith('duckdb'): raise ImportError(name)\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = guard\n"
        f"sys.argv = ['tune_pppm.py', 'grid', '--help']\n"
        f"exec(compile(open({str(Path(tune_pppm.__file__))!r}).read(), 'tune_pppm.py', 'exec'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--workers" in done.stdout
