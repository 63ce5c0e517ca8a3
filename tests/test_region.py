"""The region page's data function (``Cockpit.region``) and the ``region`` command, against a real DuckDB
file built from real records:

* the Chinese table-export SQL dump (cn/table_export_sample: 10 rows of 中科大数据研究院, Zhengzhou 郑东新区,
  11 documents) and the SIPO TRS export (cn/sipo_trs_export: one row with a full Chongqing address, 南岸区);
* the Chongqing and Chengdu records of the CNIPA gazette week (cn/gazette_2019: invention publications and
  grants, utility models, designs), copied field by field into the columns of a Chinese table export (the
  gazette's own ingester is another piece of work), so that Bishan (500120) has real records. The filing
  numbers are left out (Excel mangled them in the source: ``2.02E+12``).

The transfer and pledge columns of five of those rows are **constructed** (no source here names the parties
of a real transfer with addresses): a Bishan grant transferred to a Chengdu patentee (out), one to another
Bishan patentee (within), one to a patentee the store does not hold (unknown), a Chengdu grant to a Bishan
patentee (in), and a pledge of a Bishan utility model. Every expected figure is recounted here from the
source files' text (an address containing 璧山 is in Bishan) or by SQL over the store, not taken from the
code under test.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app

pytestmark = pytest.mark.slow  # the module's store: a few seconds to build

SQL = "cn/table_export_sample/专利总表(案例).sql"
TRS = "cn/sipo_trs_export/test.xls"
GAZETTE = "cn/gazette_2019"
#: the gazette files (GB18030, one header) and the 专利类型 of their records
KINDS = {"CN_patent_invention_published_709.csv": "发明", "CN_patent_invention_authorized_709.csv": "发明",
         "CN_patent_utility_new_709.csv": "实用新型", "CN_patent_appearance_designed_709.csv": "外观设计"}
KEPT = ("重庆", "四川省成都市")  # the records copied: Chongqing's and Chengdu's
HEADER = ["公开（公告）号", "公开（公告）日", "申请日", "专利类型", "名称", "申请人", "发明人", "地址", "IPC",
          "受让人", "转让日期", "质权人", "质押日期", "质押金额"]
UNHELD = "霍尼韦尔国际公司"  # a patentee of the gazette week (美国新泽西州) whose records are not copied
BANK = "中国工商银行股份有限公司"
BISHAN = "500120"
runner = CliRunner()


def gazette_rows(shared: Path) -> list[dict[str, str]]:
    """The kept gazette records as table-export rows, the constructed events on five of them. The scraper
    wrote some pages twice (683 publication numbers of the week repeat: 3,262 extra rows of 36,956): the first
    record of a number is kept."""
    rows = []
    seen: set[str] = set()
    for name, kind in KINDS.items():
        text = (shared / GAZETTE / name).read_bytes().decode("gb18030")
        for r in csv.DictReader(io.StringIO(text)):
            number = r["authorization_notice_id"].strip()
            if any(k in (r["address"] or "") for k in KEPT) and number not in seen:
                seen.add(number)
                rows.append({"公开（公告）号": r["authorization_notice_id"].strip(),
                             "公开（公告）日": r["authorized_announcement_date"], "申请日": r["filing_date"],
                             "专利类型": kind, "名称": r["name"], "申请人": r["patentee"], "发明人": r["designer"],
                             "地址": r["address"], "IPC": r["Int.Cl."], "_file": name})

    def grants(where: str) -> list[dict[str, str]]:
        return [r for r in rows if r["_file"] == "CN_patent_invention_authorized_709.csv" and where in r["地址"]]

    bishan, chengdu = grants("璧山"), grants("四川省成都市")
    assert len(bishan) == 3 and chengdu
    bishan[0].update({"受让人": chengdu[0]["申请人"], "转让日期": "2020.03.02"})  # out
    bishan[1].update({"受让人": bishan[2]["申请人"], "转让日期": "2020.04.01"})  # within
    bishan[2].update({"受让人": UNHELD, "转让日期": "2020.05.06"})  # unknown: no record of the assignee
    chengdu[1].update({"受让人": bishan[1]["申请人"], "转让日期": "2020.06.01"})  # in
    model = next(r for r in rows if r["_file"] == "CN_patent_utility_new_709.csv" and "璧山" in r["地址"])
    model.update({"质权人": BANK, "质押日期": "2020.07.01", "质押金额": "500"})
    return rows


def write_export(rows: list[dict[str, str]], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def build_store(folder: Path, shared: Path) -> Path:
    db = folder / "region.duckdb"
    export = write_export(gazette_rows(shared), folder / "gazette_cq_cd.csv")
    with Cockpit(db=db) as c:
        reports = c.ingest([shared / SQL, shared / TRS, export])
    assert [r.error for r in reports] == [None, None, None]
    return db


@pytest.fixture(scope="module")
def rows(shared: Path) -> list[dict[str, str]]:
    return gazette_rows(shared)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    return build_store(tmp_path_factory.mktemp("region"), shared)


@pytest.fixture(scope="module")
def bishan(store: Path) -> dict[str, Any]:
    with Cockpit(db=store, read_only=True, create=False) as c:
        return c.region(BISHAN, limit=0)


def chongqing_names() -> list[str]:
    """The names of Chongqing's districts and counties as the vendored map writes them (梁平县 and 武隆县 by
    their former names): a list made apart from the address parser's code table."""
    geo = Path(__file__).resolve().parents[1] / "ipcockpit/web/static/vendor/geo/chongqing.geojson"
    return [f["properties"]["name"] for f in json.loads(geo.read_text(encoding="utf-8"))["features"]]


