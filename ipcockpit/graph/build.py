"""The graph's node and edge lists, built from the store by DuckDB SQL into Parquet (GraphFrames-ready).

Nodes (``nodes.parquet``: ``id``, ``label``, ``name``, ``entity_id``, ``type``, ``documents``, ``families``,
``first_year``, ``last_year``, ``admin_code``, ``parent``, ``in_store``). An id is ``<kind>:<key>``, so that an
inventor and an applicant of the same folded name stay two nodes:

- ``organisation`` and ``individual`` (a person who applies or holds): ``org:<entity id>`` (the entity id of
  :mod:`ipcockpit.graph.ids`: ``o:…`` resolved, else ``n:<folded name>``); the parties of the holder roles
  (applicant, assignee, patentee, current owner), agents and examiners left out; ``type`` the most frequent
  party type, ``individual`` when it is ``person``;
- ``inventor``: ``inv:<entity id>``;
- ``family``: ``fam:<family id>`` (the document's ``family_id``, else its family in ``family_members``, DOCDB
  before the others, else the family of another publication of its application); a document of no known
  family stands with the other publications of its application: ``app:<app_id>`` (the application of another
  publication of the same office and number where it has none: CNIPA and EPO publish the grant under the
  application publication's number), else ``pub:<office><number>``, else ``doc:<doc_id>``; a cited
  publication that the store does not hold is a ``doc:`` node with ``in_store`` false;
- ``ipc_group``: ``ipc:<main group>`` (``H04N 19/00``) of the IPC codes; ``sei_branch``: ``sei:<branch code>``
  (``parent`` its industry); ``region``: ``region:<GB/T 2260 code>`` of a holder's address.

Edges (``edges.parquet``: ``src``, ``dst``, ``relationship``, ``weight``, ``first_year``, ``last_year``,
``evidence`` (up to five doc_ids), ``condition``), one row per pair and relationship:

- ``apply`` (applicant) and ``own`` (assignee, patentee, current owner): holder → family, ``weight`` documents;
- ``invent``: inventor → family, ``weight`` documents (so the sum of weights is the distinct (inventor entity,
  document) rows);
- ``co_invent``, ``co_apply``: the smaller id → the larger, ``weight`` families shared (holders: organisations
  and individuals alike);
- ``cite``: citing family → cited family (non-patent literature and citations within one family left out),
  ``weight`` citations;
- ``classified``: family → IPC main group; ``in_industry``: family → SEI branch by the concordance's IPC
  patterns and exclusions (``condition``: ``keyword_condition`` or ``exclusion`` where the rule also asks the
  text, which the graph does not read; the screening does);
- ``located_in``: holder → region, ``weight`` documents whose party row has that code;
- ``transfer``, ``licence``, ``pledge``: holder → counterparty (the assignee, licensee, pledgee a legal event
  names; its entity is the most frequent entity of the parties of that folded name, else ``n:<folded name>``),
  ``weight`` events. The holder is each holder of the document other than the counterparty itself (a
  transfer's assignor is not a column of the store); where the store names none, the edge starts at the
  family (the USPTO assignment records name the patent, not its holder). Events that name no counterparty
  (the CNIPA legal-status gazette) make no edge; the build counts them.

Years are of the first plausible of ``priority_date``, ``app_date``, ``pub_date`` (an impossible date, before
1790 or more than a year ahead, is passed over); an event's of its date. Stubs (publications a
source only refers to) take part where they have rows.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.graph.ids import inventor_ids_sql, party_ids_sql
from ipcockpit.graph.sei import SCHEME as SEI
from ipcockpit.graph.sei import sei_codes
from ipcockpit.model.names import normalise_name

HOLDER_ROLES = ("applicant", "assignee", "patentee", "current_owner")
OWN_ROLES = ("assignee", "patentee", "current_owner")
EVENT_RELATIONSHIPS = ("transfer", "licence", "pledge")
RELATIONSHIPS = ("apply", "own", "invent", "co_invent", "co_apply", "cite", "classified", "in_industry",
                 "located_in", *EVENT_RELATIONSHIPS)
#: the id prefixes of family nodes (see FAMILY_SQL)
FAMILY_PREFIXES = ("fam:", "app:", "pub:", "doc:")
LABELS = ("organisation", "individual", "inventor", "family", "ipc_group", "sei_branch", "region")
EVIDENCE = 5
_ROLES = "(" + ", ".join(f"'{r}'" for r in HOLDER_ROLES) + ")"
_OWN = "(" + ", ".join(f"'{r}'" for r in OWN_ROLES) + ")"
_EVENTS = "(" + ", ".join(f"'{r}'" for r in EVENT_RELATIONSHIPS) + ")"

NODE_SCHEMA = pa.schema([
    ("id", pa.string()), ("label", pa.string()), ("name", pa.string()), ("entity_id", pa.string()),
    ("type", pa.string()), ("documents", pa.int64()), ("families", pa.int64()), ("first_year", pa.int32()),
    ("last_year", pa.int32()), ("admin_code", pa.string()), ("parent", pa.string()), ("in_store", pa.bool_()),
])
EDGE_SCHEMA = pa.schema([
    ("src", pa.string()), ("dst", pa.string()), ("relationship", pa.string()), ("weight", pa.int64()),
    ("first_year", pa.int32()), ("last_year", pa.int32()), ("evidence", pa.list_(pa.string())),
    ("condition", pa.string()),
])


def default_folder(db: str | os.PathLike[str]) -> Path:
    """Where the graph of the store ``db`` goes unless given: ``<stem>.graph`` beside the DuckDB file."""
    p = Path(db)
    return p.with_name(p.stem + ".graph")


def _evidence(col: str = "doc_id") -> str:
    return f"list_slice(list(DISTINCT {col} ORDER BY {col}), 1, {EVIDENCE})"


#: the date of a document's work (alias ``d``): the first plausible of its priority, filing and publication
#: dates; a date before 1790 or more than a year ahead is impossible (the data-quality check's impossible dates,
#: e.g. a priority date of year 8643 read from a defective source) and is passed over
DAY_SQL = "coalesce(" + ", ".join(
    f"CASE WHEN d.{c} BETWEEN DATE '1790-01-01' AND current_date + INTERVAL 1 YEAR THEN d.{c} END"
    for c in ("priority_date", "app_date", "pub_date")) + ")"
#: each document's family node (``fam``) and year: its family (its own ``family_id``, else one from
#: ``family_members``, DOCDB first, else one of another publication of its application), else its application
#: (``app_id``, else that of another publication of the same office and number: CNIPA and EPO grant under the
#: number of the application's publication), else its office and number, else the document itself
FAMILY_SQL = (
    "WITH d0 AS (SELECT d.*, coalesce(d.family_id, f.family_id) AS fid, "
    "coalesce(d.app_id, CASE WHEN d.number IS NOT NULL THEN max(d.app_id) OVER (PARTITION BY d.office, d.number) "
    "END) AS aid FROM documents d LEFT JOIN (SELECT doc_id, arg_min(family_id, (CASE scheme WHEN 'docdb' THEN 0 "
    "ELSE 1 END, family_id)) AS family_id FROM family_members GROUP BY doc_id) f USING (doc_id)), "
    "d1 AS (SELECT *, coalesce(fid, CASE WHEN aid IS NOT NULL THEN max(fid) OVER (PARTITION BY aid) END, "
    "CASE WHEN number IS NOT NULL THEN max(fid) OVER (PARTITION BY office, number) END) AS fid2 FROM d0) "
    "SELECT d.doc_id, d.title, d.stub, CASE WHEN d.fid2 IS NOT NULL THEN 'fam:' || d.fid2 "
    "WHEN d.aid IS NOT NULL THEN 'app:' || d.aid WHEN d.number IS NOT NULL THEN 'pub:' || d.office || d.number "
    f"ELSE 'doc:' || d.doc_id END AS fam, year({DAY_SQL}) AS year FROM d1 d")


def _steps(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The temp tables of the build, in order: (name, SELECT)."""
    return [
        ("g_fam", FAMILY_SQL),
        ("g_holder", "SELECT p.doc_id, p.seq, p.role, p.name_raw, p.type, p.admin_code, 'org:' || p.entity_id AS node, "
                     f"g.fam, g.year FROM ({party_ids_sql(con)}) p JOIN g_fam g USING (doc_id) "
                     f"WHERE p.role IN {_ROLES} AND p.entity_id IS NOT NULL"),
        ("g_inv", "SELECT i.doc_id, i.seq, i.name_raw, 'inv:' || i.entity_id AS node, i.entity_id, g.fam, g.year "
                  f"FROM ({inventor_ids_sql(con)}) i JOIN g_fam g USING (doc_id) WHERE i.entity_id IS NOT NULL"),
        ("g_ipc", "SELECT DISTINCT c.doc_id, g.fam, g.year, c.code, "
                  "CASE WHEN contains(c.code, '/') THEN split_part(c.code, '/', 1) || '/00' ELSE NULL END AS grp "
                  "FROM classifications c JOIN g_fam g USING (doc_id) WHERE c.scheme = 'IPC'"),
        ("g_sei", "SELECT DISTINCT i.doc_id, i.fam, i.year, s.branch AS code, s.reading FROM g_ipc i "
                  "JOIN g_sei_codes s USING (code)"),
        ("g_event", "SELECT e.doc_id, e.event_class, e.counterparty, year(e.event_date) AS year, "
                    "row_number() OVER () AS event_no FROM legal_events e "
                    f"WHERE e.event_class IN {_EVENTS}"),
    ]


