"""The limits on one request (docs/operations.md, "Query and result limits"), in-process against a real
DuckDB file: the Lens.org pizza export (1,000 families: 292 invention grants; its applicant names hold
``_`` where the export lost a character, ``WIÅ_NIEWSKA STEFANIA ...``) and the USPTO weekly excerpt
ipg080101 (25 grants with their claims), its search and FTO claim indexes built, and one analyst account.

Each request the issue found stalling the server (a 60,000-character search query, 100,000 numbers to
screen or keep as a portfolio) is refused with a 4xx that names the limit, in the caller's language, and
comes back faster than a normal request of the same kind: the refusal is made before any work. Each limit
is a setting: lowered, it refuses less; raised, it lets a Python user through.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from shared_stores import built_once, copy_store

from ipcockpit import i18n
from ipcockpit.app import Cockpit
from ipcockpit.errors import IPCockpitError
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

PIZZA = "lens/pizza_lens_1000_raw.csv"
CLAIMS = "uspto_xml/weekly_excerpts/ipg080101.small.xml"  # 25 US grants with their claims: the FTO claim index
ANALYST = ("ana", "analyst", "limits-test-password")
LONG_QUERY = ("pizza oven with a rotating stone " * 1_875).strip()  # 61,874 characters: the 60,000 and more
MANY = [f"CN{100_000_000 + i}A" for i in range(100_000)]  # the 100,000 numbers (1.4 MB of JSON)
#: more numbers than max_numbers in a body under the body limit (1 MB): the numbers limit answers, not the body's
OVER = MANY[:20_000]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """A copy of the store :func:`build_store` makes, built once for the run (tests/shared_stores.py); this
    module and tests/test_web_headers.py each get their own."""
    return copy_store(built_once("limits", tmp_path_factory, lambda folder: build_store(folder, shared)),
                      tmp_path_factory.mktemp("limits"))


def build_store(folder: Path, shared: Path) -> Path:
    path = folder / "limits.duckdb"
    with Cockpit(db=path) as c:
        reports = c.ingest([shared / PIZZA, shared / CLAIMS])
        assert [(r.error, r.loaded) for r in reports] == [(None, 1000), (None, 25)]
        c.add_user(*ANALYST, created_by="pytest")
        c.index()
    return path


@pytest.fixture(scope="module")
def grants(store: Path) -> list[str]:
    """Ten invention grants of the store, in number order."""
    with Cockpit(db=store, read_only=True) as c:
        return [r[0] for r in c.store.con.execute(
            "SELECT doc_id FROM documents WHERE doc_type = 'invention' AND stage = 'grant' ORDER BY doc_id "
            "LIMIT 10").fetchall()]


@pytest.fixture(scope="module")
def claim(shared: Path) -> str:
    """The longest first claim (主权项) of the CNKI export: 3,706 characters of a real Chinese claim."""
    with (shared / "cn/cnki_export_sysu/Patent.csv").open(encoding="utf-8-sig", newline="") as fh:
        return max((row["Claims-主权项"] for row in csv.DictReader(fh)), key=len)


def app_client(store: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(db=str(store), **settings), read_only=False))


@pytest.fixture
def client(store: Path) -> Iterator[TestClient]:
    """The app with the default limits. One app at a time: DuckDB lets a process open a file once."""
    with app_client(store) as c:
        c.get("/api/search", params={"q": "pizza"})  # the models loaded: later timings compare like with like
        yield c


def login(client: TestClient) -> str:
    """Sign in as the analyst; the session's CSRF token."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": ANALYST[0], "password": ANALYST[2], "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(client.get("/api/me").json()["csrf_token"])


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    r = call()
    return r, time.perf_counter() - start


def error(r: httpx.Response) -> str:
    assert r.headers["content-type"].startswith("application/json"), r.text[:300]
    return str(r.json()["error"])


