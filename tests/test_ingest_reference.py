"""Reference tables: IPC titles (en, zh), technology fields, CNIPA concordances, and classes.py.

The shared files are ingested once into one DuckDB file per module; the counts were checked by
other means (awk/grep on the files, Python's json and tarfile).
"""

from __future__ import annotations

import csv
import io
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.ingest import registry
from ipcockpit.ingest.sources import file_source
from ipcockpit.model.classes import (
    ipc_level,
    ipc_main_group,
    ipc_parent,
    ipc_subclass,
    match_pattern,
    match_rule,
    normalise_ipc,
    normalise_locarno,
    pattern_regex,
    try_normalise_ipc,
)
from ipcockpit.model.reference import REF_TABLES
from ipcockpit.settings import Settings

CLS = "classification"
FILES = {
    "all_ipc.csv": ("ipc-titles-en", 75287, 0),
    "IPC_Tree_2026.01_zh.tar.gz": ("ipc-tree-zh", 77188, 203),
    "ipc_technology.csv": ("wipo-tech-fields", 764, 0),
    "NBER_Match_IPC_Field_240330.csv": ("nber-ipc-fields", 126, 0),
    "cnipa_sei2021_ipc_concordance.json": ("cnipa-ipc-catalog-json", 1689, 0),
    "cnipa_green_tech_2022_ipc.json": ("cnipa-ipc-catalog-json", 773, 0),
    "cnipa_key_digital_tech_2023_ipc.json": ("cnipa-ipc-catalog-json", 4890, 0),
    "prefiling_scope_cq_sc_cd.json": ("prefiling-scope-json", 412, 0),
}
REF = ("ref_ipc_titles", "ref_tech_fields", "ref_ipc_concordance")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[tuple[Cockpit, dict]]:
    c = Cockpit(Settings(db=str(tmp_path_factory.mktemp("ref") / "ref.duckdb")))
    reports = {name: c.ingest([shared / CLS / name])[0] for name in FILES}
    yield c, reports
    c.close()


# ingest -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_formats_and_counts(loaded: tuple[Cockpit, dict]) -> None:
    _, reports = loaded
    for name, (fmt, rows, quarantined) in FILES.items():
        r = reports[name]
        assert r.error is None, (name, r.error)
        assert (r.format, r.loaded, r.quarantined) == (fmt, rows, quarantined), name
        assert r.read == r.loaded + r.quarantined + r.merged


@pytest.mark.slow
def test_english_titles(loaded: tuple[Cockpit, dict]) -> None:
    c, _ = loaded
    q = c.store.query
    levels = {r["level"]: r["n"] for r in q("SELECT level, count(*) n FROM ref_ipc_titles WHERE lang='en' GROUP BY 1")}
    # awk: 8 one-letter, 131 three-char, 645 four-char, 75,043 fixed-form codes; 540 main groups twice
    assert levels == {"section": 8, "class": 131, "subclass": 645, "main_group": 7483, "subgroup": 67020}
    assert c.store.scalar("SELECT count(DISTINCT code) FROM ref_ipc_titles WHERE lang='en'") == 75287
    row = q("SELECT * FROM ref_ipc_titles WHERE lang='en' AND code='H04N 19/176'")[0]
    assert "coding" not in row["title"] and "macroblock" in row["title"]
    assert row["parent"] == "H04N 19/00" and row["level"] == "subgroup"
    group = q("SELECT * FROM ref_ipc_titles WHERE lang='en' AND code='H04N 19/00'")[0]
    assert "coding" in group["title"] and group["parent"] == "H04N"
    plough = q("SELECT * FROM ref_ipc_titles WHERE lang='en' AND code='A01B 3/00'")[0]
    assert (plough["title"], plough["heading"]) == ("Ploughs with fixed plough-shares", "Ploughs")
    hand = q("SELECT title FROM ref_ipc_titles WHERE lang='en' AND code='A01B 1/00'")[0]["title"]
    assert hand == "Hand tools (edge trimmers for lawns A01G 3/06)"
    # a title that runs over three lines of the file
    door = q("SELECT title FROM ref_ipc_titles WHERE lang='en' AND code='B61D 19/00'")[0]["title"]
    assert door.endswith("E05B 85/00;door-operating mechanisms E05F)") and "\n" not in door


