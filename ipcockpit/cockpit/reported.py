"""Reported figures with provenance: who reported a value, when, and from which source document.

Every report is a new row of ``reported_values`` (migration 3); nothing is updated or deleted, so the
table is its own audit trail. The last entered report of a region, indicator and year is the current
value (view ``reported_current``). Values can be reported one by one (:func:`report_value`, the API and
the web form), from a CSV file (:func:`import_csv`, all or nothing) and, for a plan's baselines, from
the region profile (:func:`load_plan_baselines`, idempotent). The input series ``population`` and
``market_entities`` are reported the same way.

Provenance kinds (:func:`provenance`): a plan baseline (origin ``plan``) is read from the plan's text --
its reporter is :data:`PLAN_TEXT`, its source the plan's title, document number, box and column -- not
reported by the office that issued the plan; a profile's series value (origin ``profile``) comes from the
region profile, citing its own source; everything else (``api``, ``csv``) is reported by a person or an
office.

A value of a running-total indicator (``cumulative: true`` in the profile) is the total at the end of its
year; reported with ``basis`` ``year`` it is that year's amount, which the cockpit adds to the total of the
year before. ``basis`` is refused for other indicators.
"""

from __future__ import annotations

import math
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from ipcockpit.cockpit.profiles import DEFAULT_REGION, Region, list_regions, load_region
from ipcockpit.errors import IPCockpitError
from ipcockpit.ingest.csvutil import CsvRowError, text_rows
from ipcockpit.store import Store

ORIGINS = ("plan", "profile", "api", "csv")
#: the reporter of a plan baseline: nobody reported it, it is read from the plan's text
PLAN_TEXT = "规划文本 / plan text"
#: provenance kinds by origin
KINDS = {"plan": "plan_text", "profile": "profile", "api": "reported", "csv": "reported"}
#: basis of a reported value of a running total: written forms accepted -> stored value
BASES = {"total": "total", "running_total": "total", "累计": "total", "累计值": "total",
         "year": "year", "yearly": "year", "当年": "year", "当年值": "year", "年度": "year"}
#: CSV header names for each field: the API's names, the labels of the page's report form in both
#: languages and the Chinese names offices write (matched without case, and with _ and - as spaces)
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "region": ("region", "region code", "admin code", "地区", "地区代码", "行政区划代码", "区划代码"),
    "indicator": ("indicator", "indicator id", "indicator name", "指标", "指标代码", "指标名称", "指标编号"),
    "year": ("year", "年份", "年度"),
    "value": ("value", "数值", "值", "填报值", "指标值"),
    "source": ("source", "source document", "来源", "来源文件", "数据来源", "依据文件", "依据"),
    "reported_by": ("reported by", "reporter", "填报人", "填报单位", "报送单位"),
    "note": ("note", "notes", "备注", "说明"),
    "basis": ("basis", "口径"),
    # the reported-values download marks the report in force of each key; earlier reports are skipped
    "current": ("current", "in force", "是否当前值", "当前"),
}
#: the fields of a reported value, as the API names them
FIELDS = ("region", "indicator", "year", "value", "source", "reported_by", "note", "basis")
#: written values of the download's ``current`` column that mark an earlier report (skipped on import)
NOT_CURRENT = frozenset({"false", "0", "no", "n", "否", "已被后来的填报取代", "superseded"})
REQUIRED = ("indicator", "year", "value", "source", "reported_by")
ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 (with or without BOM), else GBK (GB 18030 is its superset)
MAX_ERRORS = 20
#: the columns of a report, as stored
COLUMNS = (
    "id",
    "region",
    "indicator",
    "year",
    "value",
    "unit",
    "source_document",
    "reported_by",
    "reported_at",
    "note",
    "origin",
    "origin_ref",
    "basis",
)


class ReportError(IPCockpitError):
    """A reported value (or a CSV row) is not acceptable; the message names the file, line and field.
    ``key`` and ``values``, when given, name the catalogue text shown to people."""

    def __init__(self, message: str, key: str | None = None, **values: Any) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Report:
    """One value to report, checked."""

    region: str
    indicator: str
    year: int
    value: float
    source_document: str
    reported_by: str
    reported_at: datetime
    note: str | None
    unit: str | None
    origin: str
    origin_ref: str | None = None
    basis: str | None = None


