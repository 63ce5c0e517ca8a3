"""The knowledge-graph pages (/graph 知识图谱, /talent 人才流动) in-process against the real mix of
tests/graph_support.py, and the explorer's in-memory index against the Parquet scan it replaces (the browser
tests: tests/test_browser_graph.py)."""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from kg_pages_support import graph_store
from shared_stores import copy_store
from test_web_download_labels import unlabelled

from ipcockpit.app import Cockpit
from ipcockpit.graph import explore_index
from ipcockpit.graph.explore import neighbourhood, neighbourhood_scan
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

FILTERS = ({}, {"depth": 2, "limit": 60}, {"year_from": 2020}, {"year_to": 2015, "depth": 2}, {"ipc": "C08G"},
           {"sei": "4", "depth": 2}, {"relationships": ["invent", "co_invent"], "depth": 3, "limit": 40},
           {"limit": 1}, {"ipc": "A21D", "sei": "1", "year_from": 2000})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """The mix with its graph built beside it (read only here)."""
    return graph_store(tmp_path_factory, shared)


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)), read_only=True)) as c:
        yield c


def _graph(store: Path) -> Path:
    return store.with_name(store.stem + ".graph")


def test_the_index_answers_as_the_scan(store: Path) -> None:
    """Node after node (the 15 with most documents and 15 drawn at random) under every filter: the same nodes,
    links, cap and counts as scanning the Parquet files."""
    folder = _graph(store)
    ids = [r[0] for r in duckdb.sql(f"SELECT id FROM read_parquet('{folder}/nodes.parquet') WHERE label <> 'family' "
                                    "ORDER BY documents DESC, id LIMIT 15").fetchall()]
    every = [r[0] for r in duckdb.sql(f"SELECT id FROM read_parquet('{folder}/nodes.parquet') ORDER BY id").fetchall()]
    ids += random.Random(17).sample(every, 15)
    truncated = 0
    for node in ids:
        for f in FILTERS:
            fast, scan = neighbourhood(folder, node, **f), neighbourhood_scan(folder, node, **f)
            assert fast == scan, (node, f)
            truncated += fast["truncated"]
    assert truncated > 10  # the cap was met often enough to test its order


