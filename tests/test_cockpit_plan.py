"""The cockpit's wording and the plan's figures (issue 12): plan baselines cite the plan text, progress is
unknown with only a baseline, the pledge indicator is a running total since the baseline, and every
reason reaches the page in the page's language.

Uses the stores of ``test_cockpit`` (real shared files plus the constructed Bishan export, whose rows are
marked "（测试行）"); population figures are test inputs, not statistics.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import test_cockpit
from fastapi.testclient import TestClient
from pypdf import PdfReader
from test_cockpit import EXPORT, TODAY, ZHENGZHOU, by_id
from typer.testing import CliRunner

from ipcockpit import i18n
from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from ipcockpit.cockpit import (
    ReportError,
    cockpit,
    import_csv,
    indicator_records,
    list_reported,
    load_plan_baselines,
    load_region,
    report_value,
)
from ipcockpit.cockpit.reported import PLAN_TEXT, report_many
from ipcockpit.cockpit.tables import indicator_rows
from ipcockpit.reports.cockpit_pdf import report_pdf
from ipcockpit.settings import Settings
from ipcockpit.store import Store
from ipcockpit.web.server import create_app

# the stores of test_cockpit
base_store, store, reported = test_cockpit.base_store, test_cockpit.store, test_cockpit.reported
OFFICE = "重庆市璧山区人民政府办公室"
BASELINE_ONLY = (
    "trademarks_per_10k_market_entities",
    "geographical_indications",
    "madrid_applications_cumulative",
    "copyright_registrations",
    "ip_service_agencies",
)
#: an English word in text shown on the Chinese page (doc ids, PCT, CNY and other capitals are not words)
ENGLISH_WORD = re.compile(r"\b[a-z]{3,}\b")


def plan_text(shared: Path) -> str:
    return (shared.parent / "reference" / "bishan_ip_plan_2022.txt").read_text(encoding="utf-8")


def old_plan_rows(s: Store) -> None:
    """Plan baselines as the earlier code wrote them: the office as reporter, the plan's title as source."""
    reg = load_region()
    for ind in reg.indicators:
        if ind.baseline is None:
            continue
        s.con.execute(
            "INSERT INTO reported_values (region, indicator, year, value, unit, source_document, reported_by, "
            "reported_at, note, origin, origin_ref) VALUES ('500120', ?, 2020, ?, ?, ?, ?, '2022-07-08', ?, "
            "'plan', '500120.yaml')",
            [ind.id, ind.baseline, ind.unit_zh, reg.plan_citation(), OFFICE,
             f"2020年基数（{reg.plan_box}）; the plan's 2020 baseline"],
        )


# 1. plan baselines cite the plan text ---------------------------------------------------------------
def test_plan_baselines_cite_the_plan_text(store: Store) -> None:
    rows = load_plan_baselines(store)
    assert len(rows) == 9
    for r in rows:
        assert r["reported_by"] == PLAN_TEXT and OFFICE not in r["reported_by"]
        # the document and where in it: the plan's box 1, the 2020 column
        assert r["source_document"].startswith("《重庆市璧山区知识产权保护和运用")
        assert "璧山府办发〔2022〕30号" in r["source_document"] and "专栏1" in r["source_document"]
        assert "2020年" in r["source_document"] and r["origin"] == "plan"
    cards = by_id(cockpit(store, year=2024, today=TODAY))
    prov = cards["ip_service_agencies"]["provenance"]
    assert prov["kind"] == "plan_text" and prov["reported_by"] == PLAN_TEXT and prov["stored"] is True
    # the CSV row names the plan text too
    row = {r["id"]: r for r in indicator_rows({"indicators": list(cards.values())})}["ip_service_agencies"]
    assert (row["reported_by"], row["provenance_kind"]) == (PLAN_TEXT, "plan_text")
    # not stored yet (read from the profile): the same provenance
    with Store(":memory:") as empty:
        fresh = by_id(cockpit(empty, year=2024, today=TODAY))["ip_service_agencies"]["provenance"]
    assert (fresh["kind"], fresh["reported_by"], fresh["stored"]) == ("plan_text", PLAN_TEXT, False)
    assert fresh["source_document"] == prov["source_document"]


