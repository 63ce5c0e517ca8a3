"""Strength rankings per region on the CNIPA gazette week (Chongqing 500000, Bishan 500120; docs/region.md): the
organisations ranked are exactly those with a holder row of theirs in the region, their volume is recounted, and
the natures the applicant==inventor rule gives are confirmed by the inventors table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from graph_support import PARTY_IDS
from shared_stores import copy_store, gazette_week

from ipcockpit.strength.ranking import StrengthError, evaluate, ranking
from ipcockpit.value.settings import ScreenSettings

SETTINGS = ScreenSettings(as_of=date(2025, 1, 1))
HOLDERS = "p.role IN ('applicant', 'patentee', 'assignee', 'current_owner')"


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path, _ = gazette_week(tmp_path_factory, shared)
    c = duckdb.connect(str(copy_store(path, tmp_path_factory.mktemp("strength_region"))))
    yield c
    c.close()


@pytest.fixture(scope="module")
def chongqing(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    return evaluate(con, region="500000", settings=SETTINGS)


@pytest.fixture(scope="module")
def bishan(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    return evaluate(con, region="500120", settings=SETTINGS)


def _in_region(con: duckdb.DuckDBPyConnection, prefix: str) -> dict[str, int]:
    """Organisation entity (ingest resolved them) -> distinct applications on which its own holder row has an
    address in the region."""
    rows = con.execute(
        f"SELECT p.eid, count(DISTINCT coalesce(d.app_id, d.doc_id)) FROM {PARTY_IDS} p "
        f"JOIN documents d ON d.doc_id = p.doc_id WHERE {HOLDERS} AND p.name_norm IS NOT NULL "
        "AND p.admin_code LIKE ? || '%' AND NOT coalesce(d.stub, false) GROUP BY 1", [prefix]).fetchall()
    return dict(rows)


def test_rankings_per_region_recounted(con: duckdb.DuckDBPyConnection, chongqing: dict[str, Any],
                                       bishan: dict[str, Any]) -> None:
    for data, prefix in ((chongqing, "50"), (bishan, "500120")):
        want = _in_region(con, prefix)
        got = {o["entity_id"]: o["components"]["volume"]["raw"] for o in data["orgs"]}
        assert got == want and len(got) > 5
        assert [o["rank"] for o in data["orgs"]] == list(range(1, len(got) + 1))
        assert all(a["composite"] >= b["composite"] for a, b in zip(data["orgs"], data["orgs"][1:], strict=False))
    assert set(o["entity_id"] for o in bishan["orgs"]) < set(o["entity_id"] for o in chongqing["orgs"])
    # the same organisation is normalised among other peers in each ranking
    first = bishan["orgs"][0]
    same = next(o for o in chongqing["orgs"] if o["entity_id"] == first["entity_id"])
    assert same["components"]["volume"]["peers"] == len(chongqing["orgs"])
    assert first["components"]["volume"]["peers"] == len(bishan["orgs"])


def test_region_codes(con: duckdb.DuckDBPyConnection, chongqing: dict[str, Any]) -> None:
    # 50 and 500000 name the same province; a code of no division is refused
    short = ranking(con, region="50", settings=SETTINGS, limit=3)
    assert [r["entity_id"] for r in short["ranking"]] == [o["entity_id"] for o in chongqing["orgs"][:3]]
    with pytest.raises(StrengthError, match="GB/T 2260"):
        evaluate(con, region="509999", settings=SETTINGS)


def test_individuals_are_inventors_of_their_documents(con: duckdb.DuckDBPyConnection,
                                                      chongqing: dict[str, Any]) -> None:
    by_rule = [o for o in chongqing["orgs"] if o["nature_basis"] == "applicant_is_inventor"]
    assert by_rule
    for o in by_rule:
        [(n,)] = con.execute(
            f"SELECT count(*) FROM {PARTY_IDS} p JOIN inventors i ON i.doc_id = p.doc_id AND i.name_norm = p.name_norm "
            f"WHERE {HOLDERS} AND p.eid = ?", [o["entity_id"]]).fetchall()
        assert n > 0, o["name"]
    natures = {o["nature"] for o in chongqing["orgs"]}
    assert {"enterprise", "university", "institute", "individual", "unknown"} <= natures
    # the week's invention grants are undecided by the screening (in force unknown): the count is unknown, not 0
    undecided = [o for o in chongqing["orgs"] if o["components"]["high_value"]["detail"]["unknown"]]
    assert undecided and all(o["components"]["high_value"]["raw"] is None for o in undecided)
    assert all(not o["components"]["high_value"]["known"] for o in undecided)
    unknown = [o for o in chongqing["orgs"] if o["nature"] == "unknown"]
    assert all(o["nature_detail"].reason_en for o in unknown)
