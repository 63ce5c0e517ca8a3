"""The knowledge graph on real data: edge lists equal independent recounts, a known co-invention, the explorer's
subgraph, communities and centrality, and exports that round-trip (igraph reads the GraphML back; the Neo4j CSV
has the importer's headers and every relationship's ends are nodes).

The store is tests/graph_support.py's real mix (CN, US, Lens; citations, transfers and pledges).
"""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from datetime import date
from pathlib import Path

import igraph as ig
import pyarrow.compute as pc
import pytest
from graph_support import INVENTOR_IDS, PARTY_IDS, graph_mix
from shared_stores import copy_store

from ipcockpit.app import Cockpit
from ipcockpit.graph.build import FAMILY_SQL, read_graph
from ipcockpit.model.names import normalise_name
from ipcockpit.settings import Settings

NEXT_YEAR = date.today().year + 1


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> tuple[Cockpit, Path, dict]:
    folder = tmp_path_factory.mktemp("graph")
    db = copy_store(graph_mix(tmp_path_factory, shared), folder)
    cockpit = Cockpit(Settings(db=str(db)))
    summary = cockpit.graph_build()
    yield cockpit, Path(summary["folder"]), summary
    cockpit.close()


def _families(cockpit: Cockpit) -> dict[str, str]:
    """Each document's family node by the rule of docs/entities.md, recomputed here in Python (no family ids
    in this store, so: the application, else the office and number, else the document)."""
    rows = cockpit.store.con.execute("SELECT doc_id, office, number, app_id, family_id FROM documents").fetchall()
    assert all(r[4] is None for r in rows) and not cockpit.store.count("family_members")
    app_of: dict[tuple, str] = {}
    for _, office, number, app, _ in rows:
        if app and number:
            app_of[(office, number)] = max(app, app_of.get((office, number), app))
    out = {}
    for doc, office, number, app, _ in rows:
        app = app or (app_of.get((office, number)) if number else None)
        out[doc] = f"app:{app}" if app else f"pub:{office}{number}" if number else f"doc:{doc}"
    return out


def _edges(folder: Path, relationship: str) -> list[dict]:
    _, edges = read_graph(folder)
    return edges.filter(pc.equal(edges["relationship"], relationship)).to_pylist()


def _eid(con: object, table: str, name_norm: str) -> str:
    """The one entity id that the rows of a folded name have (ingest resolved them)."""
    [(eid,)] = con.execute(f"SELECT DISTINCT eid FROM {table} WHERE name_norm = ?", [name_norm]).fetchall()
    return eid


def test_invent_and_apply_edges_equal_recounts(built: tuple[Cockpit, Path, dict]) -> None:
    """Counted by entity (ingest resolved the organisations and inventors). Two places where an entity is not a
    folded name, each checked here: the three withheld inventors of CN118206683A (请求不公布姓名) are three
    people, and US10016497B2's two spellings of one applicant ("UNIV PENNSYLVANIA", "THE TRUSTEES OF THE
    UNIVERSTIY OF PENNSYLVANIA") are one organisation."""
    cockpit, folder, summary = built
    fam = _families(cockpit)
    con = cockpit.store.con
    inv = con.execute(f"SELECT DISTINCT eid, doc_id FROM {INVENTOR_IDS} WHERE name_norm IS NOT NULL").fetchall()
    by_name = con.execute("SELECT DISTINCT name_norm, doc_id FROM inventors WHERE name_norm IS NOT NULL").fetchall()
    withheld = {e for e, d in inv if d == "CN118206683A"} - {e for e, d in inv if d != "CN118206683A"}
    assert len(inv) == len(by_name) + 2 and len(withheld) >= 3
    edges = _edges(folder, "invent")
    assert sum(e["weight"] for e in edges) == len(inv)  # distinct (inventor, document) rows
    assert len(edges) == len({(n, fam[d]) for n, d in inv}) == summary["by_relationship"]["invent"]
    apply = con.execute(f"SELECT DISTINCT eid, doc_id FROM {PARTY_IDS} WHERE role = 'applicant' "
                        "AND name_norm IS NOT NULL").fetchall()
    by_name = con.execute("SELECT DISTINCT name_norm, doc_id FROM parties WHERE role = 'applicant' "
                          "AND name_norm IS NOT NULL").fetchall()
    penn = con.execute(f"SELECT count(DISTINCT name_norm), count(DISTINCT eid) FROM {PARTY_IDS} "
                       "WHERE doc_id = 'US10016497B2' AND role = 'applicant' AND name_raw IN "
                       "('UNIV PENNSYLVANIA', 'THE TRUSTEES OF THE UNIVERSTIY OF PENNSYLVANIA')").fetchall()
    assert len(apply) == len(by_name) - 1 and penn == [(2, 1)]
    edges = _edges(folder, "apply")
    assert sum(e["weight"] for e in edges) == len(apply)
    assert len(edges) == len({(n, fam[d]) for n, d in apply})


