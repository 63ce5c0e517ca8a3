"""Embedding on Spark and what a large corpus costs: per-core rates, engines side by side, sizes.

1. A store of real documents: the first ``--en`` rows of the two abstracts_us files (half each; space ``en``,
   MiniLM ONNX) and the first ``--zh`` rows of cn/abstracts_cpc_liaoleyuan/sample_val.csv (``multi``,
   multilingual-e5-small as its ``onnx-q4`` copy).
2. Per-core rate of each space: the first ``--rate-texts`` of the documents' own embedded texts (title +
   abstract, as the index embeds them), ``embed(texts, space, threads=1)`` after a warm-up of 8 texts:
   documents/s on one core.
3. Memory of one embedding process per space (what each Spark task slot's Python worker holds): peak RSS
   (VmHWM) of a fresh process that embeds 16 of the texts on one thread, and of one that only imports the
   module.
4. The engines on the same store: ``build_index(engine="local")`` (the models already loaded by step 2), then
   ``build_index(engine="spark")`` on ``local[2]`` twice (session started before the clock): cold (its first
   job starts the Python workers, each loads the models) and again with ``rebuild`` (the workers are reused
   and hold the models): seconds of the embedding stage (first ``embed:`` tick to the first ``save`` tick)
   and of the whole build; the vectors compared (cosine).
5. Bytes per vector of the Parquet parts (doc_id, space, embed_hash, vector), read at the ``save`` tick.
6. ``--shards N`` (0: skip): faiss shard sizes. N vectors drawn from a Gaussian fitted to the ``multi``
   vectors of step 4, or of ``--fit-index`` (mean, covariance + 1e-6 I), L2-normalised; IVF-Flat, IVF-PQ (48
   and 96 bytes of code per vector, 8-bit) and IVF-PQ48 whose top 100 are re-ranked on the float vectors
   (``IndexRefineFlat``, k_factor 10), nlist the power of two nearest 4·sqrt(N), written to disk: bytes per
   vector of the file and of its IVF part (what stays in memory when the floats are read from disk), and
   recall@10 against exact search for 200 drawn queries at nprobe = nlist/16 (as shipped), /8 and /4
   (PQ: L2 on the unit vectors). ``--shards-only
   --fit-index FOLDER`` runs this step alone.

Last line: ``RESULT en_per_core=<float> multi_per_core=<float> local_embed_s=<float> spark_embed_s=<float>
parquet_bytes_per_vector=<float> ...``; JSON to ``bench/results/spark_embed.json``. Run (2 cores shared: nice):
``nice -n 10 .venv/bin/python bench/spark_embed.py --en 400 --zh 400 --shards 100000`` (``--zh`` at least
400: the fitted covariance needs more vectors than dimensions).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.search import embedding as emb  # noqa: E402
from ipcockpit.search import index as index_mod  # noqa: E402
from ipcockpit.search import vector_parts  # noqa: E402
from ipcockpit.search.vectors import VectorIndex  # noqa: E402
from ipcockpit.settings import Settings  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from search_quality import copy_csv  # noqa: E402

SHARED = Path(os.environ.get("IPCOCKPIT_SHARED_DATA", REPO.parent / "shared" / "data"))
if not (SHARED / "MANIFEST.md").exists():
    SHARED = Path("/work/shared/data")


def make_store(tmp: Path, en: int, zh: int) -> Path:
    for src in sorted((SHARED / "abstracts_us").glob("*.csv")):
        copy_csv(src, tmp / "in" / src.name, en // 2)
    copy_csv(SHARED / "cn" / "abstracts_cpc_liaoleyuan" / "sample_val.csv", tmp / "in" / "sample_val.csv", zh)
    db = tmp / "store.duckdb"
    with Cockpit(Settings(db=str(db))) as c:
        c.ingest([tmp / "in"])
    return db


def texts_by_space(db: Path) -> dict[str, list[str]]:
    with Cockpit(Settings(db=str(db))) as c:
        rows = c.store.con.sql(f"SELECT lang, embed_text FROM ({index_mod._docs_sql()}) WHERE embed_text IS NOT NULL "
                               "ORDER BY doc_id").fetchall()
    out: dict[str, list[str]] = {}
    for lang, text in rows:
        out.setdefault(emb.space_for(lang), []).append(text)
    return out


def per_core(texts: list[str], space: str) -> float:
    emb.embed(texts[:8], space=space, threads=1)
    t0 = time.perf_counter()
    emb.embed(texts, space=space, threads=1)
    return len(texts) / (time.perf_counter() - t0)


def worker_rss_mb(texts: list[str], space: str) -> dict[str, int]:
    # VmHWM (the peak of this process's own memory): ru_maxrss would carry the parent's peak over fork/exec
    code = ("import json, re, sys; from ipcockpit.search import embedding as e; t = json.load(sys.stdin); "
            "{embed}print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    peaks = []
    for embed in ("", f"e.embed(t, space={space!r}, threads=1); "):
        out = subprocess.run([sys.executable, "-c", code.format(embed=embed)], input=json.dumps(texts[:16]),
                             capture_output=True, text=True, env=env, check=True)
        peaks.append(round(int(out.stdout.split()[-1]) / 1024))
    return {"import_mb": peaks[0], "peak_mb": peaks[1], "model_mb": peaks[1] - peaks[0]}


def build(db: Path, folder: Path, engine: str, session=None, rebuild: bool = False) -> dict:
    marks: dict[str, float] = {}
    part_bytes: list[tuple[int, int]] = []

    def tick(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage.startswith("embed:"):
            marks.setdefault("embed", now)
        if stage == "save" and "save" not in marks:
            marks["save"] = now
            for p in vector_parts.parts(folder / "partial"):
                part_bytes.append((p.rows, Path(p.path).stat().st_size))

    with Cockpit(Settings(db=str(db))) as c:
        t0 = time.perf_counter()
        result = index_mod.build_index(c.store.con, folder, progress=tick, engine=engine, spark=session,
                                       rebuild=rebuild)
        total = time.perf_counter() - t0
    rows = sum(r for r, _ in part_bytes)
    return {"engine": engine + (" (again, workers warm)" if rebuild else ""), "build_s": round(total, 2),
            "embed_s": round(marks["save"] - marks["embed"], 2),
            "embedded": result["embedded_by_space"],
            "parquet_bytes_per_vector": round(sum(b for _, b in part_bytes) / max(rows, 1), 1),
            "parts": len(part_bytes)}


def shard_sizes(real: np.ndarray, n: int, seed: int = 0) -> list[dict]:
    import faiss

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(seed)
    cov = np.cov(real, rowvar=False) + 1e-6 * np.eye(real.shape[1])
    chol = np.linalg.cholesky(cov).astype(np.float32)

    def draw(k: int) -> np.ndarray:
        x = real.mean(axis=0).astype(np.float32) + rng.standard_normal((k, real.shape[1])).astype(np.float32) @ chol.T
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    base, queries = draw(n), draw(200)
    exact = faiss.IndexFlatIP(base.shape[1])
    exact.add(base)
    truth = exact.search(queries, 10)[1]
    nlist = 2 ** round(math.log2(4 * math.sqrt(n)))
    # how crowded the neighbourhoods are: cosine to the mean direction, to the 1st and the 10th neighbour
    mean = real.mean(axis=0) / np.linalg.norm(real.mean(axis=0))
    among_real = faiss.IndexFlatIP(real.shape[1])
    among_real.add(real)
    real_nn = among_real.search(real[:200], 11)[0][:, 1:]  # the first is the vector itself
    drawn_nn = exact.search(queries, 10)[0]
    out = [{"crowding": {"real": {"cos_to_mean": round(float(np.mean(real @ mean)), 4),
                                  "nn1": round(float(real_nn[:, 0].mean()), 4),
                                  "nn10": round(float(real_nn[:, 9].mean()), 4)},
                         "drawn": {"cos_to_mean": round(float(np.mean(base[:2000] @ mean)), 4),
                                   "nn1": round(float(drawn_nn[:, 0].mean()), 4),
                                   "nn10": round(float(drawn_nn[:, 9].mean()), 4)}}}]
    print(out[0], flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        dim, keep = base.shape[1], []
        for spec in (f"IVF{nlist},Flat", f"IVF{nlist},PQ48", f"IVF{nlist},PQ96", f"IVF{nlist},PQ48,Refine"):
            if spec.endswith("Flat"):
                coarse = faiss.IndexFlatIP(dim)
                index = faiss.IndexIVFFlat(coarse, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            else:  # built directly: index_factory's "PQ48" adds polysemous training (minutes, unused here);
                # L2 on unit vectors ranks as the inner product does, and its residual codes lose less
                # (measured: recall 0.29 against 0.08 with METRIC_INNER_PRODUCT)
                m = int(spec.split("PQ")[1].split(",")[0])
                coarse = faiss.IndexFlatL2(dim)
                index = faiss.IndexIVFPQ(coarse, dim, nlist, m, 8)
                if spec.endswith("Refine"):  # the top 10 of 100 PQ candidates re-ranked on the float vectors
                    keep.append(index)
                    index = faiss.IndexRefineFlat(index)
                    index.k_factor = 10
            keep.append(coarse)  # the IVF index does not own its coarse quantizer
            t0 = time.perf_counter()
            index.train(base[rng.choice(n, min(n, 64 * nlist), replace=False)])
            index.add(base)
            built = time.perf_counter() - t0
            codes = faiss.extract_index_ivf(index)
            recalls = {}
            for share in (16, 8, 4):
                codes.nprobe = max(1, nlist // share)
                got = index.search(queries, 10)[1]
                recalls[codes.nprobe] = float(np.mean([len(set(a) & set(b)) / 10
                                                       for a, b in zip(got, truth, strict=True)]))
            recall = recalls[max(1, nlist // 16)]
            path = Path(tmp) / "x.faiss"
            faiss.write_index(index, str(path))
            ivf_path = Path(tmp) / "ivf.faiss"
            faiss.write_index(codes, str(ivf_path))  # the part held in memory (Refine: the codes, not the floats)
            out.append({"index": spec, "vectors": n, "bytes_per_vector": round(path.stat().st_size / n, 1),
                        "ivf_bytes_per_vector": round(ivf_path.stat().st_size / n, 1),
                        "recall_at_10": round(recall, 3), "nprobe": nlist // 16, "build_s": round(built, 1),
                        "recall_by_nprobe": {k: round(v, 3) for k, v in recalls.items()}})
            print(out[-1], flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--en", type=int, default=400)
    ap.add_argument("--zh", type=int, default=400)
    ap.add_argument("--rate-texts", type=int, default=160, help="texts per space for the per-core rate")
    ap.add_argument("--shards", type=int, default=100_000)
    ap.add_argument("--fit-index", help="fit the shard vectors to this index folder's vec_multi (e.g. the demo's)")
    ap.add_argument("--shards-only", action="store_true", help="step 6 alone (needs --fit-index)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "spark_embed.json"))
    args = ap.parse_args()
    if args.shards_only:
        fit = VectorIndex.open(Path(args.fit_index), "vec_multi")
        shards = shard_sizes(fit.vectors(fit.keys()), args.shards)
        Path(args.out).write_text(json.dumps({"fit_vectors": len(fit), "shards": shards}, indent=1), encoding="utf-8")
        print("RESULT " + " ".join(f"{r['index']}={r['recall_at_10']}" for r in shards if "index" in r))
        return
    report: dict = {"cpu_count": os.cpu_count(), "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = make_store(tmp, args.en, args.zh)
        texts = texts_by_space(db)
        report["documents"] = {s: len(t) for s, t in texts.items()}
        report["per_core_docs_per_s"] = {s: round(per_core(t[:args.rate_texts], s), 1) for s, t in texts.items()}
        print("per core", report["per_core_docs_per_s"], flush=True)
        report["worker_rss_mb"] = {s: worker_rss_mb(t, s) for s, t in texts.items()}
        print("worker rss", report["worker_rss_mb"], flush=True)

        local = build(db, tmp / "local", "local")
        from ipcockpit.analytics.spark import local_session

        t0 = time.perf_counter()
        session = local_session(cores=2, memory="1g")
        report["spark_session_s"] = round(time.perf_counter() - t0, 1)
        cold = build(db, tmp / "spark", "spark", session)
        spark = build(db, tmp / "spark", "spark", session, rebuild=True)  # the Python workers hold the models
        session.stop()
        report["engines"] = [local, cold, spark]
        print("engines", report["engines"], flush=True)
        cos = {}
        for space in texts:
            a, b = (VectorIndex.open(tmp / f, f"vec_{space}") for f in ("local", "spark"))
            keys = sorted(a.keys())
            cos[space] = float(np.min(np.sum(a.vectors(keys) * b.vectors(keys), axis=1)))
        report["min_cosine_spark_vs_local"] = cos
        multi = VectorIndex.open(Path(args.fit_index) if args.fit_index else tmp / "local", "vec_multi")
        real = multi.vectors(multi.keys())
        if args.shards:
            report["shards"] = shard_sizes(real, args.shards)
    report["load_after"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(report, indent=1), encoding="utf-8")
    figs = {"en_per_core": report["per_core_docs_per_s"].get("en"),
            "multi_per_core": report["per_core_docs_per_s"].get("multi"),
            "local_embed_s": local["embed_s"], "spark_cold_embed_s": cold["embed_s"],
            "spark_embed_s": spark["embed_s"],
            "parquet_bytes_per_vector": spark["parquet_bytes_per_vector"],
            "min_cosine": round(min(cos.values()), 6)}
    print("RESULT " + " ".join(f"{k}={v}" for k, v in figs.items()))


if __name__ == "__main__":
    main()
