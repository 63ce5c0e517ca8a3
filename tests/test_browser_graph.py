"""Browser tests of the knowledge-graph pages, one per page, on the real mix of tests/graph_support.py with its
graph built: the explorer grows when a node is expanded; the talent page draws its flow charts and opens a team;
the organisation page draws its portfolio, computes its strength and leads to an inventor's profile; the strength
ranking leads to the organisation ranked first. The browser and a fresh page per test are tests/test_browser.py's
fixtures."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import test_browser
from browser_support import serve, split_headings
from kg_pages_support import graph_store
from shared_stores import copy_store
from test_browser import expect

browser, page = test_browser.browser, test_browser.page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[str]:
    source = graph_store(tmp_path_factory, shared)
    db = copy_store(source, tmp_path_factory.mktemp("kg_browser"))  # the server writes sessions to its store
    shutil.copytree(source.with_name(source.stem + ".graph"), db.with_name(db.stem + ".graph"))
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
    assert split_headings(page) == []  # the centre's name and its kind read as one title

def test_talent_page_draws_flows_and_opens_a_team(page: Any, server: str) -> None:
    page.goto("/talent")
    expect(page.locator("#chart-flows-region")).to_have_attribute("data-rendered", "true")
    expect(page.locator("#chart-flows-industry")).to_have_attribute("data-rendered", "true")
    assert page.locator("#talent-caveat").count() == 0  # the mix's inventors are resolved at ingest
    # the events are a table: each row's cells under the header's columns (a badge style made the rows inline)
    lefts = "cells => cells.map(c => Math.round(c.getBoundingClientRect().left))"
    columns = page.locator("#events thead th").evaluate_all(lefts)
    first = page.locator("#events tbody tr").first.locator("td").evaluate_all(lefts)
    assert first == columns and len(columns) == 6
    page.locator("#events a", has_text="冯钰新").first.click()
    expect(page.locator("#team h2")).to_contain_text("冯钰新")
    expect(page.locator("#team")).to_contain_text("中山大学附属第六医院")
    assert split_headings(page) == []  # "团队 冯钰新 <id>" reads as one title, the downloads apart


def test_organisation_page_draws_its_portfolio_and_asks_for_strength(page: Any, server: str) -> None:
    page.goto("/organisation/中山大学")
    expect(page.locator("#org-name")).to_have_text("中山大学")
    expect(page.locator("#chart-org-years")).to_have_attribute("data-rendered", "true")
    page.locator("#org-strength-link").click()
    expect(page.locator("#org-strength-figure")).to_contain_text("实力得分")
    page.locator("#org-inventors a", has_text="王拴紧").first.click()
    expect(page.locator("#inventor-name")).to_have_text("王拴紧")
    expect(page.locator("#inventor-coinventors")).to_contain_text("孟跃中")


def test_strength_page_ranks_and_links_to_profiles(page: Any, server: str) -> None:
    page.goto("/strength?region=440000")
    expect(page.locator("#chart-strength")).to_have_attribute("data-rendered", "true")
    first = page.locator("#strength-ranking tbody tr").first
    name = first.locator("td").nth(1).inner_text()
    first.locator("a").first.click()
    expect(page.locator("#org-name")).to_have_text(name)
    expect(page.locator("#org-strength-figure")).to_contain_text("第 1 名")
