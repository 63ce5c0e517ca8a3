"""Users, roles, sessions, CSRF, the route policy, publication, per-user portfolios and the audit log,
through the CLI (a subprocess) and the web app in-process, against a real DuckDB file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from ipcockpit.app import Cockpit
from ipcockpit.auth import access
from ipcockpit.settings import Settings
from ipcockpit.web.auth import COOKIE, POLICY, rule_for
from ipcockpit.web.server import create_app

BASEBALL = "abstracts_us/baseball_patent_query.csv"
PASSWORDS = {"boss": "admin-pass-1", "ana": "analyst-pass-2", "acme": "acme-pass-33", "beta": "beta-pass-444"}
REPORT = {"indicator": "copyright_registrations", "year": 2023, "value": 1234, "source": "璧山区版权公报 2024-1",
          "reported_by": "区知识产权局"}


def _cli(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ipcockpit.cli", *args, "--db", str(db)], input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """The baseball sample (2,664 US patents), the first admin added by the CLI, three more users."""
    db = tmp_path_factory.mktemp("auth") / "auth.duckdb"
    with Cockpit(db=db) as c:
        c.ingest([shared / BASEBALL])
        c.load_plan_baselines()
    done = _cli(db, "user", "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORDS["boss"] + "\n")
    assert done.returncode == 0, done.stderr
    with Cockpit(db=db) as c:
        c.add_user("ana", "analyst", PASSWORDS["ana"], created_by="boss")
        c.add_user("acme", "enterprise", PASSWORDS["acme"], created_by="boss")
        c.add_user("beta", "enterprise", PASSWORDS["beta"], created_by="boss")
    return db


@pytest.fixture
def client(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)), read_only=False)) as c:
        yield c


def _token(client: TestClient, page: str = "/login") -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert m, f"{page} has no csrf_token field"
    return m.group(1)


def login(client: TestClient, name: str) -> str:
    """Log in through the form; returns the CSRF token of the new session."""
    r = client.post("/login", data={"username": name, "password": PASSWORDS[name], "csrf_token": _token(client)},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    me = client.get("/api/me").json()
    assert me["user"] == name
    return str(me["csrf_token"])


# users ------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_cli_adds_and_lists_users(store: Path, tmp_path: Path) -> None:
    listed = _cli(store, "user", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    users = {u["name"]: u for u in json.loads(listed.stdout)}
    assert sorted(users) == ["acme", "ana", "beta", "boss"]
    assert users["boss"]["role"] == "admin" and users["boss"]["created_by"] == "cli"
    assert "password" not in listed.stdout and PASSWORDS["boss"] not in listed.stdout
    other = tmp_path / "other.duckdb"
    again = _cli(other, "user", "add", "x1", "--role", "analyst", "--password-stdin", stdin="long-enough\n")
    assert again.returncode == 0, again.stderr
    dup = _cli(other, "user", "add", "x1", "--role", "analyst", "--password-stdin", stdin="long-enough\n")
    assert dup.returncode == 2 and "user 'x1' exists already" in dup.stderr
    bad = _cli(other, "user", "add", "x2", "--role", "root", "--password-stdin", stdin="long-enough\n")
    assert bad.returncode == 2 and "role 'root': not a role; use one of admin, analyst, enterprise" in bad.stderr
    short = _cli(other, "user", "add", "x3", "--role", "analyst", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr


def test_passwords_are_stored_as_argon2_hashes_only(store: Path) -> None:
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = dict(con.execute("SELECT name, password_hash FROM users").fetchall())
        cols = [r[0] for r in con.execute("DESCRIBE users").fetchall()]
    finally:
        con.close()
    assert cols == ["name", "role", "password_hash", "created_at", "created_by", "disabled"]
    for name, hashed in rows.items():
        assert hashed.startswith("$argon2id$v=19$"), name
        assert PASSWORDS[name] not in hashed
    assert len(set(rows.values())) == 4  # salted: no two alike


def test_authenticate(store: Path) -> None:
    with Cockpit(db=store, read_only=True) as c:
        user = c.authenticate("ana", PASSWORDS["ana"])
        assert user is not None and (user.name, user.role) == ("ana", "analyst")
        assert c.authenticate("ana", PASSWORDS["acme"]) is None
        assert c.authenticate("nobody", PASSWORDS["ana"]) is None
        assert c.authenticate("ana", "") is None


# sessions ---------------------------------------------------------------------------------------------
def test_login_sets_a_signed_httponly_lax_cookie(client: TestClient) -> None:
    r = client.post("/login", data={"username": "ana", "password": PASSWORDS["ana"], "csrf_token": _token(client),
                                    "next": "/screen"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/screen"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attrs and "secure" not in attrs
    assert "samesite=lax" in cookie.lower() and "max-age=43200" in cookie.lower()
    assert PASSWORDS["ana"] not in cookie
    me = client.get("/api/me").json()
    assert (me["user"], me["role"]) == ("ana", "analyst")


def test_cookie_is_secure_over_https(store: Path) -> None:
    with TestClient(create_app(Settings(db=str(store)), read_only=False), base_url="https://testserver") as c:
        r = c.get("/login")
        assert "secure" in {a.strip().lower() for a in r.headers["set-cookie"].split(";")}


def test_login_refuses_wrong_password_and_unknown_user(client: TestClient) -> None:
    token = _token(client)
    for name, password in (("ana", PASSWORDS["beta"]), ("nobody", PASSWORDS["ana"])):
        r = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
        assert r.status_code == 401
        assert 'id="login-error">用户名或密码不正确' in r.text
        assert client.get("/api/me").json()["user"] is None
    r = client.post("/login", json={"username": "ana", "password": "wrong-password"},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 401 and r.json() == {"error": "用户名或密码不正确"}


def test_json_login_for_scripts_and_logout(store: Path) -> None:
    with TestClient(create_app(Settings(db=str(store)), read_only=False)) as c:
        r = c.post("/login", json={"username": "acme", "password": PASSWORDS["acme"]})  # no cookie yet: no token
        assert r.status_code == 200 and r.json()["role"] == "enterprise"
        token = r.json()["csrf_token"]
        assert c.post("/logout", json={}).status_code == 403  # now a session cookie: the header is needed
        r = c.post("/logout", json={}, headers={"X-CSRF-Token": token})
        assert r.status_code == 200
        assert re.search(rf'{COOKIE}=""?;.*Max-Age=0', r.headers["set-cookie"])
        assert c.get("/api/me").json()["user"] is None
        assert c.get("/api/portfolios").status_code == 401


def test_a_tampered_cookie_is_a_public_visitor(client: TestClient) -> None:
    login(client, "boss")
    value = client.cookies[COOKIE]
    client.cookies.clear()
    client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert client.get("/api/me").json()["user"] is None
    assert client.get("/api/audit").status_code == 401


# CSRF -------------------------------------------------------------------------------------------------
def test_csrf_missing_or_invalid_is_refused(client: TestClient) -> None:
    client.get("/login")  # an anonymous session
    r = client.post("/login", data={"username": "ana", "password": PASSWORDS["ana"]})
    assert r.status_code == 403 and r.json()["error"].startswith("表单缺少安全令牌")
    r = client.post("/login", data={"username": "ana", "password": PASSWORDS["ana"], "csrf_token": "forged"})
    assert r.status_code == 403 and r.json()["error"].startswith("安全令牌无效")
    token = login(client, "ana")
    assert client.post("/api/cockpit/reported", json=REPORT).status_code == 403
    assert client.post("/api/cockpit/reported", json=REPORT, headers={"X-CSRF-Token": "x" + token}).status_code == 403
    assert client.post("/api/cockpit/reported", json=REPORT, headers={"X-CSRF-Token": token}).status_code == 201


def test_cross_site_posts_are_refused(client: TestClient) -> None:
    token = login(client, "ana")
    r = client.post("/api/cockpit/reported", json=REPORT,
                    headers={"X-CSRF-Token": token, "Origin": "https://evil.example"})
    assert r.status_code == 403 and "https://evil.example" in r.json()["error"]
    r = client.post("/api/cockpit/reported", json=REPORT, headers={"X-CSRF-Token": token, "Origin": "http://testserver"})
    assert r.status_code == 201


def test_the_screening_form_needs_the_token(client: TestClient) -> None:
    form = {"numbers": "US5269177"}
    assert client.post("/screen", data=form, files={"file": ("x.txt", b"")}).status_code == 403
    token = _token(client)
    r = client.post("/screen", data={**form, "csrf_token": token, "format": "json"}, files={"file": ("x.txt", b"")})
    assert r.status_code == 200, r.text


# policy -----------------------------------------------------------------------------------------------
def test_policy_table() -> None:
    assert rule_for("POST", "/api/cockpit/reported").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("POST", "/api/cockpit/reported/csv").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("POST", "/cockpit/reported").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("GET", "/data/quarantine.csv").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("POST", "/cockpit/reported/csv").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("GET", "/cockpit/report.pdf") is None
    assert rule_for("POST", "/ingest").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("GET", "/admin/users").roles == {"admin"}  # type: ignore[union-attr]
    assert rule_for("GET", "/api/cockpit/reported") is None and rule_for("GET", "/api/cockpit") is None
    assert rule_for("POST", "/api/screen") is None
    assert rule_for("POST", "/api/fto").roles == {"admin", "analyst", "enterprise"}  # type: ignore[union-attr]
    assert rule_for("POST", "/marks/protected").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("GET", "/marks/protected") is None and rule_for("GET", "/api/marks/alerts") is None
    assert rule_for("GET", "/signals").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("GET", "/api/signals.csv").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("POST", "/api/signals/detect").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("GET", "/watch.csv").roles == {"admin", "analyst", "enterprise"}  # type: ignore[union-attr]
    assert rule_for("GET", "/credit.xlsx").roles == {"admin", "analyst", "enterprise"}  # type: ignore[union-attr]
    assert rule_for("POST", "/credit/record").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert rule_for("POST", "/api/credit/links").roles == {"admin"}  # type: ignore[union-attr]
    assert rule_for("GET", "/api/credit/audit").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    assert len(POLICY) == 18


def test_a_pages_downloads_have_its_policy(client: TestClient) -> None:
    """/x.json, /x.csv, /api/x.xlsx ... are as closed as /x and /api/x: every registered suffix route."""
    suffixed = [r.path for r in client.app.routes if getattr(r, "path", "").endswith(".{fmt}")]
    assert {"/admin/users.{fmt}", "/api/users.{fmt}", "/api/audit.{fmt}", "/data/quarantine.{fmt}"} <= set(suffixed)
    for path in suffixed:
        base = path.removesuffix(".{fmt}")
        for fmt in ("json", "csv", "xlsx", "JSON"):
            assert rule_for("GET", f"{base}.{fmt}") == rule_for("GET", base), path
    for path in ("/api/users.json", "/api/audit.csv", "/admin/users.xlsx", "/api/users.csv"):
        assert client.get(path).status_code == 401, path


def test_public_and_enterprise_cannot_report_analyst_can(client: TestClient) -> None:
    assert client.post("/api/cockpit/reported", json=REPORT).status_code == 401  # public, no cookie
    csv_file = {"file": ("r.csv", "region,indicator,year,value,source,reported_by\n"
                         "500120,copyright_registrations,2022,999,公报,区局\n".encode())}
    token = _token(client)
    r = client.post("/api/cockpit/reported/csv", data={"csrf_token": token}, files=csv_file)
    assert r.status_code == 401 and "分析员" in r.json()["error"]
    token = login(client, "acme")
    r = client.post("/api/cockpit/reported", json=REPORT, headers={"X-CSRF-Token": token})
    assert r.status_code == 403 and "acme" in r.json()["error"]
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "ana")
    r = client.post("/api/cockpit/reported/csv", data={"csrf_token": token}, files=csv_file)
    assert r.status_code == 201 and r.json()["reported"][0]["value"] == 999


def test_public_sees_published_values_only(client: TestClient) -> None:
    token = login(client, "ana")
    row = client.post("/api/cockpit/reported", json={**REPORT, "year": 2024, "value": 4321},
                      headers={"X-CSRF-Token": token}).json()["reported"][0]
    holder = client.app.state.cockpit  # type: ignore[attr-defined]
    public = holder.call(lambda c: access.public_current_values(c.store, "500120"))
    assert 2024 not in public.get("copyright_registrations", {})
    assert public["copyright_registrations"][2020]["origin"] == "plan"  # the plan's baseline is published
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "acme")
    assert client.post("/api/cockpit/publish", json={"ids": [row["id"]]}, headers={"X-CSRF-Token": token}
                       ).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "ana")
    r = client.post("/api/cockpit/publish", json={"ids": [row["id"]]}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    assert r.json()["publication"] == [{"id": row["id"], "published": True, "published_by": "ana",
                                        "published_at": r.json()["publication"][0]["published_at"]}]
    public = holder.call(lambda c: access.public_current_values(c.store, "500120"))
    assert public["copyright_registrations"][2024]["value"] == 4321
    kept = holder.call(lambda c: access.only_published([{"id": row["id"]}, {"id": -1}], c.store))
    assert kept == [{"id": row["id"]}]
    r = client.post("/api/cockpit/publish", json={"ids": [987654]}, headers={"X-CSRF-Token": token})
    assert r.status_code == 400 and "no reported value with id 987654" in r.json()["error"]


def test_an_enterprise_sees_only_its_own_portfolios(client: TestClient) -> None:
    token = login(client, "acme")
    r = client.post("/api/portfolios", json={"name": "bats", "numbers": ["US5269177", "US0000001"]},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["owner"] == "acme" and saved["count"] == 2
    found = {row["publication_number"]: row["found"] for row in saved["result"]}
    assert found == {"US5269177": True, "US0000001": False}
    assert [p["id"] for p in client.get("/api/portfolios").json()["portfolios"]] == [saved["id"]]
    client.post("/logout", data={"csrf_token": token})
    login(client, "beta")
    assert client.get("/api/portfolios").json()["portfolios"] == []
    r = client.get(f"/api/portfolios/{saved['id']}")
    assert r.status_code == 404
    client.post("/logout", data={"csrf_token": client.get("/api/me").json()["csrf_token"]})
    assert client.get("/api/portfolios").status_code == 401


# admin ------------------------------------------------------------------------------------------------
def test_admin_pages_refuse_others(client: TestClient) -> None:
    r = client.get("/admin/users", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin/users"
    assert client.get("/api/users").status_code == 401
    token = login(client, "ana")
    assert client.get("/admin/users", headers={"Accept": "text/html"}).status_code == 403
    assert client.get("/api/audit").status_code == 403
    assert client.post("/api/users", json={"name": "x", "role": "admin", "password": "p" * 10},
                       headers={"X-CSRF-Token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "boss")
    page = client.get("/admin/users")
    assert page.status_code == 200 and "<h1>用户管理</h1>" in page.text
    r = client.post("/admin/users", data={"name": "gamma", "role": "enterprise", "password": "gamma-pass-5",
                                          "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post("/api/users", json={"name": "delta", "role": "analyst", "password": "delta-pass-6"},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 201 and r.json()["created_by"] == "boss"
    names = [u["name"] for u in client.get("/api/users").json()["users"]]
    assert {"gamma", "delta"} <= set(names)
    r = client.post("/api/users", json={"name": "delta", "role": "analyst", "password": "delta-pass-6"},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 400 and "exists already" in r.json()["error"]


def _form(html: str, form_id: str) -> str | None:
    found = re.search(rf'<form [^>]*id="{form_id}".*?</form>', html, re.S)
    return found.group(0) if found else None


def test_forms_are_shown_only_where_they_can_work(store: Path) -> None:
    """A form is on the page only when its submit can succeed (a writable store and a user the policy lets
    submit it); otherwise a note says why. `ipcockpit serve --read-only` serves read-only."""
    with TestClient(create_app(Settings(db=str(store)))) as ro:  # read-only, as `ipcockpit serve --read-only`
        home = ro.get("/").text
        assert _form(home, "report-form") is None and _form(home, "report-csv-form") is None
        assert re.search(r'id="read-only-note"[^>]*>[^<]*只读', home) and "不加 --read-only" in home
        login(ro, "boss")
        home = ro.get("/").text
        assert _form(home, "report-form") is None and 'id="read-only-note"' in home
        users = ro.get("/admin/users").text
        assert _form(users, "user-form") is None
        assert re.search(r'id="users-read-only-note"[^>]*>[^<]*只读', users)
        en = ro.get("/admin/users", params={"lang": "en"}).text
        assert re.search(r'id="users-read-only-note"[^>]*>[^<]*read-only', en)
    with TestClient(create_app(Settings(db=str(store)), read_only=False)) as rw:
        home = rw.get("/").text  # a visitor: sign in first
        assert _form(home, "report-form") is None and 'id="read-only-note"' not in home
        assert re.search(r'id="report-login-note".*?href="[^"]*/login\?next=/"', home, re.S)
        login(rw, "acme")  # an enterprise user may not report
        home = rw.get("/").text
        assert _form(home, "report-form") is None and 'id="report-role-note"' in home
        login(rw, "ana")
        home = rw.get("/").text
        assert _form(home, "report-form") and _form(home, "report-csv-form")
        assert "report-login-note" not in home and "report-role-note" not in home
        login(rw, "boss")
        form = _form(rw.get("/admin/users").text, "user-form")
        assert form is not None
        options = re.findall(r'<option value="(\w+)"( selected)?>', form)
        # the least privilege first and chosen: an admin is made on purpose, not by leaving the default
        assert options == [("enterprise", " selected"), ("analyst", ""), ("admin", "")]


def test_refusals_of_pages_are_the_sites_error_page(client: TestClient) -> None:
    """A page a browser asks for and the policy refuses answers with the site's error page in the user's
    language (navigation, title, the reason, a way on), not a bare line of text."""
    html = {"Accept": "text/html"}
    form = {"csrf_token": _token(client), "indicator": "copyright_registrations", "year": "2024", "value": "1",
            "source_document": "x"}
    # the form's page: where logging in leads back to
    r = client.post("/cockpit/reported", data=form, headers={**html, "Referer": "http://testserver/cockpit?year=2024"})
    assert r.status_code == 401 and '<header class="top">' in r.text and "<h1>需要登录</h1>" in r.text
    assert re.search(r'id="error-message">填报指标数据需要分析员或管理员权限：请先以', r.text)
    assert re.search(r'<a [^>]*id="error-login" href="/login\?next=/cockpit"', r.text)
    assert client.post("/cockpit/reported", data=form).json()["error"]  # a script still gets JSON
    login(client, "ana")
    r = client.get("/admin/users", headers=html)
    assert r.status_code == 403 and '<header class="top">' in r.text and "<h1>无权访问</h1>" in r.text
    assert "管理页面仅限管理员" in r.text and 'id="user-name"' in r.text
    r = client.post("/cockpit/reported", data={**form, "csrf_token": "forged"}, headers=html)
    assert r.status_code == 403 and "<h1>无权访问</h1>" in r.text and "安全令牌无效" in r.text
    client.post("/logout", data={"csrf_token": client.get("/api/me").json()["csrf_token"]})
    en = client.post("/cockpit/reported?lang=en", data={**form, "csrf_token": _token(client)}, headers=html)
    assert en.status_code == 401 and '<html lang="en">' in en.text and "<h1>Sign-in required</h1>" in en.text


def test_the_audit_log_records_each_write_with_its_user(client: TestClient) -> None:
    token = login(client, "ana")
    client.post("/api/cockpit/reported", json={**REPORT, "year": 2021}, headers={"X-CSRF-Token": token})
    client.post("/logout", data={"csrf_token": token})
    client.post("/login", data={"username": "ana", "password": "nope-nope", "csrf_token": _token(client)})
    client.cookies.clear()
    client.post("/api/cockpit/reported", json=REPORT)  # public: refused, still audited
    login(client, "boss")
    log = client.get("/api/audit", params={"limit": 6}).json()["audit"]
    got = [(e["user_name"], e["role"], e["action"], e["outcome"], e["status"]) for e in reversed(log)]
    assert got == [
        ("ana", "analyst", "POST /login", "ok", 303),
        ("ana", "analyst", "POST /api/cockpit/reported", "ok", 201),
        ("ana", "analyst", "POST /logout", "ok", 303),
        (None, "public", "POST /login", "login_failed", 401),
        (None, "public", "POST /api/cockpit/reported", "unauthenticated", 401),
        ("boss", "admin", "POST /login", "ok", 303),
    ]
    by_action = {(e["action"], e["outcome"]): e for e in log}
    assert by_action[("POST /login", "login_failed")]["target"] == "user:ana"
    assert '"year": 2021' in by_action[("POST /api/cockpit/reported", "ok")]["detail"]
    assert all("nope-nope" not in (e["detail"] or "") for e in log)
    csv = client.get("/api/audit", params={"format": "csv", "user": "boss"})
    header = csv.text.splitlines()[0].lstrip("\ufeff")
    assert csv.status_code == 200 and header.startswith("编号,时间,用户,角色,操作,对象"), header


def test_sessions_survive_a_restart_of_a_read_only_server(store: Path) -> None:
    """The signing secret lives in the store: a cookie from one server is good on the next one."""
    with TestClient(create_app(Settings(db=str(store)))) as first:  # read-only, as `ipcockpit serve`
        login(first, "acme")
        cookie = first.cookies[COOKIE]
        assert first.get("/api/portfolios").status_code == 200
    with TestClient(create_app(Settings(db=str(store)))) as second:
        second.cookies.set(COOKIE, cookie)
        assert second.get("/api/me").json()["user"] == "acme"
        token = second.get("/api/me").json()["csrf_token"]
        r = second.post("/api/portfolios", json={"name": "x", "numbers": ["US5269177"]},
                        headers={"X-CSRF-Token": token})
        assert r.status_code == 403 and "read-only" in r.json()["error"]
    with Cockpit(db=store, read_only=True) as c:
        secrets_kept = c.store.query("SELECT name FROM auth_secrets")
    assert secrets_kept == [{"name": "session"}]
