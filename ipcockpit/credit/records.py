"""What changes credit: records (one at a time or from a CSV/XLSX file), repairs, enterprise users' links, and the
snapshot of tiers; every change leaves a row in ``credit_audit`` (who, when, before, after).

A records file (docs/formats.md "Credit records") has a header row; its columns are named in English or Chinese
(:data:`COLUMNS`). It is loaded whole or not at all: every row is checked first (organisation known, kind and
category known, a date), and a file with a bad row raises :class:`~ipcockpit.credit.CreditError` naming the file,
each bad row and field and what to write, with nothing written, so that nothing is lost or half-loaded. A row that is
already in the store (same organisation, kind, category, date, authority and document number) is not added again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.credit import CreditError, CreditNotFound
from ipcockpit.credit.rules import Rules
from ipcockpit.credit.store import has_table
from ipcockpit.credit.tiers import compute

#: field → the header names it may have (English first, then Chinese); organisation or entity_id is required
COLUMNS: dict[str, tuple[str, ...]] = {
    "organisation": ("organisation", "主体名称", "单位名称", "当事人"),
    "entity_id": ("entity_id", "主体标识"),
    "credit_code": ("credit_code", "统一社会信用代码"),
    "kind": ("kind", "记录类型"),
    "category": ("category", "失信类别"),
    "decided_on": ("decided_on", "认定日期", "决定日期"),
    "authority": ("authority", "认定机关", "决定机关"),
    "document_no": ("document_no", "文书编号", "决定书文号"),
    "summary": ("summary", "摘要", "事由"),
}
REQUIRED = ("kind", "decided_on")
MAX_ERRORS = 20
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def label(fld: str) -> str:
    names = COLUMNS.get(fld, (fld,))
    return f"{names[0]} ({names[1]})" if len(names) > 1 else names[0]


def parse_date(value: Any, today: date | None = None) -> date:
    """A date from an Excel cell or text (2024-05-31, 2024/5/31, 2024.5.31, 2024年5月31日, 20240531); not after
    ``today``. Raises ValueError saying what to write."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = str(value or "").strip()
        if not text:
            raise ValueError("missing; write the date of the decision, e.g. 2024-05-31")
        m = _DATE.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
        if not m:
            raise ValueError(f"{text!r} is not a date; write it as 2024-05-31")
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a date ({exc}); write it as 2024-05-31") from exc
    if today is not None and day > today:
        raise ValueError(f"{day.isoformat()} is after today ({today.isoformat()}); check the year")
    return day


def audit(con: duckdb.DuckDBPyConnection, actor: str, action: str, entity: str | None, target: str | None,
          before: Any, after: Any) -> None:
    con.execute("INSERT INTO credit_audit (logged_at, actor, action, entity_id, target, before, after) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [datetime.now(), actor, action, entity, target,
                 None if before is None else json.dumps(before, ensure_ascii=False, default=str),
                 None if after is None else json.dumps(after, ensure_ascii=False, default=str)])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


