"""Relevance floors: below which score a search hit or an FTO claim is no longer shown as relevant.

The calibrated scale (``embedding.calibrated``) puts 0 at the *median* cosine of unrelated texts, so half of
all unrelated pairs are above 0 and the best of a thousand unrelated documents is far above it: the zero of
the scale is no floor for a result list. This bench measures, on real data, what the best *unrelated* hit
scores (the nonsense a search or a screening shows when nothing relevant is there) against what a relevant
one scores, and derives the floors from that:

(a) Search, per vector space, query length (a query of a few words has lower cosines with everything than
    a sentence; ``hybrid.is_short`` tells them apart), language (a query in another language than the
    space's documents -- English in ``multi``, Chinese in ``en`` -- has lower cosines too) and document
    (one embedded from its title alone, as in a store of titles without abstracts, has higher ones), on the
    calibrated cosine of the query and a document's embedded text (title and abstract, or the title alone,
    as ``ipcockpit index`` embeds it); every corpus below is taken both ways. The queries are titles and
    their first two content words (``baseball bat``, ``联邦学习 隐私``):
    - relevant: a document's title (or its two words) as the query against that document, and for
      ``multi`` the English keywords the liaoleyuan records give their Chinese text;
    - unrelated, best of a corpus: each query against a corpus of another topic, the maximum --
      ``en`` (minilm-patent): baseball titles against neural-network abstracts and back (abstracts_us), and
      Chinese titles (cn/abstracts_cpc_liaoleyuan) against both, which MiniLM cannot read;
      ``multi`` (multilingual-e5-small): Chinese titles of cn/titles_ipc_lxingy3 whose IPC subclasses are
      all outside sections G and H against the liaoleyuan abstracts (computing, mostly G06F), the
      baseball titles against the same, and the neural-network titles against Chinese abstracts outside
      IPC G/H (cn/cnki_export_sysu).
    The floor is the highest ``--quantile`` (0.95) of the best-unrelated scores over the kinds of query: on
    a corpus of that size, a query of any of these kinds with nothing relevant shows no hit above the floor
    at least 19 times in 20. Each (length, language) class gets a floor; a cross-language class without
    relevant documents to find (MiniLM reads no Chinese) keeps the same-language floor.
(b) FTO, on the ``technical`` score of a claim (coverage, element and claim similarity; before the legal
    status, term and value factors, which say nothing of the claim's subject): each document's abstract is
    screened as a product description against the independent claims of a real store --
    ``en``: the utility grants of the USPTO weekly excerpts (2005-2013), legal status as of 2013-05-01 so
    that all are live, and 50 Chinese abstracts of the CNKI export, which MiniLM cannot read;
    ``multi``: the first ``--sysu-rows`` records of cn/cnki_export_sysu (abstract and first claim);
    - relevant: the technical score of the document's own claim;
    - the best claim of a document sharing no IPC subclass with it (not a clean "unrelated": many such
      claims are neighbours -- a kinase inhibitor and a drug combination, an igniter and an engine);
    - the best claim for a description in a language the space cannot read (unrelated by construction).
    In FTO a missed relevant claim is the costly error, so the floor keeps ``--quantile`` of the own claims
    in each space (the lowest per-space 0.05 quantile of own-claim scores); below it only a claim as far
    from the product as the worst 5 % of true matches would be.

Results go to bench/results/relevance_floors.json; with ``--write`` the search floors are written into
ipcockpit/search/models/relevance_floors.json (``embedding.relevance_floor``); the FTO floor is printed for
``FtoMethod.relevance_floor``. Last line: ``RESULT ...``.
Run: ``.venv/bin/python bench/relevance_floors.py [--docs 600] [--queries 200] [--fto-queries 150]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.search.claim_index import build_claim_index, independent_claims  # noqa: E402
from ipcockpit.search.embedding import MODELS_DIR, RELEVANCE_FILE, calibrated, embed, model_for  # noqa: E402
from ipcockpit.search.fto import FtoMethod, fto  # noqa: E402
from ipcockpit.search.hybrid import is_short  # noqa: E402
from ipcockpit.settings import Settings, index_folder  # noqa: E402
from ipcockpit.value.settings import ScreenSettings  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
OUT = ROOT / "bench" / "results" / "relevance_floors.json"
US_WEEKS = ("ipg050104", "ipg060103", "ipg070102", "ipg080101", "ipg100105", "ipg120103", "ipg130416")
US_AS_OF = date(2013, 5, 1)  # after the last grant of the weekly excerpts: every utility grant is live
SYSU = "cn/cnki_export_sysu/Patent.csv"
#: the CNKI export's "Name-名称" headers as the CN table column map knows them
SYSU_COLUMNS = {"Applicant-申请人": "申请人", "Title-题名": "名称", "PubNo-公开号": "公开号",
                "PubTime-公开日期": "公开日", "Summary-摘要": "摘要", "Claims-主权项": "主权项",
                "CLC-中图分类号": "IPC", "Author-作者": "发明人"}


# (a) search ------------------------------------------------------------------------------------------
def us_docs(topic: str, n: int) -> list[tuple[str, str]]:
    """(title, title + abstract) of the first ``n`` documents of an abstracts_us topic file."""
    with (SHARED / "abstracts_us" / f"{topic}_patent_query.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["patent_abstract"].strip() and r["patent_title"].strip()]
    return [(r["patent_title"].strip(), f"{r['patent_title'].strip()}\n{r['patent_abstract'].strip()}")
            for r in rows[:n]]


def zh_docs(n: int) -> list[tuple[str, str]]:
    """(title, title + abstract) of the first ``n`` liaoleyuan documents (val, then train)."""
    return [(t, d) for t, d, _ in zh_docs_keywords(n)]


def zh_docs_keywords(n: int) -> list[tuple[str, str, str]]:
    """(title, title + abstract, English keywords) of the first ``n`` liaoleyuan documents (val, then train);
    the records give English keywords to their Chinese text: an English query of a Chinese document."""
    out: list[tuple[str, str, str]] = []
    for name in ("sample_val.csv", "sample_train.csv"):
        with (SHARED / "cn" / "abstracts_cpc_liaoleyuan" / name).open(encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                parts = {m.group(1): m.group(2).strip() for m in
                         re.finditer(r"(Title|Keywords|Abstract):\s*(.*?)(?=\n(?:Title|Keywords|Abstract):|$)",
                                     r["text"], re.S)}
                if parts.get("Title") and parts.get("Abstract"):
                    words = [w.strip() for w in parts.get("Keywords", "").split(";") if w.strip()]
                    out.append((parts["Title"], f"{parts['Title']}\n{parts['Abstract']}", " ".join(words[:3])))
                if len(out) >= n:
                    return out
    return out


def zh_titles_outside_computing(n: int) -> list[str]:
    """Titles of cn/titles_ipc_lxingy3 whose IPC subclasses all lie outside sections G and H."""
    out = []
    with (SHARED / "cn" / "titles_ipc_lxingy3" / "oof_predictions.csv").open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            subclasses = [s for s in r["true_subclasses_all"].split("|") if s]
            if subclasses and all(s[0] not in "GH" for s in subclasses):
                out.append(r["patent_title"].strip())
            if len(out) >= n:
                break
    return out


_EN_STOP = frozenset("a an the and or of for to in on at by with from method methods apparatus system systems device "
                     "devices using use means thereof same".split())
_ZH_STOP = frozenset("一种 基于 及其 用于 方法 装置 系统 以及 和 的 与".split())


def keywords(title: str) -> str:
    """The first two content words of a title: what a user types (``baseball bat``, ``联邦学习 隐私``)."""
    if re.search(r"[\u4e00-\u9fff]", title):
        import jieba

        words = [w for w in jieba.lcut(title) if len(w) >= 2 and w not in _ZH_STOP]
    else:
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z-]+", title) if w.lower() not in _EN_STOP]
    return " ".join(words[:2]) or title


def sysu_outside_computing(n: int) -> list[tuple[str, str]]:
    """(title, title + abstract) of the first ``n`` cnki_export_sysu records whose IPC codes all lie outside
    sections G and H (chemistry, medicine, materials ...)."""
    out = []
    with (SHARED / SYSU).open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            codes = [c.strip() for c in r["CLC-中图分类号"].split(";") if c.strip()]
            title, abstract = r["Title-题名"].strip(), r["Summary-摘要"].strip()
            if codes and all(c[0] not in "GH" for c in codes) and title and abstract:
                out.append((title, f"{title}\n{abstract}"))
            if len(out) >= n:
                break
    return out


def _cal(queries: list[str], docs: list[str], space: str) -> np.ndarray:
    """Calibrated cosines, queries x documents, in ``space``."""
    q, d = embed(queries, space=space), embed(docs, space=space)
    return np.asarray(calibrated(q @ d.T, space))


def _stats(values: np.ndarray) -> dict[str, float]:
    v = np.asarray(values, dtype=np.float64)
    if not v.size:
        return {"n": 0}
    return {"n": int(v.size), "min": round(float(v.min()), 4), "p05": round(float(np.quantile(v, 0.05)), 4),
            "median": round(float(np.median(v)), 4), "p95": round(float(np.quantile(v, 0.95)), 4),
            "max": round(float(v.max()), 4)}


#: the floors of a space, by (short query, query in another language than the space's documents, document
#: embedded from its title alone)
CLASSES = {(short, cross, title): ("cross_" if cross else "") + ("short" if short else "long")
           + ("_title" if title else "") for title in (False, True) for cross in (False, True)
           for short in (False, True)}


def _titles(docs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The documents as title-only ones (what a store of titles without abstracts embeds)."""
    return [(t, t) for t, _ in docs]


