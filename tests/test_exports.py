"""Downloads: one Excel writer (:mod:`ipcockpit.exports`) for the web app's pages and the CLI.

The screening store is the constructed export of tests/test_value_conditions.py with one title changed to
text that starts with ``=``: a spreadsheet would run it as a formula if the writer let it (CSV injection).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from test_value_conditions import EXPORT
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

FORMULA = "=2+3"
TITLE = "一种测试用图像处理方法（测试行）"  # the title of CN999999995B in the export
AS_OF = "2025-07-01"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("exports")
    assert EXPORT.count(TITLE) == 1
    export = tmp / "专利总表_formula.csv"
    export.write_text(EXPORT.replace(TITLE, FORMULA), encoding="utf-8")
    db = tmp / "formula.duckdb"
    with Cockpit(db=db) as c:
        [report] = c.ingest([export])
        assert (report.error, report.quarantined) == (None, 0)
        [row] = c.screen(doc_ids=["CN999999995B"], limit=0)
    assert row["title"] == FORMULA
    return db


def _cells(book: openpyxl.Workbook, value: str) -> list[Any]:
    return [c for ws in book.worksheets for r in ws.iter_rows() for c in r if c.value == value]


def test_screening_excel_keeps_text_text_on_the_web(store: Path) -> None:
    with TestClient(create_app(Settings(db=str(store)))) as client:
        r = client.get("/screen", params={"format": "xlsx", "as_of": AS_OF, "limit": 0})
    assert r.status_code == 200, r.text
    cells = _cells(openpyxl.load_workbook(io.BytesIO(r.content)), FORMULA)
    assert cells and {c.data_type for c in cells} == {"s"}


def test_screening_excel_keeps_text_text_from_the_cli(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "screen.xlsx"
    result = CliRunner().invoke(cli, ["screen", "--db", str(store), "--as-of", AS_OF, "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    cells = _cells(openpyxl.load_workbook(out), FORMULA)
    assert cells and {c.data_type for c in cells} == {"s"}
