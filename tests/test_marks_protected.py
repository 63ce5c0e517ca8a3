"""Protected-mark lists (驰名商标, 老字号, 地理标志), the new filings similar to them, the cockpit's trademark, GI and
Madrid indicators computed from the marks, and the marks service, CLI and API.

Files: tests/data/trademarks/cn_marks_export.csv (13 rows, the CN layout) and tests/data/trademarks/protected/
(the lists, real names from public reports, see its README.md; new_filings.csv: 7 constructed filings in the CN
layout, some like a protected mark). The expected values are written out by hand from the files, not derived
from the code under test.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli_app
from ipcockpit.cockpit.indicators import cockpit, indicator_records
from ipcockpit.cockpit.reported import report_value
from ipcockpit.marks import protected as P
from ipcockpit.marks.protected_lists import read_list
from ipcockpit.marks.service import Marks
from ipcockpit.settings import Settings

DATA = Path(__file__).parent / "data" / "trademarks"
LISTS = DATA / "protected"
TODAY = date(2025, 6, 30)
LOADED = datetime(2024, 6, 1, 9, 0)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("marks") / "marks.duckdb"
    c = Cockpit(Settings(db=str(path)))
    reports = c.ingest([DATA / "cn_marks_export.csv", LISTS / "new_filings.csv"])
    assert [(r.read, r.loaded, r.quarantined) for r in reports] == [(13, 11, 2), (7, 7, 0)]
    for name, kind in (("time_honoured.csv", None), ("well_known.csv", "well_known"), ("gi.xlsx", None)):
        P.load_list(c.store.con, LISTS / name, kind, now=LOADED)
    c.close()
    return path


@pytest.fixture()
def c(store_path: Path) -> Any:
    with Cockpit(Settings(db=str(store_path))) as cockpit_:
        yield cockpit_


def test_lists_read_with_bad_rows_named() -> None:
    th = read_list(LISTS / "time_honoured.csv")
    assert th.kind == "time_honoured" and th.read == 21 and len(th.entries) == 17
    assert [(b.row, b.field, b.value) for b in th.bad] == [
        (19, "名称", None), (20, "类别", "第99类"), (21, "认定年份/批次", "去年"), (22, "名称", "饭遭殃")]
    assert "row 2" in th.bad[3].reason and all(b.path.endswith("time_honoured.csv") for b in th.bad)
    first = th.entries[0]
    assert (first.name, first.classes, first.level, first.recognised, first.year) == (
        "饭遭殃", [30], "重庆老字号", "第三批", None)
    qiaotou = next(e for e in th.entries if e.name == "桥头")
    assert (qiaotou.level, qiaotou.year, qiaotou.classes) == ("中华老字号", 2006, [30])
    jinzhongdao = next(e for e in th.entries if e.name == "金忠刀")
    assert jinzhongdao.admin_code == "500111"  # 重庆市大足区
    # the XLSX (a title row above the header) and the CSV of the GI list read alike
    gi_csv, gi_xlsx = read_list(LISTS / "gi.csv"), read_list(LISTS / "gi.xlsx")
    assert gi_xlsx.kind == gi_csv.kind == "gi"
    assert [e.entry_key for e in gi_xlsx.entries] == [e.entry_key for e in gi_csv.entries]
    assert len(gi_csv.entries) == 8 and [(b.row, b.field, b.value) for b in gi_csv.bad] == [(10, "保护类型", "地标")]
    fengshan = gi_csv.entries[0]
    assert (fengshan.reg_number, fengshan.gi_type, fengshan.year, fengshan.admin_code) == (
        "12568982", "trademark", 2013, "500117")
    assert next(e for e in gi_csv.entries if e.name == "璧山葡萄").admin_code == "500120"
    wk = read_list(LISTS / "well_known.csv")
    assert wk.kind == "well_known" and [e.name for e in wk.entries] == ["长安", "太极", "诗仙太白"]


def test_loaded_into_tables_and_reload_replaces(c: Cockpit, tmp_path: Path) -> None:
    con = c.store.con
    rows = {r["list_id"]: r for r in P.lists(con)}
    assert {k: (r["kind"], r["rows_read"], r["rows_loaded"], r["rows_quarantined"]) for k, r in rows.items()} == {
        "time_honoured": ("time_honoured", 21, 17, 4), "well_known": ("well_known", 3, 3, 0), "gi": ("gi", 9, 8, 1)}
    q = P.quarantine(con, "time_honoured")
    assert [(r["row"], r["field"]) for r in q] == [(19, "名称"), (20, "类别"), (21, "认定年份/批次"), (22, "名称")]
    # a copy: loading again keeps the first load's time and replaces the entries
    copy = tmp_path / "copy.duckdb"
    c.store.con.execute("CHECKPOINT")
    copy.write_bytes(Path(c.store.path).read_bytes())
    with Cockpit(Settings(db=str(copy))) as other:
        small = tmp_path / "small.csv"
        small.write_text("名称,级别\n桥头,中华老字号\n", encoding="utf-8")
        out = P.load_list(other.store.con, small, "time_honoured", name="time_honoured")
        assert out["first_loaded_at"] == LOADED and out["loaded_at"] > LOADED and out["rows_loaded"] == 1
        assert [e["name"] for e in P.entries(other.store.con, "time_honoured")] == ["桥头"]
        assert P.quarantine(other.store.con, "time_honoured") == []


EXPECTED_2024 = {  # filed in 2024, like a protected mark of another holder (new_filings.csv)
    "similar_mark:time_honoured:饭遭殃:CN70123401",  # 饭遭秧: same sound, 殃/秧 look alike, class 30
    "similar_mark:time_honoured:巴将军:CN70123402",  # 巴将君: same sound, class 43
    "similar_mark:well_known:长安:CN70123403",  # 长按 in class 12: 长安 is protected across classes
    "similar_mark:gi:璧山葡萄:CN70123404",  # 璧山葡萄 itself, class 31, by a company
}


def test_new_similar_filings(c: Cockpit) -> None:
    from ipcockpit.marks.similar import build_index

    con = c.store.con
    index = build_index(con)
    events = P.new_similar_filings(con, since="2024-01-01", index=index)
    assert {e["key"] for e in events} == EXPECTED_2024
    # left out: 桥头 in class 9 (the 中华老字号 names class 30), 桥头 of 2019 (before since), 来凤鱼 (the GI's own mark)
    assert not any("桥头" in e["key"] or "来凤鱼" in e["key"] for e in events)
    e = next(e for e in events if e["filing"]["mark_id"] == "CN70123401")
    assert e["event_key"] == e["key"] and e["kind"] == "similar_mark" and e["occurred"] == "2024-03-05"
    assert e["protected"]["name"] == "饭遭殃" and e["protected"]["kind"] == "time_honoured"
    assert "音" in e["similarity"]["matched"] and e["similarity"]["shared_classes"] == [30]
    assert "fan4 zao1 yang1" in e["similarity"]["explanation"] and "殃~秧" in e["similarity"]["explanation"]
    assert e["message_key"] == "marks.alert.similar_time_honoured" and e["params"]["mark"] == "饭遭秧"
    # stable: the same keys again; by default what came into the store at or after each list's first load (the
    # fixture dates the loads 2024-06-01, before its ingest): every similar filing, 桥头 of 2019 included
    assert [x["key"] for x in P.new_similar_filings(con, since="2024-01-01", index=index)] == [
        x["key"] for x in events]
    assert {x["key"] for x in P.new_similar_filings(con, index=index)} == {
        *EXPECTED_2024, "similar_mark:time_honoured:桥头:CN70123406"}


MARKS_IND = ("trademarks_per_10k_market_entities", "geographical_indications", "madrid_applications_cumulative")


def _cards(c: Cockpit, year: int) -> dict[str, dict[str, Any]]:
    return {k["id"]: k for k in cockpit(c.store, year=year, today=TODAY)["indicators"] if k["id"] in MARKS_IND}


def test_indicators_recounted(c: Cockpit, tmp_path: Path) -> None:
    # recounted by hand from the files: the region's (璧山区 address) CN marks in force at the end of 2024 are
    # 璧山智造, 来凤鱼, 丁家豆腐干, 桥头 (registered 2020), BISHAN SMART (registered 2022); 璧山兔 has status
    # 流程异常待核 and no registration date: it may or may not be in force. So 5 to 6; at the end of 2019: 3 to 4.
    cards = _cards(c, 2024)
    tm = cards["trademarks_per_10k_market_entities"]
    assert tm["computed"]["value"] is None and tm["computed"]["reason_key"] == "cockpit.reason.marks_range"
    assert tm["computed"]["reason_values"] == {"year": 2024, "low": "5", "high": "6", "without_region": 0,
                                              "in_force_unknown": 1, "year_unknown": 0}
    assert (tm["source"], tm["value"]) == ("reported", 1886)  # the reported value stays
    rec = indicator_records(c.store, indicator="trademarks_per_10k_market_entities", year=2019, today=TODAY)
    assert rec["reason_values"]["low"] == "3" and rec["reason_values"]["high"] == "4"
    assert {r["mark_id"] for r in rec["rows"] if r["counted"]} == {"CN30124578", "CN25873140", "CN28765432"}
    assert [r["mark_id"] for r in rec["rows"] if r["counted"] is None] == ["CN35678901"]
    # GIs: 来凤鱼 (a GI mark and the list's entry of the same number: once); 璧山葡萄 has no year: 1 to 2
    gi = cards["geographical_indications"]["computed"]
    assert gi["value"] is None and (gi["reason_values"]["low"], gi["reason_values"]["high"]) == ("1", "2")
    # Madrid: 6 in 2020 (the plan) + BISHAN SMART (international registration 2022-03-01) = 7 from 2022
    md = cards["madrid_applications_cumulative"]
    assert (md["value"], md["source"], md["records"]) == (7.0, "computed", 1)
    assert md["coverage"]["reason_key"] == "cockpit.coverage.no_official_since"
    assert _cards(c, 2021)["madrid_applications_cumulative"]["value"] == 6.0
    # with the market entities of 2024 and 2020 reported: still a range (value_range), coverage against the floor
    copy = tmp_path / "me.duckdb"
    c.store.con.execute("CHECKPOINT")
    copy.write_bytes(Path(c.store.path).read_bytes())
    with Cockpit(Settings(db=str(copy))) as other:
        for year in (2020, 2024):
            report_value(other.store, "500120", "market_entities", year, 100_000, "测试用市场主体数（非统计数据）",
                         "pytest")
        tm = _cards(other, 2024)["trademarks_per_10k_market_entities"]
        assert tm["computed"]["value"] is None and tm["coverage"]["status"] == "partial"
        assert tm["coverage"]["floor"]["official"] == 18_860  # 1886 per 10,000 × 100,000
        rows = indicator_records(other.store, indicator="trademarks_per_10k_market_entities", year=2024,
                                 today=TODAY)
        assert rows["coverage"]["reason_key"] == "cockpit.coverage.marks_partial_floor"


def test_service_cli_and_mark_page(c: Cockpit, store_path: Path) -> None:
    svc = Marks(c.store, c.settings)
    hits = svc.similar("饭遭殃", classes=["第３０类"])["rows"]
    assert hits[0]["mark_id"] == "CN70123401" and hits[0]["explanation"].startswith("字 0.67")
    folder = svc.index_folder()
    assert folder is not None and (folder / "signature.json").is_file()
    mark = svc.mark("CNG1650001")
    assert mark is not None and mark["flags"] == ["madrid"] and mark["intl_reg_date"] == date(2022, 3, 1)
    assert [e["code"] or e["description"] for e in mark["events"]] and mark["classes"][0]["nice_class"] == 9
    assert svc.mark("CN1") is None
    runner = CliRunner()
    out = runner.invoke(cli_app, ["marks", "alerts", "--since", "2024-01-01", "--json", "--db", str(store_path)])
    assert out.exit_code == 0, out.output
    assert {a["key"] for a in json.loads(out.stdout)["rows"]} == EXPECTED_2024
    out = runner.invoke(cli_app, ["marks", "protected", "list", "--db", str(store_path)], env={"COLUMNS": "200"})
    assert out.exit_code == 0 and "time_honoured" in out.output and "老字号" in out.output
    out = runner.invoke(cli_app, ["marks", "protected", "load", "x.csv", "--kind", "famous", "--db", str(store_path)])
    assert out.exit_code == 2 and "famous" in out.output


def test_web_pages_and_api(c: Cockpit, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from ipcockpit.web.server import create_app

    copy = tmp_path / "web.duckdb"
    c.store.con.execute("CHECKPOINT")
    copy.write_bytes(Path(c.store.path).read_bytes())
    with TestClient(create_app(Settings(db=str(copy)), read_only=True)) as client:
        r = client.get("/marks", params={"q": "饭遭殃", "class": "30"})
        assert r.status_code == 200 and "CN70123401" in r.text and "fan4 zao1 yang1" in r.text
        hits = client.get("/api/marks", params={"q": "饭遭殃", "class": "30"}).json()["rows"]
        assert hits[0]["mark_id"] == "CN70123401" and hits[0]["shared_classes"] == [30]
        alerts = client.get("/api/marks/alerts", params={"since": "2024-01-01"}).json()
        assert {a["key"] for a in alerts["rows"]} == EXPECTED_2024
        csv_text = client.get("/marks/alerts", params={"since": "2024-01-01", "format": "csv", "lang": "en"}).text
        assert "similar to the time-honoured brand" in csv_text and "饭遭秧" in csv_text
        q = client.get("/marks/protected", params={"format": "csv", "section": "quarantine", "lang": "zh-CN"}).text
        assert "第99类" in q and "time_honoured.csv" in q and "尼斯分类为1至45类" in q
        protected = client.get("/marks/protected", params={"lang": "zh-CN"}).text
        assert "尼斯分类为1至45类" in protected
        assert re.search(r"<td[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d UTC", protected)  # when each list was loaded
        assert not re.search(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\.\d", protected)  # not the stored value
        page = client.get("/marks/mark/CNG1650001")
        assert page.status_code == 200 and "BISHAN SMART" in page.text and "马德里" in page.text
        assert client.get("/marks/mark/CN1").status_code == 404
        en = client.get("/marks/mark/CN35678901", params={"lang": "en"}).text  # 流程异常待核: no rule knows it
        assert "status unknown: neither a code nor a text could be read" in en and "流程异常待核" in en
        assert "T99" in client.get("/api/marks/mark/CN35678901").json()["notes"]
        listed = client.get("/marks", params={"class": "第３０类"}).text
        assert "CN70123401" in listed and "CN28765432" not in listed  # class 30 only: 丁家豆腐干 is class 29
        assert client.get("/marks/protected", params={"format": "xlsx"}).status_code == 200


def _st96_recount(path: Path) -> dict[str, Any]:
    """The application number, mark text, status code and event count of a raw ST.96 file (lxml XPath)."""
    from lxml import etree

    ns = {"tm": "http://www.wipo.int/standards/XMLSchema/ST96/Trademark",
          "com": "http://www.wipo.int/standards/XMLSchema/ST96/Common"}
    doc = etree.parse(str(path))
    return {"mark_id": "US" + doc.xpath("string(//tm:Trademark/com:ApplicationNumber/com:ApplicationNumberText)",
                                        namespaces=ns),
            "text": doc.xpath("string(//tm:MarkVerbalElementText)", namespaces=ns) or None,
            "status_code": doc.xpath("string(//tm:MarkCurrentStatusCode)", namespaces=ns),
            "events": len(doc.xpath("//tm:MarkEvent", namespaces=ns))}


def test_st96_marks_in_the_service_and_outside_the_cn_indicators(c: Cockpit, shared: Path, tmp_path: Path) -> None:
    files = sorted((shared / "trademarks" / "uspto_st96").glob("*.xml"))
    raw = [_st96_recount(f) for f in files]
    assert len(raw) == 8
    copy = tmp_path / "st96.duckdb"
    c.store.con.execute("CHECKPOINT")
    copy.write_bytes(Path(c.store.path).read_bytes())
    with Cockpit(Settings(db=str(copy))) as other:
        svc = Marks(other.store, other.settings)
        before = len(svc.index())
        other.ingest([shared / "trademarks" / "uspto_st96"])
        # the index is rebuilt because the marks changed: every US mark with a text is in it
        assert len(svc.index()) == before + sum(1 for r in raw if r["text"])
        for r in raw:
            mark = svc.mark(r["mark_id"])
            assert mark is not None and mark["mark_text"] == r["text"] and mark["status_code"] == r["status_code"]
            assert len(mark["events"]) == r["events"] and mark["status"] != "unknown"
        hit = svc.similar("DIE ANTWORD")["rows"][0]
        assert hit["mark_id"] == "US85229197" and hit["dimensions"]["字"]["how"] == "edit distance 1"
        # US marks are not the district's registered marks: the CN count is unchanged (5 to 6 at the end of 2024)
        tm = _cards(other, 2024)["trademarks_per_10k_market_entities"]["computed"]
        assert (tm["reason_values"]["low"], tm["reason_values"]["high"]) == ("5", "6")
    with Cockpit(Settings(db=str(tmp_path / "us_only.duckdb"))) as us:
        us.ingest([files[0]])
        tm = _cards(us, 2024)["trademarks_per_10k_market_entities"]
        assert tm["reason_key"] == "cockpit.reason.no_cn_marks" and tm["value"] == 1886


def test_web_upload_of_a_list_needs_a_writer(c: Cockpit, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from ipcockpit.web.server import create_app

    copy = tmp_path / "upload.duckdb"
    c.store.con.execute("CHECKPOINT")
    copy.write_bytes(Path(c.store.path).read_bytes())
    with Cockpit(Settings(db=str(copy))) as own:
        own.add_user("ana", "analyst", "a long pass phrase 42")
    files = {"file": ("重庆老字号.csv", (LISTS / "time_honoured.csv").read_bytes(), "text/csv")}
    with TestClient(create_app(Settings(db=str(copy)), read_only=False)) as client:
        assert client.post("/api/marks/protected", files=files).status_code in (401, 403)
        r = client.post("/login", json={"username": "ana", "password": "a long pass phrase 42"})
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        out = client.post("/api/marks/protected", files=files, data={"name": "重庆老字号"})
        assert out.status_code == 200, out.text
        body = out.json()
        assert (body["list_id"], body["kind"], body["rows_loaded"], body["loaded_by"]) == (
            "重庆老字号", "time_honoured", 17, "ana")
        assert [(q["row"], q["field"]) for q in body["quarantined"]][:2] == [(19, "名称"), (20, "类别")]
        bad = client.post("/api/marks/protected", files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")})
        assert bad.status_code == 400 and "name column" in bad.text
        page = client.get("/marks/protected", params={"loaded": "重庆老字号"}).text
        assert 'id="protected-load"' in page and "重庆老字号" in page


def test_drill_down_page_of_a_mark_indicator(c: Cockpit, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from ipcockpit.web.server import create_app

    copy = tmp_path / "drill.duckdb"
    c.store.con.execute("CHECKPOINT")
    copy.write_bytes(Path(c.store.path).read_bytes())
    with TestClient(create_app(Settings(db=str(copy)), read_only=True)) as client:
        params = {"indicator": "trademarks_per_10k_market_entities", "year": 2024}
        zh = client.get("/cockpit/records", params={**params, "lang": "zh-CN"}).text
        assert 'href="/marks/mark/CN30124578"' in zh and "状态：已注册" in zh and "无注册日期" in zh
        assert "registered 20" not in zh  # the reasons in Chinese on the Chinese page
        en = client.get("/cockpit/records", params={**params, "lang": "en"}).text
        assert "status unknown and no registration date" in en
