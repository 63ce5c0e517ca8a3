"""Reranking the top of hybrid search with the pair scorer: precision@10 with and without, and its latency.

The labelled sets of bench/search_quality.py (same subsets, same labels, same document-as-query protocol):
for each query document, hybrid search's top ``--top`` (50) neighbours (``weaker=True``: the whole list, as
search_quality reads it), itself left out; precision@10 of the first 10 as they come and after
``pair_scorer.rerank`` of the top 50 by the score of (query text, result text), the texts being the
documents' titles, or their titles and abstracts (the scorer keeps the first ~30 tokens of each: 64 per
pair). Latency of one ``rerank`` of 50 results on one thread (``threads=1``: a search request's own core):
wall time and the thread's CPU time (robust to other jobs), p50/p95 over the queries; and the wall time on
every core (``threads=None``).

Results in bench/results/rerank.json; last line
``RESULT queries=<int> p10_en=<hybrid>-><titles>|<titles+abstracts> p10_zh_cpc=... p10_zh_ipc=...
p95_ms_1thread_title=<float> p95_ms_1thread_title_abstract=<float>``.
Run: ``python bench/rerank.py [--per-set 600] [--queries 100]`` (builds three small stores: Chinese embedding
on 2 busy cores takes minutes).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import search_quality as sq  # noqa: E402

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.search.hybrid import search  # noqa: E402
from ipcockpit.search.index import build_index  # noqa: E402
from ipcockpit.search.pair_scorer import model_info, rerank  # noqa: E402
from ipcockpit.settings import Settings  # noqa: E402

MODEL: dict[str, str] = {"model": "pair-scorer"}  # --model: another pair-scorer folder
TEXT_MODES = ("title", "title+abstract")


def doc_texts(con) -> dict[str, dict[str, str]]:
    """doc_id -> {"title": its title, "title+abstract": title and abstract (the text the index embeds)}."""
    rows = con.execute(
        """SELECT d.doc_id, coalesce(d.title, ''), coalesce(string_agg(t.text, ' '), '')
           FROM documents d LEFT JOIN texts t ON t.doc_id = d.doc_id AND t.kind = 'abstract'
           GROUP BY d.doc_id, d.title"""
    ).fetchall()
    return {d: {"title": title.strip() or ab.strip()[:200],
                "title+abstract": ". ".join(x for x in (title.strip(), ab.strip()) if x)} for d, title, ab in rows}


def precision(hits: list[str], labels: dict[str, set[str]], d: str) -> float:
    return sum(bool(labels.get(h, set()) & labels[d]) for h in hits[:10]) / 10


def _ms(values: list[float]) -> dict:
    return {"p50": round(float(np.percentile(values, 50)), 1), "p95": round(float(np.percentile(values, 95)), 1),
            "runs": len(values)}


def evaluate(con, folder: Path, labels: dict[str, set[str]], queries: int, top: int) -> dict:
    """P@10 of hybrid's order and after reranking, with each result read as its title or as title + abstract
    (the query document likewise); latency of one rerank of ``top`` on one thread (wall and CPU time) and
    on every core."""
    texts = doc_texts(con)
    docs = sorted(d for d in labels if labels[d])[:queries]
    before: list[float] = []
    modes = {m: {"p10": [], "moved": [], "wall": [], "cpu": [], "all_cores": []} for m in TEXT_MODES}
    for d in docs:
        rows = [r for r in search(con, folder, d, limit=top + 1, mode="hybrid", passages=False, weaker=True)
                if r["doc_id"] != d][:top]
        before.append(precision([r["doc_id"] for r in rows], labels, d))
        for m, acc in modes.items():
            def text(r: dict, m: str = m) -> str:
                return texts.get(r["doc_id"], {}).get(m) or r.get("title") or ""

            t0, c0 = time.perf_counter(), time.thread_time()
            new = rerank(texts[d][m], rows, top=top, text=text, threads=1, model=MODEL["model"])
            acc["wall"].append((time.perf_counter() - t0) * 1000)
            acc["cpu"].append((time.thread_time() - c0) * 1000)
            acc["p10"].append(precision([r["doc_id"] for r in new], labels, d))
            acc["moved"].append(sum(r["rerank_from"] > 10 for r in new[:10]))
            if len(acc["all_cores"]) < 20:  # every core: fewer runs, it is the same work
                t0 = time.perf_counter()
                rerank(texts[d][m], rows, top=top, text=text, model=MODEL["model"])
                acc["all_cores"].append((time.perf_counter() - t0) * 1000)
    out: dict = {"queries": len(docs), "p10_hybrid": round(float(np.mean(before)), 4)}
    for m, acc in modes.items():
        out[m] = {
            "p10_reranked": round(float(np.mean(acc["p10"])), 4),
            "new_in_top10_mean": round(float(np.mean(acc["moved"])), 2),
            "rerank_ms_1thread": _ms(acc["wall"]),
            "rerank_cpu_ms_1thread": _ms(acc["cpu"]),
            "rerank_ms_all_cores": _ms(acc["all_cores"]),
        }
    return out


def run_set(name: str, path: Path, work: Path, label, queries: int, top: int) -> dict:
    c = Cockpit(Settings(db=str(work / f"{name}.duckdb")))
    try:
        c.ingest([path])
        built = build_index(c.store.con, work / f"{name}.index")
        res = {"documents": built["documents"]}
        res.update(evaluate(c.store.con, work / f"{name}.index", label(c), queries, top))
        print(name, json.dumps(res), flush=True)
        return res
    finally:
        c.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-set", type=int, default=600, help="documents kept of each set")
    ap.add_argument("--queries", type=int, default=100, help="documents used as queries per set")
    ap.add_argument("--top", type=int, default=50, help="results reranked")
    ap.add_argument("--sets", default="en,zh_cpc,zh_ipc")
    ap.add_argument("--model", default="pair-scorer", help="pair-scorer model folder (default: the shipped one)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "rerank.json")
    a = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="rerank_"))
    sub = work / "data"
    sets = {
        "en": lambda: run_set("us", sq.subset_us(sub, a.per_set), work, sq.labels_by_file, a.queries, a.top),
        "zh_cpc": lambda: run_set("cpc", sq.subset_liaoleyuan(sub, a.per_set), work,
                                  lambda c: sq.labels_by_class(c, "CPC", lambda x: x), a.queries, a.top),
        "zh_ipc": lambda: run_set("ipc", sq.subset_multilang(sub, a.per_set), work,
                                  lambda c: sq.labels_by_class(c, "IPC", lambda x: x), a.queries, a.top),
    }
    MODEL["model"] = a.model
    info = model_info(a.model)
    res: dict = {"per_set": a.per_set, "top": a.top, "model": {k: info.get(k) for k in ("name", "how_made")}}
    for key in a.sets.split(","):
        res[key] = sets[key]()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=1) + "\n")
    keys = a.sets.split(",")
    p95 = {m: max(res[k][m]["rerank_ms_1thread"]["p95"] for k in keys) for m in TEXT_MODES}
    figures = " ".join(f"p10_{k}={res[k]['p10_hybrid']}->{res[k]['title']['p10_reranked']}"
                       f"|{res[k]['title+abstract']['p10_reranked']}" for k in keys)
    print(f"RESULT queries={a.queries} {figures} p95_ms_1thread_title={p95['title']} "
          f"p95_ms_1thread_title_abstract={p95['title+abstract']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