class Resolver:
    """Organisations by entity id or by name, for one check or one file: the merges read once, the names of a file
    resolved in one query (:meth:`prime`), each as :func:`ipcockpit.strength.ranking.find_entity` would (the entity
    of most applicant/patentee parties whose name as written or folded it is; ties: the smallest id)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        from ipcockpit.credit.tiers import current_ids

        self.con = con
        self.moved = current_ids(con)
        self.names: dict[str, str | None] = {}
        self._orgs = has_table(con, "org_entities")

    def prime(self, names: list[str]) -> None:
        """Resolve ``names`` (those not resolved yet) in one query."""
        from ipcockpit.graph.ids import party_ids_sql
        from ipcockpit.model.names import normalise_name
        from ipcockpit.strength.ids import OWNER_ROLES

        fresh = sorted({n for n in (x.strip() for x in names if x) if n and n not in self.names})
        if not fresh:
            return
        table = pa.table({"name": fresh, "folded": [normalise_name(n) for n in fresh]})
        self.con.register("_ipc_credit_names", table)
        try:
            rows = self.con.execute(
                f"WITH p AS ({party_ids_sql(self.con)}), hits AS ("
                "SELECT q.name, p.doc_id, p.seq, p.role, p.entity_id FROM _ipc_credit_names q JOIN p "
                "ON p.name_raw = q.name WHERE p.role IN (SELECT unnest($roles)) UNION "
                "SELECT q.name, p.doc_id, p.seq, p.role, p.entity_id FROM _ipc_credit_names q JOIN p "
                "ON p.name_norm = q.folded WHERE p.role IN (SELECT unnest($roles))) "
                "SELECT name, entity_id FROM (SELECT name, entity_id, row_number() OVER (PARTITION BY name "
                "ORDER BY count(*) DESC, entity_id) AS rk FROM hits GROUP BY name, entity_id) WHERE rk = 1",
                {"roles": list(OWNER_ROLES)}).fetchall()
        finally:
            self.con.unregister("_ipc_credit_names")
        found = dict(rows)
        self.names.update({n: found.get(n) for n in fresh})

    def entity(self, entity_id: str | None, name: str | None) -> str:
        """The organisation an entity id or a name names now; CreditNotFound naming what was given."""
        eid = (entity_id or "").strip()
        text = (name or "").strip()
        if not eid and not text:
            raise CreditNotFound("no organisation given; give its name as on its documents or its entity id (o:…)")
        if eid:
            found = self.con.execute("SELECT entity_id FROM org_entities WHERE entity_id = ?", [eid]).fetchall() \
                if self._orgs else []
            if not found:
                raise CreditNotFound(f"unknown organisation {eid!r}: no organisation entity has this id; "
                                     "`ipcockpit entities show NAME` gives an organisation's id")
            eid = self.moved.get(eid, eid)
        if text:
            self.prime([text])
            by_name = self.names.get(text)
            if by_name is None:
                raise CreditNotFound(f"unknown organisation {text!r}: no applicant or patentee of the store has "
                                     "this name; write it as on its documents or give its entity id (o:…)")
            by_name = self.moved.get(by_name, by_name)
            if eid and by_name != eid:
                raise CreditError(f"organisation {text!r} is {by_name}, not the entity id given ({eid}); give one "
                                  "of them")
            eid = by_name
        return eid


def entity_of(con: duckdb.DuckDBPyConnection, entity_id: str | None, name: str | None) -> tuple[str, str]:
    """The organisation an entity id or a name (as on its documents, or folded) names now, and its display name.
    Raises CreditNotFound naming what was given."""
    eid = Resolver(con).entity(entity_id, name)
    return eid, display_name(con, eid)


def display_name(con: duckdb.DuckDBPyConnection, eid: str) -> str:
    row = con.execute("SELECT name FROM org_entities WHERE entity_id = ?", [eid]).fetchall() \
        if has_table(con, "org_entities") else []
    return str(row[0][0]) if row and row[0][0] else eid


def check_record(con: duckdb.DuckDBPyConnection, rules: Rules, fields: dict[str, Any], today: date,
                 resolver: Resolver | None = None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The record of ``fields`` ready to insert, or the errors (field, message) that keep it out."""
    errors: list[tuple[str, str]] = []
    out: dict[str, Any] = {k: (str(v).strip() if v is not None and not isinstance(v, date) else v)
                           for k, v in fields.items()}
    try:
        out["entity_id"] = (resolver or Resolver(con)).entity(out.get("entity_id"), out.get("organisation"))
    except CreditError as exc:
        errors.append(("organisation" if out.get("organisation") else "entity_id", str(exc)))
    kind = rules.kind(out.get("kind") or "")
    if kind is None:
        errors.append(("kind", f"{out.get('kind') or ''!r} is not a record kind; use one of "
                               f"{', '.join(f'{k.id} ({k.zh})' for k in rules.kinds.values())}"))
    else:
        out["kind"] = kind.id
        given = out.get("category")
        cat = rules.category(given) if given else None
        if given and cat is None:
            errors.append(("category", f"{given!r} is not a category of the rules; use one of "
                                       f"{', '.join(c.id for c in rules.categories.values())}"))
        elif kind.effect == "neutral" and cat is not None:
            errors.append(("category", f"a {kind.id} ({kind.zh}) record has no category; leave it empty"))
        elif cat is not None and cat.positive != (kind.effect == "positive"):
            errors.append(("category", f"{cat.id} is {'positive' if cat.positive else 'a failure'}; a {kind.id} "
                                       f"record is {kind.effect}"))
        elif cat is None and kind.effect != "neutral" and kind.category is None:
            errors.append(("category", f"missing; a {kind.id} ({kind.zh}) record names its failure category: "
                                       f"{', '.join(c.id for c in rules.categories.values() if not c.positive)}"))
        else:
            out["category"] = cat.id if cat else kind.category
    try:
        out["decided_on"] = parse_date(fields.get("decided_on"), today)
    except ValueError as exc:
        errors.append(("decided_on", str(exc)))
    if errors:
        return out, errors
    key = "|".join(str(out.get(k) or "") for k in ("entity_id", "kind", "category", "decided_on", "authority",
                                                   "document_no"))
    out["record_id"] = hashlib.sha256(key.encode()).hexdigest()[:16]
    return out, []


