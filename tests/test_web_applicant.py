"""The applicant profile (申请人画像) in-process (TestClient) against a real DuckDB file: the Chinese
table-export SQL dump (10 rows of 中科大数据研究院), the USPTO weekly excerpt ipg080101 (25 grants) and the
Chinese IPC tree for subclass titles. Expected counts come from the source files, read with regular
expressions and tarfile here, not through the ingesters."""

from __future__ import annotations

import csv
import io
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from fastapi.testclient import TestClient

from ipcockpit import i18n
from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web import render
from ipcockpit.web.server import create_app

pytestmark = pytest.mark.slow  # every test uses the module's store (~8 s to build)

SQL = "cn/table_export_sample/专利总表(案例).sql"
WEEKLY = "uspto_xml/weekly_excerpts/ipg080101.small.xml"
IPC_TREE_ZH = "classification/IPC_Tree_2026.01_zh.tar.gz"
ZH = "中科大数据研究院"
EN = "Matsushita Electric Industrial Co., Ltd."


_LITERAL = re.compile(r"'((?:[^'\\]|\\.|'')*)'|(NULL)|(-?\d+(?:\.\d+)?)")


@pytest.fixture(scope="module")
def source(shared: Path) -> dict[str, Any]:
    """The SQL dump's rows as dicts of its 61 columns (the CREATE TABLE's names, the INSERT's literals),
    each with ``docs``: its publication numbers (公开号, and 授权公告号 when it differs) and their dates."""
    text = (shared / SQL).read_text(encoding="utf-8")
    table = text.split("CREATE TABLE", 1)[1].split(";", 1)[0]
    columns = re.findall(r"^  `([^`]+)` ", table, re.M)
    rows = []
    for line in (ln for ln in text.splitlines() if ln.startswith("INSERT INTO")):
        literals = _LITERAL.finditer(line.split("VALUES (", 1)[1])
        values = [m.group(1) if m.group(1) is not None else None if m.group(2) else m.group(3) for m in literals]
        assert len(values) == len(columns) == 61
        row: dict[str, Any] = dict(zip(columns, values, strict=True))
        row["docs"] = {row["公开号"]: row["公开日"]}
        if row["授权公告号"] and row["授权公告号"] != row["公开号"]:
            row["docs"][row["授权公告号"]] = row["授权公告日"]
        row["inventors"] = row["发明人"].split(";")
        rows.append(row)
    return {"rows": rows}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    db = tmp_path_factory.mktemp("applicant") / "applicant.duckdb"
    with Cockpit(db=db) as c:
        reports = c.ingest([shared / SQL, shared / WEEKLY, shared / IPC_TREE_ZH])
    assert [r.error for r in reports] == [None, None, None]
    return db


@pytest.fixture
def client(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)))) as c:
        yield c


def _docs_of(source: dict[str, Any], test: Any) -> set[str]:
    return {d for r in source["rows"] if test(r) for d in r["docs"]}


def test_chinese_applicant_counts_match_the_dump(client: TestClient, source: dict[str, Any]) -> None:
    data = client.get(f"/api/applicant/{ZH}").json()
    mine = _docs_of(source, lambda r: r["申请人"] == ZH)
    assert len(source["rows"]) == 10 and len(mine) == 11  # 10 rows, one with its B grant
    s = data["summary"]
    assert data["name"] == ZH and s["documents"] == data["documents_total"] == 11
    utility = {d for d in mine if d.endswith("U")}
    assert len(utility) == sum(r["专利类型"] == "实用新型" for r in source["rows"]) == 7
    assert (s["utility_models"], s["inventions"], s["invention_grants"], s["designs"]) == (7, 4, 1, 0)
    assert {r["doc_type"]: (r["documents"], r["grants"], r["applications"]) for r in data["by_type"]} == {
        "utility_model": (7, 7, 0), "invention": (4, 1, 3)}
    years: dict[int, int] = {}
    for r in source["rows"]:
        for when in r["docs"].values():
            years[int(when[:4])] = years.get(int(when[:4]), 0) + 1
    assert {r["year"]: r["documents"] for r in data["by_office_year"]} == years == {2021: 1, 2022: 4, 2023: 5,
                                                                                    2024: 1}
    assert {r["office"] for r in data["by_office_year"]} == {"CN"}
    assert sorted(d["doc_id"] for d in data["documents"]) == sorted(mine)


