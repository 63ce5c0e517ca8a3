"""Enterprise strength (企业实力评价): the ranking of organisations and one organisation explained.

:func:`ranking` and :func:`organisation` are the two data functions (the CLI, the Python API ``Cockpit.strength``
/ ``Cockpit.strength_show`` and the pages call them); both return plain dicts ready for JSON, CSV and a page.
The organisations compared are those with documents under the filters (region, industry, field) and of the
nature asked for; their components are normalised among them (:mod:`ipcockpit.strength.composite`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.errors import IPCockpitError
from ipcockpit.model.names import normalise_name
from ipcockpit.strength import components as comp
from ipcockpit.strength.composite import NAMES, compose, explain, raw_values
from ipcockpit.strength.ids import NAME_PREFIX, OWNER_ROLES
from ipcockpit.strength.nature import NATURES, classify
from ipcockpit.strength.registry import Registry, load_registry
from ipcockpit.strength.weights import COMPONENTS, load_weights
from ipcockpit.value.conditions import Universe, condition_rows
from ipcockpit.value.index import score_table
from ipcockpit.value.settings import ScreenSettings

_SCORE_COLUMNS = ("doc_id", "doc_type", "granted", "cohort_field", "cohort_year", "forward_citations",
                  "forward_citations_source", "transfers", "licences", "pledges", "value_index")


class StrengthError(IPCockpitError):
    """A strength request the store cannot answer as asked (an unknown nature, a field without the WIPO table)."""


def _check(con: duckdb.DuckDBPyConnection, nature: str | None, field: int | None) -> None:
    if nature is not None and nature not in NATURES:
        raise StrengthError(f"nature {nature!r} is unknown; use one of {', '.join(NATURES)}")
    if field is not None:
        if not 1 <= int(field) <= 35:
            raise StrengthError(f"field {field} is not a WIPO technology field; give a number from 1 to 35")
        [(n,)] = con.execute("SELECT count(*) FROM ref_tech_fields WHERE scheme = 'wipo35'").fetchall()
        if not n:
            raise StrengthError("no WIPO technology-field table is loaded, so no document has a field; ingest "
                                "the WIPO IPC concordance first (ipcockpit ingest classification/ipc_technology.csv)")


def region_prefix(region: str | None) -> str | None:
    """The admin-code prefix a GB/T 2260 code matches (500000 -> 50, 500100 -> 5001, 500120 -> 500120), as the
    region pages match (docs/region.md); a code of no division raises StrengthError."""
    if not region:
        return None
    from ipcockpit.analytics.region import region_of

    found = region_of(region)
    if found is None:
        raise StrengthError(f"region {region!r} is not a GB/T 2260 division; give 2, 4 or 6 digits, e.g. 500000 "
                            "(Chongqing) or 500120 (Bishan)")
    return str(found["prefix"])


def _years(scores: pa.Table, n: int, last: int | None) -> tuple[int, int, int]:
    """(earlier_from, recent_from, to): the growth windows of ``n`` filing years each, ending at ``last``, else at
    the latest filing year that holds at least 1 % of the store's dated documents (a stray late filing does not
    move the windows past the data)."""
    if last is None:
        counts = Counter(y for y in scores.column("cohort_year").to_pylist() if y is not None)
        total = sum(counts.values())
        last = max((y for y, k in counts.items() if k * 100 >= total), default=date.today().year)
    return last - 2 * n + 1, last - n + 1, last


@contextmanager
def _quiet(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """No DuckDB progress bar while the strength queries run: it prints to stdout after 2 s, into `--json`."""
    [(before,)] = con.execute("SELECT current_setting('enable_progress_bar')").fetchall()
    con.execute("SET enable_progress_bar = false")
    try:
        yield
    finally:
        con.execute(f"SET enable_progress_bar = {'true' if before else 'false'}")


def _high_value(con: duckdb.DuckDBPyConnection, settings: ScreenSettings) -> pa.Table:
    rows = condition_rows(con, settings, Universe())
    return pa.table({"doc_id": pa.array([r["publication_number"] for r in rows], pa.string()),
                     "high_value": pa.array([r["high_value"] for r in rows], pa.bool_())})


def evaluate(con: duckdb.DuckDBPyConnection, *, region: str | None = None, industry: str | None = None,
             field: int | None = None, nature: str | None = None, registry: str | Path | Registry | None = None,
             weights: str | Path | dict[str, Any] | None = None,
             settings: ScreenSettings | None = None, entity: str | None = None) -> dict[str, Any]:
    """Every organisation compared under the filters, composed; the context (weights, windows, filters); with
    ``entity``, that organisation's documents under the filters with their figures (``documents``)."""
    _check(con, nature, field)
    w = weights if isinstance(weights, dict) else load_weights(weights)
    reg = load_registry(registry) if isinstance(registry, str | Path) else registry
    settings = settings or ScreenSettings()
    with _quiet(con):
        return _evaluate(con, region, industry, field, nature, reg, w, settings, entity)


