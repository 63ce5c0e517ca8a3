"""The CNIPA gazette CSVs of ../shared/data/cn/gazette_2019 (``cn-gazette-csv``), on the real files.

Every expected count is recounted here from the raw files with the csv module (GB18030), not with the
ingester: rows per file; publication numbers that a file gives on rows with different fields (the scraper's
misassembled pages: quarantined); documents per kind; parties, inventors and classes of the first clean row of
each document in ingest order; intact filing numbers (12 digits and a check digit that the check confirms).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from shared_stores import copy_store, gazette_week
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from ipcockpit.model.numbers import cn_check_digit
from ipcockpit.settings import Settings

GAZETTE = "cn/gazette_2019"
SWAPPED = "2019.7.9专利数据/CN_patent_invention_authorized.csv"
FILES = ("2019.7.9专利数据/CN_patent_invention_authorized.csv", "2019.7.9专利数据/CN_patent_utility_new.csv",
         "CN_patent_appearance_designed_709.csv", "CN_patent_invention_authorized_709.csv",
         "CN_patent_invention_published_709.csv", "CN_patent_utility_new_709.csv")
KIND = {"A": ("invention", "application"), "B": ("invention", "grant"), "U": ("utility_model", "grant"),
        "S": ("design", "grant")}


def _rows(path: Path) -> list[dict[str, str]]:
    """The rows of a gazette file with the address and inventor cells by content: in the swapped file the
    cell under 'address' holds names (this recount knows it from looking at the file, see the test below)."""
    with path.open(encoding="gb18030", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        out = []
        for cells in reader:
            row = dict(zip(header, cells, strict=True))
            if header.index("address") < header.index("designer"):  # the swapped header
                row["address"], row["designer"] = row["designer"], row["address"]
            out.append(row)
    return out


def _names(cell: str) -> list[str]:
    return [n for n in cell.replace(";??", ";").split(";") if n.strip()]


def _intact(filing: str) -> str | None:
    if re.fullmatch(r"\d{12}[\dX]", filing) and cn_check_digit(filing[:12]) == filing[12]:
        return filing[:12]
    return None


def _recount(shared: Path, order: list[str]) -> dict:
    """What a store of the files ingested in ``order`` holds, from the raw rows."""
    per_file, docs, filings = {}, {}, {}
    for name in order:
        rows = _rows(shared / GAZETTE / name)
        variants: dict[str, set] = {}
        for r in rows:
            variants.setdefault(r["authorization_notice_id"], set()).add(
                tuple(v for k, v in r.items() if k != "item"))
        bad = {p for p, v in variants.items() if len(v) > 1}
        clean = [r for r in rows if r["authorization_notice_id"] not in bad]
        new = {r["authorization_notice_id"] for r in clean} - docs.keys()
        per_file[name] = {"read": len(rows), "quarantined": len(rows) - len(clean), "loaded": len(new),
                          "merged": len(clean) - len(new)}
        for r in clean:
            docs.setdefault(r["authorization_notice_id"], r)
            filings.setdefault(r["authorization_notice_id"], set()).add(r["filing_id"])
    return {"files": per_file, "docs": docs, "filings": filings}


@pytest.fixture(scope="module")
def store(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cockpit, list, dict]:
    """A copy of the week as ``Cockpit.ingest`` loaded it into a new store (tests/shared_stores.py), and that
    ingest's reports; the copy is this module's (the idempotence test ingests the week into it again)."""
    path, reports = gazette_week(tmp_path_factory, shared)
    c = Cockpit(Settings(db=str(copy_store(path, tmp_path_factory.mktemp("gazette"), "g.duckdb"))))
    order = [str(Path(r.file).relative_to(shared / GAZETTE)) for r in reports if r.format]
    yield c, reports, _recount(shared, order)
    c.close()


def test_every_file_is_read_with_counts_of_the_raw_rows(store, shared: Path) -> None:
    c, reports, expected = store
    got = {str(Path(r.file).relative_to(shared / GAZETTE)): r for r in reports if r.format}
    assert sorted(got) == sorted(FILES) and {r.format for r in got.values()} == {"cn-gazette-csv"}
    assert {n: {"read": r.read, "quarantined": r.quarantined, "loaded": r.loaded, "merged": r.merged}
            for n, r in got.items()} == expected["files"]
    # measured: 58,188 rows, 36,678 documents, 206 rows on misassembled pages
    assert sum(r.read for r in got.values()) == 58188
    assert sum(r.quarantined for r in got.values()) == 206
    assert c.store.count("documents") == len(expected["docs"]) == 36678
    assert [r for r in reports if not r.format] and all(r.skipped for r in reports if not r.format)  # SOURCE_COMMIT


def test_tables_match_the_raw_rows(store) -> None:
    c, _, expected = store
    docs = expected["docs"]
    q = c.store.con.execute
    kinds = Counter(KIND[p[-1]] for p in docs)
    assert Counter({(t, s): n for t, s, n in q(
        "SELECT doc_type, stage, count(*) FROM documents GROUP BY ALL").fetchall()}) == kinds
    roles = Counter("applicant" if p.endswith("A") else "patentee" for p, r in docs.items()
                    for _ in _names(r["patentee"]))
    assert dict(q("SELECT role, count(*) FROM parties GROUP BY ALL").fetchall()) == roles
    # the address is the first patentee's, as written (postcode included)
    assert q("SELECT count(*) FROM parties WHERE address_raw IS NOT NULL AND seq = 1").fetchone()[0] == sum(
        1 for r in docs.values() if r["address"].strip() and _names(r["patentee"]))
    assert q("SELECT count(*) FROM parties WHERE seq > 1 AND address_raw IS NOT NULL").fetchone()[0] == 0
    assert c.store.count("inventors") == sum(len(_names(r["designer"])) for r in docs.values())
    ipc = sum(len(dict.fromkeys(re.findall(r"[A-H]\d\d[A-Z]\d+/\d+", r["Int.Cl."]))) for p, r in docs.items()
              if not p.endswith("S"))
    locarno = sum(len(dict.fromkeys(re.findall(r"\d\d-\d\d", r["Int.Cl."]))) for p, r in docs.items()
                  if p.endswith("S"))
    assert dict(q("SELECT scheme, count(*) FROM classifications GROUP BY ALL").fetchall()) == {
        "IPC": ipc, "LOCARNO": locarno}
    assert q("SELECT count(*) FROM classifications WHERE main").fetchone()[0] == sum(
        1 for r in docs.values() if re.search(r"\d\d-\d\d|[A-H]\d\d[A-Z]\d+/\d+", r["Int.Cl."]))
    # a title text per titled document
    assert c.store.count("texts") == sum(1 for r in docs.values() if r["name"].strip())
    # every '?' of the files is in the ';??' separator: no name keeps one
    assert q("SELECT count(*) FROM inventors WHERE name_raw LIKE '%?%'").fetchone()[0] == 0
    assert q("SELECT count(*) FROM parties WHERE name_raw LIKE '%?%'").fetchone()[0] == 0


def test_mangled_filing_numbers_are_kept_raw_and_never_a_key(store) -> None:
    c, _, expected = store
    docs = expected["docs"]
    # a document's filing number is intact when one of its rows gives it whole (the two utility-model files
    # round the same numbers differently: the merge fills the application id from the file that has it whole)
    intact = {p: next((i for f in sorted(fs) if (i := _intact(f))), None) for p, fs in expected["filings"].items()}
    q = c.store.con.execute
    assert sum(1 for v in intact.values() if v) == q("SELECT count(*) FROM documents WHERE app_id IS NOT NULL"
                                                    ).fetchone()[0] == 5068
    assert c.store.count("applications") == len({v for v in intact.values() if v})
    mangled = [p for p, fs in expected["filings"].items() if all("E+" in f for f in fs)]
    assert q("SELECT count(*) FROM documents WHERE app_id IS NULL").fetchone()[0] == len(mangled)
    rows = q("SELECT doc_id, app_id, app_date, json_extract_string(extra, '$.filing_id_raw'), "
             "json_extract_string(extra, '$.filing_id_note') FROM documents WHERE doc_id = 'CN109996757A'").fetchall()
    assert docs["CN109996757A"]["filing_date"] == "2016.06.10"
    assert rows == [("CN109996757A", None, date(2016, 6, 10), "2.02E+12",
                     "2.02E+12 is in scientific notation (a spreadsheet rounded it): its digits are lost, so this "
                     "number is not used as a key")]
    # an intact one (the check digit X written without its dot) is the application id
    assert q("SELECT app_id FROM documents WHERE doc_id = 'CN109996727A'").fetchone()[0] == "CN201680087887"
    assert q("SELECT count(*) FROM documents WHERE app_id LIKE '%E%' OR app_id LIKE '%.%'").fetchone()[0] == 0


def test_misassembled_rows_are_quarantined_with_file_line_and_field(store, shared: Path) -> None:
    c, _, _ = store
    rows = c.quarantine("gazette_2019", limit=0)
    assert len(rows) == 206
    for r in rows:
        assert r["field"] == "authorization_notice_id"
        assert r["reason"].startswith(str((shared / GAZETTE).resolve()) + "/") and r["path"] in r["reason"]
        assert re.search(r", line \d+ \(item \d+\), column 'authorization_notice_id': publication CN\d+[ABUS] "
                         r"is also given at line \d+", r["reason"]), r["reason"]
    one = [r for r in rows if "CN104812396B" in r["reason"] and "709.csv" in r["reason"]]
    assert sorted(r["position"] for r in one) == ["line 182", "line 192"]
    assert all("other values in 'name'" in r["reason"] for r in one)


def test_swapped_headers_are_read_by_content(shared: Path, tmp_path: Path) -> None:
    path = shared / GAZETTE / SWAPPED
    with path.open(encoding="gb18030", newline="") as fh:
        header = next(csv.reader(fh))
    assert header.index("address") < header.index("designer")  # the headers say address, then designer
    c = Cockpit(Settings(db=str(tmp_path / "s.duckdb")))
    try:
        [r] = c.ingest([path])
        assert r.format == "cn-gazette-csv" and r.quarantined == 66
        q = c.store.con.execute
        assert q("SELECT address_raw FROM parties WHERE doc_id = 'CN102905253B'").fetchall() == [
            ("518057广东省深圳市南山区高新技术产业园科技南路中兴通讯大厦法务部",)]
        assert q("SELECT name_raw FROM inventors WHERE doc_id = 'CN102905253B'").fetchall() == [("李楠",)]
        assert q("SELECT name_raw FROM inventors WHERE doc_id = 'CN102889890B' ORDER BY seq").fetchall() == [
            ("A.尚穆加孙达拉姆",), ("S.彭纳姆巴拉姆",)]
        # every address of the file is the cell headed 'designer'; every inventor one of the cells headed 'address'
        raw = {row[2]: row for row in csv.reader(path.open(encoding="gb18030", newline=""))}
        for doc, address in q("SELECT doc_id, address_raw FROM parties WHERE seq = 1").fetchall():
            assert address == (raw[doc][8].strip() or None)
        for doc, name in q("SELECT doc_id, name_raw FROM inventors").fetchall():
            assert name in _names(raw[doc][7])
        note = q("SELECT DISTINCT json_extract_string(extra, '$.columns_read_from_content') FROM documents").fetchall()
        assert note == [("the column headed 'designer' holds the addresses and the one headed 'address' the "
                         "inventors",)]
        # a Chinese address is parsed by the loader (province, city, district, GB/T 2260 code)
        assert q("SELECT province, city, district, admin_code FROM parties WHERE doc_id = 'CN102905253B'"
                 ).fetchone() == ("广东省", "深圳市", "南山区", "440305")
    finally:
        c.close()


def test_ingest_twice_through_the_cli_gives_the_same_store(store, shared: Path, tmp_path: Path,
                                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    """``ipcockpit ingest <week> --json`` into a copy of the store that already holds the week: the JSON
    report has a row for every file (each read and loaded as the first ingest did, SOURCE_COMMIT.txt the one
    file of no format) and the store is unchanged. (The CLI's report was checked on an ingest of the week into
    a new store of its own, 66 s; the second ingest shows the same report rows, and that it changes nothing.)"""
    c, first, _ = store
    tables = ("documents", "applications", "parties", "inventors", "classifications", "texts", "quarantine")
    before = {t: c.store.count(t) for t in tables}
    assert before["documents"] == 36678 and before["quarantine"] == 206
    path, _ = gazette_week(tmp_path_factory, shared)  # the build the module's store was copied from
    db = copy_store(path, tmp_path, "again.duckdb")
    result = CliRunner().invoke(cli, ["ingest", str(shared / GAZETTE), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    start = result.output.index("[")
    reports = json.loads(result.output[start:result.output.rindex("]") + 1])
    loaded = {str(Path(r["file"]).relative_to(shared / GAZETTE)): r for r in reports if r.get("format")}
    assert sorted(loaded) == sorted(FILES)
    assert all(r["format"] == "cn-gazette-csv" and "error" not in r and r["read"] > 0 for r in loaded.values())
    assert [Path(r["file"]).name for r in reports if not r.get("format")] == ["SOURCE_COMMIT.txt"]
    assert [(r["file"], r["read"], r["loaded"], r["quarantined"], r["merged"]) for r in reports if r.get("format")] == [
        (r.file, r.read, r.loaded, r.quarantined, r.merged) for r in first if r.format]
    with Cockpit(Settings(db=str(db)), read_only=True) as again:
        assert {t: again.store.count(t) for t in tables} == before


def test_a_and_b_of_one_application_are_two_publications_of_it(shared: Path, tmp_path: Path) -> None:
    """No application of the shared week has both its A and its B in the files, so a B row is constructed from
    the real A row of CN109996727A (filing 201680087887X): placeholder grant number CN999999991B, marked
    （测试行）. A question mark inside a name (not after a separator) is kept as written and noted."""
    published = shared / GAZETTE / "CN_patent_invention_published_709.csv"
    with published.open(encoding="gb18030", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        row = next(r for r in reader if r[2] == "CN109996727A")
    grant = [*row]
    grant[1], grant[2], grant[3], grant[7] = row[1] + "（测试行）", "CN999999991B", "2021.01.05", "李?农;??王五"
    for name, rows in (("a.csv", [row]), ("b.csv", [grant])):
        with (tmp_path / name).open("w", encoding="gb18030", newline="") as fh:
            csv.writer(fh).writerows([header, *rows])
    c = Cockpit(Settings(db=str(tmp_path / "ab.duckdb")))
    try:
        reports = c.ingest([tmp_path / "a.csv", tmp_path / "b.csv"])
        assert [(r.format, r.loaded) for r in reports] == [("cn-gazette-csv", 1), ("cn-gazette-csv", 1)]
        q = c.store.con.execute
        assert q("SELECT doc_id, stage, doc_type, app_id FROM documents ORDER BY doc_id").fetchall() == [
            ("CN109996727A", "application", "invention", "CN201680087887"),
            ("CN999999991B", "grant", "invention", "CN201680087887")]
        assert q("SELECT app_id FROM applications").fetchall() == [("CN201680087887",)]
        assert q("SELECT role FROM parties ORDER BY doc_id").fetchall() == [("applicant",), ("patentee",)]
        assert q("SELECT name_raw FROM inventors WHERE doc_id = 'CN999999991B' ORDER BY seq").fetchall() == [
            ("李?农",), ("王五",)]
        assert q("SELECT json_extract(extra, '$.names_with_lost_characters') FROM documents "
                 "WHERE doc_id = 'CN999999991B'").fetchone()[0] == '["李?农"]'
    finally:
        c.close()
