"""The navigation sections as ibis expressions: one code path for DuckDB and Spark.

Each function here returns the rows of one section at one level as an ibis expression over a :class:`Tables`:

* ``facts``: one row per member document (``doc_id, office, title, year, region_code, legal_status, high_value,
  value_index``): the per-document facts that rest on rules of their own modules (the attribution rule, the
  in-force rule, the CNIPA high-value conditions, the value index), materialised once by DuckDB
  (:func:`ipcockpit.navigation.analyses.prepare`; ``nav_a_doc`` on the DuckDB connection, ``nav_facts`` in the
  Parquet export);
* ``members``: the industry's members (``doc_id, branch, reason``);
* ``applicants``: ``(doc_id, applicant)`` (``nav_a_applicant`` / ``nav_applicants``), ``who``:
  ``(applicant, name, nature)`` (``nav_a_who`` / ``nav_who``; the nature is ``ipcockpit.strength.nature``),
  ``division``: ``(code, name)`` GB/T 2260 names (``nav_a_division`` / ``nav_division``);
* ``parties``: the store's parties (the applicants' countries of the world level).

On DuckDB (:func:`duckdb_tables`) :func:`ipcockpit.navigation.analyses.analyse` compiles each expression to SQL
(:func:`sql`, ``ibis.to_sql``), runs it and keeps that SQL as every number's query; on Spark
(:func:`parquet_tables` over :func:`ipcockpit.analytics.spark.connect_parquet` of a folder written by
:func:`export`) the same expressions run unchanged and give the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis

from ipcockpit.navigation.analyses import APPLICANT_ROLES, CHONGQING, STATUS_GROUPS

if TYPE_CHECKING:
    import duckdb
    from ibis.expr.types import Table

#: the sections of :mod:`~ipcockpit.navigation.analyses_direction` and :mod:`~.analyses_position` made here
PORTED: tuple[str, ...] = (
    "direction.trend", "direction.lifecycle", "direction.natures", "direction.applicants", "direction.regions",
    "direction.branches", "direction.high_value", "direction.key_patents", "direction.collaboration",
    "direction.legal_status", "position.rta")
#: the table names of the DuckDB connection (after ``prepare``) and of the Parquet export
DUCKDB_NAMES = {"facts": "nav_a_doc", "applicants": "nav_a_applicant", "who": "nav_a_who",
                "division": "nav_a_division", "parties": "parties"}
PARQUET_NAMES = {"facts": "nav_facts", "applicants": "nav_applicants", "who": "nav_who",
                 "division": "nav_division", "parties": "parties", "members": "nav_members"}


@dataclass
class Tables:
    """The tables the expressions read, and the district's GB/T 2260 prefix."""

    facts: Table
    members: Table
    applicants: Table
    who: Table
    division: Table
    parties: Table
    district_prefix: str


def duckdb_tables(con: duckdb.DuckDBPyConnection, members: str, district_prefix: str) -> Tables:
    """The tables of a DuckDB connection after :func:`~ipcockpit.navigation.analyses.prepare`."""
    b = ibis.duckdb.from_connection(con)
    return Tables(members=b.table(members), district_prefix=district_prefix,
                  **{k: b.table(v) for k, v in DUCKDB_NAMES.items()})


def parquet_tables(backend: Any, district_prefix: str) -> Tables:
    """The tables of a backend over a folder written by :func:`export` (e.g. ``connect_parquet(folder)``)."""
    return Tables(district_prefix=district_prefix, **{k: backend.table(v) for k, v in PARQUET_NAMES.items()})


def export(con: duckdb.DuckDBPyConnection, folder: str | Path, members: str = "nav_members") -> list[str]:
    """Write the tables of :class:`Tables` from a prepared DuckDB connection as ``<name>.parquet`` files of
    ``folder`` (the names of :data:`PARQUET_NAMES`); returns the names."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    source = {**DUCKDB_NAMES, "members": members}
    for key, name in PARQUET_NAMES.items():
        con.execute(f"COPY (SELECT * FROM {source[key]}) TO '{(root / name).as_posix()}.parquet' (FORMAT parquet)")
    return list(PARQUET_NAMES.values())


def sql(expr: Table) -> str:
    """The DuckDB SQL of an expression (the ``query`` of its numbers)."""
    return str(ibis.to_sql(expr, dialect="duckdb")).strip()


# levels and branches ------------------------------------------------------------------------------------
def level_facts(t: Tables, level: str) -> Table:
    """The facts of the documents of ``level`` (as ``nav_a_level`` of the analyses defines them)."""
    f = t.facts
    if level == "world":
        return f
    if level == "china":
        return f.filter(f.office == "CN")
    prefix = CHONGQING[:2] if level == "chongqing" else t.district_prefix
    return f.filter(f.region_code.startswith(prefix))


def _in_level(t: Tables, table: Table, level: str) -> Table:
    ids = level_facts(t, level).select("doc_id")
    return table.semi_join(ids, table.doc_id == ids.doc_id)


def branch_docs(t: Tables, level: str) -> Table:
    """``(doc_id, branch, year)``: the level's documents in a branch, once per branch."""
    m = t.members.filter(t.members.branch.notnull()).select("doc_id", "branch").distinct()
    f = level_facts(t, level).select("doc_id", "year")
    return m.join(f, "doc_id")


