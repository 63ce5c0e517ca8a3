"""The data and ingest status (数据与入库状态) and the quarantine browser: plain dicts for the web app.

:func:`data_status` gathers the row count of every table in the store, the ingested source files with
their counts (``read = loaded + quarantined + merged``), the ingest runs, ingests that were interrupted
and the data-quality checks. :func:`quarantine_page` counts the quarantined records by kind of reason
(:mod:`ipcockpit.model.quarantine`) and field, and pages through them, filtered by file, field, kind
and reason. Source file paths, run commands (which name paths) and quarantine excerpts can
hold raw data: :func:`data_status` leaves paths out unless asked (``show_paths``); the web app shows the
quarantine only to analysts and admins. The app's own tables (users, session secret, audit log, schema
version ...) are not data: :func:`data_status` counts them only when asked (``show_internal``, admins).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from ipcockpit.analytics.quality import quality
from ipcockpit.model.quarantine import OTHER, classify
from ipcockpit.model.schema import ALL_TABLES
from ipcockpit.store import Store
from ipcockpit.store.like import ESCAPE, contains_pattern

#: tables of later migrations that hold data (the cockpit's reported figures); every other table outside the
#: canonical model (:data:`~ipcockpit.model.schema.ALL_TABLES`) is the app's own working (schema version,
#: users, session secret, audit log, portfolios, publication state, pending ingests): not listed to the public
LATER_DATA_TABLES = frozenset({"reported_values", "org_names", "org_entities", "org_overrides", "party_entities",
                               "inventor_entities", "nav_definitions", "nav_branches", "nav_branch_edits",
                               "nav_marks", "nav_editions", "watch_lists", "watch_objects", "watch_alerts",
                               "watch_deliveries", "signal_cases", "signal_case_log", "signal_runs",
                               "enterprise_registry", "protected_lists", "protected_marks", "protected_quarantine",
                               "credit_records", "credit_repairs", "credit_tiers"})
#: the most rows one page of the quarantine browser or of the file list holds
MAX_LIMIT = 10_000
#: characters of a sha256 shown (the full digest is ``sha256``)
SHA_SHORT = 12

# natural order of positions: "line 9" before "line 10", "offset 512" before "offset 4096", and in an
# archive "member.txt line 9" before "member.txt line 10" (the text before the last number, then that number)
_POSITION_ORDER = ("regexp_replace(q.position, '\\d+\\D*$', ''), "
                   "try_cast(regexp_extract(q.position, '(\\d+)\\D*$', 1) AS BIGINT) NULLS LAST, q.position")


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit={limit}: ask for 1 to {MAX_LIMIT:,} rows a page")
    if offset < 0:
        raise ValueError(f"offset={offset}: must be 0 or more")


def table_counts(store: Store, internal: bool = False) -> dict[str, int]:
    """Rows of every data table in the store: the canonical model in declared order, then the data tables of
    later migrations (:data:`LATER_DATA_TABLES`) by name; with ``internal`` also the app's own tables (users,
    secrets, audit log, schema version ...) after them. Views are not counted."""
    names = [r["table_name"] for r in store.query(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' ORDER BY table_name")]
    ordered = [t for t in ALL_TABLES if t in names] + [t for t in names if t in LATER_DATA_TABLES]
    if internal:
        ordered += [t for t in names if t not in ordered]
    return {t: store.count(t) for t in ordered}


def internal_tables(names: Iterable[str]) -> list[str]:
    """The tables of ``names`` that are the app's own working, not data."""
    return [t for t in names if t not in ALL_TABLES and t not in LATER_DATA_TABLES]


def source_files(store: Store, show_paths: bool, limit: int = 200) -> list[dict[str, Any]]:
    """The ingested files, newest first: format, short sha256, counts, time and run (path when shown)."""
    _check_page(limit, 0)
    rows = store.query(
        "SELECT f.file_id, f.path, f.format, left(f.sha256, ?) AS sha256_short, f.sha256, f.size, f.read, f.loaded, "
        "f.quarantined, f.merged, f.ingested_at, f.run_id, "
        "(SELECT count(*) FROM documents d WHERE d.file_id = f.file_id) AS documents "
        "FROM source_files f ORDER BY f.ingested_at DESC, f.path LIMIT ?", [SHA_SHORT, limit])
    if not show_paths:
        for r in rows:
            r["path"] = None
    return rows