def search_floors(n_docs: int, n_queries: int, quantile: float) -> dict:
    """Per space and class of query and document (:data:`CLASSES`), the floor: the highest ``quantile`` over
    the kinds of unrelated query of their best scores."""
    bb, nn = us_docs("baseball", n_docs), us_docs("neural_network", n_docs)
    zhk = zh_docs_keywords(n_docs)
    zh = [(t, d) for t, d, _ in zhk]
    other_zh, chem_zh = zh_titles_outside_computing(n_queries), sysu_outside_computing(n_docs)
    same = lambda t: t  # noqa: E731
    out: dict = {}
    for space in ("en", "multi"):
        t0 = time.perf_counter()
        # own: (queries, their documents, cross-language, title-only documents); kinds: (queries, corpus, ...)
        if space == "en":
            own_sets = [(q, docs, False, title) for src in (bb, nn) for title in (False, True)
                        for q, docs in [([t for t, _ in src[:n_queries]],
                                         _titles(src[:n_queries]) if title else src[:n_queries])]]
            kinds = {}
            for title in (False, True):
                tag = " titles" if title else " abstracts"
                pick = _titles if title else (lambda d: d)
                kinds[f"baseball vs neural-network{tag}"] = ([t for t, _ in bb[:n_queries]], pick(nn), False, title)
                kinds[f"neural-network vs baseball{tag}"] = ([t for t, _ in nn[:n_queries]], pick(bb), False, title)
                kinds[f"Chinese vs English{tag}"] = ([t for t, _ in zh[:n_queries]], pick(bb + nn), True, title)
            corpus = f"{n_docs} English documents of another topic ({2 * n_docs} for the Chinese queries)"
        else:
            own_sets = []
            for title in (False, True):
                docs = _titles(zh[:n_queries]) if title else zh[:n_queries]
                own_sets += [([t for t, _ in zh[:n_queries]], docs, False, title),
                             ([k for _, _, k in zhk[:n_queries]], docs, True, title)]  # its English keywords
            kinds = {}
            for title in (False, True):
                tag = " titles" if title else " abstracts"
                pick = _titles if title else (lambda d: d)
                kinds[f"Chinese outside IPC G/H vs Chinese computing{tag}"] = (other_zh, pick(zh), False, title)
                kinds[f"baseball vs Chinese computing{tag}"] = ([t for t, _ in bb[:n_queries]], pick(zh), True, title)
                kinds[f"neural-network vs Chinese outside IPC G/H{tag} (cnki_export_sysu)"] = (
                    [t for t, _ in nn[:n_queries]], pick(chem_zh), True, title)
            corpus = (f"{n_docs} Chinese documents of another field (cn/abstracts_cpc_liaoleyuan, computing; "
                      "cn/cnki_export_sysu outside IPC G/H for the neural-network queries)")
        own: dict[tuple[bool, bool, bool], list[float]] = {c: [] for c in CLASSES}
        for queries, docs, cross, title in own_sets:
            # the query, then its first two words (a title against its own title-only document is no test)
            for form in ((keywords,) if title and not cross else (same, keywords)):
                qs = [form(t) for t in queries]
                scores = np.diag(_cal(qs, [d for _, d in docs], space))
                for q, v in zip(qs, scores, strict=True):
                    own[(is_short(q), cross, title)].append(float(v))
        unrelated: dict[tuple[bool, bool, bool], dict[str, list[float]]] = {c: {} for c in CLASSES}
        for kind, (titles, docs, cross, title) in kinds.items():
            for form in (same, keywords):
                qs = [form(t) for t in titles]
                for q, v in zip(qs, _cal(qs, [d for _, d in docs], space).max(axis=1), strict=True):
                    unrelated[(is_short(q), cross, title)].setdefault(kind, []).append(float(v))
        res: dict = {"model": model_for(space), "corpus": corpus}
        for cls, label in CLASSES.items():  # the same-language classes first: the cross ones may need them
            kept = {k: np.array(v) for k, v in unrelated[cls].items() if len(v) >= 30}
            if not kept:
                continue
            # the hardest kind of unrelated query sets the floor (pooling an easy kind would lower it)
            floor = round(max(float(np.quantile(v, quantile)) for v in kept.values()), 3)
            relevant = np.array(own[cls])
            if not relevant.size and cls[1]:
                # no relevant document of the other language to be found (MiniLM reads no Chinese): a lower
                # floor would only let more noise through, so the same-language floor stands
                floor = max(floor, res[CLASSES[(cls[0], False, cls[2])]]["floor"])
            best = np.concatenate(list(kept.values()))
            res[label] = {
                "floor": floor,
                "relevant_own_document": _stats(relevant),
                "unrelated_best": {k: _stats(v) for k, v in kept.items()},
                "relevant_kept": round(float(np.mean(relevant >= floor)), 4) if relevant.size else None,
                "unrelated_queries_with_a_hit_above": round(float(np.mean(best >= floor)), 4),
            }
        res["seconds"] = round(time.perf_counter() - t0, 1)
        out[space] = res
        print("search", space, json.dumps(res, ensure_ascii=False), flush=True)
    return out