def _edges_sql() -> list[str]:
    span = "min(year) AS first_year, max(year) AS last_year"
    return [
        # holder -> family
        f"SELECT node AS src, fam AS dst, CASE WHEN role = 'applicant' THEN 'apply' ELSE 'own' END AS relationship, "
        f"count(DISTINCT doc_id) AS weight, {span}, {_evidence()} AS evidence, NULL AS condition "
        "FROM g_holder GROUP BY ALL",
        f"SELECT node, fam, 'invent', count(DISTINCT doc_id), {span}, {_evidence()}, NULL FROM g_inv GROUP BY ALL",
        # pairs that share a family
        "WITH f AS (SELECT DISTINCT node, fam, year, doc_id FROM g_inv) "
        f"SELECT a.node, b.node, 'co_invent', count(DISTINCT a.fam), min(a.year), max(a.year), "
        f"{_evidence('a.doc_id')}, NULL FROM f a JOIN f b ON a.fam = b.fam AND a.node < b.node GROUP BY ALL",
        "WITH f AS (SELECT DISTINCT node, fam, year, doc_id FROM g_holder) "
        f"SELECT a.node, b.node, 'co_apply', count(DISTINCT a.fam), min(a.year), max(a.year), "
        f"{_evidence('a.doc_id')}, NULL FROM f a JOIN f b ON a.fam = b.fam AND a.node < b.node GROUP BY ALL",
        # family -> cited family
        "SELECT g.fam, coalesce(t.fam, 'doc:' || c.cited_doc_id), 'cite', count(*), min(g.year), max(g.year), "
        f"{_evidence('c.doc_id')}, NULL FROM citations c JOIN g_fam g USING (doc_id) "
        "LEFT JOIN g_fam t ON t.doc_id = c.cited_doc_id "
        "WHERE c.cited_doc_id IS NOT NULL AND NOT coalesce(c.npl, false) "
        "AND g.fam <> coalesce(t.fam, 'doc:' || c.cited_doc_id) GROUP BY ALL",
        f"SELECT fam, 'ipc:' || grp, 'classified', count(DISTINCT doc_id), {span}, {_evidence()}, NULL "
        "FROM g_ipc WHERE grp IS NOT NULL GROUP BY ALL",
        f"SELECT fam, 'sei:' || code, 'in_industry', count(DISTINCT doc_id), {span}, {_evidence()}, "
        "CASE WHEN bool_or(coalesce(reading, 'product') IN ('product', 'ipc_only')) THEN NULL "
        "ELSE min(reading) END FROM g_sei GROUP BY fam, code",
        f"SELECT node, 'region:' || admin_code, 'located_in', count(DISTINCT doc_id), {span}, {_evidence()}, NULL "
        "FROM g_holder WHERE admin_code IS NOT NULL GROUP BY ALL",
        # holder -> counterparty of a transfer, licence or pledge
        "WITH h AS (SELECT DISTINCT e.event_no, h.node FROM g_event_cp e JOIN g_holder h USING (doc_id) "
        "WHERE h.node <> e.cp_node), "
        "src AS (SELECT e.*, coalesce(h.node, g.fam) AS src FROM g_event_cp e LEFT JOIN h USING (event_no) "
        "JOIN g_fam g USING (doc_id)) "
        "SELECT src, cp_node, event_class, count(DISTINCT event_no), min(year), max(year), "
        f"{_evidence('doc_id')}, NULL FROM src GROUP BY ALL",
    ]


