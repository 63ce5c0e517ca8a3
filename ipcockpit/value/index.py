"""The value index: cohort percentiles of the indicators, weighted per role and stage, with explanations.

The scoring is one ibis expression (:func:`score_expr`) over the indicator table, so the same code runs
on DuckDB and on Spark (bench/screen_scale.py runs both). Formulas (docs/value_index.md):

* cohort = technology field x filing year; a cohort smaller than ``min_cohort_size`` is pooled with
  the other small cohorts of its field (all years), and what is still too small with all such rows;
* percentile p = (documents below + half the ties) / documents with the indicator in the cohort,
  reversed (1 - p) when lower is better; score s = min(p, cap) / cap (capped as the OECD caps at p99);
* dimension score S_d = 100 * sum(w_i s_i) / sum(w_i) over the AVAILABLE indicators of d;
  confidence c_d = sum(w_i available) / sum(w_i all);
* raw index R = sum_d(W_d c_d S_d) / sum_d(W_d c_d) (``value_index_raw``); None when no indicator is
  available; confidence c = sum_d(W_d c_d);
* shrunk towards the cohort by the confidence (empirical Bayes): m = sum(c R) / sum(c) over the cohort
  (``cohort_mean``), lambda = c / (c + k (1 - c)) with k = ``settings.shrinkage`` (default 1), and
  value_index = m + lambda (R - m). With k = 1 it is the index the whole profile would give if every
  missing indicator scored the cohort's mean; rankings use it.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any, cast

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from ibis.expr.types import Table

from ipcockpit import memo
from ipcockpit.errors import IPCockpitError
from ipcockpit.i18n import catalogue
from ipcockpit.value.indicators import INDICATORS, indicator_table

PROFILES_YAML = Path(__file__).with_name("profiles.yaml")
STAGES = ("application", "young_grant", "mature_grant")
DIMENSIONS = ("legal", "technical", "economic")
INPUT_VIEW = "_vi_input"


class ProfileError(IPCockpitError):
    """A profiles YAML names an unknown indicator, dimension or stage, or a weight that is not a number."""


# profiles ---------------------------------------------------------------------------------------
def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for section in ("settings", "dimensions", "indicators", "applicant_type_scores", "profiles"):
        if section in extra:
            out.setdefault(section, {}).update(copy.deepcopy(extra[section] or {}))
    return out


def load_profiles(path: str | Path | None = None) -> dict[str, Any]:
    """The default profiles, with the sections of ``path`` (a YAML of the same layout) merged over them."""
    with PROFILES_YAML.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    if path is not None:
        try:
            with Path(path).open(encoding="utf-8") as f:
                extra = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ProfileError(f"{path}: cannot read the profiles YAML ({exc}); fix the file or its path") from exc
        if not isinstance(extra, dict):
            raise ProfileError(f"{path}: expected a mapping with 'profiles:' at the top level")
        data = _merge(data, extra)
        data["source"] = str(path)
    _validate(data, str(path or PROFILES_YAML))
    return data


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ProfileError(f"{where}: weight {value!r} is not a non-negative number; write e.g. 1 or 0.5")
    return float(value)


def shrinkage(profiles: dict[str, Any], source: str = "profiles") -> float:
    """The shrinkage strength k of ``settings.shrinkage`` (default 1; 0 keeps the raw index)."""
    return _number(profiles.get("settings", {}).get("shrinkage", 1.0), f"{source}: settings.shrinkage")


def _validate(data: dict[str, Any], source: str) -> None:
    shrinkage(data, source)
    for name, meta in data.get("indicators", {}).items():
        if name not in INDICATORS:
            raise ProfileError(f"{source}: indicators.{name} is not an indicator; use one of {', '.join(INDICATORS)}")
        if meta.get("dimension") not in DIMENSIONS:
            raise ProfileError(f"{source}: indicators.{name}.dimension must be one of {', '.join(DIMENSIONS)}")
        if meta.get("direction") not in ("higher", "lower", "categorical"):
            raise ProfileError(f"{source}: indicators.{name}.direction must be higher, lower or categorical")
    for pname in data.get("profiles", {}):
        for stage in STAGES:
            stage_weights(data, pname, stage, source)


def stage_weights(profiles: dict[str, Any], profile: str, stage: str, source: str = "profiles") -> dict[str, Any]:
    """The weights of one profile at one stage: ``{"dimensions": {d: W (sum 1)}, "indicators": {i: w > 0}}``."""
    if profile not in profiles.get("profiles", {}):
        raise ProfileError(f"{source}: no profile {profile!r}; choose one of {', '.join(profiles.get('profiles', {}))}")
    p = profiles["profiles"][profile] or {}
    stages = p.get("stages") or {}
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ProfileError(f"{source}: profiles.{profile}.stages.{sorted(unknown)[0]} is not a stage; "
                           f"use {', '.join(STAGES)}")
    block = stages.get(stage) or {}
    dims = dict(block.get("dimensions") or p.get("dimensions") or {})
    inds = dict(p.get("indicators") or {})
    inds.update(block.get("indicators") or {})
    where = f"{source}: profiles.{profile} ({stage})"
    for d in dims:
        if d not in DIMENSIONS:
            raise ProfileError(f"{where}: dimension {d!r} is unknown; use {', '.join(DIMENSIONS)}")
    for i in inds:
        if i not in profiles.get("indicators", {}):
            raise ProfileError(f"{where}: indicator {i!r} is unknown; use one of {', '.join(profiles['indicators'])}")
    dims = {d: _number(w, f"{where}.dimensions.{d}") for d, w in dims.items()}
    total = sum(dims.values())
    if total <= 0:
        raise ProfileError(f"{where}: the dimension weights sum to 0; give at least one a positive weight")
    weights = {i: _number(w, f"{where}.indicators.{i}") for i, w in inds.items()}
    scores = dict(profiles.get("applicant_type_scores") or {})
    scores.update(p.get("applicant_type_scores") or {})
    return {"dimensions": {d: dims.get(d, 0.0) / total for d in DIMENSIONS},
            "indicators": {i: w for i, w in weights.items() if w > 0},
            "applicant_type_scores": {k: _number(v, f"{where}.applicant_type_scores.{k}") for k, v in scores.items()}}


# the portable scoring expression -----------------------------------------------------------------
def _double(value: float) -> ibis.Value:
    """A DOUBLE literal on every engine: ibis writes ``0.35``, which DuckDB reads as a DECIMAL."""
    return ibis.literal(repr(float(value))).cast("float64")


def _per_stage(stage: ibis.Value, values: dict[str, float]) -> ibis.Value:
    if len(set(values.values())) == 1:
        return _double(next(iter(values.values())))
    return ibis.cases(*[(stage == s, _double(v)) for s, v in values.items()])


def cohort_expr(t: Table, profiles: dict[str, Any]) -> Table:
    """Add ``cohort``, ``cohort_size`` and ``forward_cohort`` to an indicator table.

    The cohort is field x year; the rows of cohorts smaller than ``min_cohort_size`` are pooled by
    field (all years), and what is still too small is pooled into one cohort ``*|*``. Forward
    citations are ranked within ``forward_cohort``: a count the source gives and a count of citing
    documents in the corpus are not compared with each other.
    """
    min_size = int(profiles.get("settings", {}).get("min_cohort_size", 10))
    t = t.mutate(_year=t.cohort_year.cast("string").fill_null("?"))
    a = t.group_by(["cohort_field", "_year"]).aggregate(_n1=ibis._.count())
    small = a.filter(a._n1 < min_size).group_by("cohort_field").aggregate(_n2=ibis._._n1.sum())
    m = a.left_join(small, "cohort_field").drop("cohort_field_right")
    m = m.mutate(cohort=ibis.cases(
        (m._n1 >= min_size, m.cohort_field + "|" + m._year),
        (m._n2.fill_null(0) >= min_size, m.cohort_field + "|*"),
        else_=ibis.literal("*|*")))
    sizes = m.group_by("cohort").aggregate(cohort_size=ibis._._n1.cast("float64").sum().cast("int64"))
    m = m.join(sizes, "cohort").select("cohort_field", "_year", "cohort", "cohort_size")
    t = t.join(m, ["cohort_field", "_year"]).drop("_year")
    return t.mutate(forward_cohort=t.cohort + "|" + t.forward_citations_source.fill_null("-"))


def _percentile(t: Table, col: str, key: str, direction: str, cap: float) -> Table:
    """``(cohort, value) -> pct_<col>, sc_<col>``: the mid-rank percentile in the cohort, and its capped
    score (0-1). Grouping by value first keeps the window small: one row per distinct value and cohort."""
    c, v = f"_c_{col}", f"_v_{col}"
    base = t.filter(t[col].notnull()).group_by([t[key].name(c), t[col].name(v)]).aggregate(
        _n=ibis._.count().cast("float64"))
    cum = base._n.sum().over(ibis.window(group_by=c, order_by=v, rows=(None, 0)))
    tot = base._n.sum().over(ibis.window(group_by=c))
    mid = (cum - base._n * _double(0.5)) / tot
    pct = (_double(1.0) - mid) if direction == "lower" else mid
    g = base.select(c, v, pct.name(f"pct_{col}"))
    return g.mutate((ibis.least(g[f"pct_{col}"], _double(cap)) / _double(cap)).name(f"sc_{col}"))


def score_expr(t: Table, profiles: dict[str, Any], profile: str, *, with_cohorts: bool = False) -> Table:
    """Scores for every row of an indicator table (one ibis expression: DuckDB and Spark alike).

    ``t`` is the indicator table, or with ``with_cohorts`` the output of :func:`cohort_expr` (which
    lets an engine materialise the cohorts once). Adds ``cohort``, ``cohort_size``,
    ``pct_<indicator>``, ``sc_<indicator>``, ``<dimension>_score``, ``<dimension>_confidence``,
    ``value_index_raw``, ``confidence``, ``cohort_mean`` and ``value_index`` (the raw index shrunk
    towards ``cohort_mean`` by the confidence).
    """
    cap = float(profiles.get("settings", {}).get("cap", 0.99))
    weights = {s: stage_weights(profiles, profile, s) for s in STAGES}
    used = sorted({i for w in weights.values() for i in w["indicators"]})
    meta = profiles["indicators"]
    base = t if with_cohorts else cohort_expr(t, profiles)
    out = base
    lookup_keys: list[str] = []
    for col in used:  # every lookup is built from `base` and joined in one chain: the SQL grows linearly
        if meta[col]["direction"] == "categorical":
            continue
        key = "forward_cohort" if col == "forward_citations" else "cohort"
        g = _percentile(base, col, key, meta[col]["direction"], cap)
        c, v = f"_c_{col}", f"_v_{col}"
        out = out.left_join(g, [base[key] == g[c], base[col] == g[v]])
        lookup_keys += [c, v]
    out = out.drop(*lookup_keys)
    for col in used:
        if meta[col]["direction"] == "categorical":
            scores = weights[STAGES[0]]["applicant_type_scores"]
            value = out[col].cases(*[(k, _double(v)) for k, v in scores.items()]) if scores \
                else ibis.null("float64")
            out = out.mutate(ibis.null("float64").name(f"pct_{col}"), value.name(f"sc_{col}"))
    stage = out.stage
    parts: dict[str, ibis.Value] = {}
    for d in DIMENSIONS:
        members = [i for i in used if meta[i]["dimension"] == d]
        num = den = ibis.literal(0.0, type="float64")
        for i in members:
            w = _per_stage(stage, {s: weights[s]["indicators"].get(i, 0.0) for s in STAGES})
            sc = out[f"sc_{i}"]
            num = num + (w * sc).fill_null(0.0)
            den = den + ibis.ifelse(sc.notnull(), w, 0.0)
        parts[f"_num_{d}"] = num
        parts[f"_den_{d}"] = den
        parts[f"_tot_{d}"] = _per_stage(stage, {s: sum(weights[s]["indicators"].get(i, 0.0) for i in members)
                                                for s in STAGES})
        parts[f"_w_{d}"] = _per_stage(stage, {s: weights[s]["dimensions"][d] for s in STAGES})
    out = out.mutate(**parts)
    dims = {}
    for d in DIMENSIONS:
        dims[f"{d}_score"] = ibis.ifelse(out[f"_den_{d}"] > 0, out[f"_num_{d}"] / out[f"_den_{d}"] * _double(100.0),
                                         ibis.null("float64"))
        dims[f"{d}_confidence"] = ibis.ifelse(out[f"_tot_{d}"] > 0, out[f"_den_{d}"] / out[f"_tot_{d}"],
                                              ibis.null("float64"))
    out = out.mutate(**dims)
    num_index = den_index = ibis.literal(0.0, type="float64")
    for d in DIMENSIONS:
        wc = out[f"_w_{d}"] * out[f"{d}_confidence"]
        num_index = num_index + (wc * out[f"{d}_score"]).fill_null(0.0)
        den_index = den_index + ibis.ifelse(out[f"{d}_score"].notnull(), wc, 0.0)
    out = out.mutate(_num=num_index, confidence=den_index)
    out = out.mutate(value_index_raw=ibis.ifelse(out.confidence > 0, out._num / out.confidence,
                                                 ibis.null("float64")))
    # empirical Bayes: the cohort's mean raw index, each document weighted by its confidence (the
    # precision of its raw index), and the raw index pulled towards it by lambda = c / (c + k (1 - c))
    cohort = ibis.window(group_by="cohort")
    scored = out.value_index_raw.notnull()
    out = out.mutate(_cnum=(out.confidence * out.value_index_raw).sum().over(cohort),
                     _cden=ibis.ifelse(scored, out.confidence, 0.0).sum().over(cohort))
    out = out.mutate(cohort_mean=ibis.ifelse(out._cden > 0, out._cnum / out._cden, ibis.null("float64")))
    k = _double(shrinkage(profiles))
    lam = out.confidence / (out.confidence + k * (_double(1.0) - out.confidence))
    out = out.mutate(value_index=ibis.ifelse(scored, out.cohort_mean + lam * (out.value_index_raw - out.cohort_mean),
                                             ibis.null("float64")))
    return out.drop("_num", "_cnum", "_cden", "forward_cohort", *parts)


# DuckDB entry points -----------------------------------------------------------------------------
_SQL_CACHE: dict[str, tuple[str, str]] = {}


def score_sql(schema: pa.Schema, profiles: dict[str, Any], profile: str, table: str) -> tuple[str, str]:
    """DuckDB SQL of the two steps over ``table`` (an indicator table of ``schema``): the cohorts (to be
    materialised as ``<table>_cohorts``), and the scores over them. Compiled once per schema/profile."""
    key = json.dumps([schema.to_string(), profile, table, profiles], sort_keys=True, default=str)
    if key not in _SQL_CACHE:
        source = ibis.table(ibis.Schema.from_pyarrow(schema), name=table)
        cohorts = cohort_expr(source, profiles)
        cohorted = ibis.table(cohorts.schema(), name=f"{table}_cohorts")
        _SQL_CACHE[key] = (str(ibis.to_sql(cohorts, dialect="duckdb")),
                           str(ibis.to_sql(score_expr(cohorted, profiles, profile, with_cohorts=True),
                                           dialect="duckdb")))
    return _SQL_CACHE[key]


def score_into(con: duckdb.DuckDBPyConnection, table: str, profiles: dict[str, Any], profile: str,
               into: str | None = None) -> pa.Table | None:
    """Score the indicator table (or view) ``table`` on DuckDB: into the temporary table ``into``, or as
    Arrow. The cohorts are materialised first (temporary table ``<table>_cohorts``, dropped after)."""
    schema = con.sql(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema
    cohorts_sql, scores_sql = score_sql(schema, profiles, profile, table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_cohorts AS {cohorts_sql}")
    try:
        if into is None:
            return con.sql(scores_sql).to_arrow_table()
        con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS {scores_sql}")
        return None
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}_cohorts")


def _resolve(profiles: dict[str, Any] | str | Path | None) -> dict[str, Any]:
    return profiles if isinstance(profiles, dict) else load_profiles(profiles)


def score_arrow(con: duckdb.DuckDBPyConnection, indicators: pa.Table, profile: str = "government_statistics",
                profiles: dict[str, Any] | str | Path | None = None) -> pa.Table:
    """Score an indicator table (Arrow) on the DuckDB connection ``con``; returns the scored table."""
    data = _resolve(profiles)
    con.register(INPUT_VIEW, indicators)
    try:
        return cast(pa.Table, score_into(con, INPUT_VIEW, data, profile))
    finally:
        con.unregister(INPUT_VIEW)


def score_table(con: duckdb.DuckDBPyConnection, profile: str = "government_statistics", as_of: date | None = None,
                profiles: dict[str, Any] | str | Path | None = None) -> pa.Table:
    """Indicators and scores of every stored document as one Arrow table (kept while the store is unchanged:
    :mod:`ipcockpit.memo`)."""
    data = _resolve(profiles)
    years = int(data.get("settings", {}).get("young_grant_years", 5))
    as_of = as_of or date.today()
    key = ("score_table", profile, as_of, json.dumps(data, sort_keys=True, default=str))
    return memo.kept(con, key, lambda: score_arrow(con, indicator_table(con, as_of, young_grant_years=years),
                                                   profile, data))


def compute_index(con: duckdb.DuckDBPyConnection, profile: str = "government_statistics",
                  doc_ids: list[str] | None = None, as_of: date | None = None, *,
                  profiles: dict[str, Any] | str | Path | None = None) -> list[dict[str, Any]]:
    """The value index of stored documents (all, or ``doc_ids``), explained, best first.

    ``profiles`` is a loaded profile set or the path of a user YAML (merged over the defaults).
    Percentiles always use the whole corpus, whatever ``doc_ids`` selects.
    """
    data = _resolve(profiles)
    table = score_table(con, profile, as_of, data)
    if doc_ids is not None:
        table = table.filter(pc.is_in(table["doc_id"], value_set=pa.array(list(doc_ids), pa.string())))
    weights = {s: stage_weights(data, profile, s) for s in STAGES}
    rows = [_explain(r, data, weights[r["stage"]], profile) for r in table.to_pylist()]
    rows.sort(key=lambda r: (r["value_index"] is None, -(r["value_index"] or 0.0), r["doc_id"]))
    return rows


# explanations ------------------------------------------------------------------------------------
def cohort_field_names(field: str | None, name: str | None) -> tuple[str, str]:
    """A cohort's technology field in words, (English, Chinese): its name (a WIPO field, an IPC subclass), or for
    a record without any class its document type (``unclassified:invention``: inventions without a class)."""
    if name:
        return name, name
    if field and field.startswith("unclassified:"):
        kind = field.split(":", 1)[1]
        en, zh = catalogue("en"), catalogue("zh-CN")
        return (f"{en.get(f'doc_type.{kind}', kind)} without a classification",
                f"无分类号的{zh.get(f'doc_type.{kind}', kind)}")
    if field in (None, "unknown"):
        return "type and classification unknown", "类型与分类号均不明"
    return field, field


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _explain(row: dict[str, Any], profiles: dict[str, Any], weights: dict[str, Any], profile: str) -> dict[str, Any]:
    meta, dim_meta = profiles["indicators"], profiles["dimensions"]
    inds = weights["indicators"]
    dimensions = {d: {"score": _round(row[f"{d}_score"]), "confidence": _round(row[f"{d}_confidence"], 3),
                      "weight": round(weights["dimensions"][d], 4), "name_zh": dim_meta[d]["name_zh"],
                      "name_en": dim_meta[d]["name_en"]} for d in DIMENSIONS}
    den = row["confidence"] or 0.0
    totals = {d: sum(w for i, w in inds.items() if meta[i]["dimension"] == d) for d in DIMENSIONS}
    items, missing = [], []
    for i, w in inds.items():
        d = meta[i]["dimension"]
        sc = row.get(f"sc_{i}")
        if sc is None:
            missing.append(i)
            continue
        eff = weights["dimensions"][d] * w / totals[d] / den if den else 0.0
        items.append(_item(i, d, row, sc, eff, w / totals[d], meta, dim_meta))
    items.sort(key=lambda x: (-abs(x["effect"]), x["name"]))
    top = items[: int(profiles.get("settings", {}).get("explain_top", 5))]
    if not top:
        top = [{"name": "no_data", "name_zh": "无数据", "dimension": None, "raw": None, "percentile": None,
                "weight": 0.0, "contribution": 0.0, "effect": 0.0,
                "text_en": f"No indicator weighted by profile {profile} is available for this document.",
                "text_zh": f"本文献没有画像 {profile} 所用的任何指标数据，无法评分。"}]
    else:
        top.insert(0, _confidence_item(row, shrinkage(profiles)))
    return {
        "doc_id": row["doc_id"], "value_index": _round(row["value_index"]),
        "value_index_raw": _round(row["value_index_raw"]), "confidence": _round(den, 3),
        "dimensions": dimensions, "explanation": top, "missing": sorted(missing),
        "cohort": {"key": row["cohort"], "field": row["cohort_field"], "name": row["cohort_field_name"],
                   "year": row["cohort_year"], "size": row["cohort_size"], "mean": _round(row["cohort_mean"])},
        "stage": row["stage"], "profile": profile,
    }


def _confidence_item(row: dict[str, Any], k: float) -> dict[str, Any]:
    """How far the confidence pulled the raw index towards the cohort's mean (the first explanation line)."""
    raw, index, c, mean = row["value_index_raw"], row["value_index"], row["confidence"], row["cohort_mean"]
    lam = c / (c + k * (1 - c))
    pull = index - raw
    return {
        "kind": "confidence", "name": "confidence", "name_zh": "可信度修正", "name_en": "Confidence adjustment",
        "dimension": None, "raw": _round(raw), "unit": None, "source": None, "percentile": None, "score": None,
        "confidence": _round(c, 3), "cohort_mean": _round(mean), "weight": round(1 - lam, 4),
        "contribution": round(pull, 2), "effect": round(pull, 2),
        "text_en": f"Confidence {c:.0%}: the raw index {raw:.1f} rests on {c:.0%} of the profile's weight, so it "
                   f"is pulled {abs(pull):.1f} points towards its cohort's mean {mean:.1f}, to {index:.1f}",
        "text_zh": f"可信度 {c:.0%}：原始指数 {raw:.1f} 依据画像权重 {c:.0%} 的数据，按可信度向同组均值 "
                   f"{mean:.1f} 拉近 {abs(pull):.1f} 分，得 {index:.1f}",
    }


