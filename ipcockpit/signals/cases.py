"""Signal cases (contract 1 of HELPERS.md): one row of ``signal_cases`` per subject and finding, its status
(待核查 pending → 已核查 checked → 已处理 handled), its result (属实 confirmed / 不属实 dismissed, with a note) and
every status change in ``signal_case_log``; the last run of each kind (its thresholds, counts and unknowns) in
``signal_runs``. Tables of migration 17.

A detection refreshes a case's evidence and count and never its status: a case an analyst has checked stays
checked. The office list (:func:`office_rows`) is the shape offices report: 主体, 类型, 疑似数, 处理情况, 处理结果.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from ipcockpit.signals.common import NOTE_EN, NOTE_ZH, Found, case_id
from ipcockpit.signals.errors import SignalsError

STATUSES = ("pending", "checked", "handled")
RESULTS = ("confirmed", "dismissed")
STATUS_ZH = {"pending": "待核查", "checked": "已核查", "handled": "已处理"}
RESULT_ZH = {"confirmed": "属实", "dismissed": "不属实"}

TABLES = [
    "CREATE TABLE IF NOT EXISTS signal_cases (case_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, "
    "subject VARCHAR NOT NULL, subject_name VARCHAR, suspect_count INTEGER, evidence JSON, detected_at TIMESTAMP, "
    "status VARCHAR NOT NULL DEFAULT 'pending', result VARCHAR, note VARCHAR, updated_by VARCHAR, "
    "updated_at TIMESTAMP)",
    "CREATE INDEX IF NOT EXISTS idx_signal_cases_subject ON signal_cases (subject)",
    "CREATE SEQUENCE IF NOT EXISTS signal_case_log_id START 1",
    "CREATE TABLE IF NOT EXISTS signal_case_log (id BIGINT PRIMARY KEY DEFAULT nextval('signal_case_log_id'), "
    "case_id VARCHAR NOT NULL, logged_at TIMESTAMP NOT NULL, user_name VARCHAR, old_status VARCHAR, "
    "status VARCHAR NOT NULL, result VARCHAR, note VARCHAR)",
    "CREATE TABLE IF NOT EXISTS signal_runs (kind VARCHAR PRIMARY KEY, detected_at TIMESTAMP NOT NULL, "
    "thresholds JSON, summary JSON)",
    "CREATE TABLE IF NOT EXISTS enterprise_registry (credit_code VARCHAR, name VARCHAR NOT NULL, "
    "name_norm VARCHAR, aliases VARCHAR[], alias_norms VARCHAR[], founded DATE, capital_raw VARCHAR, "
    "capital_wan DOUBLE, currency VARCHAR, employees INTEGER, address VARCHAR, industry VARCHAR, "
    "file VARCHAR NOT NULL, line INTEGER, loaded_at TIMESTAMP)",
    "CREATE INDEX IF NOT EXISTS idx_enterprise_registry_name ON enterprise_registry (name_norm)",
]
_CASE_COLS = ("case_id", "kind", "subject", "subject_name", "suspect_count", "detected_at", "status", "result",
              "note", "updated_by", "updated_at")


def save(con: duckdb.DuckDBPyConnection, found: Found, now: datetime) -> dict[str, int]:
    """Write ``found``'s findings as cases (new: pending; known: evidence and count refreshed) and its run."""
    new = 0
    for f in found.findings:
        cid = case_id(found.kind, f["keys"])
        evidence = json.dumps({**f["evidence"], "thresholds": found.thresholds}, ensure_ascii=False, default=str)
        known = con.execute("SELECT 1 FROM signal_cases WHERE case_id = ?", [cid]).fetchone()
        if known:
            con.execute("UPDATE signal_cases SET suspect_count = ?, evidence = ?, detected_at = ?, subject_name = ? "
                        "WHERE case_id = ?", [f["suspect_count"], evidence, now, f["subject_name"], cid])
        else:
            new += 1
            con.execute("INSERT INTO signal_cases (case_id, kind, subject, subject_name, suspect_count, evidence, "
                        "detected_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
                        [cid, found.kind, f["subject"], f["subject_name"], f["suspect_count"], evidence, now])
    summary = json.dumps(found.as_dict(), ensure_ascii=False, default=str)
    con.execute("INSERT OR REPLACE INTO signal_runs VALUES (?, ?, ?, ?)",
                [found.kind, now, json.dumps(found.thresholds, default=str), summary])
    return {"signals": len(found.findings), "new": new}


def runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return [{"kind": k, "detected_at": at, "thresholds": json.loads(t or "{}"), **json.loads(s or "{}")}
            for k, at, t, s in con.execute("SELECT kind, detected_at, thresholds, summary FROM signal_runs "
                                           "ORDER BY kind").fetchall()]


