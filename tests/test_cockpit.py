"""The cockpit: region profiles, reported values with provenance, computed indicators, forecast and status.

The store holds real shared files (the Chinese table-export SQL dump, whose applicants are all in
Zhengzhou, 410100; the SEI concordance; the 25th China Patent Award list) plus a small constructed export
(``EXPORT``, every row marked "（测试行）") with Bishan (500120) applicants, because no shared file has a
Bishan address. Population figures below are test inputs, not statistics.
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

from ipcockpit.app import Cockpit
from ipcockpit.cockpit import (
    ProfileError,
    ReportError,
    cockpit,
    import_csv,
    indicator_records,
    list_regions,
    list_reported,
    load_plan_baselines,
    load_region,
    report_value,
)
from ipcockpit.cockpit.forecast import change, forecast, progress, status
from ipcockpit.cockpit.profiles import match_prefix
from ipcockpit.store import Store

CN_DUMP = "cn/table_export_sample"
SQL_FILE = "cn/table_export_sample/专利总表(案例).sql"
SEI = "classification/cnipa_sei2021_ipc_concordance.json"
AWARDS = "awards/25th-preview.jsonl"
TODAY = date(2026, 1, 15)
POPULATION = 800_000  # a test input
ZHENGZHOU = """region:
  admin_code: "410100"
  name_zh: 河南省郑州市
  name_en: Zhengzhou, Henan
  plan_document: 测试规划（测试用）
baseline_year: 2020
target_year: 2025
indicators:
  - {id: invention_patents_per_10k_pop, name_zh: 每万人发明专利拥有量, unit_zh: 件, baseline: null, target: null}
  - {id: copyright_registrations, name_zh: 普通作品版权登记量, unit_zh: 件, baseline: 10, target: 20}
"""
EXPORT = """申请号,申请日,公开号,公开日,授权公告号,授权公告日,专利类型,专利名称,申请人,申请人地址,法律状态,分类号,\
同族专利,质押次数,质押日期,质押金额(万元),失效日期
CN201010000101.1,20100310,,,CN999000101B,20130605,发明授权,一种基于中继链的跨链数据传输方法（测试行）,重庆璧山测试科技有限公司,重庆市璧山区璧泉街道测试路1号,有权-审定授权,H04L9/40,,,,,
CN201510000102.3,20150420,,,CN999000102B,20190308,发明授权,一种测试用炊具（测试行）,重庆璧山测试厨具有限公司,402760重庆市璧山区青杠街道测试路2号,无权-未缴年费,A47J27/00,,,,,20230301
CN201910000103.5,20190115,,,CN999000103B,20210910,发明授权,一种电动汽车用锂离子电池（测试行）,重庆璧山测试新能源有限公司,重庆市璧山区璧城街道测试路3号,有权-审定授权,H01M10/0525,,,,,
CN202020000104.7,20200301,,,CN999000104U,20201120,实用新型,一种测试用夹具（测试行）,重庆璧山测试科技有限公司,重庆市璧山区璧泉街道测试路1号,有权-审定授权,B25B11/00,,,,,
CN202110000105.9,20210601,CN999000105A,20211201,,,发明申请,一种测试用传感器（测试行）,重庆璧山测试科技有限公司,重庆市璧山区璧泉街道测试路1号,审中-实质审查,G01D5/00,,,,,
CN202010000106.0,20200805,,,CN999000106B,20221011,发明授权,一种测试用锅盖（测试行）,重庆璧山测试厨具有限公司,重庆市璧山区青杠街道测试路2号,有权-审定授权,A47J36/06,,1,20230515,1500,
CN201810000107.2,20180110,,,CN999000107B,20200605,发明授权,一种测试用图像处理方法（测试行）,河南测试信息有限公司,河南省郑州市金水区测试路5号,有权-审定授权,G06T7/00,,,,,
PCT/CN2021/000108,20210105,WO2021000108A1,20210715,,,PCT申请,一种测试用电机控制方法（测试行）,重庆璧山测试新能源有限公司,重庆市璧山区璧城街道测试路3号,PCT-有效期满,H02P21/00,,,,,
"""


# fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """The ingested store, with no reported value; tests copy it."""
    tmp = tmp_path_factory.mktemp("cockpit")
    export = tmp / "专利总表_cockpit_test.csv"
    export.write_text(EXPORT, encoding="utf-8")
    path = tmp / "base.duckdb"
    with Cockpit(db=path) as c:
        reports = c.ingest([shared / CN_DUMP, shared / SEI, shared / AWARDS, export])
    assert all(r.error is None and r.quarantined == 0 for r in reports)
    return path


@pytest.fixture
def store(base_store: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "cockpit.duckdb"
    shutil.copy(base_store, path)
    with Store(path) as s:
        yield s


@pytest.fixture
def reported(store: Store) -> Store:
    """The store with the plan's baselines and a test population for 2021-2024."""
    load_plan_baselines(store)
    for year in (2021, 2022, 2023, 2024):
        report_value(store, "500120", "population", year, POPULATION, "测试用人口（非统计数据）", "pytest")
    return store


