"""End to end on the real gazette week: `ipcockpit ingest` of cn/gazette_2019 (the gazette ingester, the address
parser), then the region pages of Chongqing and its districts against the independent reading of the addresses
(tests/data/gazette_2019_chongqing_labels.csv, made by hand without ipcockpit: tests/test_addresses.py).

A labelled record counts for a district when the store kept its publication (rows whose fields the scraper mixed
up are quarantined by the ingester) and its labelled patentee is the document's first holder (the applicant
of an A publication, the patentee of a grant); the four
addresses naming two districts stop at the city (their reading is the reader's choice)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from shared_stores import copy_store, gazette_week
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from tests.test_addresses import KNOWN_EXCEPTIONS, LABELS, _rows

BISHAN = "500120"


@pytest.fixture(scope="module")
def store(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the week as ``Cockpit.ingest`` loaded it into a new store (tests/shared_stores.py)."""
    path, reports = gazette_week(tmp_path_factory, shared)
    assert [r.format for r in reports if r.format] == ["cn-gazette-csv"] * 6
    return copy_store(path, tmp_path_factory.mktemp("region_gazette"))


@pytest.fixture(scope="module")
def expected(store: Path) -> dict[str, set[str]]:
    """District code -> the publications the independent reading places there and the store attributes by
    the labelled patentee."""
    with Cockpit(db=store, read_only=True, create=False) as c:
        first = dict(c.store.con.execute(
            "SELECT doc_id, any_value(name_raw ORDER BY seq) FROM parties WHERE role IN ('applicant', 'patentee') "
            "GROUP BY doc_id").fetchall())
    out: dict[str, set[str]] = {}
    for r in _rows(LABELS):
        pn = r["publication_number"]
        if not r["code"] or pn in KNOWN_EXCEPTIONS or first.get(pn) != holder(r):
            continue
        out.setdefault(r["code"], set()).add(pn)
    return out


def holder(label: dict[str, str]) -> str:
    """The first holder of a labelled record (the source lists several separated by ``;``)."""
    return label["patentee"].split(";")[0].strip()


def page(store: Path, code: str) -> dict[str, Any]:
    with Cockpit(db=store, read_only=True, create=False) as c:
        data = c.region(code, limit=1000)
    assert data is not None
    return data


def test_bishan_is_the_independent_reading(store: Path, expected: dict[str, set[str]]) -> None:
    data = page(store, BISHAN)
    got = {d["doc_id"] for d in data["documents"]}
    assert got == expected[BISHAN] and len(got) >= 12
    labels = {r["publication_number"]: r for r in _rows(LABELS)}
    for d in data["documents"]:
        assert d["address"] == labels[d["doc_id"]]["address"] and d["admin_code"] == BISHAN
        assert d["holder"] == holder(labels[d["doc_id"]])
        assert d["rule"] == ("applicant" if d["kind"] == "invention_application" else "patentee")
        assert (d["admin_reason"] or "").startswith("former_name:璧山县") == ("璧山县" in d["address"])
    kinds = Counter(d["kind"] for d in data["documents"])
    s = data["summary"]
    assert (s["invention_grants"], s["utility_models"], s["designs"]) == (
        kinds["invention_grant"], kinds["utility_model"], kinds["design"])
    # the gazette says nothing of later events: an invention grant's being in force is unknown, never "no"
    assert s["in_force_no"] == 0 and s["in_force_unknown"] == s["invention_grants"]


def test_every_district_of_chongqing_is_the_independent_reading(store: Path, expected: dict[str, set[str]]) -> None:
    data = page(store, "50")
    counts = {r["code"]: r["documents"] for r in data["sub_regions"] if not r["own_level"]}
    assert {c: n for c, n in counts.items() if n} == {c: len(v) for c, v in expected.items() if c != "500000"}
    own = [r for r in data["sub_regions"] if r["own_level"]]
    assert sum(r["documents"] for r in own) >= len(expected.get("500000", ()))  # zones (北部新区) + two-district


def test_cli_region_json_is_the_page(store: Path) -> None:
    result = CliRunner().invoke(cli, ["region", BISHAN, "--json", "--db", str(store)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"] == json.loads(json.dumps(page(store, BISHAN)["documents"],
                                                                           default=str))