def _evaluate(con: duckdb.DuckDBPyConnection, region: str | None, industry: str | None, field: int | None,
              nature: str | None, reg: Registry | None, w: dict[str, Any], settings: ScreenSettings,
              entity: str | None) -> dict[str, Any]:
    scores = score_table(con, w["settings"].get("value_index_profile", "government_statistics"), settings.as_of)
    scores = scores.select(list(_SCORE_COLUMNS))
    years = _years(scores, int(w["settings"]["growth_years"]), w["settings"].get("growth_last_year"))
    frags, params = comp.filters(con, region_prefix(region), industry, field, settings.sei_scheme)
    comp.register(con, scores, _high_value(con, settings))
    try:
        rows = comp.component_rows(con, frags, params, years)
        profiles = comp.profiles(con, frags, [r["entity_id"] for r in rows])
        docs = _documents(con, frags, params, entity) if entity else []
    finally:
        comp.unregister(con)
    orgs = []
    for r in rows:
        p = profiles[r["entity_id"]]
        entry = reg.match([f for f, _ in p["folded"]]) if reg else None
        found = classify(p["names"], source_types=p["types"], applicant_is_inventor=p["inventor"], registry=entry)
        if nature is not None and found.nature != nature:
            continue
        orgs.append({"entity_id": r["entity_id"], "name": p["names"][0][0] if p["names"] else r["entity_id"],
                     "names": [n for n, _ in p["names"]], "nature": found.nature, "nature_basis": found.basis,
                     "nature_detail": found, "region": p["regions"][0][0] if p["regions"] else None,
                     "regions": p["regions"], "registry": entry, "raw": raw_values(r, years)})
    compose(orgs, w["weights"])
    orgs.sort(key=lambda o: (-o["composite"], -o["components"]["volume"]["raw"], o["entity_id"]))
    for i, o in enumerate(orgs, start=1):
        o["rank"] = i
    context = {"filters": {"region": region, "industry": industry, "field": field, "nature": nature},
               "weights": {c: w["weights"].get(c, 0.0) for c in COMPONENTS}, "weights_file": w["source"],
               "growth_windows": {"earlier": [years[0], years[1] - 1], "recent": [years[1], years[2]]},
               "as_of": settings.as_of.isoformat(), "organisations": len(orgs),
               "registry": reg.summary() if reg else None, "frags": frags, "params": params,
               "evidence_documents": int(w["settings"].get("evidence_documents", 10))}
    return {"orgs": orgs, "context": context, "documents": docs}


def _public_context(ctx: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ctx.items() if k not in ("frags", "params", "evidence_documents")}


def ranking(con: duckdb.DuckDBPyConnection, *, limit: int = 50, **kw: Any) -> dict[str, Any]:
    """The organisations compared, strongest first: rank, name, nature, region, composite, confidence and each
    component's raw and normalised value (``limit`` 0: all)."""
    data = evaluate(con, **kw)
    rows = []
    for o in data["orgs"][: limit or None]:
        rows.append({"rank": o["rank"], "entity_id": o["entity_id"], "name": o["name"], "nature": o["nature"],
                     "nature_basis": o["nature_basis"], "region": o["region"], "composite": o["composite"],
                     "confidence": o["confidence"],
                     "components": {c: {k: o["components"][c][k] for k in ("raw", "normalised", "known")}
                                    for c in COMPONENTS}})
    return {**_public_context(data["context"]), "ranking": rows}


