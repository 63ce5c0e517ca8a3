"""The cockpit in the web app (TestClient) against a real DuckDB built from the shared data: the page in
Chinese and English, the big screen, the reported-value form and CSV upload, the drill-down, the JSON,
CSV and Excel downloads and the PDF evaluation report."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

SQL_FILE = "cn/table_export_sample/专利总表(案例).sql"
SEI = "classification/cnipa_sei2021_ipc_concordance.json"
PLAN = Path(__file__).resolve().parents[1] / "ipcockpit/cockpit/regions/500120.yaml"
ZHENGZHOU = """region:
  admin_code: "410100"
  name_zh: 河南省郑州市
  name_en: Zhengzhou, Henan
  plan_document: 测试规划（测试用）
baseline_year: 2020
target_year: 2025
indicators:
  - {id: invention_patents_per_10k_pop, name_zh: 每万人发明专利拥有量, unit_zh: 件, baseline: null, target: 2}
  - {id: copyright_registrations, name_zh: 普通作品版权登记量, unit_zh: 件, baseline: 10, target: 20}
"""
PASSWORD = "cockpit-test-pass-1"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> tuple[Path, Path]:
    """A store with the SQL dump, the SEI concordance, the plan's baselines, a (test) population for
    Zhengzhou 2024 and an analyst; and a regions folder with a Zhengzhou profile."""
    tmp = tmp_path_factory.mktemp("web_cockpit")
    regions = tmp / "regions"
    regions.mkdir()
    (regions / "410100.yaml").write_text(ZHENGZHOU, encoding="utf-8")
    path = tmp / "base.duckdb"
    with Cockpit(Settings(db=str(path), regions=str(regions))) as c:
        reports = c.ingest([shared / "cn/table_export_sample", shared / SEI])
        assert all(r.error is None for r in reports)
        assert len(c.load_plan_baselines()) == 9
        pop = c.report_value("population", 2024, 1_000_000, "测试用人口（非统计数据）", "pytest", region="410100")
        c.publish([pop["id"]], by="pytest")  # published: public visitors see published figures only
        c.add_user("ana", "analyst", PASSWORD)
    return path, regions


def _app(base: tuple[Path, Path], tmp_path: Path, read_only: bool = False) -> Any:
    path = tmp_path / "cockpit.duckdb"
    shutil.copy(base[0], path)
    return create_app(Settings(db=str(path), regions=str(base[1])), read_only=read_only)


@pytest.fixture
def client(base: tuple[Path, Path], tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(_app(base, tmp_path)) as c:
        yield c


def login(client: TestClient) -> None:
    r = client.post("/login", json={"username": "ana", "password": PASSWORD})
    assert r.status_code == 200, r.text


def csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "the cockpit's forms carry a CSRF token"
    return m.group(1)


def card_html(html: str, indicator: str) -> str:
    m = re.search(rf'<article class="ind-card[^"]*" id="card-{indicator}".*?</article>', html, re.S)
    assert m, indicator
    return m.group(0)


def field(card: str, cls: str) -> str:
    m = re.search(rf'<dd class="{cls}"[^>]*>(.*?)</dd>', card, re.S)
    assert m, cls
    return re.sub(r"<[^>]+>", "", m.group(1)).strip()


def plan_indicators() -> list[dict[str, Any]]:
    return yaml.safe_load(PLAN.read_text(encoding="utf-8"))["indicators"]


def test_home_is_the_cockpit_with_the_plan(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and '<html lang="zh-CN">' in r.text
    html = r.text
    assert "<h1>知识产权驾驶舱 · <span id=\"region-name\">重庆市璧山区</span></h1>" in html
    assert "璧山府办发〔2022〕30号" in html
    ids = re.findall(r'<article class="ind-card[^"]*" id="card-([a-z0-9_]+)"', html)
    plan = plan_indicators()
    assert ids == [i["id"] for i in plan] and len(ids) == 10
    # baseline and target as the plan writes them (satisfaction: no baseline, "——" in the plan)
    shown = {i: (field(card_html(html, i), "baseline"), field(card_html(html, i), "target")) for i in ids}
    assert shown["invention_patents_per_10k_pop"] == ("12.01", "25")
    assert shown["high_value_invention_patents_per_10k_pop"] == ("2.76", "12")
    assert shown["trademarks_per_10k_market_entities"] == ("1,886", "2,100")
    assert shown["pledge_financing_amount"] == ("0.2", "3")
    assert shown["protection_satisfaction"] == ("–", "82")
    for ind in plan:
        base = "–" if ind["baseline"] is None else f"{ind['baseline']:,g}"
        assert shown[ind["id"]] == (base, f"{ind['target']:,g}")
    # the plan's baseline is a reported value citing the plan; each card has its trend chart
    card = card_html(html, "invention_patents_per_10k_pop")
    assert '<span class="source reported"' in card and "璧山府办发〔2022〕30号" in card
    option = json.loads(re.search(r'id="chart-invention_patents_per_10k_pop-option">(.*?)</script>', html, re.S)[1])
    assert option["xAxis"]["data"] == ["2020", "2021", "2022", "2023", "2024", "2025"]
    assert option["series"][0]["data"][0] == 12.01 and option["series"][0]["markLine"]["data"] == [{"yAxis": 25.0}]
    assert '<a href="/" aria-current="page">驾驶舱</a>' in html
    assert "/static/vendor/echarts/echarts.min.js" in html and "/static/cockpit.js" in html
    # the overview moved to /overview
    overview = client.get("/overview")
    assert overview.status_code == 200 and "<h1>数据总览</h1>" in overview.text
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/", "/cockpit", "/cockpit/records", "/cockpit/reported", "/cockpit/report.pdf", "/overview"} <= set(paths)


def test_cockpit_in_english(client: TestClient) -> None:
    html = client.get("/cockpit", params={"lang": "en"}).text
    assert '<html lang="en">' in html and (
        "<h1>IP cockpit · <span id=\"region-name\">Bishan District, Chongqing</span>" in html)
    card = card_html(html, "invention_patents_per_10k_pop")
    assert "Invention patents in force per 10,000 population" in card and "Baseline (2020)" in card
    assert "知识产权驾驶舱" not in html


def test_cockpit_in_chinese_has_no_english_notes(client: TestClient) -> None:
    """Every card of Bishan and of Zhengzhou (a test profile with no plan title and a computed value from the
    CN table export) in Chinese: names, notes, reasons, tooltips, the time it was made (with its zone)."""
    for params in ({}, {"region": "410100", "year": 2024}):
        html = client.get("/cockpit", params={**params, "lang": "zh-CN"}).text
        cards = re.search(r'<section class="cards" id="cards">.*?</section>', html, re.S)
        assert cards, params
        text = re.sub(r'<script type="application/json".*?</script>', "", cards.group(0), flags=re.S)
        shown = re.sub(r"<[^>]+>", " ", text) + " ".join(re.findall(r'(?:title|aria-label)="([^"]*)"', text))
        words = re.findall(r"[A-Za-z]{3,}(?:[ ,.'-]+[A-Za-z]{2,})+", shown.replace("PCT", ""))
        assert words == [], (params, words[:5])
        intro = re.search(r'<p class="intro">(.*?)</p>', html, re.S)
        assert intro and "None" not in intro.group(1), intro
        note = re.search(r"生成时间 ([^<]*)</p>", html)
        assert note and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC([+-]\d+(:\d\d)?)?", note.group(1)), note
    card = card_html(html, "copyright_registrations")  # the baseline: from the profile, which has no plan title
    assert "地区配置文件 410100.yaml" in card and "region profile" not in card


def test_json_equals_cockpit_and_downloads(client: TestClient) -> None:
    data = client.get("/cockpit", params={"year": 2024, "format": "json"}).json()
    expected = client.app.state.cockpit.call(lambda c: c.cockpit(None, 2024))
    expected = json.loads(json.dumps(expected, default=str))
    data.pop("generated_at"), expected.pop("generated_at")
    assert data == expected
    assert client.get("/", params={"year": 2024, "format": "json"}).json()["indicators"] == data["indicators"]
    r = client.get("/cockpit", params={"year": 2024, "format": "csv", "columns": "ids"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == [i["id"] for i in plan_indicators()]
    first = rows[0]
    assert (first["baseline"], first["target"], first["source"]) == ("12.01", "25.0", "reported")
    trend = list(csv.DictReader(io.StringIO(client.get("/cockpit", params={"format": "csv", "section": "trend",
                                                                            "columns": "ids"})
                                            .content.decode("utf-8-sig"))))
    assert {row["id"] for row in trend} == {i["id"] for i in plan_indicators() if i["baseline"] is not None}
    x = client.get("/cockpit", params={"year": 2024, "format": "xlsx", "lang": "zh-CN"})
    assert x.headers["content-disposition"] == 'attachment; filename="cockpit-500120-2024.xlsx"'
    book = load_workbook(io.BytesIO(x.content), read_only=True)
    assert book.sheetnames == ["indicators", "trend", "series"]
    sheet = list(book["indicators"].iter_rows(values_only=True))
    assert len(sheet) == 11 and sheet[0][:2] == ("编号", "名称") and sheet[1][:2] == (
        "invention_patents_per_10k_pop", "每万人发明专利拥有量")
    assert sheet[10][5:8] == (None, 2020, 82)  # satisfaction: no baseline, target 82
    book.close()
    bad = client.get("/cockpit", params={"format": "xml"})
    assert bad.status_code == 400


def test_drill_down_lists_the_records(client: TestClient, shared: Path) -> None:
    html = client.get("/cockpit", params={"region": "410100", "year": 2024}).text
    card = card_html(html, "invention_patents_per_10k_pop")
    assert '<span class="source computed"' in card and 'id="value-invention_patents_per_10k_pop">0.01<' in card
    link = re.search(r'<a class="drill" href="([^"]+)">([^<]+)</a>', card)
    assert link and link[1].replace("&amp;", "&") == (
        "/cockpit/records?indicator=invention_patents_per_10k_pop&region=410100&year=2024")
    # the SQL dump holds one invention grant in force of a Zhengzhou applicant (counted with grep-like text)
    sql = (shared / SQL_FILE).read_text(encoding="utf-8")
    grants = [line for line in sql.splitlines()
              if line.startswith("INSERT INTO") and "发明授权" in line and "郑州市" in line and "有权" in line]
    assert len(grants) == 1 and "查看 1 条记录（2024年）" in link[2]
    page = client.get(link[1].replace("&amp;", "&"))
    assert page.status_code == 200
    rows = re.findall(r'<tr id="row-([^"]+)">', page.text)
    assert rows == ["CN115883397B"]
    assert '<a href="/patent/CN115883397B">CN115883397B</a>' in page.text
    assert "一种web端数据通用采集方法" in page.text and 'id="records-count">1<' in page.text
    params = {"indicator": "invention_patents_per_10k_pop", "region": "410100", "year": 2024}
    data = client.get("/cockpit/records", params={**params, "format": "json"}).json()
    assert data["records"] == 1 and [r["doc_id"] for r in data["rows"]] == ["CN115883397B"]
    # no condition met: its only SEI rule, 1.3#4, is for blockchain, which its text does not name
    assert data["rows"][0]["conditions_met"] == []
    table = list(csv.DictReader(io.StringIO(client.get("/cockpit/records", params={**params, "format": "csv",
                                                                                    "columns": "ids"})
                                            .content.decode("utf-8-sig"))))
    assert [(r["doc_id"], r["holder"], r["conditions_met"]) for r in table] == [
        ("CN115883397B", "中科大数据研究院", "")]
    x = client.get("/cockpit/records", params={**params, "format": "xlsx"})
    assert list(load_workbook(io.BytesIO(x.content)).active.iter_rows(values_only=True))[1][0] == "CN115883397B"
    reported = client.get("/cockpit/records", params={"indicator": "copyright_registrations"})
    assert reported.status_code == 400 and "is reported, not computed" in reported.text


def test_reported_value_through_the_form(client: TestClient) -> None:
    login(client)
    token = csrf(client.get("/").text)
    form = {"csrf_token": token, "region": "500120", "back_year": "2023", "indicator": "copyright_registrations",
            "year": "2023", "value": "402", "source_document": "区版权局年报2023", "reported_by": "someone else",
            "note": "form test"}
    r = client.post("/cockpit/reported", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/cockpit?region=500120&year=2023&reported=")
    page = client.get(r.headers["location"]).text
    assert 'id="form-saved"' in page
    card = card_html(page, "copyright_registrations")
    assert 'id="value-copyright_registrations">402<' in card and '<span class="year">2023</span>' in card
    # the signed-in analyst is the reporter, not the form's field
    assert "填报：ana，" in card and "依据：区版权局年报2023" in card
    listed = client.get("/api/cockpit/reported", params={"indicator": "copyright_registrations", "year": 2023}).json()
    assert [(x["value"], x["reported_by"], x["note"]) for x in listed["reported"]] == [(402.0, "ana", "form test")]
    # a wrong field: the cockpit again, with the message and the form as it was
    bad = client.post("/cockpit/reported", data={**form, "value": "4o2"})
    assert bad.status_code == 400
    assert "字段“数值”：“4o2”不是数字" in bad.text and 'value="4o2"' in bad.text
    wrong = client.post("/cockpit/reported", data={**form, "indicator": "patent_count"})
    assert wrong.status_code == 400 and "&#39;patent_count&#39; is not an indicator of region 500120" in wrong.text


def test_csv_upload_of_reported_values(client: TestClient) -> None:
    login(client)
    token = csrf(client.get("/").text)
    content = "indicator,year,value,source,note\nip_service_agencies,2023,30,璧山区知识产权服务机构名录（2023）,\n"
    r = client.post("/cockpit/reported/csv", data={"csrf_token": token, "region": "500120", "back_year": "2023"},
                    files={"file": ("填报.csv", content.encode("utf-8"))}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cockpit?region=500120&year=2023&imported=1"
    page = client.get(r.headers["location"]).text
    assert "已导入 1 条填报值" in page
    assert 'id="value-ip_service_agencies">30<' in card_html(page, "ip_service_agencies")
    bad = client.post("/cockpit/reported/csv", data={"csrf_token": token, "region": "500120"},
                      files={"file": ("坏.csv", b"indicator,year,value,source\nip_service_agencies,20x3,1,x\n")})
    assert bad.status_code == 400 and "坏.csv, line 2, field &#39;year&#39;" in bad.text


def test_read_only_store_shows_the_error(base: tuple[Path, Path], tmp_path: Path) -> None:
    with TestClient(_app(base, tmp_path, read_only=True)) as c:
        login(c)
        html = c.get("/").text
        assert 'id="read-only-note"' in html
        r = c.post("/cockpit/reported", data={"csrf_token": csrf(html), "region": "500120",
                                              "indicator": "ip_service_agencies", "year": "2024", "value": "1",
                                              "source_document": "x"})
        assert r.status_code == 403 and "本服务以只读方式运行，填报未保存" in r.text
        assert "ipcockpit serve（不加 --read-only）" in r.text and 'id="report-form"' not in r.text


def test_big_screen(client: TestClient) -> None:
    html = client.get("/cockpit", params={"screen": "big", "refresh": "5"}).text
    assert '<body class="big-screen" data-refresh="10">' in html  # at least 10 seconds
    assert '<header class="top">' not in html and "<h1>重庆市璧山区知识产权驾驶舱</h1>" in html
    assert len(re.findall(r'<article class="ind-card', html)) == 10
    # no Bishan record and no report after 2020: every progress is unknown, none is drawn as 0 %, and the
    # panel says why instead of showing an empty chart
    assert 'id="chart-progress"' not in html
    assert '<p class="empty-chart" id="progress-none">暂无可计算完成进度的指标' in html
    featured = json.loads(re.search(r'id="chart-featured-option">(.*?)</script>', html, re.S)[1])
    assert featured["series"][0]["markLine"]["data"] == [{"yAxis": 12.0}]
    assert 'data-refresh="60"' in client.get("/", params={"screen": "big"}).text


def test_pdf_report(client: TestClient) -> None:
    login(client)
    r = client.get("/cockpit/report.pdf", params={"year": 2024})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages).replace("\n", "")
    assert "重庆市璧山区知识产权规划主要指标定期评估报告" in text and "璧山府办发〔2022〕30号" in text
    for ind in plan_indicators():
        assert ind["name_zh"] in text, ind["name_zh"]
    assert "三、数据来源与依据" in text
    direct = client.app.state.cockpit.call(lambda c: c.cockpit_report_pdf("410100", 2024, lang="en"))
    english = "".join(p.extract_text() for p in PdfReader(io.BytesIO(direct)).pages).replace("\n", "")
    assert "Zhengzhou, Henan: periodic evaluation" in english and "CN115883397B" in english
