"""Industry definitions (ipcockpit.navigation.industry) on real stores: the CNIPA gazette week (36,678
publications with IPC codes and Chinese titles, tests/shared_stores.py) for the presets, the graph store of
tests/graph_support.py (CPC codes, abstracts, citations) for keywords in abstracts and seed documents.

Every member's reason is recounted here by SQL or Python written without the product's code: IPC patterns as
LIKE prefixes, SEI rules joined row by row with DuckDB's own regular expressions and their conditions read per
text row, keywords with Python's ``re`` over the fetched texts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
from graph_support import graph_mix
from shared_stores import built_once, copy_store, gazette_week

from ipcockpit.app import Cockpit
from ipcockpit.i18n import catalogue
from ipcockpit.navigation import industry as ind
from ipcockpit.navigation.store import definitions, load_definition, save_definition
from ipcockpit.settings import Settings


@pytest.fixture(scope="module")
def gazette(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Cockpit:
    path, _ = gazette_week(tmp_path_factory, shared)
    c = Cockpit(Settings(db=str(copy_store(path, tmp_path_factory.mktemp("nav_gazette")))))
    yield c
    c.close()


@pytest.fixture(scope="module")
def synbio(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Cockpit:
    """The Thomson Innovation export thomson/synbio.xlsx (644 documents, 58 citations between them), ~7 s."""

    def build(folder: Path) -> Path:
        path = folder / "synbio.duckdb"
        with Cockpit(Settings(db=str(path))) as c:
            c.ingest([shared / "thomson/synbio.xlsx"])
        return path

    source = built_once("nav_synbio", tmp_path_factory, build)
    c = Cockpit(Settings(db=str(copy_store(source, tmp_path_factory.mktemp("nav_synbio")))))
    yield c
    c.close()


@pytest.fixture(scope="module")
def mix(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Cockpit:
    c = Cockpit(Settings(db=str(copy_store(graph_mix(tmp_path_factory, shared), tmp_path_factory.mktemp("nav_mix")))))
    yield c
    c.close()


def _members(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for doc, reason in con.execute("SELECT doc_id, reason FROM nav_members").fetchall():
        out[reason].add(doc)
    return out


def _like(pattern: str) -> str:
    """``A61K36*`` -> ``A61K 36/%``, ``A61H*`` -> ``A61H%``, ``H01L27/32*`` -> ``H01L 27/32%``: the codes a
    prefix pattern covers, as a LIKE (every pattern of the presets ends in ``*``)."""
    m = re.fullmatch(r"([A-HY]\d\d[A-Z])(\d+)?(?:/(\d+))?\*", pattern)
    assert m, pattern
    sub, group, subgroup = m.groups()
    if group is None:
        return sub + "%"
    return f"{sub} {int(group)}/{subgroup or ''}%"


def _class_docs(con: duckdb.DuckDBPyConnection, scheme: str, pattern: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT DISTINCT c.doc_id FROM classifications c JOIN documents d USING (doc_id) "
                                      "WHERE c.scheme = ? AND c.code LIKE ? AND NOT coalesce(d.stub, false)",
                                      [scheme, _like(pattern)]).fetchall()}


def _texts(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for doc, text in con.execute(
            "SELECT * FROM (SELECT doc_id, title FROM documents WHERE title IS NOT NULL UNION ALL SELECT doc_id, text "
            "FROM texts WHERE kind IN ('title', 'abstract', 'first_claim', 'claims') UNION ALL SELECT doc_id, text "
            "FROM claims) WHERE doc_id IN (SELECT doc_id FROM documents WHERE NOT coalesce(stub, false))").fetchall():
        if text:
            out[doc].append(text.lower())
    return out


def _word_docs(texts: dict[str, list[str]], word: str) -> set[str]:
    w = word.lower()
    if w.isascii():
        rx = re.compile(r"(?<![a-z0-9_])" + re.escape(w.rstrip("*")) + ("" if w.endswith("*") else r"(?![a-z0-9_])"))
        return {d for d, ts in texts.items() if any(rx.search(t) for t in ts)}
    return {d for d, ts in texts.items() if any(w in t for t in ts)}


def _sei_docs(con: duckdb.DuckDBPyConnection, part: str) -> set[str]:
    """The documents an SEI part counts, recounted row by row in SQL: every IPC row against every rule of the part
    by regexp_full_match, the rule's condition read on each text row of the document."""
    sql = r"""
    WITH rules AS (
      SELECT rule_id, ipc_regex, exclusion_regex, coalesce(reading, 'product') AS reading, condition_terms,
             regexp_extract(ipc_regex, '^([A-HY]\d\d[A-Z])', 1) AS sub
      FROM ref_ipc_concordance WHERE scheme = 'sei2021' AND coalesce(class_scheme, 'IPC') = 'IPC'
        AND (parent_code = $p OR code = $p OR rule_id = $p)),
    hit AS (
      SELECT DISTINCT c.doc_id, r.rule_id, r.reading, r.condition_terms
      FROM (SELECT *, left(code, 4) AS sub FROM classifications WHERE scheme = 'IPC') c
      JOIN (SELECT * FROM rules WHERE sub <> '' UNION ALL
            SELECT rules.* REPLACE (s.sub AS sub) FROM rules,
                   (SELECT DISTINCT left(code, 4) AS sub FROM classifications) s
            WHERE rules.sub = '') r USING (sub)
      WHERE regexp_full_match(c.code, r.ipc_regex) AND NOT coalesce(regexp_full_match(c.code, r.exclusion_regex),
                                                                       false)),
    txt AS (
      SELECT doc_id, lower(title) AS t FROM documents WHERE title IS NOT NULL
      UNION ALL SELECT doc_id, lower(text) FROM texts WHERE kind IN ('title', 'abstract', 'first_claim', 'claims')
      UNION ALL SELECT doc_id, lower(text) FROM claims),
    terms AS (
      SELECT DISTINCT h.doc_id, h.rule_id, lower(unnest(h.condition_terms)) AS term FROM hit h
      WHERE h.reading IN ('keyword_condition', 'exclusion')),
    said AS (
      SELECT DISTINCT k.doc_id, k.rule_id FROM terms k JOIN txt x USING (doc_id)
      WHERE CASE WHEN regexp_full_match(k.term, '[ -~]+')
                 THEN regexp_matches(x.t, '\b' || rtrim(k.term, '*') || CASE WHEN ends_with(k.term, '*') THEN ''
                                     ELSE '\b' END)
                 ELSE position(k.term IN x.t) > 0 END)
    SELECT DISTINCT h.doc_id FROM hit h JOIN documents d USING (doc_id)
    WHERE NOT coalesce(d.stub, false)
      AND CASE h.reading WHEN 'keyword_condition' THEN (h.doc_id, h.rule_id) IN (SELECT (doc_id, rule_id) FROM said)
                         WHEN 'exclusion' THEN (h.doc_id, h.rule_id) NOT IN (SELECT (doc_id, rule_id) FROM said)
                         ELSE true END
    """
    return {r[0] for r in con.execute(sql, {"p": part}).fetchall()}


