"""Chinese addresses to GB/T 2260 codes, country names to ISO codes, and party-name normalisation."""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path

import pytest

from ipcockpit.model.addresses import division, enrich_address, iso_country, parse_cn_address
from ipcockpit.model.names import guess_party_type, normalise_name
from ipcockpit.model.records import Address

ADDRESSES = [
    # raw, province, city, district, admin_code
    ("重庆市璧山区璧泉街道双星大道8号", "重庆市", "重庆市", "璧山区", "500120"),
    ("402760 重庆市璧山区", "重庆市", "重庆市", "璧山区", "500120"),
    ("重庆市璧山县璧城街道", "重庆市", "重庆市", "璧山区", "500120"),  # the name before 2014
    ("璧山区青杠街道", "重庆市", "重庆市", "璧山区", "500120"),  # no province
    ("中国重庆市渝北区", "重庆市", "重庆市", "渝北区", "500112"),
    ("重庆市石柱土家族自治县南宾街道", "重庆市", "重庆市", "石柱土家族自治县", "500240"),
    ("北京市海淀区中关村大街1号", "北京市", "北京市", "海淀区", "110108"),
    ("上海市浦东新区张江路", "上海市", "上海市", "浦东新区", "310115"),
    ("天津市和平路100号", "天津市", "天津市", None, "120000"),  # a street, not 和平区
    ("四川省成都市高新区天府大道", "四川省", "成都市", None, "510100"),  # 高新区 is no GB/T 2260 division
    ("四川成都武侯区", "四川省", "成都市", "武侯区", "510107"),
    ("成都市武侯区人民南路", "四川省", "成都市", "武侯区", "510107"),
    ("450000河南省郑州市郑东新区中道东路6号创意岛大厦8层", "河南省", "郑州市", None, "410100"),
    ("四川省阿坝藏族羌族自治州理县杂谷脑镇", "四川省", "阿坝藏族羌族自治州", "理县", "513222"),
    ("阿坝州马尔康市", "四川省", "阿坝藏族羌族自治州", "马尔康市", "513201"),
    ("湖南省湘西州吉首市", "湖南省", "湘西土家族苗族自治州", "吉首市", "433101"),
    ("云南省西双版纳傣族自治州景洪市", "云南省", "西双版纳傣族自治州", "景洪市", "532801"),
    ("新疆维吾尔自治区乌鲁木齐市天山区", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "650102"),
    ("内蒙古呼和浩特市赛罕区", "内蒙古自治区", "呼和浩特市", "赛罕区", "150105"),
    ("广西壮族自治区南宁市青秀区", "广西壮族自治区", "南宁市", "青秀区", "450103"),
    ("深圳市南山区科技园", "广东省", "深圳市", "南山区", "440305"),
    ("浙江省义乌市稠城街道", "浙江省", "金华市", "义乌市", "330782"),  # prefecture left out
    ("江苏省苏州工业园区星湖街328号", "江苏省", "苏州市", None, "320500"),
    ("吉林省吉林市船营区", "吉林省", "吉林市", "船营区", "220204"),
    ("长春市朝阳区", "吉林省", "长春市", "朝阳区", "220104"),
    ("河南省济源市", "河南省", None, "济源市", "419001"),  # county-level city under the province
    ("西藏自治区林芝市巴宜区", "西藏自治区", "林芝市", "巴宜区", "540402"),
]


@pytest.mark.parametrize(("raw", "province", "city", "district", "code"), ADDRESSES)
def test_chinese_address(raw: str, province: str, city: str | None, district: str | None, code: str) -> None:
    a = enrich_address(Address(raw=raw))
    assert (a.province, a.city, a.district, a.admin_code, a.country) == (province, city, district, code, "CN")


