"""Short queries on real labelled data: precision@10 of lexical, semantic and hybrid search, as users type them.

bench/search_quality.py asks with whole documents; users type two or three content words of what they look
for. Here each query is the first two (or three) content words of a labelled document's title
(``keywords``: jieba's words of two characters or more for Chinese, Latin words for English, stop words
left out, as bench/relevance_floors.py draws them), and a result is relevant when it shares a label with
that document -- the labels bench/search_quality.py uses:

- ``en_topic``: abstracts_us, relevant when from the same topic file (baseball / neural network);
- ``zh_cpc``: cn/abstracts_cpc_liaoleyuan, relevant when sharing a CPC subgroup;
- ``pizza``: lens/pizza_lens_1000_raw.csv (1,000 worldwide titles, no abstracts: every vector embeds a title
  alone), relevant when sharing an IPC main group; and the issue's spot check, "pizza oven conveyor belt",
  whose relevant documents are the ovens (IPC A21B 1/ bakers' ovens, A47J 37/ baking and roasting apparatus);
- across languages: bench/cross_languages.py (the same queries drawn from abstracts' first clauses).

P@10 counts the first 10 results, a missing result as not relevant; ``shown`` is what a user sees (relevant
documents only, the default), ``filled`` lists the matches below the relevance floors after them (``weaker``),
as bench/search_quality.py does. Results go to bench/results/short_queries.json; the last line is
``RESULT ...``. Run: ``nice -n 10 .venv/bin/python bench/short_queries.py [--per-set 300] [--queries 100]``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search_quality import (  # noqa: E402  # type: ignore[import-not-found]
    SHARED,
    labels_by_class,
    labels_by_file,
    subset_liaoleyuan,
        subset_us,
)

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.search.hybrid import search  # noqa: E402
from ipcockpit.search.index import build_index  # noqa: E402
from ipcockpit.settings import Settings  # noqa: E402

MODES = ("lexical", "semantic", "hybrid")
PIZZA = SHARED / "lens" / "pizza_lens_1000_raw.csv"
SPOT = "pizza oven conveyor belt"
_ZH_STOP = set("一种 及其 方法 装置 系统 设备 用于 基于 制备 以及 具有 结构 组件 所述 包括 本发明 涉及 提供 "
               "公开 其中 通过 实现 技术 领域".split())
_EN_STOP = set("a an and are as at be by for from has have in into is it its of on or that the this to was with "
               "method methods system systems apparatus device devices using use thereof same provided "
               "invention present disclosed relates includes comprising".split())


def keywords(title: str, n: int) -> str:
    """The first ``n`` content words of a title (``baseball bat``, ``联邦学习 隐私``), as a user types them."""
    if re.search(r"[\u4e00-\u9fff]", title):
        import jieba

        words = [w for w in jieba.lcut(title) if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w)
                 and w not in _ZH_STOP]
    else:
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z-]+", title) if w.lower() not in _EN_STOP]
    seen: list[str] = []
    for w in words:
        if w.lower() not in (s.lower() for s in seen):
            seen.append(w)
    return " ".join(seen[:n]) if len(seen) >= n else ""


def first_clause(text: str) -> str:
    """The start of an abstract up to its first comma or full stop (what it is about)."""
    return re.split(r"[，。,.;；:]", text, maxsplit=1)[0]


def precision(c: Cockpit, folder: Path, query: str, relevant: Callable[[str], bool], mode: str, weaker: bool,
              keep: Callable[[str], bool] | None = None) -> float:
    """P@10 of one query: the share of the first 10 results (of those ``keep`` allows) that are relevant."""
    rows = search(c.store.con, folder, query, limit=10 if keep is None else 100, mode=mode, passages=False,
                  weaker=weaker)
    ids = [r["doc_id"] for r in rows if keep is None or keep(r["doc_id"])][:10]
    return sum(relevant(d) for d in ids) / 10


def evaluate(c: Cockpit, folder: Path, queries: list[tuple[str, Callable[[str], bool]]],
             keep: Callable[[str], bool] | None = None) -> dict[str, object]:
    out: dict[str, object] = {"queries": len(queries)}
    for weaker, name in ((False, "shown"), (True, "filled")):
        for mode in MODES:
            t = time.perf_counter()
            ps = [precision(c, folder, q, rel, mode, weaker, keep) for q, rel in queries]
            out[f"{mode}_{name}"] = round(sum(ps) / max(1, len(ps)), 4)
            out[f"{mode}_{name}_ms"] = round((time.perf_counter() - t) * 1000 / max(1, len(ps)), 1)
            if weaker:  # per query, to find where hybrid falls below lexical
                out[f"{mode}_per_query"] = ps
    return out


def title_queries(c: Cockpit, labels: dict[str, set[str]], n_words: int, count: int
                  ) -> list[tuple[str, Callable[[str], bool]]]:
    titles = dict(c.store.con.execute("SELECT doc_id, title FROM documents WHERE title IS NOT NULL "
                                      "ORDER BY doc_id").fetchall())
    out: list[tuple[str, Callable[[str], bool]]] = []
    seen: set[str] = set()
    for d in sorted(titles):
        if not labels.get(d):
            continue
        q = keywords(titles[d], n_words)
        if not q or q.lower() in seen:
            continue
        seen.add(q.lower())
        mine = labels[d]
        out.append((q, lambda h, mine=mine: bool(labels.get(h, set()) & mine)))  # type: ignore[misc]
        if len(out) >= count:
            break
    return out


def build(name: str, path: Path, work: Path) -> tuple[Cockpit, Path, dict[str, object]]:
    c = Cockpit(Settings(db=str(work / f"{name}.duckdb")))
    c.ingest([path])
    t = time.perf_counter()
    built = build_index(c.store.con, work / f"{name}.index")
    return c, work / f"{name}.index", {"documents": built["documents"], "spaces": built["spaces"],
                                       "index_seconds": round(time.perf_counter() - t, 1)}


def title_set(name: str, path: Path, work: Path, label: Callable[[Cockpit], dict[str, set[str]]],
              count: int) -> dict[str, object]:
    c, folder, res = build(name, path, work)
    try:
        labels = label(c)
        for n in (2, 3):
            qs = title_queries(c, labels, n, count)
            res[f"words{n}"] = evaluate(c, folder, qs)
            res[f"words{n}"]["examples"] = [q for q, _ in qs[:5]]  # type: ignore[index]
        return res
    finally:
        c.close()


def main_group(code: str) -> str:
    return code.split("/")[0].replace(" ", "")


def pizza_set(work: Path, count: int) -> dict[str, object]:
    c, folder, res = build("pizza", PIZZA, work)
    try:
        labels = labels_by_class(c, "IPC", main_group)
        for n in (2, 3):
            qs = title_queries(c, labels, n, count)
            res[f"words{n}"] = evaluate(c, folder, qs)
            res[f"words{n}"]["examples"] = [q for q, _ in qs[:5]]  # type: ignore[index]
        ovens = {"A21B1", "A47J37"}
        spot = {mode: {name: precision(c, folder, SPOT, lambda h: bool(labels.get(h, set()) & ovens), mode, weaker)
                       for weaker, name in ((False, "shown"), (True, "filled"))} for mode in MODES}
        res["spot_check"] = {"query": SPOT, "relevant": "IPC main group A21B 1 or A47J 37", **spot}
        return res
    finally:
        c.close()


def doc_sets(work: Path, per_set: int, queries: int, weights: list[float]) -> dict[str, object]:
    """bench/search_quality.py's document-as-query sets (b) and (c), each index built once and searched with
    each ``BELOW_FLOOR_WEIGHT`` of ``weights`` side by side."""
    from search_quality import _chance, subset_multilang  # type: ignore[import-not-found]
    from search_quality import evaluate as doc_evaluate

    from ipcockpit.search import hybrid

    out: dict[str, object] = {}
    sets = {"cn_cpc_subgroup": (subset_liaoleyuan, lambda c: labels_by_class(c, "CPC", lambda x: x)),
            "cn_ipc_main_group": (subset_multilang, lambda c: labels_by_class(c, "IPC", lambda x: x)),
            "en_topic": (subset_us, labels_by_file)}
    keep = hybrid.BELOW_FLOOR_WEIGHT
    for name, (subset, label) in sets.items():
        c, folder, res = build(f"doc_{name}", subset(work / "data", per_set), work)
        try:
            labels = label(c)
            res["chance"] = _chance(labels)
            for w in weights:
                hybrid.BELOW_FLOOR_WEIGHT = w
                hybrid.clear_caches()
                hybrid._CACHE.clear()
                res[f"below_floor_{w}"] = doc_evaluate(c, folder, labels, queries)
        finally:
            hybrid.BELOW_FLOOR_WEIGHT = keep
            c.close()
        out[name] = res
        print(name, json.dumps(res))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-set", type=int, default=300, help="documents kept of each set (abstracts_us: half per file)")
    ap.add_argument("--queries", type=int, default=100, help="queries per set and query length")
    ap.add_argument("--sets", default="pizza,en_topic,zh_cpc", help="which sets, comma-separated")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "short_queries.json"))
    ap.add_argument("--doc-sets", help="document-as-query sets instead, with these BELOW_FLOOR_WEIGHTs (1,0.25)")
    ap.add_argument("--below-floor", type=float, help="hybrid.BELOW_FLOOR_WEIGHT for this run")
    ap.add_argument("--short-semantic", type=float, help="hybrid.SHORT_SEMANTIC_WEIGHT for this run")
    ap.add_argument("--lexical-terms", type=float, help="hybrid.LEXICAL_TERMS for this run (0: None)")
    args = ap.parse_args()
    from ipcockpit.search import hybrid

    if args.below_floor is not None:
        hybrid.BELOW_FLOOR_WEIGHT = args.below_floor
    if args.short_semantic is not None:
        hybrid.SHORT_SEMANTIC_WEIGHT = args.short_semantic
    if args.lexical_terms is not None:
        hybrid.LEXICAL_TERMS = args.lexical_terms or None
    work = Path(tempfile.mkdtemp(prefix="short_queries_"))
    if args.doc_sets:
        docs = doc_sets(work, args.per_set, args.queries, [float(w) for w in args.doc_sets.split(",")])
        Path(args.out).write_text(json.dumps(docs, indent=1), encoding="utf-8")
        figs = " ".join(f"{k}_hybrid_{w}={v[f'below_floor_{w}']['hybrid']:.3f}"  # type: ignore[index]
                        for k, v in docs.items() for w in map(float, args.doc_sets.split(",")))
        print(f"RESULT {figs}")
        return
    sets = args.sets.split(",")
    results: dict[str, object] = {"per_set": args.per_set, "queries": args.queries,  # the knobs of this run
                                  "below_floor_weight": hybrid.BELOW_FLOOR_WEIGHT,
                                  "lexical_terms": hybrid.LEXICAL_TERMS,
                                  "short_semantic_weight": hybrid.SHORT_SEMANTIC_WEIGHT}
    if "pizza" in sets:
        results["pizza"] = pizza_set(work, args.queries)
    if "en_topic" in sets:
        results["en_topic"] = title_set("us", subset_us(work / "data", args.per_set), work, labels_by_file,
                                        args.queries)
    if "zh_cpc" in sets:
        results["zh_cpc"] = title_set("cpc", subset_liaoleyuan(work / "data", args.per_set), work,
                                      lambda c: labels_by_class(c, "CPC", lambda x: x), args.queries)
    figs = []
    print(f"{'set':<28}{'queries':>8}  {'lexical':>8}{'semantic':>9}{'hybrid':>8}  (shown | filled)")
    for key, r in results.items():
        if not isinstance(r, dict):
            continue
        for sub, v in r.items():
            if not isinstance(v, dict) or "lexical_shown" not in v:
                continue
            row = "  ".join(f"{v[f'lexical_{w}']:.3f} {v[f'semantic_{w}']:.3f} {v[f'hybrid_{w}']:.3f}"
                            for w in ("shown", "filled"))
            print(f"{key + '/' + sub:<28}{v['queries']:>8}  {row}")
            figs.append(f"{key}_{sub}_hybrid_minus_lexical={v['hybrid_shown'] - v['lexical_shown']:+.3f}")
    if "pizza" in results:
        spot = results["pizza"]["spot_check"]  # type: ignore[index]
        print("spot check:", json.dumps(spot))
        figs.append(f"spot_lexical={spot['lexical']['shown']:.1f} spot_hybrid={spot['hybrid']['shown']:.1f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    slim = json.loads(json.dumps(results))
    for r in slim.values():  # per-query lists stay out of the file
        if isinstance(r, dict):
            for v in r.values():
                if isinstance(v, dict):
                    for k in [k for k in v if k.endswith("_per_query")]:
                        del v[k]
    out.write_text(json.dumps(slim, indent=1, ensure_ascii=False), encoding="utf-8")
    print("RESULT " + " ".join(figs))


if __name__ == "__main__":
    main()