def test_plan_rows_written_the_old_way_are_restated_once(store: Store) -> None:
    old_plan_rows(store)
    # shown as plan text even before they are restated
    prov = by_id(cockpit(store, year=2024, today=TODAY))["geographical_indications"]["provenance"]
    assert prov["kind"] == "plan_text" and prov["reported_by"] == PLAN_TEXT
    # a later correction of one of them stays current
    report_value(store, None, "copyright_registrations", 2020, 380, "更正（测试）", "pytest")
    written = load_plan_baselines(store)
    assert sorted(r["indicator"] for r in written) == sorted(
        i.id for i in load_region().indicators if i.baseline is not None and i.id != "copyright_registrations"
    )
    assert all(r["reported_by"] == PLAN_TEXT and "专栏1" in r["source_document"] for r in written)
    assert load_plan_baselines(store) == []  # idempotent
    [current] = list_reported(store, "500120", "copyright_registrations", 2020, current_only=True)
    assert current["value"] == 380.0
    # the old rows stay in the audit trail, superseded
    old = list_reported(store, "500120", "geographical_indications", 2020)
    assert [(r["reported_by"], r["current"]) for r in old] == [(PLAN_TEXT, True), (OFFICE, False)]


@pytest.mark.slow
def test_plan_text_on_the_page_and_in_the_pdf(reported: Store, tmp_path: Path) -> None:
    data = cockpit(reported, year=2024, today=TODAY)
    for lang, phrase in (("zh-CN", "规划文本"), ("en", "plan text")):
        text = pdf_text(report_pdf(data, lang))
        assert phrase in text and f"填报人：{OFFICE}" not in text
    html = page(reported, tmp_path, "zh-CN")
    card = card_html(html, "geographical_indications")
    assert "来自规划文本" in card and f"填报：{OFFICE}" not in card
    assert "From the plan text" in card_html(page(reported, tmp_path, "en"), "geographical_indications")


# 2. progress is unknown with only a baseline --------------------------------------------------------
@pytest.mark.slow
def test_progress_unknown_with_only_the_baseline(reported: Store, tmp_path: Path) -> None:
    cards = by_id(cockpit(reported, year=2024, today=TODAY))
    for ind in BASELINE_ONLY:
        c = cards[ind]
        assert (c["year"], c["value"], c["progress"]) == (2020, c["baseline"], None), ind
        assert c["progress_reason_key"] == "cockpit.reason.progress_baseline_only"
        assert c["progress_reason"] == "only the 2020 baseline is known: progress needs a later value"
    sat = cards["protection_satisfaction"]  # no baseline and no value
    assert sat["progress"] is None and sat["progress_reason_key"] == "cockpit.reason.progress_no_value"
    report_value(reported, None, "copyright_registrations", 2023, 412, "版权登记年报（测试）", "pytest")
    c = by_id(cockpit(reported, year=2024, today=TODAY))["copyright_registrations"]
    assert c["progress"] == pytest.approx((412 - 373) / (450 - 373), abs=1e-4) and c["progress_reason"] is None
    # the card says unknown, not 0 %
    html = page(reported, tmp_path, "zh-CN")
    card = card_html(html, "geographical_indications")
    pct = re.search(r'<span class="pct"[^>]*>(.*?)</span>', card, re.S)
    assert pct and pct[1].strip() == "未知" and "0%" not in card
    assert "仅有2020年基期值" in card
    # the PDF: no 0 % in the table, the reason in the provenance section
    text = pdf_text(report_pdf(cockpit(reported, year=2024, today=TODAY), "zh-CN"))
    assert "完成进度未知：仅有2020年基期值" in text


def test_cli_shows_unknown_progress(reported: Store, tmp_path: Path) -> None:
    path = tmp_path / "cli.duckdb"
    reported.con.execute("CHECKPOINT")
    shutil.copy(reported.path, path)
    # in this process (typer's CliRunner): what the command prints, not its process, is what this shows
    out = CliRunner().invoke(cli, ["cockpit", "--db", str(path), "--year", "2024"], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if "地理标志拥有量" in line]
    assert len(rows) == 1 and "0%" not in rows[0] and "未知" in rows[0]
    assert "地理标志拥有量：仅有2020年基期值，完成进度需要其后的数值" in out.stderr  # the reason, in the CLI's language


