"""CNIPA's legal-status gazette of 2016-12-28 (../shared/data/cn/legal_events_gazette, ``cn-legal-events-csv``).

The expected figures are recounted here from the raw file with the csv module: a row is keyed by its 授权公告号,
else by its 申请号 when that is not in scientific notation (every such number's check digit is verified here,
leading zeros restored); rows of one key follow each other in the file; the class of each entry is this test's
own reading of CNIPA's words (:data:`EXPECTED`), not the ingester's table.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.model.events import CN_LEGAL_STATUS, code_class, text_class
from ipcockpit.model.numbers import cn_check_digit
from ipcockpit.settings import Settings

FILE = "cn/legal_events_gazette/FLZT20161228_ordered.csv"
GRANT = "cn/gazette_2019/CN_patent_invention_authorized_709.csv"
#: 法律状态信息 -> class, as this test reads CNIPA's words
EXPECTED = {
    "授权": "grant", "保密专利专利权授予": "grant", "公开": "publication", "文件的公告送达": "publication",
    "实质审查的生效": "examination", "发明专利申请公布后的视为撤回": "withdrawal",
    "发明专利申请公布后的撤回": "withdrawal", "发明专利申请公布后的驳回": "refusal",
    "专利权有效期届满": "expiry", "未缴年费专利权终止": "lapse", "专利权的视为放弃": "lapse",
    "专利权的主动放弃": "lapse", "避免重复授予专利权": "lapse",
    "专利权的转移": "transfer", "专利申请权的转移": "transfer",
    "专利权人的姓名或者名称、地址的变更": "change", "著录事项变更": "change",
    "专利权质押合同登记的生效": "pledge", "专利权质押合同登记的注销": "pledge_release",
    "专利权质押合同登记的变更": "change",
    "专利实施许可合同备案的生效": "licence", "专利实施许可合同备案的注销": "licence_release",
    "专利权的保全": "preservation", "专利权保全的解除": "preservation_release",
    "专利权全部无效": "invalidation_decision", "专利权部分无效": "invalidation_decision",
    "发明专利公报更正": "correction", "实用新型专利公报更正": "correction", "实用新型专利更正": "correction",
    "发明专利更正": "correction", "发明专利申请更正": "correction", "外观设计专利更正": "correction",
    "外观设计专利公报更正": "correction",
}


def _raw_rows(shared: Path) -> list[list[str]]:
    with (shared / FILE).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["授权公告号", "申请号", "法律状态公告日", "法律状态", "法律状态信息"]
    return rows[1:]


def _key(row: list[str]) -> str | None:
    """The key of a raw row: CN + 授权公告号, else CNA + the application number when whole, else None."""
    if row[0]:
        return "CN" + row[0]
    number = row[1]
    if "E+" in number:
        return None
    digits, _, check = number.partition(".")
    if len(digits) in (8, 12) and not check:
        check = "0" if len(digits) == 8 else ""
    if len(digits) < 8:
        digits, check = digits.zfill(8), check or "0"
    assert not check or cn_check_digit(digits) == check, number  # every number not in E notation checks
    return "CNA" + digits


@pytest.fixture(scope="module")
def loaded(shared: Path, tmp_path_factory: pytest.TempPathFactory):
    c = Cockpit(Settings(db=str(tmp_path_factory.mktemp("flzt") / "e.duckdb")))
    [report] = c.ingest([shared / FILE])
    yield c, report, _raw_rows(shared)
    c.close()


def test_counts_match_the_raw_file(loaded) -> None:
    c, r, rows = loaded
    assert len(rows) == 61773
    keys = [_key(row) for row in rows]
    keyed = [k for k in keys if k]
    runs = [k for i, k in enumerate(keys) if k and (i == 0 or keys[i - 1] != k)]
    assert len(runs) == len(set(keyed))  # the rows of a key follow each other
    assert r.format == "cn-legal-events-csv"
    # measured: 25,137 rows have no 授权公告号 and an application number in scientific notation
    assert (r.read, r.loaded, r.quarantined, r.merged) == (len(runs) + keys.count(None), len(set(keyed)),
                                                          keys.count(None), 0) == (61653, 36516, 25137, 0)
    assert c.store.count("legal_events") == len(keyed) == 36636
    assert c.store.count("documents") == len(set(keyed))
    assert c.store.scalar("SELECT count(*) FROM documents WHERE NOT stub") == 0


def test_event_classes_per_category_match_a_recount(loaded) -> None:
    c, _, rows = loaded
    assert {row[4] for row in rows} == set(EXPECTED)
    expected = Counter((row[3], row[4], EXPECTED[row[4]]) for row in rows if _key(row))
    got = Counter()
    for raw, cls, n in c.store.con.execute(
            "SELECT raw_text, event_class, count(*) FROM legal_events GROUP BY ALL").fetchall():
        category, _, info = raw.partition(": ")
        got[(category, info or category, cls)] = n
    assert got == expected
    by_class = dict(c.store.con.execute("SELECT event_class, count(*) FROM legal_events GROUP BY ALL").fetchall())
    assert by_class["transfer"] == 327 and by_class["grant"] == 33585 and by_class["pledge"] == 14
    # every event is dated by the gazette day and carries the CNIPA code its words stand for, where one is known
    assert c.store.con.execute("SELECT DISTINCT event_date FROM legal_events").fetchall() == [(date(2016, 12, 28),)]
    assert c.store.scalar("SELECT count(*) FROM legal_events WHERE code IS NULL") == sum(
        1 for row in rows if _key(row) and row[4] not in CN_LEGAL_STATUS)


def test_the_gazette_words_and_the_inpadoc_codes_give_one_class() -> None:
    expected = {**EXPECTED, "专利实施许可合同备案的变更": "change"}  # an entry of the table this day does not have
    for words, code in CN_LEGAL_STATUS.items():
        assert code_class("CN", code) == text_class(words) == expected[words], (words, code)


def test_numbers_key_only_when_whole(loaded) -> None:
    c, _, rows = loaded
    q = c.store.con.execute
    grant = q("SELECT doc_id, kind, stage, doc_type, pub_date, grant_date, app_id, stub, "
              "json_extract_string(extra, '$.application_number_raw') FROM documents WHERE doc_id = 'CN101056675B'"
              ).fetchall()
    raw = next(row for row in rows if row[0] == "101056675B")
    assert "E+" in raw[1]
    assert grant == [("CN101056675B", "B", "grant", "invention", date(2016, 12, 28), date(2016, 12, 28), None, True,
                      raw[1])]
    kinds = Counter(row[0][-1] for row in rows if row[0])
    assert dict(q("SELECT kind, count(*) FROM documents WHERE kind IS NOT NULL GROUP BY ALL").fetchall()) == kinds
    # an application number whose leading zeros a spreadsheet dropped, confirmed by its check digit
    assert q("SELECT doc_id, number, app_id, json_extract_string(extra, '$.application_number_note') FROM documents "
             "WHERE json_extract_string(extra, '$.application_number_raw') = '106482.7'").fetchall() == [
        ("CNA00106482", "A00106482", "CN00106482",
         "106482.7 read as 00106482.7: a spreadsheet dropped its leading zeros; the check digit confirms the digits")]
    # no application id is made of a mangled number
    assert q("SELECT count(*) FROM documents WHERE app_id IS NOT NULL AND "
             "json_extract_string(extra, '$.application_number_raw') LIKE '%E+%'").fetchone()[0] == 0
    assert q("SELECT count(*) FROM documents WHERE app_id IS NOT NULL").fetchone()[0] == len(
        {_key(row) for row in rows if _key(row) and "E+" not in row[1]})


def test_quarantine_names_file_line_and_field(loaded, shared: Path) -> None:
    c, _, _ = loaded
    rows = c.quarantine("FLZT20161228", limit=0)
    assert len(rows) == 25137 and {r["field"] for r in rows} == {"申请号"}
    first = rows[0]
    assert first["position"] == "line 147"
    assert first["reason"] == (f"{(shared / FILE).resolve()}, line 147, column '申请号': 2.0031E+11 is in scientific "
                               "notation (a spreadsheet rounded it): its digits are lost, so this number is not used "
                               "as a key; the row has no 授权公告号, so its entry (专利权的终止: 未缴年费专利权终止) "
                               "cannot be tied to a patent")


def test_ingest_twice_gives_the_same_store(loaded, shared: Path) -> None:
    c, first, _ = loaded
    before = {t: c.store.count(t) for t in ("documents", "applications", "legal_events", "quarantine")}
    assert before["legal_events"] == 36636
    [again] = c.ingest([shared / FILE])
    assert (again.read, again.loaded, again.quarantined, again.merged) == (
        first.read, first.loaded, first.quarantined, first.merged)
    assert {t: c.store.count(t) for t in before} == before


def test_events_reach_the_grant_of_their_application(shared: Path, tmp_path: Path) -> None:
    """Application 201610551321 is in both shared sets: an entry of the 2016 legal-status gazette (keyed on its
    whole application number) and its grant CN106169935B in the 2019 gazette week."""
    c = Cockpit(Settings(db=str(tmp_path / "both.duckdb")))
    try:
        c.ingest([shared / FILE, shared / GRANT])
        row = next(r for r in _raw_rows(shared) if r[1].startswith("201610551321"))
        events = c.store.con.execute(
            "SELECT e.doc_id, e.raw_text FROM documents d JOIN documents s ON s.app_id = d.app_id "
            "JOIN legal_events e ON e.doc_id = s.doc_id WHERE d.doc_id = 'CN106169935B'").fetchall()
        assert events == [("CNA201610551321", row[3] if row[3] == row[4] else f"{row[3]}: {row[4]}")]
        assert re.fullmatch(r"201610551321\.[\dX]", row[1])
    finally:
        c.close()
