"""Patent value indicators, per document, in one set-based DuckDB query over the canonical tables.

The indicators follow the OECD patent quality indicators (Squicciarini, Dernis & Criscuolo 2013) and
the inputs of the commercial value systems (docs/value_index.md). Every indicator is computed for all
documents at once (joins and aggregates, no per-document queries), so the query scales with DuckDB.

Missing inputs are NULL, never 0. An indicator is *observable* for a document when the document has
rows of that kind, or when a file that supplied the document (or its rows of that kind) carries that
kind of row for some document: a USPTO grant with no NPL citation gets 0 NPL citations (the file
carries NPL citations), a Lens row gets NULL backward patent citations (Lens CSV carries only NPL).
The rules per indicator are in :data:`INDICATORS` and docs/value_index.md.

Whether the rights still exist (``remaining_term``, ``invalidation_survived``) is the project's one
in-force rule, :mod:`ipcockpit.value.legal_status`, as of ``as_of``: its SQL (``status_ctes``) runs inside
the indicator query, so a document the screening, FTO or search calls not in force has no remaining term
here, and the term of every other document is the rule's (20 years from filing, the utility-model or
design term of the office for utility models and designs). There is no exception: ``remaining_term`` is 0 exactly where
the rule says not in force.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.value.conditions import pledge_sources_sql
from ipcockpit.value.legal_status import status_ctes, status_params
from ipcockpit.value.settings import ScreenSettings

COUNTRY_WEIGHTS = Path(__file__).with_name("data") / "country_weights.csv"
WEIGHTS_VIEW = "_vi_office_countries"


@dataclass(frozen=True)
class Indicator:
    """One indicator: its column, names, unit and the rule that makes it observable."""

    name: str
    name_zh: str
    name_en: str
    unit: str
    observable: str


INDICATORS: dict[str, Indicator] = {i.name: i for i in [
    Indicator("forward_citations", "被引次数", "Forward citations", "citing documents",
              "the larger of the source's count (documents.cited_by_count) and the citing documents in the "
              "corpus; the corpus count is observable when a citing document in the corpus is published later"),
    Indicator("forward_citations_5y", "5年内被引次数", "Forward citations within 5 years", "citing documents",
              "citing documents in the corpus published within 5 years of the document; observable when the "
              "corpus holds citing documents published 5 years or more after it"),
    Indicator("backward_citations", "引用专利数", "Backward patent citations", "citations",
              "the document has patent citations or its file carries patent citations"),
    Indicator("npl_citations", "引用非专利文献数", "Non-patent literature citations", "citations",
              "the document has NPL citations or its file carries NPL citations"),
    Indicator("family_size", "同族规模", "Family size", "documents",
              "the larger of documents.family_size and the members in family_members"),
    Indicator("market_coverage", "市场覆盖度", "Market coverage (GDP-weighted)", "share of world GDP",
              "family members are known (or the source says the family is the document alone)"),
    Indicator("claims", "权利要求数", "Claims", "claims", "the document has claim rows"),
    Indicator("independent_claims", "独立权利要求数", "Independent claims", "claims",
              "the document has claim rows that say whether they are independent"),
    Indicator("first_claim_length", "首项权利要求长度", "First-claim length", "words (en) / characters (zh)",
              "the first claim's text is known (claims or texts.first_claim)"),
    Indicator("ipc_subclasses", "IPC小类数", "IPC subclasses (patent scope)", "subclasses",
              "the document has IPC codes (CPC when it has none)"),
    Indicator("generality", "通用性", "Generality", "1 - Herfindahl",
              "classified citing documents are in the corpus"),
    Indicator("originality", "原创性", "Originality", "1 - Herfindahl",
              "classified cited documents are in the corpus"),
    Indicator("radicalness", "突破性", "Radicalness", "share",
              "the document is classified and classified cited documents are in the corpus"),
    Indicator("grant_lag", "授权周期", "Grant lag", "years", "granted with filing and grant dates"),
    Indicator("remaining_term", "剩余保护期", "Remaining term", "years",
              "the in-force rule's term end is known (from filing, with a US patent-term adjustment; from grant "
              "for US designs) and no terminal disclaimer or undated parent may end it earlier, or the rule "
              "says the rights ended (then 0)"),
    Indicator("transfers", "转让次数", "Transfers", "events", "legal events of the class are carried"),
    Indicator("licences", "许可次数", "Licences", "events", "legal events of the class are carried"),
    Indicator("pledges", "质押次数", "Pledges", "events",
              "a source records the document's pledges, as the screening's pledge condition reads them "
              "(conditions.pledge_sources_sql: an event from a format that records pledges, a table with a 质押 "
              "column, or a file that holds a pledge event)"),
    Indicator("litigations", "诉讼次数", "Litigations", "events", "legal events of the class are carried"),
    Indicator("invalidation_survived", "经无效宣告仍维持", "Survived invalidation", "0/1",
              "invalidation events are carried; 1 when a request was followed by rights the in-force rule does "
              "not call ended at as_of"),
    Indicator("inventors", "发明人数", "Inventors", "persons", "the document has inventor rows"),
    Indicator("applicant_type", "申请人类型", "Applicant type", "type",
              "a party of role current_owner/patentee/assignee/applicant has a type"),
]}

#: Columns of the indicator table besides the indicators themselves.
CONTEXT_COLUMNS = ["doc_id", "office", "kind", "doc_type", "granted", "grant_date_eff", "stage",
                   "cohort_field", "cohort_field_name", "cohort_year", "forward_citations_source"]


def office_countries() -> pa.Table:
    """country_weights.csv expanded to (office, country, weight): a region counts each member state."""
    with COUNTRY_WEIGHTS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    national = {r["code"]: float(r["weight"]) for r in rows if r["kind"] == "country"}
    offices, countries, weights = [], [], []
    for r in rows:
        members = r["members"].split() if r["kind"] == "region" else [r["code"]]
        for m in members:
            if m not in national:
                raise ValueError(f"{COUNTRY_WEIGHTS}: region {r['code']} names member {m} with no row of its own; "
                                 "add a country row for it")
            offices.append(r["code"])
            countries.append(m)
            weights.append(national[m])
    return pa.table({"office": offices, "country": countries, "weight": weights})


def _granted_sql() -> str:
    """Whether a document is a grant: stage or grant date, else the kind code (docs/value_index.md)."""
    return (
        "coalesce(stage = 'grant' OR grant_date IS NOT NULL"
        " OR (office = 'US' AND (kind IN ('B1','B2','E','E1','S','S1','P2','P3')"
        "     OR (kind = 'A' AND pub_date < DATE '2001-01-02')))"
        " OR (office <> 'US' AND (kind LIKE 'B%' OR kind LIKE 'C%'))"
        " OR (office = 'CN' AND kind IN ('U','Y','S')), false)"
    )


INDICATOR_SQL = """
WITH
docs AS (
    SELECT doc_id, office, kind, doc_type, stage AS stage_raw, pub_date, app_date, grant_date, family_id,
           family_size, cited_by_count, file_id, status,
           {granted} AS granted
    FROM documents WHERE NOT coalesce(stub, false)
),
{status_ctes},
docs2 AS (
    SELECT *, coalesce(grant_date, CASE WHEN granted THEN pub_date END) AS grant_date_eff FROM docs
),
pat_cites AS (
    SELECT doc_id, cited_doc_id FROM citations
    WHERE cited_doc_id IS NOT NULL AND NOT coalesce(npl, false) AND cited_doc_id <> doc_id
),
cite_pairs AS (  -- resolved citations between stored documents, one row per (citing, cited)
    SELECT DISTINCT p.doc_id AS citing, p.cited_doc_id AS cited, g.pub_date AS citing_date
    FROM pat_cites p JOIN docs g ON g.doc_id = p.doc_id JOIN docs d ON d.doc_id = p.cited_doc_id
    WHERE g.pub_date IS NULL OR g.pub_date <= DATE '{as_of}'  -- citing documents known at as_of
),
horizon AS (  -- the latest publication of a document in the corpus that cites patents
    SELECT max(d.pub_date) AS h FROM docs d
    WHERE d.doc_id IN (SELECT doc_id FROM pat_cites) AND d.pub_date <= DATE '{as_of}'
),
fwd AS (
    SELECT p.cited AS doc_id, count(*) AS n,
           count(*) FILTER (WHERE p.citing_date <= d.pub_date + INTERVAL 5 YEAR) AS n5
    FROM cite_pairs p JOIN docs d ON d.doc_id = p.cited GROUP BY 1
),
bwd AS (
    SELECT doc_id,
           count(DISTINCT coalesce(cited_doc_id, cited_raw)) FILTER (WHERE NOT coalesce(npl, false)) AS pat,
           count(DISTINCT cited_raw) FILTER (WHERE npl) AS npl
    FROM citations GROUP BY 1
),
cite_files AS (
    SELECT file_id, bool_or(NOT coalesce(npl, false)) AS has_pat, bool_or(coalesce(npl, false)) AS has_npl
    FROM citations GROUP BY 1
),
fam_links AS (
    SELECT doc_id, family_id FROM docs WHERE family_id IS NOT NULL
    UNION SELECT doc_id, family_id FROM family_members WHERE doc_id IS NOT NULL
),
fam_docs AS (
    SELECT DISTINCT l.doc_id, m.doc_id AS member FROM fam_links l JOIN family_members m ON m.family_id = l.family_id
    UNION SELECT doc_id, doc_id FROM fam_links
),
fam AS (SELECT doc_id, count(*) AS n FROM fam_docs GROUP BY 1),
fam_offices AS (
    SELECT DISTINCT doc_id, left(member, 2) AS office FROM fam_docs
    UNION SELECT doc_id, office FROM docs2 WHERE family_size = 1 AND doc_id NOT IN (SELECT doc_id FROM fam)
),
coverage AS (
    SELECT doc_id, sum(weight) AS w FROM (
        SELECT DISTINCT f.doc_id, oc.country, oc.weight
        FROM fam_offices f JOIN {weights} oc ON oc.office = f.office
    ) GROUP BY 1
),
cl AS (
    SELECT doc_id, count(*) AS n, count(*) FILTER (WHERE independent) AS ind, count(independent) AS ind_known,
           arg_min(text, num) AS first_text
    FROM claims GROUP BY 1
),
first_claim_text AS (SELECT doc_id, first(text) AS text FROM texts WHERE kind = 'first_claim' GROUP BY 1),
cls AS (
    SELECT DISTINCT doc_id, left(code, 4) AS sub FROM classifications WHERE scheme = 'IPC' AND code IS NOT NULL
    UNION
    SELECT DISTINCT doc_id, left(code, 4) FROM classifications
    WHERE scheme = 'CPC' AND code IS NOT NULL
      AND doc_id NOT IN (SELECT doc_id FROM classifications WHERE scheme = 'IPC' AND code IS NOT NULL)
),
cls_n AS (SELECT doc_id, count(*) AS n FROM cls GROUP BY 1),
cls_w AS (SELECT c.doc_id, c.sub, 1.0 / n.n AS w FROM cls c JOIN cls_n n USING (doc_id)),
gen AS (
    SELECT doc_id, 1 - sum((s / tot) ^ 2) AS v FROM (
        SELECT doc_id, s, sum(s) OVER (PARTITION BY doc_id) AS tot FROM (
            SELECT p.cited AS doc_id, c.sub, sum(c.w) AS s
            FROM cite_pairs p JOIN cls_w c ON c.doc_id = p.citing GROUP BY 1, 2))
    GROUP BY 1
),
orig AS (
    SELECT doc_id, 1 - sum((s / tot) ^ 2) AS v FROM (
        SELECT doc_id, s, sum(s) OVER (PARTITION BY doc_id) AS tot FROM (
            SELECT p.citing AS doc_id, c.sub, sum(c.w) AS s
            FROM cite_pairs p JOIN cls_w c ON c.doc_id = p.cited GROUP BY 1, 2))
    GROUP BY 1
),
rad AS (
    SELECT p.citing AS doc_id, sum(CASE WHEN own.sub IS NULL THEN c.w ELSE 0 END) / sum(c.w) AS v
    FROM cite_pairs p JOIN cls_w c ON c.doc_id = p.cited
    LEFT JOIN cls own ON own.doc_id = p.citing AND own.sub = c.sub
    WHERE p.citing IN (SELECT doc_id FROM cls_n)
    GROUP BY 1
),
ev AS (
    SELECT doc_id,
        count(DISTINCT concat_ws('|', event_date, code, raw_text, counterparty))
            FILTER (WHERE event_class = 'transfer') AS transfers,
        count(DISTINCT concat_ws('|', event_date, code, raw_text, counterparty))
            FILTER (WHERE event_class = 'licence') AS licences,
        count(DISTINCT concat_ws('|', event_date, code, raw_text, counterparty))
            FILTER (WHERE event_class = 'pledge') AS pledges,
        count(DISTINCT concat_ws('|', event_date, code, raw_text, counterparty))
            FILTER (WHERE event_class = 'litigation') AS litigations,
        count(*) FILTER (WHERE event_class IN ('invalidation_request', 'invalidation_decision')) AS invalidations,
        bool_or(event_class = 'invalidation_decision' AND influence = '-') AS invalidated
    FROM legal_events WHERE event_date IS NULL OR event_date <= DATE '{as_of}'  -- events known at as_of
    GROUP BY 1
),
ev_obs AS (  -- which event classes the files behind a document carry
    SELECT df.doc_id,
        bool_or(fc.event_class = 'transfer') AS o_transfer, bool_or(fc.event_class = 'licence') AS o_licence,
        bool_or(fc.event_class = 'litigation') AS o_litigation,
        bool_or(fc.event_class IN ('invalidation_request', 'invalidation_decision')) AS o_invalidation
    FROM (SELECT doc_id, file_id FROM docs UNION SELECT DISTINCT doc_id, file_id FROM legal_events) df
    JOIN (SELECT DISTINCT file_id, event_class FROM legal_events) fc USING (file_id)
    GROUP BY 1
),
pl_obs AS ({pledge_sources}),  -- documents whose pledges a source records (the screening's rule)
inv AS (SELECT doc_id, count(*) AS n FROM inventors GROUP BY 1),
owner AS (
    SELECT doc_id, arg_min(type, (CASE role WHEN 'current_owner' THEN 0 WHEN 'patentee' THEN 1
                                          WHEN 'assignee' THEN 2 ELSE 3 END) * 100000 + coalesce(seq, 99999)) AS type
    FROM parties
    WHERE role IN ('current_owner', 'patentee', 'assignee', 'applicant') AND type IS NOT NULL
    GROUP BY 1
),
main_class AS (  -- the main IPC code, else the first; CPC when no IPC
    SELECT doc_id, arg_min(code, (scheme <> 'IPC')::INT * 1000000000 + (NOT coalesce(main, false))::INT * 1000000
                                 + coalesce(seq, 999999)) AS code
    FROM classifications WHERE scheme IN ('IPC', 'CPC') AND code IS NOT NULL GROUP BY 1
),
locarno AS (  -- designs: the Locarno class of the main (else first) Locarno code
    SELECT doc_id, split_part(arg_min(code, (NOT coalesce(main, false))::INT * 1000000 + coalesce(seq, 999999)),
                              '-', 1) AS class
    FROM classifications WHERE scheme = 'LOCARNO' AND code IS NOT NULL GROUP BY 1
),
field AS (
    SELECT m.doc_id, arg_max(f.field_id, length(f.ipc_prefix)) AS field_id,
           arg_max(f.field_en, length(f.ipc_prefix)) AS field_en
    FROM main_class m JOIN ref_tech_fields f
      ON f.scheme = 'wipo35' AND left(f.ipc_prefix, 4) = left(m.code, 4) AND starts_with(m.code, f.ipc_prefix)
    GROUP BY 1
),
joined AS (
    SELECT d.*, fwd.n AS fwd_n, fwd.n5 AS fwd_n5, (d.pub_date < horizon.h) AS corpus_obs,
           (d.pub_date + INTERVAL 5 YEAR <= horizon.h) AS corpus_obs5,
           bwd.pat AS bwd_pat, bwd.npl AS bwd_npl, cf.has_pat, cf.has_npl, fam.n AS fam_n, coverage.w AS cov_w,
           (fam.doc_id IS NOT NULL OR d.family_size = 1) AS cov_known,
           cl.n AS cl_n, cl.ind, cl.ind_known, coalesce(cl.first_text, first_claim_text.text) AS first_text,
           cls_n.n AS n_sub, gen.v AS generality, orig.v AS originality, rad.v AS radicalness,
           ev.transfers, ev.licences, ev.pledges, ev.litigations, ev.invalidations, ev.invalidated,
           ev_obs.*, pl_obs.doc_id IS NOT NULL AS o_pledge, inv.n AS inv_n, owner.type AS owner_type,
           main_class.code AS main_code, field.field_id, field.field_en, locarno.class AS locarno_class
    FROM docs2 d CROSS JOIN horizon
    LEFT JOIN fwd USING (doc_id) LEFT JOIN bwd USING (doc_id) LEFT JOIN cite_files cf ON cf.file_id = d.file_id
    LEFT JOIN fam USING (doc_id) LEFT JOIN coverage USING (doc_id) LEFT JOIN cl USING (doc_id)
    LEFT JOIN first_claim_text USING (doc_id) LEFT JOIN cls_n USING (doc_id) LEFT JOIN gen USING (doc_id)
    LEFT JOIN orig USING (doc_id) LEFT JOIN rad USING (doc_id) LEFT JOIN ev USING (doc_id)
    LEFT JOIN ev_obs USING (doc_id) LEFT JOIN pl_obs USING (doc_id) LEFT JOIN inv USING (doc_id)
    LEFT JOIN owner USING (doc_id)
    LEFT JOIN main_class USING (doc_id) LEFT JOIN field USING (doc_id) LEFT JOIN locarno USING (doc_id)
),
ended AS (  -- the in-force rule (ls_status): its term end, how sure it is, and whether it says not in force
    SELECT j.*, ls.term_end, ls.term_end_is, coalesce(ls.in_force = false, false) AS ended
    FROM joined j LEFT JOIN ls_status ls USING (doc_id)
)
SELECT
    doc_id, office, kind, doc_type, granted, grant_date_eff,
    CASE WHEN NOT granted THEN 'application'
         WHEN grant_date_eff IS NULL OR grant_date_eff > DATE '{as_of}' - INTERVAL {young} YEAR THEN 'young_grant'
         ELSE 'mature_grant' END AS stage,
    CASE WHEN field_id IS NOT NULL THEN 'wipo35:' || field_id
         WHEN main_code IS NOT NULL THEN left(main_code, 4)
         WHEN locarno_class IS NOT NULL THEN 'locarno:' || locarno_class
         WHEN doc_type IS NOT NULL THEN 'unclassified:' || doc_type
         ELSE 'unknown' END AS cohort_field,
    coalesce(field_en, left(main_code, 4), 'Locarno ' || locarno_class) AS cohort_field_name,
    year(coalesce(app_date, pub_date))::INTEGER AS cohort_year,
    CASE WHEN cited_by_count IS NOT NULL AND (NOT coalesce(corpus_obs, false) OR cited_by_count >= coalesce(fwd_n, 0))
         THEN 'source' WHEN coalesce(corpus_obs, false) THEN 'corpus' END AS forward_citations_source,
    CASE WHEN cited_by_count IS NOT NULL OR coalesce(corpus_obs, false)
         THEN greatest(cited_by_count, CASE WHEN corpus_obs THEN coalesce(fwd_n, 0) END) END::BIGINT
         AS forward_citations,
    CASE WHEN coalesce(corpus_obs5, false) THEN coalesce(fwd_n5, 0) END::BIGINT AS forward_citations_5y,
    CASE WHEN coalesce(bwd_pat, 0) > 0 OR coalesce(has_pat, false) THEN coalesce(bwd_pat, 0) END::BIGINT
         AS backward_citations,
    CASE WHEN coalesce(bwd_npl, 0) > 0 OR coalesce(has_npl, false) THEN coalesce(bwd_npl, 0) END::BIGINT
         AS npl_citations,
    CASE WHEN family_size IS NOT NULL OR fam_n IS NOT NULL THEN greatest(family_size, fam_n) END::BIGINT AS family_size,
    CASE WHEN cov_known THEN round(coalesce(cov_w, 0), 6) END AS market_coverage,
    cl_n::BIGINT AS claims,
    CASE WHEN ind_known > 0 THEN ind END::BIGINT AS independent_claims,
    CASE WHEN first_text IS NULL OR trim(first_text) = '' THEN NULL
         WHEN regexp_matches(first_text, '\\p{{Han}}')
             THEN length(regexp_replace(regexp_replace(first_text, '^\\s*\\d+\\s*[.、．]', ''),
                                        '[\\s\\p{{P}}]', '', 'g'))
         ELSE len(regexp_split_to_array(trim(regexp_replace(first_text, '^\\s*\\d+\\s*[.)]', '')), '\\s+'))
    END::BIGINT AS first_claim_length,
    n_sub::BIGINT AS ipc_subclasses,
    round(generality, 4) AS generality,
    round(originality, 4) AS originality,
    round(radicalness, 4) AS radicalness,
    CASE WHEN granted AND grant_date_eff IS NOT NULL AND app_date IS NOT NULL AND grant_date_eff >= app_date
         THEN round((grant_date_eff - app_date) / 365.25, 3) END AS grant_lag,
    CASE WHEN ended THEN 0.0  -- the rule's term end is after as_of when it does not say ended
         WHEN term_end_is = 'at_most' THEN NULL  -- a terminal disclaimer may end it any day before
         ELSE round((term_end - DATE '{as_of}') / 365.25, 3) END AS remaining_term,
    CASE WHEN coalesce(transfers, 0) > 0 OR coalesce(o_transfer, false) THEN coalesce(transfers, 0) END::BIGINT
         AS transfers,
    CASE WHEN coalesce(licences, 0) > 0 OR coalesce(o_licence, false) THEN coalesce(licences, 0) END::BIGINT
         AS licences,
    CASE WHEN coalesce(pledges, 0) > 0 OR coalesce(o_pledge, false) THEN coalesce(pledges, 0) END::BIGINT AS pledges,
    CASE WHEN coalesce(litigations, 0) > 0 OR coalesce(o_litigation, false) THEN coalesce(litigations, 0) END::BIGINT
         AS litigations,
    CASE WHEN coalesce(invalidations, 0) > 0 THEN (NOT coalesce(invalidated, false) AND NOT ended)::INT
         WHEN coalesce(o_invalidation, false) THEN 0 END::BIGINT AS invalidation_survived,
    inv_n::BIGINT AS inventors,
    owner_type AS applicant_type
FROM ended
"""


def indicator_sql(as_of: date, young_grant_years: int = 5) -> str:
    """The indicator query; needs the view :data:`WEIGHTS_VIEW` (see :func:`register_weights`) and the
    parameters :func:`indicator_params`."""
    return INDICATOR_SQL.format(granted=_granted_sql(), weights=WEIGHTS_VIEW, as_of=as_of.isoformat(),
                                young=int(young_grant_years), status_ctes=status_ctes("docs"),
                                pledge_sources=pledge_sources_sql("(SELECT doc_id, doc_id AS sib_id FROM docs)"))


def indicator_params(as_of: date) -> dict[str, Any]:
    """The named parameters of :func:`indicator_sql`: those of the in-force rule as of ``as_of``."""
    return status_params(ScreenSettings(as_of=as_of))


def register_weights(con: duckdb.DuckDBPyConnection) -> None:
    con.register(WEIGHTS_VIEW, office_countries())


def indicator_table(con: duckdb.DuckDBPyConnection, as_of: date | None = None, doc_ids: list[str] | None = None,
                    young_grant_years: int = 5) -> pa.Table:
    """The raw indicators of every stored (non-stub) document as an Arrow table, one row per document.

    ``doc_ids`` keeps only those rows; the indicators themselves always use the whole corpus (forward
    citations, generality). Columns: :data:`CONTEXT_COLUMNS` and one per :data:`INDICATORS`.

    ``as_of`` (default today) is the date the index is computed for: citing documents published after
    it and legal events dated after it are left out (stage, remaining term and lapse are at ``as_of``).
    Counts a source states without dates (``cited_by_count``, ``family_size``) are as of the source's
    export and are used as they are.
    """
    register_weights(con)
    try:
        as_of = as_of or date.today()
        table = con.sql(indicator_sql(as_of, young_grant_years), params=indicator_params(as_of)).to_arrow_table()
    finally:
        con.unregister(WEIGHTS_VIEW)
    if doc_ids is not None:
        import pyarrow.compute as pc

        table = table.filter(pc.is_in(table["doc_id"], value_set=pa.array(list(doc_ids), pa.string())))
    return table
