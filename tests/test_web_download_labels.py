"""The web app's downloads as people read them (ipcockpit.exports.labelled): every column of every CSV and Excel
table under its label in the page's language, coded values in words, the same rows as the JSON; ``columns=ids``
gives the JSON's field ids. On the demo gazette subset (tests/credit_support.py: the Chongqing records of the 2019
gazette week that data/demo ships), as `make demo` ingests it."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from credit_support import demo_store
from fastapi.testclient import TestClient

from ipcockpit import exports, i18n
from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

PASSWORD = "downloads-test-password"
ID = re.compile(r"[a-z][a-z0-9_]*")  # a field id as the JSON has it (a label starts upper-case or is Chinese)


def unlabelled(header: Iterable[Any], lang: str) -> list[str]:
    """The headers of a download that are field ids: written as ids are (lower case, ``_``) and not a text of the
    catalogue (the English relationship names are lower-case words: owns, invents, cites)."""
    texts = set(i18n.catalogue(lang).values())
    return [str(h) for h in header if ID.fullmatch(str(h)) and str(h) not in texts]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("download_labels")
    path = folder / "demo.duckdb"
    shutil.copyfile(demo_store(tmp_path_factory), path)
    broken = folder / "broken_export.csv"  # one record on 30 February: the quarantine's tables have rows
    broken.write_text("patent_abstract,patent_date,patent_number,patent_title\n"
                      "A bat.,1993-02-30,5269177,Sweet spot\n", encoding="utf-8")
    with Cockpit(db=path) as c:
        [bad] = c.ingest([broken])
        assert bad.quarantined == 1
        c.add_user("root", "admin", PASSWORD, created_by="pytest")
        con = c.store.con
        [org] = con.execute("SELECT entity_id FROM party_entities GROUP BY 1 ORDER BY count(*) DESC, 1 "
                            "LIMIT 1").fetchone()
        [inv] = con.execute("SELECT entity_id FROM inventor_entities GROUP BY 1 ORDER BY count(*) DESC, 1 "
                            "LIMIT 1").fetchone()
        [name] = con.execute("SELECT name_raw FROM parties WHERE role IN ('applicant', 'patentee') GROUP BY 1 "
                             "ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()
    return {"db": path, "org": org, "inventor": inv, "applicant": name}


@pytest.fixture(scope="module")
def client(store: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store["db"])), read_only=False)) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert token
        r = c.post("/login", data={"username": "root", "password": PASSWORD, "csrf_token": token.group(1)},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        yield c


def _pages(store: dict[str, Any]) -> list[str]:
    return ["/cockpit", "/overview", "/data", "/region/500000", "/region/500120", "/strength", "/talent",
            f"/applicant/{quote(store['applicant'])}", f"/organisation/{quote(store['org'])}",
            f"/inventor/{quote(store['inventor'])}", "/admin/users", "/cockpit/reported", "/screen",
            "/data/quarantine"]


def _sheets(content: bytes) -> dict[str, list[list[Any]]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_column_of_every_download_has_its_label(client: TestClient, store: dict[str, Any], lang: str) -> None:
    """Every table with rows: no header is a field id, no two headers alike; Chinese headers in Chinese."""
    checked = 0
    for url in _pages(store):
        r = client.get(url, params={"format": "xlsx", "lang": lang})
        assert r.status_code == 200, (url, r.text[:200])
        for title, rows in _sheets(r.content).items():
            header = [str(h) for h in rows[0]]
            if len(rows) == 1:  # an empty table: one column that says so
                assert header == [i18n.Translator(lang)("column.no_rows")], (url, title)
                continue
            checked += 1
            ids = unlabelled(header, lang)
            assert not ids, f"{url} {title}: {ids} have no label (add column.<field> to both catalogues)"
            assert len(set(header)) == len(header), (url, title, header)
            if lang == "zh-CN":
                assert all(re.search(r"[\u4e00-\u9fff]", h) or h in ("SHA-256", "IPC") for h in header), \
                    (url, title, header)
    assert checked >= 45  # the store fills most of them


def test_a_download_has_the_rows_of_the_json_in_words(client: TestClient, store: dict[str, Any]) -> None:
    t = i18n.Translator("zh-CN")
    data = client.get("/strength.json", params={"limit": 60}).json()["ranking"]
    assert data
    labelled = _csv(client.get("/strength", params={"format": "csv", "lang": "zh-CN", "limit": 60}))
    ids = _csv(client.get("/strength", params={"format": "csv", "columns": "ids", "limit": 60}))
    assert ids[0] == list(data[0]) and labelled[0][:4] == ["序号", "主体编号", "名称", "性质"]
    assert len(labelled) == len(ids) == len(data) + 1
    for row, raw in zip(labelled[1:], data, strict=True):
        assert row[1:3] == [raw["entity_id"], raw["name"]]
        assert row[3] == t(f"strength.nature.{raw['nature']}")  # 企业, 高校 ... not enterprise
    # a region's documents: patent type, stage and the holder's role in words, yes/no/unknown as 是/否/未知
    docs = client.get("/api/region/500120").json()["documents"]
    rows = _csv(client.get("/region/500120", params={"format": "csv", "section": "documents", "lang": "zh-CN"}))
    header = rows[0]
    assert len(rows) == len(docs) + 1
    for row, raw in zip(rows[1:], docs, strict=True):
        cell = dict(zip(header, row, strict=True))
        assert cell["文献号"] == raw["doc_id"] and cell["专利类型"] == t(f"doc_type.{raw['doc_type']}")
        assert cell["阶段"] == t(f"stage.{raw['stage']}") and cell["当事人角色"] == t(f"role.{raw['holder_role']}")
        assert cell["有效性"] == ("" if raw["in_force"] is None else t(f"answer.{raw['in_force']}"))
    # the same in English
    en = _csv(client.get("/region/500120", params={"format": "csv", "section": "documents", "lang": "en"}))
    assert en[0][:4] == ["Document", "Title", "Kind", "Patent type"]


def test_the_cockpit_download_reads_in_the_pages_language(client: TestClient) -> None:
    """Names, units and reasons as the page shows them: Chinese sentences in Chinese, English in English."""
    zh = _csv(client.get("/cockpit", params={"format": "csv", "lang": "zh-CN"}))
    en = _csv(client.get("/cockpit", params={"format": "csv", "lang": "en"}))
    header_zh, header_en = zh[0], en[0]
    assert header_zh[:2] == ["编号", "名称"] and header_en[:2] == ["ID", "Name"]
    reasons = [dict(zip(header_zh, r, strict=True))["进度说明"] for r in zh[1:]]
    assert any(reasons) and all(re.search(r"[\u4e00-\u9fff]", x) for x in reasons if x)
    names_en = [dict(zip(header_en, r, strict=True))["Name"] for r in en[1:]]
    assert names_en and not any(re.search(r"[\u4e00-\u9fff]", x) for x in names_en)
    reasons_en = [dict(zip(header_en, r, strict=True))["Progress note"] for r in en[1:]]
    assert any(reasons_en) and not any(re.search(r"[\u4e00-\u9fff]", x) for x in reasons_en)


def test_sections_keep_their_ids_and_fields_their_labels(client: TestClient) -> None:
    r = client.get("/overview", params={"format": "xlsx", "lang": "zh-CN"})
    sheets = _sheets(r.content)
    assert list(sheets)[:2] == ["fields", "by_office_year"]  # the sheets are the sections, as ?section= names them
    assert sheets["fields"][0] == ["名称", "数值"]
    assert ["文献数量", client.get("/overview.json").json()["documents"]] in sheets["fields"]
    assert client.get("/overview", params={"format": "csv", "section": "by_office_year"}).status_code == 200
    ids = _sheets(client.get("/overview", params={"format": "xlsx", "columns": "ids"}).content)
    assert ids["fields"][0] == ["name", "value"] and ids["by_office_year"][0] == ["office", "year", "documents"]
    bad = client.get("/overview", params={"format": "csv", "columns": "names"})
    assert bad.status_code == 400 and "columns" in bad.text


def test_labelled_names_codes_and_clashes() -> None:
    t = i18n.Translator("zh-CN")
    data = {"documents": 3, "rows": [{"nature": "university", "name": "重庆大学", "name_zh": "重庆大学", "ok": True,
                                      "mystery": "x"}],
            "summary": {"documents": 3}, "empty": [], "links": [{"source": "a", "target": "b"}]}
    out = exports.labelled(data, t)
    assert out["文献数量"] == 3  # a single value under its label
    assert out["rows"] == [{"性质": "高校", "名称": "重庆大学", "中文名称": "重庆大学", "ok": "是", "mystery": "x"}]
    assert out["summary"] == [{"名称": "文献数量", "数值": 3}]  # a mapping's names labelled too
    assert out["empty"] == [] and exports.sections(out) == ["rows", "summary", "empty", "links"]
    assert out["links"] == [{"起点": "a", "终点": "b"}]  # a table's own label before the general one (目标值)
    clash = exports.labelled({"rows": [{"title": "x", "name": "y"}]}, t)["rows"][0]
    assert list(clash) == ["名称", "名称 (name)"]  # two fields one label: the second names its field


def test_a_download_holds_the_whole_list_not_the_pages_first_rows(client: TestClient,
                                                                  store: dict[str, Any]) -> None:
    """The region page lists its newest 200 documents and the strength page its first 50 organisations; their
    CSV and Excel held those rows only (a district's download silently short of most of its patents). A download
    holds every row (at most max_download_rows) unless the request names limit."""
    region = client.get("/api/region/500000").json()
    assert region["documents_total"] > len(region["documents"]) == 200  # the page: the first 200
    rows = _csv(client.get("/region/500000", params={"format": "csv", "section": "documents", "columns": "ids"}))
    assert len(rows) - 1 == region["documents_total"]
    book = _sheets(client.get("/region/500000", params={"format": "xlsx"}).content)
    assert len(book["documents"]) - 1 == region["documents_total"]
    strength = client.get("/api/strength").json()
    assert strength["organisations"] > len(strength["ranking"]) == 50
    ranking = _csv(client.get("/strength", params={"format": "csv", "columns": "ids"}))
    assert len(ranking) - 1 == strength["organisations"]
    assert [r[1] for r in ranking[1:51]] == [r["entity_id"] for r in strength["ranking"]]  # the same order
    asked = _csv(client.get("/region/500000", params={"format": "csv", "section": "documents", "limit": 10}))
    assert len(asked) - 1 == 10  # a limit the request names is kept
    # the pages say so, and their links ask for the whole list (the strength form sends limit: the links drop it)
    page = client.get("/region/500000", params={"lang": "zh-CN"}).text
    total = f"{region['documents_total']:,}"
    assert re.search(rf'class="note download-all">CSV 与 Excel 含全部 {total} 条（页面列出前 200 条）<', page)
    page = client.get("/strength", params={"lang": "zh-CN", "limit": 20, "nature": "enterprise"}).text
    link = re.search(r'id="download-csv" href="\?([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "limit" not in link and "nature=enterprise" in link
    enterprises = client.get("/api/strength", params={"nature": "enterprise"}).json()["organisations"]
    assert len(_csv(client.get(f"/strength?{link}&columns=ids"))) - 1 == enterprises > 20
    assert f"含全部 {enterprises:,} 条（页面列出前 20 条）" in page
    # the other lists say it too: an applicant's and an inventor's documents, talent events, credit tiers (each
    # asked for 2 rows)
    for url, total_key in ((f"/applicant/{quote(store['applicant'])}", "documents_total"),
                           (f"/inventor/{quote(store['inventor'])}", "documents_total"),
                           ("/talent", "events_total"), ("/credit", "matched")):
        total = client.get(url, params={"format": "json"}).json()[total_key]
        assert total > 2, url
        page = client.get(url, params={"lang": "zh-CN", "limit": 2}).text
        assert f"含全部 {total:,} 条（页面列出前 2 条）" in page, url
