"""Legal status and prosecution sources: EPO OPS XML, USPTO assignments, ODP/PEDS, on real files and DuckDB.

Counts were taken independently: ``grep -c '<ops:legal '`` (50 + 51 + 14 = 115 legal events),
the Solr ``applNumSize`` fields of the assignment answers (5 + 1 + 379 = 385 properties),
``grep -c application_number`` on the PEDS bulk files (99 + 321 = 420 histories, 395 distinct
applications: 25 are in both files) and a json count of their events (1,560).
"""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from ipcockpit.app import Cockpit
from ipcockpit.ingest.epo_ops import OpsXml
from ipcockpit.ingest.sources import file_source

OPS = "epo_ops"
LEGAL = f"{OPS}/legal/fixtures"
ASSIGN = "uspto_api/assignment/fixtures"


def _ev(c: Cockpit, where: str) -> list[dict]:
    return c.store.query(f"SELECT * FROM legal_events WHERE {where} ORDER BY event_date, code, raw_text")


def test_ops_legal_events_115(cockpit: Cockpit, shared: Path) -> None:
    reports = cockpit.ingest([shared / LEGAL / f"example_{i}.xml" for i in (1, 2, 3)])
    assert [r.format for r in reports] == ["epo-ops-xml"] * 3
    # 115 events are read; example_2 repeats example_1's document (EP1000000) with its 50 events plus one,
    # so the store holds each event once: 51 + 14
    assert sum(r.read for r in reports) == 3 and cockpit.store.count("legal_events") == 51 + 14
    one = cockpit.ingest([shared / LEGAL / "example_1.xml"])  # re-ingest: same content, same rows
    assert (one[0].read, one[0].loaded) == (1, 1) and cockpit.store.count("legal_events") == 65
    # example_2 is example_1 plus one event: the same member merges into one stub document
    assert [(r.read, r.loaded, r.merged) for r in reports] == [(1, 1, 0), (1, 0, 1), (1, 1, 0)]
    doc = cockpit.store.query("SELECT * FROM documents WHERE doc_id = 'EP1000000A1'")[0]
    assert doc["stub"] and doc["app_id"] == "EP99203729" and doc["app_date"].isoformat() == "1999-11-08"
    gb = _ev(cockpit, "doc_id = 'EP1000000A1' AND code = 'GBPC'")[0]
    assert gb["event_class"] == "lapse" and gb["influence"] == "-" and gb["office"] == "EP"
    assert gb["event_date"].isoformat() == "2011-07-27" and "NON-PAYMENT OF RENEWAL FEE" in gb["raw_text"]
    assert len(_ev(cockpit, "code = 'PG25' AND event_class = 'lapse'")) == 19  # 38 read, example_2 repeats 19
    assert {r["event_class"] for r in _ev(cockpit, "code = 'PGFP'")} == {"fee_paid"}
    # a national REG event is classed by the meaning of its national code
    reg = _ev(cockpit, "code = 'REG' AND raw_text LIKE '%FG4D%'")
    assert reg and {r["event_class"] for r in reg} == {"grant"}
    # US INPADOC events: the generic "AS" code is refined by its conveyance text
    us = {
        r["raw_text"].split("Free Format Text: ")[1][:17]: r
        for r in _ev(cockpit, "doc_id = 'US10465445B2' AND code = 'AS'")
    }
    assert us["SECURITY INTEREST"]["event_class"] == "pledge"
    assert us["SECURITY INTEREST"]["counterparty"] == "WELLS FARGO BANK NATIONAL ASSOCIATION, TEXAS"
    assert us["ASSIGNMENT OF ASS"]["event_class"] == "transfer"
    assert {r["event_class"] for r in _ev(cockpit, "code IN ('IPR', 'PGR')")} == {"invalidation_request"}
    fam = cockpit.store.query("SELECT family_id, scheme FROM family_members WHERE doc_id = 'US10465445B2'")
    assert fam == [{"family_id": "51258319", "scheme": "inpadoc"}]


def test_ops_family_members(cockpit: Cockpit, shared: Path) -> None:
    [r] = cockpit.ingest([shared / OPS / "family/fixtures/family_input.xml"])
    assert (r.read, r.loaded) == (6, 6)
    rows = cockpit.store.query(
        "SELECT doc_id FROM family_members WHERE family_id = '19768124' AND scheme = 'inpadoc' ORDER BY doc_id"
    )
    assert [x["doc_id"] for x in rows] == [
        "AT232441T",
        "DE69905327D1",
        "EP1000000A1",
        "EP1000000B1",
        "NL1010536C2",
        "US6093011A",
    ]
    assert cockpit.store.scalar("SELECT count(*) FROM documents WHERE stub AND family_size = 6") == 6
    pr = cockpit.store.query("SELECT * FROM priorities WHERE doc_id = 'US6093011A'")[0]
    assert (pr["country"], pr["number"], pr["priority_date"].isoformat()) == ("NL", "1010536", "1998-11-12")


