"""The web app's connections (ipcockpit.web.context.CockpitHolder): one per request from a pool, so that a
slow request holds only its own; a time limit per request; readers see the last committed state while
another connection writes.

The store is a real DuckDB file with a real shared file ingested (the baseball patent query CSV of test_web)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ipcockpit.app import Cockpit
from ipcockpit.cockpit.cache import cache_of
from ipcockpit.settings import Settings
from ipcockpit.web.context import Busy, CockpitHolder, RequestTimeout
from ipcockpit.web.errors import status_of
from ipcockpit.web.server import create_app

BASEBALL = "abstracts_us/baseball_patent_query.csv"
#: how long a test waits for something that must happen at once (a generous bound: the machine is busy)
PATIENCE = 60


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    path = tmp_path_factory.mktemp("pool") / "baseball.duckdb"
    with Cockpit(db=path) as cockpit:
        cockpit.ingest([shared / BASEBALL])
    return path


@pytest.fixture(params=[True, False], ids=["read-only", "writable"])
def holder(request: pytest.FixtureRequest, db: Path) -> Iterator[CockpitHolder]:
    h = CockpitHolder(Settings(db=str(db), web_connections=4, request_timeout=30), read_only=request.param)
    yield h
    h.close()


def test_a_slow_request_does_not_hold_the_others(holder: CockpitHolder) -> None:
    """A request that keeps its connection busy (it waits on an event) while another asks for the store's
    health: the second answers while the first still runs. With one shared, locked connection the second
    waited for the first (the issue's 30-40 s /healthz behind one search)."""
    started, release = threading.Event(), threading.Event()

    def slow(c: Cockpit) -> int:
        started.set()
        release.wait(PATIENCE)
        return c.store.count("documents")

    worker = threading.Thread(target=lambda: holder.call(slow))
    worker.start()
    try:
        assert started.wait(PATIENCE)
        answered: list[dict] = []
        other = threading.Thread(target=lambda: answered.append(holder.call(lambda c: c.health())))
        other.start()
        other.join(PATIENCE)
        assert answered and answered[0]["status"] == "ok", "the second request waited for the first"
        assert not release.is_set()  # the first one was still running when the second answered
    finally:
        release.set()
        worker.join(PATIENCE)


def test_requests_get_their_own_connection_and_share_the_cockpit_cache(holder: CockpitHolder) -> None:
    seen: list[Cockpit] = []
    barrier = threading.Barrier(3, timeout=PATIENCE)

    def grab(c: Cockpit) -> None:
        seen.append(c)
        barrier.wait()  # three requests at once: each must hold a connection of its own

    threads = [threading.Thread(target=lambda: holder.call(grab)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PATIENCE)
    assert len({id(c.store.con) for c in seen}) == 3
    assert len({id(cache_of(c.store.root)) for c in seen}) == 1  # one cockpit cache per database


def test_a_query_past_the_time_limit_is_stopped_and_the_next_request_works(db: Path) -> None:
    h = CockpitHolder(Settings(db=str(db), web_connections=1, request_timeout=0.5), read_only=True)
    try:
        with pytest.raises(RequestTimeout) as err:
            h.call(lambda c: c.store.scalar("SELECT count(*) FROM range(100000000000) a WHERE a % 7 = 3"))
        assert status_of(err.value) == 503 and err.value.key == "error.request_timeout"
        assert h.call(lambda c: c.health())["status"] == "ok"  # the one connection was replaced, not lost
    finally:
        h.close()


def test_a_full_pool_answers_busy_after_the_time_limit(db: Path) -> None:
    h = CockpitHolder(Settings(db=str(db), web_connections=1, request_timeout=0.3), read_only=True)
    started, release = threading.Event(), threading.Event()
    worker = threading.Thread(target=lambda: h.call(lambda c: (started.set(), release.wait(PATIENCE))))
    worker.start()
    try:
        assert started.wait(PATIENCE)
        with pytest.raises(Busy) as err:
            h.call(lambda c: c.health())
        assert status_of(err.value) == 503
    finally:
        release.set()
        worker.join(PATIENCE)
        h.close()


def test_readers_see_the_last_committed_state_while_another_connection_writes(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    h = CockpitHolder(Settings(db=str(copy)), read_only=False)
    try:
        before = h.call(lambda c: c.store.count("documents"))
        writer = h.root.cursor()
        writer.store.con.execute("BEGIN TRANSACTION")
        writer.store.con.execute("DELETE FROM documents WHERE doc_id IN (SELECT doc_id FROM documents LIMIT 5)")
        assert writer.store.count("documents") == before - 5
        assert h.call(lambda c: c.store.count("documents")) == before  # not committed: readers see the old
        writer.store.con.execute("COMMIT")
        assert h.call(lambda c: c.store.count("documents")) == before - 5
        writer.close()
    finally:
        h.close()


def test_the_app_answers_on_pooled_connections(db: Path) -> None:
    """Through the real app: a request while another request's connection is held still answers."""
    app = create_app(Settings(db=str(db), web_connections=2))
    with TestClient(app) as client:
        holder: CockpitHolder = app.state.cockpit
        started, release = threading.Event(), threading.Event()
        worker = threading.Thread(target=lambda: holder.call(lambda c: (started.set(), release.wait(PATIENCE))))
        worker.start()
        try:
            assert started.wait(PATIENCE)
            assert client.get("/healthz").json()["status"] == "ok"
            assert client.get("/api/overview").status_code == 200
        finally:
            release.set()
            worker.join(PATIENCE)


def test_the_app_hands_the_gil_over_sooner_than_python_does(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cheap request waits for its turn between two searches' Python steps: the app sets the GIL switch
    interval below Python's default 5 ms (docs/operations.md)."""
    import sys

    from ipcockpit.web.server import GIL_SWITCH_INTERVAL

    monkeypatch.setattr(sys, "setswitchinterval", lambda s: calls.append(s))
    calls: list[float] = []
    create_app(Settings(db=str(db)))
    assert calls == [GIL_SWITCH_INTERVAL] and GIL_SWITCH_INTERVAL < 0.005