def test_inventors_subclasses_addresses_events(client: TestClient, source: dict[str, Any], shared: Path) -> None:
    data = client.get(f"/api/applicant/{ZH}").json()
    inventors = {i["name"]: i["documents"] for i in data["top_inventors"]}
    for name in ("王元卓", "付艳波", "刘敏"):
        assert inventors[name] == len(_docs_of(source, lambda r, n=name: n in r["inventors"])), name
    assert inventors["王元卓"] == 11 and inventors["付艳波"] == 6
    subclasses = {r["subclass"]: r for r in data["top_subclasses"]}
    assert [r["subclass"] for r in data["top_subclasses"][:2]] == ["B64C", "B64D"]
    for code in ("B64C", "B64D", "G06F"):  # rows whose 分类号 names the subclass
        assert subclasses[code]["documents"] == len(_docs_of(source, lambda r, c=code: c in r["分类号"])), code
    with tarfile.open(shared / IPC_TREE_ZH) as tar:
        folder = next(n for n in tar.getnames() if re.search(r"/B64C_[^/]+$", n))
    assert subclasses["B64C"]["title_zh"] == folder.rsplit("/B64C_", 1)[1] == "飞机；直升飞机"
    [address] = data["addresses"]
    assert (address["province"], address["city"], address["admin_code"], address["documents"]) == (
        "河南省", "郑州市", "410100", 11)
    assert "郑州市郑东新区" in address["address"]
    # 实质审查日 (substantive examination) is the one event the rows carry: in three rows, one the A/B pair
    examined = [r for r in source["rows"] if r["实质审查日"] not in (None, "0")]
    dates = sorted(f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in (r["实质审查日"] for r in examined))
    assert data["legal_events"] == [{"event_class": "examination", "events": 3, "documents": 3,
                                     "first_date": dates[0], "last_date": dates[-1]}]
    assert len(examined) == 3
    # no transfer, licence or pledge (专利转移次数, 许可次数, 质押次数 are 0) and no lapse date
    assert all(r[k] in ("0", None) for r in source["rows"] for k in ("专利转移次数", "许可次数", "质押次数"))
    assert all(r["失效日期"] in ("0", "", None) for r in source["rows"])
    s = data["summary"]
    assert (s["transfer_documents"], s["licence_documents"], s["pledge_documents"], s["lapse_documents"]) == (0,) * 4
    assert data["co_applicants"] == []


def test_high_value_count_agrees_with_the_screening(store: Path) -> None:
    with Cockpit(db=store) as c:
        data = c.applicant(ZH)
        [row] = c.screen(doc_ids=["CN115883397B"], limit=0)
    assert data is not None
    answer = {True: "yes", False: "no", None: "unknown"}[row["high_value"]]
    s = data["summary"]
    assert s["screened"] == 1 and s[f"high_value_{answer}"] == 1
    assert s["high_value_yes"] + s["high_value_no"] + s["high_value_unknown"] == 1
    grants = {d["doc_id"]: d["high_value"] for d in data["documents"] if d["high_value"]}
    assert grants == {"CN115883397B": answer}


