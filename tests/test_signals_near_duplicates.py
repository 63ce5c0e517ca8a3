"""Near-duplicate abstracts across applications (ipcockpit/signals/near_duplicates.py) on a real store: CNKI's
export of Sun Yat-sen University's patents (cn/cnki_export_sysu, 1,467 publications with Chinese abstracts), with a
planted near-copy of a real abstract under another application and a second publication of that application."""

from __future__ import annotations

import unicodedata
from itertools import combinations
from pathlib import Path

import duckdb
import pytest
from shared_stores import copy_store, empty_store

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.signals.near_duplicates import near_duplicates

COPY_A, COPY_B, COPY_APP = "CN199900001A", "CN199900001B", "CN1999000011"


def grams(text: str) -> set[str]:
    """Character 5-grams after NFKC, lower case and without white space — written again here, not imported."""
    s = "".join(unicodedata.normalize("NFKC", text).lower().split())
    return {s[i:i + 5] for i in range(len(s) - 4)}


def recount(a: str, b: str) -> float:
    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path):
    folder = tmp_path_factory.mktemp("neardup")
    c = Cockpit(Settings(db=str(copy_store(empty_store(tmp_path_factory), folder, "nd.duckdb"))))
    c.ingest([shared / "cn" / "cnki_export_sysu" / "Patent.csv"])
    con = c.store.con
    original, text = con.execute(
        "SELECT doc_id, text FROM texts WHERE kind = 'abstract' AND lang = 'zh' AND length(text) BETWEEN 250 AND 400 "
        "ORDER BY doc_id LIMIT 1").fetchone()
    chars = list(text)
    for i in (60, 180):  # two characters changed: ten 5-grams of the original are gone, ten new ones come
        chars[i] = "甲" if chars[i] != "甲" else "乙"
    copy = "".join(chars)
    for doc_id, kind in ((COPY_A, "A"), (COPY_B, "B")):
        con.execute("INSERT INTO documents (doc_id, office, number, kind, app_id, pub_date) "
                    "VALUES (?, 'CN', '199900001', ?, ?, DATE '2024-05-01')", [doc_id, kind, COPY_APP])
        con.execute("INSERT INTO texts (doc_id, kind, lang, text) VALUES (?, 'abstract', 'zh', ?)", [doc_id, copy])
    con.execute("INSERT INTO parties (doc_id, seq, role, name_raw) VALUES (?, 1, 'applicant', '某某科技有限公司')",
                [COPY_A])
    yield c, original, text, copy
    c.close()


def _pairs(result: dict) -> dict[tuple[str, str], float]:
    return {tuple(sorted((p["a"], p["b"]))): p["jaccard"] for c in result["clusters"] for p in c["pairs"]}


def test_planted_copy_found_with_its_jaccard(store) -> None:
    c, original, text, copy = store
    result = near_duplicates(c.store.con)
    pairs = _pairs(result)
    expected = recount(text, copy)
    assert 0.8 <= expected < 1.0
    for doc in (COPY_A, COPY_B):
        key = tuple(sorted((original, doc)))
        assert key in pairs, f"the planted copy {doc} of {original} was not found"
        assert pairs[key] == pytest.approx(expected, abs=1e-4)
    cluster = next(cl for cl in result["clusters"] if original in {d["doc_id"] for d in cl["documents"]})
    assert "某某科技有限公司" in cluster["applicants"] and "中山大学" in cluster["applicants"]
    evidence = next(p for p in cluster["pairs"] if {p["a"], p["b"]} == {original, COPY_A})
    assert evidence["shared"] and evidence["shared"] in text and evidence["shared"] in copy
    assert len(evidence["shared"]) >= 100  # the longest run between the changed characters (60 and 180)
    assert cluster["status"] == "待核查" and "不是结论" in result["note"]


def test_publications_of_one_application_are_not_a_pair(store) -> None:
    c, *_ = store
    result = near_duplicates(c.store.con)
    assert tuple(sorted((COPY_A, COPY_B))) not in _pairs(result)
    apps = dict(c.store.con.execute(
        "SELECT doc_id, coalesce(app_id, office || number) FROM documents").fetchall())
    assert all(apps[a] != apps[b] for a, b in _pairs(result))
    assert result["same_application_candidates"] >= 1  # the A/B pair was a candidate, and was left out


def test_exact_all_pairs_equal_lsh(store) -> None:
    """On a small set (the first 600 abstracts by publication number and the planted ones, copied into a store of
    their own), every pair's Jaccard counted equals what LSH found: recall 1."""
    c, *_ = store
    small = duckdb.connect()
    for table, where in (("texts", "kind = 'abstract' AND length(text) >= 30 AND (doc_id LIKE 'CN1999%' OR doc_id IN "
                                   "(SELECT doc_id FROM texts WHERE kind = 'abstract' ORDER BY doc_id LIMIT 600))"),
                         ("documents", "true"), ("parties", "true")):
        data = c.store.con.sql(f"SELECT * FROM {table} WHERE {where}").to_arrow_table()
        small.register("data", data)
        keep = "" if table == "texts" else " WHERE doc_id IN (SELECT doc_id FROM texts)"
        small.execute(f"CREATE TABLE {table} AS SELECT * FROM data{keep}")
        small.unregister("data")
    rows = small.execute("SELECT t.doc_id, t.text, coalesce(d.app_id, d.office || d.number) FROM texts t "
                         "JOIN documents d USING (doc_id)").fetchall()
    assert len(rows) >= 500
    exact = {}
    sets = [(doc, grams(text), app) for doc, text, app in rows]
    for (da, a, pa), (db, b, pb) in combinations(sets, 2):
        j = len(a & b) / len(a | b)
        if pa != pb and j >= 0.8:
            exact[tuple(sorted((da, db)))] = j
    found = _pairs(near_duplicates(small, spans=False))
    assert len(exact) >= 3
    assert set(found) == set(exact)
    assert all(found[k] == pytest.approx(v, abs=1e-4) for k, v in exact.items())
