"""Browser tests of what a first visitor meets: the API documentation works without the internet, and the
big screen fits the screens it is shown on. The store, the server, the browser and a fresh page per test
are the fixtures of tests/test_browser.py (imported; one server per module)."""

from __future__ import annotations

from typing import Any

import pytest
import test_browser
from test_browser import expect

# test_browser's fixtures, by name: pytest finds a module's fixtures among its globals
store, server, browser, page = test_browser.store, test_browser.server, test_browser.browser, test_browser.page

pytestmark = pytest.mark.browser

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
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/overview").first).to_be_visible()
    assert page.locator(".opblock").count() > 50
    assert outside == []


def test_favicon(page: Any, server: str) -> None:
    outside = _local_only(page, server)
    page.goto("/overview")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).status == 200
    assert page.request.get("/favicon.ico").status == 200
    assert outside == []
