"""The analyses of a patent navigation report (专利导航, GB/T 39551) in the order direction → position → path, at four
levels: the world, China, Chongqing and the district.

:func:`analyse` takes the member documents of an industry (the table ``nav_members(doc_id, branch, reason)`` that
:func:`ipcockpit.navigation.industry.resolve` writes; any table with those columns) and returns the dict of the
helpers' contract 2: ``{"levels": [...], "sections": [...], "definitions": {...}}``. Every number a section shows
is listed in its ``numbers`` with the SQL that gives it (run on the same connection while the ``nav_a_*`` temporary
tables of :data:`definitions` exist) and the tables it rests on. docs/navigation.md ("Analyses") defines each
measure.

The levels (``LEVELS``):

* ``world``: every member document with a record of its own (stubs left out), whatever its office;
* ``china``: the member documents filed at CNIPA (office ``CN``), whoever applied: the documents the region
  levels are counted among, so that a region is a part of China and its shares compare with China's;
* ``chongqing``: the CN member documents attributed to Chongqing (GB/T 2260 code ``50``) by the project's one
  attribution rule (:mod:`ipcockpit.value.attribution`: the address code of the first applicant/patentee that
  has one);
* ``district``: the CN member documents attributed to ``region`` (default Bishan, ``500120``).

The per-document facts (level, filing year, region code, legal status, high-value answer, value index) are
computed once into temporary tables (:func:`prepare`); each section is one query over them and the store's tables
(:mod:`ipcockpit.navigation.analyses_direction`, :mod:`~ipcockpit.navigation.analyses_position`,
:mod:`~ipcockpit.navigation.analyses_path`): all but ``path.teams`` the DuckDB SQL of an ibis expression of
:mod:`~ipcockpit.navigation.analyses_ibis`, which runs unchanged on Spark over the Parquet export of those tables.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.value.attribution import ATTRIBUTED_SQL, ATTRIBUTION_SWITCH, HOLDER_ROLES
from ipcockpit.value.legal_status import status_ctes, status_params
from ipcockpit.value.settings import ScreenSettings

LEVELS: tuple[str, ...] = ("world", "china", "chongqing", "district")
CHONGQING = "500000"
DEFAULT_DISTRICT = "500120"
#: parties counted as applicants (the holders of a document)
APPLICANT_ROLES: tuple[str, ...] = HOLDER_ROLES
#: legal-status labels (ipcockpit.value.legal_status) grouped for the legal-status section
STATUS_GROUPS: dict[str, str] = {
    "in_force": "in_force", "granted": "granted", "pending": "pending", "superseded": "superseded",
    "expired": "ended", "lapsed": "ended", "withdrawn": "ended", "invalidated": "ended", "refused": "ended",
    "not_in_force": "ended",
}
#: the legal events counted as operations (运营): ownership transfers, licences and pledges
OPERATIONS: tuple[str, ...] = ("transfer", "licence", "pledge")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Options:
    """What the analyses take besides the members: growth window (``years``), how many rows a ranking shows
    (``top``), the white-space thresholds, the as-of date and the screening settings (legal status, high value).
    ``last_year``: the last filing year of the growth windows (None: the latest filing year holding at least
    1 % of the level's dated documents, so a stray late filing does not move the window past the data)."""

    years: int = 5
    top: int = 10
    thin_share: float = 0.05
    rising_margin: float = 0.10
    rising_min_last: int = 3
    last_year: int | None = None
    settings: ScreenSettings = field(default_factory=ScreenSettings)
    value_index: bool = True
    profile: str = "government_statistics"


@dataclass
class Level:
    level: str
    code: str | None
    documents: int = 0
    missing: str | None = None
    missing_params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "code": self.code, "documents": self.documents, "missing": self.missing,
                "missing_params": self.missing_params}


# the per-document facts ---------------------------------------------------------------------------------
def _check_table(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"members table {name!r} is not a plain table name; give e.g. nav_members")
    return name