@pytest.fixture(scope="module")
def lenient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Bishan profile with no coverage threshold: the tests of how a value is computed see the value over
    the few constructed records (test_cockpit_coverage.py tests that the built-in profile withholds it)."""
    folder = tmp_path_factory.mktemp("lenient")
    text = Path(load_region().file).read_text(encoding="utf-8")
    assert text.count("min_share: 0.9") == 1
    (folder / "500120.yaml").write_text(text.replace("min_share: 0.9", "min_share: 0"), encoding="utf-8")
    return folder


def by_id(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in out["indicators"]}


# independent counts from the files' text --------------------------------------------------------
def export_in_force(district: str, period_end: date) -> list[str]:
    """Invention grants of the constructed export in ``district``, granted and in force on ``period_end``:
    status 有权, or a 失效日期 after the period end."""
    out = []
    for row in csv.DictReader(io.StringIO(EXPORT)):
        if row["专利类型"] != "发明授权" or district not in row["申请人地址"]:
            continue
        granted = date.fromisoformat(
            f"{row['授权公告日'][:4]}-{row['授权公告日'][4:6]}-{row['授权公告日'][6:]}"
        )
        lapse = row["失效日期"]
        lapsed = lapse and date(int(lapse[:4]), int(lapse[4:6]), int(lapse[6:])) <= period_end
        if granted <= period_end and (row["法律状态"].startswith("有权") or (lapse and not lapsed)):
            out.append(row["授权公告号"])
    return sorted(out)


def plan_box(shared: Path) -> dict[str, tuple[float | None, float]]:
    """The plan's box 1 read from the plan's text: {name: (2020 value, 2025 value)}."""
    text = (shared.parent / "reference" / "bishan_ip_plan_2022.txt").read_text(encoding="utf-8")
    box = text.split("专栏1", 1)[1].split("专栏2", 1)[0]
    lines = [s.strip() for s in box.splitlines() if s.strip()]
    out = {}
    for i, line in enumerate(lines):
        if line == "预期性":
            name, base, target = lines[i - 3], lines[i - 2], lines[i - 1]
            out[re.sub(r"\(.*\)$", "", name)] = (None if base == "——" else float(base), float(target))
    return out


# region profiles -----------------------------------------------------------------------------------
def test_bishan_profile_is_the_plan(shared: Path) -> None:
    reg = load_region()
    assert (reg.admin_code, reg.match_prefix, reg.level, reg.baseline_year, reg.target_year) == (
        "500120",
        "500120",
        "district",
        2020,
        2025,
    )
    # the reference YAML, as it would parse (its other_goals line with straight quotes inside does not)
    ref_text = (shared.parent / "reference" / "bishan_plan_indicators.yaml").read_text(encoding="utf-8")
    ref = yaml.safe_load(ref_text.replace('"双高赛"', "“双高赛”"))
    assert [i.id for i in reg.indicators] == [i["id"] for i in ref["indicators"]]
    for ours, theirs in zip(reg.indicators, ref["indicators"], strict=True):
        assert (ours.name_zh, ours.unit_zh, ours.baseline, ours.target) == (
            theirs["name_zh"],
            theirs["unit_zh"],
            theirs["baseline"],
            theirs["target"],
        )
    assert (
        reg.other_goals == tuple(ref["other_goals"])
        and list(reg.leading_industries_zh) == ref["leading_industries_zh"]
    )
    # and the plan's own table: 10 rows, baselines and targets as written ("——" for satisfaction)
    box = plan_box(shared)
    assert len(box) == 10
    assert [v for v in box.values()] == [(i.baseline, i.target) for i in reg.indicators]
    assert box["知识产权保护社会满意度"] == (None, 82.0)
    # the plan gives no population or market-entity figure: the series are empty
    assert reg.series["population"].values == () and reg.series["market_entities"].values == ()


def test_profile_validation_names_file_and_key(tmp_path: Path) -> None:
    good = yaml.safe_load(ZHENGZHOU)
    cases = [
        (
            {**good, "indicators": good["indicators"] + [good["indicators"][0]]},
            "indicators[2].id",
            "used twice",
        ),
        (
            {**good, "indicators": [{**good["indicators"][0], "baseline": "12件"}]},
            "indicators[0].baseline",
            "expected a number or null",
        ),
        ({**good, "baseline_year": "二〇二〇"}, "baseline_year", "4-digit year"),
        ({**good, "region": {**good["region"], "admin_code": 410100}}, "region.admin_code", "quoted 6-digit"),
        (
            {**good, "indicators": [{k: v for k, v in good["indicators"][0].items() if k != "target"}]},
            "indicators[0].target",
            "missing",
        ),
        (
            {**good, "series": {"population": {"values": [{"year": 2020, "value": 1000}]}}},
            "series.population.values[0].source",
            "missing",
        ),
    ]
    for n, (data, key, what) in enumerate(cases):
        folder = tmp_path / f"case{n}"
        folder.mkdir()
        f = folder / "410100.yaml"
        f.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ProfileError) as err:
            list_regions(folder)
        assert str(err.value).startswith(f"{f}: {key}: ") and what in str(err.value), str(err.value)
    with pytest.raises(ProfileError, match="region 999999: no profile; known: 500120 重庆市璧山区"):
        load_region("999999")


def test_unparsable_yaml_and_user_override(tmp_path: Path, shared: Path) -> None:
    # a profile whose line opens a quoted scalar and goes on after it (as an earlier copy of the shared
    # reference YAML did with '"双高赛"引入…') does not parse
    ref = tmp_path / "bad" / "bishan_plan_indicators.yaml"
    ref.parent.mkdir()
    text = (shared.parent / "reference" / "bishan_plan_indicators.yaml").read_text(encoding="utf-8")
    ref.write_text(text + '\nother: [{name_zh: "双高赛"引入参赛高价值发明专利项目, value: 100}]\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=re.escape(f"{ref}: not valid YAML")):
        list_regions(ref.parent)
    # a user profile with a built-in code replaces the built-in one
    own = tmp_path / "own"
    own.mkdir()
    text = (Path(load_region().file)).read_text(encoding="utf-8").replace("target: 25", "target: 30")
    (own / "bishan.yaml").write_text(text, encoding="utf-8")
    assert load_region("500120", own).indicators[0].target == 30.0 and load_region().indicators[0].target == 25.0


def test_a_second_region_from_a_user_folder(tmp_path: Path) -> None:
    (tmp_path / "zhengzhou.yaml").write_text(ZHENGZHOU, encoding="utf-8")
    regions = list_regions(tmp_path)
    assert sorted(regions) == ["410100", "500120"]
    reg = load_region("410100", tmp_path)
    assert (reg.level, reg.match_prefix, match_prefix("410000"), match_prefix("500120")) == (
        "city",
        "4101",
        "41",
        "500120",
    )


# computed indicators -------------------------------------------------------------------------------
def test_invention_patents_per_10k_computed(reported: Store, lenient: Path) -> None:
    out = cockpit(reported, year=2024, today=TODAY, folders=lenient)
    assert out["region"]["code"] == "500120" and out["years"] == [2020, 2021, 2022, 2023, 2024]
    card = by_id(out)["invention_patents_per_10k_pop"]
    expected = export_in_force("璧山区", date(2024, 12, 31))
    assert expected == ["CN999000101B", "CN999000103B", "CN999000106B"]
    assert card["source"] == "computed" and card["year"] == 2024
    assert card["records"] == len(expected) and card["doc_ids"] == expected
    assert card["value"] == pytest.approx(len(expected) / POPULATION * 10_000) == 0.0375
    assert card["provenance"]["population"]["source_document"] == "测试用人口（非统计数据）"
    assert card["provenance"]["as_of"] == "2024-12-31" and card["provenance"]["granted_by_period_end"] == 4
    assert card["records_query"]["params"] == {"region": "500120", "indicator": card["id"], "year": 2024}
    # the trend: the plan's 2020 baseline (no 2020 population), then each year's stock; CN999000102B
    # ('无权-未缴年费', 失效日期 2023-03-01) counts up to 2022
    trend = {p["year"]: (p["value"], p["source"], p.get("records")) for p in card["trend"]}
    assert trend[2020] == (12.01, "reported", None)
    for year in (2021, 2022, 2023, 2024):
        n = len(export_in_force("璧山区", date(year, 12, 31)))
        assert trend[year] == (pytest.approx(n / POPULATION * 10_000), "computed", n)
    assert [len(export_in_force("璧山区", date(y, 12, 31))) for y in (2021, 2022, 2023)] == [3, 4, 3]
    rows = {
        r["doc_id"]: r
        for r in indicator_records(reported, "500120", card["id"], 2022, today=TODAY, folders=lenient)["rows"]
    }
    assert rows["CN999000102B"]["in_force"] is True
    assert "after 2022-12-31" in rows["CN999000102B"]["in_force_reason"]
    # utility models, applications and the Zhengzhou grant are not counted
    assert set(rows) == {"CN999000101B", "CN999000102B", "CN999000103B", "CN999000106B"}


def test_high_value_per_10k_uses_the_conditions(reported: Store, lenient: Path) -> None:
    card = by_id(cockpit(reported, year=2024, today=TODAY, folders=lenient))["high_value_invention_patents_per_10k_pop"]
    # CN999000101B and CN999000103B: SEI (H04L 9/40 with 中继链 in the title, rule 1.3#4's blockchain
    # condition; H01M 10/0525 with 汽车 in the title, rule 5.2#5's vehicle condition); CN999000106B: its 15,000,000 CNY
    # pledge of 2023-05-15 reaches the pledge threshold from 2023; CN999000102B meets none (unknown)
    assert card["doc_ids"] == ["CN999000101B", "CN999000103B", "CN999000106B"] and card["records"] == 3
    assert card["value"] == 0.0375 and card["provenance"]["high_value_unknown"] == 0
    trend = {p["year"]: p.get("records") for p in card["trend"]}
    assert trend == {2020: None, 2021: 2, 2022: 2, 2023: 3, 2024: 3}
    rows = indicator_records(reported, None, card["id"], 2022, today=TODAY)["rows"]
    assert [(r["doc_id"], r["high_value"]) for r in rows] == [("CN999000101B", True), ("CN999000103B", True)]
    assert rows[0]["conditions_met"] == ["strategic_emerging_industry", "maintained_over_10_years"]
    # the in-force stock of 2022 has two more, whose high value is unknown (no family data, no events then)
    rows = indicator_records(reported, None, "invention_patents_per_10k_pop", 2022, today=TODAY)["rows"]
    unknown = [r for r in rows if r["in_force"] and r["high_value"] is None]
    assert sorted(r["doc_id"] for r in unknown) == ["CN999000102B", "CN999000106B"]


def test_pct_and_pledge_computed(reported: Store) -> None:
    cards = by_id(cockpit(reported, year=2024, today=TODAY))
    pct = cards["pct_applications"]
    # the plan's 98 (2020) + WO2021000108A1, filed 2021-01-05 by a Bishan applicant
    assert (pct["value"], pct["source"], pct["records"], pct["doc_ids"]) == (
        99.0,
        "computed",
        1,
        ["WO2021000108A1"],
    )
    assert pct["progress"] == pytest.approx((99 - 98) / (298 - 98))
    pledge = cards["pledge_financing_amount"]
    # a running total: the plan's 0.2 亿元 + 1500万元 registered 2023-05-15 on CN999000106B; nothing in 2024
    # (test_cockpit_plan.py has the rest)
    assert (pledge["value"], pledge["year"], pledge["records"], pledge["doc_ids"]) == (
        0.35,
        2024,
        1,
        ["CN999000106B"],
    )
    assert pledge["reason"] is None


def test_trademark_indicators_and_reported_ones(reported: Store) -> None:
    cards = by_id(cockpit(reported, year=2024, today=TODAY))
    for ind in (
        "trademarks_per_10k_market_entities",
        "geographical_indications",
        "madrid_applications_cumulative",
    ):
        c = cards[ind]
        assert (
            c["mode"] == "computed"
            and c["source"] == "reported"
            and c["reason"] == "no trademark records loaded"
        )
        assert (
            c["year"] == 2020
            and c["value"] == c["baseline"]
            and c["status"] is None
            and c["forecast"] is None
        )
    c = cards["copyright_registrations"]
    assert c["mode"] == "reported" and c["provenance"]["source_document"] == (
        '《重庆市璧山区知识产权保护和运用"十四五"规划》（璧山府办发〔2022〕30号）'
        "专栏1 “十四五”时期知识产权工作主要指标，2020年栏"
    )
    assert c["provenance"]["kind"] == "plan_text" and c["provenance"]["stored"] is True
    sat = cards["protection_satisfaction"]
    assert (sat["baseline"], sat["target"], sat["value"], sat["status"]) == (None, 82.0, None, None)


def test_cockpit_ids_baselines_targets_match_the_yaml(reported: Store) -> None:
    reg = load_region()
    out = cockpit(reported, year=2024, today=TODAY)
    assert [
        (c["id"], c["name"], c["unit"], c["baseline"], c["target"], c["baseline_year"], c["target_year"])
        for c in out["indicators"]
    ] == [(i.id, i.name_zh, i.unit_zh, i.baseline, i.target, 2020, 2025) for i in reg.indicators]
    for c in out["indicators"]:
        assert c["source"] in ("computed", "reported", None) and c["status"] in (
            "on_track",
            "at_risk",
            "off_track",
            None,
        )


def test_read_only_store_without_baselines(base_store: Path) -> None:
    with Store(base_store, read_only=True) as s:
        out = cockpit(s, year=2024, today=TODAY)
    cards = by_id(out)
    c = cards["ip_service_agencies"]
    assert (c["value"], c["year"], c["source"]) == (21.0, 2020, "reported")
    assert c["provenance"]["stored"] is False and c["provenance"]["origin"] == "plan"
    inv = cards["invention_patents_per_10k_pop"]
    # no population reported: the count is there, the value is the plan's baseline
    assert inv["value"] == 12.01 and inv["computed"]["records"] == 3 and inv["computed"]["value"] is None
    assert inv["reason"] == "no population reported for 2024: report indicator 'population' for 2024"


def test_second_region_counts_its_own_records(store: Store, tmp_path: Path, shared: Path) -> None:
    folder = tmp_path / "regions"
    folder.mkdir()
    (folder / "410100.yaml").write_text(ZHENGZHOU, encoding="utf-8")
    for year in (2020, 2024):
        report_value(store, "410100", "population", year, 1_000_000, "测试用人口", "pytest", folders=folder)
    out = cockpit(store, "410100", 2024, folders=folder, today=TODAY)
    card = by_id(out)["invention_patents_per_10k_pop"]
    # the SQL dump: one invention grant (发明授权), applicant in 郑州市郑东新区 (admin code 410100);
    # the export: CN999000107B in 郑州市金水区 (410105), under the city prefix 4101
    sql = (shared / SQL_FILE).read_text(encoding="utf-8")
    dump_grants = [
        line
        for line in sql.splitlines()
        if line.startswith("INSERT INTO") and "发明授权" in line and "郑州市" in line and "有权" in line
    ]
    expected = len(dump_grants) + len(export_in_force("郑州市", date(2024, 12, 31)))
    assert expected == 2
    assert card["records"] == expected and card["doc_ids"] == ["CN115883397B", "CN999000107B"]
    assert card["value"] == pytest.approx(expected / 1_000_000 * 10_000)
    assert {p["year"]: p.get("records") for p in card["trend"]} == {2020: 1, 2024: 2}
    assert card["status"] is None and card["target"] is None  # no target in this profile


def test_attribution_takes_the_first_coded_party(store: Store) -> None:
    """Constructed rows (the table export gives an address to the first applicant only): which party's
    address decides, by grant date."""
    docs = [
        ("CN990000001B", date(2022, 3, 1)),
        ("CN990000002B", date(2022, 3, 1)),
        ("CN990000003B", date(2019, 3, 1)),
        ("CN990000004B", date(2022, 3, 1)),
    ]
    for doc_id, granted in docs:
        store.con.execute(
            "INSERT INTO documents (doc_id, office, number, kind, doc_type, stage, pub_date, app_id, app_date, "
            "grant_date, title, status, stub) VALUES (?, 'CN', ?, 'B', 'invention', 'grant', ?, ?, ?, ?, ?, "
            "'有权-审定授权', false)",
            [
                doc_id,
                doc_id[2:-1],
                granted,
                "CN2" + doc_id[2:-1],
                date(2016, 1, 1),
                granted,
                f"归属测试 {doc_id}",
            ],
        )
    parties = [
        ("CN990000001B", 1, "applicant", "810000"),
        ("CN990000001B", 2, "applicant", "500120"),  # HK first: not
        ("CN990000002B", 1, "applicant", None),
        ("CN990000002B", 2, "applicant", "500120"),  # first coded: yes
        ("CN990000003B", 1, "applicant", "410105"),
        ("CN990000003B", 1, "patentee", "500120"),  # 2019: patentee
        ("CN990000004B", 1, "applicant", "410105"),
        ("CN990000004B", 1, "patentee", "500120"),  # 2022: applicant
    ]
    for doc_id, seq, role, code in parties:
        store.con.execute(
            "INSERT INTO parties (doc_id, seq, role, name_raw, country, admin_code) "
            "VALUES (?, ?, ?, ?, 'CN', ?)",
            [doc_id, seq, role, f"测试{seq}", code],
        )
    rows = indicator_records(store, "500120", "invention_patents_per_10k_pop", 2024, today=TODAY)["rows"]
    ours = sorted(r["doc_id"] for r in rows if r["doc_id"].startswith("CN99000000"))
    assert ours == ["CN990000002B", "CN990000003B"]
    holder = {r["doc_id"]: r["holder_role"] for r in rows}
    assert holder["CN990000003B"] == "patentee" and holder["CN990000002B"] == "applicant"


# reported values ----------------------------------------------------------------------------------
def test_report_value_keeps_provenance(store: Store) -> None:
    row = report_value(
        store,
        None,
        "copyright_registrations",
        2023,
        512,
        "璧山区版权登记年报（测试）",
        "区知识产权局",
        reported_at="2024-02-01T09:30:00",
        note="测试",
    )
    assert {
        k: row[k]
        for k in (
            "region",
            "indicator",
            "year",
            "value",
            "unit",
            "source_document",
            "reported_by",
            "reported_at",
            "note",
            "origin",
        )
    } == {
        "region": "500120",
        "indicator": "copyright_registrations",
        "year": 2023,
        "value": 512.0,
        "unit": "件",
        "source_document": "璧山区版权登记年报（测试）",
        "reported_by": "区知识产权局",
        "reported_at": "2024-02-01T09:30:00",
        "note": "测试",
        "origin": "api",
    }
    fixed = report_value(store, None, "copyright_registrations", 2023, 515, "更正（测试）", "区知识产权局")
    rows = list_reported(store, "500120", "copyright_registrations", 2023)
    assert [(r["value"], r["current"]) for r in rows] == [(515.0, True), (512.0, False)]
    assert fixed["id"] > row["id"]
    card = by_id(cockpit(store, year=2023, today=TODAY))["copyright_registrations"]
    assert (card["value"], card["year"], card["source"]) == (515.0, 2023, "reported")
    assert card["provenance"]["source_document"] == "更正（测试）" and card["provenance"]["stored"] is True
    assert card["change"] is None and card["progress"] == pytest.approx((515 - 373) / (450 - 373), abs=1e-4)
    for bad, field in (
        ({"indicator": "patents"}, "indicator"),
        ({"year": "2023年"}, "year"),
        ({"value": "五百"}, "value"),
        ({"source_document": " "}, "source"),
        ({"value": -1}, "value"),
    ):
        args = {
            "indicator": "copyright_registrations",
            "year": 2023,
            "value": 1,
            "source_document": "x",
            "reported_by": "y",
            **bad,
        }
        with pytest.raises(ReportError, match=f"field '{field}'"):
            report_value(
                store,
                "500120",
                args["indicator"],
                args["year"],
                args["value"],
                args["source_document"],
                args["reported_by"],
            )
    with pytest.raises(ReportError, match="above the largest allowed value 100"):
        report_value(store, "500120", "protection_satisfaction", 2023, 120, "x", "y")


def test_plan_baselines_are_idempotent(store: Store) -> None:
    first = load_plan_baselines(store)
    assert len(first) == 9  # ten indicators, satisfaction has no baseline
    assert {r["indicator"]: r["value"] for r in first}["pledge_financing_amount"] == 0.2
    assert all(
        r["year"] == 2020
        and r["origin"] == "plan"
        and r["reported_at"] == "2022-07-08T00:00:00"
        and "璧山府办发〔2022〕30号" in r["source_document"]
        for r in first
    )
    assert load_plan_baselines(store) == []
    report_value(store, None, "copyright_registrations", 2020, 380, "更正（测试）", "pytest")
    assert load_plan_baselines(store) == []  # a correction is not overwritten by the plan again
    [current] = list_reported(store, "500120", "copyright_registrations", 2020, current_only=True)
    assert current["value"] == 380.0


def test_csv_import_is_all_or_nothing(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "填报.csv"
    bad.write_bytes(
        (
            "地区,指标,年份,数值,来源,填报人,备注\n"
            "500120,copyright_registrations,2022,401,版权年报（测试）,区知识产权局,\n"
            "500120,ip_service_agencies,20x2,30,服务机构名录（测试）,区知识产权局,\n"
            "500120,patent_count,2022,30,服务机构名录（测试）,区知识产权局,\n"
        ).encode("gbk")
    )
    with pytest.raises(ReportError) as err:
        import_csv(store, bad)
    msg = str(err.value)
    assert msg.startswith(f"{bad}: 2 bad row(s), nothing was imported")
    assert f"{bad}, line 3, field 'year': '20x2' is not a year" in msg
    assert f"{bad}, line 4, field 'indicator': 'patent_count' is not an indicator of region 500120" in msg
    assert list_reported(store) == []
    good = tmp_path / "reported.csv"
    good.write_text(
        "region,indicator,year,value,source,reported_by,note\n"
        "500120,copyright_registrations,2022,401,版权年报（测试）,区知识产权局,\n"
        "500120,population,2022,800000,统计公报（测试值）,区统计局,test input\n",
        encoding="utf-8-sig",
    )
    rows = import_csv(store, good)
    assert [(r["indicator"], r["value"], r["origin"], r["origin_ref"]) for r in rows] == [
        ("copyright_registrations", 401.0, "csv", "reported.csv:2"),
        ("population", 800000.0, "csv", "reported.csv:3"),
    ]
    dup = tmp_path / "dup.csv"
    dup.write_text(
        "indicator,year,value,source,reported_by\ncopyright_registrations,2021,1,a,b\n"
        "copyright_registrations,2021,2,a,b\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ReportError,
        match="line 3, field 'year': copyright_registrations 2021 of region 500120 is already on line 2",
    ):
        import_csv(store, dup, region="500120")
    with pytest.raises(ReportError, match="line 1: missing column"):
        import_csv(store, dup)  # no region column and no default region
    assert len(list_reported(store)) == 2


# forecast and status ------------------------------------------------------------------------------
def test_forecast_methods() -> None:
    fc = forecast([(2020, 10.0), (2021, 12.0), (2022, 14.0)], 2025)
    assert fc is not None and (fc["value"], fc["method"], fc["points"], fc["slope"]) == (
        20.0,
        "linear",
        3,
        2.0,
    )
    fc = forecast(
        [(2020, 10.0), (2021, 13.0), (2022, 14.0)], 2025
    )  # least squares: slope 2, mean 12.33 at 2021
    assert fc is not None and fc["value"] == pytest.approx(12.3333 + 2 * 4, abs=1e-4)
    fc = forecast([(2020, 100.0), (2022, 121.0)], 2025, "cagr")
    assert fc is not None and fc["method"] == "cagr" and fc["rate"] == pytest.approx(0.1)
    assert fc["value"] == pytest.approx(121 * 1.1**3, abs=1e-4)
    fc = forecast([(2022, 14.0)], 2025, baseline=(2020, 10.0))  # one value: the line from the baseline
    assert fc is not None and (fc["value"], fc["method"]) == (20.0, "linear")
    fc = forecast([(2023, 78.0)], 2025)
    assert fc is not None and (fc["value"], fc["method"]) == (78.0, "flat")
    fc = forecast([(2021, 1.0), (2025, 9.0)], 2025)
    assert fc is not None and (fc["value"], fc["method"]) == (9.0, "actual")
    assert forecast([(2021, None)], 2025) is None


def test_status_progress_change() -> None:
    assert status(25, 25) == "on_track" and status(23, 25) == "at_risk" and status(22.4, 25) == "off_track"
    assert status(22.5, 25) == "at_risk" and status(10, 25, latest=26) == "on_track"
    assert status(None, 25) is None and status(30, None) is None
    assert (
        progress(18.505, 12.01, 25) == 0.5
        and progress(12.01, 12.01, 25) == 0.0
        and progress(78, None, 82) == 0.9512
    )
    assert change([(2022, 10.0), (2023, 12.0)], 2023) == {"value": 2.0, "from_year": 2022, "pct": 20.0}
    assert change([(2021, 10.0), (2023, 12.0)], 2023) is None


def test_status_on_a_reported_series(store: Store) -> None:
    load_plan_baselines(store)
    for year, value in ((2021, 25), (2022, 30), (2023, 35)):
        report_value(store, None, "ip_service_agencies", year, value, "服务机构名录（测试）", "pytest")
    report_value(store, None, "protection_satisfaction", 2023, 78, "满意度调查（测试）", "pytest")
    cards = by_id(cockpit(store, year=2023, today=TODAY))
    c = cards["ip_service_agencies"]
    # 21, 25, 30, 35 over 2020-2023: mean 27.75 at 2021.5, slope 23.5 / 5 = 4.7 a year;
    # 2025: 27.75 + 4.7 * 3.5 = 44.2 < 45 (90% of 50): off track
    assert c["forecast"]["value"] == pytest.approx(44.2) and c["forecast"]["slope"] == pytest.approx(4.7)
    assert c["status"] == "off_track"
    assert c["change"] == {"value": 5.0, "from_year": 2022, "pct": pytest.approx(16.67)}
    sat = cards["protection_satisfaction"]
    # one value, no baseline: flat forecast 78 >= 73.8 (90% of 82): at risk
    assert (sat["value"], sat["forecast"]["method"], sat["status"], sat["progress"]) == (
        78.0,
        "flat",
        "at_risk",
        0.9512,
    )