def test_the_index_is_read_again_when_the_graph_changes(store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "g.graph"
    shutil.copytree(_graph(store), folder)
    first = explore_index.graph_index(folder)
    assert explore_index.graph_index(folder) is first  # kept while unchanged
    center = neighbourhood(folder, "冯钰新")["center"]["id"]
    edges = pq.read_table(folder / "edges.parquet")
    kept = [k for k, (s, d) in enumerate(zip(edges["src"].to_pylist(), edges["dst"].to_pylist(), strict=True))
            if center not in (s, d)]
    pq.write_table(edges.take(kept), folder / "edges.parquet")
    st = (folder / "graph.json").stat()
    os.utime(folder / "graph.json", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert explore_index.graph_index(folder) is not first
    after = neighbourhood(folder, center)
    assert after["links"] == [] and [n["id"] for n in after["nodes"]] == [center]
    assert after == neighbourhood_scan(folder, center)


def test_explorer_page_and_api_give_the_same_data(client: TestClient, store: Path) -> None:
    with Cockpit(Settings(db=str(store)), read_only=True) as c:
        expected = c.graph_explorer("冯钰新", depth=1, relationships=None, year_from=None, year_to=None, ipc=None,
                                    sei=None, limit=200)
    got = client.get("/api/graph", params={"node": "冯钰新"}).json()
    assert got["found"] and got["built"] and got["center"]["label"] == "inventor"
    assert {n["id"] for n in got["nodes"]} == {n["id"] for n in expected["nodes"]}
    assert [lk["evidence"] for lk in got["links"]] == [lk["evidence"] for lk in expected["links"]]
    assert "folder" not in got["graph"]  # a server path stays on the server
    page = client.get("/graph", params={"node": "冯钰新", "lang": "zh-CN"})
    assert page.status_code == 200 and 'id="graph-chart"' in page.text and "知识图谱" in page.text
    for n in got["nodes"]:
        assert f'data-id="{n["id"]}"' in page.text  # every node listed, each with its expand button
    for lang in ("zh-CN", "en"):  # what a person downloads: every table's columns under labels
        book = openpyxl.load_workbook(io.BytesIO(client.get("/graph.xlsx", params={"node": "冯钰新", "lang": lang})
                                                 .content), read_only=True)
        for sheet in book.worksheets:
            header = next(sheet.values)
            assert not unlabelled(header, lang), (lang, sheet.title, header)
    nodes_csv = client.get("/graph.csv", params={"node": "冯钰新", "columns": "ids"}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(nodes_csv)))
    assert {r["id"] for r in rows} == {n["id"] for n in got["nodes"]}
    links = client.get("/api/graph.csv", params={"node": "冯钰新", "section": "links", "columns": "ids"}
                       ).content.decode("utf-8-sig")
    assert "CN119477773A" in links  # the evidence of the move, on the inventor's invent edge
    assert client.get("/graph.xlsx", params={"node": "冯钰新"}).status_code == 200


def test_explorer_filters_cap_and_defaults(client: TestClient) -> None:
    default = client.get("/api/graph").json()
    assert default["found"] and default["center"]["label"] == "organisation"
    capped = client.get("/api/graph", params={"node": default["center"]["id"], "depth": 2, "limit": 5}).json()
    assert capped["truncated"] and len(capped["nodes"]) == 5
    assert "已达到 5 个节点的上限" in client.get("/graph", params={"node": default["center"]["id"], "depth": 2,
                                                               "limit": 5, "lang": "zh-CN"}).text
    field = client.get("/api/graph", params={"node": "中山大学", "ipc": "C08G", "year_from": 2015}).json()
    assert not any(lk["relationship"] in ("co_invent", "co_apply") for lk in field["links"])
    assert all((lk["last_year"] or 0) >= 2015 for lk in field["links"])


def test_explorer_not_found_suggests(client: TestClient) -> None:
    data = client.get("/api/graph", params={"node": "中山"}).json()
    assert not data["found"] and data["suggestions"]
    assert all("中山" in (s["name"] or s["id"]) for s in data["suggestions"])
    en = client.get("/graph", params={"node": "中山", "lang": "en"})
    assert en.status_code == 200 and "No node “中山” in the graph." in en.text


@pytest.mark.parametrize("params", [{"rel": "bogus"}, {"year_from": "99999"}, {"depth": "9"}, {"limit": "0"},
                                    {"node": "x" * 600}])
def test_explorer_refuses_odd_input_with_400(client: TestClient, params: dict[str, str]) -> None:
    assert client.get("/api/graph", params=params).status_code == 400


@pytest.mark.parametrize("node", ["\x00", "'; DROP TABLE x; --", "ipc:", "%", "🙂", " "])
def test_explorer_answers_odd_names(client: TestClient, node: str) -> None:
    assert client.get("/api/graph", params={"node": node, "ipc": "%", "sei": "'"}).status_code == 200


def test_graph_not_built_says_how(tmp_path: Path, store: Path) -> None:
    db = copy_store(store, tmp_path)
    with TestClient(create_app(Settings(db=str(db)), read_only=True)) as c:
        data = c.get("/api/graph").json()
        assert data["built"] is False and data["command"] == "ipcockpit graph build"
        page = c.get("/graph")
        assert "ipcockpit graph build" in page.text and 'id="graph-build"' not in page.text  # no button: not admin
        assert "Build it on the server" in c.get("/graph?lang=en").text


def test_talent_page_events_flows_and_evidence(client: TestClient, store: Path) -> None:
    """Inventors resolved at ingest: every event is of a resolved id, no caveat; 冯钰新's move with its evidence."""
    data = client.get("/api/talent").json()
    with Cockpit(Settings(db=str(store)), read_only=True) as c:
        moves = c.talent_mobility(limit=200)
    assert data["events_total"] == moves["events_total"] > 20 and data["resolved"] is True
    assert data["events_resolved"] == data["events_total"] and data["events_unresolved"] == 0
    [move] = [e for e in data["events"] if e["inventor_name"] == "冯钰新"]
    assert (move["from_document"], move["to_document"]) == ("CN119273581A", "CN119477773A")
    assert move["inventor"].startswith("i:") and move["resolved"] is True
    # every event leaves one region (``unknown`` included): out of it or within it
    assert sum(r["outflow"] + r["within"] for r in data["flows_region"]) == data["events_total"]
    zh = client.get("/talent", params={"lang": "zh-CN"})
    assert 'id="talent-caveat"' not in zh.text and 'href="/patent/CN119477773A"' in zh.text
    assert 'id="chart-flows-region"' in zh.text and f'href="/inventor/{move["inventor"]}"' in zh.text
    rows = list(csv.DictReader(io.StringIO(client.get("/talent.csv", params={"lang": "zh-CN"}
                                                      ).content.decode("utf-8-sig"))))
    assert len(rows) == len(data["events"]) and rows[0]["流出前最后文献"] == data["events"][0]["from_document"]
    flows = client.get("/talent.csv", params={"section": "flows_region", "lang": "en"}).content.decode("utf-8-sig")
    assert flows.splitlines()[0] == "Code,Name,Inflow,Outflow,Within,Net"


def test_talent_page_says_when_inventor_ids_are_names(store: Path, tmp_path: Path) -> None:
    """Without inventor resolution (its table emptied) the ids are folded names: the page says so in both
    languages and every event carries resolved false."""
    db = copy_store(store, tmp_path)
    with Cockpit(Settings(db=str(db))) as c:
        c.store.con.execute("DELETE FROM inventor_entities")
    with TestClient(create_app(Settings(db=str(db)), read_only=True)) as c:
        data = c.get("/api/talent").json()
        assert data["resolved"] is False and data["events_unresolved"] == data["events_total"] > 20
        assert all(e["inventor"].startswith("n:") for e in data["events"])
        assert "发明人尚未做实体消歧" in c.get("/talent", params={"lang": "zh-CN"}).text
        assert "Inventors are not resolved yet" in c.get("/talent", params={"lang": "en"}).text


def test_talent_key_inventors_and_team(client: TestClient, store: Path) -> None:
    data = client.get("/api/talent", params={"ipc": "C08G", "inventor": "孟跃中", "top": 5}).json()
    with Cockpit(Settings(db=str(store)), read_only=True) as c:
        team = c.talent_team("孟跃中", 200)
        key = c.talent_key_inventors(ipc="C08G", top=5)
    assert [r["inventor"] for r in data["key_inventors"]] == [r["inventor"] for r in key["rows"]]
    assert len(data["key_inventors"]) == 5 and data["key_field"]["documents"] == key["documents"] > 0
    assert data["inventor_found"] and [r["inventor"] for r in data["team"]] == [r["inventor"] for r in
                                                                                 team["coinventors"]]
    page = client.get("/talent", params={"ipc": "C08G", "inventor": "孟跃中", "lang": "zh-CN"}).text
    assert "领域核心发明人" in page and "王拴紧" in page
    missing = client.get("/api/talent", params={"inventor": "没有这个人"}).json()
    assert missing["inventor_found"] is False


def test_an_admin_builds_the_missing_graph_from_the_page(store: Path, tmp_path: Path) -> None:
    """A writable server without a graph: the admin gets the button, the job builds the graph (its result the
    build's summary), and the page then draws it; anyone else gets the command only and a refusal."""
    import time

    db = copy_store(store, tmp_path)
    with Cockpit(Settings(db=str(db))) as c:
        c.add_user("boss", "admin", "admin-pass-1", created_by="pytest")
        c.add_user("ana", "analyst", "analyst-pass-1", created_by="pytest")
    with TestClient(create_app(Settings(db=str(db)), read_only=False)) as anon:
        assert 'id="graph-build"' not in anon.get("/graph").text
        assert anon.post("/admin/graph/build", headers={"X-CSRF-Token": "x"}).status_code == 401  # sign in first
    with TestClient(create_app(Settings(db=str(db)), read_only=False)) as c:
        r = c.post("/login", json={"username": "ana", "password": "analyst-pass-1"})
        assert c.post("/admin/graph/build", headers={"X-CSRF-Token": r.json()["csrf_token"]}).status_code == 403
    with TestClient(create_app(Settings(db=str(db)), read_only=False)) as c:
        r = c.post("/login", json={"username": "boss", "password": "admin-pass-1"})
        token = r.json()["csrf_token"]
        assert 'id="graph-build"' in c.get("/graph", params={"lang": "zh-CN"}).text
        started = c.post("/admin/graph/build", headers={"X-CSRF-Token": token})
        assert started.status_code == 202 and started.json()["kind"] == "graph"
        where = started.headers["Location"]
        deadline = time.monotonic() + 120
        while (job := c.get(where).json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)  # the polling interval of a job that runs in the server's thread
        assert job["state"] == "done", job
        with Cockpit(Settings(db=str(store)), read_only=True) as ref:
            expected = ref.graph_summary()
        assert (job["result"]["nodes"], job["result"]["edges"]) == (expected["nodes"], expected["edges"])
        data = c.get("/api/graph").json()
        assert data["built"] and data["found"] and data["graph"]["stale"] is False
        assert c.get("/admin/graph/build/nope").status_code == 404


def test_explorer_never_fails_on_any_text(client: TestClient) -> None:
    """Any text in the explorer's fields (the graph built, unlike the store tests/test_api_schemathesis.py runs
    over): an answer or a 400 naming the field, never a server error."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    text = st.text(max_size=30)

    @given(node=text, ipc=text, sei=text, rel=st.sampled_from(["", "invent", "cite,own", "x"]),
           year=st.integers(min_value=1700, max_value=2300), depth=st.integers(min_value=-1, max_value=4))
    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(node: str, ipc: str, sei: str, rel: str, year: int, depth: int) -> None:
        r = client.get("/api/graph", params={"node": node, "ipc": ipc, "sei": sei, "rel": rel, "year_from": year,
                                             "depth": depth, "limit": 50})
        assert r.status_code in (200, 400), (r.status_code, r.text[:300])

    check()


def test_requests_at_once_read_the_graph_once(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    folder = tmp_path / "g.graph"
    shutil.copytree(_graph(store), folder)
    reads: list[Path] = []
    real = explore_index.GraphIndex.__init__

    def counted(self: explore_index.GraphIndex, root: Path) -> None:
        reads.append(root)
        real(self, root)

    monkeypatch.setattr(explore_index.GraphIndex, "__init__", counted)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: neighbourhood(folder, "孟跃中")["center"]["id"], range(8)))
    assert len(set(answers)) == 1 and len(reads) == 1
