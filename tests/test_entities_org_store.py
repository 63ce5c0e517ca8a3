"""Organisation entities in the store (ipcockpit.entities.store, overrides, org_data; migration 11), on the real Lens
files: ids after ingest, stable across re-ingests and new sources, evidence from a second source, analysts' merges
and splits audited, migration of a store that already holds parties, and the ``entities`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared_stores import built_once, copy_store
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app
from ipcockpit.entities.overrides import EntityError

DRONES = "lens/drone_drones_fulltext_families_5884.csv"
COVID = "lens/covid_jsonl"
runner = CliRunner()


def _drones_store(factory: pytest.TempPathFactory, shared: Path) -> Path:
    def build(folder: Path) -> Path:
        path = folder / "drones.duckdb"
        with Cockpit(db=path) as c:
            c.ingest([shared / DRONES])
        return path

    return built_once("entities_drones", factory, build)


@pytest.fixture
def drones(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Cockpit:
    c = Cockpit(db=copy_store(_drones_store(tmp_path_factory, shared), tmp_path))
    yield c
    c.close()


def _ids(c: Cockpit) -> dict[tuple[str, int, str], str]:
    return {(d, s, r): e for d, s, r, e in c.store.con.execute("SELECT * FROM party_entities").fetchall()}


def test_every_named_party_gets_one_organisation_id_after_ingest(drones: Cockpit) -> None:
    con = drones.store.con
    named = con.execute("SELECT count(*) FROM parties WHERE trim(name_raw) <> ''").fetchone()[0]
    rows, keys, bad = con.execute(
        "SELECT count(*), count(DISTINCT (doc_id, seq, role)), "
        "count(*) FILTER (WHERE NOT starts_with(entity_id, 'o:')) FROM party_entities").fetchone()
    assert named > 5000 and rows == keys == named and bad == 0
    # spellings of one applicant in the real file are one entity, with their evidence
    ent = con.execute("SELECT entity_id FROM org_names WHERE reason LIKE 'score%' LIMIT 1").fetchone()[0]
    data = drones.organisation(ent)
    assert len(data["names"]) >= 2 and any(n["matched"] for n in data["names"])
    assert data["documents"] == con.execute("SELECT count(DISTINCT doc_id) FROM party_entities WHERE entity_id = ?",
                                            [ent]).fetchone()[0]


def test_reingesting_the_same_file_keeps_every_id(drones: Cockpit, shared: Path) -> None:
    before = _ids(drones)
    drones.ingest([shared / DRONES])
    after = _ids(drones)
    assert after == before


def test_adding_the_lens_covid_files_keeps_the_drone_ids(drones: Cockpit, shared: Path) -> None:
    before = _ids(drones)
    names_before = drones.store.con.execute("SELECT count(*) FROM org_names").fetchone()[0]
    drones.ingest([shared / COVID])
    after = _ids(drones)
    kept = sum(after.get(k) == v for k, v in before.items()) / len(before)
    assert kept >= 0.99
    assert len(after) > len(before)
    assert drones.store.con.execute("SELECT count(*) FROM org_names").fetchone()[0] > names_before


def test_a_new_spelling_joins_the_stored_entity_and_a_second_source_is_evidence(drones: Cockpit) -> None:
    con = drones.store.con
    doc, seq, role, raw, eid = con.execute(
        "SELECT p.doc_id, p.seq, p.role, p.name_raw, e.entity_id FROM parties p JOIN party_entities e "
        "USING (doc_id, seq, role) WHERE p.name_raw LIKE '%UNIV%' ORDER BY p.doc_id LIMIT 1").fetchone()
    # a second source named this party in Chinese (what merge_names keeps in name_aliases)
    con.execute("INSERT INTO name_aliases VALUES (?, 'parties', ?, ?, '某某大学', '某某大学', 'f')", [doc, role, seq])
    con.execute("INSERT INTO parties (doc_id, seq, role, name_raw) VALUES ('X-1', 1, 'applicant', '某某大学')")
    con.execute("INSERT INTO parties (doc_id, seq, role, name_raw) VALUES ('X-2', 1, 'applicant', ?)", [raw + "."])
    counts = drones.resolve_entities()
    assert counts["names"] == 2
    got = dict(con.execute("SELECT name_raw, entity_id FROM org_names WHERE name_raw IN ('某某大学', ?)",
                           [raw + "."]).fetchall())
    assert got == {"某某大学": eid, raw + ".": eid}
    why = con.execute("SELECT reason, matched FROM org_names WHERE name_raw = '某某大学'").fetchone()
    assert why == ("evidence", raw)


def test_the_sole_applicants_of_one_family_in_two_scripts_are_one_entity(drones: Cockpit) -> None:
    con = drones.store.con
    doc, raw, eid = con.execute(
        "SELECT p.doc_id, p.name_raw, e.entity_id FROM parties p JOIN party_entities e USING (doc_id, seq, role) "
        "WHERE p.doc_id IN (SELECT doc_id FROM parties WHERE role = 'applicant' GROUP BY 1 HAVING count(*) = 1) "
        "AND p.role = 'applicant' ORDER BY p.doc_id LIMIT 1").fetchone()
    # the Lens files give no family ids: this document gets one, and a Chinese member of its family whose sole
    # applicant is written in Chinese; a Chinese name in no family stays apart
    con.execute("UPDATE documents SET family_id = 'F-1' WHERE doc_id = ?", [doc])
    con.execute("INSERT INTO documents (doc_id, office, number, family_id) VALUES ('CN-X1', 'CN', 'X1', 'F-1')")
    for d, name in (("CN-X1", "某某无人机有限公司"), ("CN-X2", "另一无人机有限公司")):
        con.execute("INSERT INTO parties (doc_id, seq, role, name_raw) VALUES (?, 1, 'applicant', ?)", [d, name])
    drones.resolve_entities()
    got = dict(con.execute("SELECT name_raw, entity_id FROM org_names WHERE name_raw LIKE '%无人机%'").fetchall())
    assert got["某某无人机有限公司"] == eid != got["另一无人机有限公司"]
    why = con.execute("SELECT reason, matched FROM org_names WHERE name_raw = '某某无人机有限公司'").fetchone()
    assert why == ("family", raw)


def test_lookup_writes_nothing(drones: Cockpit) -> None:
    con = drones.store.con
    raw, eid = con.execute("SELECT name_raw, entity_id FROM org_names LIMIT 1").fetchone()
    n = con.execute("SELECT count(*) FROM org_names").fetchone()[0]
    rows = drones.entity_lookup([raw, "Zyxwv Quantum Widgets GmbH"])
    assert rows[0]["entity_id"] == eid and rows[0]["stored"]
    assert not rows[1]["stored"] and rows[1]["new_entity"] and rows[1]["entity_id"].startswith("o:")
    assert con.execute("SELECT count(*) FROM org_names").fetchone()[0] == n


def test_merge_and_split_are_kept_audited_and_change_only_their_parties(drones: Cockpit) -> None:
    con = drones.store.con
    (a, na), (b, nb) = con.execute("SELECT entity_id, count(*) FROM party_entities GROUP BY 1 ORDER BY 2 DESC, 1 "
                                    "LIMIT 2").fetchall()
    before = _ids(drones)
    with pytest.raises(EntityError):
        drones.entity_merge(a, b, "  ")
    m = drones.entity_merge(a, b, "alice", "one company")
    after = _ids(drones)
    changed = {k for k in before if before[k] != after[k]}
    assert len(changed) == nb and all(before[k] == b and after[k] == a for k in changed)
    assert drones.organisation(b)["entity_id"] == a  # the old id leads to the entity it was merged into
    names_b = [r[0] for r in con.execute("SELECT name_raw FROM org_names WHERE reason = ?",
                                         [f"merge #{m['override']}"]).fetchall()]
    s = drones.entity_split(a, names_b, "bob")
    back = _ids(drones)
    assert {k for k in before if back[k] != before[k]} == changed and len({back[k] for k in changed}) == 1
    assert s["new_entity_id"] not in (a, b)
    log = drones.audit_log(action="entities.")
    assert [(e["action"], e["user_name"]) for e in log[:2]] == [("entities.split", "bob"), ("entities.merge", "alice")]
    assert [o["action"] for o in drones.entity_overrides()] == ["split", "merge"]
    with pytest.raises(EntityError):
        drones.entity_split(a, ["not a name of it"], "bob")


def test_migration_11_gives_ids_to_a_store_that_already_holds_parties(drones: Cockpit) -> None:
    con = drones.store.con
    n = con.execute("SELECT count(*) FROM party_entities").fetchone()[0]
    con.execute("DROP VIEW org_links")
    for t in ("party_entities", "org_names", "org_entities", "org_overrides"):
        con.execute(f"DROP TABLE {t}")
    con.execute("DELETE FROM schema_migrations WHERE version = 11")
    path = drones.store.path
    drones.close()
    with Cockpit(db=path) as again:
        assert again.store.con.execute("SELECT count(*) FROM party_entities").fetchone()[0] == n


def test_the_entities_commands(drones: Cockpit) -> None:
    con = drones.store.con
    raw, eid = con.execute("SELECT name_raw, entity_id FROM org_names WHERE reason LIKE 'score%' LIMIT 1").fetchone()
    other = con.execute("SELECT entity_id FROM org_entities WHERE entity_id <> ? LIMIT 1", [eid]).fetchone()[0]
    db = str(drones.store.path)
    drones.close()
    out = runner.invoke(app, ["entities", "resolve", raw, "--db", db, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[0]["entity_id"] == eid
    shown = runner.invoke(app, ["entities", "show", eid, "--db", db, "--json"])
    assert json.loads(shown.stdout)["entity_id"] == eid
    table = runner.invoke(app, ["entities", "show", eid, "--db", db])
    assert table.exit_code == 0 and raw in table.stdout and "拼写相近" in table.stdout
    missing = runner.invoke(app, ["entities", "show", "o:nothing", "--db", db])
    assert missing.exit_code == 2 and "o:nothing" in missing.stderr
    merged = runner.invoke(app, ["entities", "merge", eid, other, "--analyst", "carol", "--db", db, "--json"])
    assert merged.exit_code == 0 and json.loads(merged.stdout)["merged"] == other
    listed = runner.invoke(app, ["entities", "overrides", "--db", db, "--json"])
    assert json.loads(listed.stdout)[0]["analyst"] == "carol"
