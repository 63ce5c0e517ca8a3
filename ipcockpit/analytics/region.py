"""The region page (地区专利): the patent documents attributed to a GB/T 2260 division and what they say.

:func:`region_of` reads a code: 2 digits (province), 4 (prefecture-level city) or 6 (the division's
own code: ``500000`` a province, ``510100`` a city, ``500120`` a district); a code that names no division of
the code table (:mod:`ipcockpit.model.addresses`) is None. :func:`region_page` gathers the CN documents
attributed to it by the one rule of :mod:`ipcockpit.value.attribution` (first domestic applicant/patentee
with a code; patentee first for grants up to 2020, applicant first from 2021), each with its evidence (the
holder, its role and sequence, the publication it stands on, its address text, code and
``admin_reason``), and counts over them:

* documents by type (invention application, invention grant, utility model, design) and publication year;
* the invention grants judged by the screening's rules as of the settings' ``as_of``
  (:func:`ipcockpit.value.conditions.condition_rows`): in force, high value, each of the five conditions,
  and their SEI industries (strategic emerging industries, counted or possible);
* the top holders, the IPC subclasses, the legal events by class, the pledges;
* the transfers in and out of the region: a transfer of a region document is ``out`` when the assignee is
  known to be elsewhere, ``within`` when it is known to be here; a transfer of another document is ``in``
  when its assignee is known to be here and its holder elsewhere. An assignee is located by the parties of
  the store that bear its name (folded as the loader folds names) and have a code: the most frequent code
  decides; ``unknown`` when no party with that name has a code, or the codes are split evenly;
* the sub-regions (the prefectures of a province, the districts and counties of a city or of a
  municipality) with their counts, and the documents placed at the region's own level only (an address
  that names no finer division, with the ``admin_reason`` the address parser gave);
* the documents that name a holder in the region but are attributed elsewhere (their first coded holder is
  in another region or is not domestic).

Counts are of the records loaded, never official statistics. A region with no attributed document has
zeros and ``reason`` says why.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from ipcockpit.cockpit.profiles import code_level, match_prefix
from ipcockpit.cockpit.reasons import Reason, fields
from ipcockpit.model.addresses import division
from ipcockpit.model.names import normalise_name
from ipcockpit.store import Store
from ipcockpit.value.attribution import HOLDER_ROLES, RULE, attributed, attribution_of, first_holder_rule

if TYPE_CHECKING:
    from ipcockpit.value.settings import ScreenSettings

#: the GB/T 2260 provinces that are municipalities: their districts and counties stand directly below them
MUNICIPALITIES = ("11", "12", "31", "50")
#: the kinds of document counted by type (a CN publication's type and stage)
KINDS = ("invention_application", "invention_grant", "utility_model", "design", "other")
#: parties that name who holds a patent, for locating an assignee by name
OWNER_ROLES = (*HOLDER_ROLES, "current_owner")
_CODE = re.compile(r"\d{2}|\d{4}|\d{6}")
_SPLIT = re.compile(r"\s*[;；]\s*")


# the division ---------------------------------------------------------------------------------------
def region_of(code: str) -> dict[str, Any] | None:
    """The division a code names: ``{"code", "prefix", "level", "name", "full_name", "parents"}``, or None
    when it is not 2, 4 or 6 digits or names no division of the code table."""
    text = (code or "").strip()
    if not _CODE.fullmatch(text):
        return None
    full = text.ljust(6, "0")
    found = division(full)
    if found is None:
        return None
    level = code_level(full)
    parents = []
    for above in (full[:2] + "0000", full[:4] + "00"):
        d = division(above)
        if above != full and d is not None:
            parents.append({"code": d.code, "name": d.name, "level": code_level(d.code)})
    return {"code": full, "prefix": match_prefix(full), "level": level, "name": found.name,
            "full_name": "".join(p["name"] for p in parents) + found.name, "parents": parents}


def children(region: dict[str, Any]) -> list[dict[str, Any]]:
    """The divisions one level below: a province's prefectures (and its county-level divisions that no
    prefecture holds, e.g. 济源市 419001), a municipality's districts and counties, a city's districts and
    counties; none below a district."""
    code, level = region["code"], region["level"]
    if level == "district":
        return []
    out = []
    if level == "city":
        found = (division(f"{code[:4]}{i:02d}") for i in range(1, 100))
        return [{"code": d.code, "name": d.name, "level": "district"} for d in found if d is not None]
    for i in range(1, 100):
        pref = division(f"{code[:2]}{i:02d}00")
        if pref is not None and code[:2] not in MUNICIPALITIES:
            out.append({"code": pref.code, "name": pref.name, "level": "city"})
            continue
        for j in range(1, 100):  # no prefecture (a municipality): the counties stand directly below
            d = division(f"{code[:2]}{i:02d}{j:02d}")
            if d is not None:
                out.append({"code": d.code, "name": d.name, "level": "district"})
    return out


def _kind(doc_type: str | None, stage: str | None) -> str:
    if doc_type == "invention":
        return "invention_grant" if stage == "grant" else "invention_application"
    return doc_type if doc_type in ("utility_model", "design") else "other"


# the page -------------------------------------------------------------------------------------------
def region_page(store: Store, code: str, settings: ScreenSettings | None = None, limit: int = 200,
                top: int = 10) -> dict[str, Any] | None:
    """The region page of ``code`` (None: no such division); ``settings``: the
    :class:`ipcockpit.value.settings.ScreenSettings` the in-force and high-value rules use (their
    ``as_of`` is the date the answers hold for); ``limit``: documents listed; ``top``: rows of the holder
    and subclass lists."""
    from ipcockpit.analytics.screening import screen_summary
    from ipcockpit.value.conditions import Universe, condition_rows
    from ipcockpit.value.settings import ScreenSettings

    region = region_of(code)
    if region is None:
        return None
    settings = settings or ScreenSettings()
    con = store.con
    docs = attributed(con, region["prefix"])
    for d in docs:
        d["kind"] = _kind(d["doc_type"], d["stage"])
        d["rule"] = first_holder_rule(d["stage"], d["grant_day"])
    ids = [d["doc_id"] for d in docs]
    grant_ids = [d["doc_id"] for d in docs if d["kind"] == "invention_grant"]
    judged = {r["publication_number"]: r for r in condition_rows(con, settings, Universe(doc_ids=tuple(grant_ids)))} \
        if grant_ids else {}
    screening = screen_summary(list(judged.values()))
    answers = {True: "yes", False: "no", None: "unknown"}
    in_force = Counter(answers[r["in_force"]] for r in judged.values())
    kinds = Counter(d["kind"] for d in docs)
    years = [d["pub_date"].year for d in docs if d["pub_date"] is not None]
    elsewhere = _named_elsewhere(store, region["prefix"], set(ids))
    summary = {
        "documents": len(docs),
        "applications": len({d["app_id"] or d["doc_id"] for d in docs}),
        **{f"{k}s": kinds.get(k, 0) for k in KINDS},
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "undated": len(docs) - len(years),
        "screened": len(judged),
        "in_force_inventions": in_force.get("yes", 0),
        "in_force_no": in_force.get("no", 0),
        "in_force_unknown": in_force.get("unknown", 0),
        **{f"high_value_{a}": screening["high_value"][a] for a in ("yes", "no", "unknown")},
        "named_elsewhere": len(elsewhere),
    }
    transfers = _transfers(store, region, docs)
    events = _events(store, ids)
    by_class = {e["event_class"]: e for e in events}
    summary.update({f"{k}_events": by_class.get(k, {}).get("events", 0)
                    for k in ("transfer", "pledge", "licence", "lapse")})
    summary.update({f"transfers_{k}": sum(1 for t in transfers if t["direction"] == k)
                    for k in ("in", "out", "within", "unknown")})
    listed = sorted(docs, key=lambda d: (d["pub_date"] or date.min, d["doc_id"]), reverse=True)
    listed = listed if not limit or limit <= 0 else listed[:limit]
    return {
        **{k: region[k] for k in ("code", "prefix", "level", "name", "full_name")},
        "query": code,
        "as_of": settings.as_of.isoformat(),
        "office": "CN",
        **fields(_empty_reason(store, region, docs, elsewhere)),
        "parents": region["parents"],
        "rule": dict(RULE),
        "summary": summary,
        "by_type_year": _by_type_year(docs),
        "conditions": screening["conditions"],
        "sei_mix": _sei_mix(judged.values()),
        "top_applicants": _top_holders(docs, judged, top),
        "ipc_mix": _subclasses(store, ids, top),
        "legal_events": events,
        "transfers": transfers,
        "pledges": _pledges(store, docs),
        "sub_regions": _sub_regions(region, docs, judged),
        "documents_total": len(docs),
        "documents": [_document(d, judged.get(d["doc_id"])) for d in listed],
        "named_elsewhere": elsewhere[:limit] if limit and limit > 0 else elsewhere,
    }


def _empty_reason(store: Store, region: dict[str, Any], docs: list[dict[str, Any]],
                  elsewhere: list[dict[str, Any]]) -> Reason | None:
    """Why a region has no attributed document, or None when it has some."""
    if docs:
        return None
    values = {"code": region["code"], "name": region["name"]}
    coded = store.scalar("SELECT count(*) FROM parties WHERE admin_code IS NOT NULL")
    if not coded:
        return Reason("region.reason.no_codes", values)
    if elsewhere:
        return Reason("region.reason.named_elsewhere", {**values, "count": len(elsewhere)})
    return Reason("region.reason.no_documents", values)


def _by_type_year(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Documents per publication year (None: undated, last) and kind."""
    table: dict[int | None, Counter[str]] = defaultdict(Counter)
    for d in docs:
        table[d["pub_date"].year if d["pub_date"] is not None else None][d["kind"]] += 1
    return [{"year": y, **{k: table[y].get(k, 0) for k in KINDS}, "total": sum(table[y].values())}
            for y in sorted(table, key=lambda y: (y is None, y or 0))]