def _archive_counts(path: Path) -> dict[str, int]:
    """Count the tree's folders, files and subgroup numbers straight from the tar listing."""
    counts = {"section": 0, "class": 0, "subclass": 0, "main_group_files": 0}
    subgroups: set[str] = set()
    line = re.compile(rb"^([A-H]\d\d[A-Z]\d+/\d+) ", re.M)
    with tarfile.open(path) as tf:
        for m in tf:
            rel = m.name.split("IPC_Tree/", 1)[-1].split("/")
            if m.isdir() and "IPC_Tree/" in m.name:
                depth = {1: "section", 2: "class", 3: "subclass"}.get(len(rel))
                if depth:
                    counts[depth] += 1
            elif m.isfile() and re.match(r"^[A-H]\d\d[A-Z]\d+_00_", rel[-1]):
                counts["main_group_files"] += 1
                data = tf.extractfile(m).read()  # type: ignore[union-attr]
                subgroups.update(x.decode() for x in line.findall(data.split(b"\n====", 1)[-1]))
    counts["subgroup_numbers"] = len(subgroups)
    return counts


@pytest.mark.slow
def test_chinese_tree_levels(loaded: tuple[Cockpit, dict], shared: Path) -> None:
    archive = shared / CLS / "IPC_Tree_2026.01_zh.tar.gz"
    assert _archive_counts(archive) == {"section": 8, "class": 132, "subclass": 652, "main_group_files": 7495,
                                        "subgroup_numbers": 68985}
    c, _ = loaded
    levels = {r["level"]: r["n"] for r in c.store.query(
        "SELECT level, count(DISTINCT code) n FROM ref_ipc_titles WHERE lang='zh' GROUP BY 1")}
    # E03B has two folders; 19 main-group files repeat a group; E01D 101/00 is listed inside E01D24/00;
    # 68,985 numbers = 68,911 titled + 73 without a title (quarantined) + H02S20/00 (a note),
    # and the E03B 9/02..9/20 subgroups are folders
    assert levels == {"section": 8, "class": 132, "subclass": 651, "main_group": 7477, "subgroup": 68920}
    q = c.store.query
    assert q("SELECT title FROM ref_ipc_titles WHERE lang='zh' AND code='A01B'")[0]["title"].startswith(
        "农业或林业的整地；一般农业机械或农具的部件、零件或附件（用于播种")
    row = q("SELECT * FROM ref_ipc_titles WHERE lang='zh' AND code='H04N 19/176'")[0]
    assert (row["title"], row["parent"], row["version"]) == ("区域是块，例如宏块", "H04N 19/00", "2026.01")
    assert q("SELECT title FROM ref_ipc_titles WHERE lang='zh' AND code='C01'")[0]["title"] == "无机化学"
    # title on the lines after "E01C23/08 .."; subgroup kept as a folder; number split by a space
    assert q("SELECT title FROM ref_ipc_titles WHERE lang='zh' AND code='E01C 23/08'")[0]["title"].startswith(
        "使铺面表面粗糙或刻记花纹的设备")
    assert q("SELECT title FROM ref_ipc_titles WHERE lang='zh' AND code='E03B 9/10'")[0]["title"] == "护板或盖子"
    assert q("SELECT title FROM ref_ipc_titles WHERE lang='zh' AND code='E01D 101/00'")[0]["title"] == "桥梁的材料组成"
    quarantined = q("SELECT * FROM quarantine WHERE reason LIKE 'E21B 43/1185:%'")
    assert len(quarantined) == 1 and quarantined[0]["field"] == "title"
    assert "E21B43_00_" in quarantined[0]["position"] and "complete Chinese IPC scheme" in quarantined[0]["reason"]


