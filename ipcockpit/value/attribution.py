"""Attribution of a patent document to a region: the one rule (CNIPA counting), as SQL and as data.

A document belongs to the region of the address (GB/T 2260 code, ``parties.admin_code``) of its **first
applicant/patentee party that has a code**: patentee/assignee before applicant for grants up to
2020-12-31 (:data:`ATTRIBUTION_SWITCH`; CNIPA counts them by patentee address), applicant first for later
grants and for applications; the publication's own parties before those of other publications of the
same application (a grant's applicant is on its A publication when the B lists none); then by sequence.
Holders of Taiwan, Hong Kong and Macao (GB/T 2260 codes 71, 81, 82) and foreign holders are not domestic:
a document whose first coded holder is one is attributed to no region. The region's code prefix is 2
digits for a province, 4 for a city, 6 for a district.

Users: the cockpit's indicators (:mod:`ipcockpit.cockpit.context`), the region pages
(:mod:`ipcockpit.analytics.region`) and the patent page (:func:`attribution_of`). Each attributed row
carries its evidence: the holder's name, role and sequence, the publication it stands on, its address text,
code and ``admin_reason`` (why the code is coarser than the address, or came from a former name).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

#: grants before this date are attributed by patentee address, later ones by applicant address (CNIPA)
ATTRIBUTION_SWITCH = date(2021, 1, 1)
#: GB/T 2260 province codes of Taiwan, Hong Kong and Macao: not domestic holders in CNIPA's counting
NOT_DOMESTIC = ("71", "81", "82")
HOLDER_ROLES = ("applicant", "patentee", "assignee")

#: the attributed documents of ``$office`` matching ``{doc_filter}`` (SQL over alias ``d``) whose holder's
#: code starts with ``$prefix`` (``''``: any domestic region), one row each with the holder's evidence
ATTRIBUTED_SQL = f"""
WITH region_docs AS (
  SELECT DISTINCT doc_id FROM parties
  WHERE starts_with(admin_code, $prefix) AND role IN {HOLDER_ROLES}
),
region_apps AS (
  SELECT DISTINCT d.app_id FROM documents d SEMI JOIN region_docs r ON r.doc_id = d.doc_id
  WHERE d.app_id IS NOT NULL
),
docs AS (
  SELECT d.doc_id, d.office, d.app_id, d.app_date, coalesce(d.grant_date, d.pub_date) AS grant_day,
         d.pub_date,
         d.title, d.doc_type, d.stage, d.status
  FROM documents d
  WHERE d.office = $office AND NOT coalesce(d.stub, false) AND {{doc_filter}}
    AND (d.doc_id IN (SELECT doc_id FROM region_docs) OR d.app_id IN (SELECT app_id FROM region_apps))
),
sibs AS (
  SELECT doc_id, doc_id AS sib_id, true AS own FROM docs
  UNION ALL
  SELECT x.doc_id, d.doc_id, false FROM docs x JOIN documents d ON d.app_id = x.app_id
  WHERE d.doc_id <> x.doc_id
),
ranked AS (
  SELECT s.doc_id, s.sib_id, p.role, p.seq, p.admin_code, p.country, p.name_raw, p.name_norm, p.address_raw,
         p.admin_reason,
         row_number() OVER (PARTITION BY s.doc_id ORDER BY s.own DESC,
           CASE WHEN x.stage = 'grant' AND x.grant_day < $switch THEN p.role = 'applicant'
                ELSE p.role <> 'applicant' END, p.seq, s.sib_id) AS rn
  FROM sibs s JOIN parties p ON p.doc_id = s.sib_id JOIN docs x ON x.doc_id = s.doc_id
  WHERE p.role IN {HOLDER_ROLES} AND p.admin_code IS NOT NULL
)
SELECT d.*, r.admin_code, r.name_raw AS holder, r.role AS holder_role, r.sib_id AS holder_doc,
       r.seq AS holder_seq, r.name_norm AS holder_norm, r.address_raw AS holder_address,
       r.admin_reason AS holder_admin_reason
FROM docs d JOIN ranked r ON r.doc_id = d.doc_id AND r.rn = 1
WHERE starts_with(r.admin_code, $prefix) AND left(r.admin_code, 2) NOT IN {NOT_DOMESTIC}
  AND coalesce(r.country, 'CN') = 'CN'