def test_address_details() -> None:
    assert parse_cn_address("402760 重庆市璧山区")[4] == "402760"
    assert parse_cn_address("朝阳区建国路") == (None, None, None, None, None)  # 北京 or 长春: not guessed
    a = enrich_address(Address(raw="重庆市璧山区", province="重庆", country="CN"))
    assert (a.province, a.admin_code) == ("重庆", "500120")  # what the source says is kept
    assert division("500120").name == "璧山区" and division("500120").level == 3


def test_foreign_addresses_get_a_country_only() -> None:
    for raw, country in [("Armonk, NY, US", "US"), ("Tokyo (JP)", "JP"), ("Munich, Germany", "DE"),
                         ("美国加利福尼亚州圣何塞市", "US"), ("日本国东京都港区", "JP")]:
        a = enrich_address(Address(raw=raw))
        assert (a.country, a.province, a.admin_code, a.raw) == (country, None, None, raw)
    assert enrich_address(Address(raw="1 Main Street")).country is None
    assert enrich_address(Address(country="Japan")).country == "JP"


def test_iso_country() -> None:
    cases = {"CN": "CN", "CHN": "CN", "China": "CN", "中国": "CN", "中华人民共和国": "CN", "美国": "US",
             "United States of America": "US", "日本": "JP", "大韩民国": "KR", "韩国": "KR", "Korea, Republic of": "KR",
             "South Korea": "KR", "德国": "DE", "Germany": "DE", "英国": "GB", "瑞士": "CH", "中国台湾": "TW"}
    for text, code in cases.items():
        assert iso_country(text) == code, text
    assert iso_country("EP") is None and iso_country("WO") is None and iso_country("") is None


def test_address_parsing_is_fast() -> None:
    parse_cn_address.cache_clear()
    raws = [a[0] + str(i) for i in range(40) for a in ADDRESSES]
    started = time.perf_counter()
    for raw in raws:
        parse_cn_address(raw)
    assert (time.perf_counter() - started) / len(raws) < 0.001  # well under a millisecond uncached


NAMES = [
    # raw, normalised, type
    ("华为技术有限公司", "华为技术", "company"),
    ("歌尔股份有限公司", "歌尔", "company"),
    ("中国石油化工股份有限公司", "中国石油化工", "company"),
    ("山西北方机械制造有限责任公司", "山西北方机械制造", "company"),
    ("海尔集团公司", "海尔", "company"),
    ("西门子（中国）有限公司", "西门子中国", "company"),
    ("中国移动通信集团四川有限公司成都分公司", "中国移动通信集团四川有限公司成都分公司", "company"),
    ("郑州明华专利代理事务所（普通合伙）", "郑州明华专利代理事务所", "company"),
    ("含山县东山德雨球墨铸造厂", "含山县东山德雨球墨铸造厂", "company"),
    ("重庆材料研究院有限公司", "重庆材料研究院", "company"),
    ("ＡＢＣ株式会社", "abc", "company"),
    ("浙江大学", "浙江大学", "university"),
    ("重庆电子工程职业学院", "重庆电子工程职业学院", "university"),
    ("中国科学院大连化学物理研究所", "中国科学院大连化学物理研究所", "institute"),
    ("中科大数据研究院", "中科大数据研究院", "institute"),
    ("四川大学华西医院", "四川大学华西医院", "hospital"),
    ("重庆市璧山区人民政府", "重庆市璧山区人民政府", "government"),
    ("国家知识产权局", "国家知识产权局", "government"),
    ("彭鸿一", "彭鸿一", "person"),
    ("欧阳荣波", "欧阳荣波", "person"),
    ("王 茂庭", "王茂庭", "person"),
    ("THALES SA", "thales", "company"),
    ("ELWHA LLC", "elwha", "company"),
    ("BOEING CO", "boeing", "company"),
    ("The Boeing Company", "boeing", "company"),
    ("Motorola, Inc.", "motorola", "company"),
    ("SZ DJI TECHNOLOGY CO LTD", "sz dji technology", "company"),
    ("Samsung Electronics Co., Ltd.", "samsung electronics", "company"),
    ("EADS DEUTSCHLAND GMBH", "eads deutschland", "company"),
    ("Siemens Aktiengesellschaft", "siemens", "company"),
    ("SIEMENS AG", "siemens", "company"),
    ("DIEHL GMBH & CO", "diehl", "company"),
    ("Canon K.K.", "canon", "company"),
    ("Toyota Jidosha Kabushiki Kaisha", "toyota jidosha", "company"),
    ("UNIV CALIFORNIA", "univ california", "university"),
    ("MASSACHUSETTS INST TECHNOLOGY", "massachusetts inst technology", "university"),
    ("Industrial Technology Research Institute", "industrial technology research institute", "institute"),
    ("Fraunhofer-Gesellschaft zur Förderung der angewandten Forschung e.V.",
     "fraunhofer gesellschaft zur förderung der angewandten forschung e v", "institute"),
    ("Massachusetts General Hospital", "massachusetts general hospital", "hospital"),
    ("US NAVY", "us navy", "government"),
    ("The United States of America as represented by the Secretary of the Navy",
     "united states of america as represented by the secretary of the navy", "government"),
    ("KESLER MORRIS P", "kesler morris p", "person"),
    ("LI QIANG", "li qiang", "person"),
    ("PARROT", "parrot", "other"),
]


