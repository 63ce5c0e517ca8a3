"""Navigation analyses at scale: N synthetic member documents fitted to the real data, analysed on DuckDB.

1. Fit. The CNIPA gazette week (cn/gazette_2019) and the Lens drones export are ingested into a temporary store;
   the members are the documents whose first IPC code is in sections B, G or H, the branch its IPC class (as in
   tests/test_navigation_analyses.py). :func:`ipcockpit.navigation.synthetic.fit` reads their distributions
   (office x year x type x stage, branches and their IPC codes, applicants with names and region codes,
   applicants per document, legal events).
2. Sample N documents (:func:`~ipcockpit.navigation.synthetic.synthesise`) into a new store.
3. Baseline, on the same store and connection: the plain corpus count ``stats.by_office_year`` (the overview's
   chart: one ibis group-by over ``documents``), timed.
4. :func:`ipcockpit.navigation.analyses.analyse` at the four levels (district Bishan 500120), ``--threads`` DuckDB
   threads (2), timed whole: the per-document facts (attribution, legal status, high-value conditions, value
   index, natures) and every section with its numbers. ``--no-value-index`` leaves the value index out (it scores
   the whole store).
5. ``--spark``: the sections of the shared ibis path (:data:`ipcockpit.navigation.analyses_ibis.PORTED`) at every
   level: their compiled SQL timed on DuckDB, then the facts, members, applicants and parties exported as Parquet
   and the same expressions timed on local Spark (local[2]); every section's rows must equal DuckDB's.

Last line: ``RESULT docs=<int> seconds=<float> baseline_seconds=<float> ratio=<float> numbers=<int>``
(``ratio`` = analyses seconds / baseline seconds); with ``--spark`` it ends with ``sections=<int>
duckdb_sections_seconds=<float> spark_seconds=<float>``. Run:
``.venv/bin/python bench/navigation_scale.py --docs 100000 [--spark]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.analytics import stats  # noqa: E402
from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.navigation.analyses import Options, analyse  # noqa: E402
from ipcockpit.navigation.synthetic import fit, synthesise  # noqa: E402
from ipcockpit.settings import Settings  # noqa: E402

SOURCES = ["cn/gazette_2019", "lens/drone_drones_fulltext_families_5884.csv", "cn/legal_events_gazette"]
MEMBERS = ("CREATE OR REPLACE TEMP TABLE nav_members AS SELECT doc_id, left(arg_min(code, coalesce(seq, 0)), 3) AS "
           "branch, 'ipc:' || left(arg_min(code, coalesce(seq, 0)), 3) AS reason FROM classifications "
           "WHERE scheme = 'IPC' AND left(code, 1) IN ('B', 'G', 'H') GROUP BY doc_id")


def shared_data() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    for c in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data", Path("/work/shared/data")]:
        if (c / "MANIFEST.md").exists():
            return c
    sys.exit("shared data not found; set IPCOCKPIT_SHARED_DATA")


def real_model(folder: Path, store: Path | None) -> object:
    path = store or folder / "real.duckdb"
    if store is None:
        with Cockpit(Settings(db=str(path))) as c:
            c.ingest([shared_data() / s for s in SOURCES])
    con = duckdb.connect(str(path), read_only=store is not None)
    con.execute(MEMBERS)
    model = fit(con)
    con.close()
    return model


def ported(con: duckdb.DuckDBPyConnection, report: dict, prefix: str) -> tuple[float, dict]:
    """The sections of the shared ibis path at the report's levels, their compiled SQL run on DuckDB, timed."""
    from ipcockpit.navigation import analyses_ibis as xi

    t0 = time.perf_counter()
    tables = xi.duckdb_tables(con, "nav_members", prefix)
    compiled = {key: xi.sql(expr) for key, expr in expressions(tables, report).items()}
    t1 = time.perf_counter()
    out = {}
    for key, sql in compiled.items():
        cur = con.execute(sql)
        names = [c[0] for c in cur.description]
        out[key] = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    t2 = time.perf_counter()
    print(f"ibis sections on DuckDB: {len(out)} section-levels compiled in {t1 - t0:.1f} s, run in {t2 - t1:.1f} s")
    return t2 - t0, out


def expressions(tables: object, report: dict) -> dict:
    from ipcockpit.navigation import analyses_ibis as xi

    opts = report["options"]
    out = {}
    for lv in report["levels"]:
        if lv["missing"]:
            continue
        for sid in xi.PORTED:
            expr = xi.expression(tables, sid, lv["level"], top=opts["top"], years=opts["years"],  # type: ignore[arg-type]
                                 last=opts["last_year"][lv["level"]], thin_share=opts["thin_share"],
                                 rising_margin=opts["rising_margin"], rising_min_last=opts["rising_min_last"])
            if expr is not None:
                out[(sid, lv["level"])] = expr
    return out


