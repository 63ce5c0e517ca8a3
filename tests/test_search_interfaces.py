"""The interfaces of search and FTO screening: ``ipcockpit index``, ``ipcockpit search``, ``ipcockpit fto``
(typer's CliRunner), /api/search, /search, /api/fto and /fto (in-process), on one real store.

The store: the first 80 rows of abstracts_us/baseball_patent_query.csv, the first 30 rows of the liaoleyuan
Chinese abstracts (sample_val.csv) and the 25 USPTO grants of ipg120103.small.xml (with claims), legal
status as of 2026-06-01 (setting ``screen.as_of``, so that counts do not move with the calendar).
Counted independently: 80 + 30 CSV rows with pandas (every row has a title), 25 ``<us-patent-grant``
elements with a regex; the 30 Chinese rows go to the vector space "multi", the 105 others to "en"; of the
54 independent claims of the XML (lxml, tests/test_fto.py), 3 of US8088480B2 and 4 of US8090141B2 are
expired by that date: 47 live claims; the CSV records have no claims. Of the Chinese rows only
CN116523080A holds 联邦学习 (grep); of the baseball rows only US5269177 holds "sweet spot".
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from test_web_download_labels import unlabelled
from typer.testing import CliRunner

from ipcockpit.app import SEARCH_FILTERS, Cockpit
from ipcockpit.auth import ENTERPRISE
from ipcockpit.cli import app
from ipcockpit.cli.search import read_description, stage_label
from ipcockpit.i18n import Translator
from ipcockpit.search.hybrid import SearchError
from ipcockpit.settings import Settings
from ipcockpit.web.auth import SIGNED_IN, rule_for
from ipcockpit.web.server import create_app

BASEBALL, BASEBALL_ROWS = "abstracts_us/baseball_patent_query.csv", 80
CHINESE, CHINESE_ROWS = "cn/abstracts_cpc_liaoleyuan/sample_val.csv", 30
XML = "uspto_xml/weekly_excerpts/ipg120103.small.xml"
DOCUMENTS = BASEBALL_ROWS + CHINESE_ROWS + 25
#: documents per vector space: English (baseball rows and the XML grants) in en, Chinese rows in multi
SPACES = {"en": BASEBALL_ROWS + 25, "multi": CHINESE_ROWS}
#: the XML's 54 independent claims but those of the grants whose term ended by AS_OF (tests/test_fto.py):
#: US8088102B2 (1), US8088512B2 (2), US8089596B2 (2)
LIVE_CLAIMS = 54 - 1 - 2 - 2
AS_OF = "2026-06-01"
USER = ("acme", "enterprise-pass-1")
# a product described by hand from claim 1 of US 8,089,085 B2 (Bridgelux, "Heat sink base for LEDs")
LED = ("Our LED lamp module is built on a metal heat sink base. Several LED chips are mounted directly onto the "
       "base. A finned heat sink is fixed to the base to carry heat away. A lens is attached on the heat sink, "
       "and a phosphor coating is deposited on that lens to convert the blue light.")
runner = CliRunner()


def _head(src: Path, dst: Path, rows: int) -> None:
    """The header and the first ``rows`` records of a CSV file."""
    with src.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        kept = [r for _, r in zip(range(rows), reader, strict=False)]
        fields = reader.fieldnames or []
    with dst.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)


@pytest.fixture(scope="module")
def config(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A settings file naming the store (ingested, not indexed) and the as-of date of the legal status."""
    tmp = tmp_path_factory.mktemp("search_interfaces")
    (tmp / "in").mkdir()
    _head(shared / BASEBALL, tmp / "in" / "baseball_patent_query.csv", BASEBALL_ROWS)
    _head(shared / CHINESE, tmp / "in" / "sample_val.csv", CHINESE_ROWS)
    db = tmp / "store.duckdb"
    with Cockpit(Settings(db=str(db))) as c:
        reports = c.ingest([tmp / "in", shared / XML])
        c.add_user(USER[0], ENTERPRISE, USER[1], created_by="pytest")
    assert [(r.loaded, r.error) for r in reports] == [(BASEBALL_ROWS, None), (CHINESE_ROWS, None), (25, None)]
    path = tmp / "ipcockpit.yaml"
    path.write_text(f"db: {db}\nscreen:\n  as_of: '{AS_OF}'\n", encoding="utf-8")
    return path