def test_co_invent_cite_and_classified_edges_equal_recounts(built: tuple[Cockpit, Path, dict]) -> None:
    cockpit, folder, _ = built
    fam = _families(cockpit)
    con = cockpit.store.con
    members = defaultdict(set)
    for eid, doc in con.execute(f"SELECT eid, doc_id FROM {INVENTOR_IDS} WHERE name_norm IS NOT NULL").fetchall():
        members[fam[doc]].add(eid)
    pairs = defaultdict(int)
    for names in members.values():
        for a, b in itertools.combinations(sorted(names), 2):
            pairs[(a, b)] += 1
    got = {(e["src"][4:], e["dst"][4:]): e["weight"] for e in _edges(folder, "co_invent")}  # "inv:" off
    assert got == dict(pairs)
    cites = set()
    for doc, cited in con.execute("SELECT doc_id, cited_doc_id FROM citations WHERE cited_doc_id IS NOT NULL "
                                  "AND NOT coalesce(npl, false)").fetchall():
        a, b = fam[doc], fam.get(cited, f"doc:{cited}")
        if a != b:
            cites.add((a, b))
    assert {(e["src"], e["dst"]) for e in _edges(folder, "cite")} == cites and len(cites) > 1000
    groups = {(fam[d], c.split("/")[0] + "/00") for d, c in con.execute(
        "SELECT doc_id, code FROM classifications WHERE scheme = 'IPC' AND contains(code, '/')").fetchall()}
    assert {(e["src"], e["dst"][4:]) for e in _edges(folder, "classified")} == groups


def test_pledge_and_transfer_edges_equal_recounts(built: tuple[Cockpit, Path, dict]) -> None:
    """Each event with a counterparty gives one edge from each holder of its document (else from the
    family) to the counterparty; the USPTO security interests are pledges to their secured party. A holder is
    its organisation entity; a counterparty is the entity most of the holders of its folded name have (ties: the
    smallest id), else its folded name."""
    cockpit, folder, summary = built
    fam = _families(cockpit)
    con = cockpit.store.con
    holders = defaultdict(set)
    entities_of = defaultdict(lambda: defaultdict(int))
    for doc, norm, eid in con.execute(f"SELECT doc_id, name_norm, eid FROM {PARTY_IDS} WHERE role IN ('applicant', "
                                      "'assignee', 'patentee', 'current_owner') AND name_norm IS NOT NULL").fetchall():
        holders[doc].add(f"org:{eid}")
        entities_of[norm][eid] += 1

    def entity(norm: str) -> str:
        counts = entities_of.get(norm)
        return min(counts, key=lambda e: (-counts[e], e)) if counts else f"n:{norm}"

    for event_class in ("pledge", "transfer"):
        want = defaultdict(int)
        for doc, cp in con.execute("SELECT doc_id, counterparty FROM legal_events WHERE event_class = ? "
                                   "AND counterparty IS NOT NULL", [event_class]).fetchall():
            target = f"org:{entity(normalise_name(cp))}"
            for src in (holders[doc] - {target}) or {fam[doc]}:
                want[(src, target)] += 1
        got = {(e["src"], e["dst"]): e["weight"] for e in _edges(folder, event_class)}
        assert got == dict(want), event_class
    assert summary["by_relationship"]["pledge"] == 290


