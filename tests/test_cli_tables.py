"""What the data commands print, through CliRunner (stdout not a terminal): whole file paths in the
``ingest`` and ``quarantine`` tables (rich would cut them at 80 columns with an ellipsis), and a
``quarantine --json`` that says how many records there are and whether it lists them all.

The store holds the Indian Patent Office's 2018 grants (shared ``india/2018_grants.csv``): 15,697 rows
read, 1,688 quarantined (rows of other journal tables), copied under a long folder name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ipcockpit.cli import app as cli

INDIA = "india/2018_grants.csv"
QUARANTINED = 1_688
runner = CliRunner()


@pytest.fixture(scope="module")
def india(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("cli_tables") / "indian_patent_office_journal" / "grants_of_2018_as_published"
    folder.mkdir(parents=True)
    path = folder / "2018_grants.csv"
    shutil.copyfile(shared / INDIA, path)
    db = folder.parent / "india.duckdb"
    out = runner.invoke(cli, ["ingest", str(path), "--db", str(db)])
    assert out.exit_code == 0, out.output
    return {"db": str(db), "path": str(path), "ingest": out}


def test_ingest_table_shows_the_whole_path(india: dict[str, Any]) -> None:
    out = india["ingest"]
    assert len(india["path"]) > 80
    assert india["path"] in out.stdout and "…" not in out.stdout
    row = next(line for line in out.stdout.splitlines() if india["path"] in line)
    assert "india-grants-csv" in row and "15697" in row and str(QUARANTINED) in row


def test_quarantine_table_shows_the_whole_path_and_says_it_is_cut(india: dict[str, Any]) -> None:
    out = runner.invoke(cli, ["quarantine", "--db", india["db"]])
    assert out.exit_code == 0, out.output
    rows = [line for line in out.stdout.splitlines() if india["path"] in line]
    assert len(rows) == 100 and "…" not in out.stdout
    assert "not a patent number: the row belongs to another journal table" in out.stdout
    assert "已列出 100 / 1,688 条隔离记录；--limit 0 列出全部" in out.stderr


def test_quarantine_json_says_how_many_and_whether_all(india: dict[str, Any]) -> None:
    out = runner.invoke(cli, ["quarantine", "--db", india["db"], "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (data["total"], data["count"], data["limit"], data["truncated"]) == (QUARANTINED, 100, 100, True)
    assert len(data["rows"]) == 100 and data["rows"][0]["path"] == india["path"]
    # natural order of positions: line 9 before line 10
    lines = [int(r["position"].split()[-1]) for r in data["rows"]]
    assert lines == sorted(lines)
    every = json.loads(runner.invoke(cli, ["quarantine", "--db", india["db"], "--json", "--limit", "0"]).stdout)
    assert (every["total"], every["count"], every["truncated"]) == (QUARANTINED, QUARANTINED, False)
    assert {r["field"] for r in every["rows"]} == {"Patent Number"}
    # the kind of reason, as the web page groups them: the journal's other tables' rows (one group of all)
    assert {r["reason_code"] for r in every["rows"]} == {"other_table_row"}
    none = ["quarantine", "--db", india["db"], "--json", "--file", "no-such-file"]
    some = json.loads(runner.invoke(cli, none).stdout)
    assert (some["total"], some["count"], some["truncated"], some["rows"]) == (0, 0, False, [])


def test_tables_speak_the_command_lines_language(india: dict[str, Any], tmp_path: Path) -> None:
    """Column headings and messages come from the catalogue: Chinese by default, English with ``language: en``
    (they were English whatever the setting)."""
    english = tmp_path / "en.yaml"
    english.write_text("language: en\n", encoding="utf-8")
    zh = india["ingest"]
    assert all(h in zh.stdout for h in ("文件", "格式", "读取", "载入", "隔离", "合并"))
    assert "条记录进入隔离区（`ipcockpit quarantine --file 2018_grants.csv`" in zh.stderr
    stats = {lang: runner.invoke(cli, ["stats", "--db", india["db"], *args])
             for lang, args in (("zh", []), ("en", ["--config", str(english)]))}
    assert all(out.exit_code == 0 for out in stats.values())
    assert "行数" in stats["zh"].stdout and "检查项" in stats["zh"].stdout
    assert "隔离记录（无法导入）" in stats["zh"].stdout  # a check by its name, not its id
    assert "rows" in stats["en"].stdout and "check" in stats["en"].stdout and "行数" not in stats["en"].stdout
    listed = runner.invoke(cli, ["quarantine", "--db", india["db"], "--limit", "1", "--config", str(english)])
    assert listed.exit_code == 0 and all(h in listed.stdout for h in ("file", "position", "field", "reason"))
    screened = runner.invoke(cli, ["screen", "--db", india["db"], "--limit", "1"])
    assert screened.exit_code == 0 and all(h in screened.stdout for h in ("公开号", "高价值", "价值指数", "可信度"))
