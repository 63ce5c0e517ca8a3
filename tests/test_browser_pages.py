"""Browser tests of what a first visitor meets: the API documentation works without the internet, and the
big screen fits the screens it is shown on. The store, the server, the browser and a fresh page per test
are the fixtures of tests/test_browser.py (imported; one server per module)."""

from __future__ import annotations

from typing import Any

import browser_support
import pytest
import test_browser
from test_browser import expect

# test_browser's fixtures, by name: pytest finds a module's fixtures among its globals
store, server, browser, page = test_browser.store, test_browser.server, test_browser.browser, test_browser.page

pytestmark = pytest.mark.browser

#: screens the big screen is shown on: laptops and office monitors (1366x768, 1440x900) and 1080p
SCREENS = ((1366, 768), (1440, 900), (1920, 1080))


def _local_only(page: Any, server: str) -> list[str]:
    """Refuse every request that would leave the server (as an offline machine does) and list them."""
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(server + "/"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return outside


def test_api_docs_render_offline(page: Any, server: str) -> None:
    """/docs draws every operation from the vendored Swagger UI; no request leaves the machine."""
    outside = _local_only(page, server)
    page.goto("/docs")
    # one folded section per area (150-odd operations drawn at once stall Swagger UI): open one, then another
    expect(page.locator(".opblock-tag", has_text="watch").first).to_be_visible()
    assert page.locator(".opblock-tag").count() >= 12 and page.locator(".opblock").count() == 0
    page.locator(".opblock-tag", has_text="overview").first.click()
    expect(page.locator(".opblock-summary-path", has_text="/api/overview").first).to_be_visible()
    page.locator(".opblock-tag", has_text="marks").first.click()
    expect(page.locator(".opblock-summary-path", has_text="/api/marks/protected").first).to_be_visible()
    assert page.locator(".opblock").count() > 15
    assert outside == []


def test_favicon(page: Any, server: str) -> None:
    outside = _local_only(page, server)
    page.goto("/overview")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).status == 200
    assert page.request.get("/favicon.ico").status == 200
    assert outside == []


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_big_screen_fits_common_screens(page: Any, server: str, lang: str) -> None:
    """At 1366, 1440 and 1920 px the big screen is no wider than the window (every card column shown),
    and its buttons keep their label on one line."""
    outside = _local_only(page, server)
    for width, height in SCREENS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/cockpit?screen=big&lang={lang}")
        cards = page.locator("#cards article.ind-card")
        expect(cards).to_have_count(10)
        expect(page.locator("#chart-featured canvas").first).to_be_attached()  # the charts are drawn
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client, f"{lang} {width}x{height}: the page is {scroll} px wide in a {client} px window"
        rights = [cards.nth(i).bounding_box()["x"] + cards.nth(i).bounding_box()["width"] for i in range(10)]
        assert max(rights) <= client, f"{lang} {width}: a card column is cut at {max(rights)} px"
        lines = page.evaluate("""[...document.querySelectorAll('.screen-head .ghost')].map(b => {
            const r = document.createRange(); r.selectNodeContents(b); return [b.id, r.getClientRects().length]; })""")
        assert lines and all(n == 1 for _, n in lines), f"{lang} {width}: button labels wrap: {lines}"
    assert outside == []


def test_patent_page_reads_straight(page: Any, server: str) -> None:
    """The CN grant of the dump: the claims heading does not say 0 claims above its first claim, the legal
    status line is the rule's answer (what the screening's in-force condition says), and the two downloads
    stand apart."""
    outside = _local_only(page, server)
    page.goto(f"/patent/{test_browser.CN_GRANT}")
    expect(page.locator("#claims h2")).to_have_text("权利要求（项数未知：数据中只有首项权利要求）")
    expect(page.locator("#legal-status td b")).to_have_text("有效")
    expect(page.locator("#condition-in_force .badge")).to_have_text("是")
    xlsx, json_link = (page.locator(f"#download-{f}").bounding_box() for f in ("xlsx", "json"))
    assert json_link["x"] - (xlsx["x"] + xlsx["width"]) >= 4  # a gap, not one run of underlined text
    assert outside == []


#: pages with card headings, signed in as an analyst (every card the role sees), the search with results
PAGES = ("/", "/overview", "/search?q=无人机", "/screen", "/data", "/data/quarantine", "/fto", "/marks", "/navigation",
         "/graph", "/talent", "/strength", "/signals", "/watch", "/credit",
         "/cockpit/records?indicator=invention_patents_per_10k_pop&region=500120&year=2025",
         "/cockpit/reported?region=500120", "/region/50")


def test_card_headings_and_codes_read_in_one_piece(page: Any) -> None:
    """A card heading is a row: its title on the left, its downloads on the right. A title made of text and
    elements (the query in quotes, a name and its tag) must be one item of that row, or its parts are spread
    over it (the search's “ at the left edge, the query in the middle, ” at the right). A short code or figure in
    a table cell (IPC subclass, region code, a range 0–16) stays on one line (a break-anywhere rule had made
    columns too narrow; ranges broke at the dash)."""
    test_browser._login(page)
    split = {}
    for path in PAGES:
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, path
        if found := browser_support.split_headings(page):
            split[path] = found
        if broken := browser_support.broken_codes(page):
            split[path + " codes"] = broken
    assert split == {}