def test_a_known_co_invention(built: tuple[Cockpit, Path, dict]) -> None:
    """孟跃中 and 王拴紧 (Sun Yat-sen University, CO2-based polymers) invent together on 29 publications of the
    export, the A and B publications of one application counting once."""
    cockpit, folder, _ = built
    meng, wang = (_eid(cockpit.store.con, INVENTOR_IDS, n) for n in ("孟跃中", "王拴紧"))
    pair = tuple(sorted((f"inv:{meng}", f"inv:{wang}")))
    [edge] = [e for e in _edges(folder, "co_invent") if (e["src"], e["dst"]) == pair]
    docs = cockpit.store.con.execute(
        "SELECT count(DISTINCT a.doc_id), count(DISTINCT a.doc_id) FILTER (right(a.doc_id, 1) = 'B') "
        "FROM inventors a JOIN inventors b USING (doc_id) WHERE a.name_norm = '孟跃中' AND b.name_norm = '王拴紧'"
    ).fetchall()[0]
    assert docs[0] == 29 and edge["weight"] < docs[0]  # A and B of one application: one family
    assert "CN117736420A" not in edge["evidence"] or "CN117736420B" not in edge["evidence"]
    team = cockpit.talent_team("孟跃中")
    [mate] = [r for r in team["coinventors"] if r["inventor"] == wang]
    assert mate["documents"] == 29 and mate["families"] == edge["weight"]
    assert mate["employer_name"] == "中山大学"


def test_the_explorer_expands_filters_and_caps(built: tuple[Cockpit, Path, dict]) -> None:
    cockpit, _, _ = built
    data = cockpit.graph_subgraph("中山大学", depth=2, limit=40)
    ids = {n["id"] for n in data["nodes"]}
    sysu = _eid(cockpit.store.con, PARTY_IDS, "中山大学")
    assert sysu.startswith("o:") and data["center"]["id"] == f"org:{sysu}" and len(ids) == 40 and data["truncated"]
    assert all(link["source"] in ids and link["target"] in ids for link in data["links"])
    assert {c["name"] for c in data["categories"]} >= {"organisation", "inventor", "family"}
    recent = cockpit.graph_subgraph("孟跃中", year_from=2024, limit=500)
    assert recent["links"] and all(link["last_year"] >= 2024 for link in recent["links"])
    field = cockpit.graph_subgraph("孟跃中", depth=2, ipc="C08G", limit=500)
    fams = {n["id"] for n in field["nodes"] if n["label"] == "family"}
    assert fams and all(any(link["source"] == f and link["target"].startswith("ipc:C08G")
                            for link in field["links"]) for f in fams)
    assert not any(link["relationship"] in ("co_invent", "co_apply") for link in field["links"])


def test_communities_are_stable_and_centrality_matches_degree(built: tuple[Cockpit, Path, dict]) -> None:
    cockpit, folder, _ = built
    a, b = cockpit.graph_communities(top=5), cockpit.graph_communities(top=5)
    assert a == b and a["count"] > 10 and 0 < a["modularity"] <= 1
    central = cockpit.graph_centrality(relationships=["co_invent"], top=5)
    top = central["by"]["degree"][0]
    assert top["degree"] == sum(1 for e in _edges(folder, "co_invent") if top["id"] in (e["src"], e["dst"]))
    assert central["betweenness_cutoff"] is None  # a graph this small gets exact betweenness


def test_exports_round_trip(built: tuple[Cockpit, Path, dict], tmp_path: Path) -> None:
    cockpit, folder, summary = built
    nodes, edges = read_graph(folder)
    # GraphFrames' layout: nodes `id` (unique), edges `src`, `dst` (nodes), `relationship`
    ids = set(nodes["id"].to_pylist())
    assert len(ids) == nodes.num_rows and {"src", "dst", "relationship"} <= set(edges.column_names)
    assert set(edges["src"].to_pylist()) | set(edges["dst"].to_pylist()) <= ids
    out = cockpit.graph_export("graphml", str(tmp_path / "g.graphml"))
    g = ig.Graph.Read_GraphML(out["path"])
    assert (g.vcount(), g.ecount()) == (nodes.num_rows, edges.num_rows) == (summary["nodes"], summary["edges"])
    assert sorted(g.vs["node_id"]) == sorted(nodes["id"].to_pylist())
    back = sorted((g.vs[e.source]["node_id"], g.vs[e.target]["node_id"], e["relationship"], int(e["weight"]))
                  for e in g.es)
    assert back == sorted(zip(edges["src"].to_pylist(), edges["dst"].to_pylist(),
                              edges["relationship"].to_pylist(), edges["weight"].to_pylist(), strict=True))
    neo = cockpit.graph_export("neo4j", str(tmp_path / "neo"), relationships=["co_invent", "invent"])
    with open(tmp_path / "neo" / "nodes.csv", encoding="utf-8", newline="") as f:
        node_rows = list(csv.DictReader(f))
    with open(tmp_path / "neo" / "relationships.csv", encoding="utf-8", newline="") as f:
        rel_rows = list(csv.DictReader(f))
    assert {"id:ID", ":LABEL", "documents:long"} <= set(node_rows[0])
    assert list(rel_rows[0])[:3] == [":START_ID", ":END_ID", ":TYPE"]
    counts = summary["by_relationship"]
    assert len(rel_rows) == neo["edges"] == counts["invent"] + counts["co_invent"]
    ids = {r["id:ID"] for r in node_rows}
    assert len(ids) == len(node_rows) == neo["nodes"]
    assert all(r[":START_ID"] in ids and r[":END_ID"] in ids for r in rel_rows)
    assert {r[":TYPE"] for r in rel_rows} == {"INVENT", "CO_INVENT"}
    assert {r[":LABEL"] for r in node_rows} == {"Inventor", "Family"}