RECORD_COLUMNS = ("record_id", "entity_id", "kind", "category", "decided_on", "authority", "document_no", "summary",
                  "name_given", "credit_code", "origin", "entered_by", "entered_at")


def _row(rec: dict[str, Any], origin: str, actor: str, now: datetime) -> dict[str, Any]:
    return {"record_id": rec["record_id"], "entity_id": rec["entity_id"], "kind": rec["kind"],
            "category": rec.get("category"), "decided_on": rec["decided_on"], "authority": rec.get("authority") or None,
            "document_no": rec.get("document_no") or None, "summary": rec.get("summary") or None,
            "name_given": rec.get("organisation") or None, "credit_code": rec.get("credit_code") or None,
            "origin": origin, "entered_by": actor, "entered_at": now}


def _insert(con: duckdb.DuckDBPyConnection, recs: list[tuple[dict[str, Any], str]], actor: str) -> list[str]:
    """The records (each with its origin) not in the store yet, inserted with their audit rows; their ids."""
    con.register("_ipc_credit_ids", pa.table({"record_id": [r["record_id"] for r, _ in recs]}))
    try:
        there = {r[0] for r in con.execute("SELECT DISTINCT c.record_id FROM credit_records c JOIN _ipc_credit_ids i "
                                           "ON i.record_id = c.record_id").fetchall()}
    finally:
        con.unregister("_ipc_credit_ids")
    now = datetime.now()
    rows = []
    for rec, origin in recs:
        if rec["record_id"] not in there:
            there.add(rec["record_id"])  # a row twice in one file is one record
            rows.append(_row(rec, origin, actor, now))
    if not rows:
        return []
    dates = pa.array([r["decided_on"] for r in rows], pa.date32())
    table = pa.table({c: (dates if c == "decided_on" else pa.array([r[c] for r in rows],
                                                                     pa.timestamp("us") if c == "entered_at"
                                                                     else pa.string()))
                      for c in RECORD_COLUMNS})
    dump = [json.dumps(r, ensure_ascii=False, default=str) for r in rows]
    audits = pa.table({"logged_at": [now] * len(rows), "actor": [actor] * len(rows), "action": ["record"] * len(rows),
                       "entity_id": [r["entity_id"] for r in rows],
                       "target": [f"record:{r['record_id']}" for r in rows], "after": dump})
    con.register("_ipc_credit_records", table)
    con.register("_ipc_credit_record_audit", audits)
    try:
        con.execute(f"INSERT INTO credit_records ({', '.join(RECORD_COLUMNS)}) SELECT {', '.join(RECORD_COLUMNS)} "
                    "FROM _ipc_credit_records")
        con.execute("INSERT INTO credit_audit (logged_at, actor, action, entity_id, target, before, after) "
                    "SELECT logged_at, actor, action, entity_id, target, NULL, after FROM _ipc_credit_record_audit")
    finally:
        con.unregister("_ipc_credit_records")
        con.unregister("_ipc_credit_record_audit")
    return [r["record_id"] for r in rows]


def add_record(con: duckdb.DuckDBPyConnection, rules: Rules, fields: dict[str, Any], actor: str,
               today: date | None = None) -> dict[str, Any]:
    """One record entered by hand; raises CreditError naming each bad field. Returns it with ``added`` (False when
    the same record was there already)."""
    rec, errors = check_record(con, rules, fields, today or date.today())
    if errors:
        raise CreditError("; ".join(f"field {label(f)}: {m}" for f, m in errors))
    added = bool(_insert(con, [(rec, "manual")], actor))
    return {**rec, "added": added}