def _cli(config: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--config", str(config)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def indexed(config: Path) -> dict:
    """``ipcockpit index --json`` run once on the module's store."""
    code, out, err = _cli(config, "index", "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def client(config: Path, indexed: dict) -> Iterator[TestClient]:
    settings = Settings(db=str(config.parent / "store.duckdb"), screen={"as_of": AS_OF})
    with TestClient(create_app(settings, read_only=False)) as c:
        yield c


def _login(client: TestClient) -> str:
    """Log in through the form; the CSRF token of the session."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": USER[0], "password": USER[1], "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(client.get("/api/me").json()["csrf_token"])


# before the index ---------------------------------------------------------------------------------
def test_search_before_index_says_run_index(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    Cockpit(db=db).close()  # a store without index (a missing store is another error: tests/test_cli.py)
    result = runner.invoke(app, ["search", "baseball", "--db", str(db)])
    assert result.exit_code == 2
    assert "no search index there; build it with `ipcockpit index`" in result.stderr
    with Cockpit(db=db) as c, pytest.raises(SearchError, match="ipcockpit index"):
        c.search("baseball")
    with TestClient(create_app(Settings(db=str(db)))) as web:
        r = web.get("/api/search", params={"q": "baseball"})
        assert r.status_code == 503 and "ipcockpit index" in r.json()["error"]
        page = web.get("/search")
        assert page.status_code == 200 and 'id="no-index"' in page.text
    fto = runner.invoke(app, ["fto", LED, "--db", str(db)])
    assert fto.exit_code == 2 and "no claim index" in fto.stderr and "ipcockpit index" in fto.stderr


# index --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_index_counts_and_incremental_update(config: Path, indexed: dict) -> None:
    docs, claims = indexed["documents"], indexed["claims"]
    assert (docs["documents"], docs["embedded"], docs["lexical_updated"], docs["removed"]) == (DOCUMENTS,) * 3 + (0,)
    assert docs["spaces"] == SPACES
    assert claims["as_of"] == AS_OF
    assert claims["spaces"]["en"]["claims"] == LIVE_CLAIMS and claims["spaces"]["en"]["added"] == LIVE_CLAIMS
    assert indexed["folder"].endswith("store.index")
    code, out, err = _cli(config, "index", "--json")  # nothing changed: nothing embedded again
    assert code == 0, err
    again = json.loads(out)
    assert (again["documents"]["embedded"], again["documents"]["lexical_updated"]) == (0, 0)
    assert (again["claims"]["spaces"]["en"]["added"], again["claims"]["spaces"]["en"]["unchanged"]) == (0, LIVE_CLAIMS)
    code, out, err = _cli(config, "index", "--status", "--json")
    status = json.loads(out)
    assert (status["exists"], status["documents"], status["lexical"]) == (True, DOCUMENTS, DOCUMENTS)
    assert status["vectors"] == SPACES and status["claims"] == {"en": LIVE_CLAIMS}
    code, out, err = _cli(config, "index")  # the table, not JSON (CliRunner is no terminal: plain progress lines)
    assert code == 0 and "文献" in out and "本次向量化" in out and str(DOCUMENTS) in out and "store.index" in err
    assert re.search(r"^扫描：1 / 1（100%），完成，用时 \d+:\d\d:\d\d", err, re.M), err
    assert stage_label("embed:en", Translator("zh-CN")) == "向量化 (en)"
    assert stage_label("claims:en", Translator("en")) == "claims (en)"


# search -------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_search_cli_json(config: Path, indexed: dict) -> None:
    code, out, err = _cli(config, "search", "baseball bat sweet spot", "--json", "--limit", "5", "--weaker")
    assert code == 0, err
    rows = json.loads(out)["results"]  # the search page's data, as /search.json
    assert len(rows) == 5 and rows[0]["relevant"]  # the one relevant document, then weaker ones
    for r in rows:
        assert {"publication_number", "title", "score", "passage", "lexical_rank", "semantic_rank"} <= set(r)
        assert r["publication_number"].startswith("US")
    top = rows[0]
    assert top["publication_number"] == "US5269177" and "sweet spot" in top["title"]
    assert "sweet spot" in top["passage"] and top["lexical_rank"] == 1
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)

    code, out, err = _cli(config, "search", "联邦学习 隐私保护", "--json", "--limit", "3")
    assert code == 0, err
    assert json.loads(out)["results"][0]["publication_number"] == "CN116523080A"
    code, out, _ = _cli(config, "search", "联邦学习", "--json", "--mode", "lexical", "--limit", "10")
    rows = json.loads(out)["results"]
    assert rows[0]["publication_number"] == "CN116523080A" and rows[0]["semantic_rank"] is None
    with (config.parent / "in" / "sample_val.csv").open(encoding="utf-8", newline="") as fh:
        texts = {r["publication_number"]: r["text"] for r in csv.DictReader(fh)}
    # the query is segmented as the documents are (联邦学习, 联邦, 学习): every hit holds one of them
    assert all("联邦" in texts[r["publication_number"]] or "学习" in texts[r["publication_number"]] for r in rows)


@pytest.mark.slow
def test_search_cli_filters_and_errors(config: Path, indexed: dict) -> None:
    code, out, err = _cli(config, "search", "data processing method", "--json", "--office", "CN", "--limit", "8",
                          "--weaker")
    assert code == 0, err
    assert {r["office"] for r in json.loads(out)["results"]} == {"CN"}
    code, out, err = _cli(config, "search", "light emitting", "--json", "--from", "2012", "--to", "2012-01",
                          "--limit", "5")
    assert code == 0, err
    rows = json.loads(out)["results"]
    assert rows and all(str(r["pub_date"]) == "2012-01-03" for r in rows)  # the XML's week only
    code, out, err = _cli(config, "search", "bat", "--from", "May 2010")
    assert code == 2 and "date_from='May 2010': write a date as YYYY-MM-DD" in err
    code, out, err = _cli(config, "search", "bat", "--mode", "fuzzy")
    assert code == 2 and "use one of hybrid, lexical, semantic" in err
    code, out, err = _cli(config, "search", "baseball bat sweet spot", "--limit", "3")
    assert code == 0 and "US5269177" in out  # the table


# FTO CLI ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_fto_cli_json_and_reports(config: Path, indexed: dict, tmp_path: Path) -> None:
    description = tmp_path / "product.txt"
    description.write_text(LED, encoding="utf-8")
    pdf, html = tmp_path / "r.pdf", tmp_path / "r.html"
    code, out, err = _cli(config, "fto", str(description), "--jurisdiction", "US", "--limit", "3", "--json",
                          "--pdf", str(pdf), "--html", str(html))
    assert code == 0, err
    result = json.loads(out)
    top = result["results"][0]
    assert result["query"]["text"] == LED and result["query"]["jurisdictions"] == ["US"]
    assert result["query"]["as_of"] == AS_OF
    assert top["publication_number"] == "US8089085B2" and top["risk_level"] == "high"
    assert top["elements_matched"] == top["elements_total"] == 4
    assert pdf.read_bytes().startswith(b"%PDF")
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "US8089085B2" in page and "<mark" in page
    code, out, err = _cli(config, "fto", LED, "--exclude", "Bridgelux, Inc.", "--json", "--limit", "3")
    assert code == 0, err
    assert "US8089085B2" not in {r["publication_number"] for r in json.loads(out)["results"]}
    code, out, err = _cli(config, "fto", LED, "--jurisdiction", "China")
    assert code == 2 and "give two-letter office codes" in err
    code, out, err = _cli(config, "fto", LED, "--limit", "2")
    assert code == 0 and "US8089085B2" in out and "不构成法律意见" in err
    row = next(line for line in out.splitlines() if "US8089085B2" in line)  # the table in the report's language
    assert "专利" in out and "风险" in out and re.search(r"│ [高中低]\s*│\s*$", row), out
    assert "高风险" in err and "low" not in err  # the summary: levels in words, one language


def test_description_file_encodings(tmp_path: Path) -> None:
    text = "一种农业巡检无人机，机身上装有图像采集模块和GPS模块。"
    gb = tmp_path / "gb.txt"
    gb.write_bytes(text.encode("gb18030"))
    utf = tmp_path / "utf.txt"
    utf.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert read_description(str(gb)) == text and read_description(str(utf)) == text
    assert read_description(text) == text and read_description(str(tmp_path / "missing.txt")).endswith("missing.txt")
    assert read_description("x" * 5000) == "x" * 5000  # too long for a file name: the text itself


# REST API and pages -------------------------------------------------------------------------------
@pytest.mark.slow
def test_api_search_json_csv_xlsx(client: TestClient, config: Path) -> None:
    params = {"q": "baseball bat sweet spot", "limit": 5, "weaker": 1}
    data = client.get("/api/search", params=params).json()
    code, out, _ = _cli(config, "search", "baseball bat sweet spot", "--json", "--limit", "5", "--weaker")
    cli = json.loads(out)["results"]
    assert [r["publication_number"] for r in data["results"]] == [r["publication_number"] for r in cli]
    assert data["count"] == 5 and data["mode"] == "hybrid" and data["index"]["documents"] == DOCUMENTS
    assert data["by_office_year"] and sum(r["documents"] for r in data["by_office_year"]) == data["listed"]
    r = client.get("/api/search", params={**params, "format": "csv", "columns": "ids"})
    assert r.headers["content-disposition"] == 'attachment; filename="search-results.csv"'
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [x["publication_number"] for x in rows] == [x["publication_number"] for x in data["results"]]
    assert {"title", "score", "passage", "lexical_rank", "semantic_rank"} <= set(rows[0])
    for lang in ("zh-CN", "en"):  # what a person downloads: every table's columns under labels
        book = openpyxl.load_workbook(io.BytesIO(client.get("/api/search", params={
            **params, "format": "xlsx", "lang": lang}).content), read_only=True)
        for sheet in book.worksheets:
            header = next(sheet.values)
            assert not unlabelled(header, lang), (lang, sheet.title, header)
    r = client.get("/api/search", params={**params, "format": "xlsx", "columns": "ids"})
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    sheet = list(book["results"].iter_rows(values_only=True))
    assert sheet[0][0] == "publication_number" and [x[0] for x in sheet[1:]] == [x["publication_number"] for x in rows]
    cn = client.get("/api/search", params={"q": "data processing method", "office": "CN", "limit": 4,
                                           "weaker": 1}).json()
    assert {x["office"] for x in cn["results"]} == {"CN"} and cn["filters"]["office"] == ["CN"]
    assert client.get("/api/search", params={"q": ""}).status_code == 400
    bad = client.get("/api/search", params={"q": "bat", "in_force": "maybe"})
    assert bad.status_code == 400 and "in_force='maybe'" in bad.json()["error"]


@pytest.mark.slow
def test_search_page_marks_passages_and_links(client: TestClient) -> None:
    page = client.get("/search", params={"q": "baseball bat sweet spot", "limit": 5}).text
    assert "<mark>sweet</mark> <mark>spot</mark>" in page
    assert 'href="/patent/US5269177"' in page
    assert '/search?q=US5269177&amp;mode=hybrid" class="more-like-this"' in page
    assert 'id="chart-results-option"' in page and "全文排名" in page
    like = client.get("/api/search", params={"q": "US5269177", "limit": 5}).json()["results"]
    assert len(like) == 5 and "US5269177" not in {r["publication_number"] for r in like}
    assert all(r["publication_number"].startswith("US") for r in like)
    english = client.get("/search", params={"q": "bat", "lang": "en", "mode": "lexical"}).text
    assert "Patent search" in english and "full-text rank" in english
    patent = client.get("/patent/US8089085B2").text
    assert 'id="more-like-this"' in patent and "/search?q=US8089085B2" in patent and "/fto?number=US8089085B2" in patent


@pytest.mark.slow
def test_search_page_data_is_the_cockpits(client: TestClient, config: Path) -> None:
    """/search.json, /search?format=json, /api/search and ``ipcockpit search --json`` are Cockpit.search_page."""
    filters = {"office": ["US"], "in_force": None, "applicant": None}
    # the app holds the store writable from its start (one process may not also open it read-only): the
    # Cockpit's own answer comes through the app's holder, a connection of its own
    holder = client.app.state.cockpit  # type: ignore[attr-defined]
    page = holder.call(lambda c: c.search_page("baseball bat", limit=6, mode="lexical", filters=filters))
    direct = json.loads(json.dumps(page, default=str))
    params = {"q": "baseball bat", "limit": 6, "mode": "lexical", "office": "US"}
    for url, extra in (("/api/search", {}), ("/search", {"format": "json"}), ("/search.json", {}),
                       ("/api/search.json", {})):
        got = client.get(url, params={**params, **extra}).json()
        assert {k: got[k] for k in ("query", "mode", "limit", "count", "results", "by_office_year", "index")} == {
            k: direct[k] for k in ("query", "mode", "limit", "count", "results", "by_office_year", "index")}, url
        assert got["filters"] == {**dict.fromkeys(SEARCH_FILTERS), "office": ["US"]}, url
    assert direct["count"] == 6 and sum(r["documents"] for r in direct["by_office_year"]) == direct["total"]
    # ipcockpit search --json prints the same page
    code, out, err = _cli(config, "search", "baseball bat", "--json", "--limit", "6", "--mode", "lexical",
                          "--office", "US")
    assert code == 0, err
    cli = json.loads(out)
    assert {k: cli[k] for k in direct if k != "index"} == {k: direct[k] for k in direct if k != "index"}
    assert cli["filters"] == got["filters"]


def _results_chart(html: str) -> dict:
    """The option of the results chart as the page embeds it for ECharts (read without a browser)."""
    raw = re.search(r'<script type="application/json" id="chart-results-option">(.*?)</script>', html, re.S)
    assert raw, "no chart option on the page"
    return json.loads(raw.group(1))


def _check_bars(option: dict, count: int) -> None:
    """A stacked bar option ECharts draws as given: a bar per category in every series, a legend entry per
    series, and the results counted once each."""
    categories = option["xAxis"]["data"]
    assert categories and option["series"], "the chart has no data"
    assert option["legend"]["data"] == [s["name"] for s in option["series"]]
    assert all(len(s["data"]) == len(categories) and s["type"] == "bar" for s in option["series"])
    assert sum(v for s in option["series"] for v in s["data"]) == count


@pytest.mark.slow
def test_search_chart_has_the_results(client: TestClient) -> None:
    # the 30 Chinese rows of sample_val.csv carry no date (the CSV has no date column): their results
    # must still be drawn, under "no date", not leave the chart empty
    query = {"q": "联邦学习 隐私保护", "office": "CN", "limit": 5, "weaker": 1}
    data = client.get("/api/search", params=query).json()
    assert data["count"] == 5 and {r["pub_date"] for r in data["results"]} == {None}
    html = client.get("/search", params=query).text
    option = _results_chart(html)
    _check_bars(option, data["listed"])  # every listed result, not only this page's
    assert option["xAxis"]["data"] == ["年份未知"] and [s["name"] for s in option["series"]] == ["CN"]
    # dated US results: one bar per year, "no date" absent
    dated_query = {"q": "baseball bat", "limit": 8}
    listed = client.get("/api/search", params=dated_query).json()["listed"]
    option = _results_chart(client.get("/search", params={**dated_query, "lang": "en"}).text)
    _check_bars(option, listed)
    assert "no date" not in option["xAxis"]["data"]
    assert option["xAxis"]["data"] == sorted(option["xAxis"]["data"])


@pytest.mark.slow
def test_fto_policy_api_form_and_downloads(client: TestClient, config: Path) -> None:
    assert rule_for("POST", "/api/fto").roles == SIGNED_IN  # type: ignore[union-attr]
    assert rule_for("GET", "/fto").roles == SIGNED_IN  # type: ignore[union-attr]
    assert rule_for("GET", "/search") is None and rule_for("GET", "/api/search") is None
    assert client.post("/api/fto", json={"text": LED}).status_code == 401  # public, no cookie
    assert client.get("/fto", headers={"accept": "text/html"}, follow_redirects=False).headers["location"] == \
        "/login?next=/fto"
    token = _login(client)
    api = client.post("/api/fto", json={"text": LED, "jurisdictions": ["US"], "limit": 3},
                      headers={"X-CSRF-Token": token})
    assert api.status_code == 200, api.text
    assert api.json()["results"][0]["publication_number"] == "US8089085B2"
    pdf = client.post("/api/fto?format=pdf", json={"text": LED, "limit": 2}, headers={"X-CSRF-Token": token})
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    bad = client.post("/api/fto", json={"text": LED, "jurisdictions": ["China"]}, headers={"X-CSRF-Token": token})
    assert bad.status_code == 400 and "two-letter office codes" in bad.json()["error"]

    form = client.get("/fto", params={"number": "US8089085B2"}).text
    assert "An LED assembly comprising" in form  # prefilled with its independent claim
    csrf = re.search(r'id="fto-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', form).group(1)
    fields = {"text": LED, "jurisdictions": "US", "exclude_applicants": "", "limit": "3", "csrf_token": csrf}
    page = client.post("/fto", data=fields)
    assert page.status_code == 200
    assert '<section class="fto-report"' in page.text and "<mark title=" in page.text
    assert "US8089085B2" in page.text and 'id="download-pdf"' in page.text
    assert client.post("/fto", data={**fields, "format": "pdf"}).content.startswith(b"%PDF")
    report = client.post("/fto", data={**fields, "format": "report"})
    assert report.headers["content-disposition"] == 'attachment; filename="fto-report.html"'
    assert report.text.startswith("<!doctype html>")
    assert client.post("/fto", data={**fields, "format": "json"}).json()["query"]["jurisdictions"] == ["US"]
    empty = client.post("/fto", data={**fields, "text": " "})
    assert empty.status_code == 400 and "the product description is empty" in empty.text
    assert client.post("/fto", data={**fields, "csrf_token": "forged"}).status_code == 403
    entries = client.app.state.cockpit.call(lambda c: c.audit_log(action="POST /fto"))
    assert entries and all("LED" not in json.dumps(e, default=str) for e in entries)  # never the description
    assert any('"chars": 282' in str(e["detail"]) for e in entries)


# relevance floors, numbers, totals and pages ------------------------------------------------------
# from claim 1 of CN 215361852 U (a farm drone): this store's claims are the English ones of ipg120103
# (LED lamps, smoke alarms, Akt inhibitors ...), none about a drone
DRONE = "一种农业巡检无人机，机身上装有图像采集模块和GPS模块，机壳内设有通信模块，机壳顶部有带气孔的弧形引流板。"
# valid numbers (the ZL check digit is right) of a CN grant this store does not hold
MISSING = ("CN115883397B", "CN 115883397 B", "ZL202211359874.7")


@pytest.mark.slow
def test_fto_says_no_relevant_claim(client: TestClient, config: Path) -> None:
    token = _login(client)
    result = client.post("/api/fto", json={"text": DRONE}, headers={"X-CSRF-Token": token}).json()
    relevance, best = result["relevance"], result["relevance"]["best"]
    assert result["results"] == [] and relevance["passed"] == 0 and result["weaker"]
    assert best["technical"] < relevance["floor"] and best["elements_matched"] == 0
    assert best["publication_number"] == result["weaker"][0]["publication_number"] or \
        best["technical"] == max(r["factors"]["technical"] for r in result["weaker"])
    form = client.get("/fto").text
    csrf = re.search(r'id="fto-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', form).group(1)
    page = client.post("/fto", data={"text": DRONE, "limit": "5", "csrf_token": csrf}).text
    shown = re.search(r'<p class="no-relevant" id="fto-no-relevant">(.*?)</p>', page, re.S).group(1)
    assert "没有找到与该产品相关的有效权利要求" in shown and best["publication_number"] in shown
    assert f"{best['technical']:.2f}" in shown and f"{relevance['floor']:.2f}" in shown
    assert 'id="fto-weaker"' in page and '<table class="results">' not in page  # no risk table of nonsense
    code, out, err = _cli(config, "fto", DRONE)
    assert code == 0 and "没有找到与该产品相关的有效权利要求" in err and "--weaker" in err
    assert best["publication_number"] not in out  # no table of unrelated claims ...
    code, out, err = _cli(config, "fto", DRONE, "--weaker")
    assert code == 0 and best["publication_number"] in out  # ... unless asked for


@pytest.mark.slow
def test_semantic_search_says_nothing_relevant(client: TestClient, config: Path) -> None:
    query = "A wooden chopping board with a juice groove and rubber feet"
    data = client.get("/api/search", params={"q": query, "mode": "semantic"}).json()
    assert data["total"] == 0 and data["results"] == [] and data["pages"] == 0 and data["weaker"] > 0
    best = data["best"]
    assert best["calibrated"] < best["floor"] and not best["relevant"]
    assert best["floor"] in data["floors"][best["space"]].values()
    weaker = client.get("/api/search", params={"q": query, "mode": "semantic", "weaker": 1, "limit": 5}).json()
    assert len(weaker["results"]) == 5 and not any(r["relevant"] for r in weaker["results"])
    assert weaker["results"][0]["publication_number"] == best["doc_id"]
    page = client.get("/search", params={"q": query, "mode": "semantic"}).text
    said = re.search(r'<p id="no-relevant">(.*?)</p>', page, re.S).group(1)
    assert "没有找到相关专利" in said and best["doc_id"] in said and '<li id="hit-' not in page
    assert 'id="show-weaker"' in page and "weaker=1" in page
    assert 'class="hit weaker"' in client.get("/search", params={"q": query, "mode": "semantic", "weaker": 1}).text
    code, out, err = _cli(config, "search", query, "--mode", "semantic")
    assert code == 0 and "没有找到相关专利" in err and "--weaker" in err and "No relevant" not in err
    # the command line speaks the setting's language only
    english = config.parent / "english.yaml"
    english.write_text(config.read_text(encoding="utf-8") + "\nlanguage: en\n", encoding="utf-8")
    code, out, err = _cli(english, "search", query, "--mode", "semantic")
    assert code == 0 and "No relevant" in err and "没有找到" not in err


@pytest.mark.slow
def test_search_by_number_shows_that_patent_first(client: TestClient, config: Path) -> None:
    page = client.get("/search", params={"q": "US 8,089,085 B2"}).text
    found = page.index('id="number-found"')
    assert found < page.index('id="results"')
    title = "Heat sink base for LEDS"  # as the XML's <invention-title> writes it
    link = re.search(r'<a href="([^"]+)" id="number-link" class="hit-link" translate="no">([^<]+)</a> '
                     r'<span translate="no">([^<]*)</span></h3>', page)
    assert link.groups() == ("/patent/US8089085B2", "US8089085B2", title)
    assert "与 US8089085B2 相似的专利" in page
    data = client.get("/api/search", params={"q": "US 8,089,085 B2"}).json()
    number = data["number"]
    assert (number["found"], number["doc_id"], number["document"]["title"]) == (True, "US8089085B2", title)
    assert "US8089085B2" not in {r["publication_number"] for r in data["results"]}  # the others: like it
    code, out, err = _cli(config, "search", "US 8,089,085 B2", "--limit", "3")
    assert code == 0 and out.splitlines()[0].startswith(f"US8089085B2  {title}")


@pytest.mark.slow
def test_search_for_a_missing_number_says_not_in_store(client: TestClient, config: Path) -> None:
    for number in MISSING:
        data = client.get("/api/search", params={"q": number}).json()
        assert data["number"] == {"query": number, "found": False, "doc_id": None, "document": None}
        assert data["results"] == [] and data["total"] == 0  # no text search presented as its answer
        page = client.get("/search", params={"q": number, "lang": "zh-CN"}).text
        said = re.search(r'<section class="card warn" id="number-missing"><p>(.*?)</p>', page, re.S).group(1)
        assert said.startswith(f"数据库中没有该专利：{number}") and '<li id="hit-' not in page
        assert "Not in this store" in client.get("/search", params={"q": number, "lang": "en"}).text
    code, out, err = _cli(config, "search", MISSING[0])
    assert code == 0 and "数据库中没有该专利" in err and out == ""


@pytest.mark.slow
def test_search_page_examples_are_in_the_store(client: TestClient) -> None:
    page = client.get("/search").text
    examples = re.findall(r'<a class="example" translate="no" href="[^"]*\?q=([^"]+)">([^<]+)</a>', page)
    assert len(examples) >= 2
    assert "CN115883397B" not in page  # the old hard-coded example, absent from this store
    for _, number in examples:
        assert client.get("/api/search", params={"q": number, "limit": 1}).json()["number"]["found"], number


@pytest.mark.slow
def test_search_total_and_pages(client: TestClient, config: Path) -> None:
    query = {"q": "baseball bat", "limit": 5}
    first = client.get("/api/search", params=query).json()
    total = first["total"]
    assert total > 10 and first["total_exact"] and (first["page"], first["page_size"], first["count"]) == (1, 5, 5)
    assert first["pages"] == -(-total // 5)
    seen: list[str] = []
    for number in range(1, first["pages"] + 1):
        got = client.get("/api/search", params={**query, "page": number}).json()
        assert got["total"] == total and got["page"] == number and got["first"] == 5 * (number - 1) + 1
        seen += [r["publication_number"] for r in got["results"]]
        assert all(r["relevant"] for r in got["results"])
    assert len(seen) == len(set(seen)) == total  # every relevant document once, none twice
    assert client.get("/api/search", params={**query, "page": first["pages"] + 1}).json()["results"] == []
    page = client.get("/search", params={**query, "page": 2}).text
    assert f'“<span translate="no">baseball bat</span>”：共 {total} 件相关专利' in page and "第 6–10 件" in page
    assert 'id="page-prev"' in page and 'id="page-next"' in page and "page=3" in page
    assert client.get("/api/search", params={**query, "page": 0}).status_code == 400
    code, out, err = _cli(config, "search", "baseball bat", "--limit", "5", "--page", "2", "--json")
    assert [r["publication_number"] for r in json.loads(out)["results"]] == seen[5:10]