def _recount(con: duckdb.DuckDBPyConnection, d: ind.Definition, texts: dict[str, list[str]]) -> dict[str, set[str]]:
    """reason -> documents of each part item, before combining."""
    out: dict[str, set[str]] = {}
    for p in d.sei_branches:
        out[f"sei:{p}"] = _sei_docs(con, p)
    for p in d.ipc:
        out[f"ipc:{p}"] = _class_docs(con, "IPC", p)
    for p in d.cpc:
        out[f"cpc:{p}"] = _class_docs(con, "CPC", p)
    for w in d.keywords:
        out[f"kw:{w}"] = _word_docs(texts, w)
    return out


def _expected(d: ind.Definition, recount: dict[str, set[str]]) -> dict[str, set[str]]:
    if d.combine == "any":
        return {r: docs for r, docs in recount.items() if docs}
    groups: dict[str, set[str]] = defaultdict(set)
    for r, docs in recount.items():
        groups[r.split(":")[0]] |= docs
    keep = set.intersection(*groups.values())
    return {r: docs & keep for r, docs in recount.items() if docs & keep}


@pytest.mark.parametrize("preset", list(ind.PRESETS))
def test_each_preset_resolves_and_every_reason_is_true_on_a_recount(gazette: Cockpit, preset: str) -> None:
    con = gazette.store.con
    d = ind.PRESETS[preset]
    res = ind.resolve(con, d)
    assert res.documents > 0 and res.empty_reason is None
    got = _members(con)
    assert res.counts == {r: len(docs) for r, docs in got.items()}
    assert res.documents == len(set().union(*got.values()))
    assert res.relation(con).aggregate("count(DISTINCT doc_id)").fetchall()[0][0] == res.documents
    assert _expected(d, _recount(con, d, _texts(con) if d.keywords else {})) == got
    # the SEI parts hold only documents with an IPC code, and a keyword condition needs its words in the text
    assert con.execute("SELECT count(*) FROM nav_members WHERE branch IS NOT NULL").fetchall()[0][0] == 0


