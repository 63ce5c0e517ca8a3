"""Chinese search-system exports on the real files: the old SIPO TRS export (cn/sipo_trs_export), pss-system
exports (cn/pss_exports) and the CNKI field-list CSV (cn/cnki_export_sysu).

Every expected count is recounted here from the raw file with xlrd or csv directly, never through the
ingesters: documents, applications, parties by role, inventors, classifications, texts, priorities and
legal events per file.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import xlrd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app
from ipcockpit.ingest.cn_exports import cn_application, cn_publication
from ipcockpit.model.addresses import enrich_address
from ipcockpit.model.numbers import cn_check_digit
from ipcockpit.model.records import Address
from ipcockpit.settings import Settings

TRS = "cn/sipo_trs_export/test.xls"
PSS = "cn/pss_exports"
PSS_FILES = ("专利.xls", "output/专利.xls", "output/专利 - 副本.xls")
CNKI = "cn/cnki_export_sysu/Patent.csv"
WITHHELD = "不公告发明人"  # "inventor not announced": no inventor
#: the tables recounted from the raw files
TABLES = ("documents", "applications", "inventors", "classifications", "texts", "priorities", "legal_events")


# independent readings of the raw files ---------------------------------------------------------------------
def sheet(path: Path) -> list[dict[str, str]]:
    """The rows of the first sheet under their header, every cell as xlrd's text."""
    sh = xlrd.open_workbook(str(path)).sheet_by_index(0)
    header = [str(h).strip() for h in sh.row_values(0)]
    return [dict(zip(header, (str(v).strip() for v in sh.row_values(r)), strict=True)) for r in range(1, sh.nrows)]


def cnki_rows(shared: Path) -> list[dict[str, str]]:
    with (shared / CNKI).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def names(cell: str | None) -> list[str]:
    return [n.strip() for n in re.split(r"[;；]", cell or "") if n.strip()]


def ipc(*cells: str) -> set[str]:
    return {m.replace(" ", "") for c in cells for m in re.findall(r"[A-H]\d\d[A-Z]\s*\d+/\d+", c)}


def app_digits(number: str) -> str:
    """CN201010554637.7 -> 201010554637, its check digit verified."""
    m = re.fullmatch(r"CN(\d{12})\.([\dX])", number)
    assert m and cn_check_digit(m.group(1)) == m.group(2), number
    return m.group(1)


def wrong_check(digits: str) -> str:
    """A check digit that is not the one of ``digits``."""
    return "1" if cn_check_digit(digits) != "1" else "2"


def counts(c: Cockpit, file_id: str) -> dict[str, int]:
    out = {t: c.store.scalar(f"SELECT count(*) FROM {t} WHERE file_id = ?", [file_id]) for t in TABLES}
    for role, n in c.store.con.execute(
            "SELECT role, count(*) FROM parties WHERE file_id = ? GROUP BY role", [file_id]).fetchall():
        out[f"parties:{role}"] = n
    return out


def trs_expected(rows: list[dict[str, str]]) -> dict[str, int]:
    agents = sum(len(names(r["专利代理机构"])) + len(names(r["代理人"])) for r in rows)
    return {
        "documents": len(rows),
        "applications": len({r["申请号"] for r in rows}),
        "inventors": sum(len(names(r["发明（设计）人"])) for r in rows if r["发明（设计）人"] != WITHHELD),
        "classifications": sum(len(ipc(r["主分类号"], r["分类号"])) for r in rows),
        "texts": sum(bool(r[k]) for r in rows for k in ("名称", "摘要", "主权项")),
        "priorities": sum(bool(r["优先权"]) for r in rows),
        "legal_events": sum(bool(r["法律状态"]) for r in rows),
        "parties:applicant": sum(len(names(r["申请（专利权）人"])) for r in rows),
        **({"parties:agent": agents} if agents else {}),
    }


def pss_expected(rows: list[dict[str, str]]) -> dict[str, int]:
    locarno = sum(len(re.findall(r"\d\d-\d\d", r.get("外观设计洛迦诺分类号", ""))) for r in rows)
    return {
        "documents": len(rows),
        "applications": len({r["申请号"] for r in rows}),
        "inventors": sum(len(names(r["发明人"])) for r in rows),
        "classifications": locarno + sum(len(ipc(r.get("IPC分类号", ""))) for r in rows),
        "texts": sum(bool(r["专利名称"]) for r in rows),
        "priorities": 0,
        "legal_events": sum(r["法律状态"] not in ("", "无数据") for r in rows),
        "parties:applicant": sum(len(names(r["申请人/专利权人"])) for r in rows),
    }


