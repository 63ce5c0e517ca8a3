"""Protected marks (驰名商标, 老字号, 地理标志) loaded by the user, and the new filings similar to them.

The lists are read by :mod:`ipcockpit.marks.protected_lists` and stored in three tables (migration 19,
:data:`MIGRATION`): ``protected_lists`` (one row per list: its kind, file, sha256, when it was first and last
loaded, the counts), ``protected_marks`` (one row per entry) and ``protected_quarantine`` (the rows that could
not be taken: file, row, column, value, reason). Loading a list again under the same ``list_id`` replaces its
entries and its quarantine; ``first_loaded_at`` stays.

:func:`new_similar_filings` is the event source of the alerts (HELPERS.md contract 2): the marks that came into the
store (their file's ingest) at or after a list's first load, or, given ``since``, filed on or after it, that are
similar (:func:`ipcockpit.marks.similar.search`, score ≥ ``threshold``) to an entry, each with a stable ``key``
(``similar_mark:<entry key>:<mark id>``), the protected entry, the filing and the explanation (字/音/形/义 and
class overlap). What is searched:

- a 驰名商标 across every class (a well-known mark is protected beyond its own goods);
- a 老字号 or a GI in the classes or 类似群 it names, in every class when it names none;
- the holder's own filings (an applicant whose normalised name is the entry's holder) and the protected mark
  itself (its registration number) are left out.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from ipcockpit.errors import IPCockpitError
from ipcockpit.marks.protected_lists import KINDS, ProtectedEntry, read_list
from ipcockpit.marks.tables import MIGRATION as MIGRATION
from ipcockpit.marks.tables import TABLES

#: the score a filing needs to be reported as similar to a protected mark
THRESHOLD = 0.8
_ENTRY_COLUMNS = ("list_id", "seq", "entry_key", "kind", "name", "name_norm", "reg_number", "classes", "groups",
                  "holder", "holder_norm", "recognised", "year", "recognised_date", "region", "admin_code",
                  "product", "gi_type", "announcement", "scope", "level", "note")


class ProtectedListError(IPCockpitError, ValueError):
    """A list that cannot be loaded at all (no file, no header, an unknown kind)."""


def list_id_of(name: str) -> str:
    """A list's id from its name: NFKC, lower case, runs of other characters as ``_``."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[^\w]+", "_", text).strip("_") or "list"


def _list_id(path: Path, name: str | None) -> str:
    """The list's id: its name (or the file's stem), :func:`list_id_of`."""
    return list_id_of(name or path.stem)