def read_rows(path: Path, named: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(row number as a spreadsheet shows it, the row's fields) of a CSV (UTF-8 or GB18030) or XLSX file; unknown
    columns are an error naming them (a misspelt header would lose a field). ``named``: the file's name in errors
    (an upload's own name rather than where it was saved)."""
    where = named or str(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            table = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    elif path.suffix.lower() in (".csv", ".txt"):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        table = list(csv.reader(io.StringIO(text, newline="")))
    else:
        raise CreditError(f"{where}: a credit records file is .csv or .xlsx (docs/formats.md \"Credit records\")")
    if not table:
        raise CreditError(f"{where}: empty; the first row names the columns (docs/formats.md \"Credit records\")")
    names = {n: f for f, aliases in COLUMNS.items() for n in aliases}
    header = [str(h or "").strip() for h in table[0]]
    unknown = [h for h in header if h and h not in names]
    if unknown:
        raise CreditError(f"{where} row 1: unknown column(s) {', '.join(unknown)}; the columns are "
                          f"{', '.join(label(f) for f in COLUMNS)}")
    missing = [f for f in REQUIRED if f not in {names[h] for h in header if h}]
    if not {"organisation", "entity_id"} & {names[h] for h in header if h}:
        missing.insert(0, "organisation")
    if missing:
        raise CreditError(f"{where} row 1: no column {', '.join(label(f) for f in missing)}")
    rows = []
    for n, cells in enumerate(table[1:], start=2):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        rows.append((n, {names[h]: c for h, c in zip(header, cells, strict=False) if h}))
    return rows


def load_file(con: duckdb.DuckDBPyConnection, rules: Rules, path: Path, actor: str,
              today: date | None = None, named: str | None = None) -> dict[str, Any]:
    """Every record of a file, or none (the module docstring); ``named`` names the file in errors and origins."""
    where = named or str(path)
    rows = read_rows(path, where)
    name = Path(where).name
    resolver = Resolver(con)
    resolver.prime([str(f.get("organisation") or "") for _, f in rows])
    checked, errors = [], []
    for n, fields in rows:
        rec, bad = check_record(con, rules, fields, today or date.today(), resolver)
        errors += [f"{name} row {n}, field {label(f)}: {m}" for f, m in bad]
        checked.append((n, rec))
    if errors:
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise CreditError(f"{where}: nothing loaded; {len(errors)} problem(s): "
                          + "; ".join(errors[:MAX_ERRORS]) + more)
    added = _insert(con, [(rec, f"{name} row {n}") for n, rec in checked], actor)
    return {"file": where, "rows": len(rows), "added": len(added), "already": len(rows) - len(added),
            "records": added}


def evidence_entity(con: duckdb.DuckDBPyConnection, key: str) -> tuple[str, str, date]:
    """(evidence key, entity id as stored, date) of a record (``record:<id>`` or the bare id) or a handled,
    confirmed signal case (``case:<case_id>``); CreditNotFound when there is none."""
    key = key.strip()
    if key.startswith("case:"):
        row = con.execute("SELECT subject, updated_at FROM signal_cases WHERE case_id = ? AND status = 'handled' "
                          "AND result = 'confirmed'", [key[5:]]).fetchall() if has_table(con, "signal_cases") else []
        if not row:
            raise CreditNotFound(f"{key}: no handled, confirmed signal case has this id")
        return key, row[0][0], row[0][1].date()
    rid = key[7:] if key.startswith("record:") else key
    row = con.execute("SELECT entity_id, decided_on FROM credit_records WHERE record_id = ?", [rid]).fetchall()
    if not row:
        raise CreditNotFound(f"{key}: no credit record has this id; `ipcockpit credit show ORG` lists them")
    return f"record:{rid}", row[0][0], row[0][1]


def add_repair(con: duckdb.DuckDBPyConnection, key: str, repaired_on: Any, basis: str, actor: str,
               today: date | None = None) -> dict[str, Any]:
    """A repair (信用修复) of one piece of evidence: from ``repaired_on`` it stops counting. ``basis`` (the decision or
    the material the repair rests on) is required; one repair per piece of evidence."""
    key, entity, start = evidence_entity(con, key)
    errors = []
    try:
        day = parse_date(repaired_on, today or date.today())
        if day < start:
            errors.append(f"field repaired_on: {day.isoformat()} is before the evidence's date {start.isoformat()}")
    except ValueError as exc:
        errors.append(f"field repaired_on: {exc}")
    if not (basis or "").strip():
        errors.append("field basis: missing; write what the repair rests on (the decision, its number, the material)")
    old = con.execute("SELECT repaired_on, basis, entered_by FROM credit_repairs WHERE evidence_key = ?",
                      [key]).fetchall()
    if old:
        errors.append(f"{key} was repaired already on {old[0][0]} by {old[0][2]} ({old[0][1]})")
    if errors:
        raise CreditError(f"repair of {key}: " + "; ".join(errors))
    from ipcockpit.credit.tiers import current_ids, subject_ids

    moved = current_ids(con)
    entity = subject_ids(con, [entity], moved).get(entity, entity)
    row = {"evidence_key": key, "entity_id": entity, "repaired_on": day, "basis": basis.strip(),
           "entered_by": actor, "entered_at": datetime.now()}
    con.execute("INSERT INTO credit_repairs VALUES (?, ?, ?, ?, ?, ?)", list(row.values()))
    audit(con, actor, "repair", entity, key, {"repaired": False}, row)
    return row


def set_link(con: duckdb.DuckDBPyConnection, user: str, entity_id: str | None, actor: str) -> dict[str, Any]:
    """Link an enterprise user to the organisation it belongs to (``entity_id`` None: unlink)."""
    found = con.execute("SELECT role FROM users WHERE name = ?", [user]).fetchall()
    if not found:
        raise CreditNotFound(f"user {user!r}: no such user; `ipcockpit user list` lists them")
    if found[0][0] != "enterprise":
        raise CreditError(f"user {user!r} is {found[0][0]}: only enterprise users are linked to an organisation "
                          "(analysts and admins see every organisation)")
    old = con.execute("SELECT entity_id FROM credit_user_orgs WHERE user_name = ?", [user]).fetchall()
    before = {"entity_id": old[0][0]} if old else None
    con.execute("DELETE FROM credit_user_orgs WHERE user_name = ?", [user])
    after = None
    if entity_id:
        eid, name = entity_of(con, entity_id if entity_id.startswith("o:") else None,
                              None if entity_id.startswith("o:") else entity_id)
        con.execute("INSERT INTO credit_user_orgs VALUES (?, ?, ?, ?)", [user, eid, actor, datetime.now()])
        after = {"entity_id": eid, "name": name}
    audit(con, actor, "link", (after or before or {}).get("entity_id"), f"user:{user}", before, after)
    return {"user": user, "entity_id": after and after["entity_id"], "before": before and before["entity_id"]}


def snapshot(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: date, actor: str) -> dict[str, Any]:
    """Recompute every tier as of ``as_of`` and keep it in ``credit_tiers``; each organisation whose tier, weight
    or counting evidence changed since the last snapshot gets an audit row (before, after)."""
    tiers, unresolved = compute(con, rules, as_of)
    old = {r[0]: {"tier": r[1], "weight": r[2], "counting": list(r[3] or []), "as_of": r[4], "rules": r[5]}
           for r in con.execute("SELECT entity_id, tier, weight, counting, as_of, rules_digest FROM credit_tiers")
           .fetchall()}
    changed, audits = [], []
    now = datetime.now()
    for eid in sorted(set(old) | set(tiers)):
        new = tiers.get(eid)
        after = {"tier": new["tier"], "weight": new["weight"], "counting": new["counting"], "as_of": as_of,
                 "rules": rules.digest} if new else None
        before = old.get(eid)
        if not (before and after and all(before[k] == after[k] for k in ("tier", "weight", "counting"))):
            audits.append((eid, before, after or {"tier": "unknown"}))
            changed.append({"entity_id": eid, "before": before and before["tier"], "after": new and new["tier"]})
    con.execute("DELETE FROM credit_tiers")
    if tiers:
        ids = list(tiers)
        table = pa.table({"entity_id": ids, "tier": [tiers[e]["tier"] for e in ids],
                          "weight": [float(tiers[e]["weight"]) for e in ids], "as_of": [as_of] * len(ids),
                          "rules_digest": [rules.digest] * len(ids), "computed_at": [now] * len(ids),
                          "counting": [tiers[e]["counting"] for e in ids]},
                         schema=pa.schema([("entity_id", pa.string()), ("tier", pa.string()), ("weight", pa.float64()),
                                           ("as_of", pa.date32()), ("rules_digest", pa.string()),
                                           ("computed_at", pa.timestamp("us")), ("counting", pa.list_(pa.string()))]))
        con.register("_ipc_credit_tiers", table)
        try:
            con.execute("INSERT INTO credit_tiers SELECT * FROM _ipc_credit_tiers")
        finally:
            con.unregister("_ipc_credit_tiers")
    if audits:
        dump = lambda v: None if v is None else json.dumps(v, ensure_ascii=False, default=str)  # noqa: E731
        table = pa.table({"logged_at": [now] * len(audits), "actor": [actor] * len(audits),
                          "action": ["tier"] * len(audits), "entity_id": [a[0] for a in audits],
                          "target": [f"tier:{a[0]}" for a in audits], "before": [dump(a[1]) for a in audits],
                          "after": [dump(a[2]) for a in audits]})
        con.register("_ipc_credit_audit", table)
        try:
            con.execute("INSERT INTO credit_audit (logged_at, actor, action, entity_id, target, before, after) "
                        "SELECT logged_at, actor, action, entity_id, target, before, after FROM _ipc_credit_audit")
        finally:
            con.unregister("_ipc_credit_audit")
    return {"as_of": as_of.isoformat(), "organisations": len(tiers), "changed": changed,
            "unresolved_cases": unresolved}
