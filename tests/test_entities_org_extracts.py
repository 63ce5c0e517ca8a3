"""Extracts as evidence for organisation resolution (ipcockpit.entities.org_extracts): an enterprise registry row
and PatentsView's disambiguated assignees join names that resolution keeps apart, on a real USPTO weekly file.

The week of 2012-03-27 (uspto_xml/weekly_excerpts/ipg120327.196.xml, 196 design grants) names one assignee two
ways: "Omega SA (Omega AG) (Omega Ltd.)" on USD656416 and "Omega SA (Omega AG) (Omega LTD) Jakob-Stampfli-Strasse"
(the street of its address run into the name) on USD656417. Resolution alone keeps them apart (the second has
words the first lacks). No PatentsView file is in the shared data: the extract below is written here from these
two real patents and names; its assignee_id is made up (PatentsView's are UUIDs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app
from ipcockpit.entities.org_extracts import ExtractError

WEEK = "uspto_xml/weekly_excerpts/ipg120327.196.xml"
SHORT = "Omega SA (Omega AG) (Omega Ltd.)"
LONG = "Omega SA (Omega AG) (Omega LTD) Jakob-Stampfli-Strasse"
runner = CliRunner()


def _omega(c: Cockpit) -> dict[str, tuple[str, str, str | None]]:
    return {r[0]: (r[1], r[2], r[3]) for r in c.store.con.execute(
        "SELECT name_raw, entity_id, reason, matched FROM org_names WHERE name_raw IN (?, ?)", [SHORT, LONG]
    ).fetchall()}


def _registry(tmp_path: Path) -> Path:
    path = tmp_path / "registry.csv"
    path.write_text("name,nature,aliases,credit_code\n"
                    f"Omega SA,enterprise,{SHORT};{LONG},\n"
                    "华为终端有限公司,企业,,914403001922038217\n", encoding="utf-8")  # check digit one off
    return path


def test_without_an_extract_the_two_spellings_are_two_entities(tmp_path: Path, shared: Path) -> None:
    with Cockpit(db=tmp_path / "s.duckdb") as c:
        c.ingest([shared / WEEK])
        got = _omega(c)
    assert set(got) == {SHORT, LONG}
    assert got[SHORT][0] != got[LONG][0]


def test_a_registry_row_naming_both_joins_them_with_its_evidence(tmp_path: Path, shared: Path) -> None:
    db = tmp_path / "s.duckdb"
    Cockpit(db=db).close()
    out = runner.invoke(app, ["entities", "registry", str(_registry(tmp_path)), "--db", str(db), "--json"])
    assert out.exit_code == 0, out.output
    loaded = json.loads(out.stdout)
    assert loaded["rows"] == 2 and loaded["groups"] == 1 and loaded["names"] == 3
    assert [r["line"] for r in loaded["rejected"]] == [3]
    with Cockpit(db=db) as c:
        c.ingest([shared / WEEK])
        got = _omega(c)
        assert got[SHORT][0] == got[LONG][0]
        # resolved together at the ingest, each names the other and the registry's row as its evidence
        assert got[SHORT][1:] == ("registry registry.csv, line 2", LONG)
        assert got[LONG][1:] == ("registry registry.csv, line 2", SHORT)
        shown = c.organisation(got[SHORT][0])
    assert {n["name"] for n in shown["names"]} == {SHORT, LONG}
    table = runner.invoke(app, ["entities", "show", got[SHORT][0], "--db", str(db)])
    assert table.exit_code == 0 and "企业登记名录" in table.stdout


def test_a_registry_loaded_after_the_names_keeps_their_ids_and_lists_the_split(tmp_path: Path,
                                                                               shared: Path) -> None:
    with Cockpit(db=tmp_path / "s.duckdb") as c:
        c.ingest([shared / WEEK])
        before = _omega(c)
        loaded = c.entity_extract("registry", _registry(tmp_path))
        c.resolve_entities()
        assert _omega(c) == before
    assert loaded["split"] == [{"evidence": "registry registry.csv, line 2",
                                "entities": sorted({before[SHORT][0], before[LONG][0]}),
                                "names": sorted([SHORT, LONG])}]


def test_patentsview_assignee_ids_join_the_names_of_the_patents_the_store_holds(tmp_path: Path,
                                                                                shared: Path) -> None:
    pv = tmp_path / "g_assignee_disambiguated.tsv"
    pv.write_text(
        "patent_id\tassignee_sequence\tassignee_id\tdisambig_assignee_individual_name_first\t"
        "disambig_assignee_individual_name_last\tdisambig_assignee_organization\tassignee_type\tlocation_id\n"
        "D656416\t0\tpv-omega\t\t\tOmega SA\t3\tloc-1\n"
        "D656417\t0\tpv-omega\t\t\tOmega SA\t3\tloc-1\n"
        "D999999\t0\tpv-other\t\t\tNot In The Store Corp\t2\t\n", encoding="utf-8")
    with Cockpit(db=tmp_path / "s.duckdb") as c:
        loaded = c.entity_extract("patentsview", pv)  # before the ingest: read again at each resolution
        assert loaded["rows"] == 3 and loaded["rows_of_held_patents"] == 0 and loaded["groups"] == 2
        c.ingest([shared / WEEK])
        got = _omega(c)
        again = c.entity_extract("patentsview", pv)
    assert again["rows_of_held_patents"] == 2 and again["split"] == []
    assert got[SHORT][0] == got[LONG][0]
    assert "patentsview pv-omega" in {got[SHORT][1], got[LONG][1]}


def test_an_extract_of_another_layout_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "g_assignee_disambiguated.tsv"
    bad.write_text("patent_id\tassignee_id\n1\tx\n", encoding="utf-8")
    with Cockpit(db=tmp_path / "s.duckdb") as c, pytest.raises(ExtractError, match="assignee_sequence"):
        c.entity_extract("patentsview", bad)


#: two weekly files, one "Andy Wu" (US6837124, fifth inventor) and one "Andrew Wu" (US8421425, first inventor):
#: resolution never links two given names (nicknames are not recognised), PatentsView's inventor_id can
NICKNAMES = ["uspto_xml/weekly_excerpts/ipg050104.small.xml", "uspto_xml/weekly_excerpts/ipg130416.small.xml"]


def _wu(c: Cockpit) -> dict[str, str]:
    return dict(c.store.con.execute(
        "SELECT i.name_raw, e.entity_id FROM inventors i JOIN inventor_entities e USING (doc_id, seq) "
        "WHERE i.name_raw IN ('Andy Wu', 'Andrew Wu')").fetchall())


def test_patentsview_inventor_ids_join_two_given_names_of_one_inventor(tmp_path: Path, shared: Path) -> None:
    with Cockpit(db=tmp_path / "plain.duckdb") as c:
        c.ingest([shared / f for f in NICKNAMES])
        plain = _wu(c)
    assert len(plain) == 2 and len(set(plain.values())) == 2
    pv = tmp_path / "g_inventor_disambiguated.tsv"
    pv.write_text("patent_id\tinventor_sequence\tinventor_id\tdisambig_inventor_name_first\t"
                  "disambig_inventor_name_last\tgender_code\tlocation_id\n"
                  "6837124\t4\tfl:an_ln:wu-1\tAndrew\tWu\tM\t\n"
                  "8421425\t0\tfl:an_ln:wu-1\tAndrew\tWu\tM\t\n", encoding="utf-8")
    with Cockpit(db=tmp_path / "pv.duckdb") as c:
        loaded = c.entity_extract("patentsview", pv)
        assert loaded["rows"] == 2 and loaded["groups"] == 1
        c.ingest([shared / f for f in NICKNAMES])
        joined = _wu(c)
    assert len(joined) == 2 and len(set(joined.values())) == 1


def test_the_organisation_page_says_the_evidence_in_words(tmp_path: Path, shared: Path) -> None:
    from fastapi.testclient import TestClient

    from ipcockpit.settings import Settings
    from ipcockpit.web.server import create_app

    db = tmp_path / "s.duckdb"
    with Cockpit(db=db) as c:
        c.entity_extract("registry", _registry(tmp_path))
        c.ingest([shared / WEEK])
        eid = _omega(c)[SHORT][0]
        scored = c.store.con.execute("SELECT entity_id, reason FROM org_names WHERE reason LIKE 'score %' "
                                     "ORDER BY name_raw LIMIT 1").fetchone()
    client = TestClient(create_app(Settings(db=str(db))))
    page = client.get(f"/organisation/{eid}").text
    assert "企业登记名录同一行载明两者（registry registry.csv, line 2）" in page
    assert "entities.reason." not in page
    if scored:  # a spelling's likeness is shown with its figure
        page = client.get(f"/organisation/{scored[0]}").text
        assert "entities.reason." not in page and scored[1].split()[1] in page
