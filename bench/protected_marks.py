"""New filings similar to protected marks at scale (issue 19, docs/monitoring.md "Protected marks").

N real-shaped marks (bench/marks.py's generator: CN gazette applicant cores and title windows, US title words,
Nice classes and 类似群 shaped like CNIPA filings) are stored in an in-memory store (``trademarks``,
``trademark_classes``), filed 2015–2023. ``--entries`` of them are the protected marks, loaded as a time-honoured
list (CSV, through :func:`ipcockpit.marks.protected.load_list`, with each mark's classes); for each a planted filing
of 2024 is added: the protected text with one character swapped for a homophone or a look-alike, or one letter
edited (bench/marks.py's perturbations), in the protected mark's class. Then the similar index is built and
:func:`ipcockpit.marks.protected.new_similar_filings` runs with ``since=2024-01-01``.

``recall`` = planted filings reported on their protected mark. The baseline, side by side: a rapidfuzz scan
(``process.extract``, ``fuzz.ratio`` ≥ 80, all N+planted texts) per protected entry, on the first ``--baseline``
entries, extrapolated to every entry (``scan_seconds``), with its recall on those.

Last line: ``RESULT marks=<int> entries=<int> seconds=<float> recall=<float> scan_seconds=<float>``. Run:
``PYTHONPATH=. nice -n 10 .venv/bin/python bench/protected_marks.py --marks 100000 --entries 300``.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa  # noqa: E402
from marks import make_marks, make_queries  # noqa: E402  (bench/marks.py)
from rapidfuzz import fuzz, process  # noqa: E402

from ipcockpit.marks import similar  # noqa: E402
from ipcockpit.marks.protected import load_list, new_similar_filings  # noqa: E402
from ipcockpit.store import Store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--marks", type=int, default=100_000)
    ap.add_argument("--entries", type=int, default=300)
    ap.add_argument("--baseline", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    marks = make_marks(args.marks, rng)
    planted = [q for q in make_queries(marks, args.entries * 2, rng) if q[1] is not None][: args.entries]
    by_id = {m[0]: m for m in marks}
    start = date(2015, 1, 1)
    rows = [(m[0], m[1], start + timedelta(days=rng.randrange(9 * 365)), m[2], m[3]) for m in marks]
    filings = {}
    for i, (text, target, _) in enumerate(planted):
        m = by_id[target]
        filings[f"P{i:06d}"] = target
        rows.append((f"P{i:06d}", text, date(2024, 1, 1) + timedelta(days=rng.randrange(300)), m[2][:1], m[3][:1]))
    with Store(":memory:") as store:
        con = store.con
        t0 = time.perf_counter()
        marks_t = pa.table({"mark_id": [r[0] for r in rows], "mark_text": [r[1] for r in rows],
                            "filing_date": [r[2] for r in rows]})
        cls = [(r[0], s, c if s == "cn_group" else f"{c:02d}", int(str(c)[:2]) if s == "cn_group" else c, i)
               for r in rows for s, cs in (("nice", r[3]), ("cn_group", r[4])) for i, c in enumerate(cs)]
        classes_t = pa.table({n: [c[i] for c in cls] for i, n in enumerate(("mark_id", "scheme", "code", "nice_class",
                                                                            "seq"))})
        con.register("_bench_marks", marks_t)
        con.register("_bench_classes", classes_t)
        con.execute("INSERT INTO trademarks (mark_id, office, number, mark_text, status, filing_date) "
                    "SELECT mark_id, 'CN', mark_id, mark_text, 'pending', filing_date FROM _bench_marks")
        con.execute("INSERT INTO trademark_classes (mark_id, scheme, code, nice_class, seq) "
                    "SELECT mark_id, scheme, code, nice_class, seq FROM _bench_classes")
        load_s = time.perf_counter() - t0
        protected = sorted({t for _, t, _ in planted})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "protected.csv"
            with open(path, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["名称", "级别", "类别"])
                for t in protected:
                    w.writerow([by_id[t][1], "重庆老字号", ";".join(str(c) for c in by_id[t][2])])
            listed = load_list(con, path, "time_honoured", "bench")
        t0 = time.perf_counter()
        idx = similar.build_index(con)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        events = new_similar_filings(con, since="2024-01-01", index=idx)
        seconds = time.perf_counter() - t0
        found = {(e["protected"]["name"], e["filing"]["mark_id"]) for e in events}
        want = {(by_id[filings[p]][1], p) for p in filings}
        recall = len(want & found) / len(want) if want else 0.0
        for name, p in sorted(want - found):
            print(f"missed: {name} <- {next(r[1] for r in rows if r[0] == p)}")
        texts = [r[1] for r in rows]
        ids = [r[0] for r in rows]
        t0 = time.perf_counter()
        scan_hits = 0
        sample = protected[: args.baseline]
        for t in sample:
            name = by_id[t][1]
            got = process.extract(name, texts, scorer=fuzz.ratio, score_cutoff=80, limit=None)
            mine = {ids[i] for _, _, i in got}
            scan_hits += sum(1 for p, target in filings.items() if target == t and p in mine)
        scan_s = (time.perf_counter() - t0) / max(1, len(sample)) * len(protected)
        scan_want = sum(1 for target in filings.values() if target in set(sample))
        print(f"marks {len(rows):,} (planted {len(filings):,}), stored in {load_s:.1f} s; list {listed['rows_loaded']} "
              f"entries; index built in {build_s:.1f} s ({len(idx):,} marks)")
        print(f"new_similar_filings: {len(events):,} events in {seconds:.2f} s "
              f"({seconds / max(1, len(protected)) * 1000:.1f} ms per entry), recall {recall:.3f} "
              f"({len(want & found)}/{len(want)})")
        print(f"rapidfuzz scan (ratio >= 80) on {len(sample)} entries: {scan_s / max(1, len(protected)) * 1000:.1f} ms "
              f"per entry, recall {scan_hits / max(1, scan_want):.3f} ({scan_hits}/{scan_want}); extrapolated "
              f"{scan_s:.1f} s")
        print(f"RESULT marks={len(rows)} entries={len(protected)} seconds={seconds:.3f} recall={recall:.3f} "
              f"scan_seconds={scan_s:.3f}")


if __name__ == "__main__":
    main()
