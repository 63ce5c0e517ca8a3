"""The organisation (/organisation/{id}), inventor (/inventor/{id}) and strength (/strength) pages in-process,
against the real mix of tests/kg_pages_support.py (organisations and inventors resolved at ingest): each figure
recounted from the entity tables, each page's JSON, CSV and Excel agreeing with the data functions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from kg_pages_support import graph_store

from ipcockpit.app import Cockpit
from ipcockpit.model.names import normalise_name
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

HOLDERS = "('applicant', 'assignee', 'patentee', 'current_owner')"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    return graph_store(tmp_path_factory, shared)


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)), read_only=True)) as c:
        yield c


@pytest.fixture(scope="module")
def con(store: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(store), read_only=True)
    yield c
    c.close()


def test_organisation_figures_equal_recounts(client: TestClient, con: duckdb.DuckDBPyConnection) -> None:
    data = client.get("/api/organisation/中山大学").json()
    eid = data["entity_id"]
    assert eid.startswith("o:") and data["resolved"] and data["name"] == "中山大学"
    [(docs,)] = con.execute(f"SELECT count(DISTINCT doc_id) FROM party_entities WHERE entity_id = ? AND role IN "
                            f"{HOLDERS}", [eid]).fetchall()
    assert data["documents"] == docs == sum(r["documents"] for r in data["by_year"]) > 1000
    # co-applicants: the other entities holding its documents, each with the documents shared
    mine = f"SELECT doc_id FROM party_entities WHERE entity_id = '{eid}' AND role IN {HOLDERS}"
    co = dict(con.execute(f"SELECT entity_id, count(DISTINCT doc_id) FROM party_entities WHERE doc_id IN ({mine}) "
                          f"AND role IN {HOLDERS} AND entity_id <> ? GROUP BY 1", [eid]).fetchall())
    assert data["co_applicants"] and all(co[r["entity_id"]] == r["documents"] for r in data["co_applicants"])
    assert [r["documents"] for r in data["co_applicants"]] == sorted(co.values(), reverse=True)[:50]
    inv = dict(con.execute(f"SELECT entity_id, count(DISTINCT doc_id) FROM inventor_entities WHERE doc_id IN ({mine}) "
                           "GROUP BY 1").fetchall())
    assert data["inventors"] and all(inv[r["entity_id"]] == r["documents"] for r in data["inventors"])
    for r in data["co_applicants"] + data["inventors"]:  # the evidence: documents of both
        assert set(r["evidence"]) <= {d for (d,) in con.execute(mine).fetchall()}
    # the resolved names with the evidence that put them there
    assert data["resolution"]["names"][0]["reason"] and data["resolution"]["entity_id"] == eid


def test_transfers_in_and_out_equal_recounts(client: TestClient, con: duckdb.DuckDBPyConnection) -> None:
    """The 15 holders of most documents with a transfer, licence or pledge: the events out are those of their
    documents to another counterparty, the events in those whose counterparty folds to one of their names."""
    holders = [e for (e,) in con.execute(
        f"SELECT pe.entity_id FROM party_entities pe JOIN legal_events e USING (doc_id) WHERE pe.role IN {HOLDERS} "
        "AND e.event_class IN ('transfer', 'licence', 'pledge') GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 15"
    ).fetchall()]
    every = con.execute("SELECT doc_id, event_class, counterparty FROM legal_events WHERE event_class IN "
                        "('transfer', 'licence', 'pledge')").fetchall()
    seen_in = seen_out = 0
    for eid in holders:
        data = client.get(f"/api/organisation/{eid}", params={"limit": 1000}).json()
        own = {normalise_name(n) for (n,) in con.execute(
            "SELECT DISTINCT p.name_raw FROM parties p JOIN party_entities pe USING (doc_id, seq, role) "
            "WHERE pe.entity_id = ?", [eid]).fetchall()}
        docs = {d for (d,) in con.execute(f"SELECT doc_id FROM party_entities WHERE entity_id = ? AND role IN "
                                          f"{HOLDERS}", [eid]).fetchall()}
        out = sorted((d, k) for d, k, cp in every if d in docs and normalise_name(cp or "") not in own)
        came = sorted((d, k) for d, k, cp in every if cp and normalise_name(cp) in own)
        assert sorted((e["doc_id"], e["event_class"]) for e in data["events_out"]) == out, eid
        assert sorted((e["doc_id"], e["event_class"]) for e in data["events_in"]) == came, eid
        assert (data["events_out_total"], data["events_in_total"]) == (len(out), len(came))
        seen_in, seen_out = seen_in + len(came), seen_out + len(out)
    assert seen_in > 0 and seen_out > 0


def test_organisation_page_formats_and_strength(client: TestClient, store: Path) -> None:
    page = client.get("/organisation/中山大学", params={"lang": "zh-CN"})
    assert page.status_code == 200 and "机构画像" in page.text and 'id="org-strength-link"' in page.text
    assert 'id="chart-org-years"' in page.text and 'href="/patent/' in page.text
    en = client.get("/organisation/中山大学", params={"lang": "en"}).text
    assert "Organisation profile" in en and "Resolved names and their evidence" in en
    names = list(csv.DictReader(io.StringIO(client.get("/organisation/中山大学.csv", params={"lang": "zh-CN"})
                                            .content.decode("utf-8-sig"))))
    assert names and names[0]["名称"] == "中山大学"
    assert client.get("/organisation/中山大学.xlsx").status_code == 200
    data = client.get("/api/organisation/中山大学", params={"strength": "true", "region": "440000"}).json()
    with Cockpit(Settings(db=str(store)), read_only=True) as c:
        expected = c.strength_show(data["entity_id"], region="440000")
    got = data["strength"]
    assert (got["rank"], got["composite"], got["organisations"]) == (expected["rank"], expected["composite"],
                                                                    expected["organisations"])
    assert "实力得分" in client.get("/organisation/中山大学", params={"strength": "true", "lang": "zh-CN"}).text
    missing = client.get("/organisation/没有这个机构", params={"lang": "zh-CN"})
    assert missing.status_code == 404 and "没有编号或名称为“没有这个机构”的机构" in missing.text
    # the applicant page (its URL kept) leads here
    assert 'href="/organisation/' in client.get("/applicant/中山大学").text


def test_inventor_page_equals_its_data_functions(client: TestClient, store: Path) -> None:
    with Cockpit(Settings(db=str(store)), read_only=True) as c:
        [eid] = [e["inventor"] for e in c.talent_mobility(limit=0)["events"] if e["inventor_name"] == "冯钰新"]
        profile = c.inventor(eid)
        moves = c.talent_employers(eid)
    data = client.get(f"/api/inventor/{eid}").json()
    assert data["documents_total"] == profile["documents_total"] and data["names"] == profile["names"]
    assert [e["to_document"] for e in data["events"]] == [e["evidence"][1] for e in moves["events"]] == ["CN119477773A"]
    page = client.get(f"/inventor/{eid}", params={"lang": "zh-CN"}).text
    assert "发明人画像" in page and "中山大学附属第六医院" in page and 'href="/patent/CN119273581A"' in page
    assert client.get(f"/inventor/{eid}.csv").status_code == 200
    assert client.get("/inventor/i:0000", params={"lang": "en"}).status_code == 404


def test_strength_page_equals_the_ranking(client: TestClient, store: Path) -> None:
    data = client.get("/api/strength", params={"region": "440000", "limit": 20}).json()
    with Cockpit(Settings(db=str(store)), read_only=True) as c:
        expected = c.strength(limit=20, region="440000")
    assert [(r["entity_id"], r["composite"]) for r in data["ranking"]] == [
        (r["entity_id"], r["composite"]) for r in expected["ranking"]]
    page = client.get("/strength", params={"region": "440000", "lang": "zh-CN"}).text
    first = data["ranking"][0]["entity_id"]
    assert f'href="/organisation/{first}?strength=true&amp;region=440000"' in page
    rows = list(csv.DictReader(io.StringIO(client.get("/strength.csv", params={"region": "440000", "limit": 20,
                                                                                "columns": "ids"})
                                           .content.decode("utf-8-sig"))))
    assert [r["entity_id"] for r in rows] == [r["entity_id"] for r in data["ranking"]]
    assert client.get("/api/strength", params={"nature": "bogus"}).status_code == 400
    assert client.get("/api/strength", params={"field": "36"}).status_code == 400


@pytest.mark.parametrize("url", ["/graph", "/graph?node=孟跃中&depth=2", "/graph?node=中山",
                                 "/talent?ipc=C08G&inventor=孟跃中", "/organisation/中山大学?strength=true",
                                 "/strength?region=440000"])
def test_chinese_pages_hold_no_english_outside_data(client: TestClient, url: str) -> None:
    """As tests/test_first_hour.py asks of every page: Latin words only in data (names, numbers, marked
    translate="no"), code, and the words it allows (CSV, Excel, JSON, IPC ...)."""
    from test_first_hour import ALLOWED, LATIN_WORD
    from test_web_region import _Visible

    parser = _Visible()
    parser.feed(client.get(url + ("&" if "?" in url else "?") + "lang=zh-CN").text)
    english = [t for t in parser.texts if any(w.lower() not in ALLOWED for w in LATIN_WORD.findall(t))]
    assert english == []


def test_inventor_page_holds_no_english_outside_data(client: TestClient, store: Path) -> None:
    from test_first_hour import ALLOWED, LATIN_WORD
    from test_web_region import _Visible

    with Cockpit(Settings(db=str(store)), read_only=True) as c:
        eid = c.talent_mobility(limit=1)["events"][0]["inventor"]
    parser = _Visible()
    parser.feed(client.get(f"/inventor/{eid}", params={"lang": "zh-CN"}).text)
    assert [t for t in parser.texts if any(w.lower() not in ALLOWED for w in LATIN_WORD.findall(t))] == []


def test_an_unresolved_organisation_is_its_folded_name(store: Path, tmp_path: Path) -> None:
    """Without organisation resolution (party_entities emptied) the id is the folded name: its documents are the
    holder rows of that name; the page says the organisation is not resolved."""
    from shared_stores import copy_store

    db = copy_store(store, tmp_path)
    with Cockpit(Settings(db=str(db))) as c:
        c.store.con.execute("DELETE FROM party_entities")
    with TestClient(create_app(Settings(db=str(db)), read_only=True)) as c:
        data = c.get("/api/organisation/中山大学").json()
        assert data["entity_id"] == "n:中山大学" and data["resolved"] is False and data["resolution"] is None
        with duckdb.connect(str(db), read_only=True) as con:
            [(docs,)] = con.execute(f"SELECT count(DISTINCT doc_id) FROM parties WHERE name_norm = '中山大学' AND "
                                    f"role IN {HOLDERS}").fetchall()
        assert data["documents"] == docs > 1000
        assert c.get("/api/organisation/n:中山大学").json()["documents"] == docs
        assert "该机构尚未做实体消歧" in c.get("/organisation/n:中山大学", params={"lang": "zh-CN"}).text