def listing(con: duckdb.DuckDBPyConnection, *, kind: str | None = None, status: str | None = None,
            subject: str | None = None, limit: int = 1000, offset: int = 0) -> dict[str, Any]:
    where, params = ["TRUE"], []
    for column, value in (("kind", kind), ("status", status), ("subject", subject)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    sql = " AND ".join(where)
    total = con.execute(f"SELECT count(*) FROM signal_cases WHERE {sql}", params).fetchone()[0]
    cur = con.execute(f"SELECT {', '.join(_CASE_COLS)} FROM signal_cases WHERE {sql} "
                      "ORDER BY suspect_count DESC, kind, subject_name, case_id LIMIT ? OFFSET ?",
                      [*params, limit, offset])
    rows = [dict(zip(_CASE_COLS, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r["status_zh"] = STATUS_ZH.get(r["status"], r["status"])
        r["result_zh"] = RESULT_ZH.get(r["result"] or "", None)
    return {"total": total, "rows": rows}


def show(con: duckdb.DuckDBPyConnection, cid: str) -> dict[str, Any]:
    row = con.execute(f"SELECT {', '.join(_CASE_COLS)}, evidence FROM signal_cases WHERE case_id = ?",
                      [cid]).fetchone()
    if row is None:
        raise SignalsError(f"no signal case {cid!r}; list the cases with `ipcockpit signals list`")
    case = dict(zip((*_CASE_COLS, "evidence"), row, strict=True))
    case["evidence"] = json.loads(case["evidence"] or "{}")
    case["status_zh"] = STATUS_ZH.get(case["status"], case["status"])
    case["result_zh"] = RESULT_ZH.get(case["result"] or "", None)
    cols = ("logged_at", "user_name", "old_status", "status", "result", "note")
    case["log"] = [dict(zip(cols, r, strict=True)) for r in con.execute(
        f"SELECT {', '.join(cols)} FROM signal_case_log WHERE case_id = ? ORDER BY id", [cid]).fetchall()]
    case["note_verdict"], case["note_verdict_en"] = NOTE_ZH, NOTE_EN
    return case


def update(con: duckdb.DuckDBPyConnection, cid: str, status: str, *, result: str | None = None,
           note: str | None = None, user: str | None = None, now: datetime) -> dict[str, Any]:
    """Set a case's status (and result and note); logged. A result belongs to a checked or handled case; a
    handled case needs one."""
    if status not in STATUSES:
        raise SignalsError(f"status {status!r}: use one of {', '.join(STATUSES)} (待核查, 已核查, 已处理)")
    if result is not None and result not in RESULTS:
        raise SignalsError(f"result {result!r}: use confirmed (属实) or dismissed (不属实)")
    if status == "pending" and result is not None:
        raise SignalsError("a pending case (待核查) has no result yet; set status checked or handled with it")
    if status == "handled" and result is None:
        raise SignalsError("a handled case (已处理) needs its result: --result confirmed or dismissed")
    old = con.execute("SELECT status FROM signal_cases WHERE case_id = ?", [cid]).fetchone()
    if old is None:
        raise SignalsError(f"no signal case {cid!r}; list the cases with `ipcockpit signals list`")
    con.execute("BEGIN")
    try:
        con.execute("UPDATE signal_cases SET status = ?, result = ?, note = ?, updated_by = ?, updated_at = ? "
                    "WHERE case_id = ?", [status, result, note, user, now, cid])
        con.execute("INSERT INTO signal_case_log (case_id, logged_at, user_name, old_status, status, result, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", [cid, now, user, old[0], status, result, note])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return show(con, cid)


def office_rows(rows: list[dict[str, Any]], zh: bool = True) -> list[dict[str, Any]]:
    """The office list: one row per case, in the columns offices report."""
    if zh:
        return [{"主体": r["subject_name"] or r["subject"], "主体标识": r["subject"], "信号类型": r["kind"],
                 "疑似数": r["suspect_count"], "处理情况": STATUS_ZH.get(r["status"], r["status"]),
                 "处理结果": " ".join(x for x in (RESULT_ZH.get(r["result"] or ""), r["note"]) if x),
                 "案件编号": r["case_id"], "说明": "信号不构成认定"} for r in rows]
    return [{"subject": r["subject_name"] or r["subject"], "subject_id": r["subject"], "kind": r["kind"],
             "suspect_count": r["suspect_count"], "status": r["status"],
             "result": " ".join(x for x in (r["result"], r["note"]) if x), "case_id": r["case_id"],
             "note": "a signal is never a verdict"} for r in rows]