ORDER BY d.doc_id
"""
ATTRIBUTION_TEXT = (
    "attributed by the address (GB/T 2260 code) of the first applicant/patentee party that has one "
    "-- patentee first for grants up to 2020, applicant first from 2021; the publication's own "
    "parties before those of other publications of the same application"
)
ATTRIBUTION_ZH = (
    "按第一个有行政区划代码的申请人/专利权人地址归属（2020年底前授权的以专利权人优先，2021年起以申请人优先）"
)
#: the rule as data, for the pages and the JSON that state it
RULE = {
    "text": "A patent document is " + ATTRIBUTION_TEXT + "; holders of Taiwan, Hong Kong and Macao (71, 81, 82) "
            "and foreign holders are not domestic and place a document in no region.",
    "text_zh": "专利文献" + ATTRIBUTION_ZH + "；同一申请的各公开文本中以本文本的当事人优先；台湾、香港、澳门"
               "（71、81、82）及外国权利人不属国内，不归属任何地区。",
    "switch": ATTRIBUTION_SWITCH.isoformat(),
    "roles": ", ".join(HOLDER_ROLES),
    "not_domestic": ", ".join(NOT_DOMESTIC),
    "source": "CNIPA counting rule (../shared/reference/DEFINITIONS.md): patentee address for grants up to "
              "2020-12-31, applicant address from 2021-01-01; domestic holders only",
}


def first_holder_rule(stage: str | None, grant_day: date | None) -> str:
    """Which holders the rule looks at first for a document: ``patentee`` (a grant before the switch) or
    ``applicant`` (a later grant, an application) -- the ``CASE`` of :data:`ATTRIBUTED_SQL`."""
    return "patentee" if stage == "grant" and grant_day is not None and grant_day < ATTRIBUTION_SWITCH \
        else "applicant"


def attributed(con: duckdb.DuckDBPyConnection, prefix: str, office: str = "CN", doc_filter: str = "true",
               params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The documents of ``office`` matching ``doc_filter`` (SQL over alias ``d``, its own parameters in
    ``params``) attributed to the region of code prefix ``prefix`` (``''``: to whichever domestic region),
    one dict each: the document's columns plus ``admin_code`` and the holder's evidence (``holder``,
    ``holder_role``, ``holder_seq``, ``holder_doc``, ``holder_norm``, ``holder_address``,
    ``holder_admin_reason``)."""
    cur = con.execute(ATTRIBUTED_SQL.format(doc_filter=doc_filter),
                      {"prefix": prefix, "office": office, "switch": ATTRIBUTION_SWITCH, **(params or {})})
    names = [c[0] for c in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def attribution_of(con: duckdb.DuckDBPyConnection, doc_ids: list[str], office: str = "CN") -> dict[str, dict[str, Any]]:
    """Where each of ``doc_ids`` is attributed, by ``doc_id`` (documents attributed to no region are absent):
    the rows of :func:`attributed` with ``rule`` (:func:`first_holder_rule`)."""
    if not doc_ids:
        return {}
    rows = attributed(con, "", office, "d.doc_id IN (SELECT unnest($ids::VARCHAR[]))", {"ids": list(doc_ids)})
    return {r["doc_id"]: {**r, "rule": first_holder_rule(r["stage"], r["grant_day"])} for r in rows}


def document_attribution(con: duckdb.DuckDBPyConnection, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The region a CN document (the patent page's ``document``) is attributed to and the evidence: the
    holder's row with ``region_name``; ``{"admin_code": None, "why": ...}`` when it goes to no region (no
    applicant/patentee address with a code, or the first coded one is not domestic); None for other offices
    and stubs."""
    from ipcockpit.model.addresses import division

    if doc.get("office") != "CN" or doc.get("stub"):
        return None
    found = attribution_of(con, [doc["doc_id"]]).get(doc["doc_id"])
    if found is None:
        [(coded,)] = con.execute(
            "SELECT count(*) FROM parties p JOIN documents d ON d.doc_id = p.doc_id WHERE (d.doc_id = ? OR "
            f"d.app_id = ?) AND p.role IN {HOLDER_ROLES} AND p.admin_code IS NOT NULL",
            [doc["doc_id"], doc.get("app_id")]).fetchall()
        return {"admin_code": None, "why": "first_holder_not_domestic" if coded else "no_code"}
    region = division(found["admin_code"])
    keep = ("admin_code", "holder", "holder_role", "holder_seq", "holder_doc", "holder_address",
            "holder_admin_reason", "rule")
    return {**{k: found[k] for k in keep}, "region_name": region.name if region else None, "why": None}
