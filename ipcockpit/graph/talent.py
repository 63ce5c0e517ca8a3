"""Talent (人才): inventors' employers over time, mobility, flows by region and industry, key inventors, teams.

Rules:

- An inventor's **employer** on a document is each organisation that holds it (applicant, assignee or
  patentee; not a party of type ``person``, nor one of the inventor's own folded name, nor the current owner,
  who may have bought it), as entities (:mod:`ipcockpit.graph.ids`). The date of the work is the first
  plausible of the priority, filing and publication dates (one before 1790 or more than a year ahead is passed
  over, :data:`ipcockpit.graph.build.DAY_SQL`).
- A **stint** is an inventor with one employer: its first and last date and documents. A **mobility event**
  from A to B is a stint B that starts after every earlier stint of the inventor has ended (strictly after the
  latest last date among the stints that started before it); A is the stint that ended last (of two that end on
  the same day, the one of more documents, then the smaller id: resolved ids are hashes). Overlapping
  stints (two employers at once, a joint application) are no move. The evidence is A's last document and B's
  first. An inventor id that is a folded name (``n:``: not resolved) may join namesakes: such events carry
  ``resolved`` false and the answer counts them apart.
- An employer's **region** is the most frequent GB/T 2260 code of its party rows (cut to ``level`` digits: 2
  province, 4 city, 6 district); none: ``unknown``. An event's **industry** on each side is the SEI industries
  (``ref_ipc_concordance`` sei2021, by IPC pattern) of that side's evidence document; none: ``unknown``.
  Flows count, for each region or industry, the events out of it (from it to elsewhere), into it, and within.
- **Key inventors of a field** (an IPC prefix, or an SEI branch/industry code): the co-invention graph of the
  field's documents (inventors linked by the families they share), ranked by PageRank (weighted), with degree,
  betweenness and documents. Their **high-value share** is the screening's answer (:mod:`ipcockpit.value.
  conditions`, the given settings) on their invention grants of the field: yes, no and unknown counted apart;
  ``high_value_share`` = yes / (yes + no), None when none is known (unknown never counts as no).
- The **team** of an inventor: the co-inventors on its documents with the documents and families shared, their
  first and last year together, and each one's main employer (the organisation on most of its documents).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ipcockpit.graph.build import DAY_SQL, FAMILY_SQL
from ipcockpit.graph.errors import GraphArgumentError, GraphNodeNotFoundError
from ipcockpit.graph.ids import inventor_ids_sql, party_ids_sql
from ipcockpit.graph.sei import sei_codes
from ipcockpit.store import Store

if TYPE_CHECKING:
    from ipcockpit.value.settings import ScreenSettings

EMPLOYER_ROLES = ("applicant", "assignee", "patentee")
RESOLVED_PREFIX = "i:"
_ROLES = "(" + ", ".join(f"'{r}'" for r in EMPLOYER_ROLES) + ")"


def _rows(store: Store, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, params or {})
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _employment_sql(store: Store, where: str = "true") -> str:
    """(inventor, inventor_name, org, doc_id, day) for every employer of every inventor row."""
    return (f"SELECT i.entity_id AS inventor, i.name_raw AS inventor_name, p.entity_id AS org, p.name_raw AS org_name, "
            f"d.doc_id, {DAY_SQL} AS day "
            f"FROM ({inventor_ids_sql(store.con)}) i JOIN ({party_ids_sql(store.con)}) p USING (doc_id) "
            "JOIN documents d USING (doc_id) "
            f"WHERE p.role IN {_ROLES} AND p.type IS DISTINCT FROM 'person' AND i.entity_id IS NOT NULL "
            "AND p.name_norm IS DISTINCT FROM i.name_norm "
            f"AND p.entity_id IS NOT NULL AND {where}")


def find_inventor(store: Store, text: str) -> dict[str, Any]:
    """The inventor ``text`` names: an entity id (``i:…``, ``n:…``) or a name as written or folded; the
    entity with the most documents wins. Raises :class:`GraphNodeNotFoundError`."""
    key = (text or "").strip()
    key = key[4:] if key.startswith("inv:") else key
    found = _rows(store, f"SELECT entity_id, mode(name_raw) AS name, count(DISTINCT doc_id) AS documents "
                         f"FROM ({inventor_ids_sql(store.con)}) WHERE entity_id = $k OR name_norm = lower($k) "
                         "OR lower(name_raw) = lower($k) GROUP BY entity_id "
                         "ORDER BY (entity_id = $k) DESC, documents DESC, entity_id LIMIT 1", {"k": key})
    if not found:
        raise GraphNodeNotFoundError(f"no inventor {key!r} in the store; give an inventor entity id (i:… or n:…) "
                                     "or a name as written on a patent")
    return found[0]


def _stints(store: Store, where: str = "true", params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return _rows(store, "WITH e AS (" + _employment_sql(store, where) + ") "
                 "SELECT inventor, any_value(inventor_name) AS inventor_name, org, mode(org_name) AS org_name, "
                 "min(day) AS first_day, max(day) AS last_day, count(DISTINCT doc_id) AS documents, "
                 "arg_min(doc_id, (day, doc_id)) AS first_doc, arg_max(doc_id, (day, doc_id)) AS last_doc "
                 "FROM e WHERE day IS NOT NULL GROUP BY inventor, org ORDER BY inventor, first_day, org", params)


def _events(stints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mobility events of the stints (sorted by inventor, first day), as the module's rule says."""
    out = []
    by_inventor: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in stints:
        by_inventor[s["inventor"]].append(s)
    for inventor, rows in by_inventor.items():
        ended: dict[str, Any] | None = None  # the earlier stint that ended last
        for s in rows:
            if ended is not None and s["first_day"] > ended["last_day"]:
                out.append({
                    "inventor": inventor, "inventor_name": s["inventor_name"],
                    "resolved": inventor.startswith(RESOLVED_PREFIX),
                    "from_org": ended["org"], "from_name": ended["org_name"],
                    "to_org": s["org"], "to_name": s["org_name"],
                    "year": s["first_day"].year, "from_last_date": ended["last_day"], "to_first_date": s["first_day"],
                    "gap_days": (s["first_day"] - ended["last_day"]).days,
                    "evidence": [ended["last_doc"], s["first_doc"]],
                })
            tie = ended is not None and s["last_day"] == ended["last_day"]
            if ended is None or s["last_day"] > ended["last_day"] or (
                    tie and (-s["documents"], s["org"]) < (-ended["documents"], ended["org"])):
                ended = s
    return out