def now() -> datetime:
    """The report time: UTC, to the second, without a zone (DuckDB TIMESTAMP)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _when(value: datetime | date | str | None, where: str) -> datetime:
    if value is None or value == "":
        return now()
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return _when(datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")), where)
    except ValueError as exc:
        raise ReportError(
            f"{where}, field 'reported_at': {value!r} is not a date-time; write ISO 8601 "
            "such as 2024-03-01T09:30:00"
        ) from exc


def check(
    region: Region,
    indicator: str,
    year: Any,
    value: Any,
    source_document: Any,
    reported_by: Any,
    reported_at: datetime | date | str | None = None,
    note: Any = None,
    *,
    origin: str = "api",
    origin_ref: str | None = None,
    where: str = "reported value",
    basis: Any = None,
) -> Report:
    """A :class:`Report` from raw inputs, or :class:`ReportError` naming ``where`` and the field.
    ``basis`` (running totals only): ``total`` (the default) or ``year`` (that year's amount)."""

    def fail(field: str, what: str) -> ReportError:
        return ReportError(f"{where}, field '{field}': {what}")

    written_id = str(indicator or "").strip()
    ind_id = region.resolve(written_id) or written_id  # an id, or an indicator's Chinese or English name
    if ind_id not in region.reportable():
        names = ", ".join(f"{i} ({zh})" for i, (zh, _) in region.reportable_names().items())
        raise fail(
            "indicator",
            f"{ind_id!r} is not an indicator of region {region.admin_code} "
            f"({Path(region.file).name}); write an id or a name of one of: {names}",
        )
    try:
        y = int(str(year).strip())
        if str(year).strip() != str(y) or not 1900 <= y <= 2100:
            raise ValueError
    except ValueError:
        raise fail("year", f"{year!r} is not a year; write a 4-digit year such as 2023") from None
    try:
        v = float(str(value).strip().replace(",", "")) if not isinstance(value, int | float) else float(value)
        if isinstance(value, bool) or not math.isfinite(v):
            raise ValueError
    except ValueError:
        raise fail("value", f"{value!r} is not a number; write digits such as 12.5 (no unit)") from None
    ind = region.indicator(ind_id)
    if ind is None:  # an input series
        if v <= 0:
            raise fail("value", f"{ind_id} must be a positive count, got {v:g}")
        unit = region.series[ind_id].unit_zh
    else:
        if ind.min is not None and v < ind.min:
            raise fail("value", f"{v:g} is below the smallest allowed value {ind.min:g} of {ind_id}")
        if ind.max is not None and v > ind.max:
            raise fail("value", f"{v:g} is above the largest allowed value {ind.max:g} of {ind_id}")
        unit = ind.unit_zh
    written = str(basis or "").strip()
    base = BASES.get(written.lower()) if written else None
    if written and base is None:
        raise fail("basis", f"{written!r} is not a basis; write total (累计) or year (当年), or leave it empty")
    if base is not None and (ind is None or not ind.cumulative):
        raise fail("basis", f"{ind_id} is not a running total; leave basis empty (every value is the year's)")
    src = str(source_document or "").strip()
    if not src:
        raise fail("source", "missing; name the source document (e.g. a statistical bulletin and its number)")
    by = str(reported_by or "").strip()
    if not by:
        raise fail("reported_by", "missing; name who reports the value (a person or an office)")
    if origin not in ORIGINS:
        raise fail("origin", f"{origin!r} is not one of {', '.join(ORIGINS)}")
    text = str(note).strip() if note is not None and str(note).strip() else None
    return Report(
        region.admin_code,
        ind_id,
        y,
        v,
        src,
        by,
        _when(reported_at, where),
        text,
        unit or None,
        origin,
        origin_ref,
        base,
    )


def _insert(con: duckdb.DuckDBPyConnection, reports: list[Report]) -> list[int]:
    ids: list[int] = []
    con.execute("BEGIN TRANSACTION")
    try:
        for r in reports:
            [(new_id,)] = con.execute(
                "INSERT INTO reported_values (region, indicator, year, value, unit, source_document, "
                "reported_by, reported_at, note, origin, origin_ref, basis) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [
                    r.region,
                    r.indicator,
                    r.year,
                    r.value,
                    r.unit,
                    r.source_document,
                    r.reported_by,
                    r.reported_at,
                    r.note,
                    r.origin,
                    r.origin_ref,
                    r.basis,
                ],
            ).fetchall()
            ids.append(int(new_id))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return ids