def cnki_expected(rows: list[dict[str, str]]) -> dict[str, int]:
    return {
        "documents": len(rows),
        "applications": 0,  # the export has no application number
        "inventors": sum(len(names(r["Author-作者"])) for r in rows),
        "classifications": sum(len(ipc(r["CLC-中图分类号"])) for r in rows),
        "texts": sum(bool(r[k]) for r in rows for k in ("Title-题名", "Summary-摘要", "Claims-主权项")),
        "priorities": 0,
        "legal_events": 0,
        "parties:applicant": sum(len(names(r["Applicant-申请人"])) for r in rows),
    }


# SIPO TRS ---------------------------------------------------------------------------------------------------
def test_trs_counts_match_a_recount_of_the_raw_file(cockpit: Cockpit, shared: Path) -> None:
    rows = sheet(shared / TRS)
    assert len(rows) == 113 and len(rows[0]) == 45
    [r] = cockpit.ingest([shared / TRS])
    assert r.format == "sipo-trs-xls", r
    assert (r.read, r.loaded, r.quarantined, r.merged) == (113, 113, 0, 0)
    assert counts(cockpit, r.file_id) == trs_expected(rows)
    q = cockpit.store.query
    # one row is one publication, keyed on 公开（公告）号; the A and B of one application share its app_id
    assert {d["doc_id"] for d in q("SELECT doc_id FROM documents")} == {x["公开（公告）号"] for x in rows}
    first = rows[0]
    doc = q("SELECT * FROM documents WHERE doc_id = ?", [first["公开（公告）号"]])[0]
    assert doc["app_id"] == "CN" + app_digits(first["申请号"])
    assert str(doc["app_date"]) == first["申请日"].replace(".", "-")
    # a grant's 公开（公告）日 is its grant date
    for x in rows:
        if x["公开（公告）号"][-1] in "BUY":
            d = q("SELECT stage, grant_date FROM documents WHERE doc_id = ?", [x["公开（公告）号"]])[0]
            assert (d["stage"], str(d["grant_date"])) == ("grant", x["公开（公告）日"].replace(".", "-"))
    # 不公告发明人 is no inventor's name
    assert not q("SELECT * FROM inventors WHERE name_raw = ?", [WITHHELD])


def test_trs_province_code_is_evidence_not_admin_code(cockpit: Cockpit, shared: Path) -> None:
    rows = sheet(shared / TRS)
    assert Counter(x["国省代码"] for x in rows) == {"浙江;33": 112, "重庆;85": 1}
    cockpit.ingest([shared / TRS])
    for x in rows:
        doc = cockpit.store.query("SELECT extra FROM documents WHERE doc_id = ?", [x["公开（公告）号"]])[0]
        assert json.loads(doc["extra"])["sipo_province_code"] == x["国省代码"]  # kept as written
        [party] = cockpit.store.query(
            "SELECT admin_code, address_raw FROM parties WHERE doc_id = ? AND role = 'applicant'",
            [x["公开（公告）号"]])
        # the code comes from the address text alone: 85 is SIPO's number for Chongqing (GB/T 2260: 50), and
        # 浙江;33 must not give 330000 to an address that is only a postcode
        assert party["address_raw"] == x["地址"]
        assert party["admin_code"] == enrich_address(Address(raw=x["地址"])).admin_code
        assert not (party["admin_code"] or "").startswith("85")
    chongqing = [x for x in rows if x["国省代码"] == "重庆;85"]
    code = cockpit.store.scalar("SELECT admin_code FROM parties WHERE doc_id = ? AND role = 'applicant'",
                                [chongqing[0]["公开（公告）号"]])
    assert code and code.startswith("50")  # 400060重庆市南岸区...: Chongqing by GB/T 2260


def _trs_copy(shared: Path, tmp_path: Path, edits: dict[tuple[int, str], object],
              half_width: bool = False) -> tuple[Path, list[str]]:
    """The real TRS rows written to an xlsx, with some cells replaced as a spreadsheet would damage them;
    ``half_width``: the header's brackets written half-width, as some exports write them."""
    return _resaved(shared / TRS, tmp_path / "trs_resaved.xlsx", edits, half_width)


