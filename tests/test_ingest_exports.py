"""Analyst exports (Lens, PATENTSCOPE, Thomson Innovation, Indian grants, multilingual abstracts).

Counts were checked independently with csv/json/xlrd/openpyxl and grep outside ipcockpit.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from shared_stores import copy_store, lens_drones, patentscope_pizza

from ipcockpit.app import Cockpit
from ipcockpit.ingest.lens import LensJsonl, build_record, class_code, lens_date, undo_double_utf8, week_year
from ipcockpit.ingest.multilang_abstracts import MultilangAbstracts, detect_language
from ipcockpit.ingest.sources import file_source, walk
from ipcockpit.model.records import PatentRecord
from ipcockpit.settings import Settings
from ipcockpit.value.conditions import condition_rows


def _doc(c: Cockpit, doc_id: str) -> dict:
    rows = c.store.query("SELECT * FROM documents WHERE doc_id = ?", [doc_id])
    assert len(rows) == 1, doc_id
    return rows[0]


def _col(c: Cockpit, sql: str, *params: object) -> list:
    return [r[0] for r in c.store.con.execute(sql, list(params)).fetchall()]


def _balanced(r) -> None:
    assert r.error is None, r.error
    assert r.read == r.loaded + r.quarantined + r.merged


@pytest.fixture
def drones(shared: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cockpit, Any]]:
    """The export ingested by ``Cockpit.ingest`` into a new store (tests/shared_stores.py: built once per run,
    tests/test_merge.py starts from it too): a copy of that store, and the ingest's report."""
    path, [r] = lens_drones(tmp_path_factory, shared)
    with Cockpit(Settings(db=str(copy_store(path, tmp_path)))) as c:
        yield c, r


@pytest.mark.slow
def test_lens_csv_drones(drones: tuple[Cockpit, Any]) -> None:
    cockpit, r = drones
    assert r.format == "lens-csv"
    assert (r.read, r.loaded, r.quarantined, r.merged) == (5884, 5884, 0, 0)
    _balanced(r)
    d = _doc(cockpit, "AT556755T")
    assert d["title"].startswith("Verfahren Und Gerät Zur Fernbedienung Einer Drohne")
    assert (d["cited_by_count"], d["family_size"], str(d["pub_date"])) == (0, 11, "2012-05-15")
    assert json.loads(d["extra"])["extended_family_size"] == "13"
    assert _col(cockpit, "SELECT name_raw FROM parties WHERE doc_id='AT556755T' ORDER BY seq") == ["PARROT"]
    ipc = _col(cockpit, "SELECT code FROM classifications WHERE doc_id='AT556755T' AND scheme='IPC' ORDER BY seq")
    assert ipc[0] == "A63H 30/04" and len(ipc) == 6
    assert _col(cockpit, "SELECT country || number FROM priorities WHERE doc_id='AT556755T'") == [
        "FR1051751", "FR1054449"]
    cn = _doc(cockpit, "CN101025382A")
    assert cn["app_id"] == "CN200710063161"
    # NPL citations of Chinese documents are kept as text
    assert cockpit.store.scalar("SELECT count(DISTINCT doc_id) FROM citations WHERE npl") == 965
    # Lens "Limited Patent" (200 rows, counted with csv: CN U/Y, AU innovation patents, DE/UA/TW utility
    # models ...) are utility models, registered rights: the in-force rule gives them 10 years
    limited = cockpit.store.con.execute(
        "SELECT doc_type, stage, count(*), count(*) FILTER (WHERE grant_date = pub_date) FROM documents "
        "WHERE json_extract_string(extra, '$.lens_type') = 'Limited Patent' GROUP BY ALL").fetchall()
    assert limited == [("utility_model", "grant", 200, 200)]
    um = _doc(cockpit, "CN201532150U")
    assert (um["doc_type"], um["stage"], str(um["app_date"]), str(um["grant_date"])) == (
        "utility_model", "grant", "2009-11-11", "2010-07-21")
    # Lens types 9 CN U and 2 KR U publications "Patent Application" (counted with csv): the kind says they
    # are utility models; a CN U is always a registered right, a KR U keeps the stage Lens gives
    typed = cockpit.store.con.execute(
        "SELECT office, doc_type, stage, count(*) FROM documents "
        "WHERE json_extract_string(extra, '$.lens_type') = 'Patent Application' AND kind LIKE 'U%' "
        "GROUP BY ALL ORDER BY 1").fetchall()
    assert typed == [("CN", "utility_model", "grant", 9), ("KR", "utility_model", "application", 2)]
    old_cn = _doc(cockpit, "CN2042185U")
    assert (old_cn["doc_type"], old_cn["stage"], str(old_cn["app_date"])) == ("utility_model", "grant", "1987-11-14")


