"""The raw strength components of every organisation, one set-based DuckDB query (nothing per organisation).

Documents: the stored (non-stub) documents on which the organisation is a party in a holder role
(applicant, patentee, assignee, current owner; ``ids.OWNER_ROLES``), kept by the filters:

* ``region``: the organisation's own party row on the document has an ``admin_code`` starting with the
  region's prefix (500000 -> ``50``, 500120 -> ``500120``, as the region pages match). This is the
  organisation's own address, not the document's attribution (docs/region.md: the first coded holder), so a
  Bishan co-applicant of a Beijing company's application counts for Bishan;
* ``industry``: one of the document's IPC codes falls under an SEI 2021 rule of that industry or branch (the
  concordance's IPC patterns and exclusions; the keyword conditions the screening reads in the text are not
  applied, so this is the IPC reading of the industry);
* ``field``: the WIPO 35 technology field of the document's main IPC code (the value index's ``cohort_field``
  ``wipo35:<n>``; needs the WIPO concordance loaded, ``ref_tech_fields``).

Components (raw values; None = unknown, with the reason in :mod:`ipcockpit.strength.composite`):

* ``volume``: distinct applications (``app_id``, else the document);
* ``high_value``: its invention grants that the CNIPA five-condition screening calls high value (yes); the
  grants it calls not high value (no) and cannot decide (unknown) are counted beside it. With undecided grants
  the count is a lower bound (``at_least``), and unknown when none is decided high value;
* ``value_index``: the mean value index of its scored documents, with the distribution (quartiles, p90);
* ``citations``: the mean over its documents of forward citations / the mean forward citations of the
  document's cohort (main IPC subclass x filing year x document type x count source, over the whole store);
  unknown when no document has forward citations in a cohort whose mean is above 0;
* ``market_coverage``: distinct offices (countries or regional offices; WO not counted) among its documents
  and their family members;
* ``grant_ratio``: granted invention applications / invention applications; unknown without inventions;
* ``growth``: applications filed in the recent window (the last ``growth_years`` filing years, ending at
  ``growth_last_year`` or the store's latest filing year that holds at least 1 % of its dated documents) / those
  filed in it and in the ``growth_years`` before it (the recent share: 0.5 is flat); unknown when it filed in
  neither window;
* ``operations``: transfers + licences + pledges recorded on its documents (the value index's counts: distinct
  events); unknown when no source that records them covers any of its documents.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.graph.sei import industry_codes
from ipcockpit.strength.ids import OWNER_ROLES, party_ids_sql

SCORES_VIEW = "_strength_scores"
HV_VIEW = "_strength_hv"

_ROLES = ", ".join(f"'{r}'" for r in OWNER_ROLES)

MAIN_CLASS = """
SELECT doc_id, arg_min(code, (scheme <> 'IPC')::INT * 1000000000 + (NOT coalesce(main, false))::INT * 1000000
                             + coalesce(seq, 999999)) AS code
