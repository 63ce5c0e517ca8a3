"""Reading a PATENTSCOPE result list (the shared pizza zip's three .xls sheets, 24,294 records) with the reader as
it is, against the same reader with the date parser as it was before session 19, side by side in one process.

What changed: ``ipcockpit.ingest.csvutil`` keeps the dates it has read per text (an LRU cache); a text that is
no date -- in a PATENTSCOPE ``Priority Data`` cell every 8-digit priority number (``08003373``) is tried as a
date -- was tried against each of the 12 written forms (one failed ``strptime`` each) every time it came back,
since a cache keeps no exceptions. Now the failure is kept too, and a text of digits alone is tried as
``%Y%m%d`` only. The baseline puts back the old function (below, as it was) for its rounds.

Measured in ``--rounds`` rounds (default 3), the two readers alternating, each round reading every record of
every sheet into memory (the ingest's parsing, no store); caches are cleared before each read. The figures
are the medians. Last line: ``RESULT records=<int> seconds=<float> baseline_seconds=<float> ratio=<baseline/now>``.
Run: ``.venv/bin/python bench/patentscope_read.py [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.ingest import csvutil, patentscope  # noqa: E402
from ipcockpit.ingest.sources import file_source  # noqa: E402

ZIP = REPO.parent / "shared" / "data" / "patentscope" / "pizza_all_24294_raw.zip"


@lru_cache(maxsize=65536)
def _old_text_date(s: str) -> date | None:
    """The date parser before session 19 (failures not kept: each raises after every form is tried)."""
    if not s or s in {"-", "--", "NULL", "null", "None", "nan", "NaT"}:
        return None
    m = csvutil._ISO.match(s)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for fmt in csvutil._DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unreadable date {s!r}")


def _read(sheets: list[Path]) -> tuple[int, float]:
    started = time.perf_counter()
    records = [r for s in sheets for r in patentscope.PatentscopeXls().read(file_source(s))]
    return len(records), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    now_fn = csvutil._text_date
    with tempfile.TemporaryDirectory() as folder:
        with zipfile.ZipFile(ZIP) as zf:
            names = [n for n in zf.namelist() if n.endswith(".xls") and not n.startswith("__MACOSX")]
            zf.extractall(folder, names)
        sheets = [Path(folder) / n for n in names]
        now, old = [], []
        for _ in range(args.rounds):
            for fn, out in ((now_fn, now), (_old_text_date, old)):
                csvutil._text_date = fn
                fn.cache_clear()
                count, seconds = _read(sheets)
                out.append(seconds)
            csvutil._text_date = now_fn
            print(f"round: now {now[-1]:.2f} s, before {old[-1]:.2f} s ({count:,} records)", flush=True)
    a, b = statistics.median(now), statistics.median(old)
    print(f"RESULT records={count} seconds={a:.3f} baseline_seconds={b:.3f} ratio={b / a:.2f}")


if __name__ == "__main__":
    main()
