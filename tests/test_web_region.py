"""The region page (/region/{code}) in-process (TestClient) and in a browser, against the store of
tests/test_region.py (real records: the table-export dump, the TRS export, the Chongqing and Chengdu records
of the gazette week; five constructed transfer and pledge cells). Expected figures come from the data
function's own test, from the source text or from SQL; here: that the page, the API and every download give
the same dict, the map's data (every area of the vendored map is one division of Chongqing, with the count
of its row of ``sub_regions``), the GB18030 download, and in chromium that the map is drawn and a click on an
area opens that district's page."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import test_browser
import test_region
from fastapi.testclient import TestClient
from markupsafe import escape
from test_web_download_labels import unlabelled

from ipcockpit import i18n
from ipcockpit.settings import Settings
from ipcockpit.web import charts_region
from ipcockpit.web.server import create_app
from tests import browser_support

pytestmark = pytest.mark.slow

BISHAN = test_region.BISHAN
MAP = Path(__file__).resolve().parents[1] / "ipcockpit/web/static/vendor/geo/chongqing.geojson"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    return test_region.build_store(tmp_path_factory.mktemp("web_region"), shared)


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)), read_only=True)) as c:
        yield c


def _option(html: str, chart: str) -> dict[str, Any]:
    found = re.search(rf'id="{chart}-option">(.*?)</script>', html, re.S)
    assert found, chart
    return json.loads(found.group(1))


# the page, the API, the downloads ---------------------------------------------------------------------
def test_every_url_gives_the_same_data(client: TestClient) -> None:
    data = client.get(f"/api/region/{BISHAN}").json()
    # 13 copied records name 璧山; 重庆文理学院's "402160重庆市璧山县永川区…" names two districts and stops at the city
    assert data["code"] == BISHAN and data["summary"]["documents"] == 11
    for url in (f"/region/{BISHAN}.json", f"/region/{BISHAN}?format=json", f"/api/region/{BISHAN}.json"):
        assert client.get(url).json() == data, url
    assert client.get("/api/region/500120").json() == client.get("/api/region/500120?limit=200").json()


def test_page_shows_the_rule_the_evidence_and_the_figures(client: TestClient) -> None:
    data = client.get(f"/api/region/{BISHAN}").json()
    page = client.get(f"/region/{BISHAN}?lang=zh-CN").text
    assert '<span id="region-name" translate="no">重庆市璧山区</span>' in page
    assert data["rule"]["text_zh"] in page
    assert f'id="documents-count">{data["summary"]["documents"]}<' in page
    for d in data["documents"]:
        row = re.search(rf'<tr id="doc-{d["doc_id"]}">(.*?)</tr>', page, re.S).group(1)
        assert d["holder"] in row and d["address"] in row and f"<code>{d['admin_code']}</code>" in row
    for k in ("in", "out", "within", "unknown"):
        assert f'id="transfers-{k}">' in page
    years = _option(page, "chart-region-years")
    assert sum(sum(s["data"]) for s in years["series"]) == data["summary"]["documents"]
    # a count the data cannot fully decide is the range from what is known to all that may be, never a bare 0
    s = data["summary"]
    assert s["in_force_unknown"] > 0
    assert (f'id="in-force-count">{s["in_force_inventions"]}–{s["in_force_inventions"] + s["in_force_unknown"]}<'
            in page)
    assert f'id="high-value-count">{s["high_value_yes"]}–{s["high_value_yes"] + s["high_value_unknown"]}<' in page
    city = client.get("/api/region/50").json()
    for r in city["sub_regions"] + city["top_applicants"]:
        assert r["in_force_unknown"] <= r["invention_grants"]
    shown = client.get("/region/50").text
    unsure = [r for r in city["sub_regions"] if r["in_force_unknown"] and not r["own_level"]]
    low_high = [(r["in_force_inventions"], r["in_force_inventions"] + r["in_force_unknown"]) for r in unsure]
    assert unsure and all(f'<td class="num">{lo}–{hi}</td>' in shown for lo, hi in low_high)
    english = client.get(f"/region/{BISHAN}?lang=en").text
    assert "How a patent is attributed to a region" in english and escape(data["rule"]["text"]) in english
    assert "专利归属地区的规则" not in english


class _Visible(HTMLParser):
    """The text of a page a Chinese reader sees outside data: not in ``translate="no"``, code, scripts."""

    SKIP = {"script", "style", "code", "template"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "meta", "link", "input", "img"):
            return
        skip = tag in self.SKIP or ("translate", "no") in attrs
        self.stack.append(skip or bool(self.stack and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("br", "meta", "link", "input", "img") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and not (self.stack and self.stack[-1]):
            self.texts.append(data.strip())


@pytest.mark.parametrize("code", [BISHAN, "50", "4101", "650100"])
def test_chinese_pages_hold_no_english_outside_data(client: TestClient, code: str) -> None:
    """As tests/test_first_hour.py asks of every page: Latin words only in data (names, addresses, numbers,
    marked translate="no") and in the words it allows (CSV, Excel, JSON, IPC ...)."""
    from test_first_hour import ALLOWED, LATIN_WORD

    parser = _Visible()
    parser.feed(client.get(f"/region/{code}?lang=zh-CN").text)
    english = [t for t in parser.texts if any(w.lower() not in ALLOWED for w in LATIN_WORD.findall(t))]
    assert english == []


def test_every_text_of_the_page_is_in_both_catalogues() -> None:
    template = (Path(__file__).resolve().parents[1] / "ipcockpit/web/templates/region.html").read_text("utf-8")
    keys = {k for k in re.findall(r't\("((?:region|download|patent)[\w.]*)"', template) if not k.endswith(".")}
    zh, en = i18n.catalogue("zh-CN"), i18n.catalogue("en")
    assert keys and all(k in zh and k in en for k in keys), keys - set(zh) - set(en)
    for group in ("region.kind.", "region.direction.", "region.level.", "region.rule.", "region.why."):
        assert any(k.startswith(group) for k in zh)


def test_downloads_csv_gb18030_and_xlsx(client: TestClient) -> None:
    data = client.get(f"/api/region/{BISHAN}").json()
    utf = client.get(f"/region/{BISHAN}.csv")
    gb = client.get(f"/region/{BISHAN}.csv?encoding=gb18030")
    assert utf.headers["content-type"] == "text/csv; charset=utf-8" and utf.content.startswith(b"\xef\xbb\xbf")
    assert gb.headers["content-type"] == "text/csv; charset=gb18030" and not gb.content.startswith(b"\xef\xbb\xbf")
    for text in (utf.content.decode("utf-8-sig"), gb.content.decode("gb18030")):
        rows = list(csv.DictReader(io.StringIO(text)))  # the page's labels, in Chinese by default
        assert [r["文献号"] for r in rows] == [d["doc_id"] for d in data["documents"]]
        assert [r["归属依据的当事人"] for r in rows] == [d["holder"] for d in data["documents"]]
    assert "重庆市璧山区".encode("gb18030") in gb.content
    transfers = client.get(f"/api/region/{BISHAN}.csv?section=transfers&encoding=GB18030")
    assert {r["方向"] for r in csv.DictReader(io.StringIO(transfers.content.decode("gb18030")))} == \
        {"转入", "转出", "区内", "无法判断"}
    ids = client.get(f"/api/region/{BISHAN}.csv?section=transfers&columns=ids").content.decode("utf-8-sig")
    assert {r["direction"] for r in csv.DictReader(io.StringIO(ids))} == {"in", "out", "within", "unknown"}
    # every table of the page (transfers, pledges, legal events included) under labels in both languages
    for lang in ("zh-CN", "en"):
        book = openpyxl.load_workbook(io.BytesIO(client.get(f"/region/{BISHAN}.xlsx", params={"lang": lang}).content),
                                      read_only=True)
        for sheet in book.worksheets:
            header = next(sheet.values)
            assert not unlabelled(header, lang), (lang, sheet.title, header)
    bad = client.get(f"/api/region/{BISHAN}.csv?encoding=latin-1")
    assert bad.status_code == 400 and "gb18030" in bad.json()["error"]
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/region/{BISHAN}.xlsx", params={"columns": "ids"}).content),
                                  read_only=True)
    sheet = book["documents"]
    header, *rows = list(sheet.values)
    assert [r[header.index("doc_id")] for r in rows] == [d["doc_id"] for d in data["documents"]]
    assert {"rule", "summary", "sub_regions", "transfers", "pledges", "fields"} <= set(book.sheetnames)


def test_unknown_code_is_404_and_empty_region_has_its_reason(client: TestClient) -> None:
    for url in ("/api/region/999999?lang=en", "/api/region/abc?lang=en", "/region/5099.json?lang=en"):
        r = client.get(url)
        assert r.status_code == 404 and "GB/T 2260" in r.json()["error"], url
    page = client.get("/region/999999?lang=zh-CN")
    assert page.status_code == 404 and "999999" in page.text and "行政区划代码表" in page.text
    empty = client.get("/region/650100?lang=zh-CN")
    assert empty.status_code == 200 and 'id="region-reason"' in empty.text
    assert "已导入的记录中没有申请人/专利权人地址在乌鲁木齐市（650100）的专利文献" in empty.text


def test_openapi_documents_the_page(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/region/{code}", "/api/region/{code}"):
        params = {p["name"]: p for p in paths[path]["get"]["parameters"]}
        assert {"code", "limit", "format", "section", "encoding", "lang"} <= set(params), path
        assert params["encoding"]["schema"].get("enum") == ["utf-8", "gb18030"] or \
            "gb18030" in json.dumps(params["encoding"])
        assert "404" in paths[path]["get"]["responses"]


# the map ------------------------------------------------------------------------------------------------
def test_the_vendored_map_draws_every_division_of_chongqing_once() -> None:
    """Each of the 38 areas of the map file is one district or county of Chongqing today (梁平县 and 武隆县 of the
    file are 梁平区 and 武隆区 since 2016), and each division has one area."""
    features = json.loads(MAP.read_text(encoding="utf-8"))["features"]
    codes = charts_region.feature_codes("500000")
    assert len(features) == len(codes) == 38
    assert len({c["code"] for c in codes.values()}) == 38
    assert codes["梁平县"] == {"code": "500155", "name": "梁平区"} and codes["璧山区"]["code"] == BISHAN
    assert all(c["code"].startswith("50") for c in codes.values())


def test_the_map_data_is_the_sub_regions(client: TestClient) -> None:
    data = client.get("/api/region/50").json()
    html = client.get("/region/50").text
    assert 'data-geojson="/static/vendor/geo/chongqing.geojson"' in html
    option = _option(html, "chart-region-map")
    items = {i["code"]: i for i in option["series"][0]["data"]}
    subs = {r["code"]: r["documents"] for r in data["sub_regions"] if not r["own_level"]}
    assert {c: i["value"] for c, i in items.items()} == subs
    assert all(i["url"] == f"/region/{c}" for c, i in items.items())
    assert option["series"][0]["nameMap"] == {"梁平县": "梁平区", "武隆县": "武隆区"}
    assert client.get("/static/vendor/geo/chongqing.geojson").status_code == 200
    # a district's page shows the same map, its own area outlined and valued, the others without a value
    district = _option(client.get(f"/region/{BISHAN}").text, "chart-region-map")["series"][0]["data"]
    [own] = [i for i in district if i["code"] == BISHAN]
    assert own["value"] == 11 and own["itemStyle"]["borderWidth"] == 2
    assert {i["value"] for i in district if i["code"] != BISHAN} == {"-"}
    assert 'id="no-map"' in client.get("/region/5101").text  # no map of Chengdu is shipped


# links from where regions appear ---------------------------------------------------------------------------
def test_links_to_the_region_page(client: TestClient) -> None:
    assert 'href="/region/500120"' in client.get("/cockpit").text
    patent = client.get("/patent/CN107856643B").text
    assert 'href="/region/500120"' in patent and 'id="attribution"' in patent
    applicant = client.get("/applicant/重庆鑫际激光科技有限公司").text
    assert 'href="/region/500120"' in applicant


# in a browser ------------------------------------------------------------------------------------------------
browser = browser_support.browser


@pytest.fixture(scope="module")
def server(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a copy of the store: the in-process client of this module holds the store itself read-only,
    and the server opens its store for writing."""
    import shutil

    copy = tmp_path_factory.mktemp("web_region_server") / store.name
    shutil.copy(store, copy)
    yield from browser_support.serve(copy, tmp_path_factory)
