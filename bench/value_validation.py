"""Honest validation of the value index: computed from what was known at grant, does it predict what
happened later? Temporal split on the real shared data, ROC AUC with bootstrap 95% intervals.

Design (fixed before any outcome was looked at; nothing is fitted, so every patent is test data):

* Profile: ``government_statistics`` from ipcockpit/value/profiles.yaml as committed (67716eb), and
  the default settings. Baselines have no parameters either.
* Universe: granted invention patents (not designs, plants, utility models) in the store.
* Temporal split, per patent: the cut-off is its grant date. Predictors use only what was known on
  that date; outcomes are what the data shows after it. The indicator table is computed by
  :func:`ipcockpit.value.indicators.indicator_table`, then every time-dependent indicator is
  recomputed at the patent's own cut-off:
  - forward citations (both counts) and generality are unknown at grant: NULL (a source's
    ``cited_by_count`` is a count at export time and is the outcome below, never a predictor);
  - transfers, licences, pledges, litigations and survived invalidations count only events dated on
    or before the cut-off (undated events count on neither side);
  - remaining term is measured at the grant date, the stage is ``young_grant``;
  - the applicant type ignores ``current_owner`` rows (an owner after a transfer);
  - family size and market coverage: the sources give the family as at export without member
    dates, so they cannot be cut at grant. The main run keeps them (as most validation studies do:
    families form within about 30 months of priority, mostly before grant) and says so; the
    ``strict`` rows drop them from the index and the PatSnap rule.
* Outcomes: (a) top-decile forward citations within the cohort (field x filing year, cohorts under 10
  pooled as the index pools them), from the source's citing count (Lens, Thomson: counted at export,
  years after grant); (b) any transfer, licence or litigation event dated after grant, on patents
  whose file carries such events; (c) the Thomson litigation flag; (d) MPEG-LA video-codec pool
  membership (benchmarks/landscaping_seeds/video_codec.seed.csv). An outcome with fewer than 10
  positives or negatives, or whose patents are not in the data, is reported as not evaluable, with why.
* Predictors: the value index (and the raw index, before its shrinkage towards the cohort); claims
  only; family size only; the PatSnap 30/30/20/20 rule (30 x cohort percentile of family forward
  citations, 30 x cohort percentile of family size, 20 when an inventor is a core inventor, 20 for
  any litigation, invalidation, licence or transfer event). A core inventor is in the top decile of
  inventors by number of documents in the store (name as normalised by the ingesters), counting the
  documents published on or before the cut-off. At grant the forward-citation term is unknown and
  scores 0.5 for every patent (a constant: it cannot change an AUC). Each predictor is evaluated on
  the patents where it is known (its ``n``).

Run: ``.venv/bin/python bench/value_validation.py [--db FILE] [--boot 1000] [--seed 7]``. The last
line is ``RESULT auc_index=<f> auc_claims=<f> auc_family=<f> auc_patsnap=<f> n=<int>`` for the main
outcome, (a); ``nan`` where a predictor is known for no patent of the outcome's sample.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.value.index import load_profiles, score_arrow  # noqa: E402
from ipcockpit.value.indicators import indicator_table  # noqa: E402

PROFILE = "government_statistics"
SOURCES = [
    "lens/drone_drones_fulltext_families_5884.csv",
    "lens/covid_jsonl",
    "thomson/synbio.xlsx",
    "uspto_xml/weekly_excerpts",
    "uspto_api/assignment",
    "classification/ipc_technology.csv",
]
POOL = "benchmarks/landscaping_seeds/video_codec.seed.csv"
LATEST = date(2026, 1, 1)  # the indicator table's as_of; every time-dependent column is recomputed below
MIN_CLASS = 10
EVENT_KEY = "concat_ws('|', e.event_date, e.code, e.raw_text, e.counterparty)"

UNIVERSE = """
    i.granted AND i.grant_date_eff IS NOT NULL AND coalesce(i.doc_type, 'invention') = 'invention'
    AND NOT (i.office = 'US' AND coalesce(i.kind, '') IN ('S', 'S1', 'P2', 'P3'))
