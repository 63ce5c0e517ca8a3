"""Browser tests: Playwright (sync API) drives Debian's chromium against a real uvicorn server on loopback.

The server runs in a subprocess over a real DuckDB file built from the shared data: the Chinese table-export
SQL dump (10 rows: 7 utility models, 3 invention applications, and the B grant of one of them = 11
documents), the USPTO weekly excerpt ipg080101 (25 ``<us-patent-grant>`` elements: 15 B2, 3 B1, 6 S1,
1 P2, counted with a regex over the XML) and the SEI 2021 industry-IPC concordance. The browser is never
downloaded: ``scripts/setup_system.sh`` (run by ``make test``) installs Debian's chromium and a CJK font,
and the ``playwright`` PyPI package drives it through ``executable_path``. When either is missing the tests
fail and say so. Screenshots are kept in tests/artifacts/ (git-ignored).

Waiting: every check waits for the state it checks (Playwright's ``expect``, which retries until the page
shows it: the heading of the page a link leads to, a count, a text, the ``data-rendered`` attribute the
page's script sets once a chart is drawn), never for a fixed time. On a loaded machine the server can take
well over 15 s to answer the first search (a fresh-clone ``make test`` on a busy 2-core machine failed on a
15 s click timeout), so one generous cap, ``SAFETY_MS``, bounds every wait; it only decides how long a broken
page takes to fail.
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

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture fails and says what to install
    expect = None

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
SETUP = ("install them with `bash scripts/setup_system.sh` as root (chromium, fonts-wqy-microhei; `make test` "
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
SAFETY_MS = 300_000  # the cap on any one wait; a check passes as soon as its state is there


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
        deadline = time.monotonic() + SAFETY_MS / 1000
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode} before answering:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer {url}/healthz within {SAFETY_MS // 1000} s:\n"
                            f"{log.read_text()}")
            time.sleep(0.1)  # the polling interval, not a wait for the server
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
    expect.set_options(timeout=SAFETY_MS)  # expect() retries until the state is there, at most this long
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS, timeout=SAFETY_MS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookies) per test; its last screen is saved as tests/artifacts/NAME.png."""
    context = browser.new_context(base_url=server, locale="zh-CN", accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(SAFETY_MS)  # actions and navigations: the same cap
    context.set_default_navigation_timeout(SAFETY_MS)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"JavaScript errors on {p.url}: {errors}"


def _nav(page: Any, text: str, heading: str | re.Pattern[str] | None = None) -> None:
    """Follow the navigation link named ``text`` (routes may move; the labels stay) and wait for the page it
    leads to: its heading (``heading``, by default the link's text)."""
    page.locator("header nav").get_by_role("link", name=text, exact=True).click()
    _expect_heading(page, heading or text)


def _expect_heading(page: Any, text: str | re.Pattern[str]) -> None:
    """Wait until the page's first main heading is ``text``: the page a click led to has loaded."""
    expect(page.locator("main h1").first).to_have_text(text)


def _expect_chart(page: Any, chart_id: str) -> None:
    """Wait until the page's script has drawn the chart (it sets data-rendered once ECharts has painted)."""
    chart = page.locator(f"#{chart_id}")
    expect(chart).to_have_attribute("data-rendered", "true")
    expect(chart.locator("canvas").first).to_be_attached()


def _login(page: Any) -> None:
    page.goto("/login")
    page.fill("#login-form input[name=username]", ANALYST[0])
    page.fill("#login-form input[name=password]", ANALYST[2])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))  # the server answered: signed in, sent on


def test_overview_and_language_switch(page: Any) -> None:
    page.goto("/")
    _nav(page, "数据总览")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#documents-count")).to_have_text(f"{DOCUMENTS}")
    _expect_chart(page, "chart-by-office-year")  # ECharts (vendored) drew the chart into a canvas
    assert {"数据总览", "高价值专利筛选"} <= set(page.locator("header nav a").all_inner_texts())

    page.locator(".lang").get_by_role("link", name="English").click()
    _expect_heading(page, "Data overview")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert {"Data overview", "High-value patent screening"} <= set(page.locator("header nav a").all_inner_texts())
    expect(page.locator("main")).not_to_contain_text("数据总览")
    # the choice is remembered: another page opens in English
    _nav(page, "High-value patent screening")

    page.locator(".lang").get_by_role("link", name="中文").click()
    _expect_heading(page, "高价值专利筛选")
    _nav(page, "数据总览")


