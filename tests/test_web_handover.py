"""Loading data into a running installation (docs/operations.md): ``ipcockpit serve`` owns the store
(writable by default) and publishes ``<db>.serve.json``; ``ipcockpit ingest`` / ``index`` on the same
store hand the job to that server, whose pages keep answering from the last committed state; the jobs
API answers only a caller on loopback with the sidecar's token; and a store another program holds
answers 503 without its path or that program's process id.

Real servers (``python -m ipcockpit.cli serve`` on a free port) over stores built from real shared files:
a USPTO weekly excerpt (25 grants), then the PatentsView baseball query export (2,664 documents)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

GRANTS = "uspto_xml/weekly_excerpts/ipg120103.small.xml"  # 25 grants: the store the server starts with
BASEBALL = "abstracts_us/baseball_patent_query.csv"  # 2,664 documents: what is loaded while it serves
#: how long a test waits for a server or a command (generous: the machine is shared)
PATIENCE = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sidecar(db: Path) -> Path:
    """Where a writable server publishes its URL and token: ``<resolved db>.serve.json``."""
    return Path(os.path.realpath(db) + ".serve.json")


def cli(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--config", str(config)] if config else []
    return subprocess.run([sys.executable, "-m", "ipcockpit.cli", *args, *extra], capture_output=True, text=True,
                          timeout=PATIENCE)


def cli_here(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line run in this process (typer's CliRunner), as :func:`cli`'s result: where the process
    itself is not what a test checks, it saves the interpreter's start and the imports (seconds a command)."""
    from typer.testing import CliRunner

    from ipcockpit.cli import app

    out = CliRunner().invoke(app, list(args))
    if out.exception is not None and not isinstance(out.exception, SystemExit):
        raise out.exception
    return subprocess.CompletedProcess(list(args), out.exit_code, out.stdout, out.stderr)


@contextmanager
def serving(db: Path, log: Path, *flags: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``ipcockpit serve`` on a free loopback port, once it answers /healthz (whatever the status)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ipcockpit.cli", "serve", "--db", str(db), "--host",
                                 "127.0.0.1", "--port", str(port), *flags], stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + PATIENCE
            while True:
                if proc.poll() is not None:
                    raise AssertionError(f"the server stopped:\n{log.read_text()}")
                try:
                    httpx.get(f"{url}/healthz", timeout=10)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"the server did not answer:\n{log.read_text()}") from None
                    time.sleep(0.2)
            yield url, proc
        finally:
            proc.terminate()
            proc.wait(timeout=60)