def test_lens_csv_excel_resaved_pizza(cockpit: Cockpit, shared: Path) -> None:
    """Mac Roman, CR line ends, day-first two-digit years."""
    [r] = cockpit.ingest([shared / "lens/pizza_lens_1000_raw.csv"])
    assert r.format == "lens-csv" and (r.read, r.loaded, r.quarantined) == (1000, 1000, 0)
    _balanced(r)
    d = _doc(cockpit, "US20130101709A1")
    assert (str(d["pub_date"]), str(d["app_date"]), str(d["priority_date"])) == (
        "2013-04-25", "2012-10-22", "2011-10-24")
    assert (d["cited_by_count"], d["family_size"], d["stage"]) == (3, 2, "application")
    assert _doc(cockpit, "US3982033A")["app_date"].year == 1971  # '24/08/71' before the 1976 publication
    assert _doc(cockpit, "USD533981S1")["doc_type"] == "design"
    assert _col(cockpit, "SELECT name_raw FROM parties WHERE doc_id='US20130101709A1'") == ["PIZZA HUT INC"]


def _pizza_rows(shared: Path) -> list[dict[str, str]]:
    text = (shared / "lens/pizza_lens_1000_raw.csv").read_bytes().decode("mac_roman")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_lens_two_digit_years_are_week_based(cockpit: Cockpit, shared: Path) -> None:
    """The pizza export writes the week-based year (Java ``dd/MM/YY``), not the calendar year.

    USD629684S1's row reads ``28/12/11`` with Publication Year 2010, filed ``13/01/10`` (priority
    ``US 35371210 F 20100113``). 28 December 2010 was a Tuesday, the USPTO's issue day; 28 December 2011 was a
    Wednesday, when the USPTO grants nothing. The shared USPTO weekly excerpts number the designs granted
    2010-01-05 D607,201-D607,558 and those of 2012-01-03 D651,432-D651,584, so D629,684 is about a year
    before the end of 2011, not at its end. The Sunday-to-Saturday week of 1 January 2011 began on
    26 December 2010, and that week's year, 11, is what the export wrote: the grant date is 2010-12-28 (the
    old reading was 1911-12-28, 99 years before the filing).
    Counted with csv: 6 of the 1,000 Publication Date cells have two digits one above Publication Year (the
    other 994 agree with it), all in the last week of December; 11 Application Date cells in the last
    week of December are one year after the same-day priority date of the row (none in that week is not).
    """
    [r] = cockpit.ingest([shared / "lens/pizza_lens_1000_raw.csv"])
    assert (r.read, r.loaded, r.quarantined) == (1000, 1000, 0)
    d = _doc(cockpit, "USD629684S1")
    assert (str(d["pub_date"]), str(d["grant_date"]), str(d["app_date"])) == ("2010-12-28", "2010-12-28", "2010-01-13")
    assert date(2010, 12, 28).weekday() == 1 and week_year(date(2010, 12, 28)) == 2011
    assert "week-based year" in json.loads(d["extra"])["date_notes"]["pub_date"]
    # no patent date outside 1790 .. today, and none out of order
    con = cockpit.store.con
    assert con.execute(
        "SELECT count(*) FILTER (WHERE pub_date < DATE '1790-01-01' OR pub_date > current_date), "
        "count(*) FILTER (WHERE app_date < DATE '1790-01-01' OR app_date > current_date), "
        "count(*) FILTER (WHERE priority_date < DATE '1790-01-01' OR priority_date > current_date), "
        "count(*) FILTER (WHERE app_date > pub_date OR priority_date > app_date), "
        "count(*) FILTER (WHERE pub_date IS NULL) FROM documents").fetchone() == (0, 0, 0, 0, 0)
    # every publication date has the row's Publication Year and the cell's day and month
    stored = {p: (str(pub), str(app) if app else "")
              for p, pub, app in con.execute("SELECT position, pub_date, app_date FROM documents").fetchall()}
    rows = _pizza_rows(shared)
    assert Counter(stored[f"line {i}"][0][:4] == row["Publication Year"]
                   for i, row in enumerate(rows, 2)) == {True: 1000}
    assert all(stored[f"line {i}"][0][8:] + "/" + stored[f"line {i}"][0][5:7] == row["Publication Date"][:5]
               for i, row in enumerate(rows, 2))
    notes = Counter(k for (e,) in con.execute("SELECT extra FROM documents").fetchall()
                    for k in json.loads(e).get("date_notes", {}))
    assert notes == {"pub_date": 6, "app_date": 11}
    # a corrected filing date: '27/12/00', priority 'US 47272399 A 19991227' (serial 09/472,723 of 1999)
    assert str(_doc(cockpit, "US6299918B1")["app_date"]) == "1999-12-27"


