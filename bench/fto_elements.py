"""FTO element matching: how far apart true and false elements score, with the bi-encoder and the pair scorer.

An element is *found* when its best similarity to a feature of the product description reaches
``FtoMethod.element_threshold`` (docs/fto.md). Scores compared, each the best over the description's
features (``elements.features``):

- ``cosine`` (shipped): 0.7 x calibrated minilm-patent cosine + 0.3 x term overlap (``fto._compare``);
- ``pair``: the pair scorer ``similarity.similarity([(element, feature)])``;
- ``pair+terms``: 0.7 x pair score + 0.3 x term overlap (the shipped blend with the pair score in place of
  the cosine).

(a) **hand**: the store of tests/test_fto.py (25 USPTO grants of 2012-01-03 + the CNIPA table export), the
    LED description written by hand from claim 1 of US 8,089,085 B2, screened with ``fto`` (pool 40, no
    relevance floor, every analysed claim kept): the elements of that claim are true (the description
    describes them all), the elements of every other English claim false. Margin = lowest true - highest
    false (positive: one threshold separates them all).
(b) **corpus**: the utility grants of the seven USPTO weekly excerpts (bench/relevance_floors.py's store):
    each abstract as the description; the body elements of its own first independent claim ("own") against
    those of a claim of a document sharing no IPC subclass ("other", seeded draw). An abstract does not
    describe every element of its claim, so "own" is not all true: the figure is the ranking quality,
    AUC(own > other), and each score's own/other medians.

Results in bench/results/fto_elements.json; last line
``RESULT hand_margin_cosine=<f> hand_margin_pair=<f> hand_margin_pair_terms=<f> auc_cosine=<f> auc_pair=<f>
auc_pair_terms=<f>``. Run: ``python bench/fto_elements.py [--docs 150]``. English only: the pair scorer
reads no Chinese (its base, all-MiniLM-L6-v2, has an English vocabulary).
"""

from __future__ import annotations

import argparse
import json
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
from ipcockpit.search.elements import body, claim_elements, features  # noqa: E402
from ipcockpit.search.embedding import calibrated, embed  # noqa: E402
from ipcockpit.search.fto import FtoMethod, fto, overlap, terms  # noqa: E402
from ipcockpit.search.pair_scorer import model_info, similarity  # noqa: E402
from ipcockpit.settings import Settings, index_folder  # noqa: E402
from ipcockpit.value.settings import ScreenSettings  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
HAND_FILES = ("uspto_xml/weekly_excerpts/ipg120103.small.xml", "cn/table_export_sample")
HAND_AS_OF = date(2026, 6, 1)
LED_DOC = "US8089085B2"
# the description of tests/test_fto.py, written by hand from claim 1 of US 8,089,085 B2
LED = ("Our LED lamp module is built on a metal heat sink base. Several LED chips are mounted directly onto the "
       "base. A finned heat sink is fixed to the base to carry heat away. A lens is attached on the heat sink, "
       "and a phosphor coating is deposited on that lens to convert the blue light.")
US_WEEKS = ("ipg050104", "ipg060103", "ipg070102", "ipg080101", "ipg100105", "ipg120103", "ipg130416")
US_AS_OF = date(2013, 5, 1)
W = FtoMethod().semantic_weight
SCORES = ("cosine", "pair", "pair+terms")


MODEL: dict[str, str] = {"model": "pair-scorer"}  # --model: another pair-scorer folder


def element_scores(elements: list[str], feats: list[str]) -> dict[str, np.ndarray]:
    """Each element's best score over the features, for every kind of score."""
    ev, fv = embed(elements, space="en"), embed(feats, space="en")
    cos = calibrated(ev @ fv.T, "en")
    ft = [terms(f) for f in feats]
    lex = np.array([[overlap(terms(e), t) for t in ft] for e in elements])
    pair = similarity([(e, f) for e in elements for f in feats], model=MODEL["model"])
    pair = pair.reshape(len(elements), len(feats))
    return {
        "cosine": (W * cos + (1 - W) * lex).max(axis=1),
        "pair": pair.max(axis=1),
        "pair+terms": (W * pair + (1 - W) * lex).max(axis=1),
    }


def separation(true: np.ndarray, false: np.ndarray) -> dict:
    """Margin (lowest true - highest false), AUC, and the best single threshold's errors."""
    cuts = np.unique(np.concatenate([true, false]))
    errors = [(int((true < c).sum() + (false >= c).sum()), float(c)) for c in cuts]
    best_err, best_cut = min(errors)
    auc = float(np.mean([(t > f) + 0.5 * (t == f) for t in true for f in false])) if len(true) and len(false) else None
    return {
        "true_min": round(float(true.min()), 4), "true_median": round(float(np.median(true)), 4),
        "false_max": round(float(false.max()), 4), "false_median": round(float(np.median(false)), 4),
        "margin": round(float(true.min() - false.max()), 4),
        "auc": round(auc, 4) if auc is not None else None,
        "best_threshold": round(best_cut, 4), "best_threshold_errors": best_err,
    }


