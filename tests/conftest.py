"""Fixtures: real shared data from ../shared/data and real DuckDB files in a temp folder."""

from __future__ import annotations

import csv
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

#: the modules that take longest (setup + call of their tests, `--durations=0` of main on 2026-12-06 and the
#: helpers' single-module timings of session 14; docs/testing.md,
#: "How the suite keeps its time"), longest first. `make test` hands modules to its two workers in collection order
#: (`--no-loadscope-reorder`): these first, the rest after in their own order, so that the run does not end with
#: one worker on a long module while the other is idle. A module missing here only runs later; a name that is
#: no longer a module fails the run (test_suite_order.py).
LONGEST_FIRST = (
    "test_api_schemathesis.py", "test_navigation_analyses.py", "test_ingest_exports.py", "test_merge.py",
    "test_web_handover.py", "test_value_confidence.py", "test_browser.py", "test_first_hour.py",
    "test_ingest_gazette.py", "test_entities_inventors_store.py", "test_graph.py", "test_search_e5_onnx.py",
    "test_strength.py", "test_entities_org_store.py", "test_tune_pppm.py", "test_screen.py",
    "test_screen_all_sources.py",
    "test_settings_merge.py", "test_signals.py", "test_credit.py", "test_watch_replay.py", "test_navigation_tagger.py",
    "test_ingest_cn_legal_events.py", "test_spark_embed.py", "test_bench_index_speed.py", "test_browser_graph.py",
    "test_web_headers.py", "test_navigation_analyst.py", "test_cockpit_coverage.py", "test_pledge_sources.py",
    "test_search_concurrency.py", "test_web_graph.py", "test_spark_stats.py", "test_graph_ids.py",
    "test_search_embed.py", "test_search_index_resume.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules of LONGEST_FIRST first (in that order), the others after them in collection order."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


CSV_FIELD_LIMIT = csv.field_size_limit()  # Python's default, as the process starts


@pytest.fixture(autouse=True)
def _csv_field_limit() -> None:
    """Python's csv field limit is the process's: a test or fixture that raises it (the module fixtures of
    tests/test_navigation_tagger.py) would change what every later test of the worker sees (the web's 400 for a
    field over the default limit, tests/test_web_errors.py); it is back at the default after each test."""
    yield
    csv.field_size_limit(CSV_FIELD_LIMIT)


@pytest.fixture(scope="session")
def shared() -> Path:
    return SHARED


@pytest.fixture
def cockpit(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cockpit:
    """A new store of the test's own: a copy of the one new store made for the run (tests/shared_stores.py)."""
    c = Cockpit(Settings(db=str(copy_store(empty_store(tmp_path_factory), tmp_path, "test.duckdb"))))
    yield c
    c.close()


#: the local Spark session's settings for the tests (the spark_session fixture says why)
SPARK_TEST_CONF = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1", "spark.sql.codegen.wholeStage": "false"}


@pytest.fixture(scope="session")
def spark_session() -> Any:
    """One local Spark session per test process (starting the JVM takes seconds), for the tests of
    tests/test_spark_stats.py and tests/test_value_confidence.py; each registers its tables under names of
    its own.

    Set for many small queries (tens of thousands of rows): the JVM compiles with its quick compiler only
    (``-XX:TieredStopAtLevel=1``) and Spark runs without whole-stage code generation. A cold JVM otherwise spent
    much of those queries' time compiling (its optimising compiler's threads on the same two cores; Janino
    compiling the generated code of each plan, 113 kB of SQL for the value index): on 2026-12-06 the 41 queries
    of the navigation comparison (on a tenth of its rows) took 26-38 s instead of 60-73 s, the value index 9 s
    instead of 16 s. The plans and the rows are Spark's as before; only how the JVM runs them changed."""
    from ipcockpit.analytics.spark import local_session

    session = local_session(cores=2, memory="1g", conf=SPARK_TEST_CONF)
    yield session
    session.stop()
