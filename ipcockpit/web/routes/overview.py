"""The data overview (数据总览, ``/overview``) and the store's statistics (``/api/stats``)."""

from __future__ import annotations

from typing import Any

from ipcockpit.app import Cockpit
from ipcockpit.web import charts
from ipcockpit.web.pages import Page, PageParams, View


def _charts(c: Cockpit, data: dict[str, Any], p: PageParams, v: View) -> dict[str, Any]:
    return {"chart": charts.office_year_bars(data["by_office_year"], v.t),
            "undated": charts.undated_summary(data["by_office_year"])}


PAGES = (
    Page("overview", lambda c, p, v: c.overview(), template="overview.html", extra=_charts,
         summary="Data overview page 数据总览: documents by office and year, top applicants and IPC subclasses, "
         "data quality"),
    Page("stats", lambda c, p, v: c.stats(), path="/stats",
         summary="Counts per table, documents by office and year, data-quality checks"),
)
