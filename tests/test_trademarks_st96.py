"""WIPO ST.96 trademark XML (../shared/data/trademarks, ``tm-st96``) and the loader's guarantees for marks.

Every expected figure is recounted here from the raw XML with plain lxml XPath (not the ingester's reader), and
the event meanings and status indicators from the USPTO code tables with the csv module.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from ipcockpit.app import Cockpit
from ipcockpit.model.tm_status import load_code_tables, normalise_status
from ipcockpit.settings import Settings

NS = {"tm": "http://www.wipo.int/standards/XMLSchema/ST96/Trademark",
      "com": "http://www.wipo.int/standards/XMLSchema/ST96/Common"}
ST96 = "trademarks/uspto_st96"
TABLES = "trademarks/uspto_code_tables"


def _recount(path: Path) -> dict[str, object]:
    doc = etree.parse(str(path))

    def x(expr: str) -> list:
        return doc.xpath(expr, namespaces=NS)

    return {
        "mark_id": "US" + x("string(//tm:Trademark/com:ApplicationNumber/com:ApplicationNumberText)"),
        "text": x("string(//tm:MarkVerbalElementText)") or None,
        "status_code": x("string(//tm:MarkCurrentStatusCode)"),
        "filing": x("string(//tm:Trademark/tm:ApplicationDate)")[:10],
        "status_date": x("string(//tm:MarkCurrentStatusDate)")[:10],
        "reg_number": x("string(//tm:Trademark/com:RegistrationNumber)") or None,
        "reg_date": x("string(//tm:Trademark/com:RegistrationDate)")[:10] or None,
        "pub_dates": sorted(x("//tm:PublicationBag/tm:Publication/com:PublicationDate/text()")),
        "classes": Counter(
            (k.lower(), c.lstrip("0").zfill(2) if k == "Nice" else c)
            for k, c in ((g.xpath("string(tm:ClassificationKindCode)", namespaces=NS),
                          g.xpath("string(tm:ClassNumber|tm:NationalClassNumber)", namespaces=NS))
                         for g in x("//tm:GoodsServicesClassification"))),
        "events": Counter((e.xpath("string(.//tm:MarkEventCode)", namespaces=NS),
                           e.xpath("string(tm:MarkEventDate)", namespaces=NS)[:10]) for e in x("//tm:MarkEvent")),
        "goods": len([t for t in x("//tm:ClassDescription/tm:GoodsServicesDescriptionText/text()") if t.strip()]),
        "applicants": len(x("//tm:ApplicantBag/tm:Applicant")),
    }


@pytest.fixture(scope="module")
def loaded(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Cockpit:
    c = Cockpit(Settings(db=str(tmp_path_factory.mktemp("st96") / "tm.duckdb")))
    reports = c.ingest([shared / ST96])
    assert [(r.format, r.read, r.loaded, r.quarantined) for r in reports] == [("tm-st96", 1, 1, 0)] * 8
    yield c
    c.close()


def test_every_record_is_lossless_against_the_raw_xml(loaded: Cockpit, shared: Path) -> None:
    files = sorted((shared / ST96).glob("*.xml"))
    assert len(files) == 8
    q = loaded.store.query
    for f in files:
        want = _recount(f)
        m = want["mark_id"]
        row = q("SELECT * FROM trademarks WHERE mark_id = ?", [m])
        assert len(row) == 1, m
        t = row[0]
        assert t["mark_text"] == want["text"]
        assert t["status_code"] == want["status_code"]
        assert str(t["filing_date"]) == want["filing"] and str(t["status_date"]) == want["status_date"]
        assert t["reg_number"] == want["reg_number"]
        assert (str(t["registration_date"]) if t["registration_date"] else None) == want["reg_date"]
        assert (str(t["publication_date"]) if t["publication_date"] else None) == \
            (want["pub_dates"][0] if want["pub_dates"] else None)
        classes = Counter((r["scheme"], r["code"]) for r in q(
            "SELECT scheme, code FROM trademark_classes WHERE mark_id = ?", [m]))
        assert classes == want["classes"], m
        events = Counter((r["code"], str(r["event_date"])) for r in q(
            "SELECT code, event_date FROM trademark_events WHERE mark_id = ?", [m]))
        assert events == want["events"], m
        assert q("SELECT count(*) AS n FROM trademark_goods WHERE mark_id = ?", [m])[0]["n"] == want["goods"]
        assert q("SELECT count(*) AS n FROM trademark_parties WHERE mark_id = ?", [m])[0]["n"] == want["applicants"]
    # the totals, recounted over all files at once
    assert loaded.store.count("trademark_events") == sum(sum(_recount(f)["events"].values()) for f in files) == 128


def test_event_meanings_and_status_come_from_the_uspto_tables(loaded: Cockpit, shared: Path) -> None:
    with open(shared / TABLES / "event_codes.csv", encoding="utf-8", newline="") as fh:
        events = {r["code"] + r["event_type_cd"]: r["description"] for r in csv.DictReader(fh)}
    with open(shared / TABLES / "status_codes.csv", encoding="utf-8", newline="") as fh:
        indicator = {r["code"]: r["live_dead_indicator"] for r in csv.DictReader(fh)}
    rows = loaded.store.query("SELECT code, meaning, notes FROM trademark_events")
    assert all(r["meaning"] == events[r["code"]] and r["notes"] is None for r in rows)
    marks = loaded.store.query("SELECT status_code, status, status_rule FROM trademarks ORDER BY mark_id")
    # 710 CANCELLED - SECTION 8 (Dead/Cancelled), 606 ABANDONED - NO STATEMENT OF USE FILED, 700 REGISTERED
    assert {(r["status_code"], indicator[r["status_code"]], r["status"]) for r in marks} == {
        ("710", "Dead/Cancelled", "cancelled"), ("606", "Dead/Abandoned", "abandoned"),
        ("700", "Live/Registered", "registered")}
    assert {r["status_rule"] for r in marks} == {"uspto-table"}


def test_status_rule(shared: Path) -> None:
    tables = load_code_tables(shared / TABLES)
    assert normalise_status("774", None, tables)[0] == "opposed"  # OPPOSITION PENDING, Live/Pending
    assert normalise_status("686", None, tables)[0] == "pending"  # PUBLISHED FOR OPPOSITION
    assert normalise_status("900", None, tables)[0] == "expired"
    assert normalise_status("901", None, tables)[0] == "refused"  # DEAD INVENTORIED AS REJECTED (plain Dead)
    assert normalise_status("715", None, tables)[0] == "pending"  # CANCELLED - RESTORED TO PENDENCY
    status, rule, reason = normalise_status("999", "Registered.", tables)
    assert (status, rule) == ("registered", "text") and "'999' is not in the USPTO status code table" in reason
    assert normalise_status(None, "商标无效宣告中", None)[0] == "invalidated"
    assert normalise_status(None, "驳回复审中", None)[0] == "refused"
    assert normalise_status(None, "等待驳回复审", None)[0] == "refused"
    assert normalise_status(None, "初审公告", None)[0] == "pending"
    assert normalise_status(None, "某状态", None) == ("unknown", "none", "no rule knows the status text '某状态'")


def test_without_code_tables_events_keep_a_reason(shared: Path, tmp_path: Path) -> None:
    src = shared / ST96 / "85229197_status_st96.xml"
    (tmp_path / "x").mkdir()
    shutil.copy(src, tmp_path / "x" / src.name)
    with Cockpit(Settings(db=str(tmp_path / "t.duckdb"))) as c:
        [r] = c.ingest([tmp_path / "x" / src.name])
        assert r.loaded == 1
        notes = {x["notes"] for x in c.store.query("SELECT notes FROM trademark_events")}
        assert notes == {"no USPTO event code table was found to read the code"}
        t = c.store.query("SELECT status, status_rule, notes FROM trademarks")[0]
        # the status text "Abandoned because no Statement of Use ..." decides
        assert (t["status"], t["status_rule"]) == ("abandoned", "text")
        assert "no status code table to read code '606'" in t["notes"]


def test_reingest_new_version_merge_and_bad_file(shared: Path, tmp_path: Path) -> None:
    folder = tmp_path / "uspto_st96"
    folder.mkdir()
    shutil.copytree(shared / TABLES, tmp_path / "uspto_code_tables")
    src = shared / ST96 / "85229197_status_st96.xml"
    one = folder / "one.xml"
    shutil.copy(src, one)
    with Cockpit(Settings(db=str(tmp_path / "t.duckdb"))) as c:
        def counts() -> tuple[int, ...]:
            return tuple(c.store.count(t) for t in ("trademarks", "trademark_parties", "trademark_classes",
                                                     "trademark_goods", "trademark_events", "source_files"))

        [r] = c.ingest([one])
        first = counts()
        assert (r.loaded, r.merged) == (1, 0) and first[4] == 18
        [r] = c.ingest([one])  # the same content again: the same state and counts
        assert (r.loaded, r.merged) == (1, 0) and counts() == first
        # a new version of the file (one event less) replaces what the old one gave
        text = one.read_text(encoding="utf-8")
        cut = text.index("<ns2:MarkEvent>")
        one.write_text(text[:cut] + text[text.index("</ns2:MarkEvent>", cut) + len("</ns2:MarkEvent>"):],
                       encoding="utf-8")
        [r] = c.ingest([one])
        assert r.loaded == 1 and counts() == (*first[:4], 17, first[5])
        assert c.store.scalar("SELECT count(*) FROM trademark_events WHERE code = 'MAB6O'") == 0
        # the same mark from another file: merged, no row twice
        two = folder / "two.xml"
        shutil.copy(src, two)
        [r] = c.ingest([two])
        assert (r.read, r.loaded, r.merged) == (1, 0, 1)
        assert c.store.count("trademarks") == 1 and c.store.count("trademark_events") == 18
        assert c.store.scalar("SELECT count(DISTINCT file_id) FROM trademark_events") == 2
        # a new version of one.xml that holds another mark: the row two.xml merged into its mark is left without
        # it, and the warning says to ingest two.xml again
        shutil.copy(shared / ST96 / "86149597_status_st96.xml", one)
        [r] = c.ingest([one])
        assert r.loaded == 1 and len(r.warnings) == 1 and str(two.resolve()) in r.warnings[0]
        assert r.warnings[0].startswith("1 mark(s) of the earlier version")
        [r] = c.ingest([two])
        assert (r.loaded, r.merged) == (1, 0) and c.store.count("trademarks") == 2
        assert c.store.scalar("SELECT count(*) FROM trademark_events WHERE mark_id = 'US85229197'") == 18
        # a broken file: quarantined with its reason, nothing of it stored
        bad = folder / "bad.xml"
        bad.write_text(text[:2000], encoding="utf-8")
        [r] = c.ingest([bad])
        assert (r.read, r.loaded, r.quarantined) == (1, 0, 1)
        q = c.store.query("SELECT field, reason, reason_code FROM quarantine")
        assert q[0]["reason_code"] == "bad_xml" and q[0]["reason"].startswith("not well-formed XML")
        assert c.store.scalar("SELECT count(*) FROM trademarks WHERE file_id = ?", [r.file_id]) == 0


def test_migration_15_gives_an_older_store_the_tables(tmp_path: Path) -> None:
    from ipcockpit.model.trademarks import TRADEMARK_TABLES
    from ipcockpit.store import Store

    path = tmp_path / "old.duckdb"
    with Store(path) as s:  # made as a store of schema 14 was: no trademark tables, migration 15 not applied
        for table in TRADEMARK_TABLES:
            s.con.execute(f'DROP TABLE "{table}"')
        s.con.execute("DELETE FROM schema_migrations WHERE version = 15")
    with Store(path) as s:
        assert 15 in {r["version"] for r in s.query("SELECT version FROM schema_migrations")}
        for table, cols in TRADEMARK_TABLES.items():
            assert [r["column_name"] for r in s.query(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database() "
                "ORDER BY column_index", [table])] == [c for c, _ in cols]


def test_an_event_or_status_code_no_table_knows_is_kept_with_the_reason(shared: Path, tmp_path: Path) -> None:
    (tmp_path / "xml").mkdir()
    shutil.copytree(shared / TABLES, tmp_path / "uspto_code_tables")
    text = (shared / ST96 / "85229197_status_st96.xml").read_text(encoding="utf-8")
    assert text.count(">MAB6O<") == 1 and text.count(">606<") == 1
    changed = text.replace(">MAB6O<", ">ZZZ9O<").replace(">606<", ">599<")
    path = tmp_path / "xml" / "changed.xml"
    path.write_text(changed, encoding="utf-8")
    with Cockpit(Settings(db=str(tmp_path / "t.duckdb"))) as c:
        [r] = c.ingest([path])
        assert (r.loaded, r.quarantined) == (1, 0)
        [e] = c.store.query("SELECT * FROM trademark_events WHERE code = 'ZZZ9O'")
        assert e["meaning"] is None and e["notes"] == "event code 'ZZZ9O' is not in the USPTO event code table"
        assert e["description"] == "ABANDONMENT NOTICE MAILED - NO USE STATEMENT FILED" and str(e["event_date"]) == \
            "2012-09-04"
        assert c.store.count("trademark_events") == 18
        t = c.store.query("SELECT status_code, status, status_rule, notes FROM trademarks")[0]
        assert (t["status_code"], t["status"], t["status_rule"]) == ("599", "abandoned", "text")
        assert t["notes"] == "status code '599' is not in the USPTO status code table"
