"""Bad requests answer 4xx with a message in the caller's language that names what was wrong, never 500:
an unknown value-index profile, CSV uploads the csv module cannot read (a field over its 131,072-character
limit, bare CR line ends), upload file names that are no file names (``.``, ``..``). In-process against a
real DuckDB file of real shared data (the CN table dump, a USPTO weekly excerpt), signed in as an admin.

tests/test_api_schemathesis.py runs every operation of the OpenAPI document; each 5xx it found has its
regression test here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ipcockpit import i18n
from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

FILES = ["cn/table_export_sample", "uspto_xml/weekly_excerpts/ipg080101.small.xml",
         "classification/cnipa_sei2021_ipc_concordance.json"]
ADMIN = ("boss", "admin", "admin-pass-1")
CN_GRANT = "CN115883397B"  # the dump's invention grant (screened)
US_GRANT = "US7315680B1"  # a grant of the weekly excerpt
CSV_LIMIT = 131_072  # Python csv's default field_size_limit
HEADER = "region,indicator,year,value,source,reported_by\n"
GOOD_ROW = "500120,copyright_registrations,2022,999,公报,区局\n"


def build_store(folder: Path, shared: Path, *, index: bool = False) -> Path:
    """The real files above, the plan's baselines and an admin; with ``index`` the search indexes too."""
    path = folder / "errors.duckdb"
    with Cockpit(db=path) as c:
        reports = c.ingest([shared / f for f in FILES])
        c.load_plan_baselines()
        c.add_user(*ADMIN, created_by="pytest")
        if index:
            c.index()
    assert [r.error for r in reports] == [None] * len(FILES)
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    return build_store(tmp_path_factory.mktemp("web_errors"), shared)


def sign_in(client: TestClient, name: str = ADMIN[0], password: str = ADMIN[2]) -> str:
    """Log in by the JSON route (a script's way); the session's CSRF token, also set as the client's header."""
    r = client.post("/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    token = str(r.json()["csrf_token"])
    client.headers["X-CSRF-Token"] = token
    return token


@pytest.fixture
def admin(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)), read_only=False)) as c:
        sign_in(c)
        yield c


@pytest.fixture
def public(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)), read_only=True)) as c:
        yield c


def error_text(r: Any) -> str:
    """The message of an error answer: the JSON ``error``, or the text of an HTML page."""
    if r.headers["content-type"].startswith("application/json"):
        return str(r.json()["error"])
    return html.unescape(re.sub(r"<[^>]+>", " ", r.text))


def catalogue(lang: str, key: str, **values: Any) -> str:
    return str(i18n.Translator(lang)(key, **values))


# unknown profile ----------------------------------------------------------------------------------
PROFILE_URLS = ["/api/screen", "/api/screen.json", "/api/screen.csv", "/api/screen.xlsx", "/screen", "/screen.json",
                "/screen.csv", "/screen.xlsx", f"/api/patent/{CN_GRANT}", f"/patent/{CN_GRANT}",
                f"/patent/{US_GRANT}.csv"]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("extra", [{}, {"year_from": "2100"}, {"numbers": "XX0000001"}], ids=["all", "none", "absent"])
def test_an_unknown_profile_is_400_naming_it_and_the_choices(public: TestClient, lang: str,
                                                             extra: dict[str, str]) -> None:
    """Before: 400 with the profiles file's English text where rows were screened, and a silent 200 (the
    unknown profile shown as chosen) where the filters matched nothing."""
    want = catalogue(lang, "screen.error_profile", profile="bogus-profile",
                     choices="government_statistics, enterprise_ip_manager, lender_pledge_financing, "
                             "technology_transfer")
    for url in PROFILE_URLS:
        if "patent" in url and extra:
            continue
        r = public.get(url, params={"profile": "bogus-profile", "lang": lang, **extra})
        assert r.status_code == 400, (url, r.status_code)
        assert want in error_text(r), (url, error_text(r)[:300])


def test_an_unknown_profile_in_a_posted_portfolio_is_400(admin: TestClient) -> None:
    r = admin.post("/api/screen", params={"profile": "nope", "lang": "en"}, json=[CN_GRANT])
    assert r.status_code == 400 and "profile=nope" in r.json()["error"]
    r = admin.post("/screen", data={"numbers": CN_GRANT, "profile": "nope", "format": "json"})
    assert r.status_code == 400 and "nope" in r.json()["error"]


