"""The CNIPA definition of a high-value invention patent (高价值发明专利), evaluated with evidence.

An in-force invention patent is high value when it meets any one of five conditions: strategic
emerging industry (战略性新兴产业), a valid overseas family member (海外同族专利权), maintained more than
10 years (维持年限超过10年), relatively high pledge financing (较高质押融资金额), or a State S&T Award or
China Patent Award (国家科学技术奖、中国专利奖). Every answer is ``true``, ``false`` or ``null``; a
``null`` always says why (the data cannot tell), and every answer keeps its evidence. The award condition is
true or null, never false: a patent on no loaded award list may still have an award
(:mod:`ipcockpit.value.award_lists`). So ``high_value`` is false only for a patent not in force.

Strategic emerging industry: an IPC code of the document (or of another publication of its
application) falls under a rule of the SEI concordance, and the rule's keyword column, read as what it
is (``ref_ipc_concordance.reading``, :mod:`ipcockpit.ingest.sei_readings`), lets it count: a product
list always (with ``strict_sei``, when one of its words is in the text); a keyword condition when one of
its terms is in the title, abstract or claims (false when they are there without one, unknown with the
title alone or no text); an exclusion unless a term of the excluded subject is in them.

The whole evaluation is one set-based DuckDB query (``CONDITIONS_SQL``) over the canonical tables;
nothing is queried per document, so it runs on millions of documents. Which SEI rules each distinct stored IPC
code matches is worked out before it, in Python (:func:`ipcockpit.model.classes.rule_hits`), and passed to it:
DuckDB compiles a regular expression read from a column again for every row, which took ~90 % of the query on a
gazette week (0.81-0.93 s → 0.25-0.33 s for 4,696 grants). :func:`evaluate` returns it as an Arrow table,
:func:`condition_rows` as one plain dict per document.

In force (有效) is the project's one in-force rule, :mod:`ipcockpit.value.legal_status`: the term from
filing (ended -> false); the last lapse, expiry, withdrawal or invalidation event after grant not followed by
a restoration (-> false; events of any publication of the same application count; an EP/WO event that
concerns one contracting state does not decide); the legal status text the source gives (有权/无权/有效/失效/
未缴年费/期限届满 ..., Lens ACTIVE/EXPIRED ..., USPTO "Patented Case" ...); a restoration. Otherwise it is
unknown. The same rule decides whether a family member abroad is in force (a utility model has the
term of its office, e.g. 10 years in CN, DE, JP, KR; 8 for AU innovation patents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit import memo
from ipcockpit.model.classes import rule_hits
from ipcockpit.value.award_lists import NO_LIST, counted_lists, listed, loaded_lists, not_listed
from ipcockpit.value.legal_status import ENDING_EVENTS as ENDING_EVENTS  # re-exported for older imports
from ipcockpit.value.legal_status import in_force_detail, status_ctes, status_params
from ipcockpit.value.settings import ScreenSettings

CONDITIONS = ("strategic_emerging_industry", "overseas_family", "maintained_over_10_years", "pledge_financing",
              "award")

#: the conditions' Chinese names, for Chinese reasons
ZH_NAMES = {"strategic_emerging_industry": "战略性新兴产业", "overseas_family": "海外同族专利权",
            "maintained_over_10_years": "维持年限超过10年", "pledge_financing": "较高质押融资金额",
            "award": "国家科学技术奖或中国专利奖"}
#: separators of SEI rule keywords (the rules list activities: "光纤宽带运营服务；...移动话音服务、...等其他电信服务")
KEYWORD_SPLIT = r"[；;、，,。/\s]+|等"

#: an invention grant: doc_type invention, or a stub whose kind says grant (B, C), or a kind-less US grant with
#: a plain number (US designs are D..., plants PP..., reissues RE...)
INVENTION_GRANT = (
    "d.stage = 'grant' AND (d.doc_type = 'invention' OR (d.doc_type IS NULL AND "
    "(regexp_matches(coalesce(d.kind, ''), '^[BC]') OR (d.kind IS NULL AND d.office = 'US' "
    "AND regexp_matches(coalesce(d.number, ''), '^[0-9]+$')))))"
)

#: formats whose legal events record a patent's pledges (security interests, 质押) whenever it has any, so
#: that a patent they give events for and no pledge has none: USPTO assignment records (SECURITY INTEREST
#: conveyances) and the INPADOC legal events of EPO OPS (CN 质押 codes among them). Lens owner lists
#: (transfers only), Thomson litigation cases and USPTO prosecution histories (PEDS, ODP transactions) do
#: not. Chinese table exports record pledges when they have a 质押 or 法律事件 column: their records say so
#: (``extra.records_pledges``, set by :mod:`ipcockpit.ingest.cn_table`). A file that holds a pledge event
#: records them too.
PLEDGE_FORMATS = ("uspto-assignment-xml", "epo-ops-xml")


def pledge_sources_sql(pairs: str) -> str:
    """A query of the documents whose pledges the data records, and the formats that record them
    (``doc_id``, ``pledge_sources``): for each ``doc_id`` of ``pairs`` (a relation of ``doc_id``, ``sib_id``:
    the document and every publication whose data counts for it), a legal event of a ``sib_id`` from a
    :data:`PLEDGE_FORMATS` file, a ``sib_id`` record that says its source records pledges, or a file behind
    a ``sib_id`` (its record's or its events') that holds a pledge event. The screening's pledge condition
    and the value index's pledge count both use it."""
    formats = ", ".join(f"'{f}'" for f in PLEDGE_FORMATS)
    return f"""
SELECT p.doc_id, list(DISTINCT f.format ORDER BY f.format) AS pledge_sources
FROM {pairs} p
JOIN (SELECT doc_id, file_id, true AS event, false AS says FROM legal_events
      UNION ALL SELECT doc_id, file_id, false, coalesce(json_extract_string(extra, '$.records_pledges') = 'true', false)
      FROM documents) x ON x.doc_id = p.sib_id
JOIN source_files f ON f.file_id = x.file_id
WHERE (x.event AND f.format IN ({formats})) OR x.says
   OR x.file_id IN (SELECT DISTINCT file_id FROM legal_events WHERE event_class = 'pledge')
GROUP BY p.doc_id"""