def employers(store: Store, inventor: str) -> dict[str, Any]:
    """An inventor's employers over time (its stints, first first) and its mobility events."""
    found = find_inventor(store, inventor)
    stints = _stints(store, "i.entity_id = $inv", {"inv": found["entity_id"]})
    events = _events(stints)
    _locate(store, events)
    return {"inventor": found, "resolved": found["entity_id"].startswith(RESOLVED_PREFIX),
            "employers": stints, "events": events}


def mobility(store: Store, year_from: int | None = None, year_to: int | None = None, org: str | None = None,
             limit: int = 200) -> dict[str, Any]:
    """Every mobility event of the store (``org``: only those from or to that organisation entity id),
    newest first, at most ``limit`` listed; counts of all."""
    events = [e for e in _events(_stints(store))
              if (year_from is None or e["year"] >= year_from) and (year_to is None or e["year"] <= year_to)
              and (org is None or org in (e["from_org"], e["to_org"]))]
    events.sort(key=lambda e: (-e["year"], e["inventor"], e["to_org"]))
    listed = events[:limit] if limit and limit > 0 else events
    _locate(store, listed)
    return {"events_total": len(events), "resolved": sum(e["resolved"] for e in events),
            "unresolved": sum(not e["resolved"] for e in events), "events": listed,
            "filters": {"year_from": year_from, "year_to": year_to, "org": org}}


