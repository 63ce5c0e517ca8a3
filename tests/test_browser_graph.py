"""Browser tests of the knowledge-graph pages, one per page, on the real mix of tests/graph_support.py with its
graph built: the explorer grows when a node is expanded; the talent page draws its flow charts and says that
inventors are not resolved. The browser and a fresh page per test are tests/test_browser.py's fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import test_browser
from browser_support import serve
from graph_support import graph_mix
from shared_stores import copy_store
from test_browser import expect

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings

browser, page = test_browser.browser, test_browser.page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[str]:
    db = copy_store(graph_mix(tmp_path_factory, shared), tmp_path_factory.mktemp("kg_browser"))
    with Cockpit(Settings(db=str(db))) as c:
        c.graph_build()
    yield from serve(db, tmp_path_factory)


def test_explorer_grows_when_a_node_is_expanded(page: Any, server: str) -> None:
    page.goto("/graph?node=" + "孟跃中")
    chart = page.locator("#graph-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    before = int(chart.get_attribute("data-nodes"))
    assert before > 1
    shown = set(page.locator("#graph-node-rows tr").evaluate_all("rows => rows.map(r => r.dataset.id)"))
    assert len(shown) == before
    # a shown node with neighbours not shown yet (the page's API says which): expanding it adds exactly those
    for node in sorted(shown):
        answer = page.request.get("/api/graph", params={"node": node}).json()
        new = {n["id"] for n in answer["nodes"]} - shown
        if new:
            break
    else:
        pytest.fail("no shown node has a neighbour that is not shown")
    page.locator(f'#graph-node-rows button.expand[data-id="{node}"]').click()
    expect(page.locator("#graph-status")).to_contain_text(f"新增 {len(new)} 个节点")
    expect(chart).to_have_attribute("data-nodes", str(before + len(new)))
    assert page.locator("#graph-node-rows tr").count() == before + len(new)
    assert page.locator("#graph-detail a[href^='/patent/']").count() > 0  # the evidence of its edges

def test_talent_page_draws_flows_and_says_ids_are_names(page: Any, server: str) -> None:
    page.goto("/talent")
    expect(page.locator("#talent-caveat")).to_contain_text("发明人尚未做实体消歧")
    expect(page.locator("#chart-flows-region")).to_have_attribute("data-rendered", "true")
    expect(page.locator("#chart-flows-industry")).to_have_attribute("data-rendered", "true")
    page.locator("#events a", has_text="冯钰新").first.click()
    expect(page.locator("#team h2")).to_contain_text("冯钰新")
