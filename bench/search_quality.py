"""Search quality on real labelled data: lexical vs semantic vs hybrid, precision@10 of neighbours.

For each labelled document, its 10 nearest documents are asked for with the document itself as the
query (``search(con, folder, <its number>)``: its stored vector and its own text; it is left out of
the answer), and precision@10 is the share of those neighbours that share a label with it:

(b) Chinese: cn/abstracts_cpc_liaoleyuan (label: a CPC subgroup in common); cn/abstracts_multilang_ipc,
    Chinese lines only (label: the IPC main group the source files the line under);
(c) English: abstracts_us (label: which of the two files, i.e. the topic);
(d) across languages (``cross_language``): cn/abstracts_multilang_ipc, Chinese and other-language lines of
    every IPC folder, all embedded in the multilingual space: a Chinese abstract as the query, its 10 nearest
    among the other languages' abstracts (Korean, English, German, Japanese, French ...), relevant when they
    share its IPC main group; and back (an other-language abstract, its nearest Chinese ones). Exact cosine
    over the vectors of ``--cross-model`` (default the multilingual space's model): lexical matching
    cannot cross scripts, so this measures the space alone;
(a) PPPM phrase matching: each shipped model scored on the development pairs (bench/pppm.py) and the
    grouped-by-anchor CV of the fine-tune (``--pppm-cv`` reruns the CPU recipe; else the recorded figures,
    with the GPU grid of ``training/tune_pppm.py`` from bench/results/pppm_gpu/report.json).

Each set is ingested into a temporary store with Cockpit and indexed with build_index. ``--per-set N``
keeps the first N documents of each set (embedding Chinese on 2 CPU cores runs at ~20 texts/s), so
the figures are for subsets whose sizes are printed. Results go to bench/results/search_quality.json;
last line ``RESULT ...`` with the key figures.
Run: ``.venv/bin/python bench/search_quality.py [--per-set 600]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.search.hybrid import search  # noqa: E402
from ipcockpit.search.index import build_index  # noqa: E402
from ipcockpit.settings import Settings  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
MODES = ("lexical", "semantic", "hybrid")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def copy_csv(src: Path, dst: Path, rows: int) -> int:
    """The header and first ``rows`` records of the CSV ``src`` written to ``dst`` (a byte-order mark dropped)."""
    with src.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        kept = [r for _, r in zip(range(rows), reader, strict=False)]
        fields = reader.fieldnames or []
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", encoding="utf-8", newline="") as out:
        w = csv.DictWriter(out, fieldnames=fields)
        w.writeheader()
        w.writerows(kept)
    return len(kept)


def subset_liaoleyuan(dst: Path, n: int) -> Path:
    copy_csv(SHARED / "cn" / "abstracts_cpc_liaoleyuan" / "sample_train.csv", dst / "liaoleyuan" / "train.csv", n)
    return dst / "liaoleyuan"


def subset_multilang(dst: Path, n: int) -> Path:
    """Chinese lines only, spread over the IPC folders, keeping the Class*/Date*.txt layout."""
    src = SHARED / "cn" / "abstracts_multilang_ipc" / "Abstract"
    files = sorted(src.glob("Class*/Date*.txt"))
    per_file = max(1, n // len(files))
    for f in files:
        lines = [ln for ln in f.read_text(encoding="utf-8").splitlines() if _CJK.search(ln)][:per_file]
        out = dst / "multilang" / f.parent.name / f.name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dst / "multilang"


def subset_multilang_all(dst: Path, per_side: int) -> Path:
    """Of every IPC folder, the first ``per_side`` Chinese lines (CN, TW numbers) and the first ``per_side``
    lines of other offices, keeping the Class*/Date*.txt layout."""
    src = SHARED / "cn" / "abstracts_multilang_ipc" / "Abstract"
    for folder in sorted(p for p in src.glob("Class*") if p.is_dir()):
        zh: list[tuple[Path, str]] = []
        other: list[tuple[Path, str]] = []
        for f in sorted(folder.glob("Date*.txt")):
            for ln in f.read_text(encoding="utf-8").splitlines():
                side = zh if ln.startswith(("id-CN", "id-TW")) else other
                if ln.startswith("id-") and len(side) < per_side:
                    side.append((f, ln))
        for f in sorted({f for f, _ in zh + other}):
            out = dst / "multilang_all" / folder.name / f.name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text("\n".join(ln for g, ln in zh + other if g == f) + "\n", encoding="utf-8")
    return dst / "multilang_all"


def cross_language(path: Path, work: Path, queries: int, model: str | None = None) -> dict[str, object]:
    """(d): precision@10 from Chinese abstracts to other languages' and back, in the multilingual space."""
    import numpy as np

    from ipcockpit.search import embedding as emb
    from ipcockpit.search.index import _docs_sql

    model = model or emb.model_for(emb.space_for("zh"))
    c = Cockpit(Settings(db=str(work / "cross.duckdb")))
    try:
        c.ingest([path])
        rows = c.store.con.execute(f"SELECT doc_id, embed_text, lang FROM ({_docs_sql()}) "
                                   "WHERE embed_text IS NOT NULL ORDER BY doc_id").fetchall()
        labels = labels_by_class(c, "IPC", lambda x: x)
    finally:
        c.close()
    rows = [r for r in rows if labels.get(r[0])]
    t = time.perf_counter()
    vecs = emb.embed_with_model([r[1] for r in rows], model)
    seconds = time.perf_counter() - t
    zh = [i for i, r in enumerate(rows) if r[2] == "zh"]
    other = [i for i, r in enumerate(rows) if r[2] != "zh"]
    langs: dict[str, int] = {}
    for i in other:
        langs[rows[i][2] or "?"] = langs.get(rows[i][2] or "?", 0) + 1

    def direction(qs: list[int], pool: list[int]) -> dict[str, float]:
        qs = qs[:queries]
        sims = vecs[qs] @ vecs[pool].T
        top = np.argsort(-sims, axis=1, kind="stable")[:, :10]
        lab = [labels[r[0]] for r in rows]
        p10 = np.mean([sum(bool(lab[pool[j]] & lab[q]) for j in row) / 10 for q, row in zip(qs, top, strict=True)])
        chance = np.mean([bool(lab[a] & lab[b]) for a in qs for b in pool])
        return {"queries": len(qs), "pool": len(pool), "p10": round(float(p10), 4), "chance": round(float(chance), 4)}

    return {"model": model, "documents": len(rows), "chinese": len(zh), "other": len(other), "other_languages": langs,
            "zh_to_other": direction(zh, other), "other_to_zh": direction(other, zh),
            "embed_seconds": round(seconds, 1)}


