"""Decomposition trees (ipcockpit.navigation.branches): the default trees from the SEI hierarchy, the analyst's
edits and their audit surviving a reopened store, marks as tagger examples, and the branches given to the
members of an industry on the CNIPA gazette week (recounted by LIKE prefixes and per-branch resolution)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared_stores import copy_store, gazette_week

from ipcockpit.app import Cockpit
from ipcockpit.navigation import branches as br
from ipcockpit.navigation import industry as ind
from ipcockpit.settings import Settings


@pytest.fixture(scope="module")
def gazette_path(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    path, _ = gazette_week(tmp_path_factory, shared)
    return path


def test_default_trees_follow_the_sei_hierarchy(cockpit: Cockpit) -> None:
    con = cockpit.store.con
    nev = br.tree(con, "nev")
    by_id = {b.id: b for b in nev}
    assert nev[0].id == "nev" and nev[0].parent is None and nev[0].name_zh == "新能源汽车"
    assert [b.id for b in nev if b.parent == "nev"] == ["5.1", "5.2", "5.3", "5.4"]
    assert by_id["5.2"].name_zh == "新能源汽车装置、配件制造" and by_id["5.2"].parts == {"sei": ["5.2"]}
    rules = {r[0] for r in con.execute("SELECT DISTINCT rule_id FROM ref_ipc_concordance WHERE scheme = 'sei2021' "
                                       "AND parent_code = '5'").fetchall()}
    assert {b.id for b in nev if b.parent and b.parent != "nev"} == rules
    assert all(by_id[r].parent == r.split("#")[0] and by_id[r].parts == {"sei": [r]} for r in rules)
    health = br.tree(con, "health")
    assert [b.id for b in health if b.parent == "health"] == ["4.1", "4.2", "health.classes"]
    assert {b.id: b for b in health}["health.classes"].parts == {"ipc": ["A61K36*", "A61H*", "A23L33*"]}
    ngit = br.tree(con, "ngit")
    assert [b.id for b in ngit if b.parent == "ngit"] == ["1.1", "1.2", "1.3", "1.4", "1.5"]
    assert [b.id for b in br.tree(con, "smart_equipment") if b.parent == "smart_equipment"] == [
        "2.1", "smart_equipment.classes"]
    assert [e["action"] for e in br.edits(con, "nev")] == ["create"]
    with pytest.raises(br.BranchError, match="no preset industry"):
        br.tree(con, "shipbuilding")


def test_tree_edits_round_trip_with_their_audit(cockpit: Cockpit) -> None:
    con = cockpit.store.con
    br.tree(con, "nev", analyst="wang")
    br.add_branch(con, "nev", "bms", "5.2", "电池管理系统", "Battery management", {"ipc": ["H01M10/42*"]},
                  analyst="wang")
    br.add_branch(con, "nev", "bms.thermal", "bms", "热管理", analyst="wang")
    br.rename_branch(con, "nev", "bms", "电池管理", analyst="li")
    br.set_parts(con, "nev", "bms", {"ipc": ["H01M10/42*", "H01M10/48*"], "keywords": ["电池管理"]}, analyst="li")
    br.move_branch(con, "nev", "bms", "5.1", analyst="li")
    with pytest.raises(br.BranchError, match="under itself"):
        br.move_branch(con, "nev", "bms", "bms.thermal")
    with pytest.raises(br.BranchError, match="no branch 'nothing'"):
        br.rename_branch(con, "nev", "nothing", "无")
    with pytest.raises(br.BranchError, match="already has"):
        br.add_branch(con, "nev", "5.1", "nev", "重复")
    with pytest.raises(br.BranchError, match="unknown branch parts"):
        br.set_parts(con, "nev", "bms", {"classes": ["H01M"]})
    with pytest.raises(br.BranchError, match="root"):
        br.delete_branch(con, "nev", "nev")
    under = [b.id for b in br.tree(con, "nev") if b.parent == "5.4"]
    assert under and br.delete_branch(con, "nev", "5.4", analyst="li") == 1 + len(under)
    before = [b.to_dict() for b in br.tree(con, "nev")]
    path = Path(cockpit.settings.db)
    cockpit.close()
    with Cockpit(Settings(db=str(path))) as again:
        con2 = again.store.con
        after = br.tree(con2, "nev")
        assert [b.to_dict() for b in after] == before
        bms = {b.id: b for b in after}["bms"]
        assert (bms.parent, bms.name_zh, bms.name_en) == ("5.1", "电池管理", "Battery management")
        assert bms.parts == {"ipc": ["H01M10/42*", "H01M10/48*"], "keywords": ["电池管理"]}
        assert {b.id: b for b in after}["bms.thermal"].parent == "bms"
        assert not any(b.id.startswith("5.4") for b in after)
        log = br.edits(con2, "nev")
        assert [e["action"] for e in log[:6]] == ["create", "add", "add", "rename", "parts", "move"]
        assert {e["action"] for e in log[6:]} == {"delete"} and {e["branch"] for e in log[6:]} >= {"5.4"}
        rename = log[3]
        assert json.loads(rename["before"])["name_zh"] == "电池管理系统"
        assert json.loads(rename["after"])["name_zh"] == "电池管理"
        assert rename["analyst"] == "li" and log[1]["analyst"] == "wang" and rename["at"] is not None


def test_marks_are_the_tagger_examples(tmp_path: Path, gazette_path: Path) -> None:
    with Cockpit(Settings(db=str(copy_store(gazette_path, tmp_path)))) as c:
        con = c.store.con
        docs = [r[0] for r in con.execute(
            "SELECT doc_id FROM documents WHERE doc_id IN (SELECT doc_id FROM classifications WHERE code LIKE 'H01M%') "
            "ORDER BY doc_id LIMIT 2").fetchall()]
        br.mark(con, "nev", docs[0], "5.2", analyst="li")
        br.mark(con, "nev", docs[0], "5.2", analyst="li")  # twice: kept once
        br.mark(con, "nev", docs[0], "5.3#1", analyst="li")
        br.mark(con, "nev", docs[1], "5.1", analyst="wang")
        with pytest.raises(br.BranchError, match="no document"):
            br.mark(con, "nev", "CN000X", "5.1")
        with pytest.raises(br.BranchError, match="no branch"):
            br.mark(con, "nev", docs[1], "9.9")
        assert sorted((m["doc_id"], m["branch"]) for m in br.marks(con, "nev")) == sorted(
            [(docs[0], "5.2"), (docs[0], "5.3#1"), (docs[1], "5.1")])
        titles = dict(con.execute("SELECT doc_id, lower(title) FROM documents WHERE doc_id IN (?, ?)", docs).fetchall())
        assert sorted(br.examples(con, "nev")) == sorted(
            [(titles[docs[0]], "5.2"), (titles[docs[0]], "5.3#1"), (titles[docs[1]], "5.1")])
        br.unmark(con, "nev", docs[0], "5.3#1")
        br.delete_branch(con, "nev", "5.1")
        assert [(m["doc_id"], m["branch"]) for m in br.marks(con, "nev")] == [(docs[0], "5.2")]
        br.mark_industry(con, "tcm", docs[0], True, analyst="li")
        br.mark_industry(con, "tcm", docs[1], True)
        br.mark_industry(con, "tcm", docs[1], False)  # the last say counts
        assert br.industry_marks(con, "tcm") == {docs[0]: True, docs[1]: False}


def test_assign_gives_each_member_its_deepest_branches(tmp_path: Path, gazette_path: Path) -> None:
    with Cockpit(Settings(db=str(copy_store(gazette_path, tmp_path)))) as c:
        con = c.store.con
        res = ind.resolve(con, ind.PRESETS["health"])
        tree = br.tree(con, "health")
        counts = br.assign(con, "health", tree)
        rows = con.execute("SELECT doc_id, branch, reason FROM nav_members").fetchall()
        assert {d for d, _, _ in rows} and len({d for d, _, _ in rows}) == res.documents
        by_doc: dict[str, set[str]] = {}
        for d, b, _ in rows:
            by_doc.setdefault(d, set()).add(b)
        # the reasons are kept: each (doc, reason) of the resolution is there under every branch of the doc
        assert {(d, r) for d, _, r in rows} == {(d, r) for d, r in con.execute(
            "SELECT doc_id, reason FROM nav_members").fetchall()}
        # the branch of further classes holds exactly the members with one of its classes (LIKE recount)
        classes = {r[0] for r in con.execute(
            "SELECT DISTINCT doc_id FROM classifications WHERE scheme = 'IPC' AND (code LIKE 'A61K 36/%' OR code LIKE "
            "'A61H%' OR code LIKE 'A23L 33/%')").fetchall()}
        assert {d for d, bs in by_doc.items() if "health.classes" in bs} == classes & set(by_doc)
        # a rule branch holds exactly the members its rule counts (resolution of the rule alone)
        ind.resolve(con, ind.Definition("r", "r", "r", sei_branches=["4.1#4"]), table="_rule_members")
        rule_docs = {r[0] for r in con.execute("SELECT doc_id FROM _rule_members").fetchall()}
        assert {d for d, bs in by_doc.items() if "4.1#4" in bs} == rule_docs & set(by_doc) != set()
        # no document sits in a branch and in that branch's parent
        parent = {b.id: b.parent for b in tree}
        assert not any(parent.get(b) in bs for bs in by_doc.values() for b in bs)
        assert sum(n for b, n in counts.items() if b is not None) >= res.documents - counts.get(None, 0)
        # a mark puts a document in the marked branch
        doc = sorted(d for d, bs in by_doc.items() if "health.classes" in bs)[0]
        br.mark(con, "health", doc, "4.2#1", analyst="li")
        br.assign(con, "health", br.tree(con, "health"))
        got = {r[0] for r in con.execute("SELECT branch FROM nav_members WHERE doc_id = ?", [doc]).fetchall()}
        assert "4.2#1" in got
