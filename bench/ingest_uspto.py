"""Ingest speed and memory for USPTO weekly full-text XML, against a plain lxml parse of the same bytes.

The real weekly excerpts (``uspto_xml/weekly_excerpts/ipg*.xml``) are put back to back, again and
again, until the file holds at least ``--mb`` MB. Every copy after the first gets distinct
publication numbers (a digit is put in front of the number), so the store inserts new documents
rather than merging repeats, as with a real year of weekly files.

Measured:
- ingest: ``ipcockpit ingest FILE --db NEW.duckdb --json`` as a subprocess; wall time, and the peak
  memory of the process tree (the ingest process plus its parser workers), polled with psutil. The
  workers are forked from the ingest process and share its pages, so the tree's memory is the sum of
  each process's PSS (proportional set size: a shared page counts once, split among its sharers);
  the plain sum of RSS, which counts shared pages once per process, is printed beside it;
- ceiling: the same bytes cut on the ``<?xml`` declarations and each document given to
  ``lxml.etree.fromstring``, nothing else (one process).

Last line: ``RESULT mb=<float> seconds=<float> ceiling_seconds=<float> ratio=<ceiling/ingest>
peak_rss_mb=<int>``. Run: ``.venv/bin/python bench/ingest_uspto.py [--mb 200] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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


def ingest(path: Path, db: Path) -> tuple[float, int, int, list[dict[str, object]]]:
    """Seconds, peak PSS and peak RSS sum of the process tree (bytes), and the JSON report."""
    exe = REPO / ".venv" / "bin" / "ipcockpit"
    cmd = [str(exe) if exe.exists() else "ipcockpit", "ingest", str(path), "--db", str(db), "--json"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
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
    seconds = time.perf_counter() - started
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"ingest failed ({proc.returncode}): {err.decode()[-2000:]}")
    return seconds, peak, peak_rss, json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=200.0, help="size of the test file in MB (default 200)")
    ap.add_argument("--keep", type=Path, help="folder to build the file in and keep (default: a temp folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipcockpit-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "ipg_bench.xml"
        size = build_file(path, args.mb)
        mb = size / 1e6
        ceil_s, docs = ceiling(path)
        print(f"file {path} {mb:.1f} MB, {docs} XML documents; lxml parse only: {ceil_s:.2f} s "
              f"({mb / ceil_s:.0f} MB/s)")
        db = folder / "bench.duckdb"
        for p in (db, db.with_name(db.name + ".wal")):
            p.unlink(missing_ok=True)
        seconds, peak, peak_rss, report = ingest(path, db)
        r = report[0]
        print(f"ingest: {seconds:.2f} s ({mb / seconds:.1f} MB/s); read {r['read']}, loaded {r['loaded']}, "
              f"quarantined {r['quarantined']}, merged {r['merged']}; peak memory of the process tree "
              f"{peak / 1e6:.0f} MB (sum of PSS; sum of RSS counting shared pages per process: {peak_rss / 1e6:.0f} MB)")
        print(f"RESULT mb={mb:.1f} seconds={seconds:.2f} ceiling_seconds={ceil_s:.2f} "
              f"ratio={ceil_s / seconds:.3f} peak_rss_mb={peak // 1_000_000}")


if __name__ == "__main__":
    main()