def _org_regions(store: Store, orgs: Iterable[str]) -> dict[str, str | None]:
    wanted = sorted(set(orgs))
    if not wanted:
        return {}
    con = store.con
    con.register("_talent_orgs", pa.table({"org": pa.array(wanted, pa.string())}))
    try:
        rows = con.execute(
            f"SELECT entity_id, admin_code FROM (SELECT entity_id, admin_code, row_number() OVER (PARTITION BY "
            "entity_id ORDER BY count(*) DESC, admin_code) AS r FROM "
            f"({party_ids_sql(con)}) WHERE role IN {_ROLES} AND admin_code IS NOT NULL "
            "AND entity_id IN (SELECT org FROM _talent_orgs) GROUP BY entity_id, admin_code) WHERE r = 1").fetchall()
    finally:
        con.unregister("_talent_orgs")
    found = dict(rows)
    return {o: found.get(o) for o in wanted}


def _doc_industries(store: Store, docs: Iterable[str]) -> dict[str, list[str]]:
    wanted = sorted(set(d for d in docs if d))
    if not wanted:
        return {}
    con = store.con
    con.register("_talent_docs", pa.table({"doc_id": pa.array(wanted, pa.string())}))
    try:
        ipc = ("SELECT DISTINCT c.doc_id, c.code FROM classifications c JOIN _talent_docs USING (doc_id) "
               "WHERE c.scheme = 'IPC'")
        con.register("_talent_sei", sei_codes(con, f"SELECT code FROM ({ipc})"))
        rows = con.execute(f"SELECT i.doc_id, list(DISTINCT s.industry ORDER BY s.industry) FROM ({ipc}) i "
                           "JOIN _talent_sei s USING (code) WHERE s.industry IS NOT NULL GROUP BY i.doc_id").fetchall()
    finally:
        con.unregister("_talent_docs")
        con.unregister("_talent_sei")
    found = dict(rows)
    return {d: list(found.get(d) or []) for d in wanted}


def _locate(store: Store, events: list[dict[str, Any]]) -> None:
    """Add each side's region code and SEI industries to the events."""
    regions = _org_regions(store, [e[k] for e in events for k in ("from_org", "to_org")])
    industries = _doc_industries(store, [d for e in events for d in e["evidence"]])
    for e in events:
        e["from_region"], e["to_region"] = regions.get(e["from_org"]), regions.get(e["to_org"])
        e["from_industries"] = industries.get(e["evidence"][0], [])
        e["to_industries"] = industries.get(e["evidence"][1], [])


def flows(store: Store, by: str = "region", level: int = 2, year_from: int | None = None,
          year_to: int | None = None, resolved_only: bool = False) -> dict[str, Any]:
    """Inflow, outflow and moves within, per region (``by="region"``, codes cut to ``level`` digits) or per
    SEI industry (``by="industry"``), of the mobility events (``resolved_only``: of resolved inventors only)."""
    if by not in ("region", "industry"):
        raise GraphArgumentError(f"flows by {by!r}: give region or industry")
    events = [e for e in _events(_stints(store))
              if (year_from is None or e["year"] >= year_from) and (year_to is None or e["year"] <= year_to)
              and (e["resolved"] or not resolved_only)]
    _locate(store, events)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for e in events:
        if by == "region":
            a = {e["from_region"][:level]} if e["from_region"] else {"unknown"}
            b = {e["to_region"][:level]} if e["to_region"] else {"unknown"}
        else:
            a, b = set(e["from_industries"]) or {"unknown"}, set(e["to_industries"]) or {"unknown"}
        for key in a | b:
            side = "within" if key in a and key in b else "outflow" if key in a else "inflow"
            counts[key][side] += 1
    names = _region_names(counts) if by == "region" else _industry_names(store)
    rows = [{"key": k, "name": names.get(k), "inflow": c["inflow"], "outflow": c["outflow"], "within": c["within"],
             "net": c["inflow"] - c["outflow"]} for k, c in counts.items()]
    rows.sort(key=lambda r: (r["key"] == "unknown", -(r["inflow"] + r["outflow"] + r["within"]), r["key"]))
    return {"by": by, "level": level if by == "region" else None, "events": len(events),
            "resolved": sum(e["resolved"] for e in events), "rows": rows,
            "filters": {"year_from": year_from, "year_to": year_to, "resolved_only": resolved_only}}


