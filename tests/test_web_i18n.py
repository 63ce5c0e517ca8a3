"""The Chinese pages in Chinese (TestClient, real files): the quarantine of the Indian journal's 2018 grants
(1,688 rows of other journal tables: one kind of reason) grouped and named in Chinese, with the stored
English reason kept as the evidence; the reason codes of stores made before they existed; times in the
zone of the setting ``timezone`` with the zone named; value indicators with Chinese units and sensible
decimals on the patent page of CN115883397B (the CN table export)."""

from __future__ import annotations

import html as html_lib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
from fastapi.testclient import TestClient

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

INDIA_2018 = "india/2018_grants.csv"
CN_TABLE = "cn/table_export_sample"
PASSWORD = "analyst-pass-1"
#: the reason the Indian ingester gives a row of another journal table (its value varies: 8 texts)
OTHER_TABLE = "not a patent number: the row belongs to another journal table"


def visible(html: str) -> str:
    """The text a reader sees: no scripts, no tags, entities decoded."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", "\n", html))


def section(html: str, element_id: str) -> str:
    m = re.search(rf'<(section|table)[^>]*id="{element_id}".*?</\1>', html, re.S)
    assert m, element_id
    return m.group(0)


def english(text: str) -> list[str]:
    """Runs of English words (three letters or more) in ``text``: prose a Chinese page should not show."""
    return re.findall(r"[A-Za-z]{3,}(?:[ ,.'-]+[A-Za-z]{2,})+", text)


@pytest.fixture(scope="module")
def india(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """A store of the 2018 Indian grants (13,830 loaded, 1,688 quarantined) with an analyst."""
    db = tmp_path_factory.mktemp("india") / "india.duckdb"
    with Cockpit(db=db) as c:
        (report,) = c.ingest([shared / INDIA_2018])
        assert (report.read, report.loaded, report.quarantined) == (15697, 13830, 1688)
        c.add_user("ana", "analyst", PASSWORD)
    return db


def _client(db: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(db=str(db), **settings), read_only=False))


def _query(client: TestClient, sql: str) -> list[dict[str, Any]]:
    """``sql`` on the store of the app behind ``client`` (the app holds the file)."""
    return client.app.state.cockpit.call(lambda c: c.store.query(sql))  # type: ignore[attr-defined]


@pytest.fixture
def analyst(india: Path) -> Iterator[TestClient]:
    with _client(india) as c:
        r = c.post("/login", json={"username": "ana", "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield c


# the quarantine ----------------------------------------------------------------------------------
def test_quarantine_groups_the_rows_by_kind_and_field(analyst: TestClient, india: Path) -> None:
    data = analyst.get("/api/data/quarantine").json()
    assert data["total"] == data["group_total"] == 1688
    # 8 different texts ('Patent Number' is 'DELHI', 'CHENNAI' ...), one kind of reason, one field
    assert data["groups"] == [{"reason_code": "other_table_row", "field": "Patent Number", "records": 1688}]
    assert _query(analyst, "SELECT count(DISTINCT reason) AS n FROM quarantine") == [{"n": 8}]
    row = data["rows"][0]
    assert row["reason_code"] == "other_table_row" and OTHER_TABLE in row["reason"]  # both, for API clients
    group = analyst.get("/api/data/quarantine", params={"code": "other_table_row", "field": "Patent Number",
                                                       "limit": 500, "offset": 1500}).json()
    assert (group["total"], group["count"], group["first"], group["next_offset"]) == (1688, 188, 1501, None)
    assert analyst.get("/api/data/quarantine", params={"code": "bad_date"}).json()["total"] == 0


def test_quarantine_page_in_chinese(analyst: TestClient) -> None:
    html = analyst.get("/data/quarantine", params={"lang": "zh-CN"}).text
    groups = section(html, "quarantine-groups")
    assert "不是授权记录：公报中其他表格的行或重复的表头" in groups and ">专利号<" in groups
    assert "1,688" in groups and "code=other_table_row" in groups
    rows = section(html, "quarantine")
    assert rows.count('<tr class="quarantined">') == 50
    assert "第 1,286 行" in visible(rows) and "专利号" in visible(rows)
    # file names, format codes and the excerpts are data (the journal's English columns); the rest is Chinese
    prose = re.sub(r'(<tr class="quarantined">)<td[^>]*>.*?</td>|<pre class="excerpt">.*?</pre>', r"\1", rows,
                   flags=re.S)
    assert english(visible(prose)) == [], english(visible(prose))[:5]
    assert OTHER_TABLE not in visible(rows) and OTHER_TABLE in rows  # the evidence is the cell's title
    assert english(visible(groups)) == []


def test_quarantine_page_in_english(analyst: TestClient) -> None:
    html = analyst.get("/data/quarantine", params={"lang": "en"}).text
    groups = section(html, "quarantine-groups")
    assert "Not a grant: a row of another journal table or a repeated header" in groups
    assert ">Patent number<" in groups
    rows = visible(section(html, "quarantine"))
    assert OTHER_TABLE in rows and "line 1,286" in rows


def test_reason_codes_of_an_older_store(india: Path, tmp_path: Path) -> None:
    """A store quarantined before reason codes: read-only it is grouped all the same; the next writable open
    (migration 8) stores the codes."""
    from ipcockpit.analytics.ingest_status import quarantine_page
    from ipcockpit.store import Store

    old = tmp_path / "old.duckdb"
    shutil.copy(india, old)
    with duckdb.connect(str(old)) as con:
        con.execute("ALTER TABLE quarantine DROP COLUMN reason_code")
        con.execute("DELETE FROM schema_migrations WHERE version = 8")
    store = Store(old, read_only=True)
    try:
        page = quarantine_page(store, code="other_table_row", limit=10)
        assert page["total"] == page["group_total"] == 1688 and page["rows"][0]["reason_code"] == "other_table_row"
    finally:
        store.con.close()
    with Cockpit(db=old) as c:
        assert c.store.query("SELECT reason_code, count(*) AS n FROM quarantine GROUP BY ALL") == [
            {"reason_code": "other_table_row", "n": 1688}]


def test_every_reason_kind_is_named_in_both_languages() -> None:
    from ipcockpit import i18n
    from ipcockpit.model.quarantine import ALL_CODES, classify

    for lang in i18n.LANGUAGES:
        assert [c for c in ALL_CODES if f"quarantine.code.{c}" not in i18n.catalogue(lang)] == []
    web = (Path(__file__).resolve().parents[1] / "docs" / "web.md").read_text(encoding="utf-8")
    assert [c for c in ALL_CODES if f"`{c}`" not in web] == []
    # the reasons the loader and the date reader give, as the baseball copies in test_web_data get them
    assert classify("month must be in 1..12") == classify("day is out of range for month") == "bad_date"
    assert classify("unreadable date 'not a date'") == "bad_date"
    assert classify("empty patent_number") == classify("no publication number; a record needs one") == "no_number"
    assert classify("office 'U' is not a two-letter country or office code") == "bad_number"
    assert classify("something new") == "other"


# times -------------------------------------------------------------------------------------------
def test_times_in_the_zone_of_the_setting(india: Path) -> None:
    with _client(india) as c:  # the default: the system's zone, named
        cockpit = visible(c.get("/", params={"lang": "zh-CN"}).text)
        assert re.search(r"生成时间 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC([+-]\d+(:\d\d)?)?\n", cockpit)
        assert not re.search(r"\d\dT\d\d:\d\d", cockpit), "no raw ISO time"
    with _client(india, timezone="Asia/Shanghai") as c:
        r = c.post("/login", json={"username": "ana", "password": PASSWORD})
        assert r.status_code == 200, r.text
        (row,) = _query(c, "SELECT ingested_at FROM source_files WHERE format = 'india-grants-csv'")
        shown = row["ingested_at"].astimezone().astimezone(ZoneInfo("Asia/Shanghai"))  # stored: local time
        page = c.get("/data", params={"lang": "zh-CN"}).text
        assert f"{shown:%Y-%m-%d %H:%M:%S} UTC+8" in section(page, "files")
        assert f"最近导入 {shown:%Y-%m-%d %H:%M} UTC+8" in page
        cockpit = visible(c.get("/", params={"lang": "zh-CN"}).text)
        assert re.search(r"生成时间 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\+8", cockpit), "the cockpit names its zone"
        assert not re.search(r"\d\dT\d\d:\d\d", cockpit), "no raw ISO time"
    with _client(india, timezone="UTC") as c:
        assert re.search(r"生成时间 \S+ \S+ UTC\b", visible(c.get("/", params={"lang": "zh-CN"}).text))


def test_data_page_in_chinese(analyst: TestClient) -> None:
    html = analyst.get("/data", params={"lang": "zh-CN"}).text
    formats = visible(section(html, "by-format"))
    assert "印度专利局公报授权清单（CSV）" in formats and "india-grants-csv" in formats  # the name, then the code
    files = section(html, "files")
    assert ">None<" not in files  # the bundled tables have no ingest run
    times = re.findall(r'<td class="nowrap">([^<]*)</td>', files)
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC([+-]\d+(:\d\d)?)?", t) for t in times)
    english_html = analyst.get("/data", params={"lang": "en"}).text
    assert "Indian Patent Office journal grants (CSV)" in visible(section(english_html, "by-format"))


def test_an_unknown_zone_stops_the_server(india: Path) -> None:
    from ipcockpit.errors import SettingsError

    with pytest.raises(SettingsError, match="Asia/Chongqing-ish"):
        create_app(Settings(db=str(india), timezone="Asia/Chongqing-ish"))


def test_time_text() -> None:
    from datetime import datetime

    from ipcockpit import localtime

    shanghai, kolkata = ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Kolkata")
    assert localtime.show(datetime(2025, 3, 1, 7, 30), shanghai, "utc") == "2025-03-01 15:30:00 UTC+8"
    assert localtime.show("2025-03-01T07:30:00+00:00", kolkata, seconds=False) == "2025-03-01 13:00 UTC+5:30"
    assert localtime.show("2022-07-08", shanghai) == "2022-07-08"  # a day stays that day
    assert localtime.local_date(datetime(2025, 3, 1, 20, 0), shanghai, "utc") == "2025-03-02"


# units ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cn_table(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    db = tmp_path_factory.mktemp("cn_table") / "cn.duckdb"
    with Cockpit(db=db) as c:
        assert all(r.error is None for r in c.ingest([shared / CN_TABLE]))
    return db


def _indicators(html: str) -> dict[str, str]:
    cells = re.findall(r'<tr id="indicator-(\w+)".*?<td class="num">([^<]*)</td>', html, re.S)
    return {name: html_lib.unescape(raw) for name, raw in cells}


def test_value_indicators_with_their_units(cn_table: Path) -> None:
    with _client(cn_table) as c:
        zh = _indicators(c.get("/patent/CN115883397B", params={"lang": "zh-CN"}).text)
        en = _indicators(c.get("/patent/CN115883397B", params={"lang": "en"}).text)
        raw = c.get("/patent/CN115883397B.json").json()
    assert {"grant_lag", "remaining_term", "inventors"} <= set(zh)
    assert re.fullmatch(r"\d+\.\d 年", zh["remaining_term"]) and re.fullmatch(r"\d+\.\d 年", zh["grant_lag"])
    assert zh["inventors"] == "4 人" and zh["npl_citations"] == "1 项"
    assert [v for v in zh.values() if english(v) or re.search(r"[A-Za-z]{4,}", v)] == []
    assert re.fullmatch(r"\d+\.\d years", en["remaining_term"]) and en["inventors"] == "4 persons"
    # the page rounds to one decimal; the data keeps the value as computed
    term = next(i["raw"] for i in _explanation(raw) if i["name"] == "remaining_term")
    assert zh["remaining_term"] == f"{float(term):.1f} 年" and term != round(term, 1)


def _explanation(data: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(o: Any) -> None:
        if isinstance(o, dict):
            if o.get("kind") == "indicator":
                found.append(o)
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(data)
    return found


def test_quantity_text() -> None:
    from ipcockpit.i18n import Translator
    from ipcockpit.web.filters import quantity_text

    zh, en = Translator("zh-CN"), Translator("en")
    assert quantity_text(zh, "remaining_term", 15.9134) == "15.9 年"
    assert quantity_text(zh, "ipc_subclasses", 5) == "5 个小类"
    assert quantity_text(en, "ipc_subclasses", 5) == "5 subclasses"
    assert quantity_text(zh, "forward_citations", 1234) == "1,234 件施引文献"
    assert quantity_text(zh, "market_coverage", 0.3512) == "全球 GDP 的 35.1%"
    assert quantity_text(zh, "invalidation_survived", 1) == "是" and quantity_text(zh, "claims", None) == "–"


def test_a_number_that_is_no_grant_is_said_in_chinese(cn_table: Path) -> None:
    """CN116245100A, an application of the CN table export: why it is not screened, in the page's language."""
    with _client(cn_table) as c:
        zh = visible(c.get("/patent/CN116245100A", params={"lang": "zh-CN"}).text)
        en = visible(c.get("/patent/CN116245100A", params={"lang": "en"}).text)
    assert "库中该号码不是已授权的发明专利：CN116245100A（发明申请公开）" in zh and "invention application" not in zh
    assert "not a granted invention patent in the store: CN116245100A (invention application)" in en
