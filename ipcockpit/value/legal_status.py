"""Is this patent still alive? The one in-force (有效) rule of ipcockpit, as SQL and as labels.

Every part of the project that asks whether a publication's rights still exist uses this module: the
high-value screening (:mod:`ipcockpit.value.conditions`: ``in_force`` of each invention grant and of its
family members), FTO screening (:func:`ipcockpit.search.claim_index.legal_status`: which claims can still
be infringed) and the search index (:mod:`ipcockpit.search.index`: the ``in_force`` filter). A change to
the rule is made here and nowhere else.

For each publication, as of ``ScreenSettings.as_of``, the first of these that applies decides (``basis``):

1. ``term``: the term has ended -> not in force. ``ScreenSettings.term_years`` (20) from filing for
   inventions and every other kind. Utility models (实用新型) have the utility-model term of their office
   from filing (:data:`UTILITY_MODEL_TERMS`): 10 years in CN, DE, JP, KR and the other offices listed, 8
   for AU innovation patents, 15 for BR; offices not listed get :data:`UTILITY_MODEL_DEFAULT_TERM_YEARS`
   (15), the longest utility-model term in the table, so that the rule says the term ended only when it
   certainly has (DE and AT ones to the end of that month, :data:`UTILITY_MODEL_MONTH_END`; the notes of
   the table say where older laws and BR term extensions differ). Designs (外观设计) have the design term
   of their office: US designs 15 years from grant
   (:data:`US_DESIGN_TERM_YEARS`) when filed on or after 2015-05-13, else 14 (no grant date, no term
   end); CN designs 15 years from filing (:data:`CN_DESIGN_TERM_YEARS`) when filed on or after
   2021-06-01, else 10; designs of every other office 25 years from filing (:data:`DESIGN_TERM_YEARS`),
   the longest design term there is, so that the rule says the term ended only when it certainly has.
   US utility and plant patents (35 U.S.C. 154): 20 years from the earliest US or PCT application the record
   names as a continuation, division or continuation-in-part parent (``term_from`` ``parent``), else from
   filing, plus the patent-term adjustment the record prints (USPTO XML ``us-term-extension``:
   ``term_adjustment_days``); for applications filed before 1995-06-08 the longer of that and 17 years from
   grant (:data:`US_GATT_DAY`). A terminal disclaimer or a parent without a date in the record makes that end
   an upper bound (``term_end_is`` ``at_most``): the rule then still says ended only after it, and never says
   more than the bound allows (the reasons say so; the value index gives no remaining term). A US utility
   grant without a filing date has no term end; its rights have certainly ended
   :data:`US_MAX_TERM_FROM_GRANT_YEARS` (25) years after grant, the longest possible term
   (``term_latest``, ``term_end_is`` ``latest_possible``). Extensions for regulatory review (35 U.S.C. 156,
   EU SPCs ...), the patent-term adjustments of other sources and design renewals are not in the data.
2. ``event``: the last lapse, expiry, withdrawal or invalidation event (:data:`ENDING_EVENTS`) after grant
   that no restoration follows -> not in force; for an application a refusal counts too. Events of any
   publication of the same application count; events dated after ``as_of`` do not; an event marked
   ``influence = '+'`` does not end anything; an EP/WO/EA/AP/OA event about one contracting state
   (:data:`NATIONAL_EVENT`) does not decide.
3. ``status``: the legal status text the source gives, by the regular expressions below, checked in order
   (有权/无权/有效/失效/未缴年费/期限届满 ..., Lens ACTIVE/EXPIRED ..., USPTO "Patented Case" ...).
4. ``restoration``: a restoration (权利恢复) event -> in force.
5. ``unknown``: nothing in the data says.

``in_force`` is false for ``term`` and ``event``, the status text's answer for ``status``, true for
``restoration`` and null for ``unknown``. The label (``legal_status``, :data:`STATUS_LABELS`) says the same
in words, for every kind of publication: ``expired`` / ``lapsed`` / ``withdrawn`` / ``invalidated`` /
``refused`` / ``not_in_force`` when the rights ended; ``pending`` for an application whose rights did
not end (whatever its status text); ``in_force`` for a grant the data says is in force; ``granted`` for a
grant whose in-force state the data cannot tell (most USPTO grants: maintenance fees are not in the
data); ``superseded`` for an application whose grant is stored (the grant's rights count).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from ipcockpit.value.settings import ScreenSettings

#: the term of a utility model (实用新型) from filing, in years, in CN and most offices (CN, DE, JP, KR ...)
UTILITY_MODEL_TERM_YEARS = 10
#: the utility-model term of each office, in years from filing. Terms of older laws were never longer than
#: the longest of the table (JP applications filed before 1994 and KR ones before 1999-07-01: 10 years from
#: the publication of the examined application, at most 15 from filing; TW 新型 filed before 2004-07-01: 12
#: years), and all of them ended by 2016: for an ``as_of`` before that, the 10 of JP, KR and TW may be short.
UTILITY_MODEL_TERMS: dict[str, int] = {
    "CN": UTILITY_MODEL_TERM_YEARS,  # 专利法 第四十二条 (applications filed from 1993-01-01; 5 + 3 years before)
    "DE": 10,  # Gebrauchsmustergesetz § 23 (1) (to the end of the month: UTILITY_MODEL_MONTH_END)
    "AT": 10,  # Gebrauchsmustergesetz § 6 (likewise)
    "JP": 10,  # 実用新案法 第15条 (applications filed from 2005-04-01; 6 years from 1994 to 2005)
    "KR": 10,  # 실용신안법 제22조
    "TW": 10,  # 專利法 第114條 (新型專利)
    "CZ": 10,  # zákon č. 478/1992 Sb. § 12: 4 years, extended twice by 3
    "SK": 10,  # zákon č. 517/2007 Z. z. o úžitkových vzoroch: 4 years, extended twice by 3
    "PL": 10,  # Prawo własności przemysłowej art. 94
    "ES": 10,  # Ley 24/2015 de Patentes art. 152
    "IT": 10,  # Codice della proprietà industriale art. 85
    "RU": 10,  # Гражданский кодекс ст. 1363
    "UA": 10,  # Закон «Про охорону прав на винаходи і корисні моделі» (10 years from filing)
    "AU": 8,  # innovation patents: Patents Act 1990 s. 68 (petty patents before 2001: at most 6)
    # modelo de utilidade: Lei 9.279/96 art. 40. Its sole paragraph (at least 7 years from grant) was struck
    # down in 2021 (STF ADI 5529; revoked by Lei 14.195/2021); utility models granted late before that keep
    # the longer term, which the rule does not give them
    "BR": 15,
}
#: the utility-model term of an office not in :data:`UTILITY_MODEL_TERMS`: the longest in the table.
UTILITY_MODEL_DEFAULT_TERM_YEARS = max(UTILITY_MODEL_TERMS.values())
#: offices whose utility models end at the end of the month in which the term from filing ends
#: (DE: Gebrauchsmustergesetz § 23 (1); AT: Gebrauchsmustergesetz § 6)
UTILITY_MODEL_MONTH_END = ("DE", "AT")
#: US design patents: the term runs from grant, 15 years for applications filed on or after 2015-05-13,
#: 14 years before (35 U.S.C. 173 as amended by the Patent Law Treaties Implementation Act of 2012,
#: Pub. L. 112-211, sec. 102(7); applies by filing date)
US_DESIGN_TERM_YEARS = 15
US_DESIGN_TERM_YEARS_BEFORE = 14
US_DESIGN_TERM_FROM = date(2015, 5, 13)
#: CN designs (外观设计专利): 15 years from filing for applications filed on or after 2021-06-01, 10 years
#: before (专利法 2020 年修正 第四十二条, in force 2021-06-01; the earlier law's Art. 42: ten years)
CN_DESIGN_TERM_YEARS = 15
CN_DESIGN_TERM_YEARS_BEFORE = 10
CN_DESIGN_TERM_FROM = date(2021, 6, 1)
#: designs of every other office: 25 years from filing, the longest design term there is (EU registered
#: Community designs: 5-year periods renewed up to 25 years from filing, Regulation (EC) No 6/2002 Art. 12;
#: Japan: 25 years from filing for applications filed from 2020-04-01, Design Act Art. 21 as amended in
#: 2019), so that the rule says a design's term ended only when it certainly has
DESIGN_TERM_YEARS = 25
#: US utility and plant patents of applications filed before 1995-06-08 (the URAA, Pub. L. 103-465, sec. 532):
#: the longer of 17 years from grant and 20 years from filing, or 17 years from grant alone for those that
#: had ended before that day (35 U.S.C. 154(c)(1))
US_GATT_DAY = date(1995, 6, 8)
US_TERM_FROM_GRANT_YEARS = 17
#: the longest patent-term extension for regulatory review (35 U.S.C. 156(g)(6): at most 5 years); such
#: extensions are not in the data
US_MAX_EXTENSION_YEARS = 5
#: the longest term a US utility or plant patent can have, in years from grant, used when the record has no
#: filing date: 20 years from the (earliest) filing plus a patent-term adjustment never runs past 20 years
#: from grant, because the adjustment only counts days of the pendency (35 U.S.C. 154(b)(1)-(2)(A));
#: 17 years from grant is shorter; plus the longest extension of 35 U.S.C. 156
US_MAX_TERM_FROM_GRANT_YEARS = 20 + US_MAX_EXTENSION_YEARS
#: legal status texts: checked in this order (first match decides); case-insensitive regular expressions
STATUS_TRUE_FIRST = r"^\s*有权"
STATUS_FALSE_FIRST = r"^\s*无权"
STATUS_FALSE = (r"失效|未缴年费|期限届满|届满|终止|放弃|撤回|驳回|全部无效|被无效|expired|inactive|discontinued|"
                r"ceased|lapsed|revoked|withdrawn|abandon|dead|not in force")
STATUS_TRUE = r"部分无效|有效|授权|^\s*active|^\s*granted|^\s*patented|in force|^\s*alive"
#: event classes that end the rights when they come after grant (unless a restoration follows)
ENDING_EVENTS = ("lapse", "expiry", "withdrawal", "invalidation_decision")
#: the event class that ends an application
REFUSAL = "refusal"
#: an EP/WO event about one contracting state, not the whole patent
NATIONAL_EVENT = r"(?i)contracting state|ref country code|^[A-Z]{2}: "
#: the label of rights ended by an event of each class
EVENT_STATUS = {"lapse": "lapsed", "expiry": "expired", "withdrawal": "withdrawn",
                "invalidation_decision": "invalidated", REFUSAL: "refused"}
#: labels whose claims can still be infringed
LIVE = ("in_force", "granted", "pending")
#: labels of rights that ended
ENDED = ("expired", "lapsed", "withdrawn", "invalidated", "refused", "not_in_force")
#: every label, in Chinese and English
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "in_force": ("有效", "in force"),
    "granted": ("已授权（数据中无失效记录）", "granted, no lapse in the data"),
    "pending": ("审中（申请未授权）", "pending application"),
    "expired": ("期限届满", "expired"),
    "lapsed": ("失效", "lapsed"),
    "withdrawn": ("撤回", "withdrawn"),
    "invalidated": ("被宣告无效", "invalidated"),
    "refused": ("驳回", "refused"),
    "not_in_force": ("无效（法律状态）", "not in force (legal status)"),
    "superseded": ("已授权（以授权文本为准）", "granted under another publication"),
}

# The rule as CTEs over a relation {docs} with one row per doc_id (a publication may be missing from
# `documents`: a family member known only by number). ls_ev (the events of each document and of the
# other publications of its application, up to as_of) is kept for callers that read other events.
_CTES = r"""
ls_doc0 AS (
  SELECT *,
         -- US utility and plant patents (35 U.S.C. 154): the term counts from the earliest parent of a
         -- continuation, division or continuation-in-part the record names; a patent-term adjustment is added
         office = 'US' AND coalesce(doc_type, 'invention') IN ('invention', 'plant') AS us_utility,
         CASE WHEN office = 'US' THEN list_filter(
                CAST(json_extract(extra, '$.related_documents') AS JSON[]),
                lambda r: json_extract_string(r, '$.relation') IN ('continuation', 'continuation-in-part', 'division'))
         END AS us_parents
  FROM (
    SELECT x.doc_id, coalesce(d.office, left(x.doc_id, 2)) AS office, d.doc_type, d.kind, d.app_id, d.app_date,
           coalesce(d.stage, CASE WHEN regexp_matches(coalesce(d.kind, ''), '^[BCUY]') THEN 'grant'
                                  ELSE 'application' END) AS stage,
           coalesce(d.grant_date, CASE WHEN d.stage = 'grant' THEN d.pub_date END) AS grant_day, d.status,
           d.title, d.lang, d.extra
    FROM {docs} x LEFT JOIN documents d USING (doc_id)
  )
),
ls_doc1 AS (
  SELECT * EXCLUDE (extra, us_parents),
         CASE WHEN us_utility THEN TRY_CAST(json_extract_string(extra, '$.term_extension_days') AS INTEGER)
         END AS pta_days,
         coalesce(office = 'US' AND json_extract_string(extra, '$.terminal_disclaimer') = 'true', false)
           AS disclaimer,
         CASE WHEN us_utility THEN list_min(list_transform(us_parents, lambda r: TRY_STRPTIME(regexp_extract(
                json_extract_string(r, '$.documents[0]'), '^\S+ \S+ (?:\S+ )?((?:1[89]|20)\d{{6}})$', 1),
                '%Y%m%d')::DATE)) END AS parent_date,
         us_utility AND list_bool_or(list_transform(us_parents, lambda r: NOT regexp_matches(
                coalesce(json_extract_string(r, '$.documents[0]'), ''), '^\S+ \S+ (?:\S+ )?(?:1[89]|20)\d{{6}}$')))
           AS parent_undated
  FROM ls_doc0
),
ls_doc2 AS (
  SELECT *,
         CASE WHEN us_utility AND parent_date < coalesce(app_date, DATE '9999-12-31') THEN parent_date
              ELSE app_date END AS filing_start,
         -- applications filed before 1995-06-08: the longer of 17 years from grant and 20 from filing
         -- (only 17 from grant when those ended before that day)
         us_utility AND app_date < $ls_us_gatt_day AND grant_day IS NOT NULL
           AND (grant_day + to_years($ls_us_grant_years) <= $ls_us_gatt_day
                OR grant_day + to_years($ls_us_grant_years)
                   > least(app_date, parent_date) + to_years($ls_term_years)) AS us_from_grant
  FROM ls_doc1
),
ls_doc AS (
  SELECT *,
         CASE WHEN doc_type = 'utility_model'
                THEN coalesce(MAP($ls_um_offices::VARCHAR[], $ls_um_years::INTEGER[])[office], $ls_um_default)
              WHEN us_from_grant THEN $ls_us_grant_years
              WHEN doc_type IS DISTINCT FROM 'design' THEN $ls_term_years
              -- US designs from grant; with no filing date, a grant before the PLTIA day was filed before it
              WHEN office = 'US' THEN CASE WHEN coalesce(app_date, grant_day) < $ls_us_design_from
                                           THEN $ls_us_design_years_before ELSE $ls_us_design_years END
              WHEN office = 'CN' THEN CASE WHEN app_date < $ls_cn_design_from
                                           THEN $ls_cn_design_years_before ELSE $ls_cn_design_years END
              ELSE $ls_design_years END AS term_years,
         CASE WHEN (doc_type = 'design' AND office = 'US') OR us_from_grant THEN 'grant'
              WHEN filing_start IS DISTINCT FROM app_date THEN 'parent'
              ELSE 'filing' END AS term_from,
         CASE WHEN us_from_grant THEN NULL ELSE pta_days END AS term_adjustment_days,
         -- no filing date: the longest term a US utility grant can have (see US_MAX_TERM_FROM_GRANT_YEARS)
         CASE WHEN us_utility AND stage = 'grant' AND filing_start IS NULL
              THEN CAST(grant_day + to_years($ls_us_max_from_grant) AS DATE) END AS term_latest
  FROM ls_doc2
),
ls_sib AS (
  SELECT x.doc_id, d.doc_id AS sib_id FROM ls_doc x JOIN documents d ON d.app_id = x.app_id
  UNION SELECT doc_id, doc_id FROM ls_doc
),
ls_ev AS (
  SELECT s.doc_id, e.event_date, e.event_class, e.influence, e.raw_text, e.amount, e.currency, e.counterparty,
         e.file_id
  FROM ls_sib s JOIN legal_events e ON e.doc_id = s.sib_id
  WHERE e.event_date IS NULL OR e.event_date <= $ls_as_of
),
ls_end_ev AS (  -- the events that rule 2 counts as ending the rights
  SELECT e.* FROM ls_ev e JOIN ls_doc c USING (doc_id)
  WHERE (e.event_class IN {ending} OR (c.stage = 'application' AND e.event_class = '{refusal}'))
    AND coalesce(e.influence, '-') <> '+'
    AND (e.event_date IS NULL OR c.grant_day IS NULL OR e.event_date >= c.grant_day)
    AND NOT (c.office IN ('EP', 'WO', 'EA', 'AP', 'OA')
             AND regexp_matches(coalesce(e.raw_text, ''), $ls_national))
),
ls_neg AS (
  SELECT doc_id, max(event_date) AS neg_date,
         arg_max(raw_text, coalesce(event_date, DATE '0001-01-01')) AS neg_text,
         arg_max(event_class, coalesce(event_date, DATE '0001-01-01')) AS neg_class
  FROM ls_end_ev GROUP BY doc_id
),
ls_rest AS (
  SELECT doc_id, max(event_date) AS rest_date,
         arg_max(raw_text, coalesce(event_date, DATE '0001-01-01')) AS rest_text
  FROM ls_ev WHERE event_class = 'restoration' GROUP BY doc_id
),
ls_granted_sib AS (
  SELECT DISTINCT s.doc_id
  FROM ls_sib s JOIN documents d ON d.doc_id = s.sib_id JOIN ls_doc x ON x.doc_id = s.doc_id
  WHERE s.sib_id <> s.doc_id AND x.stage = 'application' AND d.stage = 'grant' AND NOT coalesce(d.stub, false)
),
ls_life AS (
  SELECT c.*, CASE c.term_from WHEN 'grant' THEN c.grant_day ELSE c.filing_start END AS term_start,
         CAST(CASE WHEN c.doc_type = 'utility_model' AND list_contains($ls_um_month_end, c.office)
                   THEN last_day(c.app_date + to_years(c.term_years)) + 1  -- the month's last day is in force
                   ELSE CASE c.term_from WHEN 'grant' THEN c.grant_day ELSE c.filing_start END
                        + to_years(c.term_years) + to_days(coalesce(c.term_adjustment_days, 0)) END AS DATE)
         AS term_end,
         n.neg_date, n.neg_text, n.neg_class, r.rest_date, r.rest_text, g.doc_id IS NOT NULL AS superseded,
         CASE WHEN regexp_matches(coalesce(c.status, ''), $ls_st_true_first, 'i') THEN true
              WHEN regexp_matches(coalesce(c.status, ''), $ls_st_false_first, 'i') THEN false
              WHEN regexp_matches(coalesce(c.status, ''), $ls_st_false, 'i') THEN false
              WHEN regexp_matches(coalesce(c.status, ''), $ls_st_true, 'i') THEN true END AS status_says
  FROM ls_doc c LEFT JOIN ls_neg n USING (doc_id) LEFT JOIN ls_rest r USING (doc_id)
       LEFT JOIN ls_granted_sib g USING (doc_id)
),
ls_basis AS (
  SELECT *,
    -- how sure the end is: a terminal disclaimer or a parent without a date may end the term earlier
    CASE WHEN term_end IS NULL THEN CASE WHEN term_latest IS NOT NULL THEN 'latest_possible' END
         WHEN disclaimer OR coalesce(parent_undated, false) THEN 'at_most'
         ELSE 'computed' END AS term_end_is,
    CASE WHEN coalesce(term_end, term_latest) <= $ls_as_of THEN 'term'
         WHEN neg_class IS NOT NULL AND (rest_date IS NULL OR neg_date > rest_date) THEN 'event'
         WHEN status_says IS NOT NULL THEN 'status'
         WHEN rest_date IS NOT NULL THEN 'restoration'
         ELSE 'unknown' END AS basis
  FROM ls_life
),
ls_status AS (
  SELECT *,
    CASE basis WHEN 'term' THEN false WHEN 'event' THEN false WHEN 'status' THEN status_says
               WHEN 'restoration' THEN true END AS in_force,
    CASE WHEN stage = 'application' AND superseded THEN 'superseded'
         WHEN basis = 'term' THEN 'expired'
         WHEN basis = 'event' THEN CASE neg_class {event_status} ELSE 'lapsed' END
         WHEN basis = 'status' AND NOT status_says THEN 'not_in_force'
         WHEN stage <> 'grant' THEN 'pending'
         WHEN basis IN ('status', 'restoration') THEN 'in_force'
         ELSE 'granted' END AS legal_status
  FROM ls_basis
)"""


def status_ctes(docs: str) -> str:
    """The rule as SQL: CTEs (``name AS (...)``, comma-separated, to put after ``WITH``) judging each row of
    ``docs`` (a table or CTE name with a ``doc_id`` column, one row per document), with the parameters of
    :func:`status_params`.

    ``ls_status`` has one row per document: ``doc_id``, ``office``, ``doc_type``, ``kind``, ``app_id``,
    ``app_date``, ``stage`` (``grant``/``application``, from the kind when the source does not say),
    ``grant_day``, ``status`` (the source's text), ``title``, ``lang``, ``term_years``, ``term_from``
    (``filing``; ``parent`` when a US parent application was filed earlier; ``grant`` for US designs and old US
    grants), ``term_start``, ``term_adjustment_days``, ``disclaimer`` (a US terminal disclaimer),
    ``parent_undated``, ``term_end`` (rule 1's end of term), ``term_latest`` (the latest possible end of a US
    grant without a filing date), ``term_end_is`` (``computed``, ``at_most``, ``latest_possible`` or null), the
    deciding ending event (``neg_date``, ``neg_text``, ``neg_class``), the last restoration (``rest_date``,
    ``rest_text``), ``superseded``, ``status_says``, ``basis``, ``in_force`` and ``legal_status`` (the label).
    ``ls_ev`` holds the events of each document and of the other publications of its application up to
    ``as_of`` (``doc_id``, ``event_date``, ``event_class``, ``influence``, ``raw_text``, ``amount``,
    ``currency``, ``counterparty``, ``file_id``); ``ls_end_ev`` those of them that rule 2 counts as ending the
    rights."""
    ending = "(" + ", ".join(f"'{c}'" for c in ENDING_EVENTS) + ")"
    event_status = " ".join(f"WHEN '{c}' THEN '{s}'" for c, s in EVENT_STATUS.items())
    return _CTES.format(docs=docs, ending=ending, refusal=REFUSAL, event_status=event_status)


def status_params(settings: ScreenSettings) -> dict[str, Any]:
    """The named parameters of :func:`status_ctes` (all prefixed ``ls_``)."""
    return {
        "ls_as_of": settings.as_of, "ls_term_years": settings.term_years,
        "ls_um_offices": list(UTILITY_MODEL_TERMS), "ls_um_years": list(UTILITY_MODEL_TERMS.values()),
        "ls_um_default": UTILITY_MODEL_DEFAULT_TERM_YEARS, "ls_um_month_end": list(UTILITY_MODEL_MONTH_END),
        "ls_us_design_years": US_DESIGN_TERM_YEARS, "ls_us_design_years_before": US_DESIGN_TERM_YEARS_BEFORE,
        "ls_us_design_from": US_DESIGN_TERM_FROM, "ls_cn_design_years": CN_DESIGN_TERM_YEARS,
        "ls_cn_design_years_before": CN_DESIGN_TERM_YEARS_BEFORE, "ls_cn_design_from": CN_DESIGN_TERM_FROM,
        "ls_design_years": DESIGN_TERM_YEARS, "ls_us_gatt_day": US_GATT_DAY,
        "ls_us_grant_years": US_TERM_FROM_GRANT_YEARS, "ls_us_max_from_grant": US_MAX_TERM_FROM_GRANT_YEARS,
        "ls_national": NATIONAL_EVENT, "ls_st_true_first": STATUS_TRUE_FIRST,
        "ls_st_false_first": STATUS_FALSE_FIRST, "ls_st_false": STATUS_FALSE, "ls_st_true": STATUS_TRUE,
    }


def _documents_query(settings: ScreenSettings, doc_ids: list[str] | None, designs: bool,
                     select: str) -> tuple[str, dict[str, Any]]:
    params = status_params(settings)
    where = "" if designs else " AND coalesce(d.doc_type, '') <> 'design'"
    if doc_ids is not None:
        params["ls_ids"] = list(doc_ids)
        where += " AND d.doc_id IN (SELECT unnest($ls_ids::VARCHAR[]))"
    sql = (f"WITH ls_docs AS (SELECT d.doc_id FROM documents d WHERE NOT coalesce(d.stub, false){where}),"
           f"{status_ctes('ls_docs')}\n{select}")
    return sql, params


def statuses(con: duckdb.DuckDBPyConnection, doc_ids: list[str] | None = None,
             settings: ScreenSettings | None = None, *, designs: bool = True) -> dict[str, dict[str, Any]]:
    """The legal status of stored publications (all but stubs, or ``doc_ids``) as of ``settings.as_of``:
    :func:`status_row` by doc_id. ``designs=False`` leaves designs out."""
    settings = settings or ScreenSettings()
    if doc_ids is not None and not doc_ids:
        return {}
    sql, params = _documents_query(settings, doc_ids, designs, "SELECT * FROM ls_status ORDER BY doc_id")
    cur = con.execute(sql, params)
    names = [c[0] for c in cur.description or []]
    rows = (dict(zip(names, row, strict=True)) for row in cur.fetchall())
    return {r["doc_id"]: status_row(r, settings) for r in rows}


def in_force(con: duckdb.DuckDBPyConnection, settings: ScreenSettings | None = None) -> dict[str, bool]:
    """Every stored publication (stubs left out) whose being in force the data can tell: doc_id -> answer."""
    sql, params = _documents_query(settings or ScreenSettings(), None, True,
                                   "SELECT doc_id, in_force FROM ls_status WHERE in_force IS NOT NULL")
    return dict(con.execute(sql, params).fetchall())



def ending_event_dates(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> dict[str, list[date]]:
    """The dates of the ending events of each of ``doc_ids``, at any date (no ``as_of``), sorted: the dated
    events that rule 2 counts (``ls_end_ev``: :data:`ENDING_EVENTS` of the document and of the other
    publications of its application, after grant, not ``influence = '+'``, not about one EP/WO contracting
    state). A caller judging a past date uses them to tell when the rights a status text calls ended did end."""
    if not doc_ids:
        return {}
    params = status_params(ScreenSettings(as_of=date.max))
    params["ls_ids"] = list(doc_ids)
    sql = (f"WITH ls_docs AS (SELECT DISTINCT unnest($ls_ids::VARCHAR[]) AS doc_id), {status_ctes('ls_docs')} "
           "SELECT doc_id, list(DISTINCT event_date ORDER BY event_date) FROM ls_end_ev "
           "WHERE event_date IS NOT NULL GROUP BY doc_id")
    return {doc_id: sorted(dates) for doc_id, dates in con.execute(sql, params).fetchall()}


# explaining one row ---------------------------------------------------------------------------------
def _d(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _term_start(r: dict[str, Any]) -> tuple[str, str]:
    """Where a row's term runs from, in English and Chinese: ``filing (2005-12-05)``, ``申请日2005-12-05``
    (or the grant date, for US designs and old US grants; or the earliest parent application's filing)."""
    if r.get("term_from") == "grant":
        return f"grant ({_d(r['grant_day'])})", f"授权日{_d(r['grant_day'])}"
    if r.get("term_from") == "parent":
        return f"the earliest parent application ({_d(r['term_start'])})", f"最早母案申请日{_d(r['term_start'])}"
    return f"filing ({_d(r['app_date'])})", f"申请日{_d(r['app_date'])}"


def _term(r: dict[str, Any]) -> tuple[str, str]:
    """A row's term in words: ``the 20-year term from filing (2006-09-12) plus a 493-day patent-term
    adjustment``, ``自申请日2006-09-12起20年保护期另加专利期限调整493天``."""
    (start, start_zh), years, days = _term_start(r), r["term_years"], r.get("term_adjustment_days")
    plus, plus_zh = (f" plus a {days}-day patent-term adjustment", f"另加专利期限调整{days}天") if days else ("", "")
    return f"the {years}-year term from {start}{plus}", f"自{start_zh}起{years}年保护期{plus_zh}"


def _doubt(r: dict[str, Any]) -> tuple[str, str]:
    """Why a row's term end is only the latest day the term can run to, or nothing when it is not."""
    if r.get("term_end_is") != "at_most":
        return "", ""
    why, why_zh = [], []
    if r.get("disclaimer"):
        why.append("a terminal disclaimer may end it earlier (the patent it ties the term to is not in the data)")
        why_zh.append("终期声明可能使其提前届满（所涉专利的期限不在数据中）")
    if r.get("parent_undated"):
        why.append("a parent application without a date in the record may end it earlier")
        why_zh.append("母案申请日不详，可能提前届满")
    return f" at the latest: {'; '.join(why)}", f"（最迟；{'；'.join(why_zh)}）"


def _bound(r: dict[str, Any]) -> tuple[str, str]:
    """The reason of a US grant without a filing date whose longest possible term has ended."""
    granted, end = _d(r["grant_day"]), _d(r["term_latest"])
    years, ext = US_MAX_TERM_FROM_GRANT_YEARS - US_MAX_EXTENSION_YEARS, US_MAX_EXTENSION_YEARS
    return (f"no filing date in the data; granted {granted}, so the longest possible US term ({years} years from "
            f"grant, plus at most {ext} years of extension under 35 U.S.C. 156) ended on {end}",
            f"数据中无申请日；授权日为{granted}，美国专利最长可能的保护期（授权后{years}年，"
            f"另加35 U.S.C. 156规定的最多{ext}年延长）已于{end}届满")


def _runs(r: dict[str, Any]) -> tuple[str, str]:
    """How long a live row's term runs, in words, with the doubt when there is one."""
    if r["term_end"] is None:
        return "the end of the term is not known (no filing date in the data)", "保护期届满日未知（数据中无申请日）"
    (term, term_zh), (doubt, doubt_zh), end = _term(r), _doubt(r), _d(r["term_end"])
    return f"{term} runs to {end}{doubt}", f"{term_zh}至{end}{doubt_zh}"


def _reason(r: dict[str, Any]) -> tuple[str, str]:
    """Why a row of ``ls_status`` has its label, in English and Chinese."""
    status = r["legal_status"]
    if status == "superseded":
        return "an application whose grant is in the data", "该申请已授权，以授权公告文本为准"
    if r["basis"] == "term":
        if r["term_end"] is None:
            return _bound(r)
        (term, term_zh), end = _term(r), _d(r["term_end"])
        return f"{term} ended on {end}", f"{term_zh}已于{end}届满"
    if r["basis"] == "event":
        when = _d(r["neg_date"]) or "an undated event"
        return (f"{r['neg_class']} on {when}: {r['neg_text']}",
                f"法律事件（{r['neg_class']}）{when}：{r['neg_text']}")
    if status == "not_in_force":
        return f"legal status '{r['status']}'", f"法律状态“{r['status']}”"
    if status == "pending":
        return (f"application pending; claims may issue (term would end {_d(r['term_end'])})",
                f"申请审查中，权利要求可能获授权（如授权，保护期至{_d(r['term_end'])}）")
    doubt, doubt_zh = "", ""
    if r.get("term_end_is") == "at_most":  # a live answer never goes past what the term allows
        runs, runs_zh = _runs(r)
        doubt, doubt_zh = f"; {runs}", f"；{runs_zh}"
    if r["basis"] == "status":
        return f"legal status '{r['status']}'{doubt}", f"法律状态“{r['status']}”（有效）{doubt_zh}"
    if r["basis"] == "restoration":
        return f"rights restored on {_d(r['rest_date'])}{doubt}", f"{_d(r['rest_date'])}权利恢复{doubt_zh}"
    runs, runs_zh = _runs(r)
    return (f"granted; {runs}; no lapse or status in the data (annuities not checked)",
            f"已授权，{runs_zh}；数据中无失效事件或法律状态（未核实年费缴纳）")


def status_row(r: dict[str, Any], s: ScreenSettings) -> dict[str, Any]:
    """One row of ``ls_status`` as a plain dict: the label, whether it is live, the reason, the expiry.

    ``expiry_date`` is the rule's end of term (``term_end_is``: ``computed``, or ``at_most`` when a terminal
    disclaimer or an undated parent may end it earlier; null when unknown); ``latest_expiry_date`` is the
    latest day the term can run to (``latest_possible`` for a US grant without a filing date)."""
    status = r["legal_status"]
    en, zh = _reason(r)
    remaining = (r["term_end"] - s.as_of).days / 365.25 if r["term_end"] else None
    return {
        "doc_id": r["doc_id"], "office": r["office"], "doc_type": r["doc_type"], "stage": r["stage"],
        "title": r["title"], "lang": r["lang"], "app_id": r["app_id"], "filing_date": _d(r["app_date"]),
        "grant_date": _d(r["grant_day"]), "status": status, "in_force": r["in_force"], "live": status in LIVE,
        "status_label": STATUS_LABELS[status][1], "status_label_zh": STATUS_LABELS[status][0],
        "basis": "superseded" if status == "superseded" else r["basis"], "reason": en, "reason_zh": zh,
        "term_years": r["term_years"], "term_from": r["term_from"], "term_start": _d(r["term_start"]),
        "term_adjustment_days": r["term_adjustment_days"], "expiry_date": _d(r["term_end"]),
        "term_end_is": r["term_end_is"], "latest_expiry_date": _d(r["term_end"] or r["term_latest"]),
        "remaining_years": round(max(remaining, 0.0), 2) if remaining is not None else None,
    }


def _term_evidence(r: dict[str, Any]) -> dict[str, Any]:
    """What the evidence of an ``in_force`` answer adds about the term, beyond the filing date and the end:
    where it runs from when not from filing, the adjustment, a terminal disclaimer, how sure the end is."""
    ev: dict[str, Any] = {}
    if r.get("term_from") in ("parent", "grant"):
        ev.update(term_from=r["term_from"], term_start=_d(r["term_start"]))
    if r.get("term_adjustment_days"):
        ev["term_adjustment_days"] = r["term_adjustment_days"]
    if r.get("disclaimer"):
        ev["terminal_disclaimer"] = True
    if r.get("term_end_is") == "at_most":
        ev["term_end_is"] = "at_most"
    return ev


def in_force_detail(r: dict[str, Any], s: ScreenSettings) -> dict[str, Any]:
    """The high-value screening's ``in_force`` answer for one row (its columns ``in_force``, ``if_basis``, the
    term columns and the event columns): ``{"met", "evidence", "reason", "reason_zh"}``."""
    def c(met: bool | None, evidence: dict[str, Any] | None, en: str, zh: str) -> dict[str, Any]:
        return {"met": met, "evidence": evidence, "reason": en, "reason_zh": zh}

    basis, doubtful = r["if_basis"], r.get("term_end_is") == "at_most"
    if basis == "term" and r["term_end"] is None:
        return c(False, {"basis": "term", "filing_date": None, "grant_date": _d(r["grant_day"]), "term_end": None,
                         "latest_possible_end": _d(r["term_latest"]), "term_end_is": "latest_possible"}, *_bound(r))
    if basis == "term":
        (term, term_zh), end = _term(r), _d(r["term_end"])
        note, note_zh = (("an extension for regulatory review (35 U.S.C. 156) is not in the data",
                          "数据中无监管审批的专利期延长（35 U.S.C. 156）") if r["office"] == "US" else
                         ("term extensions are not in the data", "数据中无专利期延长信息"))
        return c(False, {"basis": "term", "filing_date": _d(r["app_date"]), "term_end": end, **_term_evidence(r)},
                 f"{term} ended on {end} ({note})", f"{term_zh}已于{end}届满（{note_zh}）")
    if basis == "event":
        when = _d(r["neg_date"]) or "an undated event"
        ev = {"basis": "event", "event_class": r["neg_class"], "date": _d(r["neg_date"]),
              "text": r["neg_text"]}
        return c(False, ev, f"{r['neg_class']} on {when}: {r['neg_text']}",
                 f"法律事件（{r['neg_class']}）{when}：{r['neg_text']}")
    # an answer that the rights still exist never goes past what the term allows: say when it may end earlier
    runs, runs_zh = _runs(r) if doubtful else ("", "")
    term_ev = {"term_end": _d(r["term_end"]), **_term_evidence(r)} if doubtful else {}
    if basis == "status":
        word, word_zh = ("in force", "有效") if r["in_force"] else ("not in force", "无效")
        return c(r["in_force"], {"basis": "status", "status": r["status"], **term_ev},
                 f"legal status '{r['status']}' ({word})" + (f"; {runs}" if runs else ""),
                 f"法律状态“{r['status']}”（{word_zh}）" + (f"；{runs_zh}" if runs_zh else ""))
    if basis == "restoration":
        when = _d(r["rest_date"])
        return c(True, {"basis": "restoration", "date": when, "text": r["rest_text"], **term_ev},
                 f"rights restored on {when}: {r['rest_text']}" + (f"; {runs}" if runs else ""),
                 f"{when}权利恢复：{r['rest_text']}" + (f"；{runs_zh}" if runs_zh else ""))
    if doubtful:
        return c(None, {"basis": "unknown", **term_ev}, f"no legal status or event in the data; {runs}",
                 f"数据中无法律状态或法律事件，无法判断是否有效；{runs_zh}")
    return c(None, None, "no legal status or event in the data", "数据中无法律状态或法律事件，无法判断是否有效")