# 3. pledge financing: a running total since the baseline --------------------------------------------
def test_the_plan_states_a_running_total(shared: Path) -> None:
    text = plan_text(shared)
    # 十三五 (the baseline): a total registered; 2025 (the target): a total
    assert "融资登记总金额超2000万元" in text and "力争全区知识产权质押融资总额突破3亿元" in text
    ind = load_region().indicator("pledge_financing_amount")
    assert ind is not None and ind.cumulative is True
    assert (ind.baseline, ind.target) == (2000 / 10_000, 3.0)  # 2000万元 = 0.2亿元


def test_pledge_is_a_running_total_since_the_baseline(reported: Store) -> None:
    card = by_id(cockpit(reported, year=2024, today=TODAY))["pledge_financing_amount"]
    # the plan's 0.2亿元 (2020) + the 1500万元 registered 2023-05-15 on CN999000106B (the export's row)
    row = next(r for r in csv.DictReader(io.StringIO(EXPORT)) if r["质押金额(万元)"])
    assert (row["授权公告号"], row["质押日期"], row["质押金额(万元)"]) == ("CN999000106B", "20230515", "1500")
    assert (card["value"], card["year"], card["source"], card["records"]) == (0.35, 2024, "computed", 1)
    assert card["doc_ids"] == ["CN999000106B"] and card["reason"] is None
    assert {p["year"]: (p["value"], p["source"]) for p in card["trend"]} == {
        2020: (0.2, "reported"), 2021: (0.2, "computed"), 2022: (0.2, "computed"), 2023: (0.35, "computed"),
        2024: (0.35, "computed")}
    assert card["progress"] == pytest.approx((0.35 - 0.2) / (3 - 0.2), abs=1e-4)
    start = card["provenance"]["baseline"]
    assert (start["value"], start["year"], start["kind"]) == (0.2, 2020, "plan_text")
    assert start["source_document"] == load_region().plan_source()
    # the drill-down lists the pledges counted, and the baseline they are added to
    drill = indicator_records(reported, None, "pledge_financing_amount", 2024, today=TODAY)
    assert drill["row_kind"] == "pledge" and drill["value"] == 0.35
    assert [(r["doc_id"], r["date"], r["amount_cny"], r["counted"]) for r in drill["rows"]] == [
        ("CN999000106B", "2023-05-15", 15_000_000.0, True)]
    assert drill["baseline"]["kind"] == "plan_text" and drill["baseline"]["value"] == 0.2
    assert indicator_records(reported, None, "pledge_financing_amount", 2022, today=TODAY)["rows"] == []


@pytest.fixture
def with_real_pledges(base_store: Path, tmp_path: Path, shared: Path) -> Iterator[Cockpit]:
    """The store plus the real pledge files: the CNIPA legal-status gazette (625 质押 rows, no amounts) and
    the USPTO assignment records (SECURITY INTEREST conveyances, no amounts)."""
    path = tmp_path / "pledges.duckdb"
    shutil.copy(base_store, path)
    with Cockpit(db=path) as c:
        c.ingest([shared / "cn/legal_events_gazette", shared / "uspto_api/assignment"])
        load_plan_baselines(c.store)
        yield c