def _cagr(last: Any, base: Any, years: int) -> Any:
    return ibis.cases(((base > 0) & (last > 0), ((last / base) ** (1 / years) - 1).round(4)),
                      else_=ibis.null("float64"))


# direction ----------------------------------------------------------------------------------------------
def trend(t: Tables, level: str) -> Table:
    f = level_facts(t, level)
    f = f.filter(f.year.notnull())
    return f.group_by(["year", "office"]).aggregate(documents=f.count()).order_by(["year", "office"])


def lifecycle(t: Tables, level: str, none: bool = False) -> Table:
    """Applications and applicants per filing year; ``none``: no rows (the level has no applicants)."""
    f = level_facts(t, level).select("doc_id", "year")
    f = f.filter(f.year.notnull() & ibis.literal(not none))
    a = t.applicants
    j = f.left_join(a, f.doc_id == a.doc_id)
    return (j.group_by("year").aggregate(applications=j.doc_id.nunique(), applicants=j.applicant.nunique())
            .order_by("year"))


def _level_applicants(t: Tables, level: str) -> Table:
    a = _in_level(t, t.applicants, level)
    return a.join(t.who, "applicant")


def natures(t: Tables, level: str) -> Table:
    j = _level_applicants(t, level)
    g = j.group_by("nature").aggregate(applicants=j.applicant.nunique(), documents=j.doc_id.nunique())
    return g.order_by([ibis.desc("documents"), "nature"])


def applicants(t: Tables, level: str, top: int) -> Table:
    j = _level_applicants(t, level)
    g = j.group_by(["applicant", "name", "nature"]).aggregate(documents=j.doc_id.nunique())
    return g.order_by([ibis.desc("documents"), "applicant"]).limit(top)


def regions(t: Tables, level: str, top: int) -> Table:
    """Applicant countries (world), provinces (China) or districts (Chongqing) by documents."""
    if level == "world":
        p = _in_level(t, t.parties, "world")
        p = p.filter(p.role.isin(list(APPLICANT_ROLES)) & p.country.notnull())
        g = p.group_by(region=p.country).aggregate(documents=p.doc_id.nunique())
        g = g.order_by([ibis.desc("documents"), "region"]).limit(top)
        return g.select("region", name=g.region, documents=g.documents)
    f = level_facts(t, level)
    f = f.filter(f.region_code.notnull())
    code = f.region_code.substr(0, 2) + "0000" if level == "china" else f.region_code
    g = f.group_by(region=code).aggregate(documents=f.count())
    g = g.order_by([ibis.desc("documents"), "region"]).limit(top)
    d = t.division
    j = g.left_join(d, g.region == d.code)
    return j.select("region", "name", "documents").order_by([ibis.desc("documents"), "region"])


def branches(t: Tables, level: str, last: int | None, years: int) -> Table:
    """Per branch: documents, share of the level's branched documents, filings of the last and the base year,
    the compound annual growth rate between them."""
    bd = branch_docs(t, level)
    tot = bd.aggregate(total=bd.doc_id.nunique())
    if last is None:
        in_last = in_base = ibis.literal(False)
    else:
        in_last, in_base = bd.year == int(last), bd.year == int(last) - int(years)
    c = bd.group_by("branch").aggregate(documents=bd.doc_id.nunique(), last_year=bd.doc_id.nunique(where=in_last),
                                        base_year=bd.doc_id.nunique(where=in_base))
    c = c.cross_join(tot)
    out = c.select("branch", "documents", share=(c.documents / c.total).round(4), last_year=c.last_year,
                   base_year=c.base_year, cagr=_cagr(c.last_year, c.base_year, int(years)))
    return out.order_by([ibis.desc("documents"), "branch"])


