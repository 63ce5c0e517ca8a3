"""Stores that several tests or modules start from, built once per test run and copied where a test opens them.

A store is built by the real code on the real files (ingest, migrations, users, indexes), exactly as the
module that needs it built it before; what is shared is only the building. Every module (or test) that
opens it gets a copy of its own (:func:`copy_store`, a file copy: milliseconds where the build took seconds),
so that a test that writes never changes what another reads. Under pytest-xdist (`make test`) the
workers of a run share each build: the first that needs it builds it under a file lock, the others wait for
it and read what it returned (pickled beside it).
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.filelock import file_lock
from ipcockpit.settings import Settings

T = TypeVar("T")
_BUILT: dict[str, Any] = {}
GAZETTE = "cn/gazette_2019"


def built_once(key: str, factory: pytest.TempPathFactory, build: Callable[[Path], T]) -> T:
    """What ``build(folder)`` returns, run once per test run in the temp folder ``built_<key>`` (shared by
    the xdist workers of the run). ``build`` must return picklable paths and values, nothing open (no store
    held, no server)."""
    if key not in _BUILT:
        root = factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            root = root.parent  # the run's folder, above each worker's own
        folder, result = root / f"built_{key}", root / f"built_{key}.pickle"
        with file_lock(root / f"built_{key}.lock"):
            if result.exists():
                _BUILT[key] = pickle.loads(result.read_bytes())
            else:
                shutil.rmtree(folder, ignore_errors=True)  # what a build that failed left
                folder.mkdir()
                _BUILT[key] = build(folder)
                result.write_bytes(pickle.dumps(_BUILT[key]))
    return _BUILT[key]


def copy_store(source: Path, folder: Path, name: str | None = None) -> Path:
    """A copy of the store file ``source`` in ``folder`` (as ``name``, else its own name), with its search
    indexes (the folder ``<stem>.index`` beside it) when it has them."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    index = source.with_name(source.stem + ".index")
    if index.is_dir():
        shutil.copytree(index, target.with_name(target.stem + ".index"))
    return target


def empty_store(factory: pytest.TempPathFactory) -> Path:
    """A new store as ``Cockpit(db=...)`` makes it (the migrations and the bundled reference tables, ~0.5 s);
    a copy of it is the store a test would have made."""

    def build(folder: Path) -> Path:
        path = folder / "empty.duckdb"
        Cockpit(db=path).close()
        return path

    return built_once("empty", factory, build)


def gazette_week(factory: pytest.TempPathFactory, shared: Path) -> tuple[Path, list]:
    """The CNIPA gazette week (cn/gazette_2019, six files, 36,678 publications) ingested into a new store by
    ``Cockpit.ingest``; the store and the ingest's reports (tests/test_ingest_gazette.py,
    tests/test_region_gazette.py)."""

    return ingested_once("gazette_week", factory, shared / GAZETTE)


DRONES = "lens/drone_drones_fulltext_families_5884.csv"


def lens_drones(factory: pytest.TempPathFactory, shared: Path) -> tuple[Path, list]:
    """The Lens drones export (``lens/drone_drones_fulltext_families_5884.csv``, 5,884 records) ingested into a
    new store by ``Cockpit.ingest``; the store and the ingest's reports (tests/test_ingest_exports.py,
    tests/test_merge.py)."""

    return ingested_once("lens_drones", factory, shared / DRONES)


def patentscope_pizza(factory: pytest.TempPathFactory, shared: Path) -> tuple[Path, list]:
    """PATENTSCOPE's pizza export (``patentscope/pizza_all_24294_raw.zip``, three sheets, 24,294 records)
    ingested into a new store by ``Cockpit.ingest``; the store and the ingest's reports
    (tests/test_ingest_exports.py, tests/test_graph.py)."""
    return ingested_once("patentscope_pizza", factory, shared / "patentscope/pizza_all_24294_raw.zip")


def ingested_once(key: str, factory: pytest.TempPathFactory, source: Path) -> tuple[Path, list]:
    """``source`` (a file or folder) ingested into a new store by ``Cockpit.ingest``, once per run under
    ``key``: the store (``<key>.duckdb``) and the ingest's reports."""

    def build(folder: Path) -> tuple[Path, list]:
        path = folder / f"{key}.duckdb"
        with Cockpit(Settings(db=str(path))) as c:
            reports = c.ingest([source])
        return path, reports

    return built_once(key, factory, build)
