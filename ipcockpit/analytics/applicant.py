"""The applicant profile (申请人画像): one applicant's documents and what they say about it.

:func:`resolve_applicant` finds the applicant a written name means: the folded name (``parties.name_norm``,
as the loader folds it with :func:`ipcockpit.model.names.normalise_name`, so 中科大数据研究院有限公司 and
``Matsushita Electric Industrial Co., Ltd.`` find their stored forms) or the name as written
(``name_raw``, case-insensitive). :func:`applicant_profile` gathers the documents where it is an
applicant, assignee or patentee (the roles the overview's top applicants count) and their counts by
year and office, by type, the top IPC subclasses, co-applicants, top inventors, legal events, addresses
and the high-value answer of its invention grants. Plain dicts, ready for JSON; IPC titles are added by
:meth:`ipcockpit.app.Cockpit.applicant`.
"""

from __future__ import annotations

from typing import Any

from ipcockpit.model.names import normalise_name
from ipcockpit.store import Store

#: the party roles of an applicant (as :func:`ipcockpit.analytics.stats.top_applicants` counts them)
APPLICANT_ROLES = ("applicant", "assignee", "patentee")
#: the legal-event classes the profile's summary names
KEY_EVENTS = ("transfer", "licence", "pledge", "lapse")
_ROLES_SQL = "(" + ", ".join(f"'{r}'" for r in APPLICANT_ROLES) + ")"
# the applicant's documents (stubs, which only a reference names, are left out)
_DOCS = (f"WITH mine AS (SELECT DISTINCT p.doc_id FROM parties p JOIN documents d ON d.doc_id = p.doc_id "
         f"WHERE p.role IN {_ROLES_SQL} AND p.name_norm = $norm AND NOT coalesce(d.stub, false)) ")


def resolve_applicant(store: Store, name: str) -> dict[str, Any] | None:
    """The applicant ``name`` means: ``{"name_norm", "name", "documents"}`` (``name`` the most frequent
    written form), or None when no applicant has that name. When several folded names match (a written
    form shared by two), the one with the most documents wins."""
    text = (name or "").strip()
    if not text:
        return None
    norm = normalise_name(text) or text.lower()
    rows = _rows(
        store, "SELECT p.name_norm, count(DISTINCT p.doc_id) AS documents, mode(p.name_raw) AS name "
        f"FROM parties p WHERE p.role IN {_ROLES_SQL} AND p.name_norm IS NOT NULL AND "
        "(p.name_norm = $norm OR p.name_norm = lower($text) OR lower(p.name_raw) = lower($text)) "
        "GROUP BY p.name_norm ORDER BY (p.name_norm = $norm) DESC, documents DESC, p.name_norm LIMIT 1",
        {"norm": norm, "text": text})
    return rows[0] if rows else None


def suggestions(store: Store, name: str, limit: int = 10) -> list[dict[str, Any]]:
    """Applicants whose name contains ``name`` (written or folded), the most documents first."""
    text = (name or "").strip()
    if not text:
        return []
    norm = normalise_name(text) or text.lower()
    return _rows(
        store, "SELECT p.name_norm, mode(p.name_raw) AS name, count(DISTINCT p.doc_id) AS documents "
        f"FROM parties p WHERE p.role IN {_ROLES_SQL} AND p.name_norm IS NOT NULL AND "
        "(contains(p.name_norm, $norm) OR contains(lower(p.name_raw), lower($text))) "
        "GROUP BY p.name_norm ORDER BY documents DESC, p.name_norm LIMIT $limit",
        {"norm": norm, "text": text, "limit": limit})


