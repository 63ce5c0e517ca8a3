"""The Chinese trademark table (``tm-cn-csv``, ``tm-cn-xlsx``) on a hand-made, real-shaped export
(tests/data/trademarks/cn_marks_export.csv: 13 rows in 中国商标网 columns), the trademark list
(:func:`ipcockpit.marks.listing.trademarks`) and the documentation of the tables and the layout.

The expected values are written out here from the file by hand, not derived from the reader.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.ingest.tm_cn_table import COLUMNS, parse_classes, parse_groups
from ipcockpit.marks.listing import trademarks
from ipcockpit.model.trademarks import TRADEMARK_TABLES
from ipcockpit.settings import Settings

FILE = Path(__file__).parent / "data" / "trademarks" / "cn_marks_export.csv"
DOCS = Path(__file__).resolve().parents[1] / "docs"

#: mark_id -> (text, Nice classes, 类似群, status, madrid, gi, shared, filing date, expiry date)
EXPECTED = {
    "CN30124578": ("璧山智造", [9, 35], ["0901", "0907", "3501"], "registered", False, False, False,
                   date(2018, 4, 12), date(2029, 4, 6)),
    "CN25873140": ("来凤鱼", [29], ["2901", "2904"], "registered", False, True, False, date(2017, 8, 21),
                   date(2028, 8, 13)),
    "CN33456781": (None, [25], ["2501", "2507"], "pending", False, False, False, date(2018, 9, 3), None),
    "CN39012345": ("青杠云", [9, 35], ["0901", "3501"], "refused", False, False, False, date(2019, 6, 17), None),
    "CNG1487652": ("MINDSPHERE", [9, 42], ["0901", "4220"], "registered", True, False, False, date(2019, 5, 20),
                   date(2029, 5, 20)),
    "CN28765432": ("丁家豆腐干", [29], ["2904"], "registered", False, False, True, date(2018, 1, 22),
                   date(2029, 1, 20)),
    "CN35678901": ("璧山兔", [30], ["3006", "3007"], "unknown", False, False, False, date(2018, 12, 28), None),
    "CN6123456": ("缙云春", [33], ["3301"], "expired", False, False, False, date(2007, 6, 18), date(2020, 2, 6)),
    "CN14567890": ("巴渝小面", [43], ["4301", "4302"], "cancelled", False, False, False, date(2014, 5, 6),
                   date(2025, 6, 20)),
    "CN52345678": ("璧泉", [32], ["3202"], "opposed", False, False, False, date(2021, 1, 8), None),
    "CN41234567": ("秀芽", [3], ["0306"], "abandoned", False, False, False, date(2019, 10, 9), None),
}


def _snapshot(c: Cockpit) -> dict[str, list[tuple]]:
    out = {}
    for table, cols in TRADEMARK_TABLES.items():
        names = ", ".join(f'"{n}"' for n, _ in cols if n not in ("file_id", "position"))
        out[table] = sorted(c.store.con.execute(f'SELECT {names} FROM "{table}"').fetchall(), key=repr)
    return out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Cockpit:
    c = Cockpit(Settings(db=str(tmp_path_factory.mktemp("cn") / "tm.duckdb")))
    [r] = c.ingest([FILE])
    assert (r.format, r.read, r.loaded, r.quarantined, r.merged) == ("tm-cn-csv", 13, 11, 2, 0)
    yield c
    c.close()


def test_the_export_loads_exactly(loaded: Cockpit) -> None:
    q = loaded.store.query
    rows = {r["mark_id"]: r for r in q("SELECT * FROM trademarks")}
    assert set(rows) == set(EXPECTED)
    for mark, (text, classes, groups, status, madrid, gi, shared, filed, expiry) in EXPECTED.items():
        r = rows[mark]
        got_classes = [x["nice_class"] for x in q("SELECT nice_class FROM trademark_classes WHERE mark_id = ? "
                                                  "AND scheme = 'nice' ORDER BY seq", [mark])]
        got_groups = [x["code"] for x in q("SELECT code FROM trademark_classes WHERE mark_id = ? "
                                           "AND scheme = 'cn_group' ORDER BY seq", [mark])]
        assert (r["mark_text"], got_classes, got_groups, r["status"], r["madrid"], r["gi"], r["shared"],
                r["filing_date"], r["expiry_date"]) == (text, classes, groups, status, madrid, gi, shared, filed,
                                                        expiry), mark
    assert rows["CN30124578"]["publication_date"] == date(2019, 1, 6)
    assert rows["CN30124578"]["registration_date"] == date(2019, 4, 7)
    assert rows["CNG1487652"]["intl_reg_date"] == date(2019, 5, 20)
    # parties: applicants placed in their district (璧山区 500120), the co-owner, the agents, a foreign owner
    parties = q("SELECT mark_id, role, name_raw, admin_code, country FROM trademark_parties ORDER BY mark_id, seq")
    assert len(parties) == 14
    assert {(p["role"], p["name_raw"]) for p in parties if p["mark_id"] == "CN28765432"} == {
        ("applicant", "重庆市璧山区丁家豆腐干厂"), ("co_applicant", "张明华")}
    assert sum(1 for p in parties if p["admin_code"] == "500120") == 8
    assert [p["country"] for p in parties if p["mark_id"] == "CNG1487652" and p["role"] == "applicant"] == ["DE"]
    # goods per class: 0901/0907/3501 items of 璧山智造
    goods = q("SELECT nice_class, text FROM trademark_goods WHERE mark_id = 'CN30124578' ORDER BY seq")
    assert [(g["nice_class"], g["text"]) for g in goods] == [
        (9, "计算机程序(可下载软件)"), (9, "电子芯片"), (35, "广告"), (35, "替他人推销")]
    assert loaded.store.count("trademark_events") == 25  # 3+2+1+3+2+2+2+2+3+3+2 流程 items


def test_bad_input_is_kept_shown_and_explained(loaded: Cockpit) -> None:
    q = loaded.store.query
    notes = {r["mark_id"]: r["notes"] for r in q("SELECT mark_id, notes FROM trademarks WHERE notes IS NOT NULL")}
    assert notes == {
        "CN33456781": "mark without text: shown by its image",
        "CN35678901": "no status code table to read code 'T99'; no rule knows the status text '流程异常待核'",
        "CN41234567": "class '46' is not a Nice class (1-45)",
    }
    image_only = q("SELECT mark_image, extra FROM trademarks WHERE mark_id = 'CN33456781'")[0]
    assert image_only["mark_image"] == "33456781.jpg" and "图形" in image_only["extra"]
    unknown = q("SELECT description, meaning, notes FROM trademark_events WHERE meaning IS NULL")
    assert unknown == [{"description": "商标档案调阅", "meaning": None,
                        "notes": "no rule knows the event text '商标档案调阅'"}]
    quarantine = q("SELECT position, field, reason_code FROM quarantine ORDER BY position")
    assert [(r["position"], r["field"], r["reason_code"]) for r in quarantine] == [
        ("line 13", "申请/注册号", "missing_value"), ("line 14", "申请日期", "bad_date")]


def test_class_lists_in_every_writing() -> None:
    assert parse_classes("第９类；第３５类") == ([9, 35], [])
    assert parse_classes("09,35") == ([9, 35], [])
    assert parse_classes("第46类") == ([], ["class '46' is not a Nice class (1-45)"])
    assert parse_groups("０９０１，３５０１") == (["0901", "3501"], [])
    assert parse_groups("901") == ([], ["类似群 '901' is not four digits of a class 01-45"])


def test_renewal_and_later_designation() -> None:
    from ipcockpit.ingest.tm_cn_table import RowReader, match_header

    header = ["注册号", "商标名称", "国际分类", "商标流程", "后期指定日期", "专用权期限"]
    events = "2010-02-07 商标注册申请---注册公告；2020-01-15 商标续展---核准通知打印发送"
    row = ["G1122334", "ALPINA", "第１２类", events, "2015-03-02", "2010-02-07至2030-02-06"]
    rec = RowReader(match_header(header)).read("line 2", row)
    assert rec.renewal_date == date(2020, 1, 15) and rec.expiry_date == date(2030, 2, 6)
    assert [e.meaning for e in rec.events] == ["registration", "renewal"]
    assert rec.madrid is True and rec.extra["later_designation_date"] == "2015-03-02"
    assert match_header(["申请号", "国际分类号", "发明名称"]) is None  # a patent table is not a trademark table


def test_xlsx_loads_the_same(loaded: Cockpit, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["商标查询结果导出"])  # a title row above the header, as exports have
    with open(FILE, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            ws.append(row)
    path = tmp_path / "marks.xlsx"
    wb.save(path)
    with Cockpit(Settings(db=str(tmp_path / "x.duckdb"))) as c:
        [r] = c.ingest([path])
        assert (r.format, r.read, r.loaded, r.quarantined) == ("tm-cn-xlsx", 13, 11, 2)
        assert _snapshot(c) == _snapshot(loaded)


def test_gb18030_csv_loads_the_same(loaded: Cockpit, tmp_path: Path) -> None:
    path = tmp_path / "marks_gbk.csv"
    path.write_bytes(FILE.read_text(encoding="utf-8").encode("gb18030"))
    with Cockpit(Settings(db=str(tmp_path / "g.duckdb"))) as c:
        [r] = c.ingest([path])
        assert (r.format, r.read, r.loaded, r.quarantined) == ("tm-cn-csv", 13, 11, 2)
        assert _snapshot(c) == _snapshot(loaded)


def test_trademark_list_filters(loaded: Cockpit) -> None:
    con = loaded.store.con

    def ids(**kw: object) -> list[str]:
        return [r["mark_id"] for r in trademarks(con, limit=50, **kw)["rows"]]

    assert ids(nice_class="第９类") == ids(nice_class=9) == ["CN39012345", "CNG1487652", "CN30124578"]
    assert ids(group="3501") == ["CN39012345", "CN30124578"]
    assert ids(applicant="璧山", status=["registered", "opposed"]) == ["CN30124578", "CN28765432", "CN25873140"]
    assert ids(applicant="璧泉", status="opposed") == ["CN52345678"]
    assert ids(madrid=True) == ["CNG1487652"] and ids(gi=True) == ["CN25873140"]
    assert ids(applicant="张明华") == ["CN28765432"]
    assert ids(applicant="知识产权代理") == []  # agents are not applicants
    page = trademarks(con, status="registered", limit=2)
    assert page["total"] == 4 and len(page["rows"]) == 2
    assert page["rows"][0]["classes"] == [9, 42] and page["rows"][0]["applicants"] == ["西门子股份公司"]
    with pytest.raises(ValueError, match="one of pending"):
        trademarks(con, status="live")
    with pytest.raises(ValueError, match="1 to 45"):
        trademarks(con, nice_class=46)


def test_tables_and_layout_are_documented() -> None:
    model = (DOCS / "model.md").read_text(encoding="utf-8")
    for table, cols in TRADEMARK_TABLES.items():
        assert f"`{table}`" in model, table
        for col, _ in cols:
            assert f"`{col}`" in model, f"{table}.{col}"
    formats = (DOCS / "formats.md").read_text(encoding="utf-8")
    for names in COLUMNS.values():
        assert f"`{names[0]}`" in formats, names[0]
    assert "tm-st96" in formats and "tm-cn-csv" in formats and "tm-cn-xlsx" in formats