CONDITIONS_SQL = r"""
WITH
u AS (
  SELECT d.doc_id, d.office, d.kind, d.app_id, d.app_date, coalesce(d.grant_date, d.pub_date) AS grant_day,
         d.family_id, d.family_size, d.title, d.status
  FROM documents d
  WHERE {invention_grant}
    {universe}
),
sib AS (
  SELECT u.doc_id, d.doc_id AS sib_id FROM u JOIN documents d ON d.app_id = u.app_id
  UNION SELECT doc_id, doc_id FROM u
),
famkey AS (SELECT DISTINCT s.doc_id, f.family_id, f.scheme FROM sib s JOIN family_members f ON f.doc_id = s.sib_id),
members AS (
  SELECT k.doc_id, f.doc_id AS member_id
  FROM famkey k JOIN family_members f ON f.family_id = k.family_id AND f.scheme = k.scheme
  UNION SELECT u.doc_id, d.doc_id FROM u JOIN documents d ON d.family_id = u.family_id
),
cand AS (SELECT doc_id FROM u UNION SELECT member_id FROM members),
cdoc AS (  -- every candidate as the source gives it (the family condition reads its stage and kind)
  SELECT c.doc_id, coalesce(d.office, left(c.doc_id, 2)) AS office, d.kind, d.stage
  FROM cand c LEFT JOIN documents d USING (doc_id)
),
{legal},
ipc AS (
  SELECT DISTINCT s.doc_id, c.code FROM sib s JOIN classifications c ON c.doc_id = s.sib_id WHERE c.scheme = 'IPC'
),
rules AS (
  SELECT rule_id, code AS branch_code, name AS branch_name, parent_code AS industry_code,
         parent_name AS industry_name, ipc_regex, exclusion_regex, keywords, ipc_only, reading, condition_terms
  FROM ref_ipc_concordance WHERE scheme = $scheme AND coalesce(class_scheme, 'IPC') = 'IPC'
),
sei_pat AS (  -- the rules' distinct (regex, exclusion regex), numbered as sei_pair numbers them
  SELECT unnest($sei_rx::VARCHAR[]) AS ipc_regex, unnest($sei_ex::VARCHAR[]) AS exclusion_regex,
         unnest(range(len($sei_rx::VARCHAR[]))) AS pat
),
sei_pair AS (  -- the stored codes each pattern matches, matched in Python (_sei_params)
  SELECT unnest($sei_code::VARCHAR[]) AS code, unnest($sei_pat::BIGINT[]) AS pat
),
sei_hit AS (
  SELECT i.doc_id, i.code AS ipc, r.* EXCLUDE (ipc_regex, exclusion_regex)
  FROM ipc i JOIN sei_pair p ON p.code = i.code JOIN sei_pat q ON q.pat = p.pat
  JOIN rules r ON r.ipc_regex = q.ipc_regex AND r.exclusion_regex IS NOT DISTINCT FROM q.exclusion_regex
),
kw0 AS (  -- strict_sei: the words of a product column
  SELECT DISTINCT doc_id, rule_id, unnest(keywords) AS kwd FROM sei_hit
  WHERE $strict AND coalesce(reading, 'product') = 'product' AND NOT coalesce(ipc_only, false)
    AND len(coalesce(keywords, [])) > 0
),
kw AS (SELECT DISTINCT doc_id, rule_id, trim(unnest(regexp_split_to_array(kwd, $kw_split))) AS term FROM kw0),
ct AS (  -- the terms of a keyword condition or an exclusion: an ASCII term is a whole word, '*' lets it go on
  SELECT DISTINCT doc_id, rule_id, term,
         CASE WHEN regexp_full_match(term, '[ -~]+')
              THEN '\b' || rtrim(term, '*') || CASE WHEN ends_with(term, '*') THEN '' ELSE '\b' END
              ELSE term END AS term_re
  FROM (SELECT doc_id, rule_id, lower(unnest(condition_terms)) AS term FROM sei_hit
        WHERE reading IN ('keyword_condition', 'exclusion'))
),
sei_text AS (  -- title, abstract, claims and the source's keywords of the documents with terms to look for
  SELECT s.doc_id, t.field, lower(string_agg(t.text, ' ')) AS txt
  FROM sib s JOIN (
    SELECT doc_id, CASE kind WHEN 'first_claim' THEN 'claims' ELSE kind END AS field, text FROM texts
    WHERE kind IN ('title', 'abstract', 'first_claim', 'keywords')
    UNION ALL SELECT doc_id, 'claims', text FROM claims
    UNION ALL SELECT doc_id, 'title', title FROM documents WHERE title IS NOT NULL
  ) t ON t.doc_id = s.sib_id
  WHERE s.doc_id IN (SELECT doc_id FROM kw UNION SELECT doc_id FROM ct) AND coalesce(t.text, '') <> ''
  GROUP BY s.doc_id, t.field
),
text_kinds AS (SELECT doc_id, bool_or(field IN ('abstract', 'claims')) AS full_text FROM sei_text GROUP BY doc_id),
kw_hit AS (
  SELECT k.doc_id, k.rule_id, min(k.term) AS term
  FROM kw k JOIN sei_text d USING (doc_id)
  WHERE length(k.term) >= 2 AND contains(d.txt, lower(k.term))
  GROUP BY k.doc_id, k.rule_id
),
ct_hit AS (  -- the first term found, in the title first, then the abstract, the claims, the keywords
  SELECT c.doc_id, c.rule_id,
         arg_min(c.term, (CASE x.field WHEN 'title' THEN 0 WHEN 'abstract' THEN 1 WHEN 'claims' THEN 2 ELSE 3 END,
                          c.term)) AS term,
         arg_min(x.field, (CASE x.field WHEN 'title' THEN 0 WHEN 'abstract' THEN 1 WHEN 'claims' THEN 2 ELSE 3 END,
                           c.term)) AS field
  FROM ct c JOIN sei_text x USING (doc_id)
  WHERE regexp_matches(x.txt, c.term_re)
  GROUP BY c.doc_id, c.rule_id
),
sei_state AS (
  SELECT h.*, k.term AS keyword_hit, c.term AS condition_term, c.field AS condition_field,
         CASE
           WHEN h.reading = 'keyword_condition' THEN
             CASE WHEN c.term IS NOT NULL THEN 'met' WHEN len(coalesce(h.condition_terms, [])) = 0 THEN 'no_terms'
                  WHEN t.full_text THEN 'not_met' WHEN t.doc_id IS NOT NULL THEN 'title_only' ELSE 'no_text' END
           WHEN h.reading = 'exclusion' THEN
             CASE WHEN c.term IS NOT NULL THEN 'excluded'
                  WHEN len(coalesce(h.condition_terms, [])) = 0 OR t.doc_id IS NULL THEN 'unchecked'
                  ELSE 'not_excluded' END
         END AS condition_state
  FROM sei_hit h LEFT JOIN kw_hit k USING (doc_id, rule_id) LEFT JOIN ct_hit c USING (doc_id, rule_id)
  LEFT JOIN text_kinds t USING (doc_id)
),
sei_rows AS (  -- counted: true, false, or NULL when the text cannot show a rule's condition
  SELECT *,
         CASE WHEN condition_state = 'met' THEN true
              WHEN condition_state IN ('not_met', 'excluded') THEN false
              WHEN condition_state IN ('title_only', 'no_text', 'no_terms') THEN NULL
              ELSE NOT $strict OR coalesce(ipc_only, false) OR len(coalesce(keywords, [])) = 0
                   OR coalesce(reading, 'product') <> 'product' OR keyword_hit IS NOT NULL END AS counted
  FROM sei_state
),
sei AS (
  SELECT doc_id,
         CASE WHEN bool_or(counted) THEN true WHEN bool_or(counted IS NULL) THEN NULL ELSE false END AS sei_met,
         list(DISTINCT struct_pack(ipc := ipc, rule_id := rule_id, branch_code := branch_code,
                                   branch_name := branch_name, industry_code := industry_code,
                                   industry_name := industry_name, keywords := keywords, ipc_only := ipc_only,
                                   reading := reading, condition_state := condition_state,
                                   condition_term := condition_term, condition_field := condition_field,
                                   keyword_hit := keyword_hit, counted := counted)) AS sei_matches
  FROM sei_rows GROUP BY doc_id
),
has_ipc AS (SELECT DISTINCT doc_id FROM ipc),
fam AS (
  SELECT m.doc_id, m.member_id, c.office,
         CASE WHEN c.stage = 'grant' THEN true WHEN c.stage = 'application' THEN false
              WHEN regexp_matches(coalesce(c.kind, ''), '^[BC]') THEN true END AS granted,
         i.in_force, c.office <> u.office AND c.office <> 'WO' AS abroad
  FROM members m JOIN u USING (doc_id) JOIN cdoc c ON c.doc_id = m.member_id
  LEFT JOIN ls_status i ON i.doc_id = m.member_id
  WHERE m.member_id <> m.doc_id AND m.member_id NOT IN (SELECT sib_id FROM sib WHERE sib.doc_id = m.doc_id)
),
fam_agg AS (
  SELECT doc_id, count(*) AS fam_members,
         list(struct_pack(doc_id := member_id, office := office, granted := granted, in_force := in_force)
              ORDER BY member_id) FILTER (WHERE abroad) AS fam_abroad,
         coalesce(bool_or(abroad AND granted AND in_force), false) AS fam_valid,
         coalesce(bool_or(abroad AND granted AND in_force IS NULL), false) AS fam_unknown_force,
         coalesce(bool_or(abroad AND granted IS NOT true), false) AS fam_apps,
         coalesce(bool_or(abroad), false) AS fam_any_abroad
  FROM fam GROUP BY doc_id
),
has_fam AS (SELECT DISTINCT doc_id FROM famkey UNION SELECT doc_id FROM members WHERE member_id <> doc_id),
ev_u AS (SELECT e.* FROM ls_ev e SEMI JOIN u USING (doc_id)),
pl AS (
  SELECT doc_id, count(*) AS pl_n,
         sum(amount) FILTER (WHERE amount IS NOT NULL AND coalesce(currency, 'CNY') = 'CNY') AS pl_total,
         count(*) FILTER (WHERE amount IS NULL OR coalesce(currency, 'CNY') <> 'CNY') AS pl_unknown,
         list(struct_pack(date := event_date, pledgee := counterparty, amount := amount, currency := currency,
                          text := raw_text) ORDER BY event_date) AS pl_events
  FROM ev_u WHERE event_class = 'pledge' GROUP BY doc_id
),
any_ev AS (  -- the formats of the files that give each document its legal events
  SELECT e.doc_id, list(DISTINCT f.format ORDER BY f.format) AS ev_sources
  FROM ev_u e JOIN source_files f USING (file_id) GROUP BY e.doc_id
),
pl_src AS ({pledge_sources}),
aw0 AS (  -- an award counts from its year on (award_lists)
  SELECT u.doc_id, a.* EXCLUDE (doc_id, app_id) FROM u JOIN ref_awards a ON a.app_id = u.app_id
  WHERE a.year IS NULL OR a.year <= $aw_year
  UNION SELECT u.doc_id, a.* EXCLUDE (doc_id, app_id) FROM u JOIN ref_awards a ON a.doc_id = u.doc_id
  WHERE a.year IS NULL OR a.year <= $aw_year
),
aw AS (
  SELECT doc_id, list(struct_pack(award := award, edition := edition, level := level, year := year,
                                  title := title, holders := holders, record_id := record_id)
                      ORDER BY year, edition, level, record_id) AS aw_list
  FROM aw0 GROUP BY doc_id
),
apps AS (  -- each name once, in a stable order: patentees, applicants, assignees, then as the source lists them
  SELECT doc_id, list(name_raw ORDER BY rk, sq, name_raw) AS applicants FROM (
    SELECT s.doc_id, p.name_raw,
           min(CASE p.role WHEN 'patentee' THEN 0 WHEN 'applicant' THEN 1 ELSE 2 END) AS rk, min(p.seq) AS sq
    FROM sib s JOIN parties p ON p.doc_id = s.sib_id WHERE p.role IN ('applicant', 'patentee', 'assignee')
    GROUP BY 1, 2)
  GROUP BY doc_id
)
SELECT u.doc_id, u.office, u.app_id, u.app_date, u.grant_day, u.title, u.family_size, u.status,
       a.applicants,
       i.in_force, i.basis AS if_basis, i.term_years, i.term_from, i.term_start, i.term_adjustment_days,
       i.term_end, i.term_latest, i.term_end_is, i.disclaimer, i.parent_undated, i.neg_date, i.neg_text, i.neg_class,
       i.rest_date, i.rest_text,
       h.doc_id IS NOT NULL AS has_ipc, s.sei_met, s.sei_matches,
       hf.doc_id IS NOT NULL AS has_family, f.fam_members, f.fam_abroad, f.fam_valid, f.fam_unknown_force,
       f.fam_apps, f.fam_any_abroad,
       p.pl_n, p.pl_total, p.pl_unknown, p.pl_events, ae.doc_id IS NOT NULL AS has_events, ae.ev_sources,
       ps.pledge_sources,
       w.aw_list
FROM u
LEFT JOIN ls_status i USING (doc_id)
LEFT JOIN has_ipc h USING (doc_id)
LEFT JOIN sei s USING (doc_id)
LEFT JOIN has_fam hf USING (doc_id)
LEFT JOIN fam_agg f USING (doc_id)
LEFT JOIN pl p USING (doc_id)
LEFT JOIN any_ev ae USING (doc_id)
LEFT JOIN pl_src ps USING (doc_id)
LEFT JOIN aw w USING (doc_id)
LEFT JOIN apps a USING (doc_id)
{industry}
ORDER BY u.doc_id
"""