def test_summary_says_when_the_graph_is_stale(built: tuple[Cockpit, Path, dict], tmp_path: Path,
                                              shared: Path) -> None:
    cockpit, _, summary = built
    assert cockpit.graph_summary()["stale"] is False
    other = Cockpit(Settings(db=str(copy_store(Path(cockpit.store.path), tmp_path))))
    try:
        other.graph_build(str(tmp_path / "g"))
        other.ingest([shared / "cn/pss_exports"])
        assert other.graph_summary(str(tmp_path / "g"))["stale"] is True
    finally:
        other.close()


def test_sei_matching_in_python_equals_duckdbs_regex(built: tuple[Cockpit, Path, dict]) -> None:
    """The graph matches IPC codes to SEI rules in Python (once per code); the screening matches them in DuckDB.
    Both read the same patterns the same way on every IPC code of the store. DuckDB matches one rule per query,
    its patterns passed as parameters: the same pairs as joining every code with every rule (3,008 codes, 1,689
    rules), where the join, a pattern per row, took 14 s and this takes 1 s."""
    from ipcockpit.graph.sei import sei_codes

    cockpit, _, _ = built
    con = cockpit.store.con
    codes = "SELECT DISTINCT code FROM classifications WHERE scheme = 'IPC'"
    ours = {(r["code"], r["branch"]) for r in sei_codes(con, codes).to_pylist()}
    rules = con.execute("SELECT code, ipc_regex, exclusion_regex FROM ref_ipc_concordance WHERE scheme = 'sei2021' "
                        "AND coalesce(class_scheme, 'IPC') = 'IPC'").fetchall()
    theirs = {(code, branch) for branch, pattern, exclusion in rules for (code,) in con.execute(
        f"SELECT code FROM ({codes}) WHERE regexp_full_match(code, ?) "
        "AND NOT coalesce(regexp_full_match(code, ?), false)", [pattern, exclusion]).fetchall()}
    assert ours == theirs and len(ours) > 1000


def test_an_impossible_priority_date_does_not_hide_the_year(tmp_path_factory: pytest.TempPathFactory,
                                                            shared: Path) -> None:
    """PATENTSCOPE's pizza export gives EP1605700 (published 2005-12-14) a priority date in the year 8643, and 41
    other records such dates: the year of the work is the first plausible date, here the publication's."""
    from shared_stores import patentscope_pizza  # the store tests/test_ingest_exports.py starts from too

    db = copy_store(patentscope_pizza(tmp_path_factory, shared)[0], tmp_path_factory.mktemp("ps"))
    with Cockpit(Settings(db=str(db))) as cockpit:
        con = cockpit.store.con
        assert con.execute("SELECT year(priority_date), pub_date FROM documents WHERE doc_id = 'EP1605700'"
                           ).fetchall()[0][0] == 8643
        summary = cockpit.graph_build()
        nodes, _ = read_graph(summary["folder"])
        rows = nodes.filter(pc.equal(nodes["label"], "family")).to_pylist()
        assert max(r["last_year"] for r in rows if r["last_year"] is not None) <= NEXT_YEAR
        bad = con.execute("SELECT doc_id FROM documents WHERE year(priority_date) > 2100").fetchall()
        assert len(bad) == 42
        years = dict(con.execute(f"SELECT doc_id, year FROM ({FAMILY_SQL}) WHERE doc_id IN "
                                 "(SELECT doc_id FROM documents WHERE year(priority_date) > 2100)").fetchall())
        assert years["EP1605700"] == 2005 and all(y is not None and y <= NEXT_YEAR for y in years.values())
