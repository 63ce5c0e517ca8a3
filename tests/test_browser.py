"""Browser tests: Playwright (sync API) drives Debian's chromium against a real uvicorn server on loopback.

The store, the server and the browser are the fixtures of ``tests/browser_support.py`` (it says what the
store holds). Screenshots are kept in tests/artifacts/ (git-ignored).

Waiting: every check waits for the state it checks (Playwright's ``expect``, which retries until the page
shows it: the heading of the page a link leads to, a count, a text, the ``data-rendered`` attribute the
page's script sets once a chart is drawn), never for a fixed time. One generous cap, ``SAFETY_MS``, bounds
every wait; it only decides how long a broken page takes to fail.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import browser_support
from tests.browser_support import ARTIFACTS, BROKEN_REASON, SAFETY_MS

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture fails and says what to install
    expect = None

pytestmark = pytest.mark.browser

# the shared fixtures, bound to names of this module so that pytest finds them (tests/browser_support.py)
store, server, browser = browser_support.store, browser_support.server, browser_support.browser

DOCUMENTS = 25 + 11
# invention grants screened: 15 B2 + 3 B1 of the weekly excerpt and the one CN B grant of the dump
SCREENED = 15 + 3 + 1
AS_OF = "2025-07-01"
CN_GRANT = "CN115883397B"
CN_TITLE = "一种web端数据通用采集方法"


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


_login = browser_support.login


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
    # the download is in the page's language: Chinese headers, 是/否/未知 for the answers
    assert [r["公开（公告）号"] for r in rows] == [CN_GRANT]
    assert rows[0]["名称"] == CN_TITLE and rows[0]["高价值"] == "未知"
    assert rows[0]["申请人"] == "中科大数据研究院"

    # cleared filters: every screened invention grant
    page.get_by_role("link", name="清除条件").click()
    page.wait_for_url(lambda url: "applicant=" not in url)
    expect(page.locator("#total")).to_have_text(f"{SCREENED}")
    all_rows = _download_csv(page)
    assert len(all_rows) == SCREENED
    numbers = [r["公开（公告）号"] for r in all_rows]
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
    the broken record with its file, position, field and reason, in Chinese, counted in its group."""
    _login(page)
    page.goto("/")
    _nav(page, "数据与入库状态")
    expect(page.locator("#files")).to_contain_text("broken_export.csv")  # analysts see the paths
    page.locator("#quarantine-link a").click()
    _expect_heading(page, "隔离记录")
    rows = page.locator("table.quarantine tbody tr.quarantined")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0].startswith("broken_export.csv") and cells[1:4] == ["第 2 行", "授权公告日", "日期无法识别或不存在"]
    assert rows.first.locator("td.reason").get_attribute("title") == BROKEN_REASON  # the ingester's own words
    expect(page.locator("#quarantine-groups tr.group")).to_have_count(1)
    expect(page.locator("#quarantine-groups")).to_contain_text("日期无法识别或不存在")
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