def test_ops_biblio_fields(cockpit: Cockpit, shared: Path) -> None:
    reports = cockpit.ingest([shared / OPS / "published/test"])
    assert sum(r.loaded for r in reports) == 4 and all(r.format == "epo-ops-xml" for r in reports)
    doc = cockpit.store.query("SELECT * FROM documents WHERE doc_id = 'US20060142694A1'")[0]
    assert (
        doc["title"] == "Bi-directional steerable catheter control handle" and doc["app_id"] == "US11023667"
    )
    assert doc["family_id"] == "35840242" and doc["pub_date"].isoformat() == "2006-06-29" and not doc["stub"]
    inv = cockpit.store.query("SELECT name_raw FROM inventors WHERE doc_id = 'US20060142694A1' ORDER BY seq")
    assert [i["name_raw"] for i in inv][:2] == ["BEDNAREK MICHAEL C", "WILKOWSKE ERIC J"]  # 'original' form
    assert len(inv) == 5
    cites = cockpit.store.query("SELECT * FROM citations WHERE doc_id = 'US20060142694A1' ORDER BY seq")
    assert (
        len(cites) == 99 and cites[0]["cited_doc_id"] == "US5277199A" and cites[0]["cited_by"] == "examiner"
    )
    cls = {
        (c["scheme"], c["code"])
        for c in cockpit.store.query(
            "SELECT scheme, code FROM classifications WHERE doc_id = 'US20060142694A1'"
        )
    }
    assert {("IPC", "A61M 31/00"), ("CPC", "A61B 5/283"), ("USPC", "600/585")} <= cls
    assert cockpit.store.scalar("SELECT count(*) FROM texts WHERE kind = 'abstract'") == 3
    jp = cockpit.store.query("SELECT cited_by FROM citations WHERE doc_id = 'JP2005533465A'")
    assert [c["cited_by"] for c in jp] == ["examiner", "examiner"]  # cited-phase national-examination


def test_ops_citation_category(shared: Path, tmp_path: Path) -> None:
    """No OPS fixture carries a search-report category; this copy of a real answer adds one as OPS writes it."""
    tree = etree.parse(str(shared / OPS / "published/test/biblio_example.xml"))
    ns = {"ex": "http://www.epo.org/exchange"}
    first = tree.find(".//ex:references-cited/ex:citation", ns)
    first.set("cited-phase", "search")
    del first.attrib["cited-by"]
    cat = etree.SubElement(first, "{http://www.epo.org/exchange}category")
    cat.text = "X"
    path = tmp_path / "biblio_x.xml"
    tree.write(str(path))
    [rec] = list(OpsXml().read(file_source(path)))
    c = rec.citations[0]
    assert (c.category, c.cited_by, c.cited_doc_id) == ("X", "examiner", "US5277199A")


def test_ops_search_json(cockpit: Cockpit, shared: Path) -> None:
    [r] = cockpit.ingest([shared / OPS / "published/fixtures/search_result.xml"])
    assert r.format == "epo-ops-search-json" and r.read == 100 and r.quarantined == 0
    doc = cockpit.store.query("SELECT * FROM documents WHERE doc_id = 'CA3237865A1'")[0]
    assert doc["stub"] and doc["family_id"] == "78617299"


def test_inpadoc_code_table_reference(cockpit: Cockpit, shared: Path) -> None:
    [r] = cockpit.ingest([shared / LEGAL / "legal_code_descriptions_202417.xlsx"])
    assert r.format == "inpadoc-codes" and r.read == r.loaded == 4397
    row = cockpit.store.query("SELECT * FROM ref_event_codes WHERE office = 'CN' AND code = 'PE01'")[0]
    assert row["event_class"] == "pledge" and row["source_class"].startswith("S: ")
    assert "PLEDGE OF PATENT RIGHT" in row["description"]
    cf = cockpit.store.query("SELECT * FROM ref_event_codes WHERE office = 'CN' AND code = 'CF01'")[0]
    assert (cf["event_class"], cf["influence"]) == ("lapse", "-")
    assert cockpit.store.scalar("SELECT count(DISTINCT office) FROM ref_event_codes") == 56