FROM classifications WHERE scheme IN ('IPC', 'CPC') AND code IS NOT NULL GROUP BY 1"""

SEI_CODES_VIEW = "_strength_sei_codes"
SEI_DOCS = (f"SELECT DISTINCT doc_id FROM classifications WHERE scheme = 'IPC' "
            f"AND code IN (SELECT code FROM {SEI_CODES_VIEW})")


OWN = f"""
SELECT p.entity_id, p.doc_id, p.seq, p.role, p.name_raw, p.name_norm, p.type, p.admin_code, f.format
FROM ({{party_ids}}) p JOIN documents d ON d.doc_id = p.doc_id LEFT JOIN source_files f ON f.file_id = p.file_id
WHERE p.role IN ({_ROLES}) AND p.entity_id IS NOT NULL AND NOT coalesce(d.stub, false)"""

COMPONENTS_SQL = f"""
WITH
own AS ({{own}}),
docs AS (
  SELECT s.doc_id, coalesce(d.app_id, s.doc_id) AS app_key, s.doc_type, s.granted, s.cohort_field, s.cohort_year,
         s.value_index, s.transfers, s.licences, s.pledges
  FROM {SCORES_VIEW} s JOIN documents d USING (doc_id)
  WHERE true {{doc_filter}}
),
od AS (
  SELECT DISTINCT o.entity_id, o.doc_id FROM own o SEMI JOIN docs USING (doc_id)
  WHERE true {{region_filter}}
),
main_class AS ({MAIN_CLASS}),
cite AS (  -- forward citations over the mean of the cohort: main IPC subclass x filing year x type x count source
  SELECT doc_id, forward_citations / cohort_mean AS ratio, forward_citations, cohort_mean, cohort_n
  FROM (
    SELECT s.doc_id, s.forward_citations,
           avg(s.forward_citations) OVER w AS cohort_mean, count(*) OVER w AS cohort_n
    FROM {SCORES_VIEW} s JOIN main_class m USING (doc_id)
    WHERE s.forward_citations IS NOT NULL
    WINDOW w AS (PARTITION BY left(m.code, 4), s.cohort_year, coalesce(s.doc_type, '?'),
                 coalesce(s.forward_citations_source, '?')))
  WHERE cohort_mean > 0
),
odocs AS (SELECT DISTINCT doc_id FROM od),
offices AS (
  SELECT DISTINCT o.doc_id, left(m2.doc_id, 2) AS office
  FROM odocs o JOIN family_members m1 ON m1.doc_id = o.doc_id
  JOIN family_members m2 ON m2.family_id = m1.family_id AND m2.scheme = m1.scheme
  UNION SELECT o.doc_id, left(d2.doc_id, 2) FROM odocs o JOIN documents d1 ON d1.doc_id = o.doc_id
  JOIN documents d2 ON d2.family_id = d1.family_id
  UNION SELECT doc_id, left(doc_id, 2) FROM odocs
),
off_org AS (
  SELECT od.entity_id, list(DISTINCT f.office ORDER BY f.office) AS offices
  FROM od JOIN offices f USING (doc_id) WHERE f.office <> 'WO' GROUP BY 1
)
SELECT od.entity_id,
       count(DISTINCT d.app_key) AS volume,
       count(DISTINCT d.doc_id) AS documents,
       count(DISTINCT d.doc_id) FILTER (WHERE h.doc_id IS NOT NULL AND h.high_value) AS hv_yes,
       count(DISTINCT d.doc_id) FILTER (WHERE h.doc_id IS NOT NULL AND NOT h.high_value) AS hv_no,
       count(DISTINCT d.doc_id) FILTER (WHERE h.doc_id IS NOT NULL AND h.high_value IS NULL) AS hv_unknown,
       count(d.value_index) AS vi_n, avg(d.value_index) AS vi_mean,
       quantile_cont(d.value_index, [0.25, 0.5, 0.75, 0.9]) AS vi_quantiles,
       min(d.value_index) AS vi_min, max(d.value_index) AS vi_max,
       count(c.ratio) AS cite_n, avg(c.ratio) AS cite_mean, sum(c.forward_citations) AS cite_sum,
       count(DISTINCT d.app_key) FILTER (WHERE d.doc_type = 'invention') AS inv_apps,
       count(DISTINCT d.app_key) FILTER (WHERE d.doc_type = 'invention' AND d.granted) AS inv_granted,
       count(DISTINCT d.app_key) FILTER (WHERE d.cohort_year BETWEEN $y_recent_from AND $y_to) AS recent,
       count(DISTINCT d.app_key) FILTER (WHERE d.cohort_year BETWEEN $y_earlier_from AND $y_recent_from - 1)
           AS earlier,
       sum(d.transfers) AS transfers, sum(d.licences) AS licences, sum(d.pledges) AS pledges,
       bool_or(d.transfers IS NOT NULL OR d.licences IS NOT NULL OR d.pledges IS NOT NULL) AS ops_known,
       any_value(oo.offices) AS offices