@dataclass(frozen=True)
class Universe:
    """Which invention grants to evaluate: all of them, or those the filters leave.

    ``doc_ids``: exactly these publications (stubs included); ``region``: a GB/T 2260 code prefix of an
    applicant's or patentee's ``admin_code``; ``applicant``: a substring of a party name (raw or
    normalised); ``year_from``: filing year at least; ``industry``: an SEI code prefix (``1``, ``1.2``)
    of a counted SEI match.
    """

    doc_ids: tuple[str, ...] | None = None
    region: str | None = None
    applicant: str | None = None
    year_from: int | None = None
    industry: str | None = None


def _query(settings: ScreenSettings, universe: Universe) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"scheme": settings.sei_scheme, "strict": settings.strict_sei, "kw_split": KEYWORD_SPLIT,
                              "aw_year": settings.as_of.year, **status_params(settings)}
    where: list[str] = []
    if universe.doc_ids is not None:
        params["ids"] = list(universe.doc_ids)
        where.append("d.doc_id IN (SELECT unnest($ids::VARCHAR[]))")
    else:
        where.append("NOT coalesce(d.stub, false)")
    party = ("EXISTS (SELECT 1 FROM documents d2 JOIN parties p ON p.doc_id = d2.doc_id "
             "WHERE (d2.doc_id = d.doc_id OR d2.app_id = d.app_id) AND p.role IN ('applicant', 'patentee', "
             "'assignee', 'current_owner') AND {cond})")
    if universe.region:
        params["region"] = universe.region.strip()
        where.append(party.format(cond="starts_with(p.admin_code, $region)"))
    if universe.applicant:
        from ipcockpit.model.names import normalise_name
        from ipcockpit.store.like import ESCAPE, contains_pattern

        params["applicant"] = contains_pattern(universe.applicant.strip())
        params["applicant_norm"] = contains_pattern(normalise_name(universe.applicant) or universe.applicant.strip())
        where.append(party.format(cond=f"(p.name_raw ILIKE $applicant {ESCAPE} "
                                       f"OR p.name_norm ILIKE $applicant_norm {ESCAPE})"))
    if universe.year_from:
        params["year_from"] = int(universe.year_from)
        where.append("year(d.app_date) >= $year_from")
    industry = ""
    if universe.industry:
        params["industry"] = universe.industry.strip().rstrip(".")
        industry = ("WHERE EXISTS (SELECT 1 FROM sei_rows r WHERE r.doc_id = u.doc_id AND r.counted AND "
                    "(r.industry_code = $industry OR r.branch_code = $industry "
                    "OR starts_with(r.branch_code, $industry || '.')))")
    sql = CONDITIONS_SQL.format(universe="".join(f"\n    AND {w}" for w in where), legal=status_ctes("cand"),
                                industry=industry, invention_grant=INVENTION_GRANT,
                                pledge_sources=pledge_sources_sql("sib"))
    return sql, params