def test_the_sei_conditions_count_on_the_gazette(gazette: Cockpit) -> None:
    """SEI 5 with its rules read as plain IPC matches would hold far more documents than with the keyword
    conditions (the gazette gives titles only: a B60W document counts when its title says 电动汽车 ...)."""
    con = gazette.store.con
    ind.resolve(con, ind.PRESETS["nev"])
    members = _members(con)["sei:5"]
    (plain,) = con.execute(
        "SELECT count(DISTINCT c.doc_id) FROM classifications c JOIN ref_ipc_concordance r ON r.scheme = 'sei2021' "
        "AND r.parent_code = '5' AND left(r.ipc_regex, 4) = left(c.code, 4) AND regexp_full_match(c.code, r.ipc_regex) "
        "WHERE c.scheme = 'IPC'").fetchall()[0]
    assert 0 < len(members) < plain
    # a document of 5.2#1's classes (keyword condition) whose title names no new-energy drive is left out
    (left_out,) = con.execute(
        "SELECT count(*) FROM documents d WHERE d.doc_id IN (SELECT doc_id FROM classifications WHERE code LIKE "
        "'F02B %') AND NOT regexp_matches(lower(d.title), "
        "'新能源|电动|混合动力|燃料电池|纯电|插电|增程|氢燃料|动力电池') "
        "AND d.doc_id NOT IN (SELECT doc_id FROM nav_members)").fetchall()[0]
    assert left_out > 0


def test_keywords_in_abstracts_cpc_and_all(mix: Cockpit) -> None:
    con = mix.store.con
    texts = _texts(con)
    d = ind.Definition("corona", "冠状病毒", "Coronavirus", cpc=["A61K39*"], keywords=["coronavirus*", "vaccin*"],
                       combine="all")
    res = ind.resolve(con, d)
    assert res.documents > 0
    assert _expected(d, _recount(con, d, texts)) == _members(con)
    any_ = ind.Definition("corona", "冠状病毒", "Coronavirus", cpc=["A61K39*"], keywords=["coronavirus*"])
    res_any = ind.resolve(con, any_)
    assert _expected(any_, _recount(con, any_, texts)) == _members(con)
    assert res_any.documents > res.documents and set(res.group_counts) == {"cpc", "kw"}


