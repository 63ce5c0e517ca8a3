"""The event-source registry: where alerts come from (HELPERS.md contract 2).

An :class:`Event` has a stable ``event_key`` (the same event gives the same key on every run, re-ingest and new
version of its file, so it alerts a list once: ``watch_alerts`` is unique on ``(list_id, event_key)``), its
``kind``, the watched object it concerns (``object_kind``, ``object_value`` of a list), the ``occurred`` date, a
message key of the catalogues (``watch.msg.<kind>``) with its ``params``, and ``evidence`` (the rows it rests on).

A source is a function ``detect(store, scope) -> Iterable[Event]`` registered under a name; it reads the
temporary table ``_watch_docs`` (:mod:`ipcockpit.watch.match`: which documents each list's objects cover).

Sources here:

- ``legal_event``: the rows of ``legal_events`` on a watched document whose class is in :data:`EVENT_KINDS`
  (the class the model gives each office's code or words, :mod:`ipcockpit.model.events`). Key: ``grant:<doc>``
  and ``filing:<doc>`` for a grant and a filing (one per document, shared with ``document``), else
  ``le:<kind>:<doc>:<hash of date, office, code, class, text, counterparty>`` (never the file: a re-ingest or a
  new version of the file gives the same key). A transfer on a document watched for its region is flagged
  ``leaves_region`` when the assignee's recorded address lies outside it (unknown, with the reason, when the
  assignee is not named or has no address in the store).
- ``document``: a watched document that is a publication (not a stub made from an event): ``grant:<doc>`` for
  a grant, ``filing:<doc>`` for an application.
- ``expiry_soon``: a live watched patent whose term (the legal-status rule, :mod:`ipcockpit.value.legal_status`)
  ends within the list's ``expiry_days``; key ``expiry_soon:<doc>:<expiry date>``.

- ``similar_mark``: for a list watching a protected-mark list (object kind ``protected``: a list's id, or ``all``
  for every list loaded now or later), the marks similar to one of its entries
  (:func:`ipcockpit.marks.protected.new_similar_filings`: score ≥ its ``THRESHOLD``, the holder's own filings and
  the protected mark itself left out). Key: ``similar_mark:<entry key>:<mark id>``. What is new: a mark that came
  into the store (its file's ingest) at or after the protected list's first load is an event (the marks' own rule,
  so the marks page and the alerts agree); one that came in before the object was added to the watch list is a
  baseline (recorded, not delivered), as for every other source. The filing date plays no part (an export names
  a filing months after it was filed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ipcockpit.model.names import normalise_name
from ipcockpit.watch.match import region_prefix

if TYPE_CHECKING:
    from ipcockpit.settings import Settings
    from ipcockpit.store import Store

#: legal-event class → alert kind (the classes a watch list hears of; others are not alerts)
EVENT_KINDS: dict[str, str] = {
    "filing": "filing",
    "grant": "grant",
    "lapse": "lapse",  # 未缴年费终止, 放弃, non-payment of renewal fee ...
    "expiry": "expiry",  # the term ran out (期限届满)
    "transfer": "transfer",
    "pledge": "pledge",
    "pledge_release": "pledge_release",
    "licence": "licence",
    "licence_release": "licence_release",
    "invalidation_request": "invalidation",
    "invalidation_decision": "invalidation",
    "litigation": "litigation",
}
#: every alert kind, in the order pages list them
KINDS: tuple[str, ...] = ("filing", "grant", "lapse", "expiry", "expiry_soon", "transfer", "pledge",
                          "pledge_release", "licence", "licence_release", "invalidation", "litigation", "similar_mark")


@dataclass
class Event:
    event_key: str
    kind: str
    source: str
    list_id: int
    object_kind: str | None
    object_value: str | None
    doc_id: str | None
    occurred: date | None
    params: dict[str, Any] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    baseline: bool = False  # in the store before the object was watched: recorded, not delivered

    @property
    def message_key(self) -> str:
        return f"watch.msg.{self.kind}"


@dataclass(frozen=True)
class Scope:
    """What a run hands every source: its day, the settings, each list's expiry window, the lists it runs for
    (None: all)."""

    today: date
    settings: Settings
    expiry_days: dict[int, int]
    list_ids: tuple[int, ...] | None = None


Detect = Callable[["Store", Scope], Iterable[Event]]


@dataclass(frozen=True)
class Source:
    name: str
    detect: Detect
    description: str


SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Add (or replace) an event source; the run asks every registered source."""
    SOURCES[source.name] = source
    return source