def _drones_rows(shared: Path) -> list[dict[str, str]]:
    text = (shared / "lens/drone_drones_fulltext_families_5884.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.slow
def test_lens_iso_dates_with_week_based_years(cockpit: Cockpit, shared: Path) -> None:
    """Issue 12: the drones export writes ISO dates, but with the week-based year (Java ``YYYY``).

    Counted with csv: 66 Publication Dates are one year after the row's Publication Year, all in the last
    days of December that fall in the week of the next 1 January (CN 104252133 A: 2015-12-31, year 2014);
    74 Application Dates in those days are one year after the same application's date in Priority Numbers
    (CN 104483987 A: 2015-12-29, 'CN 201410835651 A 20141229'; EP 2889212 B1: 2014-12-30,
    'EP 13400042 A 20131230'; the issue's 72 left out two whose priority spaces the number differently:
    'US 2014/0072531 W' and 'US 2014 0072531 W 20141229'), and 24 more, with no such priority, are after the
    row's own publication date while the year before is not (US 2014/0240144 A1: filed 2014-12-31,
    published 2014-08-28; application US 201314145879, of 2013).
    """
    [r] = cockpit.ingest([shared / "lens/drone_drones_fulltext_families_5884.csv"])
    assert (r.read, r.loaded, r.quarantined) == (5884, 5884, 0)
    dates = {d: (str(p), str(a)) for d, p, a in cockpit.store.con.execute(
        "SELECT doc_id, pub_date, app_date FROM documents WHERE doc_id IN "
        "('CN104252133A', 'CN104483987A', 'EP2889212B1', 'US20140240144A1')").fetchall()}
    assert dates == {"CN104252133A": ("2014-12-31", "2014-07-29"), "CN104483987A": ("2015-04-01", "2014-12-29"),
                     "EP2889212B1": ("2016-01-06", "2013-12-30"), "US20140240144A1": ("2014-08-28", "2013-12-31")}
    notes = json.loads(_doc(cockpit, "CN104483987A")["extra"])["date_notes"]
    assert notes["app_date"] == ("'2015-12-29' read as 2014-12-29: the year is the week-based year (the week of "
                                 "1 January 2015); the same application in Priority Numbers is dated 2014-12-29")
    # every publication date now has its row's Publication Year
    stored = dict(cockpit.store.con.execute("SELECT position, pub_date FROM documents").fetchall())
    rows = _drones_rows(shared)
    assert all(str(stored[f"line {i}"])[:4] == row["Publication Year"] for i, row in enumerate(rows, 2))
    assert cockpit.store.scalar("SELECT count(*) FROM documents WHERE app_date > pub_date") == 0
    check = cockpit.quality()["corrected_week_year_dates"]
    assert check["count"] == 66 + 74 + 24 and check["by_field"] == {"pub_date": 66, "app_date": 98}
    assert check["examples"]
    # the JSON lines write it too: US 2005/0186575 A1 (application 10/750,411) has filingDate and
    # earliestPriorityDate '2004-12-30', and priorityFilingKeysActive 'US 75041103 A 20031230'
    src = file_source(shared / "lens/covid_jsonl/Coronavirus-SARS-diagnosis-patents.jsonl")
    [rec] = [r for r in LensJsonl().read(src) if isinstance(r, PatentRecord) and r.doc_id == "US20050186575A1"]
    assert (rec.app_date, rec.priority_date) == (date(2003, 12, 30), date(2003, 12, 30))
    assert rec.extra["date_notes"]["priority_date"].endswith("2004-12-30 would be after the filing date 2003-12-30")


def test_lens_dates_that_make_no_sense_stay_empty(shared: Path) -> None:
    """USD629684S1's real row, with its Publication Year edited, and cells that are not patent dates."""
    row = next(r for r in _pizza_rows(shared) if r["Publication Number"] == "US D629684 S1")
    rec = build_record(row, "line 289")
    assert (rec.pub_date, rec.app_date) == (date(2010, 12, 28), date(2010, 1, 13))
    rec = build_record({**row, "Publication Year": "1987"}, "line 289")  # 11 is neither 87 nor 88
    assert rec.pub_date is None and rec.app_date == date(2010, 1, 13)  # the record is kept
    assert rec.extra["pub_date_raw"] == "28/12/11"
    assert rec.extra["date_notes"]["pub_date"] == "'28/12/11': the two-digit year 11 disagrees with the row's year 1987"
    rec = build_record({**row, "Application Date": "31/02/10"}, "line 289")
    assert rec.app_date is None and rec.extra["app_date_raw"] == "31/02/10"
    rec = build_record({**row, "Application Date": "1712-01-13"}, "line 289")
    assert rec.app_date is None and "before 1790-01-01" in rec.extra["date_notes"]["app_date"]
    # more than a year ahead is not a patent date either: the bound the data-quality check uses
    rec = build_record({**row, "Application Date": (date.today() + timedelta(days=400)).isoformat()}, "line 289")
    assert rec.app_date is None and "after" in rec.extra["date_notes"]["app_date"]
    soon = date.today() + timedelta(days=300)
    assert build_record({**row, "Application Date": soon.isoformat()}, "line 289").app_date == soon
    # the year of a two-digit date without a four-digit one nearby: the century closest below the publication
    assert lens_date("24/08/71", before=date(1976, 9, 21)) == (date(1971, 8, 24), None)
    with pytest.raises(ValueError, match="99 years before 2010-12-28 and 2011-01-13 after it"):
        lens_date("13/01/11", before=date(2010, 12, 28))


def test_lens_tidy_variant(cockpit: Cockpit, shared: Path) -> None:
    [r] = cockpit.ingest([shared / "lens/drones_tac_1606_cleaned.csv"])
    assert r.format == "lens-csv-tidy" and (r.read, r.loaded, r.quarantined) == (1606, 1606, 0)
    d = _doc(cockpit, "ATA33585A")
    assert d["title"] == "Doppelstocktrogbeute Für Die Zweivölkerbetriebsweise Zur Gänzlichen Schwarmunterbindung"
    assert json.loads(d["extra"])["lens_id"] == "080-780-325-762-321"
    assert _col(cockpit, "SELECT code FROM classifications WHERE doc_id='CN101161283A' AND scheme='IPC' "
                         "ORDER BY seq") == ["A61K 38/17", "A61K 39/395", "A61P 35/00"]
    assert _col(cockpit, "SELECT name_raw FROM inventors WHERE doc_id='CN101161283A' ORDER BY seq")[0] == "DALONG MA"


@pytest.mark.slow
def test_lens_jsonl_folder_merges_overlaps(cockpit: Cockpit, shared: Path) -> None:
    folder = shared / "lens/covid_jsonl"
    reports = [r for r in cockpit.ingest([folder]) if r.format == "lens-jsonl"]
    assert len(reports) == 10
    for r in reports:
        _balanced(r)
        assert r.quarantined == 0
    assert sum(r.read for r in reports) == 8210
    # 3,310 distinct Lens records, but two of them are the same publication WO 2006/088493 A8
    # (a correction reissued on 2007-08-09 and 2007-11-29): 3,309 canonical documents.
    assert sum(r.loaded for r in reports) == cockpit.store.count("documents") == 3309
    lens_ids = set()
    for src in walk([folder]):
        if src.name.endswith(".jsonl"):
            lens_ids |= {rec.extra["lens_id"] for rec in LensJsonl().read(src) if isinstance(rec, PatentRecord)}
    assert len(lens_ids) == 3310
    d = _doc(cockpit, "WO2015143335A1")
    assert (d["cited_by_count"], d["family_size"], str(d["priority_date"])) == (1, 3, "2014-03-20")
    assert _col(cockpit, "SELECT name_raw FROM parties WHERE doc_id='WO2015143335A1' AND role='applicant'")[0] == (
        "UNIV NORTH CAROLINA")
    assert cockpit.store.scalar("SELECT count(*) FROM citations WHERE doc_id='WO2015143335A1' AND npl") >= 1
    owner = _col(cockpit, "SELECT name_raw FROM parties WHERE doc_id='US20090022735A1' AND role='current_owner'")
    assert owner[0] == "NATIONAL HEALTH RESEARCH INSTITUTES"


@pytest.fixture
def patentscope(shared: Path, tmp_path: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cockpit, list]]:
    """The pizza export ingested by ``Cockpit.ingest`` into a new store (tests/shared_stores.py: built once per
    run, tests/test_graph.py starts from it too): a copy of that store, and the ingest's reports."""
    path, reports = patentscope_pizza(tmp_path_factory, shared)
    with Cockpit(Settings(db=str(copy_store(path, tmp_path)))) as c:
        yield c, reports