def test_seeds_bring_their_citations_and_main_class(synbio: Cockpit) -> None:
    con = synbio.store.con
    # a seed that cites stored documents and is cited by some
    seed = con.execute(
        "SELECT c.doc_id FROM citations c JOIN documents d ON d.doc_id = c.cited_doc_id GROUP BY c.doc_id "
        "ORDER BY count(*) DESC, c.doc_id LIMIT 1").fetchall()[0][0]
    res = ind.resolve(con, ind.Definition("s", "种子", "Seed", seeds=[seed]))
    got = _members(con)
    stored = {r[0] for r in con.execute("SELECT doc_id FROM documents WHERE NOT coalesce(stub, false)").fetchall()}
    cites = [(a, b) for a, b in con.execute("SELECT doc_id, cited_doc_id FROM citations").fetchall()]
    assert got["seed"] == {seed}
    assert got["seed:cites"] == {b for a, b in cites if a == seed and b in stored} != set()
    assert got.get("seed:cited_by", set()) == {a for a, b in cites if b == seed and a in stored}
    both = ind.resolve(con, ind.Definition("s", "种子", "Seed", seeds=[seed, *sorted(got["seed:cites"])[:1]]))
    assert both.counts["seed"] == 2
    mains = {r[0] for r in con.execute("SELECT code FROM classifications WHERE doc_id = ? AND main AND scheme = 'IPC'",
                                       [seed]).fetchall()}
    with_main = {d for d, code in con.execute("SELECT doc_id, code FROM classifications WHERE scheme = 'IPC'")
                 .fetchall() if code in mains}
    assert got.get("seed:class", set()) == with_main & stored
    assert res.counts["seed"] == 1


def test_check_equals_a_hand_count(gazette: Cockpit) -> None:
    con = gazette.store.con
    d = ind.PRESETS["tcm"]
    ind.resolve(con, d)
    members = sorted({r[0] for r in con.execute("SELECT doc_id FROM nav_members").fetchall()})
    outside = [r[0] for r in con.execute("SELECT doc_id FROM documents WHERE doc_id NOT IN "
                                         "(SELECT doc_id FROM nav_members) ORDER BY doc_id LIMIT 3").fetchall()]
    # 3 members the analyst says belong (tp), 1 member that does not (fp), 2 outsiders that belong (fn),
    # 1 outsider that does not (tn), 1 id the store lacks
    marks = {members[0]: True, members[1]: True, members[2]: True, members[3]: False,
             outside[0]: True, outside[1]: True, outside[2]: False, "CN000000000X": True}
    out = ind.check(con, d, marks)
    counts = (out["true_positives"], out["false_positives"], out["false_negatives"], out["true_negatives"])
    assert counts == (3, 1, 2, 1)
    assert out["marked"] == 7 and out["unknown_ids"] == ["CN000000000X"]
    assert out["recall"] == round(3 / 5, 4) and out["precision"] == 0.75
    assert out["false_positive_ids"] == [members[3]] and out["false_negative_ids"] == sorted(outside[:2])
    assert out["precision_ci95"] == (0.3006, 0.9544)  # Wilson 95 % for 3 of 4
    assert ind.check(con, d, {})["recall"] is None


def test_sample_draws_members_and_near_misses_again_with_the_same_seed(gazette: Cockpit) -> None:
    con = gazette.store.con
    d = ind.PRESETS["animation"]
    first = ind.sample(con, d, 10, seed=7)
    assert first == ind.sample(con, d, 10, seed=7) and first != ind.sample(con, d, 10, seed=8)
    ind.resolve(con, d)
    members = {r[0] for r in con.execute("SELECT doc_id FROM nav_members").fetchall()}
    groups = {x["doc_id"]: x["group"] for x in first}
    assert len(first) == 10 and sorted(groups.values()).count("near_miss") == 5
    assert all((g == "member") == (doc in members) for doc, g in groups.items())
    member_groups = {r[0] for r in con.execute(
        "SELECT DISTINCT split_part(code, '/', 1) FROM classifications WHERE scheme = 'IPC' AND doc_id IN "
        "(SELECT doc_id FROM nav_members)").fetchall()}
    for doc, g in groups.items():
        if g == "near_miss":
            own = {r[0] for r in con.execute("SELECT split_part(code, '/', 1) FROM classifications WHERE doc_id = ? "
                                             "AND scheme = 'IPC'", [doc]).fetchall()}
            assert own & member_groups


