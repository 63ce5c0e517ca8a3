"""Screening counts on the whole shared data: every file ingested, every invention grant screened.

1. Ingest. Every file under the shared data folder (``--data``; folders walked as ``ipcockpit
   ingest`` walks them, archives read member by member), except those matching an ``--exclude``
   glob (matched against the path relative to the data folder), is ingested into a fresh DuckDB
   store through the public API (``Cockpit.ingest``). The reference tables go first, in their own
   call: everything under ``classification/`` (IPC titles, WIPO fields, the SEI concordance and the
   other CNIPA catalogues), ``awards/`` (the award lists) and the INPADOC legal-code table
   (``epo_ops/legal/fixtures/legal_code_descriptions_202417.xlsx``); then every other file. Screening
   joins the reference tables at query time, so the order changes no figure; it is kept so the store
   is built as a user would build it. Files in no known format get a report with an error (README,
   LICENSE ...) and are listed apart from files that failed to ingest. When a ``Cockpit.ingest`` call
   raises, the files it had not reported yet are ingested one by one and each one that raises is
   recorded with its exception; the bench goes on.
2. Screen. ``Cockpit.screen(limit=0)`` over every invention grant in the store, with screening
   settings at their defaults except ``as_of`` (``--as-of``, default 2026-12-01, fixed so that runs
   on different days compare). Counted: high value, in force and each of the five CNIPA conditions as
   true / false / unknown (null); per office, the same for high value; the most frequent
   high-value reasons.
3. Times of each stage (wall clock) and the peak RSS of the process (``ru_maxrss``; informative).

Last line: ``RESULT screened=<int> high_value_true=<int> high_value_false=<int> high_value_unknown=<int>
in_force_true=<int> in_force_false=<int> in_force_unknown=<int>``. Run:
``.venv/bin/python bench/shared_screening.py [--data DIR] [--db FILE] [--keep] [--reuse]
[--exclude GLOB ...] [--as-of 2026-12-01]``.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import resource
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.ingest.sources import walk  # noqa: E402
from ipcockpit.store.loader import FileReport  # noqa: E402
from ipcockpit.value.conditions import CONDITIONS  # noqa: E402
from ipcockpit.value.settings import ScreenSettings  # noqa: E402

#: reference tables, ingested first (path prefixes relative to the data folder)
REFERENCE = ("classification/", "awards/", "epo_ops/legal/fixtures/legal_code_descriptions_")
ANSWERS = (True, False, None)
ANSWER_NAMES = {True: "true", False: "false", None: "unknown"}


def shared_data() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    for c in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data", Path("/work/shared/data")]:
        if (c / "MANIFEST.md").exists():
            return c
    sys.exit("shared data not found; set IPCOCKPIT_SHARED_DATA or pass --data")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def say(text: str = "") -> None:
    print(text, flush=True)


# 1. ingest ------------------------------------------------------------------------------------------
def files_of(data: Path, excludes: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(reference files, other files, excluded files), as paths, in walk order."""
    refs, rest, skipped = [], [], []
    for source in walk([data]):
        rel = os.path.relpath(source.path, data)
        if any(fnmatch.fnmatch(rel, g) for g in excludes):
            skipped.append(source.path)
        elif rel.startswith(REFERENCE):
            refs.append(source.path)
        else:
            rest.append(source.path)
    return refs, rest, skipped


class Ingest:
    """Runs the ingest calls, keeps every report, and the exceptions of files that crashed."""

    def __init__(self, cockpit: Cockpit, data: Path, total: int) -> None:
        self.cockpit, self.data, self.total = cockpit, data, total
        self.reports: list[FileReport] = []
        self.crashed: list[tuple[str, str]] = []
        self.done: set[str] = set()  # paths whose report came (an archive: one of its members)

    def rel(self, path: str) -> str:
        return path[len(str(self.data)) + 1:] if path.startswith(str(self.data) + os.sep) else path

    @staticmethod
    def message(report: FileReport) -> str:
        """The error without the path it starts with (the report names the file)."""
        text = report.error or ""
        return text[len(report.file) + 2:] if text.startswith(report.file + ": ") else text

    def on_file(self, report: FileReport) -> None:
        self.reports.append(report)
        outer = report.file.split("!", 1)[0]
        self.done.add(outer)
        state = "no known format" if report.error and report.format is None else (
            f"ERROR {self.message(report)}") if report.error else (
            f"read {report.read:,} loaded {report.loaded:,} quarantined {report.quarantined:,}")
        say(f"  [{len(self.done)}/{self.total}] {self.rel(report.file)} ({report.format or '-'}): {state} "
            f"{report.seconds:.1f} s")

    def run(self, paths: list[str]) -> None:
        try:
            self.cockpit.ingest(paths, on_file=self.on_file)
            return
        except Exception as exc:  # noqa: BLE001 -- the bench records any crash and goes on
            say(f"  Cockpit.ingest raised {type(exc).__name__}: {exc}; the files not yet reported go one by one")
        for path in paths:
            if path in self.done or any(d.startswith(path + "!") for d in self.done):
                continue
            t0 = time.perf_counter()
            try:
                self.cockpit.ingest([path], on_file=self.on_file)
            except Exception as exc:  # noqa: BLE001
                text = f"{type(exc).__name__}: {exc}"
                self.crashed.append((path, text))
                self.done.add(path)
                last = traceback.extract_tb(exc.__traceback__)[-1]
                say(f"  CRASH {self.rel(path)} after {time.perf_counter() - t0:.1f} s: {text} "
                    f"(at {last.filename}:{last.lineno})")