def _counterparties(con: duckdb.DuckDBPyConnection) -> None:
    """``g_event_cp``: the events with their counterparty's node (the name folded as the loader folds names)."""
    names = [r[0] for r in con.execute("SELECT DISTINCT counterparty FROM g_event WHERE counterparty IS NOT NULL")
             .fetchall()]
    folded = pa.table({"counterparty": pa.array(names, pa.string()),
                       "norm": pa.array([normalise_name(n) for n in names], pa.string())})
    con.register("_g_cp_names", folded)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE g_event_cp AS "
            f"WITH p AS (SELECT name_norm, entity_id FROM ({party_ids_sql(con)}) WHERE role IN {_ROLES}), "
            f"by_name AS (SELECT name_norm, value AS entity_id FROM {_most('p', 'name_norm', 'entity_id')}) "
            "SELECT e.*, c.norm, 'org:' || coalesce(b.entity_id, 'n:' || c.norm) AS cp_node "
            "FROM g_event e JOIN _g_cp_names c USING (counterparty) LEFT JOIN by_name b ON b.name_norm = c.norm "
            "WHERE c.norm IS NOT NULL")
    finally:
        con.unregister("_g_cp_names")


def _most(table: str, key: str, col: str) -> str:
    """The most frequent non-null ``col`` of each ``key`` of ``table`` (ties: the smallest), as ``key, value``."""
    return (f"(SELECT {key}, {col} AS value FROM (SELECT {key}, {col}, row_number() OVER (PARTITION BY {key} "
            f"ORDER BY count(*) DESC, {col}) AS r FROM {table} WHERE {col} IS NOT NULL "
            f"GROUP BY {key}, {col}) WHERE r = 1)")


