"""The CNIPA five conditions with evidence, on real data (CN table dump, SEI concordance, award list,
EPO OPS family and legal fixtures, Lens drones, USPTO assignments) plus a small constructed export.

The constructed rows (``EXPORT`` below) are marked "（测试行）"/"test row": the award list gives no grant
number, so the award patent's row has the real application number, title and holder of the 25th China
Patent Award gold record and a placeholder publication number; the other rows exercise pledge amounts,
a lapse and a family member abroad, which the 10-row shared dump does not have (its 质押次数 are all 0).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from shared_stores import built_once, copy_store

from ipcockpit.app import Cockpit
from ipcockpit.errors import SettingsError
from ipcockpit.model.classes import match_rule
from ipcockpit.value.conditions import CONDITIONS, Universe, condition_rows, evaluate
from ipcockpit.value.settings import ScreenSettings

CN_DUMP = "cn/table_export_sample"
SEI = "classification/cnipa_sei2021_ipc_concordance.json"
AWARDS = "awards/25th-preview.jsonl"
AS_OF = date(2025, 7, 1)

EXPORT = """申请号,申请日,公开号,公开日,授权公告号,授权公告日,专利类型,专利名称,申请人,申请人地址,法律状态,分类号,\
同族专利,质押次数,质押日期,质押金额(万元),失效日期
CN201610705624.2,,,,CN999999991B,,发明授权,抗CTLA4-抗PD-1双功能抗体、其药物组合物及其用途,康方药业有限公司,,,,,,,,
CN201010000002.1,20100105,,,CN999999992B,20130605,发明授权,一种基于中继链的跨链数据传输方法（测试行）,重庆测试科技有限公司,重庆市璧山区璧泉街道测试路1号,有权-审定授权,H04L9/40,US9999999B2,2,20180105;20200310,800;500,
US13000003,20110301,,,US9999999B2,20140506,发明授权,Cross-chain data transfer (test row),\
CHONGQING TEST TECH CO LTD,,有效,H04L9/40,,,,,
CN201210000004.5,20120210,,,CN999999994B,20150407,发明授权,一种测试用电池极片（测试行）,重庆测试科技有限公司,重庆市璧山区璧泉街道测试路1号,无权-未缴年费,H01M4/13,,,,,20230301
CN202010000005.9,20200415,,,CN999999995B,20220708,发明授权,一种测试用图像处理方法（测试行）,河南测试信息有限公司,河南省郑州市金水区测试路5号,有权-审定授权,G06T7/00,,1,20230110,,
"""
TEST_ROWS = ["CN999999991B", "CN999999992B", "US9999999B2", "CN999999994B", "CN999999995B"]


def build_store(path: Path, shared: Path, tmp: Path) -> Path:
    """The screening test store: real shared files plus the constructed export."""
    export = tmp / "专利总表_test.csv"
    export.write_text(EXPORT, encoding="utf-8")
    files = [shared / CN_DUMP, shared / SEI, shared / AWARDS, shared / "epo_ops/family/fixtures/family_input.xml",
             shared / "epo_ops/legal/fixtures/example_1.xml", shared / "lens/drone_drones_fulltext_families_5884.csv",
             shared / "uspto_api/assignment/fixtures", export]
    with Cockpit(db=path) as c:
        reports = c.ingest(files)
    assert all(r.error is None and r.quarantined == 0 for r in reports)
    return path


def screen_store(factory: pytest.TempPathFactory, shared: Path, name: str) -> Path:
    """A copy, in a new folder named ``name``, of the store :func:`build_store` makes; it is built once for
    the run (tests/shared_stores.py): tests/test_screen.py, test_settings_merge.py and test_legal_status.py
    start from it too."""
    path = built_once("screen", factory, lambda folder: build_store(folder / "screen.duckdb", shared, folder))
    return copy_store(path, factory.mktemp(name))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    return screen_store(tmp_path_factory, shared, "screen")


@pytest.fixture(scope="module")
def cockpit(store: Path) -> Iterator[Cockpit]:
    with Cockpit(db=store, read_only=True) as c:
        yield c


def rows(cockpit: Cockpit, ids: list[str] | None = None, **settings: Any) -> dict[str, dict[str, Any]]:
    s = ScreenSettings(as_of=AS_OF, **settings)
    universe = Universe(doc_ids=tuple(ids)) if ids is not None else None
    return {r["publication_number"]: r for r in condition_rows(cockpit.store.con, s, universe)}


@pytest.mark.slow
def test_universe_is_every_invention_grant(cockpit: Cockpit) -> None:
    all_rows = rows(cockpit)
    # 1 CN grant from the dump (CN115883397B; its A publication and 7 utility models are not screened),
    # 5 constructed rows, and the Lens drones invention grants (not stubs)
    [(lens,)] = cockpit.store.con.execute(
        "SELECT count(*) FROM documents WHERE file_id IN (SELECT file_id FROM source_files WHERE path LIKE "
        "'%drone_drones%') AND stage = 'grant' AND doc_type = 'invention'").fetchall()
    assert len(all_rows) == 1 + 5 + lens
    assert "CN115883397B" in all_rows and "CN115883397A" not in all_rows and "CN218751475U" not in all_rows
    for r in all_rows.values():
        assert set(r["conditions"]) == set(CONDITIONS)
        for c in [r["in_force_detail"], *r["conditions"].values()]:
            assert c["met"] in (True, False, None)
            assert c["reason"]  # every answer, null above all, says why
            assert c["met"] is not None or c["reason"]


@pytest.mark.slow
def test_cn_grant_from_the_dump(cockpit: Cockpit) -> None:
    r = rows(cockpit)["CN115883397B"]
    # the dump row 10: 法律状态 有权-审定授权, 分类号 H04L43/02;H04L9/40;H04L67/025, 申请日 20221102,
    # 实质审查日 20230418
    assert r["in_force"] is True and r["in_force_detail"]["evidence"] == {"basis": "status", "status": "有权-审定授权"}
    # H04L 9/40 falls under rule 1.3#4 only, which applies to blockchain alone (区块链相关关键词): a web
    # data-collection method whose title, abstract and first claim name no blockchain term is not SEI
    sei = r["conditions"]["strategic_emerging_industry"]
    assert sei["met"] is False
    [m] = sei["evidence"]["matches"]
    assert (m["ipc"], m["rule_id"], m["branch_code"], m["branch_name"], m["industry_code"], m["industry_name"]) == (
        "H04L 9/40", "1.3#4", "1.3", "新兴软件和新型信息技术服务", "1", "新一代信息技术产业")
    assert m["keywords"] == ["平行链、中继链、以太币等区块链相关关键词"]
    assert (m["reading"], m["condition_state"], m["condition_term"], m["counted"]) == (
        "keyword_condition", "not_met", None, False)
    assert sei["reason"].endswith("but its condition '平行链、中继链、以太币等区块链相关关键词' is not met: "
                                  "none of its terms occurs in the title, abstract or claims")
    fam = r["conditions"]["overseas_family"]
    assert fam["met"] is None and fam["reason"] == "no family data for this document"
    kept = r["conditions"]["maintained_over_10_years"]
    assert kept["met"] is False and kept["evidence"]["start_date"] == "2022-11-02" and kept["evidence"]["years"] == 2.66
    pledge = r["conditions"]["pledge_financing"]
    assert pledge["met"] is False and "none is a pledge" in pledge["reason"]  # it has the 实质审查 event
    # the store's only award list is the 25th-award sample (5 gold, 5 silver): not on it is unknown, not false
    award = r["conditions"]["award"]
    assert award["met"] is None and award["reason"] == (
        "not on the China Patent Award lists loaded: session 25 (2025, partial); "
        "no State Science and Technology Award list loaded")
    # no condition met, the overseas family and the award unknown: no longer high value through 1.3#4
    assert r["high_value"] is None and r["high_value_reason"] == "no condition met; unknown: overseas_family, award"
    assert r["applicants"] == ["中科大数据研究院"]


@pytest.mark.slow
def test_keyword_condition_with_or_without_strict(cockpit: Cockpit) -> None:
    for strict in (False, True):  # strict_sei reads product columns; a keyword condition applies always
        r = rows(cockpit, ["CN115883397B", "CN999999992B", "US9999999B2"], strict_sei=strict)
        sei = r["CN115883397B"]["conditions"]["strategic_emerging_industry"]
        assert sei["met"] is False and sei["evidence"]["matches"][0]["condition_state"] == "not_met"
        hit = r["CN999999992B"]["conditions"]["strategic_emerging_industry"]
        [m] = hit["evidence"]["matches"]  # 一种基于中继链的跨链数据传输方法: 中继链 and 跨链 in the title
        assert hit["met"] is True and (m["condition_term"], m["condition_field"]) == ("中继链", "title")
        assert m["keyword_hit"] is None
        assert hit["reason_zh"].endswith("满足条件“平行链、中继链、以太币等区块链相关关键词”：题名中有“中继链”")
        us = r["US9999999B2"]["conditions"]["strategic_emerging_industry"]  # Cross-chain data transfer
        assert us["met"] is True and us["evidence"]["matches"][0]["condition_term"] == "cross-chain*"


@pytest.mark.slow
def test_strict_sei_needs_a_product_keyword(cockpit: Cockpit) -> None:
    # the test row CN999999995B (G06T 7/00, 一种测试用图像处理方法) meets rule 9.1#2, a product column
    loose = rows(cockpit, ["CN999999995B"])["CN999999995B"]["conditions"]["strategic_emerging_industry"]
    [m] = loose["evidence"]["matches"]
    assert loose["met"] is True and (m["rule_id"], m["reading"], m["condition_state"]) == ("9.1#2", "product", None)
    strict = rows(cockpit, ["CN999999995B"], strict_sei=True)["CN999999995B"]["conditions"]
    sei = strict["strategic_emerging_industry"]  # none of 气象服务；地震服务 … in the title
    assert sei["met"] is False and sei["reason"].startswith("strict mode: IPC G06T 7/00 matches rule 9.1#2")


@pytest.mark.slow
def test_title_alone_leaves_a_keyword_condition_unknown(cockpit: Cockpit) -> None:
    # CN999999994B (H01M 4/13, 一种测试用电池极片) falls under 5.2#5 only, which asks for vehicle terms;
    # the row has a title and no abstract or claims, so the condition cannot be checked
    sei = rows(cockpit, ["CN999999994B"])["CN999999994B"]["conditions"]["strategic_emerging_industry"]
    [m] = sei["evidence"]["matches"]
    assert sei["met"] is None and (m["rule_id"], m["condition_state"], m["counted"]) == ("5.2#5", "title_only", None)
    assert sei["reason"].endswith("the data has only the title, and it does not show the condition")


@pytest.mark.slow
def test_sql_matches_agree_with_python(cockpit: Cockpit, shared: Path) -> None:
    data = json.loads((shared / SEI).read_text(encoding="utf-8"))
    rules = {f"{e['branch_no']}#{i + 1}": r for e in data["entries"] for i, r in enumerate(e["rules"])}
    codes: dict[str, list[str]] = {}
    for doc, code in cockpit.store.con.execute(  # a grant is read with the IPC of its application's publications
            "SELECT DISTINCT d.doc_id, c.code FROM documents d JOIN documents s ON s.app_id = d.app_id "
            "OR s.doc_id = d.doc_id JOIN classifications c ON c.doc_id = s.doc_id WHERE c.scheme = 'IPC'").fetchall():
        codes.setdefault(doc, []).append(code)
    screened = rows(cockpit)
    checked = 0
    for doc, r in sorted(screened.items())[:300]:
        sql = {(m["ipc"], m["rule_id"])
               for m in r["conditions"]["strategic_emerging_industry"]["evidence"]["matches"]} \
            if r["conditions"]["strategic_emerging_industry"]["evidence"] else set()
        py = {(c, rid) for c in codes.get(doc, []) for rid, rule in rules.items()
              if match_rule(c, rule["ipc_patterns"], rule.get("ipc_exclusions") or [])}
        assert sql == py, doc
        checked += bool(py)
    assert checked > 50


@pytest.mark.slow
def test_in_force_from_term_events_and_status(cockpit: Cockpit) -> None:
    r = rows(cockpit, ["EP1000000B1", "CN999999994B"])
    ep = r["EP1000000B1"]  # filed 1999-11-08 (OPS legal fixture); its national lapses do not decide
    assert ep["in_force"] is False and ep["in_force_detail"]["evidence"]["term_end"] == "2019-11-08"
    assert ep["high_value"] is False
    lapsed = r["CN999999994B"]
    assert lapsed["in_force"] is False and lapsed["in_force_detail"]["evidence"]["event_class"] == "lapse"
    assert lapsed["in_force_detail"]["evidence"]["date"] == "2023-03-01"
    assert lapsed["conditions"]["strategic_emerging_industry"]["met"] is None and lapsed["high_value"] is False
    # Lens gives no legal status: AU2005203234B2 (filed 2005-07-25) is unknown before its term ends, false after
    before = rows(cockpit, ["AU2005203234B2"])["AU2005203234B2"]
    assert before["in_force"] is None and before["in_force_detail"]["reason"] == "no legal status or event in the data"
    after = condition_rows(cockpit.store.con, ScreenSettings(as_of=date(2025, 8, 1)),
                           Universe(doc_ids=("AU2005203234B2",)))[0]
    assert after["in_force"] is False and after["in_force_detail"]["evidence"]["term_end"] == "2025-07-25"


@pytest.mark.slow
def test_overseas_family(cockpit: Cockpit) -> None:
    r = rows(cockpit, ["CN999999992B", "EP1000000B1", "AU2005203234B2"])
    fam = r["CN999999992B"]["conditions"]["overseas_family"]
    assert fam["met"] is True
    assert fam["evidence"]["abroad"] == [{"doc_id": "US9999999B2", "office": "US", "granted": True, "in_force": True}]
    ep = r["EP1000000B1"]["conditions"]["overseas_family"]  # INPADOC family 19768124 of the OPS fixture
    assert ep["met"] is None
    assert [m["doc_id"] for m in ep["evidence"]["abroad"]] == ["AT232441T", "DE69905327D1", "NL1010536C2", "US6093011A"]
    nl = next(m for m in ep["evidence"]["abroad"] if m["doc_id"] == "NL1010536C2")
    assert nl["granted"] is True and nl["in_force"] is False  # filed 1998-11-12: term ended
    lens = r["AU2005203234B2"]["conditions"]["overseas_family"]  # Lens CSV row 5788: Simple Family Size 13, no members
    assert lens["met"] is None and lens["reason"] == "the source counts a family of 13 but lists no members"
    alone = rows(cockpit, ["KR100802716B1"])["KR100802716B1"]["conditions"]["overseas_family"]  # Lens row 756
    assert alone["met"] is False and alone["evidence"] == {"office": "KR", "family_size": 1}


@pytest.mark.slow
def test_maintained_years_from_filing_or_grant(cockpit: Cockpit) -> None:
    filing = rows(cockpit, ["CN999999992B"])["CN999999992B"]["conditions"]["maintained_over_10_years"]
    assert filing["met"] is True and filing["evidence"] == {
        "start": "filing", "start_date": "2010-01-05", "as_of": "2025-07-01", "years": 15.49}
    grant = rows(cockpit, ["CN999999992B", "CN999999995B"], maintenance_start="grant")
    assert grant["CN999999992B"]["conditions"]["maintained_over_10_years"]["evidence"]["start_date"] == "2013-06-05"
    assert grant["CN999999992B"]["conditions"]["maintained_over_10_years"]["met"] is True
    assert grant["CN999999995B"]["conditions"]["maintained_over_10_years"]["met"] is False
    award = rows(cockpit, ["CN999999991B"])["CN999999991B"]["conditions"]["maintained_over_10_years"]
    assert award["met"] is None and award["reason"] == "no filing date in the data"


@pytest.mark.slow
def test_pledge_amounts_threshold_and_unknown(cockpit: Cockpit) -> None:
    r = rows(cockpit, ["CN999999992B", "CN999999995B", "US9410410"])
    big = r["CN999999992B"]["conditions"]["pledge_financing"]
    assert big["met"] is True and big["evidence"]["total_cny"] == 13_000_000  # 800 + 500 万元
    assert [e["amount"] for e in big["evidence"]["events"]] == [8_000_000, 5_000_000]
    higher = rows(cockpit, ["CN999999992B"], pledge_threshold=20_000_000)["CN999999992B"]
    assert higher["conditions"]["pledge_financing"]["met"] is False
    unknown = r["CN999999995B"]["conditions"]["pledge_financing"]
    assert unknown["met"] is None and unknown["reason"].startswith("pledge registered, amount unknown")
    # USPTO assignments: 6 SECURITY INTEREST conveyances name patent 9410410, none with an amount
    us = r["US9410410"]["conditions"]["pledge_financing"]
    assert us["met"] is None and us["reason"].startswith("pledge registered, amount unknown (6 of 6")
    lens = rows(cockpit, ["AU2005203234B2"])["AU2005203234B2"]["conditions"]["pledge_financing"]
    assert lens["met"] is None and lens["reason"] == "no legal events in the data, so pledges cannot be known"


@pytest.mark.slow
def test_award_from_the_list(cockpit: Cockpit) -> None:
    r = rows(cockpit, ["CN999999991B"])["CN999999991B"]
    award = r["conditions"]["award"]
    assert award["met"] is True
    [a] = award["evidence"]["awards"]
    assert (a["award"], a["edition"], a["level"], a["year"], a["record_id"]) == (
        "china_patent_award", 25, "gold", 2025, "P25-G-ZL201610705624.2")
    # an award but no legal status: high value only if in force, which the data cannot tell
    assert r["in_force"] is None and r["high_value"] is None
    assert "whether it is in force is unknown" in r["high_value_reason"]


def test_missing_reference_tables_give_null_with_reason(tmp_path: Path, shared: Path) -> None:
    # every store has the bundled SEI table under sei2021; a scheme nobody loaded is unknown with the reason
    with Cockpit(db=tmp_path / "bare.duckdb") as c:
        c.ingest([shared / CN_DUMP])
        [r] = condition_rows(c.store.con, ScreenSettings(as_of=AS_OF, sei_scheme="sei2021_official"))
    sei = r["conditions"]["strategic_emerging_industry"]
    assert sei["met"] is None and sei["reason"].startswith("load the SEI concordance for scheme 'sei2021_official'")
    award = r["conditions"]["award"]
    assert award["met"] is None and award["reason"].startswith("no award list loaded")
    assert r["high_value"] is None  # in force, nothing met, SEI/family/award unknown


@pytest.mark.slow
def test_evaluate_is_one_arrow_table(cockpit: Cockpit) -> None:
    table = evaluate(cockpit.store.con, ScreenSettings(as_of=AS_OF), Universe(doc_ids=tuple(TEST_ROWS)))
    assert table.num_rows == 5 and "sei_matches" in table.column_names


def test_settings_are_checked() -> None:
    with pytest.raises(SettingsError, match="maintenance_start"):
        ScreenSettings(maintenance_start="priority")
    with pytest.raises(SettingsError, match="unknown screening setting"):
        ScreenSettings().with_overrides(threshold=1)
    s = ScreenSettings().with_overrides(as_of="2024-01-31", pledge_threshold=5e6, strict_sei=None)
    assert s.as_of == date(2024, 1, 31) and s.pledge_threshold == 5e6 and s.strict_sei is False