@pytest.mark.slow
def test_tech_fields(loaded: tuple[Cockpit, dict]) -> None:
    c, _ = loaded
    q = c.store.query
    assert c.store.scalar("SELECT count(DISTINCT field_id) FROM ref_tech_fields WHERE scheme='wipo35'") == 35
    h04n3 = q("SELECT * FROM ref_tech_fields WHERE scheme='wipo35' AND ipc_pattern='H04N3*'")[0]
    assert h04n3["ipc_prefix"] == "H04N 3/" and h04n3["sector_en"] == "Electrical engineering"
    # longest prefix of a code: H04N 3/12 under 'H04N 3/', not 'H04N 31/'
    hits = q("SELECT ipc_prefix FROM ref_tech_fields WHERE scheme='wipo35' AND 'H04N 3/12' LIKE ipc_prefix || '%' "
             "ORDER BY length(ipc_prefix) DESC")
    assert hits[0]["ipc_prefix"] == "H04N 3/"
    nber = {r["ipc_prefix"]: (r["field_id"], r["field_en"])
            for r in q("SELECT * FROM ref_tech_fields WHERE scheme='nber6'")}
    assert nber["A01N"] == (1, "Chemical") and nber["H04"] == (2, "Computers & Communications")
    assert nber["A61"] == (3, "Drugs & Medical") and nber["C06"] == (6, "Others")


@pytest.mark.slow
def test_sei_concordance(loaded: tuple[Cockpit, dict], shared: Path) -> None:
    c, _ = loaded
    q = c.store.query
    s = q("SELECT count(DISTINCT parent_code) industries, count(DISTINCT code) branches, "
          "count(DISTINCT rule_id) rules, count(*) n FROM ref_ipc_concordance WHERE scheme='sei2021'")[0]
    assert s == {"industries": 9, "branches": 40, "rules": 303, "n": 1689}
    solar = q("SELECT * FROM ref_ipc_concordance WHERE scheme='sei2021' AND ipc_pattern='H01L31*'")
    assert [(r["code"], r["name"], r["parent_name"], r["rule_id"]) for r in solar] == [
        ("6.3", "太阳能产业", "新能源产业", "6.3#5")]
    bio = q("SELECT * FROM ref_ipc_concordance WHERE scheme='sei2021' AND ipc_pattern='C12N15*'")[0]
    assert bio["code"] == "4.3" and "C12N15/56" in bio["exclusions"]
    first = q("SELECT * FROM ref_ipc_concordance WHERE scheme='sei2021' AND rule_id='1.1#1' ORDER BY ipc_pattern")
    assert [r["ipc_pattern"] for r in first] == ["G06F11*", "G06F21*", "H04L1*"]
    assert first[0]["keywords"] == ["计算机和辅助设备修理"] and first[0]["ipc_only"] is False
    # SQL (ipc_regex/exclusion_regex) and Python (match_rule) give the same branches for real codes
    data = json.loads((shared / CLS / "cnipa_sei2021_ipc_concordance.json").read_text(encoding="utf-8"))
    codes = [r["code"] for r in q("SELECT code FROM ref_ipc_titles WHERE lang='en' AND level='subgroup' "
                                  "AND code[1:4] IN ('H04N','G06F','H01L','C12N','H04L','B60L') ORDER BY code")]
    assert len(codes) == 2559
    for code in codes[::40] + ["H04N 19/176", "C12N 15/56", "C12N 15/57", "G06F 11/14", "G06F 11/1402"]:
        py = {e["branch_no"] for e in data["entries"] for r in e["rules"]
              if match_rule(code, r["ipc_patterns"], r["ipc_exclusions"])}
        sql = {r["code"] for r in q(
            "SELECT code FROM ref_ipc_concordance WHERE scheme='sei2021' AND regexp_full_match(?, ipc_regex) "
            "AND NOT coalesce(regexp_full_match(?, exclusion_regex), false)", [code, code])}
        assert py == sql, code
    assert "4.3" not in {r["code"] for r in q(
        "SELECT code FROM ref_ipc_concordance WHERE scheme='sei2021' AND regexp_full_match('C12N 15/56', ipc_regex) "
        "AND NOT coalesce(regexp_full_match('C12N 15/56', exclusion_regex), false) AND rule_id='4.3#8'")}


