"""Browser tests: Playwright (sync API) drives Debian's chromium against a real uvicorn server on loopback.

The server runs in a subprocess over a real DuckDB file built from the shared data: the Chinese table-export
SQL dump (10 rows: 7 utility models, 3 invention applications, and the B grant of one of them = 11
documents), the USPTO weekly excerpt ipg080101 (25 ``<us-patent-grant>`` elements: 15 B2, 3 B1, 6 S1,
1 P2, counted with a regex over the XML) and the SEI 2021 industry-IPC concordance. The browser is never
downloaded: ``scripts/setup_system.sh`` (run by ``make install``) installs Debian's chromium and a CJK font,
and the ``playwright`` PyPI package drives it through ``executable_path``. When either is missing the tests
fail and say so. Screenshots are kept in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ipcockpit.app import Cockpit

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
SETUP = ("install them with `bash scripts/setup_system.sh` as root (chromium, fonts-wqy-microhei; `make install` "
         "runs it) and `pip install -e '.[test]'` (playwright); never `playwright install`")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
FILES = ["cn/table_export_sample", "uspto_xml/weekly_excerpts/ipg080101.small.xml",
         "classification/cnipa_sei2021_ipc_concordance.json"]
DOCUMENTS = 25 + 11
# invention grants screened: 15 B2 + 3 B1 of the weekly excerpt and the one CN B grant of the dump
SCREENED = 15 + 3 + 1
AS_OF = "2025-07-01"
CN_GRANT = "CN115883397B"
CN_TITLE = "一种web端数据通用采集方法"
ANALYST = ("ana", "analyst", "browser-test-password")
BROKEN_CSV = "patent_abstract,patent_date,patent_number,patent_title\nA bat.,1993-02-30,5269177,Sweet spot\n"
BROKEN_REASON = "day is out of range for month"
SERVER = """
import sys
import uvicorn
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app
app = create_app(Settings(db=sys.argv[1]), read_only=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    path = tmp_path_factory.mktemp("browser") / "browser.duckdb"
    broken = path.parent / "broken_export.csv"  # a PatentsView export whose one record has no valid date
    broken.write_text(BROKEN_CSV, encoding="utf-8")
    with Cockpit(db=path) as c:
        reports = c.ingest([shared / f for f in FILES])
        [bad] = c.ingest([broken])
        c.add_user(*ANALYST, created_by="pytest")
        c.index()  # the search and FTO claim indexes (36 documents: a few seconds)
    assert [r.error for r in reports] == [None, None, None]
    assert (bad.read, bad.loaded, bad.quarantined) == (1, 0, 1)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn in a subprocess on a free loopback port; stopped when the module ends."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "uvicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", SERVER, str(store), str(port)], cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode} before answering:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer {url}/healthz within 30 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"the Python package playwright is missing: {SETUP}", pytrace=False)
        raise AssertionError from exc  # unreachable: pytest.fail raises
    chromium = shutil.which("chromium") or (str(CHROMIUM) if CHROMIUM.exists() else None)
    if chromium is None:
        pytest.fail(f"Debian's chromium is missing (no chromium on PATH, no {CHROMIUM}): {SETUP}", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookies) per test; its last screen is saved as tests/artifacts/NAME.png."""
    context = browser.new_context(base_url=server, locale="zh-CN", accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"JavaScript errors on {p.url}: {errors}"


def _nav(page: Any, text: str) -> None:
    """Follow the navigation link named ``text`` (routes may move; the labels stay)."""
    page.locator("header nav").get_by_role("link", name=text, exact=True).click()
    page.wait_for_load_state()


def _heading(page: Any) -> str:
    return page.locator("main h1").first.inner_text().strip()


def test_overview_and_language_switch(page: Any) -> None:
    page.goto("/")
    _nav(page, "数据总览")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert _heading(page) == "数据总览"
    assert page.locator("#documents-count").inner_text() == f"{DOCUMENTS}"
    # ECharts (vendored) drew the chart into a canvas
    page.locator("#chart-by-office-year canvas").first.wait_for(state="attached")
    assert {"数据总览", "高价值专利筛选"} <= set(page.locator("header nav a").all_inner_texts())

    page.locator(".lang").get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert _heading(page) == "Data overview"
    assert {"Data overview", "High-value patent screening"} <= set(page.locator("header nav a").all_inner_texts())
    assert "数据总览" not in page.locator("main").inner_text()
    # the choice is remembered: another page opens in English
    _nav(page, "High-value patent screening")
    assert _heading(page) == "High-value patent screening"

    page.locator(".lang").get_by_role("link", name="中文").click()
    page.wait_for_load_state()
    assert _heading(page) == "高价值专利筛选"
    _nav(page, "数据总览")
    assert _heading(page) == "数据总览"


def _screen_for_applicant(page: Any) -> None:
    """The screening page, the applicant filter and the as-of date filled in and submitted."""
    page.goto("/")
    _nav(page, "高价值专利筛选")
    assert _heading(page) == "高价值专利筛选"
    assert page.locator("#total").inner_text() == f"{SCREENED}"
    form = page.locator("#filter-form")
    form.get_by_label("申请人").fill("中科大数据")
    form.locator("details.advanced summary").click()
    form.locator("input[name=as_of]").fill(AS_OF)
    form.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"applicant="))
    assert page.locator("#total").inner_text() == "1"


def test_screen_filter_and_patent_page(page: Any) -> None:
    _screen_for_applicant(page)
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 1
    row = rows.first
    assert row.get_attribute("id") == f"row-{CN_GRANT}"
    assert CN_TITLE in row.inner_text() and "中科大数据研究院" in row.inner_text()
    assert row.locator(".badge").inner_text() == "是"
    assert page.locator("#high-value-yes").inner_text() == "1"

    row.get_by_role("link", name=CN_GRANT).click()
    page.wait_for_url(re.compile(rf"/patent/{CN_GRANT}$"))
    assert page.locator("#doc-id").inner_text() == CN_GRANT
    assert CN_TITLE in _heading(page)
    assert "中科大数据研究院" in page.locator("#parties").inner_text()
    page.get_by_role("link", name="高价值专利筛选").first.click()  # the breadcrumb back
    assert _heading(page) == "高价值专利筛选"


def _download_csv(page: Any) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == "screen-patents.csv"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads the Chinese as UTF-8
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_download(page: Any) -> None:
    _screen_for_applicant(page)
    rows = _download_csv(page)
    assert [r["publication_number"] for r in rows] == [CN_GRANT]
    assert rows[0]["title"] == CN_TITLE and rows[0]["high_value"] == "True"
    assert rows[0]["applicant"] == "中科大数据研究院"

    # cleared filters: every screened invention grant
    page.get_by_role("link", name="清除条件").click()
    page.wait_for_load_state()
    all_rows = _download_csv(page)
    assert len(all_rows) == SCREENED
    numbers = [r["publication_number"] for r in all_rows]
    assert CN_GRANT in numbers
    assert sum(n.startswith("US") for n in numbers) == 15 + 3


def test_cockpit_cards(page: Any) -> None:
    """The cockpit (the home page): the ten indicators of the Bishan plan as cards."""
    page.goto("/")
    _nav(page, "驾驶舱")
    cards = page.locator("#cards article.ind-card")
    assert cards.count() == 10
    ids = [cards.nth(i).get_attribute("data-indicator") for i in range(10)]
    assert ids[:3] == ["invention_patents_per_10k_pop", "high_value_invention_patents_per_10k_pop", "pct_applications"]
    assert "每万人发明专利拥有量" in page.locator("#card-invention_patents_per_10k_pop h3").inner_text()


def test_analyst_reports_a_value_and_sees_it_on_its_card(page: Any) -> None:
    """Log in as an analyst, enter a reported value on the cockpit's form, see it on its card."""
    page.goto("/login")
    page.fill("#login-form input[name=username]", ANALYST[0])
    page.fill("#login-form input[name=password]", ANALYST[2])
    page.click("#login-form button[type=submit]")
    page.goto("/")
    form = page.locator("#report-form")
    form.locator("select[name=indicator]").select_option("copyright_registrations")
    year = form.locator("input[name=year]").input_value()
    form.locator("input[name=value]").fill("402")
    form.locator("input[name=source_document]").fill("区版权局年报（浏览器测试）")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    value = page.locator("#value-copyright_registrations").inner_text()
    assert value.replace(",", "") == "402", value
    card = page.locator("#card-copyright_registrations").inner_text()
    assert year in card and "ana" in card
    page.screenshot(path=str(ARTIFACTS / "cockpit_reported.png"), full_page=True)


def test_analyst_browses_the_quarantine(page: Any) -> None:
    """Log in as an analyst, open the data page from the navigation, follow its quarantine link and see
    the broken record with its file, position, field and reason."""
    page.goto("/login")
    page.fill("#login-form input[name=username]", ANALYST[0])
    page.fill("#login-form input[name=password]", ANALYST[2])
    page.click("#login-form button[type=submit]")
    page.goto("/")
    _nav(page, "数据与入库状态")
    assert _heading(page) == "数据与入库状态"
    assert "broken_export.csv" in page.locator("#files").inner_text()  # analysts see the paths
    page.locator("#quarantine-link a").click()
    page.wait_for_load_state()
    assert _heading(page) == "隔离记录"
    rows = page.locator("table.quarantine tbody tr.quarantined")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0].startswith("broken_export.csv") and cells[1:4] == ["line 2", "patent_date", BROKEN_REASON]
    assert "1993-02-30" in cells[4]


