"""Inventor resolution quality on the PatentsView inventor benchmarks, side by side with the name-only baseline.

Data: ../shared/data/entity_resolution (PyPI pv-evaluation 2.1.1; GPL-3.0, read at run time only).
* als, ens, lai-2011, patentsview: mention_id (``US<patent>-<seq>``), true person id, first and last name.
* raw_inventor_sample.tsv: 50,000 raw inventor rows with PatentsView's disambiguated inventor id.
* binette-2022 has no names (mention and person ids only) and no shared source holds its mentions' names:
  it is reported as not evaluable.
Features joined, the same for both methods' inputs: co-inventors are the other mentions of the same patent in
the same file (plus raw_inventor_sample rows of that patent); the year is the grant year read from the patent
number (USPTO's table of the first patent number of each year, ``_FIRST_NUMBER``; design and other kinds: none).
The benchmark patents' titles, applicants, classes and cities are in no shared source (checked: at most 140 of
56,373 ALS patents appear in abstracts_us or the USPTO XML excerpts), so those features are not measured here.

Methods: ``name`` (baseline): mentions with the same folded name (ipcockpit.model.names.normalise_name of
"first last", the store's name_norm) are one person. ``resolved``: ipcockpit.entities.resolve_inventors.
``names_only``: the same resolver given the names alone (no co-inventors, no year): what the features add.
Metrics: pairwise precision/recall/F1 and B-cubed precision/recall/F1, on all mentions and on the ambiguous
set (mentions whose folded name is shared by two or more true persons: the set names alone cannot solve).

Run: ``nice -n 10 .venv/bin/python bench/inventors_quality.py [--sets als,ens,...] [--json FILE]``. The last
line is ``RESULT set=all pairwise_f1=<f> baseline_pairwise_f1=<f> b3_f1=<f> baseline_b3_f1=<f>
ambiguous_pairwise_f1=<f> ambiguous_baseline_pairwise_f1=<f>`` over every evaluable set pooled (each set
resolved on its own).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipcockpit.entities.inventors import resolve_inventors  # noqa: E402
from ipcockpit.model.names import normalise_name  # noqa: E402

SETS = ["als", "ens", "lai-2011", "patentsview", "raw_inventor_sample", "binette-2022"]
_FILES = {"als": "als-inventors.csv", "ens": "ens-inventors.csv", "lai-2011": "lai-2011-benchmark.csv",
          "patentsview": "patentsview-inventors-benchmark.csv", "binette-2022": "binette-2022-inventors-benchmark.csv",
          "raw_inventor_sample": "raw_inventor_sample.tsv"}
# first utility patent number granted in each year (USPTO, "Issue Years and Patent Numbers"; the 2012 entry is the
# lowest number of the shared weekly file ipg120103: tests check the table against every shared weekly file)
_FIRST_NUMBER = [
    (1976, 3930271), (1977, 4000000), (1978, 4065812), (1979, 4131952), (1980, 4180867), (1981, 4242757),
    (1982, 4308622), (1983, 4366579), (1984, 4423523), (1985, 4490885), (1986, 4562596), (1987, 4633526),
    (1988, 4716594), (1989, 4794469), (1990, 4890335), (1991, 4980927), (1992, 5077836), (1993, 5175886),
    (1994, 5274846), (1995, 5377009), (1996, 5479658), (1997, 5590420), (1998, 5704101), (1999, 5855021),
    (2000, 6009554), (2001, 6167569), (2002, 6334220), (2003, 6502244), (2004, 6671884), (2005, 6836899),
    (2006, 6981282), (2007, 7155906), (2008, 7313829), (2009, 7472428), (2010, 7640320), (2011, 7861317),
    (2012, 8087209), (2013, 8341762), (2014, 8621662), (2015, 8925081), (2016, 9226930), (2017, 9532283),
    (2018, 9854693), (2019, 10165721), (2020, 10524265), (2021, 10881146), (2022, 11212979),
]
_STARTS = [n for _, n in _FIRST_NUMBER]


def shared_data() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    for p in ([Path(env)] if env else []) + [Path(__file__).resolve().parents[2] / "shared" / "data",
                                             Path("/work/shared/data")]:
        if (p / "entity_resolution").is_dir():
            return p / "entity_resolution"
    raise SystemExit("../shared/data/entity_resolution not found; set IPCOCKPIT_SHARED_DATA")


def grant_year(patent: str) -> int | None:
    """Grant year of a US utility patent from its number; None for designs, plants, reissues."""
    digits = patent.removeprefix("US")
    if not digits.isdigit():
        return None
    i = bisect.bisect_right(_STARTS, int(digits)) - 1
    return _FIRST_NUMBER[i][0] if i >= 0 else None


def load_set(name: str, root: Path) -> list[dict[str, Any]] | None:
    """Rows with mention_id, truth, first, last, patent; None when the set has no names."""
    path = root / _FILES[name]
    with path.open(encoding="utf-8", newline="") as f:
        if name == "raw_inventor_sample":
            rows = [{"mention_id": r["mention_id"], "truth": r["inventor_id"], "first": r["name_first"],
                     "last": r["name_last"], "patent": r["patent_id"]} for r in csv.DictReader(f, delimiter="\t")]
        else:
            reader = csv.DictReader(f)
            if "raw_inventor_name_last" not in (reader.fieldnames or []):
                return None
            rows = [{"mention_id": r["mention_id"], "truth": r["unique_id"], "first": r["raw_inventor_name_first"],
                     "last": r["raw_inventor_name_last"],
                     "patent": r["mention_id"].rsplit("-", 1)[0].removeprefix("US")} for r in reader]
    return rows


def mentions_for(rows: list[dict[str, Any]], extra_coinventors: dict[str, list[tuple[str, str]]]) -> list[dict]:
    by_patent: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows:
        by_patent[r["patent"]].append((r["mention_id"], f"{r['last']}, {r['first']}"))
    out = []
    for r in rows:
        co = [n for mid, n in by_patent[r["patent"]] if mid != r["mention_id"]]
        co += [n for mid, n in extra_coinventors.get(r["patent"], []) if mid != r["mention_id"].removeprefix("US")]
        out.append({"name": f"{r['last']}, {r['first']}", "coinventors": co, "year": grant_year(r["patent"])})
    return out


def _pairs(sizes: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


def metrics(pred: list[str], truth: list[str]) -> dict[str, float]:
    cells = Counter(zip(pred, truth, strict=True))
    psize, tsize = Counter(pred), Counter(truth)
    tp, pp, tpairs = _pairs(cells), _pairs(psize), _pairs(tsize)
    prec = tp / pp if pp else 1.0
    rec = tp / tpairs if tpairs else 1.0
    bp = sum(cells[(p, t)] / psize[p] for p, t in zip(pred, truth, strict=True)) / len(pred)
    br = sum(cells[(p, t)] / tsize[t] for p, t in zip(pred, truth, strict=True)) / len(pred)
    f1 = lambda a, b: 2 * a * b / (a + b) if a + b else 0.0  # noqa: E731
    return {"pairwise_precision": prec, "pairwise_recall": rec, "pairwise_f1": f1(prec, rec),
            "b3_precision": bp, "b3_recall": br, "b3_f1": f1(bp, br), "mentions": len(pred)}


def baseline_ids(mentions: list[dict]) -> list[str]:
    out = []
    for i, m in enumerate(mentions):
        last, _, first = m["name"].partition(", ")
        out.append(normalise_name(f"{first} {last}") or f"#{i}")
    return out


def evaluate(name: str, rows: list[dict], extra: dict) -> dict[str, Any]:
    mentions = mentions_for(rows, extra)
    truth = [f"{name}:{r['truth']}" for r in rows]
    base = baseline_ids(mentions)
    t0 = time.perf_counter()
    resolved = resolve_inventors(mentions)
    seconds = time.perf_counter() - t0
    names_only = resolve_inventors([{"name": m["name"]} for m in mentions])
    persons_per_name: dict[str, set[str]] = defaultdict(set)
    for b, t in zip(base, truth, strict=True):
        persons_per_name[b].add(t)
    amb = [i for i, b in enumerate(base) if len(persons_per_name[b]) >= 2]
    sub = lambda ids: [ids[i] for i in amb]  # noqa: E731
    return {
        "set": name, "mentions": len(rows), "persons": len(set(truth)), "ambiguous_mentions": len(amb),
        "seconds": round(seconds, 2),
        "resolved": metrics(resolved, truth), "baseline": metrics(base, truth),
        "names_only": metrics(names_only, truth),
        "ambiguous_resolved": metrics(sub(resolved), sub(truth)) if amb else None,
        "ambiguous_names_only": metrics(sub(names_only), sub(truth)) if amb else None,
        "ambiguous_baseline": metrics(sub(base), sub(truth)) if amb else None,
        "_ids": (resolved, base, truth, amb),
    }


def _line(label: str, m: dict | None) -> str:
    if not m:
        return f"  {label:<22} (none)"
    return (f"  {label:<22} pairwise P {m['pairwise_precision']:.4f} R {m['pairwise_recall']:.4f} "
            f"F1 {m['pairwise_f1']:.4f} | B3 P {m['b3_precision']:.4f} R {m['b3_recall']:.4f} F1 {m['b3_f1']:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    root = shared_data()
    extra: dict[str, list[tuple[str, str]]] = defaultdict(list)
    raw = load_set("raw_inventor_sample", root) or []
    for r in raw:
        extra[r["patent"]].append((r["mention_id"], f"{r['last']}, {r['first']}"))
    results, pooled = [], ([], [], [], [])
    for name in args.sets.split(","):
        rows = raw if name == "raw_inventor_sample" else load_set(name, root)
        if rows is None:
            print(f"{name}: not evaluable (the file holds no names, and no shared source holds its mentions')")
            results.append({"set": name, "evaluable": False})
            continue
        r = evaluate(name, rows, {} if name == "raw_inventor_sample" else extra)
        resolved, base, truth, amb = r.pop("_ids")
        offset = len(pooled[0])
        pooled[0].extend(resolved)
        pooled[1].extend(base)
        pooled[2].extend(truth)
        pooled[3].extend(offset + i for i in amb)
        results.append(r)
        print(f"{name}: {r['mentions']} mentions, {r['persons']} persons, {r['ambiguous_mentions']} ambiguous, "
              f"resolved in {r['seconds']} s")
        for label in ("resolved", "names_only", "baseline", "ambiguous_resolved", "ambiguous_names_only",
                      "ambiguous_baseline"):
            print(_line(label, r[label]))
    resolved, base, truth, amb = pooled
    sub = lambda ids: [ids[i] for i in amb]  # noqa: E731
    allr, allb = metrics(resolved, truth), metrics(base, truth)
    ambr, ambb = metrics(sub(resolved), sub(truth)), metrics(sub(base), sub(truth))
    print("all evaluable sets pooled:")
    for label, m in (("resolved", allr), ("baseline", allb), ("ambiguous_resolved", ambr),
                     ("ambiguous_baseline", ambb)):
        print(_line(label, m))
    if args.json:
        args.json.write_text(json.dumps({"sets": results, "pooled": {"resolved": allr, "baseline": allb,
                                         "ambiguous_resolved": ambr, "ambiguous_baseline": ambb}}, indent=1))
    print(f"RESULT set=all pairwise_f1={allr['pairwise_f1']:.4f} baseline_pairwise_f1={allb['pairwise_f1']:.4f} "
          f"b3_f1={allr['b3_f1']:.4f} baseline_b3_f1={allb['b3_f1']:.4f} "
          f"ambiguous_pairwise_f1={ambr['pairwise_f1']:.4f} ambiguous_baseline_pairwise_f1={ambb['pairwise_f1']:.4f}")


if __name__ == "__main__":
    main()