def _screen_for_applicant(page: Any) -> None:
    """The screening page, the applicant filter and the as-of date filled in and submitted."""
    page.goto("/")
    _nav(page, "高价值专利筛选")
    expect(page.locator("#total")).to_have_text(f"{SCREENED}")
    form = page.locator("#filter-form")
    form.get_by_label("申请人").fill("中科大数据")
    form.locator("details.advanced summary").click()
    form.locator("input[name=as_of]").fill(AS_OF)
    form.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"applicant="))
    expect(page.locator("#total")).to_have_text("1")


def test_screen_filter_and_patent_page(page: Any) -> None:
    _screen_for_applicant(page)
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_have_id(f"row-{CN_GRANT}")
    expect(row).to_contain_text(CN_TITLE)
    expect(row).to_contain_text("中科大数据研究院")
    # unknown: its only SEI rule (1.3#4) is for blockchain, which its text does not name; no family data
    expect(row.locator(".badge")).to_have_text("未知")
    expect(page.locator("#high-value-yes")).to_have_text("0")

    row.get_by_role("link", name=CN_GRANT).click()
    page.wait_for_url(re.compile(rf"/patent/{CN_GRANT}$"))
    expect(page.locator("#doc-id")).to_have_text(CN_GRANT)
    _expect_heading(page, re.compile(re.escape(CN_TITLE)))
    expect(page.locator("#parties")).to_contain_text("中科大数据研究院")
    page.get_by_role("link", name="高价值专利筛选").first.click()  # the breadcrumb back
    _expect_heading(page, "高价值专利筛选")


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
    assert rows[0]["title"] == CN_TITLE and rows[0]["high_value"] == ""
    assert rows[0]["applicant"] == "中科大数据研究院"

    # cleared filters: every screened invention grant
    page.get_by_role("link", name="清除条件").click()
    page.wait_for_url(lambda url: "applicant=" not in url)
    expect(page.locator("#total")).to_have_text(f"{SCREENED}")
    all_rows = _download_csv(page)
    assert len(all_rows) == SCREENED
    numbers = [r["publication_number"] for r in all_rows]
    assert CN_GRANT in numbers
    assert sum(n.startswith("US") for n in numbers) == 15 + 3


def test_cockpit_cards(page: Any) -> None:
    """The cockpit (the home page): the ten indicators of the Bishan plan as cards."""
    page.goto("/")
    _nav(page, "驾驶舱", heading=re.compile(r"^知识产权驾驶舱"))  # "知识产权驾驶舱 · <region>"
    cards = page.locator("#cards article.ind-card")
    expect(cards).to_have_count(10)
    ids = [cards.nth(i).get_attribute("data-indicator") for i in range(10)]
    assert ids[:3] == ["invention_patents_per_10k_pop", "high_value_invention_patents_per_10k_pop", "pct_applications"]
    expect(page.locator("#card-invention_patents_per_10k_pop h3")).to_contain_text("每万人发明专利拥有量")


def test_analyst_reports_a_value_and_sees_it_on_its_card(page: Any) -> None:
    """Log in as an analyst, enter a reported value on the cockpit's form, see it on its card."""
    _login(page)
    page.goto("/")
    form = page.locator("#report-form")
    form.locator("select[name=indicator]").select_option("copyright_registrations")
    year = form.locator("input[name=year]").input_value()
    form.locator("input[name=value]").fill("402")
    form.locator("input[name=source_document]").fill("区版权局年报（浏览器测试）")
    form.locator("button[type=submit]").click()
    expect(page.locator("#value-copyright_registrations")).to_have_text(re.compile(r"^\s*402\s*$"))
    card = page.locator("#card-copyright_registrations")
    expect(card).to_contain_text(year)
    expect(card).to_contain_text("ana")
    page.screenshot(path=str(ARTIFACTS / "cockpit_reported.png"), full_page=True)


