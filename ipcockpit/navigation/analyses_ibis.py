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
* ``parties``, ``legal_events``: the store's tables (the applicants' countries of the world level; operations).

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

from ipcockpit.navigation.analyses import APPLICANT_ROLES, CHONGQING, OPERATIONS, STATUS_GROUPS

if TYPE_CHECKING:
    import duckdb
    from ibis.expr.types import Table

#: the sections of :mod:`~ipcockpit.navigation.analyses_direction` and :mod:`~.analyses_position` made here
PORTED: tuple[str, ...] = (
    "direction.trend", "direction.lifecycle", "direction.natures", "direction.applicants", "direction.regions",
    "direction.branches", "direction.high_value", "direction.key_patents", "direction.collaboration",
    "direction.legal_status", "direction.white_space", "direction.operations", "position.rta", "path.attract",
    "path.cultivate", "path.licensable")
#: the table names of the DuckDB connection (after ``prepare``) and of the Parquet export
DUCKDB_NAMES = {"facts": "nav_a_doc", "applicants": "nav_a_applicant", "who": "nav_a_who",
                "division": "nav_a_division", "parties": "parties", "legal_events": "legal_events"}
PARQUET_NAMES = {"facts": "nav_facts", "applicants": "nav_applicants", "who": "nav_who",
                 "division": "nav_division", "parties": "parties", "legal_events": "legal_events",
                 "members": "nav_members"}


@dataclass
class Tables:
    """The tables the expressions read, and the district's GB/T 2260 prefix."""

    facts: Table
    members: Table
    applicants: Table
    who: Table
    division: Table
    parties: Table
    legal_events: Table
    district_prefix: str


def _unbound(con: duckdb.DuckDBPyConnection, name: str) -> Table:
    """``name`` as an unbound ibis table with its DuckDB schema: its expressions compile to plain SQL over that
    name, and no ibis backend touches the connection (``ibis.duckdb.from_connection`` sets its time zone and
    turns off its replacement scans)."""
    from ibis.backends.sql.datatypes import DuckDBType

    cols = con.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()
    return ibis.table(ibis.schema({c[0]: DuckDBType.from_string(c[1]) for c in cols}), name=name)


def duckdb_tables(con: duckdb.DuckDBPyConnection, members: str, district_prefix: str) -> Tables:
    """The tables of a DuckDB connection after :func:`~ipcockpit.navigation.analyses.prepare`, for :func:`sql`."""
    return Tables(members=_unbound(con, members), district_prefix=district_prefix,
                  **{k: _unbound(con, v) for k, v in DUCKDB_NAMES.items()})


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


def rounded(x: Any, digits: int) -> Any:
    """``x`` rounded to ``digits`` decimals, half away from zero, on the binary value: ``floor(|x|·10^d + 0.5) / 10^d``
    with x's sign. DuckDB's ``round`` does this; Spark's rounds the shortest decimal text of the double instead
    (0.12275, stored as 0.12274999…, gives 0.1228 there and 0.1227 in DuckDB), so the expressions spell it out."""
    f = 10 ** int(digits)
    return ibis.cases((x < 0, -((-x) * f + 0.5).floor() / f), else_=(x * f + 0.5).floor() / f)


def _cagr(last: Any, base: Any, years: int) -> Any:
    return ibis.cases(((base > 0) & (last > 0), rounded((last / base) ** (1 / years) - 1, 4)),
                      else_=ibis.null("float64"))


# direction ----------------------------------------------------------------------------------------------
def trend(t: Tables, level: str) -> Table:
    f = level_facts(t, level)
    f = f.filter(f.year.notnull())
    return f.group_by(["year", "office"]).aggregate(documents=f.count()).order_by(["year", "office"])


def lifecycle(t: Tables, level: str) -> Table:
    """Applications and applicants per filing year; no rows when the level has no applicant at all."""
    f = level_facts(t, level).select("doc_id", "year")
    f = f.filter(f.year.notnull())
    a = t.applicants
    j = f.left_join(a, f.doc_id == a.doc_id)
    g = j.group_by("year").aggregate(applications=j.doc_id.nunique(), applicants=j.applicant.nunique())
    here = _in_level(t, a, level)
    g = g.cross_join(here.aggregate(level_applicants=here.count())).filter(lambda x: x.level_applicants > 0)
    return g.select("year", "applications", "applicants").order_by("year")


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