def test_names_resolve_in_chinese_and_english(client: TestClient, shared: Path) -> None:
    # the legal form is folded away, so 有限公司 finds the institute as stored
    assert client.get(f"/api/applicant/{ZH}有限公司").json()["name_norm"] == ZH
    text = (shared / WEEKLY).read_text(encoding="utf-8")
    grants = [g for g in re.findall(r"<us-patent-grant.*?</us-patent-grant>", text, re.S) if "Matsushita" in g]
    numbers = sorted("USD" + re.search(r"<doc-number>D0*(\d+)</doc-number>", g).group(1) + "S1" for g in grants)
    for name in (EN, EN.upper(), "matsushita electric industrial"):
        data = client.get(f"/api/applicant/{quote(name)}").json()
        assert data["name"] == EN, name
        assert sorted(d["doc_id"] for d in data["documents"]) == numbers == ["USD558728S1", "USD558806S1"]
    assert data["by_type"] == [{"doc_type": "design", "documents": 2, "grants": 2, "applications": 0}]
    assert {r["name"] for r in data["co_applicants"]} == {"Shinzou Murakami", "Makoto Nakamura"}
    assert data["top_subclasses"] == []  # Locarno classes only
    assert [(a["country"], a["city"]) for a in data["addresses"]] == [("JP", "Osaka")]


def test_page_html_charts_and_links(client: TestClient) -> None:
    html = client.get(f"/applicant/{ZH}").text
    assert f'<span id="applicant-name">{ZH}</span>' in html
    assert re.search(r'id="documents-count">11<', html) and re.search(r'id="utility-count">7<', html)
    assert 'href="/patent/CN115883397B"' in html
    trend = json.loads(re.search(r'id="chart-applicant-trend-option">(.*?)</script>', html, re.S).group(1))
    assert trend["xAxis"]["data"] == ["2021", "2022", "2023", "2024"]
    assert [s["data"] for s in trend["series"]] == [[1, 4, 5, 1]]
    pie = json.loads(re.search(r'id="chart-applicant-ipc-option">(.*?)</script>', html, re.S).group(1))
    assert pie["series"][0]["data"][0] == {"name": "B64C 飞机；直升飞机", "value": 3}
    assert "/static/vendor/echarts/echarts.min.js" in html
    english = client.get(f"/applicant/{ZH}?lang=en").text
    assert "Applicant profile" in english and i18n.catalogue("en")["doc_type.utility_model"] in english
    assert "申请人画像" not in english
    # the overview's top applicants and the patent page's parties link here
    overview = client.get("/overview").text
    link = f'href="/applicant/{quote(ZH)}"'
    assert link in overview
    patent = client.get("/patent/CN115883397B").text
    assert link in patent
    assert client.get(f"/applicant/{quote(ZH)}").status_code == 200


def test_downloads_by_suffix_and_excel(client: TestClient) -> None:
    name = quote(ZH)
    assert client.get(f"/applicant/{name}.json").json() == client.get(f"/api/applicant/{name}").json()
    r = client.get(f"/applicant/{name}.csv", params={"section": "documents", "columns": "ids"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 11 and {"doc_id", "title", "high_value"} <= set(rows[0])
    x = client.get(f"/applicant/{name}.xlsx", params={"columns": "ids"})
    assert x.status_code == 200 and x.headers["content-type"] == render.XLSX_TYPE
    book = openpyxl.load_workbook(io.BytesIO(x.content))
    assert {"fields", "summary", "by_office_year", "top_subclasses", "documents"} <= set(book.sheetnames)
    sheet = list(book["documents"].iter_rows(values_only=True))
    assert [str(v) for v in sheet[0]] == list(rows[0])
    assert sorted(r[0] for r in sheet[1:]) == sorted(r["doc_id"] for r in rows)
    fields = {r[0]: r[1] for r in book["fields"].iter_rows(min_row=2, values_only=True)}
    assert fields["name"] == ZH and fields["documents_total"] == 11


def test_unknown_applicant_is_404_with_suggestions(client: TestClient) -> None:
    r = client.get("/applicant/matsushita")
    assert r.status_code == 404
    assert "库中没有名为“matsushita”的申请人" in r.text
    assert f'href="/applicant/{quote("matsushita electric industrial")}"' in r.text
    api = client.get("/api/applicant/no such company")
    assert api.status_code == 404 and api.json()["suggestions"] == []
    assert "no such company" in api.json()["error"]
    near = client.get("/api/applicant/中科").json()["suggestions"]
    assert near == [{"name_norm": ZH, "name": ZH, "documents": 11}]
