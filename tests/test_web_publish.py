"""Publishing reported values from the web page: the reported-values page (``/cockpit/reported``) lists the
reports with their provenance and publication; an analyst or admin of a writable server publishes or
withdraws one with its button (a form with the CSRF token), and public visitors then see the value on the
cockpit. Readers (public visitors, enterprise users) and everyone on a read-only server see no button."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web.auth import rule_for
from ipcockpit.web.server import create_app

PASSWORD = "publish-test-pass-1"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The plan's baselines, one unpublished report (IP service agencies 2024: 33), an analyst and an
    enterprise user."""
    path = tmp_path_factory.mktemp("publish") / "base.duckdb"
    with Cockpit(db=path) as c:
        c.load_plan_baselines()
        row = c.report_value("ip_service_agencies", 2024, 33, "璧山区知识产权服务机构名录（2024）", "区知识产权局")
        c.add_user("ana", "analyst", PASSWORD)
        c.add_user("acme", "enterprise", PASSWORD)
    return path, int(row["id"])


def _client(base: tuple[Path, int], tmp_path: Path, read_only: bool = False) -> TestClient:
    path = tmp_path / "store.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(base[0], path)
    return TestClient(create_app(Settings(db=str(path)), read_only=read_only))


@pytest.fixture
def client(base: tuple[Path, int], tmp_path: Path) -> Iterator[TestClient]:
    with _client(base, tmp_path) as c:
        yield c


def login(client: TestClient, name: str) -> None:
    token = client.get("/api/me").json()["csrf_token"]  # a client with a session cookie sends its token
    r = client.post("/login", json={"username": name, "password": PASSWORD}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text


def agencies_2024(client: TestClient) -> float | None:
    cards = client.get("/api/cockpit", params={"year": 2024}).json()["indicators"]
    card = {c["id"]: c for c in cards}["ip_service_agencies"]
    return card["value"] if card["year"] == 2024 else None


def test_an_analyst_publishes_with_the_page_button(client: TestClient, base: tuple[Path, int]) -> None:
    report_id = base[1]
    with TestClient(client.app) as visitor:
        assert agencies_2024(visitor) is None  # unpublished: the public sees the plan's baseline year only
        login(client, "ana")
        page = client.get("/cockpit/reported", params={"region": "500120"})
        assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
        html = page.text
        row = re.search(rf'<tr id="reported-{report_id}".*?</tr>', html, re.S)
        assert row, html
        assert "知识产权服务机构" in row.group(0) and "33" in row.group(0) and "未发布" in row.group(0)
        form = re.search(rf'<form[^>]*id="publish-{report_id}".*?</form>', html, re.S)
        assert form and re.search(r'action="[^"]*/cockpit/publish"', form.group(0)), html
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(0)).group(1)  # type: ignore[union-attr]
        assert '>发布<' in form.group(0)
        # the plan's baselines are published by definition: no button on their rows
        plan_row = re.search(r'<tr id="reported-(\d+)"[^>]*data-origin="plan".*?</tr>', html, re.S)
        assert plan_row and "<form" not in plan_row.group(0) and "已发布" in plan_row.group(0)
        r = client.post("/cockpit/publish", data={"csrf_token": token, "ids": str(report_id), "published": "true",
                                                   "region": "500120"}, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == f"/cockpit/reported?region=500120&published={report_id}"
        after = client.get(r.headers["location"]).text
        assert 'id="publish-saved"' in after
        done = re.search(rf'<tr id="reported-{report_id}".*?</tr>', after, re.S).group(0)  # type: ignore[union-attr]
        assert "已发布" in done and "ana" in done and ">撤回发布<" in done
        assert agencies_2024(visitor) == 33  # the public cockpit shows the published value
        # withdrawing is the same form with published=false
        r = client.post("/cockpit/publish", data={"csrf_token": token, "ids": str(report_id), "published": "false",
                                                   "region": "500120"}, follow_redirects=False)
        assert r.status_code == 303
        assert agencies_2024(visitor) is None
        audit = client.app.state.cockpit.call(lambda c: c.audit_log(action="POST /cockpit/publish"))
        assert [(a["user_name"], a["outcome"]) for a in audit] == [("ana", "ok"), ("ana", "ok")]


def test_readers_see_no_button(client: TestClient, base: tuple[Path, int], tmp_path: Path) -> None:
    anonymous = client.get("/cockpit/reported").text
    assert 'id="reported-table"' in anonymous and "<form" not in anonymous.split('id="reported-table"')[1]
    assert f'id="reported-{base[1]}"' not in anonymous  # unpublished: not shown to the public at all
    login(client, "acme")
    enterprise = client.get("/cockpit/reported").text
    assert "/cockpit/publish" not in enterprise
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    r = client.post("/cockpit/publish", data={"csrf_token": token, "ids": str(base[1]), "published": "true"})
    assert r.status_code == 403  # the policy: analysts and admins only
    assert rule_for("POST", "/cockpit/publish").roles == {"analyst", "admin"}  # type: ignore[union-attr]
    with _client(base, tmp_path / "ro", read_only=True) as read_only:
        login(read_only, "ana")
        html = read_only.get("/cockpit/reported").text
        assert f'id="reported-{base[1]}"' in html and "/cockpit/publish" not in html  # cannot work here


def test_the_cockpit_links_to_the_reported_values(client: TestClient) -> None:
    html = client.get("/cockpit", params={"region": "500120", "year": 2024}).text
    link = r'<a id="reported-link" href="[^"]*/cockpit/reported\?region=500120[^"]*">填报值与发布</a>'
    assert re.search(link, html), html
    english = client.get("/cockpit/reported", params={"lang": "en"}).text
    assert "Reported values" in english and "未发布" not in english