def subset_us(dst: Path, n: int) -> Path:
    for f in sorted((SHARED / "abstracts_us").glob("*.csv")):
        copy_csv(f, dst / "us" / f.name, n // 2)
    return dst / "us"


def labels_by_class(c: Cockpit, scheme: str, cut: Callable[[str], str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for doc_id, code in c.store.con.execute(
            "SELECT doc_id, code FROM classifications WHERE scheme = ?", [scheme]).fetchall():
        out.setdefault(doc_id, set()).add(cut(code))
    return out


def labels_by_file(c: Cockpit) -> dict[str, set[str]]:
    rows = c.store.con.execute(
        "SELECT d.doc_id, s.path FROM documents d JOIN source_files s USING (file_id)").fetchall()
    return {d: {Path(p).stem} for d, p in rows}


def evaluate(c: Cockpit, folder: Path, labels: dict[str, set[str]], queries: int) -> dict[str, float]:
    docs = sorted(d for d in labels if labels[d])[:queries]
    out = {}
    for mode in MODES:
        t = time.perf_counter()
        precisions = []
        for d in docs:
            hits = [r["doc_id"] for r in search(c.store.con, folder, d, limit=10, mode=mode, passages=False,
                                                        weaker=True)]
            hits = [h for h in hits if h != d][:10]
            precisions.append(sum(bool(labels.get(h, set()) & labels[d]) for h in hits) / 10)
        out[mode] = round(sum(precisions) / max(1, len(precisions)), 4)
        out[f"{mode}_ms"] = round((time.perf_counter() - t) * 1000 / max(1, len(docs)), 1)
    out["queries"] = len(docs)
    return out


def run_set(name: str, path: Path, work: Path, label: Callable[[Cockpit], dict[str, set[str]]],
            queries: int) -> dict[str, object]:
    c = Cockpit(Settings(db=str(work / f"{name}.duckdb")))
    try:
        c.ingest([path])
        t = time.perf_counter()
        built = build_index(c.store.con, work / f"{name}.index")
        res: dict[str, object] = {"documents": built["documents"], "index_seconds": round(time.perf_counter() - t, 1)}
        labels = label(c)
        chance_pairs = _chance(labels)
        res.update(evaluate(c, work / f"{name}.index", labels, queries))
        res["chance"] = chance_pairs
        return res
    finally:
        c.close()


def _chance(labels: dict[str, set[str]]) -> float:
    """Precision of a random neighbour: the share of ordered document pairs sharing a label (sampled)."""
    docs = sorted(labels)[:400]
    if len(docs) < 2:
        return 0.0
    hits = sum(bool(labels[a] & labels[b]) for a in docs for b in docs if a != b)
    return round(hits / (len(docs) * (len(docs) - 1)), 4)


def pppm(cv: bool) -> dict[str, object]:
    """(a) USPPPM: off-the-shelf Pearson/Spearman of each shipped model on all development pairs (the tuned
    model's figure is in-sample: it was trained on these pairs) and the grouped-by-anchor CV of the
    fine-tune — run here with ``--pppm-cv`` (3 folds, ~7 min each on one core), else the figures the
    training script recorded in bench/results/pppm_cv.json (``python -m training.train cv``)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import pppm as helpers  # type: ignore[import-not-found]

    pairs = helpers.load_pairs()
    out: dict[str, object] = {"pairs": len(pairs)}
    for model in ("all-minilm-l6-v2", "minilm-patent", "multilingual-e5-small"):
        t = time.perf_counter()
        out[model] = {**helpers.score_model(model, pairs), "seconds": round(time.perf_counter() - t, 1)}
    out["minilm-patent_note"] = "in-sample (trained on all development pairs); see cv for unseen anchors"
    if cv:
        out["cv"] = helpers.cv_finetune(pairs, k=3, variants=[{"loss": "cosine", "context": True, "lr": 1e-4}],
                                      train_pairs=0, val_pairs=None)
    else:
        recorded = json.loads((ROOT / "bench" / "results" / "pppm_cv.json").read_text(encoding="utf-8"))
        out["cv_recorded"] = {c["name"]: {"pearson": c["pearson"], "spearman": c["spearman"]}
                              for c in recorded["candidates"]}
    gpu = ROOT / "bench" / "results" / "pppm_gpu"
    reports = [json.loads(f.read_text(encoding="utf-8")) for f in sorted(gpu.glob("report*.json"))]
    if reports:  # the GPU grids of training/tune_pppm.py: each candidate at its best epoch
        # among the epochs that the most folds reached
        shipped = next(r["final"] for r in reports if "final" in r)
        out["cv_gpu_recorded"] = {
            "device": reports[0]["device"],
            "candidates": {name: {"epoch": int(e), **v} for r in reports for name, per in r["summary"].items()
                           if per for e, v in [max(per.items(), key=lambda kv: (kv[1]["folds"], kv[1]["pearson"]))]},
            "shipped": {"candidate": shipped["candidate"]["name"], "epochs": shipped["epochs"],
                        "cv_pearson": shipped["cv_pearson"]},
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-set", type=int, default=600, help="documents kept of each set")
    ap.add_argument("--queries", type=int, default=200, help="documents used as queries per set")
    ap.add_argument("--skip-pppm", action="store_true")
    ap.add_argument("--pppm-cv", action="store_true", help="rerun the grouped CV of the fine-tune (~20 min)")
    ap.add_argument("--cross-per-side", type=int, default=40,
                    help="(d): Chinese and other-language lines kept of each IPC folder")
    ap.add_argument("--cross-model", help="(d): the model folder to embed with (default: the multilingual space's)")
    ap.add_argument("--cross-only", action="store_true", help="run (d) alone (its own JSON file)")
    ap.add_argument("--sets", default="cross,cpc,ipc,us", help="the sets to run, of cross, cpc, ipc, us (e.g. "
                    "cross,cpc,ipc: the multilingual space's sets alone, to compare two of its runtimes)")
    ap.add_argument("--out", help="the results file (default bench/results/search_quality.json)")
    args = ap.parse_args()
    sets = set(filter(None, args.sets.split(",")))
    if sets - {"cross", "cpc", "ipc", "us"}:
        raise SystemExit(f"--sets: unknown {', '.join(sorted(sets - {'cross', 'cpc', 'ipc', 'us'}))}")
    work = Path(tempfile.mkdtemp(prefix="search_quality_"))
    sub = work / "data"
    cross: dict[str, object] = {"skipped": "--sets"}
    if "cross" in sets or args.cross_only:
        cross = cross_language(subset_multilang_all(sub, args.cross_per_side), work, args.queries, args.cross_model)
        print("cross_language:", json.dumps(cross, ensure_ascii=False))
    if args.cross_only:
        out = ROOT / "bench" / "results" / "search_quality_cross.json"
        out.write_text(json.dumps(cross, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"RESULT cross zh_to_other_p10={cross['zh_to_other']['p10']:.3f} "  # type: ignore[index]
              f"other_to_zh_p10={cross['other_to_zh']['p10']:.3f}")  # type: ignore[index]
        return
    results: dict[str, object] = {"per_set": args.per_set, "cross_language": cross}
    from ipcockpit.search.embedding import model_id

    results["models"] = {s: model_id(s) for s in ("en", "multi")}
    if "cpc" in sets:
        results["cn_cpc_subgroup"] = run_set("cpc", subset_liaoleyuan(sub, args.per_set), work,
                                             lambda c: labels_by_class(c, "CPC", lambda x: x), args.queries)
    if "ipc" in sets:
        results["cn_ipc_main_group"] = run_set("ipc", subset_multilang(sub, args.per_set), work,
                                               lambda c: labels_by_class(c, "IPC", lambda x: x), args.queries)
    if "us" in sets:
        results["en_topic"] = run_set("us", subset_us(sub, args.per_set), work, labels_by_file, args.queries)
    results["pppm"] = {"skipped": "--skip-pppm"} if args.skip_pppm else pppm(args.pppm_cv)

    keys = [k for k in ("cn_cpc_subgroup", "cn_ipc_main_group", "en_topic") if k in results]
    print(f"{'set':<20}{'docs':>6}{'queries':>8}{'chance':>8}{'lexical':>9}{'semantic':>10}{'hybrid':>8}")
    for key in keys:
        r = results[key]
        assert isinstance(r, dict)
        print(f"{key:<20}{r['documents']:>6}{r['queries']:>8}{r['chance']:>8.3f}{r['lexical']:>9.3f}"
              f"{r['semantic']:>10.3f}{r['hybrid']:>8.3f}")
    print("pppm:", json.dumps(results["pppm"], ensure_ascii=False))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    target = Path(args.out) if args.out else out / "search_quality.json"
    target.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    figs = " ".join(f"{k}_{m}={results[k][m]:.3f}" for k in keys for m in MODES)  # type: ignore[index]
    print(f"RESULT per_set={args.per_set} {figs}")


if __name__ == "__main__":
    main()