# (b) FTO ---------------------------------------------------------------------------------------------
def _sysu_csv(dst: Path, rows: int) -> Path:
    """The first ``rows`` rows of the CNKI export with headers the CN table column map reads."""
    with (SHARED / SYSU).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        kept = [r for _, r in zip(range(rows), reader, strict=False)]
    path = dst / "sysu.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        w = csv.DictWriter(out, fieldnames=list(SYSU_COLUMNS.values()))
        w.writeheader()
        for r in kept:
            row = {new: r.get(old, "") for old, new in SYSU_COLUMNS.items()}
            row["IPC"] = row["IPC"].replace(";", "; ")
            w.writerow(row)
    return path


def _subclasses(c: Cockpit) -> dict[str, set[str]]:
    rows = c.store.con.execute(
        "SELECT doc_id, list(DISTINCT substr(replace(code, ' ', ''), 1, 4)) FROM classifications "
        "WHERE scheme = 'IPC' GROUP BY doc_id").fetchall()
    return {d: set(s) for d, s in rows}


def _abstracts(c: Cockpit) -> dict[str, str]:
    rows = c.store.con.execute("SELECT doc_id, text FROM texts WHERE kind = 'abstract' AND length(text) > 80 "
                               "ORDER BY doc_id").fetchall()
    return dict(rows)