def definitions(members: str, district_prefix: str) -> dict[str, str]:
    """The temporary tables every section's SQL reads, as the SQL that makes them (kept in the result, so a
    reader of the appendix can rebuild them). Their order is the order of creation."""
    docs = (
        f"SELECT d.doc_id, d.office, d.doc_type, d.stage, d.title, d.app_id, "
        f"year(coalesce(d.app_date, d.priority_date, d.pub_date)) AS year "
        f"FROM documents d WHERE NOT coalesce(d.stub, false) "
        f"AND d.doc_id IN (SELECT doc_id FROM {members})")
    return {
        "nav_a_branch": f"SELECT DISTINCT m.doc_id, m.branch FROM {members} m "
                      f"WHERE m.branch IS NOT NULL AND m.doc_id IN (SELECT doc_id FROM nav_a_doc)",
        "nav_a_level": (
            "SELECT 'world' AS level, doc_id FROM nav_a_doc "
            "UNION ALL SELECT 'china', doc_id FROM nav_a_doc WHERE office = 'CN' "
            "UNION ALL SELECT 'chongqing', doc_id FROM nav_a_doc WHERE starts_with(region_code, '50') "
            f"UNION ALL SELECT 'district', doc_id FROM nav_a_doc WHERE starts_with(region_code, '{district_prefix}')"),
        "nav_a_doc": docs,  # made first (see prepare), with region_code, legal_status, high_value, value_index
        "nav_a_applicant": (
            "SELECT DISTINCT p.doc_id, coalesce(e.entity_id, 'n:' || p.name_norm) AS applicant "
            "FROM parties p LEFT JOIN party_entities e ON e.doc_id = p.doc_id AND e.seq = p.seq AND e.role = p.role "
            f"WHERE p.role IN {APPLICANT_ROLES} AND coalesce(p.name_norm, '') <> '' "
            "AND p.doc_id IN (SELECT doc_id FROM nav_a_doc)"),
        "nav_a_who": "one row per applicant of nav_a_applicant: its display name (the most frequent raw name of its "
                   "party rows) and its nature (ipcockpit.strength.nature.classify on its names)",
    }