def evaluate(con: duckdb.DuckDBPyConnection, settings: ScreenSettings | None = None,
             universe: Universe | None = None) -> pa.Table:
    """The raw evaluation of every invention grant in ``universe``: one Arrow row per document (kept while the
    store is unchanged: :mod:`ipcockpit.memo`)."""
    settings, universe = settings or ScreenSettings(), universe or Universe()

    def compute() -> pa.Table:
        sql, params = _query(settings, universe)
        return con.sql(sql, params={**params, **_sei_params(con, settings.sei_scheme)}).to_arrow_table()

    return memo.kept(con, ("conditions", settings, universe), compute)


def _sei_params(con: duckdb.DuckDBPyConnection, scheme: str) -> dict[str, list]:
    """The query's ``sei_pat`` and ``sei_pair``: the distinct patterns of the scheme's IPC rules and, for each
    stored IPC code, the patterns it matches (:func:`ipcockpit.model.classes.rule_hits`, once per distinct code,
    instead of a regular expression compiled per row in SQL)."""
    patterns = con.execute(
        "SELECT DISTINCT ipc_regex, exclusion_regex FROM ref_ipc_concordance WHERE scheme = ? "
        "AND coalesce(class_scheme, 'IPC') = 'IPC' AND ipc_regex IS NOT NULL ORDER BY ALL", [scheme]).fetchall()
    number = {p: i for i, p in enumerate(patterns)}
    codes = [c for (c,) in con.execute(
        "SELECT DISTINCT code FROM classifications WHERE scheme = 'IPC' AND code IS NOT NULL").fetchall()]
    hits = list(rule_hits(codes, patterns, lambda p: p))
    return {"sei_rx": [p[0] for p in patterns], "sei_ex": [p[1] for p in patterns],
            "sei_code": [c for c, _ in hits], "sei_pat": [number[p] for _, p in hits]}