def high_value(t: Tables, level: str) -> Table:
    f = level_facts(t, level)
    g = f.group_by(answer=f.high_value.fill_null("not_judged")).aggregate(documents=f.count())
    return g.order_by("answer")


def key_patents(t: Tables, level: str, top: int) -> Table:
    f = level_facts(t, level)
    f = f.filter(f.value_index.notnull())
    return (f.select("doc_id", "title", "value_index", "high_value", "legal_status")
            .order_by([ibis.desc("value_index"), "doc_id"]).limit(top))


def collaboration(t: Tables, level: str, top: int) -> Table:
    """Co-applicant pairs (``a < b``) by the documents they share."""
    a = _in_level(t, t.applicants, level)
    b = t.applicants.view()
    p = a.join(b, (a.doc_id == b.doc_id) & (a.applicant < b.applicant)).select(
        doc_id=a.doc_id, a=a.applicant, b=b.applicant)
    wa, wb = t.who.view(), t.who.view()
    p = p.join(wa, p.a == wa.applicant).select("doc_id", "a", "b", a_name=wa.name)
    p = p.join(wb, p.b == wb.applicant).select("doc_id", "a", "b", "a_name", b_name=wb.name)
    g = p.group_by(["a", "b", "a_name", "b_name"]).aggregate(documents=p.doc_id.nunique())
    return g.order_by([ibis.desc("documents"), "a", "b"]).limit(top)


def legal_status(t: Tables, level: str) -> Table:
    f = level_facts(t, level)
    group = ibis.cases(*[(f.legal_status == k, v) for k, v in STATUS_GROUPS.items()], else_=ibis.null("string"))
    g = f.group_by(status=group.fill_null("unknown")).aggregate(documents=f.count())
    return g.order_by([ibis.desc("documents"), "status"])


# position -----------------------------------------------------------------------------------------------
def rta(t: Tables, level: str, reference: str) -> Table:
    """The RTA of every branch of ``reference`` for ``level``, with the counts behind it
    (:mod:`~ipcockpit.navigation.analyses_position`)."""
    def counts(lv: str, name: str) -> Table:
        bd = branch_docs(t, lv)
        return bd.group_by("branch").aggregate(**{name: bd.doc_id.nunique()})

    r, c = counts(level, "rn"), counts(reference, "cn")
    rt, ct = r.aggregate(region_total=r.rn.sum()), c.aggregate(reference_total=c.cn.sum())
    j = c.left_join(r, c.branch == r.branch).select(branch=c.branch, cn=c.cn, rn=r.rn.fill_null(0))
    j = j.cross_join(rt).cross_join(ct).filter(lambda x: x.region_total > 0)
    out = j.select("branch", region_documents=j.rn, region_total=j.region_total, reference_documents=j.cn,
                   reference_total=j.reference_total, region_share=(j.rn / j.region_total).round(4),
                   reference_share=(j.cn / j.reference_total).round(4),
                   rta=((j.rn / j.region_total) / (j.cn / j.reference_total)).round(3))
    return out.order_by([ibis.desc("rta"), ibis.desc("reference_documents"), "branch"])


REFERENCE = {"china": "world", "chongqing": "china", "district": "china"}


def expression(t: Tables, sid: str, level: str, *, top: int = 10, years: int = 5,
               last: int | None = None) -> Table | None:
    """The expression of section ``sid`` (one of :data:`PORTED`) at ``level`` with the analyses' options (``last``:
    the level's last growth year, ``report["options"]["last_year"][level]``); None where the section is not drawn
    at that level (regions of the district, RTA of the world)."""
    if sid == "direction.regions" and level == "district" or sid == "position.rta" and level == "world":
        return None
    build = {
        "direction.trend": lambda: trend(t, level),
        "direction.lifecycle": lambda: lifecycle(t, level),
        "direction.natures": lambda: natures(t, level),
        "direction.applicants": lambda: applicants(t, level, top),
        "direction.regions": lambda: regions(t, level, top),
        "direction.branches": lambda: branches(t, level, last, years),
        "direction.high_value": lambda: high_value(t, level),
        "direction.key_patents": lambda: key_patents(t, level, top),
        "direction.collaboration": lambda: collaboration(t, level, top),
        "direction.legal_status": lambda: legal_status(t, level),
        "position.rta": lambda: rta(t, level, REFERENCE[level]),
    }
    if sid not in build:
        raise ValueError(f"section {sid!r} has no ibis expression; those that do: {', '.join(PORTED)}")
    return build[sid]()