def _kind(row: dict[str, str]) -> str:
    if row["专利类型"] == "发明":
        return "invention_grant" if row["公开（公告）号"].endswith(("B", "C")) else "invention_application"
    return {"实用新型": "utility_model", "外观设计": "design"}[row["专利类型"]]


_LITERAL = re.compile(r"'((?:[^'\\]|\\.|'')*)'|(NULL)|(-?\d+(?:\.\d+)?)")


def dump_documents(shared: Path, place: str) -> set[str]:
    """The publication numbers (公开号, and 授权公告号 where it differs) of the SQL dump's rows whose 申请人地址 names
    ``place``, read from the INSERT statements with the CREATE TABLE's column names."""
    text = (shared / SQL).read_text(encoding="utf-8")
    columns = re.findall(r"^  `([^`]+)` ", text.split("CREATE TABLE", 1)[1].split(";", 1)[0], re.M)
    found = set()
    for line in (ln for ln in text.splitlines() if ln.startswith("INSERT INTO")):
        values = [m.group(1) if m.group(1) is not None else None if m.group(2) else m.group(3)
                  for m in _LITERAL.finditer(line.split("VALUES (", 1)[1])]
        row = dict(zip(columns, values, strict=True))
        if place in (row["申请人地址"] or ""):
            found |= {n for n in (row["公开号"], row["授权公告号"]) if n}
    return found


