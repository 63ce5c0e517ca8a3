"""Talent on real data (tests/graph_support.py's mix): employers over time and mobility events with their
evidence, flows that add up, key inventors whose unknown high-value answers stay unknown, the team around an
inventor, resolved inventor ids, and the ``graph`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graph_support import INVENTOR_IDS, PARTY_IDS, graph_mix
from shared_stores import copy_store
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app
from ipcockpit.settings import Settings

HOLDERS = "('applicant', 'assignee', 'patentee')"


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Cockpit:
    db = copy_store(graph_mix(tmp_path_factory, shared), tmp_path_factory.mktemp("talent"))
    c = Cockpit(Settings(db=str(db)))
    yield c
    c.close()


def test_a_real_inventor_who_changes_applicant(cockpit: Cockpit) -> None:
    """冯钰新 invents for 中山大学 (with 中山大学深圳研究院 on one of them) until January 2025, then for
    中山大学附属第六医院: one move, dated by the first document of the new employer; the two applicants of one
    document are no move. The move starts from 中山大学, the one of the two that ended last with more documents.
    Ingest resolved the inventor and the organisations: the ids are those of the entity tables."""
    con = cockpit.store.con
    org_id = dict(con.execute(f"SELECT DISTINCT name_norm, eid FROM {PARTY_IDS} WHERE name_norm IN "
                              "('中山大学', '中山大学深圳研究院', '中山大学附属第六医院')").fetchall())
    assert all(v.startswith("o:") for v in org_id.values()) and len(org_id) == len(set(org_id.values())) == 3
    [(person,)] = con.execute(f"SELECT DISTINCT eid FROM {INVENTOR_IDS} WHERE name_norm = '冯钰新'").fetchall()
    data = cockpit.talent_employers("冯钰新")
    assert data["inventor"]["entity_id"] == person and data["resolved"] is True
    assert [(s["org"], s["org_name"]) for s in data["employers"]] == [
        (org_id[n], n) for n in ("中山大学", "中山大学深圳研究院", "中山大学附属第六医院")]
    [move] = data["events"]
    assert (move["from_org"], move["to_org"]) == (org_id["中山大学"], org_id["中山大学附属第六医院"])
    assert move["year"] == 2025
    assert move["evidence"] == ["CN119273581A", "CN119477773A"] and move["resolved"] is True
    assert move["from_region"] == move["to_region"] == "440000"
    # the recount: every document of the first employer is dated before every document of the second
    rows = con.execute(
        "SELECT p.name_norm, coalesce(d.priority_date, d.app_date, d.pub_date) FROM inventors i "
        f"JOIN parties p USING (doc_id) JOIN documents d USING (doc_id) WHERE i.name_norm = '冯钰新' "
        f"AND p.role IN {HOLDERS}").fetchall()
    before = [day for org, day in rows if org == "中山大学"]
    after = [day for org, day in rows if org == "中山大学附属第六医院"]
    assert max(before) == move["from_last_date"] < min(after) == move["to_first_date"]


def test_every_mobility_event_stands_on_its_evidence(cockpit: Cockpit) -> None:
    """Ingest resolved every inventor, so every event is of a resolved person; each names the inventor and the
    organisation entities on its two evidence documents."""
    data = cockpit.talent_mobility(limit=0)
    assert data["events_total"] == len(data["events"]) > 20 and data["resolved"] == data["events_total"]
    assert all(e["inventor"].startswith("i:") and e["resolved"] for e in data["events"])
    con = cockpit.store.con
    for e in data["events"]:
        last, first = e["evidence"]
        for doc, org in ((last, e["from_org"]), (first, e["to_org"])):
            [(on_it, holds)] = con.execute(
                f"SELECT (SELECT count(*) FROM {INVENTOR_IDS} WHERE doc_id = $d AND eid = $inv), "
                f"(SELECT count(*) FROM {PARTY_IDS} WHERE doc_id = $d AND role IN {HOLDERS} AND eid = $org)",
                {"d": doc, "inv": e["inventor"], "org": org}).fetchall()
            assert on_it and holds, (e, doc)
        assert e["from_last_date"] < e["to_first_date"] and e["from_org"] != e["to_org"]


def test_flows_add_up(cockpit: Cockpit) -> None:
    events = cockpit.talent_mobility(limit=0)["events_total"]
    for by in ("region", "industry"):
        data = cockpit.talent_flows(by=by)
        assert data["events"] == events
        assert all(r["net"] == r["inflow"] - r["outflow"] for r in data["rows"])
        assert all(r["inflow"] + r["outflow"] + r["within"] <= events for r in data["rows"])
    region = cockpit.talent_flows(by="region", level=2)["rows"]  # one region on each side of an event
    assert sum(r["inflow"] for r in region) == sum(r["outflow"] for r in region)
    assert sum(r["inflow"] + r["within"] for r in region) == events
    guangdong = next(r for r in region if r["key"] == "44")
    assert guangdong["name"] == "广东省" and guangdong["within"] > 0


def test_key_inventors_keep_unknown_high_value_unknown(cockpit: Cockpit) -> None:
    """The CNKI export gives no legal status: whether its invention grants are in force, and so high value, is
    unknown. They are counted as unknown, never as no, and the share is then None."""
    data = cockpit.talent_key_inventors(ipc="C08G", top=10)
    assert data["documents"] > 0 and len(data["rows"]) == 10
    assert [r["rank"] for r in data["rows"]] == list(range(1, 11))
    assert [r["pagerank"] for r in data["rows"]] == sorted((r["pagerank"] for r in data["rows"]), reverse=True)
    for r in data["rows"]:
        assert r["high_value_yes"] + r["high_value_no"] + r["high_value_unknown"] == r["invention_grants"]
        assert (r["high_value_share"] is None) == (r["high_value_yes"] + r["high_value_no"] == 0)
    assert any(r["high_value_unknown"] for r in data["rows"]) and not any(r["high_value_no"] for r in data["rows"])
    names = {r["name"] for r in data["rows"]}
    assert {"孟跃中", "王拴紧"} & names


def test_the_team_around_an_inventor(cockpit: Cockpit) -> None:
    data = cockpit.talent_team("孟跃中", limit=0)
    [(person,)] = cockpit.store.con.execute(f"SELECT DISTINCT eid FROM {INVENTOR_IDS} WHERE name_norm = '孟跃中'"
                                            ).fetchall()
    recount = dict(cockpit.store.con.execute(
        f"SELECT b.eid, count(DISTINCT a.doc_id) FROM {INVENTOR_IDS} a JOIN {INVENTOR_IDS} b USING (doc_id) "
        "WHERE a.eid = $p AND b.eid <> $p GROUP BY 1", {"p": person}).fetchall())
    assert {r["inventor"]: r["documents"] for r in data["coinventors"]} == recount
    assert data["coinventors_total"] == len(recount)
    assert data["coinventors"][0]["documents"] == max(recount.values())


def test_resolved_inventor_ids_are_used(cockpit: Cockpit, tmp_path: Path) -> None:
    """An inventor's rows carry the id of its inventor_entities rows and its moves say so; the other inventors,
    without rows there, fall back to their folded names and their moves are unresolved."""
    other = Cockpit(Settings(db=str(copy_store(Path(cockpit.store.path), tmp_path))))
    try:
        con = other.store.con
        con.execute("DELETE FROM inventor_entities")  # what ingest resolved: only the rows written here count
        con.execute("INSERT INTO inventor_entities SELECT doc_id, seq, 'i:feng-yuxin' FROM inventors "
                    "WHERE name_norm = '冯钰新'")
        data = other.talent_employers("i:feng-yuxin")
        assert data["resolved"] and data["inventor"]["entity_id"] == "i:feng-yuxin"
        assert [e["resolved"] for e in data["events"]] == [True]
        assert other.talent_mobility(limit=0)["resolved"] == 1
    finally:
        other.close()


def test_the_graph_commands(cockpit: Cockpit, tmp_path: Path) -> None:
    db = copy_store(Path(cockpit.store.path), tmp_path)
    runner = CliRunner()
    built = runner.invoke(app, ["graph", "build", "--db", str(db), "--json"])
    assert built.exit_code == 0, built.output
    summary = json.loads(built.stdout)
    assert summary["folder"] == str(db.with_name(db.stem + ".graph")) and summary["nodes"] > 1000
    shown = runner.invoke(app, ["graph", "show", "孟跃中", "--limit", "20", "--db", str(db), "--json"])
    assert shown.exit_code == 0 and len(json.loads(shown.stdout)["nodes"]) <= 20
    moves = runner.invoke(app, ["graph", "talent", "employers", "冯钰新", "--db", str(db)])
    assert moves.exit_code == 0 and "中山大学附属第六医院" in moves.stdout
    bad = runner.invoke(app, ["graph", "communities", "--rel", "friends", "--db", str(db)])
    assert bad.exit_code == 2 and "friends" in bad.stderr
    nobody = runner.invoke(app, ["graph", "talent", "team", "nobody-at-all", "--db", str(db)])
    assert nobody.exit_code == 2 and nobody.stderr.startswith("error: ")