def test_uspto_assignments(cockpit: Cockpit, shared: Path) -> None:
    reports = cockpit.ingest([shared / ASSIGN / f"assignment_{i}.xml" for i in (1, 2, 3)])
    assert [r.format for r in reports] == ["uspto-assignment-xml"] * 3
    assert [r.read for r in reports] == [5, 1, 379] and sum(r.quarantined for r in reports) == 0
    assert cockpit.store.count("legal_events") == 385
    assert cockpit.store.scalar("SELECT count(*) FROM documents") == 5 + 1 + 87
    counts = dict(
        cockpit.store.con.execute("SELECT event_class, count(*) FROM legal_events GROUP BY 1").fetchall()
    )
    assert counts == {"transfer": 7, "pledge": 290, "pledge_release": 88}
    # a known pledge: WSFS security interest of 2021-06-30 on US11181107
    pledge = _ev(cockpit, "doc_id = 'US11181107' AND event_date = DATE '2021-06-30'")[0]
    assert (
        pledge["event_class"] == "pledge" and pledge["counterparty"] == "WILMINGTON SAVINGS FUND SOCIETY, FSB"
    )
    assert pledge["raw_text"] == "SECURITY INTEREST (SEE DOCUMENT FOR DETAILS). REEL/FRAME 057434/0429"
    # its release by U.S. Bank (the secured party is the assignor of a release)
    rel = _ev(cockpit, "doc_id = 'US10280724' AND event_class = 'pledge_release'")
    assert {r["counterparty"] for r in rel} == {
        "U.S. BANK NATIONAL ASSOCIATION",
        "PIPER JAFFRAY FINANCE, LLC",
    }
    assert {r["event_date"].isoformat() for r in rel} == {"2019-05-07"}
    owner = cockpit.store.query("SELECT * FROM parties WHERE doc_id = 'US7130913'")[0]
    assert (owner["role"], owner["name_raw"]) == ("current_owner", "REALTIME DATA LLC")
    doc = cockpit.store.query("SELECT * FROM documents WHERE doc_id = 'US20180114740'")[0]
    assert doc["stub"] and doc["app_id"] == "US15334090" and doc["kind"] is None
    assert (
        cockpit.store.scalar("SELECT count(*) FROM parties WHERE doc_id = 'US11181107'") == 0
    )  # pledges only


def test_peds_bulk_420_histories(cockpit: Cockpit, shared: Path) -> None:
    reports = cockpit.ingest([shared / "uspto_api/peds_bulk"])
    assert [r.format for r in reports] == ["uspto-peds-jsonl"] * 2
    assert sum(r.read for r in reports) == 420 and sum(r.quarantined for r in reports) == 0
    assert cockpit.store.count("documents") == 395
    # 1,560 events are read; the 25 histories present in both files (119 events) are stored once
    assert cockpit.store.count("legal_events") == 1560 - 119
    doc = cockpit.store.query("SELECT * FROM documents WHERE doc_id = 'US10992470'")[0]
    assert doc["app_id"] == "US16100000" and doc["status"] == "Patented Case" and doc["stub"]
    ev = _ev(cockpit, "doc_id = 'US10992470' AND code = 'CTFR'")[0]
    assert ev["event_class"] == "examination" and ev["event_date"].isoformat() == "2020-12-31"
    assert {r["event_class"] for r in _ev(cockpit, "code = 'ABN9'")} == {"examination"}  # RCE disposal
    pending = cockpit.store.scalar("SELECT count(*) FROM documents WHERE doc_id LIKE 'USA%'")
    assert pending == 395 - cockpit.store.scalar("SELECT count(*) FROM documents WHERE stage = 'grant'")


def test_peds_and_odp_json(cockpit: Cockpit, shared: Path) -> None:
    [peds] = cockpit.ingest([shared / "uspto_api/peds/fixtures/app_1_input.json"])
    assert peds.format == "uspto-peds-json" and peds.loaded == 1
    doc = cockpit.store.query("SELECT * FROM documents WHERE doc_id = 'US8457796'")[0]
    assert doc["grant_date"].isoformat() == "2013-06-04" and doc["app_id"] == "US12721698"
    assert json.loads(doc["extra"])["term_extension_days"] == 119  # totalPtoDays: the in-force rule adds it
    assert cockpit.store.scalar("SELECT count(*) FROM legal_events WHERE doc_id = 'US8457796'") == 46
    fee = _ev(cockpit, "doc_id = 'US8457796' AND code = 'M2552'")[0]
    assert fee["event_class"] == "fee_paid" and fee["event_date"].isoformat() == "2020-10-28"
    assert _ev(cockpit, "code = 'EXP.'")[0]["event_class"] == "lapse"
    assert {r["event_class"] for r in _ev(cockpit, "code IN ('PGM/', 'WPIR')")} == {"grant"}
    reports = {Path(r.file).name: r for r in cockpit.ingest([shared / "uspto_api/odp/fixtures"])}
    assert {n: (r.loaded, r.quarantined) for n, r in reports.items()} == {
        "adjustment.json": (0, 1),
        "application.json": (1, 0),
        "assignment.json": (0, 1),
        "continuity.json": (1, 0),
        "transactions.json": (0, 1),
    }
    app = cockpit.store.query(
        "SELECT * FROM documents WHERE app_id = 'US15123456' AND NOT doc_id LIKE 'USA%'"
    )[0]
    assert app["doc_id"] == "US20170071586" and app["title"] == "TONGUE RETRACTORS FOR FRENOTOMIES"
    abn = _ev(cockpit, "doc_id = 'US20170071586' AND code = 'ABN2'")[0]
    assert abn["event_class"] == "withdrawal"
    tr = _ev(cockpit, "doc_id = 'US20170071586' AND event_class = 'transfer'")[0]
    assert tr["counterparty"] == "THE GENERAL HOSPITAL CORPORATION" and tr["raw_text"].endswith("047305/0442")
    assert (
        "applicationNumberText"
        in cockpit.store.query("SELECT reason FROM quarantine WHERE path LIKE '%transactions.json'")[0][
            "reason"
        ]
    )
