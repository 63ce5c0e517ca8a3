"""Navigation reports (docs/navigation.md, "Reports") on a real store: the Lens drones export ingested by the
real code, its B64 documents as the members, analyses in the contract's shape computed from the store
(tests/navigation_support.py). Every format is read back: the PDF's text and images (pypdf), the Word
document's headings, tables, pictures and East Asian font (python-docx), the appendix's rows against the
numbers and each number's query run again; editions and their differences after one more file is loaded;
the command line, the page and the API."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
from docx import Document
from docx.oxml.ns import qn
from fastapi.testclient import TestClient
from navigation_support import DEFINITION, MORE, analysis, drones_report, ingest_drones, members
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from shared_stores import built_once, copy_store
from typer.testing import CliRunner

from ipcockpit import i18n
from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from ipcockpit.navigation import chart_images, editions
from ipcockpit.navigation.appendix import COLUMNS, appendix_csv, appendix_xlsx
from ipcockpit.navigation.render_docx import EAST_ASIA_FONT, render_docx
from ipcockpit.navigation.render_html import render_html
from ipcockpit.navigation.render_pdf import render_pdf
from ipcockpit.navigation.report import PARTS, assemble, member_counts, ordered, say
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

ZH, EN = i18n.Translator("zh-CN"), i18n.Translator("en")
TITLE = "无人机产业专利导航报告"
EMPTY_DISTRICT = "本区层级没有可用数据，本章节无法给出。"


@pytest.fixture(scope="module")
def drones(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    return built_once("nav_drones", tmp_path_factory, lambda folder: ingest_drones(folder / "drones.duckdb", shared))


@pytest.fixture(scope="module")
def report(drones: Path) -> Iterator[dict[str, Any]]:
    con = duckdb.connect(str(drones), read_only=True)
    try:
        yield drones_report(con)
    finally:
        con.close()


def _charts(report: dict[str, Any]) -> int:
    return sum(1 for s in report["sections"] if s.get("chart") and not s.get("empty_reason"))


def test_the_report_orders_its_sections_and_says_what_is_missing(report: dict[str, Any]) -> None:
    assert [s["part"] for s in report["sections"]] == sorted((s["part"] for s in report["sections"]), key=PARTS.index)
    assert [s["id"] for s in report["sections"]][-1] == "position.rta"  # given first, placed after direction
    assert [s["id"] for s in ordered([{"id": "b", "part": "path"}, {"id": "a", "part": "direction"}])] == ["a", "b"]
    assert report["industry"]["documents"] == 926 and report["industry"]["counts"] == {"ipc:B64": 926}
    assert [m["level"] for m in report["missing"]] == ["chongqing", "district"]
    assert say(ZH, report["title"]) == TITLE and say(EN, report["title"]) == "Patent navigation report: Drones"


def test_html_draws_charts_in_the_page_and_says_why_a_section_is_empty(report: dict[str, Any]) -> None:
    html = render_html(report, ZH)
    assert TITLE in html and "一、产业发展方向" in html and "二、区域产业定位" in html
    options = re.findall(r'<script type="application/json" id="(nav-[^"]+)-option">(.*?)</script>', html, re.S)
    assert len(options) == _charts(report) == 3
    trend = next(json.loads(o) for i, o in options if i == "nav-direction-trend-world")
    assert trend == next(s["chart"] for s in report["sections"] if s["id"] == "direction.trend"
                         and s["level"] == "world")
    empty = re.search(r'id="nav-position-rta-district-section".*?</section>', html, re.S)
    assert empty and EMPTY_DISTRICT in empty.group(0) and 'class="chart"' not in empty.group(0)
    assert "echarts.init" in html and "<link" not in html  # stands alone: ECharts and the style inline
    english = render_html(report, EN)
    assert "Patent navigation report: Drones" in english and "No data at the District level" in english


def test_pdf_has_the_text_the_charts_as_images_and_the_empty_reason(report: dict[str, Any]) -> None:
    pdf = PdfReader(io.BytesIO(render_pdf(report, ZH)))
    text = "".join(page.extract_text() for page in pdf.pages)
    for words in (TITLE, "摘要", "产业界定", "一、产业发展方向", "二、区域产业定位", EMPTY_DISTRICT, "boeing"):
        assert words.replace("，", "") in text.replace("，", ""), words
    assert sum(len(page.images) for page in pdf.pages) == _charts(report)
    assert len(pdf.pages) >= 3


def test_docx_has_headings_tables_pictures_and_a_chinese_font(report: dict[str, Any]) -> None:
    doc = Document(io.BytesIO(render_docx(report, ZH)))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == TITLE
    assert {"摘要", "产业界定", "一、产业发展方向", "二、区域产业定位"} <= set(headings)
    assert any("全球" in h for h in headings)
    assert len(doc.inline_shapes) == _charts(report)
    # definition counts, levels and one table per section with rows
    assert len(doc.tables) == 2 + sum(1 for s in report["sections"] if s["table"]["rows"])
    boeing = [c.text for t in doc.tables for row in t.rows for c in row.cells if c.text == "boeing"]
    assert boeing
    assert any(p.text == EMPTY_DISTRICT for p in doc.paragraphs)
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == EAST_ASIA_FONT


def test_the_appendix_has_every_number_and_each_query_recounts_it(report: dict[str, Any], drones: Path) -> None:
    numbers = [n for s in report["sections"] for n in s["numbers"]]
    rows = list(csv.DictReader(io.StringIO(appendix_csv(report).decode("utf-8-sig"))))
    assert len(rows) == len(numbers) == 199 and tuple(rows[0]) == COLUMNS
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(r["query"] and r["provenance"] and r["section"] and r["level"] for r in rows)
    sheet = load_workbook(io.BytesIO(appendix_xlsx(report)), read_only=True)["numbers"]
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0] == COLUMNS and [c[5] for c in cells[1:]] == [n["value"] for n in numbers]
    con = duckdb.connect(str(drones), read_only=True)
    try:
        members(con)
        recounted = [con.execute(n["query"]).fetchone()[0] for n in numbers]
    finally:
        con.close()
    assert recounted == [n["value"] for n in numbers]


def test_a_chart_image_renders_chinese_text() -> None:
    option = {"title": {"text": "申请趋势"}, "xAxis": {"type": "category", "data": ["2019", "2020"]},
              "yAxis": {"type": "value"}, "series": [{"type": "bar", "data": [3, 5]}]}
    assert chart_images.to_svg(option).startswith("<svg") and "申请趋势" in chart_images.to_svg(option)
    png = chart_images.to_png(option)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    title = Image.open(io.BytesIO(png)).convert("L").crop((600, 10, 1000, 70))  # the title's band, at 2x
    assert sum(title.histogram()[:128]) > 200  # glyphs drawn, not left out for want of a font


def _centre_y(svg_text: str) -> float:
    """The vertical centre of an SVG ``<text>`` that ECharts wrote (its translate plus its own y)."""
    moved = re.search(r'transform="translate\([-\d.]+ ([-\d.]+)\)"', svg_text)
    own = re.search(r' y="([-\d.]+)"', svg_text)
    return (float(moved.group(1)) if moved else 0.0) + (float(own.group(1)) if own else 0.0)


def _titles_clear_of_legends(report: dict[str, Any]) -> int:
    """Check every chart of ``report`` with a title and a legend at the top, drawn as the PDF and Word draw it:
    the legend's labels sit below the title's line (at ECharts' default place the title ran into the legend).
    Returns how many charts were checked."""
    checked = 0
    for s in report["sections"]:
        option = s.get("chart")
        legend = (option or {}).get("legend") or {}
        if not option or not option.get("title") or "top" not in legend or s.get("empty_reason"):
            continue
        texts = re.findall(r"<text[^>]*>[^<]*</text>", chart_images.to_svg(option))
        title = next(x for x in texts if f">{option['title']['text']}<" in x)
        names = {str(n) for n in legend.get("data") or []} or {str(x.get("name")) for x in option["series"]}
        labels = [x for x in texts if re.search(r">([^<]*)<", x).group(1) in names and x != title]
        assert labels, s["id"]
        assert min(_centre_y(x) for x in labels) - _centre_y(title) >= 14, (s["id"], s["level"])
        checked += 1
    return checked


def test_edition_two_shows_what_changed_after_one_more_file(drones: Path, tmp_path: Path, shared: Path) -> None:
    path = copy_store(drones, tmp_path)
    with Cockpit(Settings(db=str(path))) as c:
        nav = c.navigation
        first = drones_report(c.store.con)
        assert nav.save(first) == 1 and first["changes"]["from"] is None
        c.ingest([shared / MORE])
        second = drones_report(c.store.con)
        assert nav.save(second) == 2
        diff = nav.diff("drones", "500120")
        assert diff == second["changes"] and (diff["from"], diff["to"]) == (1, 2)
        assert diff["documents"] == {"old": 926, "new": 976}
        old = editions.numbers(first)
        changed = {x["id"]: (x["old"], x["new"]) for x in diff["changed"]}
        assert changed and all(old[k]["value"] == o for k, (o, _) in changed.items())
        assert all(editions.numbers(second)[k]["value"] == n for k, (_, n) in changed.items())
        assert diff["unchanged"] + len(diff["changed"]) + len(diff["added"]) == len(editions.numbers(second))
        assert [e["edition"] for e in nav.editions("drones", "500120")] == [2, 1]
        assert nav.edition("drones", "500120", 1)["industry"]["documents"] == 926
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(nav.render(second, "pdf"))).pages)
        assert "与上一版相比的变化" in text and "第 2 版相对第 1 版" in text
    listed = CliRunner().invoke(cli, ["navigate", "drones", "--region", "500120", "--editions", "--db", str(path)])
    assert listed.exit_code == 0 and listed.stdout.splitlines()[-1] == (
        f"第 2 版相对第 1 版：新增 {len(diff['added'])} 个数字，删除 {len(diff['removed'])} 个，"
        f"变化 {len(changed)} 个，未变 {diff['unchanged']} 个；界定范围文献 926 → 976 件。")


@pytest.fixture
def saved(drones: Path, tmp_path: Path) -> Path:
    path = copy_store(drones, tmp_path)
    with Cockpit(Settings(db=str(path))) as c:
        c.navigation.save(drones_report(c.store.con))
    return path


def test_cli_writes_the_files_of_a_saved_edition(saved: Path, tmp_path: Path) -> None:
    out = {f: tmp_path / f"r.{f}" for f in ("html", "pdf", "docx", "csv", "xlsx")}
    args = ["navigate", "drones", "--region", "500120", "--edition", "1", "--db", str(saved)]
    for fmt, path in out.items():
        args += [f"--{fmt}", str(path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert out["pdf"].read_bytes()[:5] == b"%PDF-" and out["docx"].read_bytes()[:2] == b"PK"
    assert TITLE in out["html"].read_text(encoding="utf-8")
    # every format says when the edition was built as a person reads a time: local, the zone named, no "T"
    built = re.compile(r"第 1 版 · 生成于 \d{4}-\d\d-\d\d \d\d:\d\d UTC([+-]\d+(:\d\d)?)?(?!\d)")
    pdf_text = "".join(p.extract_text() for p in PdfReader(out["pdf"]).pages)
    docx_text = "\n".join(p.text for p in Document(str(out["docx"])).paragraphs)
    for text in (out["html"].read_text(encoding="utf-8"), pdf_text, docx_text):
        assert built.search(text) and not re.search(r"生成于 \S*T\d", text)
    assert len(out["csv"].read_text(encoding="utf-8-sig").splitlines()) == 200
    listed = CliRunner().invoke(cli, ["navigate", "drones", "--region", "500120", "--editions", "--json",
                                      "--db", str(saved)])
    assert listed.exit_code == 0 and [e["edition"] for e in json.loads(listed.stdout)["editions"]] == [1]
    as_text = CliRunner().invoke(cli, ["navigate", "drones", "--region", "500120", "--editions", "--db", str(saved)])
    documents = json.loads(listed.stdout)["changes"]["documents"]["new"]
    assert as_text.exit_code == 0
    assert re.fullmatch(r"1\t\d{4}-\d\d-\d\d \d\d:\d\d UTC\S*", as_text.stdout.splitlines()[0])  # local, zone named
    assert as_text.stdout.splitlines()[-1] == f"第 1 版是首版，无可比较的前一版；界定范围文献 {documents:,} 件。"
    missing = CliRunner().invoke(cli, ["navigate", "drones", "--edition", "3", "--db", str(saved)])
    assert missing.exit_code == 2 and "edition 3" in missing.stderr


def test_the_built_at_time_is_in_the_zone_of_the_setting(saved: Path) -> None:
    """The setting ``timezone`` (the zone the web app and the reports show times in) decides the report's built-at
    line in every format and on the page, as it decides the editions table's times; before, the report used the
    machine's zone whatever the setting said."""
    for zone, label in (("Asia/Shanghai", "UTC+8"), ("America/New_York", "UTC-5")):
        settings = Settings(db=str(saved), timezone=zone)
        with Cockpit(settings) as c:
            report = c.navigation.edition("drones", "500120", 1)
            at = datetime.fromisoformat(report["generated_at"]).astimezone(ZoneInfo(zone))
            expected = f"生成于 {at:%Y-%m-%d %H:%M} {label}"
            pdf = c.navigation.render(report, "pdf")
            texts = [c.navigation.render(report, "html").decode("utf-8"),
                     "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages),
                     "\n".join(p.text for p in Document(io.BytesIO(c.navigation.render(report, "docx"))).paragraphs)]
        with TestClient(create_app(settings)) as client:
            texts.append(client.get("/navigation", params={"industry": "drones", "region": "500120"}).text)
        for text in texts:
            assert expected in text, (zone, re.findall(r"生成于 [^<\n]*", text))


def test_the_page_and_the_api_read_and_download_an_edition(saved: Path) -> None:
    with TestClient(create_app(Settings(db=str(saved)))) as client:
        page = client.get("/navigation", params={"industry": "drones", "region": "500120"})
        assert page.status_code == 200 and TITLE in page.text and "专利导航" in page.text
        assert 'id="nav-read-only"' in page.text and 'id="nav-build"' not in page.text
        assert page.text.count('class="chart"') == 3 and EMPTY_DISTRICT in page.text
        assert 'href="/api/navigation/report.docx?industry=drones&amp;region=500120&amp;edition=1"' in page.text
        editions_table = page.text[page.text.index('id="nav-editions"'):]
        editions_table = editions_table[: editions_table.index("</section>")]
        assert re.search(r"<td[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d UTC", editions_table)  # a time a person reads
        assert not re.search(r"\d{4}-\d\d-\d\dT\d", re.sub(r"<[^>]+>", " ", page.text))  # no machine time anywhere
        data = client.get("/api/navigation", params={"industry": "drones", "region": "500120"}).json()
        assert data["report"]["edition"] == 1 and [e["edition"] for e in data["editions"]] == [1]
        for fmt, start in (("pdf", b"%PDF-"), ("docx", b"PK"), ("xlsx", b"PK"), ("csv", "id,".encode("utf-8-sig"))):
            got = client.get(f"/api/navigation/report.{fmt}", params={"industry": "drones", "region": "500120"})
            assert got.status_code == 200 and got.content.startswith(start), fmt
        assert client.get("/api/navigation/report.pdf", params={"industry": "drones", "edition": 9}).status_code == 404
        assert client.get("/api/navigation/editions").json()["editions"][0]["industry"] == "drones"
        assert client.get("/api/navigation/diff", params={"industry": "drones", "region": "500120"}).json()[
            "from"] is None
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/api/navigation", "/api/navigation/build", "/api/navigation/report.{fmt}"} <= set(paths)
        # building is for analysts and admins
        assert client.post("/api/navigation/build", json={"industry": "nev"}).status_code in (401, 403)
        english = client.get("/navigation", params={"industry": "drones", "region": "500120", "lang": "en"})
        assert "Patent navigation report: Drones" in english.text


def test_reports_build_from_the_presets(drones: Path, tmp_path: Path) -> None:
    with Cockpit(Settings(db=str(copy_store(drones, tmp_path)))) as c:
        nav = c.navigation
        report = nav.build("nev")
        assert report["edition"] == 1 and report["sections"]
        assert _titles_clear_of_legends(report) >= 1  # the world trend by office at least
        # the definition names its SEI industry as the catalogue does, beside the code
        assert report["industry"]["sei_names"] == {"5": "新能源汽车产业"}
        from ipcockpit.navigation.render_pdf import definition_lines

        assert "战略性新兴产业分类: 5 新能源汽车产业" in definition_lines(report["industry"], i18n.Translator("zh-CN"))
        # and says why each document matched in the same words, not by the reason's id (sei:5)
        html = nav.render(report, "html").decode("utf-8")
        assert "<td>战略性新兴产业分类 5 新能源汽车产业</td>" in html and ">sei:5<" not in html
        for fmt in ("html", "pdf", "docx", "csv", "xlsx"):
            assert nav.render(report, fmt)


def test_an_industry_that_matches_nothing_says_so_in_every_format(drones: Path) -> None:
    con = duckdb.connect(str(drones), read_only=True)
    try:
        members(con, "Z99")
        empty = assemble({**DEFINITION, "ipc": ["Z99"]}, member_counts(con), analysis(con), None)
    finally:
        con.close()
    assert empty["industry"]["documents"] == 0 and empty["missing"][0]["key"] == "nav.report.no_members"
    assert all(s["empty_reason"] for s in empty["sections"]) and not any(s["numbers"] for s in empty["sections"])
    # the applicants' section came with no rows and no reason: the report gives it one, and no chart
    applicants = next(s for s in empty["sections"] if s["id"] == "direction.applicants")
    assert applicants["empty_reason"] == "nav.empty.no_data" and applicants["chart"] is None
    said = ZH("nav.report.no_members")
    html = render_html(empty, ZH)
    assert said in html and 'class="chart"' not in html
    pdf = PdfReader(io.BytesIO(render_pdf(empty, ZH)))
    assert said[:12] in "".join(p.extract_text() for p in pdf.pages).replace("\n", "")
    assert sum(len(p.images) for p in pdf.pages) == 0
    doc = Document(io.BytesIO(render_docx(empty, ZH)))
    assert any(p.text == said for p in doc.paragraphs) and len(doc.inline_shapes) == 0
    assert appendix_csv(empty).decode("utf-8-sig").strip() == ",".join(COLUMNS)


def test_an_analyst_builds_editions_on_the_page_and_the_api(drones: Path, tmp_path: Path) -> None:
    path = copy_store(drones, tmp_path)
    with Cockpit(Settings(db=str(path))) as c:
        c.add_user("ana", "analyst", "navigation-pass-1")
    with TestClient(create_app(Settings(db=str(path)), read_only=False)) as client:
        assert client.post("/login", json={"username": "ana", "password": "navigation-pass-1"}).status_code == 200
        page = client.get("/navigation").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert 'value="ngit"' in page
        built = client.post("/navigation/build", data={"csrf_token": token, "industry": "ngit", "region": "500120"},
                            follow_redirects=False)
        assert built.status_code == 303
        assert built.headers["location"] == "/navigation?industry=ngit&region=500120&edition=1"
        shown = client.get(built.headers["location"]).text
        assert "新一代信息技术" in shown and 'class="chart"' in shown
        again = client.post("/api/navigation/build", json={"industry": "ngit", "region": "500120"},
                            headers={"X-CSRF-Token": token})
        assert again.status_code == 201, again.text
        changes = again.json()["changes"]
        assert again.json()["edition"] == 2 and (changes["from"], changes["to"]) == (1, 2)
        assert not changes["changed"] and not changes["added"] and changes["unchanged"] > 0  # the same store
        bad = client.post("/api/navigation/build", json={"industry": "ngit", "region": "500227"},
                          headers={"X-CSRF-Token": token})
        assert bad.status_code == 400 and "500120" in bad.json()["error"]
        client.cookies.clear()
        assert 'id="nav-sign-in"' in client.get("/navigation").text  # a visitor: no form


def test_coded_cells_are_words_in_the_report_language() -> None:
    from ipcockpit.navigation.report import cell

    zh, en = i18n.Translator("zh-CN"), i18n.Translator("en")
    assert (cell("enterprise", "nature", zh), cell("enterprise", "nature", en)) == ("企业", "Enterprise")
    assert cell("transfer", "operation", zh) == "转让" and cell("in_force", "status", zh) == "有效"
    assert cell("a code no catalogue has", "nature", zh) == "a code no catalogue has"  # shown as it is
    assert cell("enterprise", "applicant", zh) == "enterprise"  # only coded columns
    assert cell(12345, "documents", zh) == "12,345" and cell(2019, "year", zh) == "2019"
    # the key patents' columns: the high-value answer and the legal-status rule's labels
    assert (cell("no", "high_value", zh), cell("yes", "high_value", en)) == ("非高价值", "High value")
    assert (cell("expired", "legal_status", zh), cell("expired", "legal_status", en)) == ("期限届满", "expired")
    assert cell("pending", "legal_status", zh) == "审中（申请未授权）"
    # the definition's combination in words, not its code
    from ipcockpit.navigation.render_pdf import definition_lines

    assert "组合方式: 任一条件满足即纳入" in definition_lines({"keywords": ["无人机"], "combine": "any"}, zh)
    assert "Combined by: all conditions (intersection)" in definition_lines({"combine": "all"}, en)
