"""Screening entry points: Python (Cockpit.screen), CLI (`ipcockpit screen`) and REST (/api/screen),
on the same store as tests/test_value_conditions.py (real shared files plus the constructed export)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from test_value_conditions import TEST_ROWS, screen_store
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from ipcockpit.settings import Settings
from ipcockpit.value.conditions import CONDITIONS
from ipcockpit.value.settings import ScreenSettings
from ipcockpit.web.server import create_app

pytestmark = pytest.mark.slow  # every test uses the module's screened store (3-5 s to build)

AS_OF = ScreenSettings(as_of=date(2025, 7, 1))
REQUIRED = {"publication_number", "title", "applicant", "high_value", "conditions", "value_index", "dimensions",
            "explanation"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    return screen_store(tmp_path_factory, shared, "screen_api")


@pytest.fixture(scope="module")
def everything(store: Path) -> list[dict]:
    with Cockpit(db=store, read_only=True) as c:
        return c.screen(limit=0, settings=AS_OF)


def check_row(row: dict) -> None:
    assert REQUIRED <= row.keys()
    assert row["high_value"] in (True, False, None)
    assert set(row["conditions"]) == set(CONDITIONS)
    for c in row["conditions"].values():
        assert {"met", "evidence", "reason"} <= c.keys() and c["met"] in (True, False, None) and c["reason"]
    assert row["explanation"] and all(isinstance(line, dict) for line in row["explanation"])
    assert row["value_index"] is None or 0 <= row["value_index"] <= 100


def test_every_row_is_explained_and_ranked(everything: list[dict], store: Path) -> None:
    with Cockpit(db=store, read_only=True) as c:
        [(grants,)] = c.store.con.execute(
            "SELECT count(*) FROM documents WHERE stage = 'grant' AND doc_type = 'invention' AND NOT stub").fetchall()
    assert len(everything) == grants
    for row in everything:
        check_row(row)
        names = [line.get("name") for line in row["explanation"] if line.get("kind") == "condition"]
        assert names == ["high_value", "in_force", *CONDITIONS]
        assert all(line["zh"] and line["en"] for line in row["explanation"] if line.get("kind") == "condition")
    order = {True: 0, None: 1, False: 2}
    ranks = [order[r["high_value"]] for r in everything]
    assert ranks == sorted(ranks)
    high = [r["publication_number"] for r in everything if r["high_value"] is True]
    # CN115883397B is not among them: its only SEI rule, 1.3#4, is for blockchain, which its text does not name
    assert set(high) == {"CN999999992B", "US9999999B2", "CN999999995B"}
    scores = [r["value_index"] for r in everything if r["high_value"] is True]
    assert scores == sorted(scores, key=lambda v: -(v if v is not None else -1))


def test_filters(store: Path) -> None:
    with Cockpit(db=store, read_only=True) as c:
        def ids(**kw: object) -> list[str]:
            return sorted(r["publication_number"] for r in c.screen(limit=0, settings=AS_OF, **kw))

        # addresses: the dump's 郑州市 applicant (410100), the test rows' 璧山区 (500120) and 金水区 (410105)
        assert ids(region="500120") == ["CN999999992B", "CN999999994B"]
        assert ids(region="5001") == ["CN999999992B", "CN999999994B"]
        assert ids(region="4101") == ["CN115883397B", "CN999999995B"]
        assert ids(applicant="中科大数据") == ["CN115883397B"]
        assert ids(applicant="chongqing test tech") == ["US9999999B2"]
        assert ids(industry="1.3", region="41") == []  # CN115883397B: 1.3#4's blockchain condition is not met
        assert ids(industry="1.3", region="50") == ["CN999999992B"]  # 中继链 in its title
        assert ids(industry="9", region="41") == ["CN999999995B"]  # G06T 7/00: 9.1#2, a product column
        assert ids(industry="5", region="50") == []  # H01M 4/13: 5.2#5 asks for vehicle terms; title alone: unknown
        assert ids(industry="9", applicant="中科大数据") == []
        assert ids(year_from=2020, region="41") == ["CN115883397B", "CN999999995B"]
        assert len(c.screen(limit=3, settings=AS_OF)) == 3


def test_portfolio_numbers_in_any_form(store: Path) -> None:
    numbers = ["ZL202211359874.7", "CN 115883397 A", "US 9,410,410 B2", "CN218751475U", "CN123456789B"]
    with Cockpit(db=store, read_only=True) as c:
        rows = c.screen(doc_ids=numbers, limit=0, settings=AS_OF)
    by = {r["publication_number"]: r for r in rows}
    assert list(by) == ["CN115883397B", "US9410410", "CN218751475U", "CN123456789B"]
    assert by["CN115883397B"]["high_value"] is None
    assert by["US9410410"]["conditions"]["pledge_financing"]["met"] is None
    assert by["CN218751475U"]["high_value"] is False and "utility_model" in by["CN218751475U"]["high_value_reason"]
    assert by["CN123456789B"]["found"] is False and by["CN123456789B"]["high_value"] is None
    for row in rows:
        check_row(row)


def test_cli_json_csv_xlsx(store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["screen", "--db", str(store), "--as-of", "2025-07-01"]
    out = runner.invoke(cli, [*base, "--json", "--limit", "0"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert len(rows) > 1000 and {r["publication_number"] for r in rows[:3]} == {
        "CN999999992B", "US9999999B2", "CN999999995B"} and all(r["high_value"] is True for r in rows[:3])
    for row in rows:
        check_row(row)
    two = json.loads(runner.invoke(cli, [*base, "--json", "--limit", "2"]).stdout)
    assert [r["publication_number"] for r in two] == [r["publication_number"] for r in rows[:2]]
    text = runner.invoke(cli, [*base, "--csv", "--region", "5001"]).stdout
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["publication_number"] for r in table] == ["CN999999992B", "CN999999994B"]
    assert table[0]["pledge_financing"] == "True" and "13,000,000 CNY" in table[0]["pledge_financing_reason"]
    numbers = tmp_path / "portfolio.txt"
    numbers.write_text("\n".join(TEST_ROWS) + "\n", encoding="utf-8")
    book = tmp_path / "screen.xlsx"
    res = runner.invoke(cli, [*base, "--numbers", str(numbers), "--xlsx", str(book), "--strict-sei"])
    assert res.exit_code == 0, res.output
    sheet = load_workbook(book).active
    header = [c.value for c in sheet[1]]
    got = {r[0]: dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(got) == set(TEST_ROWS)
    assert got["CN999999992B"]["strategic_emerging_industry"] is True  # 中继链 in its title
    assert got["US9999999B2"]["strategic_emerging_industry"] is True  # cross-chain: a keyword condition, strict or not
    assert got["CN999999995B"]["strategic_emerging_industry"] is False  # strict: no word of the product column
    bad = runner.invoke(cli, [*base, "--maintenance-start", "priority"])
    assert bad.exit_code == 2 and "maintenance_start" in bad.output


def test_cli_table_answers_in_words(store: Path, everything: list[dict], tmp_path: Path) -> None:
    """The table says 是/否/未知 (the setting language, zh-CN by default; yes/no/unknown in English) and
    – for what is missing, never Python's None/True/False."""
    runner = CliRunner()
    base = ["screen", "--db", str(store), "--as-of", "2025-07-01", "--limit", "0"]
    out = runner.invoke(cli, base)
    assert out.exit_code == 0, out.output
    assert not re.search(r"\b(None|True|False)\b", out.stdout)
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[1:-1]]
            for line in out.stdout.splitlines() if line.startswith("│")}
    by = {r["publication_number"]: r for r in everything}
    assert rows["CN999999992B"][3:5] == ["是", "是"] and rows["CN999999994B"][3:5] == ["否", "否"]
    words = {True: "是", False: "否", None: "未知"}
    assert len(rows) == len(everything) and all(
        rows[n][3:5] == [words[r["high_value"]], words[r["in_force"]]] for n, r in by.items())
    assert rows["CN115883397B"][3] == "未知"
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("CN123456789B\n", encoding="utf-8")  # not in the store: nothing known
    bogus = runner.invoke(cli, [*base, "--numbers", str(numbers)]).stdout
    assert re.search(r"│ CN123456789B\s+│ –\s+│ –\s+│ 未知\s+│ 未知\s+│ –\s+│", bogus), bogus
    untitled = [n for n, r in by.items() if not r.get("applicant") and n in rows]
    assert untitled and all(rows[n][2] == "–" for n in untitled)
    config = tmp_path / "en.yaml"
    config.write_text("language: en\n", encoding="utf-8")
    en = runner.invoke(cli, [*base, "--config", str(config)])
    assert en.exit_code == 0, en.output
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[1:-1]]
            for line in en.stdout.splitlines() if line.startswith("│")}
    assert rows["CN999999992B"][3:5] == ["yes", "yes"] and rows["CN115883397B"][3] == "unknown"
    assert rows["CN999999994B"][3:5] == ["no", "no"]