def _windows(bd: Table, last: int | None, years: int) -> tuple[Any, Any]:
    if last is None:
        return ibis.literal(False), ibis.literal(False)
    return bd.year == int(last), bd.year == int(last) - int(years)


def branch_counts(t: Tables, level: str, last: int | None, years: int) -> Table:
    """Per branch (unordered): documents, share of the level's branched documents, filings of the last and the
    base year, the compound annual growth rate between them."""
    bd = branch_docs(t, level)
    tot = bd.aggregate(total=bd.doc_id.nunique())
    in_last, in_base = _windows(bd, last, years)
    c = bd.group_by("branch").aggregate(documents=bd.doc_id.nunique(), last_year=bd.doc_id.nunique(where=in_last),
                                        base_year=bd.doc_id.nunique(where=in_base))
    c = c.cross_join(tot)
    return c.select("branch", "documents", share=rounded(c.documents / c.total, 4), last_year=c.last_year,
                    base_year=c.base_year, cagr=_cagr(c.last_year, c.base_year, int(years)))


def branches(t: Tables, level: str, last: int | None, years: int) -> Table:
    return branch_counts(t, level, last, years).order_by([ibis.desc("documents"), "branch"])


def white_space(t: Tables, level: str, last: int | None, years: int, *, thin_share: float, rising_margin: float,
                rising_min_last: int) -> Table:
    """The thin branches (share below ``thin_share``) and the rising ones (CAGR at least ``rising_margin`` above the
    CAGR of all the level's branched documents, at least ``rising_min_last`` filings in the last year)."""
    bd = branch_docs(t, level)
    in_last, in_base = _windows(bd, last, years)
    o = bd.aggregate(lv_last=bd.doc_id.nunique(where=in_last), lv_base=bd.doc_id.nunique(where=in_base))
    o = o.select(level_cagr=_cagr(o.lv_last, o.lv_base, int(years)))
    c = branch_counts(t, level, last, years).cross_join(o)
    thin = c.share < float(thin_share)
    rising = ((c.cagr >= c.level_cagr + float(rising_margin)) & (c.last_year >= int(rising_min_last))).fill_null(False)
    kind = ibis.cases((thin & rising, "thin_rising"), (thin, "thin"), (rising, "rising"), else_=ibis.null("string"))
    c = c.select("branch", kind=kind, documents=c.documents, share=c.share, cagr=c.cagr, level_cagr=c.level_cagr)
    return c.filter(c.kind.notnull()).order_by(["kind", ibis.desc("documents"), "branch"])


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


def operations(t: Tables, level: str, kinds: tuple[str, ...] = OPERATIONS) -> Table:
    """Events and documents per operation (transfer, licence, pledge); no rows when the level's documents have no
    legal event at all (zeros would say "no operation", wrongly)."""
    e = _in_level(t, t.legal_events, level)
    per = [e.aggregate(operation=ibis.literal(k), events=e.count(where=e.event_class == k),
                       documents=e.doc_id.nunique(where=e.event_class == k), level_events=e.count()) for k in kinds]
    u = ibis.union(*per, distinct=False)
    return u.filter(u.level_events > 0).select("operation", "events", "documents").order_by("operation")


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
                   reference_total=j.reference_total, region_share=rounded(j.rn / j.region_total, 4),
                   reference_share=rounded(j.cn / j.reference_total, 4),
                   rta=rounded((j.rn / j.region_total) / (j.cn / j.reference_total), 3))
    return out.order_by([ibis.desc("rta"), ibis.desc("reference_documents"), "branch"])


