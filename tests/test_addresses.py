"""Address → region: GB/T 2260 codes with history, zones, postcodes as evidence, bad input, and the gazette week's
Chongqing records against an independent reading (tests/data/gazette_2019_chongqing_labels.csv)."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from bench.attribution import gazette_records, trs_addresses
from ipcockpit.model.addresses import REASON_KEYS, division, enrich_address, reason_items, subdivisions
from ipcockpit.model.flat import flatten
from ipcockpit.model.records import Address, Party, PatentRecord

DATA = Path(__file__).resolve().parents[1] / "ipcockpit" / "model" / "data"
LABELS = Path(__file__).resolve().parent / "data" / "gazette_2019_chongqing_labels.csv"


def place(raw: str | None, **given: str) -> tuple[str | None, str | None, str | None]:
    a = enrich_address(Address(raw=raw, **given))
    return a.country, a.admin_code, a.admin_reason


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


# former names ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "code", "former"), [
    ("402785重庆市璧山县健龙镇寨子村7组", "500120", "璧山县"),
    ("400900重庆市大足县龙水镇湖广庙巷5号", "500111", "大足县"),
    ("重庆市双桥区龙水湖", "500111", "双桥区"),
    ("401420重庆市綦江县工业园区", "500110", "綦江县"),
    ("400803重庆市万盛区南桐镇金龙村", "500110", "万盛区"),
    ("405400重庆市开县汉丰街道开州大道（中）233号", "500154", "开县"),
    ("402560重庆市铜梁县工业园区白龙二路三号", "500151", "铜梁县"),
    ("重庆市潼南县梓潼街道", "500152", "潼南县"),
    ("402460重庆市荣昌县昌州街道园区四支路28号", "500153", "荣昌县"),
    ("405200重庆市梁平县梁山街道人民北路54号", "500155", "梁平县"),
    ("重庆市武隆县巷口镇", "500156", "武隆县"),
    ("重庆市江北县两路镇", "500112", "江北县"),  # 渝北区's former name, not 江北区 with a county suffix
    ("山东省莱芜市莱城区凤城西大街", "370116", "莱城区"),
])
def test_former_names_give_todays_code_and_say_so(raw: str, code: str, former: str) -> None:
    country, got, reason = place(raw)
    assert (country, got) == ("CN", code)
    assert f"former_name:{former}" in reason.split(";")


def test_a_former_name_is_one_only_inside_its_parent() -> None:
    assert place("067000河北省承德市双桥区新华路北5号")[1:] == ("130802", None)  # today's 双桥区 of 承德
    assert place("双桥区新华路北5号")[1] == "130802"  # alone, today's name wins over 重庆's former one


def test_history_file_rows_each_read_to_todays_code() -> None:
    rows = _rows(DATA / "gbt2260_history.csv")
    assert len(rows) >= 60 and all(r["source"] and r["changed"].isdigit() for r in rows)
    for r in rows:
        today = division(r["code"])
        assert today is not None, r
        province = division(r["code"][:2] + "0000")
        country, code, reason = place(province.name + r["former_name"] + "某路1号")
        assert code == r["code"], r
        if r["former_name"] != today.name:
            assert f"former_name:{r['former_name']}" in reason.split(";"), r
    chongqing = {r["former_name"] for r in rows if r["code"].startswith("50")}
    assert {"璧山县", "大足县", "双桥区", "綦江县", "万盛区", "开县", "铜梁县", "潼南县", "荣昌县", "梁平县", "武隆县",
            "江津市", "合川市", "永川市", "南川市", "长寿县", "黔江土家族苗族自治县", "万县市", "涪陵市"} <= chongqing


# zones -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "code", "reason"), [
    ("401122重庆市北部新区汇金路11号1幢", "500000", "zone:北部新区"),
    ("重庆市两江新区鱼复工业园", "500000", "zone:两江新区"),
    ("重庆市高新区石桥铺渝州路33号", "500000", "zone:高新区"),
    ("重庆市经开区白鹤路46号", "500000", "zone:经开区"),
    ("重庆市西永微电子产业园区", "500000", "zone:西永"),
    ("重庆市空港工业园区", "500000", "zone:空港"),
    ("402260重庆市滨江新城南北大道1号", "500000", "zone:滨江新城"),  # not in the zone table: known by its ending
    ("400800重庆市万盛经开区青年镇工业园B区1号", "500110", "zone:万盛经开区"),  # the former 万盛区's area
    ("400900重庆市双桥经济开发区邮亭镇工业园区", "500111", "zone:双桥经济开发区"),
    ("210000江苏省南京市江北新区星火路14号", "320100", "zone:江北新区"),
    ("四川成都高新区天府大道", "510100", "zone:高新区"),
])
def test_zones_stop_where_the_text_stops(raw: str, code: str, reason: str) -> None:
    assert place(raw) == ("CN", code, reason)


def test_a_district_after_a_zone_is_read() -> None:
    assert place("重庆市北部新区渝北区金开大道")[1:] == ("500112", None)
    assert place("401121重庆市渝北区北部新区黄山大道中段5号")[1:] == ("500112", None)


def test_subdivisions() -> None:
    chongqing = subdivisions("500000")
    assert len(chongqing) == 38 and chongqing[19].name == "璧山区"  # 26 districts and 12 counties, no prefecture
    henan = {d.code for d in subdivisions("410000")}
    assert "410100" in henan and "419001" in henan and "410102" not in henan  # 济源市 is the province's own
    assert [d.code for d in subdivisions("510100")][:2] == ["510104", "510105"] and subdivisions("500120") == []


def test_zone_file_rows_are_divisions() -> None:
    for r in _rows(DATA / "gbt2260_zones.csv"):
        assert division(r["within"]) and division(r["code"]) and r["note"], r


def test_two_districts_in_a_row_stop_at_the_city() -> None:
    assert place("402160重庆市万州区永川区昌州大道东段801号") == (
        "CN", "500000", "districts_conflict:万州区|永川区")
    assert place("405218重庆市梁平县重庆市梁平区袁驿镇")[1] == "500155"  # the same district twice is no conflict
    assert place("408100重庆市涪陵区李渡聚龙大道98号")[1:] == ("500102", None)  # 李渡 without 区 is a place


@pytest.mark.parametrize(("raw", "country", "code", "reason"), [  # real texts of the gazette week
    ("453700河南省新乡市新乡市高新区和兴街1号", "CN", "410700", "zone:高新区"),  # the city repeated, not 新乡县
    ("841000新疆维吾尔自治区巴州库尔勒市塔什店南路", "CN", "652801", None),  # 巴州: an abbreviation the table lacks
    ("715401陕西省韩城市新城区金塔东路", "CN", "610581", None),  # 新城区 of 西安 is another city's: a place name
    ("518000广东省深圳市宝安区龙华区观澜街道桂花社区惠民一路34号", "CN", "440300", "districts_conflict:宝安区|龙华区"),
    ("中国（上海）自由贸易试验区祖冲之路899号9幢1-4层01室", "CN", "310000", "zone:自由贸易试验区"),
    ("100029北京市宣武区北三环东路15号", "CN", "110102", "former_name:宣武区"),
    ("271100山东省莱芜市钢城区新兴路68号", "CN", "370117", "former_name:莱芜市"),
    ("226000江苏省南通市通州市平潮镇通扬北路30号", "CN", "320612", "other_suffix:通州市"),  # not in the history file
    ("马耳他姆西达", "MT", None, "foreign:MT"),
    ("英属开曼群岛大开曼", "KY", None, "foreign:KY"),
])
def test_other_provinces(raw: str, country: str, code: str | None, reason: str | None) -> None:
    assert place(raw) == (country, code, reason)


# postcodes -------------------------------------------------------------------------------------
def test_postcodes_are_evidence_not_truth() -> None:
    assert place("400000北京市海淀区中关村") == ("CN", "110108", "postcode_conflict:400000")  # the text wins
    assert place("400000重庆市璧山县丁家镇")[1:] == ("500120", "former_name:璧山县")  # generic but same province
    assert place("100022朝阳区建国路") == ("CN", "110105", "postcode_chose:100022")  # 北京 of 北京/长春
    assert place("朝阳区建国路") == (None, None, "ambiguous:朝阳区(110105|220104)")
    assert place("402760") == ("CN", "500000", "postcode_only:402760")  # never finer than the province
    assert place("402760某某科技有限公司") == ("CN", "500000", "postcode_only:402760")


def test_postcode_file_agrees_with_the_gazette_texts(shared: Path) -> None:
    provinces = {r["prefix"]: r["province"] for r in _rows(DATA / "postcode_provinces.csv")}
    agree = total = 0
    for raw in {a for _, _, a in gazette_records(shared)}:
        a = enrich_address(Address(raw=raw))
        assert {key for key, _ in reason_items(a.admin_reason)} <= set(REASON_KEYS), raw
        if a.admin_code and a.postcode and "postcode_only" not in (a.admin_reason or ""):
            total += 1
            agree += provinces.get(a.postcode[:2]) == a.admin_code[:2] + "0000"
    assert (agree, total) == (18054, 18058)  # the 4 others: 扎兰屯, 阿拉善 and 故城县, where zones cross provinces


def test_trs_export_addresses_are_bare_postcodes_placed_at_the_province(shared: Path) -> None:
    out = [place(raw) for raw in trs_addresses(shared)]
    assert len(out) == 113
    assert out.count(("CN", "330000", "postcode_only:315031")) == 110  # 浙江;33 in the file's 国省代码
    assert ("CN", "500108", None) in out  # 400060重庆市南岸区...


# bad input -------------------------------------------------------------------------------------
def test_traditional_characters() -> None:
    assert place("402760重慶市璧山區璧泉街道雙星大道9號") == ("CN", "500120", None)
    assert place("重慶市璧山縣青杠街道") == ("CN", "500120", "former_name:璧山县")
    assert place("臺灣臺北市重慶南路一段57號")[1] == "710000"
    assert place("廣東省深圳市南山區")[1] == "440305"
    assert place("陕西省咸阳市乾县")[1] == "610424"  # 乾 is a simplified name's character: not made 干


def test_full_width_digits() -> None:
    assert place("４０２７６０重庆市璧山区璧泉街道双星大道９号") == ("CN", "500120", None)
    assert enrich_address(Address(raw="４０２７６０重庆市璧山区")).postcode == "402760"
    assert place("４０２７６０") == ("CN", "500000", "postcode_only:402760")


def test_missing_province() -> None:
    assert place("璧山区青杠街道来凤村") == ("CN", "500120", None)
    assert place("璧山县青杠大森村6组") == ("CN", "500120", "former_name:璧山县")
    assert place("成都市武侯区人民南路") == ("CN", "510107", None)


def test_foreign_address_written_in_chinese() -> None:
    assert place("美国明尼苏达州") == ("US", None, "foreign:US")
    assert place("美國明尼蘇達州") == ("US", None, "foreign:US")
    assert place("日本国东京都港区") == ("JP", None, "foreign:JP")
    assert place("Armonk, NY, US") == ("US", None, "foreign:US")


def test_empty_and_unreadable() -> None:
    for raw in ("", "   ", None):
        assert place(raw) == (None, None, "empty")
    assert place("某某科技有限公司") == (None, None, "not_found")
    assert place("1 Main Street") == (None, None, "no_country")
    kept = enrich_address(Address(raw="重庆市璧山区", admin_code="500120", admin_reason="from the source"))
    assert kept.admin_reason == "from the source"  # what the source says is kept


def test_every_reason_has_words_in_both_catalogues() -> None:
    locale = Path(__file__).resolve().parents[1] / "ipcockpit" / "locale"
    for name in ("en.json", "zh-CN.json"):
        catalogue = json.loads((locale / name).read_text(encoding="utf-8"))
        for key in REASON_KEYS:
            assert f"admin_reason.{key}" in catalogue, (name, key)
    assert reason_items("former_name:璧山县;postcode_conflict:400000") == [
        ("former_name", "璧山县"), ("postcode_conflict", "400000")]
    assert reason_items("empty") == [("empty", "")] and reason_items(None) == []


def test_the_loader_stores_the_reason() -> None:
    rec = PatentRecord(doc_id="CN209074011U", office="CN", number="209074011", kind="U", parties=[
        Party("重庆某某有限公司", address=Address(raw="402761重庆市璧山县青杠大森村6组"))])
    row = flatten([rec]).tables["parties"].to_pylist()[0]
    assert (row["admin_code"], row["admin_reason"]) == ("500120", "former_name:璧山县")


def test_repeated_addresses_cost_a_lookup() -> None:
    texts = [f"402760重庆市璧山区璧泉街道双星大道{i}号" for i in range(200)] * 250
    enrich_address(Address(raw=texts[0]))
    started = time.perf_counter()
    for t in texts:
        enrich_address(Address(raw=t))
    assert (time.perf_counter() - started) / len(texts) < 20e-6  # 50,000 calls, 200 distinct texts


# the gazette week ------------------------------------------------------------------------------
# the text names two districts; the reading decided by the street and the postcode, the parser stops at the city
KNOWN_EXCEPTIONS = {
    "CN209073020U": "districts_conflict:万州区|永川区",
    "CN209073260U": "districts_conflict:万州区|永川区",
    "CN209089250U": "districts_conflict:璧山县|永川区",
    "CN305251859S": "districts_conflict:涪陵区|南川区",
}


def test_gazette_chongqing_records_match_the_independent_reading(shared: Path) -> None:
    labels = {(r["publication_number"], r["patentee"], r["address"]): r for r in _rows(LABELS)}
    mentions = {rec for rec in gazette_records(shared) if "重庆" in rec[2]}
    assert set(labels) == mentions  # every record of the raw files whose address mentions 重庆, and no other
    chongqing = [r for r in labels.values() if r["code"]]
    assert len(chongqing) == 562
    for r in labels.values():
        country, code, reason = place(r["address"])
        if not r["code"]:
            assert not (code or "").startswith("50"), r  # 重庆路 in 深圳 is not 重庆
        elif r["publication_number"] in KNOWN_EXCEPTIONS:
            assert (code, reason) == ("500000", KNOWN_EXCEPTIONS[r["publication_number"]]), r
        else:
            assert code == r["code"], r
            assert all(key in REASON_KEYS for key, _ in reason_items(reason)), r
            if code == "500000":
                assert reason.startswith("zone:"), r  # every record left at the city says why