def ingest(db: Path, data: Path, excludes: list[str]) -> dict[str, float]:
    refs, rest, skipped = files_of(data, excludes)
    say(f"data: {data}; {len(refs) + len(rest)} files ({len(refs)} reference files first), "
        f"{len(skipped)} excluded")
    for path in skipped:
        say(f"  excluded: {os.path.relpath(path, data)}")
    times = {}
    with Cockpit(db=db) as cockpit:
        run = Ingest(cockpit, data, len(refs) + len(rest))
        t0 = time.perf_counter()
        say("reference tables:")
        run.run(refs)
        times["ingest_reference"] = time.perf_counter() - t0
        ref_reports = list(run.reports)
        t1 = time.perf_counter()
        say("data files:")
        run.run(rest)
        times["ingest_data"] = time.perf_counter() - t1
        times["ingest"] = time.perf_counter() - t0
        say()
        say("reference tables loaded (file, format, rows):")
        for r in ref_reports:
            if r.error is None and r.loaded:
                say(f"  {run.rel(r.file)}  {r.format}  {r.loaded:,}")
        counts = {t: cockpit.store.count(t) for t in
                  ("ref_ipc_titles", "ref_tech_fields", "ref_ipc_concordance", "ref_awards", "ref_event_codes")}
        say("  store: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
        summarise(run)
        quarantine(cockpit, run)
        say(f"store: documents {cockpit.store.count('documents'):,}; "
            f"database file {db.stat().st_size / 1e6:,.0f} MB")
    return times


def summarise(run: Ingest) -> None:
    reports = run.reports
    unknown = [r for r in reports if r.error and r.format is None]
    failed = [r for r in reports if r.error and r.format is not None]
    ok = [r for r in reports if not r.error]
    say()
    say(f"ingest report: {len(reports):,} reports (archive members count one each); "
        f"{len(ok):,} ingested ({sum(1 for r in ok if r.loaded):,} with rows loaded), "
        f"{len(unknown):,} in no known format, {len(failed):,} errors, {len(run.crashed)} crashed the ingest call")
    say(f"  records read {sum(r.read for r in reports):,}, loaded {sum(r.loaded for r in reports):,}, "
        f"quarantined {sum(r.quarantined for r in reports):,}, merged {sum(r.merged for r in reports):,}")
    per_format: dict[str, list[int]] = {}
    for r in ok:
        c = per_format.setdefault(r.format or "-", [0, 0, 0, 0])
        c[0] += 1
        c[1] += r.read
        c[2] += r.loaded
        c[3] += r.quarantined
    say("  per format: files, read, loaded, quarantined")
    for fmt, (n, rd, ld, q) in sorted(per_format.items()):
        say(f"    {fmt:<28} {n:>4} {rd:>10,} {ld:>10,} {q:>9,}")
    say("  errors (file: message):")
    for r in failed:
        say(f"    {run.rel(r.file)} ({r.format}): {run.message(r)}")
    for path, text in run.crashed:
        say(f"    {run.rel(path)} (crashed): {text}")
    if not failed and not run.crashed:
        say("    none")
    say("  in no known format:")
    for r in unknown:
        say(f"    {run.rel(r.file)}")
    if not unknown:
        say("    none")
    slow = sorted(reports, key=lambda r: -r.seconds)[:10]
    say("  slowest files: " + "; ".join(f"{run.rel(r.file)} {r.seconds:.1f} s" for r in slow))


def quarantine(cockpit: Cockpit, run: Ingest) -> None:
    """Quarantined rows per file and field, with one of the reasons (they name the line, so they differ)."""
    rows = cockpit.store.con.execute("""
        SELECT coalesce(f.path, q.path) AS file, q.field, count(*) AS n, min(q.reason) AS reason
        FROM quarantine q LEFT JOIN source_files f USING (file_id)
        GROUP BY 1, 2 ORDER BY n DESC, file, field""").fetchall()
    say("  quarantined rows per file and field (count: one reason):")
    if not rows:
        say("    none")
    for file, fld, n, reason in rows[:25]:
        say(f"    {run.rel(file or '?')} [{fld or '-'}] {n:,}: {(reason or '')[:220]}")
    if len(rows) > 25:
        say(f"    ... {len(rows) - 25} more (file, field) pairs, {sum(r[2] for r in rows[25:]):,} rows")


# 2. screen ------------------------------------------------------------------------------------------
def table(counts: dict[str, Counter[Any]], label: str) -> None:
    say(f"  {label:<30} {'true':>8} {'false':>8} {'unknown':>8}")
    for name, c in counts.items():
        say(f"  {name:<30} {c[True]:>8,} {c[False]:>8,} {c[None]:>8,}")


def screen(db: Path, as_of: date) -> tuple[dict[str, Any], float]:
    with Cockpit(db=db, read_only=True) as cockpit:
        t0 = time.perf_counter()
        rows = cockpit.screen(limit=0, settings=ScreenSettings(as_of=as_of))
        took = time.perf_counter() - t0
    counts: dict[str, Counter[Any]] = {"high_value": Counter(), "in_force": Counter()}
    counts.update({c: Counter() for c in CONDITIONS})
    offices: dict[str, Counter[Any]] = {}
    reasons: Counter[str] = Counter()
    for r in rows:
        counts["high_value"][r["high_value"]] += 1
        counts["in_force"][r["in_force"]] += 1
        for c in CONDITIONS:
            counts[c][r["conditions"][c]["met"]] += 1
        offices.setdefault(r.get("office") or "?", Counter())[r["high_value"]] += 1
        reasons[r.get("high_value_reason") or "-"] += 1
    say(f"invention grants screened: {len(rows):,} (as_of {as_of}, screening settings otherwise default) "
        f"in {took:.1f} s")
    table(counts, "answer")
    say("high value per office (sorted by screened):")
    say(f"  {'office':<8} {'screened':>9} {'true':>8} {'false':>8} {'unknown':>8}")
    for office, c in sorted(offices.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        say(f"  {office:<8} {sum(c.values()):>9,} {c[True]:>8,} {c[False]:>8,} {c[None]:>8,}")
    say("most frequent high-value reasons:")
    for reason, n in reasons.most_common(12):
        say(f"  {n:>8,}  {reason}")
    return {"screened": len(rows), **{k: c for k, c in counts.items()}}, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="the shared data folder (default: found)")
    parser.add_argument("--db", type=Path, default=None, help="the DuckDB store (default: in a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the store (with --db, or a kept temp folder)")
    parser.add_argument("--reuse", action="store_true", help="skip the ingest when --db exists")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip files whose path relative to --data matches (repeatable)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 12, 1),
                        help="screening date (default 2026-12-01)")
    args = parser.parse_args()
    data = (args.data or shared_data()).resolve()
    tmp = None
    if args.db is None:
        tmp = Path(tempfile.mkdtemp(prefix="shared_screening_"))
        db = tmp / "shared.duckdb"
    else:
        db = args.db.resolve()
        db.parent.mkdir(parents=True, exist_ok=True)
    try:
        times: dict[str, float] = {}
        if args.reuse and db.exists():
            say(f"store {db} exists: ingest skipped (--reuse)")
        else:
            for p in (db, db.with_name(db.name + ".wal")):
                p.unlink(missing_ok=True)
            times = ingest(db, data, args.exclude)
            say(f"ingest: {times['ingest']:.1f} s (reference tables {times['ingest_reference']:.1f} s, "
                f"data files {times['ingest_data']:.1f} s); peak RSS so far {peak_rss_mb():,.0f} MB")
        say()
        result, times["screen"] = screen(db, args.as_of)
        say()
        say("stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()) +
            f"; peak RSS {peak_rss_mb():,.0f} MB")
        if args.keep:
            say(f"store kept: {db}")
    finally:
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    hv, force = result["high_value"], result["in_force"]
    say(f"RESULT screened={result['screened']} high_value_true={hv[True]} high_value_false={hv[False]} "
        f"high_value_unknown={hv[None]} in_force_true={force[True]} in_force_false={force[False]} "
        f"in_force_unknown={force[None]}")


if __name__ == "__main__":
    main()
