"""Ingest speed and memory for USPTO weekly full-text XML, against a plain lxml parse of the same bytes.

The real weekly excerpts (``uspto_xml/weekly_excerpts/ipg*.xml``) are put back to back, again and
again, until the file holds at least ``--mb`` MB. Every copy after the first gets distinct
publication numbers (a digit is put in front of the number), so the store inserts new documents
rather than merging repeats, as with a real year of weekly files.

Measured, in ``--rounds`` rounds (default 3), each a ceiling run and then an ingest run:
- ingest: ``ipcockpit ingest FILE --db NEW.duckdb --json`` as a subprocess, wall time;
- ceiling: the same bytes cut on the ``<?xml`` declarations and each document given to
  ``lxml.etree.fromstring``, nothing else (one process).
The figures are the medians of the rounds (this machine's speed moves by ±10 % from run to run).
Memory is measured in one more ingest run, not timed: the peak memory of the process tree (the ingest
process plus its parser workers), polled with psutil every 50 ms. Reading a process's memory map
(``smaps_rollup``) that often slows the process read by some tenths of a second, so the timed runs are
not polled. The workers are forked from the ingest process and share its pages, so the tree's memory
is the sum of each process's PSS (proportional set size: a shared page counts once, split among its
sharers); the plain sum of RSS, which counts shared pages once per process, is printed beside it.

Last line: ``RESULT mb=<float> seconds=<float> ceiling_seconds=<float> ratio=<ceiling/ingest>
peak_rss_mb=<int>``. Run: ``.venv/bin/python bench/ingest_uspto.py [--mb 200] [--rounds 3] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
_PUB_NUMBER = re.compile(rb"(<publication-reference>\s*<document-id>\s*<country>[A-Z]{2}</country>\s*<doc-number>)"
                         rb"([A-Z]*)(\d)")


def shared_data() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    for c in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data", Path("/work/shared/data")]:
        if (c / "MANIFEST.md").exists():
            return c
    sys.exit("shared data not found; set IPCOCKPIT_SHARED_DATA")


def build_file(target: Path, mb: float) -> int:
    """Write the weekly excerpts again and again to target until it holds mb MB; returns bytes."""
    files = sorted((shared_data() / "uspto_xml" / "weekly_excerpts").glob("ipg*.xml"))
    week = b"".join(f.read_bytes() for f in files)
    size = 0
    copy = 0
    with open(target, "wb") as out:
        while size < mb * 1e6:
            data = week if copy == 0 else _PUB_NUMBER.sub(
                lambda m, k=copy: m.group(1) + m.group(2) + str(k).encode() + m.group(3), week)
            out.write(data)
            size += len(data)
            copy += 1
    return size


def ceiling(path: Path) -> tuple[float, int]:
    """Seconds to cut the file on <?xml declarations and parse each document with lxml; documents."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)
    started = time.perf_counter()
    data = path.read_bytes()
    docs = 0
    pos = 0
    while pos >= 0:
        nxt = data.find(b"<?xml", pos + 1)
        etree.fromstring(data[pos:nxt] if nxt >= 0 else data[pos:], parser)
        docs += 1
        pos = nxt
    return time.perf_counter() - started, docs


def _command(path: Path, db: Path) -> list[str]:
    exe = REPO / ".venv" / "bin" / "ipcockpit"
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    return [str(exe) if exe.exists() else "ipcockpit", "ingest", str(path), "--db", str(db), "--json"]


def ingest(path: Path, db: Path) -> tuple[float, list[dict[str, object]]]:
    """Seconds of one ingest into a new store, not observed meanwhile, and its JSON report."""
    cmd = _command(path, db)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, cwd=REPO)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"ingest failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return seconds, json.loads(proc.stdout)


def ingest_memory(path: Path, db: Path) -> tuple[int, int]:
    """Peak PSS and peak RSS sum of the process tree of one ingest (bytes), polled every 50 ms."""
    proc = subprocess.Popen(_command(path, db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    ps = psutil.Process(proc.pid)
    peak = peak_rss = 0
    while proc.poll() is None:
        try:
            tree = [ps, *ps.children(recursive=True)]
            infos = [p.memory_full_info() for p in tree if p.is_running()]
            peak = max(peak, sum(i.pss for i in infos))
            peak_rss = max(peak_rss, sum(i.rss for i in infos))
        except psutil.Error:
            pass
        time.sleep(0.05)
    _, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"ingest failed ({proc.returncode}): {err.decode()[-2000:]}")
    return peak, peak_rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=200.0, help="size of the test file in MB (default 200)")
    ap.add_argument("--rounds", type=int, default=3, help="ceiling and ingest runs, medians reported (default 3)")
    ap.add_argument("--keep", type=Path, help="folder to build the file in and keep (default: a temp folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipcockpit-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "ipg_bench.xml"
        size = build_file(path, args.mb)
        mb = size / 1e6
        db = folder / "bench.duckdb"
        ceilings, times = [], []
        for n in range(1, args.rounds + 1):
            ceil_s, docs = ceiling(path)
            seconds, report = ingest(path, db)
            ceilings.append(ceil_s)
            times.append(seconds)
            r = report[0]
            print(f"round {n}: lxml parse only {ceil_s:.2f} s ({docs} XML documents, {mb / ceil_s:.0f} MB/s); "
                  f"ingest {seconds:.2f} s ({mb / seconds:.1f} MB/s): read {r['read']}, loaded {r['loaded']}, "
                  f"quarantined {r['quarantined']}, merged {r['merged']}")
        peak, peak_rss = ingest_memory(path, db)
        print(f"peak memory of the ingest's process tree {peak / 1e6:.0f} MB (sum of PSS; sum of RSS counting "
              f"shared pages per process: {peak_rss / 1e6:.0f} MB)")
        seconds, ceil_s = statistics.median(times), statistics.median(ceilings)
        print(f"RESULT mb={mb:.1f} seconds={seconds:.2f} ceiling_seconds={ceil_s:.2f} "
              f"ratio={ceil_s / seconds:.3f} peak_rss_mb={peak // 1_000_000}")


if __name__ == "__main__":
    main()
