"""Sessions that end (logout, disabling, a new password, an admin), sessions and the audit log on read-only
servers (the sidecar file), login throttling and request-body limits, in-process against a real DuckDB file;
the body limits also against a real uvicorn server on a loopback socket."""

from __future__ import annotations

import asyncio
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import uvicorn
from fastapi.testclient import TestClient
from shared_stores import built_once, copy_store

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web.auth import COOKIE
from ipcockpit.web.server import create_app

PASSWORDS = {"boss": "admin-pass-1", "ana": "analyst-pass-2", "acme": "acme-pass-33"}
REPORT = {"indicator": "copyright_registrations", "year": 2023, "value": 1234, "source": "璧山区版权公报 2024-1",
          "reported_by": "区知识产权局"}
CSV_HEAD = "region,indicator,year,value,source,reported_by\n"
CSV_ROW = "500120,copyright_registrations,{year},{value},璧山区版权公报,区知识产权局\n"


def _cli(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ipcockpit.cli", *args, "--db", str(db)], input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def store(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with an admin, an analyst and an enterprise user (the web app needs no patents here): the
    test's own copy of one built for the run (tests/shared_stores.py; hashing three passwords takes a second)."""
    return copy_store(built_once("sessions", tmp_path_factory, _users_store), tmp_path)


def _users_store(folder: Path) -> Path:
    db = folder / "sessions.duckdb"
    with Cockpit(db=db) as c:
        for name, role in (("boss", "admin"), ("ana", "analyst"), ("acme", "enterprise")):
            c.add_user(name, role, PASSWORDS[name], created_by="test")
    return db


@pytest.fixture
def writable(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)), read_only=False)) as c:
        yield c


@pytest.fixture
def read_only(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)))) as c:  # as `ipcockpit serve` without --writable
        yield c


def _token(client: TestClient) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert m
    return m.group(1)


