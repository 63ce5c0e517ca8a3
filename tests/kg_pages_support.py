"""The store the knowledge-graph page tests share: tests/graph_support.py's real mix (organisations and inventors
resolved at ingest) with its graph built beside it, built once per test run (tests/shared_stores.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graph_support import graph_mix
from shared_stores import built_once, copy_store

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings


def graph_store(factory: pytest.TempPathFactory, shared: Path) -> Path:
    """The mix with its graph (``graph.graph`` beside it); copy it (:func:`copy_graph_store`) to write to it."""

    def build(folder: Path) -> Path:
        db = copy_store(graph_mix(factory, shared), folder)
        with Cockpit(Settings(db=str(db))) as c:
            c.graph_build()
        return db

    return built_once("kg_pages", factory, build)