def load_list(con: duckdb.DuckDBPyConnection, path: str | Path, kind: str | None = None, name: str | None = None,
              loaded_by: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Read a list file and store it (replacing an earlier load of the same ``list_id``: ``name`` normalised, else
    the file's stem). Returns the list's row (``list_id``, ``kind``, counts) with ``quarantined``: the bad rows."""
    p = Path(path)
    if not p.is_file():
        raise ProtectedListError(f"{p}: no such file; give a CSV or XLSX protected-mark list (docs/formats.md)")
    try:
        lf = read_list(p, kind)
    except ValueError as exc:
        raise ProtectedListError(str(exc)) from exc
    from ipcockpit.model.names import normalise_name

    list_id = _list_id(p, name)
    now = now or datetime.now()  # to the microsecond: a file ingested in the same second is before or after it
    sha = hashlib.sha256(p.read_bytes()).hexdigest()
    con.execute("BEGIN TRANSACTION")
    try:
        first = con.execute("SELECT first_loaded_at FROM protected_lists WHERE list_id = ?", [list_id]).fetchone()
        for table in TABLES:
            con.execute(f"DELETE FROM {table} WHERE list_id = ?", [list_id])
        con.execute("INSERT INTO protected_lists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [list_id, lf.kind, name or p.stem, str(p), sha, first[0] if first else now, now, loaded_by,
                     lf.read, len(lf.entries), len({b.row for b in lf.bad}),
                     json.dumps(lf.columns, ensure_ascii=False)])
        rows = [_entry_row(list_id, i, e, normalise_name(e.holder) if e.holder else None)
                for i, e in enumerate(lf.entries, 1)]
        if rows:
            con.executemany(f"INSERT INTO protected_marks ({', '.join(_ENTRY_COLUMNS)}) VALUES "
                            f"({', '.join('?' * len(_ENTRY_COLUMNS))})", rows)
        if lf.bad:
            con.executemany("INSERT INTO protected_quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [[list_id, b.path, b.row, b.field, b.value, b.reason, b.key,
                              json.dumps(dict(b.values), ensure_ascii=False)] for b in lf.bad])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    out = lists(con, list_id)[0]
    out["quarantined"] = quarantine(con, list_id)
    return out


def _entry_row(list_id: str, seq: int, e: ProtectedEntry, holder_norm: str | None) -> list[Any]:
    from ipcockpit.marks.keys import normalise

    return [list_id, seq, e.entry_key, e.kind, e.name, normalise(e.name), e.reg_number, e.classes, e.groups,
            e.holder, holder_norm, e.recognised, e.year, e.recognised_date, e.region, e.admin_code, e.product,
            e.gi_type, e.announcement, e.scope, e.level, e.note]


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def lists(con: duckdb.DuckDBPyConnection, list_id: str | None = None) -> list[dict[str, Any]]:
    """The loaded lists (one of them with ``list_id``), by kind and id."""
    where, params = ("WHERE list_id = ?", [list_id]) if list_id else ("", [])
    rows = _dicts(con.execute(f"SELECT * FROM protected_lists {where} ORDER BY kind, list_id", params))
    for r in rows:
        r["columns"] = json.loads(r["columns"]) if r["columns"] else {}
    return rows


def entries(con: duckdb.DuckDBPyConnection, list_id: str | None = None, kind: str | None = None,
            ) -> list[dict[str, Any]]:
    """The entries of one list, of one kind, or of every list, in the lists' order."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind {kind!r}: one of {', '.join(KINDS)}")
    where, params = ["TRUE"], []
    if list_id:
        where.append("list_id = ?")
        params.append(list_id)
    if kind:
        where.append("kind = ?")
        params.append(kind)
    return _dicts(con.execute(f"SELECT * FROM protected_marks WHERE {' AND '.join(where)} ORDER BY list_id, seq",
                              params))


def quarantine(con: duckdb.DuckDBPyConnection, list_id: str | None = None) -> list[dict[str, Any]]:
    """The rows of the lists that were not taken: ``list_id``, ``path``, ``row``, ``field``, ``value``, ``reason``
    (English), ``reason_key`` and ``reason_values`` (the catalogue's text in any language)."""
    where, params = ("WHERE list_id = ?", [list_id]) if list_id else ("", [])
    rows = _dicts(con.execute(f"SELECT * FROM protected_quarantine {where} ORDER BY list_id, row, field", params))
    for r in rows:
        r["reason_values"] = json.loads(r["reason_values"]) if r["reason_values"] else {}
    return rows


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _filings(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    cur = con.execute(
        "SELECT t.mark_id, t.mark_text, t.reg_number, t.number, t.filing_date, t.status, t.office, "
        "f.ingested_at AS entered_at, "
        "(SELECT list(p.name_raw ORDER BY p.seq) FROM trademark_parties p WHERE p.mark_id = t.mark_id "
        " AND p.role <> 'agent') AS applicants, "
        "(SELECT list(p.name_norm ORDER BY p.seq) FROM trademark_parties p WHERE p.mark_id = t.mark_id "
        " AND p.role <> 'agent') AS applicants_norm "
        "FROM trademarks t LEFT JOIN source_files f ON f.file_id = t.file_id "
        "WHERE t.mark_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
    return {r["mark_id"]: r for r in _dicts(cur)}


def explain(hit: dict[str, Any]) -> str:
    """A short, language-neutral account of a hit: the matched dimensions with their scores and details, and
    the class overlap (``音 0.95 hua2 wei4/hua1 wei4; 类似群 0901``)."""
    parts = []
    for name in hit["matched"]:
        d = hit["dimensions"][name]
        detail = ""
        if name == "字":
            detail = f" {d.get('how', '')}"
        elif name == "音":
            detail = f" {d.get('query', '')}/{d.get('mark', '')}"
        elif name == "形":
            detail = " " + ",".join(f"{a}~{b}" for a, b, _ in d.get("pairs", [])) if d.get("pairs") else ""
        elif name == "义":
            detail = " " + ",".join(d.get("shared", []))
        parts.append(f"{name} {d['score']:.2f}{detail}".rstrip())
    if hit["shared_groups"]:
        parts.append("类似群 " + ",".join(hit["shared_groups"]))
    elif hit["shared_classes"]:
        parts.append("类 " + ",".join(str(c) for c in hit["shared_classes"]))
    return "; ".join(parts)


def new_similar_filings(con: duckdb.DuckDBPyConnection, since: date | str | None = None, *,
                        index: Any = None, threshold: float = THRESHOLD, list_id: str | None = None,
                        ) -> list[dict[str, Any]]:
    """Marks filed on or after ``since`` similar to a protected entry (module docstring), oldest filing first; by
    default (``since`` None) the marks that came into the store at or after each list's first load, whatever their
    filing date (an export names a filing months after it was filed; the watch lists' rule, docs/monitoring.md):
    ``{"key", "event_key", "kind": "similar_mark", "occurred" (the filing date),
    "protected": {entry}, "filing": {mark_id, text, filing_date, applicants, status, classes, groups},
    "similarity": {score, matched, dimensions, shared_classes, shared_groups, tier, explanation},
    "message_key", "params", "evidence"}``. ``index``: a :class:`ipcockpit.marks.similar.MarkIndex` or its folder
    (built from the store when not given)."""
    from ipcockpit.marks import similar

    loaded = {r["list_id"]: r for r in lists(con, list_id)}
    todo = [e for e in entries(con, list_id) if e["list_id"] in loaded]
    if not todo:
        return []
    idx = similar.build_index(con) if index is None else index
    if not isinstance(idx, similar.MarkIndex):
        idx = similar.load(idx)
    if not len(idx):
        return []
    fixed = _as_date(since)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    found: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for e in todo:
        restrict = e["kind"] != "well_known"
        try:
            hits = similar.search(idx, e["name"], classes=(e["classes"] or None) if restrict else None,
                                  groups=(e["groups"] or None) if restrict else None, limit=200,
                                  min_score=threshold)
        except ValueError:  # a name with no letter, digit or Han character: nothing to compare
            continue
        if restrict and (e["classes"] or e["groups"]):
            hits = [h for h in hits if h["tier"] != "other"]
        if hits:
            found.append((e, hits))
    marks = _filings(con, sorted({h["mark_id"] for _, hits in found for h in hits}))
    for e, hits in found:
        loaded_at = loaded[e["list_id"]]["first_loaded_at"]
        for h in hits:
            m = marks.get(h["mark_id"])
            if m is None or m["filing_date"] is None:
                continue
            if fixed is not None and m["filing_date"] < fixed:
                continue
            if fixed is None and (m["entered_at"] is None or m["entered_at"] < loaded_at):
                continue
            if e["reg_number"] and e["reg_number"] in (m["reg_number"], m["number"]):
                continue
            if e["holder_norm"] and e["holder_norm"] in (m["applicants_norm"] or []):
                continue
            key = f"similar_mark:{e['entry_key']}:{m['mark_id']}"
            if key in seen:  # the same entry in two lists
                continue
            seen.add(key)
            out.append(_event(key, e, m, h))
    out.sort(key=lambda ev: (ev["occurred"], ev["key"]))
    return out


def _event(key: str, e: dict[str, Any], m: dict[str, Any], h: dict[str, Any]) -> dict[str, Any]:
    why = explain(h)
    protected = {k: e[k] for k in ("list_id", "entry_key", "kind", "name", "reg_number", "classes", "groups",
                                   "holder", "level", "gi_type", "region", "admin_code")}
    filing = {"mark_id": m["mark_id"], "text": m["mark_text"], "filing_date": m["filing_date"].isoformat(),
              "entered_at": m["entered_at"].isoformat(sep=" ") if m["entered_at"] else None,
              "applicants": m["applicants"] or [], "status": m["status"], "office": m["office"],
              "classes": h["classes"], "groups": h["groups"]}
    similarity = {k: h[k] for k in ("score", "matched", "dimensions", "shared_classes", "shared_groups", "tier")}
    similarity["explanation"] = why
    return {
        "key": key, "event_key": key, "kind": "similar_mark", "occurred": m["filing_date"].isoformat(),
        "protected": protected, "filing": filing, "similarity": similarity,
        "message_key": f"marks.alert.similar_{e['kind']}",
        "params": {"protected": e["name"], "mark": m["mark_text"], "mark_id": m["mark_id"],
                   "applicant": "、".join(m["applicants"] or []), "score": h["score"], "why": why},
        "evidence": [{"table": "protected_marks", "list_id": e["list_id"], "entry_key": e["entry_key"]},
                     {"table": "trademarks", "mark_id": m["mark_id"]}],
    }