def select_list(alias: str = "", basis: bool = True) -> str:
    """The columns of a report, for a SELECT; ``basis=False`` for a store from before migration 5 (opened
    read-only, so not migrated), whose reports have no basis."""
    p = f"{alias}." if alias else ""
    return ", ".join(f"{p}{c}" if c != "basis" or basis else "NULL AS basis" for c in COLUMNS)


def execute(store: Store, sql: str, params: Any, alias: str = "") -> duckdb.DuckDBPyConnection:
    """``sql`` with ``{columns}`` replaced by the report's columns (:func:`select_list`; without ``basis`` in a
    store from before migration 5 opened read-only)."""
    try:
        return store.con.execute(sql.format(columns=select_list(alias)), params)
    except duckdb.BinderException:
        return store.con.execute(sql.format(columns=select_list(alias, basis=False)), params)


def _by_ids(con: duckdb.DuckDBPyConnection, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    cur = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM reported_values WHERE id IN (SELECT unnest(?::BIGINT[])) "
        "ORDER BY id",
        [ids],
    )
    return [as_row(dict(zip(COLUMNS, r, strict=True))) for r in cur.fetchall()]


def as_row(r: dict[str, Any]) -> dict[str, Any]:
    """A stored report as plain JSON-ready values."""
    out = dict(r)
    if isinstance(out.get("reported_at"), datetime):
        out["reported_at"] = out["reported_at"].isoformat()
    return out


def provenance(r: dict[str, Any]) -> dict[str, Any]:
    """Who, when, which document: the provenance of a reported value. ``kind``: ``plan_text`` (a plan
    baseline, whose reporter is :data:`PLAN_TEXT` -- also for rows stored before it was), ``profile`` or
    ``reported``."""
    at = r.get("reported_at")
    kind = KINDS.get(str(r.get("origin")), "reported")
    return {
        "id": r.get("id"),
        "kind": kind,
        "source_document": r.get("source_document"),
        "reported_by": PLAN_TEXT if kind == "plan_text" else r.get("reported_by"),
        "reported_at": at.isoformat() if isinstance(at, datetime) else at,
        "note": r.get("note"),
        "origin": r.get("origin"),
        "origin_ref": r.get("origin_ref"),
        "basis": r.get("basis"),
    }


# one value ---------------------------------------------------------------------------------------
def report_value(
    store: Store,
    region: str | Region | None,
    indicator_id: str,
    year: int,
    value: float,
    source_document: str,
    reported_by: str,
    reported_at: datetime | date | str | None = None,
    note: str | None = None,
    *,
    folders: Any = None,
    origin: str = "api",
    basis: str | None = None,
) -> dict[str, Any]:
    """Report one value (a new row; the latest report of a region, indicator and year is current).
    ``basis``: for a running total, ``year`` when ``value`` is the year's amount (default: the total)."""
    reg = load_region(region, folders)
    rep = check(
        reg, indicator_id, year, value, source_document, reported_by, reported_at, note, origin=origin,
        basis=basis,
    )
    [row] = _by_ids(store.con, _insert(store.con, [rep]))
    return row