def test_pledge_on_real_pledge_records(with_real_pledges: Cockpit, shared: Path) -> None:
    con = with_real_pledges.store.con
    gazette = (shared / "cn/legal_events_gazette/FLZT20161228_ordered.csv").read_text(encoding="utf-8-sig")
    assert sum("质押" in line for line in gazette.splitlines()) == 625
    # what the ingesters keep: of the gazette's 210 pledge registrations (质押合同登记的生效), 14 name a patent
    # by a whole number (the others' application numbers are in scientific notation: quarantined); they are
    # stubs without parties, so no region. The export gives one more; the USPTO security interests are US
    # pledges without amounts
    keyed = [line for line in gazette.splitlines() if line.endswith(",专利权质押合同登记的生效")
             and (not line.startswith(",") or "E+" not in line.split(",")[1])]
    assert len(keyed) == 14
    assert con.execute("SELECT count(*) FROM legal_events WHERE office = 'CN' AND event_class = 'pledge'"
                       ).fetchone() == (1 + len(keyed),)
    xml = "".join(p.read_text(encoding="utf-8") for p in sorted((shared / "uspto_api/assignment").rglob("*.xml")))
    assert "SECURITY INTEREST" in xml
    assert con.execute("SELECT count(*) > 0, count(amount) FROM legal_events WHERE office = 'US' "
                       "AND event_class = 'pledge'").fetchone() == (True, 0)
    # none of them is a Bishan patent: the running total is the plan's 0.2 + the export's 0.15
    card = by_id(cockpit(with_real_pledges.store, year=2024, today=TODAY))["pledge_financing_amount"]
    assert (card["value"], card["records"], card["doc_ids"]) == (0.35, 1, ["CN999000106B"])


PLEDGE_NO_AMOUNT = (
    "申请号,申请日,授权公告号,授权公告日,专利类型,专利名称,申请人,申请人地址,法律状态,分类号,质押次数,质押日期,质押金额(万元)\n"
    "CN201610000109.4,20160301,CN999000109B,20190402,发明授权,一种测试用阀门（测试行）,重庆璧山测试阀门有限公司,"
    "重庆市璧山区璧泉街道测试路9号,有权-审定授权,F16K1/00,1,20220610,\n"
)