def test_analyst_browses_the_quarantine(page: Any) -> None:
    """Log in as an analyst, open the data page from the navigation, follow its quarantine link and see
    the broken record with its file, position, field and reason."""
    _login(page)
    page.goto("/")
    _nav(page, "数据与入库状态")
    expect(page.locator("#files")).to_contain_text("broken_export.csv")  # analysts see the paths
    page.locator("#quarantine-link a").click()
    _expect_heading(page, "隔离记录")
    rows = page.locator("table.quarantine tbody tr.quarantined")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0].startswith("broken_export.csv") and cells[1:4] == ["line 2", "patent_date", BROKEN_REASON]
    assert "1993-02-30" in cells[4]


# a product described from claim 1 of CN 215361852 U (搭载热成像的农作物监管无人机), a utility model in force
DRONE = "一种农业巡检无人机，机身上装有图像采集模块和GPS模块，机壳内设有通信模块，机壳顶部有带气孔的弧形引流板。"


def test_search_and_fto(page: Any) -> None:
    """Search from the navigation and see highlighted passages; log in, paste a product description on the
    FTO page, see the report with the matched claim elements marked, download it as PDF. The first search
    and the screening are the slowest answers of the suite's server (models loaded on first use)."""
    page.goto("/")
    _nav(page, "检索", heading="专利检索")
    page.locator("#search-form input[name=q]").fill("无人机 图像采集")
    page.locator("#search-form").get_by_role("button", name="检索").click(no_wait_after=True)
    hits = page.locator("ol.hits li.hit")
    expect(hits.first).to_be_visible()  # the results page has come
    assert re.search(r"/search\?q=", page.url)
    assert hits.count() >= 3
    expect(hits.first.locator(".passage mark").first).to_have_text("无人机")
    assert all(n.startswith("CN") for n in hits.locator("a.hit-link").all_inner_texts()[:3])
    _expect_chart(page, "chart-results")
    expect(page.locator("#results-total")).to_contain_text("件相关专利")  # the total, not the page's count
    page.screenshot(path=str(ARTIFACTS / "search_results.png"), full_page=True)
    # the page's example numbers are this store's: the application number of its CN grant, written ZL...,
    # shows that patent first, linked to its page
    zl = page.locator("#search-examples a.example", has_text=re.compile(r"^ZL\d{12}\.\d$"))
    expect(zl).to_have_count(1)
    zl.click()
    link = page.locator("#number-found #number-link")
    expect(link).to_have_text(CN_GRANT)
    expect(page.locator("#number-found")).to_contain_text(CN_TITLE)
    link.click()
    page.wait_for_url(re.compile(rf"/patent/{CN_GRANT}$"))
    expect(page.locator("#doc-id")).to_have_text(CN_GRANT)

    _login(page)
    page.goto("/")
    _nav(page, "侵权风险筛查", heading="侵权风险筛查（FTO）")
    form = page.locator("#fto-form")
    form.locator("textarea[name=text]").fill(DRONE)
    form.locator("input[name=jurisdictions]").fill("CN")
    form.get_by_role("button", name="开始筛查").click(no_wait_after=True)
    report = page.locator("#fto-result section.fto-report")
    first = report.locator("table.results tbody tr").first
    expect(first).to_be_visible()  # the screening has answered
    expect(first).to_contain_text("CN215361852U")
    expect(first.locator("td.level")).to_have_text("高")
    assert report.locator(".claim mark").count() >= 4  # 无人机, 图像采集模块, GPS模块, 通信模块 at least
    expect(report).to_contain_text("仅供风险筛查参考，不构成法律意见")
    with page.expect_download() as info:
        page.locator("#download-pdf").click()
    download = info.value
    assert download.suggested_filename == "fto-report.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