@pytest.mark.slow  # screens (the value index: seconds)
def test_a_known_profile_still_screens(public: TestClient) -> None:
    r = public.get("/api/screen", params={"profile": "technology_transfer", "limit": 0})
    assert r.status_code == 200 and r.json()["filters"]["profile"] == "technology_transfer"
    r = public.get(f"/api/patent/{CN_GRANT}", params={"profile": "technology_transfer"})
    assert r.status_code == 200 and r.json()["profile"]["name"] == "technology_transfer"


# CSV uploads the csv module cannot read ----------------------------------------------------------
LONG = "x" * (CSV_LIMIT + 10)


def test_reported_csv_api_with_a_field_over_the_csv_limit_is_400_naming_the_line(admin: TestClient) -> None:
    """Before: 500 (csv.Error 'field larger than field limit (131072)')."""
    content = (HEADER + GOOD_ROW + f"500120,copyright_registrations,2023,1,{LONG},区局\n").encode()
    for lang in ("zh-CN", "en"):
        r = admin.post("/api/cockpit/reported/csv", params={"lang": lang},
                       files={"file": ("long.csv", content, "text/csv")})
        assert r.status_code == 400, r.text[:300]
        assert r.json()["error"] == catalogue(lang, "cockpit.error_csv_field", file="long.csv", line=3,
                                              limit=f"{CSV_LIMIT:,}")


def test_reported_csv_form_with_an_unclosed_quote_is_400_naming_the_line(admin: TestClient) -> None:
    """An unclosed quote swallows the rest of the file into one field: the line where that row starts."""
    content = (HEADER + GOOD_ROW + '500120,copyright_registrations,2023,1,"unclosed,区局\n'
               + (GOOD_ROW * 8000)).encode()
    r = admin.post("/cockpit/reported/csv", params={"lang": "en"}, files={"file": ("quote.csv", content)},
                   follow_redirects=False)
    assert r.status_code == 400
    want = catalogue("en", "cockpit.error_csv_field", file="quote.csv", line=3, limit=f"{CSV_LIMIT:,}")
    assert want in error_text(r)


def test_portfolio_upload_with_a_field_over_the_csv_limit_is_400_naming_the_line(admin: TestClient) -> None:
    """Before: 500 (csv.Error in the portfolio's table reader)."""
    content = f"公开号,名称\n{CN_GRANT},无人机\n{US_GRANT},{LONG}\n".encode()
    for lang in ("zh-CN", "en"):
        r = admin.post("/screen", params={"lang": lang}, data={"format": "json"},
                       files={"file": ("portfolio.csv", content, "text/csv")})
        assert r.status_code == 400, r.text[:300]
        assert r.json()["error"] == catalogue(lang, "screen.error_csv_field", file="portfolio.csv", line=3,
                                              limit=f"{CSV_LIMIT:,}")
    r = admin.post("/screen", params={"lang": "en"}, files={"file": ("portfolio.csv", content, "text/csv")})
    assert r.status_code == 400 and "portfolio.csv, line 3" in error_text(r)


@pytest.mark.slow  # screens (the value index: seconds)
def test_portfolio_csv_with_bare_cr_line_ends_is_read(admin: TestClient) -> None:
    """A CSV saved with old Mac line ends (CR only). Before: 500 (csv.Error 'new-line character seen in
    unquoted field')."""
    content = f"公开号,名称\r{CN_GRANT},无人机\r{US_GRANT},Sole\r".encode()
    r = admin.post("/screen", data={"format": "json"}, files={"file": ("mac.csv", content, "text/csv")})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["filters"]["numbers"] == [CN_GRANT, US_GRANT]


# upload file names ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [".", "..", "a\x00b.csv", "x" * 300 + ".csv"], ids=["dot", "dotdot", "nul", "long"])
@pytest.mark.parametrize("route", ["/api/cockpit/reported/csv", "/cockpit/reported/csv"])
def test_an_upload_named_dot_or_dotdot_is_400(admin: TestClient, route: str, name: str) -> None:
    """Before: 500 (IsADirectoryError writing the upload to the temporary folder itself or its parent; a NUL
    byte or a name over 255 bytes failed the same way)."""
    for lang in ("zh-CN", "en"):
        body, headers = multipart(name, (HEADER + GOOD_ROW).encode())
        r = admin.post(route, params={"lang": lang}, content=body, headers=headers, follow_redirects=False)
        assert r.status_code == 400, (r.status_code, r.text[:300])
        shown = name.replace("\x00", "")
        shown = shown if len(shown) <= 60 else shown[:60] + "…"
        assert catalogue(lang, "cockpit.error_file_name", file=shown) in error_text(r)