def test_pledge_without_amount_makes_the_total_unknown(base_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "no_amount.duckdb"
    shutil.copy(base_store, path)
    export = tmp_path / "专利总表_pledge_test.csv"
    export.write_text(PLEDGE_NO_AMOUNT, encoding="utf-8")
    with Cockpit(db=path) as c:
        assert all(r.error is None for r in c.ingest([export]))
        load_plan_baselines(c.store)
        card = by_id(cockpit(c.store, year=2024, today=TODAY))["pledge_financing_amount"]
        # 2022: a pledge registered without an amount -- from then on the total is not known
        assert {p["year"]: p["value"] for p in card["trend"]} == {2020: 0.2, 2021: 0.2}
        assert (card["year"], card["value"], card["computed"]["value"]) == (2021, 0.2, None)
        assert card["reason_key"] == "cockpit.reason.pledge_amount_unknown"
        assert card["reason_values"] == {"count": 1, "start": 2021, "end": 2024, "known": 0.35}
        drill = indicator_records(c.store, None, "pledge_financing_amount", 2024, today=TODAY)
        assert [(r["doc_id"], r["amount_cny"], r["counted"]) for r in drill["rows"]] == [
            ("CN999000109B", None, False), ("CN999000106B", 15_000_000.0, True)]
        # a reported running total fills the year that cannot be computed
        report_value(c.store, None, "pledge_financing_amount", 2024, 0.6, "区金融办质押登记统计（测试）", "pytest")
        card = by_id(cockpit(c.store, year=2024, today=TODAY))["pledge_financing_amount"]
        assert (card["value"], card["year"], card["source"]) == (0.6, 2024, "reported")


def test_reported_yearly_figures_and_running_totals(store: Store, tmp_path: Path) -> None:
    """A region without pledge records: the reported values make the running total."""
    folder = tmp_path / "regions"
    folder.mkdir()
    (folder / "410100.yaml").write_text(
        ZHENGZHOU + "  - {id: pledge_financing_amount, name_zh: 知识产权质押融资登记金额, unit_zh: 亿元, "
        "baseline: 1.0, target: 5, cumulative: true}\n", encoding="utf-8")
    report_value(store, "410100", "pledge_financing_amount", 2021, 1.5, "质押统计（测试）", "pytest", folders=folder)
    report_value(store, "410100", "pledge_financing_amount", 2022, 0.4, "质押统计（测试）", "pytest", folders=folder,
                 basis="year")
    card = by_id(cockpit(store, "410100", 2022, folders=folder, today=TODAY))["pledge_financing_amount"]
    # 2021: a running total as reported; 2022: the year's 0.4 added to it
    assert {p["year"]: p["value"] for p in card["trend"]} == {2020: 1.0, 2021: 1.5, 2022: 1.9}
    assert card["provenance"]["basis"] == "year" and card["provenance"]["added_to"] == {"year": 2021, "value": 1.5}
    # a year's figure with no total of the year before: unknown, said
    report_value(store, "410100", "pledge_financing_amount", 2024, 0.3, "质押统计（测试）", "pytest", folders=folder,
                 basis="year")
    card = by_id(cockpit(store, "410100", 2024, folders=folder, today=TODAY))["pledge_financing_amount"]
    assert (card["year"], card["value"]) == (2022, 1.9)
    assert card["reason_key"] == "cockpit.reason.year_without_total"
    assert card["reason_values"] == {"year": 2024, "previous": 2023}
    # CSV: the column 口径 (basis) tells them apart; a basis is refused where the indicator is not a total
    good = tmp_path / "basis.csv"
    good.write_text("地区,指标,年份,数值,来源,填报人,口径\n410100,pledge_financing_amount,2023,0.2,统计（测试）,pytest,当年\n",
                    encoding="utf-8")
    [row] = import_csv(store, good, folders=folder)
    assert row["basis"] == "year"
    card = by_id(cockpit(store, "410100", 2024, folders=folder, today=TODAY))["pledge_financing_amount"]
    assert {p["year"]: p["value"] for p in card["trend"]} == {2020: 1.0, 2021: 1.5, 2022: 1.9, 2023: 2.1, 2024: 2.4}
    with pytest.raises(ReportError, match="field 'basis': copyright_registrations is not a running total"):
        report_value(store, "410100", "copyright_registrations", 2023, 12, "x", "y", folders=folder, basis="year")
    # the API's JSON items name it too; an unknown basis is refused
    [row] = report_many(store, [{"region": "410100", "indicator": "pledge_financing_amount", "year": 2025,
                                 "value": 0.1, "source": "统计（测试）", "reported_by": "pytest", "basis": "当年"}],
                        folders=folder)
    assert row["basis"] == "year"
    with pytest.raises(ReportError, match="field 'basis': 'monthly' is not a basis"):
        report_many(store, [{"region": "410100", "indicator": "pledge_financing_amount", "year": 2025, "value": 1,
                             "source": "x", "reported_by": "y", "basis": "monthly"}], folders=folder)


# 4. every user-facing string in both catalogues -----------------------------------------------------
def reason_keys(cards: list[dict[str, Any]]) -> set[str]:
    keys = set()
    for c in cards:
        for prefix in ("reason", "status_reason", "progress_reason"):
            if c.get(f"{prefix}_key"):
                keys.add(c[f"{prefix}_key"])
        if c.get("computed") and c["computed"].get("reason_key"):
            keys.add(c["computed"]["reason_key"])
    return keys


@pytest.mark.slow
def test_cockpit_keys_exist_in_both_catalogues(reported: Store) -> None:
    zh, en = i18n.catalogue("zh-CN"), i18n.catalogue("en")
    root = Path(__file__).resolve().parents[1] / "ipcockpit"
    literal = re.compile(r"[\"']((?:cockpit|report)\.[a-z0-9_.]+)[\"']")
    call = re.compile(r"(?<![\w.])t\([\"']([a-z_.-]+)[\"']\s*[,)]")
    used: set[str] = set()
    for f in [*(root / "cockpit").glob("*.py"), root / "web/routes/cockpit.py", root / "web/charts_cockpit.py",
              root / "reports/cockpit_pdf.py", *(root / "web/templates").glob("*cockpit*.html")]:
        text = f.read_text(encoding="utf-8")
        used |= set(literal.findall(text)) | set(call.findall(text))
    # not keys: file names, and prefixes a template completes (their keys are checked below)
    used = {k for k in used if not k.endswith(("_", ".js", ".css", ".html"))}
    for prefix, ends in (("cockpit.status_", ("on_track", "at_risk", "off_track", "none")),
                         ("cockpit.source_", ("computed", "reported")),
                         ("cockpit.basis_", ("default", "total", "year")),
                         ("cockpit.kind_", ("plan_text", "profile", "reported")),
                         ("cockpit.origin_", ("plan", "profile", "api", "csv"))):
        used |= {prefix + e for e in ends}
    assert {"cockpit.reason.no_trademarks", "cockpit.reason.progress_baseline_only", "report.prov_plan",
            "cockpit.provenance_plan", "cockpit.progress_unknown"} <= used
    assert used <= set(zh) and used <= set(en)
    # and every key a real cockpit gives
    for year in (2020, 2022, 2024):
        keys = reason_keys(cockpit(reported, year=year, today=TODAY)["indicators"])
        with Store(":memory:") as empty:
            keys |= reason_keys(cockpit(empty, year=year, today=TODAY)["indicators"])
        assert keys and keys <= set(zh) and keys <= set(en)
    # the English text kept for the API is the English catalogue's
    c = by_id(cockpit(reported, year=2024, today=TODAY))["trademarks_per_10k_market_entities"]
    assert c["reason"] == en[c["reason_key"]].format(**c["reason_values"]) == "no trademark records loaded"


def page(s: Store, tmp_path: Path, lang: str, path: str = "/cockpit", **params: Any) -> str:
    copy = tmp_path / f"page-{lang}.duckdb"
    s.con.execute("CHECKPOINT")
    shutil.copy(s.path, copy)
    with TestClient(create_app(Settings(db=str(copy)), read_only=True)) as client:
        r = client.get(path, params={"year": 2024, "lang": lang, **params})
    assert r.status_code == 200, r.text
    return r.text


def card_html(html: str, indicator: str) -> str:
    m = re.search(rf'<article class="ind-card[^"]*" id="card-{indicator}".*?</article>', html, re.S)
    assert m, indicator
    return m.group(0)


def pdf_text(content: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).replace("\n", "")


def notes(card: str) -> list[str]:
    """The texts a card shows besides the figures: reasons, provenance, methods, tooltips."""
    out = re.findall(r'<p class="(?:reason|provenance|method)">(.*?)</p>', card, re.S)
    out += re.findall(r'<(?!h3)[^>]*title="([^"]*)"', card)  # the heading's tooltip gives both names
    return [re.sub(r"<[^>]+>", "", t) for t in out]


@pytest.mark.slow
def test_chinese_page_shows_no_english_reason(store: Store, tmp_path: Path) -> None:
    # no baselines stored, no population: every kind of reason is on the page
    html = page(store, tmp_path, "zh-CN")
    texts = [t for c in re.findall(r'id="card-([a-z0-9_]+)"', html) for t in notes(card_html(html, c))]
    assert len(texts) > 20
    english = [t for t in texts if ENGLISH_WORD.search(t)]
    assert english == []
    assert "尚无商标数据" in html and "未填报2024年人口" in html
    # the drill-down page: its method and reason in Chinese too
    drill = page(store, tmp_path, "zh-CN", "/cockpit/records", indicator="pledge_financing_amount")
    method = re.search(r'id="records-method">(.*?)</p>', drill, re.S)
    assert method and not ENGLISH_WORD.search(method[1]) and "质押" in method[1]
    # the English page has the English texts
    en = page(store, tmp_path, "en")
    assert "no trademark records loaded" in en and "尚无商标数据" not in en
    # the PDF in Chinese: reasons and origins in Chinese
    data = cockpit(store, year=2024, today=TODAY)
    text = pdf_text(report_pdf(data, "zh-CN"))
    assert "no trademark records loaded" not in text and "尚无商标数据" in text
    assert "方式：plan" not in text


def test_api_keeps_english_reasons_with_their_keys(reported: Store) -> None:
    data = json.loads(json.dumps(cockpit(reported, year=2024, today=TODAY), default=str))
    c = by_id(data)["trademarks_per_10k_market_entities"]
    assert (c["reason"], c["reason_key"], c["reason_values"]) == (
        "no trademark records loaded", "cockpit.reason.no_trademarks", {})
    assert c["status_reason_key"] == "cockpit.reason.baseline_only" and c["status_reason_values"] == {"year": 2020}