def ingest_runs(store: Store, show_paths: bool, limit: int = 100) -> list[dict[str, Any]]:
    """The ingest runs, newest first, with the files and records each left in the store (a file ingested
    again belongs to its latest run). ``command`` names paths: None unless ``show_paths``."""
    rows = store.query(
        "SELECT r.run_id, r.started_at, r.finished_at, "
        "date_diff('millisecond', r.started_at, r.finished_at) / 1000.0 AS seconds, r.command, "
        "count(f.file_id) AS files, coalesce(sum(f.read), 0) AS read, coalesce(sum(f.loaded), 0) AS loaded, "
        "coalesce(sum(f.quarantined), 0) AS quarantined, coalesce(sum(f.merged), 0) AS merged "
        "FROM ingest_runs r LEFT JOIN source_files f ON f.run_id = r.run_id "
        "GROUP BY ALL ORDER BY r.started_at DESC, r.run_id LIMIT ?", [limit])
    for r in rows:
        r["finished"] = r["finished_at"] is not None
        if not show_paths:
            r["command"] = None
    return rows


def by_format(store: Store) -> list[dict[str, Any]]:
    """Files and records per source format."""
    return store.query(
        "SELECT format, count(*) AS files, sum(read) AS read, sum(loaded) AS loaded, sum(quarantined) AS quarantined, "
        "sum(merged) AS merged FROM source_files GROUP BY format ORDER BY files DESC, format")


def pending(store: Store, show_paths: bool) -> list[dict[str, Any]]:
    """Ingests that started and did not finish (removed on the next writable open of the store)."""
    rows = store.query("SELECT file_id, path, run_id, started_at FROM pending_files ORDER BY started_at, file_id")
    if not show_paths:
        for r in rows:
            r["path"] = None
    return rows


def data_status(store: Store, show_paths: bool = False, limit: int = 200,
                show_internal: bool = False) -> dict[str, Any]:
    """The data page: a summary, every data table's row count (``show_internal``: every table, and
    ``internal_tables`` names the app's own), files per format, the latest ``limit`` source files and
    ingest runs, interrupted ingests and the data-quality checks."""
    totals = store.query(
        "SELECT count(*) AS files, coalesce(sum(read), 0) AS read, coalesce(sum(loaded), 0) AS loaded, "
        "coalesce(sum(quarantined), 0) AS quarantined, coalesce(sum(merged), 0) AS merged, "
        "max(ingested_at) AS last_ingest FROM source_files")[0]
    files = source_files(store, show_paths, limit)
    tables = table_counts(store, show_internal)
    return {
        "summary": {
            "documents": int(store.scalar("SELECT count(*) FROM documents WHERE NOT coalesce(stub, false)")),
            **totals,
            "runs": store.count("ingest_runs"),
            "quarantine_rows": store.count("quarantine"),
            "pending": store.count("pending_files"),
        },
        "paths_shown": show_paths,
        "files_total": int(totals["files"]),
        "files_shown": len(files),
        "tables": tables,
        "internal_tables": internal_tables(tables),
        "by_format": by_format(store),
        "files": files,
        "runs": ingest_runs(store, show_paths),
        "pending": pending(store, show_paths),
        "quality": quality(store),
    }


