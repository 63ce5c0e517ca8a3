"""Fixtures: real shared data from ../shared/data and real DuckDB files in a temp folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from shared_stores import copy_store, empty_store

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def _shared_data() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "data", Path("/work/shared/data")]
    for c in candidates:
        if (c / "MANIFEST.md").exists():
            return c
    raise RuntimeError("../shared/data not found; set IPCOCKPIT_SHARED_DATA to the shared data folder")


SHARED = _shared_data()


@pytest.fixture(scope="session")
def shared() -> Path:
    return SHARED


@pytest.fixture
def cockpit(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cockpit:
    """A new store of the test's own: a copy of the one new store made for the run (tests/shared_stores.py)."""
    c = Cockpit(Settings(db=str(copy_store(empty_store(tmp_path_factory), tmp_path, "test.duckdb"))))
    yield c
    c.close()


@pytest.fixture(scope="session")
def spark_session() -> Any:
    """One local Spark session per test process (starting the JVM takes seconds), for the tests of
    tests/test_spark_stats.py and tests/test_value_confidence.py; each registers its tables under names of
    its own."""
    from ipcockpit.analytics.spark import local_session

    session = local_session(cores=2, memory="1g")
    yield session
    session.stop()
