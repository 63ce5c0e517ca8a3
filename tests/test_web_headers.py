"""Security headers and links (docs/operations.md, "Security headers and links"), in-process against the
store of tests/test_web_limits.py (the Lens.org pizza export, its indexes, one analyst).

Every response carries the Content-Security-Policy (the app's own origin only, no inline script), nosniff,
frame-ancestors 'none' with X-Frame-Options DENY, and a Referrer-Policy; every page keeps to the policy (no
inline script or ``<style>`` element, no event-handler attribute). Links are built from the setting
``base_url`` (empty: paths on this server), never from the Host header the request sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from test_web_limits import login, store

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

__all__ = ["store"]  # the fixture, found by pytest among this module's names
FORGED = "evil.example"
BASE = "https://ip.example.org/cockpit"


@pytest.fixture(scope="module")
def names(store: Path) -> dict[str, str]:
    """A patent number and an applicant of the store, for their pages."""
    with Cockpit(db=store, read_only=True) as c:
        doc, name = c.store.con.execute(
            "SELECT p.doc_id, p.name_raw FROM parties p JOIN documents d USING (doc_id) WHERE p.role = 'applicant' "
            "AND d.doc_type = 'invention' AND d.stage = 'grant' ORDER BY p.doc_id LIMIT 1").fetchone()
    return {"patent": doc, "applicant": name}


def pages(names: dict[str, str]) -> list[str]:
    return ["/", "/cockpit", "/cockpit?screen=big", "/cockpit/records?indicator=invention_patents_per_10k_pop",
            "/cockpit/reported", "/overview", "/screen", "/screen?limit=5", f"/patent/{names['patent']}",
            "/search", "/search?q=pizza+oven", f"/applicant/{quote(names['applicant'])}", "/applicant/nobody-at-all",
            "/data", "/login", "/docs", "/fto", "/data/quarantine", "/admin/users", "/nope"]


@pytest.fixture
def client(store: Path, names: dict[str, str]) -> Iterator[TestClient]:
    """One app at a time (DuckDB lets a process open a file once); ``names`` is read before it opens."""
    with TestClient(create_app(Settings(db=str(store)), read_only=False)) as c:
        yield c


def check_headers(headers: Any, where: str) -> None:
    csp = headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == ["'self'"], where
    assert directives.get("script-src") == ["'self'"], where  # no inline script, no eval
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert directives.get("object-src") == ["'none'"], where
    assert "'unsafe-inline'" not in directives.get("style-src", []), where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "same-origin", where


class Inline(HTMLParser):
    """What a page holds that the policy refuses: inline scripts, ``<style>`` elements, on* attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and not a.get("src") and a.get("type") != "application/json":
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> at line {self.getpos()[0]}")
        self.found += [f"{k}= on <{tag}>" for k in a if k.startswith("on")]
        self.links += [v for k, v in attrs if k in ("href", "src", "action") and v]


def parsed(html: str) -> Inline:
    p = Inline()
    p.feed(html)
    return p


def test_every_response_carries_the_security_headers(client: TestClient, names: dict[str, str]) -> None:
    for url in [*pages(names), "/static/app.css", "/favicon.ico", "/openapi.json", "/healthz", "/api/stats",
                "/api/screen?limit=-1", "/screen.csv?limit=3", "/api/nope"]:
        r = client.get(url, follow_redirects=False)
        check_headers(r.headers, f"GET {url} ({r.status_code})")
    r = client.post("/api/screen", json=["CN1"], headers={"Origin": "https://elsewhere.example"})
    check_headers(r.headers, f"cross-site POST ({r.status_code})")


def test_a_server_error_carries_them_too(store: Path) -> None:
    app = create_app(Settings(db=str(store)))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    check_headers(r.headers, "500")


def test_pages_keep_to_the_policy(client: TestClient, names: dict[str, str]) -> None:
    token = login(client)
    seen = []
    for url in pages(names):
        r = client.get(url)
        if "text/html" in r.headers.get("content-type", ""):
            assert parsed(r.text).found == [], url
            seen.append(url)
    assert len(seen) >= 18
    result = client.post("/fto", data={"text": "A pizza oven with a rotating stone and a heating element.",
                                       "csrf_token": token})
    assert result.status_code == 200 and 'class="fto-report"' in result.text
    assert parsed(result.text).found == [], "/fto with its embedded report"
    css = client.get("/fto/report.css")  # the report's rules, now a file of the app
    assert css.status_code == 200 and ".fto-report" in css.text and css.headers["content-type"].startswith("text/css")
    client.post("/logout", data={"csrf_token": token})


def test_the_standalone_fto_report_keeps_its_styles(store: Path) -> None:
    from ipcockpit.reports.fto import fto_html

    with Cockpit(db=store, read_only=True) as c:
        result = c.fto("A pizza oven with a rotating stone and a heating element.")
    page = fto_html(result, "en")
    assert re.search(r"<style>\s*\.fto-report \{", page)  # a downloaded file carries its rules inline


def test_a_forged_host_changes_no_link(client: TestClient, names: dict[str, str]) -> None:
    token = login(client)
    for url in [*pages(names), "/openapi.json", "/screen.csv?limit=3"]:
        r = client.get(url, headers={"Host": FORGED}, follow_redirects=False)
        assert FORGED not in r.text, f"{url}: {r.text[r.text.find(FORGED) - 200:][:300]}"
        assert not any(FORGED in v for v in r.headers.values()), url
        if "text/html" in r.headers.get("content-type", ""):
            assert all(not re.match(r"^[a-z]+://", link) for link in parsed(r.text).links), url  # paths only
    r = client.post("/cockpit/reported", data={"csrf_token": token}, headers={"Host": FORGED},
                    follow_redirects=False)
    assert FORGED not in r.text and FORGED not in r.headers.get("location", "")
    r = client.post("/fto", data={"text": "pizza oven", "csrf_token": token}, headers={"Host": FORGED})
    assert FORGED not in r.text
    client.post("/logout", data={"csrf_token": token})
    r = client.get("/fto", headers={"Host": FORGED, "Accept": "text/html"}, follow_redirects=False)  # to log in
    assert r.status_code in (302, 303, 307) and not r.headers["location"].startswith("http")


def test_links_follow_the_base_url_setting(store: Path, names: dict[str, str]) -> None:
    with TestClient(create_app(Settings(db=str(store), base_url=BASE + "/"))) as c:
        for url in ("/", "/screen", "/search?q=pizza", "/docs", "/overview"):
            r = c.get(url, headers={"Host": FORGED})
            assert FORGED not in r.text, url
            links = [x for x in parsed(r.text).links if not x.startswith(("?", "#"))]
            assert links and all(x.startswith(BASE + "/") for x in links), (url, links)
            assert f'href="{BASE}/static/app.css"' in r.text or url == "/docs"
        spec = c.get("/openapi.json", headers={"Host": FORGED}).json()
        assert spec["servers"] == [{"url": BASE}]
        docs = c.get("/docs").text
        assert f'"url": "{BASE}/openapi.json"' in docs
    assert json.dumps(spec).count(FORGED) == 0