def _resaved(src: Path, path: Path, edits: dict[tuple[int, str], object],
             half_width: bool = False) -> tuple[Path, list[str]]:
    """The first sheet of the .xls ``src`` written to the xlsx ``path``, the cells ``edits`` names (row, column)
    replaced; returns the path and the original header."""
    sh = xlrd.open_workbook(str(src)).sheet_by_index(0)
    header = [str(h) for h in sh.row_values(0)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([h.replace("（", "(").replace("）", ")") for h in header] if half_width else header)
    for r in range(1, sh.nrows):
        values: list[object] = list(sh.row_values(r))
        for (row, column), value in edits.items():
            if row == r:
                values[header.index(column)] = value
        ws.append(values)
    wb.save(path)
    return path, header


def test_trs_mangled_numbers_are_kept_raw_and_never_keys(cockpit: Cockpit, shared: Path, tmp_path: Path) -> None:
    rows = sheet(shared / TRS)
    pubs = [x["公开（公告）号"] for x in rows]
    digits = [app_digits(x["申请号"]) for x in rows[:6]]
    assert cn_check_digit(digits[0]) not in "0X"  # a number cell can hold this check digit in its fraction
    rounded = round(int(digits[2]), -2)  # what Excel keeps of a 12-digit number shown as 2.0111E+11
    raws = {1: f"{float(digits[1]):.5E}", 2: str(rounded), 3: f"CN{digits[3]}.{wrong_check(digits[3])}"}
    edits: dict[tuple[int, str], object] = {
        (1, "申请号"): float(f"{digits[0]}.{cn_check_digit(digits[0])}"),  # a number cell, check digit intact
        (2, "申请号"): raws[1],  # a CSV re-save: 2.01110E+11
        (3, "申请号"): float(rounded),  # a number cell Excel rounded
        (4, "申请号"): raws[3],  # mistyped: the check digit does not match
        (5, "公开（公告）号"): "",  # no key: quarantined
        (6, "公开（公告）号"): f"{float(pubs[5][2:-1]):.5E}",  # a publication number in scientific notation
    }
    path, _ = _trs_copy(shared, tmp_path, edits)
    [r] = cockpit.ingest([path])
    assert r.format == "sipo-trs-xls", r
    assert (r.read, r.loaded, r.quarantined) == (113, 111, 2)
    q = cockpit.store.query

    def doc(n: int) -> dict[str, object]:
        return q("SELECT app_id, extra FROM documents WHERE doc_id = ?", [pubs[n]])[0]

    assert doc(0)["app_id"] == "CN" + digits[0]  # its check digit confirms the number cell
    for n, raw in raws.items():
        d = doc(n)
        extra = json.loads(d["extra"])  # type: ignore[arg-type]
        assert d["app_id"] is None, (n, d)  # no application link on a number that cannot be trusted
        assert extra["app_number_raw"] == raw and "申请号" in extra["number_notes"][0], extra
    assert not q("SELECT * FROM documents WHERE doc_id IN (?, ?)", [pubs[4], pubs[5]])
    rejected = q("SELECT position, field, reason, reason_code FROM quarantine ORDER BY position")
    assert [(x["position"], x["field"], x["reason_code"]) for x in rejected] == [
        ("line 6", "公开（公告）号", "no_number"), ("line 7", "公开（公告）号", "bad_number")]
    for x in rejected:
        assert str(path) in x["reason"] and x["position"] in x["reason"] and "公开（公告）号" in x["reason"], x


def test_trs_header_with_half_width_brackets(cockpit: Cockpit, shared: Path, tmp_path: Path) -> None:
    path, _ = _trs_copy(shared, tmp_path, {}, half_width=True)  # 公开(公告)号, 申请(专利权)人 ...
    [r] = cockpit.ingest([path])
    assert (r.format, r.read, r.loaded, r.quarantined) == ("sipo-trs-xls", 113, 113, 0), r
    assert counts(cockpit, r.file_id) == trs_expected(sheet(shared / TRS))


# pss-system -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PSS_FILES)
def test_pss_counts_match_a_recount_of_the_raw_file(cockpit: Cockpit, shared: Path, name: str) -> None:
    rows = sheet(shared / PSS / name)
    [r] = cockpit.ingest([shared / PSS / name])
    assert r.format == "pss-xls", r
    assert (r.read, r.loaded, r.quarantined, r.merged) == (len(rows), len(rows), 0, 0)
    assert counts(cockpit, r.file_id) == pss_expected(rows)
    con = cockpit.store.con
    docs = {d[0]: d[1:] for d in con.execute("SELECT doc_id, app_id, status, title FROM documents").fetchall()}
    events = {e[0]: e[1:] for e in con.execute("SELECT doc_id, event_date, raw_text FROM legal_events").fetchall()}
    for x in rows:
        # keyed on 公布号 where the export has it, else on the application number (check digit verified)
        key = x.get("公布号") or "CN" + app_digits(x["申请号"])
        assert docs[key] == ("CN" + app_digits(x["申请号"]), None if x["法律状态"] == "无数据" else x["法律状态"],
                             re.sub(r"</?(?:base:)?su[bp]>", "", x["专利名称"], flags=re.I))
        if x["法律状态"] == "无数据":
            assert key not in events
        else:  # one event per row (the recount above): the status, dated by 法律状态最后修改日期
            when = datetime.strptime(x["法律状态最后修改日期"], "%Y%m%d").date()
            assert events[key] == (when, x["法律状态"])


def test_pss_status_classes(cockpit: Cockpit, shared: Path) -> None:
    cockpit.ingest([shared / PSS])
    classes = dict(cockpit.store.con.execute(
        "SELECT DISTINCT raw_text, event_class FROM legal_events").fetchall())
    assert classes["发明专利申请公布"] == "publication"
    assert classes["实质审查的生效"] == "examination"
    assert classes["发明专利权授予"] == classes["授权"] == "grant"
    assert classes["专利申请权、专利权的转移"] == "transfer"
    assert classes["专利权的终止"] == "lapse"
    # a change of the patentee's name or address moves no right: not a transfer
    assert classes["专利权人的姓名或者名称、地址的变更"] != "transfer"


def _pss_copy(shared: Path, tmp_path: Path, edits: dict[tuple[int, str], object]) -> Path:
    return _resaved(shared / PSS / "专利.xls", tmp_path / "pss_resaved.xlsx", edits)[0]


def test_pss_without_a_trusted_number_is_quarantined(cockpit: Cockpit, shared: Path, tmp_path: Path) -> None:
    rows = sheet(shared / PSS / "专利.xls")
    digits = app_digits(rows[0]["申请号"])
    path = _pss_copy(shared, tmp_path, {
        (1, "申请号"): f"{float(digits):.5E}",  # the only number of this export: no key left
        (2, "申请日"): "2016.13.45",
    })
    [r] = cockpit.ingest([path])
    assert r.format == "pss-xls", r
    assert (r.read, r.loaded, r.quarantined) == (110, 108, 2)
    rejected = cockpit.store.query("SELECT position, field, reason, reason_code FROM quarantine ORDER BY position")
    assert [(x["position"], x["field"], x["reason_code"]) for x in rejected] == [
        ("line 2", "申请号", "bad_number"), ("line 3", "申请日", "bad_date")]
    for x in rejected:
        assert str(path) in x["reason"] and x["position"] in x["reason"] and x["field"] in x["reason"], x
    assert not cockpit.store.query("SELECT * FROM documents WHERE app_id = ?", ["CN" + digits])


# CNKI -------------------------------------------------------------------------------------------------------
def test_cnki_csv_counts_match_a_recount_of_the_raw_file(cockpit: Cockpit, shared: Path) -> None:
    rows = cnki_rows(shared)
    assert len(rows) == 1467
    [r] = cockpit.ingest([shared / CNKI])
    assert r.format == "cnki-csv", r
    assert (r.read, r.loaded, r.quarantined, r.merged) == (1467, 1467, 0, 0)
    assert counts(cockpit, r.file_id) == cnki_expected(rows)
    q = cockpit.store.query
    x = rows[0]
    doc = q("SELECT * FROM documents WHERE doc_id = ?", [x["PubNo-公开号"]])[0]
    assert (doc["title"], doc["stage"], str(doc["pub_date"])) == (x["Title-题名"], "grant", "2025-03-25")
    assert str(doc["grant_date"]) == "2025-03-25"  # a B publication's date is its grant date
    texts = dict(cockpit.store.con.execute("SELECT kind, text FROM texts WHERE doc_id = ?",
                                           [x["PubNo-公开号"]]).fetchall())
    assert (texts["abstract"], texts["first_claim"]) == (x["Summary-摘要"], x["Claims-主权项"])
    # 国省名称 is the province of the record's address: the first applicant's, as far as the export says
    addresses = dict(cockpit.store.con.execute(
        "SELECT doc_id, list(address_raw ORDER BY seq) FROM parties GROUP BY doc_id").fetchall())
    for y in rows:
        got = addresses[y["PubNo-公开号"]]
        assert got == [y["CountryName-国省名称"]] + [None] * (len(got) - 1), y
    chongqing = q("SELECT DISTINCT p.admin_code FROM parties p WHERE p.address_raw = '重庆市'")
    assert [c["admin_code"][:2] for c in chongqing] == ["50"]


@pytest.mark.slow
def test_cnki_gb18030_and_xlsx_copies_give_the_same_documents(shared: Path, tmp_path: Path) -> None:
    rows = cnki_rows(shared)
    header = list(rows[0])
    gb = tmp_path / "cnki_gb18030.csv"
    with gb.open("w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([x[h] for h in header] for x in rows)
    xlsx = tmp_path / "cnki.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for x in rows:  # three claims hold U+0001, which a worksheet cannot: left out of the copy
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", x[h]) for h in header])
    wb.save(xlsx)
    tables = {}
    for path in (shared / CNKI, gb, xlsx):
        with Cockpit(Settings(db=str(tmp_path / f"{path.stem}.duckdb"))) as c:
            [r] = c.ingest([path])
            assert (r.format, r.loaded) == ("cnki-xlsx" if path.suffix == ".xlsx" else "cnki-csv", 1467), r
            tables[path.name] = [[tuple(ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row)
                                  for row in c.store.con.execute(f"SELECT * EXCLUDE (file_id) FROM {t} ORDER BY ALL")
                                  .fetchall()] for t in ("documents", "parties", "inventors", "texts")]
    assert tables["Patent.csv"] == tables["cnki_gb18030.csv"] == tables["cnki.xlsx"]


# all three: idempotence and the command line ---------------------------------------------------------------
@pytest.mark.slow
def test_ingest_twice_gives_the_same_store(cockpit: Cockpit, shared: Path) -> None:
    paths = [shared / TRS, shared / PSS, shared / CNKI]
    first = cockpit.ingest(paths)
    before = {t: cockpit.store.scalar(f"SELECT count(*) FROM {t}") for t in (*TABLES, "parties", "quarantine")}
    second = cockpit.ingest(paths)
    after = {t: cockpit.store.scalar(f"SELECT count(*) FROM {t}") for t in (*TABLES, "parties", "quarantine")}
    assert after == before
    assert [(r.file, r.format, r.read, r.loaded, r.quarantined) for r in first] == [
        (r.file, r.format, r.read, r.loaded, r.quarantined) for r in second]
    assert before["documents"] == 113 + 110 + 5 + 751 + 1467


@pytest.mark.parametrize(("folder", "formats"), [
    (PSS, {"专利.xls": "pss-xls", "output/专利.xls": "pss-xls", "output/专利 - 副本.xls": "pss-xls"}),
    ("cn/sipo_trs_export", {"test.xls": "sipo-trs-xls"}),
    ("cn/cnki_export_sysu", {"Patent.csv": "cnki-csv"}),
])
def test_cli_ingest_reports_every_file(shared: Path, tmp_path: Path, folder: str, formats: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["ingest", str(shared / folder), "--db", str(tmp_path / "s.duckdb"), "--json"])
    assert result.exit_code == 0, result.output
    reports = {str(Path(r["file"]).relative_to(shared / folder)): r for r in json.loads(result.stdout)}
    on_disk = {str(p.relative_to(shared / folder)) for p in (shared / folder).rglob("*") if p.is_file()}
    assert set(reports) == on_disk  # every file has its row
    for name, report in reports.items():
        if name not in formats:  # LICENSE, SOURCE_COMMIT.txt
            assert report["skipped"] is True and report["format"] is None, report
            continue
        path = shared / folder / name
        raw = len(cnki_rows(shared)) if path.suffix == ".csv" else len(sheet(path))
        assert (report["format"], report["read"], report["loaded"], report["quarantined"]) == (
            formats[name], raw, raw, 0), report


@pytest.mark.parametrize(("cell", "app_id"), [
    ("CN201010554637.7", "CN201010554637"), ("ZL201010554637.7", "CN201010554637"), ("2010105546377", "CN201010554637"),
    ("CN201610895413.X", "CN201610895413"), ("201010554637", "CN201010554637"),  # text without a check digit
    (201010554637.7, "CN201010554637"),  # a number cell whose fraction is its check digit
    (201010554640.0, None), (201010554640, None),  # what Excel keeps of a rounded number: nothing confirms it
    ("2.01011E+11", None), ("CN201010554637.8", None), ("20101055463", None),
])
def test_application_numbers_from_cells(cell: object, app_id: str | None) -> None:
    got = cn_application(cell)
    assert got.value == app_id and (got.why is None) == (app_id is not None), got


@pytest.mark.parametrize(("cell", "key"), [
    ("CN102110728A", "CN102110728A"), ("CN 102110728 A", "CN102110728A"), ("CN303347858S", "CN303347858S"),
    ("CN102110728E1", "CN102110728E1"),  # a kind E1 is no exponent: Excel signs one (E+08)
    ("1.02492E+08", None), (102110728.0, None), ("#N/A", None),
])
def test_publication_numbers_from_cells(cell: object, key: str | None) -> None:
    parts, raw, why = cn_publication(cell)
    assert ("".join(p or "" for p in parts) if parts else None) == key and (why is None) == (key is not None)
    assert raw is not None
