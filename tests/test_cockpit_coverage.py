"""Data coverage of the computed cockpit cards: a figure computed from a week of records is never shown as
the district's value.

The store holds the real Bishan records of the CNIPA gazette week (../shared/data/cn/gazette_2019, 璧山区 and
璧山县 addresses), laid out as a CN table export (the gazette's own ingester is written alongside; the rows,
numbers, dates, names and addresses are the gazette's), and the census population of 2020 (756,022, from
../shared/reference/bishan_figures.csv) reported with its source. The official counts are read from that CSV
here, not from the profile; the loaded counts are recounted from the gazette's text.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from pypdf import PdfReader
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from ipcockpit.cockpit import ProfileError, cockpit, indicator_records, list_regions, load_region, report_value
from ipcockpit.cockpit.coverage import coverage_view, pct
from ipcockpit.i18n import catalogue
from ipcockpit.reports.cockpit_pdf import report_pdf
from ipcockpit.settings import Settings
from ipcockpit.store import Store
from ipcockpit.web.server import create_app

GAZETTE = "cn/gazette_2019"
TODAY = date(2026, 1, 15)
KIND = {"A": "发明申请", "B": "发明授权", "U": "实用新型", "S": "外观设计"}
CENSUS = "重庆市璧山区第七次全国人口普查主要数据（璧山区政府网·区统计局）：常住人口756022人"
STOCK = ("invention_patents_per_10k_pop", "high_value_invention_patents_per_10k_pop")
ZHENGZHOU = """region:
  admin_code: "410100"
  name_zh: 河南省郑州市
baseline_year: 2020
target_year: 2025
indicators:
  - {id: invention_patents_per_10k_pop, name_zh: 每万人发明专利拥有量, unit_zh: 件, baseline: null, target: null}
"""


# independent readings of the shared files ----------------------------------------------------------------
def gazette_rows(shared: Path) -> dict[str, list[str]]:
    """Every gazette record by publication number (the ninth cell is the address in every file: one file's
    headers are swapped, its cells are not)."""
    rows: dict[str, list[str]] = {}
    for path in sorted((shared / GAZETTE).rglob("*.csv")):
        for row in list(csv.reader(io.StringIO(path.read_bytes().decode("gb18030"), newline="")))[1:]:
            rows[row[2]] = row
    return rows


def bishan(shared: Path) -> dict[str, list[str]]:
    return {p: r for p, r in gazette_rows(shared).items() if re.match(r"\d*重庆市?璧山[区县]", r[8])}


def loaded_grants(shared: Path, period_end: date) -> list[str]:
    """Bishan invention grants (kind B) announced by the period end: the gazette gives no legal status and
    a 2019 grant's term runs to 2037 or later, so none is known to have ended."""
    return sorted(p for p, r in bishan(shared).items() if p.endswith("B")
                  and date(*map(int, r[3].split("."))) <= period_end)


def official(shared: Path, measure: str, year: int) -> float:
    with (shared.parent / "reference" / "bishan_figures.csv").open(encoding="utf-8") as fh:
        [value] = [float(r["value"]) for r in csv.DictReader(fh) if r["indicator_id"] == measure
                   and r["year"] == str(year)]
    return value


# the store -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    tmp = tmp_path_factory.mktemp("coverage")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow("申请号,申请日,公开号,公开日,授权公告号,授权公告日,专利类型,专利名称,申请人,申请人地址,法律状态,分类号".split(","))
    for pub, r in sorted(bishan(shared).items()):
        grant = pub[-1] != "A"
        day, filed = r[3].replace(".", ""), r[5].replace(".", "")
        w.writerow(["", filed, "" if grant else pub, "" if grant else day, pub if grant else "", day if grant else "",
                    KIND[pub[-1]], r[1], r[6].strip(";"), r[8], "", r[9].split(";")[0].split("(")[0]])
    export = tmp / "专利总表_gazette_bishan.csv"
    export.write_text(out.getvalue(), encoding="utf-8")
    path = tmp / "base.duckdb"
    with Cockpit(db=path) as c:
        [report] = c.ingest([export])
        assert (report.loaded, report.quarantined) == (len(bishan(shared)), 0) == (14, 0)
        c.load_plan_baselines()
        c.report_value("population", 2020, 756_022, CENSUS, "pytest")
    return path