def fto_scores(files: list[Path], as_of: date, n_queries: int, tmp: Path, label: str,
               foreign: list[str] | None = None) -> dict:
    """Own-claim and best-unrelated technical scores of ``n_queries`` abstracts screened against the claim
    index of a store built from ``files``; ``foreign``: descriptions in a language the space cannot read,
    screened too (their best claim is unrelated by construction)."""
    settings = ScreenSettings(as_of=as_of)
    method = FtoMethod(pool=40, relevance_floor=0.0)  # a wider pool than shipped; every analysed claim listed
    with Cockpit(Settings(db=str(tmp / f"{label}.duckdb"))) as c:
        reports = c.ingest(files)
        assert all(r.error is None for r in reports), [r.error for r in reports]
        folder = index_folder(c.settings)
        t0 = time.perf_counter()
        built = build_claim_index(c.store.con, folder, settings=settings)
        index_s = time.perf_counter() - t0
        subclasses, abstracts = _subclasses(c), _abstracts(c)
        live = set(independent_claims(c.store.con, list(abstracts)))
        queries = [d for d in abstracts if d in subclasses and any(k.startswith(d + "#") for k in live)]
        queries = queries[:n_queries]
        own, unrelated, own_found, unrelated_found, missing = [], [], [], [], 0
        t0 = time.perf_counter()
        for doc in queries:
            rows = fto(c.store.con, folder, abstracts[doc], limit=0, settings=settings, method=method)["results"]
            mine = [r for r in rows if r["doc_id"] == doc]
            if mine:
                own.append(mine[0]["factors"]["technical"])
                own_found.append(mine[0]["elements_matched"])
            else:
                missing += 1
            others = [r for r in rows if not subclasses.get(r["doc_id"], set()) & subclasses[doc]
                      and r["doc_id"] != doc and r["doc_id"] in subclasses]
            if others:
                top = max(others, key=lambda r: r["factors"]["technical"])
                unrelated.append(top["factors"]["technical"])
                unrelated_found.append(max(r["elements_matched"] for r in others))
        query_s = time.perf_counter() - t0
        alien = [max((r["factors"]["technical"] for r in fto(c.store.con, folder, text, limit=0, settings=settings,
                                                              method=method)["results"]), default=0.0)
                 for text in foreign or []]
        return {
            "claims": {s: v["claims"] for s, v in built["spaces"].items()},
            "index_seconds": round(index_s, 1),
            "queries": len(queries),
            "query_seconds": round(query_s, 1),
            "own_claim_not_analysed": missing,
            "relevant_own_claim_technical": _stats(np.array(own)),
            "best_other_subclass_technical": _stats(np.array(unrelated)),
            "own_claim_no_element_found": int(sum(1 for x in own_found if x == 0)),
            "best_other_subclass_no_element_found": int(sum(1 for x in unrelated_found if x == 0)),
            **({"foreign_language_best_technical": _stats(np.array(alien))} if alien else {}),
            "own": own, "unrelated": unrelated, "alien": alien,
        }


