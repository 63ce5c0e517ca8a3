"""The China Patent Award roster (MySQL dump of sessions 8-20) and the award condition it feeds.

The roster is ../shared/data/awards/china_patent_award_roster (4,526 winners; sessions 11 and 16
absent, session 8 gold only). No winner of it is a CN grant in the shared data (none of its application
numbers is the app_id of a stored document), so the end-to-end test adds one constructed row, marked
"（测试行）": the real application number, title and patentee of a session-20 gold winner with a placeholder
grant number and no legal status.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.ingest.sql_dump import insert_rows, read_tuples
from ipcockpit.value.conditions import Universe, condition_rows
from ipcockpit.value.settings import ScreenSettings

ROSTER = "awards/china_patent_award_roster/kwy_pa_patent_award.sql"
PREVIEW = "awards/25th-preview.jsonl"
CN_DUMP = "cn/table_export_sample"
AS_OF = date(2025, 7, 1)
NOT_LISTED = ("not on the China Patent Award lists loaded: sessions 8–20 (2007–2018; 11 and 16 absent, 8 partial); "
              "no State Science and Technology Award list loaded")
NOT_LISTED_ZH = ("不在已载入的中国专利奖名单中：第8–20届（2007–2018年；缺第11、16届，第8届不全）；"
                 "未载入国家科学技术奖名单")
WINNER = """申请号,申请日,公开号,公开日,授权公告号,授权公告日,专利类型,专利名称,申请人,申请人地址,法律状态,分类号
CN200510010470.7,,,,CN999999981B,,发明授权,轻合金管材热态内高压成形方法（测试行）,哈尔滨工业大学,,,
"""


def _tuples(text: str) -> list[tuple[str, ...]]:
    """(year, session, award_type, patent_type, patent_no) of every tuple, read with a plain regex."""
    return re.findall(r"^\(\d+, (\d+), (\d+), (\d), (\d), '([^']*)'", text, re.M)


def test_roster_loads_every_session(cockpit: Cockpit, shared: Path) -> None:
    text = (shared / ROSTER).read_text(encoding="utf-8")
    expected = Counter((int(s), int(y)) for y, s, *_ in _tuples(text))
    assert sum(expected.values()) == 4526
    [r] = cockpit.ingest([shared / ROSTER])
    # two session-10 numbers were saved by a spreadsheet as 2.0041E+11 and 2.0051E+11: their digits are lost
    assert (r.format, r.read, r.loaded, r.quarantined) == ("award-roster-sql", 4526, 4524, 2)
    bad = cockpit.quarantine("kwy_pa_patent_award")
    assert sorted(b["excerpt"][:35] for b in bad) == ["(4493, 2009, 10, 1, 1, '2.0041E+11'",
                                                      "(4498, 2009, 10, 1, 1, '2.0051E+11'"]
    assert {b["field"] for b in bad} == {"patent_no"} and all("scientific notation" in b["reason"] for b in bad)
    assert {b["position"] for b in bad} == {"line 4285", "line 4290"}
    got = Counter({(s, y): n for s, y, n in cockpit.store.con.execute(
        "SELECT edition, year, count(*) FROM ref_awards WHERE award = 'china_patent_award' GROUP BY ALL").fetchall()})
    assert got == expected - Counter({(10, 2009): 2})
    assert sorted({s for s, _ in got}) == [8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20]  # 11 and 16 absent
    levels = dict(cockpit.store.con.execute("SELECT level, count(*) FROM ref_awards GROUP BY ALL").fetchall())
    raw = Counter((t, p) for _, _, t, p, n in _tuples(text) if "E+" not in n)
    assert levels["gold"] == raw[("1", "1")] and levels["design_gold"] == raw[("1", "2")]
    assert levels["silver"] == raw[("2", "1")] and levels["design_silver"] == raw[("2", "2")]
    assert levels["excellence"] == raw[("3", "1")] and levels["design_excellence"] == raw[("3", "2")]
    assert sum(levels.values()) == 4524
    # session 8 lists gold winners only: 13 rows
    assert cockpit.store.con.execute("SELECT list(DISTINCT level) FROM ref_awards WHERE edition = 8").fetchone() == (
        ["gold"],)


def test_roster_numbers_and_names(cockpit: Cockpit, shared: Path) -> None:
    cockpit.ingest([shared / ROSTER])
    rows = {r["record_id"]: r for r in cockpit.store.query("SELECT * FROM ref_awards")}
    win = rows["kwy_pa_patent_award#2"]
    assert (win["award"], win["edition"], win["year"], win["level"], win["app_id"], win["doc_id"]) == (
        "china_patent_award", 20, 2018, "gold", "CN200510010470", None)
    assert (win["title"], win["holders"], win["inventors"]) == (
        "轻合金管材热态内高压成形方法", ["哈尔滨工业大学"], ["苑世剑", "何祝斌"])
    # ZL + 8 digits + check digit without its dot; a 'Z' for 'ZL'
    assert rows["kwy_pa_patent_award#1"]["app_id"] == "CN00136535"
    assert rows["kwy_pa_patent_award#2430"]["app_id"] == "CN201210518887"
    # spreadsheet damage repaired when the check digit confirms it: leading zeros lost (107569.1 is
    # 00107569.1), and the '.0' of a check digit 0 lost as well (3146170 is 03146170.0)
    assert rows["kwy_pa_patent_award#4488"]["app_id"] == "CN00107569"
    assert rows["kwy_pa_patent_award#4491"]["app_id"] == "CN03146170"
    assert rows["kwy_pa_patent_award#4506"]["app_id"] == "CN96117733"
    # session 8 pads two-character names to three with two spaces; names split at single spaces
    assert rows["kwy_pa_patent_award#4832"]["inventors"] == ["王承玉", "顾宁", "杨海芳", "孙岗"]
    assert rows["kwy_pa_patent_award#4830"]["holders"] == ["新兴铸管(集团)有限责任公司"]


def test_reingest_is_idempotent(cockpit: Cockpit, shared: Path) -> None:
    [first] = cockpit.ingest([shared / ROSTER])
    before = {t: cockpit.store.count(t) for t in ("ref_awards", "quarantine", "source_files")}
    [again] = cockpit.ingest([shared / ROSTER])
    assert (again.read, again.loaded, again.quarantined) == (first.read, first.loaded, first.quarantined)
    assert {t: cockpit.store.count(t) for t in before} == before == {
        "ref_awards": 4524, "quarantine": 2, "source_files": 1 + 2}  # the roster and the two bundled tables


def test_broken_tuple_goes_to_quarantine(cockpit: Cockpit, shared: Path, tmp_path: Path) -> None:
    lines = (shared / ROSTER).read_text(encoding="utf-8").splitlines(keepends=True)
    # line 51 (id 2) loses the quote that closes its patent number; line 52 (id 3) gets a value too many
    assert lines[50].startswith("(2, 2018, 20, 1, 1, 'ZL200510010470.7',")
    lines[50] = lines[50].replace("'ZL200510010470.7',", "'ZL200510010470.7,", 1)
    lines[51] = lines[51].replace("(3, 2018,", "(3, 3, 2018,", 1)
    broken = tmp_path / "kwy_pa_patent_award.sql"
    broken.write_text("".join(lines), encoding="utf-8")
    [r] = cockpit.ingest([broken])
    assert (r.format, r.read, r.loaded, r.quarantined) == ("award-roster-sql", 4526, 4522, 4)
    bad = {b["position"]: b for b in cockpit.quarantine(str(tmp_path))}
    assert set(bad) == {"line 51", "line 52", "line 4285", "line 4290"}
    assert bad["line 51"]["excerpt"].startswith("(2, 2018, 20, 1, 1, 'ZL200510010470.7, '轻合金")
    assert "cannot be read" in bad["line 51"]["reason"] and "12 values for the 11 columns" in bad["line 52"]["reason"]
    # the tuples after the broken ones load
    ids = {x["record_id"] for x in cockpit.store.query("SELECT record_id FROM ref_awards")}
    assert {"kwy_pa_patent_award#1", "kwy_pa_patent_award#4"} <= ids and "kwy_pa_patent_award#2" not in ids


def test_tuple_reader_goes_on_after_a_broken_tuple() -> None:
    values = "(1, 'a\\'b', NULL, -2.5e3),(2, 'x' 'y', 3),(3, 'it''s', 0x1F);"
    got = list(read_tuples(values))
    assert [(row, err is None) for _, row, err in got] == [
        (["1", "a'b", None, "-2.5e3"], True), (None, False), (["3", "it's", "0x1F"], True)]
    dump = "CREATE TABLE `t` (\n  `a` int,\n  `b` varchar(9)\n);\nINSERT INTO `t` VALUES\n(1, 'x'),\n(2, 'y\n"
    dump += "INSERT INTO `t` VALUES (3, 'z');\n"
    rows = list(insert_rows(dump.splitlines(keepends=True)))
    assert [(r.line, r.values, r.error is None) for r in rows] == [
        (6, ["1", "x"], True), (7, None, False), (8, ["3", "z"], True)]


@pytest.fixture
def winner_store(cockpit: Cockpit, shared: Path, tmp_path: Path) -> Cockpit:
    export = tmp_path / "专利总表_award_test.csv"
    export.write_text(WINNER, encoding="utf-8")
    reports = cockpit.ingest([shared / CN_DUMP, shared / ROSTER, export])
    assert [r.quarantined for r in reports] == [0, 2, 0]
    return cockpit


def _rows(cockpit: Cockpit, **settings: object) -> dict[str, dict]:
    s = ScreenSettings(as_of=settings.pop("as_of", AS_OF), **settings)  # type: ignore[arg-type]
    return {r["publication_number"]: r for r in condition_rows(cockpit.store.con, s, Universe())}


def test_winner_is_award_true_with_session_and_level(winner_store: Cockpit) -> None:
    r = _rows(winner_store)["CN999999981B"]
    award = r["conditions"]["award"]
    assert award["met"] is True
    [a] = award["evidence"]["awards"]
    assert (a["award"], a["edition"], a["year"], a["level"], a["record_id"]) == (
        "china_patent_award", 20, 2018, "gold", "kwy_pa_patent_award#2")
    assert award["reason"] == "China Patent Award session 20 (2018), gold"
    assert award["reason_zh"] == "第20届中国专利奖金奖（2018年）"
    # the award is met, but the data has no legal status for the row: high value unknown, not true
    assert r["in_force"] is None and r["high_value"] is None
    # an award counts from its year on: as of 2017 the session-20 award had not been given
    early = _rows(winner_store, as_of=date(2017, 12, 31))["CN999999981B"]["conditions"]["award"]
    assert early["met"] is None and early["reason"].startswith(
        "not on the China Patent Award lists loaded: sessions 8–19 (2007–2017; 11 and 16 absent, 8 partial)")
    assert "session 20 (2018) is after 2017-12-31 and not counted" in early["reason"]


def test_patent_not_on_the_lists_is_unknown(winner_store: Cockpit) -> None:
    r = _rows(winner_store)["CN115883397B"]  # the dump's real CN grant, in force, SEI unknown (no table)
    award = r["conditions"]["award"]
    assert award["met"] is None
    assert award["reason"] == NOT_LISTED and award["reason_zh"] == NOT_LISTED_ZH
    sessions = {(x["award"], x["edition"]) for x in award["evidence"]["award_lists"]}
    assert sessions == {("china_patent_award", s) for s in (8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20)}
    assert r["high_value"] is None and "award" in r["high_value_reason"]


def test_two_lists_are_both_named(winner_store: Cockpit, shared: Path) -> None:
    winner_store.ingest([shared / PREVIEW])
    award = _rows(winner_store)["CN115883397B"]["conditions"]["award"]
    assert award["met"] is None and award["reason"] == NOT_LISTED.replace(
        "8 partial)", "8 partial) and 25 (2025, partial)")
    assert award["reason_zh"] == NOT_LISTED_ZH.replace("第8届不全）", "第8届不全）、第25届（2025年，不全）")


def test_no_list_loaded_is_unknown(cockpit: Cockpit, shared: Path) -> None:
    cockpit.ingest([shared / CN_DUMP])
    award = _rows(cockpit)["CN115883397B"]["conditions"]["award"]
    assert award["met"] is None and award["evidence"] is None
    assert award["reason"].startswith("no award list loaded (China Patent Award, State Science and Technology Award)")
    assert award["reason_zh"].startswith("未载入获奖名单（中国专利奖、国家科学技术奖）")