def _create(con: duckdb.DuckDBPyConnection, name: str, sql: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")


def prepare(con: duckdb.DuckDBPyConnection, members: str, district_prefix: str, opts: Options) -> dict[str, str]:
    """Make the temporary tables ``nav_a_doc`` (one row per member document: office, type, filing year,
    ``region_code`` by the attribution rule, ``legal_status``, ``high_value``, ``value_index``), ``nav_a_branch``,
    ``nav_a_level``, ``nav_a_applicant`` and ``nav_a_who``; returns their definitions."""
    members = _check_table(members)
    defs = definitions(members, district_prefix)
    _create(con, "nav_a_doc0", defs["nav_a_doc"])
    # region code: the attribution rule over the CN members
    region_sql = ATTRIBUTED_SQL.format(doc_filter="d.doc_id IN (SELECT doc_id FROM nav_a_doc0)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE nav_a_region AS SELECT doc_id, admin_code FROM ({region_sql})",
                {"prefix": "", "office": "CN", "switch": ATTRIBUTION_SWITCH})
    # legal status: the one in-force rule
    con.execute("CREATE OR REPLACE TEMP TABLE nav_a_status AS WITH ls_docs AS (SELECT doc_id FROM nav_a_doc0), "
                f"{status_ctes('ls_docs')} SELECT doc_id, legal_status FROM ls_status",
                status_params(opts.settings))
    _value_tables(con, opts)
    _create(con, "nav_a_doc", "SELECT d.*, r.admin_code AS region_code, s.legal_status, v.high_value, v.value_index "
                            "FROM nav_a_doc0 d LEFT JOIN nav_a_region r USING (doc_id) "
                            "LEFT JOIN nav_a_status s USING (doc_id) LEFT JOIN nav_a_value v USING (doc_id)")
    for t in ("nav_a_doc0", "nav_a_region", "nav_a_status", "nav_a_value"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    for name in ("nav_a_branch", "nav_a_level", "nav_a_applicant"):
        _create(con, name, defs[name])
    _who(con)
    _divisions(con)
    defs["nav_a_division"] = "GB/T 2260 names (ipcockpit.model.addresses.division) of the region codes of nav_a_doc"
    defs["nav_a_doc"] = (defs["nav_a_doc"] + " -- plus region_code (ATTRIBUTED_SQL of ipcockpit.value.attribution, "
                       "prefix '' office 'CN'), legal_status (ls_status of ipcockpit.value.legal_status as of "
                       f"{opts.settings.as_of}), high_value (ipcockpit.value.conditions.condition_rows), "
                       f"value_index (ipcockpit.value.index.score_table, profile {opts.profile})")
    return defs


def _value_tables(con: duckdb.DuckDBPyConnection, opts: Options) -> None:
    """``nav_a_value(doc_id, high_value, value_index)``: the CNIPA high-value answer of each member invention grant
    (yes/no/unknown) and the value index of each member document."""
    from ipcockpit.value.conditions import Universe, condition_rows

    ids = [r[0] for r in con.execute("SELECT doc_id FROM nav_a_doc0").fetchall()]
    rows = condition_rows(con, opts.settings, Universe(doc_ids=tuple(ids))) if ids else []
    answer = {None: "unknown", True: "yes", False: "no"}
    hv = pa.table({"doc_id": pa.array([r["publication_number"] for r in rows], pa.string()),
                   "high_value": pa.array([answer[r["high_value"]] for r in rows], pa.string())})
    con.register("_nav_hv", hv)
    try:
        if opts.value_index and ids:
            from ipcockpit.value.index import score_table

            scores = score_table(con, opts.profile, opts.settings.as_of).select(["doc_id", "value_index"])
            con.register("_nav_vi", scores)
            vi = "(SELECT doc_id, value_index FROM _nav_vi)"
        else:
            vi = "(SELECT NULL::VARCHAR AS doc_id, NULL::DOUBLE AS value_index WHERE false)"
        try:
            _create(con, "nav_a_value", f"SELECT d.doc_id, h.high_value, round(v.value_index, 2) AS value_index "
                                      f"FROM nav_a_doc0 d LEFT JOIN _nav_hv h USING (doc_id) "
                                      f"LEFT JOIN {vi} v USING (doc_id)")
        finally:
            if opts.value_index and ids:
                con.unregister("_nav_vi")
    finally:
        con.unregister("_nav_hv")


def _who(con: duckdb.DuckDBPyConnection) -> None:
    """``nav_a_who(applicant, name, nature)``: each applicant's display name and nature."""
    from ipcockpit.strength.nature import classify

    rows = con.execute(
        "SELECT a.applicant, p.name_raw, p.type, count(*) AS n FROM nav_a_applicant a "
        "JOIN parties p ON p.doc_id = a.doc_id AND coalesce(p.name_norm, '') <> '' "
        f"AND p.role IN {APPLICANT_ROLES} "
        "LEFT JOIN party_entities e ON e.doc_id = p.doc_id AND e.seq = p.seq AND e.role = p.role "
        "WHERE coalesce(e.entity_id, 'n:' || p.name_norm) = a.applicant "
        "GROUP BY ALL ORDER BY a.applicant, n DESC, p.name_raw").fetchall()
    names: dict[str, list[tuple[str, int]]] = {}
    for applicant, name, _type, n in rows:
        names.setdefault(applicant, []).append((name, int(n)))
    ids, shown, natures = [], [], []
    for applicant, ns in names.items():
        merged: dict[str, int] = {}
        for name, n in ns:
            merged[name] = merged.get(name, 0) + n
        ids.append(applicant)
        shown.append(max(merged.items(), key=lambda kv: (kv[1], kv[0]))[0])
        natures.append(classify(list(merged.items())).nature)
    con.register("_nav_who", pa.table({"applicant": pa.array(ids, pa.string()), "name": pa.array(shown, pa.string()),
                                       "nature": pa.array(natures, pa.string())}))
    try:
        _create(con, "nav_a_who", "SELECT * FROM _nav_who")
    finally:
        con.unregister("_nav_who")


def _divisions(con: duckdb.DuckDBPyConnection) -> None:
    """``nav_a_division(code, name)``: the names of the region codes of ``nav_a_doc`` and of their provinces."""
    from ipcockpit.model.addresses import division

    codes = {r[0] for r in con.execute("SELECT DISTINCT region_code FROM nav_a_doc WHERE region_code IS NOT NULL "
                                       "UNION SELECT DISTINCT left(region_code, 2) || '0000' FROM nav_a_doc "
                                       "WHERE region_code IS NOT NULL").fetchall()}
    found = {c: division(c) for c in sorted(codes)}
    table = pa.table({"code": pa.array(list(found), pa.string()),
                      "name": pa.array([d.name if d is not None else None for d in found.values()], pa.string())})
    con.register("_nav_div", table)
    try:
        _create(con, "nav_a_division", "SELECT * FROM _nav_div")
    finally:
        con.unregister("_nav_div")


# sections -----------------------------------------------------------------------------------------------
def _lit(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _key(row: dict[str, Any], keys: Sequence[str]) -> str:
    return "|".join("" if row[k] is None else str(row[k]) for k in keys)


def section(sid: str, level: str, sql: str, *, keys: Sequence[str], values: Sequence[str],
            con: duckdb.DuckDBPyConnection, labels: dict[str, str] | None = None, provenance: str,
            chart: Callable[[list[dict[str, Any]]], Any] | None,
            empty: tuple[str, dict[str, Any]] | None = None, shown: Sequence[str] = ()) -> dict[str, Any]:
    """One section: run ``sql`` (its rows are the table), list every value of ``values`` in each row as a number
    whose query is ``sql`` narrowed to that row (by ``keys``), and draw ``chart`` from the rows. ``empty``: the
    reason (i18n key, params) when the section has no rows; ``shown``: further columns that are text only."""
    cur = con.execute(sql)
    names = [c[0] for c in cur.description or []]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    numbers = []
    for row in rows:
        where = " AND ".join(f"{k} IS NULL" if row[k] is None else f"{k} = {_lit(row[k])}" for k in keys)
        for col in values:
            numbers.append({
                "id": f"{sid}/{level}/{_key(row, keys)}/{col}",
                "label": (labels or {}).get(col, col),
                "value": row[col],
                "query": f"SELECT {col} FROM ({sql}) s WHERE {where}",
                "provenance": provenance,
            })
    part = sid.split(".")[0]
    reason, params = (None, {})
    if not rows:
        reason, params = empty or ("nav.empty.no_rows", {})
    return {"id": sid, "part": part, "level": level, "title_key": f"nav.section.{sid.split('.', 1)[1]}",
            "chart": chart(rows) if rows and chart is not None else None,
            "table": {"columns": [*keys, *[c for c in shown if c not in keys], *values], "keys": list(keys),
                      "rows": rows},
            "numbers": numbers, "empty_reason": reason, "empty_params": params}


def missing_section(sid: str, level: str, reason: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """A section that cannot be drawn at this level, with the reason in its place."""
    return {"id": sid, "part": sid.split(".")[0], "level": level,
            "title_key": f"nav.section.{sid.split('.', 1)[1]}", "chart": None,
            "table": {"columns": [], "keys": [], "rows": []},
            "numbers": [], "empty_reason": reason, "empty_params": params or {}}


@dataclass
class Context:
    """What a section function gets: the connection, the options, the levels (by name) and the translator of
    chart titles."""

    con: duckdb.DuckDBPyConnection
    opts: Options
    levels: dict[str, Level]
    t: Callable[..., str]
    last_year: dict[str, int | None] = field(default_factory=dict)
    #: the ibis tables of the sections on the shared path (:mod:`ipcockpit.navigation.analyses_ibis`)
    tables: Any = None

    def scalar(self, sql: str) -> Any:
        return self.con.execute(sql).fetchone()[0]


def _levels(con: duckdb.DuckDBPyConnection, wanted: Iterable[str], district: str,
            district_name: str | None) -> dict[str, Level]:
    counts = dict(con.execute("SELECT level, count(DISTINCT doc_id) FROM nav_a_level GROUP BY level").fetchall())
    coded = con.execute("SELECT count(*) FROM nav_a_doc WHERE office = 'CN' AND region_code IS NOT NULL").fetchone()[0]
    cn = counts.get("china", 0)
    out: dict[str, Level] = {}
    for name in wanted:
        if name not in LEVELS:
            raise ValueError(f"level {name!r} is unknown; use some of {', '.join(LEVELS)}")
        code = {"world": None, "china": "CN", "chongqing": CHONGQING, "district": district}[name]
        lv = Level(name, code, int(counts.get(name, 0)))
        if not lv.documents:
            if name == "world":
                lv.missing = "nav.empty.no_members"
            elif name == "china":
                lv.missing = "nav.empty.no_china"
            elif not cn:
                lv.missing = "nav.empty.no_china"
            elif not coded:
                lv.missing, lv.missing_params = "nav.empty.no_addresses", {"documents": cn}
            else:
                lv.missing, lv.missing_params = "nav.empty.no_region_documents", {
                    "region": district_name if name == "district" else "重庆市", "code": code, "coded": coded}
        out[name] = lv
    return out


def latest_year(con: duckdb.DuckDBPyConnection, level: str, last: int | None) -> int | None:
    """The last filing year of the growth windows of ``level`` (see :class:`Options`)."""
    if last is not None:
        return last
    return con.execute(
        "WITH y AS (SELECT d.year, count(*) AS n FROM nav_a_doc d JOIN nav_a_level l USING (doc_id) "
        f"WHERE l.level = {_lit(level)} AND d.year IS NOT NULL GROUP BY d.year) "
        "SELECT max(year) FROM y WHERE n * 100 >= (SELECT sum(n) FROM y)").fetchone()[0]


def analyse(con: duckdb.DuckDBPyConnection, members_table: str = "nav_members", region: str | None = None,
            levels: Sequence[str] = LEVELS, *, options: Options | None = None,
            t: Callable[..., str] | None = None) -> dict[str, Any]:
    """The analyses of the members of ``members_table`` at ``levels`` (contract 2 of the navigation helpers).

    ``region``: the district level's GB/T 2260 code (default Bishan, 500120). ``t``: the translator of chart
    titles (default: the Chinese catalogue). The temporary ``nav_a_*`` tables stay on ``con`` afterwards, so that
    every number's ``query`` can be run again there."""
    from ipcockpit.analytics.region import region_of
    from ipcockpit.navigation import analyses_direction, analyses_ibis, analyses_path, analyses_position

    opts = options or Options()
    code = region or DEFAULT_DISTRICT
    found = region_of(code)
    if found is None:
        raise ValueError(f"region {code!r} is not a GB/T 2260 division; give 2, 4 or 6 digits, e.g. 500120 (璧山区)")
    if t is None:
        from ipcockpit.i18n import Translator

        t = Translator("zh-CN")
    started = time.perf_counter()
    defs = prepare(con, members_table, str(found["prefix"]), opts)
    prepared = time.perf_counter()
    lv = _levels(con, levels, found["code"], found["name"])
    ctx = Context(con, opts, lv, t, tables=analyses_ibis.duckdb_tables(con, members_table, str(found["prefix"])))
    for name, level in lv.items():
        ctx.last_year[name] = latest_year(con, name, opts.last_year) if not level.missing else None
    sections: list[dict[str, Any]] = []
    for module in (analyses_direction, analyses_position, analyses_path):
        for name in lv:
            sections += module.sections(ctx, name)
    timings = {"facts": round(prepared - started, 3), "sections": round(time.perf_counter() - prepared, 3)}
    return {"levels": [level.as_dict() for level in lv.values()], "sections": sections, "definitions": defs,
            "timings": timings,
            "region": {"code": found["code"], "name": found["name"], "full_name": found["full_name"]},
            "options": {"years": opts.years, "top": opts.top, "thin_share": opts.thin_share,
                        "rising_margin": opts.rising_margin, "rising_min_last": opts.rising_min_last,
                        "last_year": {k: v for k, v in ctx.last_year.items()},
                        "as_of": opts.settings.as_of.isoformat() if isinstance(opts.settings.as_of, date) else None}}