def hand(tmp: Path) -> dict:
    settings = ScreenSettings(as_of=HAND_AS_OF)
    with Cockpit(Settings(db=str(tmp / "hand.duckdb"))) as c:
        c.ingest([SHARED / f for f in HAND_FILES])
        folder = index_folder(c.settings)
        build_claim_index(c.store.con, folder, settings=settings)
        rows = fto(c.store.con, folder, LED, limit=0, settings=settings,
                   method=FtoMethod(pool=40, relevance_floor=0.0))["results"]
    feats = [f.text for f in features(LED)]
    rows = [r for r in rows if r["space"] == "en"]
    els = [(r["doc_id"] == LED_DOC and r["claim_num"] == 1, r["doc_id"], e) for r in rows for e in r["elements"]]
    scores = element_scores([e["text"] for _, _, e in els], feats)
    label = np.array([t for t, _, _ in els])
    shipped = np.array([e["similarity"] for _, _, e in els])
    # the bench's own cosine score is fto's: check that it recomputes the screening's figure
    assert np.allclose(shipped, scores["cosine"], atol=2e-3), np.abs(shipped - scores["cosine"]).max()
    out: dict = {"claims": len(rows), "true_elements": int(label.sum()), "false_elements": int((~label).sum()),
                 "threshold": FtoMethod().element_threshold}
    for k in SCORES:
        out[k] = separation(scores[k][label], scores[k][~label])
        order = np.argsort(-scores[k][~label])[:3]
        false = [(d, e["text"]) for t, d, e in els if not t]
        out[k]["highest_false"] = [{"doc_id": false[i][0], "element": false[i][1][:80],
                                    "score": round(float(scores[k][~label][i]), 4)} for i in order]
        out[k]["true"] = [round(float(x), 4) for x in scores[k][label]]
    out["cosine"]["false_above_threshold"] = int((scores["cosine"][~label] >= out["threshold"]).sum())
    return out


def corpus(tmp: Path, n_docs: int, seed: int) -> dict:
    settings = ScreenSettings(as_of=US_AS_OF)
    with Cockpit(Settings(db=str(tmp / "corpus.duckdb"))) as c:
        c.ingest([SHARED / "uspto_xml" / "weekly_excerpts" / f"{w}.small.xml" for w in US_WEEKS])
        con = c.store.con
        abstracts = dict(con.execute("SELECT doc_id, text FROM texts WHERE kind = 'abstract' AND length(text) > 80 "
                                     "ORDER BY doc_id").fetchall())
        subclasses = {d: set(s) for d, s in con.execute(
            "SELECT doc_id, list(DISTINCT substr(replace(code, ' ', ''), 1, 4)) FROM classifications "
            "WHERE scheme = 'IPC' GROUP BY doc_id").fetchall()}
        claims = independent_claims(con, list(abstracts))
        del settings
    first: dict[str, str] = {}
    for v in sorted(claims.values(), key=lambda v: (v["doc_id"], v["num"])):
        first.setdefault(v["doc_id"], v["text"])
    docs = [d for d in abstracts if d in first and d in subclasses and body(claim_elements(first[d]))]
    rng = np.random.default_rng(seed)
    own_s: dict[str, list[float]] = {k: [] for k in SCORES}
    other_s: dict[str, list[float]] = {k: [] for k in SCORES}
    used = 0
    for d in docs[:n_docs]:
        others = [o for o in docs if not subclasses[o] & subclasses[d]]
        if not others:
            continue
        o = others[int(rng.integers(len(others)))]
        feats = [f.text for f in features(abstracts[d])]
        mine = [e.text for e in body(claim_elements(first[d]))][:20]
        theirs = [e.text for e in body(claim_elements(first[o]))][:20]
        s = element_scores(mine + theirs, feats)
        for k in SCORES:
            own_s[k] += list(s[k][: len(mine)])
            other_s[k] += list(s[k][len(mine):])
        used += 1
    out: dict = {"descriptions": used, "own_elements": len(own_s["pair"]), "other_elements": len(other_s["pair"]),
                 "seed": seed}
    for k in SCORES:
        out[k] = separation(np.array(own_s[k]), np.array(other_s[k]))
        del out[k]["margin"]  # own elements are not all described: the extremes say nothing here
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=150, help="abstracts screened in the corpus part")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--model", default="pair-scorer", help="pair-scorer model folder (default: the shipped one)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fto_elements.json")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    MODEL["model"] = a.model
    info = model_info(a.model)
    res: dict = {"pair_model": {k: info.get(k) for k in ("name", "how_made")}, "weight": W}
    with tempfile.TemporaryDirectory() as tmp:
        res["hand"] = hand(Path(tmp))
        print("hand", json.dumps({k: res["hand"][k] for k in SCORES}), flush=True)
        res["corpus"] = corpus(Path(tmp), a.docs, a.seed)
        print("corpus", json.dumps(res["corpus"]), flush=True)
    res["seconds"] = round(time.perf_counter() - t0, 1)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=1) + "\n")
    h, cp = res["hand"], res["corpus"]
    print("RESULT " + " ".join(f"hand_margin_{k.replace('+', '_')}={h[k]['margin']}" for k in SCORES) + " "
          + " ".join(f"auc_{k.replace('+', '_')}={cp[k]['auc']}" for k in SCORES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