def loaded(con: duckdb.DuckDBPyConnection, settings: ScreenSettings) -> dict[str, Any]:
    """What the conditions need of the reference tables: rows of the SEI scheme and of the award lists, and
    the award lists loaded (``award_lists``: one dict per session, see :mod:`ipcockpit.value.award_lists`)."""
    [(sei, awards)] = con.execute(
        "SELECT (SELECT count(*) FROM ref_ipc_concordance WHERE scheme = ?), (SELECT count(*) FROM ref_awards)",
        [settings.sei_scheme],
    ).fetchall()
    return {"sei": int(sei), "awards": int(awards), "award_lists": loaded_lists(con) if awards else []}


def condition_rows(con: duckdb.DuckDBPyConnection, settings: ScreenSettings | None = None,
                   universe: Universe | None = None) -> list[dict[str, Any]]:
    """One dict per invention grant: ``publication_number``, ``high_value``, ``in_force`` and ``conditions``."""
    settings = settings or ScreenSettings()
    refs = loaded(con, settings)
    return [judge_row(r, settings, refs) for r in evaluate(con, settings, universe).to_pylist()]


# judging one evaluated row ---------------------------------------------------------------------
def _c(met: bool | None, evidence: dict[str, Any] | None, en: str, zh: str) -> dict[str, Any]:
    return {"met": met, "evidence": evidence, "reason": en, "reason_zh": zh}


