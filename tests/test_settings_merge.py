"""One store, one answer: the settings file's ``screen:`` section reaches every screening entry point (CLI,
/screen, /api/screen, /patent, the applicant page, the cockpit), and the options of each are merged on top
of it in the core (:meth:`ipcockpit.app.Cockpit.screen_settings`). Portfolio files are read by one reader
(:mod:`ipcockpit.portfolio`) in the CLI and the web app. Real shared files plus the constructed export of
tests/test_value_conditions.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_value_conditions import screen_store
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from ipcockpit.portfolio import PortfolioError, portfolio, read_numbers
from ipcockpit.settings import load_settings
from ipcockpit.web.server import create_app

pytestmark = pytest.mark.slow  # real multi-file stores built per test or module (docs/testing.md)

# the pledge of CN999999992B is 13,000,000 CNY: high with the default threshold (10 million), not with 20;
# max_rows: the web's JSON lists every screened patent (limit=0), more than the default 1,000
CONFIG = "screen:\n  as_of: '2025-07-01'\n  pledge_threshold: 20000000\nmax_rows: 100000\n"
PLEDGED = "CN999999992B"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    return screen_store(tmp_path_factory, shared, "settings_merge")


@pytest.fixture(scope="module")
def config(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "ipcockpit.yaml"
    path.write_text(f"db: {store}\n{CONFIG}", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def screened(config: Path) -> list[dict]:
    """Every patent screened by the core with the settings file (``Cockpit.screen(limit=0)``): computed once,
    the answer each entry point is compared with."""
    with Cockpit(load_settings(config), read_only=True) as c:
        return c.screen(limit=0)


@pytest.fixture
def client(config: Path) -> Iterator[TestClient]:
    with TestClient(create_app(load_settings(config))) as c:
        yield c


def _answers(rows: list[dict]) -> dict[str, tuple[bool | None, bool | None]]:
    """Each patent's high-value answer and its pledge condition (the one the settings file changes)."""
    return {r["publication_number"]: (r["high_value"], r["conditions"]["pledge_financing"]["met"]) for r in rows}


def _pledge(rows: list[dict]) -> bool | None:
    return _answers(rows)[PLEDGED][1]


def test_the_file_decides_and_options_go_on_top(store: Path, config: Path, screened: list[dict]) -> None:
    with Cockpit(load_settings(config), read_only=True) as c:
        merged = c.screen_settings()
        assert (str(merged.as_of), merged.pledge_threshold) == ("2025-07-01", 20_000_000)
        assert c.screen_settings(pledge_threshold=1e6).pledge_threshold == 1e6
        assert c.screen_settings(pledge_threshold=None).pledge_threshold == 20_000_000  # None = not given
        with_file = screened
        row = c.screen(doc_ids=[PLEDGED], limit=0)[0]
    with Cockpit(db=store, read_only=True) as c:
        without = c.screen(limit=0, settings=c.screen_settings(as_of="2025-07-01"))
    assert _pledge(without) is True and _pledge(with_file) is False
    assert row["conditions"]["pledge_financing"]["met"] is False


def test_cli_web_and_api_give_the_same_count(config: Path, client: TestClient, screened: list[dict]) -> None:
    expected = _answers(screened)
    with Cockpit(load_settings(config), read_only=True) as c:
        page = c.screen_page(limit=0)
    out = CliRunner().invoke(cli, ["screen", "--config", str(config), "--json", "--limit", "0"])
    assert out.exit_code == 0, out.output
    assert _answers(json.loads(out.stdout)) == expected and expected[PLEDGED][1] is False
    api = client.get("/api/screen", params={"limit": 0})
    assert api.status_code == 200 and _answers(api.json()["patents"]) == expected
    assert api.json()["settings"]["pledge_threshold"] == 20_000_000
    web = client.get("/screen", params={"limit": 0, "format": "json"})
    assert web.status_code == 200 and _answers(web.json()["patents"]) == expected
    assert web.json()["summary"] == json.loads(json.dumps(page["summary"], default=str))
    patent = client.get(f"/api/patent/{PLEDGED}").json()
    assert _answers([patent["screening"]]) == {PLEDGED: expected[PLEDGED]}
    # an option given to one request goes on top of the file, for that request only
    lower = client.get("/api/screen", params={"limit": 0, "pledge_threshold": 1_000_000}).json()
    assert _pledge(lower["patents"]) is True and lower["settings"]["as_of"] == "2025-07-01"
    bad = client.get("/api/screen", params={"as_of": "01/07/2025"})
    assert bad.status_code == 400 and "as_of" in bad.json()["error"]


def test_cli_reads_a_gbk_portfolio_with_a_title_column(config: Path, tmp_path: Path) -> None:
    numbers = tmp_path / "组合.txt"
    numbers.write_bytes(f"{PLEDGED}\t一种中继链装置\nCN 115883397 B\t网页数据采集方法\n".encode("gbk"))
    out = CliRunner().invoke(cli, ["screen", "--config", str(config), "--json", "--numbers", str(numbers)])
    assert out.exit_code == 0, out.output
    assert {r["publication_number"] for r in json.loads(out.stdout)} == {PLEDGED, "CN115883397B"}
    missing = CliRunner().invoke(cli, ["screen", "--config", str(config), "--numbers", str(tmp_path / "no.txt")])
    assert missing.exit_code == 2 and "no.txt: file not found" in missing.output
    bad = CliRunner().invoke(cli, ["screen", "--config", str(config), "--as-of", "July"])
    assert bad.exit_code == 2 and "as_of" in bad.output and "Traceback" not in bad.output


def test_one_portfolio_reader() -> None:
    # GB18030, a BOM, thousands separators, one number a line or the first column
    assert read_numbers("a.txt", "US 7,315,680 B1\r\nCN115883397B；ZL202211359874.7\n".encode("gb18030")) == [
        "US 7315680 B1", "CN115883397B", "ZL202211359874.7"]
    assert read_numbers("a.txt", "\ufeffCN1234567A\nCN7654321B\n".encode()) == ["CN1234567A", "CN7654321B"]
    assert read_numbers("a.txt", "CN1234567A,一种装置,2020-01-01\n".encode("gbk")) == ["CN1234567A"]
    table = "序号,公开（公告）号,名称\n1,CN1234567A,装置\n2,\"US 7,315,680\",方法\n".encode("gb18030")
    assert read_numbers("export.csv", table) == ["CN1234567A", "US 7315680"]
    assert portfolio([["CN1", "CN2"], ["CN2", "CN3"]]) == ["CN1", "CN2", "CN3"]
    with pytest.raises(PortfolioError, match="not UTF-8 or GB18030") as exc:
        read_numbers("x.txt", b"\xff\xfe\x00\x81\x30")
    assert exc.value.key == "screen.error_encoding"
    with pytest.raises(PortfolioError) as exc:
        portfolio([[]])
    assert exc.value.key == "screen.error_no_numbers"