@pytest.mark.parametrize(("raw", "norm", "kind"), NAMES)
def test_names(raw: str, norm: str, kind: str) -> None:
    assert normalise_name(raw) == norm
    assert guess_party_type(raw) == kind


def test_name_forms_compare_equal() -> None:
    assert normalise_name("華為技術有限公司") != normalise_name("华为技术有限公司")  # no script conversion
    assert normalise_name("歌尔股份有限公司") == normalise_name("歌尔 股份 有限公司") == normalise_name("歌尔有限公司")
    assert normalise_name("Sony Corp.") == normalise_name("SONY CORPORATION") == normalise_name("Sony Corporation")
    assert normalise_name("AT&T Corp") == normalise_name("AT & T CORP")
    assert normalise_name("公司") == "公司" and normalise_name("Inc.") == "inc"  # never emptied
    assert normalise_name("  ") is None and normalise_name(None) is None
    assert guess_party_type("") is None


def test_real_applicants_are_typed(shared: Path) -> None:
    """Every applicant of the CNKI and 专利总表 samples and the 100 most frequent Lens applicants get a type."""
    import openpyxl

    wb = openpyxl.load_workbook(shared / "cn/cnki_export/MaterialChemistry_18_19.xlsx", read_only=True)
    names = [n for row in list(wb.worksheets[0].iter_rows(values_only=True))[1:] for n in str(row[2]).split(";")]
    wb.close()
    kinds = {n: guess_party_type(n) for n in names}
    assert kinds["浙江大学"] == "university" and kinds["沙特基础全球技术有限公司"] == "company"
    assert kinds["中国科学院宁波材料技术与工程研究所"] == "institute" and kinds["王茂庭"] == "person"
    assert sum(k == "other" for k in kinds.values()) == 0
    with (shared / "lens/drone_drones_fulltext_families_5884.csv").open(encoding="utf-8") as fh:
        counts: dict[str, int] = {}
        for row in csv.DictReader(fh):
            for a in row["Applicants"].split(";;"):
                if a.strip():
                    counts[a.strip()] = counts.get(a.strip(), 0) + 1
    top = sorted(counts, key=lambda n: -counts[n])[:100]
    types = Counter(guess_party_type(n) for n in top)
    # 34 persons are inventors filed as applicants (KESLER MORRIS P ...); the 9 "other" are bare names
    # such as PARROT, IBM, SNECMA, AIRBUS FRANCE that carry no legal form
    assert types == {"company": 52, "person": 34, "other": 9, "government": 3, "university": 2}
    assert all(normalise_name(n) for n in top)
