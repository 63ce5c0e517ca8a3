"""SEI rule readings: the reviewed table against the real concordance, the docs table, and how keyword
conditions and exclusions decide the SEI condition.

The screening rows here are constructed ("（测试行）"/"test row"): the shared CN data has no patent under
the exclusion rules or with the vehicle-keyword rule, and none whose text is empty. Their IPC codes and
texts are chosen to fall under one rule each (checked against the real concordance in the tests).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.ingest.sei_readings import (
    DOC_END,
    DOC_START,
    READINGS,
    column_text,
    markdown_table,
    propose,
    reading_for,
    reviewed,
    split_terms,
)
from ipcockpit.value.conditions import Universe, condition_rows
from ipcockpit.value.settings import ScreenSettings

SEI = "classification/cnipa_sei2021_ipc_concordance.json"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "value.md"
#: rules whose reviewed reading departs from the wording's proposal (docs/value.md says why)
REVIEWED_AGAINST_PROPOSAL = {"1.3#5", "5.2#1", "5.2#3", "5.3#2", "5.4#1"}


def _rules(shared: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((shared / SEI).read_text(encoding="utf-8"))
    return {f"{e['branch_no']}#{i}": {**r, "branch_name": e["branch_name"]}
            for e in data["entries"] for i, r in enumerate(e["rules"], start=1)}


def test_every_rule_has_a_reviewed_reading(shared: Path) -> None:
    rules = _rules(shared)
    table = reviewed()
    assert list(table) == list(rules)  # all 303, in the file's order
    for rid, rule in rules.items():
        row = table[rid]
        assert row["branch_name"] == rule["branch_name"], rid
        assert column_text(row["column"]) == column_text(rule["keywords"]), rid  # the column as the file has it
        assert row["reading"] in READINGS and row["why"], rid
        terms = split_terms(row["terms"])
        assert bool(terms) == (row["reading"] in ("keyword_condition", "exclusion")), rid
        assert (row["reading"] == "ipc_only") == (not rule["keywords"]) == bool(rule["ipc_only"]), rid
        assert reading_for(rule["keywords"]).reading == row["reading"], rid
    assert Counter(r["reading"] for r in table.values()) == {
        "product": 268, "keyword_condition": 14, "exclusion": 6, "ipc_only": 15}
    # the wording proposes; the review departs from it only where docs/value.md says so
    assert {rid for rid, r in table.items() if propose(column_text(r["column"])) != r["reading"]} == \
        REVIEWED_AGAINST_PROPOSAL
    # the same column text has the same reading and terms wherever it occurs
    seen: dict[str, tuple[str, str]] = {}
    for row in table.values():
        assert seen.setdefault(row["column"], (row["reading"], row["terms"])) == (row["reading"], row["terms"])


def test_the_conditions_of_the_issue() -> None:
    table = reviewed()
    assert table["1.3#4"]["reading"] == "keyword_condition"
    assert {"区块链", "blockchain*", "分布式账本", "智能合约"} <= set(split_terms(table["1.3#4"]["terms"]))
    assert table["2.2#2"]["reading"] == "exclusion" and "火箭" in split_terms(table["2.2#2"]["terms"])
    # 航空航天 is common in aircraft texts: neither 航天 nor 卫星 alone may exclude an aircraft patent
    assert not {"航天", "卫星"} & set(split_terms(table["2.2#2"]["terms"]))


def test_terms_are_plain_words() -> None:
    assert split_terms("区块链|Blockchain*|plug-in hybrid*") == ("区块链", "blockchain*", "plug-in hybrid*")
    with pytest.raises(ValueError, match="no other signs"):
        split_terms("block.chain")


def test_docs_table_matches_the_data() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = text.index(DOC_START), text.index(DOC_END) + len(DOC_END)
    assert text[start:end] == markdown_table(), "run python scripts/write_sei_readings_doc.py"
    for rid in reviewed():
        assert f"| {rid} |" in text[start:end], rid


# the SEI condition with conditions and exclusions ----------------------------------------------
EXPORT = """申请号,申请日,授权公告号,授权公告日,专利类型,专利名称,摘要,申请人,法律状态,分类号
CN202010000011.1,20200110,CN888888881B,20220105,发明授权,一种飞行器整流罩（测试行）,一种整流罩，用于运载火箭的头部，减小气动阻力。,重庆测试科技有限公司,有权-审定授权,B64C1/00
CN202010000012.X,20200110,CN888888882B,20220105,发明授权,一种飞机机身框（测试行）,一种用于民用飞机机身的复合材料框，适用于航空航天领域。,重庆测试科技有限公司,有权-审定授权,B64C1/00
CN202010000013.8,20200110,CN888888883B,20220105,发明授权,一种电机检测方法（测试行）,\
A test of carbon brushes of a motor on a bench.,重庆测试科技有限公司,有权-审定授权,G01R31/34
CN202010000014.6,20200110,CN888888884B,20220105,发明授权,一种电机检测方法（测试行）,\
A test of the traction motors of electric vehicles.,重庆测试科技有限公司,有权-审定授权,G01R31/34
CN202010000015.4,20200110,CN888888885B,20220105,发明授权,,,重庆测试科技有限公司,有权-审定授权,H04K1/00
CN202010000016.2,20200110,CN888888886B,20220105,发明授权,一种量子密钥分发系统（测试行）,,重庆测试科技有限公司,有权-审定授权,H04K1/00
"""
AS_OF = date(2025, 7, 1)


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cockpit]:
    tmp = tmp_path_factory.mktemp("sei")
    export = tmp / "专利总表_sei_test.csv"
    export.write_text(EXPORT, encoding="utf-8")
    with Cockpit(db=tmp / "sei.duckdb") as c:  # the SEI table is the bundled one
        [report] = c.ingest([export])
        assert report.error is None and report.loaded == 6 and report.quarantined == 0
        yield c


def _sei(cockpit: Cockpit, doc: str, **settings: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    [r] = condition_rows(cockpit.store.con, ScreenSettings(as_of=AS_OF, **settings), Universe(doc_ids=(doc,)))
    sei = r["conditions"]["strategic_emerging_industry"]
    [m] = sei["evidence"]["matches"]  # each row falls under one rule
    return sei, m


def test_exclusion_removes_the_hit(cockpit: Cockpit) -> None:
    for strict in (False, True):
        sei, m = _sei(cockpit, "CN888888881B", strict_sei=strict)  # 运载火箭 in the abstract
        assert sei["met"] is False
        assert (m["rule_id"], m["reading"], m["condition_state"], m["condition_term"], m["condition_field"]) == (
            "2.2#2", "exclusion", "excluded", "火箭", "abstract")
        assert sei["reason"].endswith("but its exclusion '不包括航天相关设备制造' applies: '火箭' in the abstract")
        sei, m = _sei(cockpit, "CN888888882B", strict_sei=strict)  # 航空航天 is not space equipment
        assert sei["met"] is True and m["condition_state"] == "not_excluded" and m["counted"] is True


def test_ascii_terms_are_whole_words(cockpit: Cockpit) -> None:
    sei, m = _sei(cockpit, "CN888888883B")  # rule 5.3#3 asks for vehicle terms: 'car' is not in 'carbon'
    assert sei["met"] is False and (m["rule_id"], m["condition_state"]) == ("5.3#3", "not_met")
    sei, m = _sei(cockpit, "CN888888884B")  # 'vehicle*' finds "vehicles"
    assert sei["met"] is True and (m["condition_term"], m["condition_field"]) == ("vehicle*", "abstract")
    assert sei["reason"].endswith("condition '汽车相关关键词' met: 'vehicle*' in the abstract")


def test_no_text_leaves_a_condition_unknown(cockpit: Cockpit) -> None:
    sei, m = _sei(cockpit, "CN888888885B")  # H04K with no title, abstract or claims
    assert sei["met"] is None and (m["rule_id"], m["condition_state"], m["counted"]) == ("1.3#5", "no_text", None)
    assert sei["reason"].endswith("the data has no title, abstract or claims to check it")
    sei, m = _sei(cockpit, "CN888888886B")  # the title alone may show the condition: 量子密钥 in it
    assert sei["met"] is True and (m["condition_term"], m["condition_field"]) == ("量子密钥", "title")


def test_official_csv_gets_the_reviewed_reading(tmp_path: Path) -> None:
    table = tmp_path / "sei_official.csv"
    table.write_text(
        "industry_code,branch_code,branch_name,ipc,keywords,scheme,reading,condition_terms\n"
        "1,1.3,新兴软件和新型信息技术服务,H04L9*,平行链、中继链、以太币等区块链相关关键词,sei2021_official,,\n"
        "2,2.2,航空装备产业,B64C1*,不包括航天相关设备制造,sei2021_official,exclusion,火箭|航天器\n",
        encoding="utf-8")
    with Cockpit(db=tmp_path / "official.duckdb") as c:
        [report] = c.ingest([table])
        assert report.error is None and report.quarantined == 0
        got = c.store.query("SELECT rule_id, reading, condition_terms FROM ref_ipc_concordance "
                            "WHERE scheme = 'sei2021_official' ORDER BY rule_id")
    assert got[0]["rule_id"] == "1.3#1" and got[0]["reading"] == "keyword_condition"
    assert got[0]["condition_terms"] == list(split_terms(reviewed()["1.3#4"]["terms"]))
    assert (got[1]["reading"], got[1]["condition_terms"]) == ("exclusion", ["火箭", "航天器"])