@pytest.mark.slow
def test_green_digital_prefiling(loaded: tuple[Cockpit, dict]) -> None:
    c, _ = loaded
    q = c.store.query
    green = q("SELECT count(DISTINCT code) b, count(DISTINCT rule_id) r FROM ref_ipc_concordance "
              "WHERE scheme='green2022'")
    assert green[0] == {"b": 143, "r": 155}
    assert q("SELECT coverage FROM ref_ipc_concordance WHERE scheme='green2022' AND code='1.1.1.2' LIMIT 1")[0] == {
        "coverage": "全部涉及"}
    digital = q("SELECT count(DISTINCT subsystem || '/' || code) b, count(DISTINCT subsystem) s "
                "FROM ref_ipc_concordance WHERE scheme='digital2023'")[0]
    assert digital == {"b": 527, "s": 7}
    gpu = q("SELECT * FROM ref_ipc_concordance WHERE scheme='digital2023' AND subsystem='人工智能' AND code='1.1.1' "
            "ORDER BY ipc_pattern LIMIT 1")[0]
    assert (gpu["name"], gpu["parent_code"], gpu["parent_name"]) == ("GPU", "1.1", "智能芯片")
    scopes = {(r["scheme"], r["class_scheme"]): r["n"] for r in q(
        "SELECT scheme, class_scheme, count(*) n FROM ref_ipc_concordance WHERE scheme LIKE 'prefiling_%' "
        "GROUP BY ALL")}
    assert scopes[("prefiling_chongqing", "IPC")] == 111 and scopes[("prefiling_chongqing", "LOCARNO")] == 23
    assert sum(scopes.values()) == 412
    row = q("SELECT * FROM ref_ipc_concordance WHERE scheme='prefiling_chengdu' AND ipc_pattern='A61K'")[0]
    assert (row["code"], row["parent_name"], row["pattern_title"]) == (
        "生物", "成都知识产权保护中心", "医用、牙科用或梳妆用的配制品")


@pytest.mark.slow
def test_reingest_is_idempotent(loaded: tuple[Cockpit, dict], shared: Path) -> None:
    c, first = loaded
    before = {t: c.store.count(t) for t in (*REF, "quarantine", "source_files")}
    names = [n for n in FILES if not n.endswith(".tar.gz")]  # the archive's twin is tested below
    again = c.ingest([shared / CLS / n for n in names])
    assert [(r.read, r.loaded) for r in again] == [(first[n].read, first[n].loaded) for n in names]
    assert {t: c.store.count(t) for t in before} == before


