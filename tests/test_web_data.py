"""The data and ingest status page, the quarantine browser and the Excel downloads, in-process (TestClient)
against a real DuckDB file: the PatentsView baseball export (2,664 US grants) and two broken copies of
its first records written to a temporary folder (bad dates, an empty number, markup in the raw text)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from ipcockpit import exports
from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.store.bundled import SEI_FILE, ZH_TITLES_FILE
from ipcockpit.web import render
from ipcockpit.web.server import create_app

BASEBALL = "abstracts_us/baseball_patent_query.csv"
PASSWORDS = {"ana": "analyst-pass-1", "acme": "enterprise-pass-2", "root": "admin-pass-3"}
#: tables of the app's own working: the data page lists them to admins only
INTERNAL = {"schema_migrations", "auth_secrets", "users", "audit_log", "portfolios", "reported_publication",
            "pending_files", "web_sessions", "credit_audit", "credit_user_orgs"}
MARKUP = "<script>alert('raw')</script>"
DOCS = Path(__file__).resolve().parents[1] / "docs"


def _records(shared: Path, n: int) -> tuple[list[str], list[dict[str, str]]]:
    with (shared / BASEBALL).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), [row for _, row in zip(range(n), reader, strict=False)]


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> list[int]:
    """Write ``rows`` as CSV; returns the line on which each record starts (counted in the text written)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    starts = []
    for row in rows:
        starts.append(out.getvalue().count("\n") + 1)
        writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")
    return starts


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> dict[str, Any]:
    """The real export, ``a_broken.csv`` (6 records: 1, 3 and 6 good; 2 bad month, 4 no number, 5 an
    unreadable date with markup in the abstract) and ``b_bad_dates.csv`` (12 records, all on 30 February)."""
    folder = tmp_path_factory.mktemp("data")
    columns, first = _records(shared, 12)
    broken = [dict(r) for r in first[:6]]
    broken[1]["patent_date"] = "1993-13-45"
    broken[3]["patent_number"] = ""
    broken[4]["patent_date"] = "not a date"
    broken[4]["patent_abstract"] = MARKUP + " " + broken[4]["patent_abstract"]
    a, b = folder / "a_broken.csv", folder / "b_bad_dates.csv"
    a_lines = _write(a, columns, broken)
    b_lines = _write(b, columns, [{**r, "patent_date": "2001-02-30"} for r in first])
    db = folder / "data.duckdb"
    with Cockpit(db=db) as c:
        reports = c.ingest([shared / BASEBALL])
        reports += c.ingest([a, b])
        c.add_user("ana", "analyst", PASSWORDS["ana"])
        c.add_user("acme", "enterprise", PASSWORDS["acme"])
        c.add_user("root", "admin", PASSWORDS["root"])
    return {"db": db, "a": a, "b": b, "a_lines": a_lines, "b_lines": b_lines, "reports": reports,
            "numbers": [r["patent_number"] for r in first]}


@pytest.fixture
def client(store: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store["db"])), read_only=False)) as c:
        yield c