@pytest.mark.slow
def test_patentscope_zip_of_xls(patentscope: tuple[Cockpit, list]) -> None:
    cockpit, reports = patentscope
    xls = [r for r in reports if r.format == "patentscope-xls"]
    assert sorted(r.read for r in xls) == [6177, 8458, 9659]
    for r in xls:
        _balanced(r)
        assert r.quarantined == 0
    assert sum(r.read for r in xls) == 24294
    # 14 numbers listed twice: US4377109, EP2174549, EP1874120 as written, and 11 once in lower case
    # (national collection: es2228454, ru0002529060, il219036 ...) and once in upper case. Without kind codes
    # the date tells the publications apart: 12 are one publication listed twice (the same date); EP2174549 of
    # 2010-04-14 and of 2011-06-22 (its A1 and B1) and US4377109 of 1983-03-22 and 1996-08-06 (the grant
    # and its reexamination certificate) are two each, the second stored as EP2174549@2010-04-14 ...
    assert cockpit.store.count("documents") == 24294 - 12 == sum(r.loaded for r in xls)
    assert _col(cockpit, "SELECT doc_id FROM documents WHERE doc_id LIKE '%@%' ORDER BY 1") == [
        "EP2174549@2010-04-14", "US4377109@1983-03-22"]
    d = _doc(cockpit, "US20050286606")
    assert d["title"] == "Method and apparatus for monitoring and detecting defects in plastic package sealing"
    assert (str(d["pub_date"]), str(d["priority_date"])) == ("2005-12-29", "2004-06-24")
    assert _col(cockpit, "SELECT name_raw FROM parties WHERE doc_id='US20050286606'") == ["Fluke Corporation"]
    assert _col(cockpit, "SELECT code FROM classifications WHERE doc_id='US20050286606' ORDER BY seq") == [
        "G01N 25/00", "G01J 5/00", "G01N 25/72"]
    assert cockpit.store.scalar("SELECT count(*) FROM documents WHERE office='ZA'") > 100