def _tree_archive(path: Path) -> Path:
    """A two-group IPC_Tree archive in the shared layout."""
    files = {
        "IPC_Tree/H_电学/info.txt": "Code: H\nLevel: section\nTitle: 电学\n====\n",
        "IPC_Tree/H_电学/H04_电通信技术/info.txt": "Code: H04\nLevel: class\nTitle: 电通信技术\n====\n",
        "IPC_Tree/H_电学/H04_电通信技术/H04N_图像通信，如电视/H04N19_00_用于对数字视频信号进行编码的方法.txt":
            "Title: 用于对数字视频信号进行编码的方法\n\nCode: H04N19/00\n\n====\n\nH04N19/176 区域是块，例如 宏块\n\n"
            "H04N19/17 .\n单元是图像区域\n\nH04N19/18 5\n",
    }
    with tarfile.open(path, "w:gz") as tf:
        for name in ("IPC_Tree", "IPC_Tree/H_电学", "IPC_Tree/H_电学/H04_电通信技术",
                     "IPC_Tree/H_电学/H04_电通信技术/H04N_图像通信，如电视"):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            tf.addfile(info)
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def test_small_tree_archive_and_reingest(cockpit: Cockpit, tmp_path: Path) -> None:
    archive = _tree_archive(tmp_path / "IPC_Tree_2026.01_zh.tar.gz")
    assert registry.detect(file_source(archive)).name == "ipc-tree-zh"  # type: ignore[union-attr]
    first = cockpit.ingest([archive])[0]
    second = cockpit.ingest([archive])[0]
    assert (first.loaded, first.quarantined) == (second.loaded, second.quarantined) == (6, 1)
    rows = {r["code"]: r for r in cockpit.store.query("SELECT * FROM ref_ipc_titles")}
    assert set(rows) == {"H", "H04", "H04N", "H04N 19/00", "H04N 19/176", "H04N 19/17"}
    assert rows["H04N"]["title"] == "图像通信，如电视"  # from the folder name: no info.txt
    assert rows["H04N 19/176"]["title"] == "区域是块，例如宏块"
    assert rows["H04N 19/17"]["title"] == "单元是图像区域"
    [q] = cockpit.store.query("SELECT * FROM quarantine")
    assert q["reason"].startswith("H04N 19/185: its number is split") and q["position"].endswith("line 12")


# the official SEI table as CSV -------------------------------------------------------------
def _sei_csv(shared: Path, path: Path, encoding: str, delimiter: str = ",") -> Path:
    data = json.loads((shared / CLS / "cnipa_sei2021_ipc_concordance.json").read_text(encoding="utf-8"))
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter)
    w.writerow(["industry_code", "industry_name", "branch_code", "branch_name", "ipc", "exclusions", "keywords"])
    for e in data["entries"]:
        if e["branch_no"].split(".")[0] not in ("4", "6"):
            continue
        for r in e["rules"]:
            w.writerow(["", "", e["branch_no"], e["branch_name"], "、".join(r["ipc_patterns"]),
                        ", ".join(r["ipc_exclusions"]), "\n".join(r["keywords"])])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


@pytest.mark.slow
@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8", ","), ("gbk", ","), ("gbk", "\t")])
def test_sei_table_csv_matches_json(loaded: tuple[Cockpit, dict], cockpit: Cockpit, shared: Path, tmp_path: Path,
                                    encoding: str, delimiter: str) -> None:
    f = _sei_csv(shared, tmp_path / "sei_official.csv", encoding, delimiter)
    [r] = cockpit.ingest([f])
    assert (r.format, r.quarantined) == ("sei-table-csv", 0)
    cols = ("scheme, code, name, parent_code, parent_name, ipc_pattern, ipc_regex, exclusions, rule_id, reading, "
            "condition_terms")
    sql = f"SELECT {cols} FROM ref_ipc_concordance WHERE scheme='sei2021' AND code[1] IN ('4','6') ORDER BY ALL"
    from_csv = cockpit.store.query(sql)
    assert len(from_csv) == r.loaded == loaded[0].store.scalar(
        "SELECT count(*) FROM ref_ipc_concordance WHERE scheme='sei2021' AND code[1] IN ('4','6')")
    assert from_csv == loaded[0].store.query(sql)


