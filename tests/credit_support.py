"""What the credit tests share: the demo store (the Chongqing subset of the 2019 gazette week in data/demo, its real
organisations resolved by the real ingest), the shipped records files, and :func:`insert_signal_cases`, which makes
the signals helper's ``signal_cases`` table in the exact schema of its contract (HELPERS.md contract 1: migration
17 is the signals helper's) where the store has none, and inserts rows into it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from shared_stores import built_once

from ipcockpit.app import Cockpit

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo" / "cn" / "gazette_2019_chongqing"
RECORDS_CSV = REPO / "tests" / "data" / "credit" / "records.csv"
RECORDS_XLSX = REPO / "tests" / "data" / "credit" / "records.xlsx"

#: the contract's columns, in its order (signals → credit)
SIGNAL_CASES = ("CREATE TABLE IF NOT EXISTS signal_cases (case_id VARCHAR PRIMARY KEY, kind VARCHAR, subject VARCHAR, "
                "subject_name VARCHAR, suspect_count INTEGER, evidence JSON, detected_at TIMESTAMP, status VARCHAR, "
                "result VARCHAR, note VARCHAR, updated_by VARCHAR, updated_at TIMESTAMP)")


def demo_store(factory: pytest.TempPathFactory) -> Path:
    """The demo gazette subset ingested into a new store once per run (~6 s); copy it before writing."""

    def build(folder: Path) -> Path:
        path = folder / "credit_demo.duckdb"
        with Cockpit(db=path) as c:
            c.ingest([DEMO])
        return path

    return built_once("credit_demo", factory, build)


def insert_signal_cases(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Rows of ``signal_cases`` (contract 1), the table made in its schema when the store has none."""
    con.execute(SIGNAL_CASES)
    for r in rows:
        at = r.get("updated_at") or datetime(2025, 9, 1, 10, 0)
        con.execute("INSERT INTO signal_cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [r["case_id"], r["kind"], r["subject"], r.get("subject_name"), r.get("suspect_count", 1),
                     json.dumps(r.get("evidence", {"keys": []})), r.get("detected_at", at), r["status"],
                     r.get("result"), r.get("note"), r.get("updated_by", "ana"), at])
