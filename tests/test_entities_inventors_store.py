"""Resolved inventors in the store: migration 12 (``inventor_entities``), resolution after ingest with stable ids,
the profile data, and the ``ipcockpit inventors`` commands, on real CNIPA gazette files (cn/gazette_2019)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app
from ipcockpit.settings import Settings

GRANTS = "cn/gazette_2019/CN_patent_invention_authorized_709.csv"
DESIGNS = "cn/gazette_2019/CN_patent_appearance_designed_709.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def grants_store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """The gazette's invention grants of 2019-07-09 ingested (ingest resolves the inventors)."""
    db = tmp_path_factory.mktemp("inv_grants") / "grants.duckdb"
    with Cockpit(Settings(db=str(db))) as c:
        c.ingest([shared / GRANTS])
    return db


def _copy(src: Path, tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    target = tmp_path / src.name
    shutil.copyfile(src, target)
    return target


def _from_scratch(c: Cockpit) -> None:
    """Forget the ids that ingest gave, so that the next resolution starts from nothing."""
    c.store.con.execute("DELETE FROM inventor_entities")


def _ids(c: Cockpit) -> dict[tuple[str, int], str]:
    return {(r["doc_id"], r["seq"]): r["entity_id"]
            for r in c.store.query("SELECT doc_id, seq, entity_id FROM inventor_entities")}


def test_migration_12_creates_the_contract_table(cockpit: Cockpit) -> None:
    cols = cockpit.store.query("SELECT column_name, data_type FROM information_schema.columns "
                               "WHERE table_name = 'inventor_entities' ORDER BY ordinal_position")
    assert [(r["column_name"], r["data_type"]) for r in cols] == [
        ("doc_id", "VARCHAR"), ("seq", "INTEGER"), ("entity_id", "VARCHAR")]


def test_every_inventor_gets_one_id_and_a_second_run_keeps_them(grants_store: Path, tmp_path: Path) -> None:
    with Cockpit(db=_copy(grants_store, tmp_path)) as c:
        inventors = c.store.count("inventors")
        ingested = _ids(c)  # what the ingest hook gave
        assert len(ingested) == c.store.count("inventor_entities") == inventors  # one row per inventors row
        _from_scratch(c)
        first = c.resolve_inventors()
        assert first["mentions"] == inventors == first["added"] > 5000
        ids = _ids(c)
        assert ids == ingested  # the same rows resolved from scratch: the same ids
        assert all(e.startswith("i:") for e in ids.values())
        assert first["entities"] == len(set(ids.values())) < inventors  # some people have several grants
        again = c.resolve_inventors()
        assert (again["added"], again["kept"], again["removed"]) == (0, inventors, 0)
        assert (again["mentions"], again["entities"]) == (first["mentions"], first["entities"])
        assert _ids(c) == ids
        # withheld names (不公告发明人) are each a person apart
        withheld = c.store.query("SELECT e.entity_id FROM inventor_entities e JOIN inventors i USING (doc_id, seq) "
                                 "WHERE i.name_raw LIKE '%不公告%'")
        assert len(withheld) == len({r["entity_id"] for r in withheld}) > 0


def test_the_same_files_in_another_order_give_the_same_ids(tmp_path: Path, shared: Path) -> None:
    """Ingested one by one in either order and then resolved from scratch (a resolution after each ingest keeps
    the ids the first file gave, so that history decides which key seeds the id of a person in both files)."""
    stores = []
    for name, files in (("ab", [GRANTS, DESIGNS]), ("ba", [DESIGNS, GRANTS])):
        c = Cockpit(db=tmp_path / f"{name}.duckdb")
        for f in files:
            c.ingest([shared / f])
        _from_scratch(c)
        c.resolve_inventors()
        stores.append(c)
    try:
        assert _ids(stores[0]) == _ids(stores[1])
    finally:
        for c in stores:
            c.close()


def test_a_later_ingest_keeps_every_id_and_links_new_mentions_to_known_people(
        grants_store: Path, tmp_path: Path, shared: Path) -> None:
    with Cockpit(db=_copy(grants_store, tmp_path)) as c:
        before = _ids(c)  # the grants' ingest resolved them
        assert len(before) == c.store.count("inventors") > 5000
        c.ingest([shared / DESIGNS])  # resolves the new rows
        after = _ids(c)
        assert {k: after[k] for k in before} == before  # 100 % of existing ids kept
        assert len(after) == c.store.count("inventors") > len(before) + 1000
        report = c.resolve_inventors()  # nothing left to do
        assert (report["kept"], report["added"], report["removed"]) == (len(after), 0, 0)
        # design mentions resolved to a person already known from the grants: same name in characters
        known = set(before.values())
        linked = [k for k in after if k not in before and after[k] in known]
        assert linked
        names = {(r["doc_id"], r["seq"]): r["name_raw"] for r in c.store.query("SELECT doc_id, seq, name_raw "
                                                                               "FROM inventors")}
        by_entity = {before[k]: names[k] for k in before}
        assert all(names[k] == by_entity[after[k]] for k in linked)


def test_profile_counts_equal_a_recount(grants_store: Path, tmp_path: Path) -> None:
    with Cockpit(db=_copy(grants_store, tmp_path)) as c:
        c.resolve_inventors()
        top = c.store.query("SELECT e.entity_id, count(DISTINCT e.doc_id) AS n FROM inventor_entities e "
                            "JOIN inventors i USING (doc_id, seq) WHERE i.name_raw NOT LIKE '%不公告%' "
                            "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1")[0]
        data = c.inventor(top["entity_id"])
        assert data is not None and data["documents_total"] == top["n"] >= 2
        docs = {d["doc_id"] for d in data["documents"]}
        assert len(docs) == top["n"]
        # co-inventors: every other inventor of those documents, counted by documents shared
        recount: dict[str, set[str]] = {}
        for r in c.store.query("SELECT i.doc_id, e.entity_id FROM inventors i JOIN inventor_entities e "
                               "USING (doc_id, seq) WHERE i.doc_id IN (SELECT unnest(?))", [sorted(docs)]):
            if r["entity_id"] != top["entity_id"]:
                recount.setdefault(r["entity_id"], set()).add(r["doc_id"])
        assert {r["entity_id"]: r["documents"] for r in data["coinventors"]} == {k: len(v) for k, v in recount.items()}
        # employers: the applicants of those documents, never the inventor's own name
        own = {n["name"] for n in data["names"]}
        assert data["employers"] and not own & {e["name"] for e in data["employers"]}
        assert sum(r["documents"] for r in data["employers_by_year"]) >= max(e["documents"] for e in data["employers"])
        json.dumps(data)  # ready for JSON as it is
        assert c.inventor("i:0000") is None
        found = c.inventor_find(data["name"])
        assert top["entity_id"] in {r["entity_id"] for r in found}
        assert c.inventor_find("%") == [] and c.inventor_find("_") == []  # characters of a name, not wildcards


def test_inventors_commands(grants_store: Path, tmp_path: Path) -> None:
    db = str(_copy(grants_store, tmp_path))
    with Cockpit(db=db) as c:
        _from_scratch(c)  # the command on a store whose inventors are not resolved
    resolved = runner.invoke(app, ["inventors", "resolve", "--json", "--db", db])
    assert resolved.exit_code == 0, resolved.output
    report = json.loads(resolved.stdout)
    assert report["added"] == report["mentions"] > 5000
    with Cockpit(db=db) as c:
        entity, name = c.store.con.execute(
            "SELECT e.entity_id, mode(i.name_raw) FROM inventor_entities e JOIN inventors i USING (doc_id, seq) "
            "WHERE i.name_raw NOT LIKE '%不公告%' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()
        expected = json.loads(json.dumps(c.inventor(entity), default=str))
    shown = runner.invoke(app, ["inventors", "show", entity, "--json", "--db", db])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == expected
    table = runner.invoke(app, ["inventors", "show", entity, "--db", db])
    assert table.exit_code == 0 and name in table.stdout
    found = runner.invoke(app, ["inventors", "find", name, "--json", "--db", db])
    assert found.exit_code == 0 and entity in {r["entity_id"] for r in json.loads(found.stdout)}
    missing = runner.invoke(app, ["inventors", "show", "i:nobody", "--db", db])
    assert missing.exit_code == 2 and "i:nobody" in missing.stderr


def test_rows_of_a_removed_file_are_removed(grants_store: Path, tmp_path: Path) -> None:
    with Cockpit(db=_copy(grants_store, tmp_path)) as c:
        c.resolve_inventors()
        rows = c.store.count("inventor_entities")
        file_id = c.store.scalar("SELECT DISTINCT file_id FROM inventors")
        c.store.discard_file(file_id)
        assert c.store.count("inventors") == 0
        report = c.resolve_inventors()
        assert (report["removed"], report["kept"], report["added"]) == (rows, 0, 0)
        assert c.store.count("inventor_entities") == 0


def test_an_inventor_who_is_also_the_patentee_is_not_an_employer(grants_store: Path, tmp_path: Path) -> None:
    with Cockpit(db=_copy(grants_store, tmp_path)) as c:
        c.resolve_inventors()
        entity, name = c.store.con.execute(
            "SELECT e.entity_id, i.name_norm FROM inventor_entities e JOIN inventors i USING (doc_id, seq) "
            "JOIN parties p ON p.doc_id = i.doc_id AND p.name_norm = i.name_norm "
            "ORDER BY 1 LIMIT 1").fetchone()
        data = c.inventor(entity)
        assert data is not None
        assert name not in {e["entity_id"].removeprefix("n:") for e in data["employers"]}
        assert name not in {e["entity_id"].removeprefix("n:") for e in data["employers_by_year"]}


def test_two_inventors_of_one_document_are_two_people(tmp_path: Path, shared: Path) -> None:
    """Lens writes names surname first without a comma ("VENTIMEGLIA JAMIE JOSEPH"), so relatives who invent
    together (Jamie and Thomas Ventimeglia, Lawrence and Angelo Mongiello, Clifford E Fitch and his son) were one
    canopy whose shared co-inventors, applicant and classes outweighed the conflicting middle name: two rows of
    one document became one person. The inventors of one document are different people: never one entity."""
    with Cockpit(db=tmp_path / "pizza.duckdb") as c:
        c.ingest([shared / "lens/pizza_lens_1000_raw.csv"])  # ingest resolves the inventors
        assert c.store.count("inventor_entities") == c.store.count("inventors") > 1000
        shared_ids = c.store.query(
            "SELECT i.doc_id, e.entity_id, list(i.name_raw) AS names FROM inventors i "
            "JOIN inventor_entities e USING (doc_id, seq) GROUP BY ALL HAVING count(*) > 1")
        assert shared_ids == []
        ids = {r["name_raw"]: r["entity_id"] for r in c.store.query(
            "SELECT i.name_raw, e.entity_id FROM inventors i JOIN inventor_entities e USING (doc_id, seq) "
            "WHERE i.doc_id = 'USD711678S1'")}
        assert ids["VENTIMEGLIA JAMIE JOSEPH"] != ids["VENTIMEGLIA THOMAS JOSEPH"]
        # the same person on other documents still gets one id (the link evidence still works)
        jamie = c.store.query("SELECT count(DISTINCT i.doc_id) AS docs, count(DISTINCT e.entity_id) AS ids "
                              "FROM inventors i JOIN inventor_entities e USING (doc_id, seq) "
                              "WHERE i.name_raw = 'VENTIMEGLIA JAMIE JOSEPH'")[0]
        assert jamie["docs"] >= 2 and jamie["ids"] == 1


def test_a_later_ingest_reads_the_evidence_of_the_canopies_it_touches_only(
        grants_store: Path, tmp_path: Path, shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ingest reads every inventor's name but the evidence (co-inventors, applicants, classes, title) only of the
    documents with an inventor in a canopy that a new row joins: a district loading files one by one does not pay
    for its whole store each time. The ids are those the same ingest gives when it reads the whole store."""
    from ipcockpit.entities import inv_store
    from ipcockpit.entities.inv_names import parse_name

    read: list[set[str] | None] = []
    real = inv_store.store_mentions

    def spy(store: object, doc_ids: set[str] | None = None) -> list[dict]:
        read.append(None if doc_ids is None else set(doc_ids))
        return real(store, doc_ids)  # type: ignore[arg-type]

    monkeypatch.setattr(inv_store, "store_mentions", spy)
    with Cockpit(db=_copy(grants_store, tmp_path)) as c:
        before = _ids(c)
        c.ingest([shared / DESIGNS])
        assert len(read) == 1 and read[0] is not None  # one read, of some documents
        new = {k for k in _ids(c) if k not in before}
        rows = c.store.query("SELECT doc_id, seq, name_raw FROM inventors")
        touched = {n.canopy for r in rows if (r["doc_id"], r["seq"]) in new and (n := parse_name(r["name_raw"]))}
        wanted = {r["doc_id"] for r in rows if (n := parse_name(r["name_raw"])) is not None and n.canopy in touched}
        assert read[0] == wanted  # exactly the documents of the touched canopies
        named = {r["doc_id"] for r in rows if (r["doc_id"], r["seq"]) in new and parse_name(r["name_raw"])}
        assert named and named <= read[0] < {r["doc_id"] for r in rows}  # (不公告设计人: a person apart, no canopy)
        kept = _ids(c)
    monkeypatch.setattr(inv_store, "store_mentions", lambda store, doc_ids=None: real(store))  # read everything
    with Cockpit(db=_copy(grants_store, tmp_path / "all")) as c:
        c.ingest([shared / DESIGNS])
        assert _ids(c) == kept


def test_applicants_are_the_stores_organisations_with_merges_followed(grants_store: Path, tmp_path: Path) -> None:
    """The applicant evidence of a mention is the organisation entities of its document's holders (what
    ``party_entities`` says, less the inventor's own name), and an analyst's merge is followed."""
    from ipcockpit.entities.inv_store import store_mentions

    with Cockpit(db=_copy(grants_store, tmp_path)) as c:
        held = {}
        for r in c.store.query("SELECT p.doc_id, p.name_norm, pe.entity_id FROM parties p JOIN party_entities pe "
                               "USING (doc_id, seq, role) WHERE p.role IN ('applicant', 'assignee', 'patentee')"):
            held.setdefault(r["doc_id"], []).append((r["name_norm"], r["entity_id"]))
        own = {(r["doc_id"], r["seq"]): r["name_norm"] for r in c.store.query(
            "SELECT doc_id, seq, name_norm FROM inventors")}
        mentions = store_mentions(c.store)
        assert len(mentions) == len(own)
        for m in mentions:
            expected = {e for n, e in held.get(m["doc_id"], []) if n != own[(m["doc_id"], m["seq"])]}
            assert m["applicant_ids"] == sorted(expected)
        assert sum(bool(m["applicant_ids"]) for m in mentions) > len(mentions) / 2
        with_two = [m for m in mentions if len({e for _, e in held.get(m["doc_id"], [])}) >= 2]
        assert with_two
        m = with_two[0]
        a, b = sorted({e for _, e in held[m["doc_id"]]})[:2]
        c.entity_merge(a, b, analyst="test")
        merged = {x["key"]: x for x in store_mentions(c.store)}[m["key"]]
        assert b not in merged["applicant_ids"] and a in merged["applicant_ids"]
        assert sum(x["applicant_ids"].count(b) for x in store_mentions(c.store)) == 0