def find_entity(con: duckdb.DuckDBPyConnection, org: str) -> str | None:
    """The entity id ``org`` names: an id as it is, else the id of a party whose raw or folded name it is."""
    from ipcockpit.strength.ids import party_ids_sql

    folded = normalise_name(org)
    roles = list(OWNER_ROLES)
    rows = con.execute(
        f"SELECT entity_id, count(*) AS n FROM ({party_ids_sql(con)}) p WHERE role IN (SELECT unnest($roles)) AND "
        "(entity_id = $org OR name_raw = $org OR name_norm = $folded) GROUP BY 1 ORDER BY (entity_id = $org) DESC, "
        "n DESC, entity_id LIMIT 1", {"org": org.strip(), "folded": folded, "roles": roles}).fetchall()
    if rows:
        return str(rows[0][0])
    return None


def organisation(con: duckdb.DuckDBPyConnection, org: str, **kw: Any) -> dict[str, Any] | None:
    """One organisation's strength explained (None when no organisation has that id or name): its nature with
    the evidence, each component (raw, normalised, weight, contribution, effect, the figures behind it, its
    evidence and a sentence in Chinese and English), the composite, its rank among the organisations compared,
    and its documents under the filters."""
    entity = find_entity(con, org)
    if entity is None:
        return None
    data = evaluate(con, entity=entity, **kw)
    ctx, docs = data["context"], data["documents"]
    o = next((x for x in data["orgs"] if x["entity_id"] == entity), None)
    out: dict[str, Any] = {"entity_id": entity, "query": org, **_public_context(ctx)}
    if o is None:
        out.update(found=True, compared=False,
                   reason_en="the organisation has no documents under these filters (or is of another nature)",
                   reason_zh="该主体在所选条件下没有文献（或性质不符）")
        return out
    n = ctx["evidence_documents"]
    items = []
    for c in COMPONENTS:
        item = explain(c, o["components"][c])
        item["evidence"] = _evidence(c, docs, n, ctx)
        items.append(item)
    top = sorted(items, key=lambda i: (-abs(i["effect"]), i["name"]))
    out.update({
        "found": True, "compared": True, "name": o["name"], "names": o["names"], "nature": o["nature"],
        "nature_evidence": o["nature_detail"].as_dict(), "registry": o["registry"], "region": o["region"],
        "regions": [{"code": c, "documents": k} for c, k in o["regions"]], "rank": o["rank"],
        "composite": o["composite"], "confidence": o["confidence"], "components": items,
        "explanation": _summary(o, top, ctx["organisations"]), "documents": docs[:n], "documents_total": len(docs),
    })
    return out


_DOC_SQL = """
SELECT d.doc_id, coalesce(d.app_id, d.doc_id) AS app_key, s.doc_type, s.granted, s.cohort_year AS filing_year,
       round(s.value_index, 2) AS value_index, h.high_value, h.doc_id IS NOT NULL AS invention_grant,
       s.forward_citations, s.transfers, s.licences, s.pledges
FROM documents d JOIN {scores} s USING (doc_id) LEFT JOIN {hv} h USING (doc_id)
WHERE d.doc_id IN (SELECT unnest($ids::VARCHAR[]))
ORDER BY s.value_index DESC NULLS LAST, d.doc_id
"""


def _documents(con: duckdb.DuckDBPyConnection, frags: dict[str, str], params: dict[str, Any],
               entity: str) -> list[dict[str, Any]]:
    """The organisation's documents under the filters, each with the figures the components add up."""
    ids = comp.entity_documents(con, frags, params, entity)
    sql = _DOC_SQL.format(scores=comp.SCORES_VIEW, hv=comp.HV_VIEW)
    return con.sql(sql, params={"ids": ids}).to_arrow_table().to_pylist()