@pytest.fixture
def store(base: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "coverage.duckdb"
    shutil.copy(base, path)
    with Store(path) as s:
        yield s


def by_id(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in out["indicators"]}


# a few records are not the district ----------------------------------------------------------------------
def test_a_week_of_records_is_not_the_districts_value(store: Store, shared: Path) -> None:
    grants = loaded_grants(shared, date(2020, 12, 31))
    assert grants == ["CN107856643B", "CN107932849B", "CN108636649B"]
    cards = by_id(cockpit(store, year=2020, today=TODAY))
    card = cards["invention_patents_per_10k_pop"]
    # the value is the plan's 12.01 (reported, from the plan text), not 3 / 756,022 × 10,000
    assert (card["value"], card["source"], card["year"]) == (12.01, "reported", 2020)
    assert card["provenance"]["kind"] == "plan_text" and card["records_query"] is None
    # over the loaded records it would be 0: the gazette gives no legal status, so none is known in force
    assert card["computed"]["value"] is None and card["computed"]["records"] == 0
    assert card["computed"]["value_loaded"] == 0.0
    assert card["reason_key"] == "cockpit.coverage.partial"
    assert card["reason"].startswith("partial data: 3 loaded for 2020 against the official 907 (0.33%, below 90%)")
    assert [p["source"] for p in card["trend"]] == ["reported"]
    cov = card["coverage"]
    assert (cov["status"], cov["year"], cov["loaded"], cov["official"]) == (
        "partial", 2020, len(grants), official(shared, "valid_invention_patents", 2020))
    assert cov["share"] == round(len(grants) / 907, 4) and cov["min_share"] == 0.9
    assert cov["source"]["source"].startswith("重庆市璧山区知识产权保护和运用“十四五”规划")
    assert "发明专利907件" in cov["source"]["quote"]
    # the high-value figure is a part of the same stock: the same coverage, the plan's 2.76 shown
    hv = cards["high_value_invention_patents_per_10k_pop"]
    assert hv["value"] == 2.76 and hv["source"] == "reported" and hv["coverage"] == cov
    # the drill-down lists the records, and says the same
    # (the rows are the records the figure counts: in force, none here)
    drill = indicator_records(store, None, card["id"], 2020, today=TODAY)
    assert drill["rows"] == [] and drill["value"] is None
    assert drill["coverage"]["status"] == "partial" and drill["value_loaded"] == card["computed"]["value_loaded"]


def test_coverage_is_a_recount_in_every_year(store: Store, shared: Path) -> None:
    # a population reported for 2021 (a test input) turns the published 12.86 per 10,000 into a count
    report_value(store, "500120", "population", 2021, 760_000, "测试用人口（非统计数据）", "pytest")
    for year in range(2020, 2026):
        cards = by_id(cockpit(store, year=year, today=TODAY))
        for ind in STOCK:
            cov = cards[ind]["coverage"]
            assert cov["loaded"] == len(loaded_grants(shared, date(year, 12, 31))) == 3, (ind, year)
            assert cov["status"] == "partial" and cards[ind]["source"] == "reported", (ind, year)
        cov = cards[STOCK[0]]["coverage"]
        if year == 2020:
            assert cov["official"] == 907 and cov["derived"] is None
        elif year == 2021:
            rate = official(shared, "invention_patents_per_10k", 2021)
            assert cov["official"] == round(rate * 760_000 / 10_000) == 977
            assert cov["derived"] == {"rate": 12.86, "population": 760_000.0, "population_reported_by": "pytest",
                                      "population_source": "测试用人口（非统计数据）"}
            assert cov["share"] == round(3 / 977, 4) and cov["source"]["url"].startswith("https://xyb.txdzw.com/")
        else:  # no official count: the latest earlier one (977, derived for 2021) is a floor
            assert cov["official"] is None and cov["share"] is None
            assert cov["reason_key"] == "cockpit.coverage.partial_floor"
            assert (cov["floor"]["year"], cov["floor"]["official"]) == (2021, 977)


def test_rate_without_population_falls_back_to_the_earlier_count(store: Store) -> None:
    cov = by_id(cockpit(store, year=2021, today=TODAY))[STOCK[0]]["coverage"]
    assert cov["official"] is None and cov["floor"]["year"] == 2020 and cov["floor"]["official"] == 907
    assert cov["reason"] == ("partial data: no official count for 2021, and the 3 loaded are fewer than 90% of "
                             "the official 907 of 2020 (the stock of valid invention patents grows year on year, so "
                             "an earlier year's count is a floor)")
    # the card's line names the earlier count it was held against, in both languages
    for lang, line in (("en", "2021: 3 patents loaded / official count unknown (2020: 907 patents)"),
                       ("zh-CN", "2021年已载入 3 件 / 官方数未知（2020年官方 907 件）")):
        def t(key: str, _words: dict[str, str] = catalogue(lang), **v: Any) -> str:
            return _words[key].format(**v)

        assert coverage_view(cov, t, lang)["line"] == line


def test_threshold_is_the_profiles(store: Store, tmp_path: Path) -> None:
    text = Path(load_region().file).read_text(encoding="utf-8").replace("min_share: 0.9", "min_share: 0.003")
    (tmp_path / "500120.yaml").write_text(text, encoding="utf-8")
    card = by_id(cockpit(store, year=2020, today=TODAY, folders=tmp_path))[STOCK[0]]
    # 3 of 907 is 0.33 %: above a threshold of 0.3 %, the computed value stands
    assert card["coverage"]["status"] == "complete" and card["source"] == "computed"
    assert (card["value"], card["year"], card["records"]) == (0.0, 2020, 0)  # none known in force
    for bad in ("min_share: 1.5", "min_share: 百分之九十"):
        (tmp_path / "500120.yaml").write_text(text.replace("min_share: 0.003", bad), encoding="utf-8")
        with pytest.raises(ProfileError, match=r"500120.yaml: coverage.min_share: "):
            list_regions(tmp_path)


def test_no_official_count_is_unknown_never_complete(store: Store, tmp_path: Path) -> None:
    (tmp_path / "410100.yaml").write_text(ZHENGZHOU, encoding="utf-8")
    report_value(store, "410100", "population", 2024, 1_000_000, "测试用人口（非统计数据）", "pytest", folders=tmp_path)
    card = by_id(cockpit(store, "410100", 2024, folders=tmp_path, today=TODAY))[STOCK[0]]
    cov = card["coverage"]
    assert (cov["status"], cov["official"], cov["share"], cov["loaded"]) == ("unknown", None, None, 0)
    assert cov["reason"] == "coverage unknown: the region profile has no official figure for 2024 (official:); 0 loaded"
    # running totals after the baseline year and records that cannot be loaded: unknown, with the reason
    cards = by_id(cockpit(store, year=2024, today=TODAY))
    assert cards["pct_applications"]["coverage"]["reason_key"] == "cockpit.coverage.no_official_since"
    assert cards["geographical_indications"]["coverage"]["reason_key"] == "cockpit.coverage.marks_none"
    assert all(c["coverage"] is None for c in cards.values() if c["mode"] == "reported")
    assert all(c["coverage"]["status"] != "complete" for c in cards.values() if c["coverage"])
    # up to the baseline year a running total is all its records against the official total: 0 of 98
    pct_2020 = by_id(cockpit(store, year=2020, today=TODAY))["pct_applications"]["coverage"]
    assert (pct_2020["status"], pct_2020["loaded"], pct_2020["official"]) == ("partial", 0, 98)


def test_percent_text() -> None:
    assert [pct(x) for x in (3 / 907, 14 / 907, 0.9, 1.0, 0.0, 1.2)] == ["0.33", "1.5", "90", "100", "0", "120"]


# every interface carries it --------------------------------------------------------------------------------
def test_json_web_cli_and_pdf_carry_the_coverage(base: Path, tmp_path: Path) -> None:
    path = tmp_path / "coverage.duckdb"
    shutil.copy(base, path)
    with TestClient(create_app(Settings(db=str(path)), read_only=True)) as client:
        data = client.get("/api/cockpit", params={"year": 2020}).json()
        assert by_id(data)[STOCK[0]]["coverage"]["status"] == "partial"
        html = client.get("/cockpit", params={"year": 2020}).text
        card = html.split('id="card-invention_patents_per_10k_pop"', 1)[1].split("</article>", 1)[0]
        assert '<p class="coverage partial" id="coverage-invention_patents_per_10k_pop"' in card
        assert "数据不全" in card and "2020年已载入 3 件 / 官方 907 件（0.33%）" in card
        assert 'id="value-invention_patents_per_10k_pop">12.01<' in card
        assert "计算值所依据的记录不足官方数的 90% 时视为数据不全" in html
        drill = client.get("/cockpit/records", params={"indicator": STOCK[0], "year": 2020}).text
        assert 'id="records-coverage"' in drill and "2020年已载入 3 件 / 官方 907 件（0.33%）" in drill
        en = client.get("/cockpit", params={"year": 2020, "lang": "en"}).text
        assert "2020: 3 patents loaded / official 907 patents (0.33%)" in en and "partial data" in en
        rows = client.get("/cockpit", params={"year": 2020, "format": "csv", "lang": "zh-CN"}).text
        row = next(r for r in csv.DictReader(io.StringIO(rows.lstrip("\ufeff"))) if r["编号"] == STOCK[0])
        assert (row["数据覆盖"], row["已导入"], row["官方数"]) == ("数据不全", "3", "907.0")  # as the card says
    result = CliRunner().invoke(cli, ["cockpit", "--year", "2020", "--db", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "数据不全 3/907 (0.33%)" in result.stdout
    with Cockpit(db=path, read_only=True) as c:
        pdf = report_pdf(c.cockpit(None, 2020), lang="zh-CN")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "数据不全 3/907" in text and "官方 907 件" in text


def test_official_figures_are_in_the_profile(shared: Path) -> None:
    reg = load_region()
    with (shared.parent / "reference" / "bishan_figures.csv").open(encoding="utf-8") as fh:
        ref = {(r["indicator_id"], int(r["year"])): r for r in csv.DictReader(fh)}
    names = {"valid_invention_patents": "valid_invention_patents", "valid_patents": "valid_patents_total",
             "invention_patents_per_10k_pop": "invention_patents_per_10k",
             "high_value_invention_patents_per_10k_pop": "high_value_invention_per_10k",
             "pct_applications": "pct_applications", "pledge_financing_amount": "pledge_financing_cumulative"}
    assert {(f.measure, f.year) for f in reg.official} == {
        ("valid_invention_patents", 2020), ("valid_patents", 2020), ("invention_patents_per_10k_pop", 2020),
        ("invention_patents_per_10k_pop", 2021), ("high_value_invention_patents_per_10k_pop", 2020),
        ("pct_applications", 2020), ("pledge_financing_amount", 2020)}
    for f in reg.official:
        r = ref[(names[f.measure], f.year)]
        assert f.value == float(r["value"]) and f.url == r["source_url"] and f.quote == r["quote"], f
    # the profile's data travels with the region in the API
    assert {"measure": "valid_invention_patents", "year": 2020, "value": 907.0} .items() <= \
        reg.as_dict()["official"][0].items()
    assert yaml.safe_load(Path(reg.file).read_text(encoding="utf-8"))["coverage"] == {"min_share": 0.9}


def test_official_figures_are_validated(tmp_path: Path) -> None:
    good = yaml.safe_load(ZHENGZHOU)
    figure = {"measure": "valid_invention_patents", "year": 2020, "value": 100, "source": "测试来源"}
    cases = [({**figure, "source": None}, "official[0].source", "missing"),
             ({**figure, "value": 0}, "official[0].value", "positive"),
             ({**figure, "measure": "有效发明专利"}, "official[0].measure", "lower-case id"),
             ({**figure, "bound": "upper"}, "official[0].bound", "not one of lower")]
    for n, (bad, key, what) in enumerate(cases):
        folder = tmp_path / f"case{n}"
        folder.mkdir()
        (folder / "410100.yaml").write_text(yaml.safe_dump({**good, "official": [bad]}, allow_unicode=True),
                                            encoding="utf-8")
        with pytest.raises(ProfileError, match=re.escape(f"410100.yaml: {key}: ")) as err:
            list_regions(folder)
        assert what in str(err.value)
    (tmp_path / "twice").mkdir()
    (tmp_path / "twice" / "410100.yaml").write_text(
        yaml.safe_dump({**good, "official": [figure, figure]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProfileError, match=r"official\[1\].year: valid_invention_patents of 2020 is given twice"):
        list_regions(tmp_path / "twice")
