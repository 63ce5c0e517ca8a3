"""Value-index scale: N synthetic patents fitted to the real data, scored on DuckDB, against pandas.

1. Fit. The real sources below are ingested into a temporary store and their indicator table is
   computed (ipcockpit.value.indicators). For every numeric indicator the share of NULLs and 1,001
   quantiles of the non-null values are kept; categorical columns (stage, forward-citation source,
   applicant type) keep their frequencies, and (technology field, filing year) is drawn as a pair.
2. Sample. N rows are drawn column by column (independently) by inverse CDF from those quantiles
   (integers stay integers), in DuckDB.
3. Time the full index on DuckDB, 2 threads: the SQL the scoring ibis expression compiles to
   (cohorts, cohort percentiles of every indicator, dimension scores and confidence, raw index, its
   shrinkage towards the cohort's mean), materialised as a table; the compile time is counted.
4. Baseline: a straightforward pandas implementation of the same scoring, row by row
   (``DataFrame.apply`` over rows; per-cohort sorted arrays looked up with ``searchsorted``). The
   per-cohort arrays are built over all N rows and timed in full; the row-wise part runs on a
   subsample (``--baseline-rows``) and is extrapolated linearly to N. Its results are compared with
   DuckDB's raw index on the subsample; it leaves out the shrinkage (which needs every row's raw index
   for the cohort means), so its time is, if anything, too short.
5. ``--spark``: the same ibis expression compiled for Spark SQL, on local Spark (``local[2]``) over
   the rows written as Parquet, forced with a no-op write.

Last line: ``RESULT rows=<int> seconds=<float> baseline_seconds=<float> baseline_ratio=<float>``
(``baseline_ratio`` = baseline seconds / DuckDB seconds). Run:
``.venv/bin/python bench/screen_scale.py --rows 1000000 [--spark] [--profile NAME]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.value.index import (  # noqa: E402
    DIMENSIONS,
    STAGES,
    load_profiles,
    score_expr,
    score_into,
    score_sql,
    stage_weights,
)
from ipcockpit.value.indicators import INDICATORS, indicator_table  # noqa: E402

SOURCES = [
    "uspto_xml/weekly_excerpts",
    "thomson/synbio.xlsx",
    "lens/drone_drones_fulltext_families_5884.csv",
    "classification/ipc_technology.csv",
]
AS_OF = date(2025, 1, 1)
CATEGORICAL = ["stage", "forward_citations_source", "applicant_type"]
NUMERIC = [i for i in INDICATORS if i != "applicant_type"]
#: real-valued indicators drawn with interpolation, rounded as the indicator query rounds them;
#: the others (counts, and market coverage: a sum over a few dozen country weights) are drawn as is
ROUNDED = {"grant_lag": 3, "remaining_term": 3, "generality": 4, "originality": 4, "radicalness": 4}


def shared_data() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    for c in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data", Path("/work/shared/data")]:
        if (c / "MANIFEST.md").exists():
            return c
    sys.exit("shared data not found; set IPCOCKPIT_SHARED_DATA")


# 1-2. fit and sample --------------------------------------------------------------------------------
def real_indicators(folder: Path) -> pa.Table:
    root = shared_data()
    with Cockpit(db=folder / "real.duckdb") as cockpit:
        cockpit.ingest([root / s for s in SOURCES])
        return indicator_table(cockpit.store.con, as_of=AS_OF)


def fit(real: pa.Table) -> dict[str, Any]:
    df = real.to_pandas()
    model: dict[str, Any] = {"rows": len(df), "numeric": {}, "categorical": {}}
    for col in NUMERIC:
        values = df[col].dropna().to_numpy(dtype=float)
        discrete = col not in ROUNDED
        q = np.quantile(values, np.linspace(0, 1, 1001), method="inverted_cdf" if discrete else "linear") \
            if len(values) else np.array([])
        model["numeric"][col] = {"nulls": 1 - len(values) / len(df), "q": q, "discrete": discrete,
                                 "integer": pa.types.is_integer(real.schema.field(col).type)}
    for col in CATEGORICAL:
        freq = df[col].fillna("\x00").value_counts(normalize=True)
        model["categorical"][col] = freq
    pairs = (df["cohort_field"] + "~" + df["cohort_year"].astype("Int64").astype(str).replace("<NA>", "")).to_numpy()
    model["cohorts"] = pairs
    return model


def _sql_list(values: Any) -> str:
    return "[" + ", ".join(repr(v) if isinstance(v, str) else f"{float(v)!r}" for v in values) + "]"


def synthesise(con: duckdb.DuckDBPyConnection, model: dict[str, Any], rows: int) -> None:
    """N rows drawn by inverse CDF, column by column; integers from the quantiles, reals interpolated."""
    uniforms = ", ".join(f"random() AS u_{c}, random() AS n_{c}" for c in NUMERIC)
    cols = ["'S' || i::VARCHAR AS doc_id", "'XX' AS office", "'B1' AS kind", "'invention' AS doc_type",
            "NULL::BOOLEAN AS granted", "NULL::DATE AS grant_date_eff"]
    pairs = model["cohorts"]
    cols.append(f"{_sql_list(pairs)}[1 + floor(random() * {len(pairs)})::INT] AS _pair")
    cols.append(_categorical("stage", model["categorical"]["stage"]))
    for col in NUMERIC:
        spec = model["numeric"][col]
        size = len(spec["q"])
        if not size:
            cols.append(f"NULL::DOUBLE AS {col}")
            continue
        q = _sql_list(spec["q"])
        if spec["discrete"]:
            draw = f"{q}[1 + least(floor(u_{col} * {size})::INT, {size - 1})]"
            draw += "::BIGINT" if spec["integer"] else ""
        else:
            k, frac = f"(1 + floor(u_{col} * {size - 1})::INT)", f"(u_{col} * {size - 1} - floor(u_{col} * {size - 1}))"
            draw = f"round({q}[{k}] + ({q}[least({k} + 1, {size})] - {q}[{k}]) * {frac}, {ROUNDED[col]})"
        cols.append(f"CASE WHEN n_{col} < {spec['nulls']!r} THEN NULL ELSE {draw} END AS {col}")
    for col in ["forward_citations_source", "applicant_type"]:
        cols.append(_categorical(col, model["categorical"][col]))
    con.execute(f"CREATE TABLE synth_raw AS SELECT {', '.join(cols)} "
                f"FROM (SELECT i, {uniforms} FROM range({rows}) r(i))")
    con.execute("""
        CREATE TABLE synth AS SELECT * EXCLUDE (_pair, forward_citations_source),
            split_part(_pair, '~', 1) AS cohort_field, split_part(_pair, '~', 1) AS cohort_field_name,
            nullif(split_part(_pair, '~', 2), '')::INTEGER AS cohort_year,
            CASE WHEN forward_citations IS NULL THEN NULL ELSE forward_citations_source END AS forward_citations_source
        FROM synth_raw""")
    con.execute("DROP TABLE synth_raw")


def _categorical(col: str, freq: pd.Series) -> str:
    edges, acc = [], 0.0
    for value, p in freq.items():
        acc += float(p)
        out = "NULL" if value == "\x00" else repr(value)
        edges.append(f"WHEN u < {acc!r} THEN {out}")
    return (f"(SELECT CASE {' '.join(edges[:-1])} ELSE {edges[-1].split('THEN ')[1]} END "
            f"FROM (SELECT random() AS u)) AS {col}")


# 4. the pandas row-wise baseline --------------------------------------------------------------------
class RowWise:
    """The same scoring written the plain way: per-cohort sorted arrays, then one Python call per row."""

    def __init__(self, df: pd.DataFrame, profiles: dict[str, Any], profile: str) -> None:
        self.meta = profiles["indicators"]
        self.settings = profiles.get("settings", {})
        self.weights = {s: stage_weights(profiles, profile, s) for s in STAGES}
        self.used = sorted({i for w in self.weights.values() for i in w["indicators"]})
        k = int(self.settings.get("min_cohort_size", 10))
        year = df["cohort_year"].astype("Int64").astype(str)
        n1 = df.groupby([df["cohort_field"], year])["doc_id"].transform("size")
        small = n1 < k
        n2 = df[small].groupby(df["cohort_field"][small])["doc_id"].transform("size").reindex(df.index)
        cohort = np.where(n1 >= k, df["cohort_field"] + "|" + year,
                          np.where(n2.fillna(0) >= k, df["cohort_field"] + "|*", "*|*"))
        self.cohort = pd.Series(cohort, index=df.index)
        fc = self.cohort + "|" + df["forward_citations_source"].fillna("-")
        self.sorted: dict[str, dict[str, np.ndarray]] = {}
        for col in self.used:
            if self.meta[col]["direction"] == "categorical":
                continue
            key = fc if col == "forward_citations" else self.cohort
            s = df[col].dropna()
            self.sorted[col] = {c: np.sort(v.to_numpy(dtype=float)) for c, v in s.groupby(key[s.index])}

    def score(self, row: pd.Series) -> float | None:
        cap = float(self.settings.get("cap", 0.99))
        w = self.weights[row["stage"]]
        num_i = den_i = 0.0
        for d in DIMENSIONS:
            num = den = tot = 0.0
            for i in self.used:
                if self.meta[i]["dimension"] != d:
                    continue
                wi = w["indicators"].get(i, 0.0)
                tot += wi
                value = row[i]
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    continue
                if self.meta[i]["direction"] == "categorical":
                    sc = w["applicant_type_scores"].get(value)
                    if sc is None:
                        continue
                else:
                    key = row["_cohort"] + "|" + (row["forward_citations_source"] or "-") \
                        if i == "forward_citations" else row["_cohort"]
                    arr = self.sorted[i][key]
                    lo, hi = np.searchsorted(arr, value, "left"), np.searchsorted(arr, value, "right")
                    pct = (lo + (hi - lo) / 2) / len(arr)
                    if self.meta[i]["direction"] == "lower":
                        pct = 1 - pct
                    sc = min(pct, cap) / cap
                num += wi * sc
                den += wi
            if den > 0 and tot > 0:
                conf = den / tot
                num_i += w["dimensions"][d] * conf * (num / den * 100)
                den_i += w["dimensions"][d] * conf
        return num_i / den_i if den_i > 0 else None


def baseline(con: duckdb.DuckDBPyConnection, profiles: dict[str, Any], profile: str, rows: int,
             sample_rows: int) -> tuple[float, pd.DataFrame]:
    df = con.sql("SELECT * EXCLUDE (office, kind, doc_type, granted, grant_date_eff, cohort_field_name) "
                 "FROM synth").to_df()
    t0 = time.perf_counter()
    scorer = RowWise(df, profiles, profile)
    prep = time.perf_counter() - t0
    sub = df.sample(n=min(sample_rows, rows), random_state=7) if sample_rows < rows else df
    sub = sub.assign(_cohort=scorer.cohort[sub.index])
    sub = sub.astype(object).where(sub.notna(), None)
    t1 = time.perf_counter()
    scores = sub.apply(scorer.score, axis=1)
    per_row = (time.perf_counter() - t1) / len(sub)
    total = prep + per_row * rows
    note = f"extrapolated from {len(sub):,} rows" if len(sub) < rows else "all rows"
    print(f"pandas row-wise: cohort arrays over all {rows:,} rows {prep:.2f} s; apply {per_row * 1e6:.1f} us/row "
          f"({note}); total {total:.2f} s")
    return total, pd.DataFrame({"doc_id": sub["doc_id"].to_numpy(), "pandas_index": scores.to_numpy()})


# 3 and 5: DuckDB and Spark -----------------------------------------------------------------------
def run_duckdb(con: duckdb.DuckDBPyConnection, profiles: dict[str, Any], profile: str) -> float:
    t0 = time.perf_counter()
    schema = con.sql("SELECT * FROM synth LIMIT 0").to_arrow_table().schema
    score_sql(schema, profiles, profile, "synth")  # compiled here, cached for score_into
    compiled = time.perf_counter() - t0
    score_into(con, "synth", profiles, profile, into="scored")
    total = time.perf_counter() - t0
    n, scored = con.execute("SELECT count(*), count(value_index) FROM scored").fetchall()[0]
    print(f"duckdb: {total:.2f} s (ibis compile {compiled:.2f} s), {n:,} rows, {scored:,} with a value index")
    return total


def run_spark(con: duckdb.DuckDBPyConnection, folder: Path, profiles: dict[str, Any], profile: str) -> None:
    import ibis

    from ipcockpit.analytics.spark import local_session

    path = folder / "synth.parquet"
    con.execute(f"COPY synth TO '{path}' (FORMAT parquet)")
    session = local_session(cores=2, memory="6g")
    try:
        session.read.parquet(str(path)).createOrReplaceTempView("synth")
        backend = ibis.pyspark.connect(session)
        t0 = time.perf_counter()
        sql = str(backend.compile(score_expr(backend.table("synth"), profiles, profile)))
        session.sql(sql).write.format("noop").mode("overwrite").save()
        took = time.perf_counter() - t0
        con.execute(f"COPY (SELECT doc_id, value_index FROM scored) TO '{folder / 'duck.parquet'}' (FORMAT parquet)")
        session.sql(sql).createOrReplaceTempView("spark_scored")
        session.read.parquet(str(folder / "duck.parquet")).createOrReplaceTempView("duck_scored")
        n, diff, missing = session.sql(
            "SELECT count(*), max(abs(s.value_index - d.value_index)), "
            "sum(CASE WHEN (s.value_index IS NULL) <> (d.value_index IS NULL) THEN 1 ELSE 0 END) "
            "FROM spark_scored s JOIN duck_scored d ON s.doc_id = d.doc_id").collect()[0]
        print(f"spark local[2]: {took:.2f} s; same value index as duckdb on {n:,} rows "
              f"(largest difference {diff or 0:.2e}, {missing} differ in being null)")
    finally:
        session.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--profile", default="government_statistics")
    parser.add_argument("--baseline-rows", type=int, default=20_000, help="rows the row-wise baseline scores")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory", default="4GB", help="DuckDB memory limit (it spills beyond)")
    parser.add_argument("--spark", action="store_true", help="also run on local Spark (local[2])")
    args = parser.parse_args()
    profiles = load_profiles()
    with tempfile.TemporaryDirectory(prefix="screen_scale_") as tmp:
        folder = Path(tmp)
        real = real_indicators(folder)
        model = fit(real)
        print(f"synthetic rows fitted to the real data of: {', '.join(SOURCES)} "
              f"({model['rows']:,} documents; per column: NULL share and 1,001 quantiles; "
              f"field x year pairs and categories by frequency)")
        con = duckdb.connect(str(folder / "bench.duckdb"))
        con.execute(f"SET threads = {args.threads}")
        con.execute(f"SET memory_limit = '{args.memory}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SELECT setseed(0.42)").fetchall()
        t0 = time.perf_counter()
        synthesise(con, model, args.rows)
        print(f"sampled {args.rows:,} rows in {time.perf_counter() - t0:.1f} s")
        seconds = run_duckdb(con, profiles, args.profile)
        base_seconds, base_scores = baseline(con, profiles, args.profile, args.rows, args.baseline_rows)
        con.register("base_scores", base_scores)
        diff, n = con.execute("""SELECT max(abs(b.pandas_index - s.value_index_raw)), count(*) FROM base_scores b
                                 JOIN scored s USING (doc_id)""").fetchall()[0]
        print(f"pandas and duckdb agree on {n:,} rows: largest difference {diff:.2e} index points")
        if args.spark:
            run_spark(con, folder, profiles, args.profile)
        con.close()
    print(f"RESULT rows={args.rows} seconds={seconds:.3f} baseline_seconds={base_seconds:.3f} "
          f"baseline_ratio={base_seconds / seconds:.3f}")


if __name__ == "__main__":
    main()