def login(client: TestClient, name: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    r = client.post("/login", data={"username": name, "password": PASSWORDS[name], "csrf_token": token.group(1)},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _sheet(content: bytes, name: str) -> list[dict[str, Any]]:
    """A sheet as CSV-like rows of text: dates as dates, times to the millisecond (Excel keeps no more)."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = [[_text(c) for c in r] for r in book[name].iter_rows()]
    book.close()
    header = rows[0]
    # a read-only sheet leaves out the empty cells at the end of a row
    return [dict(zip(header, [*r, *[""] * (len(header) - len(r))], strict=True)) for r in rows[1:]]


def _text(cell: Any) -> str:
    value = cell.value
    if isinstance(value, datetime):
        is_date = "h" not in str(cell.number_format).lower()
        return value.date().isoformat() if is_date else value.isoformat(" ", "milliseconds")
    return "" if value is None else str(value)


def _csv_ms(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """CSV rows with their times cut to the millisecond, as :func:`_sheet` gives them."""
    stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$")
    return [{k: datetime.fromisoformat(v).isoformat(" ", "milliseconds") if stamp.match(v) else v
             for k, v in r.items()} for r in rows]


# the ingest itself, as the page must show it -------------------------------------------------------
def test_the_broken_copies_were_quarantined_as_written(store: dict[str, Any]) -> None:
    real, a, b = store["reports"]
    assert (real.read, real.loaded, real.quarantined) == (2664, 2664, 0)  # pandas: 2,664 rows
    assert (a.read, a.quarantined, a.loaded + a.merged) == (6, 3, 3)
    assert (b.read, b.quarantined, b.loaded + b.merged) == (12, 12, 0)


def test_data_page_for_the_public_hides_paths(client: TestClient, store: dict[str, Any]) -> None:
    data = client.get("/data.json").json()
    assert data == client.get("/api/data").json() == client.get("/data?format=json").json()
    s = data["summary"]
    # the three files, and the two reference tables every store has (1,689 SEI rows, 77,188 Chinese titles)
    assert (s["files"], s["read"], s["quarantined"]) == (3 + 2, 2664 + 6 + 12 + 1689 + 77188, 3 + 12)
    assert s["documents"] == data["tables"]["documents"] == 2664  # the good broken rows name the same patents
    assert s["runs"] == 2 and s["pending"] == 0
    assert data["paths_shown"] is False
    assert {f["path"] for f in data["files"]} == {None}
    assert {r["command"] for r in data["runs"]} == {None}
    by_name = {f["format"]: f for f in data["by_format"]}
    assert by_name["patentsview-csv"]["files"] == 3
    assert data["quality"]["quarantined"] == {"count": 15}
    assert not INTERNAL & set(data["tables"]) and {"documents", "quarantine", "reported_values"} <= set(data["tables"])
    html = client.get("/data").text
    assert "<h1>数据与入库状态</h1>" in html
    assert str(store["a"]) not in html and "a_broken.csv" not in html
    assert 'id="paths-note"' in html and "/data/quarantine" not in html
    assert re.search(r'id="quarantined-count">15<', html)
    english = client.get("/data?lang=en").text
    assert "<h1>Data and ingest status</h1>" in english and "(analysts only)" in english


def test_data_page_for_an_analyst_names_the_files(client: TestClient, store: dict[str, Any]) -> None:
    login(client, "ana")
    data = client.get("/data.json").json()
    files = {f["path"]: f for f in data["files"]}
    assert set(files) == {str(store["a"]), str(store["b"]), str(Path(store["reports"][0].file)),
                          f"bundled:{SEI_FILE}", f"bundled:{ZH_TITLES_FILE}"}
    a = files[str(store["a"])]
    assert (a["read"], a["quarantined"], a["format"], a["sha256_short"]) == (6, 3, "patentsview-csv", a["sha256"][:12])
    assert a["file_id"] == store["reports"][1].file_id and a["run_id"] == files[str(store["b"])]["run_id"]
    assert any(str(store["b"]) in r["command"] for r in data["runs"])
    html = client.get("/data").text
    assert str(store["a"]) in html and 'id="quarantine-link"' in html
    assert f'href="/data/quarantine?file={a["file_id"]}"' in html
    rows = _csv(client.get("/data.csv?section=files&columns=ids"))
    assert len(rows) == 5 and {r["path"] for r in rows} == set(files)
    assert {r["路径"] for r in _csv(client.get("/data.csv?section=files&lang=zh-CN"))} == set(files)


def test_internal_tables_are_for_admins_only(client: TestClient, store: dict[str, Any]) -> None:
    """auth_secrets, audit_log, schema_migrations ... are the app's own working, not data: the public and
    analysts see the data tables only (page, JSON, CSV); an admin sees every table, the internal ones marked."""
    for who in (None, "ana"):
        if who:
            login(client, who)
        data = client.get("/data.json").json()
        assert not INTERNAL & set(data["tables"]) and data["internal_tables"] == []
        assert {"documents", "source_files", "quarantine", "ref_ipc_titles", "reported_values"} <= set(data["tables"])
        html = client.get("/data").text
        assert not [t for t in INTERNAL if t in html] and "会话签名密钥" not in html and "审计日志" not in html
        assert not INTERNAL & {r["name"] for r in _csv(client.get("/data.csv?section=tables&columns=ids"))}
    login(client, "root")
    data = client.get("/data.json").json()
    assert INTERNAL <= set(data["tables"]) and set(data["internal_tables"]) == INTERNAL
    assert data["tables"]["users"] == 3 and data["tables"]["schema_migrations"] >= 7
    html = client.get("/data").text
    row = re.search(r'<tr id="table-auth_secrets" class="internal">.*?</tr>', html, re.S).group(0)
    assert "会话签名密钥" in row and "内部表" in row and "仅管理员可见" in row
    assert 'id="table-documents" class="internal"' not in html


# the quarantine browser -----------------------------------------------------------------------------
def test_quarantine_lists_the_exact_rows(client: TestClient, store: dict[str, Any]) -> None:
    login(client, "ana")
    data = client.get("/api/data/quarantine", params={"file": "a_broken"}).json()
    assert data["total"] == 3
    got = [(r["path"], r["position"], r["field"]) for r in data["rows"]]
    lines = store["a_lines"]
    path = str(store["a"])
    assert got == [(path, f"line {lines[1]}", "patent_date"), (path, f"line {lines[3]}", "patent_number"),
                   (path, f"line {lines[4]}", "patent_date")]
    reasons = [r["reason"] for r in data["rows"]]
    assert "month must be in 1..12" in reasons[0]
    assert reasons[1] == "empty patent_number"
    assert reasons[2] == "unreadable date 'not a date'"
    assert all(r["file_name"] == "a_broken.csv" and r["file_id"] == store["reports"][1].file_id for r in data["rows"])
    assert data["rows"][2]["excerpt"].startswith("{'patent_abstract': \"" + MARKUP)
    assert data["fields"] == [{"field": "patent_date", "records": 2}, {"field": "patent_number", "records": 1}]
    html = client.get("/data/quarantine", params={"file": store["reports"][1].file_id}).text
    assert "<h1>隔离记录</h1>" in html and "第 1–3 条，共 3 条" in html
    assert "&lt;script&gt;alert(&#39;raw&#39;)&lt;/script&gt;" in html and MARKUP not in html
    assert html.count('<tr class="quarantined">') == 3
    assert f'title="{path}">a_broken.csv' in html


def test_quarantine_filters_and_pages(client: TestClient, store: dict[str, Any]) -> None:
    login(client, "ana")
    everything = client.get("/api/data/quarantine").json()
    assert everything["total"] == 15 and len(everything["files"]) == 2
    only_numbers = client.get("/api/data/quarantine", params={"field": "PATENT_NUMBER"}).json()
    assert [r["position"] for r in only_numbers["rows"]] == [f"line {store['a_lines'][3]}"]
    february = client.get("/api/data/quarantine", params={"reason": "out of range"}).json()
    assert february["total"] == 12 and {r["file_name"] for r in february["rows"]} == {"b_bad_dates.csv"}
    # twelve records in pages of five: lines in the order of the file (line 9 before line 10 ...)
    pages = [client.get("/api/data/quarantine", params={"file": "b_bad", "limit": 5, "offset": o}).json()
             for o in (0, 5, 10)]
    assert [p["count"] for p in pages] == [5, 5, 2]
    assert [r["position"] for p in pages for r in p["rows"]] == [f"line {n}" for n in store["b_lines"]]
    assert (pages[0]["prev_offset"], pages[0]["next_offset"]) == (None, 5)
    assert (pages[2]["prev_offset"], pages[2]["next_offset"], pages[2]["first"], pages[2]["last"]) == (5, None, 11, 12)
    html = client.get("/data/quarantine", params={"file": "b_bad", "limit": 5, "offset": 5}).text
    assert "第 6–10 条，共 12 条" in html
    assert 'id="prev-page"' in html and "offset=10" in html
    none = client.get("/api/data/quarantine", params={"reason": "100%_sure"}).json()
    assert none["total"] == 0 and none["rows"] == []  # % and _ are literal
    bad = client.get("/api/data/quarantine", params={"limit": "ten"})
    assert bad.status_code == 400 and "limit='ten' is not a whole number" in bad.json()["error"]
    assert client.get("/api/data/quarantine", params={"limit": 0}).status_code == 400


def test_quarantine_groups_by_kind_and_field(client: TestClient, store: dict[str, Any]) -> None:
    """The three broken records of a_broken.csv and the twelve of b_bad_dates.csv: 14 dates that cannot be
    read or do not exist (three different texts) and one empty number, counted before the rows."""
    login(client, "ana")
    data = client.get("/api/data/quarantine").json()
    assert data["groups"] == [{"reason_code": "bad_date", "field": "patent_date", "records": 14},
                              {"reason_code": "no_number", "field": "patent_number", "records": 1}]
    assert data["group_total"] == data["total"] == 15
    a_file = client.get("/api/data/quarantine", params={"file": "a_broken"}).json()
    assert [(g["reason_code"], g["records"]) for g in a_file["groups"]] == [("bad_date", 2), ("no_number", 1)]
    dates = client.get("/api/data/quarantine", params={"code": "bad_date", "field": "patent_date"}).json()
    assert dates["total"] == 14 and {r["reason_code"] for r in dates["rows"]} == {"bad_date"}
    html = client.get("/data/quarantine", params={"lang": "zh-CN"}).text
    groups = re.search(r'<section class="card" id="quarantine-groups">.*?</section>', html, re.S)
    assert groups and "日期无法识别或不存在" in groups.group(0) and "缺少专利号码" in groups.group(0)
    # PatentsView's patent_date and patent_number
    assert ">授权公告日<" in groups.group(0) and ">专利号<" in groups.group(0)
    rows = re.findall(r'<tr class="quarantined">.*?</tr>', html, re.S)
    assert len(rows) == 15 and all("month must be" not in re.sub(r'title="[^"]*"', "", r) for r in rows)
    assert sum('title="month must be in 1..12"' in r for r in rows) == 1  # the ingester's words, kept


def test_quarantine_is_for_analysts_only(client: TestClient) -> None:
    r = client.get("/data/quarantine", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/data/quarantine"
    for path in ("/api/data/quarantine", "/data/quarantine.json", "/data/quarantine.CSV", "/data/quarantine.xlsx"):
        r = client.get(path)
        assert r.status_code == 401 and "分析员" in r.json()["error"], path
    login(client, "acme")
    r = client.get("/api/data/quarantine")
    assert r.status_code == 403 and "acme" in r.json()["error"]
    assert client.get("/data.json").json()["paths_shown"] is False


# downloads ------------------------------------------------------------------------------------------
def test_quarantine_xlsx_has_the_rows_of_the_csv(client: TestClient) -> None:
    login(client, "ana")
    params = {"limit": 100}
    rows = _csv(client.get("/data/quarantine.csv", params=params))
    assert len(rows) == 15
    x = client.get("/data/quarantine.xlsx", params=params)
    assert x.status_code == 200 and x.headers["content-type"] == render.XLSX_TYPE
    assert x.headers["content-disposition"] == 'attachment; filename="quarantine.xlsx"'
    assert _sheet(x.content, "rows") == _csv_ms(rows)
    assert {"fields", "filters", "rows", "files"} <= set(openpyxl.load_workbook(io.BytesIO(x.content)).sheetnames)


@pytest.mark.slow
def test_every_page_offers_excel(client: TestClient, store: dict[str, Any]) -> None:
    for url, section in (("/data", "files"), ("/overview", "by_office_year"), ("/api/overview", "tables"),
                         (f"/patent/US{store['numbers'][0]}", "document"), ("/api/stats", "quality")):
        rows = _csv(client.get(url, params={"format": "csv", "section": section}))
        x = client.get(url, params={"format": "xlsx"})  # under the same labels as the CSV
        assert x.status_code == 200 and x.headers["content-type"] == render.XLSX_TYPE, url
        assert _sheet(x.content, section) == _csv_ms(rows), url
    overview = client.get("/overview").text
    assert overview.count('href="?format=xlsx"') == 5  # next to each CSV link
    patent = client.get(f"/patent/US{store['numbers'][0]}").text
    assert 'id="download-xlsx"' in patent
    fields = {r["name"]: r["value"] for r in _sheet(client.get("/overview?format=xlsx&columns=ids").content,
                                                    "fields")}
    assert fields == {"documents": "2664", "stubs": "0", "offices": "US"}


def test_excel_cells_stay_text_and_drop_control_characters() -> None:
    content = exports.xlsx_bytes({"count": 2, "rows": [{"a": "=HYPERLINK(\"http://x\")", "b": "bell\x07here"},
                                                      {"a": None, "b": float("nan")}]})
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["rows"]
    assert sheet["A2"].value == '=HYPERLINK("http://x")' and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == "bellhere" and sheet["B3"].value is None
    assert [c.value for c in book["fields"][2]] == ["count", 2]


# the model doc covers every table a store has ----------------------------------------------------------
def test_every_stored_table_and_column_is_in_the_model_doc(tmp_path: Path) -> None:
    """Every table and view the migrations create (users, audit log, portfolios ... included); reference
    tables are documented in reference_tables.md."""
    model = (DOCS / "model.md").read_text(encoding="utf-8")
    reference = (DOCS / "reference_tables.md").read_text(encoding="utf-8")
    with Cockpit(db=tmp_path / "empty.duckdb") as c:
        columns = c.store.query(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND NOT internal")
    tables = {r["table_name"] for r in columns}
    assert {"users", "auth_secrets", "audit_log", "reported_publication", "reported_public", "portfolios",
            "reported_values", "reported_current", "region_series", "pending_files", "schema_migrations"} <= tables
    for r in columns:
        text = reference if r["table_name"].startswith("ref_") else model
        assert f"`{r['table_name']}`" in text, r["table_name"]
        assert f"`{r['column_name']}`" in text, f"{r['table_name']}.{r['column_name']}"