@pytest.fixture
def client(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)))) as c:
        yield c


def test_rest_get_post_csv(client: TestClient) -> None:
    r = client.get("/api/screen", params={"region": "5001", "as_of": "2025-07-01", "limit": 0})
    assert r.status_code == 200
    data = r.json()
    assert data["count"] == 2 and data["settings"]["as_of"] == "2025-07-01"
    assert [p["publication_number"] for p in data["patents"]] == ["CN999999992B", "CN999999994B"]
    for row in data["patents"]:
        check_row(row)
    c = client.get("/api/screen", params={"applicant": "中科大数据", "format": "csv", "as_of": "2025-07-01"})
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(c.text.lstrip("\ufeff"))))  # Chinese: the default language
    assert row["公开（公告）号"] == "CN115883397B" and row["高价值"] == "未知"
    assert row["战略性新兴产业"] == "否"
    p = client.post("/api/screen", json=["ZL201610705624.2", "CN999999994B"], params={"as_of": "2025-07-01"})
    assert p.status_code == 200
    got = {x["publication_number"]: x for x in p.json()["patents"]}
    assert got["CN999999991B"]["conditions"]["award"]["met"] is True and got["CN999999994B"]["high_value"] is False
    assert client.post("/api/screen", json={"numbers": "CN1"}).status_code == 400
    assert client.get("/api/screen", params={"maintenance_start": "x"}).status_code == 400