def _sql(store: Path, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with Cockpit(db=store, read_only=True, create=False) as c:
        return c.store.con.execute(sql, params or []).fetchall()


# the documents of a district --------------------------------------------------------------------------
def test_bishan_documents_are_the_gazette_records_with_a_bishan_address(bishan: dict[str, Any],
                                                                        rows: list[dict[str, str]]) -> None:
    """Every copied record whose address names 璧山 (璧山区 or the pre-2014 璧山县) and no other district of
    Chongqing, and no record whose address does not name 璧山; counts by type and year from the source rows.
    An address naming two districts (``402160重庆市璧山县永川区红河大道319号``, 重庆文理学院, whose campus is in
    永川区) is the address parser's to decide: it is on one side or the other, never missing."""
    others = [n for n in chongqing_names() if not n.startswith("璧山")]
    here = [r for r in rows if "璧山" in r["地址"]]
    two = {r["公开（公告）号"] for r in here if any(n in r["地址"] for n in others)}
    got = {d["doc_id"] for d in bishan["documents"]}
    assert {r["公开（公告）号"] for r in here} - two <= got <= {r["公开（公告）号"] for r in here}
    here = [r for r in here if r["公开（公告）号"] in got]
    s = bishan["summary"]
    assert s["documents"] == len(here) == bishan["documents_total"]
    kinds = Counter(_kind(r) for r in here)
    assert (s["invention_applications"], s["invention_grants"], s["utility_models"], s["designs"]) == (
        kinds["invention_application"], kinds["invention_grant"], kinds["utility_model"], kinds["design"])
    years = Counter(int(r["公开（公告）日"][:4]) for r in here)
    assert [(y["year"], y["total"]) for y in bishan["by_type_year"]] == sorted(years.items())
    assert (bishan["code"], bishan["level"], bishan["name"], bishan["full_name"]) == (
        BISHAN, "district", "璧山区", "重庆市璧山区")
    assert bishan["reason"] is None and bishan["sub_regions"] == []


def test_each_document_carries_its_evidence(bishan: dict[str, Any], rows: list[dict[str, str]]) -> None:
    """The holder, its role and place, the address text exactly as the source wrote it, the code, and the rule
    applied (the gazette's B grants of 2019: patentee first; the table export's holder column is the
    applicant, the only party with an address, so it decides)."""
    source = {r["公开（公告）号"]: r for r in rows}
    for d in bishan["documents"]:
        r = source[d["doc_id"]]
        assert d["holder"] == r["申请人"].split(";")[0].strip()
        assert d["address"] == r["地址"] and d["admin_code"] == BISHAN and d["admin_name"] == "璧山区"
        assert (d["holder_role"], d["holder_seq"], d["holder_doc"]) == ("applicant", 1, d["doc_id"])
        grant = _kind(r) != "invention_application"
        assert d["rule"] == ("patentee" if grant else "applicant")
    assert bishan["rule"]["switch"] == "2021-01-01" and "patentee" in bishan["rule"]["text"]


def test_in_force_and_high_value_match_the_screening(store: Path, bishan: dict[str, Any]) -> None:
    grants = [d["doc_id"] for d in bishan["documents"] if d["kind"] == "invention_grant"]
    with Cockpit(db=store, read_only=True, create=False) as c:
        screened = {r["publication_number"]: r for r in c.screen(doc_ids=grants, limit=0)}
    s = bishan["summary"]
    assert s["screened"] == len(grants) == 3
    assert s["in_force_inventions"] == sum(1 for r in screened.values() if r["in_force"] is True)
    assert s["high_value_yes"] == sum(1 for r in screened.values() if r["high_value"] is True)
    assert s["high_value_unknown"] == sum(1 for r in screened.values() if r["high_value"] is None)
    answers = {True: "yes", False: "no", None: "unknown"}
    for d in bishan["documents"]:
        expected = answers[screened[d["doc_id"]]["in_force"]] if d["doc_id"] in screened else None
        assert d["in_force"] == expected
    [in_force] = [r for r in bishan["conditions"] if r["condition"] == "in_force"]
    assert in_force["yes"] == s["in_force_inventions"]


def test_top_holders_and_ipc_mix(store: Path, bishan: dict[str, Any], rows: list[dict[str, str]]) -> None:
    here = Counter(r["申请人"] for r in rows if "璧山" in r["地址"])
    top = bishan["top_applicants"]
    assert top[0]["documents"] == max(here.values())
    assert {(t["name"], t["documents"]) for t in top} <= set(here.items())
    ids = [d["doc_id"] for d in bishan["documents"]]
    expected = _sql(store, "SELECT left(code, 4), count(DISTINCT doc_id) FROM classifications WHERE scheme = 'IPC' "
                    "AND doc_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10", [ids])
    assert [(r["subclass"], r["documents"]) for r in bishan["ipc_mix"]] == [tuple(e) for e in expected]


def test_transfers_in_out_within_unknown_and_pledges(bishan: dict[str, Any], rows: list[dict[str, str]]) -> None:
    """The constructed events, judged by the address text of the assignor's and the assignee's own records."""
    located = {}
    for r in rows:
        located.setdefault(r["申请人"], "璧山" in r["地址"])
    expected = {}
    for r in rows:
        if r.get("受让人"):
            here, there = "璧山" in r["地址"], located.get(r["受让人"])
            expected[r["公开（公告）号"]] = ("unknown" if there is None else "within" if here and there
                                        else "out" if here else "in" if there else None)
    got = {t["doc_id"]: t["direction"] for t in bishan["transfers"]}
    assert got == {k: v for k, v in expected.items() if v is not None}
    assert sorted(got.values()) == ["in", "out", "unknown", "within"]
    s = bishan["summary"]
    assert (s["transfers_in"], s["transfers_out"], s["transfers_within"], s["transfers_unknown"]) == (1, 1, 1, 1)
    unknown = next(t for t in bishan["transfers"] if t["direction"] == "unknown")
    assert unknown["assignee"] == UNHELD and unknown["why_unknown"] == "assignee_not_located"
    incoming = next(t for t in bishan["transfers"] if t["direction"] == "in")
    assert incoming["assignor_code"].startswith("5101") and incoming["assignee_code"] == BISHAN
    [pledge] = bishan["pledges"]
    model = next(r for r in rows if r.get("质权人"))
    assert (pledge["doc_id"], pledge["pledgee"], pledge["pledgor"]) == (model["公开（公告）号"], BANK, model["申请人"])
    assert s["pledge_events"] == 1 and s["transfer_events"] == 3  # "in" is an event of a Chengdu document


# cities, provinces, sub-regions --------------------------------------------------------------------------
def test_chongqing_sub_regions_add_up(store: Path) -> None:
    """Chongqing (50): its 38 districts and counties with the documents whose first coded holder is in each
    (recounted in SQL from parties), and those placed at the municipality only."""
    with Cockpit(db=store, read_only=True, create=False) as c:
        data = c.region("50", limit=0)
    subs = {r["code"]: r for r in data["sub_regions"] if not r["own_level"]}
    assert len(subs) == 38 and subs[BISHAN]["name"] == "璧山区"
    first = dict(_sql(store, "SELECT doc_id, min_by(admin_code, seq) FROM parties WHERE role = 'applicant' "
                      "AND admin_code IS NOT NULL GROUP BY doc_id"))
    expected = Counter(code for code in first.values() if code.startswith("50"))
    for code, r in subs.items():
        assert r["documents"] == expected.get(code, 0), code
    [own] = [r for r in data["sub_regions"] if r["own_level"]]
    assert own["documents"] == expected.get("500000", 0)
    assert data["summary"]["documents"] == sum(expected.values())
    assert subs["500108"]["documents"] >= 1  # the TRS export's 南岸区 record


def test_a_city_whose_addresses_name_no_district(store: Path, shared: Path) -> None:
    """Zhengzhou (4101, 410100): the dump's 11 documents all stop at the city (郑东新区 is a development zone,
    not a division): each district counts 0, the city's own level 11; the province (41) counts them under
    郑州市."""
    with Cockpit(db=store, read_only=True, create=False) as c:
        city, city6, province = c.region("4101"), c.region("410100"), c.region("41")
    assert {d["doc_id"] for d in city["documents"]} == dump_documents(shared, "郑州市")
    assert city["summary"]["documents"] == 11
    assert {k: v for k, v in city6.items() if k != "query"} == {k: v for k, v in city.items() if k != "query"}
    assert all(r["documents"] == 0 for r in city["sub_regions"] if not r["own_level"])
    assert [r["documents"] for r in city["sub_regions"] if r["own_level"]] == [11]
    assert next(r for r in province["sub_regions"] if r["code"] == "410100")["documents"] == 11


def test_a_region_with_no_records_has_zeros_and_the_reason(store: Path) -> None:
    with Cockpit(db=store, read_only=True, create=False) as c:
        data = c.region("650100")  # 乌鲁木齐市: nothing loaded
    assert data["summary"]["documents"] == 0 and data["documents"] == [] and data["transfers"] == []
    assert data["reason_key"] == "region.reason.no_documents"
    assert data["reason_values"] == {"code": "650100", "name": "乌鲁木齐市"}


def test_empty_store_says_no_address_has_a_code(cockpit: Cockpit) -> None:
    data = cockpit.region(BISHAN)
    assert data["summary"]["documents"] == 0 and data["reason_key"] == "region.reason.no_codes"


def test_unknown_codes(cockpit: Cockpit) -> None:
    for code in ("999999", "5099", "abc", "5", "", "5001201"):
        assert cockpit.region(code) is None, code


def test_named_elsewhere(store: Path) -> None:
    """A document naming a Bishan holder that the rule attributes elsewhere is listed with where it went; the
    gazette copies name one holder each, so there is none here: recounted in SQL."""
    with Cockpit(db=store, read_only=True, create=False) as c:
        data = c.region(BISHAN)
    expected = _sql(store, "SELECT count(*) FROM (SELECT doc_id FROM parties GROUP BY doc_id HAVING "
                    "bool_or(starts_with(admin_code, '500120')) AND min_by(admin_code, seq) NOT LIKE '500120%')")
    assert data["summary"]["named_elsewhere"] == len(data["named_elsewhere"]) == expected[0][0]


# the command ------------------------------------------------------------------------------------------------
def test_cli_json_is_the_data(store: Path, bishan: dict[str, Any]) -> None:
    result = runner.invoke(app, ["region", BISHAN, "--json", "--limit", "0", "--db", str(store)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"] == json.loads(json.dumps(bishan["summary"], default=str))
    assert [d["doc_id"] for d in data["documents"]] == [d["doc_id"] for d in bishan["documents"]]


def test_cli_table(store: Path, bishan: dict[str, Any]) -> None:
    result = runner.invoke(app, ["region", BISHAN, "--db", str(store)])
    assert result.exit_code == 0, result.output
    assert "重庆市璧山区（500120，区县）" in result.stdout
    for d in bishan["documents"]:
        assert d["doc_id"] in result.stdout


def test_cli_csv_gb18030_round_trips_chinese_names(store: Path, tmp_path: Path, bishan: dict[str, Any]) -> None:
    """--encoding gb18030 writes GB18030 without a BOM; the default is UTF-8 with a BOM; a Chinese name reads
    back the same either way."""
    gb, utf = tmp_path / "gb.csv", tmp_path / "utf.csv"
    for path, extra in ((gb, ["--encoding", "gb18030"]), (utf, [])):
        result = runner.invoke(app, ["region", BISHAN, "--csv", str(path), *extra, "--db", str(store)])
        assert result.exit_code == 0, result.output
    raw_gb, raw_utf = gb.read_bytes(), utf.read_bytes()
    assert raw_utf.startswith(b"\xef\xbb\xbf") and not raw_gb.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        raw_gb.decode("utf-8")
    for text in (raw_gb.decode("gb18030"), raw_utf.decode("utf-8-sig")):
        read = list(csv.DictReader(io.StringIO(text)))
        assert [r["holder"] for r in read] == [d["holder"] for d in bishan["documents"]]
        assert [r["address"] for r in read] == [d["address"] for d in bishan["documents"]]
    assert "重庆市璧山区" in raw_gb.decode("gb18030") and "重庆市璧山区".encode("gb18030") in raw_gb


def test_cli_xlsx_and_sections(store: Path, tmp_path: Path) -> None:
    book, transfers = tmp_path / "r.xlsx", tmp_path / "t.csv"
    result = runner.invoke(app, ["region", BISHAN, "--xlsx", str(book), "--csv", str(transfers), "--section",
                                 "transfers", "--db", str(store)])
    assert result.exit_code == 0, result.output
    sheets = openpyxl.load_workbook(book, read_only=True).sheetnames
    assert {"fields", "documents", "transfers", "pledges", "rule", "summary"} <= set(sheets)
    directions = {r["direction"] for r in csv.DictReader(io.StringIO(transfers.read_text(encoding="utf-8-sig")))}
    assert directions == {"in", "out", "within", "unknown"}
    bad = runner.invoke(app, ["region", BISHAN, "--csv", str(transfers), "--section", "nope", "--db", str(store)])
    assert bad.exit_code == 2 and "--section nope" in bad.stderr


def test_cli_unknown_code_and_encoding_open_nothing(tmp_path: Path) -> None:
    db = tmp_path / "none.duckdb"
    for args, needle in ((["9999"], "9999"), ([BISHAN, "--encoding", "latin-1"], "latin-1")):
        result = runner.invoke(app, ["region", *args, "--db", str(db)])
        assert result.exit_code == 2 and needle in result.stderr and re.match(r"error: ", result.stderr)
    assert not db.exists()