def test_sei_table_csv_chinese_headers_and_errors(cockpit: Cockpit, tmp_path: Path) -> None:
    f = tmp_path / "参照关系表.csv"
    f.write_text("战略性新兴产业分类代码,战略性新兴产业分类名称,国际专利分类号,关键词,体系\n"
                 "6.3,太阳能产业,H01L31*；H02S*,太阳能电池；光伏组件,sei2021_official\n"
                 "6.3,太阳能产业,,光伏,sei2021_official\n"
                 "6.4,风能产业,F03D*、F03D1-F03D9,,sei2021_official\n", encoding="gbk")
    [r] = cockpit.ingest([f])
    assert (r.format, r.read, r.loaded, r.quarantined) == ("sei-table-csv", 5, 3, 2)
    rows = cockpit.store.query("SELECT * FROM ref_ipc_concordance WHERE scheme <> 'sei2021' "
                               "ORDER BY rule_id, ipc_pattern")  # the bundled sei2021 stays beside it
    assert [(x["scheme"], x["code"], x["ipc_pattern"], x["parent_name"], x["rule_id"]) for x in rows] == [
        ("sei2021_official", "6.3", "H01L31*", None, "6.3#1"),
        ("sei2021_official", "6.3", "H02S*", None, "6.3#1"),
        ("sei2021_official", "6.4", "F03D*", None, "6.4#1"),
    ]
    assert rows[0]["keywords"] == ["太阳能电池", "光伏组件"]
    reasons = [x["reason"] for x in cockpit.store.query("SELECT reason FROM quarantine ORDER BY position")]
    assert "empty 国际专利分类号" in reasons[0] and "6.3" in reasons[0]
    assert "'F03D1-F03D9' is not an IPC pattern" in reasons[1]


# docs ---------------------------------------------------------------------------------------
def test_every_reference_column_is_documented() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "reference_tables.md").read_text(encoding="utf-8")
    for table in REF:
        assert f"`{table}`" in text
        for col, _ in REF_TABLES[table]:
            assert f"`{col}`" in text, f"{table}.{col}"


# classes.py ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "norm"), [
    ("H04N0019176000", "H04N 19/176"),
    ("H04N19/176", "H04N 19/176"),
    ("H04N 19/176 (2014.11)", "H04N 19/176"),
    ("H04N19/176(2014.01)I", "H04N 19/176"),
    ("H04N 19/176 [2014.01]", "H04N 19/176"),
    ("Ｈ０４Ｎ１９／１７６", "H04N 19/176"),
    ("Ｈ０４Ｎ　１９／１７６", "H04N 19/176"),
    ("h04n  019/1760", "H04N 19/176"),
    ("H04N-19/176", "H04N 19/176"),
    ("A01B0001000000", "A01B 1/00"),
    ("A01B0001020000", "A01B 1/02"),
    ("A01B0003100000", "A01B 3/10"),
    ("H04N19", "H04N 19/00"),
    ("H04N 19/", "H04N 19/00"),
    ("H04N0019", "H04N 19/00"),
    ("A61K 31/2", "A61K 31/02"),
    ("H04N", "H04N"),
    ("h04", "H04"),
    ("H", "H"),
    ("Y02E 10/50", "Y02E 10/50"),
    ("G06F2201/0081", "G06F 2201/0081"),
    ("H01L21/02107", "H01L 21/02107"),
])
def test_normalise_ipc(raw: str, norm: str) -> None:
    assert normalise_ipc(raw) == norm


@pytest.mark.parametrize("bad", ["", "HELLO", "123", "Z01B 1/00", "H04N0019176", "IPC H04N", "H04N 19/1234567"])
def test_normalise_ipc_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="not an IPC/CPC code"):
        normalise_ipc(bad)
    assert try_normalise_ipc(bad) is None


def test_hierarchy_helpers() -> None:
    assert ipc_subclass("H04N0019176000") == "H04N" and ipc_subclass("H04") is None
    assert ipc_main_group("H04N 19/176 (2014.11)") == "H04N 19/00" and ipc_main_group("H04N") is None
    assert [ipc_level(c) for c in ("H", "H04", "H04N", "H04N 19/00", "H04N 19/176")] == [
        "section", "class", "subclass", "main_group", "subgroup"]
    assert [ipc_parent(c) for c in ("H", "H04", "H04N", "H04N 19/00", "H04N 19/176")] == [
        None, "H", "H04", "H04N", "H04N 19/00"]
    assert normalise_locarno("14-3") == normalise_locarno("1403") == normalise_locarno("14.03") == "14-03"


