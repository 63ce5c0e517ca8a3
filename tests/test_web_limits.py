"""Applicant filters in a search and a screening, in-process against a real DuckDB file: the Lens.org pizza
export (1,000 families: 292 invention grants; its applicant names hold ``_`` where the export lost a
character, ``WIÅ_NIEWSKA STEFANIA ...``) and the USPTO weekly excerpt ipg080101 (25 grants with their
claims), its search and FTO claim indexes built, and one analyst account. A filter matches the characters
given: ``%`` and ``_`` are not LIKE wildcards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

PIZZA = "lens/pizza_lens_1000_raw.csv"
CLAIMS = "uspto_xml/weekly_excerpts/ipg080101.small.xml"  # 25 US grants with their claims: the FTO claim index
ANALYST = ("ana", "analyst", "limits-test-password")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    path = tmp_path_factory.mktemp("limits") / "limits.duckdb"
    with Cockpit(db=path) as c:
        reports = c.ingest([shared / PIZZA, shared / CLAIMS])
        assert [(r.error, r.loaded) for r in reports] == [(None, 1000), (None, 25)]
        c.add_user(*ANALYST, created_by="pytest")
        c.index()
    return path


def app_client(store: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(db=str(store), **settings), read_only=False))


@pytest.fixture
def client(store: Path) -> Iterator[TestClient]:
    """The app with the default limits. One app at a time: DuckDB lets a process open a file once."""
    with app_client(store) as c:
        c.get("/api/search", params={"q": "pizza"})  # the models loaded: later timings compare like with like
        yield c


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