def applicant_profile(store: Store, name: str, limit: int = 200, top: int = 10) -> dict[str, Any] | None:
    """The profile of the applicant ``name`` means, or None when there is none (see :func:`suggestions`).

    ``documents``: its latest ``limit`` documents (newest publication first); ``top``: rows of the
    subclass, co-applicant, inventor and address lists."""
    found = resolve_applicant(store, name)
    if found is None:
        return None
    p = {"norm": found["name_norm"]}

    def q(sql: str, **extra: Any) -> list[dict[str, Any]]:
        return _rows(store, _DOCS + sql, {**p, **extra})

    [summary] = q(
        "SELECT count(*) AS documents, count(DISTINCT d.office) AS offices, min(year(d.pub_date)) AS first_year, "
        "max(year(d.pub_date)) AS last_year, count(*) FILTER (d.doc_type = 'invention') AS inventions, "
        "count(*) FILTER (d.doc_type = 'invention' AND d.stage = 'grant') AS invention_grants, "
        "count(*) FILTER (d.doc_type = 'utility_model') AS utility_models, "
        "count(*) FILTER (d.doc_type = 'design') AS designs, "
        "count(DISTINCT d.app_id) AS applications FROM documents d JOIN mine USING (doc_id)")
    events = q(
        "SELECT coalesce(e.event_class, 'other') AS event_class, count(*) AS events, "
        "count(DISTINCT e.doc_id) AS documents, min(e.event_date) AS first_date, max(e.event_date) AS last_date "
        "FROM legal_events e JOIN mine USING (doc_id) GROUP BY 1 ORDER BY events DESC, event_class")
    by_class = {e["event_class"]: e for e in events}
    return {
        "query": name,
        "name": found["name"],
        "name_norm": found["name_norm"],
        "summary": {**summary, **{f"{k}_documents": by_class.get(k, {}).get("documents", 0) for k in KEY_EVENTS}},
        "names": q(
            "SELECT p.name_raw AS name, p.role, count(DISTINCT p.doc_id) AS documents FROM parties p "
            f"JOIN mine USING (doc_id) WHERE p.role IN {_ROLES_SQL} AND p.name_norm = $norm "
            "GROUP BY ALL ORDER BY documents DESC, name, role"),
        "by_office_year": q(
            "SELECT d.office, year(d.pub_date) AS year, count(*) AS documents "
            "FROM documents d JOIN mine USING (doc_id) GROUP BY ALL ORDER BY d.office, year NULLS LAST"),
        "by_type": q(
            "SELECT coalesce(d.doc_type, 'other') AS doc_type, count(*) AS documents, "
            "count(*) FILTER (d.stage = 'grant') AS grants, count(*) FILTER (d.stage = 'application') AS applications "
            "FROM documents d JOIN mine USING (doc_id) GROUP BY 1 ORDER BY documents DESC, doc_type"),
        "top_subclasses": q(
            "SELECT left(c.code, 4) AS subclass, count(DISTINCT c.doc_id) AS documents FROM classifications c "
            "JOIN mine USING (doc_id) WHERE c.scheme IN ('IPC', 'CPC') AND length(c.code) >= 4 "
            "GROUP BY 1 ORDER BY documents DESC, subclass LIMIT $top", top=top),
        "co_applicants": q(
            "SELECT p.name_norm, mode(p.name_raw) AS name, count(DISTINCT p.doc_id) AS documents FROM parties p "
            f"JOIN mine USING (doc_id) WHERE p.role IN {_ROLES_SQL} AND p.name_norm IS NOT NULL "
            "AND p.name_norm <> $norm GROUP BY p.name_norm ORDER BY documents DESC, p.name_norm LIMIT $top", top=top),
        "top_inventors": q(
            "SELECT coalesce(i.name_norm, i.name_raw) AS name_norm, mode(i.name_raw) AS name, "
            "count(DISTINCT i.doc_id) AS documents FROM inventors i JOIN mine USING (doc_id) "
            "WHERE coalesce(i.name_norm, i.name_raw) IS NOT NULL GROUP BY 1 ORDER BY documents DESC, name_norm "
            "LIMIT $top", top=top),
        "legal_events": events,
        "addresses": q(
            "SELECT p.country, p.province, p.city, p.district, p.admin_code, mode(p.address_raw) AS address, "
            f"count(DISTINCT p.doc_id) AS documents FROM parties p JOIN mine USING (doc_id) "
            f"WHERE p.role IN {_ROLES_SQL} AND p.name_norm = $norm "
            "AND coalesce(p.country, p.province, p.city, p.admin_code, p.address_raw) IS NOT NULL "
            "GROUP BY ALL ORDER BY documents DESC, p.admin_code NULLS LAST, p.country, p.province, p.city "
            "LIMIT $top", top=top),
        "documents_total": summary["documents"],
        "documents": q(
            "SELECT d.doc_id, d.office, d.doc_type, d.stage, d.pub_date, d.app_date, d.title, d.status "
            "FROM documents d JOIN mine USING (doc_id) ORDER BY d.pub_date DESC NULLS LAST, d.doc_id LIMIT $limit",
            limit=limit),
    }


def invention_grants(store: Store, name_norm: str) -> list[str]:
    """The ``doc_id`` of every invention grant of the applicant (what the high-value screening judges)."""
    return [r["doc_id"] for r in _rows(
        store, _DOCS + "SELECT d.doc_id FROM documents d JOIN mine USING (doc_id) "
        "WHERE d.doc_type = 'invention' AND d.stage = 'grant' ORDER BY d.doc_id", {"norm": name_norm})]


def high_value_answers(store: Store, name_norm: str, settings: Any = None) -> dict[str, str]:
    """The CNIPA high-value answer (``yes``, ``no``, ``unknown``) of each of the applicant's invention
    grants, by ``doc_id``: the five conditions and in force as the screening judges them, without the
    value index, so that it stays cheap. ``settings``: a :class:`ipcockpit.value.settings.ScreenSettings`."""
    from ipcockpit.value.conditions import Universe, condition_rows

    ids = invention_grants(store, name_norm)
    if not ids:
        return {}
    answers = {True: "yes", False: "no", None: "unknown"}
    return {row["publication_number"]: answers[row["high_value"]]
            for row in condition_rows(store.con, settings, Universe(doc_ids=tuple(ids)))}


def add_high_value(profile: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """Put the high-value answers into a profile: counts in ``summary`` (``screened``, ``high_value_yes``,
    ``_no``, ``_unknown``) and ``high_value`` on each listed document (None: not an invention grant)."""
    values = list(answers.values())
    profile["summary"].update(screened=len(values), **{f"high_value_{a}": values.count(a)
                                                       for a in ("yes", "no", "unknown")})
    for d in profile["documents"]:
        d["high_value"] = answers.get(d["doc_id"])
    return profile


def _rows(store: Store, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, params)
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