def _sysu_abstracts(n: int) -> list[str]:
    """The last ``n`` abstracts of the CNKI export (not among the rows of the Chinese store)."""
    with (SHARED / SYSU).open(encoding="utf-8-sig", newline="") as fh:
        rows = [r["Summary-摘要"].strip() for r in csv.DictReader(fh) if len(r["Summary-摘要"].strip()) > 80]
    return rows[-n:]


def fto_floor(n_queries: int, sysu_rows: int, quantile: float) -> dict:
    """The floor keeps ``quantile`` of the own claims in each space: the lowest per-space (1 - quantile)
    quantile of own-claim technical scores."""
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        us = [SHARED / "uspto_xml" / "weekly_excerpts" / f"{w}.small.xml" for w in US_WEEKS]
        out["en"] = fto_scores(us, US_AS_OF, n_queries, tmp, "en", foreign=_sysu_abstracts(50))
        print("fto en", json.dumps({k: v for k, v in out["en"].items() if k not in ("own", "unrelated", "alien")},
                                   ensure_ascii=False), flush=True)
        out["multi"] = fto_scores([_sysu_csv(tmp, sysu_rows)], date.today(), n_queries, tmp, "multi")
        print("fto multi", json.dumps({k: v for k, v in out["multi"].items()
                                       if k not in ("own", "unrelated", "alien")}, ensure_ascii=False), flush=True)
    floor = round(min(float(np.quantile(out[s]["own"], 1 - quantile)) for s in ("en", "multi")), 3)
    for part in ("en", "multi"):
        own, other, alien = (np.array(out[part].pop(k)) for k in ("own", "unrelated", "alien"))
        out[part]["relevant_kept"] = round(float(np.mean(own >= floor)), 4)
        out[part]["best_other_subclass_below"] = round(float(np.mean(other < floor)), 4)
        if alien.size:
            out[part]["foreign_language_below"] = round(float(np.mean(alien < floor)), 4)
    out["floor"] = floor
    return out


