"""The screening page (/screen), portfolio screening (POST /screen) and the patent page (/patent/{number})
in-process against a real DuckDB file: the CN table dump, the SEI 2021 concordance, the 25th China Patent
Award list, a USPTO weekly excerpt, the USPTO assignment fixtures, the Chinese IPC tree, the Thomson
synbio export (citations inside the corpus, US litigation) and the constructed export of
tests/test_value_conditions.py (pledges, a lapse, a family member abroad).

``applicants`` are compared as sets: conditions.py aggregates them with ``list(DISTINCT ...)``, whose
order DuckDB does not fix.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from test_value_conditions import EXPORT

from ipcockpit import i18n
from ipcockpit.app import Cockpit
from ipcockpit.model.records import CITED_BY, DOC_TYPES, EVENT_CLASSES, PARTY_ROLES, PARTY_TYPES, STAGES
from ipcockpit.portfolio import read_numbers, split_numbers
from ipcockpit.settings import Settings
from ipcockpit.value.conditions import CONDITIONS
from ipcockpit.value.screen import flat_rows
from ipcockpit.value.settings import ScreenSettings
from ipcockpit.web.server import create_app

AS_OF = "2025-07-01"
SETTINGS = ScreenSettings(as_of=date(2025, 7, 1))
FILES = ["cn/table_export_sample", "classification/cnipa_sei2021_ipc_concordance.json", "awards/25th-preview.jsonl",
         "uspto_xml/weekly_excerpts/ipg080101.small.xml", "uspto_api/assignment/fixtures",
         "classification/IPC_Tree_2026.01_zh.tar.gz", "thomson/synbio.xlsx"]
# invention grants: 1 CN grant of the dump, 5 constructed rows, 18 of the 25 weekly grants (6 designs and
# 1 plant left out), and the 55 Thomson grants (B kind codes; the export gives no document type)
SCREENED = 1 + 5 + 18 + 55
HIGH_VALUE = {"CN999999992B", "US9999999B2", "CN999999995B"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    tmp = tmp_path_factory.mktemp("web_screen")
    export = tmp / "专利总表_test.csv"
    export.write_text(EXPORT, encoding="utf-8")
    path = tmp / "screen.duckdb"
    with Cockpit(db=path) as c:
        reports = c.ingest([*(shared / f for f in FILES), export])
    assert all(r.error is None for r in reports)
    return path


@pytest.fixture(scope="module")
def expected(store: Path) -> dict[str, Any]:
    """What the Python API answers, computed before any app opens the file."""
    with Cockpit(db=store, read_only=True) as c:
        return {
            "all": _json(c.screen(limit=0, settings=SETTINGS)),
            "page": _json(c.screen_page(limit=0, settings=SETTINGS)),
            "portfolio": _json(c.screen(doc_ids=["CN 115883397 B", "ZL201010000002.1", "bogus-123", "CN218751475U"],
                                        limit=0, settings=SETTINGS)),
            "CN115883397B": _json(c.patent("CN115883397B", settings=SETTINGS)),
            "US7315680B1": _json(c.patent("US7315680B1", settings=SETTINGS)),
        }


@pytest.fixture
def client(store: Path, expected: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)))) as c:
        yield c


def _json(value: Any) -> Any:
    return _stable(json.loads(json.dumps(value, default=str)))


def _stable(value: Any) -> Any:
    """Applicants in a fixed order (see the module docstring), recursively."""
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, dict):
        out = {k: _stable(v) for k, v in value.items()}
        if isinstance(out.get("applicants"), list):
            out["applicants"] = sorted(out["applicants"])
        if isinstance(out.get("applicant"), str):
            out["applicant"] = "; ".join(sorted(out["applicant"].split("; ")))
        return out
    return value


def _numbers(rows: list[dict[str, Any]]) -> list[str]:
    return [r["publication_number"] for r in rows]


@pytest.mark.slow
def test_python_page_data(expected: dict[str, Any]) -> None:
    page = expected["page"]
    assert page["total"] == page["count"] == SCREENED == len(expected["all"])
    assert page["patents"] == expected["all"]
    # no: US7314120B2's term (20 years from its parent filed 2004-05-11) ended by AS_OF; US7315364B2, US7315383B1
    # and US7315742B2 run on with their patent-term adjustments (unknown in force: no status in the XML)
    assert page["summary"]["high_value"] == {"yes": 3, "no": 15, "unknown": 61}
    assert {r["publication_number"] for r in expected["all"] if r["high_value"] is True} == HIGH_VALUE
    sei = next(r for r in page["summary"]["conditions"] if r["condition"] == "strategic_emerging_industry")
    assert sei["yes"] + sei["no"] + sei["unknown"] == SCREENED
    bins = page["summary"]["value_index_bins"]
    assert len(bins) == 10 and sum(b["yes"] + b["no"] + b["unknown"] for b in bins) + page["summary"][
        "no_value_index"] == SCREENED
    assert {"code": "1.3", "name": "新兴软件和新型信息技术服务", "level": 2} in page["industries"]
    assert [p["name"] for p in page["profiles"]][0] == "government_statistics"


@pytest.mark.slow
def test_screen_page_in_chinese(client: TestClient, expected: dict[str, Any]) -> None:
    r = client.get("/screen", params={"as_of": AS_OF, "limit": 100})  # every row on the page
    assert r.status_code == 200
    html = r.text
    assert '<html lang="zh-CN">' in html and "<h1>高价值专利筛选</h1>" in html
    assert re.search(rf'id="total">{SCREENED}<', html) and re.search(r'id="high-value-yes">3<', html)
    row = re.search(r'<tr id="row-CN115883397B".*?</tr>', html, re.S).group(0)
    assert '<a href="/patent/CN115883397B" translate="no">CN115883397B</a>' in row
    assert "一种web端数据通用采集方法" in row and "中科大数据研究院" in row
    assert '<span class="badge unknown">未知</span>' in row
    top = expected["all"][0]
    assert top["publication_number"] in HIGH_VALUE and top["high_value"] is True
    top_row = re.search(rf'<tr id="row-{top["publication_number"]}".*?</tr>', html, re.S).group(0)
    assert '<span class="badge yes">是</span>' in top_row and f"{top['value_index']:.1f}" in top_row
    # the evidence of the SEI condition is the icon's tooltip
    assert "战略性新兴产业：否。IPC H04L 9/40 符合规则 1.3#4" in row
    lapsed = re.search(r'<tr id="row-CN999999994B".*?</tr>', html, re.S).group(0)
    assert '<span class="badge no">否</span>' in lapsed
    # the lapse is the evidence
    assert 'title="有效性：否。法律事件（lapse）2023-03-01：专利权失效 (失效日期: 20230301)"' in lapsed
    assert 'id="chart-value-index-option"' in html and 'id="chart-conditions-option"' in html
    assert "/static/vendor/echarts/echarts.min.js" in html
    nav = re.search(r"<nav>(.*?)</nav>", html, re.S).group(1)
    assert re.findall(r">([^<]+)</a>", nav) == [
        "驾驶舱", "数据总览", "高价值专利筛选", "检索", "商标", "知识图谱", "专利导航", "侵权风险筛查",
        "数据与入库状态", "接口文档"]  # a visitor: no signals (analysts, admins), watch lists or credit (signed in)


@pytest.mark.slow
def test_screen_page_in_english_with_filters(client: TestClient) -> None:
    r = client.get("/screen", params={"lang": "en", "as_of": AS_OF, "region": "5001"})
    assert r.status_code == 200
    html = r.text
    assert "<h1>High-value patent screening</h1>" in html and "高价值专利筛选" not in html
    rows = re.findall(r'<tr id="row-([^"]+)"', html)
    assert rows == ["CN999999992B", "CN999999994B"]  # the constructed rows with a 璧山区 address
    assert '<span class="badge yes">yes</span>' in html
    option = json.loads(re.search(r'id="chart-conditions-option">(.*?)</script>', html, re.S).group(1))
    assert option["yAxis"]["data"][-1] == "In force"
    # the language switch keeps the filters
    assert re.search(r'href="\?[^"]*region=5001[^"]*lang=zh-CN"', html)


@pytest.mark.slow
def test_downloads_equal_the_python_result(client: TestClient, expected: dict[str, Any]) -> None:
    params = {"as_of": AS_OF, "limit": "0"}
    data = _stable(client.get("/screen", params={**params, "format": "json"}).json())
    assert data["patents"] == expected["all"]
    assert data["summary"] == expected["page"]["summary"]
    assert data["filters"]["limit"] == 0 and data["settings"]["as_of"] == AS_OF

    flat = flat_rows(expected["all"], "en")
    r = client.get("/screen", params={**params, "format": "csv", "lang": "en"})
    assert r.status_code == 200 and r.headers["content-disposition"] == 'attachment; filename="screen-patents.csv"'
    table = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["Publication number"] for row in table] == _numbers(expected["all"])
    assert table[0]["High value"] == "yes" and table[0]["Value index"] == str(flat[0]["value_index"])
    assert table[0]["Strategic emerging industry: reason"] == flat[0]["strategic_emerging_industry_reason"]

    x = client.get("/screen", params={**params, "format": "xlsx", "lang": "en"})
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(x.content)).active
    header = [c.value for c in sheet[1]]
    got = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(got) == SCREENED
    answer = {True: "yes", False: "no", None: "unknown"}
    for mine, theirs in zip(got, _stable(flat), strict=True):
        mine["Applicant"] = "; ".join(sorted(mine["Applicant"].split("; "))) if mine["Applicant"] else None
        assert (mine["Publication number"], mine["Applicant"], mine["Value index"]) == (
            theirs["publication_number"], theirs["applicant"], theirs["value_index"])
        assert (mine["High value"], mine["State S&T Award or China Patent Award"]) == (
            answer[theirs["high_value"]], answer[theirs["award"]])
    summary = list(csv.DictReader(io.StringIO(
        client.get("/screen", params={**params, "format": "csv", "lang": "en",
                                      "section": "conditions"}).content.decode("utf-8-sig"))))
    assert [row["Condition"] for row in summary] == ["In force", *(i18n.Translator("en")(f"condition.{c}")
                                                                   for c in CONDITIONS)]


@pytest.mark.slow
def test_downloads_hold_every_match_in_the_callers_language(client: TestClient, expected: dict[str, Any]) -> None:
    """The page lists 50 rows; its CSV and Excel hold all 79, with Chinese headers, answers and reasons
    (the default language), English ones with ?lang=en or the language cookie."""
    page = client.get("/screen", params={"as_of": AS_OF})
    assert page.status_code == 200 and "筛选结果：显示 50 件，共 79 件" in page.text
    link = re.search(r'href="([^"]+)" id="download-csv"', page.text).group(1).replace("&amp;", "&")
    r = client.get(f"/screen{link}")
    json_link = re.search(r'href="([^"]+)" id="download-json"', page.text).group(1).replace("&amp;", "&")
    assert len(client.get(f"/screen{json_link}").json()["patents"]) == SCREENED
    assert r.status_code == 200
    table = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(table) == SCREENED and [row["公开（公告）号"] for row in table] == _numbers(expected["all"])
    assert 'id="download-rows">下载全部 79 件：' in page.text
    assert {"名称", "申请人", "高价值", "高价值依据", "有效性", "有效性依据", "价值指数", "法律价值度",
            "法律价值度可信度", "战略性新兴产业", "战略性新兴产业依据", "评价说明"} <= set(table[0])
    assert not [c for c in table[0] if re.search(r"[a-z]_[a-z]", c)]  # no column key left untranslated
    by = {row["公开（公告）号"]: row for row in table}
    top = expected["all"][0]["publication_number"]
    assert by[top]["高价值"] == "是" and by["CN999999994B"]["高价值"] == "否"
    assert by["CN115883397B"]["高价值"] == "未知"
    assert by["CN115883397B"]["战略性新兴产业依据"].startswith("IPC H04L 9/40 符合规则 1.3#4")
    assert by["CN115883397B"]["评价说明"].startswith("高价值发明专利：未知")
    assert not re.search(r"\b(True|False|None)\b", r.content.decode("utf-8-sig"))
    assert {row["有效性"] for row in table} == {"是", "否", "未知"}
    # the summaries
    conditions = list(csv.DictReader(io.StringIO(client.get(
        "/screen.csv", params={"as_of": AS_OF, "section": "conditions"}).content.decode("utf-8-sig"))))
    assert conditions[0] == {"条件": "有效性", **{k: str(v) for k, v in zip(
        ("满足", "不满足", "无法判断"), (expected["page"]["summary"]["conditions"][0][a]
                                   for a in ("yes", "no", "unknown")), strict=True)}}
    # the API's downloads: the same rows; English by ?lang=en, then by the cookie it sets
    en = client.get("/api/screen.csv", params={"as_of": AS_OF, "lang": "en"})
    rows = list(csv.DictReader(io.StringIO(en.content.decode("utf-8-sig"))))
    assert len(rows) == SCREENED and rows[0]["High value"] == "yes"
    assert {row["Publication number"]: row for row in rows}["CN115883397B"][
        "Strategic emerging industry: reason"].startswith("IPC H04L 9/40 matches rule 1.3#4")
    book = load_workbook(io.BytesIO(client.get("/screen.xlsx", params={"as_of": AS_OF}).content))
    assert book.sheetnames == ["patents", "conditions", "value_index_bins", "not_found"]
    assert book["patents"].max_row == SCREENED + 1 and book["patents"]["A1"].value == "Publication number"
    client.cookies.delete(i18n.COOKIE)
    book = load_workbook(io.BytesIO(client.get("/screen.xlsx", params={"as_of": AS_OF}).content))
    assert book["patents"]["A1"].value == "公开（公告）号" and book["patents"].max_row == SCREENED + 1
    assert [c.value for c in book["value_index_bins"][1]] == [
        "价值指数下限", "价值指数上限", "高价值发明专利", "非高价值", "无法判断"]


@pytest.mark.slow
def test_downloads_beyond_the_cap_say_so(store: Path, expected: dict[str, Any]) -> None:
    with TestClient(create_app(Settings(db=str(store), max_download_rows=10))) as client:
        _downloads_beyond_the_cap_say_so(client, expected)


def _downloads_beyond_the_cap_say_so(client: TestClient, expected: dict[str, Any]) -> None:
    page = client.get("/screen", params={"as_of": AS_OF})
    command = "ipcockpit screen --as-of 2025-07-01 --limit 0 --csv"
    assert f'id="download-rows">下载前 10 件（共 79 件；全部请用 {command}）：' in page.text
    r = client.get("/screen.csv", params={"as_of": AS_OF})
    assert r.headers["content-disposition"] == 'attachment; filename="screen-first-10-of-79-patents.csv"'
    table = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["公开（公告）号"] for row in table] == _numbers(expected["all"])[:10]
    x = client.get("/screen.xlsx", params={"as_of": AS_OF})
    assert x.headers["content-disposition"] == 'attachment; filename="screen-first-10-of-79.xlsx"'


@pytest.mark.slow
def test_portfolio_post(client: TestClient, expected: dict[str, Any]) -> None:
    text = "CN 115883397 B\nZL201010000002.1\nbogus-123\nCN218751475U"
    page = client.get("/screen").text  # the form carries the session's CSRF token
    token = re.search(r'id="portfolio-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/screen", data={"numbers": text, "format": "json"}).status_code == 403  # no token
    r = client.post("/screen", data={"numbers": text, "as_of": AS_OF, "format": "json", "csrf_token": token})
    assert r.status_code == 200
    data = _stable(r.json())
    assert data["patents"] == expected["portfolio"]
    assert _numbers(data["patents"]) == ["CN999999992B", "CN115883397B", "bogus-123", "CN218751475U"]
    assert data["not_found"] == ["bogus-123"]
    html = client.post("/screen", data={"numbers": text, "as_of": AS_OF, "csrf_token": token}).text
    assert re.findall(r'<tr id="row-([^"]+)"', html) == _numbers(data["patents"])
    assert re.search(r'<section class="card warn" id="not-found">.*?<code>bogus-123</code>', html, re.S)
    assert "库中该号码不是已授权的发明专利：CN218751475U" in html
    # an uploaded CSV: the 公开号 column
    upload = "公开号,备注\nCN999999995B,x\nUS 9999999 B2,y\n".encode()
    r = client.post("/screen", data={"as_of": AS_OF, "format": "csv", "csrf_token": token},
                    files={"file": ("mine.csv", upload)})
    assert [row["公开（公告）号"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))] == [
        "CN999999995B", "US9999999B2"]
    empty = client.post("/screen", data={"numbers": " ", "csrf_token": token})
    assert empty.status_code == 400 and "请粘贴专利号（每行一个）或上传 .txt / .csv 文件" in empty.text


def test_number_parsing() -> None:
    assert split_numbers("US 7,315,680 B1, CN115883397B；ZL202211359874.7\n\n") == [
        "US 7315680 B1", "CN115883397B", "ZL202211359874.7"]
    assert read_numbers("a.txt", "CN1\r\nCN2\r\n".encode("utf-8-sig")) == ["CN1", "CN2"]
    assert read_numbers("a.csv", "CN1,x\nCN2,y\n".encode("gb18030")) == ["CN1", "CN2"]


@pytest.mark.slow
def test_patent_page_of_a_cn_grant(client: TestClient, expected: dict[str, Any]) -> None:
    r = client.get("/patent/CN 115883397 B", params={"as_of": AS_OF})
    assert r.status_code == 200
    html = r.text
    assert ('<span id="doc-id" translate="no">CN115883397B</span> '
            '<span translate="no">一种web端数据通用采集方法</span></h1>') in html
    parties = re.search(r'<section class="card" id="parties">.*?</section>', html, re.S).group(0)
    assert re.search(r'<td>申请人</td>\s*<td><span translate="no">中科大数据研究院', parties)
    assert "<code>410100</code>" in parties
    assert "李玺; 康锐文; 冯凯; 王元卓" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", parties))
    assert re.search(r'<code>H04L 9/40</code></td>\s*<td translate="no">网络安全协议', html)  # the IPC tree's title
    # the dump gives the first claim only: how many claims there are is unknown, not 0
    claims = re.search(r'<section class="card" id="claims">.*?</section>', html, re.S).group(0)
    assert "<h2>权利要求（项数未知：数据中只有首项权利要求）</h2>" in claims and "0 项" not in claims
    assert "1.一种web端数据通用采集方法，其特征在于" in claims
    # the legal status line is the rule's answer (the dump's status text: in force), the source's words beside it
    status = re.search(r'<tr id="legal-status">.*?</tr>', html, re.S).group(0)
    assert re.search(r"<td><b>有效</b>", status) and "来源记载：有权-审定授权" in status
    events = re.search(r'<section class="card" id="events">.*?</section>', html, re.S).group(0)
    assert "法律事件（1）" in events and "2023-04-18" in events and (
        '<span class="event examination">实质审查</span>' in events)
    sei = re.search(r'<tr id="condition-strategic_emerging_industry">.*?</tr>', html, re.S).group(0)
    assert "IPC H04L 9/40 符合规则 1.3#4" in sei and "<code>rule_id</code></dt><dd>1.3#4</dd>" in sei
    assert 'id="dimension-legal"' in html
    api = _stable(client.get("/api/patent/CN115883397B", params={"as_of": AS_OF}).json())
    assert api == expected["CN115883397B"]
    assert api["claims_count"] is None and api["independent_claims_count"] is None
    assert (api["legal_status"]["status"], api["legal_status"]["basis"]) == ("in_force", "status")
    assert api["screening"]["high_value"] is None and api["same_application"][0]["doc_id"] == "CN115883397A"
    assert "但不满足条件“平行链、中继链、以太币等区块链相关关键词”" in sei
    # the A publication of the application is screened as its grant
    a = client.get("/api/patent/CN115883397A", params={"as_of": AS_OF}).json()
    assert a["doc_id"] == "CN115883397A" and a["screened_as"] == "CN115883397B"


@pytest.mark.slow
def test_patent_page_of_a_us_grant_in_english(client: TestClient, expected: dict[str, Any]) -> None:
    html = client.get("/patent/US 7,315,680 B1", params={"lang": "en", "as_of": AS_OF}).text
    assert "Cable routing devices with integrated couplers</span></h1>" in html
    assert "Claims (23, 6 independent)" in html  # <claim> elements, those without <claim-ref> (regex over the XML)
    assert html.count('class="independent"') == 6
    assert "Applicants and owners" in html and "ADC Telecommunications, Inc." in html
    api = _stable(client.get("/api/patent/US7315680B1", params={"as_of": AS_OF}).json())
    assert api == expected["US7315680B1"]
    assert api["claims_count"] == 23 and len(api["citations"]) > 0 and api["description_chars"] > 20_000


@pytest.mark.slow
def test_patent_page_legal_status_agrees_with_its_screening(client: TestClient) -> None:
    """US 7,314,891 B2 (filed 2003-10-23, no term adjustment, no status text in the XML) ended its term on
    2023-10-23: the legal status line says so, as the in-force condition of its screening does, not "–"."""
    html = client.get("/patent/US7314891B2", params={"as_of": AS_OF}).text
    status = re.search(r'<tr id="legal-status">.*?</tr>', html, re.S).group(0)
    assert "<b>期限届满</b>" in status and "自申请日2003-10-23起20年保护期已于2023-10-23届满" in status
    assert "来源记载" not in status  # the XML gives no status text
    in_force = re.search(r'<tr id="condition-in_force">.*?</tr>', html, re.S).group(0)
    assert '<span class="badge no">否</span>' in in_force and "2023-10-23届满" in in_force
    assert '<span class="tag" id="legal-status-tag"' in html and ">期限届满</span>" in html
    en = client.get("/patent/US7314891B2", params={"as_of": AS_OF, "lang": "en"}).text
    assert "<b>expired</b>" in re.search(r'<tr id="legal-status">.*?</tr>', en, re.S).group(0)
    # the two downloads are two links apart, not one run of underlined text
    tags = re.search(r'<p class="tags">.*?</p>', html, re.S).group(0)
    assert re.search(r'<a class="tag" id="download-xlsx" [^>]*>下载 Excel</a>\s*<a class="tag" id="download-json" ',
                     tags)


@pytest.mark.slow
def test_citations_legal_events_and_family(client: TestClient) -> None:
    # Thomson synbio: US20090203070A1 cites WO2008137092A2, both in the export (openpyxl over the xlsx)
    cited = client.get("/api/patent/WO2008137092A2").json()
    assert [c["doc_id"] for c in cited["cited_by"]] == ["US20090203070A1"]
    citing = client.get("/patent/US20090203070A1").text
    assert '<a href="/patent/WO2008137092A2" translate="no">WO2008137092A2</a>' in citing
    # its litigation_us cell names two cases, filed 2013-02-19 and 2013-04-19
    lit = client.get("/api/patent/US8377674B2").json()["legal_events"]
    assert [(e["event_date"], e["event_class"]) for e in lit] == [("2013-02-19", "litigation"),
                                                                    ("2013-04-19", "litigation")]
    pledged = client.get("/patent/CN999999992B", params={"as_of": AS_OF}).text
    assert pledged.count('<span class="event pledge">质押</span>') == 2 and "8,000,000 CNY" in pledged
    # a family member abroad
    assert '<a href="/patent/US9999999B2" translate="no">US9999999B2</a>' in pledged


@pytest.mark.slow
def test_unknown_number_is_404_in_the_users_language(client: TestClient) -> None:
    r = client.get("/patent/CN123456789B")
    assert r.status_code == 404 and '<html lang="zh-CN">' in r.text
    assert "库中没有号码为“CN123456789B”的专利文献" in r.text
    en = client.get("/api/patent/nonsense", params={"lang": "en"})
    assert en.status_code == 404 and en.json() == {
        "error": "No patent document numbered 'nonsense' is in the store. Check the number, or ingest its data first."}
    assert client.get("/screen", params={"profile": "nosuch"}).status_code == 400
    bad = client.get("/screen", params={"year_from": "twenty", "format": "json"})
    assert bad.status_code == 400 and "year_from='twenty'" in bad.json()["error"]


@pytest.mark.slow
def test_openapi_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/screen", "/patent/{number}", "/api/patent/{number}", "/api/screen"} <= set(paths)
    assert "post" in paths["/screen"] and "post" in paths["/api/screen"]


def test_dynamic_catalogue_keys_exist_in_both_languages() -> None:
    zh, en = i18n.catalogue("zh-CN"), i18n.catalogue("en")
    assert set(zh) == set(en)
    keys = {f"condition.{c}" for c in ("high_value", "in_force", *CONDITIONS)}
    keys |= {f"{p}.{a}" for p in ("answer", "icon") for a in ("yes", "no", "unknown")}
    keys |= {f"dimension.{d}" for d in ("legal", "technical", "economic")}
    keys |= {f"event.{e}" for e in EVENT_CLASSES} | {f"role.{r}" for r in PARTY_ROLES}
    keys |= {f"party_type.{p}" for p in PARTY_TYPES} | {f"doc_type.{d}" for d in DOC_TYPES}
    keys |= {f"stage.{s}" for s in (*STAGES, "young_grant", "mature_grant")} | {f"cited_by.{c}" for c in CITED_BY}
    keys |= {"error.title_400", "error.title_404", "screen.maintenance_filing", "screen.maintenance_grant",
             "download.csv", "download.xlsx", "download.json", "error.bad_request", "patent.not_found",
             "screen.error_no_numbers", "screen.error_too_many", "screen.error_encoding", "screen.error_too_large"}
    assert keys <= set(zh)