# a product described from claim 1 of CN 215361852 U (搭载热成像的农作物监管无人机), a utility model in force
DRONE = "一种农业巡检无人机，机身上装有图像采集模块和GPS模块，机壳内设有通信模块，机壳顶部有带气孔的弧形引流板。"


def test_search_and_fto(page: Any) -> None:
    """Search from the navigation and see highlighted passages; log in, paste a product description on the
    FTO page, see the report with the matched claim elements marked, download it as PDF."""
    page.goto("/")
    _nav(page, "检索")
    assert _heading(page) == "专利检索"
    page.locator("#search-form input[name=q]").fill("无人机 图像采集")
    page.locator("#search-form").get_by_role("button", name="检索").click()
    page.wait_for_url(re.compile(r"/search\?q="))
    hits = page.locator("ol.hits li.hit")
    assert hits.count() >= 3
    assert hits.first.locator(".passage mark").first.inner_text() == "无人机"
    assert all(n.startswith("CN") for n in hits.locator("a.hit-link").all_inner_texts()[:3])
    page.locator("#chart-results canvas").first.wait_for(state="attached")
    page.screenshot(path=str(ARTIFACTS / "search_results.png"), full_page=True)

    page.goto("/login")
    page.fill("#login-form input[name=username]", ANALYST[0])
    page.fill("#login-form input[name=password]", ANALYST[2])
    page.click("#login-form button[type=submit]")
    page.goto("/")
    _nav(page, "侵权风险筛查")
    assert _heading(page) == "侵权风险筛查（FTO）"
    form = page.locator("#fto-form")
    form.locator("textarea[name=text]").fill(DRONE)
    form.locator("input[name=jurisdictions]").fill("CN")
    form.get_by_role("button", name="开始筛查").click()
    page.wait_for_load_state()
    report = page.locator("#fto-result section.fto-report")
    first = report.locator("table.results tbody tr").first
    assert "CN215361852U" in first.inner_text() and first.locator("td.level").inner_text() == "高"
    assert report.locator(".claim mark").count() >= 4  # 无人机, 图像采集模块, GPS模块, 通信模块 at least
    assert "仅供风险筛查参考，不构成法律意见" in report.inner_text()
    with page.expect_download() as info:
        page.locator("#download-pdf").click()
    download = info.value
    assert download.suggested_filename == "fto-report.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