# the requests of the issue --------------------------------------------------------------------------
@pytest.mark.slow
def test_a_60000_character_search_is_refused_at_once(client: TestClient) -> None:
    ok, normal = timed(lambda: client.get("/api/search", params={"q": "pizza oven with a rotating stone"}))
    assert ok.status_code == 200 and ok.json()["count"] > 0
    r, refused = timed(lambda: client.get("/api/search", params={"q": LONG_QUERY}))
    assert r.status_code == 400
    assert "61,874" in error(r) and "5,000" in error(r)
    assert refused < normal, (refused, normal)
    en = client.get("/api/search", params={"q": LONG_QUERY, "lang": "en"})
    assert error(en) == i18n.Translator("en")("limit.query_chars", count="61,874", most="5,000")
    assert error(client.get("/api/search", params={"q": LONG_QUERY, "lang": "zh-CN"})) == i18n.Translator(
        "zh-CN")("limit.query_chars", count="61,874", most="5,000")
    page = client.get("/search", params={"q": LONG_QUERY, "lang": "en"})  # the page says it as a page
    assert page.status_code == 400 and "61,874" in page.text and "text/html" in page.headers["content-type"]


@pytest.mark.slow
def test_a_claim_of_a_few_thousand_characters_still_searches(client: TestClient, claim: str) -> None:
    assert len(claim) == 3706
    for mode in ("lexical", "hybrid"):
        r = client.get("/api/search", params={"q": claim, "mode": mode})
        assert r.status_code == 200, r.text[:300]


@pytest.mark.slow
def test_100000_numbers_to_screen_are_refused_at_once(client: TestClient, grants: list[str]) -> None:
    ok, normal = timed(lambda: client.post("/api/screen", json=grants))
    assert ok.status_code == 200 and ok.json()["total"] == 10
    r, refused = timed(lambda: client.post("/api/screen", json={"numbers": MANY}))
    assert r.status_code == 413  # the body limit answers first: the body is not read
    assert refused < normal, (refused, normal)
    r, refused = timed(lambda: client.post("/api/screen", json={"numbers": OVER}))
    assert r.status_code == 400
    assert error(r) == i18n.Translator("zh-CN")("screen.error_too_many", count="20,000", most="10,000")
    assert refused < normal, (refused, normal)
    en = client.post("/api/screen", params={"lang": "en"}, json=OVER)
    assert error(en) == "20,000 numbers: screen at most 10,000 at a time, in several batches."


@pytest.mark.slow
def test_100000_numbers_to_keep_as_a_portfolio_are_refused_at_once(store: Path, grants: list[str]) -> None:
    with app_client(store) as client:
        token = login(client)
        ok, normal = timed(lambda: client.post("/api/portfolios", json={"name": "ten", "numbers": grants},
                                               headers={"X-CSRF-Token": token}))
        assert ok.status_code == 201, ok.text
        r, refused = timed(lambda: client.post("/api/portfolios", json={"name": "all", "numbers": MANY},
                                               headers={"X-CSRF-Token": token}))
        assert r.status_code == 413  # the body limit answers first
        assert refused < normal, (refused, normal)
        r, refused = timed(lambda: client.post("/api/portfolios", json={"name": "all", "numbers": OVER},
                                               headers={"X-CSRF-Token": token}))
        assert r.status_code == 400
        assert "20,000" in error(r) and "10,000" in error(r)
        assert refused < normal, (refused, normal)
        assert [p["name"] for p in client.get("/api/portfolios").json()["portfolios"]] == ["ten"]


def test_the_portfolio_form_holds_the_same_limit(store: Path, grants: list[str]) -> None:
    with app_client(store, max_numbers=5) as client:
        token = re.search(r'id="portfolio-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
                          client.get("/screen").text).group(1)
        r = client.post("/screen", data={"numbers": "\n".join(grants[:6]), "format": "json", "csrf_token": token})
        assert r.status_code == 400 and "6" in error(r) and "5" in error(r)
        r = client.post("/screen", data={"numbers": "\n".join(grants[:5]), "format": "json", "csrf_token": token})
        assert r.status_code == 200 and r.json()["total"] == 5