@pytest.mark.parametrize(("code", "pattern", "expected"), [
    # main group wildcard: group 1 only, not 12 or 10
    ("H04L 1/02", "H04L1*", True),
    ("H04L 1/00", "H04L1*", True),
    ("H04L0012000000", "H04L1*", False),
    ("H04L 10/00", "H04L1*", False),
    # exact subgroup: its subgroups are other codes
    ("G06F 9/44", "G06F9/44", True),
    ("G06F 9/445", "G06F9/44", False),
    ("G06F 9/4401", "G06F9/44", False),
    # subgroup with *: digits as a prefix of the subgroup number
    ("E02D 17/20", "E02D17/20*", True),
    ("E02D 17/202", "E02D17/20*", True),
    ("E02D17/2005", "E02D17/20*", True),
    ("E02D 17/21", "E02D17/20*", False),
    ("E02D 17/02", "E02D17/20*", False),
    ("E02D 170/20", "E02D17/20*", False),
    # main group code exact vs /00*
    ("G06F 15/00", "G06F15/00", True),
    ("G06F 15/16", "G06F15/00", False),
    ("G06F 15/16", "G06F15/00*", True),
    ("G06F 15/16", "G06F15", True),
    ("G06F 150/16", "G06F15*", False),
    # subclass, class and section, with and without *
    ("H04N 19/176", "H04N*", True),
    ("H04N 19/176", "H04N", True),
    ("H04N", "H04N*", True),
    ("H04M 1/00", "H04N*", False),
    ("B03B 5/00", "B03*", True),
    ("B03", "B03*", True),
    ("B30B 1/00", "B03*", False),
    ("H04N 19/176", "H*", True),
    ("G06F 1/00", "H*", False),
    # any writing of the code or the pattern
    ("H04N0019176000", "H04N 19/17*", True),
    ("Ｈ０４Ｎ１９／１７６", "h04n19/176", True),
    ("H04N 19/176 (2014.11)", "H04N 19/176*", True),
    # CPC codes and unreadable codes
    ("Y02E 10/50", "Y02E10*", True),
    ("not a code", "H04N*", False),
])
def test_match_pattern(code: str, pattern: str, expected: bool) -> None:
    assert match_pattern(code, pattern) is expected
    assert (re.fullmatch(pattern_regex(pattern), try_normalise_ipc(code) or "") is not None) is expected


@pytest.mark.parametrize("bad", ["F03D1-F03D9", "G06F*/44", "*", "H04N 19/*1", "Z99", "H04N19/1234567*"])
def test_bad_patterns_raise(bad: str) -> None:
    with pytest.raises(ValueError, match="not an IPC pattern"):
        match_pattern("H04N 19/176", bad)


def test_match_rule_with_exclusions() -> None:
    # SEI 2021 branch 1.1, rule 1: G06F11*, G06F21*, H04L1* minus four subgroups
    patterns = ["G06F11*", "G06F21*", "H04L1*"]
    exclusions = ["G06F11/14", "G06F11/36", "G06F21/60", "G06F21/62"]
    assert match_rule("G06F 11/07", patterns, exclusions)
    assert not match_rule("G06F 11/14", patterns, exclusions)
    assert match_rule("G06F 11/1402", patterns, exclusions)  # an exact exclusion keeps its subgroups
    assert not match_rule("G06F0021620000", patterns, exclusions)
    assert not match_rule("G06F 12/00", patterns, exclusions)
    # subclass pattern with wildcard exclusions (rule 2 of 1.1)
    assert match_rule("H04N 17/00", ["H04N*"], ["H04N1*", "H04N19*", "H04N21*"])
    assert not match_rule("H04N 19/176", ["H04N*"], ["H04N1*", "H04N19*", "H04N21*"])
    assert not match_rule("H04N 1/00", ["H04N*"], ["H04N1*", "H04N19*", "H04N21*"])
    assert match_rule("H04N 13/00", ["H04N*"], ["H04N1*", "H04N19*", "H04N21*"])
    assert not match_rule("junk", ["H04N*"])
    assert not match_rule("H04N 13/00", [], [])
