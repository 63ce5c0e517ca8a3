"""The cockpit through its interfaces: the CLI commands and the REST API, on a real DuckDB file."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

PLAN = Path(__file__).resolve().parents[1] / "ipcockpit/cockpit/regions/500120.yaml"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ipcockpit.cli", *args], capture_output=True, text=True)


@pytest.fixture
def db(tmp_path: Path, shared: Path) -> str:
    path = str(tmp_path / "cockpit.duckdb")
    with Cockpit(Settings(db=path)) as c:
        c.ingest([shared / "cn/table_export_sample", shared / "classification/cnipa_sei2021_ipc_concordance.json"])
    return path


@pytest.mark.slow
def test_cli_report_and_cockpit(db: str) -> None:
    plan = _cli("report", "--plan", "--db", db, "--json")
    assert plan.returncode == 0, plan.stderr
    rows = json.loads(plan.stdout)
    assert len(rows) == 9 and {r["source_document"] for r in rows} and all(r["year"] == 2020 for r in rows)
    one = _cli("report", "copyright_registrations", "402", "--year", "2023", "--source", "区版权局年报2023",
               "--by", "区知识产权局", "--db", db, "--json")
    assert one.returncode == 0, one.stderr
    out = _cli("cockpit", "--db", db, "--year", "2023", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    spec = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    assert [c["id"] for c in data["indicators"]] == [i["id"] for i in spec["indicators"]]
    cards = {c["id"]: c for c in data["indicators"]}
    assert cards["copyright_registrations"]["value"] == 402 and cards["copyright_registrations"]["source"] == "reported"
    assert cards["copyright_registrations"]["provenance"]
    assert cards["protection_satisfaction"]["baseline"] is None and cards["protection_satisfaction"]["target"] == 82
    bad = _cli("report", "copyright_registrations", "5", "--db", db)
    assert bad.returncode == 2 and "--source" in bad.stderr


ANALYST = ("ana", "analyst-password-1")


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with Cockpit(Settings(db=db)) as c:
        c.add_user(ANALYST[0], "analyst", ANALYST[1], created_by="test")
    with TestClient(create_app(Settings(db=db), read_only=False)) as c:
        yield c


def _login(client: TestClient) -> dict[str, str]:
    """Log in as the analyst (JSON); the headers a script sends with its writes."""
    anon = client.get("/api/me").json()["csrf_token"]
    r = client.post("/login", json={"username": ANALYST[0], "password": ANALYST[1]},
                    headers={"X-CSRF-Token": anon})
    assert r.status_code == 200, r.text
    return {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]}


def test_api_cockpit_and_reporting(client: TestClient) -> None:
    data = client.get("/api/cockpit", params={"region": "500120"}).json()
    assert data["region"]["code"] == "500120"
    keys = {"id", "name", "unit", "baseline", "target", "value", "year", "status", "source"}
    assert all(keys <= set(c) for c in data["indicators"]) and len(data["indicators"]) == 10
    report = {"region": "500120", "indicator": "ip_service_agencies", "year": 2024, "value": 33,
              "source": "璧山区知识产权服务机构名录（2024）", "reported_by": "analyst"}
    assert client.post("/api/cockpit/reported", json=report).status_code == 401  # public visitors cannot report
    headers = _login(client)
    posted = client.post("/api/cockpit/reported", json=report, headers=headers)
    assert posted.status_code == 201, posted.text
    cards = {c["id"]: c for c in client.get("/api/cockpit", params={"year": 2024}).json()["indicators"]}
    assert cards["ip_service_agencies"]["value"] == 33 and cards["ip_service_agencies"]["year"] == 2024
    listed = client.get("/api/cockpit/reported", params={"indicator": "ip_service_agencies"}).json()["reported"]
    assert listed[0]["reported_by"] == "analyst"
    csv = client.get("/api/cockpit", params={"format": "csv"})
    assert csv.status_code == 200 and "ip_service_agencies" in csv.text
    xlsx = client.get("/api/cockpit", params={"format": "xlsx", "year": 2024})  # Excel, not JSON by mistake
    # the page's download: the same tables, the same name as /cockpit?format=xlsx and /cockpit.xlsx
    assert xlsx.headers["content-disposition"] == 'attachment; filename="cockpit-500120-2024.xlsx"'
    assert client.get("/cockpit.xlsx", params={"year": 2024}).headers["content-disposition"] == \
        xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    rows = {r[0]: r for r in book["indicators"].iter_rows(values_only=True)}
    assert "ip_service_agencies" in rows
    book.close()
    bad = client.post("/api/cockpit/reported", json={"indicator": "no_such", "year": 2024, "value": 1},
                      headers=headers)
    assert bad.status_code == 400


def test_api_refuses_writes_on_a_read_only_store(db: str) -> None:
    with Cockpit(Settings(db=db)) as c:
        c.add_user(ANALYST[0], "analyst", ANALYST[1], created_by="test")
    with TestClient(create_app(Settings(db=db))) as client:
        r = client.post("/api/cockpit/reported", json={"indicator": "ip_service_agencies", "year": 2024, "value": 1,
                                                       "source": "x", "reported_by": "y"}, headers=_login(client))
        assert r.status_code == 403 and "read-only" in r.json()["error"]


def test_public_sees_published_figures_only(db: str) -> None:
    with Cockpit(Settings(db=db)) as c:
        c.add_user(ANALYST[0], "analyst", ANALYST[1], created_by="test")
        c.load_plan_baselines()
    app = create_app(Settings(db=db), read_only=False)
    with TestClient(app) as analyst, TestClient(app) as visitor:
        headers = _login(analyst)
        posted = analyst.post("/api/cockpit/reported", headers=headers, json={
            "indicator": "ip_service_agencies", "year": 2024, "value": 33, "source": "名录（2024）",
            "reported_by": "ana"}).json()["reported"][0]

        def card(client: TestClient) -> dict:
            cards = client.get("/api/cockpit", params={"year": 2024}).json()["indicators"]
            return {c["id"]: c for c in cards}["ip_service_agencies"]

        assert card(analyst)["value"] == 33
        assert card(visitor)["value"] == 21  # the plan's published baseline, not the draft
        listed = visitor.get("/api/cockpit/reported", params={"indicator": "ip_service_agencies"}).json()["reported"]
        assert posted["id"] not in {r["id"] for r in listed} and listed  # the plan's baseline stays visible
        r = analyst.post("/api/cockpit/publish", headers=headers, json={"ids": [posted["id"]], "published": True})
        assert r.status_code == 200, r.text
        assert card(visitor)["value"] == 33


def test_serve_writable_lets_an_analyst_report(db: str) -> None:
    import socket
    import time

    import httpx

    with Cockpit(Settings(db=db)) as c:
        c.add_user(ANALYST[0], "analyst", ANALYST[1], created_by="test")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "ipcockpit.cli", "serve", "--db", db, "--port", str(port),
                             "--writable"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as http:
            for _ in range(100):
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            anon = http.get("/api/me").json()["csrf_token"]
            assert http.post("/login", json={"username": ANALYST[0], "password": ANALYST[1]},
                             headers={"X-CSRF-Token": anon}).status_code == 200
            token = http.get("/api/me").json()["csrf_token"]
            r = http.post("/api/cockpit/reported", headers={"X-CSRF-Token": token}, json={
                "indicator": "ip_service_agencies", "year": 2024, "value": 30, "source": "名录", "reported_by": "ana"})
            assert r.status_code == 201, r.text
    finally:
        proc.terminate()
        proc.wait(timeout=20)