def _region_names(counts: dict[str, Any]) -> dict[str, str | None]:
    from ipcockpit.model.addresses import division

    out: dict[str, str | None] = {}
    for key in counts:
        d = division(key.ljust(6, "0")) if key != "unknown" else None
        out[key] = d.name if d is not None else None
    return out


def _industry_names(store: Store) -> dict[str, str | None]:
    return dict(store.con.execute("SELECT DISTINCT parent_code, parent_name FROM ref_ipc_concordance "
                                  "WHERE scheme = 'sei2021' AND parent_code IS NOT NULL").fetchall())


def _field_docs(store: Store, ipc: str | None, sei: str | None) -> None:
    """The temp table ``_field_docs`` (``doc_id``) of a field: IPC codes starting with ``ipc``, or SEI branch
    ``sei`` (``1.2``) or industry (``1``) by the concordance's IPC patterns (:mod:`ipcockpit.graph.sei`)."""
    con = store.con
    if ipc:
        con.execute("CREATE OR REPLACE TEMP TABLE _field_docs AS SELECT DISTINCT doc_id FROM classifications "
                    "WHERE scheme = 'IPC' AND starts_with(code, $ipc)", {"ipc": ipc.strip().upper()})
        return
    if not sei:
        raise GraphArgumentError("a field is an IPC prefix (--ipc H04N) or an SEI code (--sei 1.2)")
    con.register("_field_sei", sei_codes(con, "SELECT code FROM classifications WHERE scheme = 'IPC'"))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _field_docs AS SELECT DISTINCT c.doc_id FROM classifications c "
                    "JOIN _field_sei s USING (code) WHERE c.scheme = 'IPC' AND (s.branch = $sei OR s.industry = $sei)",
                    {"sei": sei.strip()})
    finally:
        con.unregister("_field_sei")


def key_inventors(store: Store, ipc: str | None = None, sei: str | None = None, top: int = 20,
                  settings: ScreenSettings | None = None) -> dict[str, Any]:
    """The key inventors of a field (see the module's rules), ``top`` by PageRank."""
    from ipcockpit.graph.analysis import measures
    from ipcockpit.value.conditions import Universe, condition_rows

    con = store.con
    _field_docs(store, ipc, sei)
    try:
        inv = _rows(store, f"SELECT i.entity_id, i.name_raw, i.doc_id, g.fam FROM ({inventor_ids_sql(con)}) i "
                           f"JOIN _field_docs USING (doc_id) JOIN ({FAMILY_SQL}) g USING (doc_id) "
                           "WHERE i.entity_id IS NOT NULL")
        field_docs = con.execute("SELECT count(*) FROM _field_docs").fetchall()[0][0]
    finally:
        con.execute("DROP TABLE IF EXISTS _field_docs")
    g = _coinvention(inv)
    result = measures(g, top=top)
    ranked = result.get("by", {}).get("pagerank", [])
    docs_of: dict[str, set[str]] = defaultdict(set)
    fams_of: dict[str, set[str]] = defaultdict(set)
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for r in inv:
        docs_of[r["entity_id"]].add(r["doc_id"])
        fams_of[r["entity_id"]].add(r["fam"])
        names[r["entity_id"]][r["name_raw"]] += 1
    wanted = [r["id"] for r in ranked]
    all_docs = sorted({d for i in wanted for d in docs_of[i]})
    answers: dict[str, bool | None] = {}
    if all_docs:
        for row in condition_rows(con, settings, Universe(doc_ids=tuple(all_docs))):
            answers[row["publication_number"]] = row["high_value"]
    rows = []
    for rank, r in enumerate(ranked, start=1):
        judged = [answers[d] for d in sorted(docs_of[r["id"]]) if d in answers]
        yes, no = judged.count(True), judged.count(False)
        rows.append({"rank": rank, "inventor": r["id"], "name": names[r["id"]].most_common(1)[0][0],
                     "resolved": r["id"].startswith(RESOLVED_PREFIX), "documents": len(docs_of[r["id"]]),
                     "families": len(fams_of[r["id"]]), "degree": r["degree"], "strength": r["strength"],
                     "pagerank": r["pagerank"], "betweenness": r["betweenness"], "invention_grants": len(judged),
                     "high_value_yes": yes, "high_value_no": no, "high_value_unknown": judged.count(None),
                     "high_value_share": round(yes / (yes + no), 4) if yes + no else None})
    return {"field": {"ipc": ipc, "sei": sei}, "documents": field_docs, "inventors": len(docs_of),
            "graph": {"nodes": result["nodes"], "edges": result["edges"],
                      "betweenness_cutoff": result["betweenness_cutoff"]}, "rows": rows}