# each limit is a setting --------------------------------------------------------------------------------
def test_limits_are_settings_the_web_app_reads(store: Path, grants: list[str]) -> None:
    with app_client(store, max_query_chars=20, max_numbers=3, max_name_chars=10, max_rows=5,
                    max_results=4) as client:
        assert client.get("/api/search", params={"q": "p" * 20, "mode": "lexical", "limit": 4}).status_code == 200
        r = client.get("/api/search", params={"q": "p" * 21, "mode": "lexical", "limit": 4, "lang": "en"})
        assert r.status_code == 400 and error(r) == i18n.Translator("en")("limit.query_chars", count="21", most="20")
        assert client.post("/api/screen", json=grants[:3]).status_code == 200
        assert client.post("/api/screen", json=grants[:4]).status_code == 400
        # an applicant filter, in the search, the screening and the applicant page
        for url, params in (("/api/search", {"q": "pizza", "applicant": "x" * 11, "limit": 4}),
                            ("/api/screen", {"applicant": "x" * 11}), ("/api/applicant/" + "x" * 11, {})):
            r = client.get(url, params={**params, "lang": "en"})
            assert r.status_code == 400, url
            assert error(r) == i18n.Translator("en")("limit.name_chars", count="11", most="10")
        assert client.get("/api/screen", params={"applicant": "x" * 10}).status_code == 200
        # rows: a page and its JSON list at most max_rows, ranked results at most max_results; a default
        # limit above a setting (the screening's 50) is lowered to it: the request named no number
        assert client.get("/api/screen", params={"limit": 5}).json()["count"] == 5
        assert client.get("/api/screen").json()["count"] == 5
        for url, params in (("/api/screen", {"limit": 6}), ("/api/data", {"limit": 6}),
                            ("/api/search", {"q": "pizza", "limit": 5})):
            r = client.get(url, params={**params, "lang": "en"})
            assert r.status_code == 400, url
            most = "4" if url == "/api/search" else "5"
            assert error(r) == i18n.Translator("en")("limit.rows", limit=params["limit"], most=most), url
        assert client.get("/api/search", params={"q": "pizza", "limit": 4}).status_code == 200


def test_all_rows_are_refused_beyond_max_rows_never_cut(store: Path) -> None:
    with app_client(store, max_rows=5, max_download_rows=7) as client:
        r = client.get("/api/screen", params={"limit": 0, "lang": "en"})
        assert r.status_code == 400
        # 310 invention grants: 292 of the pizza export, 18 of the weekly excerpt
        assert error(r) == i18n.Translator("en")("limit.all_rows", total="310", most="5", download="7")
        csv_text = client.get("/screen.csv").content.decode("utf-8-sig")
        assert len(csv_text.strip().splitlines()) == 1 + 7  # a download holds the first max_download_rows ...
        # ... and says so in its name
        assert 'filename="screen-first-7-of-310-patents.csv"' in client.get("/screen.csv").headers[
            "content-disposition"]
        # a download's own rows (limit) are held to max_download_rows, a page's to max_rows
        assert client.get("/api/data", params={"limit": 7, "format": "csv"}).status_code == 200
        r = client.get("/api/data", params={"limit": 8, "format": "csv", "lang": "en"})
        assert r.status_code == 400 and error(r) == i18n.Translator("en")("limit.download_rows", limit=8, most="7")


def test_a_longer_fto_description_than_the_setting_is_refused(store: Path) -> None:
    with app_client(store, max_description_chars=100) as client:
        token = login(client)
        head = {"X-CSRF-Token": token}
        ok = client.post("/api/fto", json={"text": "A pizza oven with a rotating stone. " * 2}, headers=head)
        assert ok.status_code == 200, ok.text[:300]
        text = ("A pizza oven with a rotating stone. " * 3).strip()  # 107 characters
        r = client.post("/api/fto", params={"lang": "en"}, json={"text": text}, headers=head)
        assert r.status_code == 400
        assert error(r) == i18n.Translator("en")("limit.description_chars", count="107", most="100")
        form = client.post("/fto", data={"text": text, "csrf_token": token})  # the form again, with the message
        assert form.status_code == 400 and "107" in form.text and "100" in form.text
        r = client.post("/api/fto", json={"text": "pizza", "exclude_applicants": ["x" * 201]}, headers=head)
        assert r.status_code == 400 and "201" in error(r)


