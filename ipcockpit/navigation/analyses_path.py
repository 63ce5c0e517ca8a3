"""Paths (发展路径): what a region can do, at the Chongqing and district levels (the world and China have no
region to act for: their path sections say so).

* ``path.attract`` (招商引资): the branches where the region is weak (RTA < 1 against China, the largest in China
  first, at most ``top``) and in each the three applicants of China with most documents in it that have no
  document of the region (individuals left out);
* ``path.cultivate`` (培育): the region's own applicants (individuals left out) with more filings in the last three
  filing years than in the three before (the growth window ends at the level's last year), most recent filings
  first;
* ``path.teams`` (人才团队): the inventors of the region's documents with most documents, by the resolved inventor
  (``inventor_entities``, the knowledge graph's people: ``ipcockpit graph build`` / entity resolution); without
  it the section says the graph is not built;
* ``path.licensable`` (可许可专利): the region's documents in force, judged high-value, with a university or
  institute applicant, by value index.
"""

from __future__ import annotations

from typing import Any

from ipcockpit.navigation import analyses_ibis as xi
from ipcockpit.navigation import charts
from ipcockpit.navigation.analyses import Context, _lit, missing_section, section
from ipcockpit.navigation.analyses_direction import in_level

IDS = ("attract", "cultivate", "teams", "licensable")
REGION_LEVELS = ("chongqing", "district")
CULTIVATE_YEARS = 3
_WHO = "nav_a_who (ipcockpit.strength.nature on the applicants' names)"


def sections(ctx: Context, level: str) -> list[dict[str, Any]]:
    lv = ctx.levels[level]
    if level not in REGION_LEVELS:
        return [missing_section(f"path.{i}", level, "nav.empty.path_region_only") for i in IDS]
    if lv.missing:
        return [missing_section(f"path.{i}", level, lv.missing, lv.missing_params) for i in IDS]
    return [attract(ctx, level), cultivate(ctx, level), teams(ctx, level), licensable(ctx, level)]


def attract(ctx: Context, level: str) -> dict[str, Any]:
    if "china" not in ctx.levels:
        return missing_section("path.attract", level, "nav.empty.rta_needs", {"reference": "china"})
    sql = xi.sql(xi.attract(ctx.tables, level, int(ctx.opts.top)))
    return section("path.attract", level, sql, keys=("branch", "rank"), shown=("applicant", "name", "nature"),
                   values=("documents",), con=ctx.con,
                   provenance=f"nav_members.branch, parties, {_WHO}; weak = RTA < 1 against China",
                   chart=lambda rows: charts.attract_bars(rows, ctx.t), empty=("nav.empty.no_weak_branches", {}))


def cultivate(ctx: Context, level: str) -> dict[str, Any]:
    last = ctx.last_year.get(level)
    if last is None:
        return missing_section("path.cultivate", level, "nav.empty.no_dates",
                               {"documents": ctx.levels[level].documents})
    k, last = CULTIVATE_YEARS, int(last)
    sql = xi.sql(xi.cultivate(ctx.tables, level, last, int(ctx.opts.top), k))
    return section("path.cultivate", level, sql, keys=("applicant",), shown=("name", "nature"),
                   values=("documents", "recent", "earlier"), con=ctx.con,
                   provenance=f"parties, {_WHO}; recent = filing years {last - k + 1}-{last}, earlier = "
                              f"{last - 2 * k + 1}-{last - k}",
                   chart=lambda rows: charts.cultivate_bars(rows, ctx.t),
                   empty=("nav.empty.no_growing_applicants", {"from": last - k + 1, "to": last}))


def teams(ctx: Context, level: str) -> dict[str, Any]:
    resolved = int(ctx.scalar(f"SELECT count(*) FROM inventor_entities WHERE {in_level(level)}") or 0)
    if not resolved:
        inventors = int(ctx.scalar(f"SELECT count(*) FROM inventors WHERE {in_level(level)}") or 0)
        return missing_section("path.teams", level, "nav.empty.no_graph" if inventors else "nav.empty.no_inventors",
                               {"inventors": inventors})
    sql = ("SELECT e.entity_id AS inventor, min(i.name_raw) AS name, count(DISTINCT i.doc_id) AS documents "
           "FROM inventors i JOIN inventor_entities e ON e.doc_id = i.doc_id AND e.seq = i.seq "
           f"WHERE {in_level(level, 'i.doc_id')} GROUP BY e.entity_id "
           f"ORDER BY documents DESC, inventor LIMIT {int(ctx.opts.top)}")
    return section("path.teams", level, sql, keys=("inventor",), shown=("name",), values=("documents",), con=ctx.con,
                   provenance="inventors, inventor_entities (the resolved inventors of the knowledge graph)",
                   chart=lambda rows: charts.team_bars(rows, ctx.t))


def licensable(ctx: Context, level: str) -> dict[str, Any]:
    sql = xi.sql(xi.licensable(ctx.tables, level, int(ctx.opts.top)))
    in_force = int(ctx.scalar(f"SELECT count(*) FROM nav_a_doc WHERE {in_level(level)} AND legal_status = 'in_force'"))
    hv = int(ctx.scalar(f"SELECT count(*) FROM nav_a_doc WHERE {in_level(level)} AND legal_status = 'in_force' "
                        f"AND high_value = {_lit('yes')}"))
    return section("path.licensable", level, sql, keys=("doc_id", "applicant"), shown=("title", "name", "nature"),
                   values=("value_index",), con=ctx.con,
                   provenance="ipcockpit.value.legal_status, ipcockpit.value.conditions, ipcockpit.value.index, "
                              + _WHO,
                   chart=lambda rows: charts.licensable_bars(rows, ctx.t),
                   empty=("nav.empty.no_licensable", {"in_force": in_force, "high_value": hv}))