def login(client: TestClient, name: str, password: str | None = None) -> str:
    r = client.post("/login", data={"username": name, "password": password or PASSWORDS[name],
                                    "csrf_token": _token(client)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    me = client.get("/api/me").json()
    assert me["user"] == name
    return str(me["csrf_token"])


def logout(client: TestClient, token: str) -> None:
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303


def _other(client: TestClient, cookie: str) -> TestClient:
    """A second browser of the same app holding a copy of a session cookie."""
    other = TestClient(client.app)
    other.cookies.set(COOKIE, cookie)
    return other


def _reported(store_client: TestClient) -> int:
    return store_client.app.state.cockpit.call(  # type: ignore[attr-defined]
        lambda c: c.store.con.execute("SELECT count(*) FROM reported_values").fetchone()[0])


# logout -----------------------------------------------------------------------------------------------
def test_a_cookie_copied_before_logout_is_refused_afterwards(writable: TestClient) -> None:
    token = login(writable, "ana")
    copied = writable.cookies[COOKIE]
    thief = _other(writable, copied)
    assert thief.get("/api/me").json()["user"] == "ana"  # the copy works while the session lasts
    assert thief.get("/api/portfolios").status_code == 200
    logout(writable, token)
    assert thief.get("/api/me").json()["user"] is None
    assert thief.get("/api/portfolios").status_code == 401  # a read that needs a login
    before = _reported(writable)
    r = thief.post("/api/cockpit/reported", json=REPORT, headers={"X-CSRF-Token": token})  # the old token
    assert r.status_code in (401, 403) and _reported(writable) == before
    r = thief.post("/cockpit/reported", data={"csrf_token": token, "indicator": "copyright_registrations",
                                              "year": "2023", "value": "1", "source_document": "x"})
    assert r.status_code in (401, 403) and _reported(writable) == before


def test_the_cookie_carries_only_a_signed_id_and_the_store_only_its_hash(writable: TestClient, store: Path) -> None:
    login(writable, "ana")
    cookie = writable.cookies[COOKIE]
    assert "ana" not in cookie and "analyst" not in cookie
    rows = writable.app.state.cockpit.call(  # type: ignore[attr-defined]
        lambda c: c.store.query("SELECT * FROM web_sessions WHERE user_name = 'ana'"))
    assert len(rows) == 1
    row = rows[0]
    assert row["revoked_at"] is None and row["expires_at"] > row["created_at"] and row["last_seen"]
    assert row["id_hash"] not in cookie and len(row["id_hash"]) == 64  # sha-256 of the id, never the id
    # a cookie signed with the same secret but naming a session the store does not know is nobody
    forged = TestClient(writable.app)
    forged.cookies.set(COOKIE, cookie.replace(cookie.split(".")[0], cookie.split(".")[0][::-1]))
    assert forged.get("/api/me").json()["user"] is None


def test_a_new_login_never_reuses_the_session_of_before(writable: TestClient) -> None:
    """Logging in starts a new session (no fixation): the cookie a visitor had before is not the new one."""
    writable.get("/login")  # a visitor's cookie: the CSRF token of the login form
    before = writable.cookies[COOKIE]
    login(writable, "acme")
    assert writable.cookies[COOKIE] != before
    thief = _other(writable, before)
    assert thief.get("/api/me").json()["user"] is None


# other ways a session ends ------------------------------------------------------------------------------
def test_disabling_a_user_or_a_new_password_ends_their_sessions(writable: TestClient, store: Path) -> None:
    login(writable, "ana")
    thief = _other(writable, writable.cookies[COOKIE])
    with Cockpit(db=store) as c:  # the same process: the server's own store
        c.set_password("ana", "another-pass-9")
    assert thief.get("/api/me").json()["user"] is None and writable.get("/api/me").json()["user"] is None
    script = TestClient(writable.app)  # a script logging in: JSON, no cookie
    assert script.post("/login", json={"username": "ana", "password": PASSWORDS["ana"]}).status_code == 401
    login(writable, "ana", "another-pass-9")
    with Cockpit(db=store) as c:
        c.disable_user("ana")
        assert c.store.query("SELECT count(*) AS n FROM web_sessions WHERE user_name = 'ana' "
                             "AND revoked_at IS NULL") == [{"n": 0}]
    assert writable.get("/api/me").json()["user"] is None
    assert script.post("/login", json={"username": "ana", "password": "another-pass-9"}).status_code == 401
    with Cockpit(db=store) as c:
        c.disable_user("ana", disabled=False)
    assert script.post("/login", json={"username": "ana", "password": "another-pass-9"}).status_code == 200


def test_an_admin_ends_a_users_sessions_on_the_web(writable: TestClient) -> None:
    login(writable, "acme")
    acme = _other(writable, writable.cookies[COOKIE])
    writable.cookies.clear()
    token = login(writable, "boss")
    r = writable.post("/api/users/acme/logout", json={}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json() == {"user": "acme", "sessions_ended": 1}
    assert acme.get("/api/portfolios").status_code == 401
    assert writable.get("/api/me").json()["user"] == "boss"  # only acme's sessions ended
    r = writable.post("/api/users/nobody/logout", json={}, headers={"X-CSRF-Token": token})
    assert r.status_code == 404


@pytest.mark.slow
def test_cli_ends_sessions_of_a_read_only_server(read_only: TestClient, store: Path) -> None:
    """`ipcockpit user logout NAME` works while `ipcockpit serve` (read-only) runs: it ends the sessions kept
    in the sidecar file."""
    login(read_only, "acme")
    acme = _other(read_only, read_only.cookies[COOKIE])
    assert acme.get("/api/portfolios").status_code == 200
    done = _cli(store, "user", "logout", "acme")
    assert done.returncode == 0, done.stderr
    assert "1" in done.stderr
    assert acme.get("/api/portfolios").status_code == 401
    missing = _cli(store, "user", "logout", "nobody")
    assert missing.returncode == 2 and "nobody" in missing.stderr


@pytest.mark.slow
def test_cli_disables_enables_and_sets_passwords(store: Path) -> None:
    with TestClient(create_app(Settings(db=str(store)))) as ro:
        login(ro, "ana")
        cookie = ro.cookies[COOKIE]
    done = _cli(store, "user", "password", "ana", "--password-stdin", stdin="fresh-pass-77\n")
    assert done.returncode == 0, done.stderr
    done = _cli(store, "user", "disable", "ana")
    assert done.returncode == 0, done.stderr
    with TestClient(create_app(Settings(db=str(store)))) as ro:
        ro.cookies.set(COOKIE, cookie)
        assert ro.get("/api/me").json()["user"] is None  # the new password ended the session
        script = TestClient(ro.app)
        assert script.post("/login", json={"username": "ana", "password": "fresh-pass-77"}).status_code == 401
    done = _cli(store, "user", "enable", "ana")
    assert done.returncode == 0, done.stderr
    with TestClient(create_app(Settings(db=str(store)))) as ro:
        assert ro.post("/login", json={"username": "ana", "password": "fresh-pass-77"}).status_code == 200
    log = [e["action"] for e in Cockpit(db=store, read_only=True).audit_log(limit=20)]
    assert {"cli user password", "cli user disable", "cli user enable"} <= set(log)
    short = _cli(store, "user", "password", "ana", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    missing = _cli(store, "user", "disable", "nobody")
    assert missing.returncode == 2 and "no such user" in missing.stderr


def test_idle_and_absolute_expiry(writable: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [time.time()]
    monkeypatch.setattr("ipcockpit.auth.sessions.now", lambda: clock[0])
    login(writable, "acme")
    clock[0] += 100 * 60  # within the idle time (120 minutes): the request renews it
    assert writable.get("/api/me").json()["user"] == "acme"
    clock[0] += 119 * 60
    assert writable.get("/api/me").json()["user"] == "acme"
    clock[0] += 121 * 60  # idle too long
    assert writable.get("/api/me").json()["user"] is None
    login(writable, "acme")
    for _ in range(13):  # active every hour: the absolute limit (session_hours, 12) ends it anyway
        clock[0] += 3600
        writable.get("/api/me")
    assert writable.get("/api/me").json()["user"] is None


# read-only servers --------------------------------------------------------------------------------------
def test_read_only_server_keeps_sessions_and_audit_in_a_sidecar(read_only: TestClient, store: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    token = login(read_only, "acme")
    sidecar = store.with_name("sessions.duckdb.web.sqlite")
    assert sidecar.exists()
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600
    thief = _other(read_only, read_only.cookies[COOKIE])
    logout(read_only, token)
    assert thief.get("/api/portfolios").status_code == 401
    assert "audit entry not stored" not in caplog.text
    with Cockpit(db=store, read_only=True) as c:
        log = c.audit_log(limit=10)
    got = [(e["user_name"], e["action"], e["outcome"], e["kept_in"]) for e in reversed(log)]
    assert got == [("acme", "POST /login", "ok", "sidecar"), ("acme", "POST /logout", "ok", "sidecar")]
    con = duckdb.connect(str(store), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)  # the store was not written
    finally:
        con.close()


def test_the_audit_log_shows_the_store_and_the_sidecar(store: Path) -> None:
    with TestClient(create_app(Settings(db=str(store)))) as ro:
        login(ro, "acme")
    with TestClient(create_app(Settings(db=str(store)), read_only=False)) as rw:
        login(rw, "boss")
        log = rw.get("/api/audit", params={"limit": 5}).json()["audit"]
        assert [(e["user_name"], e["kept_in"]) for e in log] == [("boss", "store"), ("acme", "sidecar")]
        assert rw.get("/api/audit", params={"user": "acme"}).json()["audit"][0]["action"] == "POST /login"
        csv = rw.get("/api/audit", params={"format": "csv"}).text
        assert "sidecar" in csv and "store" in csv


def test_a_read_only_server_that_cannot_keep_sessions_says_so(store: Path) -> None:
    """No sidecar can be made (here: a folder is in its place): public pages work, a login answers 503
    naming no path."""
    store.with_name(store.name + ".web.sqlite").mkdir()
    with TestClient(create_app(Settings(db=str(store)))) as ro:
        me = ro.get("/api/me").json()
        assert me["user"] is None
        r = ro.post("/login", json={"username": "acme", "password": PASSWORDS["acme"]},
                    headers={"X-CSRF-Token": me["csrf_token"]})
        assert r.status_code == 503 and r.json()["error"].startswith("服务器无法在数据库旁保存登录会话")
        r = ro.post("/login?lang=en", json={"username": "acme", "password": PASSWORDS["acme"]},
                    headers={"X-CSRF-Token": me["csrf_token"]})
        assert r.status_code == 503 and "next to the store" in r.json()["error"]
        assert str(store.parent) not in r.text
        assert ro.get("/api/stats").status_code == 200


def test_sessions_of_read_only_servers_are_shared(store: Path) -> None:
    """Two read-only servers of one store share the sidecar: a logout on one ends the session on both."""
    with TestClient(create_app(Settings(db=str(store)))) as one, \
            TestClient(create_app(Settings(db=str(store)))) as two:
        token = login(one, "acme")
        two.cookies.set(COOKIE, one.cookies[COOKIE])
        assert two.get("/api/me").json()["user"] == "acme"
        logout(one, token)
        assert two.get("/api/me").json()["user"] is None


# login throttling ---------------------------------------------------------------------------------------
def test_wrong_passwords_then_the_right_one_is_refused(writable: TestClient) -> None:
    token = _token(writable)
    for _ in range(5):
        r = writable.post("/login", data={"username": "ana", "password": "wrong-password", "csrf_token": token})
        assert r.status_code == 401
    r = writable.post("/login", data={"username": "ana", "password": PASSWORDS["ana"], "csrf_token": token},
                      follow_redirects=False)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert re.search(r'id="login-error">登录失败次数过多，请 \d+ 秒后再试', r.text)
    assert writable.get("/api/me").json()["user"] is None
    r = writable.post("/login?lang=en", json={"username": "ana", "password": PASSWORDS["ana"]},
                      headers={"X-CSRF-Token": token})
    assert r.status_code == 429 and r.json()["error"].startswith("Too many failed logins: try again in")


def test_the_delay_grows_and_ends(writable: TestClient) -> None:
    throttle = writable.app.state.login_throttle  # type: ignore[attr-defined]
    clock = [1000.0]
    throttle.clock = lambda: clock[0]
    bad = {"username": "acme", "password": "wrong-password"}
    for _ in range(5):
        assert writable.post("/login", json=bad).status_code == 401
    first = writable.post("/login", json=bad)
    assert first.status_code == 429
    wait = int(first.headers["retry-after"])
    assert wait == 30
    clock[0] += wait
    assert writable.post("/login", json=bad).status_code == 401  # one more try, wrong again
    second = writable.post("/login", json={"username": "acme", "password": PASSWORDS["acme"]})
    assert second.status_code == 429 and int(second.headers["retry-after"]) == 60  # doubled
    clock[0] += 60
    assert writable.post("/login", json={"username": "acme", "password": PASSWORDS["acme"]}).status_code == 200
    writable.cookies.clear()
    # a success clears the account's failures: the next mistake waits no more
    assert writable.post("/login", json=bad).status_code == 401


def test_one_address_trying_many_accounts_is_throttled(writable: TestClient) -> None:
    throttle = writable.app.state.login_throttle  # type: ignore[attr-defined]
    throttle.clock = lambda: 5000.0
    for i in range(20):
        assert writable.post("/login", json={"username": f"user{i}", "password": "guess-guess"}).status_code == 401
    r = writable.post("/login", json={"username": "boss", "password": PASSWORDS["boss"]})
    assert r.status_code == 429


def test_throttled_logins_are_audited(writable: TestClient) -> None:
    for _ in range(6):
        writable.post("/login", json={"username": "ana", "password": "wrong-password"})
    log = writable.app.state.cockpit.call(lambda c: c.audit_log(limit=2))  # type: ignore[attr-defined]
    assert [(e["outcome"], e["status"], e["target"]) for e in log] == [
        ("login_throttled", 429, "user:ana"), ("login_failed", 401, "user:ana")]


# request bodies -----------------------------------------------------------------------------------------
class Body:
    """A request body handed to the app in chunks, counting what the app pulled."""

    def __init__(self, total: int, chunk: int = 1 << 20) -> None:
        self.total, self.chunk, self.pulled = total, chunk, 0

    async def receive(self) -> dict[str, Any]:
        if self.pulled >= self.total:
            await asyncio.sleep(0)
            return {"type": "http.disconnect"}
        n = min(self.chunk, self.total - self.pulled)
        self.pulled += n
        return {"type": "http.request", "body": b"x" * n, "more_body": self.pulled < self.total}


def _asgi_post(app: Any, path: str, body: Body, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
    asyncio.run(app(scope, body.receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, content


def test_an_anonymous_post_to_a_closed_route_is_refused_unread(writable: TestClient) -> None:
    body = Body(300 << 20)
    status, _, content = _asgi_post(writable.app, "/api/cockpit/reported", body,
                                    {"content-type": "application/json", "content-length": str(body.total)})
    assert status == 401 and "分析员" in content.decode()
    assert body.pulled == 0
    body = Body(300 << 20)  # chunked: no length given
    status, _, _ = _asgi_post(writable.app, "/api/cockpit/reported/csv", body,
                              {"content-type": "multipart/form-data; boundary=x"})
    assert status == 401 and body.pulled == 0


def test_a_body_over_the_limit_is_refused_by_its_length_unread(writable: TestClient) -> None:
    body = Body(300 << 20)
    status, headers, content = _asgi_post(writable.app, "/api/screen", body, {
        "content-type": "application/json", "content-length": str(body.total)})
    assert status == 413 and body.pulled == 0
    assert "1 MB" in content.decode() or "1,048,576" in content.decode()
    assert headers["content-type"].startswith("application/json")


def test_a_chunked_body_is_counted_and_cut_at_the_limit(writable: TestClient) -> None:
    body = Body(300 << 20, chunk=64 << 10)
    status, _, _ = _asgi_post(writable.app, "/api/screen", body, {"content-type": "application/json"})
    assert status == 413
    assert body.pulled <= (1 << 20) + (64 << 10)  # the limit and the chunk that passed it, no more


def test_the_reported_values_upload_has_its_limit(writable: TestClient) -> None:
    token = login(writable, "ana")
    rows = "".join(CSV_ROW.format(year=2000 + i % 20, value=i) for i in range(60_000))  # about 4 MB
    big = (CSV_HEAD + rows).encode()
    assert len(big) > 3_000_000
    before = _reported(writable)
    r = writable.post("/api/cockpit/reported/csv", data={"csrf_token": token}, files={"file": ("r.csv", big)})
    assert r.status_code == 413, r.text[:300]
    assert "2 MB" in r.json()["error"] and _reported(writable) == before
    page = writable.post("/cockpit/reported/csv?lang=en", data={"csrf_token": token},
                         files={"file": ("r.csv", big)}, headers={"Accept": "text/html"})
    assert page.status_code == 413 and "<h1>Request too large</h1>" in page.text
    small = (CSV_HEAD + CSV_ROW.format(year=2022, value=999)).encode()
    r = writable.post("/api/cockpit/reported/csv", data={"csrf_token": token}, files={"file": ("r.csv", small)})
    assert r.status_code == 201 and _reported(writable) == before + 1


def test_body_limits_are_settings(store: Path) -> None:
    settings = Settings(db=str(store), body_limits={"default": 2000})
    with TestClient(create_app(settings, read_only=False)) as c:
        r = c.post("/api/screen", json=["US5269177"] * 400)
        assert r.status_code == 413 and "2 KB" in r.json()["error"]
        assert c.post("/api/screen", json=["US5269177"]).status_code == 200


def _free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def test_a_real_server_answers_a_huge_anonymous_post_at_once(store: Path) -> None:
    """Against uvicorn on a loopback socket: the client announces 300 MB and sends 64 KB; the answer comes
    at once, without waiting for (or holding) the rest."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(db=str(store)), read_only=False),
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        for path, status in (("/api/cockpit/reported", 401), ("/api/screen", 413)):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                c.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {300 << 20}\r\n\r\n".encode() + b"[" * (64 << 10))
                started = time.monotonic()
                head = c.recv(4096).decode("latin-1")
                assert head.startswith(f"HTTP/1.1 {status} "), head[:200]
                assert time.monotonic() - started < 3
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_deeply_nested_json_body_is_no_server_error(writable: TestClient) -> None:
    """The audit row's detail and the login parse a JSON body: 100,000 nested brackets (within the 1 MB
    limit) must not raise out of them (RecursionError: a 500 before)."""
    r = writable.post("/login", content=b"[" * 100_000, headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and r.json()["error"] == "用户名或密码不正确"
    log = writable.app.state.cockpit.call(lambda c: c.audit_log(limit=1))  # type: ignore[attr-defined]
    assert log[0]["action"] == "POST /login" and log[0]["detail"] is None


def test_settings_of_throttling_and_bodies_are_checked(store: Path) -> None:
    from ipcockpit.errors import SettingsError

    with pytest.raises(SettingsError, match="login_throttle: unknown key tries"):
        create_app(Settings(db=str(store), login_throttle={"tries": 3}))
    with pytest.raises(SettingsError, match="login_throttle"):
        create_app(Settings(db=str(store), login_throttle={"failures": 0}))
    with pytest.raises(SettingsError, match="body_limits: unknown name 'upload'; known: default, reported_csv"):
        create_app(Settings(db=str(store), body_limits={"upload": 10}))
    with pytest.raises(SettingsError, match="body_limits.default='big': give a number of bytes"):
        create_app(Settings(db=str(store), body_limits={"default": "big"}))
    app = create_app(Settings(db=str(store), login_throttle={"failures": "3"}))
    assert app.state.login_throttle.settings.failures == 3  # type: ignore[attr-defined]
