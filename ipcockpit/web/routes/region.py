"""The region page (地区专利): ``/region/{code}`` for a GB/T 2260 code of a province (2 digits or
``500000``), a prefecture-level city (4 digits or ``510100``) or a district (6 digits), with
``/api/region/{code}`` and the downloads (``/region/500120.csv``, ``?format=xlsx``; CSV ``?section=`` one of
the page's tables, default ``documents``: every listed document with the evidence of its attribution;
``?encoding=gb18030`` for Excel on Chinese Windows). A code that names no division answers 404; a division
with no attributed record answers its page with zeros and the reason.

The HTML adds the ECharts options: documents by year and kind, and the map of the sub-regions where one is
vendored (:mod:`ipcockpit.web.charts_region`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ipcockpit.app import Cockpit
from ipcockpit.web import charts_region
from ipcockpit.web.errors import NotFound
from ipcockpit.web.pages import Page, PageParams, View


class RegionParams(PageParams):
    limit: int = Field(200, ge=1, description="Documents listed, each with the evidence of its attribution "
                       "(the newest publications first); CSV and Excel hold every document unless limit is given "
                       "(at most the setting max_download_rows).")


def region_data(c: Cockpit, p: RegionParams, v: View) -> dict[str, Any]:
    code = (v.key or "").strip()
    data = c.region(code, p.limit)
    if data is None:
        raise NotFound(f"{code!r} is not a code of the GB/T 2260 division table: write 2 digits (province), "
                       "4 (city) or 6, e.g. 500120 (Bishan District)", "region.not_found", code=code)
    return data


def _region_charts(c: Cockpit, data: dict[str, Any], p: RegionParams, v: View) -> dict[str, Any]:
    return {"year_chart": charts_region.kind_year_bars(data["by_type_year"], v.t),
            "region_map": charts_region.region_map(data, v.t, lambda code: f"/region/{code}")}


PAGES = (
    Page("region", region_data, RegionParams, path="/region/{code}", template="region.html",
         extra=_region_charts, section="documents", download_all=True,
         summary="Region page 地区专利: the patents attributed to a province, city or district",
         description="`code`: a GB/T 2260 code, 2 digits (province, e.g. `50`), 4 (city, `5101`) or 6 "
                     "(`500120`, `500000`); a suffix .json, .csv or .xlsx picks the format. Documents are "
                     "attributed by the address of their first domestic applicant/patentee with a code "
                     "(patentee first for grants up to 2020, applicant first from 2021); each listed "
                     "document carries that evidence. Counts are of the records loaded, not official "
                     "statistics."),
)