def list_reported(
    store: Store,
    region: str | None = None,
    indicator: str | None = None,
    year: int | None = None,
    current_only: bool = False,
) -> list[dict[str, Any]]:
    """Reported values, newest first; ``current_only`` keeps the current value of each region, indicator
    and year.

    Each row has ``current`` (whether it is the value in force for its key)."""
    where, params = [], []
    for col, val in (("region", region), ("indicator", indicator), ("year", year)):
        if val is not None:
            where.append(f"r.{col} = ?")
            params.append(val)
    sql = (
        "SELECT {columns}, c.id IS NOT NULL AS current FROM reported_values r "
        f"LEFT JOIN reported_current c ON c.id = r.id {'WHERE ' + ' AND '.join(where) if where else ''} "
        "ORDER BY r.region, r.indicator, r.year, r.id DESC"
    )
    try:
        cur = execute(store, sql, params, "r")
    except duckdb.CatalogException:
        return []  # a store from before migration 3, opened read-only
    rows = [as_row(dict(zip([*COLUMNS, "current"], r, strict=True))) for r in cur.fetchall()]
    return [r for r in rows if r["current"]] if current_only else rows


def current_values(store: Store, region: str) -> dict[str, dict[int, dict[str, Any]]]:
    """The current reported values of a region: ``{indicator: {year: row}}`` (rows keep datetimes)."""
    try:
        cur = execute(
            store, "SELECT {columns} FROM reported_current WHERE region = ? ORDER BY indicator, year", [region]
        )
    except duckdb.CatalogException:
        return {}
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for r in cur.fetchall():
        row = dict(zip(COLUMNS, r, strict=True))
        out.setdefault(row["indicator"], {})[int(row["year"])] = row
    return out


