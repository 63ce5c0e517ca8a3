"""Search (专利检索): ``/search`` and ``/api/search``, the page of
:meth:`~ipcockpit.app.Cockpit.search_page` (the same dict as ``ipcockpit search --json``): the relevant
documents only (``weaker=1`` lists the matches below the relevance floors after them), a total and pages
(``page``, ``limit``). A publication number as the query shows that patent, linked to its page, and the
documents like it ("more like this", linked from every result and from the patent page); a number the
store does not hold is said to be missing, and nothing else is searched. The query, the applicant filter
and ``limit`` are held to the settings ``max_query_chars``, ``max_name_chars`` and ``max_results``
(:mod:`ipcockpit.limits`)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from ipcockpit.app import Cockpit
from ipcockpit.web import charts
from ipcockpit.web.errors import BadRequest
from ipcockpit.web.pages import Page, PageParams, View

MODES = ("hybrid", "lexical", "semantic")
MAX_PAGE = 10_000


class SearchParams(PageParams):
    q: str = Field("", description="Words, a claim, or a publication number (then: documents like it).")
    limit: int = Field(20, ge=1, description="Results per page, from 1 to the setting max_results (default 200).")
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page of results, from 1.")
    weaker: bool = Field(False, description="1: list the matches below the relevance floors after the relevant "
                         "ones (each result says `relevant`).")
    mode: str = Field("hybrid", description="hybrid, lexical or semantic.")
    office: list[str] = Field(default_factory=list, description="Office codes (CN, US); repeat the parameter "
                              "or separate them by commas.")
    date_from: str | None = Field(None, description="Published on or after (YYYY-MM-DD, YYYY-MM or YYYY).")
    date_to: str | None = Field(None, description="Published on or before (YYYY-MM-DD, YYYY-MM or YYYY).")
    ipc: str | None = Field(None, description="IPC code prefix (G06F).")
    cpc: str | None = Field(None, description="CPC code prefix.")
    industry: str | None = Field(None, description="SEI 2021 industry code (1.2).")
    in_force: bool | None = Field(None, description="1: in force only; 0: not in force only.")
    applicant: str | None = Field(None, description="Part of an applicant's name.")

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in MODES:
            raise ValueError(f"mode={value!r}: use one of {', '.join(MODES)}")
        return value

    @field_validator("office", mode="before")
    @classmethod
    def _offices(cls, value: Any) -> list[str]:
        values = value if isinstance(value, list) else [value]
        return [c.upper() for v in values for c in re.split(r"[\s,;，；]+", str(v or "")) if c]

    def filters(self) -> dict[str, Any]:
        """The search filters, every one named (None: not set)."""
        return {"office": self.office or None, "date_from": self.date_from, "date_to": self.date_to,
                "ipc": self.ipc, "cpc": self.cpc, "industry": self.industry, "in_force": self.in_force,
                "applicant": self.applicant}


def search_data(c: Cockpit, p: SearchParams, v: View) -> dict[str, Any]:
    if v.format != "html" and not p.q:
        raise BadRequest("q: give words, a claim or a publication number, e.g. /api/search?q=无人机")
    return c.search_page(p.q, p.limit, p.mode, p.filters(), page=p.page, weaker=p.weaker)


def _chart(c: Cockpit, data: dict[str, Any], p: SearchParams, v: View) -> dict[str, Any]:
    return {"chart": charts.office_year_bars(data["by_office_year"], v.t, undated=v.t("chart.no_year")),
            "modes": MODES, "floors_text": ", ".join(f"{s} {f['full']:.2f} / {f['title_only']:.2f}"
                                     for s, f in data["floors"].items())}


PAGES = (
    Page("search", search_data, SearchParams, template="search.html", extra=_chart, section="results", ranked=True,
         summary="Patent search 专利检索 (full text and meaning)",
         description="A store without a search index answers 503: build it with `ipcockpit index`."),
)
