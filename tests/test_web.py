"""The web app in-process (TestClient) against real DuckDB files built from the shared data."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ipcockpit import i18n
from ipcockpit.analytics.quality import quality
from ipcockpit.app import Cockpit
from ipcockpit.model.schema import ALL_TABLES
from ipcockpit.settings import Settings
from ipcockpit.web.server import HERE, create_app

BASEBALL = "abstracts_us/baseball_patent_query.csv"
WEEKLY = "uspto_xml/weekly_excerpts/ipg080101.small.xml"
IPC_TREE_ZH = "classification/IPC_Tree_2026.01_zh.tar.gz"
CN_TITLES = "cn/titles_ipc_lxingy3/oof_predictions.csv"
ECHARTS = HERE / "static" / "vendor" / "echarts" / "echarts.min.js"


def _store(path: Path, files: list[Path]) -> dict[str, Any]:
    """Ingest ``files`` into a new DuckDB file; returns Cockpit.stats() as the JSON API would send it."""
    with Cockpit(db=path) as cockpit:
        cockpit.ingest(files)
        return json.loads(json.dumps(cockpit.stats(), default=str))


@pytest.fixture(scope="module")
def baseball_db(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("web") / "baseball.duckdb"
    return path, _store(path, [shared / BASEBALL])


@pytest.fixture
def client(baseball_db: tuple[Path, dict[str, Any]]) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(baseball_db[0])))) as c:
        yield c


def test_overview_in_chinese_by_default(client: TestClient) -> None:
    r = client.get("/overview")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="zh-CN">' in html
    assert "<h1>数据总览</h1>" in html
    assert "各受理局逐年专利文献数量" in html
    # 2,664 rows in the CSV (pandas len), all loaded
    assert re.search(r'id="documents-count">2,664<', html)
    assert "Data overview" not in html
    assert "/static/vendor/echarts/echarts.min.js" in html


def test_overview_in_english_and_remembered(client: TestClient) -> None:
    r = client.get("/overview?lang=en")
    assert r.status_code == 200
    assert '<html lang="en">' in r.text
    assert "<h1>Data overview</h1>" in r.text
    assert "数据总览" not in r.text
    assert r.cookies.get("lang") == "en"
    again = client.get("/overview")  # the cookie keeps English
    assert "<h1>Data overview</h1>" in again.text
    back = client.get("/overview?lang=zh-CN")
    assert "<h1>数据总览</h1>" in back.text


def test_chart_option_holds_real_counts(client: TestClient) -> None:
    html = client.get("/overview").text
    raw = re.search(r'<script type="application/json" id="chart-by-office-year-option">(.*?)</script>', html, re.S)
    assert raw
    option = json.loads(raw.group(1))
    assert option["xAxis"]["data"][0] == "1976"
    assert option["xAxis"]["data"][-1] == "2018"
    [series] = option["series"]
    assert series["name"] == "US"
    assert series["stack"] == "documents"
    assert sum(series["data"]) == 2664
    assert series["data"][0] == 33  # 1976, counted with pandas from patent_date


def test_overview_tells_full_records_from_documents_only_referred_to(tmp_path: Path, shared: Path) -> None:
    """The headline counts documents with a record of their own; the documents table also holds those a
    source only names (an EPO OPS search hit: a number, no bibliographic data). Both numbers are on the page
    and say which is which, so that they no longer seem to disagree."""
    hits = shared / "epo_ops/published/fixtures/search_result.xml"  # EPO OPS search result, JSON inside
    referred = len({r["docdb_number"] for r in json.loads(hits.read_text(encoding="utf-8"))["results"]})
    full = 11  # the CN table dump: 10 rows, 11 documents (tests/test_browser.py)
    db = tmp_path / "stubs.duckdb"
    with Cockpit(db=db) as c:
        reports = c.ingest([shared / "cn/table_export_sample", hits])
    assert [r.error for r in reports] == [None, None]
    with TestClient(create_app(Settings(db=str(db)))) as client:
        data = client.get("/api/overview").json()
        assert (data["documents"], data["stubs"], data["tables"]["documents"]) == (full, referred, full + referred)
        html = client.get("/overview").text
        assert re.search(rf'id="documents-count">{full}<', html)
        note = re.search(r'<p class="note" id="stubs-note">(.*?)</p>', html, re.S)
        assert note and f"另有 {referred} 件" in note.group(1) and f"共 {full + referred} 行" in note.group(1)
        row = re.search(r'<tr id="table-documents">(.*?)</tr>', html, re.S)
        assert row and f"{full + referred}" in row.group(1) and f"含仅被提及的 {referred} 件" in row.group(1)
        en = client.get("/overview", params={"lang": "en"}).text
        assert re.search(rf'id="stubs-note">[^<]*{referred} more', en)


def test_api_stats_equals_cockpit_stats(client: TestClient, baseball_db: tuple[Path, dict[str, Any]]) -> None:
    r = client.get("/api/stats")
    assert r.status_code == 200
    assert r.json() == baseball_db[1]
    assert r.json()["tables"]["documents"] == 2664
    assert r.json()["tables"]["texts"] == 2 * 2664  # a title and an abstract per row


def test_api_overview_is_the_page_data(client: TestClient, baseball_db: tuple[Path, dict[str, Any]]) -> None:
    data = client.get("/api/overview").json()
    stats = baseball_db[1]
    assert data["documents"] == 2664
    assert data["offices"] == ["US"]
    assert data["by_office_year"] == stats["by_office_year"]
    assert data["tables"] == stats["tables"]
    assert data["quality"] == stats["quality"]
    assert data["top_applicants"] == [] and data["top_subclasses"] == []  # the CSV has neither
    assert client.get("/overview?format=json").json() == data


def test_every_url_of_a_page_gives_its_data(client: TestClient) -> None:
    """/x?format=json, /x.json, /api/x and /api/x.json are one dict; the CSV and Excel downloads by suffix
    are the ?format= ones."""
    for page in ("overview", "data", "cockpit"):
        data = client.get(f"/{page}", params={"format": "json"}).json()
        data.pop("generated_at", None)
        for url in (f"/{page}.json", f"/api/{page}", f"/api/{page}.json"):
            other = client.get(url).json()
            other.pop("generated_at", None)
            assert other == data, url
    assert client.get("/overview.csv", params={"section": "tables"}).content == \
        client.get("/overview", params={"format": "csv", "section": "tables"}).content
    assert client.get("/api/stats.csv", params={"section": "quality"}).text.lstrip("\ufeff").startswith("名称,问题数")


def test_openapi_documents_each_pages_parameters(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/search", "/search.{fmt}", "/api/search", "/api/search.{fmt}"):
        params = {p["name"]: p for p in paths[path]["get"]["parameters"]}
        assert {"q", "limit", "mode", "office", "in_force", "lang", "format", "section"} <= set(params), path
        assert "max_results" in params["limit"]["description"] and params["q"]["description"], path
    assert {p["name"] for p in paths["/patent/{number}"]["get"]["parameters"]} >= {"number", "as_of", "profile"}


def test_route_modules_share_a_context_not_each_other() -> None:
    """No import cycle: a route module imports the shared modules (context, pages, errors, render, charts,
    auth), never the server or another route module."""
    import ast

    for file in (HERE / "routes").glob("*.py"):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
                  for a in n.names}
        if file.name == "__init__.py":
            continue
        assert not {n for n in names if n.startswith("ipcockpit.web.routes") or n == "ipcockpit.web.server"}, file


def test_csv_download(client: TestClient) -> None:
    r = client.get("/api/overview?format=csv&section=by_office_year&columns=ids")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="overview-by_office_year.csv"'
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 43  # distinct years of patent_date (pandas)
    assert rows[0] == {"office": "US", "year": "1976", "documents": "33"}
    assert sum(int(row["documents"]) for row in rows) == 2664
    tables = list(csv.DictReader(io.StringIO(
        client.get("/overview?format=csv&section=tables&columns=ids").content.decode("utf-8-sig"))))
    assert {"name": "documents", "value": "2664"} in tables
    checks = client.get("/api/stats?format=csv&section=quality&columns=ids").content.decode("utf-8-sig")
    assert checks.splitlines()[0].startswith("name,count")
    people = list(csv.DictReader(io.StringIO(  # the same rows under the page's labels, in its language
        client.get("/overview?format=csv&section=by_office_year&lang=zh-CN").content.decode("utf-8-sig"))))
    assert people[0] == {"受理局": "US", "年份": "1976", "文献数量": "33"} and len(people) == len(rows)


def test_bad_parameters_say_what_to_use(client: TestClient) -> None:
    r = client.get("/api/overview?format=xml")
    assert r.status_code == 400
    assert "use one of html, json, csv" in r.json()["error"]
    r = client.get("/api/overview?format=csv&section=nosuch")
    assert r.status_code == 400
    assert "by_office_year" in r.json()["error"]
    # every error is {"error": ...} in the caller's language; a page asked as a page gets the error page
    r = client.get("/overview.xml", params={"lang": "en"})
    assert r.status_code == 400 and r.json() == {"error": "The request cannot be answered: /overview.xml: the "
                                                 "suffix names a download; use .json, .csv or .xlsx"}
    r = client.get("/overview", params={"section": "nosuch", "format": "csv"})
    assert r.status_code == 400 and "section='nosuch'" in r.json()["error"]
    r = client.get("/nosuch", headers={"accept": "text/html"})
    assert r.status_code == 404 and '<p class="error" id="error-message">' in r.text
    assert client.get("/api/nosuch").json() == {"error": "没有这个网址：/api/nosuch。请从导航栏进入，API 的全部地址见 "
                                                          "/docs。"}


def test_static_echarts_is_served(client: TestClient) -> None:
    r = client.get("/static/vendor/echarts/echarts.min.js")
    assert r.status_code == 200
    assert len(r.content) == ECHARTS.stat().st_size > 1_000_000
    assert b"echarts" in r.content[:2000].lower()
    assert client.get("/static/overview.js").status_code == 200


def test_healthz_and_openapi(client: TestClient) -> None:
    from ipcockpit.store.migrations import MIGRATIONS

    assert client.get("/healthz").json() == {"status": "ok", "schema_version": MIGRATIONS[-1][0]}
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/", "/overview", "/api/overview", "/api/stats", "/healthz"} <= set(paths)
    assert client.get("/docs").status_code == 200


def test_api_docs_and_favicon_need_no_internet(client: TestClient) -> None:
    """/docs loads Swagger UI from the app's own static files (vendored), never from a CDN; /favicon.ico
    answers and every page links the icon. The browser test checks the page renders its operations."""
    html = client.get("/docs").text
    assert re.findall(r"https?://[^\s\"'<>]+", html) == []  # nothing outside this server (no CDN, no icon)
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert {u.rsplit("/", 1)[-1] for u in urls} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200 and len(r.content) > 0, url
    assert '"validatorUrl": null' in html  # Swagger UI would otherwise ask validator.swagger.io
    assert client.get("/redoc").status_code == 404  # ReDoc loads from a CDN: not offered
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/")
    page = client.get("/overview").text
    assert re.search(r'<link rel="icon" [^>]*href="[^"]*/static/favicon.svg"', page)


def test_empty_database_shows_zeros(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(db=str(tmp_path / "empty.duckdb")))) as c:
        r = c.get("/overview")
        assert r.status_code == 200
        assert re.search(r'id="documents-count">0<', r.text)
        assert "数据库中还没有数据" in r.text
        assert "暂无数据" in r.text
        stats = c.get("/api/stats").json()
        assert set(stats["tables"]) == set(ALL_TABLES)
        # nothing but the reference tables that come with the package
        assert {t for t, n in stats["tables"].items() if n} == {"ref_ipc_concordance", "ref_ipc_titles", "source_files"}
        assert c.get("/api/overview").json()["by_office_year"] == []


@pytest.mark.slow
def test_applicants_and_subclasses_with_chinese_ipc_titles(tmp_path: Path, shared: Path) -> None:
    path = tmp_path / "weekly.duckdb"
    _store(path, [shared / WEEKLY, shared / IPC_TREE_ZH])
    with TestClient(create_app(Settings(db=str(path)))) as c:
        data = c.get("/api/overview").json()
        html = c.get("/overview").text
    # regex counts over the XML: Matsushita is the assignee of 2 grants; G02B and H01R on 2 each
    assert data["top_applicants"][0]["name"] == "Matsushita Electric Industrial Co., Ltd."
    assert data["top_applicants"][0]["documents"] == 2
    assert [r["subclass"] for r in data["top_subclasses"][:2]] == ["G02B", "H01R"]
    # the folder G02B_光学元件、系统或仪器/ in the IPC tree archive (tar tzf)
    assert data["top_subclasses"][0]["title_zh"] == "光学元件、系统或仪器"
    assert "Matsushita Electric Industrial Co., Ltd." in html
    assert re.search(r'<code>G02B</code></td>\s*<td translate="no">光学元件、系统或仪器</td>', html)


@pytest.mark.slow
def test_undated_documents_listed_beside_the_chart(tmp_path: Path, shared: Path) -> None:
    path = tmp_path / "mixed.duckdb"
    _store(path, [shared / BASEBALL, shared / CN_TITLES])
    with TestClient(create_app(Settings(db=str(path)))) as c:
        data = c.get("/api/overview").json()
        html = c.get("/overview").text
    # the CN titles file has 9,740 distinct publication numbers (csv module) and no dates
    assert data["documents"] == 2664 + 9740
    assert data["offices"] == ["CN", "US"]
    assert {"office": "CN", "year": None, "documents": 9740} in data["by_office_year"]
    assert '<p class="note" id="undated">公开年份未知的文献：CN 9,740</p>' in html
    option = json.loads(re.search(r'id="chart-by-office-year-option">(.*?)</script>', html, re.S).group(1))
    assert [s["name"] for s in option["series"]] == ["US"]
    assert sum(option["series"][0]["data"]) == 2664


def test_unreadable_database_answers_503(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.duckdb"
    bad.write_text("this is not a DuckDB file\n" * 100)
    with TestClient(create_app(Settings(db=str(bad)))) as c:
        r = c.get("/api/stats")
    assert r.status_code == 503
    assert str(bad) not in r.json()["error"] and bad.name not in r.json()["error"]  # the path is for the log
    assert r.json()["error"].startswith("数据库暂时无法打开")


def test_catalogues_cover_every_key() -> None:
    zh, en = i18n.catalogue("zh-CN"), i18n.catalogue("en")
    assert set(zh) == set(en)
    call = re.compile(r"(?<![\w.])t\([\"']([a-z_.-]+)[\"']\s*[,)]")
    used = {f"lang.{code}" for code in i18n.LANGUAGES}  # built as "lang." ~ code in base.html
    reports = HERE.parent / "reports"
    for file in [*(HERE / "templates").glob("*.html"), *HERE.rglob("*.py"), *reports.rglob("*.py"),
                 *(reports / "templates").glob("*.html")]:
        used |= set(call.findall(file.read_text(encoding="utf-8")))
    assert len(used) > 30 and used <= set(zh)
    assert {f"table.{t}" for t in ALL_TABLES} <= set(zh)
    with Cockpit(Settings(db=":memory:")) as c:
        assert {f"quality.{name}" for name in quality(c.store)} <= set(zh)