# the plan's baselines and the profile's series ----------------------------------------------------
def load_plan_baselines(
    store: Store,
    region: str | Region | None = None,
    *,
    folders: Any = None,
    reported_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Store the plan's baseline-year values as values read from the plan's text (reporter
    :data:`PLAN_TEXT`, source :meth:`Region.plan_source`: title, document number, box and column, time
    the plan's issue date) and the profile's series values citing their own sources. Returns the rows
    written. Idempotent, and never over a report:

    * a baseline is written when its indicator and year have no report yet, or when the current report is
      a plan baseline of another value (the profile's baseline was corrected);
    * a current plan baseline stored before the plan text was named as its source (the issuing office as
      reporter) is restated: a new row with the same value and the plan text's provenance, the old row
      staying in the audit trail;
    * a current report from anywhere else (a correction, entered before or after) is left alone;
    * a series value is written unless the profile loaded the same value and source before.
    """
    reg = load_region(region, folders)
    con = store.con
    current = {
        (r[0], int(r[1])): (float(r[2]), r[3], r[4], r[5])
        for r in con.execute(
            "SELECT indicator, year, value, source_document, reported_by, origin FROM reported_current "
            "WHERE region = ?",
            [reg.admin_code],
        ).fetchall()
    }
    loaded = {
        (r[0], int(r[1]), float(r[2]), r[3])
        for r in con.execute(
            "SELECT indicator, year, value, source_document FROM reported_values WHERE region = ? "
            "AND origin = 'profile'",
            [reg.admin_code],
        ).fetchall()
    }
    when = reported_at or (_when(reg.plan_issued, reg.file) if reg.plan_issued else None)
    ref = Path(reg.file).name
    source = reg.plan_source()
    todo: list[Report] = []
    for ind in reg.indicators:
        if ind.baseline is None:
            continue
        now_ = current.get((ind.id, reg.baseline_year))
        if now_ is not None:
            value, src, by, origin = now_
            if origin != "plan" or (value == ind.baseline and (src, by) == (source, PLAN_TEXT)):
                continue
        todo.append(
            check(
                reg,
                ind.id,
                reg.baseline_year,
                ind.baseline,
                source,
                PLAN_TEXT,
                when,
                None,
                origin="plan",
                origin_ref=ref,
                where=f"{reg.file}: indicators {ind.id}",
            )
        )
    for sid, series in reg.series.items():
        for v in series.values:
            if (sid, v.year, v.value, v.source) in loaded:
                continue
            todo.append(
                check(
                    reg,
                    sid,
                    v.year,
                    v.value,
                    v.source,
                    f"地区配置 / region profile {ref}",
                    reported_at,
                    v.note,
                    origin="profile",
                    origin_ref=ref,
                    where=f"{reg.file}: series.{sid} {v.year}",
                )
            )
    return _by_ids(con, _insert(con, todo)) if todo else []


# CSV ----------------------------------------------------------------------------------------------
def _decode(path: Path) -> str:
    data = path.read_bytes()
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ReportError(f"{path}: neither UTF-8 nor GBK text; save the file as UTF-8 CSV.")


def _csv_rows(path: Path, text: str) -> list[list[str]]:
    """The rows of ``text``; a row the csv module cannot read (a field over its limit, e.g. after an
    unclosed quote) is a :class:`ReportError` naming the line where that row starts."""
    try:
        return text_rows(text)
    except CsvRowError as exc:
        where = f"{path}, line {exc.line}"
        if exc.over_limit:
            limit = f"{exc.limit:,}"
            raise ReportError(f"{where}: a field is longer than {limit} characters (the limit of a CSV field); "
                              "check that the quotes of that line are paired", "cockpit.error_csv_field",
                              file=path.name, line=exc.line, limit=limit) from exc
        raise ReportError(f"{where}: cannot be read as CSV ({exc.detail})", "cockpit.error_csv", file=path.name,
                          line=exc.line, detail=exc.detail) from exc


def _header_name(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lstrip("\ufeff").replace("_", " ").replace("-", " ")
                    .lower().split())


def _header_map(path: Path, header: list[str]) -> dict[str, int]:
    names = [_header_name(h) for h in header]
    found: dict[str, int] = {}
    for field, aliases in CSV_COLUMNS.items():
        for i, name in enumerate(names):
            if name in aliases:
                found.setdefault(field, i)
    return found


Key = tuple[str, str, int]


def _in_force(store: Store) -> dict[Key, dict[str, Any]]:
    """The report in force of every region, indicator and year."""
    try:
        cur = execute(store, "SELECT {columns} FROM reported_current", [])
    except duckdb.CatalogException:
        return {}
    rows = (dict(zip(COLUMNS, r, strict=True)) for r in cur.fetchall())
    return {(r["region"], r["indicator"], int(r["year"])): r for r in rows}


def _restates(in_force: dict[Key, dict[str, Any]], region: Region, get: dict[str, str]) -> bool:
    """True when a CSV row states the report in force of its key again: the same value, source, note and
    basis (who reports it does not matter). Importing a download unchanged then writes nothing."""
    try:
        key = (region.admin_code, region.resolve(get.get("indicator", "")) or "", int(get.get("year", "")))
        value = float(get.get("value", "").replace(",", ""))
    except ValueError:
        return False
    now = in_force.get(key)
    return now is not None and (
        float(now["value"]) == value
        and now["source_document"] == get.get("source", "")
        and (now["note"] or "") == get.get("note", "")
        and now["basis"] == BASES.get(get.get("basis", "").lower())
    )


def read_csv(
    path: str | os.PathLike[str],
    *,
    region: str | None = None,
    reported_by: str | None = None,
    folders: Any = None,
    in_force: dict[Key, dict[str, Any]] | None = None,
) -> list[Report]:
    """Check every row of a CSV of reported values; :class:`ReportError` lists every bad row (file, line,
    field). ``region`` and ``reported_by`` fill rows that leave those columns empty or out.

    The indicator may be written as its id or its Chinese or English name. So that the reported-values
    download comes back in unchanged: rows its ``current`` column marks as earlier reports are skipped, and
    so are rows that state the report in force (``in_force``, by region, indicator and year) again; the
    plan's text is no reporter (:data:`PLAN_TEXT`: an edited baseline is reported by ``reported_by``)."""
    p = Path(path)
    try:
        text = _decode(p)
    except OSError as exc:
        raise ReportError(f"{p}: cannot read the file ({exc}).") from exc
    rows = _csv_rows(p, text)
    if not rows:
        raise ReportError(
            f"{p}: empty file; the first line must name the columns ({', '.join(FIELDS)})."
        )
    cols = _header_map(p, rows[0])
    missing = [f for f in REQUIRED if f not in cols and not (f == "reported_by" and reported_by)]
    if "region" not in cols and not region:
        missing.insert(0, "region")
    if missing:
        raise ReportError(
            f"{p}, line 1: missing column(s) {', '.join(missing)}; the columns are "
            f"{', '.join(FIELDS)} (Chinese headers such as 地区, 指标 or 指标名称, 年份, 数值, 来源 or 依据文件, "
            "填报人, 备注, 口径 also work)."
        )
    regions = list_regions(folders)
    errors: list[str] = []
    reports: list[Report] = []
    first_line: dict[tuple[str, str, int], int] = {}
    skipped = 0
    for n, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        get = {f: (raw[i].strip() if i < len(raw) else "") for f, i in cols.items()}
        if get.get("current", "").lower() in NOT_CURRENT:
            skipped += 1
            continue
        if get.get("reported_by") == PLAN_TEXT:
            get["reported_by"] = ""
        where = f"{p}, line {n}"
        code = get.get("region") or region or ""
        reg = regions.get(code)
        if reg is None:
            errors.append(
                f"{where}, field 'region': {code!r} has no region profile; known: "
                f"{', '.join(sorted(regions))}"
            )
            continue
        if in_force and _restates(in_force, reg, get):
            skipped += 1
            continue
        try:
            rep = check(
                reg,
                get.get("indicator", ""),
                get.get("year", ""),
                get.get("value", ""),
                get.get("source", ""),
                get.get("reported_by") or reported_by or "",
                None,
                get.get("note"),
                origin="csv",
                origin_ref=f"{p.name}:{n}",
                where=where,
                basis=get.get("basis"),
            )
        except ReportError as exc:
            errors.append(str(exc))
            continue
        key = (rep.region, rep.indicator, rep.year)
        if key in first_line:
            errors.append(
                f"{where}, field 'year': {rep.indicator} {rep.year} of region {rep.region} is already on "
                f"line {first_line[key]}; keep one row per region, indicator and year"
            )
            continue
        first_line[key] = n
        reports.append(rep)
    if errors:
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise ReportError(
            f"{p}: {len(errors)} bad row(s), nothing was imported; fix them and import the file "
            "again:\n" + "\n".join(errors[:MAX_ERRORS]) + more
        )
    if not reports and not skipped:
        raise ReportError(f"{p}: no rows after the header; nothing was imported.")
    return reports


def import_csv(
    store: Store,
    path: str | os.PathLike[str],
    *,
    region: str | None = None,
    reported_by: str | None = None,
    folders: Any = None,
) -> list[dict[str, Any]]:
    """Import a CSV of reported values, all or nothing (columns region, indicator, year, value, source,
    reported_by, note; UTF-8 or GBK). Returns the rows written; rows that state the report in force again
    and earlier reports of a download are not written (:func:`read_csv`)."""
    reports = read_csv(path, region=region, reported_by=reported_by, folders=folders, in_force=_in_force(store))
    con = store.con
    return _by_ids(con, _insert(con, reports)) if reports else []


def report_many(
    store: Store, rows: Iterable[dict[str, Any]], *, folders: Any = None, origin: str = "api"
) -> list[dict[str, Any]]:
    """Report several values given as mappings (the API's JSON body), all or nothing."""
    regions = list_regions(folders)
    reports: list[Report] = []
    for n, r in enumerate(rows, start=1):
        code = str(r.get("region") or DEFAULT_REGION)
        reg = regions.get(code)
        if reg is None:
            raise ReportError(f"item {n}, field 'region': {code!r} has no region profile")
        reports.append(
            check(
                reg,
                r.get("indicator", ""),
                r.get("year", ""),
                r.get("value", ""),
                r.get("source") or r.get("source_document") or "",
                r.get("reported_by", ""),
                r.get("reported_at"),
                r.get("note"),
                origin=origin,
                where=f"item {n}",
                basis=r.get("basis"),
            )
        )
    con = store.con
    return _by_ids(con, _insert(con, reports))