def _hash(*parts: Any) -> str:
    return hashlib.sha1("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()[:20]


def legal_event_key(kind: str, doc_id: str, event_date: Any, office: Any, code: Any, event_class: str,
                    raw_text: Any, counterparty: Any) -> str:
    """The stable key of a legal event (see the module text)."""
    if kind in ("grant", "filing"):
        return f"{kind}:{doc_id}"
    return f"le:{kind}:{doc_id}:{_hash(event_date, office, code, event_class, raw_text, counterparty)}"


def _baseline(ingested_at: datetime | None, added_at: datetime | None) -> bool:
    return ingested_at is not None and added_at is not None and ingested_at < added_at


def _assignee_region(store: Store, counterparty: str | None, prefix: str) -> tuple[bool | None, str | None]:
    """(leaves the region, why unknown) of a transfer to ``counterparty``."""
    if not counterparty:
        return None, "no_assignee"
    folded = normalise_name(counterparty) or counterparty
    codes = [r[0] for r in store.con.execute(
        "SELECT DISTINCT admin_code FROM parties WHERE name_norm = ? AND admin_code IS NOT NULL", [folded]).fetchall()]
    if not codes:
        return None, "no_address"
    return any(not c.startswith(prefix) for c in codes), None


def _legal_events(store: Store, scope: Scope) -> Iterable[Event]:
    classes = list(EVENT_KINDS)
    cur = store.con.execute(
        "SELECT w.list_id, w.object_kind, w.object_value, w.added_at, e.doc_id, e.event_date, e.office, e.code, "
        "e.raw_text, e.event_class, e.counterparty, e.influence, e.file_id, f.ingested_at, f.path "
        "FROM legal_events e JOIN _watch_docs w ON w.doc_id = e.doc_id LEFT JOIN source_files f "
        "ON f.file_id = e.file_id WHERE e.event_class IN (SELECT unnest($c::VARCHAR[])) "
        "ORDER BY w.list_id, e.doc_id, e.event_date, w.object_kind, w.object_value", {"c": classes})
    names = [c[0] for c in cur.description or []]
    for row in cur.fetchall():
        r = dict(zip(names, row, strict=True))
        kind = EVENT_KINDS[r["event_class"]]
        params: dict[str, Any] = {"doc_id": r["doc_id"], "date": str(r["event_date"] or ""),
                                  "counterparty": r["counterparty"] or ""}
        if kind == "transfer" and r["object_kind"] == "region":
            leaves, why = _assignee_region(store, r["counterparty"], region_prefix(r["object_value"]))
            params["leaves_region"] = leaves
            params["leaves_region_unknown"] = why
        evidence = {"table": "legal_events", "doc_id": r["doc_id"], "event_date": str(r["event_date"] or ""),
                    "office": r["office"], "code": r["code"], "event_class": r["event_class"],
                    "raw_text": r["raw_text"], "counterparty": r["counterparty"], "file": r["path"]}
        yield Event(legal_event_key(kind, r["doc_id"], r["event_date"], r["office"], r["code"], r["event_class"],
                                    r["raw_text"], r["counterparty"]),
                    kind, "legal_event", r["list_id"], r["object_kind"], r["object_value"], r["doc_id"],
                    r["event_date"], params, [evidence], _baseline(r["ingested_at"], r["added_at"]))


def _documents(store: Store, scope: Scope) -> Iterable[Event]:
    cur = store.con.execute(
        "SELECT w.list_id, w.object_kind, w.object_value, w.added_at, d.doc_id, d.stage, d.title, d.pub_date, "
        "d.grant_date, d.app_date, f.ingested_at, f.path FROM documents d JOIN _watch_docs w ON w.doc_id = d.doc_id "
        "LEFT JOIN source_files f ON f.file_id = d.file_id WHERE NOT coalesce(d.stub, false) "
        "ORDER BY w.list_id, d.doc_id, w.object_kind, w.object_value")
    names = [c[0] for c in cur.description or []]
    for row in cur.fetchall():
        r = dict(zip(names, row, strict=True))
        kind = "grant" if r["stage"] == "grant" else "filing"
        when = (r["grant_date"] or r["pub_date"]) if kind == "grant" else (r["pub_date"] or r["app_date"])
        evidence = {"table": "documents", "doc_id": r["doc_id"], "stage": r["stage"], "title": r["title"],
                    "date": str(when or ""), "file": r["path"]}
        yield Event(f"{kind}:{r['doc_id']}", kind, "document", r["list_id"], r["object_kind"], r["object_value"],
                    r["doc_id"], when, {"doc_id": r["doc_id"], "date": str(when or ""), "title": r["title"] or ""},
                    [evidence], _baseline(r["ingested_at"], r["added_at"]))


def _expiry_soon(store: Store, scope: Scope) -> Iterable[Event]:
    from ipcockpit.value.legal_status import status_ctes, status_params, status_row
    from ipcockpit.value.settings import ScreenSettings

    rows = store.con.execute("SELECT DISTINCT list_id, doc_id, object_kind, object_value FROM _watch_docs "
                             "ORDER BY list_id, doc_id, object_kind, object_value").fetchall()
    docs = sorted({r[1] for r in rows if scope.expiry_days.get(r[0], 0) > 0})
    if not docs:
        return
    # the legal-status rule of the screening, over the watched documents stubs included (a patent known from its
    # prosecution or legal events alone has its filing date and its events)
    settings = ScreenSettings(as_of=scope.today)
    params = {**status_params(settings), "ls_ids": docs}
    cur = store.con.execute("WITH ls_docs AS (SELECT DISTINCT unnest($ls_ids::VARCHAR[]) AS doc_id), "
                            f"{status_ctes('ls_docs')} SELECT * FROM ls_status", params)
    names = [c[0] for c in cur.description or []]
    status = {r["doc_id"]: status_row(r, settings) for r in (dict(zip(names, row, strict=True))
                                                             for row in cur.fetchall())}
    for list_id, doc_id, object_kind, object_value in rows:
        s, days = status.get(doc_id), scope.expiry_days.get(list_id, 0)
        if not s or not s["live"] or not s["expiry_date"] or days <= 0:
            continue
        end = date.fromisoformat(s["expiry_date"])
        if scope.today <= end <= scope.today + timedelta(days=days):
            evidence = {"table": "legal_status", "doc_id": doc_id, "expiry_date": s["expiry_date"],
                        "term_end_is": s["term_end_is"], "status": s["status"], "reason": s["reason"],
                        "reason_zh": s["reason_zh"]}
            yield Event(f"expiry_soon:{doc_id}:{s['expiry_date']}", "expiry_soon", "expiry_soon", list_id,
                        object_kind, object_value, doc_id, end,
                        {"doc_id": doc_id, "date": s["expiry_date"], "days": (end - scope.today).days}, [evidence])


register(Source("legal_event", _legal_events, "legal events of watched documents (legal_events)"))
register(Source("document", _documents, "new publications of watched objects (documents)"))
register(Source("expiry_soon", _expiry_soon, "watched patents whose term ends within the list's expiry_days"))


def _similar_marks(store: Store, scope: Scope) -> Iterable[Event]:
    where = "" if scope.list_ids is None else " AND list_id IN (SELECT unnest($ids::BIGINT[]))"
    objects = store.con.execute(f"SELECT list_id, value, added_at FROM watch_objects WHERE kind = 'protected'{where} "
                                "ORDER BY list_id, value", {} if scope.list_ids is None else
                                {"ids": list(scope.list_ids)}).fetchall()
    if not objects:
        return
    from ipcockpit.marks.protected import new_similar_filings
    from ipcockpit.marks.service import Marks
    from ipcockpit.watch.store import ALL_PROTECTED

    wanted = {v for _, v, _ in objects}
    events = new_similar_filings(store.con, index=Marks(store, scope.settings).index(),
                                 list_id=next(iter(wanted)) if wanted != {ALL_PROTECTED} and len(wanted) == 1 else None)
    for list_id, value, added_at in objects:
        for e in events:
            if value != ALL_PROTECTED and e["protected"]["list_id"] != value:
                continue
            entered = e["filing"]["entered_at"]
            params = {**e["params"], "list": e["protected"]["list_id"], "protected_kind": e["protected"]["kind"],
                      "filing_date": e["filing"]["filing_date"]}
            evidence = [{"table": "protected_marks", "list_id": e["protected"]["list_id"],
                         "entry_key": e["protected"]["entry_key"], "name": e["protected"]["name"],
                         "holder": e["protected"]["holder"], "classes": e["protected"]["classes"],
                         "groups": e["protected"]["groups"]},
                        {"table": "trademarks", "mark_id": e["filing"]["mark_id"], "text": e["filing"]["text"],
                         "filing_date": e["filing"]["filing_date"], "applicants": e["filing"]["applicants"],
                         "classes": e["filing"]["classes"], "groups": e["filing"]["groups"],
                         "entered_at": entered},
                        {"table": "similarity", "score": e["similarity"]["score"],
                         "matched": e["similarity"]["matched"], "shared_classes": e["similarity"]["shared_classes"],
                         "shared_groups": e["similarity"]["shared_groups"],
                         "explanation": e["similarity"]["explanation"]}]
            yield Event(e["event_key"], "similar_mark", "similar_mark", list_id, "protected", value, None,
                        date.fromisoformat(e["occurred"]), params, evidence,
                        _baseline(datetime.fromisoformat(entered) if entered else None, added_at))


register(Source("similar_mark", _similar_marks, "new filings similar to a watched protected mark "
                "(ipcockpit.marks.protected.new_similar_filings)"))
