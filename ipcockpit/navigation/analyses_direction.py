"""Direction (导航方向): where the industry's patenting goes, at one level.

Sections (ids ``direction.*``): filings by year and office (``trend``), the life cycle (``lifecycle``: applicants
against applications per filing year), applicants by nature (``natures``) and the leading applicants
(``applicants``), regions (``regions``: applicant countries for the world, provinces for China, districts for
Chongqing), branch sizes and growth (``branches``), white space (``white_space``), the high-value answers
(``high_value``) and the key patents by value index (``key_patents``), collaboration (``collaboration``: co-applicant
pairs), legal status (``legal_status``) and operations (``operations``: transfers, licences, pledges).

Each section's rows are an ibis expression of :mod:`ipcockpit.navigation.analyses_ibis`, run here as its compiled
DuckDB SQL and unchanged on Spark over the Parquet export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ipcockpit.navigation import analyses_ibis as xi
from ipcockpit.navigation import charts
from ipcockpit.navigation.analyses import (
    OPERATIONS,
    Context,
    _lit,
    missing_section,
    section,
)

if TYPE_CHECKING:
    pass

IDS = ("trend", "lifecycle", "natures", "applicants", "regions", "branches", "white_space", "high_value",
       "key_patents", "collaboration", "legal_status", "operations")
DOCS = "documents, nav_members (the industry's members)"
_WHO = "nav_a_who (ipcockpit.strength.nature on the applicants' names; entities of party_entities where resolved)"


def in_level(level: str, col: str = "doc_id") -> str:
    return f"{col} IN (SELECT doc_id FROM nav_a_level WHERE level = {_lit(level)})"


def sections(ctx: Context, level: str) -> list[dict[str, Any]]:
    lv = ctx.levels[level]
    if lv.missing:
        return [missing_section(f"direction.{i}", level, lv.missing, lv.missing_params) for i in IDS]
    return [f(ctx, level) for f in (trend, lifecycle, natures, applicants, regions, branches, white_space,
                                    high_value, key_patents, collaboration, legal_status, operations)]


def _count(ctx: Context, sql: str) -> int:
    return int(ctx.scalar(sql) or 0)


def _no_dates(ctx: Context, level: str) -> tuple[str, dict[str, Any]]:
    return "nav.empty.no_dates", {"documents": ctx.levels[level].documents}


def trend(ctx: Context, level: str) -> dict[str, Any]:
    sql = xi.sql(xi.trend(ctx.tables, level))
    return section("direction.trend", level, sql, keys=("year", "office"), values=("documents",), con=ctx.con,
                   provenance=DOCS + "; filing year = year of app_date, else priority_date, else pub_date",
                   chart=lambda rows: charts.trend_bars(rows, ctx.t), empty=_no_dates(ctx, level))


def lifecycle(ctx: Context, level: str) -> dict[str, Any]:
    empty = _no_dates(ctx, level)
    if not _count(ctx, f"SELECT count(*) FROM nav_a_applicant WHERE {in_level(level)}"):
        empty = ("nav.empty.no_applicants", {"documents": ctx.levels[level].documents})
    sql = xi.sql(xi.lifecycle(ctx.tables, level))
    return section("direction.lifecycle", level, sql, keys=("year",), values=("applications", "applicants"),
                   con=ctx.con, provenance=DOCS + ", parties (applicant/patentee/assignee), party_entities",
                   chart=lambda rows: charts.lifecycle(rows, ctx.t), empty=empty)


def _applicants_empty(ctx: Context, level: str) -> tuple[str, dict[str, Any]]:
    return "nav.empty.no_applicants", {"documents": ctx.levels[level].documents}


def natures(ctx: Context, level: str) -> dict[str, Any]:
    sql = xi.sql(xi.natures(ctx.tables, level))
    return section("direction.natures", level, sql, keys=("nature",), values=("applicants", "documents"),
                   con=ctx.con, provenance=f"parties, {_WHO}", chart=lambda rows: charts.nature_pie(rows, ctx.t),
                   empty=_applicants_empty(ctx, level))


def applicants(ctx: Context, level: str) -> dict[str, Any]:
    sql = xi.sql(xi.applicants(ctx.tables, level, int(ctx.opts.top)))
    return section("direction.applicants", level, sql, keys=("applicant",), values=("documents",),
                   shown=("name", "nature"), con=ctx.con, provenance=f"parties, {_WHO}",
                   chart=lambda rows: charts.applicant_bars(rows, ctx.t),
                   empty=_applicants_empty(ctx, level))


def regions(ctx: Context, level: str) -> dict[str, Any]:
    if level == "district":
        return missing_section("direction.regions", level, "nav.empty.finest_level")
    sql = xi.sql(xi.regions(ctx.tables, level, int(ctx.opts.top)))
    if level == "world":
        prov, empty = "parties.country of the applicants (a document counts once per country)", (
            "nav.empty.no_countries", {"documents": ctx.levels[level].documents})
    else:
        prov = "region_code of nav_a_doc (the attribution rule, ipcockpit.value.attribution), GB/T 2260 names"
        empty = ("nav.empty.no_addresses", {"documents": ctx.levels[level].documents})
    return section("direction.regions", level, sql, keys=("region",), values=("documents",), shown=("name",),
                   con=ctx.con, provenance=prov, chart=lambda rows: charts.region_bars(rows, ctx.t), empty=empty)


def _no_branches(ctx: Context, level: str) -> tuple[str, dict[str, Any]]:
    return "nav.empty.no_branches", {"documents": ctx.levels[level].documents}


def branches(ctx: Context, level: str) -> dict[str, Any]:
    sql = xi.sql(xi.branches(ctx.tables, level, ctx.last_year.get(level), int(ctx.opts.years)))
    return section("direction.branches", level, sql, keys=("branch",),
                   values=("documents", "share", "last_year", "base_year", "cagr"), con=ctx.con,
                   provenance=f"nav_members.branch, {DOCS}; growth years {ctx.last_year.get(level)} and "
                              f"{(ctx.last_year.get(level) or 0) - ctx.opts.years}",
                   chart=lambda rows: charts.branch_bars(rows, ctx.t), empty=_no_branches(ctx, level))


def white_space(ctx: Context, level: str) -> dict[str, Any]:
    """Thin branches (share below ``thin_share``) and rising ones (CAGR at least ``rising_margin`` above the
    level's own CAGR, with at least ``rising_min_last`` filings in the last year)."""
    o = ctx.opts
    sql = xi.sql(xi.white_space(ctx.tables, level, ctx.last_year.get(level), int(o.years), thin_share=o.thin_share,
                                rising_margin=o.rising_margin, rising_min_last=o.rising_min_last))
    empty = _no_branches(ctx, level)
    if _count(ctx, f"SELECT count(*) FROM nav_a_branch WHERE {in_level(level)}"):
        empty = ("nav.empty.no_white_space", {"thin_share": o.thin_share, "rising_margin": o.rising_margin})
    return section("direction.white_space", level, sql, keys=("branch",), shown=("kind",),
                   values=("documents", "share", "cagr", "level_cagr"), con=ctx.con,
                   provenance=f"nav_members.branch, {DOCS}; rule: share < {o.thin_share} (thin); CAGR >= the level's "
                              f"CAGR + {o.rising_margin} and >= {o.rising_min_last} filings in the last year (rising)",
                   chart=lambda rows: charts.white_space_scatter(rows, ctx.t), empty=empty)


def high_value(ctx: Context, level: str) -> dict[str, Any]:
    sql = xi.sql(xi.high_value(ctx.tables, level))
    return section("direction.high_value", level, sql, keys=("answer",), values=("documents",), con=ctx.con,
                   provenance="ipcockpit.value.conditions (CNIPA high-value conditions; invention grants only: others "
                              "'not_judged')", chart=lambda rows: charts.high_value_pie(rows, ctx.t))


def key_patents(ctx: Context, level: str) -> dict[str, Any]:
    sql = xi.sql(xi.key_patents(ctx.tables, level, int(ctx.opts.top)))
    return section("direction.key_patents", level, sql, keys=("doc_id",), shown=("title",),
                   values=("value_index", "high_value", "legal_status"), con=ctx.con,
                   provenance=f"ipcockpit.value.index (profile {ctx.opts.profile}), ipcockpit.value.conditions, "
                              "ipcockpit.value.legal_status",
                   chart=lambda rows: charts.key_patent_bars(rows, ctx.t),
                   empty=("nav.empty.no_value_index", {"documents": ctx.levels[level].documents}))


def collaboration(ctx: Context, level: str) -> dict[str, Any]:
    sql = xi.sql(xi.collaboration(ctx.tables, level, int(ctx.opts.top)))
    empty = ("nav.empty.no_collaboration", {})
    if not _count(ctx, f"SELECT count(*) FROM nav_a_applicant WHERE {in_level(level)}"):
        empty = _applicants_empty(ctx, level)
    return section("direction.collaboration", level, sql, keys=("a", "b"), shown=("a_name", "b_name"),
                   values=("documents",), con=ctx.con, provenance=f"parties (two applicants of one document), {_WHO}",
                   chart=lambda rows: charts.collaboration_graph(rows, ctx.t), empty=empty)


def legal_status(ctx: Context, level: str) -> dict[str, Any]:
    sql = xi.sql(xi.legal_status(ctx.tables, level))
    return section("direction.legal_status", level, sql, keys=("status",), values=("documents",), con=ctx.con,
                   provenance="ipcockpit.value.legal_status (the in-force rule: term, ending events, status text) "
                              f"as of {ctx.opts.settings.as_of}; legal_events, documents.status",
                   chart=lambda rows: charts.status_pie(rows, ctx.t))


def operations(ctx: Context, level: str) -> dict[str, Any]:
    sql = xi.sql(xi.operations(ctx.tables, level, OPERATIONS))
    return section("direction.operations", level, sql, keys=("operation",), values=("events", "documents"),
                   con=ctx.con,
                   provenance="legal_events.event_class (ipcockpit.model.events: transfer, licence, pledge)",
                   chart=lambda rows: charts.operation_bars(rows, ctx.t),
                   empty=("nav.empty.no_legal_events", {"documents": ctx.levels[level].documents}))