def _evidence(component: str, docs: list[dict[str, Any]], n: int, ctx: dict[str, Any]) -> dict[str, Any]:
    """The documents a component counts (first ``n``) and, where the canonical tables alone give it, a query that
    gives the raw value again (volume, market coverage; growth: the recent and earlier counts; operations: the
    events, where a source records them). The others rest on the value index and the screening: their figures per
    document are in ``documents``."""
    pick = {
        "high_value": lambda d: d["high_value"] is True,
        "value_index": lambda d: d["value_index"] is not None,
        "citations": lambda d: d["forward_citations"] is not None,
        "grant_ratio": lambda d: d["doc_type"] == "invention",
        "operations": lambda d: any(d[k] for k in ("transfers", "licences", "pledges")),
    }.get(component, lambda d: True)
    chosen = [d["doc_id"] for d in docs if pick(d)]
    ids = ", ".join("'" + d["doc_id"].replace("'", "''") + "'" for d in docs)
    earlier, recent = ctx["growth_windows"]["earlier"], ctx["growth_windows"]["recent"]
    queries = {
        "volume": f"SELECT count(DISTINCT coalesce(app_id, doc_id)) FROM documents WHERE doc_id IN ({ids})",
        "market_coverage": (
            "SELECT list(DISTINCT office ORDER BY office) FROM (SELECT left(m2.doc_id, 2) AS office FROM "
            "family_members m1 JOIN family_members m2 ON m2.family_id = m1.family_id AND m2.scheme = m1.scheme "
            f"WHERE m1.doc_id IN ({ids}) UNION SELECT left(d2.doc_id, 2) FROM documents d1 JOIN documents d2 "
            f"ON d2.family_id = d1.family_id WHERE d1.doc_id IN ({ids}) UNION SELECT left(doc_id, 2) FROM documents "
            f"WHERE doc_id IN ({ids})) WHERE office <> 'WO'"),
        "growth": (
            "SELECT count(DISTINCT coalesce(app_id, doc_id)) FILTER (WHERE year(coalesce(app_date, pub_date)) "
            f"BETWEEN {recent[0]} AND {recent[1]}) AS recent, count(DISTINCT coalesce(app_id, doc_id)) FILTER "
            f"(WHERE year(coalesce(app_date, pub_date)) BETWEEN {earlier[0]} AND {earlier[1]}) AS earlier "
            f"FROM documents WHERE doc_id IN ({ids})"),
        "operations": (
            "SELECT count(*) FROM (SELECT DISTINCT doc_id, event_class, concat_ws('|', event_date, code, raw_text, "
            f"counterparty) FROM legal_events WHERE doc_id IN ({ids}) AND event_class IN ('transfer', 'licence', "
            f"'pledge') AND (event_date IS NULL OR event_date <= DATE '{ctx['as_of']}'))"),
    }
    return {"documents": chosen[:n], "documents_total": len(chosen), "query": queries.get(component) if docs else None}


def _summary(o: dict[str, Any], top: list[dict[str, Any]], peers: int) -> dict[str, str]:
    moved = [i for i in top if i["known"]][:3]
    en = ", ".join(f"{i['name_en'].lower()} {'+' if i['effect'] >= 0 else '-'}{abs(i['effect']):.1f}" for i in moved)
    zh = "、".join(f"{i['name_zh']}{'+' if i['effect'] >= 0 else '-'}{abs(i['effect']):.1f}" for i in moved)
    unknown = [i for i in top if not i["known"]]
    return {
        "text_en": (f"Strength {o['composite']:.1f} (rank {o['rank']} of {peers}; confidence {o['confidence']:.0%}): "
                    f"the weighted percentiles of its components among the organisations compared; moved most by "
                    f"{en or 'nothing'}" + (f"; unknown: {', '.join(i['name_en'].lower() for i in unknown)}"
                                           if unknown else "")),
        "text_zh": (f"实力得分 {o['composite']:.1f}（{peers} 个主体中第 {o['rank']} 名，"
                    f"可信度 {o['confidence']:.0%}）："
                    f"各分项在参与比较主体中的百分位加权之和；影响最大的是{zh or '无'}"
                    + (f"；未知：{'、'.join(i['name_zh'] for i in unknown)}" if unknown else "")),
    }


def flat_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The ranking as flat rows for CSV and spreadsheets: each component's raw and normalised value."""
    out = []
    for r in data["ranking"]:
        row: dict[str, Any] = {k: r[k] for k in ("rank", "entity_id", "name", "nature", "nature_basis", "region",
                                                 "composite", "confidence")}
        for c in COMPONENTS:
            row[c] = r["components"][c]["raw"]
            row[f"{c}_percentile"] = r["components"][c]["normalised"]
        out.append(row)
    return out


__all__ = ["NAMES", "NAME_PREFIX", "StrengthError", "evaluate", "find_entity", "flat_rows", "organisation", "ranking"]
