"""Attribution speed: N real-shaped addresses through enrich_address, against a maintained package row by row.

The addresses are every patentee address of the gazette week (cn/gazette_2019: all six CSV files, GB18030; the
column holding the addresses is found from the content, since one file has its address and designer headers
swapped) and of the TRS export (cn/sipo_trs_export/test.xls, column 地址), sampled with repetition (seeded) to N rows,
so the share of distinct texts is the real one's.

Measured, in one process:
- ``per_second``: ``enrich_address(Address(raw=text))`` for each of the N rows, as the loader calls it per party, the
  address cache emptied first: each distinct text is read once, every repeat is a cache hit.
- ``distinct_per_second`` (printed, not in RESULT): the distinct texts alone, cache emptied first: the cost of
  addresses never seen before.
- ``baseline_per_second``: the baseline package (``--baseline``, default jionlp's ``parse_location``, the choice in
  docs/region.md; or cpca's ``transform``) called row by row on the first ``--baseline-rows`` rows of the same sample,
  no cache, the time scaled to a rate. Install it with ``.venv/bin/pip install -e '.[bench]'``; without it the
  baseline is skipped (``baseline_per_second=nan``) and the run says how to install it.

Last line: ``RESULT rows=<int> seconds=<float> per_second=<float> baseline_per_second=<float>``.
Run: ``.venv/bin/python bench/attribution.py --rows 1000000 [--baseline jionlp|cpca] [--baseline-rows 2000]``.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.model.addresses import clear_cache, enrich_address  # noqa: E402
from ipcockpit.model.records import Address  # noqa: E402

_POSTCODE_START = ("0", "1", "2", "3", "4", "5", "6", "7", "8")


def shared_data() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    for c in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data", Path("/work/shared/data")]:
        if (c / "MANIFEST.md").exists():
            return c
    sys.exit("shared data not found; set IPCOCKPIT_SHARED_DATA")


def _address_column(rows: list[dict[str, str]]) -> str:
    """The column that holds the addresses: the one of ``address`` / ``designer`` whose values more often start
    with a postcode or a province (the other holds people's names)."""
    def score(col: str) -> int:
        return sum(1 for r in rows if (r.get(col) or "")[:1] in _POSTCODE_START or "省" in (r.get(col) or "")[:6])
    return max(("address", "designer"), key=score)


def gazette_records(root: Path) -> Iterator[tuple[str, str, str]]:
    """(publication number, patentee, address) of every row of the gazette week's CSV files, repeats included."""
    for path in sorted((root / "cn" / "gazette_2019").rglob("*.csv")):
        with open(path, encoding="gb18030", newline="") as fh:
            rows = list(csv.DictReader(fh))
        col = _address_column(rows)
        for r in rows:
            yield r["authorization_notice_id"], r["patentee"], r[col] or ""


def trs_addresses(root: Path) -> list[str]:
    import xlrd

    sheet = xlrd.open_workbook(str(root / "cn" / "sipo_trs_export" / "test.xls")).sheet_by_index(0)
    col = sheet.row_values(0).index("地址")
    return [str(sheet.cell_value(r, col)) for r in range(1, sheet.nrows)]


def sample(rows: int, seed: int = 2019) -> list[str]:
    root = shared_data()
    pool = [a for _, _, a in gazette_records(root)] + trs_addresses(root)
    rng = random.Random(seed)
    return [pool[rng.randrange(len(pool))] for _ in range(rows)]


def _baseline(name: str) -> Callable[[str], object] | None:
    warnings.filterwarnings("ignore")
    try:
        if name == "jionlp":
            import jionlp

            def jio(text: str) -> object:
                return jionlp.parse_location(text, town_village=False, change2new=True)
            jio("重庆市璧山区")  # its dictionaries load on the first call
            return jio
        import cpca

        def cp(text: str) -> object:
            return cpca.transform([text])
        cp("重庆市璧山区")
        return cp
    except ImportError:
        print(f"baseline {name} not installed: .venv/bin/pip install -e '.[bench]' (the bench extra) to measure it",
              flush=True)
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--baseline", choices=("jionlp", "cpca"), default="jionlp")
    ap.add_argument("--baseline-rows", type=int, default=2000)
    args = ap.parse_args()

    texts = sample(args.rows)
    distinct = list(dict.fromkeys(texts))
    print(f"{len(texts):,} addresses sampled, {len(distinct):,} distinct", flush=True)

    clear_cache()
    started = time.perf_counter()
    for t in distinct:
        enrich_address(Address(raw=t))
    distinct_seconds = time.perf_counter() - started
    print(f"distinct, uncached: {len(distinct):,} in {distinct_seconds:.2f} s = "
          f"{len(distinct) / distinct_seconds:,.0f}/s", flush=True)

    clear_cache()
    placed = 0
    step = max(len(texts) // 10, 1)
    started = time.perf_counter()
    for i, t in enumerate(texts, 1):
        if enrich_address(Address(raw=t)).admin_code:
            placed += 1
        if i % step == 0:
            print(f"  {i:,} rows, {time.perf_counter() - started:.2f} s", flush=True)
    seconds = time.perf_counter() - started
    per_second = len(texts) / seconds
    print(f"ours: {len(texts):,} rows in {seconds:.2f} s = {per_second:,.0f}/s; {placed:,} given a GB/T 2260 code",
          flush=True)

    baseline_per_second = math.nan
    fn = _baseline(args.baseline)
    if fn is not None:
        rows = texts[: args.baseline_rows]
        started = time.perf_counter()
        for t in rows:
            fn(t)
        baseline_per_second = len(rows) / (time.perf_counter() - started)
        print(f"baseline {args.baseline}: {len(rows):,} rows row by row = {baseline_per_second:,.0f}/s; "
              f"ours is {per_second / baseline_per_second:,.0f}x (distinct, uncached: "
              f"{len(distinct) / distinct_seconds / baseline_per_second:,.1f}x)", flush=True)
    print(f"RESULT rows={len(texts)} seconds={seconds:.3f} per_second={per_second:.1f} "
          f"baseline_per_second={baseline_per_second:.1f}")


if __name__ == "__main__":
    main()
