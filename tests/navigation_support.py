"""A real navigation report for the report tests and the report bench, until the industry and analyses
modules give theirs: the Lens drones export (lens/drone_drones_fulltext_families_5884.csv) ingested by the
real code, its documents of an IPC prefix as the members table ``nav_members`` (HELPERS contract 1), and a
few analyses computed on it in the shape of contract 2 (sections with chart, table, numbers with query and
provenance; the levels the data lacks, Chongqing and the district, stated missing, and a section of the
district level that says why it is empty). Every number comes from the store; none is written here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ipcockpit.app import Cockpit
from ipcockpit.navigation.report import assemble, member_counts
from ipcockpit.settings import Settings

DRONES = "lens/drone_drones_fulltext_families_5884.csv"
MORE = "lens/drones_tac_1606_cleaned.csv"
DEFINITION = {"id": "drones", "name_zh": "无人机", "name_en": "Drones", "sei_branches": [], "ipc": ["B64"],
              "cpc": [], "keywords": [], "query": None, "seeds": [], "combine": "any"}
PROVENANCE = "documents, classifications (IPC B64*), nav_members; " + DRONES


def ingest_drones(path: Path, shared: Path) -> Path:
    with Cockpit(Settings(db=str(path))) as c:
        c.ingest([shared / DRONES])
    return path


def _level(level: str) -> dict[str, Any]:
    return {"key": f"nav.report.level.{level}", "params": {}}


def members(con: duckdb.DuckDBPyConnection, prefix: str = "B64") -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE nav_members AS SELECT DISTINCT doc_id, NULL::VARCHAR AS branch, "
                f"'ipc:{prefix}' AS reason FROM classifications WHERE scheme = 'IPC' AND code LIKE '{prefix}%'")


def _trend(con: duckdb.DuckDBPyConnection, level: str, where: str) -> dict[str, Any]:
    sql = ("SELECT year(d.app_date) AS year, d.office, count(DISTINCT d.doc_id) AS documents FROM documents d "
           f"JOIN nav_members m USING (doc_id) WHERE d.app_date IS NOT NULL {where} GROUP BY ALL ORDER BY 1, 2")
    rows = [dict(zip(("year", "office", "documents"), r, strict=True)) for r in con.execute(sql).fetchall()]
    years = sorted({r["year"] for r in rows})
    offices = sorted({r["office"] for r in rows})
    series = [{"name": o, "type": "bar", "stack": "all",
               "data": [next((r["documents"] for r in rows if r["year"] == y and r["office"] == o), 0) for y in years]}
              for o in offices]
    numbers = [{"id": f"direction.trend/{level}/{r['year']}-{r['office']}/documents",
                "label": f"{r['year']} {r['office']}", "value": r["documents"],
                "query": ("SELECT count(DISTINCT d.doc_id) FROM documents d JOIN nav_members m USING (doc_id) "
                          f"WHERE year(d.app_date) = {r['year']} AND d.office = '{r['office']}'"),
                "provenance": PROVENANCE} for r in rows]
    chart = {"tooltip": {"trigger": "axis"}, "legend": {"type": "scroll"}, "title": {"text": "申请趋势"},
             "xAxis": {"type": "category", "data": [str(y) for y in years]}, "yAxis": {"type": "value"},
             "series": series} if rows else None
    return {"id": "direction.trend", "part": "direction", "level": level, "title_key": "nav.section.trend",
            "chart": chart, "table": {"columns": ["year", "office", "documents"], "rows": rows}, "numbers": numbers,
            "empty_reason": None if rows else "nav.empty.level_missing",
            "empty_params": {} if rows else {"level": _level(level)}}


def _applicants(con: duckdb.DuckDBPyConnection, top: int = 10) -> dict[str, Any]:
    sql = ("SELECT p.name_norm AS applicant, count(DISTINCT p.doc_id) AS documents FROM parties p JOIN nav_members m "
           "USING (doc_id) WHERE p.role = 'applicant' AND p.name_norm IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 "
           f"LIMIT {top}")
    rows = [{"applicant": a, "documents": n} for a, n in con.execute(sql).fetchall()]
    numbers = [{"id": f"direction.applicants/world/{r['applicant']}/documents", "label": r["applicant"],
                "value": r["documents"],
                "query": ("SELECT count(DISTINCT p.doc_id) FROM parties p JOIN nav_members m USING (doc_id) "
                          f"WHERE p.role = 'applicant' AND p.name_norm = '{r['applicant']}'"),
                "provenance": "parties (applicant), nav_members; " + DRONES} for r in rows]
    chart = {"title": {"text": "主要申请人"}, "grid": {"left": 220}, "xAxis": {"type": "value"},
             "yAxis": {"type": "category", "data": [r["applicant"] for r in rows][::-1]},
             "series": [{"type": "bar", "data": [r["documents"] for r in rows][::-1]}]}
    return {"id": "direction.applicants", "part": "direction", "level": "world", "title_key": "nav.section.applicants",
            "chart": chart, "table": {"columns": ["applicant", "documents"], "rows": rows}, "numbers": numbers,
            "empty_reason": None}


def analysis(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Contract 2's dict from the store behind ``con`` (the members table made by :func:`members`)."""
    count = "SELECT count(DISTINCT d.doc_id) FROM documents d JOIN nav_members m USING (doc_id)"
    world = con.execute(count).fetchone()[0]
    china = con.execute(count + " WHERE d.office = 'CN'").fetchone()[0]
    levels = [{"level": "world", "code": None, "documents": world, "missing": None},
              {"level": "china", "code": "CN", "documents": china, "missing": None},
              {"level": "chongqing", "code": "50", "documents": 0, "missing": "nav.empty.level_missing",
               "missing_params": {"level": _level("chongqing")}},
              {"level": "district", "code": "500120", "documents": 0, "missing": "nav.empty.level_missing",
               "missing_params": {"level": _level("district")}}]
    position = {"id": "position.rta", "part": "position", "level": "district", "title_key": "nav.section.rta",
                "chart": None, "table": {"columns": [], "rows": []}, "numbers": [],
                "empty_reason": "nav.empty.level_missing", "empty_params": {"level": _level("district")}}
    # given out of order: the report puts direction before position
    china_trend = _trend(con, "china", "AND d.office = 'CN'")
    return {"levels": levels, "sections": [position, _trend(con, "world", ""), china_trend, _applicants(con)]}


def drones_report(con: duckdb.DuckDBPyConnection, lang: str = "zh-CN") -> dict[str, Any]:
    """The drones report of the store behind ``con``."""
    members(con)
    return assemble(DEFINITION, member_counts(con), analysis(con), "500120", lang)