FROM od JOIN docs d USING (doc_id)
LEFT JOIN {HV_VIEW} h USING (doc_id)
LEFT JOIN cite c USING (doc_id)
LEFT JOIN off_org oo USING (entity_id)
GROUP BY od.entity_id
"""

PROFILE_SQL = """
WITH own AS ({own}), ents AS (SELECT unnest($ids::VARCHAR[]) AS entity_id)
SELECT o.entity_id, 'name' AS what, o.name_raw AS a, NULL AS b, count(*) AS n
FROM own o SEMI JOIN ents USING (entity_id) WHERE o.name_raw IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT o.entity_id, 'folded', o.name_norm, NULL, count(*) FROM own o SEMI JOIN ents USING (entity_id)
GROUP BY 1, 2, 3
UNION ALL SELECT o.entity_id, 'type', o.type, o.format, count(*) FROM own o SEMI JOIN ents USING (entity_id)
WHERE o.type IS NOT NULL GROUP BY 1, 2, 3, 4
UNION ALL SELECT o.entity_id, 'region', o.admin_code, NULL, count(DISTINCT o.doc_id) FROM own o
SEMI JOIN ents USING (entity_id) WHERE o.admin_code IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT o.entity_id, 'inventor', NULL, NULL, count(DISTINCT o.doc_id)
FROM own o SEMI JOIN ents USING (entity_id)
WHERE EXISTS (SELECT 1 FROM inventors i WHERE i.doc_id = o.doc_id AND i.name_norm = o.name_norm)
GROUP BY 1, 2, 3
"""

DOCS_SQL = f"""
WITH own AS ({{own}}),
docs AS (
  SELECT s.doc_id, s.value_index FROM {SCORES_VIEW} s JOIN documents d USING (doc_id) WHERE true {{doc_filter}}
)
SELECT DISTINCT o.doc_id, d.value_index FROM own o JOIN docs d USING (doc_id)
WHERE o.entity_id = $entity {{region_filter}}
ORDER BY d.value_index DESC NULLS LAST, o.doc_id
"""


def filters(con: duckdb.DuckDBPyConnection, region: str | None, industry: str | None, field: int | None,
            sei_scheme: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The SQL fragments (``own``, ``doc_filter``, ``region_filter``) and parameters of the filters."""
    params: dict[str, Any] = {}
    doc_filter = ""
    if industry:
        con.register(SEI_CODES_VIEW, pa.table({"code": pa.array(industry_codes(con, industry.strip().rstrip("."),
                                                                           sei_scheme), pa.string())}))
        doc_filter += f" AND s.doc_id IN ({SEI_DOCS})"
    if field is not None:
        params["field"] = f"wipo35:{int(field)}"
        doc_filter += " AND s.cohort_field = $field"
    region_filter = ""
    if region:
        params["region"] = region.strip()
        region_filter = (" AND EXISTS (SELECT 1 FROM own r WHERE r.entity_id = o.entity_id AND r.doc_id = o.doc_id "
                         "AND starts_with(r.admin_code, $region))")
    return {"own": OWN.format(party_ids=party_ids_sql(con)), "doc_filter": doc_filter,
            "region_filter": region_filter}, params


def component_rows(con: duckdb.DuckDBPyConnection, frags: dict[str, str], params: dict[str, Any],
                   years: tuple[int, int, int]) -> list[dict[str, Any]]:
    """One dict of raw aggregates per organisation (the views ``SCORES_VIEW`` and ``HV_VIEW`` registered)."""
    earlier_from, recent_from, to = years
    sql = COMPONENTS_SQL.format(**frags)
    return con.sql(sql, params={**params, "y_earlier_from": earlier_from, "y_recent_from": recent_from,
                                "y_to": to}).to_arrow_table().to_pylist()


def profiles(con: duckdb.DuckDBPyConnection, frags: dict[str, str], ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per organisation: its names (raw, with rows), folded names, source types, regions and the documents on
    which it is also an inventor, over all its documents (whatever the filters)."""
    out: dict[str, dict[str, Any]] = {i: {"names": [], "folded": [], "types": [], "regions": [], "inventor": 0}
                                      for i in ids}
    rows = con.execute(PROFILE_SQL.format(own=frags["own"]), {"ids": ids}).fetchall()
    for ent, what, a, b, n in rows:
        p = out[ent]
        if what == "name":
            p["names"].append((a, n))
        elif what == "folded":
            p["folded"].append((a, n))
        elif what == "type":
            p["types"].append((a, b, n))
        elif what == "region":
            p["regions"].append((a, n))
        else:
            p["inventor"] = n
    for p in out.values():
        for key in ("names", "folded", "regions"):
            p[key].sort(key=lambda x: (-x[1], len(x[0]), x[0]))
    return out


def entity_documents(con: duckdb.DuckDBPyConnection, frags: dict[str, str], params: dict[str, Any],
                     entity: str) -> list[str]:
    """The documents of one organisation under the filters, highest value index first."""
    return [r[0] for r in con.execute(DOCS_SQL.format(**frags), {**params, "entity": entity}).fetchall()]


def register(con: duckdb.DuckDBPyConnection, scores: pa.Table, high_value: pa.Table) -> None:
    con.register(SCORES_VIEW, scores)
    con.register(HV_VIEW, high_value)


def unregister(con: duckdb.DuckDBPyConnection) -> None:
    for view in (SCORES_VIEW, HV_VIEW, SEI_CODES_VIEW):
        con.unregister(view)
