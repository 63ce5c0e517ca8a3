"""The analyst's tools of patent navigation (ipcockpit.navigation.analyst) through the CLI (``ipcockpit nav``), the
JSON API and the tree page, in-process on copies of the CNIPA gazette week (36,678 publications,
tests/shared_stores.py): saved definitions and their resolution recounted by SQL, tree edits round-tripping with
the analyst's name, marks moving the check's figures exactly as a hand count says, the page in Chinese and English,
and writes refused to the public and on a read-only server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shared_stores import copy_store, gazette_week
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from ipcockpit.navigation import industry as ind
from ipcockpit.navigation.analyst import AnalystError
from ipcockpit.settings import Settings
from ipcockpit.web.auth import WRITERS, rule_for
from ipcockpit.web.server import create_app

runner = CliRunner()
PASSWORD = "nav-analyst-pass-1"


@pytest.fixture(scope="module")
def gazette_path(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    path, _ = gazette_week(tmp_path_factory, shared)
    return path


@pytest.fixture
def db(gazette_path: Path, tmp_path: Path) -> Path:
    """A copy of the gazette week of the test's own, with an analyst account."""
    path = copy_store(gazette_path, tmp_path, "nav.duckdb")
    with Cockpit(Settings(db=str(path))) as c:
        c.add_user("ana", "analyst", PASSWORD)
    return path


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(db)), read_only=False)) as c:
        yield c


def nav(db: Path, *args: str) -> str:
    out = runner.invoke(cli, ["nav", *args, "--db", str(db)])
    assert out.exit_code == 0, out.output
    return out.stdout


def nav_json(db: Path, *args: str) -> object:
    return json.loads(nav(db, *args, "--json"))


def login(client: TestClient) -> None:
    """Log in as the analyst; the client's JSON writes carry the session's CSRF token from then on."""
    client.cookies.clear()
    r = client.post("/login", json={"username": "ana", "password": PASSWORD})
    assert r.status_code == 200
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]


def csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'name="csrf-token" content="([^"]+)"',
                                                                            html)
    assert m
    return m.group(1)


def _docs(db: Path, sql: str) -> list[str]:
    with Cockpit(Settings(db=str(db))) as c:
        return [r[0] for r in c.store.con.execute(sql).fetchall()]


def test_presets_a_saved_definition_and_its_resolution(db: Path, tmp_path: Path) -> None:
    presets = nav_json(db, "presets")
    assert [p["id"] for p in presets["presets"]] == list(ind.PRESETS) and presets["saved"] == []
    assert "新能源汽车" in nav(db, "presets")
    definition = {"id": "battery", "name_zh": "动力电池", "name_en": "Traction batteries", "ipc": ["H01M10*"],
                  "keywords": ["锂电池", "traction batter*"]}
    (tmp_path / "battery.json").write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    assert nav_json(db, "define", str(tmp_path / "battery.json"), "--analyst", "li")["saved_by"] == "li"
    saved = nav_json(db, "presets")["saved"]
    assert [(d["id"], d["saved_by"], d["ipc"]) for d in saved] == [("battery", "li", ["H01M10*"])]
    got = nav_json(db, "resolve", "battery")
    # recounted: IPC H01M 10/... rows, and titles holding 锂电池 (the gazette has titles only, Chinese)
    ipc = set(_docs(db, "SELECT DISTINCT doc_id FROM classifications WHERE scheme = 'IPC' AND code LIKE 'H01M 10/%'"))
    kw = set(_docs(db, "SELECT doc_id FROM documents WHERE lower(title) LIKE '%锂电池%' AND NOT coalesce(stub, false)"))
    assert got["counts"] == {k: v for k, v in (("ipc:H01M10*", len(ipc)), ("kw:锂电池", len(kw))) if v}
    assert got["documents"] == len(ipc | kw) > 0
    assert got["empty_parts"] == ["kw:traction batter*"] and got["empty_reason"] is None
    table = nav(db, "resolve", "battery")
    assert "匹配原因" in table and "kw:traction batter*" in table
    bad = runner.invoke(cli, ["nav", "resolve", "shipbuilding", "--db", str(db)])
    assert bad.exit_code == 2 and "no saved definition or preset" in bad.output
    (tmp_path / "bad.json").write_text('{"id": "x", "name_zh": "x", "ipc": ["H04N**"]}', encoding="utf-8")
    bad = runner.invoke(cli, ["nav", "define", str(tmp_path / "bad.json"), "--db", str(db)])
    assert bad.exit_code == 2 and "ipc:H04N**" in bad.output
    # a saved definition that is no preset gets a first tree of its parts
    tree = nav_json(db, "tree", "battery", "--no-sizes")
    assert [(b["id"], b["parent"]) for b in tree["branches"]] == [
        ("battery", None), ("battery.classes", "battery"), ("battery.keywords", "battery")]