def test_thomson_synbio(cockpit: Cockpit, shared: Path) -> None:
    [r] = cockpit.ingest([shared / "thomson/synbio.xlsx"])
    assert r.format == "thomson-xlsx" and (r.read, r.loaded, r.quarantined) == (644, 644, 0)
    d = _doc(cockpit, "US5824316A")
    assert d["title"] == "Leader-Proteinase Deleted Foot-And-Mouth Disease Viruses And Their Use As Vaccines"
    assert (d["cited_by_count"], d["family_id"], d["family_size"]) == (9, "US5824316A", 1)
    assert json.loads(d["extra"])["applicant_sector"] == "Government"
    assert _col(cockpit, "SELECT code FROM classifications WHERE doc_id='US5824316A' AND scheme='IPC' "
                         "ORDER BY seq")[0] == "A61K 39/00"
    fam = _col(cockpit, "SELECT doc_id FROM family_members WHERE family_id='CA2400890A1' AND scheme='inpadoc'")
    assert "EP1285390A2" in fam and "WO2001063543A2" in fam
    lit = cockpit.store.query("SELECT * FROM legal_events WHERE event_class='litigation' ORDER BY event_date")
    assert [(e["doc_id"], str(e["event_date"])) for e in lit] == [("US8377674B2", "2013-02-19"),
                                                                 ("US8377674B2", "2013-04-19")]
    assert cockpit.store.scalar("SELECT count(*) FROM texts WHERE kind='first_claim'") > 600


