"""Credit tiers at the size of a real store (issue 19, point 4): loading a records file, listing, showing,
recomputing, against the baseline of resolving the file's names one by one.

    python bench/credit.py --store STORE.duckdb [--records N] [--baseline-sample M] [--seed S]

``--store``: a store with organisations (e.g. the gazette week, ``ipcockpit ingest ../shared/data/cn/gazette_2019``:
18,720 organisation entities); it is copied, never written. A records file of ``--records`` rows (default 2,000) is
made from the store's own organisations (names ending in 公司, chosen at random with ``--seed``), each a kind of the
shipped rules with a date in 2024–2025, and loaded with ``Credit.load`` as of 2025-10-20 (``load_seconds``: checks,
one query for the file's names, the inserts, the audit rows, the snapshot of every tier). The baseline resolves
``--baseline-sample`` of the rows' names one by one with ``find_entity`` (what the loader did per row before) and
scales its time to all rows (``one_by_one_seconds``); the script fails when a name resolves differently.
``list_seconds``: every organisation's tier (the listing computes them from the records); ``compute_seconds``: the
snapshot again (nothing changes). Prints ``RESULT records=<int> organisations=<int> load_seconds=<float>
one_by_one_seconds=<float> ratio=<float> list_seconds=<float> compute_seconds=<float>`` last.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.credit.records import Resolver  # noqa: E402
from ipcockpit.credit.service import Credit  # noqa: E402
from ipcockpit.strength.ranking import find_entity  # noqa: E402

KINDS = [("行政处罚", "abnormal_patent"), ("行政处罚", "malicious_trademark"), ("法院判决", ""), ("核查无异常", ""),
         ("知识产权示范企业", ""), ("严重违法失信名单", "")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--baseline-sample", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory(prefix="bench-credit-") as folder:
        db = Path(folder) / "store.duckdb"
        shutil.copyfile(a.store, db)
        with Cockpit(db=db) as c:
            con = c.store.con
            names = [r[0] for r in con.execute("SELECT name FROM org_entities WHERE merged_into IS NULL AND name "
                                               "LIKE '%公司' ORDER BY entity_id").fetchall()]
            organisations = con.execute("SELECT count(*) FROM org_entities WHERE merged_into IS NULL").fetchall()[0][0]
            file = Path(folder) / "records.csv"
            rows = []
            with file.open("w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(["主体名称", "记录类型", "失信类别", "认定日期", "文书编号"])
                for i in range(a.records):
                    kind, cat = rng.choice(KINDS)
                    day = date(2024, 1, 1) + timedelta(days=rng.randrange(650))
                    rows.append(rng.choice(names))
                    w.writerow([rows[-1], kind, cat, day.isoformat(), f"B{i}"])
            sample = rows[: a.baseline_sample]
            t = time.perf_counter()
            one_by_one = {n: find_entity(con, n) for n in sample}
            baseline = (time.perf_counter() - t) * len(rows) / len(sample)
            resolver = Resolver(con)
            resolver.prime(sample)
            if resolver.names != one_by_one:
                raise SystemExit("the file's names resolve differently at once and one by one")
            credit = Credit(c.store, c.settings, today=date(2025, 10, 20))
            t = time.perf_counter()
            done = credit.load(file, "bench")
            load = time.perf_counter() - t
            assert done["added"] == a.records, done["added"]
            t = time.perf_counter()
            listed = credit.listing(limit=50)
            listing = time.perf_counter() - t
            t = time.perf_counter()
            again = credit.compute(actor="bench")
            compute = time.perf_counter() - t
            assert again["changed"] == []
            print("tiers:", listed["counts"])
    print(f"RESULT records={a.records} organisations={organisations} load_seconds={load:.2f} "
          f"one_by_one_seconds={baseline:.2f} ratio={baseline / load:.1f} list_seconds={listing:.2f} "
          f"compute_seconds={compute:.2f}")


if __name__ == "__main__":
    main()