class Readers(threading.Thread):
    """Requests /healthz and /api/overview in a loop: (time, path, status, documents) of each answer."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.seen = url, threading.Event(), []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as http:
            while not self.stop.is_set():
                for path in ("/healthz", "/api/overview"):
                    r = http.get(path)
                    docs = r.json().get("documents") if path == "/api/overview" and r.status_code == 200 else None
                    self.seen.append((time.monotonic(), path, r.status_code, docs))


def _without_timing(data: Any) -> Any:
    """A report without what differs between two runs of the same work: seconds, the index folder, dates."""
    if isinstance(data, dict):
        return {k: _without_timing(v) for k, v in data.items() if k not in ("seconds", "folder", "as_of")}
    if isinstance(data, list):
        return [_without_timing(v) for v in data]
    return data


@pytest.fixture
def stores(tmp_path: Path, shared: Path) -> tuple[Path, Path]:
    """The served store (25 real grants) and a copy of it, where the same commands run locally."""
    db = tmp_path / "served" / "store.duckdb"
    db.parent.mkdir()
    with Cockpit(db=db) as cockpit:
        cockpit.ingest([shared / GRANTS])
    local = tmp_path / "local" / "store.duckdb"
    local.parent.mkdir()
    shutil.copy(db, local)
    return db, local


@pytest.mark.slow
def test_ingest_and_index_hand_over_to_the_running_server_while_its_pages_answer(
        stores: tuple[Path, Path], shared: Path, tmp_path: Path) -> None:
    """`ipcockpit serve` (writable by default) holds the store; `ipcockpit index` and `ipcockpit ingest` on the
    same store send the job to it and print what a local run prints, with the same exit code. Meanwhile
    every /healthz and /api/overview answers 200 and the document count goes from the old to the new.
    Before: serve opened the store read-only and the ingest failed with the lock error (exit 2)."""
    db, local = stores
    unknown = shared / "MANIFEST.md"  # a real file in no data format: its report row has an error (exit 1)
    with serving(db, tmp_path / "serve.log") as (url, proc):
        published = json.loads(sidecar(db).read_text(encoding="utf-8"))
        assert published["pid"] == proc.pid and published["url"] == url, published
        assert stat.S_IMODE(sidecar(db).stat().st_mode) == 0o600
        readers = Readers(url)
        readers.start()
        try:
            began = time.monotonic()
            index = cli("index", "--db", str(db), "--json")
            ingest = cli("ingest", str(shared / BASEBALL), "--db", str(db), "--json")
            ended = time.monotonic()
            again = cli("ingest", str(shared / BASEBALL), "--db", str(db))  # tables and progress, not JSON
            bad = cli("ingest", str(unknown), "--db", str(db), "--json")
            missing = cli("ingest", str(tmp_path / "no-such-file.csv"), "--db", str(db))
            time.sleep(0.5)  # a few more readings of the new state
        finally:
            readers.stop.set()
            readers.join(PATIENCE)
    assert not sidecar(db).exists(), "the server removes its sidecar when it stops"

    # the same commands on the copy, no server: run in this process (what they print and their exit codes)
    local_index = cli_here("index", "--db", str(local), "--json")
    local_ingest = cli_here("ingest", str(shared / BASEBALL), "--db", str(local), "--json")
    local_again = cli_here("ingest", str(shared / BASEBALL), "--db", str(local))
    local_bad = cli_here("ingest", str(unknown), "--db", str(local), "--json")
    local_missing = cli_here("ingest", str(tmp_path / "no-such-file.csv"), "--db", str(local))

    for served, alone in ((index, local_index), (ingest, local_ingest), (bad, local_bad)):
        assert served.returncode == alone.returncode, (served.stderr, alone.stderr)
        assert _without_timing(json.loads(served.stdout)) == _without_timing(json.loads(alone.stdout))
    assert index.returncode == 0 and ingest.returncode == 0 and bad.returncode == 1, (index.stderr, bad.stderr)
    assert json.loads(ingest.stdout)[0]["loaded"] == 2664
    assert again.returncode == local_again.returncode == 0 and again.stdout == local_again.stdout, again.stderr
    assert "2,664" in again.stderr and "2,664" in local_again.stderr  # the progress lines: records read
    assert missing.returncode == local_missing.returncode == 2, (missing.stderr, local_missing.stderr)
    assert "no-such-file.csv" in missing.stderr and "Traceback" not in missing.stderr
    for served in (index, ingest, again):
        assert url in served.stderr and f"PID {proc.pid}" in served.stderr, served.stderr  # the server did it
        assert "正被另一个进程使用" not in served.stderr

    statuses = {(path, status) for _, path, status, _ in readers.seen}
    assert statuses == {("/healthz", 200), ("/api/overview", 200)}, statuses  # none 503
    during = [s for s in readers.seen if began <= s[0] <= ended]
    assert len(during) >= 10, len(during)  # the pages were read while the jobs ran
    counts = [docs for _, path, _, docs in readers.seen if path == "/api/overview"]
    assert counts[0] == 25 and counts[-1] == 25 + 2664, (counts[0], counts[-1])
    assert set(counts) <= {25, 25 + 2664}, sorted(set(counts))  # the old state or the new, nothing between


def _job(client: TestClient, body: dict[str, Any], token: str | None, **headers: str) -> httpx.Response:
    if token is not None:
        headers["X-IPCockpit-Token"] = token
    return client.post("/api/admin/jobs", json=body, headers=headers)


def test_jobs_answer_only_loopback_callers_with_the_sidecar_token(stores: tuple[Path, Path], shared: Path) -> None:
    """The jobs API wants proof of local access: a loopback client AND the sidecar's token; anything else is
    403, and no answer names a path. One job at a time (409). The routes are not in the public API document."""
    db, local = stores
    port = free_port()
    app = create_app(Settings(db=str(db), host="127.0.0.1", port=port), read_only=False)
    with TestClient(app, client=("127.0.0.1", 50000)) as here:
        there = TestClient(app)  # TestClient's own client host, "testclient": not loopback
        published = json.loads(sidecar(db).read_text(encoding="utf-8"))
        token = published["token"]
        assert published["url"] == f"http://127.0.0.1:{port}" and published["pid"] == os.getpid()
        assert len(token) >= 32
        nested = here.post("/api/admin/jobs", content=b"[" * 100_000, headers={"X-IPCockpit-Token": token,
                                                                               "Content-Type": "application/json"})
        assert nested.status_code == 400, nested.text  # JSON nested deeper than the parser goes: not a 500
        body = {"kind": "ingest", "paths": [str(shared / BASEBALL)]}
        refused = [
            _job(here, body, None),
            _job(here, body, "x" * len(token)),
            _job(there, body, token),
            _job(here, body, token, **{"X-Forwarded-For": "203.0.113.7"}),  # a proxy's request is not local
            here.get("/api/admin/jobs/anything"),
            there.get("/api/admin/jobs", headers={"X-IPCockpit-Token": token}),
        ]
        for r in refused:
            assert r.status_code == 403, (r.status_code, r.text)
            assert str(db.parent) not in r.text and "duckdb" not in r.text and "serve.json" not in r.text, r.text
        assert "/api/admin/jobs" not in json.dumps(here.get("/openapi.json").json())
        assert _job(here, {"kind": "reboot"}, token).status_code == 400

        started = _job(here, body, token)
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["state"] in ("queued", "running") and job["kind"] == "ingest"
        second = _job(here, {"kind": "index"}, token)
        assert second.status_code == 409 and job["id"] in second.json()["error"], second.text
        deadline = time.monotonic() + PATIENCE
        while job["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
            job = here.get(f"/api/admin/jobs/{job['id']}", headers={"X-IPCockpit-Token": token}).json()
        assert job["state"] == "done", job
        assert here.get("/api/overview").json()["documents"] == 25 + 2664
    with Cockpit(db=local) as cockpit:
        alone = [r.as_dict() for r in cockpit.ingest([shared / BASEBALL])]
    assert _without_timing(job["result"]) == _without_timing(alone)  # what `ingest --json` prints
    assert job["progress"]["files"] == 1 and job["progress"]["records"] == 2664
    assert not sidecar(db).exists()


def test_no_sidecar_where_the_command_line_cannot_reach_the_server(stores: tuple[Path, Path]) -> None:
    """A read-only server cannot take jobs, and one listening on a single address that is not loopback
    cannot be reached from loopback: neither publishes a sidecar (so commands give the lock error)."""
    db, _ = stores
    for settings, read_only in ((Settings(db=str(db), host="127.0.0.1", port=free_port()), True),
                                (Settings(db=str(db), host="192.0.2.10", port=free_port()), False)):
        with TestClient(create_app(settings, read_only=read_only)) as client:
            assert client.get("/healthz").status_code == 200
            assert not sidecar(db).exists(), settings.host


def test_serve_takes_read_only_or_the_old_writable_flag_not_both(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ipcockpit.cli import app

    out = CliRunner().invoke(app, ["serve", "--read-only", "--writable", "--db", str(tmp_path / "x.duckdb")])
    assert out.exit_code == 2 and "--read-only" in out.output, out.output
    assert not (tmp_path / "x.duckdb").exists()


@contextmanager
def held_for_writing(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another program holding ``db`` for writing (as an ingest does), until the block ends."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys, time, duckdb\ncon = duckdb.connect(sys.argv[1])\n"
                             "print('ready', flush=True)\ntime.sleep(600)", str(db)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.mark.slow
def test_a_read_only_server_beside_a_writer_answers_503_without_path_or_pid(
        stores: tuple[Path, Path], tmp_path: Path) -> None:
    """`serve --read-only` started while another program writes the store: every page and API answers 503
    with a generic text in the user's language; the path and the process id go to the server's log only.
    Before: the answer held the database path and the writer's PID and command line."""
    db, _ = stores
    log = tmp_path / "serve.log"
    with held_for_writing(db) as writer, serving(db, log, "--read-only") as (url, _):
        with httpx.Client(base_url=url, timeout=60) as http:
            answers = [http.get("/api/overview"), http.get("/healthz"), http.get("/api/overview?lang=en"),
                       http.get("/", headers={"accept": "text/html"}),
                       http.get("/data", headers={"accept": "text/html"})]
        for r in answers:
            assert r.status_code == 503, (r.status_code, r.text[:300])
            for secret in (str(db), db.name, str(db.parent), f"PID {writer.pid}", str(writer.pid), "duckdb"):
                assert secret not in r.text, (secret, r.text[:500])
        assert "数据库正在被另一个程序更新" in answers[0].json()["error"]
        assert "being updated by another program" in answers[2].json()["error"]
    assert str(writer.pid) in log.read_text(), "the detail goes to the server's log"