page = test_browser.page


@pytest.mark.browser
def test_map_renders_and_a_click_opens_the_district(page: Any, server: str) -> None:
    """/region/50 draws the map from the vendored GeoJSON (no request leaves the server); a click on 万州区 (a
    large area, its centre from the map file) opens /region/500101, whose heading and count match the map."""
    from playwright.sync_api import expect

    outside: list[str] = []

    def local_only(route: Any) -> None:
        if route.request.url.startswith(server + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    page.goto("/region/50")
    chart = page.locator("#chart-region-map")
    expect(chart).to_have_attribute("data-rendered", "true")
    expect(chart.locator("canvas").first).to_be_attached()
    centre = next(f["properties"]["cp"] for f in json.loads(MAP.read_text(encoding="utf-8"))["features"]
                  if f["properties"]["name"] == "万州区")
    x, y = page.evaluate("c => echarts.getInstanceByDom(document.getElementById('chart-region-map'))"
                         ".convertToPixel({seriesIndex: 0}, c)", centre)
    option = json.loads(page.locator("#chart-region-map-option").text_content())
    value = next(i["value"] for i in option["series"][0]["data"] if i["code"] == "500101")
    box = chart.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(re.compile(r"/region/500101$"))
    expect(page.locator("#region-name")).to_have_text("重庆市万州区")
    expect(page.locator("#documents-count")).to_have_text(str(value))
    expect(page.locator("#chart-region-map")).to_have_attribute("data-rendered", "true")
    assert outside == []
