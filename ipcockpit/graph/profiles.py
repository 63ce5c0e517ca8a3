"""The data of the profile pages of resolved entities: an organisation (机构画像) and an inventor (发明人画像), each
one plain dict; what the resolution and strength helpers' data functions answer is used as they answer it, this
module adds only what none of them gives (docs/entities.md, "Pages, CLI and API").

Rules:

- An **organisation** is named by its entity id (``o:…``, or ``n:<folded name>`` where no resolution has run) or
  by a name as written or folded (:func:`ipcockpit.strength.ranking.find_entity`: the entity of most parties of
  that name). Its names with their evidence, links and overrides are :func:`ipcockpit.entities.org_data.
  organisation` (resolved ids only). Its **portfolio** is the documents on which one of its party rows holds
  (applicant, assignee, patentee, current owner), by year of the work and type. **Co-applicants**: the other
  holder entities of those documents; **inventors**: the inventor entities on them; each with the documents
  shared and up to five of them as evidence. **Transfers, licences and pledges out**: the events of its
  documents whose counterparty is not one of its own names; **in**: the events whose counterparty's folded name
  is one of its names' (the loader's folding); each with its document, date and counterparty as evidence.
- Its **strength** is :func:`ipcockpit.strength.ranking.organisation` among the organisations of
  ``strength_filters`` (region, industry, field, nature; none: the whole store), asked only when ``strength``
  is true: it compares every one of them, which costs far more than the rest of the page.
- An **inventor** is :func:`ipcockpit.entities.inv_store.inventor_profile` (resolved ids) with its stints and
  mobility events (:func:`ipcockpit.graph.talent.employers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ipcockpit.graph.build import DAY_SQL, HOLDER_ROLES
from ipcockpit.graph.ids import INVENTOR_TABLE, NAME_PREFIX, PARTY_TABLE, has_table, inventor_ids_sql, party_ids_sql
from ipcockpit.model.names import normalise_name
from ipcockpit.store import Store

if TYPE_CHECKING:
    from ipcockpit.value.settings import ScreenSettings

_ROLES = "(" + ", ".join(f"'{r}'" for r in HOLDER_ROLES) + ")"
EVENTS = ("transfer", "licence", "pledge")
_EVENTS = "(" + ", ".join(f"'{e}'" for e in EVENTS) + ")"


def _rows(store: Store, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, params)
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _parties_of(store: Store, eid: str) -> tuple[str, dict[str, Any]]:
    """A SELECT of the party rows whose entity id (:func:`ipcockpit.graph.ids.party_ids_sql`) is ``eid``
    (``doc_id, seq, role, name_raw, name_norm``), by the cheapest filter: the resolved rows of an ``o:`` id, the
    unresolved rows of that folded name for an ``n:`` id."""
    cols = "p.doc_id, p.seq, p.role, p.name_raw, p.name_norm"
    resolved = (f"SELECT {cols} FROM {PARTY_TABLE} pe JOIN parties p ON p.doc_id = pe.doc_id AND p.seq = pe.seq "
                "AND p.role = pe.role WHERE pe.entity_id = $e")
    if not has_table(store.con, PARTY_TABLE):
        return f"SELECT {cols} FROM parties p WHERE 'n:' || p.name_norm = $e", {"e": eid}
    if not eid.startswith(NAME_PREFIX):
        return resolved, {"e": eid}
    return (f"{resolved} UNION ALL SELECT {cols} FROM parties p LEFT JOIN {PARTY_TABLE} pe ON pe.doc_id = p.doc_id "
            "AND pe.seq = p.seq AND pe.role = p.role WHERE p.name_norm = $norm AND pe.entity_id IS NULL",
            {"e": eid, "norm": eid[len(NAME_PREFIX):]})


def find_organisation(store: Store, text: str) -> str | None:
    """The entity ``text`` names: an id that has party rows, else :func:`ipcockpit.strength.ranking.find_entity`
    (the entity of most parties of that name as written or folded)."""
    from ipcockpit.strength.ranking import find_entity

    key = (text or "").strip()
    if not key:
        return None
    if key.startswith(("o:", NAME_PREFIX)):
        sql, params = _parties_of(store, key)
        if store.con.execute(f"SELECT count(*) FROM ({sql}) WHERE role IN {_ROLES}", params).fetchall()[0][0]:
            return key
    return find_entity(store.con, key)


def organisation(store: Store, text: str, limit: int = 50, strength: bool = False,
                 strength_filters: dict[str, Any] | None = None,
                 settings: ScreenSettings | None = None) -> dict[str, Any] | None:
    """The organisation page's data (the module's rules); None when no organisation has that id or name."""
    eid = find_organisation(store, text)
    if eid is None:
        return None
    resolved = None
    if eid.startswith("o:") and has_table(store.con, "org_entities"):
        from ipcockpit.entities import org_data

        resolved = org_data.organisation(store, eid)
        if resolved is not None:
            eid = resolved["entity_id"]  # the entity it was merged into
    con = store.con
    parties = party_ids_sql(con)
    mine, params = _parties_of(store, eid)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _org_docs AS SELECT DISTINCT doc_id FROM ({mine}) "
                f"WHERE role IN {_ROLES}", params)
    try:
        names = _rows(store, "SELECT name_raw AS name, name_norm, count(*) AS parties, count(DISTINCT doc_id) AS "
                      f"documents FROM ({mine}) GROUP BY ALL ORDER BY parties DESC, name", params)
        by_year = _rows(store, f"SELECT year({DAY_SQL}) AS year, d.doc_type, count(*) AS documents FROM documents d "
                        "JOIN _org_docs USING (doc_id) GROUP BY ALL ORDER BY year NULLS LAST, d.doc_type", {})
        co = _rows(store, "SELECT p.entity_id, mode(p.name_raw) AS name, count(DISTINCT p.doc_id) AS documents, "
                   "list_slice(list(DISTINCT p.doc_id ORDER BY p.doc_id), 1, 5) AS evidence "
                   f"FROM ({parties}) p JOIN _org_docs USING (doc_id) WHERE p.role IN {_ROLES} "
                   "AND p.entity_id IS NOT NULL AND p.entity_id <> $e GROUP BY p.entity_id "
                   "ORDER BY documents DESC, p.entity_id LIMIT $n", {"e": eid, "n": limit})
        inventors = _rows(store, "SELECT i.entity_id, mode(i.name_raw) AS name, count(DISTINCT i.doc_id) AS documents, "
                          "list_slice(list(DISTINCT i.doc_id ORDER BY i.doc_id), 1, 5) AS evidence "
                          f"FROM ({inventor_ids_sql(con)}) i JOIN _org_docs USING (doc_id) "
                          "WHERE i.entity_id IS NOT NULL GROUP BY i.entity_id "
                          "ORDER BY documents DESC, i.entity_id LIMIT $n", {"n": limit})
        out_events = _rows(store, "SELECT e.event_class, e.event_date AS date, e.doc_id, e.counterparty, e.raw_text "
                           f"FROM legal_events e JOIN _org_docs USING (doc_id) WHERE e.event_class IN {_EVENTS} "
                           "ORDER BY e.event_date DESC NULLS LAST, e.doc_id", {})
        [(documents,)] = con.execute("SELECT count(*) FROM _org_docs").fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _org_docs")
    own = {n["name_norm"] for n in names if n["name_norm"]}
    events_out = [e for e in out_events if normalise_name(e["counterparty"] or "") not in own]
    events_in = _events_in(store, own)
    data: dict[str, Any] = {
        "entity_id": eid, "query": text, "resolved": eid.startswith("o:"),
        "name": resolved["name"] if resolved else (names[0]["name"] if names else eid),
        "documents": int(documents), "names": names,
        "resolution": resolved, "by_year": by_year, "co_applicants": co, "inventors": inventors,
        "events_out": events_out[:limit], "events_out_total": len(events_out),
        "events_in": events_in[:limit], "events_in_total": len(events_in),
        "inventors_resolved": has_table(con, INVENTOR_TABLE), "strength": None,
    }
    if strength:
        from ipcockpit.strength.ranking import organisation as strength_of

        data["strength"] = strength_of(con, eid, settings=settings, **(strength_filters or {}))
    return data


def _events_in(store: Store, own: set[str]) -> list[dict[str, Any]]:
    """Events whose counterparty folds to one of ``own`` (the organisation's folded names)."""
    con = store.con
    names = [r[0] for r in con.execute(f"SELECT DISTINCT counterparty FROM legal_events WHERE event_class IN {_EVENTS} "
                                       "AND counterparty IS NOT NULL").fetchall()]
    mine = [n for n in names if normalise_name(n) in own]
    if not mine:
        return []
    con.register("_org_cp", pa.table({"counterparty": pa.array(mine, pa.string())}))
    try:
        return _rows(store, "SELECT e.event_class, e.event_date AS date, e.doc_id, e.counterparty, e.raw_text "
                     "FROM legal_events e JOIN _org_cp USING (counterparty) WHERE e.event_class IN "
                     f"{_EVENTS} ORDER BY e.event_date DESC NULLS LAST, e.doc_id", {})
    finally:
        con.unregister("_org_cp")


def inventor(store: Store, entity_id: str, limit: int = 200) -> dict[str, Any] | None:
    """The inventor page's data: the resolved inventor's profile, its stints and mobility events; None for an
    id no inventor has."""
    from ipcockpit.entities.inv_store import inventor_profile
    from ipcockpit.graph import talent

    key = (entity_id or "").strip()
    if not has_table(store.con, INVENTOR_TABLE):
        return None
    data = inventor_profile(store, key, limit)
    if data is None:
        return None
    moves = talent.employers(store, key)
    return {**data, "resolved": key.startswith("i:"), "stints": moves["employers"],
            "events": [{k: v for k, v in e.items() if k != "evidence"} | {"from_document": e["evidence"][0],
                                                                            "to_document": e["evidence"][1]}
                       for e in moves["events"]]}