def test_an_upload_with_a_usable_name_is_imported(admin: TestClient) -> None:
    """A path is cut to its last part, as before."""
    row = "500120,copyright_registrations,2021,777,公报,区局\n"
    r = admin.post("/api/cockpit/reported/csv", files={"file": ("../../报表 2021.csv", (HEADER + row).encode())})
    assert r.status_code == 201, r.text[:300]
    assert [(x["value"], x["origin_ref"]) for x in r.json()["reported"]] == [(777, "报表 2021.csv:2")]


def multipart(name: str, content: bytes) -> tuple[bytes, dict[str, str]]:
    """A multipart body whose file part is named ``name`` byte for byte (httpx would escape a NUL as %00)."""
    boundary = "----ipcockpit-test-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


# found by schemathesis (tests/test_api_schemathesis.py) --------------------------------------------
BROKEN = b"--b0undary\r\n[]--b0undary--\r\n"  # a part with no headers: python-multipart cannot parse it
BROKEN_TYPE = {"content-type": "multipart/form-data; boundary=b0undary"}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_multipart_body_that_cannot_be_parsed_is_400(store: Path, admin: TestClient, lang: str) -> None:
    """Anonymous (the CSRF check reads the form for its token) and signed in (the route reads it). Before:
    500 from the access middleware (starlette's HTTPException raised outside the app's error handlers), and
    starlette's English detail where the route read it."""
    want = catalogue(lang, "error.bad_body", detail="Invalid multipart data.")
    with TestClient(create_app(Settings(db=str(store)), read_only=False)) as anonymous:
        r = anonymous.post("/screen", params={"lang": lang}, content=BROKEN, headers=BROKEN_TYPE)
        assert r.status_code == 400 and want in error_text(r), (r.status_code, error_text(r)[:300])
    for route in ("/screen", "/api/cockpit/reported/csv", "/cockpit/reported/csv", "/fto"):
        r = admin.post(route, params={"lang": lang}, content=BROKEN, headers=BROKEN_TYPE)
        assert r.status_code == 400 and want in error_text(r), (route, r.status_code, error_text(r)[:300])


def test_an_unknown_path_or_method_is_named_in_the_callers_language(public: TestClient, admin: TestClient) -> None:
    """Before: starlette's English 'Not Found' and 'Method Not Allowed'. (A write without a CSRF token is
    refused before the path is looked up: the method test signs in.)"""
    r = public.get("/api/nothing-here", params={"lang": "en"})
    assert r.status_code == 404
    assert r.json()["error"] == catalogue("en", "error.no_path", path="/api/nothing-here")
    r = admin.delete("/api/me")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    assert r.json()["error"] == catalogue("zh-CN", "error.method", path="/api/me", method="DELETE", allowed="GET")


def test_data_page_limit_over_its_most_is_400(admin: TestClient) -> None:
    """GET /data?limit=10001 signed in (the source files' list is shown to analysts and admins). Before: 500
    (ValueError of the data function: the parameter model had no upper bound)."""
    for url in ("/api/data", "/data"):
        r = admin.get(url, params={"limit": 10_001, "lang": "en"})
        assert r.status_code == 400, (url, r.status_code)
        assert "limit='10001': give a number at most 10000" in error_text(r)
    assert admin.get("/api/data", params={"limit": 200}).status_code == 200


@pytest.mark.parametrize("route", ["/api/screen", "/api/cockpit/reported", "/api/fto", "/api/portfolios",
                                   "/api/cockpit/publish", "/api/users"])
def test_json_nested_deeper_than_the_parser_goes_is_400(admin: TestClient, route: str) -> None:
    """100,000 nested lists. Before: 500 (RecursionError out of the JSON parser: the screening and reporting
    routes caught ValueError only)."""
    deep = b"[" * 100_000 + b"]" * 100_000
    r = admin.post(route, params={"lang": "en"}, content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert r.json()["error"]


# JSON bodies that are not an object -------------------------------------------------------------------
JSON_ROUTES = ["/api/watch/lists", "/api/credit/records", "/api/credit/links", "/api/signals/case/x/status",
               "/api/navigation/build", "/api/navigation/nev/tree"]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"'], ids=["not_json", "list", "string"])
def test_a_json_route_given_no_object_is_400_saying_so(admin: TestClient, body: bytes) -> None:
    """Every JSON write route reads its body through one function (ipcockpit.web.bodies.json_object)."""
    for url in JSON_ROUTES:
        r = admin.post(url, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (url, r.status_code, r.text[:200])
        assert "the body must be a JSON object" in error_text(r), (url, error_text(r)[:200])