def test_the_app_over_a_store_held_by_a_writer_hides_path_and_pid(
        stores: tuple[Path, Path], caplog: pytest.LogCaptureFixture) -> None:
    """The read-only app in this process (as the server runs it) while another program writes the store:
    the API and the pages answer 503 with the generic text; the log has the detail."""
    db, _ = stores
    with held_for_writing(db) as writer:
        client = TestClient(create_app(Settings(db=str(db)), read_only=True))
        answers = [client.get("/api/overview"), client.get("/api/overview?lang=en"),
                   client.get("/overview", headers={"accept": "text/html"})]
    for r in answers:
        assert r.status_code == 503, (r.status_code, r.text[:300])
        for secret in (str(db), db.name, f"PID {writer.pid}", str(writer.pid), "duckdb"):
            assert secret not in r.text, (secret, r.text[:500])
    assert "being updated by another program" in answers[1].json()["error"]
    assert str(writer.pid) in caplog.text


@pytest.mark.slow
def test_read_only_servers_load_data_into_a_copy_and_swap(stores: tuple[Path, Path], shared: Path,
                                                          tmp_path: Path) -> None:
    """docs/operations.md, read-only servers: while `serve --read-only` answers from the store, copy the store
    and its index folder, ingest and index the copy, then stop the server, rename the files and start it
    again: it serves the new data and finds the new documents, and the index was updated, not rebuilt."""
    db, _ = stores
    assert cli_here("index", "--db", str(db), "--json").returncode == 0
    live_index, nxt, nxt_index = db.with_suffix(".index"), db.with_name("next.duckdb"), db.with_name("next.index")
    more = shared / "uspto_xml/weekly_excerpts/ipg100105.small.xml"  # 25 other grants
    with serving(db, tmp_path / "ro.log", "--read-only") as (url, _):
        shutil.copy2(db, nxt)  # cp: the servers only read the file
        shutil.copytree(live_index, nxt_index)
        loaded = cli("ingest", str(more), "--db", str(nxt), "--json")
        indexed = cli("index", "--db", str(nxt), "--json")
        assert loaded.returncode == 0 and indexed.returncode == 0, (loaded.stderr, indexed.stderr)
        assert json.loads(indexed.stdout)["documents"]["embedded"] == 25  # only the new ones
        assert not Path(f"{nxt}.wal").exists()
        assert httpx.get(f"{url}/api/overview", timeout=60).json()["documents"] == 25  # the old, meanwhile
    db.rename(db.with_name("previous.duckdb"))
    live_index.rename(db.with_name("previous.index"))
    nxt.rename(db)
    nxt_index.rename(live_index)
    with serving(db, tmp_path / "ro2.log", "--read-only") as (url, _):
        assert httpx.get(f"{url}/api/overview", timeout=60).json()["documents"] == 50
        found = httpx.get(f"{url}/api/search", params={"q": "Firehose coupling exit indicator"}, timeout=120)
        assert found.status_code == 200 and "US7640884B2" in [r["doc_id"] for r in found.json()["results"]]


def test_ingest_without_a_live_server_says_what_to_do(stores: tuple[Path, Path], shared: Path) -> None:
    """A store held by a program that is no ipcockpit server (here: a writer), with a stale sidecar whose URL
    answers nothing: no hand-over, no hang; the lock error says to stop that program or run the server
    writable, in the command line's language."""
    db, _ = stores
    with held_for_writing(db) as writer:
        sidecar(db).write_text(json.dumps({"url": f"http://127.0.0.1:{free_port()}", "token": "t" * 43,
                                           "pid": writer.pid, "started_at": "2026-01-01T00:00:00"}))
        out = cli("ingest", str(shared / BASEBALL), "--db", str(db))
    assert out.returncode == 2 and out.stderr.startswith("error: "), out.stderr
    assert "正被另一个进程使用" in out.stderr and f"PID {writer.pid}" in out.stderr, out.stderr
    assert "--read-only" in out.stderr and "ipcockpit serve" in out.stderr, out.stderr