def _item(i: str, d: str, row: dict[str, Any], sc: float, eff: float, w_in_dim: float,
          meta: dict[str, Any], dim_meta: dict[str, Any]) -> dict[str, Any]:
    info = INDICATORS[i]
    raw, pct = row.get(i), row.get(f"pct_{i}")
    source = row.get("forward_citations_source") if i == "forward_citations" else None
    src_en = {"source": " (count given by the source)",
              "corpus": " (citing documents in the corpus)"}.get(source or "", "")
    src_zh = {"source": "（数据源提供的计数）", "corpus": "（库内施引文献）"}.get(source or "", "")
    contribution, effect = eff * sc * 100, eff * (sc - 0.5) * 100
    field, year = row["cohort"].split("|")
    name_en, name_zh = cohort_field_names(row["cohort_field"], row["cohort_field_name"])
    cohort_en = {"*": f"{name_en}, all years (small cohorts pooled)"}.get(year, f"{name_en} {year}") if field != "*" \
        else "the pooled small cohorts"
    cohort_zh = {"*": f"{name_zh}（各年小组合并）"}.get(year, f"{name_zh} {year}") if field != "*" else "合并的小组"
    if pct is None:
        pos_en, pos_zh = f"scored {sc:.2f} for this profile", f"本画像评分 {sc:.2f}"
    else:
        better = " (lower is better)" if meta[i]["direction"] == "lower" else ""
        pos_en = f"cohort percentile {pct * 100:.0f}{better} among {row['cohort_size']} documents of {cohort_en}"
        pos_zh = f"在 {cohort_zh} 同组 {row['cohort_size']} 件中居第 {pct * 100:.0f} 百分位" + \
            ("（越小越好）" if meta[i]["direction"] == "lower" else "")
    sign = "+" if effect >= 0 else "-"
    return {
        "name": i, "name_zh": info.name_zh, "name_en": info.name_en, "dimension": d,
        "dimension_zh": dim_meta[d]["name_zh"], "raw": raw, "unit": info.unit, "source": source,
        "percentile": _round(pct, 4), "score": _round(sc, 4), "weight": round(eff, 4),
        "weight_in_dimension": round(w_in_dim, 4), "contribution": round(contribution, 2),
        "effect": round(effect, 2),
        "text_en": f"{info.name_en}: {_fmt(raw)}{src_en}, {pos_en}; weight {eff:.2f}, "
                   f"{sign}{abs(effect):.1f} points against the cohort median",
        "text_zh": f"{info.name_zh}：{_fmt(raw)}{src_zh}，{pos_zh}；权重 {eff:.2f}，"
                   f"较同组中位{'高' if effect >= 0 else '低'} {abs(effect):.1f} 分",
    }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)