def test_the_python_api_holds_the_limits_a_python_user_may_raise(store: Path, grants: list[str]) -> None:
    with Cockpit(Settings(db=str(store)), read_only=True) as c:
        with pytest.raises(IPCockpitError) as raised:
            c.search_page(LONG_QUERY)
        assert "61,874" in str(raised.value) and "max_query_chars" in str(raised.value)
        with pytest.raises(IPCockpitError):
            c.screen(doc_ids=MANY)
        with pytest.raises(IPCockpitError):
            c.fto("x" * 20_001)
        with pytest.raises(IPCockpitError):
            c.screen(applicant="x" * 201)
    with Cockpit(Settings(db=str(store), max_query_chars=70_000, max_numbers=100_000), read_only=True) as c:
        assert c.search_page(LONG_QUERY, mode="lexical")["query"] == LONG_QUERY
        assert len(c.screen(doc_ids=[*grants, *MANY[:20]], limit=0)) == 30


def test_the_cli_says_the_limit(store: Path) -> None:
    from typer.testing import CliRunner

    from ipcockpit.cli import app as cli

    r = CliRunner().invoke(cli, ["search", "--db", str(store), "x" * 5_001])
    assert r.exit_code != 0
    assert "5,001" in r.output and "5,000" in r.output and "Traceback" not in r.output


# applicant filters match their characters, not LIKE wildcards ------------------------------------------
@pytest.fixture(scope="module")
def parties(store: Path) -> list[tuple[str, str, str | None, str | None]]:
    """(document, written name, type, stage) of every applicant-like party of the store."""
    with Cockpit(db=store, read_only=True) as c:
        return c.store.con.execute(
            "SELECT p.doc_id, p.name_raw, d.doc_type, d.stage FROM parties p JOIN documents d USING (doc_id) "
            "WHERE p.role IN ('applicant', 'patentee', 'assignee', 'current_owner')").fetchall()


@pytest.mark.parametrize("part", ["_", "%", "Å_NIEWSKA", "__"])
def test_applicant_filters_take_percent_and_underscore_literally(
        parties: list[tuple[str, str, str | None, str | None]], client: TestClient, part: str) -> None:
    holding = [(d, t, s) for d, name, t, s in parties if part in (name or "")]  # Python's `in`: literal
    expected = {"all": {d for d, _, _ in holding},
                "grants": {d for d, t, s in holding if t == "invention" and s == "grant"}}
    if part in ("_", "Å_NIEWSKA", "__"):
        assert expected["all"], "the export has names with an underscore"
    screened = client.get("/api/screen", params={"applicant": part, "limit": 0}).json()
    assert {r["publication_number"] for r in screened["patents"]} == expected["grants"]
    found = client.get("/api/search", params={"q": "pizza", "applicant": part, "weaker": 1, "limit": 200,
                                              "mode": "lexical"}).json()
    assert {r["doc_id"] for r in found["results"]} <= expected["all"]
    if part == "Å_NIEWSKA":
        assert [r["doc_id"] for r in found["results"]] == ["PL118260U1"]


def test_the_audit_log_filter_takes_percent_and_underscore_literally(tmp_path: Path) -> None:
    with Cockpit(db=tmp_path / "audit.duckdb") as c:
        for action in ("POST /login", "POST /api/portfolios", "GET /api/x_y"):
            assert c.audit("ana", "analyst", action, None, "ok", 200)
        assert [e["action"] for e in c.audit_log(action="_")] == ["GET /api/x_y"]
        assert c.audit_log(action="%") == []
        assert [e["action"] for e in c.audit_log(action="api/")] == ["GET /api/x_y", "POST /api/portfolios"]