def test_empty_and_bad_definitions(gazette: Cockpit, cockpit: Cockpit) -> None:
    con = gazette.store.con
    en, zh = catalogue("en"), catalogue("zh-CN")
    res = ind.resolve(con, ind.Definition("none", "无", "None", keywords=["量子引力波望远镜"]))
    assert res.documents == 0 and res.empty_reason == "nav.empty.no_match" and res.empty_params["stored"] == 36678
    assert con.execute("SELECT count(*) FROM nav_members").fetchall()[0][0] == 0
    res = ind.resolve(con, ind.Definition("x", "x", "x", ipc=["A63F13*"], keywords=["中药"], combine="all"))
    assert res.documents == 0 and res.empty_reason == "nav.empty.no_overlap" and "ipc" in res.empty_params["parts"]
    res = ind.resolve(con, ind.Definition("q", "q", "q", query="电动汽车电池"))
    assert res.empty_reason == "nav.empty.query_unavailable" and res.notes == ["nav.query.no_index"]
    empty = ind.resolve(cockpit.store.con, ind.PRESETS["nev"])
    assert empty.documents == 0 and empty.empty_reason == "nav.empty.no_documents"
    for key in ("nav.empty.no_match", "nav.empty.no_overlap", "nav.empty.query_unavailable", "nav.empty.no_documents",
                "nav.query.no_index"):
        assert key in en and key in zh
    with pytest.raises(ind.DefinitionError, match=r"part sei:5\.9"):
        ind.resolve(con, ind.Definition("bad", "坏", "Bad", sei_branches=["5", "5.9"]))
    with pytest.raises(ind.DefinitionError, match=r"part ipc:H04N\*\*"):
        ind.resolve(con, ind.Definition("bad", "坏", "Bad", ipc=["H04N**"]))
    with pytest.raises(ind.DefinitionError, match="part seed:CN000X"):
        ind.resolve(con, ind.Definition("bad", "坏", "Bad", seeds=["CN000X"]))
    with pytest.raises(ind.DefinitionError, match="combine"):
        ind.resolve(con, ind.Definition("bad", "坏", "Bad", ipc=["H04N*"], combine="some"))
    with pytest.raises(ind.DefinitionError, match="at least one part"):
        ind.resolve(con, ind.Definition("bad", "坏", "Bad"))


def test_saved_definitions_round_trip(cockpit: Cockpit) -> None:
    con = cockpit.store.con
    d = ind.Definition("battery", "动力电池", "Traction batteries", sei_branches=["5.2"], ipc=["H01M10*"],
                       keywords=["动力电池", "traction batter*"], combine="any")
    save_definition(con, d, analyst="li")
    assert load_definition(con, "battery") == d and load_definition(con, "nev") == ind.PRESETS["nev"]
    assert [x["id"] for x in definitions(con)] == ["battery"] and definitions(con)[0]["saved_by"] == "li"
    with pytest.raises(ind.DefinitionError):
        save_definition(con, ind.Definition("b", "b", "b", sei_branches=["99"]))
    with pytest.raises(ind.DefinitionError, match="no saved definition"):
        load_definition(con, "nothing")


@pytest.mark.slow  # builds the search index of the synbio store (~40 s on 2 cores)
def test_a_query_part_takes_the_documents_the_search_finds(synbio: Cockpit, tmp_path: Path) -> None:
    from ipcockpit.search.hybrid import search
    from ipcockpit.search.index import build_index

    con = synbio.store.con
    build_index(con, tmp_path / "idx")
    query = "gene synthesis DNA assembly"
    found = {r["doc_id"] for r in search(con, tmp_path / "idx", query, limit=ind.QUERY_LIMIT, passages=False)}
    res = ind.resolve(con, ind.Definition("q", "检索", "Query", query=query), index_folder=tmp_path / "idx")
    assert res.notes == [] and res.documents == len(found) > 0 and _members(con) == {"query": found}
    both = ind.resolve(con, ind.Definition("q", "检索", "Query", query=query, keywords=["plasmid*"], combine="all"),
                       index_folder=tmp_path / "idx")
    assert _members(con)["query"] == found & _word_docs(_texts(con), "plasmid*") and both.documents > 0