_NODES_SQL = [
    # holders: organisation, or individual when their most frequent party type is person
    "SELECT h.node AS id, CASE WHEN any_value(t.value) = 'person' THEN 'individual' ELSE 'organisation' END, "
    "any_value(n.value), substr(h.node, 5), any_value(t.value), count(DISTINCT h.doc_id), count(DISTINCT h.fam), "
    "min(h.year), max(h.year), any_value(a.value), NULL, true FROM g_holder h "
    f"LEFT JOIN {_most('g_holder', 'node', 'type')} t USING (node) "
    f"LEFT JOIN {_most('g_holder', 'node', 'name_raw')} n USING (node) "
    f"LEFT JOIN {_most('g_holder', 'node', 'admin_code')} a USING (node) GROUP BY h.node",
    # counterparties that hold nothing in the store
    "SELECT e.cp_node, 'organisation', any_value(n.value), substr(e.cp_node, 5), NULL, 0, 0, NULL, NULL, NULL, NULL, "
    f"false FROM g_event_cp e LEFT JOIN {_most('g_event_cp', 'cp_node', 'counterparty')} n USING (cp_node) "
    "WHERE e.cp_node NOT IN (SELECT node FROM g_holder) GROUP BY e.cp_node",
    "SELECT i.node, 'inventor', any_value(n.value), substr(i.node, 5), NULL, count(DISTINCT i.doc_id), "
    f"count(DISTINCT i.fam), min(i.year), max(i.year), NULL, NULL, true FROM g_inv i "
    f"LEFT JOIN {_most('g_inv', 'node', 'name_raw')} n USING (node) GROUP BY i.node",
    "SELECT fam, 'family', arg_min(title, (title IS NULL, doc_id)), NULL, NULL, count(*), 1, min(year), max(year), "
    "NULL, NULL, true FROM g_fam GROUP BY fam",
    # cited publications outside the store
    "SELECT DISTINCT 'doc:' || c.cited_doc_id, 'family', NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, false "
    "FROM citations c WHERE c.cited_doc_id IS NOT NULL AND NOT coalesce(c.npl, false) "
    "AND c.cited_doc_id NOT IN (SELECT doc_id FROM g_fam)",
    "SELECT 'ipc:' || grp, 'ipc_group', coalesce(any_value(tz.title), any_value(te.title)), NULL, NULL, "
    "count(DISTINCT i.doc_id), count(DISTINCT i.fam), min(i.year), max(i.year), NULL, left(grp, 4), true "
    "FROM g_ipc i LEFT JOIN ref_ipc_titles tz ON tz.code = i.grp AND tz.lang = 'zh' "
    "LEFT JOIN ref_ipc_titles te ON te.code = i.grp AND te.lang = 'en' WHERE grp IS NOT NULL GROUP BY grp",
    f"SELECT 'sei:' || s.code, 'sei_branch', any_value(r.name), NULL, NULL, count(DISTINCT s.doc_id), "
    "count(DISTINCT s.fam), min(s.year), max(s.year), NULL, any_value(r.parent_code), true FROM g_sei s "
    f"LEFT JOIN (SELECT DISTINCT code, name, parent_code FROM ref_ipc_concordance WHERE scheme = '{SEI}') r "
    "USING (code) GROUP BY s.code",
    "SELECT 'region:' || admin_code, 'region', NULL, NULL, NULL, count(DISTINCT doc_id), count(DISTINCT fam), "
    "min(year), max(year), admin_code, NULL, true FROM g_holder WHERE admin_code IS NOT NULL GROUP BY admin_code",
]