@contextmanager
def _reason_codes(store: Store) -> Iterator[str]:
    """The SQL of a quarantined record's reason code (over alias ``q``): the stored one, or, in a store
    opened read-only before migration 8 gave the column, the code of its reason worked out here."""
    columns = {r["column_name"] for r in store.query(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'quarantine'")}
    if "reason_code" in columns:
        yield f"coalesce(q.reason_code, '{OTHER}')"
        return
    reasons = [r["reason"] for r in store.query("SELECT DISTINCT reason FROM quarantine")]
    store.con.register("_ipc_reason_codes", pa.table(
        {"reason": pa.array(reasons, pa.string()), "code": pa.array([classify(r) for r in reasons], pa.string())}))
    try:
        yield (f"coalesce((SELECT c.code FROM _ipc_reason_codes c WHERE c.reason IS NOT DISTINCT FROM q.reason), "
               f"'{OTHER}')")
    finally:
        store.con.unregister("_ipc_reason_codes")


def quarantine_page(store: Store, file: str | None = None, field: str | None = None, reason: str | None = None,
                    limit: int = 50, offset: int = 0, code: str | None = None) -> dict[str, Any]:
    """One page of quarantined records with the file each came from, and the counts by kind of reason.

    ``file``: a ``file_id`` or part of the path (case-insensitive); ``field``: the field named by the
    ingester (exact, case-insensitive; ``-`` for records whose reason names no field); ``code``: the kind
    of reason (:data:`ipcockpit.model.quarantine.CODES`, ``other``); ``reason``: part of the reason. Rows
    are ordered by path and position (line 9 before line 10). ``groups`` counts the records under the
    file filter by code and field, the most first (their counts add up to ``group_total``); ``files`` and
    ``fields`` are the choices of the filters."""
    _check_page(limit, offset)
    file, field, reason, code = (v.strip() if v and v.strip() else None for v in (file, field, reason, code))
    with _reason_codes(store) as code_sql:
        where, params = [], []
        if file:
            where.append(f"(q.file_id = ? OR q.path ILIKE ? {ESCAPE})")
            params += [file, contains_pattern(file)]
        file_where, file_params = list(where), list(params)
        if field:
            if field == "-":
                where.append("q.field IS NULL")
            else:
                where.append("lower(q.field) = lower(?)")
                params.append(field)
        if code:
            where.append(f"{code_sql} = ?")
            params.append(code)
        if reason:
            where.append(f"q.reason ILIKE ? {ESCAPE}")
            params.append(contains_pattern(reason))
        sql_where = ("WHERE " + " AND ".join(where)) if where else ""
        total = int(store.scalar(f"SELECT count(*) FROM quarantine q {sql_where}", params))
        rows = store.query(
            f"SELECT q.file_id, q.path, f.format, q.position, q.field, {code_sql} AS reason_code, q.reason, "
            f"q.excerpt, q.run_id FROM quarantine q LEFT JOIN source_files f USING (file_id) {sql_where} "
            f"ORDER BY q.path, {_POSITION_ORDER}, q.field NULLS FIRST, q.reason LIMIT ? OFFSET ?",
            [*params, limit, offset])
        file_sql_where = ("WHERE " + " AND ".join(file_where)) if file_where else ""
        groups = store.query(
            f"SELECT {code_sql} AS reason_code, coalesce(q.field, '-') AS field, count(*) AS records "
            f"FROM quarantine q {file_sql_where} GROUP BY ALL ORDER BY records DESC, reason_code, field", file_params)
    for r in rows:
        r["file_name"] = _file_name(r["path"])
    return {
        "filters": {"file": file, "field": field, "code": code, "reason": reason, "limit": limit, "offset": offset},
        "total": total,
        "count": len(rows),
        "first": offset + 1 if rows else 0,
        "last": offset + len(rows),
        "prev_offset": max(offset - limit, 0) if offset > 0 else None,
        "next_offset": offset + limit if offset + limit < total else None,
        "groups": groups,
        "group_total": sum(g["records"] for g in groups),
        "rows": rows,
        "files": store.query(
            "SELECT q.file_id, q.path, any_value(f.format) AS format, count(*) AS quarantined "
            "FROM quarantine q LEFT JOIN source_files f USING (file_id) GROUP BY q.file_id, q.path "
            "ORDER BY q.path, q.file_id"),
        "fields": store.query(
            f"SELECT coalesce(q.field, '-') AS field, count(*) AS records FROM quarantine q {file_sql_where} "
            "GROUP BY 1 ORDER BY records DESC, field", file_params),
    }


def quarantine_list(store: Store, path: str | None = None, limit: int = 100) -> dict[str, Any]:
    """The quarantined records of files whose path contains ``path`` (case-insensitive), by path and
    position (line 9 before line 10): the first ``limit`` (0: all), how many there are (``total``) and
    whether the list is cut (``truncated``). Each row names its kind of reason (``reason_code``,
    :func:`ipcockpit.model.quarantine.classify`, as the web page groups them). What ``ipcockpit quarantine``
    prints."""
    if limit < 0:
        raise ValueError(f"limit={limit}: give 0 (all) or more")
    where, params = (f"WHERE q.path ILIKE ? {ESCAPE}", [contains_pattern(path)]) if path else ("", [])
    total = int(store.scalar(f"SELECT count(*) FROM quarantine q {where}", params))
    rows = store.query(
        f"SELECT q.path, q.position, q.field, q.reason, q.excerpt FROM quarantine q {where} "
        f"ORDER BY q.path, {_POSITION_ORDER}, q.field NULLS FIRST, q.reason"
        + (" LIMIT ?" if limit else ""), [*params, *([limit] if limit else [])])
    rows = [{**r, "reason_code": classify(r["reason"])} for r in rows]
    return {"total": total, "count": len(rows), "limit": limit, "truncated": len(rows) < total, "rows": rows}


def _file_name(path: str | None) -> str | None:
    """The last part of a path (an archive member's name after ``!`` or ``/``)."""
    if not path:
        return path
    return path.replace("\\", "/").replace("!", "/").rstrip("/").rsplit("/", 1)[-1]