def _coinvention(rows: list[dict[str, Any]]) -> Any:
    """The co-invention graph of inventor rows (``entity_id``, ``fam``): inventors linked by the number of
    families they share; every inventor a vertex."""
    import igraph as ig

    by_fam: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        by_fam[r["fam"]].add(r["entity_id"])
    ids = sorted({r["entity_id"] for r in rows})
    index = {v: k for k, v in enumerate(ids)}
    pairs: Counter[tuple[int, int]] = Counter()
    for members in by_fam.values():
        m = sorted(index[x] for x in members)
        for a in range(len(m)):
            for b in range(a + 1, len(m)):
                pairs[(m[a], m[b])] += 1
    edges = sorted(pairs)
    g = ig.Graph(n=len(ids), edges=edges)
    g.vs["name"] = ids
    g.vs["label"] = ["inventor"] * len(ids)
    g.vs["title"] = ids
    g.es["weight"] = [float(pairs[e]) for e in edges]
    return g


def team(store: Store, inventor: str, limit: int = 50) -> dict[str, Any]:
    """The team around ``inventor``: its co-inventors (documents and families shared, years together, main
    employer), most shared documents first, and the inventor's own employers."""
    found = find_inventor(store, inventor)
    con = store.con
    ids = inventor_ids_sql(con)
    rows = _rows(store, f"WITH mine AS (SELECT DISTINCT doc_id FROM ({ids}) WHERE entity_id = $inv), "
                 f"g AS ({FAMILY_SQL}) "
                 "SELECT c.entity_id AS inventor, mode(c.name_raw) AS name, count(DISTINCT c.doc_id) AS documents, "
                 "count(DISTINCT g.fam) AS families, min(g.year) AS first_year, max(g.year) AS last_year, "
                 "list_slice(list(DISTINCT c.doc_id ORDER BY c.doc_id), 1, 5) AS evidence "
                 f"FROM ({ids}) c JOIN mine USING (doc_id) JOIN g USING (doc_id) "
                 "WHERE c.entity_id IS NOT NULL AND c.entity_id <> $inv GROUP BY c.entity_id "
                 "ORDER BY documents DESC, c.entity_id", {"inv": found["entity_id"]})
    total = len(rows)
    rows = rows[:limit] if limit and limit > 0 else rows
    main = _main_employers(store, [r["inventor"] for r in rows])
    for r in rows:
        r["resolved"] = r["inventor"].startswith(RESOLVED_PREFIX)
        r["employer"], r["employer_name"], r["employer_documents"] = main.get(r["inventor"], (None, None, 0))
    return {"inventor": found, "resolved": found["entity_id"].startswith(RESOLVED_PREFIX),
            "employers": _stints(store, "i.entity_id = $inv", {"inv": found["entity_id"]}),
            "coinventors_total": total, "coinventors": rows}


def _main_employers(store: Store, inventors: list[str]) -> dict[str, tuple[str, str, int]]:
    if not inventors:
        return {}
    con = store.con
    con.register("_talent_inv", pa.table({"inventor": pa.array(inventors, pa.string())}))
    try:
        rows = con.execute(
            "WITH e AS (" + _employment_sql(store, "i.entity_id IN (SELECT inventor FROM _talent_inv)") + ") "
            "SELECT inventor, org, org_name, n FROM (SELECT inventor, org, mode(org_name) AS org_name, "
            "count(DISTINCT doc_id) AS n, row_number() OVER (PARTITION BY inventor ORDER BY count(DISTINCT doc_id) "
            "DESC, org) AS r FROM e GROUP BY inventor, org) WHERE r = 1").fetchall()
    finally:
        con.unregister("_talent_inv")
    return {inv: (org, name, n) for inv, org, name, n in rows}