def _sei_mix(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The invention grants by SEI industry: ``counted`` (a rule of the industry counts), ``possible`` (a rule
    matches whose condition the text cannot show), then one row ``-`` for the grants with neither."""
    counted: Counter[str] = Counter()
    possible: Counter[str] = Counter()
    names: dict[str, str] = {}
    neither = 0
    for r in rows:
        matches = (r["conditions"]["strategic_emerging_industry"].get("evidence") or {}).get("matches") or []
        yes = {m["industry_code"] for m in matches if m.get("counted") is True and m.get("industry_code")}
        maybe = {m["industry_code"] for m in matches if m.get("counted") is None and m.get("industry_code")} - yes
        names.update({m["industry_code"]: m.get("industry_name") for m in matches if m.get("industry_code")})
        counted.update(yes)
        possible.update(maybe)
        neither += not yes and not maybe
    codes = sorted(set(counted) | set(possible), key=lambda c: (int(c) if c.isdigit() else 99, c))
    out = [{"industry_code": c, "industry_name": names.get(c), "counted": counted.get(c, 0),
            "possible": possible.get(c, 0)} for c in codes]
    if out or neither:
        out.append({"industry_code": "-", "industry_name": None, "counted": 0, "possible": 0, "neither": neither})
    return out


def _top_holders(docs: list[dict[str, Any]], judged: dict[str, dict[str, Any]], top: int) -> list[dict[str, Any]]:
    """The holders the documents are attributed by, most documents first."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in docs:
        groups[d["holder_norm"] or d["holder"]].append(d)
    rows = []
    for norm, ds in groups.items():
        grants = [d for d in ds if d["kind"] == "invention_grant"]
        rows.append({
            "name": Counter(d["holder"] for d in ds).most_common(1)[0][0],
            "name_norm": norm,
            "documents": len(ds),
            "invention_grants": len(grants),
            "in_force_inventions": sum(1 for d in grants if (judged.get(d["doc_id"]) or {}).get("in_force") is True),
            "in_force_unknown": sum(1 for d in grants if (judged.get(d["doc_id"]) or {}).get("in_force") is None),
            "admin_code": Counter(d["admin_code"] for d in ds).most_common(1)[0][0],
        })
    rows.sort(key=lambda r: (-r["documents"], r["name_norm"] or ""))
    return rows[:top] if top and top > 0 else rows


def _rows(store: Store, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, params)
    names = [c[0] for c in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _subclasses(store: Store, ids: list[str], top: int) -> list[dict[str, Any]]:
    if not ids:
        return []
    return _rows(store, "SELECT left(c.code, 4) AS subclass, count(DISTINCT c.doc_id) AS documents "
                 "FROM classifications c WHERE c.doc_id IN (SELECT unnest($ids::VARCHAR[])) "
                 "AND c.scheme IN ('IPC', 'CPC') AND length(c.code) >= 4 GROUP BY 1 "
                 "ORDER BY documents DESC, subclass LIMIT $top", {"ids": ids, "top": top if top > 0 else 10_000})


def _events(store: Store, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return _rows(store, "SELECT coalesce(e.event_class, 'other') AS event_class, count(*) AS events, "
                 "count(DISTINCT e.doc_id) AS documents, min(e.event_date) AS first_date, "
                 "max(e.event_date) AS last_date FROM legal_events e "
                 "WHERE e.doc_id IN (SELECT unnest($ids::VARCHAR[])) GROUP BY 1 ORDER BY events DESC, event_class",
                 {"ids": ids})


def _pledges(store: Store, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every pledge registration and release on the region's documents, newest first."""
    if not docs:
        return []
    holder = {d["doc_id"]: d for d in docs}
    rows = _rows(store, "SELECT e.doc_id, e.event_date AS date, e.event_class, e.counterparty AS pledgee, e.amount, "
                 "e.currency, e.raw_text FROM legal_events e WHERE e.doc_id IN (SELECT unnest($ids::VARCHAR[])) "
                 "AND e.event_class IN ('pledge', 'pledge_release') "
                 "ORDER BY e.event_date DESC NULLS LAST, e.doc_id", {"ids": list(holder)})
    return [{**r, "pledgor": holder[r["doc_id"]]["holder"], "title": holder[r["doc_id"]]["title"]} for r in rows]


# transfers --------------------------------------------------------------------------------------------
def _names(counterparty: str | None) -> list[str]:
    return [n for n in _SPLIT.split(counterparty or "") if n.strip()]


def _locate(store: Store, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Where each assignee name is, by its folded form: ``{"code", "records", "address", "codes"}`` from the
    store's parties of that name that have a code (the most frequent code; None when split evenly); the
    transfer rows carry ``assignee_records`` and ``assignee_codes`` as the evidence."""
    norms = sorted({n for n in (normalise_name(x) for x in names) if n})
    if not norms:
        return {}
    rows = _rows(store, "SELECT name_norm, admin_code, count(*) AS n, mode(address_raw) AS address FROM parties "
                 f"WHERE name_norm IN (SELECT unnest($n::VARCHAR[])) AND role IN {OWNER_ROLES} "
                 "AND admin_code IS NOT NULL GROUP BY 1, 2", {"n": norms})
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        found[r["name_norm"]].append(r)
    out = {}
    for norm, rs in found.items():
        rs.sort(key=lambda r: (-r["n"], r["admin_code"]))
        tie = len(rs) > 1 and rs[1]["n"] == rs[0]["n"]
        out[norm] = {"code": None if tie else rs[0]["admin_code"], "records": sum(r["n"] for r in rs),
                     "address": None if tie else rs[0]["address"], "codes": [r["admin_code"] for r in rs]}
    return out


def _transfers(store: Store, region: dict[str, Any], docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Transfers of the region's documents (``out``, ``within``, ``unknown``) and transfers into the region
    of documents attributed elsewhere (``in``), newest first."""
    prefix = region["prefix"]
    mine = {d["doc_id"]: d for d in docs}
    own = _rows(store, "SELECT e.doc_id, e.event_date AS date, e.counterparty, e.raw_text FROM legal_events e "
                "WHERE e.event_class = 'transfer' AND e.doc_id IN (SELECT unnest($ids::VARCHAR[]))",
                {"ids": list(mine)}) if mine else []
    # candidates for "in": transfers of other CN documents to a name that a party of the region bears
    here = {r["name_norm"] for r in _rows(
        store, f"SELECT DISTINCT name_norm FROM parties WHERE starts_with(admin_code, $p) AND role IN {OWNER_ROLES} "
        "AND name_norm IS NOT NULL", {"p": prefix})}
    others = _rows(store, "SELECT DISTINCT e.counterparty FROM legal_events e JOIN documents d USING (doc_id) "
                   "WHERE e.event_class = 'transfer' AND e.counterparty IS NOT NULL AND d.office = 'CN'",
                   {}) if here else []
    wanted = [r["counterparty"] for r in others
              if any(normalise_name(n) in here for n in _names(r["counterparty"]))]
    incoming = _rows(store, "SELECT e.doc_id, e.event_date AS date, e.counterparty, e.raw_text FROM legal_events e "
                     "JOIN documents d USING (doc_id) WHERE e.event_class = 'transfer' AND d.office = 'CN' "
                     "AND e.counterparty IN (SELECT unnest($c::VARCHAR[])) AND NOT coalesce(d.stub, false)",
                     {"c": wanted}) if wanted else []
    incoming = [r for r in incoming if r["doc_id"] not in mine]
    where = attribution_of(store.con, sorted({r["doc_id"] for r in incoming}))
    located = _locate(store, [n for r in [*own, *incoming] for n in _names(r["counterparty"])])
    out = []
    for r, ours in [*((r, True) for r in own), *((r, False) for r in incoming)]:
        holder = mine.get(r["doc_id"]) if ours else where.get(r["doc_id"])
        assignees = [(n, located.get(normalise_name(n) or "")) for n in _names(r["counterparty"])]
        codes = [a[1]["code"] for a in assignees if a[1] and a[1]["code"]]
        to_here = [c for c in codes if c.startswith(prefix)]
        assignee_code = (to_here or codes or [None])[0]
        if ours:
            direction = "unknown" if not codes else "within" if to_here else "out"
        elif holder is not None and to_here and not holder["admin_code"].startswith(prefix):
            direction = "in"
        else:
            direction = "unknown"
        if direction == "unknown":
            why = "assignee_unplaced" if not r["counterparty"] else "assignee_not_located" if not codes \
                else "assignor_not_located"
        else:
            why = None
        out.append({
            "doc_id": r["doc_id"], "date": r["date"], "direction": direction, "why_unknown": why,
            "assignor": holder["holder"] if holder else None,
            "assignor_code": holder["admin_code"] if holder else None,
            "assignee": r["counterparty"], "assignee_code": assignee_code,
            "assignee_records": sum(a["records"] for _, a in assignees if a),
            "assignee_codes": sorted({c for _, a in assignees if a for c in a["codes"]}),
            "raw_text": r["raw_text"],
        })
    out.sort(key=lambda t: (t["date"] or date.min, t["doc_id"]), reverse=True)
    return out


# sub-regions, documents, documents attributed elsewhere ---------------------------------------------
def _sub_regions(region: dict[str, Any], docs: list[dict[str, Any]],
                 judged: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each division one level below with its counts, then (``own_level``) the documents whose holder's
    address names the region and nothing finer, with the most frequent ``admin_reason``."""
    subs = children(region)
    rows = []

    def counts(ds: list[dict[str, Any]]) -> dict[str, Any]:
        grants = [d for d in ds if d["kind"] == "invention_grant"]
        return {"documents": len(ds), "invention_grants": len(grants),
                "in_force_inventions": sum(1 for d in grants
                                           if (judged.get(d["doc_id"]) or {}).get("in_force") is True),
                "in_force_unknown": sum(1 for d in grants if (judged.get(d["doc_id"]) or {}).get("in_force") is None),
                "utility_models": sum(1 for d in ds if d["kind"] == "utility_model"),
                "designs": sum(1 for d in ds if d["kind"] == "design")}

    placed: set[str] = set()
    for s in subs:
        prefix = match_prefix(s["code"]) if s["level"] == "city" else s["code"]
        ds = [d for d in docs if d["admin_code"].startswith(prefix)]
        placed |= {d["doc_id"] for d in ds}
        rows.append({**s, "own_level": False, **counts(ds), "admin_reason": None})
    if region["level"] != "district":
        rest = [d for d in docs if d["doc_id"] not in placed]
        reasons = Counter(d["holder_admin_reason"] for d in rest if d["holder_admin_reason"])
        rows.append({"code": region["code"], "name": region["name"], "level": region["level"], "own_level": True,
                     **counts(rest), "admin_reason": reasons.most_common(1)[0][0] if reasons else None})
    return rows


def _document(d: dict[str, Any], judged: dict[str, Any] | None) -> dict[str, Any]:
    """A listed document with the evidence of its attribution (flat: one CSV row)."""
    found = division(d["admin_code"])
    answers = {True: "yes", False: "no", None: "unknown"}
    return {
        "doc_id": d["doc_id"], "title": d["title"], "kind": d["kind"], "doc_type": d["doc_type"], "stage": d["stage"],
        "pub_date": d["pub_date"], "app_date": d["app_date"],
        "holder": d["holder"], "holder_role": d["holder_role"], "holder_seq": d["holder_seq"],
        "holder_doc": d["holder_doc"], "rule": d["rule"], "address": d["holder_address"],
        "admin_code": d["admin_code"], "admin_name": found.name if found else None,
        "admin_reason": d["holder_admin_reason"],
        "in_force": answers[judged["in_force"]] if judged else None,
        "high_value": answers[judged["high_value"]] if judged else None,
    }


def _named_elsewhere(store: Store, prefix: str, attributed_here: set[str]) -> list[dict[str, Any]]:
    """CN documents with a holder party in the region that the rule attributes elsewhere, or to no region
    (their first coded holder is not domestic), with the holder that decided."""
    rows = _rows(store, "SELECT p.doc_id, min_by(p.name_raw, p.seq) AS party, "
                 "min_by(p.admin_code, p.seq) AS party_code, any_value(d.title) AS title "
                 "FROM parties p JOIN documents d USING (doc_id) "
                 f"WHERE starts_with(p.admin_code, $p) AND p.role IN {HOLDER_ROLES} AND d.office = 'CN' "
                 "AND NOT coalesce(d.stub, false) GROUP BY p.doc_id ORDER BY p.doc_id", {"p": prefix})
    rows = [r for r in rows if r["doc_id"] not in attributed_here]
    where = attribution_of(store.con, [r["doc_id"] for r in rows])
    return [{**r, "attributed_code": (where.get(r["doc_id"]) or {}).get("admin_code"),
             "attributed_holder": (where.get(r["doc_id"]) or {}).get("holder"),
             "why": "first_holder_elsewhere" if r["doc_id"] in where else "first_holder_not_domestic"}
            for r in rows]