@pytest.mark.slow
def test_thomson_inventor_split_and_family_csv(cockpit: Cockpit, shared: Path) -> None:
    inv, rit = cockpit.ingest([shared / "thomson/synbio_inventors.xlsx", shared / "thomson/ritonavir.csv"])
    assert inv.format == "thomson-xlsx" and (inv.read, inv.loaded) == (642, 642)  # 2,116 rows, one per inventor
    assert rit.format == "thomson-family-csv" and (rit.read, rit.loaded, rit.quarantined) == (804, 804, 0)
    d = _doc(cockpit, "AU2007202956B2")
    assert d["family_size"] == 3 and d["title"] == "Polymorph of a pharmaceutical"
    assert _col(cockpit, "SELECT code FROM classifications WHERE doc_id='CA2425495A1' ORDER BY seq") == [
        "H01J 49/00", "G01N 30/72"]
    assert _col(cockpit, "SELECT name_raw FROM inventors WHERE doc_id='CA2425495A1'") == ["SOLDIN STEVEN J"]


def test_thomson_family_csv_stage_is_the_publications_own(cockpit: Cockpit, shared: Path) -> None:
    """ritonavir.csv's "granted patent" column says whether the family has a grant, not the row: 326 WO and 4 EP
    A publications have "Yes" (counted with the csv module). The stage comes from each row's own kind code: A
    is an application (a US A published before 2001 is a grant), B and C are grants."""
    with (shared / "thomson/ritonavir.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        names = [n.lower() for n in next(reader)]
        rows = [dict(zip(names, r, strict=False)) for r in reader]
    family_yes = Counter(r["publication number"][:2] for r in rows
                         if r["kind code"].startswith("A") and r["granted patent"] == "Yes")
    assert family_yes == {"WO": 326, "EP": 4, "US": 3}  # the 3 US: kind A, published 1999-2000, grants
    cockpit.ingest([shared / "thomson/ritonavir.csv"])
    stored = dict(cockpit.store.con.execute("SELECT doc_id, stage FROM documents").fetchall())
    for r in rows:
        kind = r["kind code"]
        number = re.sub(r"^([A-Z]{2})0+(\d+)$", r"\1\2", r["publication number"])  # no leading zeros
        wo = re.fullmatch(r"WO(\d{4})(\d+)", number)  # WO: four-digit year and six-digit serial
        doc_id = (f"WO{wo[1]}{int(wo[2]):06d}" if wo else number) + kind
        old_us_grant = r["publication number"].startswith("US") and kind == "A" and r["publication date"] < "2001"
        expected = "grant" if kind[0] in "BC" or old_us_grant else "application"
        assert stored[doc_id] == expected, doc_id
    # the screening takes invention grants only: none of the A publications but the three old US grants
    screened = {r["publication_number"] for r in condition_rows(cockpit.store.con)}
    assert len(screened) == 3 + 1 + 1 + 3 + 1 + 1 + 19  # US A, AU B2, CN C, EP B1, FR B1, IT B1, US B1/B2
    assert not any(d.startswith(("WO", "EP")) and d[-2:-1] == "A" or d.endswith(("A1", "A2")) for d in screened)


@pytest.mark.slow
def test_india_grants(cockpit: Cockpit, shared: Path) -> None:
    reports = cockpit.ingest([shared / "india"])
    grants = {Path(r.file).name: r for r in reports if r.format == "india-grants-csv"}
    assert {k: r.read for k, r in grants.items()} == {
        "2018_grants.csv": 15697, "2019_grants.csv": 22897, "2021_grants.csv": 11522}
    assert sum(r.read for r in grants.values()) == 50116
    for r in grants.values():
        _balanced(r)
    # 2018: 1,688 rows of other journal tables (no numeric patent number); 179 grants listed twice
    r18 = grants["2018_grants.csv"]
    assert (r18.quarantined, r18.merged, r18.loaded) == (1688, 179, 13830)
    assert grants["2021_grants.csv"].merged == 12  # 11 repeated in the file, 1 already in 2019
    assert cockpit.store.count("documents") == 48237
    d = _doc(cockpit, "IN291162")
    assert d["title"] == "TARGET POINT RECOGNITION METHOD AND SURVEYING INSTRUMENT"
    assert (str(d["pub_date"]), str(d["app_date"]), d["app_id"]) == ("2018-01-05", "2011-07-07", "IN10300DELNP2012")
    assert _col(cockpit, "SELECT role || ':' || name_raw FROM parties WHERE doc_id='IN291162'") == [
        "patentee:LEICA GEOSYSTEMS AG"]
    q = cockpit.store.query("SELECT * FROM quarantine WHERE excerpt LIKE 'SNO,LOCATION,%'")
    assert len(q) == 4 and q[0]["field"] == "Patent Number" and "another journal table" in q[0]["reason"]


def test_multilang_abstracts(cockpit: Cockpit, shared: Path) -> None:
    root = shared / "cn/abstracts_multilang_ipc"
    # the whole collection, read without the store: 235 files (6 empty), 15,115 lines, 14,674 documents
    sources = list(walk([root]))
    ing = MultilangAbstracts()
    assert len(sources) == 235 and all(ing.sniff(s) for s in sources if s.size)
    records = [rec for s in sources if s.size for rec in ing.read(s)]
    assert len(records) == 15115 and all(isinstance(r, PatentRecord) for r in records)
    assert len({r.doc_id for r in records}) == 14674
    by_office: dict[str, set[str | None]] = {}
    for r in records:
        if r.texts:
            by_office.setdefault(r.office, set()).add(r.lang)
    assert by_office["CN"] == {"zh"} and by_office["KR"] == {"ko"}
    # one group through the store: 3 files, 177 lines, 2 documents filed twice
    reports = cockpit.ingest([root / "Abstract/ClassB60T1-10"])
    assert [r.format for r in reports] == ["multilang-abstracts"] * 3
    for r in reports:
        _balanced(r)
    assert sum(r.read for r in reports) == 177
    assert cockpit.store.count("documents") == 175
    d = _doc(cockpit, "DE102020200852A1")
    assert d["lang"] == "de" and json.loads(d["extra"])["source_ipc"] == "B60T 1/10"
    assert _col(cockpit, "SELECT code FROM classifications WHERE doc_id='DE102020200852A1'") == ["B60T 1/10"]
    assert cockpit.store.scalar("SELECT count(*) FROM texts WHERE kind='abstract' AND lang='zh'") > 0


def test_sniffers_do_not_steal_other_text(shared: Path, tmp_path: Path) -> None:
    ing = MultilangAbstracts()
    assert not ing.sniff(file_source(shared / "patentscope/pizza_all_codebook_09022016.txt"))
    fake = tmp_path / "ClassB60T1-10" / "Date2015-2016.txt"
    fake.parent.mkdir()
    fake.write_text("just notes\n", encoding="utf-8")
    assert not ing.sniff(file_source(fake))
    moved = tmp_path / "abstracts.txt"
    moved.write_text("id-CN114081026A    abstract-一种装置\n", encoding="utf-8")
    assert not ing.sniff(file_source(moved))


def test_helpers() -> None:
    assert class_code("A61K-0031/12") == "A61K 31/12"
    assert class_code("C07D41700") == "C07D 417/00"
    assert class_code("B64C2201/024") == "B64C 2201/024"
    assert undo_double_utf8("FÃ¼r") == "Für" and undo_double_utf8("Für") == "Für"
    assert detect_language("본 발명은") == "ko" and detect_language("本発明は、列車") == "ja"
    assert detect_language("Die Erfindung betrifft ein Verfahren und eine Vorrichtung") == "de"