"""

AT_GRANT_SQL = f"""
WITH u AS (
    SELECT i.*, d.app_date, d.cited_by_count, d.file_id FROM ind i JOIN documents d USING (doc_id)
    WHERE {UNIVERSE}
),
ev AS (
    SELECT e.doc_id,
        count(DISTINCT {EVENT_KEY}) FILTER (WHERE e.event_class = 'transfer'
                                            AND e.event_date <= u.grant_date_eff) AS tr,
        count(DISTINCT {EVENT_KEY}) FILTER (WHERE e.event_class = 'licence' AND e.event_date <= u.grant_date_eff) AS li,
        count(DISTINCT {EVENT_KEY}) FILTER (WHERE e.event_class = 'pledge' AND e.event_date <= u.grant_date_eff) AS pl,
        count(DISTINCT {EVENT_KEY}) FILTER (WHERE e.event_class = 'litigation'
                                            AND e.event_date <= u.grant_date_eff) AS lit,
        count(*) FILTER (WHERE e.event_class IN ('invalidation_request', 'invalidation_decision')
                         AND e.event_date <= u.grant_date_eff) AS inval,
        coalesce(bool_or(e.event_class = 'invalidation_decision' AND e.influence = '-'
                         AND e.event_date <= u.grant_date_eff), false) AS invalidated,
        count(*) FILTER (WHERE e.event_class IN ('transfer', 'licence', 'litigation')
                         AND e.event_date > u.grant_date_eff) AS later_tll
    FROM legal_events e JOIN u USING (doc_id) GROUP BY 1
),
owner AS (  -- as the indicator query, without current owners (known only after a transfer)
    SELECT doc_id, arg_min(type, (CASE role WHEN 'patentee' THEN 1 WHEN 'assignee' THEN 2 ELSE 3 END) * 100000
                                 + coalesce(seq, 99999)) AS type
    FROM parties WHERE role IN ('patentee', 'assignee', 'applicant') AND type IS NOT NULL GROUP BY 1
)
SELECT u.* EXCLUDE (app_date, cited_by_count, file_id) REPLACE (
    'young_grant' AS stage,
    NULL::VARCHAR AS forward_citations_source,
    NULL::BIGINT AS forward_citations,
    NULL::BIGINT AS forward_citations_5y,
    NULL::DOUBLE AS generality,
    CASE WHEN u.app_date IS NOT NULL AND u.grant_date_eff >= u.app_date
         THEN round(greatest((u.app_date + INTERVAL 20 YEAR)::DATE - u.grant_date_eff, 0) / 365.25, 3) END
         AS remaining_term,
    CASE WHEN u.transfers IS NOT NULL THEN coalesce(ev.tr, 0) END::BIGINT AS transfers,
    CASE WHEN u.licences IS NOT NULL THEN coalesce(ev.li, 0) END::BIGINT AS licences,
    CASE WHEN u.pledges IS NOT NULL THEN coalesce(ev.pl, 0) END::BIGINT AS pledges,
    CASE WHEN u.litigations IS NOT NULL THEN coalesce(ev.lit, 0) END::BIGINT AS litigations,
    CASE WHEN u.invalidation_survived IS NULL THEN NULL
         WHEN coalesce(ev.inval, 0) > 0 THEN (NOT ev.invalidated)::INT ELSE 0 END::BIGINT AS invalidation_survived,
    owner.type AS applicant_type
)
FROM u LEFT JOIN ev USING (doc_id) LEFT JOIN owner USING (doc_id)
"""

OUTCOME_SQL = f"""
WITH u AS (
    SELECT i.doc_id, i.grant_date_eff AS cut, i.transfers AS transfers_obs, i.licences AS licences_obs,
           i.litigations AS litigations_obs, d.cited_by_count, d.pub_date, f.format
    FROM ind i JOIN documents d USING (doc_id) LEFT JOIN source_files f ON f.file_id = d.file_id
    WHERE {UNIVERSE}
),
later AS (
    SELECT e.doc_id, count(*) AS n FROM legal_events e JOIN u USING (doc_id)
    WHERE e.event_class IN ('transfer', 'licence', 'litigation') AND e.event_date > u.cut GROUP BY 1
),
lit AS (SELECT DISTINCT doc_id FROM legal_events WHERE event_class = 'litigation'),
inv AS (SELECT DISTINCT doc_id, name_norm FROM inventors WHERE name_norm IS NOT NULL AND name_norm <> ''),
inv_docs AS (SELECT inv.name_norm, d.pub_date FROM inv JOIN documents d USING (doc_id)),
per_inventor AS (SELECT name_norm, count(*) AS n FROM inv_docs GROUP BY 1),
threshold AS (SELECT quantile_disc(n, 0.9) AS t FROM per_inventor),
core AS (  -- an inventor of the patent had at least the top-decile count of documents by its grant date
    SELECT u.doc_id, max(c.n) AS best FROM u JOIN inv USING (doc_id)
    JOIN LATERAL (SELECT count(*) AS n FROM inv_docs x WHERE x.name_norm = inv.name_norm
                  AND x.pub_date <= u.cut) c ON true
    GROUP BY 1
)
SELECT u.doc_id, u.format, u.cited_by_count,
       CASE WHEN coalesce(u.transfers_obs, u.licences_obs, u.litigations_obs) IS NOT NULL
            THEN coalesce(later.n, 0) > 0 END AS later_event,
       CASE WHEN u.format = 'thomson-xlsx' THEN u.doc_id IN (SELECT doc_id FROM lit) END AS litigation_flag,
       CASE WHEN core.doc_id IS NOT NULL THEN core.best >= (SELECT t FROM threshold) END AS core_inventor,
       (SELECT t FROM threshold) AS core_threshold