def write_search_floors(floors: dict, quantile: float) -> None:
    """The search floors into ipcockpit/search/models/relevance_floors.json (one entry per model)."""
    path = MODELS_DIR / RELEVANCE_FILE
    table = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for f in floors.values():
        entry: dict = {}
        how = []
        for label in CLASSES.values():
            if label not in f:
                continue
            entry[label] = f[label]["floor"]
            parts = "; ".join(f"{k}: {v['p95']}" for k, v in f[label]["unrelated_best"].items())
            kept = f[label]["relevant_kept"]
            note = (f" (own document {kept:.1%} kept)" if kept is not None
                    else " (no relevant document to find: the same-language floor stands)")
            how.append(f"{label} {f[label]['floor']}: {parts}{note}")
        entry["how"] = (f"calibrated cosine; per kind of query, the {quantile:.2f} quantile of the best score a query "
                        f"reaches against {f['corpus']} it has nothing to do with; the floor is the highest "
                        f"over the kinds: " + "; ".join(how) + " (bench/relevance_floors.py)")
        table[f["model"]] = entry
    path.write_text(json.dumps(table, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=600, help="documents per search corpus")
    ap.add_argument("--queries", type=int, default=200, help="search queries per set")
    ap.add_argument("--fto-queries", type=int, default=150, help="FTO descriptions per space")
    ap.add_argument("--sysu-rows", type=int, default=600, help="rows of the CNKI export in the Chinese FTO store")
    ap.add_argument("--quantile", type=float, default=0.95)
    ap.add_argument("--only", choices=["search", "fto"], default=None)
    ap.add_argument("--write", action="store_true", help="write the search floors into models/relevance_floors.json")
    a = ap.parse_args()
    result: dict = {"quantile": a.quantile}
    if a.only != "fto":
        result["search"] = search_floors(a.docs, a.queries, a.quantile)
        if a.write:
            write_search_floors(result["search"], a.quantile)
    if a.only != "search":
        result["fto"] = fto_floor(a.fto_queries, a.sysu_rows, a.quantile)
    old = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
    OUT.write_text(json.dumps({**old, **result}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    s, f = result.get("search", old.get("search", {})), result.get("fto", old.get("fto", {}))
    print("RESULT " + " ".join(
        [f"search_floor_{sp}_{n}={v[n]['floor']} kept_{sp}_{n}={v[n]['relevant_kept']}"
         for sp, v in s.items() for n in CLASSES.values() if n in v]
        + ([f"fto_floor={f['floor']}"] if f else [])))


if __name__ == "__main__":
    main()