def _d(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


_FIELD_ZH = {"title": "题名", "abstract": "摘要", "claims": "权利要求", "keywords": "关键词"}


def _rule(m: dict[str, Any]) -> tuple[str, str]:
    return (f"IPC {m['ipc']} matches rule {m['rule_id']}: {m['branch_code']} {m['branch_name']} ({m['industry_name']})",
            f"IPC {m['ipc']} 符合规则 {m['rule_id']}：{m['branch_code']} {m['branch_name']}（{m['industry_name']}）")


def _column(m: dict[str, Any]) -> str:
    return "；".join(m["keywords"] or [])


def _found(m: dict[str, Any]) -> tuple[str, str]:
    field = m["condition_field"] or ""
    return f"'{m['condition_term']}' in the {field}", f"{_FIELD_ZH.get(field, field)}中有“{m['condition_term']}”"


def _sei_true(m: dict[str, Any]) -> tuple[str, str]:
    en, zh = _rule(m)
    state, col = m["condition_state"], _column(m)
    if state == "met":
        f_en, f_zh = _found(m)
        return f"{en}; condition '{col}' met: {f_en}", f"{zh}；满足条件“{col}”：{f_zh}"
    if state == "not_excluded":
        return f"{en}; exclusion '{col}' does not apply", f"{zh}；不属于排除情形“{col}”"
    if state == "unchecked":
        return (f"{en}; exclusion '{col}' not checked (no title, abstract or claims in the data)",
                f"{zh}；排除情形“{col}”未核对（数据中无题名、摘要和权利要求）")
    if m["keyword_hit"]:
        return f"{en}; keyword '{m['keyword_hit']}'", f"{zh}，关键词“{m['keyword_hit']}”"
    return en, zh


def _sei_unknown(m: dict[str, Any]) -> tuple[str, str]:
    en, zh = _rule(m)
    col = _column(m)
    en += f", which applies only when the text meets its condition '{col}'"
    zh += f"，该规则仅在文本满足条件“{col}”时适用"
    if m["condition_state"] == "title_only":
        return (f"{en}; the data has only the title, and it does not show the condition",
                f"{zh}；数据中只有题名，题名未体现该条件")
    if m["condition_state"] == "no_terms":
        return f"{en}; the condition has no reviewed terms to look for", f"{zh}；该条件没有经审核的判断词"
    return f"{en}; the data has no title, abstract or claims to check it", f"{zh}；数据中无题名、摘要和权利要求可供核对"


def _sei_false(m: dict[str, Any]) -> tuple[str, str]:
    en, zh = _rule(m)
    col = _column(m)
    if m["condition_state"] == "excluded":
        f_en, f_zh = _found(m)
        return f"{en}, but its exclusion '{col}' applies: {f_en}", f"{zh}，但属于排除情形“{col}”：{f_zh}"
    if m["condition_state"] == "not_met":
        return (f"{en}, but its condition '{col}' is not met: none of its terms occurs in the title, "
                "abstract or claims",
                f"{zh}，但不满足条件“{col}”：题名、摘要和权利要求中均无其判断词")
    return (f"strict mode: IPC {m['ipc']} matches rule {m['rule_id']} but no keyword of the rule occurs in the title, "
            "abstract or claims",
            f"严格模式：IPC {m['ipc']} 符合规则 {m['rule_id']}，但题名、摘要和权利要求中无该规则关键词")


def _sei(r: dict[str, Any], s: ScreenSettings, refs: dict[str, Any]) -> dict[str, Any]:
    """SEI: met when a matching rule counts; unknown when none counts and a rule's condition cannot be checked.

    A rule counts by the reading of its keyword column: a keyword condition when a term of it occurs in
    the title, abstract or claims (unknown with the title alone or no text); an exclusion unless a term of
    the excluded subject occurs; a product column always (with ``strict_sei``: when one of its words occurs).
    """
    if not refs["sei"]:
        return _c(None, None, f"load the SEI concordance for scheme '{s.sei_scheme}' "
                  "(classification/cnipa_sei2021_ipc_concordance.json or the official table as sei-table-csv)",
                  f"未载入战略性新兴产业分类与国际专利分类参照关系表（体系 {s.sei_scheme}）")
    if not r["has_ipc"]:
        return _c(None, None, "the document has no IPC code in the data", "数据中该专利无IPC分类号")
    order = {True: 0, None: 1, False: 2}
    matches = sorted(r["sei_matches"] or [], key=lambda m: (order[m["counted"]], m["rule_id"] or "", m["ipc"] or ""))
    ev = {"scheme": s.sei_scheme, "strict": s.strict_sei, "matches": matches}
    if not matches:
        return _c(False, ev, "no IPC code of the document falls under the SEI concordance",
                  "IPC分类号不属于战略性新兴产业参照关系表")
    first = matches[0]
    if first["counted"]:
        return _c(True, ev, *_sei_true(first))
    if first["counted"] is None:
        return _c(None, ev, *_sei_unknown(first))
    return _c(False, ev, *_sei_false(first))


def _overseas(r: dict[str, Any]) -> dict[str, Any]:
    office = r["office"]
    abroad = r["fam_abroad"] or []
    ev = {"office": office, "members_in_data": r["fam_members"] or 0, "abroad": abroad}
    names = ", ".join(m["doc_id"] for m in abroad[:8])
    if r["fam_valid"]:
        valid = [m["doc_id"] for m in abroad if m["granted"] and m["in_force"]]
        return _c(True, ev, f"granted family members in force outside {office}: {', '.join(valid[:8])}",
                  f"{office}以外有效的同族专利权：{', '.join(valid[:8])}")
    if r["fam_unknown_force"]:
        return _c(None, ev, f"granted family members outside {office} ({names}), in-force status unknown",
                  f"{office}以外有授权同族（{names}），是否有效未知")
    if r["fam_apps"]:
        return _c(None, ev, f"family members outside {office} ({names}) are applications or of unknown stage; "
                  "no granted member abroad in the data",
                  f"{office}以外同族（{names}）为申请或阶段未知，数据中无境外授权同族")
    if r["fam_any_abroad"]:
        return _c(False, ev, f"every granted family member outside {office} has lapsed ({names})",
                  f"{office}以外的同族专利权均已失效（{names}）")
    if r["has_family"]:
        return _c(False, ev, f"family data present ({r['fam_members'] or 0} other members), none outside {office}",
                  f"有同族数据（其他成员{r['fam_members'] or 0}件），均在{office}")
    size = r["family_size"]
    if size == 1:
        return _c(False, {"office": office, "family_size": 1}, "the source counts a family of 1 (this document only)",
                  "来源记载同族数为1（仅本件）")
    if size:
        return _c(None, {"office": office, "family_size": size},
                  f"the source counts a family of {size} but lists no members",
                  f"来源记载同族数为{size}，但未列出同族成员")
    return _c(None, None, "no family data for this document", "数据中无该专利的同族信息")


def _maintained(r: dict[str, Any], s: ScreenSettings, in_force: bool | None) -> dict[str, Any]:
    start = r["grant_day"] if s.maintenance_start == "grant" else r["app_date"]
    label, label_zh = ("grant", "授权日") if s.maintenance_start == "grant" else ("filing", "申请日")
    if start is None:
        return _c(None, None, f"no {label} date in the data", f"数据中无{label_zh}")
    years = round((s.as_of - start).days / 365.25, 2)
    ev = {"start": label, "start_date": _d(start), "as_of": _d(s.as_of), "years": years}
    try:
        over = s.as_of > start.replace(year=start.year + s.maintenance_years)
    except ValueError:  # 29 February
        over = s.as_of > start.replace(year=start.year + s.maintenance_years, day=28)
    n = s.maintenance_years
    if not over:
        return _c(False, ev, f"{years} years since {label} ({_d(start)}), not more than {n}",
                  f"自{label_zh}{_d(start)}起{years}年，未超过{n}年")
    if in_force is None:
        return _c(None, ev, f"{years} years since {label}, but whether it is still in force is unknown",
                  f"自{label_zh}起{years}年，但是否仍有效未知")
    if not in_force:
        return _c(False, ev, f"{years} years since {label}, but not in force", f"自{label_zh}起{years}年，但已失效")
    return _c(True, ev, f"in force and maintained {years} years since {label} ({_d(start)})",
              f"有效且自{label_zh}{_d(start)}起维持{years}年")


def _pledge(r: dict[str, Any], s: ScreenSettings) -> dict[str, Any]:
    threshold = s.pledge_threshold
    if r["pl_n"]:
        total = r["pl_total"] or 0.0
        ev = {"events": r["pl_events"], "total_cny": total, "threshold_cny": threshold}
        if total >= threshold:
            return _c(True, ev, f"pledge financing of {total:,.0f} CNY (threshold {threshold:,.0f})",
                      f"质押融资金额{total:,.0f}元（阈值{threshold:,.0f}元）")
        if r["pl_unknown"]:
            return _c(None, ev, f"pledge registered, amount unknown ({r['pl_unknown']} of {r['pl_n']} pledges "
                      "without a CNY amount)",
                      f"有质押登记，金额未知（{r['pl_n']}次中{r['pl_unknown']}次无人民币金额）")
        return _c(False, ev, f"pledge financing of {total:,.0f} CNY, below the threshold of {threshold:,.0f}",
                  f"质押融资金额{total:,.0f}元，低于阈值{threshold:,.0f}元")
    if r["pledge_sources"]:
        sources = ", ".join(r["pledge_sources"])
        return _c(False, {"events": [], "threshold_cny": threshold, "sources": r["pledge_sources"]},
                  f"a source that records pledges covers this patent ({sources}) and none is a pledge",
                  f"记录质押的来源（{sources}）覆盖该专利，无质押")
    if r["has_events"]:  # owner changes, litigation, prosecution steps: they say nothing about pledges
        sources = ", ".join(r["ev_sources"])
        return _c(None, {"event_sources": r["ev_sources"]},
                  f"the legal events in the data come only from sources that do not record pledges ({sources}), "
                  "so pledges cannot be known",
                  f"数据中的法律事件仅来自不记录质押的来源（{sources}），无法判断质押情况")
    return _c(None, None, "no legal events in the data, so pledges cannot be known",
              "数据中无法律事件，无法判断质押情况")


def _award(r: dict[str, Any], s: ScreenSettings, refs: dict[str, Any]) -> dict[str, Any]:
    """On a loaded list: true. On none: unknown, naming the lists loaded (never false: award_lists)."""
    if r["aw_list"]:
        en, zh = listed(r["aw_list"])
        return _c(True, {"awards": r["aw_list"]}, en, zh)
    if not refs["awards"]:
        return _c(None, None, *NO_LIST)
    counted, later = counted_lists(refs["award_lists"], s.as_of)
    return _c(None, {"award_lists": counted, "not_counted": later}, *not_listed(refs["award_lists"], s.as_of))


def judge(in_force: bool | None, conditions: dict[str, dict[str, Any]]) -> tuple[bool | None, str, str]:
    """High value from in force and the five conditions: (answer, reason, reason in Chinese)."""
    met = [k for k, c in conditions.items() if c["met"] is True]
    unknown = [k for k, c in conditions.items() if c["met"] is None]
    met_zh, unknown_zh = "、".join(ZH_NAMES.get(k, k) for k in met), "、".join(ZH_NAMES.get(k, k) for k in unknown)
    if in_force is False:
        return False, "not in force", "专利权已失效"
    if met and in_force:
        return True, f"in force and meets: {', '.join(met)}", f"有效，且满足：{met_zh}"
    if met:
        return None, f"meets {', '.join(met)} but whether it is in force is unknown", \
            f"满足{met_zh}，但是否有效未知"
    if unknown:
        return None, f"no condition met; unknown: {', '.join(unknown)}", f"未满足任何条件；无法判断：{unknown_zh}"
    return False, "none of the five conditions is met", "五项条件均不满足"


def judge_row(r: dict[str, Any], s: ScreenSettings, refs: dict[str, Any]) -> dict[str, Any]:
    """One evaluated row as the screening result: the conditions, in force and high value."""
    force = in_force_detail(r, s)
    conditions = {
        "strategic_emerging_industry": _sei(r, s, refs),
        "overseas_family": _overseas(r),
        "maintained_over_10_years": _maintained(r, s, force["met"]),
        "pledge_financing": _pledge(r, s),
        "award": _award(r, s, refs),
    }
    high, why, why_zh = judge(force["met"], conditions)
    return {
        "publication_number": r["doc_id"], "office": r["office"], "app_id": r["app_id"],
        "filing_date": r["app_date"] and _d(r["app_date"]), "grant_date": r["grant_day"] and _d(r["grant_day"]),
        "title": r["title"], "applicants": r["applicants"] or [],
        "high_value": high, "high_value_reason": why, "high_value_reason_zh": why_zh,
        "in_force": force["met"], "in_force_detail": force, "conditions": conditions,
    }
