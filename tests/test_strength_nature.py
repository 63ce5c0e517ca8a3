"""The nature of an organisation from real names (Chinese from the CNIPA gazette week, English from the Lens COVID
export): what the name decides, what it must leave unknown, the order of the rules, and the registry layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_stores import gazette_week

from ipcockpit.strength.nature import classify, name_marker, personal_name
from ipcockpit.strength.registry import RegistryError, credit_code_ok, load_registry

#: real Chinese holder names of the gazette week, and the nature the name gives (None: unknown)
ZH = {
    "重庆大学": "university",
    "重庆水利电力职业技术学院": "university",
    "重庆三峡医药高等专科学校": "university",
    "中国科学院重庆绿色智能技术研究院": "institute",
    "中国电子科技集团公司第二十六研究所": "institute",  # ends with 研究所: the institute, not its group
    "重庆市交通规划勘察设计院": "institute",
    "重庆机床（集团）有限责任公司": "enterprise",
    "OPPO（重庆）智能科技有限公司": "enterprise",
    "重庆元韩汽车技术设计研究院有限公司": "enterprise",  # the ending decides: a company named 研究院
    "重庆市璧山区川江金属配件厂": "enterprise",
    "重庆市璧山区人民医院": None,  # a hospital: none of the five
    "中国人民解放军陆军军医大学第三附属医院（野战外科研究所）": None,  # the bracket is not the ending: a hospital
    "开县和举养殖场": None,  # a farm: an individual business or a company, the name does not say
    "教育部学校规划建设发展中心": None,
}
#: real English holder names of the Lens COVID export
EN = {
    "UNIV CALIFORNIA": "university",
    "HARVARD COLLEGE": "university",
    "INSTITUT PASTEUR": "institute",
    "CENTRE NAT RECH SCIENT": "institute",
    "ACADEMIA SINICA": "institute",
    "GILEAD SCIENCES INC": "enterprise",
    "INTERVET INT BV": "enterprise",
    "MERIAL SAS": "enterprise",
    "US NAVY": "government",
    "US GOV HEALTH & HUMAN SERV": "government",
    "THE SECRETARY OF STATE FOR HEALTH": "government",
    "DANA FARBER CANCER INST INC": "enterprise",  # a trailing legal form decides, as in Chinese; a registry corrects
    "MASSACHUSETTS GEN HOSPITAL": None,
    "REGENERON PHARMA": None,  # no legal form in the name: not guessed
    "BOGOCH SAMUEL": None,  # a person's name, but nothing in the name alone says so
}


def test_names_are_real(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> None:
    import duckdb

    path, _ = gazette_week(tmp_path_factory, shared)
    con = duckdb.connect(str(path), read_only=True)
    found = {r[0] for r in con.execute("SELECT DISTINCT name_raw FROM parties WHERE name_raw IN "
                                       "(SELECT unnest(?::VARCHAR[]))", [list(ZH)]).fetchall()}
    con.close()
    assert found == set(ZH)
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((shared / "lens/covid_jsonl").glob("*.jsonl")))
    assert [n for n in EN if f'"{n}"' not in text] == []


@pytest.mark.parametrize("name", list(ZH) + list(EN))
def test_nature_from_the_name(name: str) -> None:
    want = {**ZH, **EN}[name]
    got = classify([(name, 1)])
    assert got.nature == (want or "unknown")
    if want is None:
        assert got.reason_en and got.reason_zh  # unknown always says why
    else:
        assert got.basis == "name" and got.evidence[0]["marker"]


def test_personal_names() -> None:
    # real individual applicants of the gazette week; 来雨祥's surname is not in the common-surname list: unknown
    assert classify([("王万川", 3)]).nature == "individual"
    assert classify([("欧阳晓平", 1)]).as_dict()["evidence"][0] == {"rule": "personal_name", "name": "欧阳晓平",
                                                                  "surname": "欧阳"}
    assert classify([("来雨祥", 1)]).nature == "unknown"
    assert personal_name("重庆大学") is None and personal_name("阿不都·热合曼") == "阿不都"
    # an English name is a person only with evidence: the applicant is also an inventor
    assert classify([("BOGOCH SAMUEL", 2)], applicant_is_inventor=2).basis == "applicant_is_inventor"


def test_rule_order_and_disagreement() -> None:
    # a source's applicant-type column decides only where the name says nothing
    assert classify([("中科大数据研究院", 2)], source_types=[("company", "cn-table-sql", 2)]).nature == "institute"
    src = classify([("开县和举养殖场", 2)], source_types=[("company", "cn-table-sql", 2)])
    assert (src.nature, src.basis) == ("enterprise", "source_type")
    # a type the project guessed from the name (not a table export's column) is not evidence
    assert classify([("开县和举养殖场", 2)], source_types=[("company", "cn-gazette-csv", 2)]).nature == "unknown"
    # names of one entity that disagree (as a wrong merge would give): two thirds of the rows decide, else unknown
    assert classify([("UNIV UTRECHT", 2), ("INTERVET INT BV", 1)]).nature == "university"
    split = classify([("UNIV UTRECHT", 1), ("INTERVET INT BV", 1)])
    assert split.nature == "unknown" and "disagree" in split.reason_en
    assert name_marker("현대자동차주식회사") == ("enterprise", "주식회사")


def test_registry_layout(tmp_path: Path) -> None:
    reg = tmp_path / "registry.csv"
    reg.write_text(
        "统一社会信用代码,名称,性质,行业,地区,成立日期,曾用名\n"
        "914403001922038216,华为技术有限公司,企业,C3921,440300,1987-09-15,\n"  # Huawei's published code
        "914403001922038217,华为终端有限公司,企业,,,,\n"  # one digit off: the check digit fails
        ",DANA FARBER CANCER INST INC,科研院所,,,,DANA-FARBER CANCER INSTITUTE INC\n"
        ",重庆市璧山区人民医院,公立医院,,500120,,\n"  # not a nature
        ",UNIV UTRECHT,高校,,,,\n,UNIV UTRECHT,企业,,,,\n",  # the registry contradicts itself
        encoding="utf-8")
    r = load_registry(reg)
    assert r.rows == 6
    assert set(r.by_name) == {"华为技术", "dana farber cancer inst", "dana farber cancer institute"}
    assert r.by_name["华为技术"]["founded"] == "1987-09-15" and r.by_name["华为技术"]["credit_code"]
    reasons = {x["name"]: x["reason"] for x in r.rejected}
    assert "check digit" in reasons["华为终端有限公司"] and "not one of" in reasons["重庆市璧山区人民医院"]
    assert "another nature" in reasons["UNIV UTRECHT"]
    hit = r.match(["dana farber cancer institute"])
    got = classify([("DANA-FARBER CANCER INSTITUTE INC", 1)], registry=hit)
    assert (got.nature, got.basis) == ("institute", "registry")
    assert got.evidence[0]["name_said"] == "enterprise" and got.evidence[0]["line"] == 4
    assert credit_code_ok("91330100716105852F") and not credit_code_ok("9133010071610585")
    with pytest.raises(RegistryError, match="nature"):
        (tmp_path / "bad.csv").write_text("name,industry\nX,Y\n", encoding="utf-8")
        load_registry(tmp_path / "bad.csv")