def test_tree_sizes_recount(db: Path) -> None:
    tree = nav_json(db, "tree", "nev")
    by = {b["id"]: b for b in tree["branches"]}
    with Cockpit(Settings(db=str(db))) as c:
        nev = ind.resolve(c.store.con, ind.PRESETS["nev"]).documents
        parts = {p: ind.resolve(c.store.con, ind.Definition("x", "x", "x", sei_branches=[p])).documents
                 for p in ("5.1", "5.2", "5.3", "5.4", "5.3#4")}
    assert tree["members"] == nev == 447
    assert by["nev"]["total"] + tree["unassigned"] == nev
    for p, n in parts.items():
        assert by[p]["total"] == n, p
    assert by["5.3#4"]["documents"] == parts["5.3#4"]  # a rule is a leaf: its own documents are all of them
    assert "新能源汽车整车制造" in nav(db, "tree", "nev")


def test_tree_edits_round_trip_through_cli_and_api(db: Path, client: TestClient) -> None:
    login(client)
    nav(db, "tree", "nev", "--add", "bms", "--parent", "5.2", "--name", "电池管理系统", "--name-en", "BMS",
        "--analyst", "li")
    nav(db, "tree", "nev", "--rename", "bms", "--name", "电池管理", "--analyst", "li")
    nav(db, "tree", "nev", "--set-parts", "bms", "--parts", '{"ipc": ["H01M10/42*"]}', "--analyst", "li")
    nav(db, "tree", "nev", "--move", "bms", "--parent", "5.1", "--analyst", "li")
    r = client.post("/api/navigation/nev/tree", json={"action": "add", "branch": "bms.thermal", "parent": "bms",
                                                      "name_zh": "热管理"})
    assert r.status_code == 200 and r.json()["parent"] == "bms"
    assert client.post("/api/navigation/nev/tree", json={"action": "move", "branch": "bms",
                                                         "parent": "bms.thermal"}).status_code == 400
    assert client.post("/api/navigation/nev/tree", json={"action": "grow", "branch": "x"}).status_code == 400
    two = runner.invoke(cli, ["nav", "tree", "nev", "--add", "a", "--delete", "b", "--db", str(db)])
    assert two.exit_code == 2
    page = client.get("/navigation/nev/tree", params={"lang": "zh-CN"})
    r = client.post("/navigation/nev/tree", data={"csrf_token": csrf(page.text), "action": "delete",
                                                  "branch": "5.4"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("edited=5.4")
    tree = client.get("/api/navigation/nev/tree", params={"sizes": "false"}).json()
    by = {b["id"]: b for b in tree["branches"]}
    assert (by["bms"]["parent"], by["bms"]["name_zh"], by["bms"]["name_en"]) == ("5.1", "电池管理", "BMS")
    assert by["bms"]["parts"] == {"ipc": ["H01M10/42*"]} and by["bms.thermal"]["depth"] == 3
    assert not any(b.startswith("5.4") for b in by) and by["bms"]["documents"] is None
    assert nav_json(db, "tree", "nev", "--no-sizes")["branches"] == tree["branches"]
    with Cockpit(Settings(db=str(db))) as c:
        log = c.navigation.analyst.history("nev")
    edits = [(e["action"], e["branch"], e["analyst"]) for e in log]
    assert edits[:6] == [("create", None, "li"), ("add", "bms", "li"), ("rename", "bms", "li"),
                         ("parts", "bms", "li"), ("move", "bms", "li"), ("add", "bms.thermal", "ana")]
    assert {(a, who) for a, _, who in edits[6:]} == {("delete", "ana")}


def test_marks_move_the_check_as_a_hand_count(db: Path, client: TestClient, tmp_path: Path) -> None:
    login(client)
    with Cockpit(Settings(db=str(db))) as c:
        ind.resolve(c.store.con, ind.PRESETS["tcm"])
        members = [r[0] for r in c.store.con.execute("SELECT DISTINCT doc_id FROM nav_members ORDER BY 1").fetchall()]
    outside = _docs(db, "SELECT doc_id FROM documents WHERE doc_id NOT IN ('{}') ORDER BY doc_id LIMIT 2".format(
        "','".join(members)))
    empty = client.get("/api/navigation/tcm/check").json()
    assert empty["marked"] == 0 and empty["recall"] is None and empty["marks_from"] == "stored"
    # members[0], members[1]: into a branch (so in); members[2]: out; outside[0]: in; outside[1]: out
    for doc, branch in ((members[0], "tcm.classes"), (members[1], "tcm.keywords")):
        assert client.post("/api/navigation/tcm/marks", json={"doc_id": doc, "branch": branch}).status_code == 201
    page = client.get("/navigation/tcm/tree")
    r = client.post("/navigation/tcm/marks", data={"csrf_token": csrf(page.text), "doc_id": members[2],
                                                   "relevant": "false"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(f"marked={members[2]}")
    nav(db, "mark", "tcm", outside[0], "--in", "--analyst", "li")
    nav(db, "mark", "tcm", outside[1], "--out", "--analyst", "li")
    got = client.get("/api/navigation/tcm/check").json()
    # hand count: tp = members[0..1], fp = members[2], fn = outside[0], tn = outside[1]
    assert (got["true_positives"], got["false_positives"], got["false_negatives"], got["true_negatives"]) == (
        2, 1, 1, 1)
    assert got["recall"] == round(2 / 3, 4) and got["precision"] == round(2 / 3, 4) and got["marked"] == 5
    assert got["false_positive_ids"] == [members[2]] and got["false_negative_ids"] == [outside[0]]
    assert nav_json(db, "check", "tcm") == got
    marks = client.get("/api/navigation/tcm/marks").json()
    assert sorted((m["doc_id"], m["branch"], m["analyst"]) for m in marks["branch"]) == [
        (members[0], "tcm.classes", "ana"), (members[1], "tcm.keywords", "ana")]
    assert {m["doc_id"]: (m["relevant"], m["analyst"]) for m in marks["industry_marks"]} == {
        members[0]: (True, "ana"), members[1]: (True, "ana"), members[2]: (False, "ana"), outside[0]: (True, "li"),
        outside[1]: (False, "li")}
    # taking back the fn's mark: recall 2/2; the page shows the new figures
    nav(db, "mark", "tcm", outside[0], "--remove")
    again = client.get("/api/navigation/tcm/check").json()
    assert (again["recall"], again["false_negatives"], again["marked"]) == (1.0, 0, 4)
    assert 'id="check-recall">100.0%' in client.get("/navigation/tcm/tree").text
    # a CSV of marks is checked as given, and leaves the stored marks as they are
    (tmp_path / "marks.csv").write_text(f"doc_id,relevant\n{members[0]},是\n{members[3]},no\n{outside[1]},yes\n"
                                        "CN000000000X,1\n", encoding="utf-8")
    given = nav_json(db, "check", "tcm", "--marks", str(tmp_path / "marks.csv"))
    assert (given["true_positives"], given["false_positives"], given["false_negatives"], given["true_negatives"],
            given["unknown_ids"], given["marks_from"]) == (1, 1, 1, 0, ["CN000000000X"], "given")
    assert client.get("/api/navigation/tcm/check").json() == again
    (tmp_path / "bad.csv").write_text("doc,relevant\nx,1\n", encoding="utf-8")
    bad = runner.invoke(cli, ["nav", "check", "tcm", "--marks", str(tmp_path / "bad.csv"), "--db", str(db)])
    assert bad.exit_code == 2 and "doc_id and relevant" in bad.output
    with pytest.raises(AnalystError, match="belongs to the industry"):
        with Cockpit(Settings(db=str(db))) as c:
            c.navigation.analyst.mark("tcm", members[0], "tcm.classes", relevant=False)


def test_suggest_and_sample_leave_out_what_is_marked(db: Path, client: TestClient) -> None:
    login(client)
    first = client.get("/api/navigation/animation/suggest", params={"n": 6}).json()
    assert len(first["documents"]) == 6 and all(d["title"] for d in first["documents"])
    assert first["source"] == "queue" and all(d["reason"].startswith("nav.queue.reason.") for d in first["documents"])
    for d in first["documents"][:3]:
        client.post("/api/navigation/animation/marks", json={"doc_id": d["doc_id"], "relevant": True})
    later = nav_json(db, "suggest", "animation", "-n", "6")
    assert len(later["documents"]) == 6
    assert not {d["doc_id"] for d in first["documents"][:3]} & {d["doc_id"] for d in later["documents"]}
    drawn = nav_json(db, "sample", "animation", "-n", "6")
    assert sum(d["relevant"] is True for d in drawn) == len({d["doc_id"] for d in drawn} & {
        d["doc_id"] for d in first["documents"][:3]})  # a sample shows the marks its documents have


def test_tag_members_learns_from_the_marks_or_says_the_tagger_is_missing(db: Path) -> None:
    with Cockpit(Settings(db=str(db))) as c:
        tools = c.navigation.analyst
        with pytest.raises(AnalystError, match="at least two branches"):
            tools.tag_members("tcm")
        con = c.store.con
        herbal = [r[0] for r in con.execute("SELECT doc_id FROM classifications WHERE code LIKE 'A61K 36/%' "
                                            "ORDER BY doc_id LIMIT 3").fetchall()]
        acu = [r[0] for r in con.execute("SELECT doc_id FROM documents WHERE title LIKE '%艾灸%' ORDER BY doc_id "
                                         "LIMIT 3").fetchall()]
        tools.edit("tcm", "add", "li", branch="tcm.moxa", parent="tcm", name_zh="艾灸")
        for d in herbal:
            tools.mark("tcm", d, "tcm.classes", analyst="li")
        for d in acu:
            tools.mark("tcm", d, "tcm.moxa", analyst="li")
        # every member reaches a branch through the parts of the default tree: add one no parts reach
        tools.edit("tcm", "parts", "li", branch="tcm.keywords", parts={})
        out = tools.tag_members("tcm")
        assert out["examples"] == 6 and out["tagged"] == out["untagged"] - out["without_text"]
        assert set(out["per_branch"]) <= {"tcm.classes", "tcm.moxa"}
        (left,) = con.execute("SELECT count(DISTINCT doc_id) FROM nav_members WHERE doc_id NOT IN "
                              "(SELECT doc_id FROM nav_members WHERE branch IS NOT NULL)").fetchall()[0]
        assert left == out["without_text"]


def test_page_in_chinese_and_english(db: Path, client: TestClient) -> None:
    zh = client.get("/navigation/nev/tree", params={"lang": "zh-CN"})
    assert zh.status_code == 200 and "新能源汽车：技术分解表与标注" in zh.text and "查全率" in zh.text
    tree = client.get("/api/navigation/nev/tree").json()
    for b in tree["branches"]:
        assert f'id="branch-{b["id"]}"' in zh.text
    assert 'id="members-count">447<' in zh.text and 'id="nav-queue"' in zh.text
    assert "登录为分析员后可编辑" in zh.text and "tree-edit-form" not in zh.text  # the public sees no form
    en = client.get("/navigation/nev/tree", params={"lang": "en"})
    assert "New energy vehicles: decomposition tree and marking" in en.text and "Recall" in en.text
    assert "New energy vehicle manufacturing" in en.text and "查全率" not in en.text
    login(client)
    mine = client.get("/navigation/nev/tree").text
    assert 'id="tree-edit-form"' in mine and mine.count('class="inline mark-out"') == 8
    assert client.get("/navigation/shipbuilding/tree").status_code == 404
    assert client.get("/api/navigation/shipbuilding/check").status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("tree", "marks", "check", "suggest"):
        assert f"/api/navigation/{{industry}}/{p}" in paths


def test_writes_refused_to_the_public_and_on_a_read_only_server(db: Path) -> None:
    for path in ("/navigation/nev/tree", "/navigation/nev/marks", "/api/navigation/nev/tree",
                 "/api/navigation/nev/marks", "/api/navigation/nev/tag"):
        assert rule_for("POST", path).roles == WRITERS  # type: ignore[union-attr]
        assert rule_for("GET", path) is None  # reading is open, as the other pages
    doc = _docs(db, "SELECT doc_id FROM documents ORDER BY doc_id LIMIT 1")[0]
    with TestClient(create_app(Settings(db=str(db)), read_only=False)) as client:
        r = client.post("/api/navigation/nev/marks", json={"doc_id": doc, "relevant": True})
        assert r.status_code == 401 and "分析员" in r.json()["error"]  # as /api/cockpit/reported
        r = client.post("/api/navigation/nev/tree", json={"action": "delete", "branch": "5.1"})
        assert r.status_code == 401
        page = client.get("/navigation/nev/tree")
        r = client.post("/navigation/nev/marks", data={"csrf_token": csrf(page.text), "doc_id": doc,
                                                       "relevant": "true"})
        assert r.status_code == 401
        assert client.post("/api/navigation/nev/tag", json={}).status_code == 401
        login(client)
        assert client.get("/api/navigation/nev/marks").json()["industry_marks"] == []
        assert "5.1" in {b["id"] for b in client.get("/api/navigation/nev/tree", params={"sizes": "false"}).json()[
            "branches"]}
    with TestClient(create_app(Settings(db=str(db)), read_only=True)) as ro:
        login(ro)
        r = ro.post("/api/navigation/nev/marks", json={"doc_id": doc, "relevant": True})
        assert r.status_code == 403
        shown = ro.get("/navigation/nev/tree", params={"lang": "en"})
        assert shown.status_code == 200 and "The server is read-only" in shown.text