FROM u LEFT JOIN later USING (doc_id) LEFT JOIN core USING (doc_id)
"""


def shared_data() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    for c in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data", Path("/work/shared/data")]:
        if (c / "MANIFEST.md").exists():
            return c
    sys.exit("shared data not found; set IPCOCKPIT_SHARED_DATA to the shared data folder")


# statistics --------------------------------------------------------------------------------------
def auc(score: np.ndarray, label: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney, ties count one half); nan when a class is empty."""
    pos = int(label.sum())
    neg = len(label) - pos
    if pos == 0 or neg == 0:
        return math.nan
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def bootstrap(score: np.ndarray, label: np.ndarray, boots: int, rng: np.random.Generator) -> tuple[float, float]:
    """Percentile 95% interval of the AUC over ``boots`` resamples of the patents."""
    n = len(label)
    values = []
    for _ in range(boots):
        idx = rng.integers(0, n, n)
        a = auc(score[idx], label[idx])
        if not math.isnan(a):
            values.append(a)
    if not values:
        return math.nan, math.nan
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def mid_pct(values: pd.Series, groups: pd.Series) -> pd.Series:
    """Mid-rank percentile within each group (as the index computes it); NaN stays NaN."""
    frame = pd.DataFrame({"v": values, "g": groups})
    known = frame["v"].notna()
    out = pd.Series(np.nan, index=frame.index)
    ranks = frame[known].groupby("g")["v"].rank(method="average")
    sizes = frame[known].groupby("g")["v"].transform("count")
    out[known] = (ranks - 0.5) / sizes
    return out


def pooled_cohorts(field: pd.Series, year: pd.Series, min_size: int) -> pd.Series:
    """Field x year; cohorts under ``min_size`` pooled by field, then into one: the index's rule."""
    year_s = year.astype("Int64").astype(str).replace("<NA>", "?")
    key = field.fillna("unknown") + "|" + year_s
    size = key.map(key.value_counts())
    small = size < min_size
    by_field = field.fillna("unknown")[small]
    field_size = by_field.map(by_field.value_counts())
    key = key.copy()
    key[small] = np.where(field_size >= min_size, by_field + "|*", "*|*")
    return key


def top_decile(values: pd.Series, cohort: pd.Series) -> pd.Series:
    """True when fewer than 10% of the cohort have a strictly higher value (and the value is above 0)."""
    frame = pd.DataFrame({"v": values, "c": cohort})
    higher = frame.groupby("c")["v"].rank(method="max", ascending=False) - frame.groupby("c")["v"].transform(
        lambda s: s.map(s.value_counts()))
    size = frame.groupby("c")["v"].transform("count")
    return (higher < 0.1 * size) & (frame["v"] > 0)