def run_spark(folder: Path, report: dict, prefix: str, duck: dict) -> float:
    """The same expressions on local Spark (local[2]) over the Parquet export; every section's rows must equal
    DuckDB's. Returns the seconds of the sections (the JVM start and the views aside)."""
    from ipcockpit.analytics import stats
    from ipcockpit.analytics.spark import connect_parquet
    from ipcockpit.navigation import analyses_ibis as xi

    t0 = time.perf_counter()
    spark = connect_parquet(folder, tables=list(xi.PARQUET_NAMES.values()), memory="2g")
    print(f"spark session and views in {time.perf_counter() - t0:.1f} s")
    tables = xi.parquet_tables(spark, prefix)
    t0 = time.perf_counter()
    for key, expr in expressions(tables, report).items():
        t1 = time.perf_counter()
        rows = stats.rows(expr)
        if rows != duck[key]:
            diff = [(a, b) for a, b in zip(rows, duck[key], strict=False) if a != b][:3]
            sys.exit(f"spark and duckdb differ on {key}: {len(rows)} against {len(duck[key])} rows; first {diff}")
        print(f"spark {key[0]} {key[1]}: {len(rows):,} rows in {time.perf_counter() - t1:.1f} s, equal to DuckDB")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory", default="4GB", help="DuckDB memory limit (it spills beyond)")
    parser.add_argument("--store", type=Path, help="a store already holding the real sources (skips the ingest)")
    parser.add_argument("--no-value-index", action="store_true", help="leave the value index out")
    parser.add_argument("--spark", action="store_true", help="also run the ibis expressions on local Spark")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="navigation_scale_") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        model = real_model(folder, args.store)
        print(f"fitted to {model.real_documents:,} real member documents of {', '.join(SOURCES)} "  # type: ignore[attr-defined]
              f"in {time.perf_counter() - t0:.1f} s")
        path = folder / "synthetic.duckdb"
        Cockpit(Settings(db=str(path))).close()
        con = duckdb.connect(str(path))
        con.execute(f"SET threads = {args.threads}")
        con.execute(f"SET memory_limit = '{args.memory}'")
        t0 = time.perf_counter()
        written = synthesise(con, model, args.docs)  # type: ignore[arg-type]
        con.execute("CHECKPOINT")
        print(f"sampled {args.docs:,} documents in {time.perf_counter() - t0:.1f} s: {written}")
        import ibis

        t0 = time.perf_counter()
        base = stats.rows(stats.by_office_year(ibis.duckdb.from_connection(con).table("documents")))
        baseline = time.perf_counter() - t0
        print(f"baseline by_office_year: {len(base)} rows in {baseline:.3f} s")
        t0 = time.perf_counter()
        report = analyse(con, options=Options(value_index=not args.no_value_index))
        seconds = time.perf_counter() - t0
        numbers = sum(len(s["numbers"]) for s in report["sections"])
        levels = ", ".join(f"{lv['level']} {lv['documents']:,}" for lv in report["levels"])
        print(f"analyse: {len(report['sections'])} sections, {numbers:,} numbers in {seconds:.1f} s ({levels}); "
              f"per-document facts {report['timings']['facts']:.1f} s, sections {report['timings']['sections']:.1f} s")
        extra = ""
        if args.spark:
            from ipcockpit.analytics.region import region_of
            from ipcockpit.navigation import analyses_ibis as xi

            prefix = str(region_of(report["region"]["code"])["prefix"])
            duck_seconds, duck = ported(con, report, prefix)
            t0 = time.perf_counter()
            xi.export(con, folder / "parquet")
            print(f"parquet export of the facts, members, applicants and parties in {time.perf_counter() - t0:.1f} s")
        con.close()
        if args.spark:
            spark_seconds = run_spark(folder / "parquet", report, prefix, duck)
            print(f"ibis sections ({len(duck)} section-levels, all equal): DuckDB {duck_seconds:.1f} s, "
                  f"Spark local[2] {spark_seconds:.1f} s")
            extra = (f" sections={len(duck)} duckdb_sections_seconds={duck_seconds:.3f} "
                     f"spark_seconds={spark_seconds:.3f}")
    print(f"RESULT docs={args.docs} seconds={seconds:.3f} baseline_seconds={baseline:.3f} "
          f"ratio={seconds / baseline:.1f} numbers={numbers}{extra}")


if __name__ == "__main__":
    main()