# paths (Chongqing and the district) -------------------------------------------------------------------------
def attract(t: Tables, level: str, top: int, per_branch: int = 3) -> Table:
    """The level's weak branches (RTA < 1 against China, the largest in China first, at most ``top``) and in each
    the ``per_branch`` applicants of China with most documents in it that hold no document of the level
    (individuals left out)."""
    r = rta(t, level, "china")
    weak = r.filter(r.rta < 1).order_by([ibis.desc("reference_documents"), "branch"]).limit(top).select("branch")
    here = _in_level(t, t.applicants, level).select("applicant").distinct()
    bd = branch_docs(t, "china").select("doc_id", "branch")
    f = bd.join(t.applicants, "doc_id")
    f = f.semi_join(weak, f.branch == weak.branch)
    f = f.anti_join(here, f.applicant == here.applicant)
    w = t.who.filter(t.who.nature != "individual").select("applicant")
    f = f.semi_join(w, f.applicant == w.applicant)
    g = f.group_by(["branch", "applicant"]).aggregate(documents=f.doc_id.nunique())
    g = g.mutate(rank=ibis.row_number().over(group_by=g.branch, order_by=[ibis.desc(g.documents), g.applicant]) + 1)
    g = g.filter(g.rank <= per_branch).join(t.who, "applicant")
    return g.select("branch", "rank", "applicant", "name", "nature", "documents").order_by(["branch", "rank"])


def cultivate(t: Tables, level: str, last: int, top: int, k: int = 3) -> Table:
    """The level's own applicants (individuals left out) with more filings in the last ``k`` filing years than in
    the ``k`` before, most recent filings first."""
    f = level_facts(t, level).select("doc_id", "year")
    j = t.applicants.join(f, "doc_id")
    recent, earlier = j.year.between(last - k + 1, last), j.year.between(last - 2 * k + 1, last - k)
    x = j.group_by("applicant").aggregate(documents=j.doc_id.nunique(), recent=j.doc_id.nunique(where=recent),
                                          earlier=j.doc_id.nunique(where=earlier))
    x = x.join(t.who, "applicant")
    x = x.filter((x.nature != "individual") & (x.recent > x.earlier))
    x = x.select("applicant", "name", "nature", "documents", "recent", "earlier")
    return x.order_by([ibis.desc("recent"), ibis.desc("documents"), "applicant"]).limit(top)


def licensable(t: Tables, level: str, top: int) -> Table:
    """The level's documents in force, judged high-value, with a university or institute applicant, by value
    index."""
    f = level_facts(t, level)
    f = f.filter((f.legal_status == "in_force") & (f.high_value == "yes")).select("doc_id", "title", "value_index")
    j = f.join(t.applicants, "doc_id").join(t.who, "applicant")
    j = j.filter(j.nature.isin(["university", "institute"]))
    j = j.select("doc_id", "applicant", "title", "name", "nature", "value_index")
    return j.order_by([ibis.desc("value_index", nulls_first=False), "doc_id", "applicant"]).limit(top)


REFERENCE = {"china": "world", "chongqing": "china", "district": "china"}
PATH_LEVELS = ("chongqing", "district")


def expression(t: Tables, sid: str, level: str, *, top: int = 10, years: int = 5,
               last: int | None = None, thin_share: float = 0.05, rising_margin: float = 0.10,
               rising_min_last: int = 3) -> Table | None:
    """The expression of section ``sid`` (one of :data:`PORTED`) at ``level`` with the analyses' options (``last``:
    the level's last growth year, ``report["options"]["last_year"][level]``); None where the section is not drawn
    at that level (regions of the district, RTA of the world)."""
    if (sid == "direction.regions" and level == "district" or sid == "position.rta" and level == "world"
            or sid.startswith("path.") and (level not in PATH_LEVELS or sid == "path.cultivate" and last is None)):
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
        "direction.white_space": lambda: white_space(t, level, last, years, thin_share=thin_share,
                                                     rising_margin=rising_margin, rising_min_last=rising_min_last),
        "direction.operations": lambda: operations(t, level),
        "position.rta": lambda: rta(t, level, REFERENCE[level]),
        "path.attract": lambda: attract(t, level, top),
        "path.cultivate": lambda: cultivate(t, level, int(last or 0), top),
        "path.licensable": lambda: licensable(t, level, top),
    }
    if sid not in build:
        raise ValueError(f"section {sid!r} has no ibis expression; those that do: {', '.join(PORTED)}")
    return build[sid]()