# pipeline ----------------------------------------------------------------------------------------
def build_store(db: Path, root: Path) -> float:
    start = time.perf_counter()
    with Cockpit(db=db) as cockpit:
        reports = cockpit.ingest([root / s for s in SOURCES])
    errors = [r for r in reports if r.error]
    print(f"ingested {len(reports)} files ({len(errors)} skipped with a message) from {len(SOURCES)} sources "
          f"in {time.perf_counter() - start:.1f} s")
    return time.perf_counter() - start


def frames(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(at-grant indicator table scored both ways, outcomes), one row per patent of the universe."""
    ind = indicator_table(con, as_of=LATEST)
    con.register("ind", ind)
    try:
        at_grant = con.sql(AT_GRANT_SQL).to_arrow_table()
        outcomes = con.sql(OUTCOME_SQL).df()
    finally:
        con.unregister("ind")
    profiles = load_profiles()
    scored = score_arrow(con, at_grant, PROFILE, profiles).to_pandas()
    strict_input = at_grant.set_column(at_grant.schema.get_field_index("family_size"), "family_size",
                                       pa.nulls(len(at_grant), pa.int64()))
    strict_input = strict_input.set_column(strict_input.schema.get_field_index("market_coverage"),
                                           "market_coverage", pa.nulls(len(at_grant), pa.float64()))
    strict = score_arrow(con, strict_input, PROFILE, profiles).to_pandas()[["doc_id", "value_index"]]
    scored = scored.merge(strict.rename(columns={"value_index": "value_index_strict"}), on="doc_id")
    return scored, outcomes


def predictors(df: pd.DataFrame) -> dict[str, pd.Series]:
    """The predictors: index (main and strict), claims, family size, PatSnap rule (main and strict), and
    each dimension score of the main index on its own (which part carries the signal)."""
    fam_pct = mid_pct(df["family_size"].astype(float), df["cohort"])
    events = df[["litigations", "licences", "transfers", "invalidation_survived"]].fillna(0).sum(axis=1) > 0
    core = df["core_inventor"].fillna(False).astype(bool)
    fixed = 30 * 0.5 + 20 * core + 20 * events  # forward citations unknown at grant: the same 0.5 for all
    return {
        "value index (at grant)": df["value_index"],
        "value index, strict (no undated family)": df["value_index_strict"],
        "value index, raw (not shrunk)": df["value_index_raw"],
        "claims only": df["claims"].astype(float),
        "family size only": df["family_size"].astype(float),
        "PatSnap 30/30/20/20": fixed + 30 * fam_pct.fillna(0.0),
        "PatSnap, strict (no family)": fixed.astype(float),
        "  index: legal dimension only": df["legal_score"],
        "  index: technical dimension only": df["technical_score"],
        "  index: economic dimension only": df["economic_score"],
    }


def evaluate(name: str, sample: pd.DataFrame, label: pd.Series, boots: int, rng: np.random.Generator,
             lines: list[str]) -> dict[str, float]:
    pos = int(label.sum())
    lines.append(f"\n({name}) n={len(sample)} positives={pos} ({pos / max(len(sample), 1):.1%})")
    results: dict[str, float] = {}
    if min(pos, len(sample) - pos) < MIN_CLASS:
        lines.append(f"  not evaluable: fewer than {MIN_CLASS} patents in a class")
        return results
    lines.append(f"  {'predictor':42} {'n':>6} {'pos':>5} {'AUC':>6}  95% bootstrap interval")
    for pname, values in predictors(sample).items():
        known = values.notna().to_numpy()
        s, y = values.to_numpy(dtype=float)[known], label.to_numpy(dtype=bool)[known]
        a = auc(s, y)
        lo, hi = bootstrap(s, y, boots, rng) if not math.isnan(a) else (math.nan, math.nan)
        results[pname] = a
        lines.append(f"  {pname:42} {int(known.sum()):>6} {int(y.sum()):>5} {a:>6.3f}  [{lo:.3f}, {hi:.3f}]")
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="an existing store to use instead of ingesting the sources")
    ap.add_argument("--boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    root = shared_data()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "validation.duckdb"
        if not args.db:
            build_store(db, root)
        con = duckdb.connect(str(db), read_only=True)
        try:
            scored, outcomes = frames(con)
            pool = [ln.strip() for ln in (root / POOL).read_text().splitlines() if ln.strip().isdigit()]
            pool_docs, pool_cited = con.execute("""
                SELECT count(DISTINCT d.doc_id) FILTER (WHERE NOT coalesce(d.stub, false)),
                       (SELECT count(DISTINCT p.n) FROM citations c JOIN (SELECT unnest($1) AS n) p
                          ON regexp_replace(coalesce(c.cited_doc_id, c.cited_raw), '^US0*|[A-Z][0-9]?$', '', 'g') = p.n)
                FROM documents d JOIN (SELECT unnest($1) AS n) p ON d.office = 'US' AND ltrim(d.number, '0') = p.n
            """, [pool]).fetchone()
            assign = con.execute("""
                SELECT count(DISTINCT e.doc_id), count(DISTINCT e.doc_id) FILTER (WHERE NOT coalesce(d.stub, true))
                FROM legal_events e JOIN source_files f USING (file_id) LEFT JOIN documents d USING (doc_id)
                WHERE f.format = 'uspto-assignment-xml'""").fetchone()
        finally:
            con.close()
    df = scored.merge(outcomes, on="doc_id")
    lines = [f"universe: {len(df)} granted invention patents; profile {PROFILE} (fixed, not tuned); "
             "predictors known at each patent's grant date, outcomes after it",
             f"core inventor: at least {int(df['core_threshold'].iloc[0])} documents in the store by the cut-off "
             "(top decile of inventors)"]
    # (a) top-decile forward citations within the cohort
    cit = df[df["cited_by_count"].notna()].copy()
    cit["outcome_cohort"] = pooled_cohorts(cit["cohort_field"], cit["cohort_year"], 10)
    label_a = top_decile(cit["cited_by_count"].astype(float), cit["outcome_cohort"])
    srcs = ", ".join(f"{k} {v}" for k, v in cit["format"].value_counts().items())
    lines.append(f"\noutcome (a) sources: {srcs}; {cit['outcome_cohort'].nunique()} cohorts")
    main_res = evaluate("a: top-decile forward citations in cohort, counted by the source after grant", cit,
                        label_a, args.boot, rng, lines)
    # (b) transfer / licence / litigation after grant
    ev = df[df["later_event"].notna()].copy()
    srcs = ", ".join(f"{k} {v}" for k, v in ev["format"].value_counts().items())
    lines.append(f"\noutcome (b) sources: {srcs}")
    evaluate("b: transfer, licence or litigation dated after grant", ev, ev["later_event"].astype(bool),
             args.boot, rng, lines)
    # (c) Thomson litigation flag
    th = df[df["litigation_flag"].notna()].copy()
    evaluate("c: Thomson US litigation flag (granted patents of the synbio export)", th,
             th["litigation_flag"].astype(bool), args.boot, rng, lines)
    # (d) MPEG-LA pool and (e) USPTO assignment fixtures
    lines.append(f"\n(d) MPEG-LA video-codec pool: {len(pool)} US patent numbers; {pool_docs} are documents in the "
                 f"store, {pool_cited} appear only as cited references. The shared data holds no bibliographic "
                 "record of the pool patents or of same-cohort peers, so membership cannot be predicted here: "
                 "not evaluable (load the pool patents' full text, e.g. USPTO grant XML, to run it).")
    lines.append(f"(e) USPTO assignment fixtures: transfers/pledges on {assign[0]} patents, {assign[1]} of them "
                 "with a record in the store: not evaluable.")
    print("\n".join(lines))
    pick = ["value index (at grant)", "claims only", "family size only", "PatSnap 30/30/20/20"]
    vals = [main_res.get(k, math.nan) for k in pick]
    print(f"RESULT auc_index={vals[0]:.4f} auc_claims={vals[1]:.4f} auc_family={vals[2]:.4f} "
          f"auc_patsnap={vals[3]:.4f} n={len(cit)}")


if __name__ == "__main__":
    main()