def build_graph(con: duckdb.DuckDBPyConnection, folder: str | os.PathLike[str],
                source: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the graph of the store on ``con`` into ``folder`` (``nodes.parquet``, ``edges.parquet``,
    ``graph.json``); returns the summary written to ``graph.json``: counts by label and relationship,
    ``events_without_counterparty``, ``seconds`` (``stages``: each step's) and ``source`` (what the caller says
    it was built from)."""
    started = time.perf_counter()
    stages: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = round(now - since, 3)
        return now

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    [(catalog,)] = con.execute("SELECT current_database()").fetchall()
    cur = con.cursor()  # temp tables of its own, gone when it closes
    t = started
    try:
        cur.execute(f'USE "{catalog}"')  # a cursor starts in the default catalog; the store may be attached
        for name, sql in _steps(cur):
            if name == "g_sei":  # the SEI branches of the IPC codes, matched once per distinct code
                cur.register("g_sei_codes", sei_codes(cur, "SELECT code FROM g_ipc"))
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
            t = lap(name, t)
        _counterparties(cur)
        t = lap("g_event_cp", t)
        edges = _arrow(cur, " UNION ALL ".join(f"({s})" for s in _edges_sql()), EDGE_SCHEMA)
        t = lap("edges", t)
        nodes = _name_regions(_arrow(cur, " UNION ALL ".join(f"({s})" for s in _NODES_SQL), NODE_SCHEMA))
        t = lap("nodes", t)
        no_cp = cur.execute("SELECT count(*) FROM g_event WHERE event_no NOT IN (SELECT event_no FROM g_event_cp)"
                            ).fetchall()[0][0]
    finally:
        cur.close()
    import pyarrow.parquet as pq

    pq.write_table(nodes, out / "nodes.parquet")
    pq.write_table(edges, out / "edges.parquet")
    lap("write", t)
    summary = {
        "folder": str(out),
        "nodes": nodes.num_rows,
        "edges": edges.num_rows,
        "by_label": _counts(nodes, "label", LABELS),
        "by_relationship": _counts(edges, "relationship", RELATIONSHIPS),
        "events_without_counterparty": int(no_cp),
        "seconds": round(time.perf_counter() - started, 3),
        "stages": stages,
        "source": source,
    }
    (out / "graph.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary


def _arrow(cur: duckdb.DuckDBPyConnection, sql: str, schema: pa.Schema) -> pa.Table:
    table = cur.sql(sql).to_arrow_table()
    table = table.rename_columns(schema.names)
    return table.cast(schema)


def _name_regions(nodes: pa.Table) -> pa.Table:
    """Region nodes get the name of their GB/T 2260 division (``parent``: the division above)."""
    from ipcockpit.model.addresses import division

    labels = nodes.column("label").to_pylist()
    names = nodes.column("name").to_pylist()
    parents = nodes.column("parent").to_pylist()
    codes = nodes.column("admin_code").to_pylist()
    for k, label in enumerate(labels):
        if label == "region" and codes[k]:
            d = division(codes[k])
            names[k] = d.name if d is not None else None
            up = codes[k][:4] + "00" if not codes[k].endswith("00") else codes[k][:2] + "0000"
            parents[k] = None if up == codes[k] else "region:" + up
    nodes = nodes.set_column(nodes.schema.get_field_index("name"), "name", pa.array(names, pa.string()))
    return nodes.set_column(nodes.schema.get_field_index("parent"), "parent", pa.array(parents, pa.string()))


def _counts(table: pa.Table, column: str, order: tuple[str, ...]) -> dict[str, int]:
    got = dict(zip(*[c.to_pylist() for c in table.group_by(column).aggregate([(column, "count")]).columns],
                   strict=True))
    return {k: int(got.get(k, 0)) for k in order}


def read_graph(folder: str | os.PathLike[str]) -> tuple[pa.Table, pa.Table]:
    """The node and edge tables of a built graph."""
    import pyarrow.parquet as pq

    from ipcockpit.graph.errors import GraphMissingError

    root = Path(folder)
    if not (root / "edges.parquet").exists() or not (root / "nodes.parquet").exists():
        raise GraphMissingError(f"{root}: no graph there; build it with `ipcockpit graph build`")
    return pq.read_table(root / "nodes.parquet"), pq.read_table(root / "edges.parquet")
